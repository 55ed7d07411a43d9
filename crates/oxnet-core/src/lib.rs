//! oxnet-core: the numeric kernels behind oxnet, free of any N-API dependency.
//! Semantics: docs/kernels.md. Layout: flat row-major f32 buffers, sample-major batches.
pub mod error;
pub mod layer;
pub mod rng;
pub mod spec;

pub use error::{CoreError, ErrorCode, Result};

pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
