//! C[m x n] (+)= A[m x k] · B[k x n] with both operands rounded to bfloat16 and f32 accumulation.
//! The operands are strided f32 views (crate::gemm::View, as the f32 GEMM takes them) rounded
//! while packed: A into [kc][MR] panels and B into [kc][NR] panels of u16, KC deep at a time.
//! Every element of C is one chain acc = fma(a_p, b_p, acc) over p ascending, started from 0 (or
//! from C with `accumulate`) and carried through C between the KC slices: the result does not
//! depend on the blocking, the kernel (AVX2 or portable) or the number of threads, which split C
//! by row blocks only.
use std::cell::Cell;
use std::sync::OnceLock;

use rayon::prelude::*;

use super::kernels::{self, KernelFn, MR, NR};
use crate::gemm::View;
use crate::threads;

/// Depth of one packed slice (A block MC x KC u16 = 48 KB in L2, a B panel KC x NR = 8 KB in L1).
const KC: usize = 256;
/// Rows of C (and of A) one task owns: a multiple of MR.
const MC: usize = 16 * MR;
/// Columns of B packed at once.
const NC: usize = 2048;

/// A micro-kernel and its name (tests run each one this CPU has).
#[derive(Clone, Copy)]
pub struct Kernel {
    pub name: &'static str,
    run: KernelFn,
}

/// The kernels this CPU can run, fastest first; the portable one is always last.
pub fn available() -> Vec<Kernel> {
    let mut all = vec![];
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            all.push(Kernel { name: "avx2+fma", run: kernels::kernel_avx2 });
        }
    }
    all.push(Kernel { name: "portable", run: kernels::kernel_portable });
    all
}

/// The fastest kernel of [`available`] (detected once).
pub fn kernel() -> Kernel {
    static CHOSEN: OnceLock<Kernel> = OnceLock::new();
    *CHOSEN.get_or_init(|| available()[0])
}

/// C (+)= bf16(A) · bf16(B) on the chosen kernel, threaded when large. Panics if a view does not
/// cover its extent or C is shorter than m*n (callers check their geometry).
pub fn gemm_views(m: usize, k: usize, n: usize, a: View, b: View, c: &mut [f32], accumulate: bool) {
    let parallel = m.saturating_mul(n).saturating_mul(k) >= crate::gemm::PARALLEL_MIN_MACS && m > MC && threads::threads() > 1;
    gemm_with(kernel(), m, k, n, a, b, c, accumulate, parallel);
}

/// [`gemm_views`] on a given kernel, threaded or not (tests compare kernels and thread counts).
// The GEMM's own arguments plus the kernel and the threading choice.
#[allow(clippy::too_many_arguments)]
pub fn gemm_with(kernel: Kernel, m: usize, k: usize, n: usize, a: View, b: View, c: &mut [f32], accumulate: bool, parallel: bool) {
    assert!(reaches(&a, m, k) && reaches(&b, k, n) && c.len() >= m * n, "bf16 gemm: a view is shorter than its extent");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            c[..m * n].fill(0.0);
        }
        return;
    }
    let c = &mut c[..m * n];
    let mut run = |threads: bool| {
        for jc in (0..n).step_by(NC) {
            let nc = (n - jc).min(NC);
            let b_panels = nc.div_ceil(NR);
            let mut pb = PACK_B.with(Cell::take);
            pb.resize(pb.len().max(b_panels * NR * KC.min(k)), 0);
            for pc in (0..k).step_by(KC) {
                let kc = (k - pc).min(KC);
                let load = accumulate || pc > 0;
                let pb = &mut pb[..b_panels * NR * kc];
                let pack_b = |(j, panel): (usize, &mut [u16])| pack_b(panel, b, pc, kc, jc + j * NR, (n - jc - j * NR).min(NR));
                if threads {
                    pb.par_chunks_mut(NR * kc).enumerate().for_each(pack_b);
                } else {
                    pb.chunks_mut(NR * kc).enumerate().for_each(pack_b);
                }
                let pb = &*pb;
                // One block of MC rows of C: pack its A rows, then every micro-tile of the block.
                let block = |(ib, cb): (usize, &mut [f32])| {
                    let r0 = ib * MC;
                    let rows = (m - r0).min(MC);
                    let a_panels = rows.div_ceil(MR);
                    // One leading u16 so that the kernel may read a[-1] of the first panel.
                    let mut pa = PACK_A.with(Cell::take);
                    pa.resize(pa.len().max(1 + a_panels * MR * kc), 0);
                    for (i, panel) in pa[1..1 + a_panels * MR * kc].chunks_mut(MR * kc).enumerate() {
                        pack_a(panel, a, r0 + i * MR, (rows - i * MR).min(MR), pc, kc);
                    }
                    for j in 0..b_panels {
                        let c0 = jc + j * NR;
                        let cols = (n - c0).min(NR);
                        for i in 0..a_panels {
                            let rr = (rows - i * MR).min(MR);
                            let ap = pa[1 + i * MR * kc..].as_ptr();
                            let bp = pb[j * NR * kc..].as_ptr();
                            // SAFETY: the panels hold kc*MR and kc*NR values (and pa[0] lies before
                            // the first); the tile lies inside this block of C.
                            unsafe { run_tile(kernel.run, kc, ap, bp, cb[i * MR * n + c0..].as_mut_ptr(), n, rr, cols, load) };
                        }
                    }
                    PACK_A.with(|cell| cell.set(pa));
                };
                if threads {
                    c.par_chunks_mut(MC * n).enumerate().for_each(block);
                } else {
                    c.chunks_mut(MC * n).enumerate().for_each(block);
                }
            }
            PACK_B.with(|cell| cell.set(pb));
        }
    };
    if parallel {
        threads::install(move || run(true));
    } else {
        run(false);
    }
}

thread_local! {
    /// Packed panels kept per thread, so that steady-state calls do not allocate. Taken out while
    /// in use: a nested call on the same thread (rayon work stealing) gets a fresh one.
    static PACK_A: Cell<Vec<u16>> = const { Cell::new(Vec::new()) };
    static PACK_B: Cell<Vec<u16>> = const { Cell::new(Vec::new()) };
}

fn reaches(v: &View, rows: usize, cols: usize) -> bool {
    rows == 0 || cols == 0 || (rows - 1) * v.rs + (cols - 1) * v.cs < v.data.len()
}

/// A panel of rows r0..r0+valid of A, columns pc..pc+kc, as [kc][MR] (0 beyond `valid`).
fn pack_a(dst: &mut [u16], a: View, r0: usize, valid: usize, pc: usize, kc: usize) {
    for (p, row) in dst.chunks_exact_mut(MR).take(kc).enumerate() {
        let at = (pc + p) * a.cs + r0 * a.rs;
        for (i, d) in row.iter_mut().enumerate() {
            *d = if i < valid { super::round(a.data[at + i * a.rs]) } else { 0 };
        }
    }
}

/// A panel of columns c0..c0+valid of B, rows pc..pc+kc, as [kc][NR] in kernels::B_SLOT order.
fn pack_b(dst: &mut [u16], b: View, pc: usize, kc: usize, c0: usize, valid: usize) {
    for (p, row) in dst.chunks_exact_mut(NR).take(kc).enumerate() {
        let at = (pc + p) * b.rs + c0 * b.cs;
        for (j, &slot) in kernels::B_SLOT.iter().enumerate() {
            row[slot] = if j < valid { super::round(b.data[at + j * b.cs]) } else { 0 };
        }
    }
}

/// One micro-tile; an edge tile goes through a local MR x NR buffer.
///
/// # Safety
/// `c` addresses `rows` rows of `cols` floats `ldc` apart; panels as in kernels.rs.
// The kernel's raw-pointer arguments plus the tile's edge sizes.
#[allow(clippy::too_many_arguments)]
unsafe fn run_tile(
    run: KernelFn,
    kc: usize,
    ap: *const u16,
    bp: *const u16,
    c: *mut f32,
    ldc: usize,
    rows: usize,
    cols: usize,
    load: bool,
) {
    if rows == MR && cols == NR {
        return run(kc, ap, bp, c, ldc, load);
    }
    let mut tmp = [0.0f32; MR * NR];
    if load {
        for r in 0..rows {
            std::ptr::copy_nonoverlapping(c.add(r * ldc), tmp.as_mut_ptr().add(r * NR), cols);
        }
    }
    run(kc, ap, bp, tmp.as_mut_ptr(), NR, load);
    for r in 0..rows {
        std::ptr::copy_nonoverlapping(tmp.as_ptr().add(r * NR), c.add(r * ldc), cols);
    }
}
