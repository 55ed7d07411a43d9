//! oxnet-core: the numeric kernels behind oxnet, free of any N-API dependency.
//! Semantics: docs/kernels.md. Layout: flat row-major f32 buffers, sample-major batches.
pub mod activation;
pub mod bf16;
pub mod conv;
pub mod dense;
pub mod error;
pub mod executor;
pub mod fastmath;
pub mod gemm;
pub mod graph;
pub mod loss;
pub mod norm;
pub mod ops;
pub mod optim;
pub mod plan;
pub mod pool;
pub mod rng;
pub mod simd;
pub mod spec;
pub mod threads;
pub mod upsample;

pub use error::{CoreError, ErrorCode, Result};

pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
