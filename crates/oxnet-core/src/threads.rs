//! How many threads oxnet's kernels use. At first use the count comes from OXNET_THREADS (else
//! the machine's cores) and sizes rayon's global pool; `set_threads(n)` later swaps in a pool of
//! n threads that [`install`] runs parallel work on.
use std::sync::{Arc, OnceLock, RwLock};

use rayon::ThreadPool;

use crate::error::{CoreError, Result};

/// The most threads `set_threads` accepts.
pub const MAX_THREADS: usize = 256;

/// A pool set by `set_threads` (None: rayon's global pool, sized from the environment).
static CUSTOM: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

/// Reads OXNET_THREADS once and sizes the global pool with it.
fn init_global() -> usize {
    static GLOBAL: OnceLock<usize> = OnceLock::new();
    *GLOBAL.get_or_init(|| {
        let from_env = std::env::var("OXNET_THREADS").ok().and_then(|v| v.trim().parse::<usize>().ok());
        let wanted = from_env.filter(|&n| (1..=MAX_THREADS).contains(&n));
        let mut builder = rayon::ThreadPoolBuilder::new();
        if let Some(n) = wanted {
            builder = builder.num_threads(n);
        }
        // Fails only when something already built the global pool; then we use its size.
        let _ = builder.build_global();
        rayon::current_num_threads().max(1)
    })
}

fn custom() -> Option<Arc<ThreadPool>> {
    CUSTOM.read().map(|p| p.clone()).unwrap_or(None)
}

/// Threads parallel kernels use now.
pub fn threads() -> usize {
    match custom() {
        Some(pool) => pool.current_num_threads(),
        None => init_global(),
    }
}

/// Uses `n` threads from now on (1..=MAX_THREADS).
pub fn set_threads(n: usize) -> Result<()> {
    if !(1..=MAX_THREADS).contains(&n) {
        return Err(CoreError::arg(format!("setThreads: n must be an integer in [1, {MAX_THREADS}], got {n}")));
    }
    let global = init_global();
    let pool = if n == global {
        None
    } else {
        let built = rayon::ThreadPoolBuilder::new().num_threads(n).build();
        Some(Arc::new(built.map_err(|e| CoreError::arg(format!("setThreads: cannot start {n} threads: {e}")))?))
    };
    if let Ok(mut slot) = CUSTOM.write() {
        *slot = pool;
    }
    Ok(())
}

/// Runs `f` on a thread of the pool that oxnet's thread count sizes, so that the parallel
/// iterators inside it fork and join among pool threads (a parallel iterator started outside the
/// pool blocks its caller on every join). One hop into the pool per call; none with one thread.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match custom() {
        Some(pool) if pool.current_thread_index().is_none() => pool.install(f),
        Some(_) => f(),
        None if init_global() > 1 && rayon::current_thread_index().is_none() => rayon::scope(|_| f()),
        None => f(),
    }
}

/// [`install`] when the work is worth the hop into the pool (about 10 µs), else `f` right here.
pub fn install_if<R: Send>(worth_it: bool, f: impl FnOnce() -> R + Send) -> R {
    if worth_it {
        install(f)
    } else {
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_zero_and_huge_counts() {
        let e = set_threads(0).unwrap_err();
        assert_eq!(e.to_string(), "E_ARG: setThreads: n must be an integer in [1, 256], got 0");
        assert!(set_threads(MAX_THREADS + 1).is_err());
    }
}
