//! W3 of /work/shared/workloads.md through the executor, timed (ignored by default):
//! `cargo test --release -p oxnet-core --test cnn_speed -- --ignored --nocapture`.
//! Also checks what the speed work must not break: one and two threads give bitwise-identical
//! weights (dW sums run in a fixed task order).
mod common;

use common::{random, W3};

use oxnet_core::executor::{Dataset, Network};
use std::time::Instant;

/// W3 with Glorot-like random weights and `count` random images with one-hot labels.
fn w3(count: usize) -> (Network, Dataset) {
    let params = vec![random(200, 1, 0.3), vec![0.0; 8], random(3200, 2, 0.1), vec![0.0; 16], random(7840, 3, 0.08), vec![0.0; 10]];
    let (spec, state) = common::chain(W3);
    let net = Network::new(spec, params, state).unwrap();
    let x: Vec<f32> = random(count * 784, 4, 0.5).iter().map(|v| v + 0.5).collect();
    let mut y = vec![0.0; count * 10];
    for i in 0..count {
        y[i * 10 + (i * 7) % 10] = 1.0;
    }
    (net, Dataset::single(x, y, count).unwrap())
}

fn train_in_pool(threads: usize, count: usize, steps: u32) -> Vec<Vec<f32>> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let (mut net, data) = w3(count);
        let order: Vec<u32> = (0..count as u32).rev().collect();
        for s in 0..steps {
            net.train(&data, &order, 32, 1e-3, s * 100).unwrap();
        }
        net.get_params()
    })
}

#[test]
fn one_and_two_threads_give_identical_weights() {
    // 100 samples = 3 full batches and one of 4 (a partial backward task group).
    let one = train_in_pool(1, 100, 2);
    let two = train_in_pool(2, 100, 2);
    let three = train_in_pool(3, 100, 2);
    assert!(one == two && one == three, "weights differ between thread counts");
}

#[test]
#[ignore]
fn w3_samples_per_second() {
    let count = 4096;
    let (mut net, data) = w3(count);
    let order: Vec<u32> = (0..count as u32).collect();
    net.train(&data, &order[..320], 32, 1e-3, 0).unwrap();
    let t = Instant::now();
    net.train(&data, &order, 32, 1e-3, 10).unwrap();
    let s = t.elapsed().as_secs_f64();
    println!("W3 train: {:.0} samples/s ({} threads)", count as f64 / s, rayon::current_num_threads());
}

/// Best-of-20 milliseconds per batch of 32 for each W3 op's forward and backward.
#[test]
#[ignore]
fn w3_layer_times() {
    use oxnet_core::ops::{Ctx, GradOf};
    let spec: serde_json::Value = serde_json::from_str(W3).unwrap();
    let n = 32;
    let mut x = random(n * 784, 9, 0.5);
    for (l, ls) in spec["layers"].as_array().unwrap().iter().enumerate() {
        let mut op = common::Harness::new(&ls.to_string(), &[x.len() / n]).unwrap();
        for (k, p) in op.params.iter_mut().enumerate() {
            *p = random(p.len(), 5 + k as u32, 0.1);
        }
        op.xs[0] = x.clone();
        let ctx = Ctx { training: true, step: 0, seed: 1, node: l as u32 };
        let dy = random(n * op.out_size, 6, 0.1);
        let (mut fwd, mut bwd) = (f64::MAX, f64::MAX);
        for _ in 0..20 {
            let t = Instant::now();
            op.forward(n, true, ctx).unwrap();
            fwd = fwd.min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            op.backward(n, &dy, GradOf::Output, &[l > 0]).unwrap();
            bwd = bwd.min(t.elapsed().as_secs_f64());
        }
        println!("layer {l} {}: forward {:.3} ms, backward {:.3} ms", ls["type"], fwd * 1e3, bwd * 1e3);
        x = op.y.clone();
    }
}
