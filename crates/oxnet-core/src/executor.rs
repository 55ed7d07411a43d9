//! The graph executor (docs/kernels.md "Network executor"): runs a [`GraphSpec`]'s nodes forward
//! in order, the losses of its outputs, then backward in reverse order. A value read by several
//! nodes receives the sum of their gradients and a layer applied twice sums its parameter
//! gradients: the first writer of a gradient (in backward order) overwrites it, later ones write
//! into a scratch that the executor adds in, so ops stay overwrite-only and a chain pays nothing
//! for the rule. Values share buffers by liveness (plan.rs); every buffer, gradient and optimizer
//! slot is kept across batches, so the steady state allocates nothing.
use std::mem::take;
use std::ops::Range;

use rayon::prelude::*;

use crate::error::{checked_product, expect_len, expect_positive, CoreError, Result};
use crate::graph::{CorrectRule, GraphSpec};
use crate::loss::loss_unchecked;
use crate::ops::{Backward, Ctx, Forward, GradOf, InputGrads, Inputs, NodeShape, Op};
use crate::optim;
use crate::plan::{self, Life, Plan, NO_BUFFER};
use crate::rng::Mulberry32;
use crate::spec::LossKind;
use crate::threads;

/// Inference runs in chunks of this many samples so huge inputs do not grow the buffers.
const PREDICT_CHUNK: usize = 512;
/// The optimizer step splits over the pool from this many parameters (W2 has 109,386), in
/// chunks of UPDATE_CHUNK floats per tensor.
const PARALLEL_UPDATE_MIN: usize = 1 << 15;
const UPDATE_CHUNK: usize = 1 << 13;

/// Where a target comes from: its own rows, or a model input's (an autoencoder's data, held once).
#[derive(Debug, Clone)]
pub enum TargetData {
    Values(Vec<f32>),
    Input(usize),
}

/// Samples copied once, so background training never reads caller memory: one table of rows per
/// model input and per output.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub count: usize,
    inputs: Vec<Vec<f32>>,
    targets: Vec<TargetData>,
    pub input_sizes: Vec<usize>,
    pub target_sizes: Vec<usize>,
}

impl Dataset {
    /// `count` rows of every input and target; each length must be a non-empty multiple of count.
    pub fn new(inputs: Vec<Vec<f32>>, targets: Vec<TargetData>, count: usize) -> Result<Self> {
        let op = "createDataset";
        expect_positive(op, "count", count)?;
        if inputs.is_empty() || targets.is_empty() {
            return Err(CoreError::shape(format!(
                "{op}: needs at least one input and one target, got {} and {}",
                inputs.len(),
                targets.len()
            )));
        }
        let rows = |name: &str, len: usize| {
            if len == 0 || !len.is_multiple_of(count) {
                Err(CoreError::shape(format!("{op}: {name} has {len} floats, expected a non-empty multiple of count = {count}")))
            } else {
                Ok(len / count)
            }
        };
        let input_sizes = inputs.iter().enumerate().map(|(i, x)| rows(&format!("inputs[{i}]"), x.len())).collect::<Result<Vec<_>>>()?;
        let mut target_sizes = vec![];
        for (o, t) in targets.iter().enumerate() {
            target_sizes.push(match t {
                TargetData::Values(y) => rows(&format!("targets[{o}]"), y.len())?,
                TargetData::Input(i) => *input_sizes
                    .get(*i)
                    .ok_or_else(|| CoreError::shape(format!("{op}: targets[{o}] names input {i}, there are {}", inputs.len())))?,
            });
        }
        Ok(Dataset { count, inputs, targets, input_sizes, target_sizes })
    }

    /// Replaces the rows with copies of `inputs` and `targets` (a target given as `None` is the
    /// input of the same index, held once), reusing the buffers' capacity: a streamed data set
    /// refilled per group of batches allocates (and page-faults) only while it grows. On an error
    /// the data set is left empty (count 0), so no training call can read stale rows.
    pub fn refill(&mut self, inputs: &[&[f32]], targets: &[Option<&[f32]>], count: usize) -> Result<()> {
        let mut old_inputs = std::mem::take(&mut self.inputs);
        let mut old_targets = std::mem::take(&mut self.targets);
        let reuse = |old: Option<&mut Vec<f32>>, src: &[f32]| {
            let mut v = old.map(std::mem::take).unwrap_or_default();
            v.clear();
            v.extend_from_slice(src);
            v
        };
        let new_inputs: Vec<Vec<f32>> = inputs.iter().enumerate().map(|(i, x)| reuse(old_inputs.get_mut(i), x)).collect();
        let new_targets: Vec<TargetData> = targets
            .iter()
            .enumerate()
            .map(|(o, t)| match t {
                None => TargetData::Input(o),
                Some(y) => {
                    let old = match old_targets.get_mut(o) {
                        Some(TargetData::Values(v)) => Some(v),
                        _ => None,
                    };
                    TargetData::Values(reuse(old, y))
                }
            })
            .collect();
        match Dataset::new(new_inputs, new_targets, count) {
            Ok(d) => {
                *self = d;
                Ok(())
            }
            Err(e) => {
                self.count = 0;
                self.input_sizes.clear();
                self.target_sizes.clear();
                Err(e)
            }
        }
    }

    /// One input and one target (the chain models' data).
    pub fn single(x: Vec<f32>, y: Vec<f32>, count: usize) -> Result<Self> {
        Self::new(vec![x], vec![TargetData::Values(y)], count)
    }

    /// One input that is also the target (an autoencoder's), held once.
    pub fn inputs_as_targets(x: Vec<f32>, count: usize) -> Result<Self> {
        Self::new(vec![x], vec![TargetData::Input(0)], count)
    }

    pub fn input(&self, i: usize) -> &[f32] {
        &self.inputs[i]
    }

    pub fn target(&self, o: usize) -> &[f32] {
        match &self.targets[o] {
            TargetData::Values(y) => y,
            TargetData::Input(i) => &self.inputs[*i],
        }
    }
}

/// Results of one batch (loss before its update).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchStats {
    /// Σ weight_o · loss_o.
    pub loss: f64,
    /// Mean loss of each output.
    pub output_losses: Vec<f64>,
    /// Samples predicted right, per output.
    pub correct: Vec<f64>,
    /// The loss and every gradient are finite.
    pub finite: bool,
}

/// Per-batch results of a training run (see the TypeScript `TrainStats`).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainStats {
    pub losses: Vec<f64>,
    /// batches x outputs, row-major.
    pub output_losses: Vec<f64>,
    /// batches x outputs, row-major.
    pub correct: Vec<f64>,
    /// First batch whose loss or gradient was not finite (training stopped there), or -1.
    pub non_finite_batch: i64,
}

/// Results of [`Network::train_epochs`], per completed epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochStats {
    /// Mean total loss over the epoch's samples (batch losses weighted by batch size).
    pub losses: Vec<f64>,
    /// epochs x outputs: mean loss of each output.
    pub output_losses: Vec<f64>,
    /// epochs x outputs: samples predicted right.
    pub correct: Vec<f64>,
    pub epochs: usize,
    /// -1, or the batch (within epoch `epochs`) whose loss or gradient was not finite.
    pub non_finite_batch: i64,
}

/// Sums over the samples of an inference pass with the losses (see `NetworkRunner.evaluate`).
#[derive(Debug, Clone, PartialEq)]
pub struct EvalStats {
    /// Per output: Σ over samples of the loss (mean loss x count).
    pub loss_sums: Vec<f64>,
    pub correct: Vec<f64>,
    /// Per output: Σ (y - t)^2 over samples and units.
    pub sq_err: Vec<f64>,
    pub count: usize,
}

/// Floats per sample each buffer plan holds, against one buffer per value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryReport {
    pub training: usize,
    pub training_naive: usize,
    pub gradients: usize,
    pub gradients_naive: usize,
    pub inference: usize,
    pub inference_naive: usize,
}

/// How each epoch of [`Network::train_epochs`] orders the samples.
#[derive(Debug, Clone, Copy)]
pub enum EpochOrder<'a> {
    /// 0, 1, ..., count - 1 every epoch.
    Identity,
    /// One seed per epoch: the mulberry32 Fisher-Yates shuffle of 0..count (i from count - 1 down
    /// to 1, j = floor(u (i + 1))), as `shuffledIndices` in src/random.ts.
    Shuffle(&'a [u32]),
    /// epochs * count indices, epoch after epoch.
    Given(&'a [u32]),
}

/// A multi-epoch training call.
#[derive(Debug, Clone, Copy)]
pub struct EpochPlan<'a> {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    /// Optimizer step before the first batch; batch b of epoch e runs at step + e * batches + b.
    pub step: u32,
    pub order: EpochOrder<'a>,
    /// Stop after the first epoch whose mean loss is below this.
    pub stop_below: Option<f64>,
}

/// Where backward writes the gradient of one input of a node.
#[derive(Clone, Copy)]
struct DxSlot {
    /// Something upstream needs it.
    need: bool,
    /// First writer in backward order: overwrites the value's gradient buffer; else adds.
    first: bool,
    /// The value's gradient buffer.
    gbuf: usize,
    /// Where backward writes it: `gbuf` for the first writer, else the scratch of its position.
    dst: usize,
}

/// What the executor knows of a node besides its op.
struct NodeRt {
    value: usize,
    size: usize,
    inputs: Vec<usize>,
    input_sizes: Vec<usize>,
    params: Range<usize>,
    state: Range<usize>,
    /// Buffers of the inputs and of the output in the training and the inference plan, and of
    /// the output's gradient.
    in_train: Vec<usize>,
    in_infer: Vec<usize>,
    out_train: usize,
    out_infer: usize,
    dout: usize,
    /// Per input: where backward writes its gradient.
    dx: Vec<DxSlot>,
    /// Per input: `dx[k].dst`, as the op's `InputGrads` reads it.
    dx_dst: Vec<usize>,
    /// Some input gradient lands in a scratch that is added in after backward (fan-out).
    sums_dx: bool,
    /// Runs backward: it has parameters or an input that needs a gradient.
    backward: bool,
    /// Per input: something upstream needs its gradient.
    need_dx: Vec<bool>,
    /// Per input: this node writes that gradient first in backward order (overwrite), else adds.
    first_dx: Vec<bool>,
    /// Writes `grads[params]` directly: the last node (in forward order) of a layer applied twice.
    owns_grads: bool,
    /// Its output carries a from-logits loss: dout is the gradient of the pre-activation.
    grad_of: GradOf,
}

struct OutputRt {
    value: usize,
    size: usize,
    /// The node producing it (None for a model input passed straight through).
    producer: Option<usize>,
    kind: LossKind,
    weight: f64,
    from_logits: bool,
    logit_scale: f64,
    correct: CorrectRule,
    /// Writes its value's gradient first (else adds: two outputs on one value).
    first: bool,
    train_buf: usize,
    infer_buf: usize,
    gbuf: usize,
    target: Vec<f32>,
    logits: Vec<f32>,
}

pub struct Network {
    spec: GraphSpec,
    ops: Vec<Box<dyn Op>>,
    nodes: Vec<NodeRt>,
    outputs: Vec<OutputRt>,
    params: Vec<Vec<f32>>,
    grads: Vec<Vec<f32>>,
    /// Per node that does not own its gradients: its own copies, added into `grads` after its backward.
    shared_grads: Vec<Vec<Vec<f32>>>,
    /// Optimizer slots per parameter ([v] or [m, v]).
    slots: Vec<Vec<Vec<f32>>>,
    state: Vec<Vec<f32>>,
    train_plan: Plan,
    infer_plan: Plan,
    memory: MemoryReport,
    bufs: Vec<Vec<f32>>,
    /// The gradient plan's buffers, then one scratch per input position (from `scratch_base`):
    /// where a non-first gradient writer writes before it is added in.
    gbufs: Vec<Vec<f32>>,
    scratch_base: usize,
    /// A loss gradient nobody reads (a graph without parameters), and evaluate's.
    spare_grad: Vec<f32>,
    stats: BatchStats,
    seed: u32,
    param_floats: usize,
    /// Every buffer of the training pass holds a batch of this many samples (buffers only grow):
    /// smaller or equal batches skip the growth checks.
    train_sized: usize,
}

impl Network {
    /// Builds and checks the network; `params` and `state` in the order of `spec.params` /
    /// `spec.state` (their lengths are checked before anything is allocated from the spec).
    pub fn new(spec: GraphSpec, params: Vec<Vec<f32>>, state: Vec<Vec<f32>>) -> Result<Self> {
        spec.validate()?;
        let param_sizes: Vec<usize> = spec.params.iter().map(|p| p.size).collect();
        let state_sizes: Vec<usize> = spec.state.iter().map(|s| s.size).collect();
        check_lengths("createNetwork", "params", &params.iter().map(Vec::as_slice).collect::<Vec<_>>(), &param_sizes)?;
        check_lengths("createNetwork", "state", &state.iter().map(Vec::as_slice).collect::<Vec<_>>(), &state_sizes)?;
        let n_in = spec.inputs.len();
        let count = spec.nodes.len();
        let mut ops = Vec::with_capacity(count);
        let mut nodes = Vec::with_capacity(count);
        let mut requires_grad = vec![false; spec.value_count()];
        for (j, node) in spec.nodes.iter().enumerate() {
            let input_sizes: Vec<usize> = node.inputs.iter().map(|&v| spec.value_size(v)).collect();
            let p_lens: Vec<usize> = node.params.iter().map(|&p| param_sizes[p]).collect();
            let s_lens: Vec<usize> = node.state.iter().map(|&s| state_sizes[s]).collect();
            let shape = NodeShape { name: &node.name, inputs: &input_sizes, output: node.size, params: &p_lens, state: &s_lens };
            ops.push(node.op.build(&shape)?);
            let need_dx: Vec<bool> = node.inputs.iter().map(|&v| requires_grad[v]).collect();
            let backward = !node.params.is_empty() || need_dx.iter().any(|&b| b);
            requires_grad[n_in + j] = backward;
            let range = |ids: &[usize]| ids.first().map_or(0..0, |&a| a..a + ids.len());
            nodes.push(NodeRt {
                value: n_in + j,
                size: node.size,
                inputs: node.inputs.clone(),
                input_sizes,
                params: range(&node.params),
                state: range(&node.state),
                in_train: vec![],
                in_infer: vec![],
                out_train: NO_BUFFER,
                out_infer: NO_BUFFER,
                dout: NO_BUFFER,
                dx: vec![],
                dx_dst: vec![],
                sums_dx: false,
                backward,
                need_dx,
                first_dx: vec![false; node.inputs.len()],
                owns_grads: false,
                grad_of: GradOf::Output,
            });
        }
        let mut outputs: Vec<OutputRt> = spec
            .outputs
            .iter()
            .map(|o| OutputRt {
                value: o.value,
                size: spec.value_size(o.value),
                producer: o.value.checked_sub(n_in),
                kind: o.loss,
                weight: o.weight,
                from_logits: o.from_logits,
                logit_scale: o.logit_scale,
                correct: o.correct,
                first: false,
                train_buf: NO_BUFFER,
                infer_buf: NO_BUFFER,
                gbuf: NO_BUFFER,
                target: vec![],
                logits: vec![],
            })
            .collect();
        for o in &outputs {
            if o.from_logits {
                nodes[o.producer.expect("validated: a node's output")].grad_of = GradOf::PreActivation;
            }
        }
        // Every node's output must reach an output: a value nobody reads gets no gradient.
        for (j, node) in spec.nodes.iter().enumerate() {
            let v = n_in + j;
            let read = spec.nodes[j + 1..].iter().any(|m| m.inputs.contains(&v)) || outputs.iter().any(|o| o.value == v);
            if !read {
                return Err(CoreError::config(format!("graph: node '{}' feeds no node and no output", node.name)));
            }
        }
        // First writers of each value's gradient, in backward order: the outputs' losses, then the
        // consumers from the last node down, each in input order.
        let mut written = vec![false; spec.value_count()];
        for o in outputs.iter_mut() {
            o.first = !written[o.value];
            written[o.value] = true;
        }
        for node in nodes.iter_mut().rev() {
            for k in 0..node.inputs.len() {
                if node.need_dx[k] {
                    node.first_dx[k] = !written[node.inputs[k]];
                    written[node.inputs[k]] = true;
                }
            }
        }
        // The last user of a layer's parameters (forward order) writes its gradients first.
        let mut owned = vec![false; param_sizes.len()];
        let mut shared_grads = vec![vec![]; count];
        for (j, node) in nodes.iter_mut().enumerate().rev() {
            if node.params.is_empty() {
                continue;
            }
            node.owns_grads = !owned[node.params.start];
            owned[node.params.start] = true;
            if !node.owns_grads {
                shared_grads[j] = node.params.clone().map(|p| vec![0.0; param_sizes[p]]).collect();
            }
        }
        let (train_lives, infer_lives, grad_lives) = lives(&spec, &ops, &nodes, &outputs, &requires_grad);
        let (train_plan, infer_plan, grad_plan) = (plan::assign(&train_lives), plan::assign(&infer_lives), plan::assign(&grad_lives));
        for node in nodes.iter_mut() {
            node.in_train = node.inputs.iter().map(|&v| train_plan.buffer[v]).collect();
            node.in_infer = node.inputs.iter().map(|&v| infer_plan.buffer[v]).collect();
            (node.out_train, node.out_infer, node.dout) =
                (train_plan.buffer[node.value], infer_plan.buffer[node.value], grad_plan.buffer[node.value]);
            let scratch_base = grad_plan.sizes.len();
            node.dx = (0..node.inputs.len())
                .map(|k| {
                    let (need, first, gbuf) = (node.need_dx[k], node.first_dx[k], grad_plan.buffer[node.inputs[k]]);
                    DxSlot { need, first, gbuf, dst: if first { gbuf } else { scratch_base + k } }
                })
                .collect();
            node.dx_dst = node.dx.iter().map(|slot| slot.dst).collect();
            node.sums_dx = node.dx.iter().any(|slot| slot.need && !slot.first);
        }
        for o in outputs.iter_mut() {
            (o.train_buf, o.infer_buf, o.gbuf) = (train_plan.buffer[o.value], infer_plan.buffer[o.value], grad_plan.buffer[o.value]);
        }
        let memory = MemoryReport {
            training: train_plan.floats_per_sample(),
            training_naive: plan::naive_floats_per_sample(&train_lives),
            gradients: grad_plan.floats_per_sample(),
            gradients_naive: plan::naive_floats_per_sample(&grad_lives),
            inference: infer_plan.floats_per_sample(),
            inference_naive: plan::naive_floats_per_sample(&infer_lives),
        };
        let slot_count = spec.optimizer.slots();
        let arity = nodes.iter().map(|n| n.inputs.len()).max().unwrap_or(1);
        let n_out = outputs.len();
        Ok(Network {
            seed: spec.seed_u32(),
            param_floats: param_sizes.iter().sum(),
            train_sized: 0,
            grads: param_sizes.iter().map(|&s| vec![0.0; s]).collect(),
            slots: param_sizes.iter().map(|&s| vec![vec![0.0; s]; slot_count]).collect(),
            params,
            state,
            bufs: vec![Vec::new(); train_plan.sizes.len().max(infer_plan.sizes.len())],
            gbufs: vec![Vec::new(); grad_plan.sizes.len() + arity],
            scratch_base: grad_plan.sizes.len(),
            spare_grad: vec![],
            stats: BatchStats { loss: 0.0, output_losses: vec![0.0; n_out], correct: vec![0.0; n_out], finite: true },
            train_plan,
            infer_plan,
            memory,
            shared_grads,
            spec,
            ops,
            nodes,
            outputs,
        })
    }

    pub fn spec(&self) -> &GraphSpec {
        &self.spec
    }
    pub fn input_sizes(&self) -> Vec<usize> {
        self.spec.inputs.iter().map(|i| i.size).collect()
    }
    pub fn output_sizes(&self) -> Vec<usize> {
        self.outputs.iter().map(|o| o.size).collect()
    }
    pub fn value_count(&self) -> usize {
        self.spec.value_count()
    }
    /// Floats per sample the activation and gradient buffers hold, against one buffer per value.
    pub fn memory(&self) -> MemoryReport {
        self.memory
    }

    /// Mini-batch training over `order` (see `NetworkRunner.train`).
    pub fn train(&mut self, data: &Dataset, order: &[u32], batch_size: usize, lr: f64, step: u32) -> Result<TrainStats> {
        self.check_train_args("train", data, batch_size, lr)?;
        check_order("train", order, data.count)?;
        let batches = order.len().div_ceil(batch_size);
        let k = self.outputs.len();
        let mut stats = TrainStats {
            losses: Vec::with_capacity(batches),
            output_losses: Vec::with_capacity(batches * k),
            correct: Vec::with_capacity(batches * k),
            non_finite_batch: -1,
        };
        threads::install_warm(self.worth_the_pool(batch_size), || {
            for (bi, chunk) in order.chunks(batch_size).enumerate() {
                let finite = self.train_batch(data, chunk, step.wrapping_add(bi as u32), lr)?;
                stats.losses.push(self.stats.loss);
                stats.output_losses.extend_from_slice(&self.stats.output_losses);
                stats.correct.extend_from_slice(&self.stats.correct);
                if !finite {
                    stats.non_finite_batch = bi as i64;
                    break;
                }
            }
            Ok(stats)
        })
    }

    /// Whole epochs in one call (see `NetworkRunner.trainEpochs`): each epoch visits all
    /// `data.count` samples in batches of `batch_size`, in the order `plan.order` gives, and
    /// reports its sample-weighted mean losses and correct counts. Stops after the first epoch
    /// whose mean loss is below `plan.stop_below`, or at a non-finite batch (no update for it).
    pub fn train_epochs(&mut self, data: &Dataset, plan: &EpochPlan) -> Result<EpochStats> {
        let op = "trainEpochs";
        self.check_train_args(op, data, plan.batch_size, plan.lr)?;
        let count = data.count;
        match plan.order {
            EpochOrder::Identity => {}
            EpochOrder::Shuffle(seeds) => expect_len(op, "shuffleSeeds", seeds.len(), "epochs", plan.epochs)?,
            EpochOrder::Given(orders) => {
                expect_len(op, "orders", orders.len(), "epochs*count", checked_product(op, "epochs*count", &[plan.epochs, count])?)?;
                check_order(op, orders, count)?;
            }
        }
        let batches = count.div_ceil(plan.batch_size);
        let k = self.outputs.len();
        let mut order: Vec<u32> = (0..count as u32).collect();
        let mut stats = EpochStats { losses: vec![], output_losses: vec![], correct: vec![], epochs: 0, non_finite_batch: -1 };
        let mut out_sums = vec![0.0; k];
        let mut correct_sums = vec![0.0; k];
        threads::install_warm(self.worth_the_pool(plan.batch_size), || {
            for e in 0..plan.epochs {
                let epoch_order: &[u32] = match plan.order {
                    EpochOrder::Identity => &order,
                    EpochOrder::Shuffle(seeds) => {
                        shuffle_identity(&mut order, seeds[e]);
                        &order
                    }
                    EpochOrder::Given(orders) => &orders[e * count..(e + 1) * count],
                };
                let mut loss_sum = 0.0;
                out_sums.iter_mut().for_each(|s| *s = 0.0);
                correct_sums.iter_mut().for_each(|s| *s = 0.0);
                let first_step = plan.step.wrapping_add((e * batches) as u32);
                for (bi, chunk) in epoch_order.chunks(plan.batch_size).enumerate() {
                    if !self.train_batch(data, chunk, first_step.wrapping_add(bi as u32), plan.lr)? {
                        stats.non_finite_batch = bi as i64;
                        return Ok(stats);
                    }
                    let size = chunk.len() as f64;
                    loss_sum += self.stats.loss * size;
                    for o in 0..k {
                        out_sums[o] += self.stats.output_losses[o] * size;
                        correct_sums[o] += self.stats.correct[o];
                    }
                }
                let mean = loss_sum / count as f64;
                stats.losses.push(mean);
                stats.output_losses.extend(out_sums.iter().map(|s| s / count as f64));
                stats.correct.extend_from_slice(&correct_sums);
                stats.epochs += 1;
                if plan.stop_below.is_some_and(|t| mean < t) {
                    break;
                }
            }
            Ok(stats)
        })
    }

    /// Forward and backward of one batch given as arrays (n rows of each input and target), in
    /// training mode at optimizer step `step`; the gradients stay in the network (see
    /// [`Network::gradients`]) until [`Network::apply_gradients`] or the next batch.
    pub fn compute_gradients(&mut self, inputs: &[&[f32]], targets: &[&[f32]], n: usize, step: u32) -> Result<BatchStats> {
        let op = "computeGradients";
        self.check_arrays(op, inputs, targets, n)?;
        threads::install_if(self.worth_the_pool(n), || {
            for (i, x) in inputs.iter().enumerate() {
                let b = self.train_plan.buffer[i];
                grow(&mut self.bufs[b], x.len())?;
                self.bufs[b][..x.len()].copy_from_slice(x);
            }
            for (o, t) in targets.iter().enumerate() {
                self.outputs[o].target.clear();
                self.outputs[o].target.extend_from_slice(t);
            }
            self.forward(n, true, step, self.nodes.len() - 1)?;
            self.loss_and_backward(n)?;
            Ok(self.stats.clone())
        })
    }

    /// Copies of the gradients left by the last batch, in parameter order.
    pub fn gradients(&self) -> Vec<Vec<f32>> {
        self.grads.clone()
    }

    /// Replaces the gradients (e.g. with ones summed over micro-batches or processes).
    pub fn set_gradients(&mut self, grads: &[&[f32]]) -> Result<()> {
        copy_into("setGradients", "grads", grads, &mut self.grads)
    }

    /// The optimizer's update from the gradients held now (clipped by the spec's clipNorm) at
    /// step `step` (the batch's; the update counts as step + 1).
    pub fn apply_gradients(&mut self, lr: f64, step: u32) -> Result<()> {
        if !lr.is_finite() {
            return Err(CoreError::arg(format!("applyGradients: lr must be finite, got {lr}")));
        }
        self.update(lr, step);
        Ok(())
    }

    /// Whether batches of `batch_size` are big enough to run inside the thread pool: about
    /// batch x parameters multiply-adds per pass, so tiny networks (XOR) skip the hop into it.
    fn worth_the_pool(&self, batch_size: usize) -> bool {
        batch_size.saturating_mul(self.param_floats) >= 1 << 18
    }

    fn check_train_args(&self, op: &str, data: &Dataset, batch_size: usize, lr: f64) -> Result<()> {
        let ins = self.input_sizes();
        if data.input_sizes != ins {
            return Err(CoreError::shape(format!(
                "{op}: dataset input sizes {:?} do not match the network's inputs {ins:?}",
                data.input_sizes
            )));
        }
        let outs = self.output_sizes();
        if data.target_sizes != outs {
            return Err(CoreError::shape(format!(
                "{op}: dataset target sizes {:?} do not match the network's outputs {outs:?}",
                data.target_sizes
            )));
        }
        expect_positive(op, "batchSize", batch_size)?;
        if !lr.is_finite() {
            return Err(CoreError::arg(format!("{op}: lr must be finite, got {lr}")));
        }
        Ok(())
    }

    /// n rows of every input (and target, when given) of this network.
    fn check_arrays(&self, op: &str, inputs: &[&[f32]], targets: &[&[f32]], n: usize) -> Result<()> {
        expect_positive(op, "n", n)?;
        expect_count(op, "inputs", inputs.len(), self.spec.inputs.len())?;
        for (i, x) in inputs.iter().enumerate() {
            let want = checked_product(op, "n*inputSize", &[n, self.spec.inputs[i].size])?;
            expect_len(op, &format!("inputs[{i}] ('{}')", self.spec.inputs[i].name), x.len(), "n*inputSize", want)?;
        }
        if !targets.is_empty() || op != "predict" {
            expect_count(op, "targets", targets.len(), self.outputs.len())?;
            for (o, t) in targets.iter().enumerate() {
                let want = checked_product(op, "n*outputSize", &[n, self.outputs[o].size])?;
                expect_len(op, &format!("targets[{o}] ('{}')", self.spec.outputs[o].name), t.len(), "n*outputSize", want)?;
            }
        }
        Ok(())
    }

    /// One batch at optimizer step `global_step` (before its update): forward, losses, backward
    /// and, when the loss and every gradient are finite, the update. Returns finite.
    fn train_batch(&mut self, data: &Dataset, chunk: &[u32], global_step: u32, lr: f64) -> Result<bool> {
        let n = chunk.len();
        // Model inputs are the first values: the zip stops at the last of them.
        for ((x, &width), &b) in data.inputs.iter().zip(&data.input_sizes).zip(&self.train_plan.buffer) {
            gather(x, width, chunk, &mut self.bufs[b])?;
        }
        for (o, out) in self.outputs.iter_mut().enumerate() {
            gather(data.target(o), data.target_sizes[o], chunk, &mut out.target)?;
        }
        self.forward(n, true, global_step, self.nodes.len() - 1)?;
        self.loss_and_backward(n)?;
        if self.stats.finite {
            self.update(lr, global_step);
        }
        Ok(self.stats.finite)
    }

    /// Clipping and the optimizer step on every parameter from `grads`.
    fn update(&mut self, lr: f64, global_step: u32) {
        if let Some(max_norm) = self.spec.clip_norm {
            clip_global_norm(&mut self.grads, max_norm);
        }
        let rule = optim::StepRule::new(&self.spec.optimizer, lr, f64::from(global_step) + 1.0);
        if self.param_floats >= PARALLEL_UPDATE_MIN && rayon::current_thread_index().is_some() && rayon::current_num_threads() > 1 {
            // Element by element: any split gives the same bits.
            self.params.par_iter_mut().zip(&self.grads).zip(&mut self.slots).for_each(|((p, g), s)| update_chunks(&rule, p, g, s));
            return;
        }
        for ((p, g), s) in self.params.iter_mut().zip(&self.grads).zip(self.slots.iter_mut()) {
            rule.apply(p, g, s);
        }
    }

    /// Runs nodes 0..=last on the input buffers holding `n` samples.
    fn forward(&mut self, n: usize, training: bool, step: u32, last: usize) -> Result<()> {
        let sized = training && n <= self.train_sized;
        let Network { ops, nodes, bufs, params, state, seed, .. } = self;
        for (j, (node, op)) in nodes.iter().zip(ops.iter_mut()).enumerate().take(last + 1) {
            let ob = if training { node.out_train } else { node.out_infer };
            let len = n * node.size;
            if !sized {
                grow(&mut bufs[ob], len)?;
            }
            // The output's buffer is taken out while the op runs: liveness gives it to no input.
            let mut out = take(&mut bufs[ob]);
            let f = Forward {
                inputs: Inputs { bufs, ids: if training { &node.in_train } else { &node.in_infer }, sizes: &node.input_sizes, n },
                n,
                params: &params[node.params.clone()],
                state: &mut state[node.state.clone()],
                ctx: Ctx { training, step, seed: *seed, node: j as u32 },
                out: &mut out[..len],
            };
            let result = op.forward(f);
            put_back(&mut bufs[ob], out);
            result?;
        }
        Ok(())
    }

    /// The loss of every output (from-logits ones on the producer's pre-activation), then
    /// backward through every node, leaving the parameter gradients in `grads` and the batch's
    /// figures in `stats`.
    fn loss_and_backward(&mut self, n: usize) -> Result<()> {
        let sized = n <= self.train_sized;
        let mut total = 0.0;
        for o in 0..self.outputs.len() {
            let out = &mut self.outputs[o];
            let len = n * out.size;
            let y = &self.bufs[out.train_buf][..len];
            let (gb, scratch) = (out.gbuf, self.scratch_base);
            // Nobody reads it (spare), the value's gradient, or a scratch added in below.
            let grad = match gb {
                NO_BUFFER => &mut self.spare_grad,
                _ => &mut self.gbufs[if out.first { gb } else { scratch }],
            };
            if !sized {
                grow(grad, len)?;
            }
            let grad = &mut grad[..len];
            let pred = match (out.from_logits, out.producer) {
                (true, Some(j)) => {
                    let node = &self.nodes[j];
                    let inputs = Inputs { bufs: &self.bufs, ids: &node.in_train, sizes: &node.input_sizes, n };
                    self.ops[j].pre_activation(&inputs, y).unwrap_or(y)
                }
                _ => y,
            };
            let pred = scaled(pred, out.logit_scale, &mut out.logits);
            let target = &out.target[..len];
            let value = loss_unchecked(out.kind, pred, target, n, out.size, grad);
            if out.logit_scale != 1.0 {
                // d/da = scale d/dz for z = scale a.
                let s = out.logit_scale;
                grad.iter_mut().for_each(|g| *g = (f64::from(*g) * s) as f32);
            }
            if out.weight != 1.0 {
                let w = out.weight;
                grad.iter_mut().for_each(|g| *g = (f64::from(*g) * w) as f32);
            }
            self.stats.output_losses[o] = value;
            self.stats.correct[o] = count_correct(out.correct, y, target, out.size);
            total += out.weight * value;
            if gb != NO_BUFFER && !out.first {
                let (plan, scratch) = self.gbufs.split_at_mut(scratch);
                add_into(&mut plan[gb][..len], &scratch[0][..len]);
            }
        }
        self.stats.loss = total;
        for j in (0..self.nodes.len()).rev() {
            if self.nodes[j].backward {
                self.backward_node(j, n, sized)?;
            }
        }
        self.train_sized = self.train_sized.max(n);
        self.stats.finite = total.is_finite() && self.grads.iter().all(|g| all_finite(g));
        Ok(())
    }

    fn backward_node(&mut self, j: usize, n: usize, sized: bool) -> Result<()> {
        let node = &self.nodes[j];
        if !sized {
            for (slot, &size) in node.dx.iter().zip(&node.input_sizes) {
                if slot.need {
                    grow(&mut self.gbufs[slot.dst], n * size)?;
                }
            }
        }
        let len = n * node.size;
        // dout is taken out while the op runs so that the input gradients can be lent from the
        // same table: liveness never gives them its buffer.
        let dout = take(&mut self.gbufs[node.dout]);
        let grads = if node.owns_grads { &mut self.grads[node.params.clone()] } else { &mut self.shared_grads[j][..] };
        let b = Backward {
            inputs: Inputs { bufs: &self.bufs, ids: &node.in_train, sizes: &node.input_sizes, n },
            out: &self.bufs[node.out_train][..len],
            dout: &dout[..len],
            grad_of: node.grad_of,
            n,
            params: &self.params[node.params.clone()],
            grads,
            dinputs: InputGrads { bufs: &mut self.gbufs, ids: Some(&node.dx_dst), need: &node.need_dx, sizes: &node.input_sizes, n },
        };
        let result = self.ops[j].backward(b);
        put_back(&mut self.gbufs[node.dout], dout);
        result?;
        if node.sums_dx {
            add_scratch_grads(&mut self.gbufs, self.scratch_base, node, n);
        }
        if !node.owns_grads {
            for (g, s) in self.grads[node.params.clone()].iter_mut().zip(&self.shared_grads[j]) {
                add_into(g, s);
            }
        }
        Ok(())
    }

    /// Inference outputs (dropout off, batch norm on running statistics) for n samples, written
    /// into `outs` (one n * outputSize slice per output).
    pub fn predict_into(&mut self, inputs: &[&[f32]], n: usize, outs: &mut [&mut [f32]]) -> Result<()> {
        let op = "predict";
        self.check_arrays(op, inputs, &[], n)?;
        expect_count(op, "outputs", outs.len(), self.outputs.len())?;
        for (o, out) in outs.iter().enumerate() {
            expect_len(op, &format!("outputs[{o}]"), out.len(), "n*outputSize", n * self.outputs[o].size)?;
        }
        threads::install_if(self.worth_the_pool(n.min(PREDICT_CHUNK)), || {
            let last = self.nodes.len() - 1;
            for start in (0..n).step_by(PREDICT_CHUNK) {
                let m = PREDICT_CHUNK.min(n - start);
                self.load_inference_chunk(inputs, start, m)?;
                self.forward(m, false, 0, last)?;
                for (o, out) in outs.iter_mut().enumerate() {
                    let size = self.outputs[o].size;
                    let b = self.outputs[o].infer_buf;
                    out[start * size..(start + m) * size].copy_from_slice(&self.bufs[b][..m * size]);
                }
            }
            Ok(())
        })
    }

    /// Length of predict_value's output, after checking the value id.
    pub fn value_len(&self, n: usize, value: usize) -> Result<usize> {
        if value >= self.value_count() {
            return Err(CoreError::arg(format!("predictValue: value must be < {} (value count), got {value}", self.value_count())));
        }
        checked_product("predictValue", "n*valueSize", &[n, self.spec.value_size(value)])
    }

    /// Inference value `value` (a model input, or any node's output) for n samples: the nodes up
    /// to its producer run, so no later node can have taken its buffer.
    pub fn predict_value_into(&mut self, inputs: &[&[f32]], n: usize, value: usize, out: &mut [f32]) -> Result<()> {
        let op = "predictValue";
        self.check_arrays("predict", inputs, &[], n)?;
        expect_len(op, "out", out.len(), "n*valueSize", self.value_len(n, value)?)?;
        let n_in = self.spec.inputs.len();
        let size = self.spec.value_size(value);
        if value < n_in {
            out.copy_from_slice(inputs[value]);
            return Ok(());
        }
        threads::install_if(self.worth_the_pool(n.min(PREDICT_CHUNK)), || {
            for start in (0..n).step_by(PREDICT_CHUNK) {
                let m = PREDICT_CHUNK.min(n - start);
                self.load_inference_chunk(inputs, start, m)?;
                self.forward(m, false, 0, value - n_in)?;
                let b = self.infer_plan.buffer[value];
                out[start * size..(start + m) * size].copy_from_slice(&self.bufs[b][..m * size]);
            }
            Ok(())
        })
    }

    /// Inference with the losses: per-output loss sums, correct counts and squared errors over n
    /// samples (the same loss and pairing as training, on running statistics).
    pub fn evaluate(&mut self, inputs: &[&[f32]], targets: &[&[f32]], n: usize) -> Result<EvalStats> {
        self.check_arrays("evaluate", inputs, targets, n)?;
        let k = self.outputs.len();
        let mut stats = EvalStats { loss_sums: vec![0.0; k], correct: vec![0.0; k], sq_err: vec![0.0; k], count: n };
        threads::install_if(self.worth_the_pool(n.min(PREDICT_CHUNK)), || {
            let last = self.nodes.len() - 1;
            for start in (0..n).step_by(PREDICT_CHUNK) {
                let m = PREDICT_CHUNK.min(n - start);
                self.load_inference_chunk(inputs, start, m)?;
                self.forward(m, false, 0, last)?;
                for (o, (out, target)) in self.outputs.iter_mut().zip(targets).enumerate() {
                    let (size, len) = (out.size, m * out.size);
                    let y = &self.bufs[out.infer_buf][..len];
                    let t = &target[start * size..(start + m) * size];
                    let pred = match (out.from_logits, out.producer) {
                        (true, Some(j)) => {
                            let node = &self.nodes[j];
                            let inputs = Inputs { bufs: &self.bufs, ids: &node.in_infer, sizes: &node.input_sizes, n: m };
                            self.ops[j].pre_activation(&inputs, y).unwrap_or(y)
                        }
                        _ => y,
                    };
                    let pred = scaled(pred, out.logit_scale, &mut out.logits);
                    grow(&mut self.spare_grad, len)?;
                    let loss = loss_unchecked(out.kind, pred, t, m, size, &mut self.spare_grad[..len]);
                    stats.loss_sums[o] += loss * m as f64;
                    stats.correct[o] += count_correct(out.correct, y, t, size);
                    stats.sq_err[o] += y.iter().zip(t).map(|(a, b)| f64::from(a - b).powi(2)).sum::<f64>();
                }
            }
            Ok(stats)
        })
    }

    /// Rows start..start+m of every input into its inference buffer.
    fn load_inference_chunk(&mut self, inputs: &[&[f32]], start: usize, m: usize) -> Result<()> {
        for (i, x) in inputs.iter().enumerate() {
            let size = self.spec.inputs[i].size;
            let b = self.infer_plan.buffer[i];
            grow(&mut self.bufs[b], m * size)?;
            self.bufs[b][..m * size].copy_from_slice(&x[start * size..(start + m) * size]);
        }
        Ok(())
    }

    pub fn get_params(&self) -> Vec<Vec<f32>> {
        self.params.clone()
    }
    pub fn set_params(&mut self, params: &[&[f32]]) -> Result<()> {
        copy_into("setParams", "params", params, &mut self.params)
    }
    pub fn get_state(&self) -> Vec<Vec<f32>> {
        self.state.clone()
    }
    pub fn set_state(&mut self, state: &[&[f32]]) -> Result<()> {
        copy_into("setState", "state", state, &mut self.state)
    }
    pub fn reset_optimizer(&mut self) {
        self.slots.iter_mut().flatten().for_each(|s| s.fill(0.0));
    }
    /// Copies of the optimizer's slots, parameter after parameter (sgd with momentum: [v] each;
    /// adam: [m, v] each; plain sgd: none): with the step, all a checkpoint needs to resume.
    pub fn get_optimizer_state(&self) -> Vec<Vec<f32>> {
        self.slots.iter().flatten().cloned().collect()
    }
    /// Replaces the optimizer's slots (in get_optimizer_state's order; every length checked first).
    pub fn set_optimizer_state(&mut self, state: &[&[f32]]) -> Result<()> {
        let sizes: Vec<usize> = self.slots.iter().flatten().map(Vec::len).collect();
        check_lengths("setOptimizerState", "state", state, &sizes)?;
        for (s, d) in state.iter().zip(self.slots.iter_mut().flatten()) {
            d.copy_from_slice(s);
        }
        Ok(())
    }
}

/// One tensor's optimizer update, its chunks of UPDATE_CHUNK floats in parallel (no allocation:
/// the slots, none, [v] or [m, v], are zipped chunk by chunk).
fn update_chunks(rule: &optim::StepRule, p: &mut [f32], g: &[f32], slots: &mut [Vec<f32>]) {
    let chunks = p.par_chunks_mut(UPDATE_CHUNK).zip(g.par_chunks(UPDATE_CHUNK));
    match slots {
        [] => chunks.for_each(|(p, g)| rule.apply::<&mut [f32]>(p, g, &mut [])),
        [v] => chunks.zip(v.par_chunks_mut(UPDATE_CHUNK)).for_each(|((p, g), v)| rule.apply(p, g, &mut [v])),
        [m, v] => chunks
            .zip(m.par_chunks_mut(UPDATE_CHUNK))
            .zip(v.par_chunks_mut(UPDATE_CHUNK))
            .for_each(|(((p, g), m), v)| rule.apply(p, g, &mut [m, v])),
        _ => unreachable!("optimizers have at most two slots"),
    }
}

/// Each value's life in one plan (None: no buffer).
type Lives = Vec<Option<Life>>;

/// The three buffer plans' lives. Training timeline: node j's forward at step j, the losses at
/// N, node j's backward at 2N - j; inference: forward steps only, outputs kept to the end;
/// gradients: the losses at 0, node j's backward at N - j.
fn lives(spec: &GraphSpec, ops: &[Box<dyn Op>], nodes: &[NodeRt], outputs: &[OutputRt], requires_grad: &[bool]) -> (Lives, Lives, Lives) {
    let n = nodes.len() as i64;
    let values = spec.value_count();
    let n_in = spec.inputs.len();
    let born = |v: usize| if v < n_in { -1 } else { (v - n_in) as i64 };
    let mut train: Vec<Option<Life>> = (0..values).map(|v| Some(Life { from: born(v), to: born(v), size: spec.value_size(v) })).collect();
    let mut infer = train.clone();
    let extend = |lives: &mut Vec<Option<Life>>, v: usize, t: i64| {
        if let Some(l) = lives[v].as_mut() {
            l.to = l.to.max(t);
        }
    };
    for (j, node) in nodes.iter().enumerate() {
        let (t, back) = (j as i64, 2 * n - j as i64);
        let reads = ops[j].backward_reads();
        for &v in &node.inputs {
            extend(&mut train, v, t);
            extend(&mut infer, v, t);
            if node.backward && reads.inputs {
                extend(&mut train, v, back);
            }
        }
        if node.backward && reads.output {
            extend(&mut train, node.value, back);
        }
    }
    for o in outputs {
        extend(&mut train, o.value, n);
        extend(&mut infer, o.value, n);
        if let (true, Some(j)) = (o.from_logits, o.producer) {
            // The loss reads the producer's pre-activation, which may be its input.
            for &v in &nodes[j].inputs {
                extend(&mut train, v, n);
                extend(&mut infer, v, n);
            }
        }
    }
    let mut grad: Vec<Option<Life>> = vec![None; values];
    for o in outputs {
        if requires_grad[o.value] {
            grad[o.value] = Some(Life { from: 0, to: 0, size: spec.value_size(o.value) });
        }
    }
    for (j, node) in nodes.iter().enumerate().rev() {
        let t = n - j as i64;
        if let Some(l) = grad[node.value].as_mut() {
            l.to = l.to.max(t);
        }
        for (k, &v) in node.inputs.iter().enumerate() {
            if node.need_dx[k] {
                let life = grad[v].get_or_insert(Life { from: t, to: t, size: spec.value_size(v) });
                life.from = life.from.min(t);
            }
        }
    }
    (train, infer, grad)
}

/// `pred`, or `pred` scaled into `buf` when the scale is not 1 (sigmoid beta before BCE).
fn scaled<'a>(pred: &'a [f32], scale: f64, buf: &'a mut Vec<f32>) -> &'a [f32] {
    if scale == 1.0 {
        return pred;
    }
    buf.clear();
    buf.extend(pred.iter().map(|&v| (scale * f64::from(v)) as f32));
    buf
}

/// Returns a buffer taken with `take` to its slot, whose placeholder is an empty Vec: forgetting it
/// skips a drop check per op call (the per-batch cost of a tiny network is mostly such things).
fn put_back(slot: &mut Vec<f32>, buf: Vec<f32>) {
    std::mem::forget(std::mem::replace(slot, buf));
}

/// Grows `buf` to at least `len` floats (a refused allocation is an error, not an abort); the
/// length only ever grows, so a buffer shared by values of several sizes is zeroed once.
fn grow(buf: &mut Vec<f32>, len: usize) -> Result<()> {
    if buf.len() < len {
        buf.try_reserve_exact(len - buf.len()).map_err(|_| {
            CoreError::arg(format!("network: cannot allocate a buffer of {len} floats for this batch; use smaller batches"))
        })?;
        buf.resize(len, 0.0);
    }
    Ok(())
}

/// Adds the input gradients `node` wrote into scratches (from `scratch_base` in `gbufs`) to their
/// values' buffers, in input order: a value read twice by the node has its first writer at the
/// lower position, so the sum runs in the same order as a scratch per writer would.
fn add_scratch_grads(gbufs: &mut [Vec<f32>], scratch_base: usize, node: &NodeRt, n: usize) {
    let (plan, scratch) = gbufs.split_at_mut(scratch_base);
    for (k, (slot, &size)) in node.dx.iter().zip(&node.input_sizes).enumerate() {
        if slot.need && !slot.first {
            let len = n * size;
            add_into(&mut plan[slot.gbuf][..len], &scratch[k][..len]);
        }
    }
}

fn add_into(dst: &mut [f32], src: &[f32]) {
    dst.iter_mut().zip(src).for_each(|(d, s)| *d += s);
}

/// Refuses an index outside the data set.
fn check_order(op: &str, order: &[u32], count: usize) -> Result<()> {
    if let Some((i, &o)) = order.iter().enumerate().find(|(_, &o)| o as usize >= count) {
        return Err(CoreError::arg(format!("{op}: order[{i}] = {o} is out of range for a dataset of {count}")));
    }
    Ok(())
}

/// `order` becomes the mulberry32 Fisher-Yates shuffle of 0..len with `seed`.
fn shuffle_identity(order: &mut [u32], seed: u32) {
    for (i, o) in order.iter_mut().enumerate() {
        *o = i as u32;
    }
    let mut rng = Mulberry32::new(seed);
    for i in (1..order.len()).rev() {
        let j = (rng.next_f64() * (i + 1) as f64).floor() as usize;
        order.swap(i, j);
    }
}

/// No NaN or infinity in `v`: a branch-free pass (exponent bits all ones) that vectorizes; a plain
/// loop for the few floats of a tiny network's tensors, where the chunked pass costs more to set up.
fn all_finite(v: &[f32]) -> bool {
    if v.len() < 64 {
        return v.iter().all(|x| x.is_finite());
    }
    v.chunks(256).all(|c| c.iter().fold(0u32, |acc, x| acc | u32::from(x.to_bits() & 0x7f80_0000 == 0x7f80_0000)) == 0)
}

/// Copies rows `order[..]` of a row-major table into the front of `out`.
fn gather(src: &[f32], width: usize, order: &[u32], out: &mut Vec<f32>) -> Result<()> {
    grow(out, order.len() * width)?;
    for (k, &r) in order.iter().enumerate() {
        let from = r as usize * width;
        out[k * width..(k + 1) * width].copy_from_slice(&src[from..from + width]);
    }
    Ok(())
}

/// Samples predicted right under `rule` (see [`CorrectRule`]).
fn count_correct(rule: CorrectRule, out: &[f32], target: &[f32], width: usize) -> f64 {
    let argmax =
        |row: &[f32]| row.iter().enumerate().fold((0, f32::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best }).0;
    out.chunks_exact(width)
        .zip(target.chunks_exact(width))
        .filter(|(o, t)| match rule {
            CorrectRule::Threshold => (o[0] >= 0.5) == (t[0] >= 0.5),
            CorrectRule::Argmax => argmax(o) == argmax(t),
        })
        .count() as f64
}

/// Copies `src` tensors into `dst` after checking count and every length.
fn copy_into(op: &str, name: &str, src: &[&[f32]], dst: &mut [Vec<f32>]) -> Result<()> {
    let sizes: Vec<usize> = dst.iter().map(Vec::len).collect();
    check_lengths(op, name, src, &sizes)?;
    for (s, d) in src.iter().zip(dst.iter_mut()) {
        d.copy_from_slice(s);
    }
    Ok(())
}

/// `src` holds one array per entry of `sizes`, each of exactly that length.
fn check_lengths(op: &str, name: &str, src: &[&[f32]], sizes: &[usize]) -> Result<()> {
    if src.len() != sizes.len() {
        return Err(CoreError::shape(format!("{op}: {name} has {} arrays, expected {}", src.len(), sizes.len())));
    }
    for (i, (s, &d)) in src.iter().zip(sizes).enumerate() {
        expect_len(op, &format!("{name}[{i}]"), s.len(), "its shape's size", d)?;
    }
    Ok(())
}

/// Scales all gradients by max_norm / ||g|| when the global L2 norm ||g|| exceeds max_norm. The
/// sum of squares runs in f64 in parameter then element order, as the js executor does, so both
/// backends scale by the same factor.
fn clip_global_norm(grads: &mut [Vec<f32>], max_norm: f64) {
    let mut sum = 0.0f64;
    for g in grads.iter() {
        for &v in g {
            sum += f64::from(v) * f64::from(v);
        }
    }
    let norm = sum.sqrt();
    if norm > max_norm {
        let scale = max_norm / norm;
        grads.iter_mut().flatten().for_each(|v| *v = (f64::from(*v) * scale) as f32);
    }
}

/// "predict: inputs has 1 array, the model has 2 inputs" (a count of arrays, not of floats).
fn expect_count(op: &str, what: &str, actual: usize, expected: usize) -> Result<()> {
    if actual == expected {
        return Ok(());
    }
    let plural = |k: usize, word: &str| if k == 1 { format!("{k} {word}") } else { format!("{k} {word}s") };
    let side = if what == "inputs" { "input" } else { "output" };
    Err(CoreError::shape(format!("{op}: {what} has {}, the model has {}", plural(actual, "array"), plural(expected, side))))
}
