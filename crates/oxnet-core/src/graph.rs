//! The network as the executor receives it (serde mirror of `GraphSpec` in src/backend/types.ts):
//! named model inputs, nodes in topological order with their op, input value ids, parameter and
//! state indices and output size, and the outputs with their resolved loss. Shapes, parameter
//! sizes, initial values and the loss pairing are decided in TypeScript; this module only checks
//! that the description is consistent before anything is allocated from it.
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::ops::OpSpec;
use crate::spec::{LossKind, OptimizerSpec};

/// The most floats one sample of a value may hold (buffers are indexed with 32-bit integers on
/// the js side; both backends refuse the same sizes).
pub const MAX_VALUE_FLOATS: usize = i32::MAX as usize;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputSpec {
    pub name: String,
    /// Floats per sample.
    pub size: usize,
}

/// A parameter or state tensor: its name and length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TensorSpec {
    pub name: String,
    pub size: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSpec {
    pub name: String,
    pub op: OpSpec,
    /// Value ids read, in the op's order: 0..inputs.len() are the model inputs, inputs.len() + j
    /// the output of node j (only earlier nodes: the list is in topological order).
    pub inputs: Vec<usize>,
    /// Indices into GraphSpec.params, consecutive (a layer's tensors); the nodes of a layer applied
    /// twice name the same ones.
    pub params: Vec<usize>,
    /// Indices into GraphSpec.state, consecutive.
    pub state: Vec<usize>,
    /// Floats per sample of this node's output.
    pub size: usize,
}

/// How a sample counts as predicted right (docs/kernels.md): the row's argmax matches the
/// target's, or (one output) both are on the same side of 0.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CorrectRule {
    Argmax,
    Threshold,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputSpec {
    pub name: String,
    /// Value id of the prediction.
    pub value: usize,
    pub loss: LossKind,
    /// Multiplies this output's loss in the total (Keras's lossWeights).
    pub weight: f64,
    /// The loss reads the producing node's pre-activation, and its gradient enters there.
    pub from_logits: bool,
    /// logits = logitScale * pre-activation (a sigmoid with beta before binaryCrossEntropy).
    pub logit_scale: f64,
    pub correct: CorrectRule,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphSpec {
    pub inputs: Vec<InputSpec>,
    pub nodes: Vec<NodeSpec>,
    pub params: Vec<TensorSpec>,
    pub state: Vec<TensorSpec>,
    pub outputs: Vec<OutputSpec>,
    pub optimizer: OptimizerSpec,
    /// Any JS number; used as `seed >>> 0`.
    pub seed: f64,
    /// Global gradient-norm clipping (docs/kernels.md): absent = off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_norm: Option<f64>,
}

impl GraphSpec {
    /// JSON text -> spec, with serde's message as an E_CONFIG error.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| CoreError::config(format!("graph spec: {e}")))
    }

    /// JavaScript's `seed >>> 0` (ToUint32).
    pub fn seed_u32(&self) -> u32 {
        crate::rng::to_uint32(self.seed)
    }

    pub fn value_count(&self) -> usize {
        self.inputs.len() + self.nodes.len()
    }

    /// Floats per sample of value `v`.
    pub fn value_size(&self, v: usize) -> usize {
        if v < self.inputs.len() {
            self.inputs[v].size
        } else {
            self.nodes[v - self.inputs.len()].size
        }
    }

    /// Human name of value `v` for error messages.
    pub fn value_name(&self, v: usize) -> &str {
        if v < self.inputs.len() {
            &self.inputs[v].name
        } else {
            &self.nodes[v - self.inputs.len()].name
        }
    }

    /// Everything the executor relies on besides the ops' own checks: ids in range and earlier
    /// than their reader, sizes within limits, parameter and state indices consecutive and used,
    /// outputs well formed.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(CoreError::config(format!("graph: {m}")));
        if self.inputs.is_empty() {
            return bad("needs at least one input".into());
        }
        if self.nodes.is_empty() {
            return bad("needs at least one node".into());
        }
        if !self.seed.is_finite() {
            return Err(CoreError::arg(format!("network: seed must be finite, got {}", self.seed)));
        }
        if let Some(c) = self.clip_norm {
            if !(c.is_finite() && c > 0.0) {
                return Err(CoreError::arg(format!("network: clipNorm must be a finite number > 0, got {c}")));
            }
        }
        crate::optim::validate("network", &self.optimizer)?;
        for (i, input) in self.inputs.iter().enumerate() {
            if input.size == 0 || input.size > MAX_VALUE_FLOATS {
                return bad(format!("input {i} ('{}') has size {}, expected 1..={MAX_VALUE_FLOATS}", input.name, input.size));
            }
        }
        let mut param_used = vec![false; self.params.len()];
        let mut state_used = vec![false; self.state.len()];
        for (j, node) in self.nodes.iter().enumerate() {
            let own = self.inputs.len() + j;
            if node.size == 0 || node.size > MAX_VALUE_FLOATS {
                return bad(format!("node '{}' has size {}, expected 1..={MAX_VALUE_FLOATS}", node.name, node.size));
            }
            if node.inputs.is_empty() {
                return bad(format!("node '{}' reads no input", node.name));
            }
            if let Some(&v) = node.inputs.iter().find(|&&v| v >= own) {
                return bad(format!(
                    "node '{}' (value {own}) reads value {v}, which is not an earlier value (the nodes must be in topological order)",
                    node.name
                ));
            }
            consecutive(&node.name, "params", &node.params, self.params.len())?;
            consecutive(&node.name, "state", &node.state, self.state.len())?;
            node.params.iter().for_each(|&p| param_used[p] = true);
            node.state.iter().for_each(|&s| state_used[s] = true);
        }
        if let Some(p) = param_used.iter().position(|u| !u) {
            return bad(format!("parameter {p} ('{}') is used by no node", self.params[p].name));
        }
        if let Some(s) = state_used.iter().position(|u| !u) {
            return bad(format!("state tensor {s} ('{}') is used by no node", self.state[s].name));
        }
        if self.outputs.is_empty() {
            return bad("needs at least one output".into());
        }
        for (o, out) in self.outputs.iter().enumerate() {
            if out.value >= self.value_count() {
                return bad(format!(
                    "output {o} ('{}') names value {}, past the last value {}",
                    out.name,
                    out.value,
                    self.value_count() - 1
                ));
            }
            if !(out.weight.is_finite() && out.weight >= 0.0) {
                return Err(CoreError::arg(format!("output '{}': weight must be a finite number >= 0, got {}", out.name, out.weight)));
            }
            if !(out.logit_scale.is_finite() && out.logit_scale > 0.0) {
                return Err(CoreError::arg(format!(
                    "output '{}': logitScale must be a finite number > 0, got {}",
                    out.name, out.logit_scale
                )));
            }
            if out.from_logits && !out.loss.from_logits() {
                return bad(format!("output '{}': loss {:?} is not computed from logits", out.name, out.loss));
            }
            if out.from_logits {
                // The loss's gradient is with respect to the producer's pre-activation: no other
                // gradient may reach that node's output.
                if out.value < self.inputs.len() {
                    return bad(format!("output '{}': a from-logits loss needs a node's output, not a model input", out.name));
                }
                let readers = self.nodes.iter().filter(|n| n.inputs.contains(&out.value)).count();
                let others = self.outputs.iter().filter(|p| p.value == out.value).count() - 1;
                if readers + others > 0 {
                    return bad(format!(
                        "output '{}': a from-logits loss on '{}' needs that value to feed nothing else",
                        out.name,
                        self.value_name(out.value)
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `ids` are consecutive indices below `len`.
fn consecutive(node: &str, what: &str, ids: &[usize], len: usize) -> Result<()> {
    let ok = ids.iter().all(|&i| i < len) && ids.windows(2).all(|w| w[1] == w[0] + 1);
    if ok {
        Ok(())
    } else {
        Err(CoreError::config(format!("graph: node '{node}' {what} {ids:?} must be consecutive indices below {len}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::OpSpec;

    const TWO_NODES: &str = r#"{"seed":7,
      "inputs":[{"name":"x","size":4}],
      "nodes":[{"name":"dense_1","op":{"type":"dense","inputs":4,"units":3,"useBias":true,"activation":{"kind":"sigmoid","beta":2}}, "inputs":[0],"params":[0,1],"state":[],"size":3},
               {"name":"bn","op":{"type":"batchNorm","size":3,"channels":3,"momentum":0.99,"epsilon":0.001}, "inputs":[1],"params":[2,3],"state":[0,1],"size":3}],
      "params":[{"name":"dense_1/kernel","size":12},{"name":"dense_1/bias","size":3},{"name":"bn/gamma","size":3},{"name":"bn/beta","size":3}],
      "state":[{"name":"bn/runningMean","size":3},{"name":"bn/runningVar","size":3}],
      "outputs":[{"name":"bn","value":2,"loss":"mse","weight":1,"fromLogits":false,"logitScale":1,"correct":"argmax"}],
      "optimizer":{"kind":"adam","lr":0.001}}"#;

    #[test]
    fn parses_the_typescript_shapes() {
        let spec = GraphSpec::from_json(TWO_NODES).unwrap();
        spec.validate().unwrap();
        match &spec.nodes[0].op {
            OpSpec::Dense(d) => {
                assert_eq!((d.inputs, d.units, d.use_bias), (4, 3, true));
                assert_eq!(d.activation.beta(), 2.0);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!((spec.value_count(), spec.value_size(0), spec.value_size(2)), (3, 4, 3));
        let err = GraphSpec::from_json(r#"{"inputs":[]}"#).unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::Config);
    }

    #[test]
    fn refuses_forward_references_unused_params_and_shared_logits() {
        let edit = |f: &dyn Fn(&mut GraphSpec)| {
            let mut s = GraphSpec::from_json(TWO_NODES).unwrap();
            f(&mut s);
            s.validate().unwrap_err().message
        };
        assert!(edit(&|s| s.nodes[0].inputs = vec![2]).contains("not an earlier value"), "forward reference");
        assert!(edit(&|s| s.nodes[1].params = vec![3, 2]).contains("consecutive"));
        assert!(edit(&|s| s.nodes[1].params = vec![2]).contains("parameter 3 ('bn/beta') is used by no node"));
        assert!(edit(&|s| s.outputs[0].value = 9).contains("past the last value"));
        let logits = edit(&|s| {
            s.outputs[0].value = 1;
            s.outputs[0].loss = LossKind::BinaryCrossEntropy;
            s.outputs[0].from_logits = true;
        });
        assert!(logits.contains("feed nothing else"), "{logits}");
    }
}
