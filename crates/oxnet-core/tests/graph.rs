//! The graph executor on graphs a chain cannot express: a value read by several nodes, a layer
//! applied twice, several outputs with loss weights, two inputs, a residual network. Every
//! gradient the executor leaves is checked against central differences of the loss it reports;
//! and the buffer plan of a deep residual net is measured against one buffer per value.
mod common;

use common::random;

use common::Builder;
use oxnet_core::executor::{Dataset, Network, TargetData};
use oxnet_core::graph::GraphSpec;
use oxnet_core::spec::LossKind;

fn dense(inputs: usize, units: usize, act: &str) -> String {
    format!(r#"{{"type":"dense","inputs":{inputs},"units":{units},"useBias":true,"activation":{{"kind":"{act}"}}}}"#)
}

fn merge(kind: &str, size: usize, count: usize) -> String {
    format!(r#"{{"type":"merge","kind":"{kind}","size":{size},"count":{count}}}"#)
}

/// The executor's gradients equal central differences of its own loss (f32 forward: h = 1e-3,
/// agreement to ~2e-3) for every parameter, on one batch of n samples. Smooth activations only:
/// a ReLU kink within h of a pre-activation breaks the difference, not the gradient.
fn check_gradients(b: &Builder, inputs: &[Vec<f32>], targets: &[Vec<f32>], n: usize) {
    let (spec, state) = b.finish();
    let params: Vec<Vec<f32>> = b.param_sizes().iter().enumerate().map(|(i, &s)| random(s, 40 + i as u32, 0.6)).collect();
    let xs: Vec<&[f32]> = inputs.iter().map(Vec::as_slice).collect();
    let ts: Vec<&[f32]> = targets.iter().map(Vec::as_slice).collect();
    let loss_at = |p: &Vec<Vec<f32>>| {
        let mut net = Network::new(spec.clone(), p.clone(), state.clone()).unwrap();
        net.compute_gradients(&xs, &ts, n, 0).unwrap().loss
    };
    let mut net = Network::new(spec.clone(), params.clone(), state.clone()).unwrap();
    let stats = net.compute_gradients(&xs, &ts, n, 0).unwrap();
    assert!(stats.finite);
    let grads = net.gradients();
    for t in 0..params.len() {
        // Up to 24 entries of each tensor, spread over it (a network is built per difference).
        let stride = params[t].len().div_ceil(24);
        for i in (0..params[t].len()).step_by(stride) {
            let (mut hi, mut lo) = (params.clone(), params.clone());
            hi[t][i] += 1e-3;
            lo[t][i] -= 1e-3;
            let fd = (loss_at(&hi) - loss_at(&lo)) / f64::from(hi[t][i] - lo[t][i]);
            let got = f64::from(grads[t][i]);
            assert!((fd - got).abs() < 2e-3 * (1.0 + fd.abs()), "{}[{i}]: finite difference {fd}, executor {got}", spec.params[t].name);
        }
    }
}

#[test]
fn fan_out_receives_the_sum_of_its_consumers_gradients() {
    // x -> h = tanh(x W1) -> a = h W2 (sigmoid), c = h W3 (tanh) -> out = a + c, and also h * a.
    let mut b = Builder::new(3);
    let h = b.node(&dense(3, 4, "tanh"), &[0]);
    let a = b.node(&dense(4, 4, "sigmoid"), &[h]);
    let c = b.node(&dense(4, 4, "tanh"), &[h]);
    let s = b.node(&merge("add", 4, 2), &[a, c]);
    let m = b.node(&merge("multiply", 4, 3), &[s, h, a]);
    b.output(m, LossKind::Mse);
    check_gradients(&b, &[random(6, 1, 1.0)], &[random(8, 2, 1.0)], 2);
}

#[test]
fn a_layer_applied_twice_sums_its_parameter_gradients() {
    // The same dense (4 -> 4, tanh) applied to x and to its own output, then subtracted.
    let mut b = Builder::new(4);
    let first = b.node(&dense(4, 4, "tanh"), &[0]);
    let second = b.shared(&dense(4, 4, "tanh"), &[first], first);
    let d = b.node(&merge("subtract", 4, 2), &[second, 0]);
    let out = b.node(&dense(4, 2, "linear"), &[d]);
    b.output(out, LossKind::HalfSse);
    assert_eq!(b.param_sizes(), vec![16, 4, 8, 2], "one kernel and bias for both applications");
    check_gradients(&b, &[random(12, 3, 1.0)], &[random(6, 4, 1.0)], 3);
}

#[test]
fn two_outputs_with_loss_weights_and_two_inputs() {
    // Inputs of 3 and 2 floats; a softmax head (from logits) on their concatenated features and a
    // regression head; total loss = 1 * CE + 0.25 * MSE; and the maximum of two branches.
    let mut b = Builder::with_inputs(&[3, 2]);
    let p = b.node(&dense(3, 4, "sigmoid"), &[0]);
    let q = b.node(&dense(2, 4, "tanh"), &[1]);
    let mx = b.node(&merge("maximum", 4, 2), &[p, q]);
    let avg = b.node(&merge("average", 4, 2), &[p, q]);
    let class = b.node(&dense(4, 3, "softmax"), &[mx]);
    let reg = b.node(&dense(4, 1, "linear"), &[avg]);
    b.output(class, LossKind::SoftmaxCrossEntropy).weighted_output(reg, LossKind::Mse, 0.25);
    let onehot = vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    check_gradients(&b, &[random(12, 5, 1.0), random(8, 6, 1.0)], &[onehot, random(4, 7, 1.0)], 4);
}

#[test]
fn a_residual_block_with_batch_norm() {
    let (b, _) = common::resnet(4, 2, 1, "tanh");
    let mut y = vec![0.0; 30];
    for s in 0..3 {
        y[s * 10 + s] = 1.0;
    }
    check_gradients(&b, &[random(96, 8, 1.0)], &[y], 3);
}

#[test]
fn multi_output_training_reports_each_loss_and_count() {
    let mut b = Builder::with_inputs(&[2]);
    let h = b.node(&dense(2, 3, "tanh"), &[0]);
    let y1 = b.node(&dense(3, 1, "sigmoid"), &[h]);
    let y2 = b.node(&dense(3, 2, "linear"), &[h]);
    b.output(y1, LossKind::BinaryCrossEntropy).weighted_output(y2, LossKind::Mse, 0.5);
    let (spec, state) = b.finish();
    let params: Vec<Vec<f32>> = b.param_sizes().iter().enumerate().map(|(i, &s)| random(s, i as u32, 0.5)).collect();
    let mut net = Network::new(spec, params, state).unwrap();
    let x = random(8, 9, 1.0);
    let data = Dataset::new(vec![x.clone()], vec![TargetData::Values(vec![1.0, 0.0, 1.0, 0.0]), TargetData::Input(0)], 4).unwrap();
    let stats = net.train(&data, &[0, 1, 2, 3], 2, 0.0, 0).unwrap();
    assert_eq!(stats.output_losses.len(), 4, "2 batches x 2 outputs");
    for bi in 0..2 {
        let (l1, l2) = (stats.output_losses[2 * bi], stats.output_losses[2 * bi + 1]);
        assert!((stats.losses[bi] - (l1 + 0.5 * l2)).abs() < 1e-12, "total = weighted sum");
    }
    // evaluate on the same samples (no update with lr 0): the same mean losses.
    let t1 = [1.0, 0.0, 1.0, 0.0];
    let eval = net.evaluate(&[&x], &[&t1, &x], 4).unwrap();
    let mean1 = (stats.output_losses[0] + stats.output_losses[2]) / 2.0;
    assert!((eval.loss_sums[0] / 4.0 - mean1).abs() < 1e-6, "{} vs {mean1}", eval.loss_sums[0] / 4.0);
    let e = Dataset::new(vec![x], vec![TargetData::Input(3)], 4).unwrap_err();
    assert!(e.message.contains("names input 3"), "{e}");
}

#[test]
fn refuses_a_node_that_feeds_nothing() {
    let mut b = Builder::new(2);
    let h = b.node(&dense(2, 2, "tanh"), &[0]);
    b.node(&dense(2, 2, "tanh"), &[h]); // dead
    b.output(h, LossKind::Mse);
    let (spec, state) = b.finish();
    let params = b.param_sizes().iter().map(|&s| vec![0.0; s]).collect();
    let e = Network::new(spec, params, state).err().unwrap();
    assert!(e.message.contains("feeds no node and no output"), "{e}");
}

#[test]
fn a_deep_residual_net_needs_far_fewer_buffers_than_one_per_value() {
    let (b, _) = common::resnet(28, 1, 2, "relu");
    let (spec, state): (GraphSpec, _) = b.finish();
    let params = b.param_sizes().iter().map(|&s| vec![0.01; s]).collect();
    let net = Network::new(spec, params, state).unwrap();
    let m = net.memory();
    let mb = |floats: usize| floats as f64 * 64.0 * 4.0 / 1e6;
    println!(
        "W6 at batch 64: training activations {:.1} MB (one buffer per value: {:.1} MB), value gradients {:.1} MB ({:.1}), inference {:.1} MB ({:.1})",
        mb(m.training),
        mb(m.training_naive),
        mb(m.gradients),
        mb(m.gradients_naive),
        mb(m.inference),
        mb(m.inference_naive)
    );
    // Batch norm and add keep nothing for backward, so training frees their inputs early;
    // gradients and inference need only a few live values at a time.
    assert!(m.training * 10 < m.training_naive * 8, "training {} vs naive {}", m.training, m.training_naive);
    assert!(m.gradients * 4 < m.gradients_naive, "gradients {} vs naive {}", m.gradients, m.gradients_naive);
    assert!(m.inference * 5 < m.inference_naive, "inference {} vs naive {}", m.inference, m.inference_naive);
}

/// W6 (the ResNet of the workloads) through the executor: `cargo test --release --test graph w6 --
/// --ignored --nocapture` prints samples/s; under callgrind it shows where a batch goes.
#[test]
#[ignore]
fn w6_training_speed() {
    let (b, _) = common::resnet(28, 1, 2, "relu");
    let (spec, state) = b.finish();
    let params = b.param_sizes().iter().enumerate().map(|(i, &s)| random(s, i as u32, 0.1)).collect();
    let mut net = Network::new(spec, params, state).unwrap();
    let batch = std::env::var("W6_BATCH").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
    let batches = std::env::var("W6_BATCHES").ok().and_then(|v| v.parse().ok()).unwrap_or(6);
    let count = batch * batches;
    let x: Vec<f32> = random(count * 784, 3, 0.5).iter().map(|v| v + 0.5).collect();
    let mut y = vec![0.0; count * 10];
    for i in 0..count {
        y[i * 10 + (i * 7) % 10] = 1.0;
    }
    let data = Dataset::single(x, y, count).unwrap();
    let order: Vec<u32> = (0..count as u32).collect();
    net.train(&data, &order[..batch], batch, 1e-3, 0).unwrap();
    let t = std::time::Instant::now();
    net.train(&data, &order, batch, 1e-3, 1).unwrap();
    println!("W6: {:.0} samples/s (batch {batch}, {} threads)", count as f64 / t.elapsed().as_secs_f64(), rayon::current_num_threads());
}

#[test]
fn a_refilled_dataset_holds_the_new_rows_and_an_error_leaves_it_empty() {
    let mut data = Dataset::new(vec![vec![1.0, 2.0, 3.0, 4.0]], vec![TargetData::Values(vec![0.5, 1.5])], 2).unwrap();
    data.refill(&[&[5.0, 6.0, 7.0, 8.0, 9.0, 10.0]], &[Some(&[2.0, 3.0, 4.0])], 3).unwrap();
    assert_eq!((data.count, data.input_sizes.clone(), data.target_sizes.clone()), (3, vec![2], vec![1]));
    assert_eq!(data.input(0), &[5.0, 6.0, 7.0, 8.0, 9.0, 10.0]);
    assert_eq!(data.target(0), &[2.0, 3.0, 4.0]);
    // A target given as None is the input of its index (an autoencoder's).
    data.refill(&[&[1.0, 2.0]], &[None], 1).unwrap();
    assert_eq!(data.target(0), &[1.0, 2.0]);
    let e = data.refill(&[&[1.0, 2.0, 3.0]], &[Some(&[1.0])], 2).unwrap_err();
    assert!(e.message.contains("not") || e.message.contains("multiple"), "{e}");
    assert_eq!(data.count, 0);
}
