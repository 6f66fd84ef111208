//! The index behind `list` and `search` (`.git/modelreg/search-cache`) against real git: every change that
//! modelreg, git or a user makes is seen, and the answers are byte-identical to those of a run with
//! no index at all.
//!
//! An entry written less than two seconds after its model changed is read again by the next command
//! anyway (the racy-timestamp rule), so each test first lets the index settle: it waits out the
//! window, runs `list` once to store settled entries, and checks that a further `list` rewrites
//! nothing (every model answered from the index). Only then does it make the change under test, so
//! the signal itself, not the re-reading of recent changes, is what sees it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::TestEnv;

const QUERY: &str = "has metric.auc";

fn index_file(registry: &Path) -> PathBuf {
    registry.join(".git/modelreg/search-cache")
}

/// `list --json` and a search over every version, as the binary prints them.
fn answers(env: &TestEnv, registry: &Path) -> String {
    let list = env.modelreg(registry, &["list", "--json"]).success();
    let search = env.modelreg(registry, &["search", QUERY, "--json"]).success();
    format!("{}{}", list.snapshot(), search.snapshot())
}

/// The answers with the index as it is, checked against the answers with no index.
#[track_caller]
fn answers_checked(env: &TestEnv, registry: &Path) -> String {
    let indexed = answers(env, registry);
    let saved = std::fs::read(index_file(registry)).unwrap();
    std::fs::remove_file(index_file(registry)).unwrap();
    assert_eq!(indexed, answers(env, registry), "the index answered what the records do not say");
    // Put the settled file back: the next step tests it, not a fresh one.
    std::fs::write(index_file(registry), saved).unwrap();
    indexed
}

/// Waits out the racy window and stores settled entries; then proves the next command reads no record.
#[track_caller]
fn settle(env: &TestEnv, registry: &Path) {
    std::thread::sleep(Duration::from_millis(2100));
    env.modelreg(registry, &["list", "--json"]).success();
    let before = std::fs::read(index_file(registry)).unwrap();
    let modified = std::fs::metadata(index_file(registry)).unwrap().modified().unwrap();
    env.modelreg(registry, &["search", QUERY]).success();
    env.modelreg(registry, &["list"]).success();
    assert_eq!(std::fs::read(index_file(registry)).unwrap(), before);
    assert_eq!(std::fs::metadata(index_file(registry)).unwrap().modified().unwrap(), modified, "not rewritten");
}

fn register(env: &TestEnv, registry: &Path, model: &str, version: &str, extra: &[&str]) {
    let files = env.files(&format!("{model}-{version}"), &[("model.onnx", version.as_bytes())]);
    let metric = format!("auc=0.{}", version.len() + 80);
    let mut args = vec!["--metric", metric.as_str(), "--tag", "team=risk"];
    args.extend_from_slice(extra);
    env.register(registry, model, &files, &args).success();
}

#[test]
fn a_record_pulled_from_another_clone_is_seen() {
    let env = TestEnv::new();
    let remote = env.seeded_remote();
    let (a, b) = (env.clone_of(&remote, "a"), env.clone_of(&remote, "b"));
    register(&env, &a, "fraud", "one", &[]);
    register(&env, &a, "churn", "one", &[]);
    env.git(&a, &["push", "-q", "origin", "main"]);
    env.git(&b, &["pull", "-q", "origin", "main"]);
    let before = answers_checked(&env, &b);
    settle(&env, &b);

    register(&env, &a, "fraud", "two", &[]);
    register(&env, &a, "ranker", "one", &[]);
    env.git(&a, &["push", "-q", "origin", "main"]);
    env.git(&b, &["pull", "-q", "origin", "main"]);
    let after = answers_checked(&env, &b);
    assert_ne!(before, after);
    assert!(after.contains(r#""name": "ranker""#), "{after}");
    assert_eq!(after.matches(r#""name": "fraud""#).count(), 3, "fraud in list, fraud@1 and fraud@2: {after}");
}

#[test]
fn a_record_written_with_no_commit_is_seen() {
    let env = TestEnv::new();
    let registry = env.registry();
    register(&env, &registry, "fraud", "one", &[]);
    answers_checked(&env, &registry);
    settle(&env, &registry);

    register(&env, &registry, "fraud", "two", &["--no-commit"]);
    let after = answers_checked(&env, &registry);
    assert!(after.contains(r#""latest_version": 2"#), "{after}");
}

#[test]
fn the_newest_record_edited_in_place_is_seen() {
    let env = TestEnv::new();
    let registry = env.registry();
    register(&env, &registry, "fraud", "one", &[]);
    register(&env, &registry, "fraud", "two", &[]);
    settle(&env, &registry);

    // Same size, same inode, mtime put back: only the file's ctime tells.
    let record = registry.join("models/fraud/records/000002-register.toml");
    let mtime = std::fs::metadata(&record).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, text.replace("auc = 0.83", "auc = 0.99")).unwrap();
    std::fs::File::options().write(true).open(&record).unwrap().set_modified(mtime).unwrap();
    let after = answers_checked(&env, &registry);
    assert!(after.contains(r#""auc": 0.99"#), "{after}");
}

#[test]
fn an_older_record_edited_in_place_is_seen_once_committed() {
    let env = TestEnv::new();
    let registry = env.registry();
    register(&env, &registry, "fraud", "one", &[]);
    register(&env, &registry, "fraud", "two", &[]);
    settle(&env, &registry);

    // An edit to an earlier record breaks the chain. In place and uncommitted, it changes neither the
    // directory nor the newest record: the index keeps answering from what was signed (`check`
    // reports the edit; see the module docs of `modelreg::index`).
    let record = registry.join("models/fraud/records/000001-register.toml");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, text.replace("auc = 0.83", "auc = 0.99")).unwrap();
    let run = env.modelreg(&registry, &["list"]).success();
    assert!(run.stdout.contains("fraud"), "{}", run.snapshot());

    // Once committed, HEAD's move names the model, and it is read again: now broken, and reported.
    env.commit_no_verify(&registry, "edit history");
    let run = env.modelreg(&registry, &["list", "--json"]).success();
    assert!(run.stderr.contains("warning: skipped models/fraud/records/"), "{}", run.snapshot());
    assert!(!run.stdout.contains(r#""name": "fraud""#), "{}", run.snapshot());
    answers_checked(&env, &registry);

    // `git checkout` puts the signed bytes back (a new file: the directory changes).
    env.git(&registry, &["reset", "-q", "--hard", "HEAD~1"]);
    let after = answers_checked(&env, &registry);
    assert!(after.contains(r#""name": "fraud""#), "{after}");
    assert!(!after.contains("0.99"), "{after}");
}

#[test]
fn a_removed_or_replaced_record_is_seen() {
    let env = TestEnv::new();
    let registry = env.registry();
    register(&env, &registry, "fraud", "one", &[]);
    register(&env, &registry, "fraud", "two", &[]);
    let two = answers_checked(&env, &registry);
    settle(&env, &registry);

    // Replaced through a rename (what editors, `sed -i` and modelreg's own writes do).
    let record = registry.join("models/fraud/records/000002-register.toml");
    let text = std::fs::read_to_string(&record).unwrap();
    let temp = registry.join("models/fraud/records/edit.tmp");
    std::fs::write(&temp, text.replace("auc = 0.83", "auc = 0.98")).unwrap();
    std::fs::rename(&temp, &record).unwrap();
    assert!(answers_checked(&env, &registry).contains(r#""auc": 0.98"#));
    settle(&env, &registry);

    // Removed, with its signatures (an interrupted registration put back by hand).
    env.git(&registry, &["checkout", "--", "."]);
    settle(&env, &registry);
    for entry in std::fs::read_dir(registry.join("models/fraud/records")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("000002-") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let one = answers_checked(&env, &registry);
    assert!(one.contains(r#""latest_version": 1"#), "{one}");
    env.git(&registry, &["checkout", "--", "."]);
    assert_eq!(answers_checked(&env, &registry), two);
}

#[test]
fn a_changed_trust_file_rebuilds_everything() {
    let env = TestEnv::new();
    let registry = env.registry();
    register(&env, &registry, "fraud", "one", &[]);
    let before = answers_checked(&env, &registry);
    settle(&env, &registry);
    let index = std::fs::read(index_file(&registry)).unwrap();

    // A new key: roles and keys decide which approvals count, so any change to the trust file does.
    let bob = env.key("bob").with_extension("pub");
    let alice = env.key("alice");
    let args = ["key", "add", bob.to_str().unwrap(), "--owner", "bob@example.com", "--role", "publisher"];
    env.modelreg(&registry, &[&args[..], &["--key", alice.to_str().unwrap()]].concat()).success();
    env.modelreg(&registry, &["list"]).success();
    assert_ne!(std::fs::read(index_file(&registry)).unwrap(), index, "rebuilt for the new trust file");
    assert_eq!(answers_checked(&env, &registry), before);
}

#[test]
fn a_corrupt_or_foreign_index_file_is_rebuilt() {
    let env = TestEnv::new();
    let registry = env.registry();
    register(&env, &registry, "fraud", "one", &[]);
    register(&env, &registry, "churn", "one", &[]);
    let expected = answers_checked(&env, &registry);
    settle(&env, &registry);
    let good = std::fs::read(index_file(&registry)).unwrap();

    for (what, bytes) in [
        ("garbage", b"garbage".to_vec()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("one byte flipped", {
            let mut bad = good.clone();
            let last = bad.len() - 3;
            bad[last] ^= 1;
            bad
        }),
        ("empty", Vec::new()),
    ] {
        std::fs::write(index_file(&registry), &bytes).unwrap();
        assert_eq!(answers(&env, &registry), expected, "{what}");
        assert_ne!(std::fs::read(index_file(&registry)).unwrap(), bytes, "{what}: rewritten");
    }

    // A clone's index copied into another clone describes other files: ignored there.
    let other = env.path().join("other");
    env.git(env.path(), &["clone", "-q", registry.to_str().unwrap(), other.to_str().unwrap()]);
    let expected_other = answers(&env, &other);
    std::fs::write(index_file(&other), &good).unwrap();
    assert_eq!(answers(&env, &other), expected_other);
}
