//! 2-D convolution, NHWC images and HWIO kernels (docs/kernels.md, "Convolution and pooling").
//!
//! `conv2d_forward` / `conv2d_backward` run the direct kernels of `direct` (what the layers use).
//! The `_im2col` variants go through im2col + GEMM instead, a second implementation the tests
//! hold the direct one against: every output pixel's receptive field becomes one
//! row of a `col` matrix [rows = batch*out_h*out_w, patch = kh*kw*in_c], laid out (ky, kx, c) so
//! that it lines up with the HWIO kernel viewed as a [patch x filters] matrix. Then
//!   forward:  y    = col · W + b
//!   backward: dW   = colᵀ · dy,  db = column sums of dy,  dcol = dy · Wᵀ, dx = col2im(dcol).
//! The caller owns `col` (scratch of `col_len()` floats) so a layer's steady state allocates nothing.

use crate::error::CoreError;
use rayon::prelude::*;

pub mod depthwise;
pub mod direct;

/// What a conv backward writes, all overwritten: dx when asked (None for a first layer, whose
/// input needs no gradient), dw, and db when the layer has a bias.
pub struct ConvGrads<'a> {
    pub dx: Option<&'a mut [f32]>,
    pub dw: &'a mut [f32],
    pub db: Option<&'a mut [f32]>,
}

/// Below this many scratch floats, per-sample rayon splitting costs more than it saves.
const PARALLEL_MIN_FLOATS: usize = 1 << 15;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dGeometry {
    pub batch: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub in_c: usize,
    pub filters: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub pad_top: usize,
    pub pad_bottom: usize,
    pub pad_left: usize,
    pub pad_right: usize,
    pub dil_h: usize,
    pub dil_w: usize,
}

/// Largest tensor either backend accepts (the js backend's limit too): 2^31 - 1 elements.
pub const MAX_ELEMENTS: usize = i32::MAX as usize;

/// Product of `factors`, refused (E_SHAPE) above `limit` or on overflow.
pub(crate) fn checked_count(op: &str, name: &str, factors: &[usize], limit: usize) -> Result<usize, CoreError> {
    factors
        .iter()
        .try_fold(1usize, |acc, &f| acc.checked_mul(f))
        .filter(|&n| n <= limit)
        .ok_or_else(|| CoreError::shape(format!("{op}: {name} = {factors:?} has more than {limit} elements")))
}

/// out = floor((in + before + after - dilation (k - 1) - 1) / stride) + 1, or None if the
/// dilated kernel does not fit in the padded input.
fn conv_out_len(input: usize, before: usize, after: usize, k: usize, stride: usize, dil: usize) -> Option<usize> {
    let padded = input.checked_add(before)?.checked_add(after)?;
    let span = dil.checked_mul(k.checked_sub(1)?)?.checked_add(1)?;
    if span > padded {
        return None;
    }
    Some((padded - span) / stride + 1)
}

impl Conv2dGeometry {
    pub fn out_h(&self) -> usize {
        conv_out_len(self.in_h, self.pad_top, self.pad_bottom, self.kh, self.stride_h, self.dil_h).unwrap_or(0)
    }
    pub fn out_w(&self) -> usize {
        conv_out_len(self.in_w, self.pad_left, self.pad_right, self.kw, self.stride_w, self.dil_w).unwrap_or(0)
    }
    /// Floats in one input sample (in_h * in_w * in_c).
    pub fn in_sample_len(&self) -> usize {
        self.in_h * self.in_w * self.in_c
    }
    /// Floats in one output sample (out_h * out_w * filters).
    pub fn out_sample_len(&self) -> usize {
        self.out_h() * self.out_w() * self.filters
    }
    pub fn x_len(&self) -> usize {
        self.batch * self.in_sample_len()
    }
    pub fn y_len(&self) -> usize {
        self.batch * self.out_sample_len()
    }
    pub fn w_len(&self) -> usize {
        self.patch_len() * self.filters
    }
    /// Length of one im2col row: kh * kw * in_c.
    pub fn patch_len(&self) -> usize {
        self.kh * self.kw * self.in_c
    }
    /// im2col rows: batch * out_h * out_w.
    pub fn rows(&self) -> usize {
        self.batch * self.out_h() * self.out_w()
    }
    /// Scratch floats the kernels need: rows * patch_len.
    pub fn col_len(&self) -> usize {
        self.rows() * self.patch_len()
    }

    /// Refuses zero sizes, strides or dilations, a dilated kernel larger than the padded input,
    /// and element counts that overflow.
    pub fn validate(&self) -> Result<(), CoreError> {
        let positive = [
            ("batch", self.batch),
            ("inShape[0] (height)", self.in_h),
            ("inShape[1] (width)", self.in_w),
            ("inShape[2] (channels)", self.in_c),
            ("filters", self.filters),
            ("kernel[0]", self.kh),
            ("kernel[1]", self.kw),
            ("strides[0]", self.stride_h),
            ("strides[1]", self.stride_w),
            ("dilation[0]", self.dil_h),
            ("dilation[1]", self.dil_w),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(CoreError::arg(format!("conv2d: {name} must be at least 1, got 0")));
            }
        }
        let oh = conv_out_len(self.in_h, self.pad_top, self.pad_bottom, self.kh, self.stride_h, self.dil_h).ok_or_else(|| {
            CoreError::shape(format!(
                "conv2d: kernel height {} with dilation {} spans more than the padded input height {} + {} + {}",
                self.kh, self.dil_h, self.in_h, self.pad_top, self.pad_bottom
            ))
        })?;
        let ow = conv_out_len(self.in_w, self.pad_left, self.pad_right, self.kw, self.stride_w, self.dil_w).ok_or_else(|| {
            CoreError::shape(format!(
                "conv2d: kernel width {} with dilation {} spans more than the padded input width {} + {} + {}",
                self.kw, self.dil_w, self.in_w, self.pad_left, self.pad_right
            ))
        })?;
        checked_count("conv2d", "x (batch*height*width*channels)", &[self.batch, self.in_h, self.in_w, self.in_c], MAX_ELEMENTS)?;
        checked_count("conv2d", "output (batch*outHeight*outWidth*filters)", &[self.batch, oh, ow, self.filters], MAX_ELEMENTS)?;
        checked_count("conv2d", "kernel (kh*kw*inChannels*filters)", &[self.kh, self.kw, self.in_c, self.filters], MAX_ELEMENTS)?;
        // The direct kernels copy every sample into a zero-padded buffer: huge paddings (from a
        // huge dilation under 'same') must be refused here, not fail an allocation (an abort).
        let padded_h = self.in_h.checked_add(self.pad_top).and_then(|v| v.checked_add(self.pad_bottom));
        let padded_w = self.in_w.checked_add(self.pad_left).and_then(|v| v.checked_add(self.pad_right));
        let (Some(padded_h), Some(padded_w)) = (padded_h, padded_w) else {
            return Err(CoreError::arg("conv2d: padded input size overflows".to_string()));
        };
        checked_count(
            "conv2d",
            "padded input (batch*paddedHeight*paddedWidth*channels)",
            &[self.batch, padded_h, padded_w, self.in_c],
            MAX_ELEMENTS,
        )?;
        // The im2col scratch may exceed 2^31 floats in principle; it only has to be addressable.
        checked_count(
            "conv2d",
            "im2col scratch (batch*outHeight*outWidth*kh*kw*inChannels)",
            &[self.batch, oh, ow, self.kh, self.kw, self.in_c],
            isize::MAX as usize / 4,
        )?;
        Ok(())
    }

    /// Checks a buffer's length against what the geometry implies.
    pub fn check_len(&self, name: &str, actual: usize, expected: usize) -> Result<(), CoreError> {
        if actual != expected {
            return Err(CoreError::shape(format!(
                "conv2d: {name} has length {actual}, expected {expected} for batch {} inShape [{}, {}, {}] kernel [{}, {}] filters {}",
                self.batch, self.in_h, self.in_w, self.in_c, self.kh, self.kw, self.filters
            )));
        }
        Ok(())
    }
}

/// Fills `col` [rows x patch] with the receptive fields of `x`; padded cells become 0.
pub fn im2col(g: &Conv2dGeometry, x: &[f32], col: &mut [f32]) {
    let (oh, ow) = (g.out_h(), g.out_w());
    let sample_col = oh * ow * g.patch_len();
    let sample_x = g.in_sample_len();
    let col = &mut col[..g.col_len()];
    let one = |(n, c): (usize, &mut [f32])| im2col_sample(g, &x[n * sample_x..(n + 1) * sample_x], c);
    if g.batch > 1 && col.len() >= PARALLEL_MIN_FLOATS {
        col.par_chunks_mut(sample_col).enumerate().for_each(one);
    } else {
        col.chunks_mut(sample_col).enumerate().for_each(one);
    }
}

fn im2col_sample(g: &Conv2dGeometry, x: &[f32], col: &mut [f32]) {
    let (oh, ow, c) = (g.out_h(), g.out_w(), g.in_c);
    let row_stride = g.in_w * c;
    let mut rows = col.chunks_exact_mut(g.patch_len());
    for oy in 0..oh {
        for ox in 0..ow {
            let row = rows.next().expect("col sized by geometry");
            let mut cells = row.chunks_exact_mut(c);
            for ky in 0..g.kh {
                let iy = (oy * g.stride_h + ky * g.dil_h) as isize - g.pad_top as isize;
                for kx in 0..g.kw {
                    let cell = cells.next().expect("patch sized by geometry");
                    let ix = (ox * g.stride_w + kx * g.dil_w) as isize - g.pad_left as isize;
                    if iy < 0 || ix < 0 || iy as usize >= g.in_h || ix as usize >= g.in_w {
                        cell.fill(0.0);
                    } else {
                        let at = iy as usize * row_stride + ix as usize * c;
                        cell.copy_from_slice(&x[at..at + c]);
                    }
                }
            }
        }
    }
}

/// Adds each row of `col` back onto the input cells it was read from (the adjoint of im2col).
pub fn col2im(g: &Conv2dGeometry, col: &[f32], dx: &mut [f32]) {
    let (oh, ow) = (g.out_h(), g.out_w());
    let sample_col = oh * ow * g.patch_len();
    let sample_x = g.in_sample_len();
    let dx = &mut dx[..g.x_len()];
    let one = |(n, d): (usize, &mut [f32])| col2im_sample(g, &col[n * sample_col..(n + 1) * sample_col], d);
    if g.batch > 1 && g.col_len() >= PARALLEL_MIN_FLOATS {
        dx.par_chunks_mut(sample_x).enumerate().for_each(one);
    } else {
        dx.chunks_mut(sample_x).enumerate().for_each(one);
    }
}

fn col2im_sample(g: &Conv2dGeometry, col: &[f32], dx: &mut [f32]) {
    let (oh, ow, c) = (g.out_h(), g.out_w(), g.in_c);
    let row_stride = g.in_w * c;
    dx.fill(0.0);
    let mut rows = col.chunks_exact(g.patch_len());
    for oy in 0..oh {
        for ox in 0..ow {
            let row = rows.next().expect("col sized by geometry");
            let mut cells = row.chunks_exact(c);
            for ky in 0..g.kh {
                let iy = (oy * g.stride_h + ky * g.dil_h) as isize - g.pad_top as isize;
                for kx in 0..g.kw {
                    let cell = cells.next().expect("patch sized by geometry");
                    let ix = (ox * g.stride_w + kx * g.dil_w) as isize - g.pad_left as isize;
                    if iy < 0 || ix < 0 || iy as usize >= g.in_h || ix as usize >= g.in_w {
                        continue;
                    }
                    let at = iy as usize * row_stride + ix as usize * c;
                    for (d, v) in dx[at..at + c].iter_mut().zip(cell) {
                        *d += v;
                    }
                }
            }
        }
    }
}

/// A row-major or transposed view of a matrix for `matmul`: (data, row stride, column stride).
struct View<'a>(&'a [f32], usize, usize);

/// dst[m x n] (row-major) = [dst +] a[m x k] · b[k x n], through our GEMM's strided entry.
fn matmul(m: usize, n: usize, k: usize, dst: &mut [f32], accumulate: bool, a: View, b: View) {
    let a = crate::gemm::View { data: a.0, rs: a.1, cs: a.2 };
    let b = crate::gemm::View { data: b.0, rs: b.1, cs: b.2 };
    crate::gemm::gemm_views(m, k, n, a, b, dst, accumulate);
}

/// y[batch, oh, ow, filters] = conv(x, w) + b, by the direct kernels or im2col + GEMM as
/// `Paths` picks for the shape. The geometry must have passed `validate()`; buffer lengths are
/// asserted.
pub fn conv2d_forward(g: &Conv2dGeometry, x: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]) {
    if Paths::for_shape(g).within_limit(g).forward_im2col {
        let mut col = vec![0.0; g.col_len()];
        return conv2d_forward_im2col(g, x, w, b, &mut col, y);
    }
    conv2d_forward_direct(g, x, w, b, y);
}

/// Gradients of conv2d: dx (skipped when None, e.g. for a first layer), dw, and db (when the
/// layer has a bias), all overwritten; by the direct kernels or im2col + GEMM as `Paths` picks.
pub fn conv2d_backward(g: &Conv2dGeometry, x: &[f32], w: &[f32], dy: &[f32], grads: ConvGrads<'_>) {
    if let Some(dx) = &grads.dx {
        assert_eq!(dx.len(), g.x_len(), "conv2d_backward: dx length");
    }
    if Paths::for_shape(g).within_limit(g).backward_im2col {
        let mut col = vec![0.0; g.col_len()];
        return conv2d_backward_im2col(g, x, w, dy, &mut col, grads);
    }
    conv2d_backward_direct(g, x, w, dy, grads);
}

/// conv2d_backward by the direct kernels whatever the shape (the reference the tests hold the
/// im2col path to).
pub fn conv2d_backward_direct(g: &Conv2dGeometry, x: &[f32], w: &[f32], dy: &[f32], grads: ConvGrads<'_>) {
    let (plan, mut scratch) = padded(g, x);
    direct::backward(&plan, &mut scratch, w, dy, None, grads);
}

/// conv2d_forward by the direct kernels whatever the shape.
pub fn conv2d_forward_direct(g: &Conv2dGeometry, x: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]) {
    let (plan, scratch) = padded(g, x);
    direct::forward(&plan, &scratch, w, b, y, None);
}

/// The direct kernels' plan for `g` and a scratch holding the padded batch `x`.
fn padded(g: &Conv2dGeometry, x: &[f32]) -> (direct::DirectPlan, direct::DirectScratch) {
    let plan = direct::DirectPlan::new(g);
    let mut scratch = direct::DirectScratch::default();
    scratch.pad_input(&plan, g.batch, x);
    (plan, scratch)
}

/// Which implementation each direction of a conv layer uses, fixed by its shape (so results do not
/// depend on the batch or the machine's load). From `cargo bench -p oxnet-core --bench conv` on
/// AVX-512 and AVX2: the direct kernels win on few channels and large images (W3: 3-20x), im2col +
/// GEMM on deep patches and small images (7x7x128 k3 f128: ~1.5x forward, ~2x backward, measured
/// before the direct kernels got their AVX2 6 x 16 blocks).
/// With those blocks (`-- w7`, 2-core Zen 1, AVX2, one thread, GFLOP/s per CPU second, best of
/// 3, our GEMM n=1024 at 26-30; direct / im2col, ranges over two runs on a loaded machine):
///
/// | W7 layer, batch 32      | forward         | dW              | dx              |
/// |-------------------------|-----------------|-----------------|-----------------|
/// | 32x32x3 f64             | 24-26 / 10-15   | 21 / 10-12      | (first layer)   |
/// | 32x32x64 f64            | 28-32 / 21      | 23-25 / 21      | 22-40 / 16-20   |
/// | 16x16x64 f128           | 30-32 / 24-26   | 27-31 / 24-28   | 31-34 / 23      |
/// | 16x16x128 f128          | 16-29 / 23-26   | 22-24 / 18-24   | 33-44 / 20-28   |
/// | 8x8x128 f256            | 20-30 / 27-28   | 18-23 / 26-30   | 18-51 / 23-29   |
///
/// So on AVX2 the direct kernels win or tie except dW on 8x8x128 f256; the rule below is left as
/// the AVX-512 measurements set it (their GEMM is twice as wide, the direct kernels are not), and
/// at W7's batch of 128 `within_limit` sends every layer but the last to the direct kernels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Paths {
    pub forward_im2col: bool,
    pub backward_im2col: bool,
}

impl Paths {
    /// The paths for a layer of this shape (the batch in `g` does not matter).
    pub fn for_shape(g: &Conv2dGeometry) -> Paths {
        let (patch, pixels) = (g.patch_len(), g.out_h() * g.out_w());
        Paths { forward_im2col: patch >= 1024 || (patch >= 512 && pixels <= 64), backward_im2col: patch >= 512 && g.filters >= 64 }
    }

    /// These paths for the batch in `g`, falling back to direct when its im2col matrix would
    /// exceed MAX_COL floats.
    pub fn within_limit(self, g: &Conv2dGeometry) -> Paths {
        if g.col_len() > MAX_COL {
            Paths { forward_im2col: false, backward_im2col: false }
        } else {
            self
        }
    }
}

/// Largest im2col matrix (floats) a call builds: 64 MB. A batch whose matrix would be larger runs
/// the direct kernels, which need only a padded copy of the input.
const MAX_COL: usize = 16 << 20;

/// y = conv(x, w) + b through im2col + GEMM. `col` is scratch of at least `g.col_len()` floats.
pub fn conv2d_forward_im2col(g: &Conv2dGeometry, x: &[f32], w: &[f32], b: Option<&[f32]>, col: &mut [f32], y: &mut [f32]) {
    assert_lengths(g, x, w, col);
    assert_eq!(y.len(), g.y_len(), "conv2d_forward: y length");
    im2col(g, x, col);
    conv2d_forward_from_col(g, col, w, b, y);
}

/// The GEMM half of the forward pass, for a `col` already filled by `im2col`.
pub fn conv2d_forward_from_col(g: &Conv2dGeometry, col: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]) {
    let (rows, patch, f) = (g.rows(), g.patch_len(), g.filters);
    if let Some(b) = b {
        assert_eq!(b.len(), f, "conv2d_forward: bias length");
        for row in y.chunks_exact_mut(f) {
            row.copy_from_slice(b);
        }
    }
    let a = View(&col[..rows * patch], patch, 1);
    matmul(rows, f, patch, y, b.is_some(), a, View(w, f, 1));
}

/// Gradients of conv2d through im2col + GEMM, as `conv2d_backward`. `col` is scratch of at least
/// `g.col_len()` floats.
pub fn conv2d_backward_im2col(g: &Conv2dGeometry, x: &[f32], w: &[f32], dy: &[f32], col: &mut [f32], grads: ConvGrads<'_>) {
    assert_lengths(g, x, w, col);
    im2col(g, x, col);
    conv2d_backward_from_col(g, col, w, dy, grads);
}

/// Backward for a `col` that already holds im2col(x) (kept from the forward pass). `col` is
/// reused as the dcol scratch, so it no longer holds im2col(x) afterwards when dx is asked for.
pub fn conv2d_backward_from_col(g: &Conv2dGeometry, col: &mut [f32], w: &[f32], dy: &[f32], grads: ConvGrads<'_>) {
    let ConvGrads { dx, dw, db } = grads;
    let (rows, patch, f) = (g.rows(), g.patch_len(), g.filters);
    assert_eq!(dy.len(), g.y_len(), "conv2d_backward: dy length");
    assert_eq!(dw.len(), g.w_len(), "conv2d_backward: dw length");
    let col = &mut col[..rows * patch];
    // dW[patch x f] = colᵀ · dy: colᵀ is col read with swapped strides.
    matmul(patch, f, rows, dw, false, View(col, 1, patch), View(dy, f, 1));
    if let Some(db) = db {
        assert_eq!(db.len(), f, "conv2d_backward: db length");
        db.fill(0.0);
        for row in dy.chunks_exact(f) {
            for (s, v) in db.iter_mut().zip(row) {
                *s += v;
            }
        }
    }
    if let Some(dx) = dx {
        assert_eq!(dx.len(), g.x_len(), "conv2d_backward: dx length");
        // dcol[rows x patch] = dy · Wᵀ, written over col (no longer needed after dW).
        matmul(rows, patch, f, col, false, View(dy, f, 1), View(w, 1, f));
        col2im(g, col, dx);
    }
}

/// The data gradient alone through GEMM + col2im: dx = col2im(dy · Wᵀ), overwritten (what a
/// transposed convolution's forward is). `col` is scratch of at least `g.col_len()` floats.
pub fn conv2d_input_grad_im2col(g: &Conv2dGeometry, w: &[f32], dy: &[f32], col: &mut [f32], dx: &mut [f32]) {
    let (rows, patch, f) = (g.rows(), g.patch_len(), g.filters);
    assert_eq!(w.len(), g.w_len(), "conv2d: w length");
    assert_eq!(dy.len(), g.y_len(), "conv2d: dy length");
    assert_eq!(dx.len(), g.x_len(), "conv2d: dx length");
    let col = &mut col[..rows * patch];
    matmul(rows, patch, f, col, false, View(dy, f, 1), View(w, 1, f));
    col2im(g, col, dx);
}

/// dW alone, overwritten, for a `col` holding im2col(x): dW = colᵀ · dy.
pub fn conv2d_weight_grad_from_col(g: &Conv2dGeometry, col: &[f32], dy: &[f32], dw: &mut [f32]) {
    let (rows, patch, f) = (g.rows(), g.patch_len(), g.filters);
    assert_eq!(dy.len(), g.y_len(), "conv2d: dy length");
    assert_eq!(dw.len(), g.w_len(), "conv2d: dw length");
    matmul(patch, f, rows, dw, false, View(&col[..rows * patch], 1, patch), View(dy, f, 1));
}

/// Per-channel sums of `d` (rows of `width`) into `out`, deterministically: partial sums over
/// chunks of `chunk` rows in parallel (in `parts`, kept by the caller), then added in chunk order.
pub fn channel_sums(d: &[f32], width: usize, chunk: usize, parts: &mut Vec<f32>, out: &mut [f32]) {
    assert_eq!(out.len(), width, "channel_sums: out length");
    let rows = d.len() / width;
    let chunks = rows.div_ceil(chunk).max(1);
    parts.resize(chunks * width, 0.0);
    parts.par_chunks_mut(width).zip(d.par_chunks(chunk * width)).for_each(|(part, rows)| {
        part.fill(0.0);
        for row in rows.chunks_exact(width) {
            part.iter_mut().zip(row).for_each(|(a, v)| *a += v);
        }
    });
    if rows == 0 {
        parts[..width].fill(0.0);
    }
    let (first, rest) = parts.split_at(width);
    out.copy_from_slice(first);
    for part in rest.chunks_exact(width) {
        out.iter_mut().zip(part).for_each(|(a, v)| *a += v);
    }
}

fn assert_lengths(g: &Conv2dGeometry, x: &[f32], w: &[f32], col: &[f32]) {
    assert_eq!(x.len(), g.x_len(), "conv2d: x length");
    assert_eq!(w.len(), g.w_len(), "conv2d: w length");
    assert!(col.len() >= g.col_len(), "conv2d: col scratch too short");
}
