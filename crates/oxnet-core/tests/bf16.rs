//! Bfloat16 mixed precision (crate::bf16): the rounding of vcvtne2ps2bf16 case by case and
//! against an independent f64 reference; the AVX2 kernel bitwise equal to the portable one (the
//! reference on every machine) over edge shapes, strides, accumulation, K slices, threads and
//! special values; the GEMM within bfloat16 tolerance of an f64 product; and the conv2d and dense
//! ops in bfloat16 against the f32 ops run on operands rounded beforehand.
use oxnet_core::bf16::{self, gemm};
use oxnet_core::gemm::View;
use oxnet_core::ops::conv2d::{Conv2d, Conv2dSpec};
use oxnet_core::ops::dense::{Dense, DenseSpec};
use oxnet_core::ops::{Backward, Ctx, Forward, GradOf, InputGrads, Inputs, NodeShape, Op};
use oxnet_core::rng::Mulberry32;

fn random(n: usize, seed: u32) -> Vec<f32> {
    let mut r = Mulberry32::new(seed);
    (0..n).map(|_| (r.next_f64() * 2.0 - 1.0) as f32).collect()
}

#[test]
fn rounding_cases() {
    let cases: &[(u32, u16, &str)] = &[
        (0x3f80_0000, 0x3f80, "1.0 exact"),
        (0x3f80_7fff, 0x3f80, "just below half an ulp: down"),
        (0x3f80_8000, 0x3f80, "tie, even lsb: stays"),
        (0x3f81_8000, 0x3f82, "tie, odd lsb: up to even"),
        (0x3f80_8001, 0x3f81, "just above half: up"),
        (0xbf80_8000, 0xbf80, "negative tie, even: stays"),
        (0xbf81_8000, 0xbf82, "negative tie, odd: away from zero to even"),
        (0x3fff_ffff, 0x4000, "carry into the exponent"),
        (0x7f7f_7fff, 0x7f7f, "largest that stays finite"),
        (0x7f7f_8000, 0x7f80, "tie at the top rounds to inf"),
        (0x7f7f_ffff, 0x7f80, "f32 max -> inf"),
        (0xff7f_ffff, 0xff80, "-f32 max -> -inf"),
        (0x7f80_0000, 0x7f80, "inf"),
        (0xff80_0000, 0xff80, "-inf"),
        (0x7fc0_0000, 0x7fc0, "quiet NaN"),
        (0x7f80_0001, 0x7fc0, "signalling NaN, payload in the dropped bits: quieted"),
        (0xff81_2345, 0xffc1, "negative NaN keeps sign and upper payload, quieted"),
        (0x0000_0000, 0x0000, "+0"),
        (0x8000_0000, 0x8000, "-0"),
        (0x0000_0001, 0x0000, "smallest denormal -> +0"),
        (0x007f_ffff, 0x0000, "largest denormal -> +0 (not up to the smallest normal)"),
        (0x807f_ffff, 0x8000, "negative denormal -> -0"),
        (0x0080_0000, 0x0080, "smallest normal stays"),
        (0x0080_8000, 0x0080, "tie just above the smallest normal"),
    ];
    for &(bits, want, what) in cases {
        let got = bf16::round(f32::from_bits(bits));
        assert_eq!(got, want, "{what}: {bits:#010x} -> {got:#06x}, want {want:#06x}");
    }
    assert_eq!(bf16::widen(0x3f80), 1.0);
    assert_eq!(bf16::round_f32(0.1), f32::from_bits(0x3dcd_0000));
}

/// An independent reference for finite normal values: the nearer of the two bfloat16 neighbours
/// by f64 distance, the even one on a tie (above the largest finite one the next step is 2^128,
/// as IEEE rounding to infinity has it).
fn reference(x: f32) -> u16 {
    let lo = (x.to_bits() >> 16) as u16; // truncated toward zero
    let hi = lo + 1;
    let value = |h: u16| if h & 0x7fff == 0x7f80 { f64::from(x).signum() * 2f64.powi(128) } else { f64::from(bf16::widen(h)) };
    let (dl, dh) = ((f64::from(x) - value(lo)).abs(), (value(hi) - f64::from(x)).abs());
    if dl < dh || (dl == dh && lo & 1 == 0) {
        lo
    } else {
        hi
    }
}

#[test]
fn rounding_matches_nearest_even_over_a_sweep_of_bit_patterns() {
    let mut checked = 0;
    for bits in (0u32..=u32::MAX).step_by(997) {
        let x = f32::from_bits(bits);
        let got = bf16::round(x);
        if x.is_nan() {
            assert!(bf16::widen(got).is_nan() && got & 0x0040 != 0 && (got & 0x8000) == ((bits >> 16) as u16 & 0x8000), "{bits:#x}");
        } else if x.is_subnormal() || x == 0.0 {
            assert_eq!(got, ((bits >> 16) & 0x8000) as u16, "{bits:#x}");
        } else if x.is_infinite() {
            assert_eq!(got, (bits >> 16) as u16);
        } else {
            assert_eq!(got, reference(x), "{bits:#x} ({x:e})");
            checked += 1;
        }
    }
    assert!(checked > 4_000_000);
}

/// C of `m x k` times `k x n` through `kernel`, A and B stored row-major or transposed.
#[allow(clippy::too_many_arguments)]
fn product(
    kernel: gemm::Kernel,
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    ta: bool,
    b: &[f32],
    tb: bool,
    c0: &[f32],
    acc: bool,
    par: bool,
) -> Vec<f32> {
    let av = if ta { View { data: a, rs: 1, cs: m } } else { View { data: a, rs: k, cs: 1 } };
    let bv = if tb { View { data: b, rs: 1, cs: k } } else { View { data: b, rs: n, cs: 1 } };
    let mut c = c0.to_vec();
    gemm::gemm_with(kernel, m, k, n, av, bv, &mut c, acc, par);
    c
}

/// Bits equal, except that any NaN equals any NaN (payload propagation is not part of the contract).
fn same_bits(x: &[f32], y: &[f32]) -> Option<usize> {
    x.iter().zip(y).position(|(a, b)| a.to_bits() != b.to_bits() && !(a.is_nan() && b.is_nan()))
}

#[test]
fn every_kernel_is_bitwise_the_portable_one() {
    let kernels = gemm::available();
    let portable = *kernels.last().unwrap();
    assert_eq!(portable.name, "portable");
    eprintln!("bf16 kernels on this CPU: {:?}", kernels.iter().map(|k| k.name).collect::<Vec<_>>());
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        assert_eq!(kernels[0].name, "avx2+fma", "the AVX2 kernel is offered (and compared) where the CPU has it");
    }
    let shapes = [(1, 1, 1), (6, 4, 16), (7, 5, 17), (13, 300, 33), (97, 257, 40), (5, 600, 2050), (200, 64, 3)];
    for (s, &(m, k, n)) in shapes.iter().enumerate() {
        let a = random(m * k, 10 + s as u32);
        let b = random(k * n, 20 + s as u32);
        let c0 = random(m * n, 30 + s as u32);
        for kernel in &kernels {
            for (ta, tb, acc, par) in
                [(false, false, false, false), (true, false, true, true), (false, true, false, true), (true, true, true, false)]
            {
                let want = product(portable, m, k, n, &a, ta, &b, tb, &c0, acc, false);
                let got = product(*kernel, m, k, n, &a, ta, &b, tb, &c0, acc, par);
                if let Some(i) = same_bits(&got, &want) {
                    panic!("{} {m}x{k}x{n} ta={ta} tb={tb} acc={acc} par={par}: element {i} is {} not {}", kernel.name, got[i], want[i]);
                }
            }
        }
    }
}

#[test]
fn special_values_go_through_every_kernel_alike() {
    // Products that underflow into f32 denormals or overflow, infinities, NaN and denormal
    // inputs (rounded to zero): where a separate multiply and add would differ from FMA.
    let (m, k, n) = (7, 40, 19);
    let specials = [1e-30f32, -3e-25, 2e-20, 1e30, -3e25, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 1e-40, -0.0, 3.4e38, 1.5];
    let pick = |len: usize, seed: u32| -> Vec<f32> {
        let mut r = Mulberry32::new(seed);
        (0..len).map(|_| specials[(r.next_f64() * specials.len() as f64) as usize] * if r.next_f64() < 0.5 { 1.0 } else { -1.0 }).collect()
    };
    let kernels = gemm::available();
    let portable = *kernels.last().unwrap();
    let scaled = |len: usize, seed: u32, scale: f32| random(len, seed).iter().map(|v| v * scale).collect::<Vec<_>>();
    let cases = [
        ("tiny: products and sums in the denormal range", scaled(m * k, 1, 2f32.powi(-70)), scaled(k * n, 2, 2f32.powi(-70))),
        ("huge: products near and past f32 max", scaled(m * k, 3, 2f32.powi(64)), scaled(k * n, 4, 2f32.powi(64))),
        ("inf, NaN, denormal inputs", pick(m * k, 5), pick(k * n, 6)),
    ];
    let c0 = vec![0.0; m * n];
    for (what, a, b) in &cases {
        let want = product(portable, m, k, n, a, false, b, false, &c0, false, false);
        for kernel in &kernels {
            let got = product(*kernel, m, k, n, a, false, b, false, &c0, false, false);
            assert_eq!(same_bits(&got, &want), None, "{} {what}", kernel.name);
        }
        let count = |f: &dyn Fn(f32) -> bool| want.iter().filter(|v| f(**v)).count();
        let (sub, inf, fin) = (count(&|v| v.is_subnormal()), count(&|v| v.is_infinite()), count(&|v| v.is_normal()));
        eprintln!("{what}: {sub} denormal, {inf} infinite, {fin} normal of {}", want.len());
        if what.starts_with("tiny") {
            assert!(sub > want.len() / 2, "{what}");
        }
        if what.starts_with("huge") {
            assert!(inf > 0 && fin > 0, "{what}");
        }
    }
}

#[test]
fn gemm_is_within_bfloat16_tolerance_of_f64() {
    let (m, k, n) = (67, 515, 45);
    let (a, b) = (random(m * k, 1), random(k * n, 2));
    let mut c = vec![0.0; m * n];
    gemm::gemm_views(m, k, n, View { data: &a, rs: k, cs: 1 }, View { data: &b, rs: n, cs: 1 }, &mut c, false);
    let (mut worst_rounded, mut worst_exact) = (0.0f64, 0.0f64);
    for i in 0..m {
        for j in 0..n {
            let (mut exact, mut rounded, mut mag) = (0.0f64, 0.0f64, 0.0f64);
            for p in 0..k {
                let (x, y) = (a[i * k + p], b[p * n + j]);
                exact += f64::from(x) * f64::from(y);
                rounded += f64::from(bf16::round_f32(x)) * f64::from(bf16::round_f32(y));
                mag += (f64::from(x) * f64::from(y)).abs();
            }
            let got = f64::from(c[i * n + j]);
            worst_rounded = worst_rounded.max((got - rounded).abs() / mag);
            worst_exact = worst_exact.max((got - exact).abs() / mag);
        }
    }
    // Against the f64 product of the rounded operands: only f32 accumulation error (k * 2^-24 bounds it).
    assert!(worst_rounded < k as f64 * 2f64.powi(-24), "{worst_rounded:e}");
    // Against the unrounded operands: each product is off by at most 2 * 2^-9 relative.
    assert!(worst_exact < 2.0 * 2f64.powi(-9) + k as f64 * 2f64.powi(-24), "{worst_exact:e}");
    assert!(worst_exact > 1e-5, "bfloat16 rounding shows ({worst_exact:e})");
}

fn conv_spec(precision: &str) -> Conv2dSpec {
    serde_json::from_str(&format!(
        r#"{{"inShape":[9,9,5],"filters":7,"kernel":[3,3],"strides":[2,1],"padding":[1,1,1,1],"dilation":[1,1],"useBias":true,"activation":{{"kind":"relu"}}{precision}}}"#
    ))
    .unwrap()
}

/// (y, dx, dw, db) of one forward + backward.
fn run_op(op: &mut dyn Op, x: &[f32], params: &[Vec<f32>], dy: &[f32], n: usize, ins: usize, outs: usize) -> [Vec<f32>; 4] {
    let ctx = Ctx { training: true, step: 0, seed: 1, node: 0 };
    let xs = vec![x.to_vec()];
    let (ids, in_sizes, need) = ([0], [ins], [true]);
    let inputs = || Inputs::new(&xs, &ids, &in_sizes, n);
    let mut y = vec![0.0; n * outs];
    op.forward(Forward { inputs: inputs(), n, params, state: &mut [], ctx, out: &mut y }).unwrap();
    let mut grads: Vec<Vec<f32>> = params.iter().map(|p| vec![0.0; p.len()]).collect();
    let mut dx = vec![vec![0.0; n * ins]];
    let dinputs = InputGrads::new(&mut dx, &need, &in_sizes, n);
    op.backward(Backward { inputs: inputs(), out: &y, dout: dy, grad_of: GradOf::Output, n, params, grads: &mut grads, dinputs }).unwrap();
    [y, dx.remove(0), grads[0].clone(), grads[1].clone()]
}

fn close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-3);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * scale, "{what}[{i}]: {g} vs {w} (scale {scale})");
    }
}

#[test]
fn conv2d_and_dense_ops_in_bfloat16_are_the_f32_ops_on_rounded_operands() {
    let r = |v: &[f32]| v.iter().map(|&x| bf16::round_f32(x)).collect::<Vec<_>>();
    // conv2d
    let (bf, f32s) = (conv_spec(r#","precision":"bfloat16""#), conv_spec(""));
    let g = bf.geometry();
    let shape = NodeShape { name: "c", inputs: &[g.in_sample_len()], output: g.out_sample_len(), params: &[g.w_len(), 7], state: &[] };
    let n = 3;
    let (ins, outs) = (g.in_sample_len(), g.out_sample_len());
    let x = random(n * ins, 5);
    let params = vec![random(g.w_len(), 6), random(7, 7)];
    let dy = random(n * outs, 8);
    let got = run_op(&mut Conv2d::new(&bf, &shape).unwrap(), &x, &params, &dy, n, ins, outs);
    // The f32 op on rounded x and K gives y (to f32 summation order); its dK and dx need dy
    // rounded too, through the same pre-activation mask (relu of the same y up to rounding).
    let rp = vec![r(&params[0]), params[1].clone()];
    let fwd = run_op(&mut Conv2d::new(&f32s, &shape).unwrap(), &r(&x), &rp, &dy, n, ins, outs);
    close("conv y", &got[0], &fwd[0], 1e-5);
    let mask: Vec<f32> = dy.iter().zip(&got[0]).map(|(&d, &y)| if y > 0.0 { d } else { 0.0 }).collect();
    let lin = conv_spec("").geometry();
    assert_eq!(lin, g);
    let lin_spec: Conv2dSpec = serde_json::from_str(&serde_json::to_string(&f32s).unwrap().replace("relu", "linear")).unwrap();
    let back = run_op(&mut Conv2d::new(&lin_spec, &shape).unwrap(), &r(&x), &rp, &r(&mask), n, ins, outs);
    close("conv dx", &got[1], &back[1], 1e-5);
    close("conv dw", &got[2], &back[2], 1e-5);
    let db: Vec<f32> = (0..7).map(|f| mask.iter().skip(f).step_by(7).sum()).collect();
    close("conv db (from unrounded dy)", &got[3], &db, 1e-5);
    assert!(got[2].iter().zip(&run_op(&mut Conv2d::new(&f32s, &shape).unwrap(), &x, &params, &dy, n, ins, outs)[2]).any(|(a, b)| a != b));

    // dense
    let spec = |p: &str| -> DenseSpec {
        serde_json::from_str(&format!(r#"{{"inputs":37,"units":21,"useBias":true,"activation":{{"kind":"linear"}}{p}}}"#)).unwrap()
    };
    let shape = NodeShape { name: "d", inputs: &[37], output: 21, params: &[37 * 21, 21], state: &[] };
    let n = 40;
    let (x, params, dy) = (random(n * 37, 11), vec![random(37 * 21, 12), random(21, 13)], random(n * 21, 14));
    let got = run_op(&mut Dense::new(&spec(r#","precision":"bfloat16""#), &shape).unwrap(), &x, &params, &dy, n, 37, 21);
    let want = run_op(&mut Dense::new(&spec(""), &shape).unwrap(), &r(&x), &[r(&params[0]), params[1].clone()], &r(&dy), n, 37, 21);
    close("dense y", &got[0], &want[0], 1e-5);
    close("dense dx", &got[1], &want[1], 1e-5);
    close("dense dw", &got[2], &want[2], 1e-5);
    let db: Vec<f32> = (0..21).map(|j| dy.iter().skip(j).step_by(21).sum()).collect();
    close("dense db (from unrounded dy)", &got[3], &db, 1e-5);
}

#[test]
fn a_float32_spec_serializes_without_precision() {
    let s = conv_spec("");
    assert!(!serde_json::to_string(&s).unwrap().contains("precision"));
    let b = conv_spec(r#","precision":"bfloat16""#);
    assert!(serde_json::to_string(&b).unwrap().contains(r#""precision":"bfloat16""#));
    assert!(serde_json::from_str::<Conv2dSpec>(&serde_json::to_string(&s).unwrap().replace('}', r#","precision":"float16"}"#)).is_err());
}
