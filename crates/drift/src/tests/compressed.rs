//! `.csv.gz` and `.csv.zst`, compressed here with the same crates' encoders: every batch, error and
//! report is the one the plain file gives, with the sequential and the parallel reader alike.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::parallel::{dump, mixed_file};
use crate::{DriftConfig, DriftError, Input, ProfileOptions, ReadOptions, compare, profile_file};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 1).expect("zstd")
}

/// `name.csv`, `name.csv.gz` and `name.csv.zst` holding `text`.
fn three_ways(dir: &Path, name: &str, text: &[u8]) -> [PathBuf; 3] {
    let plain = dir.join(format!("{name}.csv"));
    let gz = dir.join(format!("{name}.csv.gz"));
    let zst = dir.join(format!("{name}.csv.zst"));
    std::fs::write(&plain, text).expect("write");
    std::fs::write(&gz, gzip(text)).expect("write");
    std::fs::write(&zst, zstd(text)).expect("write");
    [plain, gz, zst]
}

/// The reader's dump of `path` with its name replaced by `as_name` (errors name the file read).
fn dump_as(path: &Path, options: &ReadOptions, as_name: &Path) -> String {
    dump(path, options).replace(&path.display().to_string(), &as_name.display().to_string())
}

fn options(threads: usize) -> ReadOptions {
    ReadOptions { threads, block_bytes: 4096, batch_rows: 700, infer_rows: 50, ..ReadOptions::default() }
}

#[test]
fn compressed_files_read_like_the_plain_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = mixed_file(5_000, 3, 0.0);
    let [plain, gz, zst] = three_ways(dir.path(), "data", text.as_bytes());
    let reference = dump(&plain, &options(1));
    assert!(reference.contains("multi\\nline"), "quoted newlines cross the stream's chunks");
    for path in [&gz, &zst] {
        for threads in [1, 2, 3] {
            let got = dump_as(path, &options(threads), &plain);
            assert!(got == reference, "{} with {threads} threads", path.display());
        }
    }
}

#[test]
fn errors_in_compressed_files_name_the_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("a,b,c\n");
    for i in 0..3_000 {
        text.push_str(&format!("{i},{}.5,k{}\n", i % 7, i % 3));
    }
    text.push_str("1,oops,k1\n1,2,k1\n");
    let [plain, gz, zst] = three_ways(dir.path(), "bad", text.as_bytes());
    let reference = dump(&plain, &options(1));
    assert!(reference.contains("line 3002") && reference.contains("\"oops\""), "{reference}");
    for path in [&gz, &zst] {
        for threads in [1, 2] {
            let got = dump_as(path, &options(threads), &plain);
            assert!(
                got == reference,
                "{} with {threads} threads: {}",
                path.display(),
                got.lines().last().unwrap_or("")
            );
        }
    }
}

#[test]
fn reports_from_compressed_files_are_byte_identical() {
    let dir = tempfile::tempdir().expect("tempdir");
    let baseline = three_ways(dir.path(), "baseline", mixed_file(8_000, 5, 0.0).as_bytes());
    let target = three_ways(dir.path(), "target", mixed_file(6_000, 9, 0.3).as_bytes());
    let config = DriftConfig::default();
    let run = |b: &PathBuf, t: &PathBuf, read: &ReadOptions| {
        let exact = compare(&Input::Data(b.clone()), &Input::Data(t.clone()), read, &config).expect("exact");
        let profile_options = ProfileOptions { read: read.clone(), ..ProfileOptions::default() };
        let profile = profile_file(b, &profile_options, None).expect("profile");
        let by_profile = compare(&Input::Profile(profile.clone()), &Input::Data(t.clone()), read, &config).expect("pm");
        let json = |r: &crate::DriftReport| {
            // The digests name the files as stored (compressed or not); everything else must agree.
            let mut r = r.clone();
            for side in [&mut r.baseline, &mut r.target] {
                side.sources.clear();
            }
            serde_json::to_string(&r).expect("json")
        };
        let mut profile = profile;
        profile.sources.clear();
        (json(&exact), json(&by_profile), profile.to_toml().expect("toml"))
    };
    let reference = run(&baseline[0], &target[0], &options(1));
    for i in [1, 2] {
        for threads in [1, 2] {
            let got = run(&baseline[i], &target[i], &options(threads));
            assert!(got == reference, "{} with {threads} threads", baseline[i].display());
        }
    }
}

#[test]
fn a_damaged_stream_is_an_error_not_a_short_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = mixed_file(20_000, 1, 0.0);
    for (name, mut bytes) in [("cut.csv.gz", gzip(text.as_bytes())), ("cut.csv.zst", zstd(text.as_bytes()))] {
        bytes.truncate(bytes.len() / 2);
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).expect("write");
        for threads in [1, 2] {
            let read = ReadOptions { threads, ..ReadOptions::default() };
            let result = profile_file(&path, &ProfileOptions { read, ..ProfileOptions::default() }, None);
            match result {
                Err(DriftError::Io { source, .. }) => {
                    assert!(source.to_string().contains("damaged"), "{name}: {source}")
                }
                other => panic!("{name} with {threads} threads: expected an I/O error, got {other:?}"),
            }
        }
    }
}

#[test]
fn null_type_error_and_ragged_rows_count_and_fail_alike_when_compressed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("x,flag,c\n");
    for i in 0..4_000 {
        let x = ["1.5", "", "NA", "nan", "inf", "oops", "-2e3", " 7 "][i % 8];
        let flag = ["true", "False", "", "maybe"][i % 4];
        text.push_str(&format!("{x},{flag},\"q\n{}\"\n", i % 5));
    }
    let [plain, gz, zst] = three_ways(dir.path(), "counts", text.as_bytes());
    let lenient = ReadOptions { strict: false, infer_rows: 4, ..options(1) };
    let reference = dump(&plain, &lenient);
    assert!(!reference.contains("error"), "type errors are counted, not raised");
    text.push_str("1,true\n");
    let [ragged_plain, ragged_gz, ragged_zst] = three_ways(dir.path(), "ragged", text.as_bytes());
    let ragged = dump(&ragged_plain, &lenient);
    assert!(ragged.contains("line 8002: expected 3 fields"), "{}", ragged.lines().last().unwrap_or(""));
    for threads in [1, 2, 3] {
        let read = ReadOptions { threads, ..lenient.clone() };
        for path in [&gz, &zst] {
            assert!(dump_as(path, &read, &plain) == reference, "{} with {threads} threads", path.display());
        }
        for path in [&ragged_gz, &ragged_zst] {
            assert!(dump_as(path, &read, &ragged_plain) == ragged, "{} with {threads} threads", path.display());
        }
    }
}
