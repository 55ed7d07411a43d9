//! Stand-alone activation layer (softmax works per sample of `size`).
use crate::activation;
use crate::error::{expect_positive, Result};
use crate::layer::{Ctx, GradOf, Layer};
use crate::spec::{ActivationLayerSpec, ActivationSpec};

pub struct ActivationLayer {
    size: usize,
    act: ActivationSpec,
}

impl ActivationLayer {
    pub fn new(spec: &ActivationLayerSpec) -> Result<Self> {
        expect_positive("activation", "size", spec.size)?;
        activation::validate("activation", &spec.activation, spec.size, spec.size)?;
        Ok(ActivationLayer { size: spec.size, act: spec.activation })
    }
}

impl Layer for ActivationLayer {
    fn in_size(&self) -> usize {
        self.size
    }
    fn out_size(&self) -> usize {
        self.size
    }
    fn final_activation(&self) -> Option<ActivationSpec> {
        Some(self.act)
    }
    fn pre_activation<'a>(&'a self, x: &'a [f32], _y: &'a [f32]) -> Option<&'a [f32]> {
        Some(x)
    }
    fn forward(&mut self, x: &[f32], _n: usize, _params: &[Vec<f32>], _state: &mut [Vec<f32>], _ctx: &Ctx, y: &mut [f32]) -> Result<()> {
        activation::forward_unchecked(&self.act, x, self.size, y);
        Ok(())
    }
    fn backward(
        &mut self,
        x: &[f32],
        y: &[f32],
        dy: &[f32],
        grad_of: GradOf,
        _n: usize,
        _params: &[Vec<f32>],
        _grads: &mut [Vec<f32>],
        dx: Option<&mut [f32]>,
        _ctx: &Ctx,
    ) -> Result<()> {
        if let Some(dx) = dx {
            match grad_of {
                GradOf::PreActivation => dx.copy_from_slice(dy),
                GradOf::Output => activation::backward_unchecked(&self.act, x, y, dy, self.size, dx),
            }
        }
        Ok(())
    }
}
