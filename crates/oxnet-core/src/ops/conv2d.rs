//! Conv2d: y = f(conv(x, K) + b), NHWC in and out, K [kh, kw, cin, filters] (HWIO). Params [K, b?].
//! Runs the direct kernels (conv/direct.rs) or im2col + GEMM, chosen by shape per direction
//! (`Paths`); keeps the padded input or the im2col matrix and the pre-activation from forward for
//! backward.
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, GradOf, Inputs, NodeShape, Op};
use crate::activation;
use crate::conv::direct::{self, DirectPlan, DirectScratch};
use crate::conv::{self, Conv2dGeometry, ConvGrads, Paths};
use crate::error::Result;
use crate::spec::{ActivationKind, ActivationSpec, Precision, Shape3};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conv2dSpec {
    pub in_shape: Shape3,
    pub filters: usize,
    pub kernel: [usize; 2],
    pub strides: [usize; 2],
    /// [top, bottom, left, right], already resolved from 'valid' / 'same'.
    pub padding: [usize; 4],
    pub dilation: [usize; 2],
    pub use_bias: bool,
    pub activation: ActivationSpec,
    /// Bfloat16: the three products run in crate::bf16 (im2col + its GEMM, whatever `Paths` says).
    #[serde(default, skip_serializing_if = "Precision::is_float32")]
    pub precision: Precision,
}

impl Conv2dSpec {
    /// The geometry of one sample.
    pub fn geometry(&self) -> Conv2dGeometry {
        Conv2dGeometry {
            batch: 1,
            in_h: self.in_shape[0],
            in_w: self.in_shape[1],
            in_c: self.in_shape[2],
            filters: self.filters,
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
}

pub struct Conv2d {
    /// Geometry of one sample; `with_batch` gives the per-call one.
    geometry: Conv2dGeometry,
    use_bias: bool,
    activation: ActivationSpec,
    plan: DirectPlan,
    /// Padded input of the last forward and backward's buffers.
    scratch: DirectScratch,
    /// Pre-activation of the last forward (unused when the activation is linear: y is it).
    pre: Vec<f32>,
    paths: Paths,
    /// im2col(x) of the last forward when `col_holds_x` (an im2col forward), for backward.
    col: Vec<f32>,
    col_holds_x: bool,
    /// dL/d(pre-activation) of an im2col backward.
    dpre: Vec<f32>,
    /// The bfloat16 products' scratch, when the spec asks for them.
    bf16: Option<crate::bf16::conv::Scratch>,
}

impl Conv2d {
    pub fn new(spec: &Conv2dSpec, shape: &NodeShape) -> Result<Self> {
        let geometry = spec.geometry();
        geometry.validate()?;
        // Softmax, if asked for, runs over the filters of each pixel (as the js backend does).
        activation::validate("conv2d", &spec.activation, geometry.out_sample_len(), spec.filters)?;
        let (w, b) = (geometry.w_len(), geometry.filters);
        let params: &[usize] = if spec.use_bias { &[w, b] } else { &[w] };
        shape.expect("conv2d", &[geometry.in_sample_len()], geometry.out_sample_len(), params, &[])?;
        Ok(Conv2d {
            geometry,
            use_bias: spec.use_bias,
            activation: spec.activation,
            plan: DirectPlan::new(&geometry),
            scratch: DirectScratch::default(),
            pre: Vec::new(),
            paths: Paths::for_shape(&geometry),
            col: Vec::new(),
            col_holds_x: false,
            dpre: Vec::new(),
            bf16: (spec.precision == Precision::Bfloat16).then(Default::default),
        })
    }

    /// The layer with its paths forced (tests compare the two implementations through it).
    pub fn with_paths(mut self, paths: Paths) -> Self {
        self.paths = paths;
        self
    }

    pub fn paths(&self) -> Paths {
        self.paths
    }

    fn with_batch(&self, n: usize) -> Result<Conv2dGeometry> {
        let g = Conv2dGeometry { batch: n, ..self.geometry };
        g.validate()?;
        Ok(g)
    }

    fn is_linear(&self) -> bool {
        self.activation.kind == ActivationKind::Linear
    }
}

impl Op for Conv2d {
    fn pre_activation<'a>(&'a self, _inputs: &Inputs<'a>, out: &'a [f32]) -> Option<&'a [f32]> {
        Some(if self.is_linear() { out } else { &self.pre })
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        let (x, n, params, y) = (f.inputs.x(), f.n, f.params, f.out);
        let g = self.with_batch(n)?;
        let paths = self.paths.within_limit(&g);
        let bias = self.use_bias.then(|| params[1].as_slice());
        let linear = self.is_linear();
        if !linear {
            self.pre.resize(g.y_len(), 0.0);
        }
        if let Some(s) = &mut self.bf16 {
            if linear {
                crate::bf16::conv::forward(&g, x, &params[0], s, y);
                if let Some(b) = bias {
                    activation::add_bias(b, y);
                }
            } else {
                crate::bf16::conv::forward(&g, x, &params[0], s, &mut self.pre);
                activation::bias_forward_unchecked(&self.activation, bias, &mut self.pre, g.filters, y);
            }
            return Ok(());
        }
        // What backward reads: the padded input (direct) or im2col(x) (kept from an im2col forward).
        self.col_holds_x = false;
        if !paths.backward_im2col || !paths.forward_im2col {
            self.scratch.pad_input(&self.plan, n, x);
        }
        if paths.forward_im2col {
            self.col.resize(g.col_len(), 0.0);
            let out = if linear { &mut *y } else { &mut self.pre[..] };
            conv::conv2d_forward_im2col(&g, x, &params[0], bias, &mut self.col, out);
            self.col_holds_x = true;
            if !linear {
                activation::forward_unchecked(&self.activation, &self.pre, g.filters, y);
            }
        } else if linear {
            // No activation: the convolution writes y directly and y is the pre-activation.
            direct::forward(&self.plan, &self.scratch, &params[0], bias, y, None);
        } else {
            direct::forward(&self.plan, &self.scratch, &params[0], bias, &mut self.pre, Some((&self.activation, y)));
        }
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        let (x, y, dy, n, params, grads) = (b.inputs.x(), b.out, b.dout, b.n, b.params, &mut *b.grads);
        let dx = b.dinputs.get(0);
        // Backward follows the forward of the same x (layer.rs), whose padded copy or im2col
        // matrix is kept.
        let g = self.with_batch(n)?;
        let paths = self.paths.within_limit(&g);
        let post = (b.grad_of == GradOf::Output && !self.is_linear()).then_some((&self.activation, self.pre.as_slice(), y));
        let (dw, rest) = grads.split_first_mut().expect("conv2d grads [K, b?]");
        let db = rest.first_mut().map(|b| b.as_mut_slice());
        if !paths.backward_im2col && self.bf16.is_none() {
            if self.scratch.padded_samples(&self.plan) != n {
                self.scratch.pad_input(&self.plan, n, x);
            }
            direct::backward(&self.plan, &mut self.scratch, &params[0], dy, post, ConvGrads { dx, dw, db });
            return Ok(());
        }
        let dpre = match post {
            Some((act, pre, y)) => {
                self.dpre.resize(g.y_len(), 0.0);
                activation::backward_unchecked(act, pre, y, dy, g.filters, &mut self.dpre);
                &self.dpre[..]
            }
            None => dy,
        };
        if let Some(s) = &mut self.bf16 {
            crate::bf16::conv::backward(&g, x, &params[0], dpre, s, ConvGrads { dx, dw, db });
            return Ok(());
        }
        if !self.col_holds_x {
            self.col.resize(g.col_len(), 0.0);
            conv::im2col(&g, x, &mut self.col);
        }
        // The matrix serves one backward (with dx it becomes the dcol scratch).
        self.col_holds_x = false;
        conv::conv2d_backward_from_col(&g, &mut self.col, &params[0], dpre, ConvGrads { dx, dw, db });
        Ok(())
    }
}
