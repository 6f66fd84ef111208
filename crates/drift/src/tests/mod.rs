//! Tests of the drift module against committed fixtures (`crates/drift/tests/fixtures/`): agreement with scipy,
//! bad input, and profile merging.

mod bad_input;
mod compressed;
mod parallel;
mod parquet;
mod performance;
mod profiles;
mod scipy;
mod sketch;
mod spill;

use std::path::PathBuf;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// |a − b| ≤ 1e-9·max(|a|, |b|), or both below 1e-300.
pub fn assert_close(what: &str, ours: f64, reference: f64) {
    let scale = ours.abs().max(reference.abs());
    assert!(
        (ours - reference).abs() <= 1e-9 * scale || scale < 1e-300,
        "{what}: ours {ours:e} vs scipy {reference:e} (relative {:e})",
        (ours - reference).abs() / scale
    );
}
