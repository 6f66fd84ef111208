//! Profiles: merging shard profiles equals profiling the concatenation; profiles round-trip through
//! TOML; profile mode approximates exact mode; Parquet and CSV of the same data agree.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;
use proptest::prelude::*;

use super::fixture;
use crate::{
    DriftConfig, Input, MetricName, Mode, Profile, ProfileOptions, ReadOptions, compare, load_exact, profile_file,
};

/// A Parquet file with a float column `x` (every 10th row null), a string column `c` and a boolean.
pub fn write_parquet(dir: &Path, name: &str, rows: usize) -> PathBuf {
    let x: Float64Array = (0..rows).map(|i| (i % 10 != 0).then_some(i as f64 * 0.5)).collect();
    let c: StringArray = (0..rows).map(|i| Some(["red", "green", "blue"][i % 3])).collect();
    let flag: BooleanArray = (0..rows).map(|i| Some(i % 4 == 0)).collect();
    let batch = RecordBatch::try_from_iter([
        ("x", Arc::new(x) as ArrayRef),
        ("c", Arc::new(c) as ArrayRef),
        ("flag", Arc::new(flag) as ArrayRef),
    ])
    .expect("record batch");
    let path = dir.join(name);
    let file = std::fs::File::create(&path).expect("create parquet");
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    writer.write(&batch).expect("write batch");
    writer.close().expect("close parquet");
    path
}

fn write_csv(dir: &Path, name: &str, rows: &[(f64, u8)]) -> PathBuf {
    let mut text = String::from("x,c\n");
    for (x, c) in rows {
        writeln!(text, "{x:?},k{c}").expect("write to string");
    }
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write csv");
    path
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn merging_shards_equals_profiling_the_concatenation(
        rows in prop::collection::vec((-1e6f64..1e6, 0u8..6), 3..120),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 1..4),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let whole = write_csv(dir.path(), "whole.csv", &rows);
        let options = ProfileOptions::default();
        let reference = profile_file(&whole, &options, None).expect("profile whole");
        let mut bounds: Vec<usize> = cuts.iter().map(|i| 1 + i.index(rows.len() - 1)).collect();
        bounds.extend([0, rows.len()]);
        bounds.sort_unstable();
        bounds.dedup();
        let shards: Vec<Profile> = bounds
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let path = write_csv(dir.path(), &format!("shard{i}.csv"), &rows[w[0]..w[1]]);
                profile_file(&path, &options, Some(&reference)).expect("profile shard")
            })
            .collect();
        let merged = Profile::merge(&shards).expect("merge");
        prop_assert_eq!(merged.rows, reference.rows);
        for (m, r) in merged.columns.iter().zip(&reference.columns) {
            prop_assert_eq!(&m.counts, &r.counts);
            prop_assert_eq!(&m.categories, &r.categories);
            if let (Some(mn), Some(rn)) = (&m.numeric, &r.numeric) {
                prop_assert_eq!(&mn.histogram, &rn.histogram);
                prop_assert_eq!((mn.n, mn.min, mn.max), (rn.n, rn.min, rn.max));
                // Below the sketch's capacity (k = 200) a merge keeps every value: identical quantiles.
                prop_assert_eq!(mn.quantiles, rn.quantiles);
                prop_assert_eq!(mn.sketch.as_ref().map(|s| s.n), Some(mn.n));
                let (a, b) = (mn.mean.unwrap_or(0.0), rn.mean.unwrap_or(0.0));
                prop_assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "mean {} vs {}", a, b);
                prop_assert!((mn.m2 - rn.m2).abs() <= 1e-9 * (1.0 + rn.m2.abs()), "m2 {} vs {}", mn.m2, rn.m2);
            }
        }
    }
}

#[test]
fn profiles_round_trip_through_toml() {
    let profile = profile_file(&fixture("baseline.csv"), &ProfileOptions::default(), None).expect("profile");
    let text = profile.to_toml().expect("toml");
    let back = Profile::from_toml(&text, Path::new("p.toml")).expect("parse");
    assert_eq!(back, profile);
    let bad = text.replace("modelreg/profile/v1", "modelreg/profile/v9");
    assert!(Profile::from_toml(&bad, Path::new("p.toml")).is_err());
}

#[test]
fn merging_profiles_with_different_edges_is_refused() {
    let a = profile_file(&fixture("equal_a.csv"), &ProfileOptions::default(), None).expect("a");
    let b = profile_file(&fixture("equal_b.csv"), &ProfileOptions::default(), None).expect("b");
    let err = Profile::merge(&[a, b]).expect_err("different edges");
    assert!(err.to_string().contains("edges"), "{err}");
}

#[test]
fn profile_mode_approximates_exact_mode() {
    let (b, t) = (fixture("baseline.csv"), fixture("target.csv"));
    let config = DriftConfig::default();
    let exact =
        compare(&Input::Data(b.clone()), &Input::Data(t.clone()), &ReadOptions::default(), &config).expect("exact");
    let base_profile = profile_file(&b, &ProfileOptions::default(), None).expect("profile baseline");
    let via_profile =
        compare(&Input::Profile(base_profile.clone()), &Input::Data(t.clone()), &ReadOptions::default(), &config)
            .expect("profile");
    assert_eq!(via_profile.mode, Mode::Profile);
    let target_profile = profile_file(&t, &ProfileOptions::default(), Some(&base_profile)).expect("target profile");
    let both =
        compare(&Input::Profile(base_profile), &Input::Profile(target_profile), &ReadOptions::default(), &config)
            .expect("profile vs profile");
    assert_eq!(both.features, via_profile.features);
    for (e, p) in exact.features.iter().zip(&via_profile.features) {
        assert_eq!(e.name, p.name);
        assert_eq!(e.drifted, p.drifted, "{}", e.name);
        for metric in [MetricName::KsStatistic, MetricName::NormalisedWasserstein] {
            let value = |f: &crate::FeatureReport| f.metrics.iter().find(|m| m.metric == metric).and_then(|m| m.value);
            if let (Some(a), Some(b)) = (value(e), value(p)) {
                assert!(
                    (a - b).abs() <= 0.02 * a.abs().max(1.0),
                    "{} {}: exact {a} vs profile {b}",
                    e.name,
                    metric.as_str()
                );
            }
        }
    }
}

#[test]
fn parquet_and_csv_of_the_same_data_read_alike() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pq = write_parquet(dir.path(), "d.parquet", 300);
    let data = load_exact(&pq, &ReadOptions::default()).expect("parquet");
    let kinds: Vec<_> = data.columns.iter().map(|c| (c.name.as_str(), c.kind.as_str())).collect();
    assert_eq!(kinds, [("x", "numerical"), ("c", "categorical"), ("flag", "boolean")]);
    assert_eq!(data.columns[0].counts.nulls, 30);
    let mut csv = String::from("x,c,flag\n");
    for i in 0..300 {
        let x = if i % 10 == 0 { String::new() } else { format!("{:?}", i as f64 * 0.5) };
        writeln!(csv, "{x},{},{}", ["red", "green", "blue"][i % 3], i % 4 == 0).expect("string");
    }
    let csv_path = dir.path().join("d.csv");
    std::fs::write(&csv_path, csv).expect("write");
    let from_csv = load_exact(&csv_path, &ReadOptions::default()).expect("csv");
    assert_eq!(from_csv.columns, data.columns);
}

#[test]
fn profiles_carry_sketch_quantiles_and_reports_show_them() {
    let (b, t) = (fixture("baseline.csv"), fixture("target.csv"));
    let options = ProfileOptions::default();
    let profile = profile_file(&b, &options, None).expect("profile");
    // Deterministic: the same data gives the same bytes.
    let text = profile.to_toml().expect("toml");
    assert_eq!(profile_file(&b, &options, None).expect("again").to_toml().expect("toml"), text);
    let exact = load_exact(&b, &ReadOptions::default()).expect("exact");
    for column in profile.columns.iter().filter(|c| c.numeric.is_some()) {
        let n = column.numeric.as_ref().expect("numeric");
        let sketch = n.sketch.as_ref().expect("a sketch per numeric column");
        assert_eq!(sketch.n, n.n);
        let q = n.quantiles.expect("quantiles");
        let sorted = exact.column(&column.name).and_then(|c| c.sorted().ok().flatten()).expect("values");
        // Fewer values than the sketch holds: its quantiles are exact order statistics.
        let rank = |x: f64| sorted.partition_point(|&v| v <= x) as f64 / sorted.len() as f64;
        assert!(rank(q.p50) >= 0.5 && rank(q.p99) >= 0.99, "{}: {q:?}", column.name);
    }
    let report = compare(
        &Input::Profile(profile.clone()),
        &Input::Data(t.clone()),
        &ReadOptions::default(),
        &DriftConfig::default(),
    )
    .expect("profile mode");
    assert!(report.settings.quantiles.contains("KLL") && report.settings.quantiles.contains("1.33%"));
    let x = report.features.iter().find(|f| f.name == "x_shift").expect("x_shift");
    assert_eq!(x.baseline_quantiles, profile.column("x_shift").and_then(|c| c.numeric.as_ref()?.quantiles));
    assert!(x.target_quantiles.is_some());
    let exact_report =
        compare(&Input::Data(b), &Input::Data(t), &ReadOptions::default(), &DriftConfig::default()).expect("exact");
    let x = exact_report.features.iter().find(|f| f.name == "x_shift").expect("x_shift");
    let sorted = exact.column("x_shift").and_then(|c| c.sorted().ok().flatten()).expect("values");
    let median = crate::stats::numeric::quantile_sorted(&sorted, 0.5);
    assert_eq!(x.baseline_quantiles.map(|q| q.p50), Some(median));
    assert_eq!(exact_report.settings.quantiles, "exact, numpy linear interpolation");
    // Old profiles (no sketch) still parse, and report no quantiles.
    let mut old = profile;
    for c in &mut old.columns {
        if let Some(n) = &mut c.numeric {
            (n.sketch, n.quantiles) = (None, None);
        }
    }
    let back = Profile::from_toml(&old.to_toml().expect("toml"), Path::new("old.toml")).expect("old profile");
    assert!(back.columns.iter().all(|c| c.numeric.as_ref().is_none_or(|n| n.quantiles.is_none())));
}
