//! `cargo bench -p oxnet-core --bench bf16 [-- SIZE...]`: GFLOP/s of the bfloat16 GEMM (each
//! kernel this CPU has) next to our float32 GEMM, n x n x n, at 1 and 2 threads, side by side in
//! one run (best of 3 after a warm-up; the two alternate so the machine's load hits both).
use std::time::Instant;

use oxnet_core::bf16::gemm as bf;
use oxnet_core::gemm::{gemm, Layout, View};
use oxnet_core::threads;

fn time(f: &mut dyn FnMut()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1024, 2048] } else { sizes };
    println!("bf16 kernels: {:?}", bf::available().iter().map(|k| k.name).collect::<Vec<_>>());
    for &n in &sizes {
        let a: Vec<f32> = (0..n * n).map(|i| ((i * 7919 % 1000) as f32) / 1000.0 - 0.5).collect();
        let b: Vec<f32> = (0..n * n).map(|i| ((i * 104_729 % 1000) as f32) / 1000.0 - 0.5).collect();
        let flops = 2.0 * (n as f64).powi(3);
        for t in [1usize, 2] {
            threads::set_threads(t).expect("threads");
            let mut c = vec![0.0f32; n * n];
            let mut f32_run = || gemm(n, n, n, &a, Layout::Normal, &b, Layout::Normal, &mut c, false).unwrap();
            let mut runs: Vec<(String, Box<dyn FnMut()>)> = vec![("f32".into(), Box::new(&mut f32_run))];
            for k in bf::available() {
                let (a, b) = (&a, &b);
                let mut out = vec![0.0f32; n * n];
                runs.push((
                    format!("bf16 {}", k.name),
                    Box::new(move || {
                        let (av, bv) = (View { data: a, rs: n, cs: 1 }, View { data: b, rs: n, cs: 1 });
                        bf::gemm_with(k, n, n, n, av, bv, &mut out, false, t > 1);
                    }),
                ));
            }
            // The portable kernel is slow on machines without hardware FMA: one round only there.
            let mut best = vec![f64::INFINITY; runs.len()];
            for round in 0..4 {
                for (i, (name, f)) in runs.iter_mut().enumerate() {
                    if name.contains("portable") && (round > 1 || n > 1024) {
                        continue;
                    }
                    let s = time(f.as_mut());
                    if round > 0 || name.contains("portable") {
                        best[i] = best[i].min(s);
                    }
                }
            }
            let base = flops / best[0] / 1e9;
            for ((name, _), s) in runs.iter().zip(&best) {
                if s.is_finite() {
                    let g = flops / s / 1e9;
                    println!("n={n} threads={t} {name:>16}: {g:7.1} GFLOP/s ({:.2}x f32)", g / base);
                }
            }
        }
    }
}
