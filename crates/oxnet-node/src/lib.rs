//! Thin napi-rs binding over oxnet-core: converts arguments, borrows or copies buffers, maps
//! errors and panics to JS errors "E_CODE: message". No math here.
use napi_derive::napi;

mod alloc;
mod cnn;
mod convert;
mod kernels;
mod network;
mod threads;

/// Version of the Rust kernel crate.
#[napi]
pub fn core_version() -> String {
    oxnet_core::version().to_string()
}
