//! Depthwise convolution, NHWC, kernel [kh, kw, c, m]: output channel o = i * m + j is input
//! channel i under filter j. Each sample is copied once into a zero-padded, channel-EXPANDED
//! buffer (channel i repeated m times, so element o of a pixel is the input of output channel o);
//! then every output channel reads its own lane and the loops run along contiguous channels:
//!   forward:  y[p, o]  = b[o] + sum_t xe[origin(p) + tap(t) + o] W[t, o]       (then the activation)
//!   backward: dW[t, o] = sum_(n, p) xe[origin(p) + tap(t) + o] dpre[p, o]      db[o] = sum dpre[p, o]
//!             dxe[origin(p) + tap(t) + o] += dpre[p, o] W[t, o]   dx[i] = sum_j interior of dxe[i*m + j]
//! Register tiles of output channels (16, 8, 1) by pixels (forward) or taps (dW), like
//! conv/direct.rs. Samples run in parallel on rayon; dW and db are summed per task of
//! SAMPLES_PER_TASK samples, then over tasks in task order, so any thread count gives bitwise the
//! same results. x86-64 with AVX2 and FMA (checked at run time) gets the loops compiled for them.

use super::direct::SAMPLES_PER_TASK;
use super::{Conv2dGeometry, ConvGrads};
use crate::activation;
use crate::spec::ActivationSpec;
use rayon::prelude::*;

/// Index tables of one depthwise geometry; independent of the batch size.
pub struct DepthwisePlan {
    /// The window geometry (`in_c` channels; `filters` is the multiplier, unused here).
    g: Conv2dGeometry,
    m: usize,
    /// Output channels: in_c * m.
    cm: usize,
    padded_w: usize,
    /// Floats in one padded, expanded sample.
    padded_len: usize,
    /// Offset of tap t = ky * kw + kx from a window's origin (in expanded floats).
    taps: Vec<usize>,
    /// Offset of output pixel p's window origin in the padded sample.
    origins: Vec<usize>,
}

impl DepthwisePlan {
    /// `g` (in_c channels, filters = the depth multiplier) must have passed `validate()`.
    pub fn new(g: &Conv2dGeometry) -> Self {
        let (m, cm) = (g.filters, g.in_c * g.filters);
        let (padded_h, padded_w) = (g.in_h + g.pad_top + g.pad_bottom, g.in_w + g.pad_left + g.pad_right);
        let row = padded_w * cm;
        let taps: Vec<usize> = (0..g.kh).flat_map(|ky| (0..g.kw).map(move |kx| ky * g.dil_h * row + kx * g.dil_w * cm)).collect();
        let (oh, ow) = (g.out_h(), g.out_w());
        let origins: Vec<usize> = (0..oh * ow).map(|p| (p / ow) * g.stride_h * row + (p % ow) * g.stride_w * cm).collect();
        let padded_len = padded_h * row;
        // Every read stays inside the padded sample (the output size formula guarantees it).
        let last = origins.last().copied().unwrap_or(0) + taps.last().copied().unwrap_or(0) + cm;
        assert!(last <= padded_len, "depthwise conv: window reaches past the padded input");
        DepthwisePlan { g: *g, m, cm, padded_w, padded_len, taps, origins }
    }

    /// Floats in one output sample.
    pub fn out_len(&self) -> usize {
        self.origins.len() * self.cm
    }
    /// Floats in one input sample.
    pub fn in_len(&self) -> usize {
        self.g.in_sample_len()
    }
    /// Floats in the kernel: kh * kw * c * m.
    pub fn w_len(&self) -> usize {
        self.taps.len() * self.cm
    }
    /// Output channels per pixel: c * m.
    pub fn channels(&self) -> usize {
        self.cm
    }

    /// Offset of input pixel (iy, ix)'s channels in the padded sample.
    fn interior(&self, iy: usize, ix: usize) -> usize {
        ((iy + self.g.pad_top) * self.padded_w + ix + self.g.pad_left) * self.cm
    }

    /// Copies sample `x` into `xe` (padded_len floats): border 0, channel i repeated m times.
    fn expand(&self, x: &[f32], xe: &mut [f32]) {
        let (c, m, w) = (self.g.in_c, self.m, self.g.in_w);
        xe.fill(0.0);
        for (iy, row) in x.chunks_exact(w * c).enumerate() {
            let at = self.interior(iy, 0);
            let dst = &mut xe[at..at + w * c * m];
            if m == 1 {
                dst.copy_from_slice(row);
            } else {
                for (d, &v) in dst.chunks_exact_mut(m).zip(row) {
                    d.fill(v);
                }
            }
        }
    }

    /// dx of one sample from its padded, expanded gradient: the m lanes of each channel summed.
    fn fold(&self, dxe: &[f32], dx: &mut [f32]) {
        let (c, m, w) = (self.g.in_c, self.m, self.g.in_w);
        for (iy, row) in dx.chunks_exact_mut(w * c).enumerate() {
            let at = self.interior(iy, 0);
            let src = &dxe[at..at + w * c * m];
            if m == 1 {
                row.copy_from_slice(src);
            } else {
                for (d, s) in row.iter_mut().zip(src.chunks_exact(m)) {
                    *d = s.iter().sum();
                }
            }
        }
    }
}

/// Buffers the depthwise kernels keep between calls (an op owns one): steady-state batches
/// allocate nothing.
#[derive(Default)]
pub struct DepthwiseScratch {
    /// Padded, expanded input batch of the last `expand_input`.
    expanded: Vec<f32>,
    dpre: Vec<f32>,
    dw_parts: Vec<f32>,
    db_parts: Vec<f32>,
    /// Per task: one padded, expanded sample of dx.
    dxe: Vec<f32>,
}

impl DepthwiseScratch {
    /// Expands the `n` samples of `x` for `forward` and `backward`.
    pub fn expand_input(&mut self, plan: &DepthwisePlan, n: usize, x: &[f32]) {
        let (len, in_len) = (plan.padded_len, plan.in_len());
        assert_eq!(x.len(), n * in_len, "depthwiseConv2d: x length");
        self.expanded.resize(n * len, 0.0);
        self.expanded.par_chunks_mut(len).zip(x.par_chunks(in_len)).for_each(|(xe, xs)| plan.expand(xs, xe));
    }

    /// Samples held by the last `expand_input`.
    pub fn samples(&self, plan: &DepthwisePlan) -> usize {
        self.expanded.len() / plan.padded_len
    }
}

/// `out` = depthwise(x, w) + b for the batch last given to `expand_input`; with `post`, also
/// post.1 = activation(out), per sample while it is in cache.
pub fn forward(
    plan: &DepthwisePlan,
    scratch: &DepthwiseScratch,
    w: &[f32],
    b: Option<&[f32]>,
    out: &mut [f32],
    post: Option<(&ActivationSpec, &mut [f32])>,
) {
    let (cm, out_len) = (plan.cm, plan.out_len());
    let n = scratch.samples(plan);
    assert_eq!(w.len(), plan.w_len(), "depthwiseConv2d: w length");
    assert_eq!(out.len(), n * out_len, "depthwiseConv2d: y length");
    if let Some(b) = b {
        assert_eq!(b.len(), cm, "depthwiseConv2d: bias length");
    }
    let samples = scratch.expanded.par_chunks(plan.padded_len).zip(out.par_chunks_mut(out_len));
    match post {
        None => samples.for_each(|(xe, y)| kernels::forward_sample(plan, xe, w, b, y)),
        Some((act, act_out)) => {
            assert_eq!(act_out.len(), n * out_len, "depthwiseConv2d: activation output length");
            samples.zip(act_out.par_chunks_mut(out_len)).for_each(|((xe, pre), y)| {
                kernels::forward_sample(plan, xe, w, b, pre);
                activation::forward_unchecked(act, pre, cm, y);
            });
        }
    }
}

/// Gradients for the batch last given to `expand_input`: dw and db (overwritten), dx when asked.
/// `post` as conv/direct.rs: dy is dL/d(activation(out)) with the forward's (out, activation(out)).
pub fn backward(
    plan: &DepthwisePlan,
    scratch: &mut DepthwiseScratch,
    w: &[f32],
    dy: &[f32],
    post: super::direct::Post,
    grads: ConvGrads<'_>,
) {
    let ConvGrads { dx, dw, db } = grads;
    let (cm, out_len, in_len, w_len) = (plan.cm, plan.out_len(), plan.in_len(), plan.w_len());
    let n = scratch.samples(plan);
    assert_eq!(dy.len(), n * out_len, "depthwiseConv2d: dy length");
    assert_eq!(dw.len(), w_len, "depthwiseConv2d: dw length");
    let tasks = n.div_ceil(SAMPLES_PER_TASK);
    let per_task = SAMPLES_PER_TASK * out_len;
    let s = scratch;
    s.dw_parts.resize(tasks * w_len, 0.0);
    s.db_parts.resize(tasks * cm, 0.0);
    if post.is_some() {
        s.dpre.resize(n * out_len, 0.0);
    }
    if let Some(dx) = &dx {
        assert_eq!(dx.len(), n * in_len, "depthwiseConv2d: dx length");
        s.dxe.resize(tasks * plan.padded_len, 0.0);
    }
    let dxe = if dx.is_some() { Some(&mut s.dxe[..]) } else { None };
    let posts = match post {
        Some((act, pre, y)) => {
            rayon::iter::Either::Left(pre.par_chunks(per_task).zip(y.par_chunks(per_task)).map(move |(p, y)| Some((act, p, y))))
        }
        None => rayon::iter::Either::Right(rayon::iter::repeat_n((), tasks).map(|_| None)),
    };
    let dpre = if post.is_some() { Some(&mut s.dpre[..]) } else { None };
    let expanded = &s.expanded;
    (
        dy.par_chunks(per_task),
        posts,
        super::direct::opt_chunks(dpre, per_task, tasks),
        s.dw_parts.par_chunks_mut(w_len),
        s.db_parts.par_chunks_mut(cm),
        super::direct::opt_chunks(dx, SAMPLES_PER_TASK * in_len, tasks),
        super::direct::opt_chunks(dxe, plan.padded_len, tasks),
    )
        .into_par_iter()
        .enumerate()
        .for_each(|(t, (dy, post, dpre, dw, db, dx, dxe))| {
            let d: &[f32] = match (post, dpre) {
                (Some((act, pre, y)), Some(dpre)) => {
                    let dpre = &mut dpre[..dy.len()];
                    activation::backward_unchecked(act, pre, y, dy, cm, dpre);
                    dpre
                }
                _ => dy,
            };
            let count = d.len() / out_len;
            let first = t * SAMPLES_PER_TASK;
            let xe = &expanded[first * plan.padded_len..(first + count) * plan.padded_len];
            kernels::weight_grad(plan, xe, d, dw);
            db.fill(0.0);
            for row in d.chunks_exact(cm) {
                db.iter_mut().zip(row).for_each(|(a, v)| *a += v);
            }
            if let (Some(dx), Some(dxe)) = (dx, dxe) {
                for (ds, dxs) in d.chunks_exact(out_len).zip(dx.chunks_exact_mut(in_len)) {
                    dxe.fill(0.0);
                    kernels::input_grad(plan, ds, w, dxe);
                    plan.fold(dxe, dxs);
                }
            }
        });
    // Sum the per-task partials in task order.
    sum_parts(&s.dw_parts, dw);
    if let Some(db) = db {
        assert_eq!(db.len(), cm, "depthwiseConv2d: db length");
        sum_parts(&s.db_parts, db);
    }
}

/// out = the sum of the `out.len()`-long parts of `parts`, in order.
fn sum_parts(parts: &[f32], out: &mut [f32]) {
    let (first, rest) = parts.split_at(out.len());
    out.copy_from_slice(first);
    for part in rest.chunks_exact(out.len()) {
        out.iter_mut().zip(part).for_each(|(a, v)| *a += v);
    }
}

/// The register-blocked loops, compiled twice: plainly, and for AVX2 + FMA when the CPU has them.
mod kernels {
    use super::DepthwisePlan;

    #[cfg(target_arch = "x86_64")]
    fn has_fma() -> bool {
        crate::fastmath::has_avx2_fma()
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

    dispatch!(forward_sample(plan: &DepthwisePlan, xe: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]));
    dispatch!(weight_grad(plan: &DepthwisePlan, xe: &[f32], dpre: &[f32], dw: &mut [f32]));
    dispatch!(input_grad(plan: &DepthwisePlan, dpre: &[f32], w: &[f32], dxe: &mut [f32]));

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

        /// One sample's output: channel tiles of 16, 8, then single channels.
        #[inline(always)]
        pub fn forward_sample<const FMA: bool>(plan: &DepthwisePlan, xe: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]) {
            let cm = plan.cm;
            let mut o0 = 0;
            while o0 < cm {
                o0 += match cm - o0 {
                    16.. => forward_tile::<4, 16, FMA>(plan, xe, w, b, y, o0),
                    8.. => forward_tile::<8, 8, FMA>(plan, xe, w, b, y, o0),
                    _ => forward_tile::<8, 1, FMA>(plan, xe, w, b, y, o0),
                };
            }
        }

        /// Channels o0..o0+NF of every pixel: PB pixels at a time, then the leftover pixels singly.
        #[inline(always)]
        fn forward_tile<const PB: usize, const NF: usize, const FMA: bool>(
            plan: &DepthwisePlan,
            xe: &[f32],
            w: &[f32],
            b: Option<&[f32]>,
            y: &mut [f32],
            o0: usize,
        ) -> usize {
            let pixels = plan.origins.len();
            let full = pixels - pixels % PB;
            let init: [f32; NF] = b.map_or([0.0; NF], |b| load(b, o0));
            for p0 in (0..full).step_by(PB) {
                forward_block::<PB, NF, FMA>(plan, xe, w, init, y, p0, o0);
            }
            for p0 in full..pixels {
                forward_block::<1, NF, FMA>(plan, xe, w, init, y, p0, o0);
            }
            NF
        }

        #[inline(always)]
        fn forward_block<const PB: usize, const NF: usize, const FMA: bool>(
            plan: &DepthwisePlan,
            xe: &[f32],
            w: &[f32],
            init: [f32; NF],
            y: &mut [f32],
            p0: usize,
            o0: usize,
        ) {
            let cm = plan.cm;
            let origins: [usize; PB] = plan.origins[p0..p0 + PB].try_into().expect("PB origins");
            let mut acc = [init; PB];
            for (t, &tap) in plan.taps.iter().enumerate() {
                let wt: [f32; NF] = load(w, t * cm + o0);
                for p in 0..PB {
                    let xv: [f32; NF] = load(xe, origins[p] + tap + o0);
                    for j in 0..NF {
                        acc[p][j] = madd::<FMA>(xv[j], wt[j], acc[p][j]);
                    }
                }
            }
            for (p, a) in acc.iter().enumerate() {
                y[(p0 + p) * cm + o0..][..NF].copy_from_slice(a);
            }
        }

        /// dW (overwritten) of the samples in `xe` / `dpre`: channel tiles as in forward, taps in
        /// blocks of 4 (then 2, 1), every block summing pixel by pixel in one fixed order.
        #[inline(always)]
        pub fn weight_grad<const FMA: bool>(plan: &DepthwisePlan, xe: &[f32], dpre: &[f32], dw: &mut [f32]) {
            let cm = plan.cm;
            let mut o0 = 0;
            while o0 < cm {
                let nf = match cm - o0 {
                    16.. => 16,
                    8.. => 8,
                    _ => 1,
                };
                let mut t0 = 0;
                while t0 < plan.taps.len() {
                    t0 += match (nf, plan.taps.len() - t0) {
                        (16, 4..) => weight_grad_block::<4, 16, FMA>(plan, xe, dpre, dw, t0, o0),
                        (16, 2..) => weight_grad_block::<2, 16, FMA>(plan, xe, dpre, dw, t0, o0),
                        (16, _) => weight_grad_block::<1, 16, FMA>(plan, xe, dpre, dw, t0, o0),
                        (8, 4..) => weight_grad_block::<4, 8, FMA>(plan, xe, dpre, dw, t0, o0),
                        (8, 2..) => weight_grad_block::<2, 8, FMA>(plan, xe, dpre, dw, t0, o0),
                        (8, _) => weight_grad_block::<1, 8, FMA>(plan, xe, dpre, dw, t0, o0),
                        (_, 4..) => weight_grad_block::<4, 1, FMA>(plan, xe, dpre, dw, t0, o0),
                        (_, 2..) => weight_grad_block::<2, 1, FMA>(plan, xe, dpre, dw, t0, o0),
                        (_, _) => weight_grad_block::<1, 1, FMA>(plan, xe, dpre, dw, t0, o0),
                    };
                }
                o0 += nf;
            }
        }

        #[inline(always)]
        fn weight_grad_block<const KB: usize, const NF: usize, const FMA: bool>(
            plan: &DepthwisePlan,
            xe: &[f32],
            dpre: &[f32],
            dw: &mut [f32],
            t0: usize,
            o0: usize,
        ) -> usize {
            let (cm, out_len) = (plan.cm, plan.out_len());
            let offs: [usize; KB] = plan.taps[t0..t0 + KB].try_into().expect("KB taps");
            let mut acc = [[0.0f32; NF]; KB];
            for (xs, ds) in xe.chunks_exact(plan.padded_len).zip(dpre.chunks_exact(out_len)) {
                for (p, &origin) in plan.origins.iter().enumerate() {
                    let d: [f32; NF] = load(ds, p * cm + o0);
                    for t in 0..KB {
                        let xv: [f32; NF] = load(xs, origin + offs[t] + o0);
                        for j in 0..NF {
                            acc[t][j] = madd::<FMA>(xv[j], d[j], acc[t][j]);
                        }
                    }
                }
            }
            for (t, a) in acc.iter().enumerate() {
                dw[(t0 + t) * cm + o0..][..NF].copy_from_slice(a);
            }
            KB
        }

        /// Adds one sample's gradient into its padded, expanded buffer: per pixel and channel tile,
        /// its dpre held in registers, each tap's kernel row times it onto the tap's window cell
        /// (a fixed-width tile: 2x faster than a loop over all the channels per tap, and 2x
        /// faster than taps outside the pixel loop, on a 28x28x32 k3 sample).
        #[inline(always)]
        pub fn input_grad<const FMA: bool>(plan: &DepthwisePlan, dpre: &[f32], w: &[f32], dxe: &mut [f32]) {
            let cm = plan.cm;
            let (full16, full8) = (cm - cm % 16, cm - cm % 8);
            for (&origin, d) in plan.origins.iter().zip(dpre.chunks_exact(cm)) {
                for o0 in (0..full16).step_by(16) {
                    input_grad_tile::<16, FMA>(plan, d, w, dxe, origin, o0);
                }
                for o0 in (full16..full8).step_by(8) {
                    input_grad_tile::<8, FMA>(plan, d, w, dxe, origin, o0);
                }
                for o0 in full8..cm {
                    input_grad_tile::<1, FMA>(plan, d, w, dxe, origin, o0);
                }
            }
        }

        #[inline(always)]
        fn input_grad_tile<const NF: usize, const FMA: bool>(
            plan: &DepthwisePlan,
            d: &[f32],
            w: &[f32],
            dxe: &mut [f32],
            origin: usize,
            o0: usize,
        ) {
            let cm = plan.cm;
            let dv: [f32; NF] = load(d, o0);
            for (t, &tap) in plan.taps.iter().enumerate() {
                let wt: [f32; NF] = load(w, t * cm + o0);
                let cell: &mut [f32; NF] = (&mut dxe[origin + tap + o0..][..NF]).try_into().expect("NF floats");
                for j in 0..NF {
                    cell[j] = madd::<FMA>(dv[j], wt[j], cell[j]);
                }
            }
        }
    }
}
