//! The upSample2d and layerNorm ops through the Harness (which pre-fills input gradients with NaN,
//! so an element backward forgets shows up): hand-computed forwards (bilinear from the
//! half-pixel formula, u = (o + 0.5) / s - 0.5 clamped at the edges), central finite differences
//! of every input and parameter gradient, results independent of the thread count on batches
//! large enough to split into many tasks, and refusals.
mod common;

use common::{ctx, random, Harness};
use oxnet_core::ops::GradOf;
use oxnet_core::ErrorCode;

fn up_json(in_shape: [usize; 3], size: [usize; 2], interpolation: &str) -> String {
    format!(r#"{{"type":"upSample2d","inShape":{in_shape:?},"size":{size:?},"interpolation":"{interpolation}"}}"#)
}

fn ln_json(size: usize, width: usize, epsilon: f64, center: bool, scale: bool) -> String {
    format!(r#"{{"type":"layerNorm","size":{size},"width":{width},"epsilon":{epsilon},"center":{center},"scale":{scale}}}"#)
}

fn forward(h: &mut Harness, x: &[f32], n: usize) -> Vec<f32> {
    h.xs[0] = x.to_vec();
    h.forward(n, true, ctx(true)).unwrap().to_vec()
}

fn assert_close(got: &[f32], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((*g as f64 - w).abs() <= tol, "element {i}: got {g}, want {w}\n got  {got:?}\n want {want:?}");
    }
}

#[test]
fn nearest_repeats_pixels_and_sums_blocks_back() {
    let mut h = Harness::new(&up_json([2, 2, 1], [2, 2], "nearest"), &[4]).unwrap();
    assert_eq!(h.out_size, 16);
    #[rustfmt::skip]
    let want = [1.0, 1.0, 2.0, 2.0,
                1.0, 1.0, 2.0, 2.0,
                3.0, 3.0, 4.0, 4.0,
                3.0, 3.0, 4.0, 4.0];
    assert_eq!(forward(&mut h, &[1.0, 2.0, 3.0, 4.0], 1), want);
    // dy = 0..16: each dx pixel sums its 2x2 block.
    let dy: Vec<f32> = (0..16).map(|v| v as f32).collect();
    h.backward(1, &dy, GradOf::Output, &[true]).unwrap();
    assert_eq!(h.dxs[0], vec![0.0 + 1.0 + 4.0 + 5.0, 2.0 + 3.0 + 6.0 + 7.0, 8.0 + 9.0 + 12.0 + 13.0, 10.0 + 11.0 + 14.0 + 15.0]);
    // [2, 3] on two channels: pixel (1, 10) then (2, 20), each three times, two rows.
    let mut h = Harness::new(&up_json([1, 2, 2], [2, 3], "nearest"), &[4]).unwrap();
    let row = [1.0, 10.0, 1.0, 10.0, 1.0, 10.0, 2.0, 20.0, 2.0, 20.0, 2.0, 20.0];
    assert_eq!(forward(&mut h, &[1.0, 10.0, 2.0, 20.0], 1), [row, row].concat());
}

#[test]
fn bilinear_follows_the_half_pixel_formula() {
    // s = 2 on 2 pixels: u = -0.25 (-> 0), 0.25, 0.75, 1.25 (hi clamped to 1):
    // [a, b] -> [a, 0.75a + 0.25b, 0.25a + 0.75b, b] along each axis.
    let mut h = Harness::new(&up_json([2, 2, 1], [2, 2], "bilinear"), &[4]).unwrap();
    #[rustfmt::skip]
    let want = [1.0, 1.25, 1.75, 2.0,
                1.5, 1.75, 2.25, 2.5,
                2.5, 2.75, 3.25, 3.5,
                3.0, 3.25, 3.75, 4.0];
    assert_close(&forward(&mut h, &[1.0, 2.0, 3.0, 4.0], 1), &want, 1e-6);
    // Columns s = 3: u = -1/3 (-> 0), 0, 1/3, 2/3, 1, 4/3: [a, a, (2a + b)/3, (a + 2b)/3, b, b].
    let mut h = Harness::new(&up_json([2, 2, 1], [2, 3], "bilinear"), &[4]).unwrap();
    let r0 = [1.0, 1.0, 4.0 / 3.0, 5.0 / 3.0, 2.0, 2.0];
    let r1 = [3.0, 3.0, 10.0 / 3.0, 11.0 / 3.0, 4.0, 4.0];
    let mix = |p: f64| -> Vec<f64> { r0.iter().zip(&r1).map(|(a, b)| (1.0 - p) * a + p * b).collect() };
    let want = [r0.to_vec(), mix(0.25), mix(0.75), r1.to_vec()].concat();
    assert_close(&forward(&mut h, &[1.0, 2.0, 3.0, 4.0], 1), &want, 1e-6);
    // Three pixels, s = 2, two channels: [0, 4, 8] -> [0, 1, 3, 5, 7, 8] and -10x that.
    let mut h = Harness::new(&up_json([1, 3, 2], [1, 2], "bilinear"), &[6]).unwrap();
    let got = forward(&mut h, &[0.0, 0.0, 4.0, -40.0, 8.0, -80.0], 1);
    assert_close(&got, &[0.0, 0.0, 1.0, -10.0, 3.0, -30.0, 5.0, -50.0, 7.0, -70.0, 8.0, -80.0], 1e-5);
    // The transpose: a dy of ones gives each source pixel the sum of its weights, 4 over the
    // three pixels of s = 2 (edge pixels 1 + 0.75 + 0.25 = 2, the middle one 0.25 + 0.75 + 0.75 + 0.25 = 2).
    h.backward(1, &[1.0; 12], GradOf::Output, &[true]).unwrap();
    assert_close(&h.dxs[0], &[2.0, 2.0, 2.0, 2.0, 2.0, 2.0], 1e-6);
}

#[test]
fn layer_norm_hand_computed() {
    // Row [1, 2, 3, 4]: mean 2.5, biased var 1.25; row [10, 10, 10, 14]: mean 11, var 3.
    let mut h = Harness::new(&ln_json(4, 4, 1e-3, true, true), &[4]).unwrap();
    assert_eq!(h.params.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4]);
    let (gamma, beta) = ([1.0, 2.0, 3.0, 4.0], [0.5, 0.0, -0.5, 1.0]);
    h.params = vec![gamma.to_vec(), beta.to_vec()];
    let y = forward(&mut h, &[1.0, 2.0, 3.0, 4.0, 10.0, 10.0, 10.0, 14.0], 2);
    let (s, t) = ((1.25f64 + 1e-3).sqrt(), (3.0f64 + 1e-3).sqrt());
    let xhat = [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s, -1.0 / t, -1.0 / t, -1.0 / t, 3.0 / t];
    let want: Vec<f64> = xhat.iter().enumerate().map(|(i, x)| gamma[i % 4] as f64 * x + beta[i % 4] as f64).collect();
    assert_close(&y, &want, 1e-5);
    // An image [1, 2, 3] normalized per pixel, beta only: pixel [0, 3, 6] (mean 3, var 6) and
    // pixel [1, 1, 1] (var 0: y = beta); epsilon 0.5.
    let mut h = Harness::new(&ln_json(6, 3, 0.5, true, false), &[6]).unwrap();
    assert_eq!(h.params.iter().map(Vec::len).collect::<Vec<_>>(), vec![3]);
    h.params = vec![vec![1.0, 2.0, 3.0]];
    let s = 6.5f64.sqrt();
    assert_close(&forward(&mut h, &[0.0, 3.0, 6.0, 1.0, 1.0, 1.0], 1), &[-3.0 / s + 1.0, 2.0, 3.0 / s + 3.0, 1.0, 2.0, 3.0], 1e-6);
    // Neither gamma nor beta: the plain x̂, the same in inference.
    let mut h = Harness::new(&ln_json(3, 3, 1e-3, false, false), &[3]).unwrap();
    assert!(h.params.is_empty());
    let s = (2.0f64 / 3.0 + 1e-3).sqrt();
    h.xs[0] = vec![1.0, 2.0, 3.0];
    assert_close(h.forward(1, false, ctx(false)).unwrap(), &[-1.0 / s, 0.0, 1.0 / s], 1e-6);
}

/// L = Σ y r; every input gradient (and parameter gradient) against central differences of the
/// f32 forward. The grads are NaN-filled first: backward must overwrite each one.
fn finite_differences(json: &str, size: usize, n: usize, seed: u32) {
    let mut h = Harness::new(json, &[size]).unwrap();
    for (k, p) in h.params.iter_mut().enumerate() {
        *p = random(p.len(), seed + 10 + k as u32, 1.0).iter().map(|v| v + 1.0).collect();
    }
    let x = random(n * size, seed, 1.0);
    let r = random(n * h.out_size, seed + 1, 1.0);
    let loss = |h: &mut Harness, x: &[f32]| -> f64 { forward(h, x, n).iter().zip(&r).map(|(y, r)| *y as f64 * *r as f64).sum() };
    loss(&mut h, &x);
    h.grads.iter_mut().for_each(|g| g.fill(f32::NAN));
    h.backward(n, &r, GradOf::Output, &[true]).unwrap();
    let (dx, grads) = (h.dxs[0].clone(), h.grads.clone());
    let eps = 1e-2f32;
    let check = |got: f32, plus: f64, minus: f64, what: String| {
        let want = (plus - minus) / (2.0 * eps as f64);
        assert!((got as f64 - want).abs() < 2e-3 * (1.0 + want.abs()), "{json}: {what}: backward {got}, finite difference {want}");
    };
    for i in 0..x.len() {
        let (mut xp, mut xm) = (x.clone(), x.clone());
        xp[i] += eps;
        xm[i] -= eps;
        let (p, m) = (loss(&mut h, &xp), loss(&mut h, &xm));
        check(dx[i], p, m, format!("dx[{i}]"));
    }
    for (t, grad) in grads.iter().enumerate() {
        for (i, &got) in grad.iter().enumerate() {
            let orig = h.params[t][i];
            h.params[t][i] = orig + eps;
            let p = loss(&mut h, &x);
            h.params[t][i] = orig - eps;
            let m = loss(&mut h, &x);
            h.params[t][i] = orig;
            check(got, p, m, format!("param {t}[{i}]"));
        }
    }
    // Asking for no input gradient still writes the parameter gradients (and touches no dx).
    loss(&mut h, &x);
    h.grads.iter_mut().for_each(|g| g.fill(f32::NAN));
    h.dxs[0].fill(f32::NAN);
    h.backward(n, &r, GradOf::Output, &[false]).unwrap();
    assert_eq!(h.grads, grads, "{json}: parameter gradients without dx");
    assert!(h.dxs[0].iter().all(|v| v.is_nan()), "{json}: dx written though not asked for");
}

#[test]
fn upsample_gradients_match_central_differences() {
    for interp in ["nearest", "bilinear"] {
        finite_differences(&up_json([2, 3, 2], [2, 2], interp), 12, 2, 3);
        finite_differences(&up_json([3, 2, 2], [2, 3], interp), 12, 2, 4);
        finite_differences(&up_json([3, 1, 1], [3, 1], interp), 3, 3, 5);
    }
}

#[test]
fn layer_norm_gradients_match_central_differences() {
    for (center, scale) in [(true, true), (false, true), (true, false), (false, false)] {
        finite_differences(&ln_json(6, 6, 1e-3, center, scale), 6, 3, 7);
        finite_differences(&ln_json(12, 3, 1e-2, center, scale), 12, 2, 8); // an image [2, 2, 3]
    }
}

/// Forward and backward of `json` on a batch run in a pool of `threads`.
fn run_in_pool(json: &str, size: usize, n: usize, threads: usize) -> (Vec<f32>, Vec<f32>, Vec<Vec<f32>>) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let mut h = Harness::new(json, &[size]).unwrap();
        for (k, p) in h.params.iter_mut().enumerate() {
            *p = random(p.len(), 40 + k as u32, 1.0);
        }
        let y = forward(&mut h, &random(n * size, 41, 2.0), n);
        let dy = random(y.len(), 42, 1.0);
        h.backward(n, &dy, GradOf::Output, &[true]).unwrap();
        (y, h.dxs[0].clone(), h.grads.clone())
    })
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    // Batches split into many rayon tasks (16k output floats per upsampling task, 8k floats of
    // rows per layer-norm task): bit-identical outputs and gradients on 1, 2 and 3 threads.
    let cases = [
        (up_json([16, 16, 4], [2, 2], "nearest"), 1024, 24),
        (up_json([16, 12, 3], [2, 3], "bilinear"), 576, 24),
        (ln_json(1024, 8, 1e-3, true, true), 1024, 40),
        (ln_json(4000, 1000, 1e-3, false, true), 4000, 12),
    ];
    for (json, size, n) in &cases {
        let one = run_in_pool(json, *size, *n, 1);
        assert!(one.1.iter().all(|v| v.is_finite()) && one.2.iter().flatten().all(|v| v.is_finite()), "{json}");
        for threads in [2, 3] {
            assert!(run_in_pool(json, *size, *n, threads) == one, "{json}: {threads} threads differ from 1");
        }
    }
}

#[test]
fn layer_norm_large_batch_matches_a_float64_reference() {
    // Many tasks of rows: dgamma / dbeta summed per task then over tasks still equal the plain sums.
    let (width, rows) = (8, 5000);
    let json = ln_json(width, width, 1e-3, true, true);
    let mut h = Harness::new(&json, &[width]).unwrap();
    h.params = vec![random(width, 1, 1.0), random(width, 2, 1.0)];
    let x = random(rows * width, 3, 3.0);
    let y = forward(&mut h, &x, rows);
    let dy = random(rows * width, 4, 1.0);
    h.backward(rows, &dy, GradOf::Output, &[true]).unwrap();
    let (mut dgamma, mut dbeta) = (vec![0.0f64; width], vec![0.0f64; width]);
    for r in 0..rows {
        let row = &x[r * width..][..width];
        let mean = row.iter().map(|v| *v as f64).sum::<f64>() / width as f64;
        let var = row.iter().map(|v| (*v as f64 - mean).powi(2)).sum::<f64>() / width as f64;
        for k in 0..width {
            let xhat = (row[k] as f64 - mean) / (var + 1e-3).sqrt();
            let want = h.params[0][k] as f64 * xhat + h.params[1][k] as f64;
            assert!((y[r * width + k] as f64 - want).abs() < 1e-5, "y[{r}, {k}]");
            dgamma[k] += dy[r * width + k] as f64 * xhat;
            dbeta[k] += dy[r * width + k] as f64;
        }
    }
    for k in 0..width {
        assert!((h.grads[0][k] as f64 - dgamma[k]).abs() < 1e-3 * (1.0 + dgamma[k].abs()), "dgamma[{k}]");
        assert!((h.grads[1][k] as f64 - dbeta[k]).abs() < 1e-3 * (1.0 + dbeta[k].abs()), "dbeta[{k}]");
    }
}

#[test]
fn layer_norm_backward_needs_a_forward_of_the_batch() {
    let mut h = Harness::new(&ln_json(4, 4, 1e-3, true, true), &[4]).unwrap();
    let e = h.backward(1, &[0.0; 4], GradOf::Output, &[true]).unwrap_err();
    assert_eq!(e.code, ErrorCode::State);
    forward(&mut h, &[1.0; 8], 2);
    let e = h.backward(1, &[0.0; 4], GradOf::Output, &[true]).unwrap_err();
    assert!(e.code == ErrorCode::State && e.message.contains("same batch"), "{e}");
}

#[test]
fn refusals_name_the_op_and_the_parameter() {
    let refuse = |json: &str, size: usize| Harness::new(json, &[size]).err().unwrap();
    let e = refuse(&up_json([2, 2, 1], [0, 2], "nearest"), 4);
    assert!(e.code == ErrorCode::Arg && e.message.contains("upSample2d: size[0]"), "{e}");
    let e = refuse(&up_json([2, 0, 1], [2, 2], "bilinear"), 4);
    assert!(e.code == ErrorCode::Arg && e.message.contains("inShape[1]"), "{e}");
    let e = refuse(&up_json([40000, 40000, 1], [2, 2], "nearest"), 4);
    assert!(e.code == ErrorCode::Shape && e.message.contains("upSample2d") && e.message.contains("elements"), "{e}");
    // Wiring other than the spec implies: an input of 5 floats for a 2x2x1 image.
    let e = refuse(&up_json([2, 2, 1], [2, 2], "nearest"), 5);
    assert!(e.code == ErrorCode::Config && e.message.contains("(upSample2d): input sizes are [5]"), "{e}");
    let spec: Result<oxnet_core::ops::OpSpec, _> = serde_json::from_str(&up_json([2, 2, 1], [2, 2], "bicubic"));
    assert!(spec.unwrap_err().to_string().contains("unknown variant `bicubic`"));
    let e = refuse(&ln_json(10, 3, 1e-3, true, true), 10);
    assert!(e.code == ErrorCode::Config && e.message.contains("size = 10") && e.message.contains("width = 3"), "{e}");
    let e = refuse(&ln_json(6, 3, 0.0, true, true), 6);
    assert!(e.code == ErrorCode::Arg && e.message.contains("layerNorm: epsilon"), "{e}");
    let e = refuse(&ln_json(6, 0, 1e-3, true, true), 6);
    assert!(e.code == ErrorCode::Arg && e.message.contains("layerNorm: width"), "{e}");
    let e = refuse(&ln_json(6, 3, 1e-3, true, true), 4);
    assert!(e.code == ErrorCode::Config && e.message.contains("(layerNorm): input sizes are [4]"), "{e}");
}
