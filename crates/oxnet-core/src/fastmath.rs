//! Element-wise f32 math for the executor's hot loops: a branch-free exp that vectorizes, and
//! `multiversion!`, which compiles a loop for AVX2+FMA too and picks that copy at run time.

/// exp(x) in f32 within ~2 ulp (Cephes expf: x = n ln2 + r, |r| <= ln2/2, degree-6 polynomial,
/// then 2^n through the exponent bits). No branches and no table, so loops over it vectorize.
/// Below -87.3 (where 2^n would go subnormal) it returns 0; above 88.3, exp(88.3).
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in two so n * LN2_HI is exact for the n that can occur.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding 1.5 * 2^23 rounds to an integer in the low mantissa bits (round to nearest).
    const SHIFT: f32 = 12_582_912.0;
    // Plain multiply-adds, not mul_add: without hardware FMA that is a slow libm call.
    let xc = x.clamp(-87.3, 88.3);
    let shifted = xc * LOG2E + SHIFT;
    let n = shifted - SHIFT;
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5; // Cephes' 5.0000001e-1, which is 0.5 exactly in f32
    let poly = p * r * r + r + 1.0;
    let n_int = shifted.to_bits().wrapping_sub(SHIFT.to_bits()) as i32;
    let scale = f32::from_bits(((n_int + 127) as u32) << 23);
    if x < -87.3 {
        0.0
    } else {
        poly * scale
    }
}

/// Defines a function whose body is compiled twice, as is and for AVX2+FMA, and picks the wide
/// copy at run time when the CPU has them (the crate targets baseline x86-64, where LLVM
/// vectorizes 4 lanes of SSE2 at most). The body must be plain loops over slices; helpers it calls
/// must be `#[inline(always)]` so they land in the wide copy.
#[macro_export]
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident $(<$($g:ident : $bound:path),*>)? ($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])* $vis fn $name $(<$($g: $bound),*>)? ($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body $(<$($g: $bound),*>)? ($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn wide $(<$($g: $bound),*>)? ($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                if $crate::fastmath::has_avx2_fma() {
                    // SAFETY: the CPU has AVX2 and FMA (checked just above).
                    return unsafe { wide($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}

/// Whether this CPU has AVX2 and FMA (detected once).
#[cfg(target_arch = "x86_64")]
pub fn has_avx2_fma() -> bool {
    use std::sync::atomic::{AtomicU8, Ordering};
    // 0: not checked yet, 1: no, 2: yes.
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        0 => {
            let yes = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
            STATE.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
        s => s == 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_within_a_few_ulp_of_f64() {
        // Reference: f64 exp rounded to f32; relative error of a correctly rounded f32 is 6e-8.
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let want = f64::from(x).exp();
            let got = f64::from(exp_f32(x));
            worst = worst.max(((got - want) / want).abs());
            x += 0.0137;
        }
        assert!(worst < 2.5e-7, "worst relative error {worst}");
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(-1000.0), 0.0);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert!(exp_f32(f32::NAN).is_nan());
    }

    crate::multiversion! {
        fn doubled_sum(v: &[f32]) -> f32 {
            v.iter().map(|x| x * 2.0).sum()
        }
    }

    #[test]
    fn multiversion_runs_the_body() {
        let v: Vec<f32> = (0..37).map(|i| i as f32).collect();
        assert_eq!(doubled_sum(&v), 2.0 * (36.0 * 37.0 / 2.0));
    }
}
