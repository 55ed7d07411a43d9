//! Ops: what a graph node runs. One file per op with its spec, forward and backward side by side
//! (the TypeScript twin in src/backend/js/ops/ has the same name); this file holds the tagged spec
//! enum parsed from the GraphSpec JSON and the one exhaustive match that builds an op from it, so
//! an op this backend lacks is a compile error, not a run-time refusal.
//!
//! The contract every op keeps:
//! - Shapes come resolved from TypeScript. `build` only checks that the node's wiring (input
//!   sizes, output size, parameter and state lengths, all per sample) is what the op's spec
//!   implies, and refuses anything else with E_CONFIG naming the node.
//! - `forward` writes every element of `out`; `backward` writes every element of each input
//!   gradient the executor asks for and of every parameter gradient (it overwrites, it never adds:
//!   the executor sums when a value feeds several consumers or a layer is applied twice).
//! - Buffers handed in hold exactly `n * size` floats; ops may index without re-checking.
//! - An op keeps what backward needs from the last forward (pre-activations, masks, argmax) in its
//!   own fields, resized per call, so the steady state allocates nothing.
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

pub mod activation;
pub mod batch_norm;
pub mod concatenate;
pub mod conv2d;
pub mod conv2d_transpose;
pub mod dense;
pub mod depthwise_conv2d;
pub mod dropout;
pub mod global_pool;
pub mod layer_norm;
pub mod merge;
pub mod pad2d;
pub mod pool2d;
pub mod reshape;
pub mod up_sample2d;

/// One node's op, tagged by "type" as src/backend/types.ts writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum OpSpec {
    Dense(dense::DenseSpec),
    Conv2d(conv2d::Conv2dSpec),
    Conv2dTranspose(conv2d_transpose::Conv2dTransposeSpec),
    DepthwiseConv2d(depthwise_conv2d::DepthwiseConv2dSpec),
    MaxPool2d(pool2d::Pool2dSpec),
    AvgPool2d(pool2d::Pool2dSpec),
    GlobalAvgPool2d(global_pool::GlobalPoolSpec),
    GlobalMaxPool2d(global_pool::GlobalPoolSpec),
    Activation(activation::ActivationOpSpec),
    Dropout(dropout::DropoutSpec),
    BatchNorm(batch_norm::BatchNormSpec),
    LayerNorm(layer_norm::LayerNormSpec),
    Reshape(reshape::ReshapeSpec),
    Merge(merge::MergeSpec),
    UpSample2d(up_sample2d::UpSample2dSpec),
    Concatenate(concatenate::ConcatenateSpec),
    Pad2d(pad2d::Pad2dSpec),
}

impl OpSpec {
    /// Builds the op for a node wired as `shape`, checking the wiring against the spec.
    pub fn build(&self, shape: &NodeShape) -> Result<Box<dyn Op>> {
        Ok(match self {
            OpSpec::Dense(s) => Box::new(dense::Dense::new(s, shape)?),
            OpSpec::Conv2d(s) => Box::new(conv2d::Conv2d::new(s, shape)?),
            OpSpec::Conv2dTranspose(s) => Box::new(conv2d_transpose::Conv2dTranspose::new(s, shape)?),
            OpSpec::DepthwiseConv2d(s) => Box::new(depthwise_conv2d::DepthwiseConv2d::new(s, shape)?),
            OpSpec::MaxPool2d(s) => Box::new(pool2d::Pool2d::new(s, pool2d::PoolKind::Max, shape)?),
            OpSpec::AvgPool2d(s) => Box::new(pool2d::Pool2d::new(s, pool2d::PoolKind::Avg, shape)?),
            OpSpec::GlobalAvgPool2d(s) => Box::new(global_pool::GlobalPool::new(s, global_pool::GlobalKind::Avg, shape)?),
            OpSpec::GlobalMaxPool2d(s) => Box::new(global_pool::GlobalPool::new(s, global_pool::GlobalKind::Max, shape)?),
            OpSpec::Activation(s) => Box::new(activation::Activation::new(s, shape)?),
            OpSpec::Dropout(s) => Box::new(dropout::Dropout::new(s, shape)?),
            OpSpec::BatchNorm(s) => Box::new(batch_norm::BatchNorm::new(s, shape)?),
            OpSpec::Reshape(s) => Box::new(reshape::Reshape::new(s, shape)?),
            OpSpec::Merge(s) => Box::new(merge::Merge::new(s, shape)?),
            OpSpec::LayerNorm(s) => Box::new(layer_norm::LayerNorm::new(s, shape)?),
            OpSpec::UpSample2d(s) => Box::new(up_sample2d::UpSample2d::new(s, shape)?),
            OpSpec::Concatenate(s) => Box::new(concatenate::Concatenate::new(s, shape)?),
            OpSpec::Pad2d(s) => Box::new(pad2d::Pad2d::new(s, shape)?),
        })
    }

    /// The JSON "type" tag, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            OpSpec::Dense(_) => "dense",
            OpSpec::Conv2d(_) => "conv2d",
            OpSpec::Conv2dTranspose(_) => "conv2dTranspose",
            OpSpec::DepthwiseConv2d(_) => "depthwiseConv2d",
            OpSpec::MaxPool2d(_) => "maxPool2d",
            OpSpec::AvgPool2d(_) => "avgPool2d",
            OpSpec::GlobalAvgPool2d(_) => "globalAvgPool2d",
            OpSpec::GlobalMaxPool2d(_) => "globalMaxPool2d",
            OpSpec::Activation(_) => "activation",
            OpSpec::Dropout(_) => "dropout",
            OpSpec::BatchNorm(_) => "batchNorm",
            OpSpec::Reshape(_) => "reshape",
            OpSpec::Merge(_) => "merge",
            OpSpec::LayerNorm(_) => "layerNorm",
            OpSpec::UpSample2d(_) => "upSample2d",
            OpSpec::Concatenate(_) => "concatenate",
            OpSpec::Pad2d(_) => "pad2d",
        }
    }
}

/// How a node is wired, per sample: what `build` checks the op's spec against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeShape<'a> {
    /// The node's name, for error messages.
    pub name: &'a str,
    /// Floats per sample of each input.
    pub inputs: &'a [usize],
    /// Floats per sample of the output.
    pub output: usize,
    /// Lengths of the parameter tensors the node uses, in the op's order.
    pub params: &'a [usize],
    /// Lengths of its state tensors.
    pub state: &'a [usize],
}

impl NodeShape<'_> {
    /// Refuses wiring other than `inputs` -> `output` with these parameter and state lengths.
    pub fn expect(&self, op: &str, inputs: &[usize], output: usize, params: &[usize], state: &[usize]) -> Result<()> {
        let what = |kind: &str, got: String, want: String| {
            Err(CoreError::config(format!("node '{}' ({op}): {kind} {got}, its spec implies {want}", self.name)))
        };
        if self.inputs != inputs {
            return what("input sizes are", format!("{:?}", self.inputs), format!("{inputs:?}"));
        }
        if self.output != output {
            return what("output size is", self.output.to_string(), output.to_string());
        }
        if self.params != params {
            return what("parameter lengths are", format!("{:?}", self.params), format!("{params:?}"));
        }
        if self.state != state {
            return what("state lengths are", format!("{:?}", self.state), format!("{state:?}"));
        }
        Ok(())
    }
}

/// Per-call context: what dropout and batch norm need besides the data.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    /// Training mode (dropout active, batch norm on batch statistics and updating running stats).
    pub training: bool,
    /// Global optimizer step of this batch (before its update), for dropout masks.
    pub step: u32,
    /// The network seed as `seed >>> 0`.
    pub seed: u32,
    /// Index of this node in the graph's node list, for dropout masks.
    pub node: u32,
}

/// The input values of a node, by position, each `n * size` floats.
pub struct Inputs<'a> {
    pub(crate) bufs: &'a [Vec<f32>],
    /// Buffer of each input.
    pub(crate) ids: &'a [usize],
    pub(crate) sizes: &'a [usize],
    pub(crate) n: usize,
}

impl<'a> Inputs<'a> {
    /// Input k is buffer `ids[k]` of `bufs`, `n * sizes[k]` floats long.
    pub fn new(bufs: &'a [Vec<f32>], ids: &'a [usize], sizes: &'a [usize], n: usize) -> Self {
        Inputs { bufs, ids, sizes, n }
    }
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    #[inline(always)]
    pub fn get(&self, k: usize) -> &'a [f32] {
        &self.bufs[self.ids[k]][..self.n * self.sizes[k]]
    }
    /// The first input (every single-input op's only one).
    #[inline]
    pub fn x(&self) -> &'a [f32] {
        self.get(0)
    }
}

/// The gradients of a node's inputs the executor asks backward to write (overwrite).
pub struct InputGrads<'a> {
    pub(crate) bufs: &'a mut [Vec<f32>],
    /// Buffer of each input's gradient in `bufs`; None: input k's is `bufs[k]`.
    pub(crate) ids: Option<&'a [usize]>,
    pub(crate) need: &'a [bool],
    pub(crate) sizes: &'a [usize],
    pub(crate) n: usize,
}

impl<'a> InputGrads<'a> {
    /// The gradient of input k goes into `bufs[k]` (at least `n * sizes[k]` floats) when `need[k]`.
    pub fn new(bufs: &'a mut [Vec<f32>], need: &'a [bool], sizes: &'a [usize], n: usize) -> Self {
        InputGrads { bufs, ids: None, need, sizes, n }
    }
    /// dL/d(input k), or None when nothing upstream needs it (a model input).
    #[inline(always)]
    pub fn get(&mut self, k: usize) -> Option<&mut [f32]> {
        if self.need[k] {
            let b = self.ids.map_or(k, |ids| ids[k]);
            Some(&mut self.bufs[b][..self.n * self.sizes[k]])
        } else {
            None
        }
    }
    pub fn len(&self) -> usize {
        self.need.len()
    }
    pub fn is_empty(&self) -> bool {
        self.need.is_empty()
    }
}

/// What `dout` passed to backward is the gradient of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GradOf {
    /// dL/d(output), the usual case.
    Output,
    /// dL/d(pre-activation) of the op's final activation: a from-logits loss on this node's output
    /// gives it directly, so the op skips its activation's derivative. Ops without an activation
    /// treat it like `Output`.
    PreActivation,
}

pub struct Forward<'a> {
    pub inputs: Inputs<'a>,
    pub n: usize,
    pub params: &'a [Vec<f32>],
    /// Non-trainable state; training forwards may update it (running statistics).
    pub state: &'a mut [Vec<f32>],
    pub ctx: Ctx,
    pub out: &'a mut [f32],
}

pub struct Backward<'a> {
    pub inputs: Inputs<'a>,
    /// The output of the matching forward.
    pub out: &'a [f32],
    pub dout: &'a [f32],
    pub grad_of: GradOf,
    pub n: usize,
    pub params: &'a [Vec<f32>],
    /// Parameter gradients, in the order of `params`: overwritten.
    pub grads: &'a mut [Vec<f32>],
    pub dinputs: InputGrads<'a>,
}

/// What an op's backward reads besides `dout`, so the executor keeps those values alive until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    pub inputs: bool,
    pub output: bool,
}

impl Reads {
    pub const ALL: Reads = Reads { inputs: true, output: true };
    pub const NOTHING: Reads = Reads { inputs: false, output: false };
}

pub trait Op: Send {
    /// What backward reads besides dout (default: inputs and output).
    fn backward_reads(&self) -> Reads {
        Reads::ALL
    }
    /// The pre-activation of the op's final activation from the last forward, for from-logits
    /// losses: dense and conv keep it, an activation op reads its input. None: no activation.
    fn pre_activation<'a>(&'a self, _inputs: &Inputs<'a>, _out: &'a [f32]) -> Option<&'a [f32]> {
        None
    }
    fn forward(&mut self, f: Forward<'_>) -> Result<()>;
    fn backward(&mut self, b: Backward<'_>) -> Result<()>;
}
