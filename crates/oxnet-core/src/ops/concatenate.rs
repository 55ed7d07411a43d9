//! Concatenation along one axis (Keras's Concatenate) as a strided copy: per sample the output has
//! `outer` rows (the product of the dims before the axis), and in each row input k contributes
//! `widths[k]` floats (the product of its dims from the axis on), input after input. Backward
//! splits dout the same way; it reads nothing else.
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, NodeShape, Op, Reads};
use crate::conv::{checked_count, MAX_ELEMENTS};
use crate::error::{expect_positive, CoreError, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConcatenateSpec {
    /// Rows per sample: the product of the dims before the axis.
    pub outer: usize,
    /// Floats of each row per input: the product of input k's dims from the axis on.
    pub widths: Vec<usize>,
}

impl ConcatenateSpec {
    /// Floats per sample of the output.
    pub fn out_size(&self) -> usize {
        self.outer * self.widths.iter().sum::<usize>()
    }
}

pub struct Concatenate {
    widths: Vec<usize>,
    /// Where input k starts in each output row.
    starts: Vec<usize>,
    /// Floats of each output row (the sum of the widths).
    row: usize,
}

impl Concatenate {
    pub fn new(spec: &ConcatenateSpec, shape: &NodeShape) -> Result<Self> {
        let op = "concatenate";
        expect_positive(op, "outer", spec.outer)?;
        if spec.widths.len() < 2 {
            return Err(CoreError::config(format!("{op}: widths must list at least two inputs, got {:?}", spec.widths)));
        }
        for (k, &w) in spec.widths.iter().enumerate() {
            expect_positive(op, &format!("widths[{k}]"), w)?;
        }
        let row = spec.widths.iter().try_fold(0usize, |a, &w| a.checked_add(w));
        let row = row.ok_or_else(|| CoreError::shape(format!("{op}: widths {:?} overflow", spec.widths)))?;
        checked_count(op, "output (outer*sum(widths))", &[spec.outer, row], MAX_ELEMENTS)?;
        let inputs: Vec<usize> = spec.widths.iter().map(|w| spec.outer * w).collect();
        shape.expect(op, &inputs, spec.outer * row, &[], &[])?;
        let starts = spec.widths.iter().scan(0, |at, &w| Some(std::mem::replace(at, *at + w))).collect();
        Ok(Concatenate { widths: spec.widths.clone(), starts, row })
    }
}

impl Op for Concatenate {
    fn backward_reads(&self) -> Reads {
        Reads::NOTHING
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        for (k, (&w, &at)) in self.widths.iter().zip(&self.starts).enumerate() {
            for (dst, src) in f.out.chunks_exact_mut(self.row).zip(f.inputs.get(k).chunks_exact(w)) {
                dst[at..at + w].copy_from_slice(src);
            }
        }
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        for (k, (&w, &at)) in self.widths.iter().zip(&self.starts).enumerate() {
            let Some(dx) = b.dinputs.get(k) else { continue };
            for (dst, src) in dx.chunks_exact_mut(w).zip(b.dout.chunks_exact(self.row)) {
                dst.copy_from_slice(&src[at..at + w]);
            }
        }
        Ok(())
    }
}
