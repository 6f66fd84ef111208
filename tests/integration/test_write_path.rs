//! The git write path (issue #17, item 5): a modelreg commit rebuilds only the subtrees on the paths it
//! writes and updates only their index entries, yet leaves git's view exactly as `git add` + `git commit`
//! of those paths would: a clean `git status`, an index whose tree is the commit's, and anything else
//! the user staged still staged and out of the commit.

use std::path::Path;

use crate::common::TestEnv;

/// A registry with several models and a few thousand unrelated tracked files in nested directories,
/// so the commit has many sibling entries and subtrees to carry over untouched.
fn crowded_registry(env: &TestEnv) -> std::path::PathBuf {
    let registry = env.registry();
    for name in ["a", "b", "c"] {
        let weights = env.files(&format!("w-{name}"), &[("w.bin", name.as_bytes())]);
        env.register(&registry, name, &weights, &[]).success();
    }
    for dir in 0..20 {
        for file in 0..100 {
            let path = registry.join(format!("data/d{dir:02}/f{file:03}.txt"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, format!("{dir}/{file}\n")).unwrap();
        }
    }
    env.git(&registry, &["add", "data"]);
    env.git(&registry, &["commit", "-q", "-m", "unrelated files"]);
    registry
}

fn status(env: &TestEnv, registry: &Path) -> String {
    env.git(registry, &["status", "--porcelain", "--untracked-files=all"])
}

#[test]
fn a_commit_in_a_crowded_registry_leaves_git_status_clean_and_the_index_equal_to_the_commit() {
    let env = TestEnv::new();
    let registry = crowded_registry(&env);
    let weights = env.files("w-b2", &[("w.bin", b"b, retrained")]);
    env.register(&registry, "b", &weights, &[]).success();
    env.modelreg(&registry, &["promote", "b@2", "--to", "staging", "--key", env.key("alice").to_str().unwrap()])
        .success();

    assert_eq!(status(&env, &registry), "");
    // The index holds exactly the committed tree (git builds the same tree from it)…
    assert_eq!(env.git(&registry, &["write-tree"]), env.git(&registry, &["rev-parse", "HEAD^{tree}"]));
    // …and the commit changed only the model's files, with every object well-formed.
    insta::assert_snapshot!(env.git(&registry, &["diff", "--name-status", "HEAD~1", "HEAD"]), @"
    M	models/b/README.md
    A	models/b/records/000003-promote.toml
    A	models/b/records/000003-promote.toml.f43fd158e0f275c5.sig
    ");
    env.git(&registry, &["fsck", "--strict", "--no-progress"]);
    env.modelreg(&registry, &["check"]).success();
}

#[test]
fn a_staged_unrelated_change_survives_a_modelreg_commit_still_staged_and_uncommitted() {
    let env = TestEnv::new();
    let registry = crowded_registry(&env);
    std::fs::write(registry.join("data/d07/f042.txt"), "edited by hand\n").unwrap();
    std::fs::write(registry.join("notes.txt"), "staged, not committed\n").unwrap();
    env.git(&registry, &["add", "data/d07/f042.txt", "notes.txt"]);

    let weights = env.files("w-c2", &[("w.bin", b"c, retrained")]);
    env.register(&registry, "c", &weights, &[]).success();

    assert_eq!(status(&env, &registry), "M  data/d07/f042.txt\nA  notes.txt\n");
    let committed = env.git(&registry, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(committed.lines().all(|path| path.starts_with("models/c/")), "{committed}");
    assert_eq!(env.git(&registry, &["show", "HEAD:data/d07/f042.txt"]), "7/42\n");
    // Committing what is staged now takes exactly the user's two changes.
    env.git(&registry, &["commit", "-q", "-m", "by hand"]);
    assert_eq!(status(&env, &registry), "");
    insta::assert_snapshot!(env.git(&registry, &["diff", "--name-status", "HEAD~1", "HEAD"]), @"
    M	data/d07/f042.txt
    A	notes.txt
    ");
}
