//! Direct convolution, the scheme the layers use: each sample is copied once into a zero-padded
//! buffer, so every receptive field is in bounds and no im2col matrix is built. Output pixels are
//! register-blocked against a tile of filters (the vector lanes), like a GEMM micro-kernel whose
//! A operand is read straight from the image through a table of tap offsets.
//!   forward:  y[p, f]  = b[f] + sum_k xp[origin(p) + tap(k)] W[k, f]      (then the activation)
//!   backward: dW[k, f] = sum_(n, p) xp[origin(p) + tap(k)] dpre[p, f]    db[f] = sum dpre[p, f]
//!             dxp[origin(p) + tap(k)] += sum_f dpre[p, f] W[k, f]         dx = interior of dxp
//! Samples run in parallel on rayon. dW and db are summed per task of SAMPLES_PER_TASK samples,
//! then over tasks in task order, so any thread count gives bitwise the same gradients.
//! x86-64 with AVX2 and FMA (checked at run time) gets the same loops compiled for those units.

use super::{Conv2dGeometry, ConvGrads};
use crate::activation;
use crate::spec::ActivationSpec;
use rayon::prelude::*;

/// Samples per backward task (fixed, so the order of the dW sums never depends on threads).
pub const SAMPLES_PER_TASK: usize = 4;
/// Taps per dW register block, and the multiple the tap table is padded to.
const TAP_BLOCK: usize = 8;
/// Taps per dx register block (vector lanes along k).
const DX_TAPS: usize = 16;
/// Output pixels per dx block.
const DX_PIXELS: usize = 4;

/// Index tables of one geometry; independent of the batch size.
pub struct DirectPlan {
    g: Conv2dGeometry,
    padded_w: usize,
    padded_h: usize,
    /// Floats in one padded sample.
    padded_len: usize,
    /// Offset of tap k = (ky, kx, c) from a window's origin, padded with zeros to TAP_BLOCK.
    taps: Vec<usize>,
    /// Offset of output pixel p's window origin in the padded sample.
    origins: Vec<usize>,
    /// Maximal runs of taps adjacent in memory: (first k, its offset, length).
    runs: Vec<(usize, usize, usize)>,
    /// Taps rounded up to DX_TAPS: the row length of the transposed kernel.
    taps_dx: usize,
}

impl DirectPlan {
    /// `g` must have passed `validate()`; its batch is ignored.
    pub fn new(g: &Conv2dGeometry) -> Self {
        let (padded_h, padded_w) = (g.in_h + g.pad_top + g.pad_bottom, g.in_w + g.pad_left + g.pad_right);
        let c = g.in_c;
        let row = padded_w * c;
        let mut taps = Vec::with_capacity(g.patch_len().next_multiple_of(TAP_BLOCK));
        for ky in 0..g.kh {
            for kx in 0..g.kw {
                taps.extend((0..c).map(|ch| ky * g.dil_h * row + kx * g.dil_w * c + ch));
            }
        }
        let mut runs: Vec<(usize, usize, usize)> = Vec::new();
        for (k, &off) in taps.iter().enumerate() {
            match runs.last_mut() {
                Some((_, start, len)) if *start + *len == off => *len += 1,
                _ => runs.push((k, off, 1)),
            }
        }
        taps.resize(g.patch_len().next_multiple_of(TAP_BLOCK), 0);
        let (oh, ow) = (g.out_h(), g.out_w());
        let origins: Vec<usize> = (0..oh * ow).map(|p| (p / ow) * g.stride_h * row + (p % ow) * g.stride_w * c).collect();
        let padded_len = padded_h * row;
        // Every read stays inside the padded sample (the output size formula guarantees it).
        let last = origins.last().copied().unwrap_or(0) + taps.iter().max().copied().unwrap_or(0);
        assert!(last < padded_len, "direct conv: window reaches past the padded input");
        DirectPlan { g: *g, padded_w, padded_h, padded_len, taps, origins, runs, taps_dx: g.patch_len().next_multiple_of(DX_TAPS) }
    }

    fn pixels(&self) -> usize {
        self.origins.len()
    }
    fn out_len(&self) -> usize {
        self.pixels() * self.g.filters
    }

    /// Copies sample `x` into the interior of `xp` (padded_len floats), zeroing the border.
    fn pad(&self, x: &[f32], xp: &mut [f32]) {
        let g = &self.g;
        let (row, in_row) = (self.padded_w * g.in_c, g.in_w * g.in_c);
        xp.fill(0.0);
        for (iy, src) in x.chunks_exact(in_row).enumerate() {
            let at = (iy + g.pad_top) * row + g.pad_left * g.in_c;
            xp[at..at + in_row].copy_from_slice(src);
        }
        debug_assert_eq!(self.padded_h * row, xp.len());
    }

    /// dx of one sample: the interior of its padded gradient.
    fn crop(&self, dxp: &[f32], dx: &mut [f32]) {
        let g = &self.g;
        let (row, in_row) = (self.padded_w * g.in_c, g.in_w * g.in_c);
        for (iy, dst) in dx.chunks_exact_mut(in_row).enumerate() {
            let at = (iy + g.pad_top) * row + g.pad_left * g.in_c;
            dst.copy_from_slice(&dxp[at..at + in_row]);
        }
    }
}

/// Buffers the direct kernels keep between calls (a layer owns one), so steady-state batches
/// allocate nothing.
#[derive(Default)]
pub struct DirectScratch {
    /// Padded input batch of the last `pad_input`.
    padded: Vec<f32>,
    dpre: Vec<f32>,
    dw_parts: Vec<f32>,
    db_parts: Vec<f32>,
    /// Per task: one padded sample of dx, and a DX_PIXELS x taps_dx tile of dcol.
    dxp: Vec<f32>,
    dcol: Vec<f32>,
    /// Kernel transposed to [filters x taps_dx], zero beyond the taps.
    wt: Vec<f32>,
}

impl DirectScratch {
    /// Pads the `n` samples of `x` into the scratch for `forward` and `backward`.
    pub fn pad_input(&mut self, plan: &DirectPlan, n: usize, x: &[f32]) {
        let (len, in_len) = (plan.padded_len, plan.g.in_sample_len());
        assert_eq!(x.len(), n * in_len, "conv2d: x length");
        self.padded.resize(n * len, 0.0);
        let pad = |(xp, xs): (&mut [f32], &[f32])| plan.pad(xs, xp);
        self.padded.par_chunks_mut(len).zip(x.par_chunks(in_len)).for_each(pad);
    }

    /// Samples held by the last `pad_input`.
    pub fn padded_samples(&self, plan: &DirectPlan) -> usize {
        self.padded.len() / plan.padded_len
    }
}

/// `out` = conv(x, w) + b for the batch last given to `pad_input`; with `post`, also
/// post.1 = activation(out), computed per sample while it is in cache.
pub fn forward(
    plan: &DirectPlan,
    scratch: &DirectScratch,
    w: &[f32],
    b: Option<&[f32]>,
    out: &mut [f32],
    post: Option<(&ActivationSpec, &mut [f32])>,
) {
    let (f, out_len) = (plan.g.filters, plan.out_len());
    let n = scratch.padded.len() / plan.padded_len;
    assert_eq!(w.len(), plan.g.w_len(), "conv2d: w length");
    assert_eq!(out.len(), n * out_len, "conv2d: y length");
    if let Some(b) = b {
        assert_eq!(b.len(), f, "conv2d: bias length");
    }
    let samples = scratch.padded.par_chunks(plan.padded_len).zip(out.par_chunks_mut(out_len));
    match post {
        None => samples.for_each(|(xp, y)| kernels::forward_sample(plan, xp, w, b, y)),
        Some((act, act_out)) => {
            assert_eq!(act_out.len(), n * out_len, "conv2d: activation output length");
            samples.zip(act_out.par_chunks_mut(out_len)).for_each(|((xp, pre), y)| {
                kernels::forward_sample(plan, xp, w, b, pre);
                activation::forward_unchecked(act, pre, f, y);
            });
        }
    }
}

/// What backward differentiates through: dy is dL/d(out) (None) or dL/d(activation(out)) with
/// the forward's (out, activation(out)).
pub type Post<'a> = Option<(&'a ActivationSpec, &'a [f32], &'a [f32])>;

/// Gradients for the batch last given to `pad_input`: dw and db (overwritten), dx when asked
/// (skipped for a first layer).
pub fn backward(plan: &DirectPlan, scratch: &mut DirectScratch, w: &[f32], dy: &[f32], post: Post, grads: ConvGrads<'_>) {
    let ConvGrads { dx, dw, db } = grads;
    let g = &plan.g;
    let (f, out_len, in_len, w_len) = (g.filters, plan.out_len(), g.in_sample_len(), g.w_len());
    let n = scratch.padded.len() / plan.padded_len;
    assert_eq!(dy.len(), n * out_len, "conv2d: dy length");
    assert_eq!(dw.len(), w_len, "conv2d: dw length");
    let tasks = n.div_ceil(SAMPLES_PER_TASK);
    let per_task = SAMPLES_PER_TASK * out_len;
    let s = scratch;
    s.dw_parts.resize(tasks * w_len, 0.0);
    s.db_parts.resize(tasks * f, 0.0);
    if post.is_some() {
        s.dpre.resize(n * out_len, 0.0);
    }
    let with_dx = dx.is_some();
    if let Some(dx) = &dx {
        assert_eq!(dx.len(), n * in_len, "conv2d: dx length");
    }
    if with_dx {
        s.dxp.resize(tasks * plan.padded_len, 0.0);
        s.dcol.resize(tasks * DX_PIXELS * plan.taps_dx, 0.0);
        transpose_kernel(plan, w, &mut s.wt);
    }
    // One task per SAMPLES_PER_TASK samples, each with its own slices of every buffer, zipped in
    // parallel (no task list is collected, so a steady-state batch allocates nothing).
    let (dpre, pre_y) = match post {
        Some((act, pre, y)) => (Some(&mut s.dpre[..]), Some((act, pre, y))),
        None => (None, None),
    };
    let posts = match pre_y {
        Some((act, pre, y)) => {
            rayon::iter::Either::Left(pre.par_chunks(per_task).zip(y.par_chunks(per_task)).map(move |(p, y)| Some((act, p, y))))
        }
        None => rayon::iter::Either::Right(rayon::iter::repeat_n((), tasks).map(|_| None)),
    };
    let (dxp, dcol) = if with_dx { (Some(&mut s.dxp[..]), Some(&mut s.dcol[..])) } else { (None, None) };
    let (padded, wt) = (&s.padded, &s.wt);
    (
        dy.par_chunks(per_task),
        posts,
        opt_chunks(dpre, per_task, tasks),
        s.dw_parts.par_chunks_mut(w_len),
        s.db_parts.par_chunks_mut(f),
        opt_chunks(dx, SAMPLES_PER_TASK * in_len, tasks),
        opt_chunks(dxp, plan.padded_len, tasks),
        opt_chunks(dcol, DX_PIXELS * plan.taps_dx, tasks),
    )
        .into_par_iter()
        .enumerate()
        .for_each(|(t, (dy, post, dpre, dw, db, dx, dxp, dcol))| {
            let post = post.map(|(act, pre, y)| (act, pre, y, dpre.expect("dpre per task")));
            Task { first: t * SAMPLES_PER_TASK, dy, post, dw, db, dx, dxp, dcol }.run(plan, padded, wt)
        });
    // Sum the per-task partials in task order.
    let (first, rest) = s.dw_parts.split_at(w_len);
    dw.copy_from_slice(first);
    for part in rest.chunks_exact(w_len) {
        dw.iter_mut().zip(part).for_each(|(a, v)| *a += v);
    }
    if let Some(db) = db {
        assert_eq!(db.len(), f, "conv2d: db length");
        let (first, rest) = s.db_parts.split_at(f);
        db.copy_from_slice(first);
        for part in rest.chunks_exact(f) {
            db.iter_mut().zip(part).for_each(|(a, v)| *a += v);
        }
    }
}

/// dx alone (overwritten) for the output gradient `dy` of `n` samples: the convolution's input
/// gradient, which is what a transposed convolution's forward computes. Samples in parallel, each
/// into its own padded buffer, then cropped into dx (no sums across samples: any thread count
/// gives the same bits).
pub fn input_grad_only(plan: &DirectPlan, scratch: &mut DirectScratch, w: &[f32], dy: &[f32], dx: &mut [f32]) {
    let (out_len, in_len) = (plan.out_len(), plan.g.in_sample_len());
    assert_eq!(w.len(), plan.g.w_len(), "conv2d: w length");
    assert_eq!(dy.len() % out_len.max(1), 0, "conv2d: dy length");
    let n = dy.len() / out_len;
    assert_eq!(dx.len(), n * in_len, "conv2d: dx length");
    let s = scratch;
    s.dxp.resize(n * plan.padded_len, 0.0);
    s.dcol.resize(n * DX_PIXELS * plan.taps_dx, 0.0);
    transpose_kernel(plan, w, &mut s.wt);
    let wt = &s.wt;
    (
        dy.par_chunks(out_len),
        dx.par_chunks_mut(in_len),
        s.dxp.par_chunks_mut(plan.padded_len),
        s.dcol.par_chunks_mut(DX_PIXELS * plan.taps_dx),
    )
        .into_par_iter()
        .for_each(|(d, dx, dxp, dcol)| {
            dxp.fill(0.0);
            kernels::input_grad(plan, d, wt, dxp, dcol);
            plan.crop(dxp, dx);
        });
}

/// dW alone (overwritten) for the batch last given to `pad_input` and its output gradient `dy`
/// (a transposed convolution's kernel gradient): partial sums per task of SAMPLES_PER_TASK
/// samples, added in task order.
pub fn weight_grad_only(plan: &DirectPlan, scratch: &mut DirectScratch, dy: &[f32], dw: &mut [f32]) {
    let (out_len, w_len) = (plan.out_len(), plan.g.w_len());
    let n = scratch.padded.len() / plan.padded_len;
    assert_eq!(dy.len(), n * out_len, "conv2d: dy length");
    assert_eq!(dw.len(), w_len, "conv2d: dw length");
    let tasks = n.div_ceil(SAMPLES_PER_TASK);
    let s = scratch;
    s.dw_parts.resize(tasks * w_len, 0.0);
    let padded = &s.padded;
    let per_task = SAMPLES_PER_TASK * out_len;
    (dy.par_chunks(per_task), s.dw_parts.par_chunks_mut(w_len)).into_par_iter().enumerate().for_each(|(t, (d, part))| {
        let count = d.len() / out_len;
        let first = t * SAMPLES_PER_TASK;
        kernels::weight_grad(plan, &padded[first * plan.padded_len..(first + count) * plan.padded_len], d, part);
    });
    let (first, rest) = s.dw_parts.split_at(w_len);
    dw.copy_from_slice(first);
    for part in rest.chunks_exact(w_len) {
        dw.iter_mut().zip(part).for_each(|(a, v)| *a += v);
    }
}

/// `chunk`-long pieces of `buf` as Some, or `tasks` Nones without it: one item per task either way.
pub(crate) fn opt_chunks(buf: Option<&mut [f32]>, chunk: usize, tasks: usize) -> impl IndexedParallelIterator<Item = Option<&mut [f32]>> {
    match buf {
        Some(b) => rayon::iter::Either::Left(b.par_chunks_mut(chunk).map(Some)),
        None => rayon::iter::Either::Right(rayon::iter::repeat_n((), tasks).map(|_| None)),
    }
}

/// wt[f * taps_dx + k] = w[k * filters + f], zero for k >= taps.
fn transpose_kernel(plan: &DirectPlan, w: &[f32], wt: &mut Vec<f32>) {
    let (f, taps) = (plan.g.filters, plan.g.patch_len());
    wt.clear();
    wt.resize(f * plan.taps_dx, 0.0);
    for (k, row) in w.chunks_exact(f).enumerate().take(taps) {
        for (j, &v) in row.iter().enumerate() {
            wt[j * plan.taps_dx + k] = v;
        }
    }
}

/// An activation spec, its input and output, and where dL/d(its input) goes.
type PostGrad<'a> = (&'a ActivationSpec, &'a [f32], &'a [f32], &'a mut [f32]);

/// The backward work of SAMPLES_PER_TASK consecutive samples.
struct Task<'a> {
    first: usize,
    dy: &'a [f32],
    post: Option<PostGrad<'a>>,
    dw: &'a mut [f32],
    db: &'a mut [f32],
    dx: Option<&'a mut [f32]>,
    dxp: Option<&'a mut [f32]>,
    dcol: Option<&'a mut [f32]>,
}

impl Task<'_> {
    fn run(self, plan: &DirectPlan, padded: &[f32], wt: &[f32]) {
        let f = plan.g.filters;
        let dpre: &[f32] = match self.post {
            Some((act, pre, y, dpre)) => {
                let dpre = &mut dpre[..self.dy.len()];
                activation::backward_unchecked(act, pre, y, self.dy, f, dpre);
                dpre
            }
            None => self.dy,
        };
        let count = dpre.len() / plan.out_len();
        let xp = &padded[self.first * plan.padded_len..(self.first + count) * plan.padded_len];
        kernels::weight_grad(plan, xp, dpre, self.dw);
        self.db.fill(0.0);
        for row in dpre.chunks_exact(f) {
            self.db.iter_mut().zip(row).for_each(|(a, v)| *a += v);
        }
        if let (Some(dx), Some(dxp), Some(dcol)) = (self.dx, self.dxp, self.dcol) {
            let in_len = plan.g.in_sample_len();
            for (d, dx) in dpre.chunks_exact(plan.out_len()).zip(dx.chunks_exact_mut(in_len)) {
                dxp.fill(0.0);
                kernels::input_grad(plan, d, wt, dxp, dcol);
                plan.crop(dxp, dx);
            }
        }
    }
}

/// The register-blocked loops, compiled twice: plainly, and for AVX2 + FMA when the CPU has them.
mod kernels {
    use super::{DirectPlan, DX_PIXELS, DX_TAPS, TAP_BLOCK};

    #[cfg(target_arch = "x86_64")]
    fn has_fma() -> bool {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }

    /// Picks the compiled variant once per call.
    macro_rules! dispatch {
        ($name:ident($($arg:ident: $ty:ty),*)) => {
            pub fn $name($($arg: $ty),*) {
                #[cfg(target_arch = "x86_64")]
                if has_fma() {
                    #[target_feature(enable = "avx2,fma")]
                    unsafe fn fused($($arg: $ty),*) {
                        imp::$name::<true>($($arg),*)
                    }
                    // SAFETY: the CPU was just checked for AVX2 and FMA.
                    return unsafe { fused($($arg),*) };
                }
                imp::$name::<false>($($arg),*)
            }
        };
    }

    dispatch!(forward_sample(plan: &DirectPlan, xp: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]));
    dispatch!(weight_grad(plan: &DirectPlan, xp: &[f32], dpre: &[f32], dw: &mut [f32]));
    dispatch!(input_grad(plan: &DirectPlan, dpre: &[f32], wt: &[f32], dxp: &mut [f32], dcol: &mut [f32]));

    mod imp {
        use super::*;

        /// a * b + c, fused into one rounding where the variant was compiled with FMA.
        #[inline(always)]
        fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
            if FMA {
                a.mul_add(b, c)
            } else {
                a * b + c
            }
        }

        #[inline(always)]
        fn load<const N: usize>(s: &[f32], at: usize) -> [f32; N] {
            s[at..at + N].try_into().expect("N floats")
        }

        /// One sample's output, filter tiles of 16, 8, then single filters.
        #[inline(always)]
        pub fn forward_sample<const FMA: bool>(plan: &DirectPlan, xp: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]) {
            let f = plan.g.filters;
            let mut f0 = 0;
            while f0 < f {
                f0 += match f - f0 {
                    16.. => forward_tile::<4, 16, FMA>(plan, xp, w, b, y, f0),
                    8.. => forward_tile::<8, 8, FMA>(plan, xp, w, b, y, f0),
                    _ => forward_tile::<8, 1, FMA>(plan, xp, w, b, y, f0),
                };
            }
        }

        /// Filters f0..f0+NF of every pixel: PB pixels at a time, then the leftover pixels singly.
        #[inline(always)]
        fn forward_tile<const PB: usize, const NF: usize, const FMA: bool>(
            plan: &DirectPlan,
            xp: &[f32],
            w: &[f32],
            b: Option<&[f32]>,
            y: &mut [f32],
            f0: usize,
        ) -> usize {
            let pixels = plan.pixels();
            let full = pixels - pixels % PB;
            let init: [f32; NF] = b.map_or([0.0; NF], |b| load(b, f0));
            for p0 in (0..full).step_by(PB) {
                forward_block::<PB, NF, FMA>(plan, xp, w, init, y, p0, f0);
            }
            for p0 in full..pixels {
                forward_block::<1, NF, FMA>(plan, xp, w, init, y, p0, f0);
            }
            NF
        }

        #[inline(always)]
        fn forward_block<const PB: usize, const NF: usize, const FMA: bool>(
            plan: &DirectPlan,
            xp: &[f32],
            w: &[f32],
            init: [f32; NF],
            y: &mut [f32],
            p0: usize,
            f0: usize,
        ) {
            let (f, taps) = (plan.g.filters, plan.g.patch_len());
            let origins: [usize; PB] = plan.origins[p0..p0 + PB].try_into().expect("PB origins");
            let mut acc = [init; PB];
            for (k, &tap) in plan.taps[..taps].iter().enumerate() {
                let wk: [f32; NF] = load(w, k * f + f0);
                for p in 0..PB {
                    // SAFETY: DirectPlan::new asserted origin + tap < padded_len = xp.len().
                    let v = unsafe { *xp.get_unchecked(origins[p] + tap) };
                    for j in 0..NF {
                        acc[p][j] = madd::<FMA>(v, wk[j], acc[p][j]);
                    }
                }
            }
            for (p, a) in acc.iter().enumerate() {
                y[(p0 + p) * f + f0..][..NF].copy_from_slice(a);
            }
        }

        /// dW of the samples in `xp` / `dpre`, filter tiles as in forward.
        #[inline(always)]
        pub fn weight_grad<const FMA: bool>(plan: &DirectPlan, xp: &[f32], dpre: &[f32], dw: &mut [f32]) {
            let f = plan.g.filters;
            let mut f0 = 0;
            while f0 < f {
                f0 += match f - f0 {
                    16.. => weight_grad_tile::<4, 16, FMA>(plan, xp, dpre, dw, f0),
                    8.. => weight_grad_tile::<8, 8, FMA>(plan, xp, dpre, dw, f0),
                    _ => weight_grad_tile::<8, 1, FMA>(plan, xp, dpre, dw, f0),
                };
            }
        }

        #[inline(always)]
        fn weight_grad_tile<const KB: usize, const NF: usize, const FMA: bool>(
            plan: &DirectPlan,
            xp: &[f32],
            dpre: &[f32],
            dw: &mut [f32],
            f0: usize,
        ) -> usize {
            const { assert!(TAP_BLOCK.is_multiple_of(KB)) };
            let (f, taps, out_len) = (plan.g.filters, plan.g.patch_len(), plan.out_len());
            for k0 in (0..taps).step_by(KB) {
                // The tap table is padded to TAP_BLOCK with offset 0, so k0..k0+KB is readable.
                let offs: [usize; KB] = plan.taps[k0..k0 + KB].try_into().expect("KB taps");
                let mut acc = [[0.0f32; NF]; KB];
                for (xs, ds) in xp.chunks_exact(plan.padded_len).zip(dpre.chunks_exact(out_len)) {
                    for (p, &origin) in plan.origins.iter().enumerate() {
                        let d: [f32; NF] = load(ds, p * f + f0);
                        for t in 0..KB {
                            // SAFETY: origin + tap < padded_len = xs.len() (DirectPlan::new).
                            let v = unsafe { *xs.get_unchecked(origin + offs[t]) };
                            for j in 0..NF {
                                acc[t][j] = madd::<FMA>(v, d[j], acc[t][j]);
                            }
                        }
                    }
                }
                for (t, a) in acc.iter().enumerate().take(taps - k0) {
                    dw[(k0 + t) * f + f0..][..NF].copy_from_slice(a);
                }
            }
            NF
        }

        /// Adds one sample's input gradient into its padded buffer `dxp`: dcol tiles of
        /// DX_PIXELS x DX_TAPS from dpre · Wᵀ, each row then added along the plan's runs.
        #[inline(always)]
        pub fn input_grad<const FMA: bool>(plan: &DirectPlan, dpre: &[f32], wt: &[f32], dxp: &mut [f32], dcol: &mut [f32]) {
            let pixels = plan.pixels();
            let full = pixels - pixels % DX_PIXELS;
            for p0 in (0..full).step_by(DX_PIXELS) {
                input_grad_block::<DX_PIXELS, FMA>(plan, dpre, wt, dxp, dcol, p0);
            }
            for p0 in full..pixels {
                input_grad_block::<1, FMA>(plan, dpre, wt, dxp, dcol, p0);
            }
        }

        #[inline(always)]
        fn input_grad_block<const PB: usize, const FMA: bool>(
            plan: &DirectPlan,
            dpre: &[f32],
            wt: &[f32],
            dxp: &mut [f32],
            dcol: &mut [f32],
            p0: usize,
        ) {
            let (f, kt) = (plan.g.filters, plan.taps_dx);
            for k0 in (0..kt).step_by(DX_TAPS) {
                let mut acc = [[0.0f32; DX_TAPS]; PB];
                for j in 0..f {
                    let wk: [f32; DX_TAPS] = load(wt, j * kt + k0);
                    for p in 0..PB {
                        let d = dpre[(p0 + p) * f + j];
                        for t in 0..DX_TAPS {
                            acc[p][t] = madd::<FMA>(d, wk[t], acc[p][t]);
                        }
                    }
                }
                for (p, a) in acc.iter().enumerate() {
                    dcol[p * kt + k0..][..DX_TAPS].copy_from_slice(a);
                }
            }
            for p in 0..PB {
                let origin = plan.origins[p0 + p];
                let row = &dcol[p * kt..(p + 1) * kt];
                for &(k, off, len) in &plan.runs {
                    let dst = &mut dxp[origin + off..origin + off + len];
                    dst.iter_mut().zip(&row[k..k + len]).for_each(|(a, v)| *a += v);
                }
            }
        }
    }
}
