//! The spatial ops one by one: concatenate, pad2d (zero padding and cropping) and globalMaxPool2d.
//! Hand-computed forwards and backwards, central finite differences through the `Harness` (outputs
//! and input gradients start as NaN, so an element forward or backward forgets shows up), refusals,
//! and a graph using all three whose executor gradients match central differences.
mod common;

use common::{ctx, random, Builder, Harness};
use oxnet_core::executor::Network;
use oxnet_core::ops::GradOf;
use oxnet_core::spec::LossKind;
use oxnet_core::ErrorCode;

fn concat(outer: usize, widths: &[usize]) -> String {
    format!(r#"{{"type":"concatenate","outer":{outer},"widths":{widths:?}}}"#)
}

fn pad(in_shape: [usize; 3], padding: [i64; 4]) -> String {
    format!(r#"{{"type":"pad2d","inShape":{in_shape:?},"padding":{padding:?}}}"#)
}

fn gmax(in_shape: [usize; 3]) -> String {
    format!(r#"{{"type":"globalMaxPool2d","inShape":{in_shape:?}}}"#)
}

/// The op on `xs` (n samples each): training forward, then backward of L = sum(out * r) asking for
/// every input's gradient. Returns the output and the input gradients.
fn run(h: &mut Harness, xs: &[Vec<f32>], n: usize, r: &[f32]) -> (Vec<f32>, Vec<Vec<f32>>) {
    h.xs = xs.to_vec();
    h.y = vec![f32::NAN; n * h.out_size]; // forward must write every output element too
    let y = h.forward(n, true, ctx(true)).unwrap().to_vec();
    assert!(y.iter().all(|v| !v.is_nan()), "output not written everywhere: {y:?}");
    let need = vec![true; xs.len()];
    h.backward(n, r, GradOf::Output, &need).unwrap();
    (y, h.dxs.clone())
}

/// Every element of every input gradient is finite (overwritten) and equals the central difference
/// of L = sum(out * r) (f32 forward, h = 1e-3: agreement to ~1e-3).
fn check_differences(json: &str, sizes: &[usize], n: usize, seed: u32) {
    let mut h = Harness::new(json, sizes).unwrap();
    let xs: Vec<Vec<f32>> = sizes.iter().enumerate().map(|(k, s)| random(n * s, seed + k as u32, 1.0)).collect();
    let r = random(n * h.out_size, seed + 100, 1.0);
    let (_, dxs) = run(&mut h, &xs, n, &r);
    let loss = |h: &mut Harness, xs: &[Vec<f32>]| -> f64 {
        h.xs = xs.to_vec();
        h.forward(n, true, ctx(true)).unwrap().iter().zip(&r).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum()
    };
    let step = 1e-3f32;
    for k in 0..xs.len() {
        assert!(dxs[k].iter().all(|v| v.is_finite()), "{json}: input {k}'s gradient not overwritten everywhere: {:?}", dxs[k]);
        for i in 0..xs[k].len() {
            let (mut hi, mut lo) = (xs.to_vec(), xs.to_vec());
            hi[k][i] += step;
            lo[k][i] -= step;
            let fd = (loss(&mut h, &hi) - loss(&mut h, &lo)) / f64::from(hi[k][i] - lo[k][i]);
            let got = f64::from(dxs[k][i]);
            assert!((fd - got).abs() < 1e-3 * (1.0 + fd.abs()), "{json}: dx{k}[{i}] backward {got}, finite difference {fd}");
        }
    }
}

#[test]
fn concatenate_joins_rows_and_splits_dout() {
    // Channels of [2, 1, c] images: a has 1 channel, b 2; outer = 2 pixels, widths [1, 2].
    let mut h = Harness::new(&concat(2, &[1, 2]), &[2, 4]).unwrap();
    assert_eq!(h.out_size, 6);
    let a = vec![1.0, 2.0, /* sample 2 */ 3.0, 4.0];
    let b = vec![10.0, 11.0, 12.0, 13.0, /* sample 2 */ 14.0, 15.0, 16.0, 17.0];
    let dy: Vec<f32> = (0..12).map(|v| v as f32 * 0.5).collect();
    let (y, dxs) = run(&mut h, &[a, b], 2, &dy);
    assert_eq!(y, vec![1.0, 10.0, 11.0, 2.0, 12.0, 13.0, 3.0, 14.0, 15.0, 4.0, 16.0, 17.0]);
    assert_eq!(dxs[0], vec![0.0, 1.5, 3.0, 4.5]);
    assert_eq!(dxs[1], vec![0.5, 1.0, 2.0, 2.5, 3.5, 4.0, 5.0, 5.5]);
    // Only the gradients asked for are written: input 0's stays as the harness left it.
    h.backward(2, &dy, GradOf::Output, &[false, true]).unwrap();
    assert_eq!(h.dxs[1], vec![0.5, 1.0, 2.0, 2.5, 3.5, 4.0, 5.0, 5.5]);
    assert_eq!(h.op.backward_reads(), oxnet_core::ops::Reads::NOTHING);
}

#[test]
fn concatenate_matches_central_differences() {
    check_differences(&concat(1, &[3, 5]), &[3, 5], 3, 1); // vectors, or an image's first axis
    check_differences(&concat(6, &[2, 1, 3]), &[12, 6, 18], 2, 2); // channels, three inputs
    check_differences(&concat(2, &[6, 2]), &[12, 4], 2, 3); // width of [2, w, 2] images
}

#[test]
fn pad2d_pads_and_crops() {
    // [2, 3, 1]: row 0 = 1 2 3, row 1 = 4 5 6; one ring of zeros -> [4, 5, 1].
    let img: Vec<f32> = (1..=6).map(|v| v as f32).collect();
    let mut p = Harness::new(&pad([2, 3, 1], [1, 1, 1, 1]), &[6]).unwrap();
    assert_eq!(p.out_size, 20);
    let dy: Vec<f32> = (0..20).map(|v| v as f32).collect();
    let (y, dx) = run(&mut p, std::slice::from_ref(&img), 1, &dy);
    #[rustfmt::skip]
    assert_eq!(y, vec![
        0.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 1.0, 2.0, 3.0, 0.0,
        0.0, 4.0, 5.0, 6.0, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0,
    ]);
    assert_eq!(dx[0], vec![6.0, 7.0, 8.0, 11.0, 12.0, 13.0], "the inner window of dout");
    // Crop top 1, right 1 (amounts [-1, 0, 0, -1]) -> [1, 2, 1] = 4 5; dx zero where cropped.
    let mut c = Harness::new(&pad([2, 3, 1], [-1, 0, 0, -1]), &[6]).unwrap();
    assert_eq!(c.out_size, 2);
    let (y, dx) = run(&mut c, &[img], 1, &[10.0, 20.0]);
    assert_eq!(y, vec![4.0, 5.0]);
    assert_eq!(dx[0], vec![0.0, 0.0, 0.0, 10.0, 20.0, 0.0]);
}

#[test]
fn pad2d_asymmetric_two_channels_two_samples() {
    // [1, 2, 2] per sample, padding top 0, bottom 1, left 2, right 0 -> [2, 4, 2].
    let mut p = Harness::new(&pad([1, 2, 2], [0, 1, 2, 0]), &[4]).unwrap();
    let x = vec![1.0, 2.0, 3.0, 4.0, /* sample 2 */ 5.0, 6.0, 7.0, 8.0];
    let dy: Vec<f32> = (0..32).map(|v| v as f32).collect();
    let (y, dx) = run(&mut p, &[x], 2, &dy);
    #[rustfmt::skip]
    assert_eq!(y, vec![
        0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, 5.0, 6.0, 7.0, 8.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    ]);
    assert_eq!(dx[0], vec![4.0, 5.0, 6.0, 7.0, 20.0, 21.0, 22.0, 23.0]);
}

#[test]
fn pad2d_mixed_signs_shift_the_image() {
    // Signed amounts in one op: crop 1 row on top and pad 1 below, pad 2 columns left and crop 1
    // right: [2, 2, 1] (1 2 / 3 4) -> [2, 3, 1] = (0 0 3 / 0 0 0).
    let mut p = Harness::new(&pad([2, 2, 1], [-1, 1, 2, -1]), &[4]).unwrap();
    let (y, dx) = run(&mut p, &[vec![1.0, 2.0, 3.0, 4.0]], 1, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(y, vec![0.0, 0.0, 3.0, 0.0, 0.0, 0.0]);
    assert_eq!(dx[0], vec![0.0, 0.0, 3.0, 0.0]);
    // Shifted out entirely (cropped top 3, padded bottom 2): zeros, and a zero gradient.
    let mut gone = Harness::new(&pad([2, 2, 1], [-3, 2, 0, 0]), &[4]).unwrap();
    let (y, dx) = run(&mut gone, &[vec![1.0, 2.0, 3.0, 4.0]], 1, &[1.0, 2.0]);
    assert_eq!((y, dx[0].clone()), (vec![0.0, 0.0], vec![0.0; 4]));
}

#[test]
fn pad2d_matches_central_differences() {
    check_differences(&pad([2, 3, 2], [1, 1, 1, 1]), &[12], 2, 10);
    check_differences(&pad([3, 2, 2], [0, 2, 1, 0]), &[12], 2, 11);
    check_differences(&pad([4, 4, 2], [-1, 0, 0, -2]), &[32], 2, 12);
    check_differences(&pad([3, 3, 1], [-1, -1, -1, -1]), &[9], 3, 13);
}

#[test]
fn global_max_pool_routes_dout_to_the_first_maximum() {
    // [3, 1, 2] per sample. Sample 1: channel 0 = 2, 9, 9 (tie: pixel 1), channel 1 = 4, 1, 0.
    // Sample 2: channel 0 = -inf everywhere (pixel 0 kept), channel 1 = NaN, 5, 7 (NaN never wins).
    let mut g = Harness::new(&gmax([3, 1, 2]), &[6]).unwrap();
    let inf = f32::NEG_INFINITY;
    let x = vec![2.0, 4.0, 9.0, 1.0, 9.0, 0.0, /* sample 2 */ inf, f32::NAN, inf, 5.0, inf, 7.0];
    let (y, dx) = run(&mut g, std::slice::from_ref(&x), 2, &[10.0, 20.0, 30.0, 40.0]);
    assert_eq!(y, vec![9.0, 4.0, inf, 7.0]);
    assert_eq!(dx[0], vec![0.0, 20.0, 10.0, 0.0, 0.0, 0.0, 30.0, 0.0, 0.0, 0.0, 0.0, 40.0]);
    assert_eq!(g.op.backward_reads(), oxnet_core::ops::Reads::NOTHING, "the argmax is kept");
    // Inference forwards give the same maxima but keep no argmax: backward is refused.
    assert_eq!(g.forward(2, false, ctx(false)).unwrap(), &[9.0, 4.0, inf, 7.0]);
    let e = g.backward(2, &[1.0; 4], GradOf::Output, &[true]).unwrap_err();
    assert!(e.code == ErrorCode::State && e.message.contains("training-mode forward"), "{e}");
    // A training forward of another batch size does not serve this one.
    g.xs[0] = x[..6].to_vec();
    g.forward(1, true, ctx(true)).unwrap();
    assert_eq!(g.backward(2, &[1.0; 4], GradOf::Output, &[true]).unwrap_err().code, ErrorCode::State);
}

#[test]
fn global_max_pool_matches_central_differences() {
    // Random inputs are more than h apart within a channel, so no maximum changes hands.
    check_differences(&gmax([3, 4, 2]), &[24], 2, 20);
    check_differences(&gmax([1, 1, 3]), &[3], 3, 21);
    check_differences(&gmax([5, 1, 9]), &[45], 2, 22); // 9 channels: a full 8-lane group and one more
}

#[test]
fn refusals_name_the_op() {
    let refuse = |json: &str, sizes: &[usize]| Harness::new(json, sizes).err().expect("refused");
    let e = refuse(&pad([2, 3, 1], [-1, -1, 0, 0]), &[6]);
    assert!(e.code == ErrorCode::Arg && e.message.contains("pad2d") && e.message.contains("leaves nothing"), "{e}");
    let e = refuse(&pad([2, 3, 1], [i64::MIN, 0, 0, 0]), &[6]);
    assert!(e.code == ErrorCode::Arg && e.message.contains("padding[0]"), "{e}");
    let e = refuse(&pad([0, 3, 1], [0, 0, 0, 0]), &[0]);
    assert!(e.message.contains("inShape[0]"), "{e}");
    let e = refuse(&concat(2, &[3]), &[6]);
    assert!(e.code == ErrorCode::Config && e.message.contains("at least two"), "{e}");
    let e = refuse(&concat(2, &[3, 0]), &[6, 0]);
    assert!(e.message.contains("widths[1]"), "{e}");
    // Wiring other than the spec implies: input 1 of 5 floats where widths say 2 * 2.
    let e = refuse(&concat(2, &[3, 2]), &[6, 5]);
    assert!(e.code == ErrorCode::Config && e.message.contains("node 'test' (concatenate)") && e.message.contains("[6, 4]"), "{e}");
    let e = refuse(&gmax([2, 2, 3]), &[11]);
    assert!(e.code == ErrorCode::Config && e.message.contains("globalMaxPool2d"), "{e}");
}

#[test]
fn executor_gradients_through_the_spatial_ops_match_central_differences() {
    // a (6) -> dense 12 tanh -> [2, 3, 2] -> pad top 1, right 1 -> [3, 4, 2];
    // b (4) -> dense 12 tanh -> [2, 3, 2] -> pad bottom 1, left 1 -> [3, 4, 2];
    // their channels concatenated -> [3, 4, 4], read twice: cropped 1 all round -> [1, 2, 4] (8)
    // and global max -> [4]; those two concatenated -> 12 -> dense 2 (linear), mse.
    let mut b = Builder::with_inputs(&[6, 4]);
    let dense =
        |i: usize, u: usize| format!(r#"{{"type":"dense","inputs":{i},"units":{u},"useBias":true,"activation":{{"kind":"tanh"}}}}"#);
    let ha = b.node(&dense(6, 12), &[0]);
    let hb = b.node(&dense(4, 12), &[1]);
    let pa = b.node(&pad([2, 3, 2], [1, 0, 0, 1]), &[ha]);
    let pb = b.node(&pad([2, 3, 2], [0, 1, 1, 0]), &[hb]);
    let cat = b.node(&concat(12, &[2, 2]), &[pa, pb]);
    let crop = b.node(&pad([3, 4, 4], [-1, -1, -1, -1]), &[cat]);
    let pooled = b.node(&gmax([3, 4, 4]), &[cat]);
    let both = b.node(&concat(1, &[8, 4]), &[crop, pooled]);
    let out = b.node(&dense(12, 2).replace("tanh", "linear"), &[both]);
    b.output(out, LossKind::Mse);
    let (spec, state) = b.finish();
    let n = 3;
    let inputs = [random(n * 6, 1, 1.0), random(n * 4, 2, 1.0)];
    let targets = [random(n * 2, 3, 1.0)];
    let xs: Vec<&[f32]> = inputs.iter().map(Vec::as_slice).collect();
    let ts: Vec<&[f32]> = targets.iter().map(Vec::as_slice).collect();
    let params: Vec<Vec<f32>> = b.param_sizes().iter().enumerate().map(|(i, &s)| random(s, 40 + i as u32, 0.6)).collect();
    let loss_at = |p: &Vec<Vec<f32>>| {
        let mut net = Network::new(spec.clone(), p.clone(), state.clone()).unwrap();
        net.compute_gradients(&xs, &ts, n, 0).unwrap().loss
    };
    let mut net = Network::new(spec.clone(), params.clone(), state.clone()).unwrap();
    assert!(net.compute_gradients(&xs, &ts, n, 0).unwrap().finite);
    let grads = net.gradients();
    for t in 0..params.len() {
        for i in (0..params[t].len()).step_by(params[t].len().div_ceil(24)) {
            let (mut hi, mut lo) = (params.clone(), params.clone());
            hi[t][i] += 1e-3;
            lo[t][i] -= 1e-3;
            let fd = (loss_at(&hi) - loss_at(&lo)) / f64::from(hi[t][i] - lo[t][i]);
            let got = f64::from(grads[t][i]);
            assert!((fd - got).abs() < 2e-3 * (1.0 + fd.abs()), "{}[{i}]: finite difference {fd}, executor {got}", spec.params[t].name);
        }
        assert!(grads[t].iter().any(|g| *g != 0.0), "{} received no gradient", spec.params[t].name);
    }
}
