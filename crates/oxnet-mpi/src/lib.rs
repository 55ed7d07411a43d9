//! MPI collectives for oxnet's data-parallel training, over rsmpi.
//!
//! Threading: every MPI call comes from the one JavaScript thread that called `init` (all calls
//! are synchronous, none goes to the libuv pool), so MPI is initialised with
//! `MPI_THREAD_FUNNELED`, the level for "several threads exist, only the main one calls MPI".
//! The universe lives in a thread-local, so a call from any other thread finds none and fails.

use std::cell::RefCell;

use mpi::collective::SystemOperation;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Threading;
use napi::bindgen_prelude::{Float32ArraySlice, Float64ArraySlice};
use napi::{Error, Result, Status};
use napi_derive::napi;

struct World {
    // Dropping the universe calls MPI_Finalize.
    _universe: Universe,
    comm: SimpleCommunicator,
}

thread_local! {
  static WORLD: RefCell<Option<World>> = const { RefCell::new(None) };
  static FINALIZED: RefCell<bool> = const { RefCell::new(false) };
}

fn err(msg: String) -> Error {
    Error::new(Status::GenericFailure, msg)
}

fn with_world<T>(op: &str, f: impl FnOnce(&SimpleCommunicator) -> T) -> Result<T> {
    WORLD.with(|w| match w.borrow().as_ref() {
        Some(world) => Ok(f(&world.comm)),
        None => Err(err(format!("{op}: MPI is not initialised on this thread (call init first, from the main thread)"))),
    })
}

#[napi(object)]
pub struct WorldInfo {
    pub rank: i32,
    pub size: i32,
    /// The threading level MPI granted (the library asks for "funneled").
    pub threading: String,
    pub library_version: String,
}

/// Initialise MPI once (MPI_Init_thread with FUNNELED); later calls return the same figures.
#[napi]
pub fn init() -> Result<WorldInfo> {
    if FINALIZED.with(|f| *f.borrow()) {
        return Err(err("init: MPI was already finalised in this process; it cannot start again".into()));
    }
    WORLD.with(|w| {
        let mut slot = w.borrow_mut();
        if slot.is_none() {
            let (universe, granted) = mpi::initialize_with_threading(Threading::Funneled)
                .ok_or_else(|| err("init: MPI was initialised elsewhere in this process".into()))?;
            if granted < Threading::Funneled {
                return Err(err(format!("init: MPI granted threading level {granted:?}, oxnet needs at least Funneled")));
            }
            let comm = universe.world();
            *slot = Some(World { _universe: universe, comm });
        }
        let comm = &slot.as_ref().expect("set above").comm;
        Ok(WorldInfo {
            rank: comm.rank(),
            size: comm.size(),
            threading: "funneled".into(),
            library_version: mpi::environment::library_version()
                .unwrap_or_default()
                .trim_matches(|c: char| c == '\0' || c.is_whitespace())
                .to_string(),
        })
    })
}

/// Sum `buf` over all ranks, in place (MPI_Allreduce; a copy of the input is the send buffer).
#[napi]
pub fn allreduce_sum_f32(mut buf: Float32ArraySlice) -> Result<()> {
    with_world("allreduceSumF32", |comm| {
        // SAFETY: synchronous call on the JS thread; nothing else touches the buffer meanwhile.
        let data = unsafe { buf.as_mut() };
        let send = data.to_vec();
        comm.all_reduce_into(&send[..], data, SystemOperation::sum());
    })
}

/// Sum `buf` over all ranks, in place, in double precision (metrics, counts).
#[napi]
pub fn allreduce_sum_f64(mut buf: Float64ArraySlice) -> Result<()> {
    with_world("allreduceSumF64", |comm| {
        // SAFETY: as in allreduce_sum_f32.
        let data = unsafe { buf.as_mut() };
        let send = data.to_vec();
        comm.all_reduce_into(&send[..], data, SystemOperation::sum());
    })
}

/// Overwrite `buf` on every rank with rank `root`'s contents (MPI_Bcast).
#[napi]
pub fn broadcast_f32(mut buf: Float32ArraySlice, root: i32) -> Result<()> {
    let size = with_world("broadcastF32", |comm| comm.size())?;
    if root < 0 || root >= size {
        return Err(err(format!("broadcastF32: root must be a rank in 0..{size}, got {root}")));
    }
    with_world("broadcastF32", |comm| {
        // SAFETY: as in allreduce_sum_f32.
        let data = unsafe { buf.as_mut() };
        comm.process_at_rank(root).broadcast_into(data);
    })
}

/// Wait until every rank reaches this point (MPI_Barrier).
#[napi]
pub fn barrier() -> Result<()> {
    with_world("barrier", |comm| comm.barrier())
}

/// End the whole job (MPI_Abort on the world) with `code`: for a rank that fails, whose peers
/// would otherwise wait in their next collective (MPI_Finalize would wait for them too).
#[napi]
pub fn abort(code: i32) -> Result<()> {
    with_world("abort", |comm| comm.abort(code))
}

/// Finalise MPI (MPI_Finalize); a no-op when MPI was never initialised or is already finalised.
#[napi]
pub fn finalize() {
    WORLD.with(|w| {
        if w.borrow_mut().take().is_some() {
            FINALIZED.with(|f| *f.borrow_mut() = true);
        }
    });
}
