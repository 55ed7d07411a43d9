//! Conv2d layer: y = f(conv(x, K) + b), NHWC in and out, K [kh, kw, cin, filters] (HWIO).
//! Params [K, b?]. Runs the direct kernels (conv/direct.rs); keeps the padded input and the
//! pre-activation from forward for backward.
use crate::activation;
use crate::conv::direct::{self, DirectPlan, DirectScratch};
use crate::conv::Conv2dGeometry;
use crate::error::Result;
use crate::layer::{Ctx, GradOf, Layer};
use crate::spec::{ActivationKind, ActivationSpec, Conv2dSpec};

pub struct Conv2dLayer {
    /// Geometry of one sample; `with_batch` gives the per-call one.
    geometry: Conv2dGeometry,
    use_bias: bool,
    activation: ActivationSpec,
    plan: DirectPlan,
    /// Padded input of the last forward and backward's buffers.
    scratch: DirectScratch,
    /// Pre-activation of the last forward (unused when the activation is linear: y is it).
    pre: Vec<f32>,
}

impl Conv2dLayer {
    pub fn new(spec: &Conv2dSpec) -> Result<Self> {
        let geometry = Conv2dGeometry {
            batch: 1,
            in_h: spec.in_shape[0],
            in_w: spec.in_shape[1],
            in_c: spec.in_shape[2],
            filters: spec.filters,
            kh: spec.kernel[0],
            kw: spec.kernel[1],
            stride_h: spec.strides[0],
            stride_w: spec.strides[1],
            pad_top: spec.padding[0],
            pad_bottom: spec.padding[1],
            pad_left: spec.padding[2],
            pad_right: spec.padding[3],
            dil_h: spec.dilation[0],
            dil_w: spec.dilation[1],
        };
        geometry.validate()?;
        // Softmax, if asked for, runs over the filters of each pixel (as the js backend does).
        activation::validate("conv2d", &spec.activation, geometry.out_sample_len(), spec.filters)?;
        Ok(Conv2dLayer {
            geometry,
            use_bias: spec.use_bias,
            activation: spec.activation,
            plan: DirectPlan::new(&geometry),
            scratch: DirectScratch::default(),
            pre: Vec::new(),
        })
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

impl Layer for Conv2dLayer {
    fn in_size(&self) -> usize {
        self.geometry.in_sample_len()
    }
    fn out_size(&self) -> usize {
        self.geometry.out_sample_len()
    }
    fn param_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![self.geometry.w_len()];
        if self.use_bias {
            sizes.push(self.geometry.filters);
        }
        sizes
    }
    fn final_activation(&self) -> Option<ActivationSpec> {
        Some(self.activation)
    }
    fn pre_activation<'a>(&'a self, _x: &'a [f32], y: &'a [f32]) -> Option<&'a [f32]> {
        Some(if self.is_linear() { y } else { &self.pre })
    }

    fn forward(&mut self, x: &[f32], n: usize, params: &[Vec<f32>], _state: &mut [Vec<f32>], _ctx: &Ctx, y: &mut [f32]) -> Result<()> {
        let g = self.with_batch(n)?;
        let bias = self.use_bias.then(|| params[1].as_slice());
        self.scratch.pad_input(&self.plan, n, x);
        if self.is_linear() {
            // No activation: the convolution writes y directly and y is the pre-activation.
            direct::forward(&self.plan, &self.scratch, &params[0], bias, y, None);
        } else {
            self.pre.resize(g.y_len(), 0.0);
            direct::forward(&self.plan, &self.scratch, &params[0], bias, &mut self.pre, Some((&self.activation, y)));
        }
        Ok(())
    }

    fn backward(
        &mut self,
        x: &[f32],
        y: &[f32],
        dy: &[f32],
        grad_of: GradOf,
        n: usize,
        params: &[Vec<f32>],
        grads: &mut [Vec<f32>],
        dx: Option<&mut [f32]>,
        _ctx: &Ctx,
    ) -> Result<()> {
        self.with_batch(n)?;
        // Backward follows the forward of the same x (layer.rs), whose padded copy is kept.
        if self.scratch.padded_samples(&self.plan) != n {
            self.scratch.pad_input(&self.plan, n, x);
        }
        let post = (grad_of == GradOf::Output && !self.is_linear()).then_some((&self.activation, self.pre.as_slice(), y));
        let (dw, rest) = grads.split_first_mut().expect("conv2d grads [K, b?]");
        let db = rest.first_mut().map(|b| b.as_mut_slice());
        direct::backward(&self.plan, &mut self.scratch, &params[0], dy, post, dx, dw, db);
        Ok(())
    }
}
