//! The core story: init, register, list, show, get, check, and signatures that stock OpenSSH accepts.

use crate::common::{TestEnv, set_mode};

#[test]
fn a_registry_from_init_to_get() {
    let env = TestEnv::new();
    let registry = env.registry();
    assert!(registry.join("modelreg.toml").is_file());
    assert!(registry.join(".modelreg/trust.toml").is_file());
    let model = env.files("train-out", &[("model.safetensors", b"weights v1"), ("config.json", b"{\"layers\": 2}")]);
    let run = env.register(
        &registry,
        "fraud-detector",
        &model,
        &["--metric", "auc=0.94", "--metric", "recall=0.91", "--param", "lr=0.01", "--tag", "team=risk"],
    );
    insta::assert_snapshot!(run.success().snapshot(), @"
    ----- stderr -----
    registered fraud-detector v1 (seq 1)
      artifacts  2 file(s), 23 B (23 B newly stored)
      record     models/fraud-detector/records/000001-register.toml
      digest     blake3:88e6a72b300f7fa181cc932685cd80b2c1ef38cc304e1642f1747f51b9a9ad37
      signed by  f43fd158e0f275c5
      committed  c00563214df1
    [exit status: 0]
    ");

    let v2 = env.files("train-out", &[("model.safetensors", b"weights v2")]);
    env.register(&registry, "fraud-detector", &v2, &["--metric", "auc=0.95", "-m", "retrained on October data"])
        .success();
    let other = env.files("other", &[("tree.ubj", b"xgb")]);
    env.register(&registry, "churn", &other, &["--description", "Churn risk", "--framework", "xgboost"]).success();

    insta::assert_snapshot!(env.modelreg(&registry, &["list"]).success().snapshot(), @"
    NAME            LATEST  VERSIONS  UPDATED               STAGES  DESCRIPTION
    churn           v1      1         2026-11-22T10:00:00Z  -       Churn risk
    fraud-detector  v2      2         2026-11-22T10:00:00Z  -
    [exit status: 0]
    ");
    insta::assert_snapshot!(env.modelreg(&registry, &["show", "fraud-detector"]).success().snapshot(), @"
    fraud-detector
    latest v2, 2 version(s), 2 record(s)

    VERSION  CREATED               AUTHOR                     FILES  SIZE  STAGE  METRICS
    v1       2026-11-22T10:00:00Z  Alice <alice@example.com>  2      23 B  -      auc=0.94  recall=0.91
    v2       2026-11-22T10:00:00Z  Alice <alice@example.com>  2      23 B  -      auc=0.95
    [exit status: 0]
    ");
    insta::assert_snapshot!(env.modelreg(&registry, &["show", "fraud-detector@2"]).success().snapshot(), @"
    fraud-detector v2
      record     models/fraud-detector/records/000002-register.toml
      digest     blake3:da9adecb2078a10a5cc8706a76f6f2184d79b95d77f04585719838c3d98d1bd8
      created    2026-11-22T10:00:00Z by Alice <alice@example.com>
      signed by  f43fd158e0f275c5 (alice@example.com)
      message    retrained on October data
      metrics    auc=0.95
      code       c00563214df1e7597984cff1c825d7f5c019083c

    ARTIFACT           SIZE  FORMAT       DIGEST
    config.json        13 B  json         blake3:72ddb6caf3519060c64aec53dfa86ef811db4f87c283f13b4bf4085d7a81a8ea
    model.safetensors  10 B  safetensors  blake3:6752e1b45e9b0241a1e4432a4b379f8241ea0bd165dd0a740318572ade42fbe7
    [exit status: 0]
    ");

    let out = env.path().join("fetched");
    let run = env.modelreg(&registry, &["get", "fraud-detector@1", "-o", out.to_str().unwrap()]);
    insta::assert_snapshot!(run.success().snapshot(), @"
    ----- stderr -----
    fetched fraud-detector v1 into [TEMP]/fetched: 2 file(s), 23 B, every digest verified
    [exit status: 0]
    ");
    assert_eq!(std::fs::read(out.join("model.safetensors")).unwrap(), b"weights v1");
    assert_eq!(std::fs::read(out.join("config.json")).unwrap(), b"{\"layers\": 2}");

    insta::assert_snapshot!(env.modelreg(&registry, &["check"]).success().snapshot(), @"
    ----- stderr -----
    checked 2 model(s), 3 record(s), 3 signature(s); 4 artifact(s) verified, 0 not in the local store: ok
    [exit status: 0]
    ");
    let log = env.git(&registry, &["log", "--format=%s"]);
    assert_eq!(
        log,
        "modelreg: register churn v1\nmodelreg: register fraud-detector v2\nmodelreg: register fraud-detector v1\nmodelreg: initialise registry\n"
    );
    assert_eq!(env.git(&registry, &["status", "--porcelain"]), "", "every write is committed");
}

#[test]
fn every_read_command_speaks_json() {
    let env = TestEnv::new();
    let registry = env.registry();
    let model = env.files("m", &[("model.pkl", b"pickle")]);
    env.register(&registry, "m", &model, &["--metric", "auc=0.5", "--dataset", "train=s3://b/train.parquet"]).success();
    for args in [
        vec!["list", "--json"],
        vec!["show", "m", "--json"],
        vec!["show", "m@1", "--json"],
        vec!["key", "list", "--json"],
        vec!["check", "--json"],
    ] {
        let run = env.modelreg(&registry, &args).success();
        let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert_eq!(value["schema_version"], 1, "{args:?}");
    }
    let run = env.modelreg(&registry, &["show", "m@1", "--json"]).success();
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(value["metrics"]["auc"], 0.5);
    assert_eq!(value["artifacts"][0]["format"], "pickle");
    assert_eq!(value["code_executing_artifacts"][0], "model.pkl");
    assert_eq!(value["lineage"]["datasets"][0]["uri"], "s3://b/train.parquet");
}

#[test]
fn signatures_interoperate_with_ssh_keygen() {
    let env = TestEnv::new();
    let registry = env.registry();
    let model = env.files("m", &[("model.onnx", b"onnx bytes")]);
    env.register(&registry, "m", &model, &[]).success();
    let record = registry.join("models/m/records/000001-register.toml");
    let sig = std::fs::read_dir(record.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "sig"))
        .expect("a signature file");

    // What modelreg signs, stock ssh-keygen verifies.
    let alice_pub = std::fs::read_to_string(env.key("alice").with_extension("pub")).unwrap();
    let allowed = env.path().join("allowed_signers");
    std::fs::write(&allowed, format!("alice@example.com {alice_pub}")).unwrap();
    let verify = std::process::Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f", allowed.to_str().unwrap(), "-I", "alice@example.com", "-n", "modelreg", "-s"])
        .arg(&sig)
        .stdin(std::fs::File::open(&record).unwrap())
        .output()
        .expect("ssh-keygen is installed");
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));

    // What ssh-keygen signs with namespace modelreg, modelreg accepts.
    let copy = env.path().join("record.toml");
    std::fs::copy(&record, &copy).unwrap();
    let alice = env.key("alice");
    set_mode(&alice, 0o600);
    let sign = std::process::Command::new("ssh-keygen")
        .args(["-Y", "sign", "-n", "modelreg", "-f"])
        .arg(&alice)
        .arg(&copy)
        .output()
        .unwrap();
    assert!(sign.status.success(), "{}", String::from_utf8_lossy(&sign.stderr));
    std::fs::copy(copy.with_extension("toml.sig"), &sig).unwrap();
    env.modelreg(&registry, &["check"]).success();

    // A signature in another namespace (e.g. a git commit signature) is refused.
    std::fs::remove_file(copy.with_extension("toml.sig")).unwrap();
    let sign = std::process::Command::new("ssh-keygen")
        .args(["-Y", "sign", "-n", "git", "-f"])
        .arg(&alice)
        .arg(&copy)
        .output()
        .unwrap();
    assert!(sign.status.success());
    std::fs::copy(copy.with_extension("toml.sig"), &sig).unwrap();
    let run = env.modelreg(&registry, &["check"]).failure(1);
    assert!(run.stdout.contains("signature namespace is `git`, expected `modelreg`"), "{}", run.stdout);
}

#[test]
fn init_refuses_twice_and_outside_git() {
    let env = TestEnv::new();
    let registry = env.registry();
    let before = crate::common::tree_state(&registry);
    let alice = env.key("alice");
    let run = env.modelreg(&registry, &["init", "--key", alice.to_str().unwrap()]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: [TEMP]/registry is already a modelreg registry
    hint: nothing to do; `modelreg check` verifies the registry
    [exit status: 2]
    ");
    assert_eq!(crate::common::tree_state(&registry), before, "a refused init writes nothing");

    let plain = env.path().join("not-a-repo");
    std::fs::create_dir_all(&plain).unwrap();
    let run = env.modelreg(&plain, &["init", "--key", alice.to_str().unwrap()]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: [TEMP]/not-a-repo is not inside a git repository
    hint: run it inside a git repository (`git init`), or pass -C DIR
    [exit status: 2]
    ");
}

#[test]
fn a_revoked_key_signs_nothing_new_but_its_past_records_stay_valid() {
    let env = TestEnv::new();
    let registry = env.registry();
    let (alice, bob) = (env.key("alice"), env.key("bob"));
    let (alice, bob) = (alice.to_str().unwrap(), bob.to_str().unwrap());
    let bob_pub = env.key("bob").with_extension("pub");
    env.modelreg(
        &registry,
        &["key", "add", bob_pub.to_str().unwrap(), "--owner", "bob@example.com", "--role", "publisher", "--key", alice],
    )
    .success();
    let v1 = env.files("v1", &[("w.bin", b"one")]);
    env.modelreg(&registry, &["register", "m", v1.to_str().unwrap(), "--key", bob]).success();

    let list = env.modelreg(&registry, &["key", "list", "--json"]).success();
    let keys: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let bob_id = keys["keys"].as_array().unwrap().iter().find(|k| k["owner"] == "bob@example.com").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = env.modelreg(&registry, &["key", "revoke", &bob_id, "--key", alice]).success();
    assert!(run.stderr.contains("revoked"), "{}", run.stderr);

    let v2 = env.files("v2", &[("w.bin", b"two")]);
    let run = env.modelreg(&registry, &["register", "m", v2.to_str().unwrap(), "--key", bob]).failure(2);
    assert!(run.stderr.contains("expired at 2026-11-22T10:00:00Z"), "{}", run.stderr);
    env.modelreg(&registry, &["check"]).success();

    // Revoking the last admin would lock everyone out of trust changes.
    let alice_id = keys["keys"].as_array().unwrap().iter().find(|k| k["owner"] == "alice@example.com").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = env.modelreg(&registry, &["key", "revoke", &alice_id, "--key", alice]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: revoking f43fd158e0f275c5 would leave fewer unexpired admin keys than the admin threshold
    hint: add another admin key first (`modelreg key add PUBKEY --owner EMAIL --role admin`)
    [exit status: 2]
    ");
}

#[test]
fn an_interrupted_init_can_be_run_again() {
    let env = TestEnv::new();
    let dir = env.git_repo("half");
    let alice = env.key("alice");
    let alice = alice.to_str().unwrap();
    env.modelreg(&dir, &["init", "--key", alice, "--no-commit"]).success();
    // What a kill before the last write leaves: everything but modelreg.toml.
    std::fs::remove_file(dir.join("modelreg.toml")).unwrap();
    env.modelreg(&dir, &["init", "--key", alice]).success();
    env.modelreg(&dir, &["check"]).success();
    let attributes = std::fs::read_to_string(dir.join(".gitattributes")).unwrap();
    assert_eq!(attributes.matches("/models/** -text").count(), 1, "the block is written once:\n{attributes}");
    assert_eq!(
        env.git(&dir, &["check-attr", "text", "models/m/records/000001-register.toml"]).trim(),
        "models/m/records/000001-register.toml: text: unset"
    );
    assert_eq!(env.git(&dir, &["check-attr", "text", "src/config.toml"]).trim(), "src/config.toml: text: unspecified");
}

#[test]
fn check_judges_committed_trust_changes_by_the_admins_before_them() {
    let env = TestEnv::new();
    let registry = env.registry();
    // bob grants himself admin by hand and commits it past the hooks: no server hook sees it.
    let bob_pub = std::fs::read_to_string(env.key("bob").with_extension("pub")).unwrap();
    let trust = registry.join(".modelreg/trust.toml");
    let mut text = std::fs::read_to_string(&trust).unwrap();
    // The key id modelreg computes for bob, from a dry run that writes nothing.
    let alice = env.key("alice");
    let dry = env
        .modelreg(
            &registry,
            &["key", "add", bob_pub.trim(), "--owner", "bob@example.com", "--role", "admin", "--dry-run", "--key"]
                .into_iter()
                .chain([alice.to_str().unwrap()])
                .collect::<Vec<_>>(),
        )
        .success();
    let bob_id = dry.stderr.split(" to ").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap().to_owned();
    text.push_str(&format!(
        "\n[[keys]]\nid = \"{bob_id}\"\nowner = \"bob@example.com\"\npublic_key = \"{}\"\nroles = [\"admin\"]\nadded = \"2026-11-22T10:00:00Z\"\n",
        bob_pub.trim()
    ));
    std::fs::write(&trust, &text).unwrap();
    for sig in std::fs::read_dir(registry.join(".modelreg")).unwrap().flatten() {
        if sig.file_name().to_string_lossy().ends_with(".sig") {
            std::fs::remove_file(sig.path()).unwrap();
        }
    }
    let signature = env.ssh_sign("bob", &trust);
    std::fs::write(registry.join(format!(".modelreg/trust.toml.{bob_id}.sig")), signature).unwrap();
    env.git(&registry, &["add", "-A", ".modelreg"]);
    env.git(&registry, &["commit", "-qm", "make bob admin", "--no-verify"]);

    let run = env.modelreg(&registry, &["check"]).failure(1);
    assert!(run.stdout.contains("in commit"), "{}", run.snapshot());
    assert!(run.stdout.contains(".modelreg/trust.toml: error[trust]"), "{}", run.snapshot());
    // Every command refuses to act on it too.
    let model = env.files("m", &[("w.bin", b"w")]);
    env.register(&registry, "m", &model, &[]).failure(2);
}
