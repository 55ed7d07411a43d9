//! The layer factory: one `LayerSpec` -> one boxed [`Layer`]. Each layer type has its own file.
use crate::error::{CoreError, Result};
use crate::layer::Layer;
use crate::spec::LayerSpec;

pub mod activation;
pub mod batch_norm;
pub mod conv2d;
pub mod dense;
pub mod dropout;
pub mod global_pool;
pub mod pool2d;
pub mod reshape;

/// Builds a layer from its spec, validating its configuration.
pub fn build_layer(spec: &LayerSpec) -> Result<Box<dyn Layer>> {
    match spec {
        LayerSpec::Dense(s) => Ok(Box::new(dense::DenseLayer::new(s)?)),
        LayerSpec::Activation(s) => Ok(Box::new(activation::ActivationLayer::new(s)?)),
        LayerSpec::Reshape(s) => Ok(Box::new(reshape::ReshapeLayer::new(s)?)),
        LayerSpec::Conv2d(s) => Ok(Box::new(conv2d::Conv2dLayer::new(s)?)),
        LayerSpec::MaxPool2d(s) => Ok(Box::new(pool2d::Pool2dLayer::new(s, pool2d::PoolKind::Max)?)),
        LayerSpec::AvgPool2d(s) => Ok(Box::new(pool2d::Pool2dLayer::new(s, pool2d::PoolKind::Avg)?)),
        LayerSpec::GlobalAvgPool2d(s) => Ok(Box::new(global_pool::GlobalAvgPoolLayer::new(s)?)),
        LayerSpec::Dropout(s) => Ok(Box::new(dropout::DropoutLayer::new(s)?)),
        LayerSpec::BatchNorm(s) => Ok(Box::new(batch_norm::BatchNormLayer::new(s)?)),
        #[allow(unreachable_patterns)]
        other => Err(CoreError::config(format!("layer type '{}' is not built into this native backend yet", other.type_name()))),
    }
}
