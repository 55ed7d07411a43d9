//! x86-64 kernels with stable std::arch intrinsics; callers check the CPU features first.
use std::arch::x86_64::*;

pub const MR512: usize = 12;
pub const NR512: usize = 32;
pub const MR256: usize = 6;
pub const NR256: usize = 16;

/// 12 rows x 2 zmm: 24 accumulators, 2 B loads and 12 broadcasts per k.
///
/// # Safety
/// AVX-512F present; `a` holds kc*12 floats, `b` kc*32, `c` 12 rows of 32 floats `ldc` apart.
#[target_feature(enable = "avx512f")]
pub unsafe fn kernel_avx512(kc: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize, load: bool) {
    let mut acc = [[_mm512_setzero_ps(); 2]; MR512];
    if load {
        for (i, row) in acc.iter_mut().enumerate() {
            row[0] = _mm512_loadu_ps(c.add(i * ldc));
            row[1] = _mm512_loadu_ps(c.add(i * ldc + 16));
        }
    }
    let (mut a, mut b) = (a, b);
    for _ in 0..kc {
        let b0 = _mm512_loadu_ps(b);
        let b1 = _mm512_loadu_ps(b.add(16));
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = _mm512_set1_ps(*a.add(i));
            row[0] = _mm512_fmadd_ps(ai, b0, row[0]);
            row[1] = _mm512_fmadd_ps(ai, b1, row[1]);
        }
        a = a.add(MR512);
        b = b.add(NR512);
    }
    for (i, row) in acc.iter().enumerate() {
        _mm512_storeu_ps(c.add(i * ldc), row[0]);
        _mm512_storeu_ps(c.add(i * ldc + 16), row[1]);
    }
}

/// 6 rows x 2 ymm: 12 accumulators (16 registers in all).
///
/// # Safety
/// AVX2 and FMA present; `a` holds kc*6 floats, `b` kc*16, `c` 6 rows of 16 floats `ldc` apart.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn kernel_avx2(kc: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize, load: bool) {
    let mut acc = [[_mm256_setzero_ps(); 2]; MR256];
    if load {
        for (i, row) in acc.iter_mut().enumerate() {
            row[0] = _mm256_loadu_ps(c.add(i * ldc));
            row[1] = _mm256_loadu_ps(c.add(i * ldc + 8));
        }
    }
    let (mut a, mut b) = (a, b);
    for _ in 0..kc {
        let b0 = _mm256_loadu_ps(b);
        let b1 = _mm256_loadu_ps(b.add(8));
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = _mm256_broadcast_ss(&*a.add(i));
            row[0] = _mm256_fmadd_ps(ai, b0, row[0]);
            row[1] = _mm256_fmadd_ps(ai, b1, row[1]);
        }
        a = a.add(MR256);
        b = b.add(NR256);
    }
    for (i, row) in acc.iter().enumerate() {
        _mm256_storeu_ps(c.add(i * ldc), row[0]);
        _mm256_storeu_ps(c.add(i * ldc + 8), row[1]);
    }
}
