//! `cargo bench -p oxnet-core --bench threads`: what a hand-off to the pool costs (a rayon::join
//! of two empty halves after 200 µs of serial work, when the pool threads have gone to sleep, and
//! inside a warm window where they poll), and W2's products on 1 and 2 threads, cold and warm.
use std::hint::black_box;
use std::time::Instant;

use oxnet_core::gemm::{gemm, Layout};
use oxnet_core::threads;

/// Serial busy work for about `us` microseconds.
fn busy(us: u64) {
    let t = Instant::now();
    while t.elapsed().as_micros() < u128::from(us) {
        black_box(0);
    }
}

/// A fixed amount of arithmetic (`units` x about 1 µs here), the same on every thread.
fn work(units: u32) -> f32 {
    let mut x = 1.0f32;
    for i in 0..units * 300 {
        x = black_box(x * 0.999_9 + (i & 7) as f32);
    }
    x
}

/// Median and minimum of `reps` timings (µs) of `f`, each after `gap` µs of serial work.
fn median(reps: usize, gap: u64, mut f: impl FnMut()) -> Stat {
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            busy(gap);
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(f64::total_cmp);
    Stat(t[reps / 2], t[0])
}

struct Stat(f64, f64);

impl std::fmt::Display for Stat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1} µs (min {:.1})", self.0, self.1)
    }
}

fn main() {
    threads::set_threads(2).unwrap();
    let serial = median(500, 0, || {
        black_box(work(20) + work(20));
    });
    println!("two halves of work(20) serially: {serial}");
    for gap in [0, 200] {
        let mut halves = || {
            black_box(rayon::join(|| work(20), || work(20)));
        };
        let cold = threads::install(|| median(1000, gap, &mut halves));
        let warm = threads::install_warm(true, || median(1000, gap, &mut halves));
        println!("join of two work(20) halves after {gap} µs serial: cold {cold}, warm {warm}");
    }
    // W2's products (m, k, n, A layout, B layout): forward, then backward dW and dX.
    let shapes = [
        ("fwd1 64x784x128", 64, 784, 128, Layout::Normal, Layout::Normal),
        ("dW1 784x64x128", 784, 64, 128, Layout::Transposed, Layout::Normal),
        ("fwd2 64x128x64", 64, 128, 64, Layout::Normal, Layout::Normal),
        ("dW2 128x64x64", 128, 64, 64, Layout::Transposed, Layout::Normal),
        ("dX2 64x64x128", 64, 64, 128, Layout::Normal, Layout::Transposed),
        ("fwd3 64x64x10", 64, 64, 10, Layout::Normal, Layout::Normal),
    ];
    for (name, m, k, n, la, lb) in shapes {
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 13) as f32 - 6.0) / 8.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 11) as f32 - 5.0) / 8.0).collect();
        let mut c = vec![0.0; m * n];
        let mut run = || gemm(m, k, n, &a, la, &b, lb, &mut c, false).unwrap();
        threads::set_threads(1).unwrap();
        let one = median(500, 100, &mut run);
        threads::set_threads(2).unwrap();
        let cold = threads::install(|| median(500, 100, &mut run));
        let warm = threads::install_warm(true, || median(500, 100, &mut run));
        println!("{name}: 1 thread {one}, 2 threads cold {cold}, warm {warm}");
    }
}
