//! `cargo bench -p oxnet-core --bench conv`: GFLOP/s of the direct conv kernels against
//! im2col + GEMM on the W3 layers and wider ones, forward and backward, side by side (the data
//! behind conv::Paths, which picks one per shape).
use std::time::Instant;

use oxnet_core::conv::{self, Conv2dGeometry};

fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
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

fn main() {
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
        let bd = best(reps, || conv::conv2d_backward_direct(&g, &x, &w, &dy, Some(&mut dx), &mut dw, Some(&mut db)));
        let bi = best(reps, || conv::conv2d_backward_im2col(&g, &x, &w, &dy, &mut col, Some(&mut dx), &mut dw, Some(&mut db)));
        let gf = |s: f64, m: f64| m * flop / s / 1e9;
        println!(
            "b{batch} {hw}x{hw}x{c} k{k} f{f}: forward direct {:.1} / im2col {:.1} GFLOP/s; backward direct {:.1} / im2col {:.1}",
            gf(fd, 1.0),
            gf(fi, 1.0),
            gf(bd, 2.0),
            gf(bi, 2.0)
        );
    }
}
