//! Bad input (issue 2): every refusal is one `error:` line and a `hint:` line on stderr, exit 2, and
//! leaves the repository and the store exactly as they were. Broken records are refused by the
//! commands that read them and listed, one line per problem, by `check` (exit 1).

use std::path::{Path, PathBuf};

use crate::common::{Run, TestEnv, set_mode, tree_state};

/// Alice's key id: the fixture key that `TestEnv::registry` makes the first admin.
pub(crate) const ALICE: &str = "f43fd158e0f275c5";

/// The bad-input contract: exit 2, a one-line `error:` first, a `hint:` line right after it.
#[track_caller]
pub(crate) fn assert_refused(run: &Run) {
    assert_eq!(run.code, 2, "expected a refusal:\n{}", run.snapshot());
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(lines.first().is_some_and(|l| l.starts_with("error: ")), "no `error:` line:\n{}", run.snapshot());
    assert!(
        lines.get(1).is_some_and(|l| l.starts_with("hint: ")),
        "no `hint:` line after the error:\n{}",
        run.snapshot()
    );
}

/// Fails naming the files that differ between two [`tree_state`]s (the bytes would bury them).
#[track_caller]
pub(crate) fn assert_unchanged(before: &[(String, Vec<u8>)], after: &[(String, Vec<u8>)], context: &str) {
    let paths = |state: &[(String, Vec<u8>)]| state.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    let mut changed: Vec<String> = Vec::new();
    for (path, bytes) in after {
        match before.iter().find(|(p, _)| p == path) {
            None => changed.push(format!("added {path}")),
            Some((_, old)) if old != bytes => changed.push(format!("changed {path}")),
            Some(_) => {}
        }
    }
    let after_paths = paths(after);
    changed.extend(paths(before).into_iter().filter(|p| !after_paths.contains(p)).map(|p| format!("removed {p}")));
    assert!(changed.is_empty(), "{context}: {changed:#?}");
}

/// `models/<model>/records/<seq>-register.toml`.
pub(crate) fn record(registry: &Path, model: &str, seq: u64) -> PathBuf {
    registry.join(format!("models/{model}/records/{seq:06}-register.toml"))
}

/// The signature alice wrote beside a record.
pub(crate) fn signature(registry: &Path, model: &str, seq: u64) -> PathBuf {
    registry.join(format!("models/{model}/records/{seq:06}-register.toml.{ALICE}.sig"))
}

/// A registry with `model` at v1..=versions, each registered by alice from different bytes.
fn registry_with(env: &TestEnv, model: &str, versions: u32) -> PathBuf {
    let registry = env.registry();
    for v in 1..=versions {
        let dir = env.files(&format!("{model}-v{v}"), &[("w.bin", format!("weights {v}").as_bytes())]);
        env.register(&registry, model, &dir, &["--metric", "auc=0.5"]).success();
    }
    registry
}

/// Runs show, show @1, get and register on `model`; each must refuse without writing, naming `needle`.
#[track_caller]
fn every_command_refuses(env: &TestEnv, registry: &Path, model: &str, needle: &str) {
    let before = tree_state(registry);
    let out = env.path().join("refused-out");
    let next = env.files("refused-next", &[("w.bin", b"brand new")]);
    let show_one = format!("{model}@1");
    let commands: [Vec<&str>; 4] = [
        vec!["show", model],
        vec!["show", &show_one],
        vec!["get", &show_one, "-o", out.to_str().unwrap()],
        vec!["register", model, next.to_str().unwrap()],
    ];
    let alice = env.key("alice");
    for args in commands {
        let run = env.modelreg(registry, &[&args[..], &["--key", alice.to_str().unwrap()]].concat());
        let context = format!("`modelreg {}`:\n{}", args.join(" "), run.snapshot());
        assert!(run.stderr.contains(needle), "`{needle}` not named by {context}");
        assert_unchanged(&before, &tree_state(registry), &format!("refused, yet wrote: {context}"));
        assert!(!out.exists(), "get wrote its destination: {context}");
        assert_refused(&run);
    }
}

#[test]
fn model_names_outside_the_pattern_are_refused_by_register_show_and_get() {
    let env = TestEnv::new();
    let registry = env.registry();
    let model = env.files("m", &[("w.bin", b"w")]);
    let before = tree_state(&registry);
    let run = env.register(&registry, "../evil", &model, &[]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: invalid value '../evil' for '<NAME>': invalid model name `../evil`: use 1-64 characters from a-z, 0-9, `.`, `_`, `-`, starting with a letter or digit, without `..`, a trailing `.` or a Windows device name (con, nul, com1…)
    hint: model names look like `fraud-detector` or `resnet50.v2` (a-z 0-9 . _ -, no `..`); versions like NAME@3
    [exit status: 2]
    ");
    let long = "a".repeat(65);
    let mut runs = Vec::new();
    for name in ["../evil", "Fraud", "a..b", long.as_str(), ".a", "_a", "a/b", ""] {
        let out = env.path().join("out");
        for run in [
            env.register(&registry, name, &model, &[]),
            env.modelreg(&registry, &["show", name]),
            env.modelreg(&registry, &["get", &format!("{name}@1"), "-o", out.to_str().unwrap()]),
        ] {
            assert_eq!(run.code, 2, "{name}:\n{}", run.snapshot());
            assert!(run.stderr.contains("invalid model name"), "{name}:\n{}", run.snapshot());
            assert_unchanged(&before, &tree_state(&registry), name);
            assert!(!out.exists() && !env.path().join("evil").exists());
            runs.push(run);
        }
    }
    runs.iter().for_each(assert_refused);
    // 64 characters is the limit, not one less.
    env.register(&registry, &"a".repeat(64), &model, &[]).success();
}

#[test]
fn register_paths_must_exist_hold_files_and_not_link_outside() {
    let env = TestEnv::new();
    let registry = env.registry();
    let before = tree_state(&registry);

    let missing = env.path().join("no-such-dir");
    let run = env.register(&registry, "m", &missing, &[]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: [TEMP]/no-such-dir does not exist
    hint: check the path; PATH may be files or directories
    [exit status: 2]
    ");
    assert_refused(&run);
    assert_unchanged(&before, &tree_state(&registry), "nothing written");

    let secret = env.files("outside", &[("secret.txt", b"do not publish")]).join("secret.txt");
    let model = env.files("escaping", &[("w.bin", b"weights")]);
    std::os::unix::fs::symlink(&secret, model.join("leak.txt")).unwrap();
    let run = env.register(&registry, "m", &model, &[]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: [TEMP]/escaping/leak.txt is a symbolic link to [TEMP]/outside/secret.txt, outside [TEMP]/escaping
    hint: copy the file into the model directory instead of linking outside it
    [exit status: 2]
    ");
    assert_refused(&run);
    assert_unchanged(&before, &tree_state(&registry), "nothing stored, not even w.bin");

    let empty = env.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let run = env.register(&registry, "m", &empty, &[]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: [TEMP]/empty contains no files
    hint: a model is a set of files; point at a directory that contains them
    [exit status: 2]
    ");
    assert_refused(&run);
    assert_unchanged(&before, &tree_state(&registry), "nothing written");

    // A link that stays inside the directory is an ordinary file of the model.
    let inside = env.files("inside", &[("w.bin", b"weights"), ("sub/config.json", b"{}")]);
    std::os::unix::fs::symlink("sub/config.json", inside.join("config.json")).unwrap();
    env.register(&registry, "m", &inside, &[]).success();
    let run = env.modelreg(&registry, &["show", "m@1", "--json"]).success();
    let shown: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let paths: Vec<&str> = shown["artifacts"].as_array().unwrap().iter().map(|a| a["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["config.json", "sub/config.json", "w.bin"]);
}

#[test]
fn explicit_versions_must_exceed_every_existing_version() {
    let env = TestEnv::new();
    let registry = env.registry();
    let v = |n: u32| env.files(&format!("v{n}"), &[("w.bin", format!("weights {n}").as_bytes())]);
    env.register(&registry, "m", &v(1), &[]).success();
    env.register(&registry, "m", &v(2), &["--version", "5"]).success();

    let before = tree_state(&registry);
    let run = env.register(&registry, "m", &v(3), &["--version", "5"]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: version 5 is not greater than the latest version 5
    hint: omit --version to register v6
    [exit status: 2]
    ");
    assert_refused(&run);
    let run = env.register(&registry, "m", &v(3), &["--version", "3"]);
    assert!(run.stderr.contains("version 3 is not greater than the latest version 5"), "{}", run.snapshot());
    assert_refused(&run);
    assert_unchanged(&before, &tree_state(&registry), "nothing written");

    let run = env.register(&registry, "m", &v(3), &[]).success();
    assert!(run.stderr.starts_with("registered m v6 (seq 3)\n"), "{}", run.stderr);
}

#[test]
fn metrics_must_be_finite_numbers_and_tags_key_value_pairs() {
    let env = TestEnv::new();
    let registry = env.registry();
    let model = env.files("m", &[("w.bin", b"w")]);
    let before = tree_state(&registry);
    let run = env.register(&registry, "m", &model, &["--metric", "auc=high"]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: invalid value 'auc=high' for '--metric <KEY=NUMBER>': `high` is not a number
    hint: metrics are KEY=NUMBER with a finite number, e.g. --metric auc=0.94
    [exit status: 2]
    ");
    let mut runs = Vec::new();
    for args in [["--metric", "auc=high"], ["--metric", "auc=nan"], ["--metric", "auc=inf"], ["--tag", "novalue"]] {
        let run = env.register(&registry, "m", &model, &args);
        assert_eq!(run.code, 2, "{args:?}:\n{}", run.snapshot());
        assert!(run.stderr.starts_with("error: "), "{args:?}:\n{}", run.snapshot());
        assert_unchanged(&before, &tree_state(&registry), &format!("{args:?}"));
        runs.push(run);
    }
    runs.iter().for_each(assert_refused);
}

#[test]
fn a_record_with_a_syntax_error_is_refused_with_its_path_and_line() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 1);
    let path = record(&registry, "m", 1);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().nth(6), Some("version = 1"), "{text}");
    std::fs::write(&path, text.replace("version = 1", "version = = 1")).unwrap();

    let run = env.modelreg(&registry, &["show", "m"]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: models/m/records/000001-register.toml: line 7, column 11: extra `=`, expected nothing
    hint: `modelreg check` lists every problem; records are never edited by hand (restore with `git checkout`)
    [exit status: 2]
    ");
    every_command_refuses(&env, &registry, "m", "models/m/records/000001-register.toml: line 7");
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/000001-register.toml: error[schema]: line 7, column 11: extra `=`, expected nothing
      hint: records are never edited by hand; restore it with `git checkout -- <path>`
    ----- stderr -----
    checked 1 model(s), 0 record(s), 0 signature(s); 0 artifact(s) verified, 0 not in the local store: 1 problem(s)
    [exit status: 1]
    ");
}

#[test]
fn a_hand_edited_record_no_longer_matches_its_signature() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 2);
    let path = record(&registry, "m", 1);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("auc = 0.5", "auc = 0.99")).unwrap();

    let run = env.modelreg(&registry, &["show", "m"]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: models/m/records/000001-register.toml.f43fd158e0f275c5.sig: signature does not match the file's bytes (file edited?)
    hint: `modelreg check` lists every problem; records are never edited by hand (restore with `git checkout`)
    [exit status: 2]
    ");
    every_command_refuses(&env, &registry, "m", "models/m/records/000001-register.toml");
    // The signature no longer matches, and the next record's `previous` names the original bytes.
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/000001-register.toml: error[signature]: no valid signature by a `publisher` key
      hint: records are signed when written; a record without one was not made by modelreg
    models/m/records/000001-register.toml.f43fd158e0f275c5.sig: error[signature]: signature does not match the file's bytes (file edited?)
    models/m/records/000002-register.toml: error[chain]: `previous` is blake3:b850a02433ac35b81968090878e8413b32ee18ad6f053eb4086a96f609ff2801, but the record before it is blake3:2356dbf8f494f1a7abe7fa8db20247f1d52407217a5d331aae1a54dfcf0b8cbf (edited, replaced or reordered)
      hint: records are append-only: restore the original files from git history
    ----- stderr -----
    checked 1 model(s), 2 record(s), 1 signature(s); 2 artifact(s) verified, 0 not in the local store: 3 problem(s)
    [exit status: 1]
    ");
}

#[test]
fn a_signature_swapped_in_from_another_record_is_refused() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 2);
    std::fs::copy(signature(&registry, "m", 2), signature(&registry, "m", 1)).unwrap();
    every_command_refuses(&env, &registry, "m", "models/m/records/000001-register.toml");
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/000001-register.toml: error[signature]: no valid signature by a `publisher` key
      hint: records are signed when written; a record without one was not made by modelreg
    models/m/records/000001-register.toml.f43fd158e0f275c5.sig: error[signature]: signature does not match the file's bytes (file edited?)
    ----- stderr -----
    checked 1 model(s), 2 record(s), 1 signature(s); 2 artifact(s) verified, 0 not in the local store: 2 problem(s)
    [exit status: 1]
    ");
}

#[test]
fn a_record_deleted_from_the_middle_breaks_the_chain() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 3);
    std::fs::remove_file(record(&registry, "m", 2)).unwrap();
    std::fs::remove_file(signature(&registry, "m", 2)).unwrap();
    every_command_refuses(&env, &registry, "m", "models/m/records/000003-register.toml");
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/000003-register.toml: error[chain]: expected seq 2 next, found seq 3 (a record is missing or out of order)
      hint: records are append-only: restore the original files from git history
    ----- stderr -----
    checked 1 model(s), 2 record(s), 2 signature(s); 2 artifact(s) verified, 0 not in the local store: 1 problem(s)
    [exit status: 1]
    ");
}

#[test]
fn a_record_copied_from_another_model_is_refused() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "a", 1);
    let copy_dir = registry.join("models/b/records");
    std::fs::create_dir_all(&copy_dir).unwrap();
    std::fs::copy(record(&registry, "a", 1), record(&registry, "b", 1)).unwrap();
    std::fs::copy(signature(&registry, "a", 1), signature(&registry, "b", 1)).unwrap();
    every_command_refuses(&env, &registry, "b", "belongs to model `a`");
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/b/records/000001-register.toml: error[chain]: record belongs to model `a`, not `b` (copied from another model?)
      hint: records are append-only: restore the original files from git history
    ----- stderr -----
    checked 2 model(s), 2 record(s), 2 signature(s); 1 artifact(s) verified, 0 not in the local store: 1 problem(s)
    [exit status: 1]
    ");
}

#[test]
fn a_record_with_an_unknown_field_is_refused() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 1);
    let path = record(&registry, "m", 1);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("version = 1\n", "version = 1\napproved = true\n")).unwrap();
    every_command_refuses(&env, &registry, "m", "models/m/records/000001-register.toml: line 8");
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/000001-register.toml: error[schema]: line 8, column 1: unknown field `approved`, expected one of `schema`, `model`, `seq`, `previous`, `created_at`, `author`, `signer`, `version`, `message`, `description`, `framework`, `tags`, `metrics`, `params`, `lineage`, `artifacts`, `baseline_profile`
      hint: records are never edited by hand; restore it with `git checkout -- <path>`
    ----- stderr -----
    checked 1 model(s), 0 record(s), 0 signature(s); 0 artifact(s) verified, 0 not in the local store: 1 problem(s)
    [exit status: 1]
    ");
}

#[test]
fn a_record_over_one_mebibyte_is_refused_before_it_is_parsed() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 1);
    let path = record(&registry, "m", 1);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!("# {}\n", "x".repeat(1 << 20)));
    std::fs::write(&path, text).unwrap();
    every_command_refuses(&env, &registry, "m", "models/m/records/000001-register.toml");
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/000001-register.toml: error[schema]: file is 1048969 bytes, over the 1048576-byte limit
    ----- stderr -----
    checked 1 model(s), 0 record(s), 0 signature(s); 0 artifact(s) verified, 0 not in the local store: 1 problem(s)
    [exit status: 1]
    ");
}

#[test]
fn a_deeply_nested_record_is_refused_without_crashing() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 1);
    let path = record(&registry, "m", 1);
    let text = std::fs::read_to_string(&path).unwrap();
    let nested = format!("deep = {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    std::fs::write(&path, text.replacen('\n', &format!("\n{nested}"), 1)).unwrap();
    every_command_refuses(&env, &registry, "m", "models/m/records/000001-register.toml");
    let run = env.modelreg(&registry, &["check"]);
    assert_eq!(run.code, 1, "check must report, not crash:\n{}", run.snapshot());
    assert!(run.stdout.contains("models/m/records/000001-register.toml: error[schema]"), "{}", run.stdout);
}

/// Adds bob to the trust file by hand as an admin and publisher, signed by bob alone (as someone
/// granting themselves rights would); alice's signature, now stale, is removed when `hide_stale`.
fn self_grant_admin(env: &TestEnv, registry: &Path, hide_stale: bool) {
    let bob_pub = std::fs::read_to_string(env.key("bob").with_extension("pub")).unwrap();
    // The id is derived from the key; `key add --dry-run` computes it and writes nothing.
    let alice = env.key("alice");
    let pubkey = env.key("bob").with_extension("pub");
    let args = ["key", "add", pubkey.to_str().unwrap(), "--owner", "bob@example.com", "--role", "admin"];
    let run = env.modelreg(registry, &[&args[..], &["--dry-run", "--key", alice.to_str().unwrap()]].concat());
    let bob_id = run.success().stderr.split_whitespace().nth(4).unwrap().to_owned();

    let trust = registry.join(".modelreg/trust.toml");
    let mut text = std::fs::read_to_string(&trust).unwrap();
    text.push_str(&format!(
        "\n[[keys]]\nid = \"{bob_id}\"\nowner = \"bob@example.com\"\npublic_key = \"{}\"\nroles = [\"admin\", \"publisher\"]\nadded = \"2026-11-22T10:00:00Z\"\n",
        bob_pub.trim()
    ));
    std::fs::write(&trust, text).unwrap();
    let sig = env.ssh_sign("bob", &trust);
    std::fs::write(registry.join(format!(".modelreg/trust.toml.{bob_id}.sig")), sig).unwrap();
    if hide_stale {
        std::fs::remove_file(registry.join(format!(".modelreg/trust.toml.{ALICE}.sig"))).unwrap();
    }
}

/// Every command that opens the registry, bob's writes included; none may run or write.
#[track_caller]
fn every_command_locked(env: &TestEnv, registry: &Path) -> Vec<Run> {
    let before = tree_state(registry);
    let bob = env.key("bob");
    let bob = bob.to_str().unwrap();
    let next = env.files("next", &[("w.bin", b"next")]);
    let out = env.path().join("out");
    let carol_pub = env.key("carol").with_extension("pub");
    let commands: [Vec<&str>; 6] = [
        vec!["register", "m", next.to_str().unwrap(), "--key", bob],
        vec!["show", "m"],
        vec!["list"],
        vec!["get", "m@1", "-o", out.to_str().unwrap()],
        vec!["key", "list"],
        vec!["key", "add", carol_pub.to_str().unwrap(), "--owner", "c@example.com", "--role", "admin", "--key", bob],
    ];
    let mut runs = Vec::new();
    for args in commands {
        let run = env.modelreg(registry, &args);
        let context = format!("`modelreg {}` ran on untrusted trust:\n{}", args.join(" "), run.snapshot());
        assert_unchanged(&before, &tree_state(registry), &context);
        assert!(!out.exists(), "{context}");
        runs.push(run);
    }
    runs
}

#[test]
fn a_trust_file_granting_admin_by_hand_locks_every_command() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 1);
    self_grant_admin(&env, &registry, false);
    let runs = every_command_locked(&env, &registry);
    insta::assert_snapshot!(runs[0].snapshot(), @"
    ----- stderr -----
    error: .modelreg/trust.toml.f43fd158e0f275c5.sig: signature does not match the file's bytes (file edited?)
    hint: trust and configuration change only through modelreg commands; restore them with `git checkout -- modelreg.toml .modelreg/`
    [exit status: 2]
    ");
    for run in &runs {
        assert!(run.stderr.contains(".modelreg/trust.toml"), "{}", run.snapshot());
        assert_refused(run);
    }
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    .modelreg/trust.toml: error[trust]: signed by 0 of the 1 admin key(s) required
      hint: trust and configuration change only through modelreg commands run by admins; restore it from git
    .modelreg/trust.toml.7912eaa3793eb920.sig: error[signature]: signed by key 7912eaa3793eb920 which is not in the trust file
    .modelreg/trust.toml.f43fd158e0f275c5.sig: error[signature]: signature does not match the file's bytes (file edited?)
    ----- stderr -----
    checked 1 model(s), 1 record(s), 1 signature(s); 1 artifact(s) verified, 0 not in the local store: 3 problem(s)
    [exit status: 1]
    ");
}

/// The same self-grant, with alice's stale signature deleted: the trust file now verifies against
/// itself, so only the committed history can tell that no admin of the registry approved it.
#[test]
fn a_self_granted_admin_that_hides_the_stale_signature_is_still_refused() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 1);
    self_grant_admin(&env, &registry, true);
    let check = env.modelreg(&registry, &["check"]);
    let runs = every_command_locked(&env, &registry);
    for run in &runs {
        assert!(run.stderr.contains(".modelreg/trust.toml"), "{}", run.snapshot());
        assert_refused(run);
    }
    check.failure(1);
}

/// The store object holding `bytes`, made writable so a test can damage it.
fn writable_object(registry: &Path, bytes: &[u8]) -> PathBuf {
    let hex = blake3::hash(bytes).to_hex().to_string();
    let object = registry.join(".modelreg/objects").join(&hex[..2]).join(&hex[2..]);
    set_mode(&object, 0o644);
    object
}

#[test]
fn get_refuses_a_corrupted_object_and_writes_nothing() {
    let env = TestEnv::new();
    let registry = env.registry();
    let model = env.files("m", &[("model.bin", b"weights v1"), ("config.json", b"{}")]);
    env.register(&registry, "m", &model, &[]).success();
    let object = writable_object(&registry, b"weights v1");
    std::fs::write(&object, b"weights v2").unwrap();

    let out = env.path().join("out");
    let run = env.modelreg(&registry, &["get", "m@1", "-o", out.to_str().unwrap()]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: model.bin: object is corrupted: expected blake3:6acf968046c9ce5e16c740b7982a9896c30feceee1d9adf4d9c87cd14024e650 (10 bytes), found blake3:6752e1b45e9b0241a1e4432a4b379f8241ea0bd165dd0a740318572ade42fbe7 (10 bytes)
    hint: the store copy is damaged; nothing was written. `modelreg check` lists every damaged object
    [exit status: 2]
    ");
    assert_refused(&run);
    assert!(!out.exists(), "no partial destination");

    let existing = env.files("existing", &[("notes.txt", b"mine")]);
    let before = tree_state(&existing);
    let run = env.modelreg(&registry, &["get", "m@1", "-o", existing.to_str().unwrap(), "--force"]);
    assert_refused(&run);
    assert_unchanged(&before, &tree_state(&existing), "an existing destination is left as it was");
    let leftovers: Vec<_> = std::fs::read_dir(env.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".modelreg-get-"))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");

    let run = env.modelreg(&registry, &["check"]).failure(1);
    assert!(run.stdout.contains("error[artifact]") && run.stdout.contains("model.bin"), "{}", run.snapshot());
}

#[test]
fn get_refuses_a_missing_object_and_existing_files_without_force() {
    let env = TestEnv::new();
    let registry = env.registry();
    let model = env.files("m", &[("model.bin", b"weights v1"), ("config.json", b"{}")]);
    env.register(&registry, "m", &model, &[]).success();

    let existing = env.files("existing", &[("model.bin", b"old"), ("notes.txt", b"mine")]);
    let before = tree_state(&existing);
    let run = env.modelreg(&registry, &["get", "m@1", "-o", existing.to_str().unwrap()]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: [TEMP]/existing/model.bin already exists
    hint: choose another -o directory, or pass --force to replace those files
    [exit status: 2]
    ");
    assert_refused(&run);
    assert_unchanged(&before, &tree_state(&existing), "nothing written");

    env.modelreg(&registry, &["get", "m@1", "-o", existing.to_str().unwrap(), "--force"]).success();
    assert_eq!(std::fs::read(existing.join("model.bin")).unwrap(), b"weights v1");
    assert_eq!(std::fs::read(existing.join("notes.txt")).unwrap(), b"mine");

    std::fs::remove_file(writable_object(&registry, b"weights v1")).unwrap();
    let out = env.path().join("out");
    let run = env.modelreg(&registry, &["get", "m@1", "-o", out.to_str().unwrap()]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: model.bin: object blake3:6acf968046c9ce5e16c740b7982a9896c30feceee1d9adf4d9c87cd14024e650 is not in the store at [TEMP]/registry/.modelreg/objects
    hint: the object is in neither this machine's store nor the shared store: run `modelreg store push` in the clone that registered it (or set [store] url in modelreg.toml)
    [exit status: 2]
    ");
    assert_refused(&run);
    assert!(!out.exists());
    // A missing object is not a damaged registry: the store is local to a machine.
    env.modelreg(&registry, &["check"]).success();
}

#[test]
fn identical_artifacts_need_allow_same() {
    let env = TestEnv::new();
    let registry = env.registry();
    let model = env.files("m", &[("w.bin", b"same bytes")]);
    env.register(&registry, "m", &model, &[]).success();
    let before = tree_state(&registry);
    let run = env.register(&registry, "m", &model, &["-m", "retrained"]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: the artifacts are byte-identical to m v1
    hint: pass --allow-same to register identical files as a new version
    [exit status: 2]
    ");
    assert_refused(&run);
    assert_unchanged(&before, &tree_state(&registry), "nothing written");
    let run = env.register(&registry, "m", &model, &["--allow-same"]).success();
    assert!(run.stderr.contains("registered m v2") && run.stderr.contains("(0 B newly stored)"), "{}", run.stderr);
}

#[test]
fn dry_run_writes_nothing_and_no_commit_leaves_a_valid_uncommitted_record() {
    let env = TestEnv::new();
    let registry = env.registry();
    let model = env.files("m", &[("w.bin", b"weights")]);
    let before = tree_state(&registry);
    let run = env.register(&registry, "m", &model, &["--dry-run"]).success();
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    would register m v1 (seq 1)
      artifacts  1 file(s), 7 B (0 B newly stored)
      signed by  f43fd158e0f275c5
    [exit status: 0]
    ");
    assert_unchanged(&before, &tree_state(&registry), "--dry-run stores and writes nothing");

    let run = env.register(&registry, "m", &model, &["--no-commit"]).success();
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    registered m v1 (seq 1)
      artifacts  1 file(s), 7 B (7 B newly stored)
      record     models/m/records/000001-register.toml
      digest     blake3:beb875c7809b9bb6059c1d25dbb521abd335fdeb943ee4199b64d07e4232164d
      signed by  f43fd158e0f275c5
      not committed (--no-commit)
    [exit status: 0]
    ");
    let status = env.git(&registry, &["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(
        status,
        format!(
            "?? models/m/README.md\n?? models/m/records/000001-register.toml\n?? models/m/records/000001-register.toml.{ALICE}.sig\n"
        )
    );
    env.modelreg(&registry, &["check"]).success();
}

#[test]
fn a_trust_file_that_does_not_parse_locks_every_command() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 1);
    let trust = registry.join(".modelreg/trust.toml");
    let original = std::fs::read_to_string(&trust).unwrap();
    for broken in [
        original.replace("admin_threshold = 1", "admin_threshold = = 1"),
        original.replace("admin_threshold = 1", "admin_threshold = 0"),
        format!("{original}deep = {}{}\n", "[".repeat(10_000), "]".repeat(10_000)),
    ] {
        std::fs::write(&trust, &broken).unwrap();
        let runs = every_command_locked(&env, &registry);
        for run in &runs {
            assert!(run.stderr.contains(".modelreg/trust.toml"), "{}", run.snapshot());
            assert_refused(run);
        }
        let run = env.modelreg(&registry, &["check"]);
        assert!(run.code == 1 || run.code == 2, "check neither reported nor refused:\n{}", run.snapshot());
        assert!(run.stdout.contains(".modelreg/trust.toml") || run.stderr.contains(".modelreg/trust.toml"));
    }
}

#[test]
fn unknown_models_and_versions_are_refused() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 1);
    let before = tree_state(&registry);
    let out = env.path().join("out");
    let run = env.modelreg(&registry, &["show", "m@9"]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: m has no version 9
    hint: `modelreg show m` lists its versions
    [exit status: 2]
    ");
    let runs = [
        run,
        env.modelreg(&registry, &["show", "nope"]),
        env.modelreg(&registry, &["get", "m@9", "-o", out.to_str().unwrap()]),
        env.modelreg(&registry, &["get", "nope@1", "-o", out.to_str().unwrap()]),
    ];
    for run in &runs {
        assert_refused(run);
    }
    assert_unchanged(&before, &tree_state(&registry), "nothing written");
    assert!(!out.exists());
}

#[test]
fn file_names_that_cannot_be_artifact_paths_are_refused() {
    let env = TestEnv::new();
    let registry = env.registry();
    let before = tree_state(&registry);
    let model = env.files("m", &[("w.bin", b"weights"), ("back\\slash.bin", b"x")]);
    let run = env.register(&registry, "m", &model, &[]);
    insta::assert_snapshot!(run.snapshot(), @r"
    ----- stderr -----
    error: [TEMP]/m/back\slash.bin: invalid artifact path `back\slash.bin`: use a relative path of printable ASCII without `.`/`..`/`.git` components, backslashes, leading `/` or `-`, Windows device names or reserved characters, or a trailing `.` or space
    hint: model names look like `fraud-detector` or `resnet50.v2`; artifact paths are plain relative ASCII paths
    [exit status: 2]
    ");
    assert_refused(&run);
    // Two inputs that would be stored under the same name.
    let a = env.files("a", &[("w.bin", b"a")]);
    let b = env.files("b", &[("w.bin", b"b")]);
    let run = env.modelreg(
        &registry,
        &[
            "register",
            "m",
            a.join("w.bin").to_str().unwrap(),
            b.join("w.bin").to_str().unwrap(),
            "--key",
            env.key("alice").to_str().unwrap(),
        ],
    );
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: two inputs would both be stored as `w.bin`
    hint: pass files with distinct names, or one directory containing them
    [exit status: 2]
    ");
    assert_refused(&run);
    assert_unchanged(&before, &tree_state(&registry), "nothing written");
}

/// `--force` replaces files, but a file that cannot be replaced (a directory stands in its place)
/// must be found before anything moves: DIR ends up either complete or as it was.
#[test]
fn get_with_force_is_all_or_nothing() {
    let env = TestEnv::new();
    let registry = env.registry();
    let model = env.files("m", &[("a.bin", b"new a"), ("b.bin", b"new b")]);
    env.register(&registry, "m", &model, &[]).success();
    let existing = env.files("existing", &[("a.bin", b"old a"), ("b.bin/keep.txt", b"mine")]);
    let before = tree_state(&existing);
    let run = env.modelreg(&registry, &["get", "m@1", "-o", existing.to_str().unwrap(), "--force"]);
    assert_eq!(run.code, 2, "{}", run.snapshot());
    assert_unchanged(&before, &tree_state(&existing), "a failed get changed its destination");
    assert_refused(&run);
}

/// A get that fails leaves no trace, not even the parent directories of `-o`.
#[test]
fn a_failed_get_creates_no_parent_directories() {
    let env = TestEnv::new();
    let registry = env.registry();
    let model = env.files("m", &[("model.bin", b"weights v1")]);
    env.register(&registry, "m", &model, &[]).success();
    std::fs::write(writable_object(&registry, b"weights v1"), b"weights v2").unwrap();
    let out = env.path().join("deep/nested/out");
    let run = env.modelreg(&registry, &["get", "m@1", "-o", out.to_str().unwrap()]);
    assert_refused(&run);
    assert!(!env.path().join("deep").exists(), "parents of -o were created:\n{}", run.snapshot());
}

/// A record re-signed by hand: unsigned, signed by a key outside the trust file, or by a trusted key
/// without the publisher role. Each is refused by the commands and reported by `check`.
#[test]
fn a_record_signed_by_the_wrong_key_is_refused() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 1);
    let record_path = record(&registry, "m", 1);
    let alice_sig = signature(&registry, "m", 1);
    let original_sig = std::fs::read(&alice_sig).unwrap();

    std::fs::remove_file(&alice_sig).unwrap();
    every_command_refuses(&env, &registry, "m", "models/m/records/000001-register.toml");
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/000001-register.toml: error[signature]: no valid signature by a `publisher` key
      hint: records are signed when written; a record without one was not made by modelreg
    ----- stderr -----
    checked 1 model(s), 1 record(s), 0 signature(s); 1 artifact(s) verified, 0 not in the local store: 1 problem(s)
    [exit status: 1]
    ");

    // Bob, not in the trust file, signs the record; his signature replaces alice's.
    let bob_sig = env.ssh_sign("bob", &record_path);
    std::fs::write(&alice_sig, &bob_sig).unwrap();
    every_command_refuses(&env, &registry, "m", "models/m/records/000001-register.toml");
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/000001-register.toml: error[signature]: no valid signature by a `publisher` key
      hint: records are signed when written; a record without one was not made by modelreg
    models/m/records/000001-register.toml.f43fd158e0f275c5.sig: error[signature]: signed by key 7912eaa3793eb920 which is not in the trust file
    ----- stderr -----
    checked 1 model(s), 1 record(s), 0 signature(s); 1 artifact(s) verified, 0 not in the local store: 2 problem(s)
    [exit status: 1]
    ");

    // Bob is trusted as an approver only: still not a publisher.
    let bob_pub = env.key("bob").with_extension("pub");
    let alice = env.key("alice");
    std::fs::write(&alice_sig, &original_sig).unwrap();
    env.modelreg(
        &registry,
        &[
            "key",
            "add",
            bob_pub.to_str().unwrap(),
            "--owner",
            "bob@example.com",
            "--role",
            "approver:production",
            "--key",
            alice.to_str().unwrap(),
        ],
    )
    .success();
    std::fs::write(&alice_sig, &bob_sig).unwrap();
    every_command_refuses(&env, &registry, "m", "models/m/records/000001-register.toml");
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/000001-register.toml: error[signature]: no valid signature by a `publisher` key
      hint: records are signed when written; a record without one was not made by modelreg
    models/m/records/000001-register.toml.f43fd158e0f275c5.sig: error[signature]: signed by 7912eaa3793eb920 (bob@example.com) which does not hold the `publisher` role
    ----- stderr -----
    checked 1 model(s), 1 record(s), 0 signature(s); 1 artifact(s) verified, 0 not in the local store: 2 problem(s)
    [exit status: 1]
    ");
}

/// Versions are capped at i64::MAX (the largest TOML integer). Registering after the largest
/// version must be refused, not committed as a record that no command can read again.
#[test]
fn no_version_after_the_largest_is_ever_written() {
    let env = TestEnv::new();
    let registry = env.registry();
    let v = |n: u32| env.files(&format!("v{n}"), &[("w.bin", format!("weights {n}").as_bytes())]);
    // Such a jump is refused unless the registry's admins allow it (lifecycle.max_version_jump).
    env.register(&registry, "m", &v(1), &["--version", "9223372036854775807"]).failure(2);
    let config = registry.join("modelreg.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}\n[lifecycle]\nmax_version_jump = 9223372036854775807\n")).unwrap();
    let alice = env.key("alice");
    env.modelreg(&registry, &["config", "sign", "--key", alice.to_str().unwrap()]).success();
    env.register(&registry, "m", &v(1), &["--version", "9223372036854775807"]).success();
    let before = tree_state(&registry);
    let run = env.register(&registry, "m", &v(2), &[]);
    assert_eq!(run.code, 2, "{}", run.snapshot());
    assert_unchanged(&before, &tree_state(&registry), "a version past the largest was written");
    assert_refused(&run);
    env.modelreg(&registry, &["check"]).success();
    env.modelreg(&registry, &["show", "m"]).success();
}

#[test]
fn lineage_that_does_not_resolve_is_refused() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "base", 1);
    let model = env.files("m", &[("w.bin", b"weights")]);
    let before = tree_state(&registry);
    let mut runs = Vec::new();
    for args in [
        ["--parent", "nope@1"],
        ["--parent", "base@7"],
        ["--parent", "Base@1"],
        ["--code-commit", "no-such-rev"],
        ["--dataset", "train=s3://b/t.parquet@blake3:abc"],
        ["--dataset", "train="],
        ["--param", "=value"],
    ] {
        let run = env.register(&registry, "m", &model, &args);
        assert_eq!(run.code, 2, "{args:?}:\n{}", run.snapshot());
        assert_unchanged(&before, &tree_state(&registry), &format!("{args:?}"));
        runs.push(run);
    }
    insta::assert_snapshot!(runs[1].snapshot(), @"
    ----- stderr -----
    error: base has no version 7
    hint: `modelreg show base` lists its versions
    [exit status: 2]
    ");
    runs.iter().for_each(assert_refused);
    // A parent that exists is pinned by its record digest.
    env.register(&registry, "m", &model, &["--parent", "base@1"]).success();
    let run = env.modelreg(&registry, &["show", "m@1", "--json"]).success();
    let shown: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(shown["lineage"]["parents"][0]["model"], "base");
    assert!(shown["lineage"]["parents"][0]["record"].as_str().unwrap().starts_with("blake3:"));
}

/// `register` with a PATH that is a character device or a FIFO: refused at once, never read forever
/// (`/dev/zero` has no end) or waited on (a FIFO with no writer blocks its reader).
#[test]
fn paths_that_are_not_regular_files_are_refused_without_hanging() {
    let env = TestEnv::new();
    let registry = env.registry();
    let fifo = env.path().join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let alice = env.key("alice");
    let before = tree_state(&registry);
    for path in [Path::new("/dev/zero"), fifo.as_path()] {
        let mut child = crate::test_crash::spawn_register(
            &env,
            &registry,
            &["m", path.to_str().unwrap(), "--key", alice.to_str().unwrap()],
        );
        // A deadline, not a timing assumption: a correct refusal takes milliseconds.
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() && started.elapsed() < std::time::Duration::from_secs(10) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            let _ = child.kill();
        }
        let output = child.wait_with_output().unwrap();
        assert!(finished, "`register m {}` still running after 10 s", path.display());
        let run = Run {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code().unwrap_or(-1),
        };
        assert_refused(&run);
        assert_unchanged(&before, &tree_state(&registry), &path.display().to_string());
    }
}

/// Records over 1 MiB are refused when read, so `register` must never write one: the model would be
/// unreadable for good (records are append-only). Each argument stays under Linux's 128 KiB limit.
#[test]
fn register_never_writes_a_record_over_the_size_limit() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 1);
    let model = env.files("next", &[("w.bin", b"next")]);
    let value = "x".repeat(120_000);
    let tags: Vec<String> = (0..9).map(|i| format!("t{i}={value}")).collect();
    let mut args = Vec::new();
    for tag in &tags {
        args.extend(["--tag", tag.as_str()]);
    }
    let before = tree_state(&registry);
    let run = env.register(&registry, "m", &model, &args);
    assert_eq!(run.code, 2, "{}", run.snapshot());
    assert_unchanged(&before, &tree_state(&registry), "an oversized record was written");
    assert_refused(&run);
    env.modelreg(&registry, &["show", "m"]).success();
}

/// The same dataset name twice makes a record the parser refuses (`dataset appears twice`), so
/// `register` must refuse it up front rather than commit a model no command can read again.
#[test]
fn register_refuses_a_dataset_named_twice() {
    let env = TestEnv::new();
    let registry = env.registry();
    let model = env.files("m", &[("w.bin", b"weights")]);
    let before = tree_state(&registry);
    let run = env.register(&registry, "m", &model, &["--dataset", "train=s3://a", "--dataset", "train=s3://b"]);
    assert_eq!(run.code, 2, "{}", run.snapshot());
    assert_unchanged(&before, &tree_state(&registry), "a record with a duplicate dataset was written");
    assert_refused(&run);
    env.register(&registry, "m", &model, &["--dataset", "train=s3://a", "--dataset", "test=s3://b"]).success();
    env.modelreg(&registry, &["show", "m@1"]).success();
}

/// A directory input holding `model/weights.bin` and a file input named `model`: the artifact
/// `model` would be both a file and a directory, which the parser refuses, so `register` must too.
#[test]
fn register_refuses_an_artifact_that_is_both_a_file_and_a_directory() {
    let env = TestEnv::new();
    let registry = env.registry();
    let dir = env.files("dir", &[("model/weights.bin", b"weights")]);
    let file = env.files("file", &[("model", b"config")]).join("model");
    let before = tree_state(&registry);
    let run = env.modelreg(
        &registry,
        &["register", "m", dir.to_str().unwrap(), file.to_str().unwrap(), "--key", env.key("alice").to_str().unwrap()],
    );
    assert_eq!(run.code, 2, "{}", run.snapshot());
    assert_unchanged(&before, &tree_state(&registry), "an unreadable record was written");
    assert_refused(&run);
}

/// `store.path = "s3://…"` used to become a local directory named `s3:`: a shared store silently kept
/// on one machine. A URL there is refused, naming `store.url`, and nothing is created.
#[test]
fn a_url_in_store_path_is_refused_and_no_directory_is_made() {
    let env = TestEnv::new();
    let registry = env.registry();
    let config = registry.join("modelreg.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("path = \".modelreg/objects\""), "{text}");
    std::fs::write(&config, text.replace("path = \".modelreg/objects\"", "path = \"s3://bucket/x\"")).unwrap();
    let files = env.files("m", &[("w.bin", b"weights")]);
    let run = env.register(&registry, "m", &files, &[]).failure(2);
    assert!(run.stderr.contains("is a URL") && run.stderr.contains("store.url"), "{}", run.snapshot());
    assert!(run.stderr.lines().any(|l| l.starts_with("hint:")), "{}", run.snapshot());
    assert!(!registry.join("s3:").exists());
    assert!(!registry.join("models/m").exists());
}

/// A signed record that gives an intact object the wrong size used to pass `check` (only `get`
/// noticed). Size and digest are judged together.
#[test]
fn a_record_whose_size_disagrees_with_its_intact_object_is_a_finding() {
    let env = TestEnv::new();
    let registry = env.registry();
    let files = env.files("m", &[("w.bin", b"weights")]);
    env.register(&registry, "m", &files, &[]).success();
    let records = registry.join("models/m/records");
    let record = records.join("000001-register.toml");
    let text = std::fs::read_to_string(&record).unwrap();
    assert!(text.contains("size = 7"), "{text}");
    std::fs::write(&record, text.replace("size = 7", "size = 8")).unwrap();
    let sig = std::fs::read_dir(&records)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_str().unwrap().contains("000001-register.toml.") && p.extension().is_some_and(|x| x == "sig"))
        .unwrap();
    std::fs::write(&sig, env.ssh_sign("alice", &record)).unwrap();

    let run = env.modelreg(&registry, &["check"]).failure(1);
    assert!(run.stdout.contains("says 8 bytes, but the object with that digest has 7"), "{}", run.snapshot());
    assert!(run.stdout.contains("the record's size is wrong"), "{}", run.snapshot());
}

/// Names and paths that are dangerous on some machine: refused at register (exit 2, nothing
/// written), and `get` never writes into a `.git` directory, whatever it is called or linked as.
#[test]
fn names_and_paths_dangerous_elsewhere_are_refused_and_get_stays_out_of_git() {
    let env = TestEnv::new();
    let registry = env.registry();
    let head = env.rev(&registry, "HEAD");
    let files = env.files("ok", &[("w.bin", b"weights")]);
    for name in ["con", "x.", "nul.v2", "com1"] {
        let run = env.register(&registry, name, &files, &[]).failure(2);
        assert!(run.stderr.contains("invalid model name"), "{name}: {}", run.snapshot());
    }
    for (i, path) in [".git/hooks/post-checkout", ".GIT/config", "git~1/config", "CON", "x.", "-x"].iter().enumerate() {
        let dir = env.files(&format!("bad{i}"), &[(path, b"#!/bin/sh\necho owned\n")]);
        let run = env.register(&registry, "m", &dir, &[]).failure(2);
        assert!(run.stderr.contains("invalid artifact path"), "{path}: {}", run.snapshot());
    }
    let cased = env.files("cased", &[("Model.bin", b"a"), ("model.bin", b"b")]);
    if std::fs::read_dir(&cased).unwrap().count() == 2 {
        let run = env.register(&registry, "m", &cased, &[]).failure(2);
        assert!(run.stderr.contains("differ only in case"), "{}", run.snapshot());
    }
    assert_eq!(env.rev(&registry, "HEAD"), head);
    assert!(!registry.join("models/m").exists());

    env.register(&registry, "m", &files, &[]).success();
    let checkout = env.git_repo("checkout");
    for out in [checkout.join(".git/hooks"), checkout.join(".Git/x")] {
        let run = env.modelreg(&registry, &["get", "m@1", "-o", out.to_str().unwrap()]).failure(2);
        assert!(run.stderr.contains("is inside a .git directory"), "{}", run.snapshot());
        assert!(run.stderr.contains("hint:"), "{}", run.snapshot());
    }
    #[cfg(unix)]
    {
        let link = env.path().join("looks-harmless");
        std::os::unix::fs::symlink(checkout.join(".git"), &link).unwrap();
        let run = env.modelreg(&registry, &["get", "m@1", "-o", link.join("hooks").to_str().unwrap()]).failure(2);
        assert!(run.stderr.contains("is inside a .git directory"), "{}", run.snapshot());
    }
    assert!(!checkout.join(".git/hooks/w.bin").exists());
}
