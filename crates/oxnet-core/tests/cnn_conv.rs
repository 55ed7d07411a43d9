//! conv2d kernels against a direct-loop f64 reference (the formula of docs/kernels.md written out
//! naively), hand-computed cases, central finite differences, and geometry refusals. Both
//! implementations are held to the reference: the direct kernels (conv2d_forward / _backward)
//! and im2col + GEMM (the _im2col variants).
use oxnet_core::conv::{
    conv2d_backward_direct, conv2d_backward_im2col, conv2d_forward_direct, conv2d_forward_im2col, Conv2dGeometry, ConvGrads,
};
use oxnet_core::rng::Mulberry32;
use oxnet_core::ErrorCode;

fn random(n: usize, seed: u32) -> Vec<f32> {
    let mut r = Mulberry32::new(seed);
    (0..n).map(|_| (r.next_f64() * 2.0 - 1.0) as f32).collect()
}

fn geom(batch: usize, hwc: [usize; 3], filters: usize, k: [usize; 2], s: [usize; 2], p: [usize; 4], d: [usize; 2]) -> Conv2dGeometry {
    Conv2dGeometry {
        batch,
        in_h: hwc[0],
        in_w: hwc[1],
        in_c: hwc[2],
        filters,
        kh: k[0],
        kw: k[1],
        stride_h: s[0],
        stride_w: s[1],
        pad_top: p[0],
        pad_bottom: p[1],
        pad_left: p[2],
        pad_right: p[3],
        dil_h: d[0],
        dil_w: d[1],
    }
}

/// Input cell (n, iy, ix, c) read by output (oy, ox) through kernel tap (ky, kx), if not padding.
fn tap(g: &Conv2dGeometry, oy: usize, ox: usize, ky: usize, kx: usize) -> Option<(usize, usize)> {
    let iy = (oy * g.stride_h + ky * g.dil_h) as isize - g.pad_top as isize;
    let ix = (ox * g.stride_w + kx * g.dil_w) as isize - g.pad_left as isize;
    (iy >= 0 && ix >= 0 && (iy as usize) < g.in_h && (ix as usize) < g.in_w).then_some((iy as usize, ix as usize))
}

/// Calls f(x_index, w_index, y_index) for every multiply-add of the convolution.
fn for_each_mac(g: &Conv2dGeometry, mut f: impl FnMut(usize, usize, usize)) {
    let (oh, ow) = (g.out_h(), g.out_w());
    for n in 0..g.batch {
        for oy in 0..oh {
            for ox in 0..ow {
                for ky in 0..g.kh {
                    for kx in 0..g.kw {
                        let Some((iy, ix)) = tap(g, oy, ox, ky, kx) else { continue };
                        for c in 0..g.in_c {
                            for o in 0..g.filters {
                                let xi = ((n * g.in_h + iy) * g.in_w + ix) * g.in_c + c;
                                let wi = ((ky * g.kw + kx) * g.in_c + c) * g.filters + o;
                                let yi = ((n * oh + oy) * ow + ox) * g.filters + o;
                                f(xi, wi, yi);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn reference_forward(g: &Conv2dGeometry, x: &[f32], w: &[f32], b: Option<&[f32]>) -> Vec<f64> {
    let mut y = vec![0f64; g.y_len()];
    if let Some(b) = b {
        for (i, v) in y.iter_mut().enumerate() {
            *v = b[i % g.filters] as f64;
        }
    }
    for_each_mac(g, |xi, wi, yi| y[yi] += x[xi] as f64 * w[wi] as f64);
    y
}

/// A reference sum together with the sum of its terms' magnitudes (what bounds f32 rounding).
#[derive(Clone, Copy, Default)]
struct Sum {
    value: f64,
    magnitude: f64,
}

impl Sum {
    fn add(&mut self, term: f64) {
        self.value += term;
        self.magnitude += term.abs();
    }
}

fn reference_backward(g: &Conv2dGeometry, x: &[f32], w: &[f32], dy: &[f32]) -> (Vec<Sum>, Vec<Sum>, Vec<Sum>) {
    let (mut dx, mut dw, mut db) = (vec![Sum::default(); g.x_len()], vec![Sum::default(); g.w_len()], vec![Sum::default(); g.filters]);
    for_each_mac(g, |xi, wi, yi| {
        dx[xi].add(dy[yi] as f64 * w[wi] as f64);
        dw[wi].add(dy[yi] as f64 * x[xi] as f64);
    });
    for (i, d) in dy.iter().enumerate() {
        db[i % g.filters].add(*d as f64);
    }
    (dx, dw, db)
}

fn assert_close(what: &str, got: &[f32], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((*g as f64 - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: got {g}, want {w}");
    }
}

/// f32 sums of many terms: allow a few f32 epsilons of the terms' total magnitude.
fn assert_sums_close(what: &str, got: &[f32], want: &[Sum]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let tol = 1e-6 + 4.0 * f32::EPSILON as f64 * w.magnitude;
        assert!((*g as f64 - w.value).abs() <= tol, "{what}[{i}]: got {g}, want {} (tolerance {tol})", w.value);
    }
}

/// The direct kernels' output, after checking that im2col + GEMM agrees with it.
fn run_forward(g: &Conv2dGeometry, x: &[f32], w: &[f32], b: Option<&[f32]>) -> Vec<f32> {
    g.validate().unwrap();
    let mut col = vec![f32::NAN; g.col_len()];
    let (mut y, mut y2) = (vec![f32::NAN; g.y_len()], vec![f32::NAN; g.y_len()]);
    conv2d_forward_direct(g, x, w, b, &mut y);
    conv2d_forward_im2col(g, x, w, b, &mut col, &mut y2);
    for (i, (a, c)) in y.iter().zip(&y2).enumerate() {
        assert!((a - c).abs() <= 1e-5 * (1.0 + a.abs()), "direct vs im2col y[{i}]: {a} vs {c}");
    }
    y
}

/// Gradients (dx, dw, db) by the direct kernels, or by im2col + GEMM.
fn run_backward(g: &Conv2dGeometry, x: &[f32], w: &[f32], dy: &[f32], im2col: bool, with_dx: bool) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (mut dx, mut dw, mut db) = (vec![f32::NAN; g.x_len()], vec![f32::NAN; g.w_len()], vec![f32::NAN; g.filters]);
    let dxo = with_dx.then_some(dx.as_mut_slice());
    if im2col {
        let mut col = vec![f32::NAN; g.col_len()];
        conv2d_backward_im2col(g, x, w, dy, &mut col, ConvGrads { dx: dxo, dw: &mut dw, db: Some(&mut db) });
    } else {
        conv2d_backward_direct(g, x, w, dy, ConvGrads { dx: dxo, dw: &mut dw, db: Some(&mut db) });
    }
    (dx, dw, db)
}

/// Shapes covering stride > 1, valid / same / explicit asymmetric padding, dilation, batch 1,
/// several channels, non-square inputs and kernels, 1x1 kernels, and a batch large enough to
/// take the parallel path.
fn cases() -> Vec<(&'static str, Conv2dGeometry)> {
    vec![
        ("x=[1,5,5,1] f=[3,3,1,1] s=1 valid", geom(1, [5, 5, 1], 1, [3, 3], [1, 1], [0; 4], [1, 1])),
        ("x=[2,6,7,3] f=[3,2,3,4] s=2 valid", geom(2, [6, 7, 3], 4, [3, 2], [2, 2], [0; 4], [1, 1])),
        ("x=[3,5,5,2] f=[3,3,2,3] s=1 same", geom(3, [5, 5, 2], 3, [3, 3], [1, 1], [1, 1, 1, 1], [1, 1])),
        ("x=[2,7,4,2] f=[4,4,2,2] s=[2,1] same", geom(2, [7, 4, 2], 2, [4, 4], [2, 1], [1, 2, 1, 2], [1, 1])),
        ("x=[1,9,8,2] f=[3,3,2,2] d=[2,3] valid", geom(1, [9, 8, 2], 2, [3, 3], [1, 1], [0; 4], [2, 3])),
        ("x=[2,6,6,1] f=[2,3,1,5] s=[3,2] p=[2,0,1,3]", geom(2, [6, 6, 1], 5, [2, 3], [3, 2], [2, 0, 1, 3], [1, 1])),
        ("x=[2,4,5,6] f=[1,1,6,3] s=1", geom(2, [4, 5, 6], 3, [1, 1], [1, 1], [0; 4], [1, 1])),
        ("x=[1,3,3,2] f=[3,3,2,2] d=2 p=2", geom(1, [3, 3, 2], 2, [3, 3], [1, 1], [2, 2, 2, 2], [2, 2])),
        ("x=[8,28,28,1] f=[5,5,1,8] same (parallel path)", geom(8, [28, 28, 1], 8, [5, 5], [1, 1], [2, 2, 2, 2], [1, 1])),
        // Filter tiles of the direct kernels: 16, 16 + 8, 16 + 3 single filters; 9 samples =
        // two full backward tasks and a partial one.
        ("x=[9,7,6,8] f=[5,5,8,16] same", geom(9, [7, 6, 8], 16, [5, 5], [1, 1], [2, 2, 2, 2], [1, 1])),
        ("x=[2,6,5,3] f=[3,3,3,24] s=2 p=[1,0,0,1]", geom(2, [6, 5, 3], 24, [3, 3], [2, 2], [1, 0, 0, 1], [1, 1])),
        ("x=[3,5,7,2] f=[2,3,2,19] d=[2,1] p=1", geom(3, [5, 7, 2], 19, [2, 3], [1, 1], [1, 1, 1, 1], [2, 1])),
    ]
}

#[test]
fn forward_matches_direct_loops() {
    for (i, (name, g)) in cases().into_iter().enumerate() {
        let x = random(g.x_len(), 10 + i as u32);
        let w = random(g.w_len(), 100 + i as u32);
        let b = random(g.filters, 200 + i as u32);
        assert_close(&format!("{name} y"), &run_forward(&g, &x, &w, Some(&b)), &reference_forward(&g, &x, &w, Some(&b)), 1e-5);
        assert_close(&format!("{name} y (no bias)"), &run_forward(&g, &x, &w, None), &reference_forward(&g, &x, &w, None), 1e-5);
    }
}

#[test]
fn backward_matches_direct_loops() {
    for (i, (name, g)) in cases().into_iter().enumerate() {
        let x = random(g.x_len(), 20 + i as u32);
        let w = random(g.w_len(), 120 + i as u32);
        let dy = random(g.y_len(), 220 + i as u32);
        let (rdx, rdw, rdb) = reference_backward(&g, &x, &w, &dy);
        for im2col in [false, true] {
            let (dx, dw, db) = run_backward(&g, &x, &w, &dy, im2col, true);
            let name = format!("{name}{}", if im2col { " (im2col)" } else { "" });
            assert_sums_close(&format!("{name} dx"), &dx, &rdx);
            assert_sums_close(&format!("{name} dw"), &dw, &rdw);
            assert_sums_close(&format!("{name} db"), &db, &rdb);
            // dx skipped (a first layer): dw unchanged.
            let (_, dw2, _) = run_backward(&g, &x, &w, &dy, im2col, false);
            assert_eq!(dw, dw2, "{name}: dw without dx");
        }
    }
}

#[test]
fn hand_computed_valid_and_same() {
    // x = 3x3 image 1..9, kernel 2x2 of ones: each output is the sum of a 2x2 block,
    // 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28, plus bias 1.
    let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    let g = geom(1, [3, 3, 1], 1, [2, 2], [1, 1], [0; 4], [1, 1]);
    assert_eq!(run_forward(&g, &x, &[1.0; 4], Some(&[1.0])), vec![13.0, 17.0, 25.0, 29.0]);
    // 'same' 3x3 ones kernel: sums of the 3x3 neighbourhood clipped to the image, e.g. corner
    // 1+2+4+5 = 12, centre 45, top middle 1+2+3+4+5+6 = 21.
    let g = geom(1, [3, 3, 1], 1, [3, 3], [1, 1], [1, 1, 1, 1], [1, 1]);
    assert_eq!(run_forward(&g, &x, &[1.0; 9], None), vec![12.0, 21.0, 16.0, 27.0, 45.0, 33.0, 24.0, 39.0, 28.0]);
    // Two filters and two input channels, 1x1 kernel: y = [x0*1 + x1*10, x0*2 + x1*20] per pixel.
    let g = geom(1, [1, 2, 2], 2, [1, 1], [1, 1], [0; 4], [1, 1]);
    assert_eq!(run_forward(&g, &[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 10.0, 20.0], None), vec![21.0, 42.0, 43.0, 86.0]);
}

#[test]
fn gradients_match_central_differences() {
    // L = sum(y * r) for a fixed random r, so dL/dy = r; compare the kernel's gradients with
    // (L(p + h) - L(p - h)) / 2h evaluated in f64 by the direct-loop forward.
    let g = geom(2, [5, 4, 2], 3, [3, 2], [2, 1], [1, 1, 0, 1], [1, 2]);
    let x = random(g.x_len(), 1);
    let w = random(g.w_len(), 2);
    let b = random(g.filters, 3);
    let r = random(g.y_len(), 4);
    let loss =
        |x: &[f32], w: &[f32], b: &[f32]| -> f64 { reference_forward(&g, x, w, Some(b)).iter().zip(&r).map(|(y, r)| y * *r as f64).sum() };
    let (dx, dw, db) = run_backward(&g, &x, &w, &r, false, true);
    let h = 1e-2f32; // L is linear in each parameter, so only rounding limits the difference
    let fd = |buf: &[f32], i: usize, eval: &dyn Fn(&[f32]) -> f64| {
        let (mut plus, mut minus) = (buf.to_vec(), buf.to_vec());
        plus[i] += h;
        minus[i] -= h;
        (eval(&plus) - eval(&minus)) / (plus[i] - minus[i]) as f64
    };
    for (i, d) in dx.iter().enumerate() {
        let want = fd(&x, i, &|v| loss(v, &w, &b));
        assert!((*d as f64 - want).abs() < 1e-4, "dx[{i}] {d} vs {want}");
    }
    for (i, d) in dw.iter().enumerate() {
        let want = fd(&w, i, &|v| loss(&x, v, &b));
        assert!((*d as f64 - want).abs() < 1e-4, "dw[{i}] {d} vs {want}");
    }
    for (i, d) in db.iter().enumerate() {
        let want = fd(&b, i, &|v| loss(&x, &w, v));
        assert!((*d as f64 - want).abs() < 1e-4, "db[{i}] {d} vs {want}");
    }
}

#[test]
fn output_size_follows_the_formula() {
    // out = floor((in + pads - dilation (k - 1) - 1) / stride) + 1: (28 + 4 - 4 - 1) / 1 + 1 = 28,
    // (7 + 3 - 3 - 1) / 2 + 1 = 4, (9 - 2*2 - 1) / 3 + 1 = 2.
    assert_eq!(geom(1, [28, 28, 1], 8, [5, 5], [1, 1], [2, 2, 2, 2], [1, 1]).out_h(), 28);
    assert_eq!(geom(1, [7, 7, 1], 1, [4, 4], [2, 2], [1, 2, 1, 2], [1, 1]).out_w(), 4);
    assert_eq!(geom(1, [9, 9, 1], 1, [3, 3], [3, 3], [0; 4], [2, 2]).out_h(), 2);
}

#[test]
fn geometry_refusals_name_the_parameter() {
    let ok = geom(1, [5, 5, 1], 1, [3, 3], [1, 1], [0; 4], [1, 1]);
    assert!(ok.validate().is_ok());
    let e = Conv2dGeometry { stride_w: 0, ..ok }.validate().unwrap_err();
    assert_eq!(e.code, ErrorCode::Arg);
    assert!(e.message.contains("strides[1]") && e.message.contains("got 0"), "{}", e.message);
    let e = Conv2dGeometry { kh: 0, ..ok }.validate().unwrap_err();
    assert!(e.message.contains("kernel[0]"), "{}", e.message);
    let e = Conv2dGeometry { dil_h: 0, ..ok }.validate().unwrap_err();
    assert!(e.message.contains("dilation[0]"), "{}", e.message);
    // 3x3 kernel with dilation 3 spans 7 rows, more than 5 + 0 + 0.
    let e = Conv2dGeometry { dil_h: 3, ..ok }.validate().unwrap_err();
    assert_eq!(e.code, ErrorCode::Shape);
    assert!(e.message.contains("kernel height 3") && e.message.contains("dilation 3"), "{}", e.message);
    let e = Conv2dGeometry { batch: 1 << 20, in_h: 1 << 12, in_w: 1 << 12, ..ok }.validate().unwrap_err();
    assert_eq!(e.code, ErrorCode::Shape);
    assert!(e.message.contains("more than"), "{}", e.message);
    let e = Conv2dGeometry { batch: usize::MAX, ..ok }.validate().unwrap_err();
    assert_eq!(e.code, ErrorCode::Shape);
    let e = ok.check_len("x", 24, ok.x_len()).unwrap_err();
    assert!(e.message.contains("x has length 24, expected 25"), "{}", e.message);
}
