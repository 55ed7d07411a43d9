//! A stand-alone activation: y = f(x) element-wise, softmax over rows of `width` (the last axis).
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, GradOf, Inputs, NodeShape, Op, Reads};
use crate::activation;
use crate::error::{expect_positive, CoreError, Result};
use crate::spec::{ActivationKind, ActivationSpec};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationOpSpec {
    pub size: usize,
    /// Softmax row length: the last axis of the sample's shape.
    pub width: usize,
    pub activation: ActivationSpec,
}

pub struct Activation {
    width: usize,
    act: ActivationSpec,
}

impl Activation {
    pub fn new(spec: &ActivationOpSpec, shape: &NodeShape) -> Result<Self> {
        expect_positive("activation", "size", spec.size)?;
        expect_positive("activation", "width", spec.width)?;
        if !spec.size.is_multiple_of(spec.width) {
            return Err(CoreError::config(format!("activation: size {} is not a multiple of width {}", spec.size, spec.width)));
        }
        activation::validate("activation", &spec.activation, spec.size, spec.width)?;
        shape.expect("activation", &[spec.size], spec.size, &[], &[])?;
        Ok(Activation { width: spec.width, act: spec.activation })
    }
}

impl Op for Activation {
    fn backward_reads(&self) -> Reads {
        // Every derivative but leaky ReLU's reads y only (ReLU's mask y > 0 is x > 0), so the
        // input's buffer is free once the forward ran.
        match self.act.kind {
            ActivationKind::LeakyRelu => Reads { inputs: true, output: false },
            ActivationKind::Linear | ActivationKind::Step => Reads::NOTHING,
            _ => Reads { inputs: false, output: true },
        }
    }

    fn pre_activation<'a>(&'a self, inputs: &Inputs<'a>, _out: &'a [f32]) -> Option<&'a [f32]> {
        Some(inputs.x())
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        activation::forward_unchecked(&self.act, f.inputs.x(), self.width, f.out);
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        if let Some(dx) = b.dinputs.get(0) {
            match b.grad_of {
                GradOf::PreActivation => dx.copy_from_slice(b.dout),
                GradOf::Output => {
                    // x is read by leaky ReLU only; ReLU's y > 0 is the same mask as x > 0.
                    let x = if self.act.kind == ActivationKind::LeakyRelu { b.inputs.x() } else { b.out };
                    activation::backward_unchecked(&self.act, x, b.out, b.dout, self.width, dx)
                }
            }
        }
        Ok(())
    }
}
