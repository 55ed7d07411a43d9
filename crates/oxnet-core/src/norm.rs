//! Dropout (inverted, masks from mulberry32), batch normalization over the channel (last) axis,
//! as docs/kernels.md ("Dropout and batch norm", "mulberry32") specifies, and layer normalization
//! over the last axis of each sample.

use crate::error::CoreError;
use crate::rng::Mulberry32;
use rayon::prelude::*;

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

/// Floats of a batch a layer-norm task handles at least: rows are grouped in tasks of
/// max(1, LN_TASK_FLOATS / width) rows, a split that depends on the width alone, so the
/// parameter-gradient sums (per task, then over tasks in order) are the same for any thread count.
const LN_TASK_FLOATS: usize = 1 << 13;

/// A layer-norm layer's constants.
#[derive(Clone, Copy, Debug)]
pub struct LayerNormSettings {
    /// The row length: the last axis.
    pub width: usize,
    pub epsilon: f64,
}

impl LayerNormSettings {
    fn rows_per_task(&self) -> usize {
        (LN_TASK_FLOATS / self.width).max(1)
    }
}

/// What layer-norm backward needs from the forward, and its per-task sums (kept, so a batch
/// allocates nothing once the sizes are seen).
#[derive(Clone, Debug, Default)]
pub struct LayerNormCache {
    /// Per row.
    pub mean: Vec<f32>,
    /// Per row: 1 / sqrt(biased var + epsilon).
    pub inv_std: Vec<f32>,
    /// Normalized input (x - mean) * inv_std, x-sized.
    pub x_hat: Vec<f32>,
    /// Per backward task: Σ dy x̂ (width values), then Σ dy (width values).
    parts: Vec<f64>,
}

/// Σ f(v) over a row in f64, four interleaved accumulators (a fixed order: deterministic).
#[inline(always)]
fn row_sum(row: &[f32], f: impl Fn(f32) -> f64) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut quads = row.chunks_exact(4);
    for q in &mut quads {
        for l in 0..4 {
            acc[l] += f(q[l]);
        }
    }
    let tail: f64 = quads.remainder().iter().map(|v| f(*v)).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Layer norm over rows of `width`: per row the mean and biased variance (f64), x̂ = (x - mean) /
/// sqrt(var + eps), y = gamma x̂ + beta (gamma, beta when given). The same in training and
/// inference; the cache receives mean, inv_std and x̂ for backward. Rows run in parallel.
pub fn layer_norm_forward(
    s: &LayerNormSettings,
    x: &[f32],
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    cache: &mut LayerNormCache,
    y: &mut [f32],
) {
    let w = s.width;
    assert!(w > 0 && x.len().is_multiple_of(w) && x.len() == y.len(), "layer_norm: x and y lengths");
    assert!(gamma.is_none_or(|g| g.len() == w) && beta.is_none_or(|b| b.len() == w), "layer_norm: gamma and beta lengths");
    let rows = x.len() / w;
    cache.mean.resize(rows, 0.0);
    cache.inv_std.resize(rows, 0.0);
    cache.x_hat.resize(x.len(), 0.0);
    let (per, eps, inv_w) = (s.rows_per_task(), s.epsilon, 1.0 / w as f64);
    let chunk = per * w;
    let tasks = y.par_chunks_mut(chunk).zip(x.par_chunks(chunk)).zip(cache.x_hat.par_chunks_mut(chunk));
    tasks.zip(cache.mean.par_chunks_mut(per)).zip(cache.inv_std.par_chunks_mut(per)).for_each(|((((ys, xs), hs), ms), is)| {
        let rows = ys.chunks_exact_mut(w).zip(xs.chunks_exact(w)).zip(hs.chunks_exact_mut(w));
        for (((yr, xr), hr), (m, inv)) in rows.zip(ms.iter_mut().zip(is.iter_mut())) {
            let mean = row_sum(xr, |v| v as f64) * inv_w;
            let var = row_sum(xr, |v| (v as f64 - mean) * (v as f64 - mean)) * inv_w;
            let inv_std = 1.0 / (var + eps).sqrt();
            (*m, *inv) = (mean as f32, inv_std as f32);
            for (h, v) in hr.iter_mut().zip(xr) {
                *h = ((*v as f64 - mean) * inv_std) as f32;
            }
            match (gamma, beta) {
                (Some(g), Some(b)) => yr.iter_mut().zip(hr.iter()).zip(g.iter().zip(b)).for_each(|((o, h), (g, b))| *o = g * h + b),
                (Some(g), None) => yr.iter_mut().zip(hr.iter()).zip(g).for_each(|((o, h), g)| *o = g * h),
                (None, Some(b)) => yr.iter_mut().zip(hr.iter()).zip(b).for_each(|((o, h), b)| *o = h + b),
                (None, None) => yr.copy_from_slice(hr),
            }
        }
    });
}

/// Layer-norm backward: with g = gamma dy (dy without gamma), dx = inv_std (g - mean(g) - x̂
/// mean(g x̂)) per row; dgamma = Σ dy x̂ and dbeta = Σ dy over all rows (f64 sums per task of
/// rows, then over the tasks in order). Each gradient given is overwritten.
pub fn layer_norm_backward(
    s: &LayerNormSettings,
    cache: &mut LayerNormCache,
    gamma: Option<&[f32]>,
    dy: &[f32],
    dx: Option<&mut [f32]>,
    dgamma: Option<&mut [f32]>,
    dbeta: Option<&mut [f32]>,
) {
    let w = s.width;
    let LayerNormCache { inv_std, x_hat, parts, .. } = cache;
    assert_eq!(dy.len(), x_hat.len(), "layer_norm: dy length");
    assert!(gamma.is_none_or(|g| g.len() == w), "layer_norm: gamma length");
    let sums = dgamma.is_some() || dbeta.is_some();
    if !sums && dx.is_none() {
        return;
    }
    let (per, inv_w) = (s.rows_per_task(), 1.0 / w as f64);
    let chunk = per * w;
    parts.resize(dy.len().div_ceil(chunk) * 2 * w, 0.0);
    let task = |part: &mut [f64], dys: &[f32], hs: &[f32], is: &[f32], dxs: Option<&mut [f32]>| {
        if sums {
            let (sg, sb) = part.split_at_mut(w);
            sg.fill(0.0);
            sb.fill(0.0);
            for (dr, hr) in dys.chunks_exact(w).zip(hs.chunks_exact(w)) {
                for k in 0..w {
                    sg[k] += dr[k] as f64 * hr[k] as f64;
                    sb[k] += dr[k] as f64;
                }
            }
        }
        let Some(dxs) = dxs else { return };
        let rows = dxs.chunks_exact_mut(w).zip(dys.chunks_exact(w)).zip(hs.chunks_exact(w));
        for (((dxr, dr), hr), &inv) in rows.zip(is) {
            match gamma {
                Some(gm) => dx_row(dxr, hr, inv, inv_w, |k| gm[k] * dr[k]),
                None => dx_row(dxr, hr, inv, inv_w, |k| dr[k]),
            }
        }
    };
    let tasks = parts.par_chunks_mut(2 * w).zip(dy.par_chunks(chunk)).zip(x_hat.par_chunks(chunk)).zip(inv_std.par_chunks(per));
    match dx {
        Some(dx) => tasks.zip(dx.par_chunks_mut(chunk)).for_each(|((((p, d), h), i), dxs)| task(p, d, h, i, Some(dxs))),
        None => tasks.for_each(|(((p, d), h), i)| task(p, d, h, i, None)),
    }
    let reduce = |out: &mut [f32], offset: usize| {
        for (k, o) in out.iter_mut().enumerate() {
            *o = parts.chunks_exact(2 * w).map(|p| p[offset + k]).sum::<f64>() as f32;
        }
    };
    if let Some(dg) = dgamma {
        reduce(dg, 0);
    }
    if let Some(db) = dbeta {
        reduce(db, w);
    }
}

/// One row of dx = inv (g - mean(g) - x̂ mean(g x̂)), g(k) the row's (scaled) output gradient.
#[inline(always)]
fn dx_row(dxr: &mut [f32], hr: &[f32], inv: f32, inv_w: f64, g: impl Fn(usize) -> f32) {
    let (mut mg, mut mgx) = (0.0f64, 0.0f64);
    for (k, h) in hr.iter().enumerate() {
        let gk = g(k) as f64;
        mg += gk;
        mgx += gk * *h as f64;
    }
    let (mg, mgx) = ((mg * inv_w) as f32, (mgx * inv_w) as f32);
    for (k, (d, h)) in dxr.iter_mut().zip(hr).enumerate() {
        *d = inv * (g(k) - mg - h * mgx);
    }
}
