//! CNN ops one by one: a chain conv2d -> batchNorm -> maxPool -> dropout -> globalAvgPool checked
//! against central finite differences, op-versus-kernel agreement, dropout and batch-norm modes,
//! refusals, and a small CNN that learns through the Network.
mod common;

use common::{chain as chain_spec, ctx, random, Harness};
use oxnet_core::executor::{Dataset, Network};
use oxnet_core::norm::dropout_mask;
use oxnet_core::ops::{Ctx, GradOf};
use oxnet_core::rng::dropout_seed;
use oxnet_core::ErrorCode;

fn op(json: &str, input: usize) -> Harness {
    Harness::new(json, &[input]).unwrap()
}

/// Ops in a row with their parameters and state, run the way the executor runs a chain.
struct Chain {
    ops: Vec<Harness>,
}

impl Chain {
    fn new(specs: &[(&str, usize)]) -> Self {
        let mut ops: Vec<Harness> = specs.iter().map(|(s, size)| op(s, *size)).collect();
        for (i, h) in ops.iter_mut().enumerate() {
            for (j, p) in h.params.iter_mut().enumerate() {
                *p = random(p.len(), 31 * i as u32 + j as u32, 0.8);
            }
        }
        Chain { ops }
    }

    fn ctx(l: usize) -> Ctx {
        Ctx { training: true, step: 3, seed: 11, node: l as u32 }
    }

    /// Training-mode forward; returns the last output.
    fn forward(&mut self, x: &[f32], n: usize) -> Vec<f32> {
        let mut h = x.to_vec();
        for (l, o) in self.ops.iter_mut().enumerate() {
            o.xs[0] = h;
            h = o.forward(n, true, Self::ctx(l)).unwrap().to_vec();
        }
        h
    }

    /// L = sum(out * r).
    fn loss(&mut self, x: &[f32], n: usize, r: &[f32]) -> f64 {
        self.forward(x, n).iter().zip(r).map(|(a, b)| *a as f64 * *b as f64).sum()
    }

    /// dL/dx and dL/dparams for L = sum(out * r).
    fn gradients(&mut self, x: &[f32], n: usize, r: &[f32]) -> (Vec<f32>, Vec<Vec<Vec<f32>>>) {
        self.forward(x, n);
        let mut dy = r.to_vec();
        for l in (0..self.ops.len()).rev() {
            self.ops[l].backward(n, &dy, GradOf::Output, &[true]).unwrap();
            dy = self.ops[l].dxs[0].clone();
        }
        (dy, self.ops.iter().map(|o| o.grads.clone()).collect())
    }
}

#[test]
fn chain_gradients_match_central_differences() {
    // 2 samples of 5x5x2 -> conv 3x3 same, 3 filters, tanh -> batch norm over 3 channels ->
    // max pool 2x2 stride 2 'same' (pad after 1) -> dropout 0.25 (fixed mask: same seed/step/layer)
    // -> global average pool -> 3 outputs per sample.
    let mut chain = Chain::new(&[
        (
            r#"{"type":"conv2d","inShape":[5,5,2],"filters":3,"kernel":[3,3],"strides":[1,1],"padding":[1,1,1,1],"dilation":[1,1],"useBias":true,"activation":{"kind":"tanh"}}"#,
            50,
        ),
        (r#"{"type":"batchNorm","size":75,"channels":3,"momentum":0.9,"epsilon":0.001}"#, 75),
        (r#"{"type":"maxPool2d","inShape":[5,5,3],"pool":[2,2],"strides":[2,2],"padding":[0,1,0,1]}"#, 75),
        (r#"{"type":"dropout","size":27,"rate":0.25}"#, 27),
        (r#"{"type":"globalAvgPool2d","inShape":[3,3,3]}"#, 27),
    ]);
    let n = 2;
    let x = random(n * 50, 7, 1.0);
    let r = random(n * 3, 8, 1.0);
    let (dx, grads) = chain.gradients(&x, n, &r);
    // Central differences on the f32 forward: h = 1e-3 keeps max pool away from its kinks for
    // these random inputs; f32 rounding of L (~1e-7 relative) then limits agreement to ~1e-3.
    let h = 1e-3f32;
    let check = |got: f32, plus: f64, minus: f64, what: &str| {
        let want = (plus - minus) / (2.0 * h as f64);
        assert!((got as f64 - want).abs() < 5e-3 * (1.0 + want.abs()), "{what}: backward {got}, finite difference {want}");
    };
    for i in (0..x.len()).step_by(3) {
        let (mut xp, mut xm) = (x.clone(), x.clone());
        xp[i] += h;
        xm[i] -= h;
        let (p, m) = (chain.loss(&xp, n, &r), chain.loss(&xm, n, &r));
        check(dx[i], p, m, &format!("dx[{i}]"));
    }
    for (l, t) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        for i in (0..chain.ops[l].params[t].len()).step_by(2) {
            let orig = chain.ops[l].params[t][i];
            chain.ops[l].params[t][i] = orig + h;
            let p = chain.loss(&x, n, &r);
            chain.ops[l].params[t][i] = orig - h;
            let m = chain.loss(&x, n, &r);
            chain.ops[l].params[t][i] = orig;
            check(grads[l][t][i], p, m, &format!("layer {l} param {t}[{i}]"));
        }
    }
    // The dropout layer really dropped something (else the check above would not cover it).
    chain.forward(&x, n);
    assert!(chain.ops[3].y.iter().filter(|v| **v == 0.0).count() > 0);
}

#[test]
fn conv_op_is_the_kernel_then_its_activation() {
    let mut conv = op(
        r#"{"type":"conv2d","inShape":[4,4,1],"filters":2,"kernel":[2,2],"strides":[2,2],"padding":[0,0,0,0],"dilation":[1,1],"useBias":false,"activation":{"kind":"relu"}}"#,
        16,
    );
    assert_eq!((conv.out_size, conv.params.iter().map(Vec::len).collect::<Vec<_>>()), (8, vec![8]));
    conv.xs[0] = (0..16).map(|v| v as f32 - 8.0).collect();
    // Filter 0 sums its 2x2 block, filter 1 negates the sum: relu keeps one of each pair.
    conv.params = vec![vec![1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0]];
    let y = conv.forward(1, false, ctx(false)).unwrap().to_vec();
    // Blocks of x - 8: {-8,-7,-4,-3} = -22, {-6,-5,-2,-1} = -14, {0,1,4,5} = 10, {2,3,6,7} = 18.
    assert_eq!(y, vec![0.0, 22.0, 0.0, 14.0, 10.0, 0.0, 18.0, 0.0]);
    let ids = [0];
    let sizes = [16];
    let inputs = oxnet_core::ops::Inputs::new(&conv.xs, &ids, &sizes, 1);
    assert_eq!(conv.op.pre_activation(&inputs, &conv.y).unwrap(), &[-22.0, 22.0, -14.0, 14.0, 10.0, -10.0, 18.0, -18.0]);
    // dL/dpre given directly (from-logits losses) skips relu's derivative: dW = x-block sums.
    let dy = vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    conv.backward(1, &dy, GradOf::PreActivation, &[false]).unwrap();
    assert_eq!(conv.grads[0], vec![-8.0, 0.0, -7.0, 0.0, -4.0, 0.0, -3.0, 0.0]);
    // Through relu, the same dy hits a zero output (pre -22 < 0): no gradient.
    conv.backward(1, &dy, GradOf::Output, &[false]).unwrap();
    assert_eq!(conv.grads[0], vec![0.0; 8]);
}

#[test]
fn dropout_op_masks_only_in_training() {
    let mut drop = op(r#"{"type":"dropout","size":1000,"rate":0.5}"#, 1000);
    let x = vec![1.0f32; 2000];
    drop.xs[0] = x.clone();
    let c = Ctx { training: true, step: 4, seed: 99, node: 2 };
    let y = drop.forward(2, true, c).unwrap().to_vec();
    // The mask is the kernel's mask for seed (99, step 4, node 2), over the whole batch buffer.
    let mut mask = vec![0.0; 2000];
    dropout_mask(0.5, dropout_seed(99, 4, 2), &mut mask);
    assert_eq!(y, mask);
    drop.backward(2, &x, GradOf::Output, &[true]).unwrap();
    assert_eq!(drop.dxs[0], mask);
    assert_eq!(drop.forward(2, false, c).unwrap(), &x[..]);
}

#[test]
fn batch_norm_op_state_and_modes() {
    let mut bn = op(r#"{"type":"batchNorm","size":2,"channels":2,"momentum":0.5,"epsilon":0.001}"#, 2);
    assert_eq!(bn.state, vec![vec![0.0, 0.0], vec![1.0, 1.0]]);
    bn.params = vec![vec![1.0, 1.0], vec![0.0, 0.0]];
    // Backward before any training forward is refused.
    let e = bn.backward(2, &[0.0; 4], GradOf::Output, &[false]);
    assert_eq!(e.unwrap_err().code, ErrorCode::State);
    // Two samples: channel 0 = 1, 3 (mean 2, unbiased var 2), channel 1 = 5, 5 (mean 5, var 0).
    // Running stats with momentum 0.5: mean (1, 2.5), var (0.5 + 1, 0.5 + 0) = (1.5, 0.5).
    bn.xs[0] = vec![1.0, 5.0, 3.0, 5.0];
    bn.forward(2, true, ctx(true)).unwrap();
    assert_eq!(bn.state, vec![vec![1.0, 2.5], vec![1.5, 0.5]]);
    // Inference with those stats: (3 - 1) / sqrt(1.5 + 0.001).
    bn.xs[0] = vec![3.0, 2.5];
    let y = bn.forward(1, false, ctx(false)).unwrap().to_vec();
    assert!((y[0] - 2.0 / 1.501f32.sqrt()).abs() < 1e-6 && y[1] == 0.0, "{y:?}");
    assert_eq!(bn.state, vec![vec![1.0, 2.5], vec![1.5, 0.5]], "inference leaves state alone");
}

#[test]
fn factory_refusals_name_the_parameter() {
    let refuse = |json: &str| Harness::new(json, &[1]).err().unwrap();
    let e = refuse(
        r#"{"type":"conv2d","inShape":[4,4,1],"filters":2,"kernel":[2,2],"strides":[0,1],"padding":[0,0,0,0],"dilation":[1,1],"useBias":true,"activation":{"kind":"relu"}}"#,
    );
    assert!(e.code == ErrorCode::Arg && e.message.contains("strides[0]"), "{e}");
    let e = refuse(r#"{"type":"maxPool2d","inShape":[4,4,1],"pool":[2,2],"strides":[2,2],"padding":[2,0,0,0]}"#);
    assert!(e.code == ErrorCode::Arg && e.message.contains("padding[0]"), "{e}");
    let e = refuse(r#"{"type":"dropout","size":4,"rate":1}"#);
    assert!(e.code == ErrorCode::Arg && e.message.contains("rate"), "{e}");
    let e = refuse(r#"{"type":"batchNorm","size":10,"channels":3,"momentum":0.99,"epsilon":0.001}"#);
    assert!(e.code == ErrorCode::Config && e.message.contains("size = 10") && e.message.contains("channels = 3"), "{e}");
    let e = refuse(r#"{"type":"batchNorm","size":9,"channels":3,"momentum":0.99,"epsilon":0}"#);
    assert!(e.code == ErrorCode::Arg && e.message.contains("epsilon"), "{e}");
}

#[test]
fn small_cnn_learns_bar_orientation() {
    // 6x6 images holding one horizontal or one vertical bar of ones (12 positions x 2 classes),
    // conv 3x3 (4 filters, relu) -> max pool 2x2 -> reshape -> dense 2 softmax, Adam. The classes
    // are separable by a 3x1 vs 1x3 detector, so training accuracy should reach 100%.
    let (mut xs, mut ys) = (vec![], vec![]);
    for pos in 0..6 {
        for vertical in [false, true] {
            let mut img = [0f32; 36];
            for k in 0..6 {
                img[if vertical { k * 6 + pos } else { pos * 6 + k }] = 1.0;
            }
            xs.extend_from_slice(&img);
            ys.extend_from_slice(if vertical { &[0.0, 1.0] } else { &[1.0, 0.0] });
        }
    }
    let count = 12;
    let (spec, state) = chain_spec(
        r#"{"inputSize":36,"seed":5,"loss":{"kind":"softmaxCrossEntropy"},"optimizer":{"kind":"adam","lr":0.02},
        "layers":[{"type":"conv2d","inShape":[6,6,1],"filters":4,"kernel":[3,3],"strides":[1,1],"padding":[1,1,1,1],"dilation":[1,1],"useBias":true,"activation":{"kind":"relu"}},
                  {"type":"maxPool2d","inShape":[6,6,4],"pool":[2,2],"strides":[2,2],"padding":[0,0,0,0]},
                  {"type":"reshape","size":36},
                  {"type":"dense","inputs":36,"units":2,"useBias":true,"activation":{"kind":"softmax"}}]}"#,
    );
    let params = vec![random(36, 1, 0.5), vec![0.0; 4], random(72, 2, 0.3), vec![0.0; 2]];
    let mut net = Network::new(spec, params, state).unwrap();
    let data = Dataset::single(xs, ys, count).unwrap();
    let order: Vec<u32> = (0..count as u32).collect();
    let first = net.train(&data, &order, 4, 0.02, 0).unwrap();
    let mut last = first.clone();
    for epoch in 1..60 {
        last = net.train(&data, &order, 4, 0.02, epoch * 3).unwrap();
    }
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    assert!(mean(&last.losses) < 0.1 * mean(&first.losses), "loss {:?} -> {:?}", first.losses, last.losses);
    assert_eq!(last.correct.iter().sum::<f64>(), count as f64);
}
