use napi_derive::napi;

/// Version of the Rust kernel crate.
#[napi]
pub fn core_version() -> String { oxnet_core::version().to_string() }
