//! Flatten / reshape: the flat channels-last buffer is already in order, so forward and backward
//! are copies.
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, NodeShape, Op, Reads};
use crate::error::{expect_positive, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReshapeSpec {
    pub size: usize,
}

pub struct Reshape;

impl Reshape {
    pub fn new(spec: &ReshapeSpec, shape: &NodeShape) -> Result<Self> {
        expect_positive("reshape", "size", spec.size)?;
        shape.expect("reshape", &[spec.size], spec.size, &[], &[])?;
        Ok(Reshape)
    }
}

impl Op for Reshape {
    fn backward_reads(&self) -> Reads {
        Reads::NOTHING
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        f.out.copy_from_slice(f.inputs.x());
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        if let Some(dx) = b.dinputs.get(0) {
            dx.copy_from_slice(b.dout);
        }
        Ok(())
    }
}
