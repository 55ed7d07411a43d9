//! NativeDataset and NativeNetwork: the graph executor of oxnet-core behind N-API. `train` runs
//! on the libuv pool as an AsyncTask; `trainSync` runs the very same function on the JS thread.
//! Async tasks own copies of their inputs, so background work never reads JS memory.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use napi::bindgen_prelude::{AsyncTask, Float32Array, Float32ArraySlice, Float64Array, Uint32Array};
use napi::{Env, Result, Task};
use napi_derive::napi;
use oxnet_core::executor::{BatchStats, Dataset, EpochOrder, EpochPlan, EpochStats, EvalStats, Network, TargetData, TrainStats};
use oxnet_core::graph::GraphSpec;
use oxnet_core::{CoreError, ErrorCode};

use crate::convert::{guarded, js_filled, js_filled_many, to_u32, to_usize, MAX_RESULT_FLOATS};

/// A data set copied once into Rust memory: rows of every model input and every target.
#[napi]
pub struct NativeDataset {
    inner: Arc<Dataset>,
}

#[napi]
impl NativeDataset {
    /// Copies `count` rows of each input and target; a target that is one of the inputs (the same
    /// array, as an autoencoder's) is held once: half the copying on the JS thread and the memory.
    #[napi(constructor)]
    pub fn new(inputs: Vec<Float32Array>, targets: Vec<Float32Array>, count: f64) -> Result<Self> {
        guarded("createDataset", || {
            let count = to_usize("createDataset", "count", count)?;
            let same = |t: &Float32Array, x: &Float32Array| t.as_ptr() == x.as_ptr() && t.len() == x.len();
            let targets = targets
                .iter()
                .map(|t| match inputs.iter().position(|x| same(t, x)) {
                    Some(i) => TargetData::Input(i),
                    None => TargetData::Values(t.to_vec()),
                })
                .collect();
            let data = Dataset::new(inputs.iter().map(|x| x.to_vec()).collect(), targets, count)?;
            Ok(NativeDataset { inner: Arc::new(data) })
        })
    }
    /// Replaces the rows with copies of `inputs` and `targets` in the buffers it already holds
    /// (fitDataset refills two data sets in turn); refused while a training call still reads it.
    #[napi]
    pub fn refill(&mut self, inputs: Vec<Float32Array>, targets: Vec<Float32Array>, count: f64) -> Result<()> {
        guarded("refillDataset", || {
            let count = to_usize("refillDataset", "count", count)?;
            let data = Arc::get_mut(&mut self.inner)
                .ok_or_else(|| CoreError::new(ErrorCode::State, "refillDataset: the data set is still in use by a training call"))?;
            let xs: Vec<&[f32]> = inputs.iter().map(|x| &x[..]).collect();
            let same = |t: &Float32Array, x: &Float32Array| t.as_ptr() == x.as_ptr() && t.len() == x.len();
            let ts: Vec<Option<&[f32]>> = targets
                .iter()
                .enumerate()
                .map(|(o, t)| if inputs.get(o).is_some_and(|x| same(t, x)) { None } else { Some(&t[..]) })
                .collect();
            data.refill(&xs, &ts, count)
        })
    }
    #[napi(getter)]
    pub fn count(&self) -> f64 {
        self.inner.count as f64
    }
    #[napi(getter)]
    pub fn input_sizes(&self) -> Vec<f64> {
        self.inner.input_sizes.iter().map(|&s| s as f64).collect()
    }
    #[napi(getter)]
    pub fn target_sizes(&self) -> Vec<f64> {
        self.inner.target_sizes.iter().map(|&s| s as f64).collect()
    }
}

/// Figures of one call come back as plain arrays, not typed arrays over Rust memory: an external
/// buffer costs a finalizer and GC work per call, which dominated calls that train a few samples
/// (W1). A trainEpochs call returns one figure per epoch, thousands at a time: typed arrays there.
#[napi(object)]
pub struct NativeTrainStats {
    pub losses: Vec<f64>,
    /// batches x outputs.
    pub output_losses: Vec<f64>,
    /// batches x outputs.
    pub correct: Vec<f64>,
    pub non_finite_batch: f64,
}

impl From<TrainStats> for NativeTrainStats {
    fn from(s: TrainStats) -> Self {
        NativeTrainStats {
            losses: s.losses,
            output_losses: s.output_losses,
            correct: s.correct,
            non_finite_batch: s.non_finite_batch as f64,
        }
    }
}

/// Everything one training call needs, owned, so it can move to a worker thread.
pub struct TrainJob {
    net: Arc<Mutex<Network>>,
    /// Set while this job is queued or running (None for trainSync).
    pending: Option<PendingGuard>,
    data: Arc<Dataset>,
    order: Vec<u32>,
    batch_size: usize,
    lr: f64,
    step: u32,
}

impl TrainJob {
    fn new(
        net: &NativeNetwork,
        data: &NativeDataset,
        order: &[u32],
        batch_size: f64,
        lr: f64,
        step: f64,
        background: bool,
    ) -> Result<Self> {
        guarded("train", || {
            Ok(TrainJob {
                net: Arc::clone(&net.inner),
                pending: if background { Some(PendingGuard::new(&net.pending)) } else { None },
                data: Arc::clone(&data.inner),
                order: order.to_vec(),
                batch_size: to_usize("train", "batchSize", batch_size)?,
                lr,
                step: to_u32("train", "step", step)?,
            })
        })
    }

    /// The one training function behind both train and trainSync.
    fn run(&self, wait: bool) -> Result<TrainStats> {
        guarded("train", || {
            let mut net = lock(&self.net, wait)?;
            net.train(&self.data, &self.order, self.batch_size, self.lr, self.step)
        })
    }
}

impl Task for TrainJob {
    type Output = TrainStats;
    type JsValue = NativeTrainStats;
    fn compute(&mut self) -> Result<TrainStats> {
        self.run(true)
    }
    fn resolve(&mut self, _env: Env, output: TrainStats) -> Result<NativeTrainStats> {
        self.pending.take();
        Ok(output.into())
    }
    fn reject(&mut self, _env: Env, err: napi::Error) -> Result<NativeTrainStats> {
        self.pending.take();
        Err(err)
    }
}

/// A multi-epoch training call as JS passes it (see `EpochPlan` in src/backend/types.ts).
#[napi(object)]
pub struct NativeEpochPlan {
    pub epochs: f64,
    pub batch_size: f64,
    pub lr: f64,
    pub step: f64,
    pub shuffle_seeds: Option<Uint32Array>,
    pub orders: Option<Uint32Array>,
    pub stop_below: Option<f64>,
}

#[napi(object)]
pub struct NativeEpochStats {
    pub losses: Float64Array,
    /// epochs x outputs.
    pub output_losses: Float64Array,
    /// epochs x outputs.
    pub correct: Float64Array,
    pub epochs: f64,
    pub non_finite_batch: f64,
}

impl From<EpochStats> for NativeEpochStats {
    fn from(s: EpochStats) -> Self {
        NativeEpochStats {
            losses: s.losses.into(),
            output_losses: s.output_losses.into(),
            correct: s.correct.into(),
            epochs: s.epochs as f64,
            non_finite_batch: s.non_finite_batch as f64,
        }
    }
}

/// A trainEpochs call with its inputs owned (it may run on a worker thread).
pub struct EpochsJob {
    net: Arc<Mutex<Network>>,
    pending: Option<PendingGuard>,
    data: Arc<Dataset>,
    epochs: usize,
    batch_size: usize,
    lr: f64,
    step: u32,
    shuffle_seeds: Option<Vec<u32>>,
    orders: Option<Vec<u32>>,
    stop_below: Option<f64>,
}

impl EpochsJob {
    fn new(net: &NativeNetwork, data: &NativeDataset, plan: &NativeEpochPlan, background: bool) -> Result<Self> {
        let op = "trainEpochs";
        guarded(op, || {
            if plan.shuffle_seeds.is_some() && plan.orders.is_some() {
                return Err(CoreError::arg(format!("{op}: give shuffleSeeds or orders, not both")));
            }
            Ok(EpochsJob {
                net: Arc::clone(&net.inner),
                pending: if background { Some(PendingGuard::new(&net.pending)) } else { None },
                data: Arc::clone(&data.inner),
                epochs: to_usize(op, "epochs", plan.epochs)?,
                batch_size: to_usize(op, "batchSize", plan.batch_size)?,
                lr: plan.lr,
                step: to_u32(op, "step", plan.step)?,
                shuffle_seeds: plan.shuffle_seeds.as_ref().map(|s| s.to_vec()),
                orders: plan.orders.as_ref().map(|o| o.to_vec()),
                stop_below: plan.stop_below,
            })
        })
    }

    fn run(&self, wait: bool) -> Result<EpochStats> {
        guarded("trainEpochs", || {
            let order = match (&self.shuffle_seeds, &self.orders) {
                (Some(seeds), _) => EpochOrder::Shuffle(seeds),
                (_, Some(orders)) => EpochOrder::Given(orders),
                _ => EpochOrder::Identity,
            };
            let plan = EpochPlan {
                epochs: self.epochs,
                batch_size: self.batch_size,
                lr: self.lr,
                step: self.step,
                order,
                stop_below: self.stop_below,
            };
            lock(&self.net, wait)?.train_epochs(&self.data, &plan)
        })
    }
}

impl Task for EpochsJob {
    type Output = EpochStats;
    type JsValue = NativeEpochStats;
    fn compute(&mut self) -> Result<EpochStats> {
        self.run(true)
    }
    fn resolve(&mut self, _env: Env, output: EpochStats) -> Result<NativeEpochStats> {
        self.pending.take();
        Ok(output.into())
    }
    fn reject(&mut self, _env: Env, err: napi::Error) -> Result<NativeEpochStats> {
        self.pending.take();
        Err(err)
    }
}

/// Inference on a worker thread over copies of the inputs.
pub struct PredictJob {
    net: Arc<Mutex<Network>>,
    pending: Option<PendingGuard>,
    inputs: Vec<Vec<f32>>,
    n: usize,
}

impl Task for PredictJob {
    type Output = Vec<Vec<f32>>;
    type JsValue = Vec<Float32Array>;
    fn compute(&mut self) -> Result<Vec<Vec<f32>>> {
        guarded("predictAsync", || {
            let mut net = lock(&self.net, true)?;
            let refs: Vec<&[f32]> = self.inputs.iter().map(Vec::as_slice).collect();
            // The inputs are checked before anything n-sized is allocated (an n past the inputs
            // aborted the process allocating the outputs), and the outputs have predict's limit.
            let sizes = net.input_sizes();
            if refs.len() != sizes.len() || refs.iter().zip(&sizes).any(|(x, &s)| s.checked_mul(self.n) != Some(x.len())) {
                return net.predict_into(&refs, self.n, &mut []).map(|_| vec![]);
            }
            let lens: Vec<usize> = net.output_sizes().iter().map(|&s| s.saturating_mul(self.n)).collect();
            if let Some(&len) = lens.iter().find(|&&len| len > MAX_RESULT_FLOATS) {
                return Err(CoreError::arg(format!(
                    "predictAsync: the outputs would hold {len} floats, over the {MAX_RESULT_FLOATS}-float limit"
                )));
            }
            let mut outs: Vec<Vec<f32>> = lens.iter().map(|&len| vec![0.0; len]).collect();
            let mut slices: Vec<&mut [f32]> = outs.iter_mut().map(Vec::as_mut_slice).collect();
            net.predict_into(&refs, self.n, &mut slices)?;
            Ok(outs)
        })
    }
    fn resolve(&mut self, _env: Env, output: Vec<Vec<f32>>) -> Result<Vec<Float32Array>> {
        self.pending.take();
        Ok(output.into_iter().map(Float32Array::new).collect())
    }
    fn reject(&mut self, _env: Env, err: napi::Error) -> Result<Vec<Float32Array>> {
        self.pending.take();
        Err(err)
    }
}

/// Counts a background job from its creation until its promise settles (or it is dropped).
pub struct PendingGuard(Arc<AtomicUsize>);

impl PendingGuard {
    fn new(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        PendingGuard(Arc::clone(counter))
    }
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Locks the network. Worker threads wait; the JS thread must not block behind a background
/// job, so it gets an E_STATE error instead. A poisoned lock (an earlier panic) is taken anyway:
/// the panic was already reported and the buffers are rewritten by the next call.
fn lock(net: &Mutex<Network>, wait: bool) -> oxnet_core::Result<MutexGuard<'_, Network>> {
    if wait {
        return Ok(net.lock().unwrap_or_else(|p| p.into_inner()));
    }
    match net.try_lock() {
        Ok(guard) => Ok(guard),
        Err(TryLockError::Poisoned(p)) => Ok(p.into_inner()),
        Err(TryLockError::WouldBlock) => Err(busy()),
    }
}

fn busy() -> CoreError {
    CoreError::new(ErrorCode::State, "network is busy with a background train() or predictAsync(); await it first")
}

#[napi(object)]
pub struct NativeGradientStats {
    pub loss: f64,
    pub output_losses: Vec<f64>,
    pub correct: Vec<f64>,
    pub finite: bool,
}

impl From<BatchStats> for NativeGradientStats {
    fn from(s: BatchStats) -> Self {
        NativeGradientStats { loss: s.loss, output_losses: s.output_losses, correct: s.correct, finite: s.finite }
    }
}

#[napi(object)]
pub struct NativeEvalStats {
    pub loss_sums: Vec<f64>,
    pub correct: Vec<f64>,
    pub sq_err: Vec<f64>,
    pub count: f64,
}

impl From<EvalStats> for NativeEvalStats {
    fn from(s: EvalStats) -> Self {
        NativeEvalStats { loss_sums: s.loss_sums, correct: s.correct, sq_err: s.sq_err, count: s.count as f64 }
    }
}

#[napi(object)]
pub struct NativeMemoryReport {
    pub training: f64,
    pub training_naive: f64,
    pub gradients: f64,
    pub gradients_naive: f64,
    pub inference: f64,
    pub inference_naive: f64,
}

/// A compiled network: parameters, gradients, optimizer state and buffers live in Rust.
#[napi]
pub struct NativeNetwork {
    inner: Arc<Mutex<Network>>,
    /// Background jobs queued or running: while > 0, calls on the JS thread refuse (E_STATE)
    /// rather than block the event loop behind them.
    pending: Arc<AtomicUsize>,
}

fn slices<'a>(arrays: &'a [Float32ArraySlice]) -> Vec<&'a [f32]> {
    arrays.iter().map(|a| &a[..]).collect()
}

#[napi]
impl NativeNetwork {
    /// `spec` is a GraphSpec as JSON; `params` and `state` in its order.
    #[napi(constructor)]
    pub fn new(spec: String, params: Vec<Float32Array>, state: Vec<Float32Array>) -> Result<Self> {
        guarded("createNetwork", || {
            let spec = GraphSpec::from_json(&spec)?;
            let net = Network::new(spec, params.iter().map(|p| p.to_vec()).collect(), state.iter().map(|s| s.to_vec()).collect())?;
            Ok(NativeNetwork { inner: Arc::new(Mutex::new(net)), pending: Arc::new(AtomicUsize::new(0)) })
        })
    }

    #[napi(ts_return_type = "Promise<NativeTrainStats>")]
    pub fn train(&self, data: &NativeDataset, order: Uint32Array, batch_size: f64, lr: f64, step: f64) -> Result<AsyncTask<TrainJob>> {
        Ok(AsyncTask::new(TrainJob::new(self, data, &order, batch_size, lr, step, true)?))
    }

    #[napi]
    pub fn train_sync(&self, data: &NativeDataset, order: Uint32Array, batch_size: f64, lr: f64, step: f64) -> Result<NativeTrainStats> {
        let job = TrainJob::new(self, data, &order, batch_size, lr, step, false)?;
        guarded("trainSync", || self.sync_lock().map(|_| ()))?;
        Ok(job.run(false)?.into())
    }

    #[napi(ts_return_type = "Promise<NativeEpochStats>")]
    pub fn train_epochs(&self, data: &NativeDataset, plan: NativeEpochPlan) -> Result<AsyncTask<EpochsJob>> {
        Ok(AsyncTask::new(EpochsJob::new(self, data, &plan, true)?))
    }

    #[napi]
    pub fn train_epochs_sync(&self, data: &NativeDataset, plan: NativeEpochPlan) -> Result<NativeEpochStats> {
        let job = EpochsJob::new(self, data, &plan, false)?;
        guarded("trainEpochsSync", || self.sync_lock().map(|_| ()))?;
        Ok(job.run(false)?.into())
    }

    /// Inference outputs, one V8-owned array per model output (written in place).
    #[napi]
    pub fn predict<'env>(&self, env: &'env Env, inputs: Vec<Float32ArraySlice>, n: f64) -> Result<Vec<Float32ArraySlice<'env>>> {
        let op = "predict";
        let (n, lens) = guarded(op, || {
            let n = to_usize(op, "n", n)?;
            let net = self.sync_lock()?;
            Ok((n, net.output_sizes().iter().map(|&s| s.saturating_mul(n)).collect::<Vec<_>>()))
        })?;
        let xs = slices(&inputs);
        js_filled_many(env, op, "the outputs", &lens, |outs| self.sync_lock()?.predict_into(&xs, n, outs))
    }

    #[napi(ts_return_type = "Promise<Float32Array[]>")]
    pub fn predict_async(&self, inputs: Vec<Float32ArraySlice>, n: f64) -> Result<AsyncTask<PredictJob>> {
        let n = guarded("predictAsync", || to_usize("predictAsync", "n", n))?;
        let inputs = inputs.iter().map(|x| x.to_vec()).collect();
        Ok(AsyncTask::new(PredictJob { net: Arc::clone(&self.inner), pending: Some(PendingGuard::new(&self.pending)), inputs, n }))
    }

    /// Inference value `value` (any node's output or a model input) for n samples.
    #[napi]
    pub fn predict_value<'env>(
        &self,
        env: &'env Env,
        inputs: Vec<Float32ArraySlice>,
        n: f64,
        value: f64,
    ) -> Result<Float32ArraySlice<'env>> {
        let op = "predictValue";
        let (n, value, len) = guarded(op, || {
            let n = to_usize(op, "n", n)?;
            let value = to_usize(op, "value", value)?;
            Ok((n, value, self.sync_lock()?.value_len(n, value)?))
        })?;
        let xs = slices(&inputs);
        js_filled(env, op, "the value", len, |out| self.sync_lock()?.predict_value_into(&xs, n, value, out))
    }

    /// Inference with the losses over n samples (per-output sums).
    #[napi]
    pub fn evaluate(&self, inputs: Vec<Float32ArraySlice>, targets: Vec<Float32ArraySlice>, n: f64) -> Result<NativeEvalStats> {
        guarded("evaluate", || {
            let n = to_usize("evaluate", "n", n)?;
            Ok(self.sync_lock()?.evaluate(&slices(&inputs), &slices(&targets), n)?.into())
        })
    }

    /// Forward and backward of one batch in training mode; the gradients stay in the network.
    #[napi]
    pub fn compute_gradients(
        &self,
        inputs: Vec<Float32ArraySlice>,
        targets: Vec<Float32ArraySlice>,
        n: f64,
        step: f64,
    ) -> Result<NativeGradientStats> {
        let op = "computeGradients";
        guarded(op, || {
            let (n, step) = (to_usize(op, "n", n)?, to_u32(op, "step", step)?);
            Ok(self.sync_lock()?.compute_gradients(&slices(&inputs), &slices(&targets), n, step)?.into())
        })
    }

    #[napi]
    pub fn get_gradients(&self) -> Result<Vec<Float32Array>> {
        guarded("getGradients", || Ok(self.sync_lock()?.gradients().into_iter().map(Float32Array::new).collect()))
    }

    /// The optimizer's update from `grads` (or, when null, the gradients left by computeGradients).
    #[napi]
    pub fn apply_gradients(&self, grads: Option<Vec<Float32Array>>, lr: f64, step: f64) -> Result<()> {
        let op = "applyGradients";
        guarded(op, || {
            let step = to_u32(op, "step", step)?;
            let mut net = self.sync_lock()?;
            if let Some(g) = &grads {
                let refs: Vec<&[f32]> = g.iter().map(|a| &a[..]).collect();
                net.set_gradients(&refs)?;
            }
            net.apply_gradients(lr, step)
        })
    }

    #[napi]
    pub fn get_params(&self) -> Result<Vec<Float32Array>> {
        guarded("getParams", || Ok(self.sync_lock()?.get_params().into_iter().map(Float32Array::new).collect()))
    }

    #[napi]
    pub fn set_params(&self, params: Vec<Float32Array>) -> Result<()> {
        guarded("setParams", || {
            let slices: Vec<&[f32]> = params.iter().map(|p| &p[..]).collect();
            self.sync_lock()?.set_params(&slices)
        })
    }

    #[napi]
    pub fn get_state(&self) -> Result<Vec<Float32Array>> {
        guarded("getState", || Ok(self.sync_lock()?.get_state().into_iter().map(Float32Array::new).collect()))
    }

    #[napi]
    pub fn set_state(&self, state: Vec<Float32Array>) -> Result<()> {
        guarded("setState", || {
            let slices: Vec<&[f32]> = state.iter().map(|p| &p[..]).collect();
            self.sync_lock()?.set_state(&slices)
        })
    }

    #[napi]
    pub fn reset_optimizer(&self) -> Result<()> {
        guarded("resetOptimizer", || {
            self.sync_lock()?.reset_optimizer();
            Ok(())
        })
    }

    /// The optimizer's moments, parameter after parameter (see Network::get_optimizer_state).
    #[napi]
    pub fn get_optimizer_state(&self) -> Result<Vec<Float32Array>> {
        guarded("getOptimizerState", || Ok(self.sync_lock()?.get_optimizer_state().into_iter().map(Float32Array::new).collect()))
    }

    #[napi]
    pub fn set_optimizer_state(&self, state: Vec<Float32Array>) -> Result<()> {
        guarded("setOptimizerState", || {
            let slices: Vec<&[f32]> = state.iter().map(|s| &s[..]).collect();
            self.sync_lock()?.set_optimizer_state(&slices)
        })
    }

    /// Floats per sample of the activation and gradient buffers, against one buffer per value.
    #[napi]
    pub fn memory(&self) -> Result<NativeMemoryReport> {
        guarded("memory", || {
            let m = self.sync_lock()?.memory();
            Ok(NativeMemoryReport {
                training: m.training as f64,
                training_naive: m.training_naive as f64,
                gradients: m.gradients as f64,
                gradients_naive: m.gradients_naive as f64,
                inference: m.inference as f64,
                inference_naive: m.inference_naive as f64,
            })
        })
    }

    /// The network for a call on the JS thread: refused while a background job is pending.
    fn sync_lock(&self) -> oxnet_core::Result<MutexGuard<'_, Network>> {
        if self.pending.load(Ordering::SeqCst) > 0 {
            return Err(busy());
        }
        lock(&self.inner, false)
    }
}
