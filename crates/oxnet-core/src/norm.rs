//! Dropout (inverted, masks from mulberry32) and batch normalization over the channel (last)
//! axis, as docs/kernels.md ("Dropout and batch norm", "mulberry32") specifies.

use crate::error::CoreError;
use crate::rng::Mulberry32;

/// Refuses a dropout rate outside [0, 1) (E_ARG), as the js backend does.
pub fn check_dropout_rate(rate: f64) -> Result<(), CoreError> {
    if rate.is_finite() && (0.0..1.0).contains(&rate) {
        Ok(())
    } else {
        Err(CoreError::arg(format!("dropout rate must be in [0, 1), got {rate}")))
    }
}

/// Fills `mask` with 0 (dropped, u < rate) or 1 / (1 - rate) (kept), one draw per element.
pub fn dropout_mask(rate: f64, mask_seed: u32, mask: &mut [f32]) {
    let scale = (1.0 / (1.0 - rate)) as f32;
    let mut rng = Mulberry32::new(mask_seed);
    for m in mask.iter_mut() {
        *m = if rng.next_f64() < rate { 0.0 } else { scale };
    }
}

/// y = x * mask (also dx = dy * mask for the backward pass).
pub fn apply_mask(mask: &[f32], x: &[f32], y: &mut [f32]) {
    assert!(mask.len() == x.len() && x.len() == y.len(), "dropout: mask, x and y lengths differ");
    for ((o, a), m) in y.iter_mut().zip(x).zip(mask) {
        *o = a * m;
    }
}

/// Per-channel statistics of one training batch, kept for the backward pass, and the f64 sums
/// both passes accumulate in (kept too, so a batch allocates nothing once the sizes are seen).
#[derive(Clone, Debug, Default)]
pub struct BatchNormCache {
    pub mean: Vec<f32>,
    /// 1 / sqrt(biased var + epsilon).
    pub inv_std: Vec<f32>,
    /// Normalized input (x - mean) * inv_std, x-sized.
    pub x_hat: Vec<f32>,
    sum: Vec<f64>,
    sq: Vec<f64>,
    mean_dy: Vec<f32>,
    mean_dy_xhat: Vec<f32>,
}

/// A batch-norm layer's constants.
#[derive(Clone, Copy, Debug)]
pub struct BatchNormSettings {
    pub channels: usize,
    pub momentum: f32,
    pub epsilon: f32,
}

/// The running statistics, updated by training forwards and read by inference.
pub struct Running<'a> {
    pub mean: &'a mut [f32],
    pub var: &'a mut [f32],
}

/// Training forward: y = gamma (x - mean) / sqrt(var + eps) + beta with batch mean and biased
/// variance per channel (all elements whose flat index ≡ c mod channels); updates running stats
/// r = momentum r + (1 - momentum) stat, the running variance from the unbiased variance
/// (count / (count - 1) times the biased one; the biased one when count is 1).
pub fn batch_norm_forward_train(
    s: &BatchNormSettings,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    running: Running,
    cache: &mut BatchNormCache,
    y: &mut [f32],
) {
    let channels = s.channels;
    assert!(x.len().is_multiple_of(channels) && x.len() == y.len(), "batch_norm: x and y lengths");
    let count = x.len() / channels;
    // f64 sums: a batch of 32 28x28 maps is 25k values per channel.
    let (sum, sq) = (&mut cache.sum, &mut cache.sq);
    sum.clear();
    sum.resize(channels, 0.0);
    for row in x.chunks_exact(channels) {
        for (a, v) in sum.iter_mut().zip(row) {
            *a += *v as f64;
        }
    }
    sum.iter_mut().for_each(|a| *a /= count as f64); // now the mean
    sq.clear();
    sq.resize(channels, 0.0);
    for row in x.chunks_exact(channels) {
        for ((a, v), m) in sq.iter_mut().zip(row).zip(sum.iter()) {
            let d = *v as f64 - m;
            *a += d * d;
        }
    }
    cache.mean.clear();
    cache.inv_std.clear();
    for c in 0..channels {
        let mean = sum[c];
        let var = sq[c] / count as f64;
        let unbiased = if count > 1 { sq[c] / (count - 1) as f64 } else { var };
        cache.mean.push(mean as f32);
        cache.inv_std.push((1.0 / (var + s.epsilon as f64).sqrt()) as f32);
        running.mean[c] = s.momentum * running.mean[c] + (1.0 - s.momentum) * mean as f32;
        running.var[c] = s.momentum * running.var[c] + (1.0 - s.momentum) * unbiased as f32;
    }
    cache.x_hat.resize(x.len(), 0.0);
    for ((xr, hr), yr) in x.chunks_exact(channels).zip(cache.x_hat.chunks_exact_mut(channels)).zip(y.chunks_exact_mut(channels)) {
        for c in 0..channels {
            let h = (xr[c] - cache.mean[c]) * cache.inv_std[c];
            hr[c] = h;
            yr[c] = gamma[c] * h + beta[c];
        }
    }
}

/// Inference forward with the running statistics.
pub fn batch_norm_forward_infer(s: &BatchNormSettings, x: &[f32], gamma: &[f32], beta: &[f32], mean: &[f32], var: &[f32], y: &mut [f32]) {
    let channels = s.channels;
    assert!(x.len().is_multiple_of(channels) && x.len() == y.len(), "batch_norm: x and y lengths");
    for (xr, yr) in x.chunks_exact(channels).zip(y.chunks_exact_mut(channels)) {
        for c in 0..channels {
            let inv_std = 1.0 / (var[c] + s.epsilon).sqrt();
            yr[c] = gamma[c] * (xr[c] - mean[c]) * inv_std + beta[c];
        }
    }
}

/// Training backward through the batch statistics:
/// dbeta = Σ dy, dgamma = Σ dy x̂, dx = γ inv_std (dy - mean(dy) - x̂ mean(dy x̂)) per channel.
/// dgamma and dbeta are overwritten.
pub fn batch_norm_backward(
    channels: usize,
    cache: &mut BatchNormCache,
    gamma: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
    dgamma: &mut [f32],
    dbeta: &mut [f32],
) {
    assert_eq!(dy.len(), cache.x_hat.len(), "batch_norm: dy length");
    let count = dy.len() / channels;
    let (sum_dy, sum_dy_xhat) = (&mut cache.sum, &mut cache.sq);
    sum_dy.clear();
    sum_dy.resize(channels, 0.0);
    sum_dy_xhat.clear();
    sum_dy_xhat.resize(channels, 0.0);
    for (dr, hr) in dy.chunks_exact(channels).zip(cache.x_hat.chunks_exact(channels)) {
        for c in 0..channels {
            sum_dy[c] += dr[c] as f64;
            sum_dy_xhat[c] += (dr[c] * hr[c]) as f64;
        }
    }
    for c in 0..channels {
        dbeta[c] = sum_dy[c] as f32;
        dgamma[c] = sum_dy_xhat[c] as f32;
    }
    let Some(dx) = dx else { return };
    let n = count as f64;
    cache.mean_dy.clear();
    cache.mean_dy.extend(cache.sum.iter().map(|s| (*s / n) as f32));
    cache.mean_dy_xhat.clear();
    cache.mean_dy_xhat.extend(cache.sq.iter().map(|s| (*s / n) as f32));
    for ((dr, hr), xr) in dy.chunks_exact(channels).zip(cache.x_hat.chunks_exact(channels)).zip(dx.chunks_exact_mut(channels)) {
        for c in 0..channels {
            xr[c] = gamma[c] * cache.inv_std[c] * (dr[c] - cache.mean_dy[c] - hr[c] * cache.mean_dy_xhat[c]);
        }
    }
}
