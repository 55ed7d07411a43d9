//! Optimizer updates in place, per parameter tensor (docs/kernels.md). `t` counts from 1.
//! SGD: per-element math in f64, stored as f32. Adam: the step's constants (bias corrections) in
//! f64, the per-element math in f32 in one vectorized pass (within a few ulp of the f64 reference).
use crate::error::{expect_finite, expect_len, CoreError, Result};
use crate::multiversion;
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
    StepRule::new(opt, lr, t).apply(param, grad, slots);
}

/// One step's update rule with its constants resolved (defaults, Adam's bias corrections), so a
/// network's many tensors pay the optimizer match and Adam's two powf once per step, not each.
#[derive(Clone, Copy)]
pub enum StepRule {
    Sgd { lr: f64, momentum: f64, nesterov: bool, weight_decay: f64 },
    Adam(AdamStep),
}

impl StepRule {
    pub fn new(opt: &OptimizerSpec, lr: f64, t: f64) -> Self {
        match *opt {
            OptimizerSpec::Sgd { momentum, nesterov, weight_decay, .. } => StepRule::Sgd {
                lr,
                momentum: momentum.unwrap_or(0.0),
                nesterov: nesterov.unwrap_or(false),
                weight_decay: weight_decay.unwrap_or(0.0),
            },
            OptimizerSpec::Adam { beta1, beta2, epsilon, weight_decay, decoupled, .. } => {
                let (b1, b2) = (beta1.unwrap_or(0.9), beta2.unwrap_or(0.999));
                let eps = epsilon.unwrap_or(1e-7);
                let wd = weight_decay.unwrap_or(0.0);
                let decoupled = decoupled.unwrap_or(false);
                let (c1, c2) = (1.0 - b1.powf(t), 1.0 - b2.powf(t));
                // p -= lr (m / c1) / (sqrt(v / c2) + eps) = step_size m / (sqrt(v) inv_sqrt_c2 + eps)
                let (step_size, inv_sqrt_c2) = ((lr / c1) as f32, (1.0 / c2.sqrt()) as f32);
                let (one_b1, one_b2, decay) = ((1.0 - b1) as f32, (1.0 - b2) as f32, (lr * wd) as f32);
                let (b1, b2, eps, wd) = (b1 as f32, b2 as f32, eps as f32, wd as f32);
                let l2 = if decoupled { 0.0 } else { wd };
                let shrink = if decoupled { 1.0 - decay } else { 1.0 };
                StepRule::Adam(AdamStep { b1, b2, one_b1, one_b2, eps, l2, shrink, step_size, inv_sqrt_c2 })
            }
        }
    }

    /// The update of one tensor; `slots` as for [`update`].
    #[inline]
    pub fn apply<S: AsMut<[f32]>>(&self, param: &mut [f32], grad: &[f32], slots: &mut [S]) {
        match *self {
            StepRule::Sgd { lr, momentum: mu, nesterov, weight_decay: wd } => {
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
            StepRule::Adam(s) => {
                let [m, v] = slots else { unreachable!("adam has two state slots") };
                adam_pass(s, param, grad, m.as_mut(), v.as_mut());
            }
        }
    }
}

/// One Adam step's per-element constants, in f32.
#[derive(Clone, Copy)]
pub struct AdamStep {
    b1: f32,
    b2: f32,
    one_b1: f32,
    one_b2: f32,
    eps: f32,
    /// L2 coefficient added to the gradient (0 for AdamW).
    l2: f32,
    /// 1 - lr weightDecay for AdamW, else 1.
    shrink: f32,
    step_size: f32,
    inv_sqrt_c2: f32,
}

multiversion! {
    fn adam_pass(s: AdamStep, param: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32]) {
        for (((p, &g), m), v) in param.iter_mut().zip(grad).zip(m.iter_mut()).zip(v.iter_mut()) {
            let g = g + s.l2 * *p;
            let mn = s.b1 * *m + s.one_b1 * g;
            let vn = s.b2 * *v + s.one_b2 * g * g;
            *m = mn;
            *v = vn;
            *p = *p * s.shrink - s.step_size * mn / (vn.sqrt() * s.inv_sqrt_c2 + s.eps);
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
        let adamw =
            OptimizerSpec::Adam { lr: 0.01, beta1: None, beta2: None, epsilon: None, weight_decay: Some(0.5), decoupled: Some(true) };
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
