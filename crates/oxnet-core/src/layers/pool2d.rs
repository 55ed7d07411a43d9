//! Max and average pooling layers (no parameters). Max pooling keeps the argmax of its training
//! forward so backward does not search the windows again.
use crate::error::Result;
use crate::layer::{Ctx, GradOf, Layer};
use crate::pool::{self, Pool2dGeometry};
use crate::spec::Pool2dSpec;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    Avg,
}

pub struct Pool2dLayer {
    kind: PoolKind,
    geometry: Pool2dGeometry,
    argmax: Vec<usize>,
    /// `argmax` belongs to the last forward.
    argmax_valid: bool,
}

impl Pool2dLayer {
    pub fn new(spec: &Pool2dSpec, kind: PoolKind) -> Result<Self> {
        let geometry = Pool2dGeometry {
            batch: 1,
            in_h: spec.in_shape[0],
            in_w: spec.in_shape[1],
            channels: spec.in_shape[2],
            pool_h: spec.pool[0],
            pool_w: spec.pool[1],
            stride_h: spec.strides[0],
            stride_w: spec.strides[1],
            pad_top: spec.padding[0],
            pad_bottom: spec.padding[1],
            pad_left: spec.padding[2],
            pad_right: spec.padding[3],
        };
        geometry.validate()?;
        Ok(Pool2dLayer { kind, geometry, argmax: Vec::new(), argmax_valid: false })
    }

    fn with_batch(&self, n: usize) -> Result<Pool2dGeometry> {
        let g = Pool2dGeometry { batch: n, ..self.geometry };
        g.validate()?;
        Ok(g)
    }
}

impl Layer for Pool2dLayer {
    fn in_size(&self) -> usize {
        self.geometry.in_sample_len()
    }
    fn out_size(&self) -> usize {
        self.geometry.out_sample_len()
    }

    fn forward(&mut self, x: &[f32], n: usize, _params: &[Vec<f32>], _state: &mut [Vec<f32>], ctx: &Ctx, y: &mut [f32]) -> Result<()> {
        let g = self.with_batch(n)?;
        match self.kind {
            PoolKind::Avg => pool::avg_pool2d_forward(&g, x, y),
            PoolKind::Max if ctx.training => {
                self.argmax.resize(g.y_len(), 0);
                pool::max_pool2d_forward(&g, x, y, Some(&mut self.argmax));
                self.argmax_valid = true;
            }
            PoolKind::Max => {
                pool::max_pool2d_forward(&g, x, y, None);
                self.argmax_valid = false;
            }
        }
        Ok(())
    }

    fn backward(
        &mut self,
        x: &[f32],
        _y: &[f32],
        dy: &[f32],
        _grad_of: GradOf,
        n: usize,
        _params: &[Vec<f32>],
        _grads: &mut [Vec<f32>],
        dx: Option<&mut [f32]>,
        _ctx: &Ctx,
    ) -> Result<()> {
        let Some(dx) = dx else { return Ok(()) };
        let g = self.with_batch(n)?;
        match self.kind {
            PoolKind::Avg => pool::avg_pool2d_backward(&g, dy, dx),
            PoolKind::Max if self.argmax_valid && self.argmax.len() == g.y_len() => {
                pool::max_pool2d_backward_from_argmax(&g, &self.argmax, dy, dx)
            }
            PoolKind::Max => pool::max_pool2d_backward(&g, x, dy, dx),
        }
        Ok(())
    }
}
