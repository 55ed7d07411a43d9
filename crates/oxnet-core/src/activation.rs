//! Activations, forward and backward side by side (docs/kernels.md). Element-wise except softmax,
//! which works per row of `width`. Sigmoid, ReLU, step and their derivatives run in f32 (sigmoid on
//! a vectorized exp, see `fastmath`), within a few ulp of the TypeScript reference's f64 math;
//! tanh and softmax compute in f64.
use crate::error::{expect_finite, expect_len, expect_positive, CoreError, Result};
use crate::fastmath::exp_f32;
use crate::multiversion;
use crate::spec::{ActivationKind, ActivationSpec};

/// Checks the spec's hyperparameters and that `len` splits into rows of `width`.
pub fn validate(op: &str, act: &ActivationSpec, len: usize, width: usize) -> Result<()> {
    expect_positive(op, "width", width)?;
    if !len.is_multiple_of(width) {
        return Err(CoreError::shape(format!("{op}: x has {len} floats, not a multiple of width = {width}")));
    }
    if let Some(beta) = act.beta {
        expect_finite(op, "activation.beta", beta)?;
    }
    if let Some(alpha) = act.alpha {
        expect_finite(op, "activation.alpha", alpha)?;
    }
    Ok(())
}

/// Stable logistic 1 / (1 + exp(-z)).
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// y = f(x). `y` must be as long as `x`.
pub fn forward(act: &ActivationSpec, x: &[f32], width: usize, y: &mut [f32]) -> Result<()> {
    validate("activationForward", act, x.len(), width)?;
    expect_len("activationForward", "y", y.len(), "x.length", x.len())?;
    forward_unchecked(act, x, width, y);
    Ok(())
}

/// Stable logistic in f32: e = exp(-|z|), then 1 / (1 + e) or e / (1 + e).
#[inline(always)]
pub fn sigmoid_f32(z: f32) -> f32 {
    let e = exp_f32(-z.abs());
    let r = 1.0 / (1.0 + e);
    if z >= 0.0 {
        r
    } else {
        e * r
    }
}

/// The loop behind [`forward`], for callers that validated once (layers).
pub fn forward_unchecked(act: &ActivationSpec, x: &[f32], width: usize, y: &mut [f32]) {
    let map = |y: &mut [f32], f: &dyn Fn(f64) -> f64| {
        for (yi, &xi) in y.iter_mut().zip(x) {
            *yi = f(f64::from(xi)) as f32;
        }
    };
    match act.kind {
        ActivationKind::Linear => y.copy_from_slice(x),
        ActivationKind::Step => map_f32(Step, x, y),
        ActivationKind::Sigmoid => map_f32(Sigmoid(act.beta() as f32), x, y),
        ActivationKind::Tanh => map(y, &f64::tanh),
        ActivationKind::Relu => map_f32(Relu, x, y),
        ActivationKind::LeakyRelu => map_f32(Leaky(act.alpha() as f32), x, y),
        ActivationKind::Softmax => {
            for (xr, yr) in x.chunks_exact(width).zip(y.chunks_exact_mut(width)) {
                softmax_row(xr, yr);
            }
        }
    }
}

/// Dense and conv epilogue in one pass over the GEMM output: z += b on every row of `width`
/// (when given), then y = f(z). z keeps the pre-activation for backward. Always inlined: as a call
/// (two callers) it cost a tiny dense layer ~50 instructions a batch.
#[inline(always)]
pub fn bias_forward_unchecked(act: &ActivationSpec, b: Option<&[f32]>, z: &mut [f32], width: usize, y: &mut [f32]) {
    match act.kind {
        ActivationKind::Linear => bias_map(Identity, b, z, y, width),
        ActivationKind::Step => bias_map(Step, b, z, y, width),
        ActivationKind::Sigmoid => bias_map(Sigmoid(act.beta() as f32), b, z, y, width),
        ActivationKind::Tanh => bias_map(Tanh, b, z, y, width),
        ActivationKind::Relu => bias_map(Relu, b, z, y, width),
        ActivationKind::LeakyRelu => bias_map(Leaky(act.alpha() as f32), b, z, y, width),
        ActivationKind::Softmax => {
            for (zr, yr) in z.chunks_exact_mut(width).zip(y.chunks_exact_mut(width)) {
                if let Some(b) = b {
                    zr.iter_mut().zip(b).for_each(|(zi, &bi)| *zi += bi);
                }
                softmax_row(zr, yr);
            }
        }
    }
}

/// An element-wise activation in f32 (a struct, not a closure, so that it inlines into the
/// AVX2 copy of the loops below).
trait Elem: Copy {
    fn apply(self, v: f32) -> f32;
}
#[derive(Clone, Copy)]
struct Identity;
#[derive(Clone, Copy)]
struct Step;
#[derive(Clone, Copy)]
struct Sigmoid(f32);
#[derive(Clone, Copy)]
struct Tanh;
#[derive(Clone, Copy)]
struct Relu;
#[derive(Clone, Copy)]
struct Leaky(f32);

impl Elem for Identity {
    #[inline(always)]
    fn apply(self, v: f32) -> f32 {
        v
    }
}
impl Elem for Step {
    #[inline(always)]
    fn apply(self, v: f32) -> f32 {
        if v >= 0.0 {
            1.0
        } else {
            0.0
        }
    }
}
impl Elem for Sigmoid {
    #[inline(always)]
    fn apply(self, v: f32) -> f32 {
        sigmoid_f32(self.0 * v)
    }
}
impl Elem for Tanh {
    #[inline(always)]
    fn apply(self, v: f32) -> f32 {
        f64::from(v).tanh() as f32
    }
}
impl Elem for Relu {
    #[inline(always)]
    fn apply(self, v: f32) -> f32 {
        if v > 0.0 {
            v
        } else {
            0.0
        }
    }
}
impl Elem for Leaky {
    #[inline(always)]
    fn apply(self, v: f32) -> f32 {
        if v > 0.0 {
            v
        } else {
            self.0 * v
        }
    }
}

multiversion! {
    /// z += b per row (when given), in place: the linear case, where y is z.
    pub fn add_bias(b: &[f32], z: &mut [f32]) {
        for zr in z.chunks_exact_mut(b.len()) {
            for (zi, &bi) in zr.iter_mut().zip(b) {
                *zi += bi;
            }
        }
    }
}

multiversion! {
    fn map_f32<F: Elem>(f: F, x: &[f32], y: &mut [f32]) {
        for (yi, &xi) in y.iter_mut().zip(x) {
            *yi = f.apply(xi);
        }
    }
}

multiversion! {
    // Inlined into its caller's match arm: W1's one-call loop paid ~20 instructions a call for it.
    #[inline]
    fn bias_map<F: Elem>(f: F, b: Option<&[f32]>, z: &mut [f32], y: &mut [f32], width: usize) {
        match b {
            Some(b) => {
                for (zr, yr) in z.chunks_exact_mut(width).zip(y.chunks_exact_mut(width)) {
                    for ((zi, yi), &bi) in zr.iter_mut().zip(yr.iter_mut()).zip(b) {
                        let v = *zi + bi;
                        *zi = v;
                        *yi = f.apply(v);
                    }
                }
            }
            None => {
                for (yi, &zi) in y.iter_mut().zip(z.iter()) {
                    *yi = f.apply(zi);
                }
            }
        }
    }
}

/// y = exp(x - max) / sum, one row.
pub fn softmax_row(x: &[f32], y: &mut [f32]) {
    let max = x.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
    let mut sum = 0.0;
    for (yi, &xi) in y.iter_mut().zip(x) {
        let e = (f64::from(xi) - max).exp();
        sum += e;
        *yi = e as f32;
    }
    // Recompute from x rather than from the rounded f32 y so the division sees f64 values.
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = ((f64::from(xi) - max).exp() / sum) as f32;
    }
}

/// dx = dL/dx given x, y = f(x) and dy = dL/dy.
pub fn backward(act: &ActivationSpec, x: &[f32], y: &[f32], dy: &[f32], width: usize, dx: &mut [f32]) -> Result<()> {
    validate("activationBackward", act, x.len(), width)?;
    expect_len("activationBackward", "y", y.len(), "x.length", x.len())?;
    expect_len("activationBackward", "dy", dy.len(), "x.length", x.len())?;
    expect_len("activationBackward", "dx", dx.len(), "x.length", x.len())?;
    backward_unchecked(act, x, y, dy, width, dx);
    Ok(())
}

/// The loop behind [`backward`].
pub fn backward_unchecked(act: &ActivationSpec, x: &[f32], y: &[f32], dy: &[f32], width: usize, dx: &mut [f32]) {
    match act.kind {
        ActivationKind::Linear => dx.copy_from_slice(dy),
        ActivationKind::Step => dx.fill(0.0),
        ActivationKind::Sigmoid => sigmoid_backward(act.beta() as f32, y, dy, dx),
        ActivationKind::Tanh => tanh_backward(y, dy, dx),
        ActivationKind::Relu => relu_backward(x, dy, dx),
        ActivationKind::LeakyRelu => leaky_backward(act.alpha() as f32, x, dy, dx),
        ActivationKind::Softmax => {
            for ((yr, gr), dr) in y.chunks_exact(width).zip(dy.chunks_exact(width)).zip(dx.chunks_exact_mut(width)) {
                let dot: f64 = yr.iter().zip(gr).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum();
                for ((d, &yi), &g) in dr.iter_mut().zip(yr).zip(gr) {
                    *d = (f64::from(yi) * (f64::from(g) - dot)) as f32;
                }
            }
        }
    }
}

multiversion! {
    fn sigmoid_backward(beta: f32, y: &[f32], dy: &[f32], dx: &mut [f32]) {
        for ((d, &yi), &g) in dx.iter_mut().zip(y).zip(dy) {
            *d = beta * yi * (1.0 - yi) * g;
        }
    }
}

multiversion! {
    fn tanh_backward(y: &[f32], dy: &[f32], dx: &mut [f32]) {
        for ((d, &yi), &g) in dx.iter_mut().zip(y).zip(dy) {
            *d = (1.0 - yi * yi) * g;
        }
    }
}

multiversion! {
    fn relu_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) {
        for ((d, &xi), &g) in dx.iter_mut().zip(x).zip(dy) {
            *d = if xi > 0.0 { g } else { 0.0 };
        }
    }
}

multiversion! {
    /// dx = dy where x > 0, else alpha dy.
    fn leaky_backward(alpha: f32, x: &[f32], dy: &[f32], dx: &mut [f32]) {
        for ((d, &xi), &g) in dx.iter_mut().zip(x).zip(dy) {
            *d = if xi > 0.0 { g } else { alpha * g };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: ActivationKind) -> ActivationSpec {
        ActivationSpec::new(kind)
    }

    #[test]
    fn closed_forms() {
        let x = [-2.0f32, 0.0, 3.0];
        let mut y = [0.0; 3];
        forward(&ActivationSpec { beta: Some(2.0), ..spec(ActivationKind::Sigmoid) }, &x, 3, &mut y).unwrap();
        // 1/(1+e^4), 1/2, 1/(1+e^-6)
        let want = [1.0 / (1.0 + 4f64.exp()), 0.5, 1.0 / (1.0 + (-6f64).exp())];
        for (a, b) in y.iter().zip(want) {
            assert!((f64::from(*a) - b).abs() < 1e-7);
        }
        forward(&spec(ActivationKind::Step), &x, 3, &mut y).unwrap();
        assert_eq!(y, [0.0, 1.0, 1.0]);
        forward(&spec(ActivationKind::LeakyRelu), &x, 3, &mut y).unwrap();
        assert_eq!(y, [-0.02, 0.0, 3.0]);
        // softmax of [0, ln 3] per row = [1/4, 3/4]; huge logits stay finite.
        let mut s = [0.0; 4];
        forward(&spec(ActivationKind::Softmax), &[0.0, 3f32.ln(), 1e4, 1e4], 2, &mut s).unwrap();
        assert!((s[0] - 0.25).abs() < 1e-6 && (s[1] - 0.75).abs() < 1e-6);
        assert_eq!(&s[2..], &[0.5, 0.5]);
        let mut big = [0.0; 2];
        forward(&spec(ActivationKind::Sigmoid), &[-1000.0, 1000.0], 2, &mut big).unwrap();
        assert_eq!(big, [0.0, 1.0]);
    }

    #[test]
    fn backward_matches_finite_differences() {
        let x = [-1.3f32, -0.2, 0.4, 1.7, 0.9, -0.6];
        let dy = [0.3f32, -1.1, 0.7, 0.2, -0.5, 1.4];
        for kind in
            [ActivationKind::Sigmoid, ActivationKind::Tanh, ActivationKind::LeakyRelu, ActivationKind::Softmax, ActivationKind::Relu]
        {
            let act = ActivationSpec { beta: Some(1.5), alpha: Some(0.1), kind };
            let mut y = [0.0; 6];
            forward(&act, &x, 3, &mut y).unwrap();
            let mut dx = [0.0; 6];
            backward(&act, &x, &y, &dy, 3, &mut dx).unwrap();
            // central difference of L = sum dy*f(x) in f32, h = 1e-3
            for i in 0..6 {
                let loss = |xi: f32| {
                    let mut xs = x;
                    xs[i] = xi;
                    let mut ys = [0.0; 6];
                    forward(&act, &xs, 3, &mut ys).unwrap();
                    ys.iter().zip(&dy).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum::<f64>()
                };
                let (hi, lo) = (x[i] + 1e-3, x[i] - 1e-3);
                let fd = (loss(hi) - loss(lo)) / f64::from(hi - lo);
                assert!((fd - f64::from(dx[i])).abs() < 2e-3, "{kind:?} {i}: fd {fd} vs {}", dx[i]);
            }
        }
    }

    #[test]
    fn rejects_bad_width_and_beta() {
        let mut y = [0.0; 3];
        let e = forward(&spec(ActivationKind::Softmax), &[1.0; 3], 2, &mut y).unwrap_err();
        assert!(e.to_string().contains("width = 2"), "{e}");
        let e = forward(&ActivationSpec { beta: Some(f64::NAN), ..spec(ActivationKind::Sigmoid) }, &[1.0; 3], 3, &mut y).unwrap_err();
        assert!(e.to_string().contains("activation.beta"), "{e}");
    }
}
