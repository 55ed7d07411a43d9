//! The conv layer's two implementations, chosen by shape (conv::Paths): every
//! combination of direct and im2col for forward and backward gives the direct kernels' output and
//! gradients to float32 rounding, with and without a fused activation, over consecutive batches
//! (so nothing stale from the previous batch is reused). And the shape rule picks what the
//! conv bench measured.
use oxnet_core::conv::{Conv2dGeometry, Paths};
use oxnet_core::ops::conv2d::{Conv2d, Conv2dSpec};
use oxnet_core::ops::{Backward, Ctx, Forward, GradOf, InputGrads, Inputs, NodeShape, Op};
use oxnet_core::rng::Mulberry32;

fn random(n: usize, seed: u32) -> Vec<f32> {
    let mut r = Mulberry32::new(seed);
    (0..n).map(|_| (r.next_f64() * 2.0 - 1.0) as f32).collect()
}

fn spec(hw: usize, c: usize, k: usize, f: usize, act: &str) -> Conv2dSpec {
    let p = k / 2;
    serde_json::from_str(&format!(
        r#"{{"inShape":[{hw},{hw},{c}],"filters":{f},"kernel":[{k},{k}],"strides":[1,1],"padding":[{p},{p},{p},{p}],"dilation":[1,1],"useBias":true,"activation":{{"kind":"{act}"}}}}"#
    ))
    .unwrap()
}

/// The conv op of `spec`, wired as its geometry says.
fn conv(spec: &Conv2dSpec) -> Conv2d {
    let g = spec.geometry();
    let shape = NodeShape {
        name: "conv",
        inputs: &[g.in_sample_len()],
        output: g.out_sample_len(),
        params: &[g.w_len(), spec.filters],
        state: &[],
    };
    Conv2d::new(spec, &shape).unwrap()
}

/// (y, dx, dw, db) of forward + backward on `batches` consecutive batches of `n`; the last one's.
fn run(layer: &mut Conv2d, g: Conv2dGeometry, n: usize, batches: u32) -> [Vec<f32>; 4] {
    let (ins, outs) = (g.in_sample_len(), g.out_sample_len());
    let sizes = [g.w_len(), g.filters];
    let params: Vec<Vec<f32>> =
        sizes.iter().enumerate().map(|(i, &len)| random(len, 100 + i as u32).iter().map(|v| v * 0.2).collect()).collect();
    let ctx = Ctx { training: true, step: 0, seed: 1, node: 0 };
    let mut last = [vec![], vec![], vec![], vec![]];
    for b in 0..batches {
        let xs = vec![random(n * ins, 1 + b)];
        let dy = random(n * outs, 50 + b);
        let mut y = vec![0.0; n * outs];
        let (ids, in_sizes, need) = ([0], [ins], [true]);
        let inputs = || Inputs::new(&xs, &ids, &in_sizes, n);
        layer.forward(Forward { inputs: inputs(), n, params: &params, state: &mut [], ctx, out: &mut y }).unwrap();
        let mut grads: Vec<Vec<f32>> = sizes.iter().map(|&len| vec![0.0; len]).collect();
        let mut dx = vec![vec![0.0; n * ins]];
        let dinputs = InputGrads::new(&mut dx, &need, &in_sizes, n);
        let back =
            Backward { inputs: inputs(), out: &y, dout: &dy, grad_of: GradOf::Output, n, params: &params, grads: &mut grads, dinputs };
        layer.backward(back).unwrap();
        last = [y, dx.remove(0), grads[0].clone(), grads[1].clone()];
    }
    last
}

fn assert_close(what: &str, a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = a.iter().fold(1e-3f32, |m, v| m.max(v.abs()));
    let worst = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(worst <= 2e-5 * scale, "{what}: worst difference {worst} at scale {scale}");
}

#[test]
fn every_path_combination_matches_the_direct_kernels() {
    for act in ["relu", "linear", "tanh"] {
        for (hw, c, k, f) in [(6, 9, 3, 5), (7, 64, 3, 64)] {
            let base = || conv(&spec(hw, c, k, f, act));
            let g = spec(hw, c, k, f, act).geometry();
            let want = run(&mut base().with_paths(Paths { forward_im2col: false, backward_im2col: false }), g, 3, 2);
            for (fi, bi) in [(true, false), (false, true), (true, true)] {
                let got = run(&mut base().with_paths(Paths { forward_im2col: fi, backward_im2col: bi }), g, 3, 2);
                for (name, w, g) in
                    [("y", &want[0], &got[0]), ("dx", &want[1], &got[1]), ("dw", &want[2], &got[2]), ("db", &want[3], &got[3])]
                {
                    assert_close(&format!("{act} {hw}x{hw}x{c} k{k} f{f}, forward im2col {fi}, backward im2col {bi}: {name}"), w, g);
                }
            }
        }
    }
}

#[test]
fn the_shape_rule_picks_im2col_for_deep_patches_on_small_images() {
    let paths = |hw, c, k, f| conv(&spec(hw, c, k, f, "relu")).paths();
    // W3's layers: direct both ways.
    assert_eq!(paths(28, 1, 5, 8), Paths { forward_im2col: false, backward_im2col: false });
    assert_eq!(paths(14, 8, 5, 16), Paths { forward_im2col: false, backward_im2col: false });
    assert_eq!(paths(28, 32, 3, 64), Paths { forward_im2col: false, backward_im2col: false });
    // 14x14x64 k3 f64: the direct forward is faster, im2col's backward.
    assert_eq!(paths(14, 64, 3, 64), Paths { forward_im2col: false, backward_im2col: true });
    assert_eq!(paths(7, 128, 3, 128), Paths { forward_im2col: true, backward_im2col: true });
    let g = Conv2dGeometry {
        batch: 1,
        in_h: 7,
        in_w: 7,
        in_c: 128,
        filters: 128,
        kh: 3,
        kw: 3,
        stride_h: 1,
        stride_w: 1,
        pad_top: 1,
        pad_bottom: 1,
        pad_left: 1,
        pad_right: 1,
        dil_h: 1,
        dil_w: 1,
    };
    assert_eq!(Paths::for_shape(&g), paths(7, 128, 3, 128));
}

#[test]
fn im2col_paths_give_bitwise_identical_results_on_one_and_two_threads() {
    let on = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| run(&mut conv(&spec(7, 128, 3, 128, "relu")), spec(7, 128, 3, 128, "relu").geometry(), 8, 1))
    };
    assert_eq!(conv(&spec(7, 128, 3, 128, "relu")).paths(), Paths { forward_im2col: true, backward_im2col: true });
    assert_eq!(on(1), on(2));
}

/// (in h, in w, in c, filters, kernel h, kernel w, stride, padding [t, b, l, r], dilation): odd
/// sizes, filter counts off the 16-wide AVX2 blocks (5, 24, 40), pixel counts leaving every
/// remainder of the 6-pixel block, stride 2 (dx by dcol tiles), 'valid' (dx as a full
/// convolution), asymmetric padding, 1x1, dilation 2, padding beyond the kernel span.
type Case = (usize, usize, usize, usize, usize, usize, usize, [usize; 4], usize);
const CASES: [Case; 11] = [
    (7, 7, 64, 64, 3, 3, 1, [1, 1, 1, 1], 1),
    (5, 6, 16, 24, 3, 3, 1, [1, 1, 1, 1], 1),
    (6, 5, 32, 40, 3, 3, 1, [0, 0, 0, 0], 1),
    (9, 7, 3, 16, 3, 3, 1, [1, 1, 1, 1], 1),
    (8, 8, 16, 32, 3, 3, 2, [0, 1, 0, 1], 1),
    (7, 9, 24, 16, 1, 1, 1, [0, 0, 0, 0], 1),
    (7, 7, 16, 32, 1, 1, 2, [0, 0, 0, 0], 1),
    (9, 9, 16, 16, 3, 3, 1, [2, 2, 2, 2], 2),
    (6, 7, 8, 16, 5, 3, 1, [1, 3, 0, 2], 1),
    (5, 5, 16, 16, 3, 3, 1, [3, 0, 1, 1], 1),
    (4, 4, 9, 5, 2, 2, 1, [0, 1, 1, 0], 1),
];

fn geometry(case: Case, batch: usize) -> Conv2dGeometry {
    let (in_h, in_w, in_c, filters, kh, kw, s, [pad_top, pad_bottom, pad_left, pad_right], d) = case;
    let g = Conv2dGeometry {
        batch,
        in_h,
        in_w,
        in_c,
        filters,
        kh,
        kw,
        stride_h: s,
        stride_w: s,
        pad_top,
        pad_bottom,
        pad_left,
        pad_right,
        dil_h: d,
        dil_w: d,
    };
    g.validate().unwrap();
    g
}

/// (y, dx, dw, db) of the direct kernels or of im2col + GEMM on geometry `g`.
fn grads(g: &Conv2dGeometry, im2col: bool) -> [Vec<f32>; 4] {
    use oxnet_core::conv::{self, ConvGrads};
    let (x, w, b, dy) = (random(g.x_len(), 3), random(g.w_len(), 4), random(g.filters, 5), random(g.y_len(), 6));
    let (mut y, mut dx, mut dw, mut db) = (vec![0.0; g.y_len()], vec![0.0; g.x_len()], vec![0.0; g.w_len()], vec![0.0; g.filters]);
    let mut col = vec![0.0; g.col_len()];
    let grads = ConvGrads { dx: Some(&mut dx), dw: &mut dw, db: Some(&mut db) };
    if im2col {
        conv::conv2d_forward_im2col(g, &x, &w, Some(&b), &mut col, &mut y);
        conv::conv2d_backward_im2col(g, &x, &w, &dy, &mut col, grads);
    } else {
        conv::conv2d_forward_direct(g, &x, &w, Some(&b), &mut y);
        conv::conv2d_backward_direct(g, &x, &w, &dy, grads);
    }
    [y, dx, dw, db]
}

#[test]
fn direct_kernels_match_im2col_on_odd_shapes_strides_paddings_and_dilations() {
    for case in CASES {
        let g = geometry(case, 5);
        let (want, got) = (grads(&g, true), grads(&g, false));
        for (name, w, d) in [("y", &want[0], &got[0]), ("dx", &want[1], &got[1]), ("dw", &want[2], &got[2]), ("db", &want[3], &got[3])] {
            assert_close(&format!("{case:?}: {name}"), w, d);
        }
    }
}

#[test]
fn direct_kernels_give_bitwise_identical_results_on_one_and_two_threads() {
    let g = geometry((10, 10, 32, 48, 3, 3, 1, [1, 1, 1, 1], 1), 9);
    let on = |threads| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| grads(&g, false));
    let one = on(1);
    assert!(one.iter().all(|v| v.iter().any(|&x| x != 0.0)), "every output is non-trivial");
    assert_eq!(one, on(2));
}
