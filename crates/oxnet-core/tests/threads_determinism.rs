//! Training gives bitwise the same weights, optimizer state and losses on 1, 2 and 3 threads: a
//! W2-shaped MLP (784-48-32-10, Adam, batch 64) whose products take every threading path: the
//! first layer's split over the pool's tiles, the small layers' dW beside dx (one per thread),
//! and the optimizer step split in chunks, all inside a training call's warm window.
mod common;

use common::random;

use oxnet_core::executor::{Dataset, EpochOrder, EpochPlan, Network};
use oxnet_core::threads;

const NET: &str = r#"{"inputSize":784,"seed":3,"loss":{"kind":"softmaxCrossEntropy"},"optimizer":{"kind":"adam","lr":0.01},
"layers":[{"type":"dense","inputs":784,"units":48,"useBias":true,"activation":{"kind":"relu"}},
{"type":"dense","inputs":48,"units":32,"useBias":true,"activation":{"kind":"relu"}},
{"type":"dense","inputs":32,"units":10,"useBias":true,"activation":{"kind":"softmax"}}]}"#;

/// Weights, optimizer slots and per-epoch losses after a train call (3 batches) and a
/// trainEpochs call (2 shuffled epochs of 4 batches) on `t` threads.
fn train_on(t: usize) -> (Vec<Vec<f32>>, Vec<Vec<f32>>, Vec<f64>) {
    threads::set_threads(t).unwrap();
    let count = 256;
    // Noise, plus a brighter band of 78 pixels where the label says: learnable in a few steps.
    let mut x: Vec<f32> = random(count * 784, 11, 0.5).iter().map(|v| v + 0.5).collect();
    let mut y = vec![0.0; count * 10];
    for i in 0..count {
        let label = (i * 3) % 10;
        y[i * 10 + label] = 1.0;
        x[i * 784 + label * 78..i * 784 + (label + 1) * 78].iter_mut().for_each(|v| *v += 1.0);
    }
    let data = Dataset::single(x, y, count).unwrap();
    let sizes = [784 * 48, 48, 48 * 32, 32, 32 * 10, 10];
    let params: Vec<Vec<f32>> = sizes.iter().enumerate().map(|(i, &n)| random(n, i as u32 + 1, 0.1)).collect();
    let (spec, state) = common::chain(NET);
    let mut net = Network::new(spec, params, state).unwrap();
    let order: Vec<u32> = (0..192).rev().collect();
    let mut losses = net.train(&data, &order, 64, 0.01, 0).unwrap().losses;
    let seeds = [1001, 1002];
    let plan = EpochPlan { epochs: 2, batch_size: 64, lr: 0.01, step: 3, order: EpochOrder::Shuffle(&seeds), stop_below: None };
    losses.extend(net.train_epochs(&data, &plan).unwrap().losses);
    (net.get_params(), net.get_optimizer_state(), losses)
}

fn bits(v: &[Vec<f32>]) -> Vec<Vec<u32>> {
    v.iter().map(|t| t.iter().map(|x| x.to_bits()).collect()).collect()
}

#[test]
fn training_is_bitwise_equal_on_1_2_and_3_threads() {
    let one = train_on(1);
    assert!(one.2.iter().all(|l| l.is_finite()) && one.2[4] < 0.8 * one.2[0], "training runs: {:?}", one.2);
    for t in [2, 3, 1] {
        let other = train_on(t);
        assert_eq!(bits(&other.0), bits(&one.0), "weights on {t} threads");
        assert_eq!(bits(&other.1), bits(&one.1), "optimizer state on {t} threads");
        assert_eq!(other.2.iter().map(|l| l.to_bits()).collect::<Vec<_>>(), one.2.iter().map(|l| l.to_bits()).collect::<Vec<_>>());
    }
}
