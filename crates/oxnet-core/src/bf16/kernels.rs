//! The bfloat16 micro-kernels: C[MR x NR] (row stride `ldc`) = (load ? C : 0) + A · B over a
//! packed A panel [kc][MR] and a packed B panel [kc][NR] of bfloat16 bits, each element one chain
//! of fused multiply-adds over p ascending. Both kernels read the same panels, so they compute the
//! same chain: bitwise equal results.
//!
//! Panel layouts (written by gemm.rs's packing): A element (p, i) at `a[p * MR + i]`, and `a[-1]`
//! is readable (the AVX2 kernel broadcasts the 32 bits ending at an element); B element (p, j) at
//! `b[p * NR + B_SLOT[j]]`, the columns of each 16 placed so that AVX2's in-lane unpacks give
//! columns 0..8 and 8..16 in order.
pub const MR: usize = 6;
pub const NR: usize = 16;

/// Where column j of a B panel row is stored.
pub const B_SLOT: [usize; NR] = [0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15];

pub type KernelFn = unsafe fn(kc: usize, a: *const u16, b: *const u16, c: *mut f32, ldc: usize, load: bool);

/// Portable: `f32::mul_add` is one rounding, as FMA (a bfloat16 product is exact in f32 except
/// where it under- or overflows, so a plain `a * b + c` would differ only there).
///
/// # Safety
/// `a` holds kc*MR values, `b` kc*NR, and `c` addresses MR rows of NR floats `ldc` apart.
pub unsafe fn kernel_portable(kc: usize, a: *const u16, b: *const u16, c: *mut f32, ldc: usize, load: bool) {
    let mut acc = [[0.0f32; NR]; MR];
    if load {
        for (i, row) in acc.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = *c.add(i * ldc + j);
            }
        }
    }
    for p in 0..kc {
        let bp = std::slice::from_raw_parts(b.add(p * NR), NR);
        let mut bw = [0.0f32; NR];
        for (j, w) in bw.iter_mut().enumerate() {
            *w = super::widen(bp[B_SLOT[j]]);
        }
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = super::widen(*a.add(p * MR + i));
            for (v, &bj) in row.iter_mut().zip(&bw) {
                *v = ai.mul_add(bj, *v);
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            *c.add(i * ldc + j) = v;
        }
    }
}

/// AVX2 + FMA: B's 16 bfloat16 values of a row are one 256-bit load, widened by two in-lane
/// unpacks with zero (bits << 16); each A value is a 32-bit broadcast of the word ending at it,
/// masked to its upper half. 12 accumulators, 2 FMAs per broadcast.
///
/// # Safety
/// As [`kernel_portable`], plus `a.sub(1)` readable; the CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub unsafe fn kernel_avx2(kc: usize, a: *const u16, b: *const u16, c: *mut f32, ldc: usize, load: bool) {
    use std::arch::x86_64::*;
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    if load {
        for (i, row) in acc.iter_mut().enumerate() {
            row[0] = _mm256_loadu_ps(c.add(i * ldc));
            row[1] = _mm256_loadu_ps(c.add(i * ldc + 8));
        }
    }
    let zero = _mm256_setzero_si256();
    let high = _mm256_castsi256_ps(_mm256_set1_epi32(0xffff_0000u32 as i32));
    let (mut a, mut b) = (a, b);
    for _ in 0..kc {
        let raw = _mm256_loadu_si256(b as *const __m256i);
        let b0 = _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, raw));
        let b1 = _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, raw));
        for (i, row) in acc.iter_mut().enumerate() {
            // The 32 bits whose upper half is A element i (its lower half, the element before, is masked off).
            let word = (a.add(i).sub(1) as *const f32).read_unaligned();
            let ai = _mm256_and_ps(_mm256_set1_ps(word), high);
            row[0] = _mm256_fmadd_ps(ai, b0, row[0]);
            row[1] = _mm256_fmadd_ps(ai, b1, row[1]);
        }
        a = a.add(MR);
        b = b.add(NR);
    }
    for (i, row) in acc.iter().enumerate() {
        _mm256_storeu_ps(c.add(i * ldc), row[0]);
        _mm256_storeu_ps(c.add(i * ldc + 8), row[1]);
    }
}
