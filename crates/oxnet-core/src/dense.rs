//! Dense (fully connected) kernels: y = x W + b, with W [inputs x units] row-major.
//! Backward: dx = dy W^T, dW = x^T dy, db = column sums of dy (no division by the batch).
use crate::error::{checked_product, expect_len, expect_positive, Result};
use crate::gemm::{gemm, Layout};
use crate::multiversion;

/// Validated sizes of one dense call.
#[derive(Debug, Clone, Copy)]
pub struct DenseDims {
    pub batch: usize,
    pub inputs: usize,
    pub units: usize,
}

impl DenseDims {
    pub fn new(op: &str, batch: usize, inputs: usize, units: usize) -> Result<Self> {
        expect_positive(op, "batch", batch)?;
        expect_positive(op, "inputs", inputs)?;
        expect_positive(op, "units", units)?;
        checked_product(op, "batch*inputs", &[batch, inputs])?;
        checked_product(op, "batch*units", &[batch, units])?;
        checked_product(op, "inputs*units", &[inputs, units])?;
        Ok(DenseDims { batch, inputs, units })
    }
}

/// y[batch x units] = x[batch x inputs] · w[inputs x units] (+ b[units] on every row).
pub fn forward(x: &[f32], w: &[f32], b: Option<&[f32]>, d: DenseDims, y: &mut [f32]) -> Result<()> {
    let op = "denseForward";
    expect_len(op, "x", x.len(), "batch*inputs", d.batch * d.inputs)?;
    expect_len(op, "w", w.len(), "inputs*units", d.inputs * d.units)?;
    expect_len(op, "y", y.len(), "batch*units", d.batch * d.units)?;
    if let Some(b) = b {
        expect_len(op, "b", b.len(), "units", d.units)?;
        for row in y.chunks_exact_mut(d.units) {
            row.copy_from_slice(b);
        }
    }
    gemm(d.batch, d.inputs, d.units, x, Layout::Normal, w, Layout::Normal, y, b.is_some())
}

/// Gradients of a dense layer from dy = dL/dy. `dx` and `db` are skipped when None.
pub fn backward(
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    d: DenseDims,
    dx: Option<&mut [f32]>,
    dw: &mut [f32],
    db: Option<&mut [f32]>,
) -> Result<()> {
    let op = "denseBackward";
    expect_len(op, "x", x.len(), "batch*inputs", d.batch * d.inputs)?;
    expect_len(op, "w", w.len(), "inputs*units", d.inputs * d.units)?;
    expect_len(op, "dy", dy.len(), "batch*units", d.batch * d.units)?;
    expect_len(op, "dw", dw.len(), "inputs*units", d.inputs * d.units)?;
    if let Some(dx) = &dx {
        expect_len(op, "dx", dx.len(), "batch*inputs", d.batch * d.inputs)?;
    }
    // dW[inputs x units] = x^T[inputs x batch] · dy[batch x units]
    let mut dw_product = || gemm(d.inputs, d.batch, d.units, x, Layout::Transposed, dy, Layout::Normal, dw, false);
    // dx[batch x inputs] = dy[batch x units] · W^T[units x inputs]
    let dx_product = |dx: &mut [f32]| gemm(d.batch, d.units, d.inputs, dy, Layout::Normal, w, Layout::Transposed, dx, false);
    match dx {
        // Two products too small to split each go side by side, one per thread (each sums in
        // its own fixed order, so the results are those of running them one after the other).
        Some(dx) if side_by_side(d) => {
            let (a, b) = rayon::join(dw_product, || dx_product(dx));
            a?;
            b?;
        }
        Some(dx) => {
            dw_product()?;
            dx_product(dx)?;
        }
        None => dw_product()?,
    }
    if let Some(db) = db {
        expect_len(op, "db", db.len(), "units", d.units)?;
        column_sums(dy, d.units, db);
    }
    Ok(())
}

/// Below this many multiply-adds each, dW and dx are not worth a hand-off to a second thread.
const SIDE_BY_SIDE_MIN_MACS: usize = 1 << 15;

/// Whether backward runs dW beside dx: inside the pool with more than one thread, and both
/// products (of equal size, batch x inputs x units) too small to split over the pool themselves.
fn side_by_side(d: DenseDims) -> bool {
    let macs = d.batch.saturating_mul(d.inputs).saturating_mul(d.units);
    (SIDE_BY_SIDE_MIN_MACS..crate::gemm::parallel_min_macs()).contains(&macs)
        && rayon::current_thread_index().is_some()
        && rayon::current_num_threads() > 1
}

/// Whether a batch's products are small enough for the `tiny_*` loops: the bound under which
/// gemm itself uses plain loops, so the results are bitwise those of [`forward`] / [`backward`].
pub fn is_tiny(d: DenseDims) -> bool {
    d.batch.saturating_mul(d.inputs).saturating_mul(d.units) <= crate::gemm::SMALL_MACS
}

/// z = x W with plain loops and no checks (XOR-sized layers, where gemm's argument checks and
/// dispatch cost more than the arithmetic). Slices have exactly the lengths of `d`.
pub fn tiny_forward(x: &[f32], w: &[f32], d: DenseDims, z: &mut [f32]) {
    for (xr, zr) in x.chunks_exact(d.inputs).zip(z.chunks_exact_mut(d.units)) {
        for (j, zj) in zr.iter_mut().enumerate() {
            let mut acc = 0.0f32;
            for (p, &xp) in xr.iter().enumerate() {
                acc += xp * w[p * d.units + j];
            }
            *zj = acc;
        }
    }
}

/// [`backward`] with plain loops and no checks, summing in the same order as gemm's plain loops
/// and [`column_sums`] (bitwise equal results).
pub fn tiny_backward(x: &[f32], w: &[f32], dy: &[f32], d: DenseDims, dx: Option<&mut [f32]>, dw: &mut [f32], db: Option<&mut [f32]>) {
    let (inputs, units) = (d.inputs, d.units);
    for i in 0..inputs {
        for j in 0..units {
            let mut acc = 0.0f32;
            for b in 0..d.batch {
                acc += x[b * inputs + i] * dy[b * units + j];
            }
            dw[i * units + j] = acc;
        }
    }
    if let Some(dx) = dx {
        for (dyr, dxr) in dy.chunks_exact(units).zip(dx.chunks_exact_mut(inputs)) {
            for (i, dxi) in dxr.iter_mut().enumerate() {
                let mut acc = 0.0f32;
                for (j, &g) in dyr.iter().enumerate() {
                    acc += g * w[i * units + j];
                }
                *dxi = acc;
            }
        }
    }
    if let Some(db) = db {
        for (j, dbj) in db.iter_mut().enumerate() {
            *dbj = dy.iter().skip(j).step_by(units).map(|&v| f64::from(v)).sum::<f64>() as f32;
        }
    }
}

multiversion! {
    /// out[j] = sum over rows of m[row, j], summed in f64 in row order. Columns go in blocks of
    /// 64 accumulated row by row, so the inner loop runs along memory (a strided walk per column
    /// misses the cache on wide layers).
    pub fn column_sums(m: &[f32], width: usize, out: &mut [f32]) {
        const BLOCK: usize = 64;
        let mut acc = [0f64; BLOCK];
        for j0 in (0..width).step_by(BLOCK) {
            let cols = BLOCK.min(width - j0);
            let acc = &mut acc[..cols];
            acc.fill(0.0);
            for row in m.chunks_exact(width) {
                for (a, &v) in acc.iter_mut().zip(&row[j0..j0 + cols]) {
                    *a += f64::from(v);
                }
            }
            for (o, &a) in out[j0..j0 + cols].iter_mut().zip(acc.iter()) {
                *o = a as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_and_backward_closed_form() {
        // x = [[1, 2]], W = [[1, 2, 3], [4, 5, 6]], b = [0.5, 0, -1]:
        // y = [1+8+0.5, 2+10, 3+12-1] = [9.5, 12, 14] by hand.
        let d = DenseDims::new("t", 1, 2, 3).unwrap();
        let (x, w, b) = ([1.0, 2.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [0.5, 0.0, -1.0]);
        let mut y = [0.0; 3];
        forward(&x, &w, Some(&b), d, &mut y).unwrap();
        assert_eq!(y, [9.5, 12.0, 14.0]);
        // dy = [1, 0, -1]: dx = dy W^T = [1-3, 4-6] = [-2, -2]; dW = x^T dy; db = dy.
        let (mut dx, mut dw, mut db) = ([0.0; 2], [0.0; 6], [0.0; 3]);
        backward(&x, &w, &[1.0, 0.0, -1.0], d, Some(&mut dx), &mut dw, Some(&mut db)).unwrap();
        assert_eq!(dx, [-2.0, -2.0]);
        assert_eq!(dw, [1.0, 0.0, -1.0, 2.0, 0.0, -2.0]);
        assert_eq!(db, [1.0, 0.0, -1.0]);
    }

    #[test]
    fn db_sums_over_the_batch() {
        let d = DenseDims::new("t", 3, 1, 2).unwrap();
        let (mut dw, mut db) = ([0.0; 2], [0.0; 2]);
        backward(&[1.0, 1.0, 1.0], &[0.0, 0.0], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], d, None, &mut dw, Some(&mut db)).unwrap();
        assert_eq!(db, [9.0, 12.0]);
        assert_eq!(dw, [9.0, 12.0]);
    }

    #[test]
    fn tiny_loops_are_bitwise_the_gemm_path() {
        // Every shape up to gemm's plain-loop bound, non-round values: tiny_* must equal
        // forward/backward exactly (same products, same summation order).
        let vals = |len: usize, s: u32| -> Vec<f32> { (0..len as u32).map(|i| ((i * 37 + s * 11) % 23) as f32 / 7.3 - 1.3).collect() };
        for (batch, inputs, units) in [(1, 2, 2), (1, 2, 1), (4, 2, 2), (3, 5, 7), (8, 8, 8), (2, 1, 3)] {
            let d = DenseDims::new("t", batch, inputs, units).unwrap();
            assert!(is_tiny(d));
            let (x, w, dy) = (vals(batch * inputs, 1), vals(inputs * units, 2), vals(batch * units, 3));
            let (mut y, mut z) = (vec![0.0; batch * units], vec![0.0; batch * units]);
            forward(&x, &w, None, d, &mut y).unwrap();
            tiny_forward(&x, &w, d, &mut z);
            assert_eq!(y, z, "forward {batch}x{inputs}x{units}");
            let (mut dx, mut dw, mut db) = (vec![0.0; batch * inputs], vec![0.0; inputs * units], vec![0.0; units]);
            backward(&x, &w, &dy, d, Some(&mut dx), &mut dw, Some(&mut db)).unwrap();
            let (mut dx2, mut dw2, mut db2) = (vec![0.0; batch * inputs], vec![0.0; inputs * units], vec![0.0; units]);
            tiny_backward(&x, &w, &dy, d, Some(&mut dx2), &mut dw2, Some(&mut db2));
            assert_eq!((dx, dw, db), (dx2, dw2, db2), "backward {batch}x{inputs}x{units}");
        }
        assert!(!is_tiny(DenseDims::new("t", 64, 784, 128).unwrap()));
    }

    #[test]
    fn names_the_bad_parameter() {
        let d = DenseDims::new("denseForward", 2, 3, 1).unwrap();
        let e = forward(&[0.0; 5], &[0.0; 3], None, d, &mut [0.0; 2]).unwrap_err();
        assert_eq!(e.to_string(), "E_SHAPE: denseForward: x has 5 floats, expected batch*inputs = 6");
        let e = DenseDims::new("denseForward", 0, 3, 1).unwrap_err();
        assert_eq!(e.to_string(), "E_ARG: denseForward: batch must be > 0, got 0");
    }
}
