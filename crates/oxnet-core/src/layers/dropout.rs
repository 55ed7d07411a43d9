//! Inverted dropout: in training, each element is dropped when its mulberry32 draw u < rate and
//! kept ones are scaled by 1 / (1 - rate); the mask seed depends on (seed, step, layer index) as
//! docs/kernels.md specifies, so the js backend draws the same mask. Inference: identity.
use crate::error::{expect_positive, Result};
use crate::layer::{Ctx, GradOf, Layer};
use crate::norm;
use crate::rng::dropout_seed;
use crate::spec::DropoutSpec;

pub struct DropoutLayer {
    size: usize,
    rate: f64,
    /// 0 or 1 / (1 - rate) per element of the last training forward.
    mask: Vec<f32>,
    /// The last forward applied `mask` (training with rate > 0).
    masked: bool,
}

impl DropoutLayer {
    pub fn new(spec: &DropoutSpec) -> Result<Self> {
        expect_positive("dropout", "size", spec.size)?;
        norm::check_dropout_rate(spec.rate)?;
        Ok(DropoutLayer { size: spec.size, rate: spec.rate, mask: Vec::new(), masked: false })
    }
}

impl Layer for DropoutLayer {
    fn in_size(&self) -> usize {
        self.size
    }
    fn out_size(&self) -> usize {
        self.size
    }

    fn forward(&mut self, x: &[f32], _n: usize, _params: &[Vec<f32>], _state: &mut [Vec<f32>], ctx: &Ctx, y: &mut [f32]) -> Result<()> {
        self.masked = ctx.training && self.rate > 0.0;
        if !self.masked {
            y.copy_from_slice(x);
            return Ok(());
        }
        self.mask.resize(x.len(), 0.0);
        norm::dropout_mask(self.rate, dropout_seed(ctx.seed, ctx.step, ctx.layer_index), &mut self.mask);
        norm::apply_mask(&self.mask, x, y);
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
        match dx {
            Some(dx) if self.masked => norm::apply_mask(&self.mask, dy, dx),
            Some(dx) => dx.copy_from_slice(dy),
            None => {}
        }
        Ok(())
    }
}
