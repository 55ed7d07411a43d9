//! Serde mirror of the network description in src/backend/types.ts (camelCase JSON, layers tagged
//! by "type", activations/losses/optimizers by "kind"). Hyperparameters stay f64 as in JS.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ActivationKind {
    Linear,
    Step,
    Sigmoid,
    Tanh,
    Relu,
    LeakyRelu,
    Softmax,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationSpec {
    pub kind: ActivationKind,
    /// Sigmoid steepness, default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    /// Leaky ReLU slope for x < 0, default 0.01.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
}

impl ActivationSpec {
    pub fn new(kind: ActivationKind) -> Self {
        ActivationSpec { kind, beta: None, alpha: None }
    }
    pub fn beta(&self) -> f64 {
        self.beta.unwrap_or(1.0)
    }
    pub fn alpha(&self) -> f64 {
        self.alpha.unwrap_or(0.01)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LossKind {
    HalfSse,
    Mse,
    BinaryCrossEntropy,
    SoftmaxCrossEntropy,
    Perceptron,
}

impl LossKind {
    /// Losses computed from the last layer's pre-activation (docs/kernels.md).
    pub fn from_logits(self) -> bool {
        matches!(self, LossKind::BinaryCrossEntropy | LossKind::SoftmaxCrossEntropy | LossKind::Perceptron)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LossSpec {
    pub kind: LossKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum OptimizerSpec {
    #[serde(rename_all = "camelCase")]
    Sgd {
        lr: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        momentum: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nesterov: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weight_decay: Option<f64>,
    },
    #[serde(rename_all = "camelCase")]
    Adam {
        lr: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        beta1: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        beta2: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epsilon: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weight_decay: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decoupled: Option<bool>,
    },
}

impl OptimizerSpec {
    pub fn lr(&self) -> f64 {
        match self {
            OptimizerSpec::Sgd { lr, .. } | OptimizerSpec::Adam { lr, .. } => *lr,
        }
    }
    /// Number of param-sized state slots per parameter: sgd momentum [v], adam [m, v].
    pub fn slots(&self) -> usize {
        match self {
            OptimizerSpec::Sgd { momentum, .. } => usize::from(momentum.unwrap_or(0.0) > 0.0),
            OptimizerSpec::Adam { .. } => 2,
        }
    }
}

/// [height, width, channels] of one sample, channels-last.
pub type Shape3 = [usize; 3];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DenseSpec {
    pub inputs: usize,
    pub units: usize,
    pub use_bias: bool,
    pub activation: ActivationSpec,
}

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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pool2dSpec {
    pub in_shape: Shape3,
    pub pool: [usize; 2],
    pub strides: [usize; 2],
    pub padding: [usize; 4],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlobalPoolSpec {
    pub in_shape: Shape3,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationLayerSpec {
    pub size: usize,
    pub activation: ActivationSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DropoutSpec {
    pub size: usize,
    pub rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchNormSpec {
    pub size: usize,
    pub channels: usize,
    pub momentum: f64,
    pub epsilon: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReshapeSpec {
    pub size: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum LayerSpec {
    Dense(DenseSpec),
    Conv2d(Conv2dSpec),
    MaxPool2d(Pool2dSpec),
    AvgPool2d(Pool2dSpec),
    GlobalAvgPool2d(GlobalPoolSpec),
    Activation(ActivationLayerSpec),
    Dropout(DropoutSpec),
    BatchNorm(BatchNormSpec),
    Reshape(ReshapeSpec),
}

impl LayerSpec {
    /// The JSON "type" tag, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            LayerSpec::Dense(_) => "dense",
            LayerSpec::Conv2d(_) => "conv2d",
            LayerSpec::MaxPool2d(_) => "maxPool2d",
            LayerSpec::AvgPool2d(_) => "avgPool2d",
            LayerSpec::GlobalAvgPool2d(_) => "globalAvgPool2d",
            LayerSpec::Activation(_) => "activation",
            LayerSpec::Dropout(_) => "dropout",
            LayerSpec::BatchNorm(_) => "batchNorm",
            LayerSpec::Reshape(_) => "reshape",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkSpec {
    pub input_size: usize,
    pub layers: Vec<LayerSpec>,
    pub loss: LossSpec,
    pub optimizer: OptimizerSpec,
    /// Any JS number; used as `seed >>> 0` (see [`NetworkSpec::seed_u32`]).
    pub seed: f64,
    /// Global gradient-norm clipping (docs/kernels.md): absent = off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_norm: Option<f64>,
}

impl NetworkSpec {
    /// JSON text -> spec, with serde's message as an E_CONFIG error.
    pub fn from_json(json: &str) -> crate::error::Result<Self> {
        serde_json::from_str(json).map_err(|e| crate::error::CoreError::config(format!("network spec: {e}")))
    }
    /// JavaScript's `seed >>> 0` (ToUint32).
    pub fn seed_u32(&self) -> u32 {
        crate::rng::to_uint32(self.seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_typescript_shapes() {
        let json = r#"{"inputSize":4,"seed":7,
          "layers":[{"type":"dense","inputs":4,"units":3,"useBias":true,"activation":{"kind":"sigmoid","beta":2}},
                    {"type":"maxPool2d","inShape":[2,2,1],"pool":[2,2],"strides":[2,2],"padding":[0,0,0,0]},
                    {"type":"batchNorm","size":3,"channels":3,"momentum":0.99,"epsilon":0.001}],
          "loss":{"kind":"softmaxCrossEntropy"},
          "optimizer":{"kind":"adam","lr":0.001,"weightDecay":0.1,"decoupled":true}}"#;
        let spec = NetworkSpec::from_json(json).unwrap();
        assert_eq!(spec.input_size, 4);
        match &spec.layers[0] {
            LayerSpec::Dense(d) => {
                assert_eq!((d.inputs, d.units, d.use_bias), (4, 3, true));
                assert_eq!(d.activation.beta(), 2.0);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(spec.layers[1], LayerSpec::MaxPool2d(_)));
        assert_eq!(spec.optimizer.slots(), 2);
        assert!(spec.loss.kind.from_logits());
        let err = NetworkSpec::from_json(r#"{"inputSize":1}"#).unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::Config);
    }
}
