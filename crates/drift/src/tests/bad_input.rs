//! Every kind of bad input gives a specific error naming the file, and the column and line where that
//! applies — never a panic. Bad values in the *target* are data findings instead.

use std::path::{Path, PathBuf};

use crate::{DriftConfig, DriftError, Input, ReadOptions, compare, load_exact};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

fn load(bytes: &[u8]) -> (tempfile::TempDir, Result<crate::ExactDataset, DriftError>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "data.csv", bytes);
    let result = load_exact(&path, &ReadOptions::default());
    (dir, result)
}

#[test]
fn empty_file() {
    let (_d, r) = load(b"");
    assert!(matches!(r, Err(DriftError::EmptyFile { .. })), "{r:?}");
}

#[test]
fn header_only() {
    let (_d, r) = load(b"a,b\n");
    let err = r.expect_err("no rows");
    assert!(matches!(err, DriftError::NoRows { .. }));
    assert!(err.to_string().contains("data.csv"), "{err}");
}

#[test]
fn all_null_column_names_the_column() {
    let (_d, r) = load(b"a,b\n1,\n2,NA\n");
    let err = r.expect_err("all null");
    assert!(matches!(&err, DriftError::AllNull { column, .. } if column == "b"), "{err}");
}

#[test]
fn ragged_row_names_the_line() {
    let (_d, r) = load(b"a,b\n1,2\n3\n4,5\n");
    match r {
        Err(DriftError::RaggedRow { line, expected, found, .. }) => assert_eq!((line, expected, found), (3, 2, 1)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn non_utf8_bytes_name_line_and_column() {
    let (_d, r) = load(b"a,b\n1,x\n2,\xff\xfe\n");
    match r {
        Err(DriftError::NotUtf8 { line, column, .. }) => {
            assert_eq!((line, column.as_str()), (3, "b"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn mixed_types_in_the_sample_name_the_cell() {
    let (_d, r) = load(b"a\n1\n2\nthree\n4\n");
    match r {
        Err(DriftError::MixedTypes { line, value, column, .. }) => {
            assert_eq!((line, value.as_str(), column.as_str()), (4, "three", "a"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn mixed_types_after_the_sample_are_an_error_in_the_baseline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "late.csv", b"a\n1\n2\nthree\n");
    let options = ReadOptions { infer_rows: 2, ..ReadOptions::default() };
    match load_exact(&path, &options) {
        Err(DriftError::TypeError { place, value, .. }) => {
            assert_eq!((place.as_str(), value.as_str()), ("line 4", "three"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nan_and_infinity_are_counted_not_compared() {
    let (_d, r) = load(b"a\n1\nNaN\ninf\n-inf\n2\n");
    let data = r.expect("NaN is a value");
    let column = &data.columns[0];
    assert_eq!(column.counts.non_finite, 3);
    assert_eq!(column.values, crate::ExactValues::Numbers(vec![1.0, 2.0]));
}

#[test]
fn constant_column_has_a_defined_normalised_wasserstein() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = write(dir.path(), "b.csv", b"a\n5\n5\n5\n5\n");
    let t = write(dir.path(), "t.csv", b"a\n5\n5\n5\n5.5\n");
    let report =
        compare(&Input::Data(b), &Input::Data(t), &ReadOptions::default(), &DriftConfig::default()).expect("compare");
    let m = &report.features[0].metrics[0];
    // W1 = 0.125, σ floored at 1e-3.
    assert_eq!(m.value, Some(125.0));
    assert!(report.features[0].drifted);
}

#[test]
fn bad_target_values_are_data_quality_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = write(dir.path(), "b.csv", b"a,c\n1,x\n2,y\n3,x\n");
    let t = write(dir.path(), "t.csv", b"a\n1\n2\noops\n");
    let report =
        compare(&Input::Data(b), &Input::Data(t), &ReadOptions::default(), &DriftConfig::default()).expect("compare");
    assert_eq!(report.summary.missing_in_target, vec!["c".to_string()]);
    let a = report.features.iter().find(|f| f.name == "a").expect("a");
    assert_eq!(a.quality.target_type_error_rate, Some(1.0 / 3.0));
}

#[test]
fn a_column_of_another_type_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = write(dir.path(), "b.csv", b"a\n1\n2\n");
    let t = write(dir.path(), "t.csv", b"a\nx\ny\n");
    let report =
        compare(&Input::Data(b), &Input::Data(t), &ReadOptions::default(), &DriftConfig::default()).expect("compare");
    assert_eq!(report.summary.type_mismatches, vec!["a".to_string()]);
    assert_eq!(report.summary.features_compared, 0);
    assert!(!report.summary.drift);
}

#[test]
fn truncated_parquet_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = super::profiles::write_parquet(dir.path(), "good.parquet", 1000);
    let bytes = std::fs::read(&good).expect("read parquet");
    let cut = write(dir.path(), "cut.parquet", &bytes[..bytes.len() / 2]);
    let err = load_exact(&cut, &ReadOptions::default()).expect_err("truncated");
    assert!(matches!(err, DriftError::Parquet { .. }), "{err}");
    assert!(err.to_string().contains("cut.parquet"), "{err}");
    let data = load_exact(&good, &ReadOptions::default()).expect("the whole file reads");
    assert_eq!(data.rows, 1000);
}

#[test]
fn parquet_without_rows_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = super::profiles::write_parquet(dir.path(), "empty.parquet", 0);
    assert!(matches!(load_exact(&empty, &ReadOptions::default()), Err(DriftError::NoRows { .. })));
    let zero = write(dir.path(), "zero.parquet", b"");
    assert!(matches!(load_exact(&zero, &ReadOptions::default()), Err(DriftError::EmptyFile { .. })));
}

#[test]
fn unknown_override_column_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "d.csv", b"a\n1\n");
    let options = ReadOptions { categorical: vec!["zz".into()], ..ReadOptions::default() };
    assert!(matches!(load_exact(&path, &options), Err(DriftError::UnknownColumn { .. })));
}

#[test]
fn an_override_for_a_column_the_target_lacks_reports_it_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = write(dir.path(), "b.csv", b"a,zip\n1,02134\n2,10001\n");
    let t = write(dir.path(), "t.csv", b"a\n1\n2\n");
    let read = ReadOptions { categorical: vec!["zip".into()], ..ReadOptions::default() };
    let report = compare(&Input::Data(b), &Input::Data(t), &read, &DriftConfig::default()).expect("compare");
    assert_eq!(report.summary.missing_in_target, vec!["zip".to_string()]);
    assert_eq!(report.features[1].kind.as_str(), "categorical");
}

#[test]
fn semicolon_delimiter_is_detected() {
    let (_d, r) = load(b"a;b\n1;x\n2;y\n");
    let data = r.expect("semicolons");
    assert_eq!(data.columns.len(), 2);
}
