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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimizer_slots_and_logit_losses() {
        let adam: OptimizerSpec = serde_json::from_str(r#"{"kind":"adam","lr":0.001,"weightDecay":0.1,"decoupled":true}"#).unwrap();
        assert_eq!(adam.slots(), 2);
        let sgd: OptimizerSpec = serde_json::from_str(r#"{"kind":"sgd","lr":0.1}"#).unwrap();
        assert_eq!(sgd.slots(), 0);
        assert!(LossKind::SoftmaxCrossEntropy.from_logits() && !LossKind::Mse.from_logits());
    }
}

/// The arithmetic of a dense or conv2d node's products (docs/kernels.md): f32 throughout, or
/// operands rounded to bfloat16 with f32 accumulation (crate::bf16). Absent in a spec: Float32.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Precision {
    #[default]
    Float32,
    Bfloat16,
}

impl Precision {
    /// Whether this is the default (specs omit it then).
    pub fn is_float32(&self) -> bool {
        *self == Precision::Float32
    }
}
