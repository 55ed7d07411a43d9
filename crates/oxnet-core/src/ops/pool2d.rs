//! Max and average pooling (no parameters). Max pooling keeps the argmax of its training forward
//! so backward does not search the windows again.
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, NodeShape, Op, Reads};
use crate::error::Result;
use crate::pool::{self, Pool2dGeometry};
use crate::spec::Shape3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pool2dSpec {
    pub in_shape: Shape3,
    pub pool: [usize; 2],
    pub strides: [usize; 2],
    pub padding: [usize; 4],
}

impl Pool2dSpec {
    pub fn geometry(&self) -> Pool2dGeometry {
        Pool2dGeometry {
            batch: 1,
            in_h: self.in_shape[0],
            in_w: self.in_shape[1],
            channels: self.in_shape[2],
            pool_h: self.pool[0],
            pool_w: self.pool[1],
            stride_h: self.strides[0],
            stride_w: self.strides[1],
            pad_top: self.padding[0],
            pad_bottom: self.padding[1],
            pad_left: self.padding[2],
            pad_right: self.padding[3],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    Avg,
}

pub struct Pool2d {
    kind: PoolKind,
    geometry: Pool2dGeometry,
    argmax: Vec<usize>,
    /// `argmax` belongs to the last forward.
    argmax_valid: bool,
}

impl Pool2d {
    pub fn new(spec: &Pool2dSpec, kind: PoolKind, shape: &NodeShape) -> Result<Self> {
        let geometry = spec.geometry();
        geometry.validate()?;
        let name = if kind == PoolKind::Max { "maxPool2d" } else { "avgPool2d" };
        shape.expect(name, &[geometry.in_sample_len()], geometry.out_sample_len(), &[], &[])?;
        Ok(Pool2d { kind, geometry, argmax: Vec::new(), argmax_valid: false })
    }

    fn with_batch(&self, n: usize) -> Result<Pool2dGeometry> {
        let g = Pool2dGeometry { batch: n, ..self.geometry };
        g.validate()?;
        Ok(g)
    }
}

impl Op for Pool2d {
    fn backward_reads(&self) -> Reads {
        // Average pooling spreads dout evenly; max pooling may re-search x when no argmax is kept.
        Reads { inputs: self.kind == PoolKind::Max, output: false }
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        let g = self.with_batch(f.n)?;
        let (x, y) = (f.inputs.x(), f.out);
        match self.kind {
            PoolKind::Avg => pool::avg_pool2d_forward(&g, x, y),
            PoolKind::Max if f.ctx.training => {
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

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        let Some(dx) = b.dinputs.get(0) else { return Ok(()) };
        let g = self.with_batch(b.n)?;
        match self.kind {
            PoolKind::Avg => pool::avg_pool2d_backward(&g, b.dout, dx),
            PoolKind::Max if self.argmax_valid && self.argmax.len() == g.y_len() => {
                pool::max_pool2d_backward_from_argmax(&g, &self.argmax, b.dout, dx)
            }
            PoolKind::Max => pool::max_pool2d_backward(&g, b.inputs.x(), b.dout, dx),
        }
        Ok(())
    }
}
