//! `cargo bench -p oxnet-core --bench xor`: nanoseconds per XOR epoch (W1: 2-2-1 sigmoid, halfSse,
//! SGD lr 0.5, batch 1, four samples in order) through `Network::train_epochs`, the path
//! `fit({ stopBelowLoss })` takes. The figure to hold against brain.js's ~1 us per epoch.
use std::time::Instant;

#[path = "../tests/common/mod.rs"]
mod common;

use oxnet_core::executor::{Dataset, EpochOrder, EpochPlan, Network};

fn main() {
    let json = r#"{"inputSize":2,"seed":1,"layers":[
        {"type":"dense","inputs":2,"units":2,"useBias":true,"activation":{"kind":"sigmoid"}},
        {"type":"dense","inputs":2,"units":1,"useBias":true,"activation":{"kind":"sigmoid"}}],
        "loss":{"kind":"halfSse"},"optimizer":{"kind":"sgd","lr":0.5}}"#;
    let params = vec![vec![0.3, -0.2, 0.4, 0.1], vec![0.05, -0.05], vec![0.2, -0.3], vec![0.1]];
    let data = Dataset::single(vec![0., 0., 0., 1., 1., 0., 1., 1.], vec![0., 1., 1., 0.], 4).unwrap();
    let epochs = std::env::args().skip(1).find_map(|s| s.parse().ok()).unwrap_or(200_000);
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let mut net = {
            let (spec, state) = common::chain(json);
            Network::new(spec, params.clone(), state).unwrap()
        };
        let plan = EpochPlan { epochs, batch_size: 1, lr: 0.5, step: 0, order: EpochOrder::Identity, stop_below: None };
        let t = Instant::now();
        let stats = net.train_epochs(&data, &plan).unwrap();
        best = best.min(t.elapsed().as_secs_f64() / stats.epochs as f64);
    }
    println!("xor 2-2-1: {:.1} ns/epoch (best of 5 runs of {epochs} epochs)", best * 1e9);
}
