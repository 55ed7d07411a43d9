//! Max, average and global-average pooling over NHWC images (docs/kernels.md, "Convolution and
//! pooling"). Padded cells never take part: max ignores them, average divides by the number of
//! valid cells in its window.

use crate::conv::{checked_count, MAX_ELEMENTS};
use crate::error::CoreError;
use rayon::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dGeometry {
    pub batch: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub channels: usize,
    pub pool_h: usize,
    pub pool_w: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub pad_top: usize,
    pub pad_bottom: usize,
    pub pad_left: usize,
    pub pad_right: usize,
}

/// out = floor((in + before + after - pool) / stride) + 1, or None if the window does not fit.
fn pool_out_len(input: usize, before: usize, after: usize, pool: usize, stride: usize) -> Option<usize> {
    let padded = input.checked_add(before)?.checked_add(after)?;
    if pool > padded || stride == 0 {
        return None;
    }
    Some((padded - pool) / stride + 1)
}

impl Pool2dGeometry {
    pub fn out_h(&self) -> usize {
        pool_out_len(self.in_h, self.pad_top, self.pad_bottom, self.pool_h, self.stride_h).unwrap_or(0)
    }
    pub fn out_w(&self) -> usize {
        pool_out_len(self.in_w, self.pad_left, self.pad_right, self.pool_w, self.stride_w).unwrap_or(0)
    }
    pub fn in_sample_len(&self) -> usize {
        self.in_h * self.in_w * self.channels
    }
    pub fn out_sample_len(&self) -> usize {
        self.out_h() * self.out_w() * self.channels
    }
    pub fn x_len(&self) -> usize {
        self.batch * self.in_sample_len()
    }
    pub fn y_len(&self) -> usize {
        self.batch * self.out_sample_len()
    }

    /// Refuses zero sizes or strides, a window larger than the padded input, padding as large as
    /// the window (a window of padding only has no max and no average), and overflowing counts.
    pub fn validate(&self) -> Result<(), CoreError> {
        let positive = [
            ("batch", self.batch),
            ("inShape[0] (height)", self.in_h),
            ("inShape[1] (width)", self.in_w),
            ("inShape[2] (channels)", self.channels),
            ("pool[0]", self.pool_h),
            ("pool[1]", self.pool_w),
            ("strides[0]", self.stride_h),
            ("strides[1]", self.stride_w),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(CoreError::arg(format!("pool2d: {name} must be at least 1, got 0")));
            }
        }
        let pads = [
            ("padding[0] (top)", self.pad_top, "pool[0]", self.pool_h),
            ("padding[1] (bottom)", self.pad_bottom, "pool[0]", self.pool_h),
            ("padding[2] (left)", self.pad_left, "pool[1]", self.pool_w),
            ("padding[3] (right)", self.pad_right, "pool[1]", self.pool_w),
        ];
        for (name, pad, pool_name, pool) in pads {
            if pad >= pool {
                return Err(CoreError::arg(format!(
                    "pool2d: {name} = {pad} must be smaller than {pool_name} = {pool}, or some windows hold only padding"
                )));
            }
        }
        let oh = pool_out_len(self.in_h, self.pad_top, self.pad_bottom, self.pool_h, self.stride_h);
        let ow = pool_out_len(self.in_w, self.pad_left, self.pad_right, self.pool_w, self.stride_w);
        let (Some(oh), Some(ow)) = (oh, ow) else {
            return Err(CoreError::shape(format!(
                "pool2d: pool [{}, {}] is larger than the padded input [{} + {} + {}, {} + {} + {}]",
                self.pool_h, self.pool_w, self.in_h, self.pad_top, self.pad_bottom, self.in_w, self.pad_left, self.pad_right
            )));
        };
        checked_count("pool2d", "x (batch*height*width*channels)", &[self.batch, self.in_h, self.in_w, self.channels], MAX_ELEMENTS)?;
        checked_count("pool2d", "output (batch*outHeight*outWidth*channels)", &[self.batch, oh, ow, self.channels], MAX_ELEMENTS)?;
        Ok(())
    }

    pub fn check_len(&self, name: &str, actual: usize, expected: usize) -> Result<(), CoreError> {
        if actual != expected {
            return Err(CoreError::shape(format!(
                "pool2d: {name} has length {actual}, expected {expected} for batch {} inShape [{}, {}, {}]",
                self.batch, self.in_h, self.in_w, self.channels
            )));
        }
        Ok(())
    }

    /// Valid input rows [start, end) of output row `o` (likewise columns with the _w values).
    fn window(o: usize, stride: usize, pad: usize, pool: usize, input: usize) -> (usize, usize) {
        let start = (o * stride) as isize - pad as isize;
        let end = (start + pool as isize).min(input as isize);
        (start.max(0) as usize, end.max(0) as usize)
    }

    /// Calls `f(out_index, [(y0, y1), (x0, x1)], in_base)` for every output pixel of every
    /// sample, where in_base is the flat index of (n, 0, 0, 0) in x and the ranges are valid cells.
    fn for_each_window(&self, mut f: impl FnMut(usize, (usize, usize), (usize, usize), usize)) {
        let (oh, ow) = (self.out_h(), self.out_w());
        let mut out_pixel = 0;
        for n in 0..self.batch {
            let base = n * self.in_sample_len();
            for oy in 0..oh {
                let rows = Self::window(oy, self.stride_h, self.pad_top, self.pool_h, self.in_h);
                for ox in 0..ow {
                    let cols = Self::window(ox, self.stride_w, self.pad_left, self.pool_w, self.in_w);
                    f(out_pixel * self.channels, rows, cols, base);
                    out_pixel += 1;
                }
            }
        }
    }
}

/// Flat x index of the first maximum (window order, row-major) of channel `ch` in a window.
/// Also returns the maximum itself (-inf when no cell beats it).
fn window_argmax(
    g: &Pool2dGeometry,
    x: &[f32],
    (y0, y1): (usize, usize),
    (x0, x1): (usize, usize),
    base: usize,
    ch: usize,
) -> (usize, f32) {
    let c = g.channels;
    // Like the js kernel: best starts at -inf and NaN never wins; the first valid cell is kept
    // when nothing beats -inf. Strict > keeps the first maximum in window order.
    let mut best = f32::NEG_INFINITY;
    let mut best_at = base + (y0 * g.in_w + x0) * c + ch;
    for iy in y0..y1 {
        for ix in x0..x1 {
            let at = base + (iy * g.in_w + ix) * c + ch;
            if x[at] > best {
                best = x[at];
                best_at = at;
            }
        }
    }
    (best_at, best)
}

/// y = window maxima. `argmax` (when given, y_len long) receives the flat x index of each
/// output's first maximum, for `max_pool2d_backward_from_argmax`. Samples run in parallel; within
/// a window all channels are compared at once (the channel loop is the vector loop).
pub fn max_pool2d_forward(g: &Pool2dGeometry, x: &[f32], y: &mut [f32], argmax: Option<&mut [usize]>) {
    assert_eq!(x.len(), g.x_len(), "max_pool2d: x length");
    assert_eq!(y.len(), g.y_len(), "max_pool2d: y length");
    let (in_len, out_len) = (g.in_sample_len(), g.out_sample_len());
    let samples = y.par_chunks_mut(out_len).zip(x.par_chunks(in_len)).enumerate();
    match argmax {
        Some(argmax) => {
            assert_eq!(argmax.len(), g.y_len(), "max_pool2d: argmax length");
            samples.zip(argmax.par_chunks_mut(out_len)).for_each(|((n, (ys, xs)), am)| max_pool_sample(g, xs, n * in_len, ys, am));
        }
        None => samples.for_each(|(_, (ys, xs))| max_pool_sample_no_argmax(g, xs, ys)),
    }
}

/// One sample's maxima and argmax (flat x index: `base` + index within the sample).
fn max_pool_sample(g: &Pool2dGeometry, x: &[f32], base: usize, y: &mut [f32], argmax: &mut [usize]) {
    let c = g.channels;
    let mut out = 0;
    for_each_sample_window(g, |rows, cols| {
        let mut c0 = 0;
        while c0 < c {
            c0 += if c - c0 >= LANES {
                window_max::<LANES>(g, x, rows, cols, c0, &mut y[out + c0..], &mut argmax[out + c0..])
            } else {
                window_max::<1>(g, x, rows, cols, c0, &mut y[out + c0..], &mut argmax[out + c0..])
            };
        }
        argmax[out..out + c].iter_mut().for_each(|a| *a += base);
        out += c;
    });
}

/// Channels pooled together in one window pass (fixed, so the compare loop is vector code).
const LANES: usize = 8;

/// Max and first argmax (index within the sample) of channels c0..c0+L of one window.
#[inline(always)]
fn window_max<const L: usize>(
    g: &Pool2dGeometry,
    x: &[f32],
    (y0, y1): (usize, usize),
    (x0, x1): (usize, usize),
    c0: usize,
    y: &mut [f32],
    argmax: &mut [usize],
) -> usize {
    let c = g.channels;
    // Like the js kernel: best starts at -inf and NaN never wins; the first valid cell is kept
    // when nothing beats -inf. Strict > keeps the first maximum in window order.
    let mut best = [f32::NEG_INFINITY; L];
    let first = (y0 * g.in_w + x0) * c + c0;
    let mut at: [usize; L] = std::array::from_fn(|l| first + l);
    for iy in y0..y1 {
        for ix in x0..x1 {
            let cell = (iy * g.in_w + ix) * c + c0;
            let v: &[f32; L] = x[cell..cell + L].try_into().expect("L channels");
            // Selects, not branches: which cell wins is data-dependent and unpredictable.
            for l in 0..L {
                let wins = v[l] > best[l];
                at[l] = if wins { cell + l } else { at[l] };
                best[l] = if wins { v[l] } else { best[l] };
            }
        }
    }
    y[..L].copy_from_slice(&best);
    argmax[..L].copy_from_slice(&at);
    L
}

/// One sample's maxima (inference: no argmax kept).
fn max_pool_sample_no_argmax(g: &Pool2dGeometry, x: &[f32], y: &mut [f32]) {
    let c = g.channels;
    let mut out = 0;
    for_each_sample_window(g, |(y0, y1), (x0, x1)| {
        let best = &mut y[out..out + c];
        best.fill(f32::NEG_INFINITY);
        for iy in y0..y1 {
            for ix in x0..x1 {
                let cell = (iy * g.in_w + ix) * c;
                for (b, &v) in best.iter_mut().zip(&x[cell..cell + c]) {
                    *b = if v > *b { v } else { *b };
                }
            }
        }
        out += c;
    });
}

/// Calls `f(rows, cols)` with the valid input ranges of every window of one sample, in output order.
fn for_each_sample_window(g: &Pool2dGeometry, mut f: impl FnMut((usize, usize), (usize, usize))) {
    for oy in 0..g.out_h() {
        let rows = Pool2dGeometry::window(oy, g.stride_h, g.pad_top, g.pool_h, g.in_h);
        for ox in 0..g.out_w() {
            f(rows, Pool2dGeometry::window(ox, g.stride_w, g.pad_left, g.pool_w, g.in_w));
        }
    }
}

/// dx: each dy goes to its window's first maximum (found again from x).
pub fn max_pool2d_backward(g: &Pool2dGeometry, x: &[f32], dy: &[f32], dx: &mut [f32]) {
    assert_eq!(x.len(), g.x_len(), "max_pool2d: x length");
    assert_eq!(dy.len(), g.y_len(), "max_pool2d: dy length");
    assert_eq!(dx.len(), g.x_len(), "max_pool2d: dx length");
    dx.fill(0.0);
    g.for_each_window(|out, rows, cols, base| {
        for ch in 0..g.channels {
            dx[window_argmax(g, x, rows, cols, base, ch).0] += dy[out + ch];
        }
    });
}

/// dx from the argmax indices a training forward pass kept.
pub fn max_pool2d_backward_from_argmax(g: &Pool2dGeometry, argmax: &[usize], dy: &[f32], dx: &mut [f32]) {
    assert_eq!(dy.len(), g.y_len(), "max_pool2d: dy length");
    assert_eq!(argmax.len(), g.y_len(), "max_pool2d: argmax length");
    assert_eq!(dx.len(), g.x_len(), "max_pool2d: dx length");
    // Per sample in parallel: a sample's argmax indices all fall inside its own dx rows.
    let (in_len, out_len) = (g.in_sample_len(), g.out_sample_len());
    dx.par_chunks_mut(in_len).zip(argmax.par_chunks(out_len).zip(dy.par_chunks(out_len))).enumerate().for_each(|(n, (dxs, (am, ds)))| {
        dxs.fill(0.0);
        for (&at, &d) in am.iter().zip(ds) {
            dxs[at - n * in_len] += d;
        }
    });
}

/// y = mean of each window's valid cells.
pub fn avg_pool2d_forward(g: &Pool2dGeometry, x: &[f32], y: &mut [f32]) {
    assert_eq!(x.len(), g.x_len(), "avg_pool2d: x length");
    assert_eq!(y.len(), g.y_len(), "avg_pool2d: y length");
    let c = g.channels;
    g.for_each_window(|out, (y0, y1), (x0, x1), base| {
        let out = &mut y[out..out + c];
        out.fill(0.0);
        for iy in y0..y1 {
            for ix in x0..x1 {
                let at = base + (iy * g.in_w + ix) * c;
                for (s, v) in out.iter_mut().zip(&x[at..at + c]) {
                    *s += v;
                }
            }
        }
        let inv = 1.0 / ((y1 - y0) * (x1 - x0)) as f32;
        out.iter_mut().for_each(|s| *s *= inv);
    });
}

/// dx: each dy spread evenly over its window's valid cells.
pub fn avg_pool2d_backward(g: &Pool2dGeometry, dy: &[f32], dx: &mut [f32]) {
    assert_eq!(dy.len(), g.y_len(), "avg_pool2d: dy length");
    assert_eq!(dx.len(), g.x_len(), "avg_pool2d: dx length");
    dx.fill(0.0);
    let c = g.channels;
    g.for_each_window(|out, (y0, y1), (x0, x1), base| {
        let inv = 1.0 / ((y1 - y0) * (x1 - x0)) as f32;
        let d = &dy[out..out + c];
        for iy in y0..y1 {
            for ix in x0..x1 {
                let at = base + (iy * g.in_w + ix) * c;
                for (s, v) in dx[at..at + c].iter_mut().zip(d) {
                    *s += v * inv;
                }
            }
        }
    });
}

/// y[n, c] = mean over the h*w pixels (`pixels`) of x[n, :, :, c].
pub fn global_avg_pool_forward(batch: usize, pixels: usize, channels: usize, x: &[f32], y: &mut [f32]) {
    assert_eq!(x.len(), batch * pixels * channels, "global_avg_pool: x length");
    assert_eq!(y.len(), batch * channels, "global_avg_pool: y length");
    let inv = 1.0 / pixels as f32;
    for (xs, ys) in x.chunks_exact(pixels * channels).zip(y.chunks_exact_mut(channels)) {
        ys.fill(0.0);
        for px in xs.chunks_exact(channels) {
            for (s, v) in ys.iter_mut().zip(px) {
                *s += v;
            }
        }
        ys.iter_mut().for_each(|s| *s *= inv);
    }
}

/// dx[n, p, c] = dy[n, c] / pixels.
pub fn global_avg_pool_backward(batch: usize, pixels: usize, channels: usize, dy: &[f32], dx: &mut [f32]) {
    assert_eq!(dy.len(), batch * channels, "global_avg_pool: dy length");
    assert_eq!(dx.len(), batch * pixels * channels, "global_avg_pool: dx length");
    let inv = 1.0 / pixels as f32;
    for (ds, dxs) in dy.chunks_exact(channels).zip(dx.chunks_exact_mut(pixels * channels)) {
        for px in dxs.chunks_exact_mut(channels) {
            for (s, v) in px.iter_mut().zip(ds) {
                *s = v * inv;
            }
        }
    }
}

/// y[n, c] = max over the h*w pixels (`pixels`) of x[n, :, :, c]. `argmax` (when given,
/// batch*channels long) receives the pixel of each first maximum, in row-major order, for
/// `global_max_pool_backward`. Like the windowed max: best starts at -inf and NaN never wins, so a
/// channel of NaN or -inf only keeps pixel 0.
pub fn global_max_pool_forward(batch: usize, pixels: usize, channels: usize, x: &[f32], y: &mut [f32], argmax: Option<&mut [u32]>) {
    assert_eq!(x.len(), batch * pixels * channels, "global_max_pool: x length");
    assert_eq!(y.len(), batch * channels, "global_max_pool: y length");
    let samples = x.chunks_exact(pixels * channels).zip(y.chunks_exact_mut(channels));
    match argmax {
        Some(argmax) => {
            assert_eq!(argmax.len(), batch * channels, "global_max_pool: argmax length");
            for ((xs, ys), am) in samples.zip(argmax.chunks_exact_mut(channels)) {
                ys.fill(f32::NEG_INFINITY);
                am.fill(0);
                // pixels <= MAX_ELEMENTS: the pixel index fits a u32. Selects, not branches:
                // which pixel wins is data-dependent.
                for (p, px) in (0u32..).zip(xs.chunks_exact(channels)) {
                    for ((b, a), &v) in ys.iter_mut().zip(am.iter_mut()).zip(px) {
                        let wins = v > *b;
                        *a = if wins { p } else { *a };
                        *b = if wins { v } else { *b };
                    }
                }
            }
        }
        None => {
            for (xs, ys) in samples {
                ys.fill(f32::NEG_INFINITY);
                for px in xs.chunks_exact(channels) {
                    for (b, &v) in ys.iter_mut().zip(px) {
                        *b = if v > *b { v } else { *b };
                    }
                }
            }
        }
    }
}

/// dx[n, p, c] = dy[n, c] where p = argmax[n, c], zero elsewhere.
pub fn global_max_pool_backward(batch: usize, pixels: usize, channels: usize, argmax: &[u32], dy: &[f32], dx: &mut [f32]) {
    assert_eq!(argmax.len(), batch * channels, "global_max_pool: argmax length");
    assert_eq!(dy.len(), batch * channels, "global_max_pool: dy length");
    assert_eq!(dx.len(), batch * pixels * channels, "global_max_pool: dx length");
    for ((ds, am), dxs) in dy.chunks_exact(channels).zip(argmax.chunks_exact(channels)).zip(dx.chunks_exact_mut(pixels * channels)) {
        dxs.fill(0.0);
        for (ch, (&p, &g)) in am.iter().zip(ds).enumerate() {
            dxs[p as usize * channels + ch] = g;
        }
    }
}
