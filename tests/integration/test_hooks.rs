//! The registry's rules enforced by git itself: a real bare remote with the server `pre-receive` hook,
//! clones with the client `pre-commit` and `pre-push` hooks, and pushes over the local filesystem.
//!
//! Each violation is made the way someone bypassing modelreg would make it: files edited by hand and
//! committed with `git commit --no-verify`. Pushed with `--no-verify` too, the server must refuse it
//! with the rule's message and leave the remote's `main` where it was; then the client hooks must
//! refuse the same commit (`pre-commit`) and the same push (`pre-push`).
//!
//! This file holds the shared setup and the three refusal checks; the tests are grouped by rule in
//! the submodules.

mod branches;
mod client;
mod layout;
mod protected;
mod records;
mod signatures;

use std::path::{Path, PathBuf};

use crate::common::{Run, TestEnv};

/// Key ids of the fixture keys (first 8 bytes of the SHA-256 fingerprint).
pub(crate) const ALICE: &str = "f43fd158e0f275c5";
pub(crate) const BOB: &str = "7912eaa3793eb920";
pub(crate) const CAROL: &str = "f654eb71a62f45ef";

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

/// Appends `line` and a newline to the file at `path`.
fn append_line(path: &Path, line: &[u8]) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes.extend_from_slice(line);
    bytes.push(b'\n');
    std::fs::write(path, bytes).unwrap();
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
    let message = env.git(clone, &["log", "-1", "--format=%s"]);
    let message = message.trim();
    env.git(clone, &["reset", "-q", "--soft", "HEAD~1"]);
    let run = env.git_run(clone, &["commit", "-q", "-m", message]).failure(1);
    assert!(run.stderr.contains(rule), "pre-commit should report {rule}:\n{}", run.snapshot());
    assert!(run.stderr.contains("modelreg: commit refused"), "{}", run.snapshot());
    env.commit_no_verify(clone, message);
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
pub(crate) fn refused_by_server(env: &TestEnv, remote: &Path, clone: &Path, args: &[&str], rule: &str) -> Run {
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

/// Commits the clone's working tree as someone bypassing modelreg would (`--no-verify`), then pushes
/// `main` with `--no-verify`: the server must refuse it for `rule` (see [`refused_by_server`]).
#[track_caller]
pub(crate) fn committed_by_hand_refused_by_server(env: &TestEnv, remote: &Path, clone: &Path, rule: &str) -> Run {
    env.commit_no_verify(clone, "by hand");
    refused_by_server(env, remote, clone, &["origin", "main"], rule)
}

/// The same commit refused by both client hooks for `rule`: by `pre-commit` when committed again, and
/// by `pre-push` when `main` is pushed.
#[track_caller]
fn refused_by_client_hooks(env: &TestEnv, remote: &Path, clone: &Path, rule: &str) {
    refused_by_pre_commit(env, clone, rule);
    refused_by_pre_push(env, remote, clone, &["origin", "main"], rule);
}

/// Signs the file at `path` with alice's key, next to it as `<path>.<alice's key id>.sig`.
fn sign_as_alice(env: &TestEnv, path: &Path) {
    let mut sig = path.as_os_str().to_owned();
    sig.push(format!(".{ALICE}.sig"));
    std::fs::write(PathBuf::from(sig), env.ssh_sign("alice", path)).unwrap();
}
