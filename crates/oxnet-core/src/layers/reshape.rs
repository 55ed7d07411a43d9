//! Flatten / reshape: the flat buffer is already in order, so forward and backward are copies.
use crate::error::{expect_positive, Result};
use crate::layer::{Ctx, GradOf, Layer};
use crate::spec::ReshapeSpec;

pub struct ReshapeLayer {
    size: usize,
}

impl ReshapeLayer {
    pub fn new(spec: &ReshapeSpec) -> Result<Self> {
        expect_positive("reshape", "size", spec.size)?;
        Ok(ReshapeLayer { size: spec.size })
    }
}

impl Layer for ReshapeLayer {
    fn in_size(&self) -> usize {
        self.size
    }
    fn out_size(&self) -> usize {
        self.size
    }
    fn forward(&mut self, x: &[f32], _n: usize, _params: &[Vec<f32>], _state: &mut [Vec<f32>], _ctx: &Ctx, y: &mut [f32]) -> Result<()> {
        y.copy_from_slice(x);
        Ok(())
    }
    fn backward(
        &mut self,
        _x: &[f32],
        _y: &[f32],
        dy: &[f32],
        _grad_of: GradOf,
        _n: usize,
        _params: &[Vec<f32>],
        _grads: &mut [Vec<f32>],
        dx: Option<&mut [f32]>,
        _ctx: &Ctx,
    ) -> Result<()> {
        if let Some(dx) = dx {
            dx.copy_from_slice(dy);
        }
        Ok(())
    }
}
