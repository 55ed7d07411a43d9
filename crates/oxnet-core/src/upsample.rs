//! Upsampling of NHWC images by integer factors: [h, w, c] -> [h sh, w sw, c] per sample, as
//! src/layers/upSampling2d.ts defines it (Keras's UpSampling2D).
//!
//! - Nearest: y[oy, ox] = x[oy / sh, ox / sw]; backward sums each sh x sw block of dy.
//! - Bilinear (TensorFlow's resize with half_pixel_centers): output index o of an axis of n
//!   pixels and factor s samples u = (o + 0.5) / s - 0.5, clamped below at 0; lo = floor(u),
//!   hi = min(lo + 1, n - 1), t = u - lo; y = (1 - ty)((1 - tx) x[lo,lo] + tx x[lo,hi]) +
//!   ty((1 - tx) x[hi,lo] + tx x[hi,hi]). Backward is the transpose: every dy is scattered onto
//!   those four pixels with the same weights, into a zeroed dx.
//!
//! Samples run in parallel on rayon (each sample's loops are sequential and its dx rows its own,
//! so results do not depend on the thread count); small batches stay on one task.
use rayon::prelude::*;

use crate::conv::{checked_count, MAX_ELEMENTS};
use crate::error::CoreError;

/// Floats of output a rayon task handles at least (smaller batches run as one task).
const TASK_FLOATS: usize = 1 << 14;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpSample2dGeometry {
    pub in_h: usize,
    pub in_w: usize,
    pub channels: usize,
    pub size_h: usize,
    pub size_w: usize,
}

impl UpSample2dGeometry {
    pub fn out_h(&self) -> usize {
        self.in_h * self.size_h
    }
    pub fn out_w(&self) -> usize {
        self.in_w * self.size_w
    }
    pub fn in_sample_len(&self) -> usize {
        self.in_h * self.in_w * self.channels
    }
    pub fn out_sample_len(&self) -> usize {
        self.out_h() * self.out_w() * self.channels
    }

    /// Refuses zero sizes or factors and samples of more than 2^31 - 1 floats.
    pub fn validate(&self) -> Result<(), CoreError> {
        let positive = [
            ("inShape[0] (height)", self.in_h),
            ("inShape[1] (width)", self.in_w),
            ("inShape[2] (channels)", self.channels),
            ("size[0]", self.size_h),
            ("size[1]", self.size_w),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(CoreError::arg(format!("upSample2d: {name} must be at least 1, got 0")));
            }
        }
        checked_count(
            "upSample2d",
            "output sample (height*size[0]*width*size[1]*channels)",
            &[self.in_h, self.size_h, self.in_w, self.size_w, self.channels],
            MAX_ELEMENTS,
        )?;
        Ok(())
    }

    /// Samples per rayon task for a batch.
    fn samples_per_task(&self) -> usize {
        (TASK_FLOATS / self.out_sample_len().max(1)).max(1)
    }
}

/// The bilinear taps of one axis, per output index: source indices lo, hi and the weight t of hi.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AxisTaps {
    pub lo: Vec<usize>,
    pub hi: Vec<usize>,
    pub t: Vec<f32>,
}

impl AxisTaps {
    /// Taps of an axis of `n` pixels upsampled by `s` (half-pixel centers, clamped at the edges).
    pub fn bilinear(n: usize, s: usize) -> AxisTaps {
        let m = n * s;
        let mut taps = AxisTaps { lo: Vec::with_capacity(m), hi: Vec::with_capacity(m), t: Vec::with_capacity(m) };
        for o in 0..m {
            let u = ((o as f64 + 0.5) / s as f64 - 0.5).max(0.0);
            let lo = (u.floor() as usize).min(n - 1);
            taps.lo.push(lo);
            taps.hi.push((lo + 1).min(n - 1));
            taps.t.push((u - lo as f64) as f32);
        }
        taps
    }
}

fn check_lens(g: &UpSample2dGeometry, x_len: usize, y_len: usize) -> usize {
    let (in_len, out_len) = (g.in_sample_len(), g.out_sample_len());
    assert!(in_len > 0 && x_len.is_multiple_of(in_len), "upsample: x length {x_len} is not a whole batch of {in_len}");
    let n = x_len / in_len;
    assert_eq!(y_len, n * out_len, "upsample: y length");
    n
}

/// y = x with each pixel repeated in an sh x sw block.
pub fn nearest_forward(g: &UpSample2dGeometry, x: &[f32], y: &mut [f32]) {
    check_lens(g, x.len(), y.len());
    let (in_len, out_len) = (g.in_sample_len(), g.out_sample_len());
    let per = g.samples_per_task();
    y.par_chunks_mut(out_len * per).zip(x.par_chunks(in_len * per)).for_each(|(ys, xs)| {
        for (ys, xs) in ys.chunks_exact_mut(out_len).zip(xs.chunks_exact(in_len)) {
            nearest_sample(g, xs, ys);
        }
    });
}

fn nearest_sample(g: &UpSample2dGeometry, x: &[f32], y: &mut [f32]) {
    let c = g.channels;
    let out_row = g.out_w() * c;
    for (xr, block) in x.chunks_exact(g.in_w * c).zip(y.chunks_exact_mut(out_row * g.size_h)) {
        let (first, rest) = block.split_at_mut(out_row);
        for (px, cells) in xr.chunks_exact(c).zip(first.chunks_exact_mut(c * g.size_w)) {
            for cell in cells.chunks_exact_mut(c) {
                cell.copy_from_slice(px);
            }
        }
        for row in rest.chunks_exact_mut(out_row) {
            row.copy_from_slice(first);
        }
    }
}

/// dx = the sum of each pixel's sh x sw block of dy (every element written, no zeroing).
pub fn nearest_backward(g: &UpSample2dGeometry, dy: &[f32], dx: &mut [f32]) {
    check_lens(g, dx.len(), dy.len());
    let (in_len, out_len) = (g.in_sample_len(), g.out_sample_len());
    let per = g.samples_per_task();
    dx.par_chunks_mut(in_len * per).zip(dy.par_chunks(out_len * per)).for_each(|(dxs, dys)| {
        for (dxs, dys) in dxs.chunks_exact_mut(in_len).zip(dys.chunks_exact(out_len)) {
            nearest_backward_sample(g, dys, dxs);
        }
    });
}

fn nearest_backward_sample(g: &UpSample2dGeometry, dy: &[f32], dx: &mut [f32]) {
    let (c, sw) = (g.channels, g.size_w);
    let out_row = g.out_w() * c;
    for (dxr, block) in dx.chunks_exact_mut(g.in_w * c).zip(dy.chunks_exact(out_row * g.size_h)) {
        // Block rows in order, each row's sw cells in order: the js kernel's summation order.
        for (r, row) in block.chunks_exact(out_row).enumerate() {
            for (px, cells) in dxr.chunks_exact_mut(c).zip(row.chunks_exact(c * sw)) {
                let mut cells = cells.chunks_exact(c);
                if r == 0 {
                    px.copy_from_slice(cells.next().expect("sw >= 1"));
                }
                for cell in cells {
                    px.iter_mut().zip(cell).for_each(|(a, b)| *a += b);
                }
            }
        }
    }
}

/// Bilinear upsampling with the taps of [`AxisTaps::bilinear`] for the rows (`ty`) and columns (`tx`).
pub fn bilinear_forward(g: &UpSample2dGeometry, ty: &AxisTaps, tx: &AxisTaps, x: &[f32], y: &mut [f32]) {
    check_lens(g, x.len(), y.len());
    assert!(ty.lo.len() == g.out_h() && tx.lo.len() == g.out_w(), "upsample: taps");
    let (in_len, out_len) = (g.in_sample_len(), g.out_sample_len());
    let per = g.samples_per_task();
    y.par_chunks_mut(out_len * per).zip(x.par_chunks(in_len * per)).for_each(|(ys, xs)| {
        for (ys, xs) in ys.chunks_exact_mut(out_len).zip(xs.chunks_exact(in_len)) {
            bilinear_sample(g, ty, tx, xs, ys);
        }
    });
}

fn bilinear_sample(g: &UpSample2dGeometry, ty: &AxisTaps, tx: &AxisTaps, x: &[f32], y: &mut [f32]) {
    let c = g.channels;
    let in_row = g.in_w * c;
    for (oy, yr) in y.chunks_exact_mut(g.out_w() * c).enumerate() {
        let r0 = &x[ty.lo[oy] * in_row..][..in_row];
        let r1 = &x[ty.hi[oy] * in_row..][..in_row];
        let b = ty.t[oy];
        let a = 1.0 - b;
        for (ox, out) in yr.chunks_exact_mut(c).enumerate() {
            let (c0, c1) = (tx.lo[ox] * c, tx.hi[ox] * c);
            let q = tx.t[ox];
            let p = 1.0 - q;
            let (x00, x01, x10, x11) = (&r0[c0..c0 + c], &r0[c1..c1 + c], &r1[c0..c0 + c], &r1[c1..c1 + c]);
            for k in 0..c {
                out[k] = a * (p * x00[k] + q * x01[k]) + b * (p * x10[k] + q * x11[k]);
            }
        }
    }
}

/// The transpose of [`bilinear_forward`]: dx = 0, then each dy added to its four source pixels
/// with the forward's weights.
pub fn bilinear_backward(g: &UpSample2dGeometry, ty: &AxisTaps, tx: &AxisTaps, dy: &[f32], dx: &mut [f32]) {
    check_lens(g, dx.len(), dy.len());
    assert!(ty.lo.len() == g.out_h() && tx.lo.len() == g.out_w(), "upsample: taps");
    let (in_len, out_len) = (g.in_sample_len(), g.out_sample_len());
    let per = g.samples_per_task();
    dx.par_chunks_mut(in_len * per).zip(dy.par_chunks(out_len * per)).for_each(|(dxs, dys)| {
        for (dxs, dys) in dxs.chunks_exact_mut(in_len).zip(dys.chunks_exact(out_len)) {
            bilinear_backward_sample(g, ty, tx, dys, dxs);
        }
    });
}

fn bilinear_backward_sample(g: &UpSample2dGeometry, ty: &AxisTaps, tx: &AxisTaps, dy: &[f32], dx: &mut [f32]) {
    let c = g.channels;
    let in_row = g.in_w * c;
    dx.fill(0.0);
    for (oy, dyr) in dy.chunks_exact(g.out_w() * c).enumerate() {
        let (r0, r1) = (ty.lo[oy] * in_row, ty.hi[oy] * in_row);
        let b = ty.t[oy];
        let a = 1.0 - b;
        for (ox, d) in dyr.chunks_exact(c).enumerate() {
            let q = tx.t[ox];
            let p = 1.0 - q;
            let (w00, w01, w10, w11) = (a * p, a * q, b * p, b * q);
            let (i00, i01, i10, i11) = (r0 + tx.lo[ox] * c, r0 + tx.hi[ox] * c, r1 + tx.lo[ox] * c, r1 + tx.hi[ox] * c);
            // The four cells may coincide at the edges (lo == hi): indexed adds, in a fixed order.
            for (k, &v) in d.iter().enumerate() {
                dx[i00 + k] += w00 * v;
                dx[i01 + k] += w01 * v;
                dx[i10 + k] += w10 * v;
                dx[i11 + k] += w11 * v;
            }
        }
    }
}
