//! aarch64 kernel (compiled there only): 8 rows x 2 float32x4, 16 accumulators.
use std::arch::aarch64::*;

pub const MR: usize = 8;
pub const NR: usize = 8;

/// # Safety
/// NEON present; `a` holds kc*8 floats, `b` kc*8, `c` 8 rows of 8 floats `ldc` apart.
#[target_feature(enable = "neon")]
pub unsafe fn kernel_neon(kc: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize, load: bool) {
    let mut acc = [[vdupq_n_f32(0.0); 2]; MR];
    if load {
        for (i, row) in acc.iter_mut().enumerate() {
            row[0] = vld1q_f32(c.add(i * ldc));
            row[1] = vld1q_f32(c.add(i * ldc + 4));
        }
    }
    for p in 0..kc {
        let b0 = vld1q_f32(b.add(p * NR));
        let b1 = vld1q_f32(b.add(p * NR + 4));
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = vdupq_n_f32(*a.add(p * MR + i));
            row[0] = vfmaq_f32(row[0], ai, b0);
            row[1] = vfmaq_f32(row[1], ai, b1);
        }
    }
    for (i, row) in acc.iter().enumerate() {
        vst1q_f32(c.add(i * ldc), row[0]);
        vst1q_f32(c.add(i * ldc + 4), row[1]);
    }
}
