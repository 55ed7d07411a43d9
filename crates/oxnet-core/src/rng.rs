//! mulberry32, the one RNG both backends share (docs/kernels.md), and JS integer helpers.

/// mulberry32 over a u32 state, giving u in [0, 1) exactly as the TypeScript version does.
#[derive(Debug, Clone)]
pub struct Mulberry32 {
    state: u32,
}

impl Mulberry32 {
    pub fn new(seed: u32) -> Self {
        Mulberry32 { state: seed }
    }

    /// Next draw in [0, 1), a multiple of 2^-32.
    pub fn next_f64(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x6D2B_79F5);
        let a = self.state;
        let mut t = (a ^ (a >> 15)).wrapping_mul(1 | a);
        t = t.wrapping_add((t ^ (t >> 7)).wrapping_mul(61 | t)) ^ t;
        f64::from(t ^ (t >> 14)) / 4_294_967_296.0
    }
}

/// Seed of the dropout mask of layer `layer` at global step `step`:
/// (seed + imul(step + 1, 0x9E3779B1) + imul(layer + 1, 0x85EBCA77)) >>> 0.
pub fn dropout_seed(seed: u32, step: u32, layer: u32) -> u32 {
    seed.wrapping_add(step.wrapping_add(1).wrapping_mul(0x9E37_79B1)).wrapping_add(layer.wrapping_add(1).wrapping_mul(0x85EB_CA77))
}

/// JavaScript's ToUint32 (`x >>> 0`): truncate, wrap modulo 2^32; NaN and infinities give 0.
pub fn to_uint32(x: f64) -> u32 {
    if !x.is_finite() {
        return 0;
    }
    x.trunc().rem_euclid(4_294_967_296.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_sequence() {
        // Reference: the JS one-liner of docs/kernels.md run in Node for seed 42:
        // a=42; [0,1,2].map(()=>{a=(a+0x6D2B79F5)|0; let t=Math.imul(a^(a>>>15),1|a);
        // t=(t+Math.imul(t^(t>>>7),61|t))^t; return ((t^(t>>>14))>>>0)/4294967296})
        let mut r = Mulberry32::new(42);
        let got: Vec<f64> = (0..3).map(|_| r.next_f64()).collect();
        let expected = [0.6011037519201636, 0.44829055899754167, 0.8524657934904099];
        for (g, e) in got.iter().zip(expected) {
            assert!((g - e).abs() < 1e-15, "{got:?}");
        }
    }

    #[test]
    fn to_uint32_wraps_like_js() {
        assert_eq!(to_uint32(-1.0), 4_294_967_295);
        assert_eq!(to_uint32(4_294_967_297.5), 1);
        assert_eq!(to_uint32(f64::NAN), 0);
        // (7 + Math.imul(1, 0x9E3779B1) + Math.imul(1, 0x85EBCA77)) >>> 0 in Node
        assert_eq!(dropout_seed(7, 0, 0), ((7u64 + 0x9E37_79B1 + 0x85EB_CA77) % (1 << 32)) as u32);
    }
}
