//! A KLL quantile sketch (Karnin, Lang & Liberty 2016), the quantile summary that profiles carry.
//!
//! Level `h` holds items of weight 2^h. When the sketch holds more items than its levels' capacities
//! allow, the lowest full level is sorted and *compacted*: every other item (odd or even offsets, by a
//! coin) moves up one level with double weight. Capacities shrink by c = 2/3 per level below the top,
//! so the sketch holds about 3k items whatever n is (at most Σ_h max(⌈k·c^depth⌉, 8): 614 for k = 200
//! at n = 1M, about 10 KB of TOML).
//!
//! Invariants:
//! - Total weight is exact: Σ len(level h)·2^h = `n` (an odd level keeps one item back). Parsing checks it.
//! - Deterministic: the coin is a hash of (items seen, level), not a random generator, so the same
//!   values in the same order give the same sketch, and the same merges give the same bytes.
//! - **Error bound:** a quantile read from the sketch has normalised rank error at most
//!   [`KllSketch::rank_error`] = 2.296 / k^0.9723 (1.33 % of n for the default k = 200) with
//!   probability ≥ 99 % per query. This is the single-sided bound Apache DataSketches publishes for
//!   this compactor schedule; `src/tests/sketch.rs` checks it on 1M values of several
//!   distributions, heavy tails included, and after merging shard sketches.
//!
//! Sketches summarise; drift decisions use the fixed-edge histograms (DESIGN §5: sketch-based KS
//! flags identical columns at large n).

use serde::{Deserialize, Serialize};

/// Default accuracy parameter (Apache DataSketches' default too): about 600 items per column.
pub const DEFAULT_SKETCH_K: u16 = 200;
/// Level capacities shrink by this factor per level below the top.
const SHRINK: f64 = 2.0 / 3.0;
/// Smallest level capacity (keeps the bottom levels from compacting every other item).
const MIN_CAPACITY: usize = 8;
/// 2^63 weight is beyond any row count; more levels means a corrupt sketch.
const MAX_LEVELS: usize = 63;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// A deterministic KLL quantile sketch (see the module docs for the algorithm and its error bound).
pub struct KllSketch {
    /// Accuracy parameter: larger is more accurate and larger.
    pub k: u16,
    /// Values summarised.
    pub n: u64,
    /// `levels[h]`: items of weight 2^h.
    pub levels: Vec<Vec<f64>>,
}

/// The quantiles a profile and a drift report show.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quantiles {
    /// 1st percentile.
    pub p1: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
}

impl Quantiles {
    /// The probabilities of the fields, in order.
    pub const PROBABILITIES: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

    /// Builds from a quantile function; `None` when it has no finite answer.
    pub fn from_fn(f: impl Fn(f64) -> Option<f64>) -> Option<Quantiles> {
        let [p1, p5, p25, p50, p75, p95, p99] = Self::PROBABILITIES.map(|q| f(q).filter(|x| x.is_finite()));
        Some(Quantiles { p1: p1?, p5: p5?, p25: p25?, p50: p50?, p75: p75?, p95: p95?, p99: p99? })
    }
}

/// splitmix64: one well-mixed bit per (items seen, level) is all the coin needs.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl KllSketch {
    /// An empty sketch with accuracy parameter `k`.
    pub fn new(k: u16) -> KllSketch {
        KllSketch { k: k.max(8), n: 0, levels: vec![Vec::new()] }
    }

    /// The documented normalised rank error (99 % confidence, per query) for this sketch's k.
    pub fn rank_error(&self) -> f64 {
        Self::rank_error_for(self.k)
    }

    /// The rank error (a fraction of n, 99% confidence) of a sketch with parameter `k`.
    pub fn rank_error_for(k: u16) -> f64 {
        2.296 / f64::from(k).powf(0.9723)
    }

    fn capacity(&self, level: usize) -> usize {
        let depth = (self.levels.len() - 1 - level) as i32;
        ((f64::from(self.k) * SHRINK.powi(depth)).ceil() as usize).max(MIN_CAPACITY)
    }

    fn capacities(&self) -> Vec<usize> {
        (0..self.levels.len()).map(|h| self.capacity(h)).collect()
    }

    fn size(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// Adds finite values (the caller filters NaN and ±inf, as profiles do).
    pub fn update(&mut self, values: &[f64]) {
        // Capacities and size are tracked here rather than recomputed: the bottom levels compact
        // every few items, so this loop is the profile's hot path.
        let mut caps = self.capacities();
        let mut max_size: usize = caps.iter().sum();
        let mut size = self.size();
        for &x in values {
            self.levels[0].push(x);
            self.n += 1;
            size += 1;
            if size >= max_size {
                self.compress(&mut caps, &mut size);
                max_size = caps.iter().sum();
            }
        }
    }

    /// Compacts full levels, bottom up, until the sketch fits its capacity again. Each pass compacts
    /// at least one level (some level is at capacity while the total is), so this terminates.
    fn compress(&mut self, caps: &mut Vec<usize>, size: &mut usize) {
        let mut step = 0u64;
        while *size >= caps.iter().sum::<usize>() {
            for h in 0..self.levels.len() {
                if self.levels[h].len() < caps[h] {
                    continue;
                }
                if h + 1 == self.levels.len() {
                    self.levels.push(Vec::new());
                    *caps = self.capacities();
                }
                let offset = (mix(self.n ^ (step << 40) ^ h as u64) & 1) as usize;
                step += 1;
                let (below, above) = self.levels.split_at_mut(h + 1);
                let (level, next) = (&mut below[h], &mut above[0]);
                level.sort_unstable_by(f64::total_cmp);
                // An odd item (the smallest) stays behind so the total weight stays exact.
                let odd = level.len() % 2;
                let before = level.len();
                next.extend(level[odd..].iter().skip(offset).step_by(2));
                level.truncate(odd);
                *size = *size - before + odd + (before - odd) / 2;
                if *size < caps.iter().sum::<usize>() {
                    return;
                }
            }
        }
    }

    /// Merges another sketch: levels are concatenated, then compacted. Both must share `k`.
    pub fn merge(&mut self, other: &KllSketch) -> bool {
        if self.k != other.k {
            return false;
        }
        while self.levels.len() < other.levels.len() {
            self.levels.push(Vec::new());
        }
        for (mine, theirs) in self.levels.iter_mut().zip(&other.levels) {
            mine.extend_from_slice(theirs);
        }
        self.n += other.n;
        let (mut caps, mut size) = (self.capacities(), self.size());
        self.compress(&mut caps, &mut size);
        true
    }

    /// Items with weights, sorted by value.
    fn weighted(&self) -> Vec<(f64, u64)> {
        let mut items: Vec<(f64, u64)> =
            self.levels.iter().enumerate().flat_map(|(h, l)| l.iter().map(move |&x| (x, 1u64 << h))).collect();
        items.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        items
    }

    /// The smallest retained item whose cumulative weight reaches q·n; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.quantiles(&[q]).pop().flatten()
    }

    /// Approximate quantiles at probabilities `qs`; `None` each when the sketch is empty.
    pub fn quantiles(&self, qs: &[f64]) -> Vec<Option<f64>> {
        let items = self.weighted();
        qs.iter()
            .map(|&q| {
                let target = (q.clamp(0.0, 1.0) * self.n as f64).max(1.0);
                let mut cumulative = 0u64;
                items.iter().find_map(|&(x, w)| {
                    cumulative += w;
                    (cumulative as f64 >= target).then_some(x)
                })
            })
            .collect()
    }

    /// p1 … p99, when the sketch holds any value.
    pub fn summary(&self) -> Option<Quantiles> {
        let values = self.quantiles(&Quantiles::PROBABILITIES);
        Quantiles::from_fn(|q| {
            let i = Quantiles::PROBABILITIES.iter().position(|&p| p == q)?;
            values[i]
        })
    }

    /// Checks a parsed sketch: finite items, a sane number of levels, weights adding up to `n`.
    pub fn validate(&self) -> Result<(), String> {
        if self.k < 8 {
            return Err(format!("sketch k = {} is below 8", self.k));
        }
        if self.levels.is_empty() || self.levels.len() > MAX_LEVELS {
            return Err(format!("sketch has {} levels", self.levels.len()));
        }
        if self.levels.iter().flatten().any(|x| !x.is_finite()) {
            return Err("sketch holds a non-finite item".into());
        }
        let weight = self
            .levels
            .iter()
            .enumerate()
            .try_fold(0u64, |acc, (h, l)| (l.len() as u64).checked_mul(1u64 << h).and_then(|w| acc.checked_add(w)));
        if weight != Some(self.n) {
            return Err(format!("sketch weights add up to {weight:?}, not n = {}", self.n));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_inputs_are_exact_and_weight_is_kept() {
        let mut s = KllSketch::new(DEFAULT_SKETCH_K);
        assert_eq!(s.summary(), None);
        s.update(&(1..=100).map(f64::from).collect::<Vec<_>>());
        assert_eq!(s.quantile(0.5), Some(50.0));
        assert_eq!(s.quantile(0.0), Some(1.0));
        assert_eq!(s.quantile(1.0), Some(100.0));
        s.update(&(0..100_000).map(|i| f64::from(i % 977)).collect::<Vec<_>>());
        assert!(s.validate().is_ok(), "{:?}", s.validate());
        assert!(s.size() <= 3 * usize::from(s.k), "{} items", s.size());
    }

    #[test]
    fn the_documented_bound_for_the_default_k() {
        let e = KllSketch::rank_error_for(DEFAULT_SKETCH_K);
        assert!((0.0132..0.0134).contains(&e), "{e}");
    }
}
