//! How many threads oxnet's kernels use. [`init`] reads OXNET_THREADS once (unset or empty:
//! rayon's default, RAYON_NUM_THREADS or the machine's cores) and builds rayon's global pool with
//! that many threads, named "oxnet-<i>"; `set_threads(n)` later swaps in a pool of n threads that
//! [`install`] runs parallel work on.
//!
//! Why rayon's global pool and not one of our own: the kernels (pooling, im2col, the direct
//! convolution) run parallel iterators wherever they are called, and outside [`install`] those go
//! to the global pool, which rayon otherwise starts by itself with one thread per core. Sizing
//! that pool is the one way to bound every path. It can be built once per process only, so it
//! has to happen before any parallel work: the binding calls [`init`] at the top of every export
//! (oxnet-node's `convert::guarded`), and should the pool still have been started earlier with
//! another size (a Rust program running rayon work before its first oxnet call), [`init`] says so
//! (E_BACKEND) rather than running with a count other than the one asked for.
use std::error::Error as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use rayon::ThreadPool;

use crate::error::{CoreError, Result};

/// The most threads `set_threads` (and OXNET_THREADS) accepts.
pub const MAX_THREADS: usize = 256;

/// The environment variable [`init`] reads.
pub const ENV_VAR: &str = "OXNET_THREADS";

/// A pool set by `set_threads` (None: rayon's global pool, sized from the environment).
static CUSTOM: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

/// What the one sizing of the global pool gave: its threads, and why it is not what was asked.
struct Sizing {
    threads: usize,
    error: Option<CoreError>,
}

/// The thread names of oxnet's pools (tests count them in /proc/self/task/*/comm).
fn thread_name(i: usize) -> String {
    format!("oxnet-{i}")
}

/// The value of OXNET_THREADS as a thread count: None when unset or empty, E_ARG when it is not an
/// integer in [1, MAX_THREADS].
fn parse_env(raw: Option<&str>) -> Result<Option<usize>> {
    let Some(raw) = raw else { return Ok(None) };
    if raw.trim().is_empty() {
        return Ok(None);
    }
    match raw.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(Some(n)),
        _ => Err(CoreError::arg(format!("{ENV_VAR} must be an integer in [1, {MAX_THREADS}], got {raw:?}"))),
    }
}

/// The error when the global pool already runs `have` threads and OXNET_THREADS asked for another
/// count (nothing asked for: any count will do).
fn check_prebuilt(wanted: Option<usize>, have: usize) -> Result<()> {
    match wanted {
        Some(n) if n != have => Err(CoreError::backend(format!(
            "{ENV_VAR}={n} asks for {n} threads, but rayon's global thread pool was already started with {have} threads \
             before oxnet could size it (parallel work ran before the first oxnet call); its size cannot change now"
        ))),
        _ => Ok(()),
    }
}

/// Threads of rayon's global pool. rayon::current_num_threads() answers for the pool the calling
/// thread belongs to, so from inside a pool the question goes to a fresh thread outside every pool.
fn global_threads() -> usize {
    let n = if rayon::current_thread_index().is_none() {
        rayon::current_num_threads()
    } else {
        std::thread::spawn(rayon::current_num_threads).join().unwrap_or(1)
    };
    n.max(1)
}

/// Reads OXNET_THREADS and sizes the global pool with it, once per process.
fn sizing() -> &'static Sizing {
    static SIZING: OnceLock<Sizing> = OnceLock::new();
    SIZING.get_or_init(|| {
        let raw = std::env::var_os(ENV_VAR).map(|v| v.to_string_lossy().into_owned());
        let wanted = match parse_env(raw.as_deref()) {
            Ok(wanted) => wanted,
            // Nothing is started: every native call refuses with this error.
            Err(e) => return Sizing { threads: 1, error: Some(e) },
        };
        let mut builder = rayon::ThreadPoolBuilder::new().thread_name(thread_name);
        if let Some(n) = wanted {
            builder = builder.num_threads(n);
        }
        match builder.build_global() {
            Ok(()) => Sizing { threads: global_threads(), error: None },
            // "Already built" carries no source; threads that could not start carry their I/O error.
            Err(e) if e.source().is_none() => {
                let have = global_threads();
                Sizing { threads: have, error: check_prebuilt(wanted, have).err() }
            }
            Err(e) => {
                let asked = wanted.map_or_else(|| "the default number of".to_string(), |n| n.to_string());
                Sizing { threads: 1, error: Some(CoreError::backend(format!("cannot start {asked} threads for oxnet's pool: {e}"))) }
            }
        }
    })
}

/// Sizes the thread pool from OXNET_THREADS on the first call (later calls read a OnceLock) and
/// returns its threads. Errors, the same on every call: E_ARG when OXNET_THREADS is not an integer
/// in [1, MAX_THREADS], E_BACKEND when rayon's global pool was started earlier with another size or
/// its threads cannot start. Call it before any parallel work (the binding does, on every export).
pub fn init() -> Result<usize> {
    let s = sizing();
    match &s.error {
        Some(e) => Err(e.clone()),
        None => Ok(s.threads),
    }
}

fn custom() -> Option<Arc<ThreadPool>> {
    CUSTOM.read().map(|p| p.clone()).unwrap_or(None)
}

/// Threads parallel kernels use now: the pool of `set_threads`, else the global pool as sized by
/// the same one-time sizing as [`init`]. It reports no error (the kernels call it to pick a
/// path); [`init`] does: when the sizing failed this is what runs, the global pool's actual size
/// (1 when none was started).
pub fn threads() -> usize {
    match custom() {
        Some(pool) => pool.current_num_threads(),
        None => sizing().threads,
    }
}

/// Uses `n` threads from now on (1..=MAX_THREADS); refused with [`init`]'s error when the sizing
/// from OXNET_THREADS failed.
pub fn set_threads(n: usize) -> Result<()> {
    if !(1..=MAX_THREADS).contains(&n) {
        return Err(CoreError::arg(format!("setThreads: n must be an integer in [1, {MAX_THREADS}], got {n}")));
    }
    let global = init()?;
    let pool = if n == global {
        None
    } else {
        let built = rayon::ThreadPoolBuilder::new().num_threads(n).thread_name(thread_name).build();
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
        None if sizing().threads > 1 && rayon::current_thread_index().is_none() => rayon::scope(|_| f()),
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

/// How long a pool thread of a warm window ([`install_warm`]) polls without finding work before
/// it parks as usual: a training step's serial stretches (W2's small products, the loss) are far
/// shorter, and a run with no parallel work burns at most this per call.
pub const WARM_IDLE: Duration = Duration::from_millis(2);

/// Warm windows open now, in any pool (the GEMM splits smaller products while one is).
static WARM: AtomicUsize = AtomicUsize::new(0);

/// Whether a warm window is open: pool threads are polling, so a hand-off costs about a
/// microsecond instead of a futex wake-up (tens of microseconds, more on a busy machine).
pub fn warm() -> bool {
    WARM.load(Ordering::Relaxed) > 0
}

/// An open warm window; closing it (drop) sends the polling threads back to rayon's sleep.
struct WarmWindow {
    stop: Arc<AtomicBool>,
}

impl WarmWindow {
    /// Opens a window on the pool the calling thread belongs to (None with one thread or
    /// outside every pool). Every other thread of the pool gets one polling task (a broadcast,
    /// so no thread can take another's, and the caller's own copy returns at once).
    fn open() -> Option<Self> {
        let owner = rayon::current_thread_index()?;
        if rayon::current_num_threads() < 2 {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        rayon::spawn_broadcast(move |ctx| {
            if ctx.index() != owner {
                poll_for_work(&flag);
            }
        });
        WARM.fetch_add(1, Ordering::Relaxed);
        Some(WarmWindow { stop })
    }
}

impl Drop for WarmWindow {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        WARM.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs the pool's pending jobs as soon as they appear (rayon::yield_now steals them) until the
/// window closes or nothing came for [`WARM_IDLE`].
fn poll_for_work(stop: &AtomicBool) {
    let mut idle_since = Instant::now();
    let mut idle_rounds = 0u32;
    while !stop.load(Ordering::Relaxed) {
        if let Some(rayon::Yield::Executed) = rayon::yield_now() {
            idle_rounds = 0;
            idle_since = Instant::now();
            continue;
        }
        idle_rounds += 1;
        // Every 64 empty rounds (a few microseconds): the clock, and the core to any other
        // runnable thread (on a busy machine that may be this pool's own caller).
        if idle_rounds.is_multiple_of(64) {
            if idle_since.elapsed() >= WARM_IDLE {
                return;
            }
            std::thread::yield_now();
        }
        std::hint::spin_loop();
    }
}

/// [`install_if`], with the pool's other threads kept polling for work while `f` runs (a warm
/// window), so that the many short parallel stretches of a training run do not each pay a
/// wake-up. For training calls only: they hold the pool busy anyway; idle threads park again
/// when `f` returns or after [`WARM_IDLE`] without work.
pub fn install_warm<R: Send>(worth_it: bool, f: impl FnOnce() -> R + Send) -> R {
    install_if(worth_it, || {
        let _window = if worth_it { WarmWindow::open() } else { None };
        f()
    })
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

    #[test]
    fn threads_env_accepts_1_to_256_and_unset_or_empty() {
        assert_eq!(parse_env(None), Ok(None));
        assert_eq!(parse_env(Some("")), Ok(None));
        assert_eq!(parse_env(Some("  ")), Ok(None));
        assert_eq!(parse_env(Some("1")), Ok(Some(1)));
        assert_eq!(parse_env(Some(" 4\n")), Ok(Some(4)));
        assert_eq!(parse_env(Some("256")), Ok(Some(MAX_THREADS)));
    }

    #[test]
    fn threads_env_refuses_what_is_not_a_count() {
        for bad in ["abc", "0", "257", "-1", "1.5", "2 threads", "99999999999999999999999"] {
            let e = parse_env(Some(bad)).unwrap_err();
            assert_eq!(e.code, crate::ErrorCode::Arg, "{bad}");
            assert_eq!(e.message, format!("OXNET_THREADS must be an integer in [1, 256], got {bad:?}"));
        }
    }

    #[test]
    fn threads_prebuilt_pool_of_another_size_is_an_error() {
        assert_eq!(check_prebuilt(None, 2), Ok(()));
        assert_eq!(check_prebuilt(Some(2), 2), Ok(()));
        let e = check_prebuilt(Some(1), 2).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::Backend);
        assert!(e.to_string().starts_with(
            "E_BACKEND: OXNET_THREADS=1 asks for 1 threads, but rayon's global thread pool was already started with 2 threads"
        ));
    }
}
