//! GEMM micro-kernels chosen once at run time from the CPU's features (no `target-cpu=native`):
//! AVX-512F (12 x 32 tile), AVX2+FMA (6 x 16), NEON on aarch64 (8 x 8), portable scalar (4 x 8).
//! A kernel adds a packed A panel [kc][mr] times a packed B panel [kc][nr] into a C tile.
use std::sync::OnceLock;

#[cfg(target_arch = "aarch64")]
mod neon;
mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86;

/// C[mr x nr] (row stride `ldc`) = (load ? C : 0) + Apanel · Bpanel, k ascending per element.
pub type KernelFn = unsafe fn(kc: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize, load: bool);

#[derive(Clone, Copy)]
pub struct Kernel {
    pub name: &'static str,
    pub mr: usize,
    pub nr: usize,
    pub run: KernelFn,
}

/// The fastest kernel this CPU supports (detected once).
pub fn kernel() -> Kernel {
    static CHOSEN: OnceLock<Kernel> = OnceLock::new();
    *CHOSEN.get_or_init(detect)
}

/// Every kernel this CPU can run, fastest first (tests compare them with each other).
pub fn available() -> Vec<Kernel> {
    let mut all = vec![];
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            all.push(Kernel { name: "avx512f", mr: x86::MR512, nr: x86::NR512, run: x86::kernel_avx512 });
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            all.push(Kernel { name: "avx2+fma", mr: x86::MR256, nr: x86::NR256, run: x86::kernel_avx2 });
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            all.push(Kernel { name: "neon", mr: neon::MR, nr: neon::NR, run: neon::kernel_neon });
        }
    }
    all.push(Kernel { name: "scalar", mr: scalar::MR, nr: scalar::NR, run: scalar::kernel_scalar });
    all
}

fn detect() -> Kernel {
    available()[0]
}
