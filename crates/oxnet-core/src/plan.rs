//! Buffer reuse by liveness: each value lives from the step that writes it to the last step that
//! reads it; values whose lives do not overlap share a buffer. A buffer grows to the largest value
//! it ever holds and keeps that size, so once the largest batch has been seen nothing is
//! allocated again.

/// When a value is written and last read, on the executor's timeline (steps in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Life {
    pub from: i64,
    pub to: i64,
    /// Floats per sample.
    pub size: usize,
}

/// A buffer per value (usize::MAX for values that need none) and each buffer's size per sample.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub buffer: Vec<usize>,
    pub sizes: Vec<usize>,
}

pub const NO_BUFFER: usize = usize::MAX;

impl Plan {
    /// Floats per sample the plan's buffers hold together.
    pub fn floats_per_sample(&self) -> usize {
        self.sizes.iter().sum()
    }
}

/// Greedy interval colouring in order of birth: a value takes a free buffer (one whose last value
/// died before it is born), preferring the smallest that already fits, else the largest (which
/// grows); a new buffer only when none is free. Deterministic: ties go to the lower index.
pub fn assign(lives: &[Option<Life>]) -> Plan {
    let mut order: Vec<usize> = (0..lives.len()).filter(|&v| lives[v].is_some()).collect();
    order.sort_by_key(|&v| (lives[v].unwrap().from, v));
    let mut buffer = vec![NO_BUFFER; lives.len()];
    let mut sizes: Vec<usize> = vec![];
    // (last step read, buffer) of the buffers in use.
    let mut busy: Vec<(i64, usize)> = vec![];
    let mut free: Vec<usize> = vec![];
    for v in order {
        let life = lives[v].unwrap();
        busy.retain(|&(to, b)| {
            if to < life.from {
                free.push(b);
                false
            } else {
                true
            }
        });
        let fits = free.iter().enumerate().filter(|(_, &b)| sizes[b] >= life.size).min_by_key(|(_, &b)| (sizes[b], b)).map(|(i, _)| i);
        let pick = fits.or_else(|| free.iter().enumerate().max_by_key(|(_, &b)| (sizes[b], usize::MAX - b)).map(|(i, _)| i));
        let b = match pick {
            Some(i) => free.swap_remove(i),
            None => {
                sizes.push(0);
                sizes.len() - 1
            }
        };
        sizes[b] = sizes[b].max(life.size);
        buffer[v] = b;
        busy.push((life.to, b));
    }
    Plan { buffer, sizes }
}

/// One buffer per value: what a keep-everything executor holds (for comparing memory).
pub fn naive_floats_per_sample(lives: &[Option<Life>]) -> usize {
    lives.iter().flatten().map(|l| l.size).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn life(from: i64, to: i64, size: usize) -> Option<Life> {
        Some(Life { from, to, size })
    }

    #[test]
    fn a_chain_needs_two_buffers_in_inference() {
        // x -> a -> b -> c: each value is read only by the next step.
        let lives = [life(-1, 0, 4), life(0, 1, 8), life(1, 2, 2), life(2, 3, 8)];
        let plan = assign(&lives);
        assert_eq!(plan.sizes.len(), 2);
        assert_ne!(plan.buffer[0], plan.buffer[1]);
        assert_eq!(plan.buffer[0], plan.buffer[2]);
        assert_eq!(plan.buffer[1], plan.buffer[3]);
        assert_eq!(plan.floats_per_sample(), 8 + 4);
        assert_eq!(naive_floats_per_sample(&lives), 22);
    }

    #[test]
    fn overlapping_lives_never_share() {
        let lives = [life(0, 5, 1), life(1, 2, 1), life(3, 4, 1), None, life(5, 6, 1)];
        let plan = assign(&lives);
        for a in 0..lives.len() {
            for b in a + 1..lives.len() {
                if let (Some(x), Some(y)) = (lives[a], lives[b]) {
                    let overlap = x.from <= y.to && y.from <= x.to;
                    if overlap {
                        assert_ne!(plan.buffer[a], plan.buffer[b], "values {a} and {b} overlap");
                    }
                }
            }
        }
        assert_eq!(plan.buffer[3], NO_BUFFER);
        assert_eq!(plan.buffer[1], plan.buffer[2]);
    }
}
