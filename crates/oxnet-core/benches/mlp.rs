//! `cargo bench -p oxnet-core --bench mlp`: W2 (784-128-64-10, ReLU, softmax cross-entropy, Adam,
//! batch 64) samples/s through `Network::train_epochs` on 1 and 2 threads, side by side.
//! Measured here: about equal. Its big products alone run ~1.5x faster on 2 threads back to back,
//! but between them in training the second pool thread has gone to sleep, and waking it costs
//! about what the split saves (a whole batch is ~0.4 ms). Splitting C by row blocks instead of
//! tiles (one parallel region per product) did not change that.
use std::time::Instant;

#[path = "../tests/common/mod.rs"]
mod common;

use oxnet_core::executor::{Dataset, EpochOrder, EpochPlan, Network};
use oxnet_core::rng::Mulberry32;

const W2: &str = r#"{"inputSize":784,"seed":7,"loss":{"kind":"softmaxCrossEntropy"},"optimizer":{"kind":"adam","lr":0.001},
"layers":[{"type":"dense","inputs":784,"units":128,"useBias":true,"activation":{"kind":"relu"}},
{"type":"dense","inputs":128,"units":64,"useBias":true,"activation":{"kind":"relu"}},
{"type":"dense","inputs":64,"units":10,"useBias":true,"activation":{"kind":"softmax"}}]}"#;

fn random(n: usize, seed: u32, scale: f64) -> Vec<f32> {
    let mut r = Mulberry32::new(seed);
    (0..n).map(|_| ((r.next_f64() * 2.0 - 1.0) * scale) as f32).collect()
}

fn main() {
    let count = 8000;
    let x: Vec<f32> = random(count * 784, 4, 0.5).iter().map(|v| v + 0.5).collect();
    let mut y = vec![0.0; count * 10];
    for i in 0..count {
        y[i * 10 + (i * 7) % 10] = 1.0;
    }
    let data = Dataset::single(x, y, count).unwrap();
    let sizes = [784 * 128, 128, 128 * 64, 64, 64 * 10, 10];
    for round in 0..3 {
        for threads in [1, 2] {
            oxnet_core::threads::set_threads(threads).unwrap();
            let rate = {
                let params: Vec<Vec<f32>> = sizes.iter().enumerate().map(|(i, &n)| random(n, i as u32 + 1, 0.05)).collect();
                let mut net = {
                    let (spec, state) = common::chain(W2);
                    Network::new(spec, params, state).unwrap()
                };
                let plan = EpochPlan { epochs: 1, batch_size: 64, lr: 1e-3, step: 0, order: EpochOrder::Identity, stop_below: None };
                net.train_epochs(&data, &plan).unwrap();
                let t = Instant::now();
                let plan = EpochPlan { epochs: 2, ..plan };
                net.train_epochs(&data, &plan).unwrap();
                2.0 * count as f64 / t.elapsed().as_secs_f64()
            };
            println!("round {round} W2 threads={threads}: {rate:.0} samples/s");
        }
    }
}
