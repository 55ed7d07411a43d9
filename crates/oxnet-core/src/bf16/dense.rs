//! The dense layer's products in bfloat16 (see the module above): z = x W, dx = dz Wᵀ,
//! dW = xᵀ dz; db stays the f32 column sums of dz (it is no product). Lengths as in crate::dense.
use crate::dense::{column_sums, DenseDims};
use crate::gemm::View;

use super::gemm::gemm_views;

/// z[batch x units] = bf16(x) · bf16(w), overwritten (the op adds the bias and the activation).
pub fn product(x: &[f32], w: &[f32], d: DenseDims, z: &mut [f32]) {
    let (a, b) = (View { data: x, rs: d.inputs, cs: 1 }, View { data: w, rs: d.units, cs: 1 });
    gemm_views(d.batch, d.inputs, d.units, a, b, z, false);
}

/// dW = bf16(x)ᵀ · bf16(dz), dx = bf16(dz) · bf16(w)ᵀ (skipped when None), db = Σ rows of dz.
pub fn backward(x: &[f32], w: &[f32], dz: &[f32], d: DenseDims, dx: Option<&mut [f32]>, dw: &mut [f32], db: Option<&mut [f32]>) {
    let xt = View { data: x, rs: 1, cs: d.inputs };
    let dzv = View { data: dz, rs: d.units, cs: 1 };
    gemm_views(d.inputs, d.batch, d.units, xt, dzv, dw, false);
    if let Some(dx) = dx {
        let wt = View { data: w, rs: 1, cs: d.units };
        gemm_views(d.batch, d.units, d.inputs, dzv, wt, dx, false);
    }
    if let Some(db) = db {
        column_sums(dz, d.units, db);
    }
}
