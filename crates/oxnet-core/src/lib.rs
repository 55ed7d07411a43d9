//! oxnet-core: the numeric kernels behind oxnet, free of any N-API dependency.
pub fn version() -> &'static str { env!("CARGO_PKG_VERSION") }
