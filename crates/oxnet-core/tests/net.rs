//! Executor tests: the course's worked example, XOR, the non-finite stop and the executor's
//! validation messages.
mod common;

use oxnet_core::executor::{Dataset, Network};
use oxnet_core::rng::Mulberry32;

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// The chain of `json` with these parameters (and the initial state).
fn net(json: &str, params: Vec<Vec<f32>>) -> oxnet_core::Result<Network> {
    let (spec, state) = common::chain(json);
    Network::new(spec, params, state)
}

fn predict(net: &mut Network, x: &[f32], n: usize) -> Vec<f32> {
    let mut out = vec![0.0; n * net.output_sizes()[0]];
    net.predict_into(&[x], n, &mut [&mut out]).unwrap();
    out
}

fn mlp_json(hidden: usize, act: &str, loss: &str, opt: &str) -> String {
    format!(
        r#"{{"inputSize":2,"seed":1,"layers":[
          {{"type":"dense","inputs":2,"units":{hidden},"useBias":false,"activation":{{"kind":"{act}"}}}},
          {{"type":"dense","inputs":{hidden},"units":1,"useBias":false,"activation":{{"kind":"sigmoid"}}}}],
          "loss":{{"kind":"{loss}"}},"optimizer":{opt}}}"#
    )
}

#[test]
fn course_worked_example_gradients() {
    // The course: b = v0 x0 + v1 x1, z1 = s(b), a = w0 z0 + w1 z1, y = s(a), E = 1/2 (y - t)^2.
    // z0 is the other hidden unit (weights u0, u1). Hidden W = [[u0, v0], [u1, v1]] (input i -> unit j).
    let (x0, x1, t) = (0.5f64, -1.0f64, 1.0f64);
    let (u0, u1, v0, v1, w0, w1) = (0.3f64, -0.2, 0.8, 0.4, 0.6, -0.7);
    let params = vec![vec![u0 as f32, v0 as f32, u1 as f32, v1 as f32], vec![w0 as f32, w1 as f32]];
    // SGD with lr 1 and batch 1: each parameter moves by exactly -dE/dparam.
    let mut net = net(&mlp_json(2, "sigmoid", "halfSse", r#"{"kind":"sgd","lr":1}"#), params.clone()).unwrap();
    let data = Dataset::single(vec![x0 as f32, x1 as f32], vec![t as f32], 1).unwrap();
    let stats = net.train(&data, &[0], 1, 1.0, 0).unwrap();
    let after = net.get_params();

    let z0 = sigmoid(u0 * x0 + u1 * x1);
    let z1 = sigmoid(v0 * x0 + v1 * x1);
    let y = sigmoid(w0 * z0 + w1 * z1);
    let delta = (y - t) * y * (1.0 - y);
    // The course's gradient vector: [(y-t)y(1-y) z0, (y-t)y(1-y) z1, (y-t)y(1-y) w1 z1 (1-z1) x0, ... x1]
    let expected = [
        (after[1][0], w0, delta * z0),
        (after[1][1], w1, delta * z1),
        (after[0][1], v0, delta * w1 * z1 * (1.0 - z1) * x0),
        (after[0][3], v1, delta * w1 * z1 * (1.0 - z1) * x1),
        (after[0][0], u0, delta * w0 * z0 * (1.0 - z0) * x0),
    ];
    for (i, (got, before, grad)) in expected.iter().enumerate() {
        let moved = before - f64::from(*got);
        assert!((moved - grad).abs() < 1e-6, "gradient {i}: moved {moved}, course formula {grad}");
    }
    assert!((stats.losses[0] - 0.5 * (y - t).powi(2)).abs() < 1e-6);
    assert_eq!(stats.non_finite_batch, -1);
}

#[test]
fn xor_converges_with_per_sample_sgd() {
    // W1 of docs/workloads.md with a bias: 2-3-1 sigmoid, halfSse, SGD lr 0.5, batch 1.
    let json = r#"{"inputSize":2,"seed":1,"layers":[
        {"type":"dense","inputs":2,"units":3,"useBias":true,"activation":{"kind":"sigmoid"}},
        {"type":"dense","inputs":3,"units":1,"useBias":true,"activation":{"kind":"sigmoid"}}],
        "loss":{"kind":"halfSse"},"optimizer":{"kind":"sgd","lr":0.5}}"#;
    let mut rng = Mulberry32::new(7);
    let mut init = |n: usize| (0..n).map(|_| (rng.next_f64() * 2.0 - 1.0) as f32).collect::<Vec<f32>>();
    let params = vec![init(6), init(3), init(3), init(1)];
    let mut net = net(json, params).unwrap();
    let data = Dataset::single(vec![0., 0., 0., 1., 1., 0., 1., 1.], vec![0., 1., 1., 0.], 4).unwrap();
    let order: Vec<u32> = (0..4).collect();
    let mut epochs = 0;
    loop {
        net.train(&data, &order, 1, 0.5, epochs * 4).unwrap();
        epochs += 1;
        let out = predict(&mut net, data.input(0), 4);
        let mse: f32 = out.iter().zip(data.target(0)).map(|(o, t)| (o - t).powi(2)).sum::<f32>() / 4.0;
        if mse < 0.01 {
            break;
        }
        assert!(epochs < 10_000, "XOR did not converge: mse {mse}");
    }
    let out = predict(&mut net, data.input(0), 4);
    assert!(out[0] < 0.5 && out[1] > 0.5 && out[2] > 0.5 && out[3] < 0.5, "{out:?}");
}

#[test]
fn softmax_cross_entropy_learns_and_counts_correct() {
    // Two separable classes; softmax CE from logits with Adam. Accuracy must reach 100%.
    let json = r#"{"inputSize":2,"seed":3,"layers":[
        {"type":"dense","inputs":2,"units":2,"useBias":true,"activation":{"kind":"softmax"}}],
        "loss":{"kind":"softmaxCrossEntropy"},"optimizer":{"kind":"adam","lr":0.05}}"#;
    let mut net = net(json, vec![vec![0.0; 4], vec![0.0; 2]]).unwrap();
    let data = Dataset::single(vec![1., 1., 2., 1., -1., -1., -1., -2.], vec![1., 0., 1., 0., 0., 1., 0., 1.], 4).unwrap();
    let order: Vec<u32> = (0..4).collect();
    let first = net.train(&data, &order, 4, 0.05, 0).unwrap();
    // Zero weights: softmax is uniform, so the first loss is ln 2 exactly.
    assert!((first.losses[0] - 2f64.ln()).abs() < 1e-6);
    let mut last = first;
    for s in 1..100 {
        last = net.train(&data, &order, 4, 0.05, s).unwrap();
    }
    assert_eq!(last.correct, vec![4.0]);
    assert!(last.losses[0] < 0.1, "{:?}", last.losses);
}

#[test]
fn stops_at_the_first_non_finite_batch() {
    let mut net = net(&mlp_json(2, "relu", "mse", r#"{"kind":"sgd","lr":0.1}"#), vec![vec![0.1; 4], vec![0.1; 2]]).unwrap();
    let data = Dataset::single(vec![1., 1., f32::NAN, 1., 1., 1.], vec![1., 0., 1.], 3).unwrap();
    let before = net.get_params();
    let stats = net.train(&data, &[0, 1, 2], 1, 0.1, 0).unwrap();
    assert_eq!(stats.non_finite_batch, 1);
    assert_eq!(stats.losses.len(), 2);
    assert_ne!(net.get_params(), before, "batch 0 was applied");
    let after_one = net.get_params();
    assert!(after_one.iter().flatten().all(|v| v.is_finite()), "batch 1 was not applied");
}

#[test]
fn validation_names_parameters() {
    let bad_chain = r#"{"inputSize":3,"seed":1,"layers":[
        {"type":"dense","inputs":2,"units":1,"useBias":false,"activation":{"kind":"linear"}}],
        "loss":{"kind":"mse"},"optimizer":{"kind":"sgd","lr":0.1}}"#;
    let e = net(bad_chain, vec![vec![0.0; 2]]).err().unwrap();
    assert_eq!(e.to_string(), "E_CONFIG: node 'dense_0' (dense): input sizes are [3], its spec implies [2]");
    let e = net(&mlp_json(2, "relu", "mse", r#"{"kind":"sgd","lr":0.1}"#), vec![vec![0.0; 4], vec![0.0; 3]]).err().unwrap();
    assert_eq!(e.to_string(), "E_SHAPE: createNetwork: params[1] has 3 floats, expected its shape's size = 2");
    let mut net = net(&mlp_json(2, "relu", "mse", r#"{"kind":"sgd","lr":0.1}"#), vec![vec![0.0; 4], vec![0.0; 2]]).unwrap();
    let data = Dataset::single(vec![0.0; 4], vec![0.0; 2], 2).unwrap();
    let e = net.train(&data, &[0, 5], 1, 0.1, 0).unwrap_err();
    assert_eq!(e.to_string(), "E_ARG: train: order[1] = 5 is out of range for a dataset of 2");
    let e = net.predict_value_into(&[&[0.0; 2]], 1, 3, &mut [0.0; 1]).unwrap_err();
    assert_eq!(e.to_string(), "E_ARG: predictValue: value must be < 3 (value count), got 3");
}

#[test]
fn executor_gradients_match_finite_differences() {
    // dense(tanh) -> reshape -> dense(sigmoid beta 2) with binaryCrossEntropy (logits = beta a,
    // grad scaled by beta): one SGD step with lr 1 moves each parameter by -dL/dp, which must
    // match a central difference of the loss the executor reports (lr 0 leaves params intact).
    let json = r#"{"inputSize":3,"seed":1,"layers":[
        {"type":"dense","inputs":3,"units":4,"useBias":true,"activation":{"kind":"tanh"}},
        {"type":"reshape","size":4},
        {"type":"dense","inputs":4,"units":2,"useBias":true,"activation":{"kind":"sigmoid","beta":2}}],
        "loss":{"kind":"binaryCrossEntropy"},"optimizer":{"kind":"sgd","lr":1}}"#;
    let mut rng = Mulberry32::new(11);
    let mut init = |n: usize| (0..n).map(|_| (rng.next_f64() - 0.5) as f32).collect::<Vec<f32>>();
    let params = vec![init(12), init(4), init(8), init(2)];
    let data = Dataset::single(init(6), vec![1.0, 0.0, 0.0, 1.0], 2).unwrap();
    let loss_at = |p: &Vec<Vec<f32>>| {
        let mut net = net(json, p.clone()).unwrap();
        net.train(&data, &[0, 1], 2, 0.0, 0).unwrap().losses[0]
    };
    let mut net = net(json, params.clone()).unwrap();
    net.train(&data, &[0, 1], 2, 1.0, 0).unwrap();
    let after = net.get_params();
    for t in 0..params.len() {
        for i in 0..params[t].len() {
            let (mut hi, mut lo) = (params.clone(), params.clone());
            hi[t][i] += 1e-2;
            lo[t][i] -= 1e-2;
            let fd = (loss_at(&hi) - loss_at(&lo)) / f64::from(hi[t][i] - lo[t][i]);
            let moved = f64::from(params[t][i] - after[t][i]);
            assert!((fd - moved).abs() < 2e-3, "param {t}[{i}]: finite difference {fd}, executor {moved}");
        }
    }
}

#[test]
fn inputs_as_targets_trains_exactly_like_a_copy_of_the_inputs() {
    // An autoencoder's data set held once gives the same run as x and a copy of x.
    let json = r#"{"inputSize":4,"seed":1,"layers":[
        {"type":"dense","inputs":4,"units":2,"useBias":true,"activation":{"kind":"sigmoid"}},
        {"type":"dense","inputs":2,"units":4,"useBias":true,"activation":{"kind":"sigmoid"}}],
        "loss":{"kind":"mse"},"optimizer":{"kind":"adam","lr":0.01}}"#;
    let mut rng = Mulberry32::new(3);
    let mut init = |n: usize| (0..n).map(|_| (rng.next_f64() - 0.5) as f32).collect::<Vec<f32>>();
    let params = vec![init(8), init(2), init(8), init(4)];
    let x: Vec<f32> = (0..24).map(|i| ((i * 7) % 10) as f32 / 10.0).collect();
    let shared = Dataset::inputs_as_targets(x.clone(), 6).unwrap();
    let copied = Dataset::single(x.clone(), x.clone(), 6).unwrap();
    assert_eq!(shared.target(0), &x[..]);
    assert_eq!((shared.input_sizes.clone(), shared.target_sizes.clone()), (vec![4], vec![4]));
    let order: Vec<u32> = vec![5, 0, 3, 1, 4, 2];
    let mut a = net(json, params.clone()).unwrap();
    let mut b = net(json, params).unwrap();
    for step in 0..5 {
        let sa = a.train(&shared, &order, 2, 0.01, step * 3).unwrap();
        let sb = b.train(&copied, &order, 2, 0.01, step * 3).unwrap();
        assert_eq!(sa, sb);
    }
    assert_eq!(a.get_params(), b.get_params());
    assert!(Dataset::inputs_as_targets(vec![0.0; 5], 2).is_err());
}

#[test]
fn optimizer_state_moved_to_a_fresh_network_continues_bitwise() {
    // Adam: two batches straight, against one batch, then parameters + moments copied into a new
    // network that takes the second batch (what a checkpoint resume does).
    let json = mlp_json(3, "tanh", "halfSse", r#"{"kind":"adam","lr":0.05}"#);
    let params = vec![vec![0.3, -0.2, 0.5, 0.1, -0.4, 0.2], vec![0.6, -0.7, 0.25]];
    let data = Dataset::single(vec![0., 0., 0., 1., 1., 0., 1., 1.], vec![0., 1., 1., 0.], 4).unwrap();
    let mut straight = net(&json, params.clone()).unwrap();
    straight.train(&data, &[0, 1, 2, 3, 3, 2, 1, 0], 4, 0.05, 0).unwrap();
    let mut first = net(&json, params.clone()).unwrap();
    first.train(&data, &[0, 1, 2, 3], 4, 0.05, 0).unwrap();
    let moments = first.get_optimizer_state();
    assert_eq!(moments.len(), 4, "adam keeps [m, v] per parameter");
    assert!(moments.iter().all(|m| m.iter().any(|&v| v != 0.0)), "one step leaves every moment non-zero");
    let mut resumed = net(&json, params).unwrap();
    let trained = first.get_params();
    resumed.set_params(&trained.iter().map(Vec::as_slice).collect::<Vec<_>>()).unwrap();
    let m: Vec<&[f32]> = moments.iter().map(Vec::as_slice).collect();
    resumed.set_optimizer_state(&m).unwrap();
    resumed.train(&data, &[3, 2, 1, 0], 4, 0.05, 1).unwrap();
    let bits = |n: &Network| n.get_params().concat().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&resumed), bits(&straight));
    // Without the moments the second step differs: the test can fail.
    let mut fresh = net(&json, first.get_params()).unwrap();
    fresh.train(&data, &[3, 2, 1, 0], 4, 0.05, 1).unwrap();
    assert_ne!(bits(&fresh), bits(&straight));
    let err = resumed.set_optimizer_state(&m[..3]).unwrap_err();
    assert!(err.to_string().contains("setOptimizerState: state has 3 arrays, expected 4"), "{err}");
}
