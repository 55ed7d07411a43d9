//! N-API exports of the convolution and pooling kernels (the Backend methods of the same names in
//! src/backend/types.ts). Thin: converts the geometry object, checks lengths through oxnet-core,
//! borrows the input arrays, and turns CoreErrors and panics into JS errors "E_CODE: message" (crate::convert).
use napi::bindgen_prelude::Float32ArraySlice;
use napi::{Env, Result};
use napi_derive::napi;
use oxnet_core::conv::{self, Conv2dGeometry};
use oxnet_core::pool::{self, Pool2dGeometry};
use oxnet_core::{threads, CoreError};

use crate::convert::{guarded, js_filled, js_filled3};

type CoreResult<T> = oxnet_core::Result<T>;

/// Conv2dGeometry of src/backend/types.ts.
#[napi(object)]
pub struct NativeConv2dGeometry {
    pub batch: f64,
    /// [height, width, channels]
    pub in_shape: Vec<f64>,
    pub filters: f64,
    pub kernel: Vec<f64>,
    pub strides: Vec<f64>,
    /// [top, bottom, left, right]
    pub padding: Vec<f64>,
    pub dilation: Vec<f64>,
}

/// Pool2dGeometry of src/backend/types.ts.
#[napi(object)]
pub struct NativePool2dGeometry {
    pub batch: f64,
    pub in_shape: Vec<f64>,
    pub pool: Vec<f64>,
    pub strides: Vec<f64>,
    pub padding: Vec<f64>,
}

#[napi(object, object_from_js = false)]
pub struct NativeConv2dGrads<'env> {
    pub dx: Float32ArraySlice<'env>,
    pub dw: Float32ArraySlice<'env>,
    pub db: Float32ArraySlice<'env>,
}

/// A JS number that must be an integer in [min, 2^31).
fn int(op: &str, name: &str, v: f64, min: usize) -> CoreResult<usize> {
    if v.is_finite() && v.fract() == 0.0 && v >= min as f64 && v < 2_147_483_648.0 {
        Ok(v as usize)
    } else {
        Err(CoreError::arg(format!("{op}: {name} must be an integer >= {min} below 2^31, got {v}")))
    }
}

/// A JS array of exactly N integers >= min, named `name[i]` in errors.
fn ints<const N: usize>(op: &str, name: &str, v: &[f64], min: usize) -> CoreResult<[usize; N]> {
    if v.len() != N {
        return Err(CoreError::arg(format!("{op}: {name} must have {N} entries, got {}", v.len())));
    }
    let mut out = [0; N];
    for (i, x) in v.iter().enumerate() {
        out[i] = int(op, &format!("{name}[{i}]"), *x, min)?;
    }
    Ok(out)
}

fn conv_geometry(op: &str, g: &NativeConv2dGeometry) -> CoreResult<Conv2dGeometry> {
    let [in_h, in_w, in_c] = ints::<3>(op, "inShape", &g.in_shape, 1)?;
    let [kh, kw] = ints::<2>(op, "kernel", &g.kernel, 1)?;
    let [stride_h, stride_w] = ints::<2>(op, "strides", &g.strides, 1)?;
    let [pad_top, pad_bottom, pad_left, pad_right] = ints::<4>(op, "padding", &g.padding, 0)?;
    let [dil_h, dil_w] = ints::<2>(op, "dilation", &g.dilation, 1)?;
    let geometry = Conv2dGeometry {
        batch: int(op, "batch", g.batch, 1)?,
        in_h,
        in_w,
        in_c,
        filters: int(op, "filters", g.filters, 1)?,
        kh,
        kw,
        stride_h,
        stride_w,
        pad_top,
        pad_bottom,
        pad_left,
        pad_right,
        dil_h,
        dil_w,
    };
    geometry.validate()?;
    Ok(geometry)
}

fn pool_geometry(op: &str, g: &NativePool2dGeometry) -> CoreResult<Pool2dGeometry> {
    let [in_h, in_w, channels] = ints::<3>(op, "inShape", &g.in_shape, 1)?;
    let [pool_h, pool_w] = ints::<2>(op, "pool", &g.pool, 1)?;
    let [stride_h, stride_w] = ints::<2>(op, "strides", &g.strides, 1)?;
    let [pad_top, pad_bottom, pad_left, pad_right] = ints::<4>(op, "padding", &g.padding, 0)?;
    let geometry = Pool2dGeometry {
        batch: int(op, "batch", g.batch, 1)?,
        in_h,
        in_w,
        channels,
        pool_h,
        pool_w,
        stride_h,
        stride_w,
        pad_top,
        pad_bottom,
        pad_left,
        pad_right,
    };
    geometry.validate()?;
    Ok(geometry)
}

#[napi(js_name = "conv2dForward")]
pub fn conv2d_forward<'env>(
    env: &'env Env,
    x: Float32ArraySlice,
    w: Float32ArraySlice,
    b: Option<Float32ArraySlice>,
    g: NativeConv2dGeometry,
) -> Result<Float32ArraySlice<'env>> {
    let op = "conv2dForward";
    let g = guarded(op, || {
        let g = conv_geometry(op, &g)?;
        g.check_len("x", x.len(), g.x_len())?;
        g.check_len("w (kernel)", w.len(), g.w_len())?;
        if let Some(b) = &b {
            g.check_len("b (bias)", b.len(), g.filters)?;
        }
        Ok(g)
    })?;
    js_filled(env, op, "y", g.y_len(), |y| {
        let (x, w, b) = (&x[..], &w[..], b.as_deref());
        threads::install(|| conv::conv2d_forward(&g, x, w, b, y));
        Ok(())
    })
}

#[napi(js_name = "conv2dBackward")]
pub fn conv2d_backward<'env>(
    env: &'env Env,
    x: Float32ArraySlice,
    w: Float32ArraySlice,
    dy: Float32ArraySlice,
    g: NativeConv2dGeometry,
) -> Result<NativeConv2dGrads<'env>> {
    let op = "conv2dBackward";
    let g = guarded(op, || {
        let g = conv_geometry(op, &g)?;
        g.check_len("x", x.len(), g.x_len())?;
        g.check_len("w (kernel)", w.len(), g.w_len())?;
        g.check_len("dy", dy.len(), g.y_len())?;
        Ok(g)
    })?;
    let [dx, dw, db] = js_filled3(env, op, ["dx", "dw", "db"], [g.x_len(), g.w_len(), g.filters], |dx, dw, db| {
        let (x, w, dy) = (&x[..], &w[..], &dy[..]);
        threads::install(|| conv::conv2d_backward(&g, x, w, dy, conv::ConvGrads { dx: Some(dx), dw, db: Some(db) }));
        Ok(())
    })?;
    Ok(NativeConv2dGrads { dx, dw, db })
}

/// Shared shape checks of the pooling exports.
fn pool_inputs(op: &str, x: &[f32], dy: Option<&[f32]>, g: &NativePool2dGeometry) -> CoreResult<Pool2dGeometry> {
    let g = pool_geometry(op, g)?;
    g.check_len("x", x.len(), g.x_len())?;
    if let Some(dy) = dy {
        g.check_len("dy", dy.len(), g.y_len())?;
    }
    Ok(g)
}

#[napi(js_name = "maxPool2dForward")]
pub fn max_pool2d_forward<'env>(env: &'env Env, x: Float32ArraySlice, g: NativePool2dGeometry) -> Result<Float32ArraySlice<'env>> {
    let op = "maxPool2dForward";
    let g = guarded(op, || pool_inputs(op, &x, None, &g))?;
    js_filled(env, op, "y", g.y_len(), |y| {
        let x = &x[..];
        threads::install(|| pool::max_pool2d_forward(&g, x, y, None));
        Ok(())
    })
}

#[napi(js_name = "maxPool2dBackward")]
pub fn max_pool2d_backward<'env>(
    env: &'env Env,
    x: Float32ArraySlice,
    dy: Float32ArraySlice,
    g: NativePool2dGeometry,
) -> Result<Float32ArraySlice<'env>> {
    let op = "maxPool2dBackward";
    let g = guarded(op, || pool_inputs(op, &x, Some(&dy), &g))?;
    js_filled(env, op, "dx", g.x_len(), |dx| {
        let (x, dy) = (&x[..], &dy[..]);
        threads::install(|| pool::max_pool2d_backward(&g, x, dy, dx));
        Ok(())
    })
}

#[napi(js_name = "avgPool2dForward")]
pub fn avg_pool2d_forward<'env>(env: &'env Env, x: Float32ArraySlice, g: NativePool2dGeometry) -> Result<Float32ArraySlice<'env>> {
    let op = "avgPool2dForward";
    let g = guarded(op, || pool_inputs(op, &x, None, &g))?;
    js_filled(env, op, "y", g.y_len(), |y| {
        let x = &x[..];
        threads::install(|| pool::avg_pool2d_forward(&g, x, y));
        Ok(())
    })
}

/// `x` is only checked for its length (average pooling's gradient does not depend on it).
#[napi(js_name = "avgPool2dBackward")]
pub fn avg_pool2d_backward<'env>(
    env: &'env Env,
    x: Float32ArraySlice,
    dy: Float32ArraySlice,
    g: NativePool2dGeometry,
) -> Result<Float32ArraySlice<'env>> {
    let op = "avgPool2dBackward";
    let g = guarded(op, || pool_inputs(op, &x, Some(&dy), &g))?;
    js_filled(env, op, "dx", g.x_len(), |dx| {
        let dy = &dy[..];
        threads::install(|| pool::avg_pool2d_backward(&g, dy, dx));
        Ok(())
    })
}
