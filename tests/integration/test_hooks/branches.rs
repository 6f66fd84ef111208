//! The registry branch itself: no force-push, no deletion, one violation refuses the whole push;
//! other branches may be rewritten; legitimate pushes from several clones go through, and the hook
//! finds its binary.

use std::path::Path;

use super::{record, refused_by_pre_push, refused_by_server, replace, served_registry};
use crate::common::TestEnv;

#[test]
fn a_force_push_rewriting_history_is_refused_and_judged_from_the_remote_tip() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // Back to v1, then a different v2: a valid chain on its own, but it rewrites the remote's v2.
    env.git(&clone, &["reset", "-q", "--hard", "HEAD~1"]);
    let other = env.files("other-v2", &[("model.onnx", b"other weights two")]);
    env.register(&clone, "m", &other, &[]).success();
    env.modelreg(&clone, &["check", "--skip-artifacts"]).success();

    // Without --force git itself refuses (non-fast-forward), hooks or not.
    let run = env.push(&clone, &["--no-verify", "origin", "main"]).failure(1);
    assert!(run.stderr.contains("[rejected]"), "{}", run.snapshot());

    let run = refused_by_server(&env, &remote, &clone, &["--force", "origin", "main"], "error[append-only]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: refs/heads/main: error[append-only]: force-push would rewrite the registry's history
    remote:   hint: fetch, rebase your records onto the remote (`modelreg sync`), and push again
    remote: models/m/records/000002-register.toml: error[append-only]: a committed record or signature was modified
    remote:   hint: records are never edited: add a new record instead (e.g. a new version)
    remote: models/m/records/000002-register.toml.f43fd158e0f275c5.sig: error[append-only]: a committed record or signature was modified
    remote:   hint: records are never edited: add a new record instead (e.g. a new version)
    remote: modelreg: push refused: 3 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_push(&env, &remote, &clone, &["--force", "origin", "main"], "error[append-only]");
}

#[test]
fn deleting_the_registry_branch_is_refused() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // Let git allow it, so that the hook alone protects the branch.
    env.git(&remote, &["config", "receive.denyDeleteCurrent", "ignore"]);
    let run = refused_by_server(&env, &remote, &clone, &["origin", ":main"], "error[append-only]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: refs/heads/main: error[append-only]: the registry branch cannot be deleted
    remote:   hint: nothing registered is deleted: use `modelreg archive`
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
}

#[test]
fn a_violation_on_any_branch_refuses_the_whole_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    env.git(&clone, &["branch", "experiment"]);
    env.push(&clone, &["-q", "--no-verify", "origin", "experiment"]).success();
    let experiment = env.rev(&remote, "experiment");
    // main gets a legitimate v3; `experiment` edits record 1. Pushed together, neither moves.
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.register(&clone, "m", &v3, &[]).success();
    env.git(&clone, &["checkout", "-q", "experiment"]);
    replace(&record(&clone, "m", 1), "auc = 0.91", "auc = 0.99");
    env.commit_no_verify(&clone, "edit by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main", "experiment"], "error[append-only]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000001-register.toml: error[append-only]: a committed record or signature was modified
    remote:   hint: records are never edited: add a new record instead (e.g. a new version)
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] experiment -> experiment (pre-receive hook declined)
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    assert_eq!(env.rev(&remote, "experiment"), experiment, "the remote's branch is unchanged");

    // Only the registry branch is protected: another branch may be deleted.
    env.push(&clone, &["-q", "--no-verify", "origin", ":experiment"]).success();
    assert_eq!(env.git(&remote, &["branch", "--list", "experiment"]), "");
}

#[test]
fn the_first_push_of_a_new_registry_is_accepted() {
    let env = TestEnv::new();
    let remote = env.bare_remote("remote.git");
    let registry = env.registry();
    let model = env.files("v1", &[("model.onnx", b"weights one")]);
    env.register(&registry, "m", &model, &[]).success();
    env.git(&registry, &["remote", "add", "origin", remote.to_str().unwrap()]);
    let run = env.push(&registry, &["origin", "main"]).success();
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    To [TEMP]/remote.git
     * [new branch]      main -> main
    [exit status: 0]
    ");
    assert_eq!(env.rev(&remote, "main"), env.rev(&registry, "HEAD"));
}

#[test]
fn legitimate_pushes_from_several_clones_are_accepted() {
    let env = TestEnv::new();
    let (remote, alice) = served_registry(&env);
    // The server alone judges these pushes (`--no-verify`); the client hook on a good push is
    // `the_pre_push_hook_lets_a_legitimate_push_through`.
    // alice (admin) makes bob a publisher; bob registers from his own clone with his own key.
    let bob_pub = env.key("bob").with_extension("pub");
    let alice_key = env.key("alice");
    let key_add = ["key", "add", bob_pub.to_str().unwrap(), "--owner", "bob@example.com", "--role", "publisher"];
    env.modelreg(&alice, &[&key_add[..], &["--key", alice_key.to_str().unwrap()]].concat()).success();
    env.push(&alice, &["-q", "--no-verify", "origin", "main"]).success();
    assert_eq!(env.rev(&remote, "main"), env.rev(&alice, "HEAD"), "an admin's key add is accepted");

    let bob = env.clone_of(&remote, "bob");
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    let bob_key = env.key("bob");
    env.modelreg(&bob, &["register", "m", v3.to_str().unwrap(), "--key", bob_key.to_str().unwrap()]).success();
    let run = env.push(&bob, &["origin", "main"]).success();
    assert!(run.stderr.contains("main -> main"), "{}", run.snapshot());
    assert_eq!(env.rev(&remote, "main"), env.rev(&bob, "HEAD"));

    // alice catches up and registers again: a fast-forward push.
    env.git(&alice, &["pull", "-q", "--ff-only"]);
    let v4 = env.files("v4", &[("model.onnx", b"weights four")]);
    env.register(&alice, "m", &v4, &[]).success();
    env.push(&alice, &["-q", "--no-verify", "origin", "main"]).success();
    assert_eq!(env.rev(&remote, "main"), env.rev(&alice, "HEAD"));

    insta::assert_snapshot!(env.git(&remote, &["log", "--format=%an: %s", "main"]), @"
    Alice: modelreg: register m v4
    bob: modelreg: register m v3
    Alice: modelreg: grant publisher to 7912eaa3793eb920 (bob@example.com)
    Alice: modelreg: register m v2
    Alice: modelreg: register m v1
    Alice: modelreg: initialise registry
    ");
    let fresh = env.clone_of(&remote, "fresh");
    env.modelreg(&fresh, &["check", "--skip-artifacts"]).success();
}

#[test]
fn the_pre_push_hook_lets_a_legitimate_push_through() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.register(&clone, "m", &v3, &[]).success();
    let run = env.push(&clone, &["-q", "origin", "main"]).success();
    insta::assert_snapshot!(run.snapshot(), @"[exit status: 0]");
    assert_eq!(env.rev(&remote, "main"), env.rev(&clone, "HEAD"));
}

/// The server hook with its baked-in binary path pointing nowhere, so that it must find `modelreg`
/// on PATH.
fn break_baked_path(remote: &Path) {
    let hook = remote.join("hooks/pre-receive");
    let text = std::fs::read_to_string(&hook).unwrap();
    let bin = env!("CARGO_BIN_EXE_modelreg");
    assert!(text.contains(bin), "the hook names the binary that installed it:\n{text}");
    std::fs::write(&hook, text.replace(bin, "/nonexistent/modelreg")).unwrap();
}

#[test]
fn the_server_hook_runs_modelreg_from_path_and_fails_closed_without_it() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    break_baked_path(&remote);
    replace(&record(&clone, "m", 1), "auc = 0.91", "auc = 0.99");
    env.commit_no_verify(&clone, "by hand");

    let bin_dir = Path::new(env!("CARGO_BIN_EXE_modelreg")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let before = env.rev(&remote, "main");
    let run = env.push_with(&clone, &["--no-verify", "origin", "main"], &[("PATH", &path)]).failure(1);
    assert!(run.stderr.contains("remote: models/m/records/000001-register.toml: error[append-only]"), "{}", run.stderr);
    assert_eq!(env.rev(&remote, "main"), before, "the remote is unchanged");

    // No modelreg anywhere: the hook cannot run, and the push is refused rather than let through.
    let run = env.push(&clone, &["--no-verify", "origin", "main"]).failure(1);
    assert!(run.stderr.contains("(pre-receive hook declined)"), "{}", run.stderr);
    assert_eq!(env.rev(&remote, "main"), before, "the remote is unchanged");
}

#[test]
fn a_pull_request_branch_rebased_onto_the_registry_can_be_force_pushed() {
    let env = TestEnv::new();
    let (remote, alice) = served_registry(&env);
    // alice proposes v3 on a branch for review.
    env.git(&alice, &["checkout", "-q", "-b", "propose-v3"]);
    let mine = env.files("mine", &[("model.onnx", b"alice's weights")]);
    env.register(&alice, "m", &mine, &[]).success();
    env.push(&alice, &["-q", "origin", "propose-v3"]).success();

    // Meanwhile bob registers v3 on the registry branch itself.
    let bob = env.clone_of(&remote, "bob");
    let theirs = env.files("theirs", &[("model.onnx", b"bob's weights")]);
    env.register(&bob, "m", &theirs, &[]).success();
    env.push(&bob, &["-q", "origin", "main"]).success();

    // alice rebuilds her branch on the new registry tip (her record becomes v4) and force-pushes it:
    // a valid extension of main, so the server has no reason to refuse it.
    env.git(&alice, &["fetch", "-q", "origin"]);
    env.git(&alice, &["reset", "-q", "--hard", "origin/main"]);
    env.register(&alice, "m", &mine, &[]).success();
    env.modelreg(&alice, &["check", "--range", "origin/main..HEAD"]).success();
    let run = env.push(&alice, &["--force", "origin", "propose-v3"]);
    assert_eq!(run.code, 0, "a rebased pull-request branch is refused:\n{}", run.snapshot());
    assert_eq!(env.rev(&remote, "propose-v3"), env.rev(&alice, "HEAD"));
    // And it merges into the registry branch as a fast-forward.
    env.push(&alice, &["-q", "origin", "HEAD:main"]).success();
}

#[test]
fn the_first_push_of_a_broken_registry_is_refused() {
    let env = TestEnv::new();
    let remote = env.bare_remote("remote.git");
    let registry = env.registry();
    for (i, weights) in [b"one", b"two"].iter().enumerate() {
        let files = env.files(&format!("v{i}"), &[("model.onnx", *weights)]);
        env.register(&registry, "m", &files, &["--metric", "auc=0.9"]).success();
    }
    // Nothing on the remote to compare with: the whole tree is checked, by its own trust.
    replace(&record(&registry, "m", 1), "auc = 0.9", "auc = 0.99");
    env.commit_no_verify(&registry, "by hand");
    env.git(&registry, &["remote", "add", "origin", remote.to_str().unwrap()]);
    let run = env.push(&registry, &["origin", "main"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000001-register.toml: error[signature]: no valid signature by a `publisher` key
    remote:   hint: records are signed when written; a record without one was not made by modelreg
    remote: models/m/records/000001-register.toml.f43fd158e0f275c5.sig: error[signature]: signature does not match the file's bytes (file edited?)
    remote: models/m/records/000002-register.toml: error[chain]: `previous` is blake3:1241bf0edbdc41a2d4f64d358ff00fb84eae8959bc996984eedc9a9dfde8dafb, but the record before it is blake3:b7769f092d1fb4bf7254c26715a6e4e826bd33e6f18ec2177882d7e11f14d563 (edited, replaced or reordered)
    remote:   hint: records are append-only: restore the original files from git history
    remote: modelreg: push refused: 3 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    assert_eq!(env.git_run(&remote, &["rev-parse", "--verify", "-q", "main"]).code, 1, "main was not created");
}

#[test]
fn an_orphan_branch_with_its_own_trust_root_is_judged_by_the_registry_trust() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // mallory: no history shared with the registry, her own trust file making bob's key the admin,
    // and model `m` registered under it.
    let evil = env.git_repo("evil");
    let bob = env.key("bob");
    env.modelreg(&evil, &["init", "--key", bob.to_str().unwrap()]).success();
    let v1 = env.files("evil-v1", &[("model.onnx", b"evil weights")]);
    env.modelreg(&evil, &["register", "m", v1.to_str().unwrap(), "--key", bob.to_str().unwrap()]).success();
    let run = env.push(&evil, &["--no-verify", remote.to_str().unwrap(), "main:refs/heads/evil"]).failure(1);
    assert!(run.stderr.contains("remote: modelreg: push refused"), "{}", run.snapshot());
    let by_registry_trust = "remote: .modelreg/trust.toml.7912eaa3793eb920.sig: error[signature]: signed by key 7912eaa3793eb920 which is not in the trust file";
    assert!(run.stderr.contains(by_registry_trust), "{}", run.snapshot());
    assert!(env.git_run(&remote, &["rev-parse", "--verify", "-q", "refs/heads/evil"]).code != 0, "no branch created");

    // A branch that shares the registry's history, with a legitimate new record, is accepted.
    env.git(&clone, &["checkout", "-q", "-b", "feature"]);
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.register(&clone, "m", &v3, &[]).success();
    env.push(&clone, &["-q", "--no-verify", "origin", "feature"]).success();
    assert_eq!(env.rev(&remote, "feature"), env.rev(&clone, "HEAD"));
}

#[test]
fn the_registry_branch_is_protected_whatever_the_server_head_names() {
    let env = TestEnv::new();
    // `git init --bare` without -b: HEAD names `master`, while the registry lives on `main`.
    let remote = env.path().join("remote.git");
    env.git(env.path(), &["-c", "init.defaultBranch=master", "init", "-q", "--bare", remote.to_str().unwrap()]);
    let install = ["hooks", "install", "--server", "--git-dir", remote.to_str().unwrap()];
    let run = env.modelreg(env.path(), &install).success();
    assert!(
        run.stderr.contains(
            "protects refs/heads/master from deletion and rewrites (the repository's HEAD; set another with --branch)"
        ),
        "{}",
        run.snapshot()
    );
    let clone = env.registry();
    assert!(std::fs::read_to_string(clone.join("modelreg.toml")).unwrap().contains("branch = \"main\""));
    env.git(&clone, &["remote", "add", "origin", remote.to_str().unwrap()]);
    env.push(&clone, &["-q", "origin", "main"]).success();
    for (seq, bytes) in [(1, &b"weights one"[..]), (2, b"weights two")] {
        let dir = env.files(&format!("v{seq}"), &[("model.onnx", bytes)]);
        env.register(&clone, "m", &dir, &[]).success();
    }
    env.push(&clone, &["-q", "origin", "main"]).success();

    // Once pushed, the registry names its own branch, and the server protects it.
    let run = env.modelreg(env.path(), &[&install[..], &["--force"]].concat()).success();
    assert!(
        run.stderr.contains("protects refs/heads/main from deletion and rewrites (the branch its modelreg.toml names)"),
        "{}",
        run.snapshot()
    );
    // A rewind that drops v2's signed records.
    env.git(&clone, &["reset", "-q", "--hard", "HEAD~1"]);
    let run = refused_by_server(&env, &remote, &clone, &["--force", "origin", "main"], "error[append-only]");
    assert!(
        run.stderr
            .contains("remote: refs/heads/main: error[append-only]: force-push would rewrite the registry's history"),
        "{}",
        run.snapshot()
    );

    // An explicit branch wins, and is what install reports.
    let explicit = [&install[..], &["--force", "--branch", "main"]].concat();
    let run = env.modelreg(env.path(), &explicit).success();
    insta::assert_snapshot!(run.snapshot().replace(env!("CARGO_BIN_EXE_modelreg"), "[BIN]"), @"
    ----- stderr -----
    installed [TEMP]/remote.git/hooks/pre-receive
    hooks run [BIN] (set MODELREG_BIN to use another binary)
    set receive.fsckObjects=true in the repository's git config
    set modelreg.branch=main in the repository's git config
    protects refs/heads/main from deletion and rewrites (modelreg.branch in the repository's git config)
    [exit status: 0]
    ");
    assert_eq!(env.git(&remote, &["config", "modelreg.branch"]).trim(), "main");
    refused_by_server(&env, &remote, &clone, &["--force", "origin", "main"], "error[append-only]");
    // Moving forward is still accepted.
    env.git(&clone, &["reset", "-q", "--hard", "origin/main"]);
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.register(&clone, "m", &v3, &[]).success();
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();
}

#[test]
fn a_merge_whose_first_parent_is_a_foreign_root_is_refused_and_a_pull_merge_is_accepted() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // mallory's own registry root (bob's key as its admin), fetched into the clone.
    let evil = env.git_repo("evil");
    let bob = env.key("bob");
    env.modelreg(&evil, &["init", "--key", bob.to_str().unwrap()]).success();
    env.git(&clone, &["fetch", "-q", evil.to_str().unwrap(), "main:refs/evil"]);
    // A merge with main's tree: nothing changes in the files, but its first parent is mallory's root,
    // so the first-parent line (which trust history follows) would leave the registry's.
    let tree = env.rev(&clone, "HEAD^{tree}");
    let merge = env.git(&clone, &["commit-tree", &tree, "-p", "refs/evil", "-p", "HEAD", "-m", "take over"]);
    env.git(&clone, &["reset", "-q", "--hard", merge.trim()]);
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[append-only]");
    assert!(run.stderr.contains("first-parent line does not lead into the registry's history"), "{}", run.snapshot());

    // `git pull` that merges: the local commit first, the remote's second; accepted.
    env.git(&clone, &["reset", "-q", "--hard", "origin/main"]);
    let other = env.clone_of(&remote, "other");
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.register(&other, "other-model", &v3, &[]).success();
    env.push(&other, &["-q", "--no-verify", "origin", "main"]).success();
    let v4 = env.files("v4", &[("model.onnx", b"weights four")]);
    env.register(&clone, "m", &v4, &[]).success();
    env.git(&clone, &["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"]);
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();
    assert_eq!(env.rev(&remote, "main"), env.rev(&clone, "HEAD"));
}
