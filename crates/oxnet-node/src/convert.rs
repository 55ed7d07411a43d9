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
pub fn guarded<T>(op: &str, f: impl FnOnce() -> oxnet_core::Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
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

/// A zeroed result buffer of `len` floats, refused (E_ARG) over the limit or when the allocator
/// says no, instead of the abort a failed `vec!` would be. It comes from `alloc_zeroed`: big
/// blocks are fresh mappings (alloc.rs), already zero, so no memset touches the pages before the
/// kernel writes its result (a 1024x1024 matmul wrote its 4 MB twice).
pub fn zeros(op: &str, name: &str, len: usize) -> oxnet_core::Result<Vec<f32>> {
    if len > MAX_RESULT_FLOATS {
        return Err(CoreError::arg(format!("{op}: {name} would hold {len} floats, over the {MAX_RESULT_FLOATS}-float limit")));
    }
    if len == 0 {
        return Ok(Vec::new());
    }
    let refused = || CoreError::arg(format!("{op}: cannot allocate {len} floats for {name}"));
    let layout = std::alloc::Layout::array::<f32>(len).map_err(|_| refused())?;
    // SAFETY: layout has a non-zero size; a non-null block from the global allocator with exactly
    // this layout, all zero bits (valid f32 0.0), is what Vec::from_raw_parts(len, len) requires.
    unsafe {
        let p = std::alloc::alloc_zeroed(layout).cast::<f32>();
        if p.is_null() {
            return Err(refused());
        }
        Ok(Vec::from_raw_parts(p, len, len))
    }
}
