//! The conv2dTranspose and depthwiseConv2d ops: hand-computed forwards, conv2dTranspose as the
//! input gradient of conv2d, its direct and im2col paths against each other, central finite
//! differences through the Harness, refusals of inconsistent specs, and bitwise-identical results
//! on one and two threads.
mod common;

use common::{ctx, random, Harness};
use oxnet_core::conv::Paths;
use oxnet_core::ops::conv2d::{Conv2d, Conv2dSpec};
use oxnet_core::ops::conv2d_transpose::{Conv2dTranspose, Conv2dTransposeSpec};
use oxnet_core::ops::{Backward, Forward, GradOf, InputGrads, Inputs, NodeShape, Op};
use oxnet_core::ErrorCode;

/// 'same' / 'valid' transposed-conv geometry as TypeScript resolves it (Keras's output size and
/// TensorFlow's padding); returns the spec JSON, the input and output sample sizes.
// A case is one call with its values in a row, as the tables of cases below read best.
#[allow(clippy::too_many_arguments)]
fn transpose_json(
    hw: usize,
    c: usize,
    f: usize,
    k: usize,
    s: usize,
    same: bool,
    out_pad: Option<usize>,
    bias: bool,
    act: &str,
) -> (String, usize, usize) {
    let out = match (same, out_pad) {
        (false, p) => (hw - 1) * s + k + p.unwrap_or(s.saturating_sub(k)),
        (true, None) => hw * s,
        (true, Some(p)) => (hw - 1) * s + k % 2 + p,
    };
    let total = ((hw - 1) * s + k).saturating_sub(out);
    let (a, b) = (total / 2, total - total / 2);
    let json = format!(
        r#"{{"type":"conv2dTranspose","inShape":[{hw},{hw},{c}],"outShape":[{out},{out},{f}],"kernel":[{k},{k}],"strides":[{s},{s}],"padding":[{a},{b},{a},{b}],"useBias":{bias},"activation":{{"kind":"{act}"}}}}"#
    );
    (json, hw * hw * c, out * out * f)
}

// As transpose_json: one row per case.
#[allow(clippy::too_many_arguments)]
fn depthwise_json(hw: usize, c: usize, m: usize, k: usize, s: usize, d: usize, pad: usize, bias: bool, act: &str) -> (String, usize) {
    let json = format!(
        r#"{{"type":"depthwiseConv2d","inShape":[{hw},{hw},{c}],"depthMultiplier":{m},"kernel":[{k},{k}],"strides":[{s},{s}],"padding":[{pad},{pad},{pad},{pad}],"dilation":[{d},{d}],"useBias":{bias},"activation":{{"kind":"{act}"}}}}"#
    );
    (json, hw * hw * c)
}

#[test]
fn transpose_scatters_each_input_pixel_under_the_kernel() {
    // 2x2 input, 2x2 kernel, stride 2, valid: each pixel's value times the kernel fills one
    // 2x2 block of the 4x4 output.
    let (json, ins, outs) = transpose_json(2, 1, 1, 2, 2, false, None, true, "linear");
    let mut h = Harness::new(&json, &[ins]).unwrap();
    assert_eq!((h.out_size, outs), (16, 16));
    h.xs[0] = vec![1.0, 2.0, 3.0, 4.0];
    h.params = vec![vec![1.0, 2.0, 3.0, 4.0], vec![0.5]];
    let y: Vec<f32> = h.forward(1, false, ctx(false)).unwrap().iter().map(|v| v - 0.5).collect();
    #[rustfmt::skip]
    let want = vec![
        1.0, 2.0, 2.0, 4.0,
        3.0, 4.0, 6.0, 8.0,
        3.0, 6.0, 4.0, 8.0,
        9.0, 12.0, 12.0, 16.0,
    ];
    assert_eq!(y, want);
    // Stride 1 overlaps the windows: a 2x2 input of ones under a kernel of ones, 'valid', gives
    // the overlap counts of a 3x3 output; two channels in, each kernel slice [ky, kx, 0, :] = (1, 2).
    let (json, ins, _) = transpose_json(2, 2, 1, 2, 1, false, None, false, "linear");
    let mut h = Harness::new(&json, &[ins]).unwrap();
    h.xs[0] = vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0];
    h.params = vec![vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0]];
    // Pixels (0,0) and (1,0) hold channel 0 (weight 1), pixels (0,1) and (1,1) channel 1 (weight 2).
    let y = h.forward(1, false, ctx(false)).unwrap().to_vec();
    assert_eq!(y, vec![1.0, 3.0, 2.0, 2.0, 6.0, 4.0, 1.0, 3.0, 2.0]);
}

/// The conv2d op for a transposed spec's conv geometry (no bias, linear).
fn conv_of(t: &Conv2dTransposeSpec) -> Conv2d {
    let g = t.conv_geometry();
    let spec: Conv2dSpec = serde_json::from_value(serde_json::json!({
        "inShape": [g.in_h, g.in_w, g.in_c], "filters": g.filters, "kernel": [g.kh, g.kw], "strides": [g.stride_h, g.stride_w],
        "padding": [g.pad_top, g.pad_bottom, g.pad_left, g.pad_right], "dilation": [1, 1], "useBias": false, "activation": {"kind": "linear"}
    }))
    .unwrap();
    let shape = NodeShape { name: "conv", inputs: &[g.in_sample_len()], output: g.out_sample_len(), params: &[g.w_len()], state: &[] };
    Conv2d::new(&spec, &shape).unwrap()
}

fn transpose_op(json: &str) -> (Conv2dTransposeSpec, Conv2dTranspose) {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let spec: Conv2dTransposeSpec = serde_json::from_value(v).unwrap();
    let g = spec.conv_geometry();
    let params = if spec.use_bias { vec![g.w_len(), g.in_c] } else { vec![g.w_len()] };
    let shape = NodeShape { name: "t", inputs: &[g.out_sample_len()], output: g.in_sample_len(), params: &params, state: &[] };
    let op = Conv2dTranspose::new(&spec, &shape).unwrap();
    (spec, op)
}

/// Forward then backward of `op` on n samples: (y, dx, grads).
fn run(
    op: &mut dyn Op,
    ins: usize,
    outs: usize,
    params: &[Vec<f32>],
    x: &[f32],
    dy: &[f32],
    n: usize,
) -> (Vec<f32>, Vec<f32>, Vec<Vec<f32>>) {
    let xs = vec![x.to_vec()];
    let (ids, sizes, need) = ([0], [ins], [true]);
    let c = ctx(true);
    let mut y = vec![f32::NAN; n * outs];
    op.forward(Forward { inputs: Inputs::new(&xs, &ids, &sizes, n), n, params, state: &mut [], ctx: c, out: &mut y }).unwrap();
    let mut grads: Vec<Vec<f32>> = params.iter().map(|p| vec![f32::NAN; p.len()]).collect();
    let mut dx = vec![vec![f32::NAN; n * ins]];
    let dinputs = InputGrads::new(&mut dx, &need, &sizes, n);
    let back = Backward {
        inputs: Inputs::new(&xs, &ids, &sizes, n),
        out: &y,
        dout: dy,
        grad_of: GradOf::Output,
        n,
        params,
        grads: &mut grads,
        dinputs,
    };
    op.backward(back).unwrap();
    (y, dx.remove(0), grads)
}

fn assert_close(what: &str, a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = a.iter().chain(b).fold(1e-3f32, |m, v| m.max(v.abs()));
    let worst = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(worst <= 1e-5 * scale, "{what}: worst difference {worst} at scale {scale}");
}

#[test]
fn transpose_is_the_input_gradient_of_conv2d_and_its_backward_the_conv_forward() {
    // 'same' and 'valid', strides 1 to 3, kernels smaller and larger than the stride, output
    // padding: the transposed forward of x equals conv2d's dx for dy = x, and the transposed
    // dx of dy equals conv2d's forward of dy (same kernel buffer, read as HWIO by the conv).
    let cases = [
        (5, 3, 4, 3, 2, true, None),
        (5, 3, 4, 3, 2, true, Some(0)),
        (4, 2, 3, 4, 2, false, Some(1)),
        (3, 4, 2, 2, 3, false, None),
        (6, 2, 5, 3, 1, true, None),
        (4, 3, 2, 5, 2, true, Some(1)),
        (7, 20, 24, 3, 2, true, Some(1)),
    ];
    for (hw, c, f, k, s, same, op) in cases {
        let (json, ins, outs) = transpose_json(hw, c, f, k, s, same, op, false, "linear");
        let (spec, mut t) = transpose_op(&json);
        let mut conv = conv_of(&spec);
        let n = 3;
        let w = vec![random(k * k * f * c, 3, 0.5)];
        let x = random(n * ins, 4, 1.0);
        let dy = random(n * outs, 5, 1.0);
        let (ty, tdx, _) = run(&mut t, ins, outs, &w, &x, &dy, n);
        // conv2d: input [outShape] (its x is our dy), output [inShape] (its dy is our x).
        let (cy, cdx, _) = run(&mut conv, outs, ins, &w, &dy, &x, n);
        let what = format!("{hw}x{hw}x{c} -> f{f} k{k} s{s} same {same} outputPadding {op:?}");
        assert_close(&format!("{what}: transposed forward vs conv2d dx"), &ty, &cdx);
        assert_close(&format!("{what}: transposed dx vs conv2d forward"), &tdx, &cy);
    }
}

#[test]
fn every_transpose_path_combination_matches_the_direct_kernels() {
    for act in ["linear", "tanh", "relu"] {
        for (hw, c, f, k, s, same, op) in [(5, 6, 5, 3, 2, true, Some(1)), (4, 64, 64, 3, 1, true, None), (4, 9, 3, 4, 2, false, None)] {
            let (json, ins, outs) = transpose_json(hw, c, f, k, s, same, op, true, act);
            let n = 5;
            let params = vec![random(k * k * f * c, 7, 0.3), random(f, 8, 0.3)];
            let x = random(n * ins, 9, 1.0);
            let dy = random(n * outs, 10, 1.0);
            let direct = Paths { forward_im2col: false, backward_im2col: false };
            let (_, base) = transpose_op(&json);
            let want = run(&mut base.with_paths(direct), ins, outs, &params, &x, &dy, n);
            for (fi, bi) in [(true, false), (false, true), (true, true)] {
                let (_, t) = transpose_op(&json);
                let got = run(&mut t.with_paths(Paths { forward_im2col: fi, backward_im2col: bi }), ins, outs, &params, &x, &dy, n);
                let what = format!("{act} {hw}x{hw}x{c} f{f} k{k} s{s}, conv forward im2col {fi}, conv backward im2col {bi}");
                assert_close(&format!("{what}: y"), &want.0, &got.0);
                assert_close(&format!("{what}: dx"), &want.1, &got.1);
                assert_close(&format!("{what}: dK"), &want.2[0], &got.2[0]);
                assert_close(&format!("{what}: db"), &want.2[1], &got.2[1]);
            }
        }
    }
}

#[test]
fn depthwise_convolves_each_channel_with_its_own_filters() {
    // 3x3 input, 2 channels (channel 0 = 1..9, channel 1 = 10 * that), kernel 2x2, multiplier 2,
    // valid: output channel 2i + j is channel i under filter j.
    let (json, ins) = depthwise_json(3, 2, 2, 2, 1, 1, 0, true, "linear");
    let mut h = Harness::new(&json, &[ins]).unwrap();
    assert_eq!(h.out_size, 2 * 2 * 4);
    h.xs[0] = (1..=9).flat_map(|v| [v as f32, 10.0 * v as f32]).collect();
    // K[ky, kx, i, j]: channel 0 filter 0 = top-left tap only, filter 1 = sum of the window;
    // channel 1 filter 0 = bottom-right tap, filter 1 = top-right minus bottom-left.
    #[rustfmt::skip]
    let k = vec![
        1.0, 1.0, 0.0, 0.0,   // ky 0, kx 0: (i0 j0, i0 j1, i1 j0, i1 j1)
        0.0, 1.0, 0.0, 1.0,   // ky 0, kx 1
        0.0, 1.0, 0.0, -1.0,  // ky 1, kx 0
        0.0, 1.0, 1.0, 0.0,   // ky 1, kx 1
    ];
    h.params = vec![k, vec![0.0, 0.0, 0.0, 100.0]];
    let y = h.forward(1, false, ctx(false)).unwrap().to_vec();
    // Windows of channel 0 at (0,0): [1 2; 4 5], (0,1): [2 3; 5 6], (1,0): [4 5; 7 8], (1,1): [5 6; 8 9].
    #[rustfmt::skip]
    let want = vec![
        1.0, 12.0, 50.0, 100.0 + 20.0 - 40.0,
        2.0, 16.0, 60.0, 100.0 + 30.0 - 50.0,
        4.0, 24.0, 80.0, 100.0 + 50.0 - 70.0,
        5.0, 28.0, 90.0, 100.0 + 60.0 - 80.0,
    ];
    assert_eq!(y, want);
}

/// L = sum(y * r) of one op; its gradients against central differences.
fn finite_differences(json: &str, ins: usize, n: usize) {
    let mut h = Harness::new(json, &[ins]).unwrap();
    for (j, p) in h.params.iter_mut().enumerate() {
        *p = random(p.len(), 20 + j as u32, 0.6);
    }
    let x = random(n * ins, 30, 1.0);
    h.xs[0] = x.clone();
    let r = random(n * h.out_size, 31, 1.0);
    let loss = |h: &mut Harness| -> f64 { h.forward(n, true, ctx(true)).unwrap().iter().zip(&r).map(|(a, b)| *a as f64 * *b as f64).sum() };
    loss(&mut h);
    h.backward(n, &r, GradOf::Output, &[true]).unwrap();
    let (dx, grads) = (h.dxs[0].clone(), h.grads.clone());
    let step = 1e-3f32;
    let check = |got: f32, plus: f64, minus: f64, what: &str| {
        let want = (plus - minus) / (2.0 * step as f64);
        assert!((got as f64 - want).abs() < 5e-3 * (1.0 + want.abs()), "{json}: {what}: backward {got}, finite difference {want}");
    };
    for i in (0..x.len()).step_by(3) {
        h.xs[0][i] = x[i] + step;
        let p = loss(&mut h);
        h.xs[0][i] = x[i] - step;
        let m = loss(&mut h);
        h.xs[0][i] = x[i];
        check(dx[i], p, m, &format!("dx[{i}]"));
    }
    for (t, grad) in grads.iter().enumerate() {
        for i in (0..grad.len()).step_by(2) {
            let orig = h.params[t][i];
            h.params[t][i] = orig + step;
            let p = loss(&mut h);
            h.params[t][i] = orig - step;
            let m = loss(&mut h);
            h.params[t][i] = orig;
            check(grad[i], p, m, &format!("param {t}[{i}]"));
        }
    }
}

#[test]
fn gradients_match_central_differences() {
    for (hw, c, f, k, s, same, op, act) in [
        (3, 2, 3, 3, 2, true, None, "tanh"),
        (3, 3, 2, 2, 2, false, Some(1), "sigmoid"),
        (4, 2, 2, 3, 1, true, None, "linear"),
        (2, 2, 3, 3, 3, false, None, "tanh"),
    ] {
        let (json, ins, _) = transpose_json(hw, c, f, k, s, same, op, true, act);
        finite_differences(&json, ins, 2);
    }
    for (hw, c, m, k, s, d, pad, act) in
        [(5, 3, 1, 3, 1, 1, 1, "tanh"), (5, 2, 2, 3, 2, 1, 1, "sigmoid"), (6, 2, 3, 2, 1, 2, 1, "linear"), (4, 17, 1, 3, 1, 1, 1, "tanh")]
    {
        let (json, ins) = depthwise_json(hw, c, m, k, s, d, pad, true, act);
        finite_differences(&json, ins, 2);
    }
}

#[test]
fn refusals_name_the_node_and_the_mismatch() {
    // An outShape the conv over it does not map back onto inShape.
    let e = Harness::new(
        r#"{"type":"conv2dTranspose","inShape":[2,2,1],"outShape":[6,4,1],"kernel":[2,2],"strides":[2,2],"padding":[0,0,0,0],"useBias":false,"activation":{"kind":"linear"}}"#,
        &[4],
    )
    .err()
    .unwrap();
    assert!(e.code == ErrorCode::Config && e.message.contains("does not map back onto inShape [2, 2, 1]"), "{e}");
    // Wiring that disagrees with the spec.
    let (json, _) = depthwise_json(4, 3, 2, 3, 1, 1, 1, true, "relu");
    let e = Harness::new(&json, &[47]).err().unwrap();
    assert!(e.code == ErrorCode::Config && e.message.contains("node 'test' (depthwiseConv2d): input sizes are [47]"), "{e}");
    let (json, _) = depthwise_json(4, 3, 0, 3, 1, 1, 1, true, "relu");
    let e = Harness::new(&json, &[48]).err().unwrap();
    assert!(e.code == ErrorCode::Arg, "{e}");
}

#[test]
fn one_and_two_threads_give_bitwise_identical_results() {
    let n = 11; // three backward tasks, the last one short
    let on = |threads: usize, json: &str, ins: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut h = Harness::new(json, &[ins]).unwrap();
            for (j, p) in h.params.iter_mut().enumerate() {
                *p = random(p.len(), 40 + j as u32, 0.5);
            }
            h.xs[0] = random(n * ins, 50, 1.0);
            let y = h.forward(n, true, ctx(true)).unwrap().to_vec();
            let dy = random(y.len(), 51, 1.0);
            h.backward(n, &dy, GradOf::Output, &[true]).unwrap();
            (y, h.dxs[0].clone(), h.grads.clone())
        })
    };
    let (direct, ..) = transpose_json(7, 8, 6, 3, 2, true, Some(1), true, "relu");
    let (im2col, ..) = transpose_json(4, 128, 64, 3, 1, true, None, true, "tanh");
    let (_, t) = transpose_op(&im2col);
    assert_eq!(t.paths(), Paths { forward_im2col: true, backward_im2col: true });
    for (json, ins) in [
        (direct, 7 * 7 * 8),
        (im2col, 4 * 4 * 128),
        depthwise_json(9, 24, 1, 3, 1, 1, 1, true, "relu"),
        depthwise_json(8, 5, 3, 3, 2, 1, 1, true, "tanh"),
    ] {
        let (one, two) = (on(1, &json, ins), on(2, &json, ins));
        assert!(one == two, "{json}: one and two threads differ");
    }
}
