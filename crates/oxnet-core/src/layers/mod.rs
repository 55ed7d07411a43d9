//! The layer factory: one `LayerSpec` -> one boxed [`Layer`]. Each layer type has its own file.
use crate::error::{CoreError, Result};
use crate::layer::Layer;
use crate::spec::LayerSpec;

pub mod activation;
pub mod dense;
pub mod reshape;

/// Builds a layer from its spec, validating its configuration.
pub fn build_layer(spec: &LayerSpec) -> Result<Box<dyn Layer>> {
    match spec {
        LayerSpec::Dense(s) => Ok(Box::new(dense::DenseLayer::new(s)?)),
        LayerSpec::Activation(s) => Ok(Box::new(activation::ActivationLayer::new(s)?)),
        LayerSpec::Reshape(s) => Ok(Box::new(reshape::ReshapeLayer::new(s)?)),
        #[allow(unreachable_patterns)]
        other => Err(CoreError::config(format!(
            "layer type '{}' is not built into this native backend yet",
            other.type_name()
        ))),
    }
}
