//! Dropout masks and batch normalization: the mulberry32 reference draws, reproducibility,
//! mask statistics, hand-computed batch-norm values, and central finite differences.
use oxnet_core::norm::*;
use oxnet_core::rng::{dropout_seed, Mulberry32};

#[test]
fn dropout_mask_follows_the_reference_draws() {
    // rng.rs's reference draws for seed 42 (computed in Node): 0.601, 0.448, 0.852. With rate 0.5
    // the second is dropped (u < rate) and the others kept with scale 1 / (1 - 0.5) = 2.
    let mut mask = vec![f32::NAN; 3];
    dropout_mask(0.5, 42, &mut mask);
    assert_eq!(mask, vec![2.0, 0.0, 2.0]);
    // Rate 0: every u >= 0, nothing dropped, scale 1.
    dropout_mask(0.0, 42, &mut mask);
    assert_eq!(mask, vec![1.0; 3]);
}

#[test]
fn dropout_masks_are_reproducible_and_unbiased() {
    let n = 200_000;
    let (mut a, mut b, mut c) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    dropout_mask(0.3, dropout_seed(7, 5, 2), &mut a);
    dropout_mask(0.3, dropout_seed(7, 5, 2), &mut b);
    dropout_mask(0.3, dropout_seed(7, 6, 2), &mut c);
    assert_eq!(a, b, "same seed, step and layer: same mask");
    assert_ne!(a, c, "next step: another mask");
    // Dropped fraction ~ rate; mean of the mask ~ 1 (inverted dropout keeps the expectation).
    // Binomial standard error sqrt(0.3 * 0.7 / 2e5) ~ 0.001, so 0.005 is 5 sigma.
    let dropped = a.iter().filter(|m| **m == 0.0).count() as f64 / n as f64;
    assert!((dropped - 0.3).abs() < 0.005, "dropped {dropped}");
    let mean = a.iter().map(|m| *m as f64).sum::<f64>() / n as f64;
    assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
    let kept_scale = a.iter().find(|m| **m != 0.0).unwrap();
    assert_eq!(*kept_scale, (1.0 / 0.7f64) as f32);
    let mut y = vec![0.0; 3];
    apply_mask(&[2.0, 0.0, 2.0], &[1.5, 4.0, -1.0], &mut y);
    assert_eq!(y, vec![3.0, 0.0, -2.0]);
}

#[test]
fn dropout_rate_refusals() {
    assert!(check_dropout_rate(0.0).is_ok() && check_dropout_rate(0.99).is_ok());
    for bad in [1.0, -0.1, f64::NAN] {
        let e = check_dropout_rate(bad).unwrap_err();
        assert_eq!(e.code, oxnet_core::ErrorCode::Arg);
        assert!(e.message.contains("dropout rate"), "{}", e.message);
    }
}

#[test]
fn batch_norm_hand_computed() {
    // One channel, x = 1, 2, 3, 4: mean 2.5, biased var 1.25, unbiased 5/3. epsilon 0, gamma 2,
    // beta 1: y = 2 (x - 2.5) / sqrt(1.25) + 1. Running stats from mean 0 / var 1, momentum 0.9:
    // 0.9 * 0 + 0.1 * 2.5 = 0.25 and 0.9 * 1 + 0.1 * 5/3 = 1.0666...
    let x = [1.0f32, 2.0, 3.0, 4.0];
    let (mut rm, mut rv) = (vec![0.0], vec![1.0]);
    let mut cache = BatchNormCache::default();
    let mut y = vec![0.0; 4];
    batch_norm_forward_train(
        &BatchNormSettings { channels: 1, momentum: 0.9, epsilon: 0.0 },
        &x,
        &[2.0],
        &[1.0],
        Running { mean: &mut rm, var: &mut rv },
        &mut cache,
        &mut y,
    );
    for (got, xv) in y.iter().zip(x) {
        let want = 2.0 * (xv as f64 - 2.5) / 1.25f64.sqrt() + 1.0;
        assert!((*got as f64 - want).abs() < 1e-6, "{got} vs {want}");
    }
    assert!((rm[0] - 0.25).abs() < 1e-7 && (rv[0] - (0.9 + 0.1 * 5.0 / 3.0)).abs() < 1e-6, "{rm:?} {rv:?}");
    // Inference uses the running stats: (4 - 0.25) / sqrt(1.0666...) * 2 + 1.
    let mut yi = vec![0.0; 1];
    batch_norm_forward_infer(&BatchNormSettings { channels: 1, momentum: 0.0, epsilon: 0.0 }, &[4.0], &[2.0], &[1.0], &rm, &rv, &mut yi);
    let want = 2.0 * 3.75 / (0.9 + 0.1 * 5.0 / 3.0f64).sqrt() + 1.0;
    assert!((yi[0] as f64 - want).abs() < 1e-5, "{} vs {want}", yi[0]);
}

#[test]
fn batch_norm_statistics_are_per_channel() {
    // Two channels interleaved (channels last): channel 0 = 0, 10 -> mean 5, channel 1 = 1, 1
    // -> var 0, so its x_hat is 0 and y = beta.
    let (mut rm, mut rv) = (vec![0.0; 2], vec![1.0; 2]);
    let mut cache = BatchNormCache::default();
    let mut y = vec![0.0; 4];
    batch_norm_forward_train(
        &BatchNormSettings { channels: 2, momentum: 0.0, epsilon: 1e-3 },
        &[0.0, 1.0, 10.0, 1.0],
        &[1.0, 1.0],
        &[0.0, 3.0],
        Running { mean: &mut rm, var: &mut rv },
        &mut cache,
        &mut y,
    );
    assert_eq!(rm, vec![5.0, 1.0]);
    assert_eq!(rv, vec![50.0, 0.0]); // unbiased: (25 + 25) / 1
    assert!((y[0] + 1.0).abs() < 1e-4 && (y[2] - 1.0).abs() < 1e-4, "{y:?}");
    assert_eq!((y[1], y[3]), (3.0, 3.0));
}

#[test]
fn batch_norm_gradients_match_central_differences() {
    // L = sum(y * r); gradients of the training forward (batch statistics included) against
    // (L(p + h) - L(p - h)) / 2h. f32 forward, so h = 1e-2 and a loose tolerance.
    let channels = 3;
    let mut rng = Mulberry32::new(9);
    let mut draw = |n: usize| -> Vec<f32> { (0..n).map(|_| (rng.next_f64() * 4.0 - 2.0) as f32).collect() };
    let x = draw(5 * channels);
    let gamma = draw(channels);
    let beta = draw(channels);
    let r = draw(x.len());
    let loss = |x: &[f32], gamma: &[f32], beta: &[f32]| -> f64 {
        let (mut rm, mut rv) = (vec![0.0; channels], vec![1.0; channels]);
        let mut cache = BatchNormCache::default();
        let mut y = vec![0.0; x.len()];
        batch_norm_forward_train(
            &BatchNormSettings { channels, momentum: 0.9, epsilon: 1e-3 },
            x,
            gamma,
            beta,
            Running { mean: &mut rm, var: &mut rv },
            &mut cache,
            &mut y,
        );
        y.iter().zip(&r).map(|(y, r)| *y as f64 * *r as f64).sum()
    };
    let (mut rm, mut rv) = (vec![0.0; channels], vec![1.0; channels]);
    let mut cache = BatchNormCache::default();
    let mut y = vec![0.0; x.len()];
    batch_norm_forward_train(
        &BatchNormSettings { channels, momentum: 0.9, epsilon: 1e-3 },
        &x,
        &gamma,
        &beta,
        Running { mean: &mut rm, var: &mut rv },
        &mut cache,
        &mut y,
    );
    let (mut dx, mut dgamma, mut dbeta) = (vec![0.0; x.len()], vec![0.0; channels], vec![0.0; channels]);
    batch_norm_backward(channels, &mut cache, &gamma, &r, Some(&mut dx), &mut dgamma, &mut dbeta);
    let h = 1e-2f32;
    let fd = |buf: &[f32], i: usize, eval: &dyn Fn(&[f32]) -> f64| {
        let (mut plus, mut minus) = (buf.to_vec(), buf.to_vec());
        plus[i] += h;
        minus[i] -= h;
        (eval(&plus) - eval(&minus)) / (plus[i] - minus[i]) as f64
    };
    for (i, &got) in dx.iter().enumerate() {
        let want = fd(&x, i, &|v| loss(v, &gamma, &beta));
        assert!((got as f64 - want).abs() < 2e-2 * (1.0 + want.abs()), "dx[{i}] {got} vs {want}");
    }
    for c in 0..channels {
        let want = fd(&gamma, c, &|v| loss(&x, v, &beta));
        assert!((dgamma[c] as f64 - want).abs() < 1e-2 * (1.0 + want.abs()), "dgamma[{c}] {} vs {want}", dgamma[c]);
        let want = fd(&beta, c, &|v| loss(&x, &gamma, v));
        assert!((dbeta[c] as f64 - want).abs() < 1e-2 * (1.0 + want.abs()), "dbeta[{c}] {} vs {want}", dbeta[c]);
    }
    // dx sums to zero per channel: shifting a channel's inputs does not change its output.
    for c in 0..channels {
        let s: f32 = dx.iter().skip(c).step_by(channels).sum();
        assert!(s.abs() < 1e-4, "channel {c}: sum dx = {s}");
    }
}
