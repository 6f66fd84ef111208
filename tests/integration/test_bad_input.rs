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
    assert!(lines.get(1).is_some_and(|l| l.starts_with("hint: ")), "no `hint:` line after the error:\n{}", run.snapshot());
}

/// `models/<model>/records/<seq>-register.toml`.
pub(crate) fn record(registry: &Path, model: &str, seq: u64) -> PathBuf {
    registry.join(format!("models/{model}/records/{seq:06}-register.toml"))
}

/// The signature alice wrote beside a record.
pub(crate) fn signature(registry: &Path, model: &str, seq: u64) -> PathBuf {
    registry.join(format!("models/{model}/records/{seq:06}-register.toml.{ALICE}.sig"))
}

/// A registry with `model` at v1..=versions, each from different bytes, and the read and write
/// commands that must refuse a broken model (with alice's key for `register`).
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
    let runs = [
        env.modelreg(registry, &["show", model]),
        env.modelreg(registry, &["show", &format!("{model}@1")]),
        env.modelreg(registry, &["get", &format!("{model}@1"), "-o", out.to_str().unwrap()]),
        env.register(registry, model, &next, &[]),
    ];
    for run in &runs {
        assert!(run.stderr.contains(needle), "`{needle}` not named:\n{}", run.snapshot());
        assert_eq!(tree_state(registry), before, "a refused command wrote something:\n{}", run.snapshot());
        assert!(!out.exists(), "get wrote its destination");
        assert_refused(run);
    }
}

#[test]
fn model_names_outside_the_pattern_are_refused_by_register_show_and_get() {
    let env = TestEnv::new();
    let registry = env.registry();
    let model = env.files("m", &[("w.bin", b"w")]);
    let before = tree_state(&registry);
    let run = env.register(&registry, "../evil", &model, &[]);
    insta::assert_snapshot!(run.snapshot(), @"");
    let long = "a".repeat(65);
    for name in ["../evil", "Fraud", "a..b", long.as_str(), "-a", ""] {
        let out = env.path().join("out");
        for run in [
            env.register(&registry, name, &model, &[]),
            env.modelreg(&registry, &["show", name]),
            env.modelreg(&registry, &["get", &format!("{name}@1"), "-o", out.to_str().unwrap()]),
        ] {
            assert_eq!(run.code, 2, "{name}:\n{}", run.snapshot());
            assert!(run.stderr.contains("invalid model name"), "{name}:\n{}", run.snapshot());
            assert_eq!(tree_state(&registry), before, "{name}");
            assert!(!out.exists() && !env.path().join("evil").exists());
            assert_refused(&run);
        }
    }
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
    insta::assert_snapshot!(run.snapshot(), @"");
    assert_refused(&run);
    assert_eq!(tree_state(&registry), before);

    let secret = env.files("outside", &[("secret.txt", b"do not publish")]).join("secret.txt");
    let model = env.files("escaping", &[("w.bin", b"weights")]);
    std::os::unix::fs::symlink(&secret, model.join("leak.txt")).unwrap();
    let run = env.register(&registry, "m", &model, &[]);
    insta::assert_snapshot!(run.snapshot(), @"");
    assert_refused(&run);
    assert_eq!(tree_state(&registry), before, "nothing stored, not even w.bin");

    let empty = env.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let run = env.register(&registry, "m", &empty, &[]);
    insta::assert_snapshot!(run.snapshot(), @"");
    assert_refused(&run);
    assert_eq!(tree_state(&registry), before);

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
    insta::assert_snapshot!(run.snapshot(), @"");
    assert_refused(&run);
    let run = env.register(&registry, "m", &v(3), &["--version", "3"]);
    assert!(run.stderr.contains("version 3 is not greater than the latest version 5"), "{}", run.snapshot());
    assert_refused(&run);
    assert_eq!(tree_state(&registry), before);

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
    insta::assert_snapshot!(run.snapshot(), @"");
    for args in [["--metric", "auc=high"], ["--metric", "auc=nan"], ["--metric", "auc=inf"], ["--tag", "novalue"]] {
        let run = env.register(&registry, "m", &model, &args);
        assert_eq!(run.code, 2, "{args:?}:\n{}", run.snapshot());
        assert_eq!(tree_state(&registry), before, "{args:?}");
        assert_refused(&run);
    }
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
    insta::assert_snapshot!(run.snapshot(), @"");
    every_command_refuses(&env, &registry, "m", "models/m/records/000001-register.toml: line 7");
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"");
}

#[test]
fn a_hand_edited_record_no_longer_matches_its_signature() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 2);
    let path = record(&registry, "m", 1);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("auc = 0.5", "auc = 0.99")).unwrap();

    let run = env.modelreg(&registry, &["show", "m"]);
    insta::assert_snapshot!(run.snapshot(), @"");
    every_command_refuses(&env, &registry, "m", "models/m/records/000001-register.toml");
    // The signature no longer matches, and the next record's `previous` names the original bytes.
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"");
}

#[test]
fn a_signature_swapped_in_from_another_record_is_refused() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 2);
    std::fs::copy(signature(&registry, "m", 2), signature(&registry, "m", 1)).unwrap();
    every_command_refuses(&env, &registry, "m", "models/m/records/000001-register.toml");
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"");
}

#[test]
fn a_record_deleted_from_the_middle_breaks_the_chain() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 3);
    std::fs::remove_file(record(&registry, "m", 2)).unwrap();
    std::fs::remove_file(signature(&registry, "m", 2)).unwrap();
    every_command_refuses(&env, &registry, "m", "models/m/records/000003-register.toml");
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"");
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
    insta::assert_snapshot!(run.snapshot(), @"");
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
    insta::assert_snapshot!(run.snapshot(), @"");
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
    insta::assert_snapshot!(run.snapshot(), @"");
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

#[test]
fn a_trust_file_granting_admin_by_hand_locks_every_command() {
    let env = TestEnv::new();
    let registry = registry_with(&env, "m", 1);
    let bob_pub = std::fs::read_to_string(env.key("bob").with_extension("pub")).unwrap();
    let bob_id = {
        // The id is derived from the key; `key add --dry-run` computes it without writing anything.
        let alice = env.key("alice");
        let pubkey = env.key("bob").with_extension("pub");
        let args = ["key", "add", pubkey.to_str().unwrap(), "--owner", "bob@example.com", "--role", "admin"];
        let run = env.modelreg(&registry, &[&args[..], &["--dry-run", "--key", alice.to_str().unwrap()]].concat());
        run.success().stderr.split_whitespace().nth(4).unwrap().to_owned()
    };
    let trust = registry.join(".modelreg/trust.toml");
    let mut text = std::fs::read_to_string(&trust).unwrap();
    text.push_str(&format!(
        "\n[[keys]]\nid = \"{bob_id}\"\nowner = \"bob@example.com\"\npublic_key = \"{}\"\nroles = [\"admin\", \"publisher\"]\nadded = \"2026-11-22T10:00:00Z\"\n",
        bob_pub.trim()
    ));
    std::fs::write(&trust, text).unwrap();
    // Bob signs the trust file himself, as someone granting themselves rights would.
    let sig = env.ssh_sign("bob", &trust);
    std::fs::write(registry.join(format!(".modelreg/trust.toml.{bob_id}.sig")), sig).unwrap();

    let before = tree_state(&registry);
    let bob = env.key("bob");
    let bob = bob.to_str().unwrap();
    let next = env.files("next", &[("w.bin", b"next")]);
    let out = env.path().join("out");
    let carol_pub = env.key("carol").with_extension("pub");
    let runs = [
        env.modelreg(&registry, &["register", "m", next.to_str().unwrap(), "--key", bob]),
        env.modelreg(&registry, &["show", "m"]),
        env.modelreg(&registry, &["list"]),
        env.modelreg(&registry, &["get", "m@1", "-o", out.to_str().unwrap()]),
        env.modelreg(&registry, &["key", "list"]),
        env.modelreg(
            &registry,
            &["key", "add", carol_pub.to_str().unwrap(), "--owner", "c@example.com", "--role", "admin", "--key", bob],
        ),
    ];
    insta::assert_snapshot!(runs[0].snapshot(), @"");
    for run in &runs {
        assert!(run.stderr.contains(".modelreg/trust.toml"), "{}", run.snapshot());
        assert_refused(run);
    }
    assert_eq!(tree_state(&registry), before);
    assert!(!out.exists());
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"");
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
    insta::assert_snapshot!(run.snapshot(), @"");
    assert_refused(&run);
    assert!(!out.exists(), "no partial destination");

    let existing = env.files("existing", &[("notes.txt", b"mine")]);
    let before = tree_state(&existing);
    let run = env.modelreg(&registry, &["get", "m@1", "-o", existing.to_str().unwrap(), "--force"]);
    assert_refused(&run);
    assert_eq!(tree_state(&existing), before, "an existing destination is left as it was");
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
    insta::assert_snapshot!(run.snapshot(), @"");
    assert_refused(&run);
    assert_eq!(tree_state(&existing), before);

    env.modelreg(&registry, &["get", "m@1", "-o", existing.to_str().unwrap(), "--force"]).success();
    assert_eq!(std::fs::read(existing.join("model.bin")).unwrap(), b"weights v1");
    assert_eq!(std::fs::read(existing.join("notes.txt")).unwrap(), b"mine");

    std::fs::remove_file(writable_object(&registry, b"weights v1")).unwrap();
    let out = env.path().join("out");
    let run = env.modelreg(&registry, &["get", "m@1", "-o", out.to_str().unwrap()]);
    insta::assert_snapshot!(run.snapshot(), @"");
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
    insta::assert_snapshot!(run.snapshot(), @"");
    assert_refused(&run);
    assert_eq!(tree_state(&registry), before);
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
    insta::assert_snapshot!(run.snapshot(), @"");
    assert_eq!(tree_state(&registry), before, "--dry-run stores and writes nothing");

    let run = env.register(&registry, "m", &model, &["--no-commit"]).success();
    insta::assert_snapshot!(run.snapshot(), @"");
    let status = env.git(&registry, &["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(
        status,
        format!("?? models/m/records/000001-register.toml\n?? models/m/records/000001-register.toml.{ALICE}.sig\n")
    );
    env.modelreg(&registry, &["check"]).success();
}
