//! DepthwiseConv2d: y[.., i*m + j] = f(b + sum over the window of x[.., i] K[ky, kx, i, j]), NHWC,
//! K [kh, kw, c, m]. Params [K, b?]. Runs the direct depthwise kernels (conv/depthwise.rs) and
//! keeps the padded, expanded input and the pre-activation from forward for backward.
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, GradOf, Inputs, NodeShape, Op};
use crate::activation;
use crate::conv::depthwise::{self, DepthwisePlan, DepthwiseScratch};
use crate::conv::{checked_count, Conv2dGeometry, ConvGrads, MAX_ELEMENTS};
use crate::error::Result;
use crate::spec::{ActivationKind, ActivationSpec, Shape3};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepthwiseConv2dSpec {
    pub in_shape: Shape3,
    pub depth_multiplier: usize,
    pub kernel: [usize; 2],
    pub strides: [usize; 2],
    /// [top, bottom, left, right], already resolved from 'valid' / 'same'.
    pub padding: [usize; 4],
    pub dilation: [usize; 2],
    pub use_bias: bool,
    pub activation: ActivationSpec,
}

impl DepthwiseConv2dSpec {
    /// The window geometry of one sample, with `filters` = the depth multiplier (so its kernel
    /// count kh*kw*c*m is this op's).
    pub fn geometry(&self) -> Conv2dGeometry {
        Conv2dGeometry {
            batch: 1,
            in_h: self.in_shape[0],
            in_w: self.in_shape[1],
            in_c: self.in_shape[2],
            filters: self.depth_multiplier,
            kh: self.kernel[0],
            kw: self.kernel[1],
            stride_h: self.strides[0],
            stride_w: self.strides[1],
            pad_top: self.padding[0],
            pad_bottom: self.padding[1],
            pad_left: self.padding[2],
            pad_right: self.padding[3],
            dil_h: self.dilation[0],
            dil_w: self.dilation[1],
        }
    }

    /// Output channels: c * m.
    pub fn channels(&self) -> usize {
        self.in_shape[2] * self.depth_multiplier
    }

    /// Floats of one output sample (0 for an invalid geometry, which `validate` refuses).
    pub fn out_sample_len(&self) -> usize {
        let g = self.geometry();
        g.out_h() * g.out_w() * self.channels()
    }
}

pub struct DepthwiseConv2d {
    geometry: Conv2dGeometry,
    use_bias: bool,
    activation: ActivationSpec,
    plan: DepthwisePlan,
    scratch: DepthwiseScratch,
    /// Pre-activation of the last forward (unused when linear: y is it).
    pre: Vec<f32>,
}

impl DepthwiseConv2d {
    pub fn new(spec: &DepthwiseConv2dSpec, shape: &NodeShape) -> Result<Self> {
        let geometry = spec.geometry();
        validate(&geometry)?;
        let cm = spec.channels();
        activation::validate("depthwiseConv2d", &spec.activation, spec.out_sample_len(), cm)?;
        let w = geometry.kh * geometry.kw * cm;
        let params: &[usize] = if spec.use_bias { &[w, cm] } else { &[w] };
        shape.expect("depthwiseConv2d", &[geometry.in_sample_len()], spec.out_sample_len(), params, &[])?;
        Ok(DepthwiseConv2d {
            geometry,
            use_bias: spec.use_bias,
            activation: spec.activation,
            plan: DepthwisePlan::new(&geometry),
            scratch: DepthwiseScratch::default(),
            pre: Vec::new(),
        })
    }

    fn check_batch(&self, n: usize) -> Result<()> {
        validate(&Conv2dGeometry { batch: n, ..self.geometry })
    }

    fn is_linear(&self) -> bool {
        self.activation.kind == ActivationKind::Linear
    }
}

/// The conv geometry's checks, plus the output (c * m channels) and the expanded padded batch.
fn validate(g: &Conv2dGeometry) -> Result<()> {
    g.validate()?;
    let (ph, pw) = (g.in_h + g.pad_top + g.pad_bottom, g.in_w + g.pad_left + g.pad_right);
    let op = "depthwiseConv2d";
    checked_count(
        op,
        "output (batch*outHeight*outWidth*channels*multiplier)",
        &[g.batch, g.out_h(), g.out_w(), g.in_c, g.filters],
        MAX_ELEMENTS,
    )?;
    checked_count(
        op,
        "expanded padded input (batch*paddedHeight*paddedWidth*channels*multiplier)",
        &[g.batch, ph, pw, g.in_c, g.filters],
        MAX_ELEMENTS,
    )?;
    Ok(())
}

impl Op for DepthwiseConv2d {
    fn pre_activation<'a>(&'a self, _inputs: &Inputs<'a>, out: &'a [f32]) -> Option<&'a [f32]> {
        Some(if self.is_linear() { out } else { &self.pre })
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        let (x, n, params, y) = (f.inputs.x(), f.n, f.params, f.out);
        self.check_batch(n)?;
        let bias = self.use_bias.then(|| params[1].as_slice());
        self.scratch.expand_input(&self.plan, n, x);
        if self.is_linear() {
            depthwise::forward(&self.plan, &self.scratch, &params[0], bias, y, None);
        } else {
            self.pre.resize(y.len(), 0.0);
            depthwise::forward(&self.plan, &self.scratch, &params[0], bias, &mut self.pre, Some((&self.activation, y)));
        }
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        let (x, y, dy, n, params, grads) = (b.inputs.x(), b.out, b.dout, b.n, b.params, &mut *b.grads);
        self.check_batch(n)?;
        // Backward follows the forward of the same x, whose expanded copy is kept.
        if self.scratch.samples(&self.plan) != n {
            self.scratch.expand_input(&self.plan, n, x);
        }
        let post = (b.grad_of == GradOf::Output && !self.is_linear()).then_some((&self.activation, self.pre.as_slice(), y));
        let (dw, rest) = grads.split_first_mut().expect("depthwiseConv2d grads [K, b?]");
        let db = rest.first_mut().map(|b| b.as_mut_slice());
        depthwise::backward(&self.plan, &mut self.scratch, &params[0], dy, post, ConvGrads { dx: b.dinputs.get(0), dw, db });
        Ok(())
    }
}
