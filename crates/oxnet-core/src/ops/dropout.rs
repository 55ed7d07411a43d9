//! Inverted dropout: in training, each element is dropped when its mulberry32 draw u < rate and
//! kept ones are scaled by 1 / (1 - rate); the mask seed depends on (seed, step, node index) as
//! docs/kernels.md specifies, so the js backend draws the same mask. Inference: identity.
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, NodeShape, Op, Reads};
use crate::error::{expect_positive, Result};
use crate::norm;
use crate::rng::dropout_seed;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DropoutSpec {
    pub size: usize,
    pub rate: f64,
}

pub struct Dropout {
    rate: f64,
    /// 0 or 1 / (1 - rate) per element of the last training forward.
    mask: Vec<f32>,
    /// The last forward applied `mask` (training with rate > 0).
    masked: bool,
}

impl Dropout {
    pub fn new(spec: &DropoutSpec, shape: &NodeShape) -> Result<Self> {
        expect_positive("dropout", "size", spec.size)?;
        norm::check_dropout_rate(spec.rate)?;
        shape.expect("dropout", &[spec.size], spec.size, &[], &[])?;
        Ok(Dropout { rate: spec.rate, mask: Vec::new(), masked: false })
    }
}

impl Op for Dropout {
    fn backward_reads(&self) -> Reads {
        Reads::NOTHING
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        let x = f.inputs.x();
        self.masked = f.ctx.training && self.rate > 0.0;
        if !self.masked {
            f.out.copy_from_slice(x);
            return Ok(());
        }
        self.mask.resize(x.len(), 0.0);
        norm::dropout_mask(self.rate, dropout_seed(f.ctx.seed, f.ctx.step, f.ctx.node), &mut self.mask);
        norm::apply_mask(&self.mask, x, f.out);
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        match b.dinputs.get(0) {
            Some(dx) if self.masked => norm::apply_mask(&self.mask, b.dout, dx),
            Some(dx) => dx.copy_from_slice(b.dout),
            None => {}
        }
        Ok(())
    }
}
