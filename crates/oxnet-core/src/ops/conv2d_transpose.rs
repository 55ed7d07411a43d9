//! Conv2dTranspose: y = f(convT(x, K) + b), x [inShape], y [outShape], K [kh, kw, outShape[2],
//! inShape[2]]. Params [K, b?]. The transposed convolution is the input gradient of the conv2d
//! over [outShape] with kernel K read as HWIO (in channels outShape[2], filters inShape[2]),
//! these strides and this padding, whose output is [inShape]; so it runs that conv's kernels with
//! the roles swapped:
//!   forward:  y  = conv's dx for dy = x      col2im(x · Kᵀ), or the direct data-gradient loops
//!   backward: dx = conv forward of dpre       im2col(dpre) · K, or the direct forward
//!             dK = conv's dW for (x = dpre, dy = x)   im2col(dpre)ᵀ · x, or the direct dW loops
//!             db = channel sums of dpre
//! Each product picks direct or im2col + GEMM as `conv::Paths` picks for that conv's shape (the
//! conv's backward path for our forward and dK, its forward path for our dx). `cargo bench -p
//! oxnet-core --bench conv` times both paths of the op: the rule picks the faster one, or one
//! within 20%, on its five shapes (AVX2, 2 threads).
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, GradOf, Inputs, NodeShape, Op};
use crate::activation;
use crate::conv::direct::{self, DirectPlan, DirectScratch, SAMPLES_PER_TASK};
use crate::conv::{self, Conv2dGeometry, Paths};
use crate::error::{CoreError, Result};
use crate::spec::{ActivationKind, ActivationSpec, Shape3};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conv2dTransposeSpec {
    pub in_shape: Shape3,
    pub out_shape: Shape3,
    pub kernel: [usize; 2],
    pub strides: [usize; 2],
    /// [top, bottom, left, right] of the conv2d whose input gradient this is.
    pub padding: [usize; 4],
    pub use_bias: bool,
    pub activation: ActivationSpec,
}

impl Conv2dTransposeSpec {
    /// The conv2d (one sample) whose input gradient this op is: over [outShape], filters inShape[2].
    pub fn conv_geometry(&self) -> Conv2dGeometry {
        Conv2dGeometry {
            batch: 1,
            in_h: self.out_shape[0],
            in_w: self.out_shape[1],
            in_c: self.out_shape[2],
            filters: self.in_shape[2],
            kh: self.kernel[0],
            kw: self.kernel[1],
            stride_h: self.strides[0],
            stride_w: self.strides[1],
            pad_top: self.padding[0],
            pad_bottom: self.padding[1],
            pad_left: self.padding[2],
            pad_right: self.padding[3],
            dil_h: 1,
            dil_w: 1,
        }
    }
}

pub struct Conv2dTranspose {
    /// The conv's geometry for one sample; `with_batch` gives the per-call one.
    geometry: Conv2dGeometry,
    use_bias: bool,
    activation: ActivationSpec,
    plan: DirectPlan,
    /// The direct kernels' buffers; in backward it holds the padded dpre.
    scratch: DirectScratch,
    paths: Paths,
    /// Pre-activation of the last forward (unused when linear: y is it).
    pre: Vec<f32>,
    /// dL/d(pre-activation) of the last backward.
    dpre: Vec<f32>,
    /// im2col-sized scratch: x · Kᵀ in forward, im2col(dpre) in backward.
    col: Vec<f32>,
    /// Per-chunk partial sums of db.
    db_parts: Vec<f32>,
}

impl Conv2dTranspose {
    pub fn new(spec: &Conv2dTransposeSpec, shape: &NodeShape) -> Result<Self> {
        let geometry = spec.conv_geometry();
        geometry.validate()?;
        if geometry.out_h() != spec.in_shape[0] || geometry.out_w() != spec.in_shape[1] {
            return Err(CoreError::config(format!(
                "node '{}' (conv2dTranspose): outShape {:?} with kernel {:?}, strides {:?} and padding {:?} does not map back onto inShape {:?}",
                shape.name, spec.out_shape, spec.kernel, spec.strides, spec.padding, spec.in_shape
            )));
        }
        // Softmax, if asked for, runs over the filters of each pixel (as the js backend does).
        activation::validate("conv2dTranspose", &spec.activation, geometry.in_sample_len(), geometry.in_c)?;
        let (w, b) = (geometry.w_len(), geometry.in_c);
        let params: &[usize] = if spec.use_bias { &[w, b] } else { &[w] };
        shape.expect("conv2dTranspose", &[geometry.out_sample_len()], geometry.in_sample_len(), params, &[])?;
        Ok(Conv2dTranspose {
            geometry,
            use_bias: spec.use_bias,
            activation: spec.activation,
            plan: DirectPlan::new(&geometry),
            scratch: DirectScratch::default(),
            paths: Paths::for_shape(&geometry),
            pre: Vec::new(),
            dpre: Vec::new(),
            col: Vec::new(),
            db_parts: Vec::new(),
        })
    }

    /// The op with the conv's paths forced (tests hold the two implementations to each other).
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

impl Op for Conv2dTranspose {
    fn pre_activation<'a>(&'a self, _inputs: &Inputs<'a>, out: &'a [f32]) -> Option<&'a [f32]> {
        Some(if self.is_linear() { out } else { &self.pre })
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        let (x, n, params, y) = (f.inputs.x(), f.n, f.params, f.out);
        let g = self.with_batch(n)?;
        let paths = self.paths.within_limit(&g);
        let linear = self.is_linear();
        if !linear {
            self.pre.resize(g.x_len(), 0.0);
        }
        let z = if linear { &mut *y } else { &mut self.pre[..] };
        if paths.backward_im2col {
            self.col.resize(g.col_len(), 0.0);
            conv::conv2d_input_grad_im2col(&g, &params[0], x, &mut self.col, z);
        } else {
            direct::input_grad_only(&self.plan, &mut self.scratch, &params[0], x, z);
        }
        // Bias and activation, per sample in parallel.
        let (len, width, act) = (g.in_sample_len(), g.in_c, &self.activation);
        let bias = self.use_bias.then(|| params[1].as_slice());
        if linear {
            if let Some(b) = bias {
                y.par_chunks_mut(len).for_each(|ys| activation::add_bias(b, ys));
            }
        } else {
            self.pre
                .par_chunks_mut(len)
                .zip(y.par_chunks_mut(len))
                .for_each(|(zs, ys)| activation::bias_forward_unchecked(act, bias, zs, width, ys));
        }
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        let (x, y, dy, n, params) = (b.inputs.x(), b.out, b.dout, b.n, b.params);
        let g = self.with_batch(n)?;
        let paths = self.paths.within_limit(&g);
        let (len, width) = (g.in_sample_len(), g.in_c);
        let d: &[f32] = if b.grad_of == GradOf::Output && !self.is_linear() {
            self.dpre.resize(g.x_len(), 0.0);
            let act = &self.activation;
            (self.dpre.par_chunks_mut(len), self.pre.par_chunks(len), y.par_chunks(len), dy.par_chunks(len))
                .into_par_iter()
                .for_each(|(d, p, y, dy)| activation::backward_unchecked(act, p, y, dy, width, d));
            &self.dpre
        } else {
            dy
        };
        let (dw, rest) = b.grads.split_first_mut().expect("conv2dTranspose grads [K, b?]");
        if let Some(db) = rest.first_mut() {
            conv::channel_sums(d, width, SAMPLES_PER_TASK * g.in_h * g.in_w, &mut self.db_parts, db);
        }
        let dx = b.dinputs.get(0);
        let want_col = paths.backward_im2col || (dx.is_some() && paths.forward_im2col);
        let want_padded = !paths.backward_im2col || (dx.is_some() && !paths.forward_im2col);
        if want_col {
            self.col.resize(g.col_len(), 0.0);
            conv::im2col(&g, d, &mut self.col);
        }
        if want_padded {
            self.scratch.pad_input(&self.plan, n, d);
        }
        // dK: the conv's weight gradient with (x, dy) = (dpre, our x).
        if paths.backward_im2col {
            conv::conv2d_weight_grad_from_col(&g, &self.col, x, dw);
        } else {
            direct::weight_grad_only(&self.plan, &mut self.scratch, x, dw);
        }
        // dx: the conv's forward of dpre.
        if let Some(dx) = dx {
            if paths.forward_im2col {
                conv::conv2d_forward_from_col(&g, &self.col, &params[0], None, dx);
            } else {
                direct::forward(&self.plan, &self.scratch, &params[0], None, dx, None);
            }
        }
        Ok(())
    }
}
