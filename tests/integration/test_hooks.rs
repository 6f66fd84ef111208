//! The registry's rules enforced by git itself: a real bare remote with the server `pre-receive` hook,
//! clones with the client `pre-commit` and `pre-push` hooks, and pushes over the local filesystem.
//!
//! Each violation is made the way someone bypassing modelreg would make it: files edited by hand and
//! committed with `git commit --no-verify`. Pushed with `--no-verify` too, the server must refuse it
//! with the rule's message and leave the remote's `main` where it was; then the client hooks must
//! refuse the same commit (`pre-commit`) and the same push (`pre-push`).

use std::path::{Path, PathBuf};

use crate::common::{Run, TestEnv};

/// Key ids of the fixture keys (first 8 bytes of the SHA-256 fingerprint).
const ALICE: &str = "f43fd158e0f275c5";
const BOB: &str = "7912eaa3793eb920";

/// A bare remote with the server hook, and alice's registry (client hooks installed) pushed to it
/// with model `m` at v1 and v2. Returns (remote, clone).
fn served_registry(env: &TestEnv) -> (PathBuf, PathBuf) {
    let remote = env.bare_remote("remote.git");
    let clone = env.registry();
    env.git(&clone, &["remote", "add", "origin", remote.to_str().unwrap()]);
    env.push(&clone, &["-q", "-u", "origin", "main"]).success();
    let v1 = env.files("v1", &[("model.onnx", b"weights one")]);
    env.register(&clone, "m", &v1, &["--metric", "auc=0.91"]).success();
    let v2 = env.files("v2", &[("model.onnx", b"weights two")]);
    env.register(&clone, "m", &v2, &["--metric", "auc=0.93"]).success();
    env.push(&clone, &["-q", "origin", "main"]).success();
    assert_eq!(env.rev(&remote, "main"), env.rev(&clone, "HEAD"));
    env.modelreg(&clone, &["hooks", "install"]).success();
    (remote, clone)
}

fn record(clone: &Path, model: &str, seq: u32) -> PathBuf {
    clone.join(format!("models/{model}/records/{seq:06}-register.toml"))
}

fn signature(clone: &Path, model: &str, seq: u32, key_id: &str) -> PathBuf {
    clone.join(format!("models/{model}/records/{seq:06}-register.toml.{key_id}.sig"))
}

/// Writes a new record for `m` (v3, signed by alice) without committing it; returns its path.
fn uncommitted_record(env: &TestEnv, clone: &Path) -> PathBuf {
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.register(clone, "m", &v3, &["--no-commit"]).success();
    record(clone, "m", 3)
}

fn replace(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} does not contain {from:?}:\n{text}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Takes back the last commit (keeping it staged) and commits it again through the clone's
/// pre-commit hook, which must refuse it for `rule`; then recommits it with `--no-verify`.
#[track_caller]
fn refused_by_pre_commit(env: &TestEnv, clone: &Path, rule: &str) {
    let head = env.rev(clone, "HEAD");
    env.git(clone, &["reset", "-q", "--soft", "HEAD~1"]);
    let run = env.git_run(clone, &["commit", "-q", "-m", "by hand"]).failure(1);
    assert!(run.stderr.contains(rule), "pre-commit should report {rule}:\n{}", run.snapshot());
    assert!(run.stderr.contains("modelreg: commit refused"), "{}", run.snapshot());
    env.commit_no_verify(clone, "by hand");
    assert_eq!(env.rev(clone, "HEAD"), head, "the same commit again");
}

/// Pushes with `args` through the clone's pre-push hook, which must refuse it for `rule` before
/// anything reaches the remote.
#[track_caller]
fn refused_by_pre_push(env: &TestEnv, remote: &Path, clone: &Path, args: &[&str], rule: &str) {
    let before = env.rev(remote, "main");
    let run = env.push(clone, args).failure(1);
    assert!(run.stderr.contains(rule), "pre-push should report {rule}:\n{}", run.snapshot());
    assert!(run.stderr.contains("modelreg: push refused"), "{}", run.snapshot());
    assert!(!run.stderr.contains("remote:"), "pre-push refuses before anything is sent:\n{}", run.snapshot());
    assert_eq!(env.rev(remote, "main"), before, "the remote is unchanged");
}

/// Pushes with `--no-verify` (no client hook): the server must refuse it for `rule`, with the remote's
/// `main` unchanged.
#[track_caller]
fn refused_by_server(env: &TestEnv, remote: &Path, clone: &Path, args: &[&str], rule: &str) -> Run {
    let before = env.rev(remote, "main");
    let mut full = vec!["--no-verify"];
    full.extend_from_slice(args);
    let run = env.push(clone, &full).failure(1);
    assert!(run.stderr.contains("remote: modelreg: push refused"), "{}", run.snapshot());
    let from_server = |line: &str| line.starts_with("remote: ") && line.contains(rule);
    assert!(run.stderr.lines().any(from_server), "the server should report {rule}:\n{}", run.snapshot());
    assert!(run.stderr.contains("(pre-receive hook declined)"), "{}", run.snapshot());
    assert_eq!(env.rev(remote, "main"), before, "the remote is unchanged");
    run
}

#[test]
fn an_edited_record_is_refused_at_commit_and_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    replace(&record(&clone, "m", 1), "auc = 0.91", "auc = 0.99");
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[append-only]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000001-register.toml: error[append-only]: a committed record or signature was modified
    remote:   hint: records are never edited: add a new record instead (e.g. a new version)
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[append-only]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[append-only]");
}

#[test]
fn a_deleted_record_is_refused_at_commit_and_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    std::fs::remove_file(record(&clone, "m", 2)).unwrap();
    std::fs::remove_file(signature(&clone, "m", 2, ALICE)).unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[append-only]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000002-register.toml: error[append-only]: a committed record or signature was deleted
    remote:   hint: nothing registered is deleted: use `modelreg archive` to retire a model or version
    remote: models/m/records/000002-register.toml.f43fd158e0f275c5.sig: error[append-only]: a committed record or signature was deleted
    remote:   hint: nothing registered is deleted: use `modelreg archive` to retire a model or version
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[append-only]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[append-only]");
}

#[test]
fn a_renamed_record_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    env.git(&clone, &["mv", "models/m/records/000002-register.toml", "models/m/records/000003-register.toml"]);
    env.git(
        &clone,
        &[
            "mv",
            &format!("models/m/records/000002-register.toml.{ALICE}.sig"),
            &format!("models/m/records/000003-register.toml.{ALICE}.sig"),
        ],
    );
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[append-only]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000002-register.toml: error[append-only]: a committed record or signature was deleted
    remote:   hint: nothing registered is deleted: use `modelreg archive` to retire a model or version
    remote: models/m/records/000002-register.toml.f43fd158e0f275c5.sig: error[append-only]: a committed record or signature was deleted
    remote:   hint: nothing registered is deleted: use `modelreg archive` to retire a model or version
    remote: models/m/records/000003-register.toml: error[chain]: file name says seq 3 (register) but the record is seq 2 (register)
    remote:   hint: records are append-only: restore the original files from git history
    remote: modelreg: push refused: 3 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[append-only]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[append-only]");
}

#[test]
fn a_version_going_down_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // A new record whose version is below v2, re-signed by alice so that only the version rule fails.
    let new = uncommitted_record(&env, &clone);
    replace(&new, "version = 3", "version = 1");
    std::fs::write(signature(&clone, "m", 3, ALICE), env.ssh_sign("alice", &new)).unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[version]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[version]: version 1 is not greater than the latest version 2
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    assert!(!run.stderr.contains("error[signature]"), "the re-signed record's signature is valid:\n{}", run.stderr);
    refused_by_pre_commit(&env, &clone, "error[version]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[version]");
}

#[test]
fn a_replayed_old_record_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // Record 1 and its (valid) signature, copied in as record 3.
    std::fs::copy(record(&clone, "m", 1), record(&clone, "m", 3)).unwrap();
    std::fs::copy(signature(&clone, "m", 1, ALICE), signature(&clone, "m", 3, ALICE)).unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[chain]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[chain]: file name says seq 3 (register) but the record is seq 1 (register)
    remote:   hint: records are append-only: restore the original files from git history
    remote: models/m/records/000003-register.toml: error[version]: version 1 is not greater than the latest version 2
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[chain]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[chain]");
}

#[test]
fn a_record_copied_from_another_model_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // Model `other` has three records; its third (validly signed) is dropped into `m` as m's third.
    for (i, weights) in [b"o1", b"o2", b"o3"].iter().enumerate() {
        let files = env.files(&format!("other{i}"), &[("model.onnx", *weights)]);
        env.register(&clone, "other", &files, &[]).success();
    }
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();
    std::fs::copy(record(&clone, "other", 3), record(&clone, "m", 3)).unwrap();
    std::fs::copy(signature(&clone, "other", 3, ALICE), signature(&clone, "m", 3, ALICE)).unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[chain]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[chain]: record belongs to model `other`, not `m` (copied from another model?)
    remote:   hint: records are append-only: restore the original files from git history
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[chain]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[chain]");
}

#[test]
fn a_signature_over_other_bytes_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // A new record whose signature file is alice's real signature of record 2.
    uncommitted_record(&env, &clone);
    std::fs::copy(signature(&clone, "m", 2, ALICE), signature(&clone, "m", 3, ALICE)).unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[signature]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[signature]: no valid signature by a `publisher` key
    remote:   hint: records are signed when written; a record without one was not made by modelreg
    remote: models/m/records/000003-register.toml.f43fd158e0f275c5.sig: error[signature]: signature does not match the file's bytes (file edited?)
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[signature]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[signature]");
}

#[test]
fn a_signature_by_an_untrusted_key_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // bob is not in trust: his valid SSHSIG signature, filed under alice's key id.
    let new = uncommitted_record(&env, &clone);
    std::fs::write(signature(&clone, "m", 3, ALICE), env.ssh_sign("bob", &new)).unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[signature]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[signature]: no valid signature by a `publisher` key
    remote:   hint: records are signed when written; a record without one was not made by modelreg
    remote: models/m/records/000003-register.toml.f43fd158e0f275c5.sig: error[signature]: signed by key 7912eaa3793eb920 which is not in the trust file
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[signature]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[signature]");
}

/// alice (admin) grants bob `approver:production` and pushes it: the server accepts an admin's
/// `key add`. (Setup pushes skip the client hook; `legitimate_pushes_*` runs it on good pushes.)
fn grant_bob_approver(env: &TestEnv, remote: &Path, clone: &Path) {
    let bob_pub = env.key("bob").with_extension("pub");
    let alice = env.key("alice");
    let args = [
        "key",
        "add",
        bob_pub.to_str().unwrap(),
        "--owner",
        "bob@example.com",
        "--role",
        "approver:production",
        "--key",
        alice.to_str().unwrap(),
    ];
    env.modelreg(clone, &args).success();
    env.push(clone, &["-q", "--no-verify", "origin", "main"]).success();
    assert_eq!(env.rev(remote, "main"), env.rev(clone, "HEAD"), "an admin's key add is accepted");
}

#[test]
fn a_record_signed_by_a_key_without_the_role_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    grant_bob_approver(&env, &remote, &clone);
    // bob, who may only approve, registers by hand: alice's signature removed, bob's added.
    let new = uncommitted_record(&env, &clone);
    replace(&new, &format!("signer = \"{ALICE}\""), &format!("signer = \"{BOB}\""));
    std::fs::remove_file(signature(&clone, "m", 3, ALICE)).unwrap();
    std::fs::write(signature(&clone, "m", 3, BOB), env.ssh_sign("bob", &new)).unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[signature]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[signature]: no valid signature by a `publisher` key
    remote:   hint: records are signed when written; a record without one was not made by modelreg
    remote: models/m/records/000003-register.toml.7912eaa3793eb920.sig: error[signature]: signed by 7912eaa3793eb920 (bob@example.com) which does not hold the `publisher` role
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[signature]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[signature]");
}

#[test]
fn self_granted_admin_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    grant_bob_approver(&env, &remote, &clone);
    // bob makes himself admin and signs the new trust file with his own key only.
    let trust = clone.join(".modelreg/trust.toml");
    replace(&trust, "roles = [\"approver:production\"]", "roles = [\"admin\", \"approver:production\"]");
    std::fs::remove_file(clone.join(format!(".modelreg/trust.toml.{ALICE}.sig"))).unwrap();
    std::fs::write(clone.join(format!(".modelreg/trust.toml.{BOB}.sig")), env.ssh_sign("bob", &trust)).unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[trust]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: .modelreg/trust.toml: error[trust]: signed by 0 of the 1 admin key(s) required
    remote:   hint: trust and configuration change only through modelreg commands run by admins; restore it from git
    remote: .modelreg/trust.toml.7912eaa3793eb920.sig: error[signature]: signed by 7912eaa3793eb920 (bob@example.com) which does not hold the `admin` role
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    // Judged by its own (new) trust the tree is consistent: only the old trust refuses it.
    env.modelreg(&clone, &["check", "--skip-artifacts"]).success();
    refused_by_pre_commit(&env, &clone, "error[trust]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[trust]");
}

#[test]
fn a_gap_in_the_chain_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // The next record, renumbered to seq 4 and re-signed: only the chain rule fails.
    let new = uncommitted_record(&env, &clone);
    replace(&new, "seq = 3", "seq = 4");
    let renamed = record(&clone, "m", 4);
    std::fs::rename(&new, &renamed).unwrap();
    std::fs::remove_file(signature(&clone, "m", 3, ALICE)).unwrap();
    std::fs::write(signature(&clone, "m", 4, ALICE), env.ssh_sign("alice", &renamed)).unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[chain]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000004-register.toml: error[chain]: expected seq 3 next, found seq 4 (a record is missing or out of order)
    remote:   hint: records are append-only: restore the original files from git history
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[chain]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[chain]");
}

#[test]
fn an_untrusted_co_signature_on_a_committed_record_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // Adding a signature file to an existing record is allowed only if it verifies by a trusted key.
    let sig = env.ssh_sign("bob", &record(&clone, "m", 2));
    std::fs::write(signature(&clone, "m", 2, BOB), sig).unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[signature]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000002-register.toml.7912eaa3793eb920.sig: error[signature]: signed by key 7912eaa3793eb920 which is not in the trust file
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[signature]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[signature]");
}

#[test]
fn a_signature_by_an_expired_key_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // bob may publish until a week after NOW; he registers at NOW, but the push arrives after that.
    let bob_pub = env.key("bob").with_extension("pub");
    let (alice_key, bob_key) = (env.key("alice"), env.key("bob"));
    let key_add = ["key", "add", bob_pub.to_str().unwrap(), "--owner", "bob@example.com", "--role", "publisher"];
    let until = ["--expires", "2026-11-29T00:00:00Z", "--key", alice_key.to_str().unwrap()];
    env.modelreg(&clone, &[&key_add[..], &until[..]].concat()).success();
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.modelreg(&clone, &["register", "m", v3.to_str().unwrap(), "--key", bob_key.to_str().unwrap()]).success();

    let later = [("MODELREG_TIMESTAMP", "2026-12-01T00:00:00Z")];
    let before = env.rev(&remote, "main");
    let run = env.push_with(&clone, &["--no-verify", "origin", "main"], &later).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[signature]: signed by 7912eaa3793eb920 which expired at 2026-11-29T00:00:00Z
    remote: models/m/records/000003-register.toml: error[signature]: no valid signature by a `publisher` key
    remote:   hint: records are signed when written; a record without one was not made by modelreg
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    assert_eq!(env.rev(&remote, "main"), before, "the remote is unchanged");
    // The same push before the expiry is accepted: time alone decided.
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();
    assert_eq!(env.rev(&remote, "main"), env.rev(&clone, "HEAD"));
}

#[test]
fn a_configuration_change_without_an_admin_signature_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // The store moved by hand; alice's signature on the old bytes is left in place.
    replace(&clone.join("modelreg.toml"), "path = \".modelreg/objects\"", "path = \"/tmp/elsewhere\"");
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[trust]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: modelreg.toml: error[trust]: signed by 0 of the 1 admin key(s) required
    remote:   hint: trust and configuration change only through modelreg commands run by admins; restore it from git
    remote: modelreg.toml.f43fd158e0f275c5.sig: error[signature]: signature does not match the file's bytes (file edited?)
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[trust]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[trust]");
}

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
fn a_stray_file_in_a_model_directory_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    std::fs::write(clone.join("models/m/notes.txt"), "not a record").unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[layout]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/notes.txt: error[layout]: not part of the registry layout
    remote:   hint: a model directory holds records/, README.md and card.toml
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[layout]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[layout]");
}

#[test]
fn a_stray_file_in_a_records_directory_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    std::fs::write(clone.join("models/m/records/notes.txt"), "not a record").unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[layout]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/notes.txt: error[layout]: not a record or signature file
    remote:   hint: records are NNNNNN-<kind>.toml, signatures <record>.<keyid>.sig; move anything else out of models/
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[layout]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[layout]");
}

#[test]
fn a_stray_file_directly_under_models_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    std::fs::write(clone.join("models/notes.txt"), "not a model").unwrap();
    // The full check of the working tree sees it.
    env.modelreg(&clone, &["check", "--skip-artifacts"]).failure(1);
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[layout]");
    assert!(run.stderr.contains("remote: models/notes.txt: error[layout]"), "{}", run.snapshot());
    refused_by_pre_commit(&env, &clone, "error[layout]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[layout]");
}

#[cfg(unix)]
#[test]
fn a_symlinked_record_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // Record 3 as a link to record 2, with record 2's signature: the bytes behind it verify.
    std::os::unix::fs::symlink("000002-register.toml", record(&clone, "m", 3)).unwrap();
    std::fs::copy(signature(&clone, "m", 2, ALICE), signature(&clone, "m", 3, ALICE)).unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[layout]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[layout]: not a regular file
    remote:   hint: symbolic links, directories and submodules are not allowed in records/
    remote: models/m/records/000003-register.toml: error[layout]: not a record or signature file
    remote:   hint: records are NNNNNN-<kind>.toml, signatures <record>.<keyid>.sig; move anything else out of models/
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[layout]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[layout]");
}

#[cfg(unix)]
#[test]
fn a_symlink_in_place_of_a_model_directory_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    std::os::unix::fs::symlink("m", clone.join("models/alias")).unwrap();
    // The full check of the working tree sees it.
    env.modelreg(&clone, &["check", "--skip-artifacts"]).failure(1);
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[layout]");
    assert!(run.stderr.contains("remote: models/alias: error[layout]"), "{}", run.snapshot());
    refused_by_pre_commit(&env, &clone, "error[layout]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[layout]");
}

#[cfg(unix)]
#[test]
fn a_symlinked_model_card_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // README.md is a card name, but the card must be a regular file.
    std::os::unix::fs::symlink("../../modelreg.toml", clone.join("models/m/README.md")).unwrap();
    // The full check of the working tree sees it.
    env.modelreg(&clone, &["check", "--skip-artifacts"]).failure(1);
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[layout]");
    assert!(run.stderr.contains("remote: models/m/README.md: error[layout]"), "{}", run.snapshot());
    refused_by_pre_commit(&env, &clone, "error[layout]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[layout]");
}

#[test]
fn an_oversized_record_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // A valid next record padded past 1 MiB with a TOML comment, and signed.
    let new = uncommitted_record(&env, &clone);
    let mut bytes = std::fs::read(&new).unwrap();
    bytes.extend_from_slice(b"# ");
    bytes.extend(std::iter::repeat_n(b'x', 1 << 20));
    bytes.push(b'\n');
    std::fs::write(&new, bytes).unwrap();
    std::fs::write(signature(&clone, "m", 3, ALICE), env.ssh_sign("alice", &new)).unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[schema]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[schema]: file is 1049101 bytes, over the 1048576-byte limit
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[schema]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[schema]");
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
fn client_hooks_refuse_a_hand_edited_record_and_check_reports_it() {
    let env = TestEnv::new();
    let (remote, _) = served_registry(&env);
    let clone = env.clone_of(&remote, "carol");
    let run = env.modelreg(&clone, &["hooks", "install"]).success();
    let bin = env!("CARGO_BIN_EXE_modelreg");
    insta::assert_snapshot!(run.snapshot().replace(bin, "[BIN]"), @"
    ----- stderr -----
    installed [TEMP]/carol/.git/hooks/pre-commit
    installed [TEMP]/carol/.git/hooks/pre-push
    hooks run [BIN] (set MODELREG_BIN to use another binary)
    [exit status: 0]
    ");
    for hook in ["pre-commit", "pre-push"] {
        let text = std::fs::read_to_string(clone.join(".git/hooks").join(hook)).unwrap();
        assert!(text.contains(&format!("hook {hook}")), "{hook}:\n{text}");
        assert!(text.contains(bin), "{hook} runs this binary by absolute path:\n{text}");
    }

    // A hand edit, staged: the pre-commit hook refuses it, and check --staged says why.
    replace(&record(&clone, "m", 2), "auc = 0.93", "auc = 0.99");
    env.git(&clone, &["add", "-A"]);
    let run = env.git_run(&clone, &["commit", "-q", "-m", "better auc"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    models/m/records/000002-register.toml: error[append-only]: a committed record or signature was modified
      hint: records are never edited: add a new record instead (e.g. a new version)
    modelreg: commit refused (1 problem(s))
    [exit status: 1]
    ");
    let run = env.modelreg(&clone, &["check", "--staged"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/000002-register.toml: error[append-only]: a committed record or signature was modified
      hint: records are never edited: add a new record instead (e.g. a new version)
    ----- stderr -----
    checked staged change: 0 model(s), 0 record(s), 0 signature(s): 1 problem(s)
    [exit status: 1]
    ");
    let run = env.modelreg(&clone, &["check", "--staged", "--json"]).failure(1);
    assert_json_problem(&run, "models/m/records/000002-register.toml", "append-only");

    // Committed anyway: check --range over what would be pushed reports the same.
    env.commit_no_verify(&clone, "better auc");
    let run = env.modelreg(&clone, &["check", "--range", "origin/main..HEAD"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/000002-register.toml: error[append-only]: a committed record or signature was modified
      hint: records are never edited: add a new record instead (e.g. a new version)
    ----- stderr -----
    checked change origin/main..HEAD: 0 model(s), 0 record(s), 0 signature(s): 1 problem(s)
    [exit status: 1]
    ");
    let run = env.modelreg(&clone, &["check", "--range", "origin/main..HEAD", "--json"]).failure(1);
    assert_json_problem(&run, "models/m/records/000002-register.toml", "append-only");
    refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[append-only]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[append-only]");
}

#[track_caller]
fn assert_json_problem(run: &Run, path: &str, rule: &str) {
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", run.stdout));
    assert_eq!(json["schema_version"], 1, "{json}");
    let problems = json["problems"].as_array().expect("problems[]");
    assert_eq!(problems.len(), 1, "{json}");
    assert_eq!(problems[0]["path"], path, "{json}");
    assert_eq!(problems[0]["rule"], rule, "{json}");
    assert_eq!(problems[0]["severity"], "error", "{json}");
}

#[test]
fn check_range_passes_a_clean_range_and_refuses_a_bad_one() {
    let env = TestEnv::new();
    let (_, clone) = served_registry(&env);
    let run = env.modelreg(&clone, &["check", "--range", "origin/main..HEAD"]).success();
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    checked change origin/main..HEAD: 0 model(s), 0 record(s), 0 signature(s): ok
    [exit status: 0]
    ");
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.register(&clone, "m", &v3, &[]).success();
    let run = env.modelreg(&clone, &["check", "--range", "origin/main..HEAD"]).success();
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    checked change origin/main..HEAD: 1 model(s), 1 record(s), 1 signature(s): ok
    [exit status: 0]
    ");
    let run = env.modelreg(&clone, &["check", "--range", "HEAD~3..", "--json"]).success();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["problems"], serde_json::json!([]));

    let run = env.modelreg(&clone, &["check", "--range", "origin/main"]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: `origin/main` is not a range
    hint: write it as OLD..NEW, e.g. origin/main..HEAD
    [exit status: 2]
    ");
    let run = env.modelreg(&clone, &["check", "--range", "no-such-branch..HEAD"]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: `no-such-branch` does not name a commit: revspec 'no-such-branch' not found
    hint: pass a commit, branch or tag that exists (e.g. HEAD)
    [exit status: 2]
    ");
}
