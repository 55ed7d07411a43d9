//! Row-major matrix product on the `gemm` crate: C[m x n] (+)= op(A)[m x k] · op(B)[k x n].
//! Large products run on rayon's pool; small ones stay on the calling thread, where spawning
//! would cost more than the arithmetic.
use crate::error::{checked_product, expect_len, CoreError, Result};
use gemm::Parallelism;

/// Below this many multiply-adds one thread is faster than waking the pool.
const PARALLEL_MIN_FLOPS: usize = 64 * 64 * 64;

/// How A or B is stored: as the math names it, or transposed in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Normal,
    Transposed,
}

/// C = op(A) · op(B), or C += op(A) · op(B) when `accumulate`. op(A) is m x k: stored [m x k]
/// when `ta` is Normal, [k x m] when Transposed; likewise op(B) is k x n, stored [k x n] or [n x k].
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    ta: Layout,
    b: &[f32],
    tb: Layout,
    c: &mut [f32],
    accumulate: bool,
) -> Result<()> {
    let mk = checked_product("gemm", "m*k", &[m, k])?;
    let kn = checked_product("gemm", "k*n", &[k, n])?;
    let mn = checked_product("gemm", "m*n", &[m, n])?;
    expect_len("gemm", "a", a.len(), "m*k", mk)?;
    expect_len("gemm", "b", b.len(), "k*n", kn)?;
    expect_len("gemm", "c", c.len(), "m*n", mn)?;
    if mn == 0 {
        return Ok(());
    }
    if k == 0 {
        if !accumulate {
            c.fill(0.0);
        }
        return Ok(());
    }
    // (row stride, column stride) of each operand as the math sees it.
    let (a_rs, a_cs) = match ta {
        Layout::Normal => (k, 1),
        Layout::Transposed => (1, m),
    };
    let (b_rs, b_cs) = match tb {
        Layout::Normal => (n, 1),
        Layout::Transposed => (1, k),
    };
    let flops = mn.saturating_mul(k);
    let parallelism = if flops >= PARALLEL_MIN_FLOPS && rayon::current_num_threads() > 1 {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    };
    let to_isize = |v: usize| isize::try_from(v).map_err(|_| CoreError::arg(format!("gemm: stride {v} too large")));
    let (a_rs, a_cs, b_rs, b_cs, c_rs) = (to_isize(a_rs)?, to_isize(a_cs)?, to_isize(b_rs)?, to_isize(b_cs)?, to_isize(n)?);
    // SAFETY: the lengths were checked above, so every (row, column) the strides address lies
    // inside its slice; `c` is exclusively borrowed and does not alias `a` or `b`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            c_rs,
            accumulate,
            a.as_ptr(),
            a_cs,
            a_rs,
            b.as_ptr(),
            b_cs,
            b_rs,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
    Ok(())
}

/// C[m x n] = A[m x k] · B[k x n], all row-major (the Backend's `matmul`).
pub fn matmul(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Result<Vec<f32>> {
    let mn = checked_product("matmul", "m*n", &[m, n])?;
    expect_len("matmul", "a", a.len(), "m*k", checked_product("matmul", "m*k", &[m, k])?)?;
    expect_len("matmul", "b", b.len(), "k*n", checked_product("matmul", "k*n", &[k, n])?)?;
    let mut c = vec![0.0; mn];
    gemm(m, k, n, a, Layout::Normal, b, Layout::Normal, &mut c, false)?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Triple loop in f64: the reference every layout is compared with.
    fn naive(m: usize, k: usize, n: usize, a: &[f32], b: &[f32]) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| f64::from(a[i * k + p]) * f64::from(b[p * n + j])).sum::<f64>() as f32;
            }
        }
        c
    }

    fn transpose(rows: usize, cols: usize, a: &[f32]) -> Vec<f32> {
        let mut t = vec![0.0; a.len()];
        for r in 0..rows {
            for c in 0..cols {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        t
    }

    #[test]
    fn two_by_two_closed_form() {
        // [[1,2],[3,4]] · [[5,6],[7,8]] = [[19,22],[43,50]] by hand.
        let c = matmul(&[1., 2., 3., 4.], &[5., 6., 7., 8.], 2, 2, 2).unwrap();
        assert_eq!(c, vec![19., 22., 43., 50.]);
    }

    #[test]
    fn all_layouts_and_accumulate_match_naive() {
        for &(m, k, n) in &[(3, 5, 4), (1, 7, 1), (70, 65, 80)] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 13) as f32 - 6.0) / 4.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 11) as f32 - 5.0) / 3.0).collect();
            let want = naive(m, k, n, &a, &b);
            let at = transpose(m, k, &a);
            let bt = transpose(k, n, &b);
            for (aa, la) in [(&a, Layout::Normal), (&at, Layout::Transposed)] {
                for (bb, lb) in [(&b, Layout::Normal), (&bt, Layout::Transposed)] {
                    let mut c = vec![1.0; m * n];
                    gemm(m, k, n, aa, la, bb, lb, &mut c, true).unwrap();
                    for (got, w) in c.iter().zip(&want) {
                        assert!((got - (w + 1.0)).abs() < 1e-3 * (1.0 + w.abs()), "{m}x{k}x{n} {la:?} {lb:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn rejects_wrong_lengths() {
        let e = matmul(&[1.0; 5], &[1.0; 6], 2, 3, 2).unwrap_err();
        assert_eq!(e.to_string(), "E_SHAPE: matmul: a has 5 floats, expected m*k = 6");
    }
}
