//! Thread count of the native kernels (oxnet_core::threads): OXNET_THREADS at the first native
//! call (guarded sizes the pool), or setThreads(n) at run time.
use napi::Result;
use napi_derive::napi;

use crate::convert::{guarded, to_usize};

/// Uses `n` threads (1..=256) for parallel kernels from now on.
#[napi(js_name = "setThreads")]
pub fn set_threads(n: f64) -> Result<()> {
    guarded("setThreads", || oxnet_core::threads::set_threads(to_usize("setThreads", "n", n)?))
}

/// Threads parallel kernels use now.
// Under guarded like every export: a bad OXNET_THREADS is refused here too (E_ARG).
#[napi(js_name = "getThreads")]
pub fn get_threads() -> Result<u32> {
    guarded("getThreads", || Ok(oxnet_core::threads::threads() as u32))
}
