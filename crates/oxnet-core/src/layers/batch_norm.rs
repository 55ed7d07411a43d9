//! Batch normalization over the channel (last) axis. Params [gamma, beta], state [runningMean,
//! runningVar] (initially 0 and 1). Training: batch statistics, running stats updated;
//! inference: running stats.
use crate::error::{expect_positive, CoreError, Result};
use crate::layer::{Ctx, GradOf, Layer};
use crate::norm::{self, BatchNormCache};
use crate::spec::BatchNormSpec;

pub struct BatchNormLayer {
    size: usize,
    channels: usize,
    momentum: f32,
    epsilon: f32,
    cache: BatchNormCache,
    /// `cache` holds the statistics of the last forward (a training one).
    cache_valid: bool,
}

impl BatchNormLayer {
    pub fn new(spec: &BatchNormSpec) -> Result<Self> {
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
        Ok(BatchNormLayer {
            size: spec.size,
            channels: spec.channels,
            momentum: spec.momentum as f32,
            epsilon: spec.epsilon as f32,
            cache: BatchNormCache::default(),
            cache_valid: false,
        })
    }
}

impl Layer for BatchNormLayer {
    fn in_size(&self) -> usize {
        self.size
    }
    fn out_size(&self) -> usize {
        self.size
    }
    fn param_sizes(&self) -> Vec<usize> {
        vec![self.channels, self.channels]
    }
    fn state_sizes(&self) -> Vec<usize> {
        vec![self.channels, self.channels]
    }
    fn initial_state(&self) -> Vec<Vec<f32>> {
        vec![vec![0.0; self.channels], vec![1.0; self.channels]]
    }

    fn forward(&mut self, x: &[f32], _n: usize, params: &[Vec<f32>], state: &mut [Vec<f32>], ctx: &Ctx, y: &mut [f32]) -> Result<()> {
        let (gamma, beta) = (&params[0], &params[1]);
        let [running_mean, running_var] = state else {
            return Err(CoreError::new(crate::ErrorCode::State, "batchNorm: expected state [runningMean, runningVar]"));
        };
        if ctx.training {
            norm::batch_norm_forward_train(
                self.channels,
                x,
                gamma,
                beta,
                self.momentum,
                self.epsilon,
                running_mean,
                running_var,
                &mut self.cache,
                y,
            );
        } else {
            norm::batch_norm_forward_infer(self.channels, x, gamma, beta, self.epsilon, running_mean, running_var, y);
        }
        self.cache_valid = ctx.training;
        Ok(())
    }

    fn backward(
        &mut self,
        _x: &[f32],
        _y: &[f32],
        dy: &[f32],
        _grad_of: GradOf,
        _n: usize,
        params: &[Vec<f32>],
        grads: &mut [Vec<f32>],
        dx: Option<&mut [f32]>,
        _ctx: &Ctx,
    ) -> Result<()> {
        if !self.cache_valid || self.cache.x_hat.len() != dy.len() {
            return Err(CoreError::new(
                crate::ErrorCode::State,
                "batchNorm: backward needs a training-mode forward of the same batch first",
            ));
        }
        let [dgamma, dbeta] = grads else {
            return Err(CoreError::new(crate::ErrorCode::State, "batchNorm: expected grads [gamma, beta]"));
        };
        norm::batch_norm_backward(self.channels, &self.cache, &params[0], dy, dx, dgamma, dbeta);
        Ok(())
    }
}
