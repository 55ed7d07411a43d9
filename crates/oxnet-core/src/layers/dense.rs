//! Dense layer: y = f(x W + b), the bias and f applied in one pass over the GEMM output. Keeps its pre-activation z (when f is not linear) and the
//! gradient dz for backward; both buffers are reused across batches.
use crate::activation;
use crate::dense::{self, DenseDims};
use crate::error::{checked_product, expect_positive, Result};
use crate::gemm::{gemm, Layout};
use crate::layer::{Ctx, GradOf, Layer};
use crate::spec::{ActivationKind, ActivationSpec, DenseSpec};

pub struct DenseLayer {
    inputs: usize,
    units: usize,
    use_bias: bool,
    act: ActivationSpec,
    /// Pre-activation of the last forward (unused when the activation is linear: z is y).
    z: Vec<f32>,
    /// dL/dz scratch for backward.
    dz: Vec<f32>,
}

impl DenseLayer {
    pub fn new(spec: &DenseSpec) -> Result<Self> {
        expect_positive("dense", "inputs", spec.inputs)?;
        expect_positive("dense", "units", spec.units)?;
        checked_product("dense", "inputs*units", &[spec.inputs, spec.units])?;
        activation::validate("dense", &spec.activation, spec.units, spec.units)?;
        Ok(DenseLayer { inputs: spec.inputs, units: spec.units, use_bias: spec.use_bias, act: spec.activation, z: vec![], dz: vec![] })
    }

    fn is_linear(&self) -> bool {
        self.act.kind == ActivationKind::Linear
    }

    /// Sizes of a batch of n: inputs*units was checked in new() and the network hands in
    /// buffers of exactly n*inputs and n*units floats, so no per-batch checks here.
    fn dims(&self, n: usize) -> Result<DenseDims> {
        Ok(DenseDims { batch: n, inputs: self.inputs, units: self.units })
    }
}

impl Layer for DenseLayer {
    fn in_size(&self) -> usize {
        self.inputs
    }
    fn out_size(&self) -> usize {
        self.units
    }
    fn param_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![self.inputs * self.units];
        if self.use_bias {
            sizes.push(self.units);
        }
        sizes
    }
    fn final_activation(&self) -> Option<ActivationSpec> {
        Some(self.act)
    }
    fn pre_activation<'a>(&'a self, _x: &'a [f32], y: &'a [f32]) -> Option<&'a [f32]> {
        Some(if self.is_linear() { y } else { &self.z })
    }

    fn forward(&mut self, x: &[f32], n: usize, params: &[Vec<f32>], _state: &mut [Vec<f32>], _ctx: &Ctx, y: &mut [f32]) -> Result<()> {
        let d = self.dims(n)?;
        let bias = if self.use_bias { Some(params[1].as_slice()) } else { None };
        let tiny = dense::is_tiny(d);
        // z = x W, then one pass over it for the bias and the activation.
        if self.is_linear() {
            if tiny {
                dense::tiny_forward(x, &params[0], d, y);
            } else {
                gemm(d.batch, d.inputs, d.units, x, Layout::Normal, &params[0], Layout::Normal, y, false)?;
            }
            if let Some(b) = bias {
                activation::add_bias(b, y);
            }
            return Ok(());
        }
        self.z.resize(y.len(), 0.0);
        if tiny {
            dense::tiny_forward(x, &params[0], d, &mut self.z);
        } else {
            gemm(d.batch, d.inputs, d.units, x, Layout::Normal, &params[0], Layout::Normal, &mut self.z, false)?;
        }
        activation::bias_forward_unchecked(&self.act, bias, &mut self.z, self.units, y);
        Ok(())
    }

    fn backward(
        &mut self,
        x: &[f32],
        y: &[f32],
        dy: &[f32],
        grad_of: GradOf,
        n: usize,
        params: &[Vec<f32>],
        grads: &mut [Vec<f32>],
        dx: Option<&mut [f32]>,
        _ctx: &Ctx,
    ) -> Result<()> {
        let d = self.dims(n)?;
        let dz: &[f32] = if self.is_linear() || grad_of == GradOf::PreActivation {
            dy
        } else {
            self.dz.resize(dy.len(), 0.0);
            activation::backward_unchecked(&self.act, &self.z, y, dy, self.units, &mut self.dz);
            &self.dz
        };
        let (dw, rest) = grads.split_first_mut().expect("dense has a weight gradient");
        let db = if self.use_bias { rest.first_mut().map(|v| v.as_mut_slice()) } else { None };
        if dense::is_tiny(d) {
            dense::tiny_backward(x, &params[0], dz, d, dx, dw, db);
            return Ok(());
        }
        dense::backward(x, &params[0], dz, d, dx, dw, db)
    }
}
