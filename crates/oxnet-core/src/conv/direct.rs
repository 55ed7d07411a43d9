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
/// The multiple the tap table is padded to: every dW register block (4 or 8 taps, 6 on AVX2)
/// divides it.
const TAP_BLOCK: usize = 24;
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
    /// For stride 1 with every padding within the kernel's span: dx as a forward convolution of
    /// the padded dy with the flipped, transposed kernel (`transposed_geometry`), so dx runs on
    /// the forward kernels. None: dx by `input_grad` (dcol tiles scattered along the runs).
    dx_plan: Option<Box<DirectPlan>>,
}

/// The geometry whose forward pass is the input gradient of `g` (stride 1): input dy [oh, ow,
/// filters], output dx [in_h, in_w, in_c], kernel W'[ky, kx, f, c] = W[kh-1-ky, kw-1-kx, c, f],
/// padding D - pad before and D - (other pad) after, D = dilation * (k - 1). None when a stride is
/// not 1 or a padding exceeds D (the dx of those runs on `input_grad`).
pub fn transposed_geometry(g: &Conv2dGeometry) -> Option<Conv2dGeometry> {
    let (dh, dw) = (g.dil_h * (g.kh - 1), g.dil_w * (g.kw - 1));
    let fits = g.pad_top <= dh && g.pad_bottom <= dh && g.pad_left <= dw && g.pad_right <= dw;
    (g.stride_h == 1 && g.stride_w == 1 && fits).then(|| Conv2dGeometry {
        batch: g.batch,
        in_h: g.out_h(),
        in_w: g.out_w(),
        in_c: g.filters,
        filters: g.in_c,
        pad_top: dh - g.pad_top,
        pad_bottom: dh - g.pad_bottom,
        pad_left: dw - g.pad_left,
        pad_right: dw - g.pad_right,
        ..*g
    })
}

impl DirectPlan {
    /// `g` must have passed `validate()`; its batch is ignored.
    pub fn new(g: &Conv2dGeometry) -> Self {
        let dx_plan = transposed_geometry(g).map(|t| Box::new(DirectPlan::without_dx_plan(&t)));
        DirectPlan { dx_plan, ..DirectPlan::without_dx_plan(g) }
    }

    fn without_dx_plan(g: &Conv2dGeometry) -> Self {
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
        let taps_dx = g.patch_len().next_multiple_of(DX_TAPS);
        DirectPlan { g: *g, padded_w, padded_h, padded_len, taps, origins, runs, taps_dx, dx_plan: None }
    }

    /// Floats of one task's dW partial: the padded tap rows times filters (the AVX2 kernel writes
    /// whole register blocks; only the first `w_len` are the gradient).
    fn dw_part_len(&self) -> usize {
        self.taps.len() * self.g.filters
    }

    /// Floats of one task's dx scratch: a padded dx sample, or a padded dy sample for `dx_plan`.
    fn dx_scratch_len(&self) -> usize {
        self.dx_plan.as_ref().map_or(self.padded_len, |t| t.padded_len)
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
    /// Kernel transposed to [filters x taps_dx], zero beyond the taps (for `input_grad`), or
    /// the flipped HWIO kernel of `dx_plan`.
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
    let part_len = plan.dw_part_len();
    s.dw_parts.resize(tasks * part_len, 0.0);
    s.db_parts.resize(tasks * f, 0.0);
    if post.is_some() {
        s.dpre.resize(n * out_len, 0.0);
    }
    let with_dx = dx.is_some();
    if let Some(dx) = &dx {
        assert_eq!(dx.len(), n * in_len, "conv2d: dx length");
    }
    if with_dx {
        s.dxp.resize(tasks * plan.dx_scratch_len(), 0.0);
        s.dcol.resize(tasks * DX_PIXELS * plan.taps_dx, 0.0);
        match &plan.dx_plan {
            Some(_) => flip_kernel(g, w, &mut s.wt),
            None => transpose_kernel(plan, w, &mut s.wt),
        }
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
        s.dw_parts.par_chunks_mut(part_len),
        s.db_parts.par_chunks_mut(f),
        opt_chunks(dx, SAMPLES_PER_TASK * in_len, tasks),
        opt_chunks(dxp, plan.dx_scratch_len(), tasks),
        opt_chunks(dcol, DX_PIXELS * plan.taps_dx, tasks),
    )
        .into_par_iter()
        .enumerate()
        .for_each(|(t, (dy, post, dpre, dw, db, dx, dxp, dcol))| {
            let post = post.map(|(act, pre, y)| (act, pre, y, dpre.expect("dpre per task")));
            Task { first: t * SAMPLES_PER_TASK, dy, post, dw, db, dx, dxp, dcol }.run(plan, padded, wt)
        });
    // Sum the per-task partials in task order.
    sum_parts(&s.dw_parts, part_len, dw);
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
    let part_len = plan.dw_part_len();
    s.dw_parts.resize(tasks * part_len, 0.0);
    let padded = &s.padded;
    let per_task = SAMPLES_PER_TASK * out_len;
    (dy.par_chunks(per_task), s.dw_parts.par_chunks_mut(part_len)).into_par_iter().enumerate().for_each(|(t, (d, part))| {
        let count = d.len() / out_len;
        let first = t * SAMPLES_PER_TASK;
        kernels::weight_grad(plan, &padded[first * plan.padded_len..(first + count) * plan.padded_len], d, part);
    });
    sum_parts(&s.dw_parts, part_len, dw);
}

/// dw = the sum of the first dw.len() floats of each `part_len`-long partial, in order.
fn sum_parts(parts: &[f32], part_len: usize, dw: &mut [f32]) {
    let mut parts = parts.chunks_exact(part_len);
    dw.copy_from_slice(&parts.next().expect("one task at least")[..dw.len()]);
    for part in parts {
        dw.iter_mut().zip(part).for_each(|(a, v)| *a += v);
    }
}

/// wt = the HWIO kernel of `transposed_geometry(g)`: wt[((ky, kx), f, c)] = w[((kh-1-ky, kw-1-kx), c, f)].
fn flip_kernel(g: &Conv2dGeometry, w: &[f32], wt: &mut Vec<f32>) {
    let (c, f, cells) = (g.in_c, g.filters, g.kh * g.kw);
    wt.clear();
    wt.resize(w.len(), 0.0);
    for cell in 0..cells {
        let src = &w[(cells - 1 - cell) * c * f..][..c * f];
        let dst = &mut wt[cell * f * c..][..f * c];
        for (ch, row) in src.chunks_exact(f).enumerate() {
            for (j, &v) in row.iter().enumerate() {
                dst[j * c + ch] = v;
            }
        }
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
                if let Some(t) = &plan.dx_plan {
                    // dx = forward of the padded dy with the flipped kernel (wt), no bias.
                    t.pad(d, dxp);
                    kernels::forward_sample(t, dxp, wt, None, dx);
                    continue;
                }
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

        /// One sample's output, filter tiles of 16, 8, then single filters (the 16s by the
        /// AVX2 kernel when compiled for FMA: the same products summed in the same order).
        #[inline(always)]
        pub fn forward_sample<const FMA: bool>(plan: &DirectPlan, xp: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]) {
            let f = plan.g.filters;
            let mut f0 = 0;
            #[cfg(target_arch = "x86_64")]
            if FMA {
                // SAFETY: the FMA variant runs only after `has_fma()` said yes.
                f0 = unsafe { avx2::forward_tiles(plan, xp, w, b, y) };
            }
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

        /// dW of the samples in `xp` / `dpre` into `dw` (a partial of `dw_part_len` floats;
        /// the first w_len are the gradient), filter tiles as in forward.
        #[inline(always)]
        pub fn weight_grad<const FMA: bool>(plan: &DirectPlan, xp: &[f32], dpre: &[f32], dw: &mut [f32]) {
            let f = plan.g.filters;
            let mut f0 = 0;
            #[cfg(target_arch = "x86_64")]
            if FMA {
                // SAFETY: as in forward_sample.
                f0 = unsafe { avx2::weight_grad_tiles(plan, xp, dpre, dw) };
            }
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

    /// Explicit AVX2 + FMA register blocks over 16 filters (two 8-lane vectors), the shape of the
    /// GEMM's 6 x 16 micro-kernel: 12 accumulators. Each output sums the same products in the
    /// same order as the portable loops compiled with FMA (bitwise the same results); what
    /// changes is the block (6 pixels or 6 taps, not 4) and, for dW, the loop order: one sample
    /// at a time through every (filter tile, tap block), its dy slice and padded image staying in
    /// L2, the partial sums stored and reloaded between samples.
    #[cfg(target_arch = "x86_64")]
    mod avx2 {
        use super::DirectPlan;
        use std::arch::x86_64::*;

        /// Filters per block (two vectors) and pixels (forward) or taps (dW) per block.
        const NF: usize = 16;
        const PB: usize = 6;
        const KB: usize = 6;
        const _: () = assert!(super::TAP_BLOCK.is_multiple_of(KB));

        /// y for filters 0..f - f % 16 of one sample; returns how many filters it wrote.
        #[target_feature(enable = "avx2,fma")]
        pub unsafe fn forward_tiles(plan: &DirectPlan, xp: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]) -> usize {
            let (f, pixels) = (plan.g.filters, plan.pixels());
            assert!(xp.len() >= plan.padded_len && y.len() >= pixels * f && w.len() >= plan.g.w_len(), "direct avx2: lengths");
            let tiled = f - f % NF;
            let full = pixels - pixels % PB;
            for f0 in (0..tiled).step_by(NF) {
                let init = match b {
                    Some(b) => [_mm256_loadu_ps(b[f0..f0 + NF].as_ptr()), _mm256_loadu_ps(b[f0 + 8..f0 + NF].as_ptr())],
                    None => [_mm256_setzero_ps(); 2],
                };
                for p0 in (0..full).step_by(PB) {
                    forward_block::<PB>(plan, xp, w, init, y, p0, f0);
                }
                match pixels - full {
                    0 => {}
                    1 => forward_block::<1>(plan, xp, w, init, y, full, f0),
                    2 => forward_block::<2>(plan, xp, w, init, y, full, f0),
                    3 => forward_block::<3>(plan, xp, w, init, y, full, f0),
                    4 => forward_block::<4>(plan, xp, w, init, y, full, f0),
                    _ => forward_block::<5>(plan, xp, w, init, y, full, f0),
                }
            }
            tiled
        }

        /// Pixels p0..p0+N, filters f0..f0+16: taps along the plan's runs (adjacent in memory),
        /// k ascending.
        #[inline(always)]
        unsafe fn forward_block<const N: usize>(
            plan: &DirectPlan,
            xp: &[f32],
            w: &[f32],
            init: [__m256; 2],
            y: &mut [f32],
            p0: usize,
            f0: usize,
        ) {
            let f = plan.g.filters;
            let mut acc = [init; N];
            let base: [*const f32; N] = std::array::from_fn(|i| xp.as_ptr().add(plan.origins[p0 + i]));
            for &(k0, off, len) in &plan.runs {
                // SAFETY (every read): origin + tap < padded_len (DirectPlan::new), and tap k's
                // weights w[k * f + f0..][..16] lie inside w (k < taps, f0 + 16 <= f).
                let mut wp = w.as_ptr().add(k0 * f + f0);
                for t in off..off + len {
                    let w0 = _mm256_loadu_ps(wp);
                    let w1 = _mm256_loadu_ps(wp.add(8));
                    for i in 0..N {
                        let v = _mm256_broadcast_ss(&*base[i].add(t));
                        acc[i][0] = _mm256_fmadd_ps(v, w0, acc[i][0]);
                        acc[i][1] = _mm256_fmadd_ps(v, w1, acc[i][1]);
                    }
                    wp = wp.add(f);
                }
            }
            for (i, a) in acc.iter().enumerate() {
                let out = y.as_mut_ptr().add((p0 + i) * f + f0);
                _mm256_storeu_ps(out, a[0]);
                _mm256_storeu_ps(out.add(8), a[1]);
            }
        }

        /// dW rows (all padded tap rows) of filters 0..f - f % 16 into `part` [taps_pad x f],
        /// summed over the samples of `xp` / `dpre`; returns how many filters it wrote.
        #[target_feature(enable = "avx2,fma")]
        pub unsafe fn weight_grad_tiles(plan: &DirectPlan, xp: &[f32], dpre: &[f32], part: &mut [f32]) -> usize {
            let (f, out_len, taps) = (plan.g.filters, plan.out_len(), plan.g.patch_len());
            // Blocks of KB taps; the tap table (and the partial's rows) reach past the last one.
            assert!(part.len() >= plan.taps.len() * f && taps.next_multiple_of(KB) <= plan.taps.len(), "direct avx2: dW lengths");
            let tiled = f - f % NF;
            for (s, (xs, ds)) in xp.chunks_exact(plan.padded_len).zip(dpre.chunks_exact(out_len)).enumerate() {
                for f0 in (0..tiled).step_by(NF) {
                    for k0 in (0..taps).step_by(KB) {
                        let offs: [usize; KB] = plan.taps[k0..k0 + KB].try_into().expect("KB taps");
                        let dst = part.as_mut_ptr().add(k0 * f + f0);
                        let mut acc = [[_mm256_setzero_ps(); 2]; KB];
                        if s > 0 {
                            for (t, a) in acc.iter_mut().enumerate() {
                                *a = [_mm256_loadu_ps(dst.add(t * f)), _mm256_loadu_ps(dst.add(t * f + 8))];
                            }
                        }
                        let mut d = ds.as_ptr().add(f0);
                        for &origin in &plan.origins {
                            // SAFETY: origin + tap < padded_len = xs.len(); d walks pixel rows of ds.
                            let (d0, d1) = (_mm256_loadu_ps(d), _mm256_loadu_ps(d.add(8)));
                            let x = xs.as_ptr().add(origin);
                            for t in 0..KB {
                                let v = _mm256_broadcast_ss(&*x.add(offs[t]));
                                acc[t][0] = _mm256_fmadd_ps(v, d0, acc[t][0]);
                                acc[t][1] = _mm256_fmadd_ps(v, d1, acc[t][1]);
                            }
                            d = d.add(f);
                        }
                        for (t, a) in acc.iter().enumerate() {
                            _mm256_storeu_ps(dst.add(t * f), a[0]);
                            _mm256_storeu_ps(dst.add(t * f + 8), a[1]);
                        }
                    }
                }
            }
            tiled
        }
    }
}
