//! Global pooling: [h, w, c] -> [c], the mean (or the maximum) of each channel over all pixels.
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, NodeShape, Op, Reads};
use crate::error::{expect_positive, Result};
use crate::pool;
use crate::spec::Shape3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlobalPoolSpec {
    pub in_shape: Shape3,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobalKind {
    Avg,
}

pub struct GlobalPool {
    pixels: usize,
    channels: usize,
}

impl GlobalPool {
    pub fn new(spec: &GlobalPoolSpec, kind: GlobalKind, shape: &NodeShape) -> Result<Self> {
        let GlobalKind::Avg = kind;
        let op = "globalAvgPool2d";
        let [h, w, c] = spec.in_shape;
        expect_positive(op, "inShape[0] (height)", h)?;
        expect_positive(op, "inShape[1] (width)", w)?;
        expect_positive(op, "inShape[2] (channels)", c)?;
        crate::conv::checked_count(op, "inShape (height*width*channels)", &[h, w, c], crate::conv::MAX_ELEMENTS)?;
        shape.expect(op, &[h * w * c], c, &[], &[])?;
        Ok(GlobalPool { pixels: h * w, channels: c })
    }
}

impl Op for GlobalPool {
    fn backward_reads(&self) -> Reads {
        Reads::NOTHING
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        pool::global_avg_pool_forward(f.n, self.pixels, self.channels, f.inputs.x(), f.out);
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        if let Some(dx) = b.dinputs.get(0) {
            pool::global_avg_pool_backward(b.n, self.pixels, self.channels, b.dout, dx);
        }
        Ok(())
    }
}
