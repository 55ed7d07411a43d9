//! Bfloat16 mixed precision (docs/kernels.md, "Bfloat16 mixed precision"): the three products of
//! dense and conv2d (y = x W, dx = dy Wᵀ, dW = xᵀ dy) take their operands rounded to bfloat16 and
//! accumulate in f32; everything else (weights, optimizer, gradient sums, losses, batch norm)
//! stays f32. The ops call in here only when their spec says `precision: "bfloat16"`.
//!
//! Rounding is that of `vcvtne2ps2bf16` (AVX512_BF16) so a hardware path would round alike:
//! round to nearest, ties to even; an f32 denormal (and ±0) becomes a zero of the same sign;
//! ±inf stays ±inf; a NaN keeps its sign and upper payload bits with the quiet bit set; a finite
//! value that rounds past the largest bfloat16 becomes ±inf.
//!
//! Products: [`gemm::gemm_views`] packs both operands as bfloat16 (u16) and runs a micro-kernel
//! chosen at run time: AVX2+FMA (widens by a 16-bit shift into f32 FMA) or the portable one (the
//! same fused multiply-adds in the same order with `f32::mul_add`): the two give bitwise equal
//! results (tests/bf16.rs). Every element is one chain `acc = fma(a_p, b_p, acc)` over p
//! ascending, from 0 (or from C when accumulating), whatever the blocking or the thread count.
//! AVX512_BF16 (`vdpbf16ps`) and AMX paths are not written: no machine here can run them.
pub mod conv;
pub mod dense;
pub mod gemm;
mod kernels;

/// `x` rounded to bfloat16, as its 16 bits (see the module's rounding rules).
#[inline]
pub fn round(x: f32) -> u16 {
    let b = x.to_bits();
    if b & 0x7fff_ffff > 0x7f80_0000 {
        // NaN: truncate, force quiet.
        return ((b >> 16) as u16) | 0x0040;
    }
    if b & 0x7f80_0000 == 0 {
        // Zero or denormal: a zero of the same sign.
        return ((b >> 16) & 0x8000) as u16;
    }
    // Finite or infinite: add half an ulp minus one, plus the kept lsb (ties to even); the carry
    // runs into the exponent where it must (up to inf). Infinity is unchanged (its low bits are 0).
    let lsb = (b >> 16) & 1;
    ((b + 0x7fff + lsb) >> 16) as u16
}

/// The f32 value of bfloat16 bits (exact: the low 16 bits are zero).
#[inline]
pub fn widen(h: u16) -> f32 {
    f32::from_bits(u32::from(h) << 16)
}

/// `x` rounded to bfloat16, as an f32.
#[inline]
pub fn round_f32(x: f32) -> f32 {
    widen(round(x))
}
