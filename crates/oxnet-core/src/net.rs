//! The network executor (docs/kernels.md "Network executor"): layers, parameters, gradients,
//! optimizer slots and every batch buffer, all kept across batches so the steady state allocates
//! nothing.
use std::ops::Range;

use crate::error::{checked_product, expect_len, expect_positive, CoreError, Result};
use crate::layer::{Ctx, GradOf, Layer};
use crate::layers::build_layer;
use crate::loss::loss_unchecked;
use crate::optim;
use crate::rng::Mulberry32;
use crate::spec::{ActivationKind, ActivationSpec, LossKind, NetworkSpec, OptimizerSpec};
use crate::threads;

/// Inference runs in chunks of this many samples so huge inputs do not grow the buffers.
const PREDICT_CHUNK: usize = 512;

/// Samples and targets copied once, so background training never reads caller memory.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub x: Vec<f32>,
    /// None: the targets are the inputs (an autoencoder's data set, held once).
    y: Option<Vec<f32>>,
    pub count: usize,
    pub input_size: usize,
    pub target_size: usize,
}

impl Dataset {
    /// Splits x and y into `count` rows; both lengths must divide evenly.
    pub fn new(x: Vec<f32>, y: Vec<f32>, count: usize) -> Result<Self> {
        Self::check("createDataset", x.len(), y.len(), count)?;
        let (input_size, target_size) = (x.len() / count, y.len() / count);
        Ok(Dataset { x, y: Some(y), count, input_size, target_size })
    }

    /// A data set whose targets are its inputs (an autoencoder's), with one copy of the data.
    pub fn inputs_as_targets(x: Vec<f32>, count: usize) -> Result<Self> {
        Self::check("createDataset", x.len(), x.len(), count)?;
        let size = x.len() / count;
        Ok(Dataset { x, y: None, count, input_size: size, target_size: size })
    }

    /// The targets, `count` rows of `target_size`.
    pub fn y(&self) -> &[f32] {
        self.y.as_deref().unwrap_or(&self.x)
    }

    fn check(op: &str, x_len: usize, y_len: usize, count: usize) -> Result<()> {
        expect_positive(op, "count", count)?;
        if !x_len.is_multiple_of(count) || !y_len.is_multiple_of(count) || x_len == 0 || y_len == 0 {
            return Err(CoreError::shape(format!(
                "{op}: x has {x_len} floats and y has {y_len} floats, both must be non-empty multiples of count = {count}"
            )));
        }
        Ok(())
    }
}

/// Per-batch results of a training run (see the TypeScript `TrainStats`).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainStats {
    pub losses: Vec<f64>,
    pub correct: Vec<f64>,
    /// First batch whose loss or gradient was not finite (training stopped there), or -1.
    pub non_finite_batch: i64,
}

pub struct Network {
    spec: NetworkSpec,
    layers: Vec<Box<dyn Layer>>,
    /// Per layer: its range in `params` / `grads` / `slots`, and in `state`.
    param_ranges: Vec<Range<usize>>,
    state_ranges: Vec<Range<usize>>,
    params: Vec<Vec<f32>>,
    grads: Vec<Vec<f32>>,
    /// Optimizer slots per parameter ([v] or [m, v]).
    slots: Vec<Vec<Vec<f32>>>,
    state: Vec<Vec<f32>>,
    /// acts[0] = input batch, acts[l + 1] = output of layer l.
    acts: Vec<Vec<f32>>,
    /// deltas[l] = dL/d acts[l]; deltas[L] holds the loss gradient.
    deltas: Vec<Vec<f32>>,
    target: Vec<f32>,
    /// beta * a for binaryCrossEntropy after a sigmoid with beta != 1.
    logits: Vec<f32>,
    output_size: usize,
    seed: u32,
    /// Multiplier from pre-activation to the loss's logits (sigmoid beta for BCE, else 1).
    logit_scale: f64,
}

impl Network {
    /// Builds and validates the network; `params` in the order of docs/kernels.md.
    pub fn new(spec: NetworkSpec, params: Vec<Vec<f32>>) -> Result<Self> {
        expect_positive("network", "inputSize", spec.input_size)?;
        if spec.layers.is_empty() {
            return Err(CoreError::config("network needs at least one layer"));
        }
        if !spec.seed.is_finite() {
            return Err(CoreError::arg(format!("network: seed must be finite, got {}", spec.seed)));
        }
        optim::validate("network", &spec.optimizer)?;
        if let Some(c) = spec.clip_norm {
            if !(c.is_finite() && c > 0.0) {
                return Err(CoreError::arg(format!("network: clipNorm must be a finite number > 0, got {c}")));
            }
        }
        let mut layers = Vec::with_capacity(spec.layers.len());
        let mut size = spec.input_size;
        for (i, ls) in spec.layers.iter().enumerate() {
            let layer = build_layer(ls)?;
            if layer.in_size() != size {
                return Err(CoreError::config(format!(
                    "layer {i} ({}) takes {} inputs but receives {size}",
                    ls.type_name(),
                    layer.in_size()
                )));
            }
            size = layer.out_size();
            layers.push(layer);
        }
        let last_act = layers.last().and_then(|l| l.final_activation()).unwrap_or(ActivationSpec::new(ActivationKind::Linear));
        let allowed: &[ActivationKind] = match spec.loss.kind {
            LossKind::SoftmaxCrossEntropy => &[ActivationKind::Softmax, ActivationKind::Linear],
            LossKind::BinaryCrossEntropy => &[ActivationKind::Sigmoid, ActivationKind::Linear],
            LossKind::Perceptron => &[ActivationKind::Step, ActivationKind::Linear],
            LossKind::HalfSse | LossKind::Mse => &[],
        };
        if spec.loss.kind.from_logits() && !allowed.contains(&last_act.kind) {
            return Err(CoreError::config(format!(
                "loss '{:?}' needs a last activation in {allowed:?}, got '{:?}'",
                spec.loss.kind, last_act.kind
            )));
        }
        let logit_scale =
            if spec.loss.kind == LossKind::BinaryCrossEntropy && last_act.kind == ActivationKind::Sigmoid { last_act.beta() } else { 1.0 };

        let (mut param_ranges, mut state_ranges, mut param_sizes, mut state) = (vec![], vec![], vec![], vec![]);
        for layer in &layers {
            let sizes = layer.param_sizes();
            param_ranges.push(param_sizes.len()..param_sizes.len() + sizes.len());
            param_sizes.extend(sizes);
        }
        // The given params must fit before anything is allocated from the spec's sizes: a spec
        // alone can ask for terabytes, and a failed allocation aborts the process.
        let given: Vec<&[f32]> = params.iter().map(|p| p.as_slice()).collect();
        check_lengths("setParams", "params", &given, &param_sizes)?;
        for layer in &layers {
            let init = layer.initial_state();
            state_ranges.push(state.len()..state.len() + init.len());
            state.extend(init);
        }
        let slot_count = spec.optimizer.slots();
        let mut net = Network {
            seed: spec.seed_u32(),
            output_size: size,
            logit_scale,
            grads: param_sizes.iter().map(|&s| vec![0.0; s]).collect(),
            slots: param_sizes.iter().map(|&s| vec![vec![0.0; s]; slot_count]).collect(),
            params: param_sizes.iter().map(|&s| vec![0.0; s]).collect(),
            acts: vec![vec![]; layers.len() + 1],
            deltas: vec![vec![]; layers.len() + 1],
            target: vec![],
            logits: vec![],
            spec,
            layers,
            param_ranges,
            state_ranges,
            state,
        };
        let borrowed: Vec<&[f32]> = params.iter().map(|p| p.as_slice()).collect();
        net.set_params(&borrowed)?;
        Ok(net)
    }

    pub fn spec(&self) -> &NetworkSpec {
        &self.spec
    }
    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }
    pub fn input_size(&self) -> usize {
        self.spec.input_size
    }
    pub fn output_size(&self) -> usize {
        self.output_size
    }

    /// Mini-batch training over `order` (see `NetworkRunner.train`).
    pub fn train(&mut self, data: &Dataset, order: &[u32], batch_size: usize, lr: f64, step: u32) -> Result<TrainStats> {
        self.check_train_args("train", data, batch_size, lr)?;
        check_order("train", order, data.count)?;
        let batches = order.len().div_ceil(batch_size);
        let mut stats = TrainStats { losses: Vec::with_capacity(batches), correct: Vec::with_capacity(batches), non_finite_batch: -1 };
        threads::install_if(self.worth_the_pool(batch_size), || {
            for (bi, chunk) in order.chunks(batch_size).enumerate() {
                let (loss, correct, finite) = self.train_batch(data, chunk, step.wrapping_add(bi as u32), lr)?;
                stats.losses.push(loss);
                stats.correct.push(correct);
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
    /// reports its sample-weighted mean loss and correct count. Stops after the first epoch whose
    /// mean loss is below `plan.stop_below`, or at a non-finite batch (no update for it).
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
        let mut order: Vec<u32> = (0..count as u32).collect();
        let mut stats = EpochStats { losses: vec![], correct: vec![], epochs: 0, non_finite_batch: -1 };
        threads::install_if(self.worth_the_pool(plan.batch_size), || {
            for e in 0..plan.epochs {
                let epoch_order: &[u32] = match plan.order {
                    EpochOrder::Identity => &order,
                    EpochOrder::Shuffle(seeds) => {
                        shuffle_identity(&mut order, seeds[e]);
                        &order
                    }
                    EpochOrder::Given(orders) => &orders[e * count..(e + 1) * count],
                };
                let (mut loss_sum, mut correct_sum) = (0.0, 0.0);
                let first_step = plan.step.wrapping_add((e * batches) as u32);
                for (bi, chunk) in epoch_order.chunks(plan.batch_size).enumerate() {
                    let (loss, correct, finite) = self.train_batch(data, chunk, first_step.wrapping_add(bi as u32), plan.lr)?;
                    if !finite {
                        stats.non_finite_batch = bi as i64;
                        return Ok(stats);
                    }
                    loss_sum += loss * chunk.len() as f64;
                    correct_sum += correct;
                }
                let mean = loss_sum / count as f64;
                stats.losses.push(mean);
                stats.correct.push(correct_sum);
                stats.epochs += 1;
                if plan.stop_below.is_some_and(|t| mean < t) {
                    break;
                }
            }
            Ok(stats)
        })
    }

    /// Whether batches of `batch_size` are big enough to run inside the thread pool: about
    /// batch x parameters multiply-adds per pass, so tiny networks (XOR) skip the hop into it.
    fn worth_the_pool(&self, batch_size: usize) -> bool {
        let params: usize = self.params.iter().map(Vec::len).sum();
        batch_size.saturating_mul(params) >= 1 << 18
    }

    fn check_train_args(&self, op: &str, data: &Dataset, batch_size: usize, lr: f64) -> Result<()> {
        if data.input_size != self.spec.input_size {
            return Err(CoreError::shape(format!(
                "{op}: dataset inputSize {} does not match the network's inputSize {}",
                data.input_size, self.spec.input_size
            )));
        }
        if data.target_size != self.output_size {
            return Err(CoreError::shape(format!(
                "{op}: dataset targetSize {} does not match the network's output size {}",
                data.target_size, self.output_size
            )));
        }
        expect_positive(op, "batchSize", batch_size)?;
        if !lr.is_finite() {
            return Err(CoreError::arg(format!("{op}: lr must be finite, got {lr}")));
        }
        Ok(())
    }

    /// One batch at optimizer step `global_step` (before its update): forward, loss, backward
    /// and, when the loss and every gradient are finite, the update. Returns (loss, correct,
    /// finite).
    fn train_batch(&mut self, data: &Dataset, chunk: &[u32], global_step: u32, lr: f64) -> Result<(f64, f64, bool)> {
        let n = chunk.len();
        gather(&data.x, data.input_size, chunk, &mut self.acts[0]);
        gather(data.y(), data.target_size, chunk, &mut self.target);
        self.forward(n, self.layers.len() - 1, true, global_step)?;
        let loss = self.loss_and_backward(n, global_step)?;
        let correct = count_correct(&self.acts[self.layers.len()], &self.target, self.output_size);
        if !loss.is_finite() || !self.grads.iter().all(|g| all_finite(g)) {
            return Ok((loss, correct, false));
        }
        if let Some(max_norm) = self.spec.clip_norm {
            clip_global_norm(&mut self.grads, max_norm);
        }
        let t = f64::from(global_step) + 1.0;
        let opt = &self.spec.optimizer;
        let params = self.params.iter_mut().zip(&self.grads).zip(self.slots.iter_mut());
        // One loop per optimizer kind: in a shared loop LLVM hoisted Adam's two powf calls above
        // the per-tensor match and paid them for SGD too (~8% of a XOR epoch).
        if matches!(opt, OptimizerSpec::Sgd { .. }) {
            params.for_each(|((p, g), s)| optim::update(opt, lr, t, p, g, s));
        } else {
            params.for_each(|((p, g), s)| optim::update(opt, lr, t, p, g, s));
        }
        Ok((loss, correct, true))
    }

    /// Inference output of the whole network for `n` samples.
    pub fn predict(&mut self, x: &[f32], n: usize) -> Result<Vec<f32>> {
        self.predict_up_to(x, n, self.layers.len() - 1)
    }

    /// Inference output of layer `layer_index` (inclusive) for `n` samples.
    pub fn predict_up_to(&mut self, x: &[f32], n: usize, layer_index: usize) -> Result<Vec<f32>> {
        let mut result = vec![0.0; self.predict_len(x.len(), n, layer_index)?];
        self.predict_into(x, n, layer_index, &mut result)?;
        Ok(result)
    }

    /// Length of predict_up_to's output, after checking x's length and layer_index.
    pub fn predict_len(&self, x_len: usize, n: usize, layer_index: usize) -> Result<usize> {
        let op = "predict";
        expect_len(op, "x", x_len, "n*inputSize", checked_product(op, "n*inputSize", &[n, self.spec.input_size])?)?;
        if layer_index >= self.layers.len() {
            return Err(CoreError::arg(format!("{op}: layerIndex must be < {} (layer count), got {layer_index}", self.layers.len())));
        }
        checked_product(op, "n*outputSize", &[n, self.layers[layer_index].out_size()])
    }

    /// predict_up_to writing into `out` (predict_len floats), e.g. a buffer the caller owns.
    pub fn predict_into(&mut self, x: &[f32], n: usize, layer_index: usize, out: &mut [f32]) -> Result<()> {
        let len = self.predict_len(x.len(), n, layer_index)?;
        expect_len("predict", "out", out.len(), "n*outputSize", len)?;
        let in_size = self.spec.input_size;
        let out_size = self.layers[layer_index].out_size();
        for (rows, dst) in x.chunks(PREDICT_CHUNK * in_size).zip(out.chunks_mut(PREDICT_CHUNK * out_size)) {
            let m = rows.len() / in_size;
            self.acts[0].clear();
            self.acts[0].extend_from_slice(rows);
            self.forward(m, layer_index, false, 0)?;
            dst.copy_from_slice(&self.acts[layer_index + 1]);
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

    /// Runs layers 0..=last on acts[0] holding `n` samples.
    fn forward(&mut self, n: usize, last: usize, training: bool, step: u32) -> Result<()> {
        for l in 0..=last {
            let layer = &mut self.layers[l];
            let (before, after) = self.acts.split_at_mut(l + 1);
            let y = &mut after[0];
            y.resize(n * layer.out_size(), 0.0);
            let ctx = Ctx { training, step, seed: self.seed, layer_index: l as u32 };
            let params = &self.params[self.param_ranges[l].clone()];
            let state = &mut self.state[self.state_ranges[l].clone()];
            layer.forward(&before[l], n, params, state, &ctx, y)?;
        }
        Ok(())
    }

    /// The loss per docs/kernels.md (from-logits losses on the pre-activation), then backward
    /// through every layer, leaving parameter gradients in `grads`.
    fn loss_and_backward(&mut self, n: usize, step: u32) -> Result<f64> {
        let last = self.layers.len() - 1;
        let width = self.output_size;
        let kind = self.spec.loss.kind;
        let from_logits = kind.from_logits();
        let grad = &mut self.deltas[last + 1];
        grad.resize(n * width, 0.0);
        let y = &self.acts[last + 1];
        let loss = if !from_logits {
            loss_unchecked(kind, y, &self.target, n, width, grad)
        } else {
            let a = self.layers[last].pre_activation(&self.acts[last], y).unwrap_or(y);
            if self.logit_scale != 1.0 {
                let beta = self.logit_scale;
                self.logits.clear();
                self.logits.extend(a.iter().map(|&v| (beta * f64::from(v)) as f32));
                let value = loss_unchecked(kind, &self.logits, &self.target, n, width, grad);
                grad.iter_mut().for_each(|g| *g = (f64::from(*g) * beta) as f32);
                value
            } else {
                loss_unchecked(kind, a, &self.target, n, width, grad)
            }
        };
        for l in (0..=last).rev() {
            let (head, tail) = self.deltas.split_at_mut(l + 1);
            let dy = &tail[0];
            let dx = if l > 0 {
                let d = &mut head[l];
                d.resize(n * self.layers[l].in_size(), 0.0);
                Some(d.as_mut_slice())
            } else {
                None
            };
            let grad_of = if from_logits && l == last { GradOf::PreActivation } else { GradOf::Output };
            let ctx = Ctx { training: true, step, seed: self.seed, layer_index: l as u32 };
            let range = self.param_ranges[l].clone();
            self.layers[l].backward(
                &self.acts[l],
                &self.acts[l + 1],
                dy,
                grad_of,
                n,
                &self.params[range.clone()],
                &mut self.grads[range],
                dx,
                &ctx,
            )?;
        }
        Ok(loss)
    }
}

/// How each epoch of [`Network::train_epochs`] orders the samples.
#[derive(Debug, Clone, Copy)]
pub enum EpochOrder<'a> {
    /// 0, 1, ..., count - 1 every epoch.
    Identity,
    /// One seed per epoch: the mulberry32 Fisher-Yates shuffle of 0..count (i from count - 1 down
    /// to 1, j = floor(u (i + 1))), as `shuffledIndices` in src/backend/js/rng.ts.
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

/// Results of [`Network::train_epochs`].
#[derive(Debug, Clone, PartialEq)]
pub struct EpochStats {
    /// Per completed epoch: mean loss over its samples (batch losses weighted by batch size).
    pub losses: Vec<f64>,
    /// Per completed epoch: samples whose prediction matched.
    pub correct: Vec<f64>,
    /// Epochs completed.
    pub epochs: usize,
    /// -1, or the batch (within epoch `epochs`) whose loss or gradient was not finite.
    pub non_finite_batch: i64,
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

/// No NaN or infinity in `v`: a branch-free pass (exponent bits all ones) that vectorizes.
fn all_finite(v: &[f32]) -> bool {
    v.chunks(256).all(|c| c.iter().fold(0u32, |acc, x| acc | u32::from(x.to_bits() & 0x7f80_0000 == 0x7f80_0000)) == 0)
}

/// Copies rows `order[..]` of a row-major table into `out`.
fn gather(src: &[f32], width: usize, order: &[u32], out: &mut Vec<f32>) {
    out.clear();
    for &r in order {
        let from = r as usize * width;
        out.extend_from_slice(&src[from..from + width]);
    }
}

/// Samples whose prediction matches: argmax for width > 1, (>= 0.5) agreement for width 1.
fn count_correct(out: &[f32], target: &[f32], width: usize) -> f64 {
    let argmax =
        |row: &[f32]| row.iter().enumerate().fold((0, f32::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best }).0;
    out.chunks_exact(width)
        .zip(target.chunks_exact(width))
        .filter(|(o, t)| if width == 1 { (o[0] >= 0.5) == (t[0] >= 0.5) } else { argmax(o) == argmax(t) })
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
