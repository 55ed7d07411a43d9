//! Losses averaged over the batch, with their gradient with respect to `pred` (docs/kernels.md).
//! From-logits losses (binaryCrossEntropy, softmaxCrossEntropy, perceptron) take pre-activations.
use crate::activation::sigmoid;
use crate::error::{checked_product, expect_len, expect_positive, Result};
use crate::spec::{LossKind, LossSpec};

/// Returns the mean loss and writes dL/dpred into `grad` (same length as `pred`).
pub fn loss(spec: &LossSpec, pred: &[f32], target: &[f32], batch: usize, width: usize, grad: &mut [f32]) -> Result<f64> {
    let op = "loss";
    expect_positive(op, "batch", batch)?;
    expect_positive(op, "width", width)?;
    let len = checked_product(op, "batch*width", &[batch, width])?;
    expect_len(op, "pred", pred.len(), "batch*width", len)?;
    expect_len(op, "target", target.len(), "batch*width", len)?;
    expect_len(op, "grad", grad.len(), "batch*width", len)?;
    Ok(loss_unchecked(spec.kind, pred, target, batch, width, grad))
}

/// The loops behind [`loss`], for the executor that validated once.
pub fn loss_unchecked(kind: LossKind, pred: &[f32], target: &[f32], batch: usize, width: usize, grad: &mut [f32]) -> f64 {
    let n = batch as f64;
    let nw = n * width as f64;
    let items = pred.iter().zip(target).zip(grad.iter_mut()).map(|((&p, &t), g)| (f64::from(p), f64::from(t), g));
    match kind {
        LossKind::HalfSse => {
            let mut sum = 0.0;
            for (y, t, g) in items {
                sum += 0.5 * (y - t) * (y - t);
                *g = ((y - t) / n) as f32;
            }
            sum / n
        }
        LossKind::Mse => {
            let mut sum = 0.0;
            for (y, t, g) in items {
                sum += (y - t) * (y - t);
                *g = (2.0 * (y - t) / nw) as f32;
            }
            sum / nw
        }
        LossKind::BinaryCrossEntropy => {
            let mut sum = 0.0;
            for (z, t, g) in items {
                sum += z.max(0.0) - z * t + (-z.abs()).exp().ln_1p();
                *g = ((sigmoid(z) - t) / nw) as f32;
            }
            sum / nw
        }
        LossKind::Perceptron => {
            let mut sum = 0.0;
            for (a, t, g) in items {
                let y = if a >= 0.0 { 1.0 } else { 0.0 };
                sum += a * (y - t);
                *g = ((y - t) / n) as f32;
            }
            sum / n
        }
        LossKind::SoftmaxCrossEntropy => {
            let mut sum = 0.0;
            for ((zr, tr), gr) in pred.chunks_exact(width).zip(target.chunks_exact(width)).zip(grad.chunks_exact_mut(width)) {
                let max = zr.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
                let sum_exp: f64 = zr.iter().map(|&z| (f64::from(z) - max).exp()).sum();
                let lse = max + sum_exp.ln();
                let t_sum: f64 = tr.iter().map(|&t| f64::from(t)).sum();
                for ((&z, &t), g) in zr.iter().zip(tr).zip(gr.iter_mut()) {
                    let (z, t) = (f64::from(z), f64::from(t));
                    sum -= t * (z - lse);
                    *g = (((z - max).exp() / sum_exp * t_sum - t) / n) as f32;
                }
            }
            sum / n
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: LossKind, pred: &[f32], target: &[f32], batch: usize) -> (f64, Vec<f32>) {
        let mut g = vec![0.0; pred.len()];
        let l = loss(&LossSpec { kind }, pred, target, batch, pred.len() / batch, &mut g).unwrap();
        (l, g)
    }

    #[test]
    fn closed_forms() {
        // The course's E = 1/2 (y - t)^2 for one sample: y = 0.8, t = 1 -> 0.02, grad -0.2.
        let (l, g) = run(LossKind::HalfSse, &[0.8], &[1.0], 1);
        assert!((l - 0.02).abs() < 1e-7 && (g[0] + 0.2).abs() < 1e-7);
        // mse over 2 samples x 2 outputs: ((1)^2 + 0 + (2)^2 + 0) / 4 = 1.25; grad 2(y-t)/4.
        let (l, g) = run(LossKind::Mse, &[1.0, 0.0, 2.0, 0.0], &[0.0; 4], 2);
        assert!((l - 1.25).abs() < 1e-12);
        assert_eq!(g, vec![0.5, 0.0, 1.0, 0.0]);
        // BCE of z = 0: ln 2 per element; grad (1/2 - t) / (n w).
        let (l, g) = run(LossKind::BinaryCrossEntropy, &[0.0, 0.0], &[1.0, 0.0], 1);
        assert!((l - 2f64.ln()).abs() < 1e-12);
        assert_eq!(g, vec![-0.25, 0.25]);
        // softmax CE of [0, ln 3] vs class 1: -ln(3/4); grad [1/4, 3/4 - 1].
        let (l, g) = run(LossKind::SoftmaxCrossEntropy, &[0.0, 3f32.ln()], &[0.0, 1.0], 1);
        assert!((l + 0.75f64.ln()).abs() < 1e-6);
        assert!((g[0] - 0.25).abs() < 1e-6 && (g[1] + 0.25).abs() < 1e-6);
        // stable for logits of 1e4: loss 1e4 exactly (class 0 wins by 1e4), finite gradient.
        let (l, g) = run(LossKind::SoftmaxCrossEntropy, &[1e4, 0.0], &[0.0, 1.0], 1);
        assert!((l - 1e4).abs() < 1e-6 && g.iter().all(|v| v.is_finite()));
        // perceptron: a = 0.5 predicted 1, target 0 -> loss 0.5 * 1; grad 1.
        let (l, g) = run(LossKind::Perceptron, &[0.5, -2.0], &[0.0, 0.0], 1);
        assert!((l - 0.5).abs() < 1e-12);
        assert_eq!(g, vec![1.0, 0.0]);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let pred = [0.3f32, -1.2, 2.0, 0.1, 0.7, -0.4];
        let target = [0.0f32, 1.0, 0.0, 0.2, 0.5, 0.3];
        for kind in [LossKind::HalfSse, LossKind::Mse, LossKind::BinaryCrossEntropy, LossKind::SoftmaxCrossEntropy] {
            let (_, g) = run(kind, &pred, &target, 2);
            for i in 0..pred.len() {
                let at = |v: f32| {
                    let mut p = pred;
                    p[i] = v;
                    run(kind, &p, &target, 2).0
                };
                let (hi, lo) = (pred[i] + 1e-3, pred[i] - 1e-3);
                let fd = (at(hi) - at(lo)) / f64::from(hi - lo);
                assert!((fd - f64::from(g[i])).abs() < 1e-4, "{kind:?} {i}");
            }
        }
    }

    #[test]
    fn rejects_mismatched_target() {
        let mut g = [0.0; 4];
        let e = loss(&LossSpec { kind: LossKind::Mse }, &[0.0; 4], &[0.0; 3], 2, 2, &mut g).unwrap_err();
        assert_eq!(e.to_string(), "E_SHAPE: loss: target has 3 floats, expected batch*width = 4");
    }
}
