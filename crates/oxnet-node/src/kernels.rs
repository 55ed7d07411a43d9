//! N-API exports of the dense, activation, loss and optimizer kernels (the Backend methods of the
//! same names). Inputs are borrowed Float32Arrays (no copy); results are new Float32Arrays whose
//! memory Rust hands over. Specs arrive as JSON strings.
use napi::bindgen_prelude::{Float32Array, Float32ArraySlice};
use napi::Result;
use napi_derive::napi;
use oxnet_core::dense::{self, DenseDims};
use oxnet_core::spec::{ActivationSpec, LossSpec, OptimizerSpec};
use oxnet_core::{activation, gemm, loss, optim, CoreError};

use crate::convert::{guarded, parse_json, to_u32, to_usize, zeros};
use oxnet_core::error::{checked_product, expect_len};

#[napi(object)]
pub struct NativeDenseGrads {
    pub dx: Float32Array,
    pub dw: Float32Array,
    pub db: Float32Array,
}

#[napi(object)]
pub struct NativeLossResult {
    pub loss: f64,
    pub grad: Float32Array,
}

/// C[m x n] = A[m x k] · B[k x n], row-major.
#[napi(js_name = "matmul")]
pub fn matmul(a: Float32ArraySlice, b: Float32ArraySlice, m: f64, k: f64, n: f64) -> Result<Float32Array> {
    guarded("matmul", || {
        let op = "matmul";
        let (m, k, n) = (to_usize(op, "m", m)?, to_usize(op, "k", k)?, to_usize(op, "n", n)?);
        // m*n is not bounded by the inputs when k = 0: check and allocate fallibly, then multiply.
        expect_len(op, "a", a.len(), "m*k", checked_product(op, "m*k", &[m, k])?)?;
        expect_len(op, "b", b.len(), "k*n", checked_product(op, "k*n", &[k, n])?)?;
        let mut c = zeros(op, "the result (m*n)", checked_product(op, "m*n", &[m, n])?)?;
        gemm::gemm(m, k, n, &a, gemm::Layout::Normal, &b, gemm::Layout::Normal, &mut c, false)?;
        Ok(Float32Array::new(c))
    })
}

/// y = x W + b for a batch.
#[napi(js_name = "denseForward")]
pub fn dense_forward(
    x: Float32ArraySlice,
    w: Float32ArraySlice,
    b: Option<Float32ArraySlice>,
    batch: f64,
    inputs: f64,
    units: f64,
) -> Result<Float32Array> {
    guarded("denseForward", || {
        let op = "denseForward";
        let d = DenseDims::new(op, to_usize(op, "batch", batch)?, to_usize(op, "inputs", inputs)?, to_usize(op, "units", units)?)?;
        expect_len(op, "x", x.len(), "batch*inputs", d.batch * d.inputs)?;
        expect_len(op, "w", w.len(), "inputs*units", d.inputs * d.units)?;
        let mut y = zeros(op, "y (batch*units)", d.batch * d.units)?;
        dense::forward(&x, &w, b.as_deref(), d, &mut y)?;
        Ok(Float32Array::new(y))
    })
}

/// dx = dy W^T, dW = x^T dy, db = column sums of dy.
#[napi(js_name = "denseBackward")]
pub fn dense_backward(
    x: Float32ArraySlice,
    w: Float32ArraySlice,
    dy: Float32ArraySlice,
    batch: f64,
    inputs: f64,
    units: f64,
) -> Result<NativeDenseGrads> {
    guarded("denseBackward", || {
        let op = "denseBackward";
        let d = DenseDims::new(op, to_usize(op, "batch", batch)?, to_usize(op, "inputs", inputs)?, to_usize(op, "units", units)?)?;
        expect_len(op, "x", x.len(), "batch*inputs", d.batch * d.inputs)?;
        expect_len(op, "w", w.len(), "inputs*units", d.inputs * d.units)?;
        expect_len(op, "dy", dy.len(), "batch*units", d.batch * d.units)?;
        let (mut dx, mut dw, mut db) = (zeros(op, "dx", d.batch * d.inputs)?, zeros(op, "dw", d.inputs * d.units)?, zeros(op, "db", d.units)?);
        dense::backward(&x, &w, &dy, d, Some(&mut dx), &mut dw, Some(&mut db))?;
        Ok(NativeDenseGrads { dx: dx.into(), dw: dw.into(), db: db.into() })
    })
}

/// y = f(x), element-wise except softmax (per row of `width`). `act` is an ActivationSpec as JSON.
#[napi(js_name = "activationForward")]
pub fn activation_forward(act: String, x: Float32ArraySlice, width: f64) -> Result<Float32Array> {
    guarded("activationForward", || {
        let op = "activationForward";
        let act: ActivationSpec = parse_json(op, "act", &act)?;
        let mut y = vec![0.0; x.len()];
        activation::forward(&act, &x, to_usize(op, "width", width)?, &mut y)?;
        Ok(Float32Array::new(y))
    })
}

/// dL/dx from x, y = f(x) and dL/dy.
#[napi(js_name = "activationBackward")]
pub fn activation_backward(act: String, x: Float32ArraySlice, y: Float32ArraySlice, dy: Float32ArraySlice, width: f64) -> Result<Float32Array> {
    guarded("activationBackward", || {
        let op = "activationBackward";
        let act: ActivationSpec = parse_json(op, "act", &act)?;
        let mut dx = vec![0.0; x.len()];
        activation::backward(&act, &x, &y, &dy, to_usize(op, "width", width)?, &mut dx)?;
        Ok(Float32Array::new(dx))
    })
}

/// Mean loss over the batch and its gradient with respect to `pred`. `spec` is a LossSpec as JSON.
#[napi(js_name = "loss")]
pub fn loss_fn(spec: String, pred: Float32ArraySlice, target: Float32ArraySlice, batch: f64, width: f64) -> Result<NativeLossResult> {
    guarded("loss", || {
        let op = "loss";
        let spec: LossSpec = parse_json(op, "loss", &spec)?;
        let mut grad = vec![0.0; pred.len()];
        let value = loss::loss(&spec, &pred, &target, to_usize(op, "batch", batch)?, to_usize(op, "width", width)?, &mut grad)?;
        Ok(NativeLossResult { loss: value, grad: Float32Array::new(grad) })
    })
}

/// One optimizer update in place on `param` and the `state` slots. `opt` is an OptimizerSpec as JSON.
#[napi(js_name = "optimizerStep")]
pub fn optimizer_step(opt: String, mut param: Float32ArraySlice, grad: Float32ArraySlice, mut state: Vec<Float32Array>, step: f64) -> Result<()> {
    guarded("optimizerStep", || {
        let op = "optimizerStep";
        let opt: OptimizerSpec = parse_json(op, "opt", &opt)?;
        // Writing through overlapping arrays would alias a &mut: refuse shared buffers.
        let mut ranges = vec![("param", param.as_ptr() as usize, param.len())];
        ranges.push(("grad", grad.as_ptr() as usize, grad.len()));
        ranges.extend(state.iter().map(|s| ("state", s.as_ptr() as usize, s.len())));
        for (i, a) in ranges.iter().enumerate() {
            for b in &ranges[i + 1..] {
                let overlap = a.2 > 0 && b.2 > 0 && a.1 < b.1 + 4 * b.2 && b.1 < a.1 + 4 * a.2;
                if overlap {
                    return Err(CoreError::arg(format!("{op}: {} and {} share memory; pass separate arrays", a.0, b.0)));
                }
            }
        }
        let step = to_u32(op, "step", step)?;
        // SAFETY: this runs synchronously on the JS thread, so nothing else touches these arrays
        // meanwhile, and the check above ensures the mutable views do not overlap.
        let param = unsafe { param.as_mut() };
        let mut slots: Vec<&mut [f32]> = state.iter_mut().map(|s| unsafe { s.as_mut() }).collect();
        optim::optimizer_step(&opt, param, &grad, &mut slots, f64::from(step))
    })
}

/// Panics on purpose: tests check that a Rust panic becomes a JS error and Node lives on.
#[napi(js_name = "debugPanic")]
pub fn debug_panic() -> Result<()> {
    guarded("debugPanic", || -> oxnet_core::Result<()> { panic!("debugPanic was called") })
}

/// A background task whose compute panics on purpose: the panic must reject the promise.
pub struct PanicJob;

impl napi::Task for PanicJob {
    type Output = ();
    type JsValue = ();
    fn compute(&mut self) -> Result<()> {
        guarded("debugPanicAsync", || -> oxnet_core::Result<()> { panic!("debugPanicAsync was called") })
    }
    fn resolve(&mut self, _env: napi::Env, _output: ()) -> Result<()> {
        Ok(())
    }
}

/// Panics on purpose on a libuv worker thread (the async path of the panic test).
#[napi(js_name = "debugPanicAsync", ts_return_type = "Promise<void>")]
pub fn debug_panic_async() -> napi::bindgen_prelude::AsyncTask<PanicJob> {
    napi::bindgen_prelude::AsyncTask::new(PanicJob)
}
