//! NativeDataset and NativeNetwork: the executor of oxnet-core behind N-API. `train` runs on the
//! libuv pool as an AsyncTask; `trainSync` runs the very same function on the JS thread. Async
//! tasks own copies of their inputs, so background work never reads JS memory.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use napi::bindgen_prelude::{AsyncTask, Float32Array, Float32ArraySlice, Float64Array, Uint32Array};
use napi::{Env, Result, Task};
use napi_derive::napi;
use oxnet_core::net::{Dataset, EpochOrder, EpochPlan, EpochStats, Network, TrainStats};
use oxnet_core::spec::NetworkSpec;
use oxnet_core::{CoreError, ErrorCode};

use crate::convert::{guarded, js_filled, to_u32, to_usize};

/// A data set copied once into Rust memory.
#[napi]
pub struct NativeDataset {
    inner: Arc<Dataset>,
}

#[napi]
impl NativeDataset {
    /// Copies `count` rows of x and y; once when y is x (an autoencoder's data: half the copying
    /// on the JS thread and half the memory).
    #[napi(constructor)]
    pub fn new(x: Float32ArraySlice, y: Float32ArraySlice, count: f64) -> Result<Self> {
        guarded("createDataset", || {
            let count = to_usize("createDataset", "count", count)?;
            let same = x.as_ptr() == y.as_ptr() && x.len() == y.len();
            let data = if same { Dataset::inputs_as_targets(x.to_vec(), count)? } else { Dataset::new(x.to_vec(), y.to_vec(), count)? };
            Ok(NativeDataset { inner: Arc::new(data) })
        })
    }
    #[napi(getter)]
    pub fn count(&self) -> f64 {
        self.inner.count as f64
    }
    #[napi(getter)]
    pub fn input_size(&self) -> f64 {
        self.inner.input_size as f64
    }
    #[napi(getter)]
    pub fn target_size(&self) -> f64 {
        self.inner.target_size as f64
    }
}

#[napi(object)]
pub struct NativeTrainStats {
    pub losses: Float64Array,
    pub correct: Float64Array,
    pub non_finite_batch: f64,
}

impl From<TrainStats> for NativeTrainStats {
    fn from(s: TrainStats) -> Self {
        NativeTrainStats { losses: s.losses.into(), correct: s.correct.into(), non_finite_batch: s.non_finite_batch as f64 }
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
    pub correct: Float64Array,
    pub epochs: f64,
    pub non_finite_batch: f64,
}

impl From<EpochStats> for NativeEpochStats {
    fn from(s: EpochStats) -> Self {
        NativeEpochStats {
            losses: s.losses.into(),
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

/// Inference on a worker thread over a copy of the input.
pub struct PredictJob {
    net: Arc<Mutex<Network>>,
    pending: Option<PendingGuard>,
    x: Vec<f32>,
    n: usize,
}

impl Task for PredictJob {
    type Output = Vec<f32>;
    type JsValue = Float32Array;
    fn compute(&mut self) -> Result<Vec<f32>> {
        guarded("predictAsync", || lock(&self.net, true)?.predict(&self.x, self.n))
    }
    fn resolve(&mut self, _env: Env, output: Vec<f32>) -> Result<Float32Array> {
        self.pending.take();
        Ok(Float32Array::new(output))
    }
    fn reject(&mut self, _env: Env, err: napi::Error) -> Result<Float32Array> {
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

/// A compiled network: parameters, optimizer state and scratch buffers live in Rust.
#[napi]
pub struct NativeNetwork {
    inner: Arc<Mutex<Network>>,
    /// Background jobs queued or running: while > 0, calls on the JS thread refuse (E_STATE)
    /// rather than block the event loop behind them.
    pending: Arc<AtomicUsize>,
    output_size: usize,
}

#[napi]
impl NativeNetwork {
    /// `spec` is a NetworkSpec as JSON; `params` in paramShapes order.
    #[napi(constructor)]
    pub fn new(spec: String, params: Vec<Float32Array>) -> Result<Self> {
        guarded("createNetwork", || {
            let spec = NetworkSpec::from_json(&spec)?;
            let params = params.iter().map(|p| p.to_vec()).collect();
            let net = Network::new(spec, params)?;
            let output_size = net.output_size();
            Ok(NativeNetwork { inner: Arc::new(Mutex::new(net)), pending: Arc::new(AtomicUsize::new(0)), output_size })
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

    #[napi]
    pub fn predict<'env>(&self, env: &'env Env, x: Float32ArraySlice, n: f64) -> Result<Float32ArraySlice<'env>> {
        self.predict_sync("predict", env, &x, n, None)
    }

    #[napi(ts_return_type = "Promise<Float32Array>")]
    pub fn predict_async(&self, x: Float32ArraySlice, n: f64) -> Result<AsyncTask<PredictJob>> {
        let n = guarded("predictAsync", || to_usize("predictAsync", "n", n))?;
        Ok(AsyncTask::new(PredictJob { net: Arc::clone(&self.inner), pending: Some(PendingGuard::new(&self.pending)), x: x.to_vec(), n }))
    }

    #[napi]
    pub fn predict_up_to<'env>(&self, env: &'env Env, x: Float32ArraySlice, n: f64, layer_index: f64) -> Result<Float32ArraySlice<'env>> {
        self.predict_sync("predictUpTo", env, &x, n, Some(layer_index))
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

    /// predict / predictUpTo into a new V8-owned array (convert::js_filled); the lock is not held
    /// while V8 allocates it.
    fn predict_sync<'env>(&self, op: &str, env: &'env Env, x: &[f32], n: f64, layer_index: Option<f64>) -> Result<Float32ArraySlice<'env>> {
        let (n, layer, len) = guarded(op, || {
            let n = to_usize(op, "n", n)?;
            let net = self.sync_lock()?;
            let layer = match layer_index {
                Some(l) => to_usize(op, "layerIndex", l)?,
                None => net.layer_count() - 1,
            };
            Ok((n, layer, net.predict_len(x.len(), n, layer)?))
        })?;
        js_filled(env, op, "the output", len, |out| self.sync_lock()?.predict_into(x, n, layer, out))
    }

    /// The network for a call on the JS thread: refused while a background job is pending.
    fn sync_lock(&self) -> oxnet_core::Result<MutexGuard<'_, Network>> {
        if self.pending.load(Ordering::SeqCst) > 0 {
            return Err(busy());
        }
        lock(&self.inner, false)
    }

    #[napi(getter)]
    pub fn output_size(&self) -> f64 {
        self.output_size as f64
    }
}
