//! Fixed-edge histograms: `bins` equal-width bins over [lo, hi] plus an underflow and an overflow bin.
//!
//! The edges are fixed before any value is counted (by the baseline's min and max), so two histograms
//! with the same edges merge by adding counts — exactly, in any order. They are the quantile summary of
//! a profile too: any quantile of values inside [lo, hi] is known to within one bin width,
//! `(hi − lo) / bins` (the documented error bound); KS from histograms is exact at bin edges and off by
//! at most the largest bin's mass in between.

use serde::{Deserialize, Serialize};

/// Default number of fine bins.
pub const DEFAULT_FINE_BINS: u32 = 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// A fixed-edge histogram: `bins` equal-width bins over `[lo, hi]` plus an underflow and an overflow bin, so histograms with the same edges merge exactly.
pub struct Histogram {
    /// The lower edge of the first fine bin.
    pub lo: f64,
    /// The upper edge of the last fine bin.
    pub hi: f64,
    /// Fine bins between `lo` and `hi`.
    pub bins: u32,
    /// `bins + 2` counts: underflow (< lo), the fine bins, overflow (> hi).
    pub counts: Vec<u64>,
}

impl Histogram {
    /// An empty histogram over [lo, hi]. When lo == hi (a constant baseline) every fine bin but the
    /// first is empty and the first holds the values equal to lo.
    pub fn new(lo: f64, hi: f64, bins: u32) -> Histogram {
        let bins = bins.max(1);
        Histogram { lo, hi, bins, counts: vec![0; bins as usize + 2] }
    }

    /// Whether `other` has the same edges (so the two can be merged or compared).
    pub fn same_edges(&self, other: &Histogram) -> bool {
        self.lo.to_bits() == other.lo.to_bits() && self.hi.to_bits() == other.hi.to_bits() && self.bins == other.bins
    }

    /// Slot of `x` in `counts` (0 = underflow, bins + 1 = overflow).
    pub fn slot(&self, x: f64) -> usize {
        if x < self.lo {
            return 0;
        }
        if x > self.hi {
            return self.bins as usize + 1;
        }
        let width = self.hi - self.lo;
        if width <= 0.0 {
            return 1;
        }
        let i = ((x - self.lo) / width * self.bins as f64).floor() as usize;
        1 + i.min(self.bins as usize - 1)
    }

    /// Counts one value.
    pub fn add(&mut self, x: f64) {
        let s = self.slot(x);
        self.counts[s] += 1;
    }

    /// Counts every value of a slice.
    pub fn add_all(&mut self, values: &[f64]) {
        for &x in values {
            self.add(x);
        }
    }

    /// Upper edge of fine bin `i` (0-based).
    pub fn upper_edge(&self, i: usize) -> f64 {
        if i + 1 >= self.bins as usize {
            return self.hi;
        }
        self.lo + (self.hi - self.lo) * ((i + 1) as f64 / self.bins as f64)
    }

    /// Adds `other`'s counts; the edges must be identical.
    pub fn merge(&mut self, other: &Histogram) -> bool {
        if !self.same_edges(other) || self.counts.len() != other.counts.len() {
            return false;
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        true
    }

    /// Values counted, overflow bins included.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Point masses standing for the histogram: each fine bin at its centre, underflow at `min` and
    /// overflow at `max` (the side's own extremes), in ascending position.
    pub fn point_masses(&self, min: f64, max: f64) -> Vec<(f64, u64)> {
        let mut out = Vec::with_capacity(self.counts.len());
        let width = (self.hi - self.lo) / self.bins as f64;
        for (slot, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let x = match slot {
                0 => min,
                s if s == self.bins as usize + 1 => max,
                s => self.lo + width * (s as f64 - 0.5),
            };
            out.push((x, c));
        }
        out
    }

    /// Groups the slots into at most `groups` bins of roughly equal baseline mass; returns the slot
    /// index at which each group after the first starts. Groups are unions of whole fine bins, so any
    /// histogram with the same edges can be regrouped exactly.
    pub fn equal_mass_groups(&self, groups: usize) -> Vec<usize> {
        let total = self.total();
        let mut starts = Vec::new();
        let mut cumulative = 0u64;
        let mut next = 1usize;
        for (slot, &c) in self.counts.iter().enumerate() {
            cumulative += c;
            while next < groups && cumulative as f64 >= total as f64 * next as f64 / groups as f64 {
                if starts.last() != Some(&(slot + 1)) && slot + 1 < self.counts.len() {
                    starts.push(slot + 1);
                }
                next += 1;
            }
        }
        starts
    }

    /// Counts summed over the groups that `starts` defines.
    pub fn regroup(&self, starts: &[usize]) -> Vec<u64> {
        let mut out = vec![0u64; starts.len() + 1];
        let mut g = 0;
        for (slot, &c) in self.counts.iter().enumerate() {
            while g < starts.len() && slot >= starts[g] {
                g += 1;
            }
            out[g] += c;
        }
        out
    }

    /// The value below which a share `q` of the in-range mass lies, interpolated within the bin.
    pub fn quantile(&self, q: f64, min: f64, max: f64) -> f64 {
        let total = self.total();
        if total == 0 {
            return f64::NAN;
        }
        let target = q * total as f64;
        let mut cumulative = 0.0;
        for (slot, &c) in self.counts.iter().enumerate() {
            let next = cumulative + c as f64;
            if next >= target && c > 0 {
                return match slot {
                    0 => min,
                    s if s == self.bins as usize + 1 => max,
                    s => {
                        let lower = if s == 1 { self.lo } else { self.upper_edge(s - 2) };
                        let upper = self.upper_edge(s - 1);
                        (lower + (upper - lower) * ((target - cumulative) / c as f64)).clamp(min, max)
                    }
                };
            }
            cumulative = next;
        }
        max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_in_the_right_slots() {
        let h = Histogram::new(0.0, 10.0, 10);
        assert_eq!(h.slot(-1.0), 0);
        assert_eq!(h.slot(0.0), 1);
        assert_eq!(h.slot(9.99), 10);
        assert_eq!(h.slot(10.0), 10);
        assert_eq!(h.slot(10.5), 11);
        let c = Histogram::new(3.0, 3.0, 10);
        assert_eq!((c.slot(3.0), c.slot(2.0), c.slot(4.0)), (1, 0, 11));
    }

    #[test]
    fn regrouping_preserves_mass() {
        let mut h = Histogram::new(0.0, 100.0, 100);
        h.add_all(&(0..1000).map(|i| (i % 100) as f64 + 0.5).collect::<Vec<_>>());
        let starts = h.equal_mass_groups(10);
        let groups = h.regroup(&starts);
        assert_eq!(groups.len(), 10);
        assert!(groups.iter().all(|&g| g == 100), "{groups:?}");
        assert!((h.quantile(0.5, 0.5, 99.5) - 50.0).abs() <= 1.0);
    }
}
