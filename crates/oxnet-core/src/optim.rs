//! Optimizer updates in place, per parameter tensor (docs/kernels.md). `t` counts from 1.
//! Per-element math in f64, stored as f32.
use crate::error::{expect_finite, expect_len, CoreError, Result};
use crate::spec::OptimizerSpec;

/// Checks the hyperparameters once (lr is checked per call since it can be overridden).
pub fn validate(op: &str, opt: &OptimizerSpec) -> Result<()> {
    let in_unit = |name: &str, v: f64| -> Result<()> {
        if (0.0..1.0).contains(&v) {
            Ok(())
        } else {
            Err(CoreError::arg(format!("{op}: {name} must be in [0, 1), got {v}")))
        }
    };
    let non_negative = |name: &str, v: f64| -> Result<()> {
        expect_finite(op, name, v)?;
        if v >= 0.0 {
            Ok(())
        } else {
            Err(CoreError::arg(format!("{op}: {name} must be >= 0, got {v}")))
        }
    };
    expect_finite(op, "optimizer.lr", opt.lr())?;
    match *opt {
        OptimizerSpec::Sgd { momentum, weight_decay, .. } => {
            in_unit("optimizer.momentum", momentum.unwrap_or(0.0))?;
            non_negative("optimizer.weightDecay", weight_decay.unwrap_or(0.0))
        }
        OptimizerSpec::Adam { beta1, beta2, epsilon, weight_decay, .. } => {
            in_unit("optimizer.beta1", beta1.unwrap_or(0.9))?;
            in_unit("optimizer.beta2", beta2.unwrap_or(0.999))?;
            non_negative("optimizer.epsilon", epsilon.unwrap_or(1e-7))?;
            non_negative("optimizer.weightDecay", weight_decay.unwrap_or(0.0))
        }
    }
}

/// The Backend's `optimizerStep`: validates everything, then [`update`] with the spec's lr.
pub fn optimizer_step(opt: &OptimizerSpec, param: &mut [f32], grad: &[f32], state: &mut [&mut [f32]], step: f64) -> Result<()> {
    let op = "optimizerStep";
    validate(op, opt)?;
    if !(step >= 1.0 && step.fract() == 0.0 && step <= f64::from(u32::MAX)) {
        return Err(CoreError::arg(format!("{op}: step must be an integer >= 1, got {step}")));
    }
    expect_len(op, "grad", grad.len(), "param.length", param.len())?;
    if state.len() != opt.slots() {
        return Err(CoreError::shape(format!("{op}: state has {} arrays, expected {} for this optimizer", state.len(), opt.slots())));
    }
    for (i, s) in state.iter().enumerate() {
        expect_len(op, &format!("state[{i}]"), s.len(), "param.length", param.len())?;
    }
    update(opt, opt.lr(), step, param, grad, state);
    Ok(())
}

/// One update with learning rate `lr` at step `t`; `slots` are [v] (sgd momentum) or [m, v] (adam),
/// already checked to be param-sized.
pub fn update<S: AsMut<[f32]>>(opt: &OptimizerSpec, lr: f64, t: f64, param: &mut [f32], grad: &[f32], slots: &mut [S]) {
    match *opt {
        OptimizerSpec::Sgd { momentum, nesterov, weight_decay, .. } => {
            let mu = momentum.unwrap_or(0.0);
            let wd = weight_decay.unwrap_or(0.0);
            let nesterov = nesterov.unwrap_or(false);
            if mu > 0.0 {
                let v = slots[0].as_mut();
                for ((p, &g), v) in param.iter_mut().zip(grad).zip(v.iter_mut()) {
                    let pf = f64::from(*p);
                    let g = f64::from(g) + wd * pf;
                    let vn = mu * f64::from(*v) + g;
                    *v = vn as f32;
                    let step = if nesterov { g + mu * vn } else { vn };
                    *p = (pf - lr * step) as f32;
                }
            } else {
                for (p, &g) in param.iter_mut().zip(grad) {
                    let pf = f64::from(*p);
                    *p = (pf - lr * (f64::from(g) + wd * pf)) as f32;
                }
            }
        }
        OptimizerSpec::Adam { beta1, beta2, epsilon, weight_decay, decoupled, .. } => {
            let (b1, b2) = (beta1.unwrap_or(0.9), beta2.unwrap_or(0.999));
            let eps = epsilon.unwrap_or(1e-7);
            let wd = weight_decay.unwrap_or(0.0);
            let decoupled = decoupled.unwrap_or(false);
            let (c1, c2) = (1.0 - b1.powf(t), 1.0 - b2.powf(t));
            let [m, v] = slots else { unreachable!("adam has two state slots") };
            for (((p, &g), m), v) in param.iter_mut().zip(grad).zip(m.as_mut().iter_mut()).zip(v.as_mut().iter_mut()) {
                let mut pf = f64::from(*p);
                let mut g = f64::from(g);
                if decoupled {
                    pf -= lr * wd * pf;
                } else {
                    g += wd * pf;
                }
                let mn = b1 * f64::from(*m) + (1.0 - b1) * g;
                let vn = b2 * f64::from(*v) + (1.0 - b2) * g * g;
                *m = mn as f32;
                *v = vn as f32;
                *p = (pf - lr * (mn / c1) / ((vn / c2).sqrt() + eps)) as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sgd(momentum: Option<f64>, nesterov: bool, wd: f64) -> OptimizerSpec {
        OptimizerSpec::Sgd { lr: 0.1, momentum, nesterov: Some(nesterov), weight_decay: Some(wd) }
    }

    #[test]
    fn sgd_closed_forms() {
        // plain: p = 1 - 0.1 * (2 + 0.5 * 1) = 0.75
        let mut p = [1.0f32];
        optimizer_step(&sgd(None, false, 0.5), &mut p, &[2.0], &mut [], 1.0).unwrap();
        assert!((p[0] - 0.75).abs() < 1e-7);
        // momentum 0.9, two steps of grad 1: v1 = 1, p = -0.1; v2 = 1.9, p = -0.29
        let (mut p, mut v) = ([0.0f32], [0.0f32]);
        for t in 1..=2 {
            optimizer_step(&sgd(Some(0.9), false, 0.0), &mut p, &[1.0], &mut [&mut v], f64::from(t)).unwrap();
        }
        assert!((p[0] + 0.29).abs() < 1e-6 && (v[0] - 1.9).abs() < 1e-6);
        // nesterov one step: v = 1, update = 1 + 0.9 = 1.9, p = -0.19
        let (mut p, mut v) = ([0.0f32], [0.0f32]);
        optimizer_step(&sgd(Some(0.9), true, 0.0), &mut p, &[1.0], &mut [&mut v], 1.0).unwrap();
        assert!((p[0] + 0.19).abs() < 1e-6);
    }

    #[test]
    fn adam_first_step_moves_by_lr() {
        // At t = 1 the bias-corrected m / sqrt(v) is sign(g) (up to epsilon): p -= lr.
        let adam = OptimizerSpec::Adam { lr: 0.01, beta1: None, beta2: None, epsilon: None, weight_decay: None, decoupled: None };
        let (mut p, mut m, mut v) = ([1.0f32, 1.0], [0.0f32; 2], [0.0f32; 2]);
        optimizer_step(&adam, &mut p, &[3.0, -0.5], &mut [&mut m, &mut v], 1.0).unwrap();
        assert!((p[0] - 0.99).abs() < 1e-6 && (p[1] - 1.01).abs() < 1e-6, "{p:?}");
        assert!((m[0] - 0.3).abs() < 1e-6 && (v[0] - 0.009).abs() < 1e-6);
        // AdamW with grad 0: only the decay, p = 1 - 0.01 * 0.5 * 1 (then 0/(0+eps) = 0).
        let adamw = OptimizerSpec::Adam { lr: 0.01, beta1: None, beta2: None, epsilon: None, weight_decay: Some(0.5), decoupled: Some(true) };
        let (mut p, mut m, mut v) = ([1.0f32], [0.0f32], [0.0f32]);
        optimizer_step(&adamw, &mut p, &[0.0], &mut [&mut m, &mut v], 1.0).unwrap();
        assert!((p[0] - 0.995).abs() < 1e-7);
    }

    #[test]
    fn rejects_bad_state_and_step() {
        let adam = OptimizerSpec::Adam { lr: 0.01, beta1: Some(1.5), beta2: None, epsilon: None, weight_decay: None, decoupled: None };
        let e = optimizer_step(&adam, &mut [0.0], &[0.0], &mut [], 1.0).unwrap_err();
        assert_eq!(e.to_string(), "E_ARG: optimizerStep: optimizer.beta1 must be in [0, 1), got 1.5");
        let e = optimizer_step(&sgd(Some(0.9), false, 0.0), &mut [0.0], &[0.0], &mut [], 1.0).unwrap_err();
        assert!(e.to_string().contains("state has 0 arrays, expected 1"), "{e}");
        let e = optimizer_step(&sgd(None, false, 0.0), &mut [0.0], &[0.0], &mut [], 0.0).unwrap_err();
        assert!(e.to_string().contains("step must be an integer >= 1"), "{e}");
    }
}
