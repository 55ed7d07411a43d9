//! Portable kernel: plain multiply-add on a 4 x 8 tile the compiler can keep in registers.
pub const MR: usize = 4;
pub const NR: usize = 8;

/// # Safety
/// `a` holds kc*MR floats, `b` kc*NR, and `c` addresses MR rows of NR floats `ldc` apart.
pub unsafe fn kernel_scalar(kc: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize, load: bool) {
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
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = *a.add(p * MR + i);
            for (v, &bj) in row.iter_mut().zip(bp) {
                *v += ai * bj;
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            *c.add(i * ldc + j) = v;
        }
    }
}
