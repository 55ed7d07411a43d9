//! The trait every layer implements (ConvNetJS style: one unit holds forward, backward and the
//! description of its parameters).
//!
//! Ownership, so that the steady state allocates nothing:
//! - The [`crate::net::Network`] owns parameters, their gradients and non-trainable state as
//!   `Vec<f32>` per tensor, and hands each layer its own slice of them (`params`, `grads`, `state`)
//!   in the order of docs/kernels.md (dense -> [W, b?]; conv2d -> [K, b?]; batchNorm -> [gamma,
//!   beta]; state: batchNorm -> [runningMean, runningVar]).
//! - The network owns the activations between layers (input `x` and output `y` of each layer)
//!   and the gradient buffers between layers (`dy`, `dx`).
//! - A layer owns whatever it keeps from forward for backward (pre-activations, dropout masks,
//!   max-pool argmax, batch statistics, im2col scratch). Keep them as `Vec<f32>` fields and
//!   `resize` them per call: once the largest batch has been seen nothing is allocated again.
//!
//! Call protocol per batch: `forward` on every layer in order (training or inference per
//! [`Ctx::training`]), then `backward` in reverse order with the same `x`, `y` and `n`. Backward
//! OVERWRITES `grads` (no accumulation) and writes `dx` when it is `Some` (it is `None` for the
//! first layer). Buffers passed in have exactly `n * in_size()` / `n * out_size()` floats and the
//! network has already validated lengths, so layers may index without re-checking.
use crate::error::Result;
use crate::spec::ActivationSpec;

/// Per-call context: what dropout and batch norm need besides the data.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    /// Training mode (dropout active, batch norm on batch statistics and updating running stats).
    pub training: bool,
    /// Global optimizer step s = step + batchIndex (before this batch's update), for dropout masks.
    pub step: u32,
    /// The network seed as `seed >>> 0`.
    pub seed: u32,
    /// Index of this layer in the network (0-based), for dropout masks.
    pub layer_index: u32,
}

impl Ctx {
    /// Inference context (dropout off, batch norm on running statistics).
    pub fn inference(layer_index: u32) -> Self {
        Ctx { training: false, step: 0, seed: 0, layer_index }
    }
}

/// What `dy` passed to [`Layer::backward`] is the gradient of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GradOf {
    /// dL/dy, the gradient with respect to the layer's output (the usual case).
    Output,
    /// dL/da, the gradient with respect to the pre-activation of the layer's final activation:
    /// the executor passes this for the last layer with a from-logits loss, so the layer must skip
    /// its activation's derivative. Layers without an activation treat it like `Output`.
    PreActivation,
}

pub trait Layer: Send {
    /// Floats per sample going in.
    fn in_size(&self) -> usize;
    /// Floats per sample coming out.
    fn out_size(&self) -> usize;
    /// Lengths of the trainable parameter tensors, in the order of docs/kernels.md.
    fn param_sizes(&self) -> Vec<usize> {
        vec![]
    }
    /// Lengths of the non-trainable state tensors (batch-norm running mean and variance).
    fn state_sizes(&self) -> Vec<usize> {
        vec![]
    }
    /// Initial values of the state tensors (batch norm: mean 0, var 1). Default: zeros.
    fn initial_state(&self) -> Vec<Vec<f32>> {
        self.state_sizes().into_iter().map(|s| vec![0.0; s]).collect()
    }
    /// The activation applied last inside this layer (dense, conv2d, activation layers), if any.
    /// The executor uses it for from-logits losses and for `correct` counting.
    fn final_activation(&self) -> Option<ActivationSpec> {
        None
    }
    /// The pre-activation of the final activation from the last `forward` call, given that call's
    /// input `x` and output `y` (an activation layer returns `x`, a dense layer with a linear
    /// activation returns `y`, otherwise its own saved buffer). None: the layer has no activation.
    fn pre_activation<'a>(&'a self, _x: &'a [f32], _y: &'a [f32]) -> Option<&'a [f32]> {
        None
    }
    /// y = layer(x) for `n` samples. `state` may be updated in training mode (running stats).
    fn forward(&mut self, x: &[f32], n: usize, params: &[Vec<f32>], state: &mut [Vec<f32>], ctx: &Ctx, y: &mut [f32]) -> Result<()>;
    /// Gradients from `dy` (see [`GradOf`]): overwrites `grads` and, when given, `dx`.
    #[allow(clippy::too_many_arguments)]
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
        ctx: &Ctx,
    ) -> Result<()>;
}
