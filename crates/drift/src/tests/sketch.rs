//! The KLL sketch against exact quantiles: its rank error stays within the documented bound on 1M
//! values of light- and heavy-tailed distributions, after merging shard sketches, and merges of
//! arbitrary input never panic, keep every value's weight, and give the same bytes when repeated.

use proptest::prelude::*;

use crate::{DEFAULT_SKETCH_K, KllSketch, Quantiles};

/// xorshift64*: deterministic test data without a dependency.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

const N: usize = 1_000_000;

fn distributions() -> Vec<(&'static str, Vec<f64>)> {
    let mut rng = Rng(0x5EED_0001);
    let mut draw = |f: &mut dyn FnMut(&mut Rng) -> f64| (0..N).map(|_| f(&mut rng)).collect::<Vec<f64>>();
    vec![
        ("normal", draw(&mut |r| r.normal())),
        ("lognormal sigma 3", draw(&mut |r| (3.0 * r.normal()).exp())),
        ("cauchy", draw(&mut |r| (std::f64::consts::PI * (r.uniform() - 0.5)).tan())),
        ("pareto alpha 0.5", draw(&mut |r| r.uniform().powf(-2.0))),
        ("20 tied values", draw(&mut |r| (r.uniform() * 20.0).floor())),
        ("sorted ramp", (0..N).map(|i| i as f64).collect()),
    ]
}

/// Distance from `q` to the rank interval [#(< x), #(≤ x)] / n of the estimate `x`.
fn rank_error(sorted: &[f64], q: f64, x: f64) -> f64 {
    let n = sorted.len() as f64;
    let below = sorted.partition_point(|&v| v < x) as f64 / n;
    let at_or_below = sorted.partition_point(|&v| v <= x) as f64 / n;
    (below - q).max(q - at_or_below).max(0.0)
}

const PROBES: [f64; 11] = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];

fn worst_error(sketch: &KllSketch, sorted: &[f64]) -> f64 {
    let estimates = sketch.quantiles(&PROBES);
    PROBES
        .iter()
        .zip(estimates)
        .map(|(&q, x)| rank_error(sorted, q, x.expect("a non-empty sketch answers")))
        .fold(0.0, f64::max)
}

#[test]
fn rank_error_stays_within_the_documented_bound_on_a_million_values() {
    let bound = KllSketch::rank_error_for(DEFAULT_SKETCH_K);
    for (name, values) in distributions() {
        let mut sketch = KllSketch::new(DEFAULT_SKETCH_K);
        // Batches like the readers' (65,536 rows) so the test follows profile_file's path.
        for chunk in values.chunks(65_536) {
            sketch.update(chunk);
        }
        sketch.validate().expect("weights add up");
        let items = sketch.levels.iter().map(Vec::len).sum::<usize>();
        let mut sorted = values;
        sorted.sort_unstable_by(f64::total_cmp);
        let worst = worst_error(&sketch, &sorted);
        eprintln!("{name}: {items} items in {} levels, worst rank error {worst}", sketch.levels.len());
        assert!(items <= 3 * usize::from(DEFAULT_SKETCH_K) + 8 * sketch.levels.len(), "{name}: {items} items");
        assert!(worst <= bound, "{name}: rank error {worst} above the bound {bound}");
        let summary = sketch.summary().expect("quantiles");
        assert!(summary.p1 <= summary.p50 && summary.p50 <= summary.p99, "{name}: {summary:?}");
    }
}

#[test]
fn merging_shard_sketches_stays_within_the_bound_and_is_reproducible() {
    let bound = KllSketch::rank_error_for(DEFAULT_SKETCH_K);
    for (name, values) in distributions().into_iter().take(4) {
        // Uneven shards, as jobs over production partitions would produce.
        let cuts = [0, 1, 70_001, 250_000, 600_000, 600_500, N];
        let shards: Vec<KllSketch> = cuts
            .windows(2)
            .map(|w| {
                let mut s = KllSketch::new(DEFAULT_SKETCH_K);
                s.update(&values[w[0]..w[1]]);
                s
            })
            .collect();
        let merge_all = || {
            let mut merged = shards[0].clone();
            for s in &shards[1..] {
                assert!(merged.merge(s));
            }
            merged
        };
        let merged = merge_all();
        assert_eq!(merged, merge_all(), "{name}: merging is deterministic");
        merged.validate().expect("weights add up");
        assert_eq!(merged.n, N as u64);
        let mut sorted = values;
        sorted.sort_unstable_by(f64::total_cmp);
        let worst = worst_error(&merged, &sorted);
        assert!(worst <= bound, "{name}: merged rank error {worst} above the bound {bound}");
    }
}

#[test]
fn sketches_with_different_k_do_not_merge() {
    let (mut a, b) = (KllSketch::new(200), KllSketch::new(100));
    assert!(!a.merge(&b));
}

#[test]
fn a_corrupt_sketch_is_refused() {
    let mut s = KllSketch::new(DEFAULT_SKETCH_K);
    s.update(&[1.0, 2.0, 3.0]);
    s.n = 4;
    assert!(s.validate().unwrap_err().contains("not n = 4"));
    s.n = 3;
    s.levels[0][1] = f64::NAN;
    assert!(s.validate().is_err());
}

fn sketch_of(values: &[f64]) -> KllSketch {
    let mut s = KllSketch::new(16);
    s.update(values);
    s
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![any::<f64>().prop_filter("finite", |x| x.is_finite()), -1e3f64..1e3, Just(0.0), Just(-0.0)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    /// k = 16 so that a few hundred values already compact several levels.
    #[test]
    fn merges_in_any_grouping_keep_weight_and_order(
        a in prop::collection::vec(finite(), 0..400),
        b in prop::collection::vec(finite(), 0..400),
        c in prop::collection::vec(finite(), 0..400),
    ) {
        let (sa, sb, sc) = (sketch_of(&a), sketch_of(&b), sketch_of(&c));
        let mut left = sa.clone();
        prop_assert!(left.merge(&sb));
        prop_assert!(left.merge(&sc));
        let mut bc = sb.clone();
        prop_assert!(bc.merge(&sc));
        let mut right = sa.clone();
        prop_assert!(right.merge(&bc));
        for merged in [&left, &right] {
            prop_assert_eq!(merged.n, (a.len() + b.len() + c.len()) as u64);
            prop_assert!(merged.validate().is_ok(), "{:?}", merged.validate());
            let all: Vec<f64> = a.iter().chain(&b).chain(&c).copied().collect();
            let (lo, hi) = all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| (l.min(x), h.max(x)));
            let q = merged.quantiles(&Quantiles::PROBABILITIES);
            // Every answer is one of the input values, in range, and the quantiles never decrease.
            for w in q.windows(2) {
                prop_assert!(w[0].zip(w[1]).is_none_or(|(x, y)| x <= y));
            }
            for x in q.into_iter().flatten() {
                prop_assert!(lo <= x && x <= hi && all.contains(&x));
            }
            prop_assert_eq!(merged.summary().is_some(), !all.is_empty());
        }
    }
}
