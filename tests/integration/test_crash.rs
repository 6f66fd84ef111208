//! Crash safety (issue 2): killing `register` at any point leaves the repository and the store valid.
//! `check` passes (at worst with warnings about leftovers) and the next `register` succeeds.
//!
//! Each write point is simulated by leaving exactly what an interruption there leaves behind, and a
//! real `register` of a large file is killed with SIGKILL at several moments.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use crate::common::{TestEnv, set_mode};
use crate::test_bad_input::{record, signature};

#[test]
fn leftovers_of_interrupted_writes_keep_the_registry_valid() {
    let env = TestEnv::new();
    let registry = env.registry();
    let v1 = env.files("v1", &[("w.bin", b"weights 1")]);
    env.register(&registry, "m", &v1, &[]).success();

    // Killed while writing the record: its temp file, beside where it was going.
    let records = registry.join("models/m/records");
    std::fs::write(records.join(".modelreg-tmp-Ab3dEf"), "schema = \"modelreg/register/v1\"\nmodel = \"m\"\nse")
        .unwrap();
    // Killed after the signature, before the record: an orphaned signature (for m, and for a new model).
    std::fs::copy(signature(&registry, "m", 1), signature(&registry, "m", 2)).unwrap();
    std::fs::create_dir_all(registry.join("models/n/records")).unwrap();
    std::fs::copy(signature(&registry, "m", 1), signature(&registry, "n", 1)).unwrap();
    // Killed after storing, before the record: an object nothing references, and a partial copy.
    let store = registry.join(".modelreg/objects");
    let orphan = blake3::hash(b"stored, never registered").to_hex().to_string();
    std::fs::create_dir_all(store.join(&orphan[..2])).unwrap();
    std::fs::write(store.join(&orphan[..2]).join(&orphan[2..]), b"stored, never registered").unwrap();
    set_mode(&store.join(&orphan[..2]).join(&orphan[2..]), 0o444);
    std::fs::create_dir_all(store.join("tmp")).unwrap();
    std::fs::write(store.join("tmp/.tmpXy12Zw"), b"partial co").unwrap();

    let run = env.modelreg(&registry, &["check"]).success();
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/.modelreg-tmp-Ab3dEf: warning[layout]: temp file of an interrupted write
      hint: delete it
    models/m/records/000002-register.toml.f43fd158e0f275c5.sig: warning[layout]: signature for a record that does not exist
      hint: left by an interrupted write; delete it
    models/n/records/000001-register.toml.f43fd158e0f275c5.sig: warning[layout]: signature for a record that does not exist
      hint: left by an interrupted write; delete it
    ----- stderr -----
    checked 2 model(s), 1 record(s), 1 signature(s); 1 artifact(s) verified, 0 not in the local store: ok
    [exit status: 0]
    ");
    env.modelreg(&registry, &["list"]).success();
    env.modelreg(&registry, &["show", "m"]).success();

    let v2 = env.files("v2", &[("w.bin", b"weights 2")]);
    env.register(&registry, "m", &v2, &[]).success();
    env.register(&registry, "n", &v2, &[]).success();
    let run = env.modelreg(&registry, &["check"]).success();
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/.modelreg-tmp-Ab3dEf: warning[layout]: temp file of an interrupted write
      hint: delete it
    ----- stderr -----
    checked 2 model(s), 3 record(s), 3 signature(s); 2 artifact(s) verified, 0 not in the local store: ok
    [exit status: 0]
    ");
    assert!(record(&registry, "m", 2).is_file() && record(&registry, "n", 1).is_file());
}

/// A register interrupted after its signature was written, by another key than the next register's:
/// the stale signature must not make the next (valid) record fail `check`.
#[test]
fn an_orphaned_signature_by_another_key_does_not_poison_the_next_record() {
    let env = TestEnv::new();
    let registry = env.registry();
    let bob_pub = env.key("bob").with_extension("pub");
    let alice = env.key("alice");
    env.modelreg(
        &registry,
        &[
            "key",
            "add",
            bob_pub.to_str().unwrap(),
            "--owner",
            "bob@example.com",
            "--role",
            "publisher",
            "--key",
            alice.to_str().unwrap(),
        ],
    )
    .success();
    let v1 = env.files("v1", &[("w.bin", b"weights 1")]);
    env.register(&registry, "m", &v1, &[]).success();
    // What bob's interrupted `register m` left: his signature over a record that was never written.
    let bob_record = env.files("bob-record", &[("r.toml", b"schema = \"modelreg/register/v1\"\n")]).join("r.toml");
    let bob_sig = env.ssh_sign("bob", &bob_record);
    let keys = env.modelreg(&registry, &["key", "list", "--json"]).success();
    let keys: serde_json::Value = serde_json::from_str(&keys.stdout).unwrap();
    let bob_id = keys["keys"].as_array().unwrap().iter().find(|k| k["owner"] == "bob@example.com").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    std::fs::write(registry.join(format!("models/m/records/000002-register.toml.{bob_id}.sig")), bob_sig).unwrap();
    env.modelreg(&registry, &["check"]).success();

    let v2 = env.files("v2", &[("w.bin", b"weights 2")]);
    env.register(&registry, "m", &v2, &[]).success();
    let run = env.modelreg(&registry, &["check"]);
    assert_eq!(run.code, 0, "a valid register after an interrupted one fails check:\n{}", run.snapshot());
}

/// A record written but not committed (what a kill between the two leaves; `--no-commit` leaves the
/// same state on purpose): the next register's commit must not reference a record that is not in it.
#[test]
fn a_record_left_uncommitted_does_not_leave_a_gap_in_the_next_commit() {
    let env = TestEnv::new();
    let registry = env.registry();
    let base = env.rev(&registry, "HEAD");
    let v1 = env.files("v1", &[("w.bin", b"weights 1")]);
    env.register(&registry, "m", &v1, &["--no-commit"]).success();
    let v2 = env.files("v2", &[("w.bin", b"weights 2")]);
    let run = env.register(&registry, "m", &v2, &[]);
    if run.code == 0 {
        // Whatever was committed must be valid on its own: that is what a push sends.
        let run = env.modelreg(&registry, &["check", "--range", &format!("{base}..HEAD")]);
        assert_eq!(run.code, 0, "the commit references an uncommitted record:\n{}", run.snapshot());
    } else {
        crate::test_bad_input::assert_refused(&run);
    }
    env.modelreg(&registry, &["check"]).success();
}

/// `modelreg register ARGS` in `dir` as a child process, hermetic like the harness's runs (stderr
/// piped, so a caller may read it with `wait_with_output`).
pub(crate) fn spawn_register(env: &TestEnv, dir: &Path, args: &[&str]) -> std::process::Child {
    let args: Vec<&str> = std::iter::once("register").chain(args.iter().copied()).collect();
    env.command(dir, &args, &[]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("spawn modelreg")
}

/// A 200 MiB file, mostly holes, made distinct by `tag` (written at several offsets).
fn large_file(path: &Path, tag: u32) {
    let mut file = std::fs::File::create(path).unwrap();
    file.set_len(200 << 20).unwrap();
    for offset in (0..200u64 << 20).step_by(16 << 20) {
        file.seek(SeekFrom::Start(offset)).unwrap();
        file.write_all(format!("attempt {tag} at {offset}").as_bytes()).unwrap();
    }
    file.sync_all().unwrap();
}

#[test]
fn killing_register_at_any_moment_leaves_a_valid_registry() {
    let env = TestEnv::new();
    let registry = env.registry();
    let alice = env.key("alice");
    let dir = env.path().join("large");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("model.bin");
    let args = ["m", dir.to_str().unwrap(), "--key", alice.to_str().unwrap(), "--allow-same"];

    // One uninterrupted run measures how long a register takes on this machine, so the kills below
    // land across all of it (hashing, storing, writing the record, committing) however fast it is.
    large_file(&file, 0);
    let started = Instant::now();
    let status = spawn_register(&env, &registry, &args).wait().unwrap();
    assert!(status.success(), "{status}");
    let full = started.elapsed();

    let base = env.rev(&registry, "HEAD");
    for (attempt, percent) in [0u32, 2, 5, 10, 20, 35, 50, 65, 80, 90, 95, 100].into_iter().enumerate() {
        large_file(&file, attempt as u32 + 1);
        let delay = full * percent / 100;
        let mut child = spawn_register(&env, &registry, &args);
        // The delay only picks the moment of the kill; no assertion depends on where it lands.
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().unwrap();
        let moment = format!("killed after {delay:?} of {full:?} ({status})");

        let run = env.modelreg(&registry, &["check"]);
        assert_eq!(run.code, 0, "{moment}: check fails:\n{}", run.snapshot());
        let run = env.register(&registry, "m", &dir, &["--allow-same"]);
        assert_eq!(run.code, 0, "{moment}: the retry fails:\n{}", run.snapshot());
        let run = env.modelreg(&registry, &["check"]);
        assert_eq!(run.code, 0, "{moment}: check after the retry:\n{}", run.snapshot());
        // The index agrees with what was committed: the user's next commit deletes nothing.
        let status = env.git(&registry, &["status", "--porcelain"]);
        assert!(!status.lines().any(|l| l.starts_with('D')), "{moment}: the index drops records:\n{status}");
    }
    // What was committed is valid on its own (what a push would send).
    let run = env.modelreg(&registry, &["check", "--range", &format!("{base}..HEAD")]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(record(&registry, "m", 13).is_file(), "every retry registered a version");
}

/// A git process killed mid-write leaves `.git/index.lock`. `register` must then either refuse
/// before committing, or commit and leave the index agreeing with the commit; never report an error
/// for a commit it made, with an index that would delete the records in the user's next commit.
#[test]
fn a_stale_git_index_lock_never_leaves_a_half_made_commit() {
    let env = TestEnv::new();
    let registry = env.registry();
    let head = env.rev(&registry, "HEAD");
    std::fs::write(registry.join(".git/index.lock"), b"").unwrap();
    let model = env.files("m", &[("w.bin", b"weights")]);
    let run = env.register(&registry, "m", &model, &[]);
    std::fs::remove_file(registry.join(".git/index.lock")).unwrap();

    let status = env.git(&registry, &["status", "--porcelain"]);
    assert!(
        !status.lines().any(|l| l.starts_with('D')),
        "the index drops committed records:\n{status}{}",
        run.snapshot()
    );
    if run.code == 0 {
        assert_eq!(status, "", "{}", run.snapshot());
    } else {
        assert_eq!(
            env.rev(&registry, "HEAD"),
            head,
            "a commit was made by a register that failed:\n{}",
            run.snapshot()
        );
        crate::test_bad_input::assert_refused(&run);
    }
    env.register(&registry, "m", &model, &[]).success();
    env.modelreg(&registry, &["check"]).success();
    assert_eq!(env.git(&registry, &["status", "--porcelain"]), "");
}

/// Registers racing in one clone: each either lands whole (record, signature, commit) or is
/// refused with nothing left behind; the registry stays valid and the working tree clean.
#[test]
fn concurrent_registers_in_one_clone_never_leave_half_a_registration() {
    let env = TestEnv::new();
    let registry = env.registry();
    let alice = env.key("alice");
    let dirs: Vec<_> =
        (0..6).map(|i| env.files(&format!("c{i}"), &[("w.bin", format!("weights {i}").as_bytes())])).collect();
    let children: Vec<_> = dirs
        .iter()
        .map(|dir| spawn_register(&env, &registry, &["m", dir.to_str().unwrap(), "--key", alice.to_str().unwrap()]))
        .collect();
    let succeeded = children.into_iter().map(|mut c| c.wait().unwrap()).filter(|s| s.success()).count();
    assert!(succeeded >= 1);
    env.modelreg(&registry, &["check"]).success();
    let status = env.git(&registry, &["status", "--porcelain"]);
    assert_eq!(status, "", "{succeeded} of 6 registers succeeded; left behind:\n{status}");
    let log = env.git(&registry, &["log", "--format=%s"]);
    assert_eq!(log.lines().filter(|l| l.starts_with("modelreg: register m v")).count(), succeeded, "{log}");
}

/// Atomic writes go through a temp file (created 0600); the renamed result must still have the
/// permissions any checked-out file has here, or another user (CI, a shared server) cannot read
/// the registry.
#[test]
fn atomically_written_files_keep_ordinary_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let registry = env.registry();
    let model = env.files("m", &[("w.bin", b"weights")]);
    env.register(&registry, "m", &model, &[]).success();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // What this process's umask gives a new file: the mode git gives a checked-out file.
    let ordinary = mode(&model.join("w.bin"));
    for written in [
        record(&registry, "m", 1),
        signature(&registry, "m", 1),
        registry.join("modelreg.toml"),
        registry.join(".modelreg/trust.toml"),
    ] {
        assert_eq!(mode(&written), ordinary, "{}: {:o}, expected {ordinary:o}", written.display(), mode(&written));
    }
}

#[test]
fn a_card_rewrite_interrupted_by_a_crash_leaves_only_a_warning() {
    let env = TestEnv::new();
    let remote = env.bare_remote("remote.git");
    let registry = env.registry();
    let v1 = env.files("v1", &[("w.bin", b"weights 1")]);
    env.register(&registry, "m", &v1, &[]).success();
    // Killed while rewriting the card: its temp file, beside README.md.
    std::fs::write(registry.join("models/m/.modelreg-tmp-Qr7sTu"), "# m\n\npartial car").unwrap();
    let run = env.modelreg(&registry, &["check"]).success();
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/.modelreg-tmp-Qr7sTu: warning[layout]: temp file of an interrupted write
      hint: delete it
    ----- stderr -----
    checked 1 model(s), 1 record(s), 1 signature(s); 1 artifact(s) verified, 0 not in the local store: ok
    [exit status: 0]
    ");
    env.register(&registry, "m", &env.files("v2", &[("w.bin", b"weights 2")]), &[]).success();
    env.git(&registry, &["remote", "add", "origin", remote.to_str().unwrap()]);
    env.push(&registry, &["-q", "origin", "main"]).success();

    // Committed, it is refused: modelreg never commits its temp files.
    env.commit_no_verify(&registry, "by hand");
    let run = env.push(&registry, &["--no-verify", "origin", "main"]).failure(1);
    assert!(
        run.stderr.contains(
            "remote: models/m/.modelreg-tmp-Qr7sTu: error[layout]: temp file of an interrupted write, committed"
        ),
        "{}",
        run.snapshot()
    );
}

/// A register killed while git's own locks were held (its marker still there) leaves `index.lock`
/// and the branch's lock behind: the next register clears exactly those and succeeds, where git
/// would refuse until someone deleted them by hand. Without the marker a lock is never touched.
#[test]
fn git_locks_left_by_a_killed_modelreg_commit_do_not_block_the_retry() {
    let env = TestEnv::new();
    let registry = env.registry();
    let git_dir = registry.join(".git");
    std::fs::write(git_dir.join("modelreg-committing"), b"refs/heads/main").unwrap();
    std::fs::write(git_dir.join("index.lock"), b"").unwrap();
    std::fs::write(git_dir.join("refs/heads/main.lock"), b"").unwrap();
    let model = env.files("m", &[("w.bin", b"weights")]);
    env.register(&registry, "m", &model, &[]).success();
    assert!(!git_dir.join("index.lock").exists() && !git_dir.join("refs/heads/main.lock").exists());
    assert!(!git_dir.join("modelreg-committing").exists());
    assert_eq!(env.git(&registry, &["status", "--porcelain"]), "");
    env.modelreg(&registry, &["check"]).success();
}
