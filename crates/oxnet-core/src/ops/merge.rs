//! Element-wise merges of inputs of one shape (Keras's Add, Subtract, Multiply, Average, Maximum):
//! add y = Σ x_k; subtract y = x_0 - x_1; multiply y = Π x_k; average y = Σ x_k / K; maximum
//! y = max_k x_k, whose gradient goes to the first input holding the maximum.
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, NodeShape, Op, Reads};
use crate::error::{expect_positive, CoreError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MergeKind {
    Add,
    Subtract,
    Multiply,
    Average,
    Maximum,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeSpec {
    pub kind: MergeKind,
    /// Floats per sample of every input and of the output.
    pub size: usize,
    /// Number of inputs (2 for subtract, at least 2 otherwise).
    pub count: usize,
}

pub struct Merge {
    kind: MergeKind,
}

impl Merge {
    pub fn new(spec: &MergeSpec, shape: &NodeShape) -> Result<Self> {
        expect_positive("merge", "size", spec.size)?;
        let ok = if spec.kind == MergeKind::Subtract { spec.count == 2 } else { spec.count >= 2 };
        if !ok {
            return Err(CoreError::config(format!("merge {:?}: {} inputs given", spec.kind, spec.count)));
        }
        shape.expect("merge", &vec![spec.size; spec.count], spec.size, &[], &[])?;
        Ok(Merge { kind: spec.kind })
    }
}

impl Op for Merge {
    fn backward_reads(&self) -> Reads {
        match self.kind {
            MergeKind::Multiply | MergeKind::Maximum => Reads { inputs: true, output: false },
            MergeKind::Add | MergeKind::Subtract | MergeKind::Average => Reads::NOTHING,
        }
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        let (ins, y) = (&f.inputs, f.out);
        let k = ins.len();
        y.copy_from_slice(ins.get(0));
        match self.kind {
            MergeKind::Add | MergeKind::Average => {
                for i in 1..k {
                    y.iter_mut().zip(ins.get(i)).for_each(|(a, b)| *a += b);
                }
                if self.kind == MergeKind::Average {
                    let scale = 1.0 / k as f32;
                    y.iter_mut().for_each(|a| *a *= scale);
                }
            }
            MergeKind::Subtract => y.iter_mut().zip(ins.get(1)).for_each(|(a, b)| *a -= b),
            MergeKind::Multiply => {
                for i in 1..k {
                    y.iter_mut().zip(ins.get(i)).for_each(|(a, b)| *a *= b);
                }
            }
            MergeKind::Maximum => {
                for i in 1..k {
                    y.iter_mut().zip(ins.get(i)).for_each(|(a, b)| {
                        if *b > *a {
                            *a = *b
                        }
                    });
                }
            }
        }
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        let k = b.inputs.len();
        let dy = b.dout;
        for i in 0..k {
            let Some(dx) = b.dinputs.get(i) else { continue };
            match self.kind {
                MergeKind::Add => dx.copy_from_slice(dy),
                MergeKind::Subtract if i == 0 => dx.copy_from_slice(dy),
                MergeKind::Subtract => dx.iter_mut().zip(dy).for_each(|(d, g)| *d = -g),
                MergeKind::Average => {
                    let scale = 1.0 / k as f32;
                    dx.iter_mut().zip(dy).for_each(|(d, g)| *d = g * scale);
                }
                MergeKind::Multiply => {
                    // dx_i = dy Π_{j != i} x_j, without dividing (inputs may hold zeros).
                    dx.copy_from_slice(dy);
                    for j in (0..k).filter(|&j| j != i) {
                        dx.iter_mut().zip(b.inputs.get(j)).for_each(|(d, x)| *d *= x);
                    }
                }
                MergeKind::Maximum => {
                    let xi = b.inputs.get(i);
                    for (e, (d, g)) in dx.iter_mut().zip(dy).enumerate() {
                        // Input i wins element e when no earlier input reaches its value and no later one beats it.
                        let v = xi[e];
                        let wins = (0..i).all(|j| b.inputs.get(j)[e] < v) && (i + 1..k).all(|j| b.inputs.get(j)[e] <= v);
                        *d = if wins { *g } else { 0.0 };
                    }
                }
            }
        }
        Ok(())
    }
}
