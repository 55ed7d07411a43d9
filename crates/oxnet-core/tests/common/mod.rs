//! Test and bench support: chains of ops written the short way (the old NetworkSpec JSON:
//! inputSize, layers, loss, optimizer, seed) turned into the GraphSpec TypeScript would send, and a
//! harness that runs one op's forward and backward on owned buffers.
#![allow(dead_code)]
use oxnet_core::graph::{CorrectRule, GraphSpec, InputSpec, NodeSpec, OutputSpec, TensorSpec};
use oxnet_core::ops::{Backward, Ctx, Forward, GradOf, InputGrads, Inputs, NodeShape, Op, OpSpec};
use oxnet_core::rng::Mulberry32;
use oxnet_core::spec::{ActivationKind, LossKind};
use serde_json::Value;

/// Parameter lengths, state initial values and output size of one op (what the TypeScript layer
/// definitions resolve), for the ops these tests chain.
pub fn op_layout(op: &OpSpec) -> (Vec<usize>, Vec<Vec<f32>>, usize) {
    match op {
        OpSpec::Dense(d) => (if d.use_bias { vec![d.inputs * d.units, d.units] } else { vec![d.inputs * d.units] }, vec![], d.units),
        OpSpec::Conv2d(c) => {
            // An invalid geometry gets a size the op's own check refuses first.
            let g = c.geometry();
            let out = if g.validate().is_ok() { g.out_sample_len() } else { 0 };
            (if c.use_bias { vec![g.w_len(), c.filters] } else { vec![g.w_len()] }, vec![], out)
        }
        OpSpec::Conv2dTranspose(t) => {
            // The conv whose input gradient it is: its input is this op's output, and back.
            let g = t.conv_geometry();
            let out = if g.validate().is_ok() { g.in_sample_len() } else { 0 };
            (if t.use_bias { vec![g.w_len(), g.in_c] } else { vec![g.w_len()] }, vec![], out)
        }
        OpSpec::DepthwiseConv2d(d) => {
            let g = d.geometry();
            let out = if g.validate().is_ok() { d.out_sample_len() } else { 0 };
            let w = d.kernel[0] * d.kernel[1] * d.channels();
            (if d.use_bias { vec![w, d.channels()] } else { vec![w] }, vec![], out)
        }
        OpSpec::MaxPool2d(p) | OpSpec::AvgPool2d(p) => {
            let g = p.geometry();
            (vec![], vec![], if g.validate().is_ok() { g.out_sample_len() } else { 0 })
        }
        OpSpec::GlobalAvgPool2d(g) | OpSpec::GlobalMaxPool2d(g) => (vec![], vec![], g.in_shape[2]),
        OpSpec::Activation(a) => (vec![], vec![], a.size),
        OpSpec::Dropout(d) => (vec![], vec![], d.size),
        OpSpec::BatchNorm(b) => (vec![b.channels, b.channels], vec![vec![0.0; b.channels], vec![1.0; b.channels]], b.size),
        OpSpec::Reshape(r) => (vec![], vec![], r.size),
        OpSpec::Merge(m) => (vec![], vec![], m.size),
        OpSpec::LayerNorm(l) => ([l.scale, l.center].iter().filter(|on| **on).map(|_| l.width).collect(), vec![], l.size),
        OpSpec::UpSample2d(u) => {
            let g = u.geometry();
            (vec![], vec![], if g.validate().is_ok() { g.out_sample_len() } else { 0 })
        }
        OpSpec::Concatenate(c) => (vec![], vec![], c.out_size()),
        OpSpec::Pad2d(p) => (vec![], vec![], p.out_size()),
    }
}

fn final_activation(op: &OpSpec) -> Option<(ActivationKind, f64)> {
    match op {
        OpSpec::Dense(d) => Some((d.activation.kind, d.activation.beta())),
        OpSpec::Conv2d(c) => Some((c.activation.kind, c.activation.beta())),
        OpSpec::Conv2dTranspose(t) => Some((t.activation.kind, t.activation.beta())),
        OpSpec::DepthwiseConv2d(d) => Some((d.activation.kind, d.activation.beta())),
        OpSpec::Activation(a) => Some((a.activation.kind, a.activation.beta())),
        _ => None,
    }
}

/// Builds a GraphSpec node by node, with the parameter layout and initial state TypeScript
/// would resolve for each op.
pub struct Builder {
    spec: GraphSpec,
    state: Vec<Vec<f32>>,
}

impl Builder {
    /// A graph with one input of `size` floats per sample (value 0).
    pub fn new(size: usize) -> Self {
        Self::with_inputs(&[size])
    }

    /// A graph with these inputs (values 0..sizes.len()).
    pub fn with_inputs(sizes: &[usize]) -> Self {
        let inputs = sizes.iter().enumerate().map(|(i, &size)| InputSpec { name: format!("input_{i}"), size }).collect();
        let spec = GraphSpec {
            inputs,
            nodes: vec![],
            params: vec![],
            state: vec![],
            outputs: vec![],
            optimizer: serde_json::from_str(r#"{"kind":"sgd","lr":0.1}"#).unwrap(),
            seed: 1.0,
            clip_norm: None,
        };
        Builder { spec, state: vec![] }
    }

    /// Adds the op of `json` reading `inputs` with its own parameters; returns its value id.
    pub fn node(&mut self, json: &str, inputs: &[usize]) -> usize {
        self.push(serde_json::from_str(json).expect("op spec JSON"), inputs, None)
    }

    /// Adds the op of `json` using the parameters and state of the node that produced value
    /// `like` (a layer applied a second time); returns its value id.
    pub fn shared(&mut self, json: &str, inputs: &[usize], like: usize) -> usize {
        self.push(serde_json::from_str(json).expect("op spec JSON"), inputs, Some(like))
    }

    fn push(&mut self, op: OpSpec, inputs: &[usize], like: Option<usize>) -> usize {
        let (p, s, size) = op_layout(&op);
        let j = self.spec.nodes.len();
        let name = format!("{}_{j}", op.type_name());
        let (params, state) = match like {
            Some(v) => {
                let other = &self.spec.nodes[v - self.spec.inputs.len()];
                (other.params.clone(), other.state.clone())
            }
            None => {
                let first_p = self.spec.params.len();
                self.spec.params.extend(p.iter().enumerate().map(|(k, &size)| TensorSpec { name: format!("{name}/p{k}"), size }));
                let first_s = self.spec.state.len();
                self.spec.state.extend(s.iter().enumerate().map(|(k, init)| TensorSpec { name: format!("{name}/s{k}"), size: init.len() }));
                self.state.extend(s);
                ((first_p..self.spec.params.len()).collect(), (first_s..self.spec.state.len()).collect())
            }
        };
        self.spec.nodes.push(NodeSpec { name, op, inputs: inputs.to_vec(), params, state, size });
        self.spec.inputs.len() + j
    }

    /// Makes value `v` an output with `loss` (weight 1), pairing it as compile does: from logits
    /// when the loss is and the producer ends in a non-linear activation (beta scales BCE).
    pub fn output(&mut self, v: usize, loss: LossKind) -> &mut Self {
        self.weighted_output(v, loss, 1.0)
    }

    pub fn weighted_output(&mut self, v: usize, loss: LossKind, weight: f64) -> &mut Self {
        let producer = v.checked_sub(self.spec.inputs.len()).map(|j| &self.spec.nodes[j]);
        let act = producer.and_then(|n| final_activation(&n.op));
        let nonlinear = act.is_some_and(|(k, _)| k != ActivationKind::Linear);
        let logit_scale = match act {
            Some((ActivationKind::Sigmoid, beta)) if loss == LossKind::BinaryCrossEntropy => beta,
            _ => 1.0,
        };
        let width = self.spec.value_size(v);
        let name = self.spec.value_name(v).to_string();
        self.spec.outputs.push(OutputSpec {
            name,
            value: v,
            loss,
            weight,
            from_logits: loss.from_logits() && nonlinear,
            logit_scale,
            correct: if width == 1 { CorrectRule::Threshold } else { CorrectRule::Argmax },
        });
        self
    }

    pub fn optimizer(&mut self, json: &str) -> &mut Self {
        self.spec.optimizer = serde_json::from_str(json).expect("optimizer JSON");
        self
    }

    pub fn param_sizes(&self) -> Vec<usize> {
        self.spec.params.iter().map(|p| p.size).collect()
    }

    pub fn finish(&self) -> (GraphSpec, Vec<Vec<f32>>) {
        (self.spec.clone(), self.state.clone())
    }
}

/// A chain written as {"inputSize", "layers": [op, ...], "loss": {"kind"}, "optimizer", "seed",
/// "clipNorm"?} as a GraphSpec (see [`Builder`]), and its initial state.
pub fn chain(json: &str) -> (GraphSpec, Vec<Vec<f32>>) {
    let v: Value = serde_json::from_str(json).expect("chain JSON");
    let mut b = Builder::new(v["inputSize"].as_u64().expect("inputSize") as usize);
    let mut last = 0;
    for layer in v["layers"].as_array().expect("layers") {
        last = b.node(&layer.to_string(), &[last]);
    }
    b.output(last, serde_json::from_value(v["loss"]["kind"].clone()).expect("loss kind"));
    b.optimizer(&v["optimizer"].to_string());
    b.spec.seed = v["seed"].as_f64().unwrap_or(0.0);
    b.spec.clip_norm = v.get("clipNorm").and_then(Value::as_f64);
    b.finish()
}

/// One op on buffers it owns: input k in `xs[k]`, its gradient in `dxs[k]`.
pub struct Harness {
    pub op: Box<dyn Op>,
    pub sizes: Vec<usize>,
    pub out_size: usize,
    pub params: Vec<Vec<f32>>,
    pub grads: Vec<Vec<f32>>,
    pub state: Vec<Vec<f32>>,
    pub xs: Vec<Vec<f32>>,
    pub y: Vec<f32>,
    pub dxs: Vec<Vec<f32>>,
    ids: Vec<usize>,
}

impl Harness {
    /// The op of `json` on inputs of `sizes` floats per sample.
    pub fn new(json: &str, sizes: &[usize]) -> Result<Harness, oxnet_core::CoreError> {
        let spec: OpSpec = serde_json::from_str(json).expect("op spec JSON");
        let (p, s, out) = op_layout(&spec);
        let s_lens: Vec<usize> = s.iter().map(Vec::len).collect();
        let shape = NodeShape { name: "test", inputs: sizes, output: out, params: &p, state: &s_lens };
        let op = spec.build(&shape)?;
        Ok(Harness {
            op,
            sizes: sizes.to_vec(),
            out_size: out,
            grads: p.iter().map(|&n| vec![0.0; n]).collect(),
            params: p.iter().map(|&n| vec![0.0; n]).collect(),
            state: s,
            xs: vec![vec![]; sizes.len()],
            y: vec![],
            dxs: vec![vec![]; sizes.len()],
            ids: (0..sizes.len()).collect(),
        })
    }

    pub fn forward(&mut self, n: usize, training: bool, ctx: Ctx) -> Result<&[f32], oxnet_core::CoreError> {
        self.y.resize(n * self.out_size, 0.0);
        let f = Forward {
            inputs: Inputs::new(&self.xs, &self.ids, &self.sizes, n),
            n,
            params: &self.params,
            state: &mut self.state,
            ctx: Ctx { training, ..ctx },
            out: &mut self.y,
        };
        self.op.forward(f)?;
        Ok(&self.y)
    }

    /// Backward from `dy`; `need[k]` asks for input k's gradient (into `dxs[k]`).
    pub fn backward(&mut self, n: usize, dy: &[f32], grad_of: GradOf, need: &[bool]) -> Result<(), oxnet_core::CoreError> {
        for (k, d) in self.dxs.iter_mut().enumerate() {
            d.resize(n * self.sizes[k], f32::NAN); // NaN: any element backward forgets shows up
        }
        let b = Backward {
            inputs: Inputs::new(&self.xs, &self.ids, &self.sizes, n),
            out: &self.y,
            dout: dy,
            grad_of,
            n,
            params: &self.params,
            grads: &mut self.grads,
            dinputs: InputGrads::new(&mut self.dxs, need, &self.sizes, n),
        };
        self.op.backward(b)
    }
}

pub fn ctx(training: bool) -> Ctx {
    Ctx { training, step: 0, seed: 0, node: 0 }
}

fn conv_json(hw: usize, c: usize, f: usize, k: usize, stride: usize, act: &str) -> (String, usize) {
    // 'same' padding as TypeScript resolves it: out = ceil(in / stride), the odd pixel after.
    let out = hw.div_ceil(stride);
    let total = ((out - 1) * stride + k).saturating_sub(hw);
    let (a, b) = (total / 2, total - total / 2);
    let json = format!(
        r#"{{"type":"conv2d","inShape":[{hw},{hw},{c}],"filters":{f},"kernel":[{k},{k}],"strides":[{stride},{stride}],"padding":[{a},{b},{a},{b}],"dilation":[1,1],"useBias":false,"activation":{{"kind":"{act}"}}}}"#
    );
    (json, out)
}

fn bn_json(size: usize, c: usize) -> String {
    format!(r#"{{"type":"batchNorm","size":{size},"channels":{c},"momentum":0.99,"epsilon":0.001}}"#)
}

fn act_json(size: usize, c: usize, act: &str) -> String {
    format!(r#"{{"type":"activation","size":{size},"width":{c},"activation":{{"kind":"{act}"}}}}"#)
}

/// W6 of the workloads (a ResNet on 28x28x1): stem conv 3x3 16 + BN + ReLU; stages of 16, 32, 64
/// filters with two residual blocks each (conv-BN-ReLU-conv-BN, add, ReLU), the first block of
/// stages 2 and 3 with stride 2 and a 1x1 stride-2 projection; global average pool; dense 10
/// softmax. `blocks` residual blocks per stage (2 for W6); `act` in place of ReLU (tanh for
/// finite differences, which ReLU's kinks spoil). Returns the builder and the logits' value.
pub fn resnet(hw: usize, channels_in: usize, blocks: usize, act: &str) -> (Builder, usize) {
    let mut b = Builder::new(hw * hw * channels_in);
    let (stem, _) = conv_json(hw, channels_in, 16, 3, 1, "linear");
    let mut v = b.node(&stem, &[0]);
    v = b.node(&bn_json(hw * hw * 16, 16), &[v]);
    v = b.node(&act_json(hw * hw * 16, 16, act), &[v]);
    let (mut size, mut c) = (hw, 16);
    for (stage, f) in [16, 32, 64].into_iter().enumerate() {
        for block in 0..blocks {
            let stride = if stage > 0 && block == 0 { 2 } else { 1 };
            let (c1, out) = conv_json(size, c, f, 3, stride, "linear");
            let mut h = b.node(&c1, &[v]);
            h = b.node(&bn_json(out * out * f, f), &[h]);
            h = b.node(&act_json(out * out * f, f, act), &[h]);
            let (c2, _) = conv_json(out, f, f, 3, 1, "linear");
            h = b.node(&c2, &[h]);
            h = b.node(&bn_json(out * out * f, f), &[h]);
            let shortcut = if stride == 1 && c == f {
                v
            } else {
                let (proj, _) = conv_json(size, c, f, 1, stride, "linear");
                b.node(&proj, &[v])
            };
            let n = out * out * f;
            h = b.node(&format!(r#"{{"type":"merge","kind":"add","size":{n},"count":2}}"#), &[h, shortcut]);
            v = b.node(&act_json(n, f, act), &[h]);
            size = out;
            c = f;
        }
    }
    v = b.node(&format!(r#"{{"type":"globalAvgPool2d","inShape":[{size},{size},{c}]}}"#), &[v]);
    let logits = b.node(&format!(r#"{{"type":"dense","inputs":{c},"units":10,"useBias":true,"activation":{{"kind":"softmax"}}}}"#), &[v]);
    b.output(logits, LossKind::SoftmaxCrossEntropy);
    b.optimizer(r#"{"kind":"adam","lr":0.001}"#);
    (b, logits)
}

/// W2 of the workloads (784-128-64-10, ReLU, softmax cross-entropy, Adam), the short way.
pub const W2: &str = r#"{"inputSize":784,"seed":7,"loss":{"kind":"softmaxCrossEntropy"},"optimizer":{"kind":"adam","lr":0.001},
"layers":[{"type":"dense","inputs":784,"units":128,"useBias":true,"activation":{"kind":"relu"}},
{"type":"dense","inputs":128,"units":64,"useBias":true,"activation":{"kind":"relu"}},
{"type":"dense","inputs":64,"units":10,"useBias":true,"activation":{"kind":"softmax"}}]}"#;

/// W3 of the workloads (the small CNN: conv 5x5 8, pool, conv 5x5 16, pool, dense 10), the short way.
pub const W3: &str = r#"{"inputSize":784,"seed":7,"loss":{"kind":"softmaxCrossEntropy"},"optimizer":{"kind":"adam","lr":0.001},
"layers":[{"type":"conv2d","inShape":[28,28,1],"filters":8,"kernel":[5,5],"strides":[1,1],"padding":[2,2,2,2],"dilation":[1,1],"useBias":true,"activation":{"kind":"relu"}},
{"type":"maxPool2d","inShape":[28,28,8],"pool":[2,2],"strides":[2,2],"padding":[0,0,0,0]},
{"type":"conv2d","inShape":[14,14,8],"filters":16,"kernel":[5,5],"strides":[1,1],"padding":[2,2,2,2],"dilation":[1,1],"useBias":true,"activation":{"kind":"relu"}},
{"type":"maxPool2d","inShape":[14,14,16],"pool":[2,2],"strides":[2,2],"padding":[0,0,0,0]},
{"type":"reshape","size":784},
{"type":"dense","inputs":784,"units":10,"useBias":true,"activation":{"kind":"softmax"}}]}"#;

/// `n` values uniform in [-scale, scale) from a Mulberry32 seeded with `seed`.
pub fn random(n: usize, seed: u32, scale: f64) -> Vec<f32> {
    let mut r = Mulberry32::new(seed);
    (0..n).map(|_| ((r.next_f64() * 2.0 - 1.0) * scale) as f32).collect()
}
