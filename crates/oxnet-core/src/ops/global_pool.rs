//! Global pooling: [h, w, c] -> [c], the mean (or the maximum) of each channel over all pixels.
//! Global max keeps the argmax of its training forward (one pixel index per sample and channel),
//! so backward reads neither the input nor the output.
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, NodeShape, Op, Reads};
use crate::error::{expect_positive, CoreError, ErrorCode, Result};
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
    Max,
}

impl GlobalKind {
    fn name(self) -> &'static str {
        match self {
            GlobalKind::Avg => "globalAvgPool2d",
            GlobalKind::Max => "globalMaxPool2d",
        }
    }
}

pub struct GlobalPool {
    kind: GlobalKind,
    pixels: usize,
    channels: usize,
    /// Max: the pixel of each (sample, channel) maximum of the last training forward.
    argmax: Vec<u32>,
    /// Samples of the training forward `argmax` belongs to; 0 after an inference forward.
    argmax_for: usize,
}

impl GlobalPool {
    pub fn new(spec: &GlobalPoolSpec, kind: GlobalKind, shape: &NodeShape) -> Result<Self> {
        let op = kind.name();
        let [h, w, c] = spec.in_shape;
        expect_positive(op, "inShape[0] (height)", h)?;
        expect_positive(op, "inShape[1] (width)", w)?;
        expect_positive(op, "inShape[2] (channels)", c)?;
        crate::conv::checked_count(op, "inShape (height*width*channels)", &[h, w, c], crate::conv::MAX_ELEMENTS)?;
        shape.expect(op, &[h * w * c], c, &[], &[])?;
        Ok(GlobalPool { kind, pixels: h * w, channels: c, argmax: Vec::new(), argmax_for: 0 })
    }
}

impl Op for GlobalPool {
    fn backward_reads(&self) -> Reads {
        // Average spreads dout evenly; max routes it through the argmax kept by the forward.
        Reads::NOTHING
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        let (n, p, c) = (f.n, self.pixels, self.channels);
        match self.kind {
            GlobalKind::Avg => pool::global_avg_pool_forward(n, p, c, f.inputs.x(), f.out),
            GlobalKind::Max if f.ctx.training => {
                self.argmax.resize(n * c, 0);
                pool::global_max_pool_forward(n, p, c, f.inputs.x(), f.out, Some(&mut self.argmax));
                self.argmax_for = n;
            }
            GlobalKind::Max => {
                pool::global_max_pool_forward(n, p, c, f.inputs.x(), f.out, None);
                self.argmax_for = 0;
            }
        }
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        let (n, p, c) = (b.n, self.pixels, self.channels);
        if self.kind == GlobalKind::Max && self.argmax_for != n {
            return Err(CoreError::new(
                ErrorCode::State,
                "globalMaxPool2d: backward needs a training-mode forward of the same batch first",
            ));
        }
        let Some(dx) = b.dinputs.get(0) else { return Ok(()) };
        match self.kind {
            GlobalKind::Avg => pool::global_avg_pool_backward(n, p, c, b.dout, dx),
            GlobalKind::Max => pool::global_max_pool_backward(n, p, c, &self.argmax, b.dout, dx),
        }
        Ok(())
    }
}
