//! CNN layers through the factory: a chain conv2d -> batchNorm -> maxPool -> dropout ->
//! globalAvgPool checked against central finite differences, layer-versus-kernel agreement,
//! dropout and batch-norm modes, refusals, and a small CNN that learns through the Network.
use oxnet_core::layer::{Ctx, GradOf, Layer};
use oxnet_core::layers::build_layer;
use oxnet_core::net::{Dataset, Network};
use oxnet_core::norm::dropout_mask;
use oxnet_core::rng::{dropout_seed, Mulberry32};
use oxnet_core::spec::{LayerSpec, NetworkSpec};
use oxnet_core::ErrorCode;

fn layer(json: &str) -> Box<dyn Layer> {
    build_layer(&serde_json::from_str::<LayerSpec>(json).unwrap()).unwrap()
}

fn random(n: usize, seed: u32, scale: f64) -> Vec<f32> {
    let mut r = Mulberry32::new(seed);
    (0..n).map(|_| ((r.next_f64() * 2.0 - 1.0) * scale) as f32).collect()
}

/// Layers with their parameters and state, run the way the executor does.
struct Chain {
    layers: Vec<Box<dyn Layer>>,
    params: Vec<Vec<Vec<f32>>>,
    state: Vec<Vec<Vec<f32>>>,
}

impl Chain {
    fn new(specs: &[&str]) -> Self {
        let layers: Vec<_> = specs.iter().map(|s| layer(s)).collect();
        let params = layers
            .iter()
            .enumerate()
            .map(|(i, l)| l.param_sizes().iter().enumerate().map(|(j, n)| random(*n, 31 * i as u32 + j as u32, 0.8)).collect())
            .collect();
        let state = layers.iter().map(|l| l.initial_state()).collect();
        Chain { layers, params, state }
    }

    fn ctx(l: usize) -> Ctx {
        Ctx { training: true, step: 3, seed: 11, layer_index: l as u32 }
    }

    /// Training-mode forward; returns every activation (acts[0] = x).
    fn forward(&mut self, x: &[f32], n: usize) -> Vec<Vec<f32>> {
        let mut acts = vec![x.to_vec()];
        for (l, layer) in self.layers.iter_mut().enumerate() {
            let mut y = vec![0.0; n * layer.out_size()];
            layer.forward(&acts[l], n, &self.params[l], &mut self.state[l], &Self::ctx(l), &mut y).unwrap();
            acts.push(y);
        }
        acts
    }

    /// L = sum(out * r).
    fn loss(&mut self, x: &[f32], n: usize, r: &[f32]) -> f64 {
        let acts = self.forward(x, n);
        acts.last().unwrap().iter().zip(r).map(|(a, b)| *a as f64 * *b as f64).sum()
    }

    /// dL/dx and dL/dparams for L = sum(out * r).
    fn gradients(&mut self, x: &[f32], n: usize, r: &[f32]) -> (Vec<f32>, Vec<Vec<Vec<f32>>>) {
        let acts = self.forward(x, n);
        let mut grads: Vec<Vec<Vec<f32>>> = self.params.iter().map(|p| p.iter().map(|t| vec![f32::NAN; t.len()]).collect()).collect();
        let mut dy = r.to_vec();
        for l in (0..self.layers.len()).rev() {
            let mut dx = vec![f32::NAN; acts[l].len()];
            self.layers[l]
                .backward(&acts[l], &acts[l + 1], &dy, GradOf::Output, n, &self.params[l], &mut grads[l], Some(&mut dx), &Self::ctx(l))
                .unwrap();
            dy = dx;
        }
        (dy, grads)
    }
}

#[test]
fn chain_gradients_match_central_differences() {
    // 2 samples of 5x5x2 -> conv 3x3 same, 3 filters, tanh -> batch norm over 3 channels ->
    // max pool 2x2 stride 2 'same' (pad after 1) -> dropout 0.25 (fixed mask: same seed/step/layer)
    // -> global average pool -> 3 outputs per sample.
    let mut chain = Chain::new(&[
        r#"{"type":"conv2d","inShape":[5,5,2],"filters":3,"kernel":[3,3],"strides":[1,1],"padding":[1,1,1,1],"dilation":[1,1],"useBias":true,"activation":{"kind":"tanh"}}"#,
        r#"{"type":"batchNorm","size":75,"channels":3,"momentum":0.9,"epsilon":0.001}"#,
        r#"{"type":"maxPool2d","inShape":[5,5,3],"pool":[2,2],"strides":[2,2],"padding":[0,1,0,1]}"#,
        r#"{"type":"dropout","size":27,"rate":0.25}"#,
        r#"{"type":"globalAvgPool2d","inShape":[3,3,3]}"#,
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
        for i in (0..chain.params[l][t].len()).step_by(2) {
            let orig = chain.params[l][t][i];
            chain.params[l][t][i] = orig + h;
            let p = chain.loss(&x, n, &r);
            chain.params[l][t][i] = orig - h;
            let m = chain.loss(&x, n, &r);
            chain.params[l][t][i] = orig;
            check(grads[l][t][i], p, m, &format!("layer {l} param {t}[{i}]"));
        }
    }
    // The dropout layer really dropped something (else the check above would not cover it).
    let acts = chain.forward(&x, n);
    assert!(acts[4].iter().filter(|v| **v == 0.0).count() > 0);
}

#[test]
fn conv_layer_is_the_kernel_then_its_activation() {
    let mut conv = layer(
        r#"{"type":"conv2d","inShape":[4,4,1],"filters":2,"kernel":[2,2],"strides":[2,2],"padding":[0,0,0,0],"dilation":[1,1],"useBias":false,"activation":{"kind":"relu"}}"#,
    );
    assert_eq!((conv.in_size(), conv.out_size(), conv.param_sizes()), (16, 8, vec![8]));
    let x: Vec<f32> = (0..16).map(|v| v as f32 - 8.0).collect();
    // Filter 0 sums its 2x2 block, filter 1 negates the sum: relu keeps one of each pair.
    let w = vec![vec![1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0]];
    let mut y = vec![0.0; 8];
    conv.forward(&x, 1, &w, &mut [], &Ctx::inference(0), &mut y).unwrap();
    // Blocks of x - 8: {-8,-7,-4,-3} = -22, {-6,-5,-2,-1} = -14, {0,1,4,5} = 10, {2,3,6,7} = 18.
    assert_eq!(y, vec![0.0, 22.0, 0.0, 14.0, 10.0, 0.0, 18.0, 0.0]);
    assert_eq!(conv.pre_activation(&x, &y).unwrap(), &[-22.0, 22.0, -14.0, 14.0, 10.0, -10.0, 18.0, -18.0]);
    // dL/dpre given directly (from-logits losses) skips relu's derivative: dW = x-block sums.
    let mut grads = vec![vec![0.0; 8]];
    let dy = vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    conv.backward(&x, &y, &dy, GradOf::PreActivation, 1, &w, &mut grads, None, &Ctx::inference(0)).unwrap();
    assert_eq!(grads[0], vec![-8.0, 0.0, -7.0, 0.0, -4.0, 0.0, -3.0, 0.0]);
    // Through relu, the same dy hits a zero output (pre -22 < 0): no gradient.
    conv.backward(&x, &y, &dy, GradOf::Output, 1, &w, &mut grads, None, &Ctx::inference(0)).unwrap();
    assert_eq!(grads[0], vec![0.0; 8]);
}

#[test]
fn dropout_layer_masks_only_in_training() {
    let mut drop = layer(r#"{"type":"dropout","size":1000,"rate":0.5}"#);
    let x = vec![1.0f32; 2000];
    let mut y = vec![0.0; 2000];
    let ctx = Ctx { training: true, step: 4, seed: 99, layer_index: 2 };
    drop.forward(&x, 2, &[], &mut [], &ctx, &mut y).unwrap();
    // The mask is the kernel's mask for seed (99, step 4, layer 2), over the whole batch buffer.
    let mut mask = vec![0.0; 2000];
    dropout_mask(0.5, dropout_seed(99, 4, 2), &mut mask);
    assert_eq!(y, mask);
    let mut dx = vec![0.0; 2000];
    drop.backward(&x, &y, &x, GradOf::Output, 2, &[], &mut [], Some(&mut dx), &ctx).unwrap();
    assert_eq!(dx, mask);
    drop.forward(&x, 2, &[], &mut [], &Ctx::inference(2), &mut y).unwrap();
    assert_eq!(y, x);
}

#[test]
fn batch_norm_layer_state_and_modes() {
    let mut bn = layer(r#"{"type":"batchNorm","size":2,"channels":2,"momentum":0.5,"epsilon":0.001}"#);
    let mut state = bn.initial_state();
    assert_eq!(state, vec![vec![0.0, 0.0], vec![1.0, 1.0]]);
    let params = vec![vec![1.0, 1.0], vec![0.0, 0.0]];
    // Backward before any training forward is refused.
    let mut grads = vec![vec![0.0; 2], vec![0.0; 2]];
    let e = bn.backward(&[0.0; 4], &[0.0; 4], &[0.0; 4], GradOf::Output, 2, &params, &mut grads, None, &Ctx::inference(0));
    assert_eq!(e.unwrap_err().code, ErrorCode::State);
    // Two samples: channel 0 = 1, 3 (mean 2, unbiased var 2), channel 1 = 5, 5 (mean 5, var 0).
    // Running stats with momentum 0.5: mean (1, 2.5), var (0.5 + 1, 0.5 + 0) = (1.5, 0.5).
    let mut y = vec![0.0; 4];
    let train = Ctx { training: true, step: 0, seed: 0, layer_index: 0 };
    bn.forward(&[1.0, 5.0, 3.0, 5.0], 2, &params, &mut state, &train, &mut y).unwrap();
    assert_eq!(state, vec![vec![1.0, 2.5], vec![1.5, 0.5]]);
    // Inference with those stats: (3 - 1) / sqrt(1.5 + 0.001).
    bn.forward(&[3.0, 2.5], 1, &params, &mut state, &Ctx::inference(0), &mut y[..2]).unwrap();
    assert!((y[0] - 2.0 / 1.501f32.sqrt()).abs() < 1e-6 && y[1] == 0.0, "{y:?}");
    assert_eq!(state, vec![vec![1.0, 2.5], vec![1.5, 0.5]], "inference leaves state alone");
}

#[test]
fn factory_refusals_name_the_parameter() {
    let refuse = |json: &str| build_layer(&serde_json::from_str::<LayerSpec>(json).unwrap()).err().unwrap();
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
    let spec = NetworkSpec::from_json(
        r#"{"inputSize":36,"seed":5,"loss":{"kind":"softmaxCrossEntropy"},"optimizer":{"kind":"adam","lr":0.02},
        "layers":[{"type":"conv2d","inShape":[6,6,1],"filters":4,"kernel":[3,3],"strides":[1,1],"padding":[1,1,1,1],"dilation":[1,1],"useBias":true,"activation":{"kind":"relu"}},
                  {"type":"maxPool2d","inShape":[6,6,4],"pool":[2,2],"strides":[2,2],"padding":[0,0,0,0]},
                  {"type":"reshape","size":36},
                  {"type":"dense","inputs":36,"units":2,"useBias":true,"activation":{"kind":"softmax"}}]}"#,
    )
    .unwrap();
    let params = vec![random(36, 1, 0.5), vec![0.0; 4], random(72, 2, 0.3), vec![0.0; 2]];
    let mut net = Network::new(spec, params).unwrap();
    let data = Dataset::new(xs, ys, count).unwrap();
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
