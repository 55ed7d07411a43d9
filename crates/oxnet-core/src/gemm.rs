//! Row-major matrix product C[m x n] (+)= op(A)[m x k] · op(B)[k x n] on our own cache-blocked
//! kernel (BLIS loop order: pack a KC-deep slice of A and B into panels, then run the widest SIMD
//! micro-kernel this CPU has over tiles of C; see `simd`). Threads split C into tiles, never k,
//! and every element sums k in the same order, so results are bitwise identical whatever the
//! thread count. Tiny products skip packing and threads (no allocation, no pool wake-up).
use std::cell::Cell;

use rayon::prelude::*;

use crate::error::{checked_product, expect_len, Result};
use crate::simd::{self, Kernel};
use crate::threads;

/// Depth of one packed slice: an A micro-panel (KC x 12 floats, 24 KB) stays in L1 (512 beat
/// 192, 256 and 384 on W4 1024 here).
const KC: usize = 512;
/// Columns of B packed at once.
const NC: usize = 4096;
/// A tile of C is MC_PANELS A-panels by NC_PANELS B-panels (96 x 128 with AVX-512).
const MC_PANELS: usize = 8;
const NC_PANELS: usize = 4;
/// At most this many multiply-adds: a plain dot-product loop beats packing.
pub(crate) const SMALL_MACS: usize = 8 * 8 * 8;
/// Below this many multiply-adds one thread is faster than waking the pool (W2's 64 x 128 x 64
/// products run serial; its 64 x 784 x 128 ones split, and 2 threads no longer lose to 1).
pub const PARALLEL_MIN_MACS: usize = 1 << 21;
/// The same bound inside a warm window (`threads::warm`: the pool threads poll, a hand-off costs
/// about a microsecond): from here (about 9 µs on one Zen 1 core) a split gains more than it costs.
pub const PARALLEL_MIN_MACS_WARM: usize = 1 << 17;
/// Packing goes parallel only when the panels hold at least this many floats.
const PARALLEL_PACK_MIN: usize = 1 << 16;

/// How A or B is stored: as the math names it, or transposed in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Normal,
    Transposed,
}

/// C = op(A) · op(B), or C += op(A) · op(B) when `accumulate`. op(A) is m x k: stored [m x k]
/// when `ta` is Normal, [k x m] when Transposed; likewise op(B) is k x n, stored [k x n] or [n x k].
// BLAS's sgemm signature (sizes, each operand with its layout, C, beta as `accumulate`): the
// shape every reader of a GEMM knows; a struct would only rename its fields.
#[allow(clippy::too_many_arguments)]
pub fn gemm(m: usize, k: usize, n: usize, a: &[f32], ta: Layout, b: &[f32], tb: Layout, c: &mut [f32], accumulate: bool) -> Result<()> {
    let mk = checked_product("gemm", "m*k", &[m, k])?;
    let kn = checked_product("gemm", "k*n", &[k, n])?;
    let mn = checked_product("gemm", "m*n", &[m, n])?;
    expect_len("gemm", "a", a.len(), "m*k", mk)?;
    expect_len("gemm", "b", b.len(), "k*n", kn)?;
    expect_len("gemm", "c", c.len(), "m*n", mn)?;
    // (row stride, column stride) of each operand as the math sees it.
    let a_view = match ta {
        Layout::Normal => View { data: a, rs: k, cs: 1 },
        Layout::Transposed => View { data: a, rs: 1, cs: m },
    };
    let b_view = match tb {
        Layout::Normal => View { data: b, rs: n, cs: 1 },
        Layout::Transposed => View { data: b, rs: 1, cs: k },
    };
    gemm_views(m, k, n, a_view, b_view, c, accumulate);
    Ok(())
}

/// A matrix as the math sees it: element (r, c) is data[r * rs + c * cs].
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl View<'_> {
    fn reaches(&self, rows: usize, cols: usize) -> bool {
        rows == 0 || cols == 0 || (rows - 1) * self.rs + (cols - 1) * self.cs < self.data.len()
    }
}

/// C[m x n] (row-major, exactly m*n floats or more) (+)= A[m x k] · B[k x n] for strided views.
/// Panics if a view does not cover its extent (callers have checked their geometry).
pub fn gemm_views(m: usize, k: usize, n: usize, a: View, b: View, c: &mut [f32], accumulate: bool) {
    assert!(a.reaches(m, k) && b.reaches(k, n) && c.len() >= m * n, "gemm_views: a view is shorter than its extent");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            c[..m * n].fill(0.0);
        }
        return;
    }
    let macs = m.saturating_mul(n).saturating_mul(k);
    if macs <= SMALL_MACS {
        return dot_loops(m, k, n, a, b, c, accumulate);
    }
    let parallel = macs >= parallel_min_macs() && threads::threads() > 1;
    let mut buf = PACKED.with(Cell::take);
    blocked(simd::kernel(), m, k, n, a, b, c, accumulate, parallel, &mut buf);
    PACKED.with(|cell| cell.set(buf));
}

/// The size from which a product splits over the pool now (smaller inside a warm window).
pub fn parallel_min_macs() -> usize {
    if threads::warm() {
        PARALLEL_MIN_MACS_WARM
    } else {
        PARALLEL_MIN_MACS
    }
}

thread_local! {
    /// Packed panels, kept per calling thread so steady-state calls do not allocate. Taken out
    /// while in use: a nested call on the same thread (rayon work stealing) gets a fresh one.
    static PACKED: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
}

/// Raw C pointer shared by the tile tasks, which write disjoint tiles.
#[derive(Clone, Copy)]
struct CPtr(*mut f32);
unsafe impl Send for CPtr {}
unsafe impl Sync for CPtr {}

impl CPtr {
    /// # Safety
    /// `offset` must lie inside the C buffer.
    unsafe fn at(self, offset: usize) -> *mut f32 {
        self.0.add(offset)
    }
}

/// C (+)= A · B by KC-deep slices; `kernel` chooses the tile shape mr x nr. With `parallel`,
/// the pool's threads share the tiles of C (and the packing, when it is large): the whole call
/// runs inside one `threads::install`, and falls back to one thread when C has too few tiles.
// gemm's own arguments plus the kernel, the threading choice and the packing buffer, for
// callers inside the crate only.
#[allow(clippy::too_many_arguments)]
pub(crate) fn blocked(
    kernel: Kernel,
    m: usize,
    k: usize,
    n: usize,
    a: View,
    b: View,
    c: &mut [f32],
    accumulate: bool,
    parallel: bool,
    buf: &mut Vec<f32>,
) {
    let (mr, nr) = (kernel.mr, kernel.nr);
    let a_panels = m.div_ceil(mr);
    let nc_max = n.min(NC);
    let kc_max = k.min(KC);
    let a_len = a_panels * mr * kc_max;
    let b_len = nc_max.div_ceil(nr) * nr * kc_max;
    if buf.len() < a_len + b_len {
        buf.resize(a_len + b_len, 0.0);
    }
    let (pa, pb) = buf.split_at_mut(a_len);
    let cptr = CPtr(c.as_mut_ptr());
    let mut run = move |threads: usize| {
        for jc in (0..n).step_by(NC) {
            let nc = (n - jc).min(NC);
            let b_panels = nc.div_ceil(nr);
            let grid = TileGrid::new(a_panels, b_panels, threads);
            let split = threads > 1 && grid.count() >= threads;
            for pc in (0..k).step_by(KC) {
                let kc = (k - pc).min(KC);
                let load = accumulate || pc > 0;
                let pa = &mut pa[..a_panels * mr * kc];
                let pb = &mut pb[..b_panels * nr * kc];
                // A panel i: rows i*mr.., as [kc][mr]; B panel j: columns jc + j*nr.., as [kc][nr].
                let pack_a = |(i, panel): (usize, &mut [f32])| {
                    let r0 = i * mr;
                    pack(panel, mr, &a.data[r0 * a.rs + pc * a.cs..], a.rs, a.cs, (m - r0).min(mr), kc)
                };
                let pack_b = |(j, panel): (usize, &mut [f32])| {
                    let c0 = jc + j * nr;
                    pack(panel, nr, &b.data[pc * b.rs + c0 * b.cs..], b.cs, b.rs, (n - c0).min(nr), kc)
                };
                if split && pa.len() + pb.len() >= PARALLEL_PACK_MIN {
                    pa.par_chunks_mut(mr * kc).enumerate().for_each(pack_a);
                    pb.par_chunks_mut(nr * kc).enumerate().for_each(pack_b);
                } else {
                    pa.chunks_mut(mr * kc).enumerate().for_each(pack_a);
                    pb.chunks_mut(nr * kc).enumerate().for_each(pack_b);
                }
                let (pa, pb) = (&*pa, &*pb);
                let tile = |t: usize| {
                    let (rows_of_panels, cols_of_panels) = grid.tile(t);
                    // An A micro-panel (kc x mr) stays in L1 while the tile's B panels stream from L2.
                    for i in rows_of_panels {
                        for j in cols_of_panels.clone() {
                            let (r0, c0) = (i * mr, jc + j * nr);
                            let (rows, cols) = ((m - r0).min(mr), (n - c0).min(nr));
                            let ap = pa[i * mr * kc..].as_ptr();
                            let bp = pb[j * nr * kc..].as_ptr();
                            // SAFETY: panels hold kc*mr and kc*nr floats; the C tile lies inside
                            // c (full tiles) or is a local buffer (edges); tasks own disjoint tiles.
                            unsafe { run_tile(kernel, kc, ap, bp, cptr.at(r0 * n + c0), n, rows, cols, load) };
                        }
                    }
                };
                if split {
                    (0..grid.count()).into_par_iter().with_min_len(1).for_each(tile);
                } else {
                    (0..grid.count()).for_each(tile);
                }
            }
        }
    };
    if parallel {
        threads::install(move || run(rayon::current_num_threads()));
    } else {
        run(1);
    }
}

/// Tiles of C, in panels: `mc` A panels by `nc` B panels each. A tile is large enough to
/// reuse each packed panel several times, and, with threads, small enough that every thread
/// gets at least two tiles (one tile per thread leaves it idle whenever the split is uneven).
#[derive(Clone, Copy)]
struct TileGrid {
    a_panels: usize,
    b_panels: usize,
    mc: usize,
    nc: usize,
}

impl TileGrid {
    fn new(a_panels: usize, b_panels: usize, threads: usize) -> Self {
        let (mut mc, mut nc) = (MC_PANELS, NC_PANELS);
        let count = |mc: usize, nc: usize| a_panels.div_ceil(mc) * b_panels.div_ceil(nc);
        while threads > 1 && count(mc, nc) < 2 * threads && (mc > 1 || nc > 1) {
            if mc >= nc {
                mc /= 2;
            } else {
                nc /= 2;
            }
        }
        TileGrid { a_panels, b_panels, mc, nc }
    }
    fn count(&self) -> usize {
        self.a_panels.div_ceil(self.mc) * self.b_panels.div_ceil(self.nc)
    }
    /// A-panel and B-panel ranges of tile t (tiles of one B column group are adjacent).
    fn tile(&self, t: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let m_tiles = self.a_panels.div_ceil(self.mc);
        let (ti, tj) = (t % m_tiles, t / m_tiles);
        (ti * self.mc..((ti + 1) * self.mc).min(self.a_panels), tj * self.nc..((tj + 1) * self.nc).min(self.b_panels))
    }
}

/// One micro-tile; edge tiles go through a local buffer so the kernel always sees mr x nr.
///
/// # Safety
/// `c` addresses `rows` rows of `cols` floats `ldc` apart; panels as in [`simd::KernelFn`].
// The micro-kernel's raw-pointer arguments plus the tile's edge sizes, in the innermost loop:
// kept as scalars so they stay in registers.
#[allow(clippy::too_many_arguments)]
unsafe fn run_tile(
    kernel: Kernel,
    kc: usize,
    ap: *const f32,
    bp: *const f32,
    c: *mut f32,
    ldc: usize,
    rows: usize,
    cols: usize,
    load: bool,
) {
    if rows == kernel.mr && cols == kernel.nr {
        return (kernel.run)(kc, ap, bp, c, ldc, load);
    }
    let mut tmp = [0.0f32; 16 * 32];
    let nr = kernel.nr;
    if load {
        for r in 0..rows {
            std::ptr::copy_nonoverlapping(c.add(r * ldc), tmp.as_mut_ptr().add(r * nr), cols);
        }
    }
    (kernel.run)(kc, ap, bp, tmp.as_mut_ptr(), nr, load);
    for r in 0..rows {
        std::ptr::copy_nonoverlapping(tmp.as_ptr().add(r * nr), c.add(r * ldc), cols);
    }
}

/// dst[p * width + i] = src[i * s_idx + p * s_k] for i < valid (0 beyond), p < kc; reads along
/// whichever stride is 1.
fn pack(dst: &mut [f32], width: usize, src: &[f32], s_idx: usize, s_k: usize, valid: usize, kc: usize) {
    if s_idx == 1 {
        for (p, row) in dst.chunks_exact_mut(width).take(kc).enumerate() {
            let from = &src[p * s_k..p * s_k + valid];
            row[..valid].copy_from_slice(from);
            row[valid..].fill(0.0);
        }
    } else {
        // Transposing: walk k in the outer loop so the writes run along memory and the `valid`
        // source lines (one per row) stay in L1 across consecutive p.
        assert!(dst.len() >= kc * width && (valid == 0 || (valid - 1) * s_idx + (kc - 1) * s_k < src.len()), "pack: extent");
        for (p, row) in dst.chunks_exact_mut(width).take(kc).enumerate() {
            let base = src[p * s_k..].as_ptr();
            for (i, d) in row[..valid].iter_mut().enumerate() {
                // SAFETY: i * s_idx + p * s_k <= (valid - 1) * s_idx + (kc - 1) * s_k < src.len().
                *d = unsafe { *base.add(i * s_idx) };
            }
            row[valid..].fill(0.0);
        }
    }
}

/// Plain loops for tiny products: one dot product per element, k ascending.
fn dot_loops(m: usize, k: usize, n: usize, a: View, b: View, c: &mut [f32], accumulate: bool) {
    for i in 0..m {
        for j in 0..n {
            let mut acc = if accumulate { c[i * n + j] } else { 0.0 };
            for p in 0..k {
                acc += a.data[i * a.rs + p * a.cs] * b.data[p * b.rs + j * b.cs];
            }
            c[i * n + j] = acc;
        }
    }
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

    /// Deterministic values in [-1, 1] with 1/64 steps (seeded, no pattern repeating along rows).
    fn values(len: usize, seed: usize) -> Vec<f32> {
        (0..len).map(|i| (((i * 2654435761 + seed * 97) >> 7) % 129) as f32 / 64.0 - 1.0).collect()
    }

    fn assert_close(got: &[f32], want: &[f32], what: &str) {
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{what}: element {i} got {g}, want {w}");
        }
    }

    /// Odd shapes around every tile edge (mr up to 12, nr up to 32, KC = 512) and tiny ones.
    const SHAPES: &[(usize, usize, usize)] = &[
        (3, 5, 4),
        (1, 7, 1),
        (1, 1, 1),
        (70, 65, 80),
        (13, 257, 33),
        (25, 3, 31),
        (97, 300, 129),
        (12, 1, 32),
        (200, 64, 17),
        (5, 513, 2),
    ];

    #[test]
    fn all_layouts_and_accumulate_match_naive() {
        for &(m, k, n) in SHAPES {
            let a = values(m * k, 1);
            let b = values(k * n, 2);
            let want = naive(m, k, n, &a, &b);
            let at = transpose(m, k, &a);
            let bt = transpose(k, n, &b);
            for (aa, la) in [(&a, Layout::Normal), (&at, Layout::Transposed)] {
                for (bb, lb) in [(&b, Layout::Normal), (&bt, Layout::Transposed)] {
                    let mut c = vec![1.0; m * n];
                    gemm(m, k, n, aa, la, bb, lb, &mut c, true).unwrap();
                    let plus_one: Vec<f32> = want.iter().map(|w| w + 1.0).collect();
                    assert_close(&c, &plus_one, &format!("{m}x{k}x{n} {la:?} {lb:?} accumulate"));
                    let mut c = vec![f32::NAN; m * n];
                    gemm(m, k, n, aa, la, bb, lb, &mut c, false).unwrap();
                    assert_close(&c, &want, &format!("{m}x{k}x{n} {la:?} {lb:?}"));
                }
            }
        }
    }

    #[test]
    fn every_kernel_this_cpu_has_matches_naive() {
        for kernel in crate::simd::available() {
            for &(m, k, n) in SHAPES {
                let (a, b) = (values(m * k, 3), values(k * n, 4));
                let want = naive(m, k, n, &a, &b);
                let mut c = vec![0.5; m * n];
                let (av, bv) = (View { data: &a, rs: k, cs: 1 }, View { data: &b, rs: n, cs: 1 });
                blocked(kernel, m, k, n, av, bv, &mut c, false, false, &mut vec![]);
                assert_close(&c, &want, &format!("{} {m}x{k}x{n}", kernel.name));
            }
        }
    }

    #[test]
    fn bitwise_identical_for_any_thread_count() {
        // Large enough to take the parallel path (>= PARALLEL_MIN_MACS) with ragged edges.
        let (m, k, n) = (301, 517, 263);
        let (a, b) = (values(m * k, 5), values(k * n, 6));
        let run = |parallel: bool| {
            let mut c = vec![0.25; m * n];
            let (av, bv) = (View { data: &a, rs: k, cs: 1 }, View { data: &b, rs: 1, cs: k });
            blocked(crate::simd::kernel(), m, k, n, av, bv, &mut c, true, parallel, &mut vec![]);
            c
        };
        let serial = run(false);
        let one_pool = crate::threads::install(|| run(true));
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap().install(|| run(true));
        let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap().install(|| run(true));
        assert!(serial.iter().zip(&two).all(|(x, y)| x.to_bits() == y.to_bits()), "1 vs 2 threads differ");
        assert!(serial.iter().zip(&three).all(|(x, y)| x.to_bits() == y.to_bits()), "1 vs 3 threads differ");
        assert!(serial.iter().zip(&one_pool).all(|(x, y)| x.to_bits() == y.to_bits()));
    }

    #[test]
    fn tile_grid_gives_every_thread_two_tiles_when_it_can() {
        // W2's first layer, 64 x 128 outputs: 6 A panels x 4 B panels is one default tile.
        let grid = TileGrid::new(6, 4, 2);
        assert!(grid.count() >= 4, "{} tiles", grid.count());
        // Tiles cover every panel pair exactly once.
        let mut seen = [0; 6 * 4];
        for t in 0..grid.count() {
            let (rows, cols) = grid.tile(t);
            for i in rows {
                for j in cols.clone() {
                    seen[i * 4 + j] += 1;
                }
            }
        }
        assert!(seen.iter().all(|&s| s == 1));
        // One thread keeps the cache-sized default tile; 1 x 1 panels cannot be split.
        assert_eq!(TileGrid::new(6, 4, 1).count(), 1);
        assert_eq!(TileGrid::new(1, 1, 2).count(), 1);
    }

    #[test]
    fn rejects_wrong_lengths() {
        let e = matmul(&[1.0; 5], &[1.0; 6], 2, 3, 2).unwrap_err();
        assert_eq!(e.to_string(), "E_SHAPE: matmul: a has 5 floats, expected m*k = 6");
    }
}
