//! `cargo bench -p oxnet-core --bench gemm [-- SIZE...]`: GFLOP/s of our blocked GEMM (every
//! kernel this CPU has, 1 and 2 threads) next to the `gemm` crate, side by side in one run.
use std::time::Instant;

use oxnet_core::gemm::{gemm, Layout};
use oxnet_core::threads;

/// Best of `reps` timings of `f`, in seconds.
fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn crate_gemm(n: usize, a: &[f32], b: &[f32], c: &mut [f32], par: gemm::Parallelism) {
    // SAFETY: all three are n x n row-major.
    unsafe {
        gemm::gemm(
            n,
            n,
            n,
            c.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            n as isize,
            b.as_ptr(),
            1,
            n as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            par,
        );
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|s| s.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![256, 1024] } else { sizes };
    for n in sizes {
        let a: Vec<f32> = (0..n * n).map(|i| ((i * 7 % 13) as f32 - 6.0) / 8.0).collect();
        let b: Vec<f32> = (0..n * n).map(|i| ((i * 5 % 11) as f32 - 5.0) / 8.0).collect();
        let mut c = vec![0.0; n * n];
        let flop = 2.0 * (n as f64).powi(3);
        let reps = if n <= 256 {
            200
        } else if n <= 1024 {
            20
        } else {
            3
        };
        for t in [1, 2] {
            threads::set_threads(t).unwrap();
            let s = best(reps, || gemm(n, n, n, &a, Layout::Normal, &b, Layout::Normal, &mut c, false).unwrap());
            println!("n={n} ours ({}) threads={t}: {:.1} GFLOP/s", oxnet_core::simd::kernel().name, flop / s / 1e9);
        }
        let s = best(reps, || crate_gemm(n, &a, &b, &mut c, gemm::Parallelism::None));
        println!("n={n} gemm crate threads=1: {:.1} GFLOP/s", flop / s / 1e9);
        let s = best(reps, || crate_gemm(n, &a, &b, &mut c, gemm::Parallelism::Rayon(2)));
        println!("n={n} gemm crate threads=2: {:.1} GFLOP/s", flop / s / 1e9);
    }
}
