//! Batch normalization over the channel (last) axis. Params [gamma, beta], state [runningMean,
//! runningVar]. Training: batch statistics, running stats updated; inference: running stats.
use serde::{Deserialize, Serialize};

use super::{Backward, Forward, NodeShape, Op, Reads};
use crate::error::{expect_positive, CoreError, ErrorCode, Result};
use crate::norm::{self, BatchNormCache, BatchNormSettings, Running};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchNormSpec {
    pub size: usize,
    pub channels: usize,
    pub momentum: f64,
    pub epsilon: f64,
}

pub struct BatchNorm {
    settings: BatchNormSettings,
    cache: BatchNormCache,
    /// `cache` holds the statistics of the last forward (a training one).
    cache_valid: bool,
}

impl BatchNorm {
    pub fn new(spec: &BatchNormSpec, shape: &NodeShape) -> Result<Self> {
        expect_positive("batchNorm", "size", spec.size)?;
        expect_positive("batchNorm", "channels", spec.channels)?;
        if !spec.size.is_multiple_of(spec.channels) {
            return Err(CoreError::config(format!("batchNorm: size = {} is not a multiple of channels = {}", spec.size, spec.channels)));
        }
        if !(spec.momentum.is_finite() && (0.0..=1.0).contains(&spec.momentum)) {
            return Err(CoreError::arg(format!("batchNorm: momentum must be in [0, 1], got {}", spec.momentum)));
        }
        if !(spec.epsilon.is_finite() && spec.epsilon > 0.0) {
            return Err(CoreError::arg(format!("batchNorm: epsilon must be a positive finite number, got {}", spec.epsilon)));
        }
        let c = spec.channels;
        shape.expect("batchNorm", &[spec.size], spec.size, &[c, c], &[c, c])?;
        let settings = BatchNormSettings { channels: c, momentum: spec.momentum as f32, epsilon: spec.epsilon as f32 };
        Ok(BatchNorm { settings, cache: BatchNormCache::default(), cache_valid: false })
    }
}

impl Op for BatchNorm {
    fn backward_reads(&self) -> Reads {
        Reads::NOTHING // the normalized input is in the cache
    }

    fn forward(&mut self, f: Forward<'_>) -> Result<()> {
        let (gamma, beta) = (&f.params[0], &f.params[1]);
        let [mean, var] = f.state else {
            return Err(CoreError::new(ErrorCode::State, "batchNorm: expected state [runningMean, runningVar]"));
        };
        let x = f.inputs.x();
        if f.ctx.training {
            norm::batch_norm_forward_train(&self.settings, x, gamma, beta, Running { mean, var }, &mut self.cache, f.out);
        } else {
            norm::batch_norm_forward_infer(&self.settings, x, gamma, beta, mean, var, f.out);
        }
        self.cache_valid = f.ctx.training;
        Ok(())
    }

    fn backward(&mut self, mut b: Backward<'_>) -> Result<()> {
        if !self.cache_valid || self.cache.x_hat.len() != b.dout.len() {
            return Err(CoreError::new(ErrorCode::State, "batchNorm: backward needs a training-mode forward of the same batch first"));
        }
        let [dgamma, dbeta] = b.grads else {
            return Err(CoreError::new(ErrorCode::State, "batchNorm: expected grads [gamma, beta]"));
        };
        let dx = b.dinputs.get(0);
        norm::batch_norm_backward(self.settings.channels, &mut self.cache, &b.params[0], b.dout, dx, dgamma, dbeta);
        Ok(())
    }
}
