//! Dense: y = f(x W + b), W [inputs x units]; the bias and f in one pass over the GEMM output.
//! Params [W, b?]. Keeps its pre-activation z (when f is not linear) and dz for backward.
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, GradOf, Inputs, NodeShape, Op};
use crate::activation;
use crate::dense::{self, DenseDims};
use crate::error::{checked_product, expect_positive, Result};
use crate::gemm::{gemm, Layout};
use crate::spec::{ActivationKind, ActivationSpec, Precision};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DenseSpec {
    pub inputs: usize,
    pub units: usize,
    pub use_bias: bool,
    pub activation: ActivationSpec,
    /// Bfloat16: the three products run in crate::bf16.
    #[serde(default, skip_serializing_if = "Precision::is_float32")]
    pub precision: Precision,
}

pub struct Dense {
    dims: DenseDims,
    use_bias: bool,
    act: ActivationSpec,
    bf16: bool,
    /// Pre-activation of the last forward (unused when the activation is linear: z is y).
    z: Vec<f32>,
    /// dL/dz scratch for backward.
    dz: Vec<f32>,
}

impl Dense {
    pub fn new(spec: &DenseSpec, shape: &NodeShape) -> Result<Self> {
        expect_positive("dense", "inputs", spec.inputs)?;
        expect_positive("dense", "units", spec.units)?;
        let w = checked_product("dense", "inputs*units", &[spec.inputs, spec.units])?;
        activation::validate("dense", &spec.activation, spec.units, spec.units)?;
        let params: &[usize] = if spec.use_bias { &[w, spec.units] } else { &[w] };
        shape.expect("dense", &[spec.inputs], spec.units, params, &[])?;
        let dims = DenseDims { batch: 0, inputs: spec.inputs, units: spec.units };
        let bf16 = spec.precision == Precision::Bfloat16;
        Ok(Dense { dims, use_bias: spec.use_bias, act: spec.activation, bf16, z: vec![], dz: vec![] })
    }

    fn is_linear(&self) -> bool {
        self.act.kind == ActivationKind::Linear
    }

    /// Sizes of a batch of n (inputs*units was checked in new(); buffers come exactly sized).
    fn dims(&self, n: usize) -> DenseDims {
        DenseDims { batch: n, ..self.dims }
    }

    /// z = x W: the bfloat16 product, the tiny loops or the GEMM.
    fn product(bf16: bool, x: &[f32], w: &[f32], d: DenseDims, z: &mut [f32]) -> Result<()> {
        if bf16 {
            crate::bf16::dense::product(x, w, d, z);
        } else if dense::is_tiny(d) {
            dense::tiny_forward(x, w, d, z);
        } else {
            gemm(d.batch, d.inputs, d.units, x, Layout::Normal, w, Layout::Normal, z, false)?;
        }
        Ok(())
    }
}

impl Op for Dense {
    fn pre_activation<'a>(&'a self, _inputs: &Inputs<'a>, out: &'a [f32]) -> Option<&'a [f32]> {
        Some(if self.is_linear() { out } else { &self.z })
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        let d = self.dims(f.n);
        let x = f.inputs.x();
        let bias = if self.use_bias { Some(f.params[1].as_slice()) } else { None };
        // z = x W, then one pass over it for the bias and the activation.
        if self.is_linear() {
            Self::product(self.bf16, x, &f.params[0], d, f.out)?;
            if let Some(b) = bias {
                activation::add_bias(b, f.out);
            }
            return Ok(());
        }
        self.z.resize(f.out.len(), 0.0);
        Self::product(self.bf16, x, &f.params[0], d, &mut self.z)?;
        activation::bias_forward_unchecked(&self.act, bias, &mut self.z, self.dims.units, f.out);
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        let d = self.dims(b.n);
        let dz: &[f32] = if self.is_linear() || b.grad_of == GradOf::PreActivation {
            b.dout
        } else {
            self.dz.resize(b.dout.len(), 0.0);
            activation::backward_unchecked(&self.act, &self.z, b.out, b.dout, self.dims.units, &mut self.dz);
            &self.dz
        };
        let (dw, rest) = b.grads.split_first_mut().expect("dense has a weight gradient");
        let db = if self.use_bias { rest.first_mut().map(|v| v.as_mut_slice()) } else { None };
        let x = b.inputs.x();
        let dx = b.dinputs.get(0);
        if self.bf16 {
            crate::bf16::dense::backward(x, &b.params[0], dz, d, dx, dw, db);
            return Ok(());
        }
        if dense::is_tiny(d) {
            dense::tiny_backward(x, &b.params[0], dz, d, dx, dw, db);
            return Ok(());
        }
        dense::backward(x, &b.params[0], dz, d, dx, dw, db)
    }
}
