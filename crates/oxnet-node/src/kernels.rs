//! N-API exports of the dense, activation, loss and optimizer kernels (the Backend methods of the
//! same names). Inputs are borrowed Float32Arrays (no copy); results are new V8-owned
//! Float32Arrays the kernels write in place (convert::js_filled). Specs arrive as JSON strings.
use napi::bindgen_prelude::{Float32Array, Float32ArraySlice};
use napi::{Env, Result};
use napi_derive::napi;
use oxnet_core::dense::{self, DenseDims};
use oxnet_core::spec::{ActivationSpec, LossSpec, OptimizerSpec};
use oxnet_core::{activation, gemm, loss, optim, CoreError};

use crate::convert::{guarded, js_filled, js_filled3, parse_json, to_u32, to_usize};
use oxnet_core::error::{checked_product, expect_len};

#[napi(object, object_from_js = false)]
pub struct NativeDenseGrads<'env> {
    pub dx: Float32ArraySlice<'env>,
    pub dw: Float32ArraySlice<'env>,
    pub db: Float32ArraySlice<'env>,
}

#[napi(object, object_from_js = false)]
pub struct NativeLossResult<'env> {
    pub loss: f64,
    pub grad: Float32ArraySlice<'env>,
}

/// C[m x n] = A[m x k] · B[k x n], row-major.
#[napi(js_name = "matmul")]
pub fn matmul<'env>(env: &'env Env, a: Float32ArraySlice, b: Float32ArraySlice, m: f64, k: f64, n: f64) -> Result<Float32ArraySlice<'env>> {
    let op = "matmul";
    let dims = guarded(op, || {
        let (m, k, n) = (to_usize(op, "m", m)?, to_usize(op, "k", k)?, to_usize(op, "n", n)?);
        expect_len(op, "a", a.len(), "m*k", checked_product(op, "m*k", &[m, k])?)?;
        expect_len(op, "b", b.len(), "k*n", checked_product(op, "k*n", &[k, n])?)?;
        // m*n is not bounded by the inputs when k = 0: checked here, allocated fallibly below.
        Ok((m, k, n, checked_product(op, "m*n", &[m, n])?))
    })?;
    let (m, k, n, mn) = dims;
    js_filled(env, op, "the result (m*n)", mn, |c| gemm::gemm(m, k, n, &a, gemm::Layout::Normal, &b, gemm::Layout::Normal, c, false))
}

/// y = x W + b for a batch.
#[napi(js_name = "denseForward")]
pub fn dense_forward<'env>(
    env: &'env Env,
    x: Float32ArraySlice,
    w: Float32ArraySlice,
    b: Option<Float32ArraySlice>,
    batch: f64,
    inputs: f64,
    units: f64,
) -> Result<Float32ArraySlice<'env>> {
    let op = "denseForward";
    let d = guarded(op, || {
        let d = DenseDims::new(op, to_usize(op, "batch", batch)?, to_usize(op, "inputs", inputs)?, to_usize(op, "units", units)?)?;
        expect_len(op, "x", x.len(), "batch*inputs", d.batch * d.inputs)?;
        expect_len(op, "w", w.len(), "inputs*units", d.inputs * d.units)?;
        Ok(d)
    })?;
    js_filled(env, op, "y (batch*units)", d.batch * d.units, |y| dense::forward(&x, &w, b.as_deref(), d, y))
}

/// dx = dy W^T, dW = x^T dy, db = column sums of dy.
#[napi(js_name = "denseBackward")]
pub fn dense_backward<'env>(
    env: &'env Env,
    x: Float32ArraySlice,
    w: Float32ArraySlice,
    dy: Float32ArraySlice,
    batch: f64,
    inputs: f64,
    units: f64,
) -> Result<NativeDenseGrads<'env>> {
    let op = "denseBackward";
    let d = guarded(op, || {
        let d = DenseDims::new(op, to_usize(op, "batch", batch)?, to_usize(op, "inputs", inputs)?, to_usize(op, "units", units)?)?;
        expect_len(op, "x", x.len(), "batch*inputs", d.batch * d.inputs)?;
        expect_len(op, "w", w.len(), "inputs*units", d.inputs * d.units)?;
        expect_len(op, "dy", dy.len(), "batch*units", d.batch * d.units)?;
        Ok(d)
    })?;
    let [dx, dw, db] = js_filled3(env, op, ["dx", "dw", "db"], [d.batch * d.inputs, d.inputs * d.units, d.units], |dx, dw, db| {
        dense::backward(&x, &w, &dy, d, Some(dx), dw, Some(db))
    })?;
    Ok(NativeDenseGrads { dx, dw, db })
}

/// y = f(x), element-wise except softmax (per row of `width`). `act` is an ActivationSpec as JSON.
#[napi(js_name = "activationForward")]
pub fn activation_forward<'env>(env: &'env Env, act: String, x: Float32ArraySlice, width: f64) -> Result<Float32ArraySlice<'env>> {
    let op = "activationForward";
    let (act, width) = guarded(op, || Ok((parse_json::<ActivationSpec>(op, "act", &act)?, to_usize(op, "width", width)?)))?;
    js_filled(env, op, "y", x.len(), |y| activation::forward(&act, &x, width, y))
}

/// dL/dx from x, y = f(x) and dL/dy.
#[napi(js_name = "activationBackward")]
pub fn activation_backward<'env>(
    env: &'env Env,
    act: String,
    x: Float32ArraySlice,
    y: Float32ArraySlice,
    dy: Float32ArraySlice,
    width: f64,
) -> Result<Float32ArraySlice<'env>> {
    let op = "activationBackward";
    let (act, width) = guarded(op, || Ok((parse_json::<ActivationSpec>(op, "act", &act)?, to_usize(op, "width", width)?)))?;
    js_filled(env, op, "dx", x.len(), |dx| activation::backward(&act, &x, &y, &dy, width, dx))
}

/// Mean loss over the batch and its gradient with respect to `pred`. `spec` is a LossSpec as JSON.
#[napi(js_name = "loss")]
pub fn loss_fn<'env>(
    env: &'env Env,
    spec: String,
    pred: Float32ArraySlice,
    target: Float32ArraySlice,
    batch: f64,
    width: f64,
) -> Result<NativeLossResult<'env>> {
    let op = "loss";
    let (spec, batch, width) =
        guarded(op, || Ok((parse_json::<LossSpec>(op, "loss", &spec)?, to_usize(op, "batch", batch)?, to_usize(op, "width", width)?)))?;
    let mut value = 0.0;
    let grad = js_filled(env, op, "grad", pred.len(), |grad| {
        value = loss::loss(&spec, &pred, &target, batch, width, grad)?;
        Ok(())
    })?;
    Ok(NativeLossResult { loss: value, grad })
}

/// One optimizer update in place on `param` and the `state` slots. `opt` is an OptimizerSpec as JSON.
#[napi(js_name = "optimizerStep")]
pub fn optimizer_step(
    opt: String,
    mut param: Float32ArraySlice,
    grad: Float32ArraySlice,
    mut state: Vec<Float32Array>,
    step: f64,
) -> Result<()> {
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
