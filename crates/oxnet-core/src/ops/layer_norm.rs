//! Layer normalization over the last axis of each sample (rows of `width`): y = gamma (x - mean)
//! / sqrt(var + epsilon) + beta per row. Params [gamma (scale), beta (center)], no state; the same
//! in training and inference. The kernels are in crate::norm.
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, NodeShape, Op, Reads};
use crate::error::{expect_positive, CoreError, ErrorCode, Result};
use crate::norm::{self, LayerNormCache, LayerNormSettings};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerNormSpec {
    pub size: usize,
    /// The row length: the last axis of the sample's shape.
    pub width: usize,
    pub epsilon: f64,
    /// Learned offset beta.
    pub center: bool,
    /// Learned scale gamma.
    pub scale: bool,
}

pub struct LayerNorm {
    settings: LayerNormSettings,
    center: bool,
    scale: bool,
    cache: LayerNormCache,
    /// `cache` holds the statistics of a forward (the last one).
    cache_valid: bool,
}

impl LayerNorm {
    pub fn new(spec: &LayerNormSpec, shape: &NodeShape) -> Result<Self> {
        expect_positive("layerNorm", "size", spec.size)?;
        expect_positive("layerNorm", "width", spec.width)?;
        if !spec.size.is_multiple_of(spec.width) {
            return Err(CoreError::config(format!("layerNorm: size = {} is not a multiple of width = {}", spec.size, spec.width)));
        }
        if !(spec.epsilon.is_finite() && spec.epsilon > 0.0) {
            return Err(CoreError::arg(format!("layerNorm: epsilon must be a positive finite number, got {}", spec.epsilon)));
        }
        let w = spec.width;
        let params: Vec<usize> = [spec.scale, spec.center].iter().filter(|on| **on).map(|_| w).collect();
        shape.expect("layerNorm", &[spec.size], spec.size, &params, &[])?;
        let settings = LayerNormSettings { width: w, epsilon: spec.epsilon };
        Ok(LayerNorm { settings, center: spec.center, scale: spec.scale, cache: LayerNormCache::default(), cache_valid: false })
    }

    /// (gamma, beta) among `params`, in the order [gamma?, beta?].
    fn split<'a>(&self, params: &'a [Vec<f32>]) -> (Option<&'a [f32]>, Option<&'a [f32]>) {
        let gamma = self.scale.then(|| params[0].as_slice());
        let beta = self.center.then(|| params[usize::from(self.scale)].as_slice());
        (gamma, beta)
    }
}

impl Op for LayerNorm {
    fn backward_reads(&self) -> Reads {
        Reads::NOTHING // x̂ is in the cache
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        let (gamma, beta) = self.split(f.params);
        norm::layer_norm_forward(&self.settings, f.inputs.x(), gamma, beta, &mut self.cache, f.out);
        self.cache_valid = true;
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        if !self.cache_valid || self.cache.x_hat.len() != b.dout.len() {
            return Err(CoreError::new(ErrorCode::State, "layerNorm: backward needs a forward of the same batch first"));
        }
        let (gamma, _) = self.split(b.params);
        let (dgamma, dbeta) = match (self.scale, self.center, &mut *b.grads) {
            (true, true, [dg, db]) => (Some(dg.as_mut_slice()), Some(db.as_mut_slice())),
            (true, false, [dg]) => (Some(dg.as_mut_slice()), None),
            (false, true, [db]) => (None, Some(db.as_mut_slice())),
            (false, false, []) => (None, None),
            _ => return Err(CoreError::new(ErrorCode::State, "layerNorm: parameter gradients do not match [gamma?, beta?]")),
        };
        let dx = b.dinputs.get(0);
        norm::layer_norm_backward(&self.settings, &mut self.cache, gamma, b.dout, dx, dgamma, dbeta);
        Ok(())
    }
}
