//! The seeded random source every generator draws from, plus weighted choice tables.
//!
//! Everything runs off one ChaCha8 stream seeded from the configuration, consumed in a fixed
//! order, so the same configuration always gives byte-identical output.

use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A deterministic random source with the small helpers the generators need.
pub(crate) struct Rng(ChaCha8Rng);

impl Rng {
    /// A stream seeded from `seed`.
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// A fresh independent stream derived from this one and a label.
    pub(crate) fn fork(&mut self, label: u64) -> Rng {
        let s = self.0.next_u64() ^ label.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Rng::new(s)
    }

    /// A uniform float in [0, 1).
    #[inline]
    pub(crate) fn f(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    #[inline]
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }

    /// A uniform integer in `0..n` (`n` > 0).
    #[inline]
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.0.next_u64()) * n as u128) >> 64) as usize
    }

    /// A uniform integer in `lo..=hi`.
    #[inline]
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    /// A uniform element of a non-empty slice.
    #[inline]
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An exponential variate with the given mean.
    pub(crate) fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f()).ln()
    }
}

/// A table for drawing indices in proportion to fixed weights (cumulative sums, binary search).
pub(crate) struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    /// A table over `weights` (at least one must be positive).
    pub(crate) fn new(weights: impl IntoIterator<Item = f64>) -> Weighted {
        let mut total = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += w.max(0.0);
                total
            })
            .collect();
        Weighted { cumulative }
    }

    /// Zipf-like weights `1 / (rank + offset)^s` for `n` ranked items.
    pub(crate) fn zipf(n: usize, s: f64, offset: f64) -> Weighted {
        Weighted::new((0..n).map(|r| 1.0 / (r as f64 + 1.0 + offset).powf(s)))
    }

    /// Draws an index.
    #[inline]
    pub(crate) fn draw(&self, rng: &mut Rng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&0.0);
        let x = rng.f() * total;
        self.cumulative.partition_point(|&c| c <= x).min(self.cumulative.len() - 1)
    }
}
