//! The parallel CSV reader against the sequential one (`threads: 1`, the reference): the same batches,
//! the same errors, and byte-identical profiles and reports, on files made to put block boundaries
//! inside quoted fields, on `\r\n`, on blank lines and on bad rows. Tiny `block_bytes` make every
//! file cross many blocks and windows.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use crate::read::{self, ReadOptions};
use crate::{DriftConfig, Input, ProfileOptions, compare, profile_file};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

/// Every batch the reader delivers (values by bits, so NaN compares too), then the error if any.
pub(super) fn dump(path: &Path, options: &ReadOptions) -> String {
    let mut out = String::new();
    let mut reader = match read::open(path, options) {
        Ok(r) => r,
        Err(e) => return format!("open error: {e}"),
    };
    let _ = writeln!(out, "schema {:?}", reader.schema());
    loop {
        match reader.next_batch() {
            Ok(Some(batch)) => {
                let _ = writeln!(out, "batch {} rows", batch.rows);
                for chunk in &batch.columns {
                    match chunk {
                        read::ColumnChunk::Numbers { values, nulls, non_finite, type_errors } => {
                            let bits: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
                            let _ = writeln!(out, "  numbers {nulls} {non_finite} {type_errors} {bits:?}");
                        }
                        read::ColumnChunk::Labels { values, nulls, type_errors } => {
                            let _ = writeln!(out, "  labels {nulls} {type_errors} {values:?}");
                        }
                    }
                }
            }
            Ok(None) => return out,
            Err(e) => {
                let _ = writeln!(out, "error: {e}");
                return out;
            }
        }
    }
}

/// Reads `bytes` sequentially and with several thread counts and block sizes; all must agree.
fn assert_same_reads(bytes: &[u8], base: &ReadOptions) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "data.csv", bytes);
    let reference = dump(&path, &ReadOptions { threads: 1, ..base.clone() });
    for threads in [2, 3] {
        for block_bytes in [1, 7, 64, 300, 1 << 20] {
            let options = ReadOptions { threads, block_bytes, ..base.clone() };
            let parallel = dump(&path, &options);
            assert_eq!(
                parallel,
                reference,
                "threads {threads}, block_bytes {block_bytes}, input {:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
    reference
}

fn small_batches() -> ReadOptions {
    ReadOptions { batch_rows: 3, infer_rows: 2, ..ReadOptions::default() }
}

#[test]
fn quoted_fields_with_embedded_newlines_and_quotes() {
    let mut csv = String::from("id,text,x\n");
    for i in 0..200 {
        let text = match i % 4 {
            0 => format!("\"line one\nline two {i}\""),
            1 => format!("\"say \"\"hi\"\"\n,\n{i}\""),
            2 => format!("plain{i}"),
            _ => String::from("\"\""),
        };
        let _ = writeln!(csv, "{i},{text},{}.5", i % 17);
    }
    let reference = assert_same_reads(csv.as_bytes(), &small_batches());
    assert!(reference.contains("line one\\nline two 4"), "{reference}");
    assert!(!reference.contains("error"), "{reference}");
}

#[test]
fn crlf_blank_lines_bom_and_no_final_newline() {
    let mut csv = String::from("\u{feff}a,b\r\n");
    for i in 0..120 {
        let _ = write!(csv, "{i},v{}\r\n", i % 3);
        if i % 7 == 0 {
            csv.push_str("\r\n\n");
        }
    }
    csv.push_str("999,last");
    let reference = assert_same_reads(csv.as_bytes(), &small_batches());
    assert!(reference.contains("\"last\""), "{reference}");
    // Lone \r terminators too.
    assert_same_reads(b"a,b\r1,x\r2,y\r\r3,z\r", &small_batches());
}

#[test]
fn nulls_non_finite_and_type_errors_in_the_target() {
    let mut csv = String::from("x,flag,when\n");
    for i in 0..300 {
        let x = ["1.5", "", "NA", "nan", "inf", "oops", "-2e3", " 7 "][i % 8];
        let flag = ["true", "False", "", "maybe"][i % 4];
        let when = ["2024-01-02", "", "2024-13-01", "2024-01-02T03:04:05Z"][i % 4];
        let _ = writeln!(csv, "{x},{flag},{when}");
    }
    for aligned in [false, true] {
        let options = ReadOptions { strict: false, aligned, infer_rows: 4, batch_rows: 7, ..ReadOptions::default() };
        let reference = assert_same_reads(csv.as_bytes(), &options);
        assert!(!reference.contains("error"), "{reference}");
    }
}

#[test]
fn errors_name_the_same_line_and_column() {
    let good = |n: usize| (0..n).map(|i| format!("{i},{}.25,c{i}\n", i % 5)).collect::<String>();
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("ragged", format!("a,b,c\n{}1,2\n{}", good(150), good(10)).into_bytes(), "line 152: expected 3 fields"),
        ("type", format!("a,b,c\n{}1,x,c\n{}", good(150), good(10)).into_bytes(), "\"x\" is not a valid numerical"),
        ("quoted newline then ragged", format!("a,b,c\n{}1,2,\"c\nc\"\n1,2\n", good(90)).into_bytes(), "line 94"),
        ("utf8", [format!("a,b,c\n{}1,2,", good(150)).into_bytes(), b"\xff\n".to_vec()].concat(), "not valid UTF-8"),
    ];
    for (what, bytes, expected) in cases {
        let reference = assert_same_reads(&bytes, &small_batches());
        assert!(reference.contains(expected), "{what}: {reference}");
    }
}

#[test]
fn a_record_longer_than_a_window() {
    let long = "y".repeat(5000);
    let csv = format!("a,b\n1,\"{long}\n{long}\"\n2,z\n3,\"{long}\"\n");
    let reference = assert_same_reads(csv.as_bytes(), &ReadOptions { infer_rows: 1, ..ReadOptions::default() });
    assert!(reference.contains("batch 3 rows"), "{reference}");
}

/// A mixed file for the end-to-end comparisons: numbers with nulls, non-finite values and quoted
/// categories that hold commas and newlines.
pub(super) fn mixed_file(rows: usize, seed: u64, shift: f64) -> String {
    let mut state = seed;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut csv = String::from("x,y,cat,label\n");
    for i in 0..rows {
        let x = match i % 97 {
            13 => String::new(),
            29 => String::from("inf"),
            _ => format!("{:.6}", next() * 10.0 + shift),
        };
        let cat = match (next() * 5.0) as u32 {
            0 => String::from("\"a, with comma\""),
            1 => String::from("\"multi\nline\""),
            k => format!("k{k}"),
        };
        let _ = writeln!(csv, "{x},{:.3},{cat},{}", next() * next() * 100.0, i % 2);
    }
    csv
}

#[test]
fn profiles_and_reports_are_byte_identical() {
    let dir = tempfile::tempdir().expect("tempdir");
    let baseline = write(dir.path(), "baseline.csv", mixed_file(20_000, 7, 0.0).as_bytes());
    let target = write(dir.path(), "target.csv", mixed_file(15_000, 11, 0.4).as_bytes());
    let with = |threads: usize| ReadOptions { threads, block_bytes: 4096, batch_rows: 1000, ..ReadOptions::default() };
    let run = |read: ReadOptions| {
        let options = ProfileOptions { read: read.clone(), ..ProfileOptions::default() };
        let profile = profile_file(&baseline, &options, None).expect("profile baseline");
        let config = DriftConfig::default();
        let exact =
            compare(&Input::Data(baseline.clone()), &Input::Data(target.clone()), &read, &config).expect("exact mode");
        let by_profile = compare(&Input::Profile(profile.clone()), &Input::Data(target.clone()), &read, &config)
            .expect("profile mode");
        let json = |r: &crate::DriftReport| serde_json::to_string(r).expect("serialise report");
        (profile.to_toml().expect("profile toml"), json(&exact), json(&by_profile))
    };
    let reference = run(with(1));
    assert!(reference.0.contains("multi\\nline"), "the quoted newline is a category");
    for threads in [2, 4] {
        let parallel = run(with(threads));
        assert!(parallel.0 == reference.0, "profile differs with {threads} threads");
        assert!(parallel.1 == reference.1, "exact report differs with {threads} threads");
        assert!(parallel.2 == reference.2, "profile-mode report differs with {threads} threads");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random files built from the pieces that make CSV hard agree cell for cell.
    #[test]
    fn random_files_read_the_same(
        pieces in proptest::collection::vec(0usize..12, 1..400),
        strict in any::<bool>(),
    ) {
        const PIECES: [&str; 12] =
            ["1", "2.5", ",", "\n", "\r\n", "\"", "\"\"", "x", "", "NA", "\"a\nb\"", " 3 "];
        let mut csv = String::from("p,q\n1,2\n");
        for p in pieces {
            csv.push_str(PIECES[p]);
        }
        let options = ReadOptions { strict, infer_rows: 1, batch_rows: 5, ..ReadOptions::default() };
        assert_same_reads(csv.as_bytes(), &options);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The plain-decimal fast path gives `str::parse`'s bits whenever it answers.
    #[test]
    fn plain_decimals_parse_to_the_same_bits(
        text in "-?[0-9]{0,20}(\\.[0-9]{0,24})?",
        x in proptest::num::f64::NORMAL,
        decimals in 0usize..18,
    ) {
        for text in [text, format!("{x:.decimals$}"), format!("{x}")] {
            if let Some(fast) = crate::read::plain_decimal_for_tests(text.as_bytes()) {
                let std = text.parse::<f64>().expect("a plain decimal parses");
                prop_assert_eq!(fast.to_bits(), std.to_bits(), "{}", text);
            }
        }
    }
}

#[test]
fn plain_decimal_edges() {
    let fast = |s: &str| crate::read::plain_decimal_for_tests(s.as_bytes()).map(f64::to_bits);
    let std = |s: &str| s.parse::<f64>().ok().map(f64::to_bits);
    for s in
        ["0", "-0", "5.", ".5", "-.5", "007", "9007199254740991", "0.1", "123456.789012", "1.0000000000000000000001"]
    {
        if let Some(bits) = fast(s) {
            assert_eq!(Some(bits), std(s), "{s}");
        }
    }
    for s in ["", "-", ".", "-.", "+1", "1e5", " 1", "1 ", "nan", "inf", "1.2.3", "9007199254740993", "--1"] {
        assert_eq!(fast(s), None, "{s:?} goes the general way");
    }
    assert_eq!(fast("-0"), std("-0"), "negative zero keeps its sign");
}
