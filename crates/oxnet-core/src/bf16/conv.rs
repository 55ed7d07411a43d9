//! conv2d's products in bfloat16 (see the module above) through im2col + the bfloat16 GEMM, a
//! chunk of samples at a time so the column matrix stays under CHUNK_FLOATS: y = col · K,
//! dK = colᵀ · dy (the chunks continue one multiply-add chain per element, so the result is that
//! of one product over the whole batch), dx = col2im(dy · Kᵀ). db stays the f32 sums of dy.
use crate::conv::{col2im, im2col, Conv2dGeometry, ConvGrads};
use crate::dense::column_sums;
use crate::gemm::View;

use super::gemm::gemm_views;

/// Largest im2col matrix of one chunk: 16 MB of f32.
const CHUNK_FLOATS: usize = 4 << 20;

/// The column matrix of the current chunk, kept between calls.
#[derive(Default)]
pub struct Scratch {
    col: Vec<f32>,
}

/// Samples per chunk for this geometry (at least one).
fn chunk(g: &Conv2dGeometry) -> usize {
    let per_sample = g.out_h() * g.out_w() * g.patch_len();
    (CHUNK_FLOATS / per_sample.max(1)).clamp(1, g.batch.max(1))
}

/// y = conv(x, bf16(K)) over bf16(x), overwritten; no bias (the op adds it with the activation).
/// `g` has passed validate(); buffer lengths are asserted.
pub fn forward(g: &Conv2dGeometry, x: &[f32], w: &[f32], s: &mut Scratch, y: &mut [f32]) {
    assert!(x.len() == g.x_len() && w.len() == g.w_len() && y.len() == g.y_len(), "bf16 conv2d forward: lengths");
    let (patch, f, xs, ys) = (g.patch_len(), g.filters, g.in_sample_len(), g.out_sample_len());
    let step = chunk(g);
    for n0 in (0..g.batch).step_by(step) {
        let gc = Conv2dGeometry { batch: step.min(g.batch - n0), ..*g };
        s.col.resize(gc.col_len(), 0.0);
        im2col(&gc, &x[n0 * xs..(n0 + gc.batch) * xs], &mut s.col);
        let yc = &mut y[n0 * ys..(n0 + gc.batch) * ys];
        gemm_views(gc.rows(), patch, f, View { data: &s.col, rs: patch, cs: 1 }, View { data: w, rs: f, cs: 1 }, yc, false);
    }
}

/// dK = bf16(col)ᵀ · bf16(dy) and dx = col2im(bf16(dy) · bf16(K)ᵀ) (skipped when None), db = Σ dy,
/// all overwritten.
pub fn backward(g: &Conv2dGeometry, x: &[f32], w: &[f32], dy: &[f32], s: &mut Scratch, grads: ConvGrads<'_>) {
    let ConvGrads { mut dx, dw, db } = grads;
    assert!(
        x.len() == g.x_len() && w.len() == g.w_len() && dy.len() == g.y_len() && dw.len() == g.w_len(),
        "bf16 conv2d backward: lengths"
    );
    let (patch, f, xs, ys) = (g.patch_len(), g.filters, g.in_sample_len(), g.out_sample_len());
    if let Some(db) = db {
        column_sums(dy, f, db);
    }
    let step = chunk(g);
    for n0 in (0..g.batch).step_by(step) {
        let gc = Conv2dGeometry { batch: step.min(g.batch - n0), ..*g };
        s.col.resize(gc.col_len(), 0.0);
        im2col(&gc, &x[n0 * xs..(n0 + gc.batch) * xs], &mut s.col);
        let dyc = View { data: &dy[n0 * ys..(n0 + gc.batch) * ys], rs: f, cs: 1 };
        gemm_views(patch, gc.rows(), f, View { data: &s.col, rs: 1, cs: patch }, dyc, dw, n0 > 0);
        if let Some(dx) = dx.as_deref_mut() {
            gemm_views(gc.rows(), f, patch, dyc, View { data: w, rs: 1, cs: f }, &mut s.col, false);
            col2im(&gc, &s.col, &mut dx[n0 * xs..(n0 + gc.batch) * xs]);
        }
    }
}
