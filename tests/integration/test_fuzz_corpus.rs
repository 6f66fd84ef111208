//! The fuzz corpus, replayed on the stable toolchain: every file committed under `fuzz/corpus/<target>/`
//! goes through the same function its fuzz target calls (`fuzz/src/lib.rs`, included below), and must
//! return without a panic in under a second. `.ci/fuzz` mutates these inputs with libFuzzer; this test
//! keeps what it found (and the seeds) passing under plain `cargo test`, where no fuzzer runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod targets;

/// The fuzz contract's bound on one input.
const LIMIT: Duration = Duration::from_secs(1);

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("corpus")
}

fn replay(name: &str, body: fn(&[u8])) {
    let dir = corpus_root().join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "target {name} has no corpus in {}", dir.display());
    let mut failures = Vec::new();
    for file in &files {
        let data = std::fs::read(file).expect("a corpus file reads");
        let start = Instant::now();
        let outcome = std::panic::catch_unwind(|| body(&data));
        let took = start.elapsed();
        let shown = file.strip_prefix(corpus_root()).unwrap_or(file).display().to_string();
        match outcome {
            Err(_) => failures.push(format!("{shown}: panicked")),
            Ok(()) if took > LIMIT => failures.push(format!("{shown}: took {took:?}")),
            Ok(()) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs of {name} failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

macro_rules! replay_each {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                replay(stringify!($name), targets::$name);
            }
        )*

        /// Every target has a replay above and a corpus directory, and every corpus directory a target.
        #[test]
        fn every_target_is_replayed() {
            let replayed = [$(stringify!($name)),*];
            let targets: Vec<&str> = targets::TARGETS.iter().map(|(name, _)| *name).collect();
            assert_eq!(replayed.to_vec(), targets, "the replay list and fuzz/src/lib.rs's TARGETS differ");
            let mut dirs: Vec<String> = std::fs::read_dir(corpus_root())
                .expect("fuzz/corpus")
                .map(|e| e.expect("a corpus directory").file_name().to_string_lossy().into_owned())
                .collect();
            dirs.sort();
            let mut sorted = targets.clone();
            sorted.sort();
            assert_eq!(dirs, sorted, "fuzz/corpus/ holds a directory per target, no more");
            for name in &targets {
                let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fuzz/fuzz_targets/{name}.rs"));
                assert!(source.is_file(), "no fuzz target {}", source.display());
            }
        }
    };
}

replay_each!(records, trust, config, signature, card_fields, query, hook_lines, git_tree, index, profile, csv, parquet);
