//! Upsampling [h, w, c] -> [h sh, w sw, c] (no parameters): nearest repeats pixels, bilinear is
//! TensorFlow's half-pixel interpolation (crate::upsample has the formulas). The bilinear taps of
//! both axes are computed once, when the op is built.
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, NodeShape, Op, Reads};
use crate::error::Result;
use crate::spec::Shape3;
use crate::upsample::{self, AxisTaps, UpSample2dGeometry};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Interpolation {
    Nearest,
    Bilinear,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpSample2dSpec {
    pub in_shape: Shape3,
    /// Factors [sh, sw].
    pub size: [usize; 2],
    pub interpolation: Interpolation,
}

impl UpSample2dSpec {
    pub fn geometry(&self) -> UpSample2dGeometry {
        UpSample2dGeometry {
            in_h: self.in_shape[0],
            in_w: self.in_shape[1],
            channels: self.in_shape[2],
            size_h: self.size[0],
            size_w: self.size[1],
        }
    }
}

pub struct UpSample2d {
    geometry: UpSample2dGeometry,
    /// Bilinear taps of the rows and the columns (None: nearest).
    taps: Option<(AxisTaps, AxisTaps)>,
}

impl UpSample2d {
    pub fn new(spec: &UpSample2dSpec, shape: &NodeShape) -> Result<Self> {
        let g = spec.geometry();
        g.validate()?;
        shape.expect("upSample2d", &[g.in_sample_len()], g.out_sample_len(), &[], &[])?;
        let taps = match spec.interpolation {
            Interpolation::Nearest => None,
            Interpolation::Bilinear => Some((AxisTaps::bilinear(g.in_h, g.size_h), AxisTaps::bilinear(g.in_w, g.size_w))),
        };
        Ok(UpSample2d { geometry: g, taps })
    }
}

impl Op for UpSample2d {
    fn backward_reads(&self) -> Reads {
        Reads::NOTHING // linear: backward needs dout only
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        let g = &self.geometry;
        match &self.taps {
            None => upsample::nearest_forward(g, f.inputs.x(), f.out),
            Some((ty, tx)) => upsample::bilinear_forward(g, ty, tx, f.inputs.x(), f.out),
        }
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        let Some(dx) = b.dinputs.get(0) else { return Ok(()) };
        let g = &self.geometry;
        match &self.taps {
            None => upsample::nearest_backward(g, b.dout, dx),
            Some((ty, tx)) => upsample::bilinear_backward(g, ty, tx, b.dout, dx),
        }
        Ok(())
    }
}
