//! Exact mode's memory bound: past `exact_memory`, numerical columns go to temporary files, and the
//! report is the same as the in-memory one, bit for bit.

use super::fixture;
use crate::{DriftConfig, ExactValues, Input, ReadOptions, compare, load_exact};

fn spilling(after_bytes: u64) -> ReadOptions {
    ReadOptions { exact_memory: after_bytes, batch_rows: 50, ..ReadOptions::default() }
}

#[test]
fn a_spilled_dataset_reads_back_the_same_sorted_values() {
    let path = fixture("baseline.csv");
    let in_memory = load_exact(&path, &ReadOptions::default()).expect("in memory");
    assert!(!in_memory.spilled());
    // 1,000 bytes: the first batches stay in memory, then everything (buffer included) moves to disk.
    let spilled = load_exact(&path, &spilling(1_000)).expect("spilled");
    assert!(spilled.spilled());
    assert_eq!(spilled.rows, in_memory.rows);
    for (s, m) in spilled.columns.iter().zip(&in_memory.columns) {
        assert_eq!((&s.name, s.kind, s.counts), (&m.name, m.kind, m.counts));
        match (&s.values, &m.values) {
            (ExactValues::Spilled(file), ExactValues::Numbers(values)) => {
                assert_eq!(file.len(), values.len() as u64);
                let back = s.sorted().expect("read back").expect("numbers");
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&back), bits(values), "{}", s.name);
            }
            (ExactValues::Labels(a), ExactValues::Labels(b)) => assert_eq!(a, b),
            other => panic!("{}: unexpected pair {other:?}", s.name),
        }
    }
}

#[test]
fn reports_are_identical_with_and_without_spilling() {
    let (b, t) = (Input::Data(fixture("baseline.csv")), Input::Data(fixture("target.csv")));
    let config = DriftConfig::default();
    let in_memory = compare(&b, &t, &ReadOptions::default(), &config).expect("in memory");
    for budget in [0, 1_000, 10_000] {
        let spilled = compare(&b, &t, &spilling(budget), &config).expect("spilled");
        assert_eq!(spilled, in_memory, "budget {budget}");
    }
}

#[test]
fn spill_files_are_removed_with_the_dataset() {
    let data = load_exact(&fixture("baseline.csv"), &spilling(0)).expect("spilled");
    let dir = data
        .columns
        .iter()
        .find_map(|c| match &c.values {
            ExactValues::Spilled(s) => Some(s.dir().to_path_buf()),
            _ => None,
        })
        .expect("a spilled column");
    assert!(dir.is_dir());
    drop(data);
    assert!(!dir.exists(), "the temporary directory goes with the last column");
}
