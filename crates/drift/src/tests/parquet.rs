//! Parquet: the column-parallel reader delivers the sequential reader's batches; statistics stand in
//! for the first profiling pass only where they give the same profile; a target's new columns are
//! reported without being read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::parallel::dump;
use crate::read::{self, ReadOptions};
use crate::{DriftConfig, FeatureStatus, Input, ProfileOptions, compare, profile_file};

/// Columns: `x` floats with nulls, NaN and infinities; `n` integers; `f` f32; `c` strings with
/// nulls; `b` booleans; `z` floats that include zero. Row groups of `group` rows.
fn write(dir: &Path, name: &str, rows: usize, group: usize, shift: f64, extra: bool) -> PathBuf {
    write_with(dir, name, rows, group, shift, extra, Compression::UNCOMPRESSED)
}

fn write_with(
    dir: &Path,
    name: &str,
    rows: usize,
    group: usize,
    shift: f64,
    extra: bool,
    compression: Compression,
) -> PathBuf {
    let x: Float64Array = (0..rows)
        .map(|i| match i % 53 {
            7 => None,
            11 => Some(f64::NAN),
            13 => Some(f64::INFINITY),
            _ => Some((i as f64 * 0.37).sin() * 10.0 + shift),
        })
        .collect();
    let n: Int64Array = (0..rows).map(|i| Some(i as i64 * 3 - 1000)).collect();
    let f: Float32Array = (0..rows).map(|i| (i % 9 != 0).then_some(i as f32 * 0.25 + 1.0)).collect();
    let c: StringArray = (0..rows).map(|i| (i % 17 != 0).then(|| ["a", "b, c", "d\ne"][i % 3])).collect();
    let b: BooleanArray = (0..rows).map(|i| Some(i % 5 == 0)).collect();
    let z: Float64Array = (0..rows).map(|i| Some((i % 4) as f64)).collect();
    let mut columns = vec![
        ("x", Arc::new(x) as ArrayRef),
        ("n", Arc::new(n) as ArrayRef),
        ("f", Arc::new(f) as ArrayRef),
        ("c", Arc::new(c) as ArrayRef),
        ("b", Arc::new(b) as ArrayRef),
        ("z", Arc::new(z) as ArrayRef),
    ];
    if extra {
        let e: Float64Array = (0..rows).map(|i| Some(i as f64)).collect();
        columns.insert(2, ("new_one", Arc::new(e) as ArrayRef));
        let s: StringArray = (0..rows).map(|i| Some(if i % 2 == 0 { "p" } else { "q" })).collect();
        columns.push(("new_two", Arc::new(s) as ArrayRef));
    }
    let batch = RecordBatch::try_from_iter(columns).expect("batch");
    let path = dir.join(name);
    let props = WriterProperties::builder().set_max_row_group_size(group).set_compression(compression).build();
    let mut writer = ArrowWriter::try_new(std::fs::File::create(&path).expect("create"), batch.schema(), Some(props))
        .expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
    path
}

#[test]
fn parallel_and_sequential_readers_deliver_the_same_batches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "d.parquet", 5_000, 700, 0.0, false);
    for aligned in [false, true] {
        for batch_rows in [1, 333, 1_000, 65_536] {
            let base = ReadOptions { aligned, batch_rows, strict: !aligned, ..ReadOptions::default() };
            let reference = dump(&path, &ReadOptions { threads: 1, ..base.clone() });
            assert!(!reference.contains("error"), "{}", &reference[..200.min(reference.len())]);
            for threads in [2, 3] {
                let got = dump(&path, &ReadOptions { threads, ..base.clone() });
                assert!(got == reference, "aligned {aligned}, batch_rows {batch_rows}, {threads} threads");
            }
        }
    }
}

#[test]
fn a_damaged_file_fails_alike_in_both_readers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = write_with(dir.path(), "good.parquet", 20_000, 1_000, 0.0, false, Compression::SNAPPY);
    let mut bytes = std::fs::read(&good).expect("read");
    // Damage the middle of the (snappy-compressed) data pages, leaving the footer intact.
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 2_000] {
        *b ^= 0x5a;
    }
    let bad = dir.path().join("bad.parquet");
    std::fs::write(&bad, &bytes).expect("write");
    let base = ReadOptions { batch_rows: 1_000, ..ReadOptions::default() };
    let reference = dump(&bad, &ReadOptions { threads: 1, ..base.clone() });
    let got = dump(&bad, &ReadOptions { threads: 2, ..base });
    let last = |s: &str| s.lines().last().unwrap_or("").to_string();
    assert!(last(&reference).starts_with("error: "), "{}", last(&reference));
    assert!(got == reference, "{} vs {}", last(&got), last(&reference));
}

#[test]
fn statistics_replace_the_first_pass_with_the_same_profile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "d.parquet", 8_000, 1_500, 0.0, false);
    let reader = read::open(&path, &ReadOptions { threads: 1, ..ReadOptions::default() }).expect("open");
    let names: Vec<&str> = reader.schema().iter().map(|c| c.name.as_str()).collect();
    let ranges: Vec<Option<(f64, f64)>> = (0..names.len()).map(|c| reader.finite_range(c)).collect();
    let range = |name: &str| ranges[names.iter().position(|n| *n == name).expect("column")];
    assert!(range("x").is_none(), "x holds +inf, so its statistics do not give the finite max");
    assert_eq!(range("n"), Some((-1000.0, 7_999.0 * 3.0 - 1000.0)));
    assert_eq!(range("f"), Some((1.25, 7_999.0 * 0.25 + 1.0)));
    assert!(range("z").is_none(), "a zero min or max is never trusted (its sign may differ)");
    assert!(range("c").is_none() && range("b").is_none());
    for threads in [1, 2] {
        let read = ReadOptions { threads, batch_rows: 1_000, ..ReadOptions::default() };
        let options = ProfileOptions { read, ..ProfileOptions::default() };
        let with = super::super::profile::profile_once(&path, &options, None, true).expect("profile").expect("agrees");
        let without = super::super::profile::profile_once(&path, &options, None, false).expect("profile");
        assert_eq!(with.to_toml().expect("toml"), without.expect("profile").to_toml().expect("toml"));
        assert_eq!(profile_file(&path, &options, None).expect("profile"), with);
    }
}

#[test]
fn a_targets_new_columns_are_reported_without_being_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let baseline = write(dir.path(), "b.parquet", 6_000, 1_000, 0.0, false);
    let target = write(dir.path(), "t.parquet", 4_000, 900, 0.5, true);
    let plain_target = write(dir.path(), "t0.parquet", 4_000, 900, 0.5, false);
    let config = DriftConfig::default();
    for threads in [1, 2] {
        let read = ReadOptions { threads, ..ReadOptions::default() };
        let options = ProfileOptions { read: read.clone(), ..ProfileOptions::default() };
        let profile = profile_file(&baseline, &options, None).expect("profile");
        for b in [Input::Data(baseline.clone()), Input::Profile(profile)] {
            let with_new = compare(&b, &Input::Data(target.clone()), &read, &config).expect("compare");
            let without = compare(&b, &Input::Data(plain_target.clone()), &read, &config).expect("compare");
            let names: Vec<(&str, &FeatureStatus)> =
                with_new.features.iter().map(|f| (f.name.as_str(), &f.status)).collect();
            let new: Vec<&str> =
                names.iter().filter(|(_, s)| **s == FeatureStatus::NewInTarget).map(|(n, _)| *n).collect();
            assert_eq!(new, ["new_one", "new_two"]);
            let compared = |r: &crate::DriftReport| {
                let features: Vec<_> = r.features.iter().filter(|f| f.status != FeatureStatus::NewInTarget).collect();
                serde_json::to_string(&features).expect("json")
            };
            assert_eq!(compared(&with_new), compared(&without));
            assert_eq!(with_new.summary.features_compared, without.summary.features_compared);
            assert_eq!(with_new.target.rows, without.target.rows);
        }
    }
}

#[test]
fn parallel_parquet_reports_are_byte_identical() {
    let dir = tempfile::tempdir().expect("tempdir");
    let baseline = write(dir.path(), "b.parquet", 9_000, 1_100, 0.0, false);
    let target = write(dir.path(), "t.parquet", 7_000, 800, 0.4, true);
    let config = DriftConfig::default();
    let run = |threads: usize| {
        let read = ReadOptions { threads, batch_rows: 1_000, ..ReadOptions::default() };
        let options = ProfileOptions { read: read.clone(), ..ProfileOptions::default() };
        let profile = profile_file(&baseline, &options, None).expect("profile");
        let exact = compare(&Input::Data(baseline.clone()), &Input::Data(target.clone()), &read, &config).expect("e");
        let by_profile = compare(&Input::Profile(profile.clone()), &Input::Data(target.clone()), &read, &config)
            .expect("profile mode");
        let json = |r: &crate::DriftReport| serde_json::to_string(r).expect("json");
        (profile.to_toml().expect("toml"), json(&exact), json(&by_profile))
    };
    let reference = run(1);
    for threads in [2, 4] {
        assert!(run(threads) == reference, "{threads} threads");
    }
}
