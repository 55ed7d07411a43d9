//! Pooling kernels: hand-computed cases, the adjoint identity <f(x), dy> = <x, f'(dy)> (exact for
//! average pooling, which is linear, and for max pooling, which routes dy to the chosen cell),
//! tie and padding rules of docs/kernels.md, and refusals.
use oxnet_core::pool::*;
use oxnet_core::rng::Mulberry32;
use oxnet_core::ErrorCode;

fn geom(batch: usize, hwc: [usize; 3], pool: [usize; 2], s: [usize; 2], p: [usize; 4]) -> Pool2dGeometry {
    Pool2dGeometry {
        batch,
        in_h: hwc[0],
        in_w: hwc[1],
        channels: hwc[2],
        pool_h: pool[0],
        pool_w: pool[1],
        stride_h: s[0],
        stride_w: s[1],
        pad_top: p[0],
        pad_bottom: p[1],
        pad_left: p[2],
        pad_right: p[3],
    }
}

fn random(n: usize, seed: u32) -> Vec<f32> {
    let mut r = Mulberry32::new(seed);
    (0..n).map(|_| (r.next_f64() * 2.0 - 1.0) as f32).collect()
}

fn max_fwd(g: &Pool2dGeometry, x: &[f32]) -> Vec<f32> {
    g.validate().unwrap();
    let mut y = vec![f32::NAN; g.y_len()];
    max_pool2d_forward(g, x, &mut y, None);
    y
}

fn avg_fwd(g: &Pool2dGeometry, x: &[f32]) -> Vec<f32> {
    g.validate().unwrap();
    let mut y = vec![f32::NAN; g.y_len()];
    avg_pool2d_forward(g, x, &mut y);
    y
}

#[test]
fn hand_computed_2x2_stride_2() {
    // 4x4 image 1..16: blocks {1,2,5,6} {3,4,7,8} {9,10,13,14} {11,12,15,16}.
    let x: Vec<f32> = (1..=16).map(|v| v as f32).collect();
    let g = geom(1, [4, 4, 1], [2, 2], [2, 2], [0; 4]);
    assert_eq!(max_fwd(&g, &x), vec![6.0, 8.0, 14.0, 16.0]);
    assert_eq!(avg_fwd(&g, &x), vec![3.5, 5.5, 11.5, 13.5]);
}

#[test]
fn same_padding_ignores_padded_cells() {
    // 3x3 image 1..9, pool 2 stride 2 'same': out ceil(3/2) = 2, total pad (2-1)*2 + 2 - 3 = 1,
    // all of it after. Windows: {1,2,4,5} {3,6} {7,8} {9}; averages divide by valid cells only.
    let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    let g = geom(1, [3, 3, 1], [2, 2], [2, 2], [0, 1, 0, 1]);
    assert_eq!(max_fwd(&g, &x), vec![5.0, 6.0, 8.0, 9.0]);
    assert_eq!(avg_fwd(&g, &x), vec![3.0, 4.5, 7.5, 9.0]);
    // Negative values: a padded cell taken as 0 would win the max; it must not.
    let neg: Vec<f32> = x.iter().map(|v| -v).collect();
    assert_eq!(max_fwd(&g, &neg), vec![-1.0, -3.0, -7.0, -9.0]);
    // Average backward spreads dy over valid cells: window {9} gets all of dy[3]=4, window {3,6} halves.
    let mut dx = vec![f32::NAN; 9];
    avg_pool2d_backward(&g, &[4.0, 2.0, 2.0, 4.0], &mut dx);
    assert_eq!(dx, vec![1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 4.0]);
}

#[test]
fn max_backward_routes_to_the_first_maximum() {
    // All four cells equal: the first in window order (row-major) takes dy.
    let g = geom(1, [2, 2, 1], [2, 2], [1, 1], [0; 4]);
    let mut dx = vec![f32::NAN; 4];
    max_pool2d_backward(&g, &[7.0; 4], &[3.0], &mut dx);
    assert_eq!(dx, vec![3.0, 0.0, 0.0, 0.0]);
    // Tie between (0,1) and (1,0): (0,1) comes first.
    max_pool2d_backward(&g, &[1.0, 5.0, 5.0, 2.0], &[3.0], &mut dx);
    assert_eq!(dx, vec![0.0, 3.0, 0.0, 0.0]);
    // Overlapping windows (stride 1 on 3 cells) accumulate on a shared maximum: 1 + 2.
    let g = geom(1, [1, 3, 1], [1, 2], [1, 1], [0; 4]);
    let mut dx = vec![f32::NAN; 3];
    max_pool2d_backward(&g, &[0.0, 9.0, 1.0], &[1.0, 2.0], &mut dx);
    assert_eq!(dx, vec![0.0, 3.0, 0.0]);
}

#[test]
fn multi_channel_batches_satisfy_the_adjoint_identity() {
    let shapes = [
        geom(3, [6, 5, 4], [2, 3], [2, 1], [1, 0, 2, 1]),
        geom(2, [7, 7, 3], [3, 3], [2, 2], [1, 1, 1, 1]),
        geom(1, [5, 8, 2], [2, 2], [3, 3], [0; 4]),
        // 11 channels: one 8-lane pass and three single channels per window.
        geom(3, [5, 6, 11], [2, 2], [2, 2], [1, 0, 1, 0]),
    ];
    for (i, g) in shapes.iter().enumerate() {
        let x = random(g.x_len(), 5 + i as u32);
        let dy = random(g.y_len(), 50 + i as u32);
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(a, b)| *a as f64 * *b as f64).sum::<f64>();
        let mut dx = vec![0.0; g.x_len()];
        avg_pool2d_backward(g, &dy, &mut dx);
        let (l, r) = (dot(&avg_fwd(g, &x), &dy), dot(&x, &dx));
        assert!((l - r).abs() < 1e-4, "avg case {i}: {l} vs {r}");
        max_pool2d_backward(g, &x, &dy, &mut dx);
        let (l, r) = (dot(&max_fwd(g, &x), &dy), dot(&x, &dx));
        assert!((l - r).abs() < 1e-4, "max case {i}: {l} vs {r}");
        // The argmax kept by forward gives the same dx as recomputing it.
        let mut y = vec![0.0; g.y_len()];
        let mut argmax = vec![0usize; g.y_len()];
        max_pool2d_forward(g, &x, &mut y, Some(&mut argmax));
        let mut dx2 = vec![f32::NAN; g.x_len()];
        max_pool2d_backward_from_argmax(g, &argmax, &dy, &mut dx2);
        assert_eq!(dx, dx2, "case {i}: argmax path");
        // Inference (no argmax kept) gives the same maxima.
        let mut y2 = vec![f32::NAN; g.y_len()];
        max_pool2d_forward(g, &x, &mut y2, None);
        assert_eq!(y, y2, "case {i}: forward without argmax");
        // Each output is the max of its channel's window: check one window by hand.
        let c = g.channels;
        let want = (0..g.pool_h)
            .flat_map(|r| (0..g.pool_w).map(move |q| (r, q)))
            .filter_map(|(r, q)| {
                let (iy, ix) = (r as isize - g.pad_top as isize, q as isize - g.pad_left as isize);
                (iy >= 0 && ix >= 0 && (iy as usize) < g.in_h && (ix as usize) < g.in_w)
                    .then(|| x[(iy as usize * g.in_w + ix as usize) * c + 1])
            })
            .fold(f32::NEG_INFINITY, f32::max);
        assert_eq!(y[1], want, "case {i}: first window, channel 1");
    }
}

#[test]
fn global_average_pooling() {
    // Two samples of 2x2x2: channel means (1+3+5+7)/4 = 4 and (2+4+6+8)/4 = 5, then 14 and 15.
    let x: Vec<f32> = (1..=8).chain(11..=18).map(|v| v as f32).collect();
    let mut y = vec![0.0; 4];
    global_avg_pool_forward(2, 4, 2, &x, &mut y);
    assert_eq!(y, vec![4.0, 5.0, 14.0, 15.0]);
    let mut dx = vec![f32::NAN; 16];
    global_avg_pool_backward(2, 4, 2, &[4.0, 8.0, 0.0, -4.0], &mut dx);
    assert_eq!(&dx[..4], &[1.0, 2.0, 1.0, 2.0]);
    assert_eq!(&dx[12..], &[0.0, -1.0, 0.0, -1.0]);
}

#[test]
fn refusals_name_the_parameter() {
    let ok = geom(1, [4, 4, 1], [2, 2], [2, 2], [0; 4]);
    assert_eq!(ok.out_h(), 2);
    let e = Pool2dGeometry { stride_h: 0, ..ok }.validate().unwrap_err();
    assert_eq!(e.code, ErrorCode::Arg);
    assert!(e.message.contains("strides[0]"), "{}", e.message);
    let e = Pool2dGeometry { pad_left: 2, ..ok }.validate().unwrap_err();
    assert_eq!(e.code, ErrorCode::Arg);
    assert!(e.message.contains("padding[2] (left) = 2") && e.message.contains("pool[1] = 2"), "{}", e.message);
    let e = Pool2dGeometry { pool_h: 5, pool_w: 5, ..ok }.validate().unwrap_err();
    assert_eq!(e.code, ErrorCode::Shape);
    assert!(e.message.contains("pool [5, 5]"), "{}", e.message);
    let e = Pool2dGeometry { batch: 1 << 30, channels: 16, ..ok }.validate().unwrap_err();
    assert_eq!(e.code, ErrorCode::Shape);
}
