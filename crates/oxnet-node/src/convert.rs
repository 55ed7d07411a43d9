//! The boundary helpers every export uses: CoreError -> JS error "E_CODE: message", panics ->
//! "E_NATIVE: ...", and JS numbers -> sizes with a check (napi's u32 would wrap -1 silently).
use napi::{Error, Result, Status};
use oxnet_core::{CoreError, ErrorCode};

/// A CoreError as a JS error whose message starts with the code (src/backend/native.ts parses it).
pub fn core_error(e: CoreError) -> Error {
    let status = match e.code {
        ErrorCode::Shape | ErrorCode::Arg => Status::InvalidArg,
        _ => Status::GenericFailure,
    };
    Error::new(status, e.to_string())
}

/// Runs `f`, mapping its CoreError and turning a panic into an E_NATIVE error so Node lives on.
/// First it sizes the thread pool (threads::init: OXNET_THREADS, once; a OnceLock read after the
/// first call): every export comes through here before any kernel runs, so no parallel work can
/// start rayon's global pool at its default size first. A bad OXNET_THREADS is refused here.
pub fn guarded<T>(op: &str, f: impl FnOnce() -> oxnet_core::Result<T>) -> Result<T> {
    let sized = || {
        oxnet_core::threads::init()?;
        f()
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(sized)) {
        Ok(result) => result.map_err(core_error),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(Error::new(Status::GenericFailure, format!("E_NATIVE: {op}: Rust panic: {what}")))
        }
    }
}

/// A JS number that must be a non-negative integer (a size, an index, a count).
pub fn to_usize(op: &str, name: &str, v: f64) -> oxnet_core::Result<usize> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_991.0 {
        Ok(v as usize)
    } else {
        Err(CoreError::arg(format!("{op}: {name} must be a non-negative integer, got {v}")))
    }
}

/// A JS number that must be an integer in [0, 2^32) (optimizer steps).
pub fn to_u32(op: &str, name: &str, v: f64) -> oxnet_core::Result<u32> {
    let n = to_usize(op, name, v)?;
    u32::try_from(n).map_err(|_| CoreError::arg(format!("{op}: {name} must be < 2^32, got {v}")))
}

/// Parses a JSON spec argument (activation, loss, optimizer, network) into its serde mirror.
pub fn parse_json<T: serde::de::DeserializeOwned>(op: &str, name: &str, json: &str) -> oxnet_core::Result<T> {
    serde_json::from_str(json).map_err(|e| CoreError::arg(format!("{op}: {name} is not a valid spec: {e}")))
}

/// Largest result buffer the addon allocates: conv's limit (i32::MAX floats), also for dense and
/// matmul, whose output size (m*n with k = 0) is not bounded by the input lengths.
pub const MAX_RESULT_FLOATS: usize = oxnet_core::conv::MAX_ELEMENTS;

/// A new JS Float32Array of `len` zeros in memory V8 allocates and owns, for a sync export to fill
/// in place. V8 counts such memory and collects it within a synchronous loop of calls; a buffer
/// Rust hands over (Float32Array::new) is only freed by a finalizer that waits for the event loop,
/// so `for (...) matmul(...)` grew RSS by the size of every result until the loop ended.
/// Refused (E_ARG) over the limit or when V8 cannot allocate it, with V8's exception cleared.
pub fn js_zeros<'env>(env: &'env napi::Env, op: &str, name: &str, len: usize) -> Result<napi::bindgen_prelude::Float32ArraySlice<'env>> {
    use napi::bindgen_prelude::{Float32ArraySlice, FromNapiValue};
    use napi::sys;
    if len > MAX_RESULT_FLOATS {
        return Err(core_error(CoreError::arg(format!("{op}: {name} would hold {len} floats, over the {MAX_RESULT_FLOATS}-float limit"))));
    }
    let raw = env.raw();
    let refused = || {
        // SAFETY: raw is the live env of this call; clearing a pending RangeError from V8's
        // allocator lets the typed error below reach JavaScript instead.
        unsafe {
            let mut pending = false;
            sys::napi_is_exception_pending(raw, &mut pending);
            if pending {
                let mut ignored = std::ptr::null_mut();
                sys::napi_get_and_clear_last_exception(raw, &mut ignored);
            }
        }
        core_error(CoreError::arg(format!("{op}: cannot allocate {len} floats for {name}")))
    };
    // SAFETY: plain N-API calls on this call's env; the typed array covers the whole new buffer.
    unsafe {
        let (mut data, mut buffer, mut typed) = (std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null_mut());
        if sys::napi_create_arraybuffer(raw, len * 4, &mut data, &mut buffer) != sys::Status::napi_ok {
            return Err(refused());
        }
        if sys::napi_create_typedarray(raw, sys::TypedarrayType::float32_array, len, buffer, 0, &mut typed) != sys::Status::napi_ok {
            return Err(refused());
        }
        Float32ArraySlice::from_napi_value(raw, typed)
    }
}

/// A new V8-owned Float32Array of `len` floats (js_zeros) that `fill` writes, under `guarded`.
pub fn js_filled<'env>(
    env: &'env napi::Env,
    op: &str,
    name: &str,
    len: usize,
    fill: impl FnOnce(&mut [f32]) -> oxnet_core::Result<()>,
) -> Result<napi::bindgen_prelude::Float32ArraySlice<'env>> {
    let mut out = js_zeros(env, op, name, len)?;
    // SAFETY: the array was just created and is not aliased by any input of this call.
    let slice = unsafe { out.as_mut() };
    guarded(op, || fill(slice))?;
    Ok(out)
}

/// New V8-owned Float32Arrays of `lens` floats (js_zeros) that `fill` writes together, under
/// `guarded` (a multi-output predict).
pub fn js_filled_many<'env>(
    env: &'env napi::Env,
    op: &str,
    name: &str,
    lens: &[usize],
    fill: impl FnOnce(&mut [&mut [f32]]) -> oxnet_core::Result<()>,
) -> Result<Vec<napi::bindgen_prelude::Float32ArraySlice<'env>>> {
    let mut arrays = lens.iter().map(|&len| js_zeros(env, op, name, len)).collect::<Result<Vec<_>>>()?;
    // SAFETY: arrays just created, distinct from each other and from every input.
    let mut slices: Vec<&mut [f32]> = arrays.iter_mut().map(|a| unsafe { a.as_mut() }).collect();
    guarded(op, || fill(&mut slices))?;
    Ok(arrays)
}

/// Three new V8-owned Float32Arrays (gradients dx, dw, db) of `lens` floats that `fill` writes,
/// under `guarded`.
pub fn js_filled3<'env>(
    env: &'env napi::Env,
    op: &str,
    names: [&str; 3],
    lens: [usize; 3],
    fill: impl FnOnce(&mut [f32], &mut [f32], &mut [f32]) -> oxnet_core::Result<()>,
) -> Result<[napi::bindgen_prelude::Float32ArraySlice<'env>; 3]> {
    let (mut a, mut b, mut c) =
        (js_zeros(env, op, names[0], lens[0])?, js_zeros(env, op, names[1], lens[1])?, js_zeros(env, op, names[2], lens[2])?);
    // SAFETY: three arrays just created, distinct from each other and from every input.
    let (sa, sb, sc) = unsafe { (a.as_mut(), b.as_mut(), c.as_mut()) };
    guarded(op, || fill(sa, sb, sc))?;
    Ok([a, b, c])
}
