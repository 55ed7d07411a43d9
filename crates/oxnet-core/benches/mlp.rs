//! `cargo bench -p oxnet-core --bench mlp [-- w2|w3|w2calls|w3calls [ROUNDS]]`: W2 (784-128-64-10, ReLU, softmax
//! cross-entropy, Adam, batch 64) and W3 (the small CNN, batch 32) samples/s through
//! `Network::train_epochs` on 1 and 2 threads, side by side, and the 2-over-1 ratio per round;
//! `w2calls` / `w3calls`: calls of 10 batches alternating between a 1-thread and a 2-thread pool,
//! 40 pairs per round, and the median of the pairs' ratios (robust on a shared machine).
//! Before warm windows (threads::install_warm) two threads lost to one on W2 (about 0.83x):
//! between its products the second pool thread went to sleep, and waking it cost about what the
//! split saved (a whole batch is ~0.4 ms on an idle core).
use std::time::Instant;

#[path = "../tests/common/mod.rs"]
mod common;

use common::{random, W2, W3};

use oxnet_core::executor::{Dataset, EpochOrder, EpochPlan, Network};

/// Samples/s of one workload on `threads` threads: a fresh network, `warm` samples of warm-up,
/// then `epochs` timed epochs over `data`.
fn rate(spec: &str, sizes: &[usize], data: &Dataset, batch: usize, warm: usize, epochs: usize, threads: usize) -> f64 {
    oxnet_core::threads::set_threads(threads).unwrap();
    let params: Vec<Vec<f32>> = sizes.iter().enumerate().map(|(i, &n)| random(n, i as u32 + 1, 0.05)).collect();
    let mut net = {
        let (spec, state) = common::chain(spec);
        Network::new(spec, params, state).unwrap()
    };
    let order: Vec<u32> = (0..warm as u32).collect();
    net.train(data, &order, batch, 1e-3, 0).unwrap();
    let t = Instant::now();
    let plan = EpochPlan { epochs, batch_size: batch, lr: 1e-3, step: 100, order: EpochOrder::Identity, stop_below: None };
    net.train_epochs(data, &plan).unwrap();
    (epochs * data.count) as f64 / t.elapsed().as_secs_f64()
}

/// Paired per-call samples/s: `pairs` times, one trainEpochs call of one epoch over `data` on a
/// 1-thread pool, then one on a 2-thread pool (a network each), so both see the same machine
/// (on a shared one, conditions change from second to second). Returns the sorted rates of
/// each and the sorted per-pair ratios two over one.
fn paired(spec: &str, sizes: &[usize], data: &Dataset, batch: usize, pairs: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let pools: Vec<rayon::ThreadPool> = [1, 2].iter().map(|&t| rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap()).collect();
    let params: Vec<Vec<f32>> = sizes.iter().enumerate().map(|(i, &n)| random(n, i as u32 + 1, 0.05)).collect();
    let mut nets: Vec<Network> = (0..2)
        .map(|_| {
            let (spec, state) = common::chain(spec);
            Network::new(spec, params.clone(), state).unwrap()
        })
        .collect();
    let plan = EpochPlan { epochs: 1, batch_size: batch, lr: 1e-3, step: 0, order: EpochOrder::Identity, stop_below: None };
    let mut call = |i: usize| {
        let net = &mut nets[i];
        pools[i].install(|| {
            let t = Instant::now();
            net.train_epochs(data, &plan).unwrap();
            data.count as f64 / t.elapsed().as_secs_f64()
        })
    };
    call(0);
    call(1);
    let (mut one, mut two, mut ratio) = (vec![], vec![], vec![]);
    for _ in 0..pairs {
        let (a, b) = (call(0), call(1));
        one.push(a);
        two.push(b);
        ratio.push(b / a);
    }
    for v in [&mut one, &mut two, &mut ratio] {
        v.sort_by(|a, b| b.total_cmp(a));
    }
    (one, two, ratio)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let which = args.first().map_or("w2", String::as_str);
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(3);
    if which == "w3" {
        let count = 1600;
        let x: Vec<f32> = random(count * 784, 4, 0.5).iter().map(|v| v + 0.5).collect();
        let mut y = vec![0.0; count * 10];
        for i in 0..count {
            y[i * 10 + (i * 7) % 10] = 1.0;
        }
        let data = Dataset::single(x, y, count).unwrap();
        let sizes = [5 * 5 * 8, 8, 5 * 5 * 8 * 16, 16, 784 * 10, 10];
        for round in 0..rounds {
            let one = rate(W3, &sizes, &data, 32, 320, 1, 1);
            let two = rate(W3, &sizes, &data, 32, 320, 1, 2);
            println!("round {round} W3 threads=1: {one:.0} samples/s, threads=2: {two:.0} samples/s, 2/1 = {:.2}", two / one);
        }
        return;
    }
    if which == "w2calls" || which == "w3calls" {
        // Calls of 10 batches (640 / 320 samples), 60 per thread count, alternating blocks.
        let (spec, batch, size, sizes): (&str, usize, usize, Vec<usize>) = if which == "w2calls" {
            (W2, 64, 784, vec![784 * 128, 128, 128 * 64, 64, 64 * 10, 10])
        } else {
            (W3, 32, 784, vec![5 * 5 * 8, 8, 5 * 5 * 8 * 16, 16, 784 * 10, 10])
        };
        let count = 10 * batch;
        let x: Vec<f32> = random(count * size, 4, 0.5).iter().map(|v| v + 0.5).collect();
        let mut y = vec![0.0; count * 10];
        for i in 0..count {
            y[i * 10 + (i * 7) % 10] = 1.0;
        }
        let data = Dataset::single(x, y, count).unwrap();
        let (one, two, ratio) = paired(spec, &sizes, &data, batch, 40 * rounds);
        let (med, dec) = (|v: &[f64]| v[v.len() / 2], |v: &[f64]| v[v.len() / 10]);
        println!(
            "{which} samples/s per call of 10 batches, {} pairs: threads=1 median {:.0} (best decile {:.0}); threads=2 median {:.0} (best decile {:.0}); 2/1 median of pairs {:.2}",
            ratio.len(),
            med(&one),
            dec(&one),
            med(&two),
            dec(&two),
            med(&ratio)
        );
        return;
    }
    let count = 8000;
    let x: Vec<f32> = random(count * 784, 4, 0.5).iter().map(|v| v + 0.5).collect();
    let mut y = vec![0.0; count * 10];
    for i in 0..count {
        y[i * 10 + (i * 7) % 10] = 1.0;
    }
    let data = Dataset::single(x, y, count).unwrap();
    let sizes = [784 * 128, 128, 128 * 64, 64, 64 * 10, 10];
    for round in 0..rounds {
        let one = rate(W2, &sizes, &data, 64, count, 2, 1);
        let two = rate(W2, &sizes, &data, 64, count, 2, 2);
        println!("round {round} W2 threads=1: {one:.0} samples/s, threads=2: {two:.0} samples/s, 2/1 = {:.2}", two / one);
    }
}
