//! Global average pooling: [n, h, w, c] -> [n, c], the mean over the pixels of each channel.
use crate::error::{expect_positive, Result};
use crate::layer::{Ctx, GradOf, Layer};
use crate::pool;
use crate::spec::GlobalPoolSpec;

pub struct GlobalAvgPoolLayer {
    pixels: usize,
    channels: usize,
}

impl GlobalAvgPoolLayer {
    pub fn new(spec: &GlobalPoolSpec) -> Result<Self> {
        let [h, w, c] = spec.in_shape;
        expect_positive("globalAvgPool2d", "inShape[0] (height)", h)?;
        expect_positive("globalAvgPool2d", "inShape[1] (width)", w)?;
        expect_positive("globalAvgPool2d", "inShape[2] (channels)", c)?;
        crate::conv::checked_count("globalAvgPool2d", "inShape (height*width*channels)", &[h, w, c], crate::conv::MAX_ELEMENTS)?;
        Ok(GlobalAvgPoolLayer { pixels: h * w, channels: c })
    }
}

impl Layer for GlobalAvgPoolLayer {
    fn in_size(&self) -> usize {
        self.pixels * self.channels
    }
    fn out_size(&self) -> usize {
        self.channels
    }

    fn forward(&mut self, x: &[f32], n: usize, _params: &[Vec<f32>], _state: &mut [Vec<f32>], _ctx: &Ctx, y: &mut [f32]) -> Result<()> {
        pool::global_avg_pool_forward(n, self.pixels, self.channels, x, y);
        Ok(())
    }

    fn backward(
        &mut self,
        _x: &[f32],
        _y: &[f32],
        dy: &[f32],
        _grad_of: GradOf,
        n: usize,
        _params: &[Vec<f32>],
        _grads: &mut [Vec<f32>],
        dx: Option<&mut [f32]>,
        _ctx: &Ctx,
    ) -> Result<()> {
        if let Some(dx) = dx {
            pool::global_avg_pool_backward(n, self.pixels, self.channels, dy, dx);
        }
        Ok(())
    }
}
