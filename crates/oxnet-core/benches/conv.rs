//! `cargo bench -p oxnet-core --bench conv`: GFLOP/s of the direct conv kernels against
//! im2col + GEMM on the W3 layers and wider ones, forward and backward, side by side (the data
//! behind conv::Paths, which picks one per shape); then the conv2dTranspose op on both paths and
//! the depthwiseConv2d op, forward and backward (with dx), milliseconds per batch and GFLOP/s.
use std::time::Instant;

use oxnet_core::conv::{self, Conv2dGeometry, Paths};
use oxnet_core::gemm::Layout;
use oxnet_core::ops::conv2d_transpose::{Conv2dTranspose, Conv2dTransposeSpec};
use oxnet_core::ops::depthwise_conv2d::{DepthwiseConv2d, DepthwiseConv2dSpec};
use oxnet_core::ops::{Backward, Ctx, Forward, GradOf, InputGrads, Inputs, NodeShape, Op};

fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let cpu = std::env::var_os("CONV_BENCH_CPU_TIME").is_some();
    (0..reps)
        .map(|_| {
            let (t, c) = (Instant::now(), cpu_seconds());
            f();
            if cpu {
                cpu_seconds() - c
            } else {
                t.elapsed().as_secs_f64()
            }
        })
        .fold(f64::INFINITY, f64::min)
}

/// CPU seconds of all this process's threads (Linux: /proc/self/task/*/schedstat, ns on CPU);
/// with CONV_BENCH_CPU_TIME set, `best` times by it, so that other load on a shared machine does
/// not count (meaningful at one thread: RAYON_NUM_THREADS=1).
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0.0 };
    let ns: u64 = tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    ns as f64 * 1e-9
}

fn geometry(batch: usize, hw: usize, c: usize, k: usize, f: usize) -> Conv2dGeometry {
    let p = k / 2;
    Conv2dGeometry {
        batch,
        in_h: hw,
        in_w: hw,
        in_c: c,
        filters: f,
        kh: k,
        kw: k,
        stride_h: 1,
        stride_w: 1,
        pad_top: p,
        pad_bottom: p,
        pad_left: p,
        pad_right: p,
        dil_h: 1,
        dil_w: 1,
    }
}

/// Best-of-`reps` seconds of one op's forward and of its backward (dx included) on batch `n`.
fn time_op(op: &mut dyn Op, ins: usize, outs: usize, params: &[Vec<f32>], n: usize, reps: usize) -> (f64, f64) {
    let xs = vec![(0..n * ins).map(|i| ((i * 7 % 13) as f32 - 6.0) / 8.0).collect::<Vec<f32>>()];
    let dy: Vec<f32> = (0..n * outs).map(|i| ((i * 3 % 7) as f32 - 3.0) / 8.0).collect();
    let (ids, sizes, need) = ([0], [ins], [true]);
    let ctx = Ctx { training: true, step: 0, seed: 1, node: 0 };
    let mut y = vec![0.0; n * outs];
    let mut grads: Vec<Vec<f32>> = params.iter().map(|p| vec![0.0; p.len()]).collect();
    let mut dx = vec![vec![0.0; n * ins]];
    let mut forward = |y: &mut [f32]| {
        op.forward(Forward { inputs: Inputs::new(&xs, &ids, &sizes, n), n, params, state: &mut [], ctx, out: y }).unwrap();
    };
    let fwd = best(reps, || forward(&mut y));
    let bwd = best(reps, || {
        let dinputs = InputGrads::new(&mut dx, &need, &sizes, n);
        let b = Backward {
            inputs: Inputs::new(&xs, &ids, &sizes, n),
            out: &y,
            dout: &dy,
            grad_of: GradOf::Output,
            n,
            params,
            grads: &mut grads,
            dinputs,
        };
        op.backward(b).unwrap();
    });
    (fwd, bwd)
}

fn ops() {
    let reps = 20;
    // conv2dTranspose 'same' (outputPadding as given): (batch, in hw, in c, filters, kernel, stride).
    let transposed: [(usize, usize, usize, usize, usize, usize); 5] =
        [(32, 14, 32, 16, 3, 2), (32, 14, 32, 16, 4, 2), (32, 7, 64, 32, 3, 2), (32, 7, 128, 64, 3, 2), (32, 14, 64, 64, 3, 1)];
    for (n, hw, c, f, k, s) in transposed {
        let out = hw * s;
        let total = ((hw - 1) * s + k).saturating_sub(out);
        let (a, b) = (total / 2, total - total / 2);
        let spec: Conv2dTransposeSpec = serde_json::from_str(&format!(
            r#"{{"inShape":[{hw},{hw},{c}],"outShape":[{out},{out},{f}],"kernel":[{k},{k}],"strides":[{s},{s}],"padding":[{a},{b},{a},{b}],"useBias":true,"activation":{{"kind":"relu"}}}}"#
        ))
        .unwrap();
        let g = spec.conv_geometry();
        let (ins, outs) = (g.out_sample_len(), g.in_sample_len());
        let params = vec![vec![0.01; g.w_len()], vec![0.0; f]];
        let shape = NodeShape { name: "t", inputs: &[ins], output: outs, params: &[g.w_len(), f], state: &[] };
        let flop = 2.0 * (n * hw * hw * c * k * k * f) as f64;
        let rule = Conv2dTranspose::new(&spec, &shape).unwrap().paths();
        let mut line = format!(
            "conv2dTranspose b{n} {hw}x{hw}x{c} -> {out}x{out}x{f} k{k} s{s} relu (rule: conv fwd im2col {}, bwd im2col {}):",
            rule.forward_im2col, rule.backward_im2col
        );
        for (name, im2col) in [("direct", false), ("im2col", true)] {
            let paths = Paths { forward_im2col: im2col, backward_im2col: im2col };
            let mut op = Conv2dTranspose::new(&spec, &shape).unwrap().with_paths(paths);
            let (fw, bw) = time_op(&mut op, ins, outs, &params, n, reps);
            line += &format!(
                " {name} fwd {:.2} ms ({:.1} GFLOP/s) bwd {:.2} ms ({:.1});",
                fw * 1e3,
                flop / fw / 1e9,
                bw * 1e3,
                2.0 * flop / bw / 1e9
            );
        }
        println!("{line}");
    }
    // depthwiseConv2d 'same': (batch, hw, channels, multiplier, kernel, stride).
    let depthwise: [(usize, usize, usize, usize, usize, usize); 6] = [
        (32, 28, 32, 1, 3, 1),
        (32, 28, 16, 2, 3, 1),
        (32, 14, 64, 1, 3, 1),
        (32, 28, 32, 1, 5, 1),
        (32, 28, 32, 1, 3, 2),
        (32, 7, 256, 1, 3, 1),
    ];
    for (n, hw, c, m, k, s) in depthwise {
        let out = hw.div_ceil(s);
        let total = ((out - 1) * s + k).saturating_sub(hw);
        let (a, b) = (total / 2, total - total / 2);
        let spec: DepthwiseConv2dSpec = serde_json::from_str(&format!(
            r#"{{"inShape":[{hw},{hw},{c}],"depthMultiplier":{m},"kernel":[{k},{k}],"strides":[{s},{s}],"padding":[{a},{b},{a},{b}],"dilation":[1,1],"useBias":true,"activation":{{"kind":"relu"}}}}"#
        ))
        .unwrap();
        let (ins, outs, cm) = (hw * hw * c, out * out * c * m, c * m);
        let params = vec![vec![0.01; k * k * cm], vec![0.0; cm]];
        let shape = NodeShape { name: "d", inputs: &[ins], output: outs, params: &[k * k * cm, cm], state: &[] };
        let mut op = DepthwiseConv2d::new(&spec, &shape).unwrap();
        let (fw, bw) = time_op(&mut op, ins, outs, &params, n, reps);
        let flop = 2.0 * (n * outs * k * k) as f64;
        println!(
            "depthwiseConv2d b{n} {hw}x{hw}x{c} m{m} k{k} s{s} relu: fwd {:.2} ms ({:.1} GFLOP/s) bwd {:.2} ms ({:.1} GFLOP/s)",
            fw * 1e3,
            flop / fw / 1e9,
            bw * 1e3,
            2.0 * flop / bw / 1e9
        );
    }
}

/// `cargo bench --bench conv -- w7 [batch]`: W7's conv layers (3x3 same), each direction per path:
/// forward, dW (+ db, no dx), and dx (the full backward minus dW), GFLOP/s of 2 * MACs each.
fn w7(batch: usize) {
    let reps = 3;
    let n = 1024;
    let (a, bm) = (vec![0.5f32; n * n], vec![0.25f32; n * n]);
    let mut c = vec![0.0f32; n * n];
    let t = best(reps, || oxnet_core::gemm::gemm(n, n, n, &a, Layout::Normal, &bm, Layout::Normal, &mut c, false).unwrap());
    println!("gemm n={n}: {:.1} GFLOP/s", 2.0 * (n * n * n) as f64 / t / 1e9);
    for (hw, c, f) in [(32, 3, 64), (32, 64, 64), (16, 64, 128), (16, 128, 128), (8, 128, 256)] {
        let g = geometry(batch, hw, c, 3, f);
        g.validate().unwrap();
        let x: Vec<f32> = (0..g.x_len()).map(|i| ((i * 7 % 13) as f32 - 6.0) / 8.0).collect();
        let w: Vec<f32> = (0..g.w_len()).map(|i| ((i * 5 % 11) as f32 - 5.0) / 8.0).collect();
        let dy: Vec<f32> = (0..g.y_len()).map(|i| ((i * 3 % 7) as f32 - 3.0) / 8.0).collect();
        let (mut y, mut dx, mut dw, mut db) = (vec![0.0; g.y_len()], vec![0.0; g.x_len()], vec![0.0; g.w_len()], vec![0.0; f]);
        let bias = vec![0.0; f];
        let flop = 2.0 * (g.rows() * g.patch_len() * f) as f64;
        let gf = |s: f64| flop / s / 1e9;
        let mut line = format!("w7 b{batch} {hw}x{hw}x{c} f{f} (rule {:?}):", Paths::for_shape(&g).within_limit(&g));
        let fd = best(reps, || conv::conv2d_forward_direct(&g, &x, &w, Some(&bias), &mut y));
        let wd = best(reps, || conv::conv2d_backward_direct(&g, &x, &w, &dy, conv::ConvGrads { dx: None, dw: &mut dw, db: Some(&mut db) }));
        let bd = best(reps, || {
            conv::conv2d_backward_direct(&g, &x, &w, &dy, conv::ConvGrads { dx: Some(&mut dx), dw: &mut dw, db: Some(&mut db) })
        });
        line += &format!(" direct fwd {:.1} dW {:.1} dx {:.1};", gf(fd), gf(wd), gf((bd - wd).max(1e-9)));
        if g.col_len() <= 40 << 20 {
            let mut col = vec![0.0; g.col_len()];
            let fi = best(reps, || conv::conv2d_forward_im2col(&g, &x, &w, Some(&bias), &mut col, &mut y));
            let wi = best(reps, || {
                conv::conv2d_backward_im2col(&g, &x, &w, &dy, &mut col, conv::ConvGrads { dx: None, dw: &mut dw, db: Some(&mut db) })
            });
            let bi = best(reps, || {
                conv::conv2d_backward_im2col(
                    &g,
                    &x,
                    &w,
                    &dy,
                    &mut col,
                    conv::ConvGrads { dx: Some(&mut dx), dw: &mut dw, db: Some(&mut db) },
                )
            });
            line += &format!(" im2col fwd {:.1} dW {:.1} dx {:.1}", gf(fi), gf(wi), gf((bi - wi).max(1e-9)));
        }
        println!("{line}");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "w7") {
        return w7(args.get(i + 1).and_then(|b| b.parse().ok()).unwrap_or(32));
    }
    if args.iter().any(|a| a == "ops") {
        return ops();
    }
    let shapes = [
        (32, 28, 1, 5, 8),
        (32, 14, 8, 5, 16),
        (32, 14, 64, 3, 64),
        (32, 28, 32, 3, 64),
        (32, 7, 128, 3, 128),
        (32, 14, 128, 3, 128),
        (32, 7, 64, 3, 64),
        (32, 14, 32, 3, 32),
    ];
    for (batch, hw, c, k, f) in shapes {
        let g = geometry(batch, hw, c, k, f);
        g.validate().unwrap();
        let x: Vec<f32> = (0..g.x_len()).map(|i| ((i * 7 % 13) as f32 - 6.0) / 8.0).collect();
        let w: Vec<f32> = (0..g.w_len()).map(|i| ((i * 5 % 11) as f32 - 5.0) / 8.0).collect();
        let dy: Vec<f32> = (0..g.y_len()).map(|i| ((i * 3 % 7) as f32 - 3.0) / 8.0).collect();
        let (mut y, mut dx, mut dw, mut db) = (vec![0.0; g.y_len()], vec![0.0; g.x_len()], vec![0.0; g.w_len()], vec![0.0; f]);
        let mut col = vec![0.0; g.col_len()];
        let flop = 2.0 * (g.rows() * g.patch_len() * f) as f64;
        let reps = 20;
        let fd = best(reps, || conv::conv2d_forward_direct(&g, &x, &w, Some(&[0.0; 128][..f]), &mut y));
        let fi = best(reps, || conv::conv2d_forward_im2col(&g, &x, &w, Some(&[0.0; 128][..f]), &mut col, &mut y));
        let bd = best(reps, || {
            conv::conv2d_backward_direct(&g, &x, &w, &dy, conv::ConvGrads { dx: Some(&mut dx), dw: &mut dw, db: Some(&mut db) })
        });
        let bi = best(reps, || {
            conv::conv2d_backward_im2col(&g, &x, &w, &dy, &mut col, conv::ConvGrads { dx: Some(&mut dx), dw: &mut dw, db: Some(&mut db) })
        });
        let gf = |s: f64, m: f64| m * flop / s / 1e9;
        println!(
            "b{batch} {hw}x{hw}x{c} k{k} f{f}: forward direct {:.1} / im2col {:.1} GFLOP/s; backward direct {:.1} / im2col {:.1}",
            gf(fd, 1.0),
            gf(fi, 1.0),
            gf(bd, 2.0),
            gf(bi, 2.0)
        );
    }
    ops();
}
