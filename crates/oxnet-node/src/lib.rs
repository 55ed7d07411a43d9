//! Thin napi-rs binding over oxnet-core: converts arguments, borrows or copies buffers, maps
//! errors and panics to JS errors "E_CODE: message". No math here.
// A test build of a napi cdylib registers no exports (napi-derive skips them under cfg(test)), so
// every export would read as dead code there; the binding is tested from JavaScript.
#![cfg_attr(test, allow(dead_code))]
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
