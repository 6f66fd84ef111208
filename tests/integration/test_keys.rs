//! Keys: who may sign what, which keys are refused, and where the signing key comes from.

use std::path::Path;

use crate::common::{TestEnv, tree_state};
use crate::test_bad_input::{ALICE, assert_refused, assert_unchanged};

/// `modelreg key add PUB --owner OWNER --role ROLE... --key alice`, which must succeed.
fn grant(env: &TestEnv, registry: &Path, key: &str, owner: &str, roles: &[&str]) {
    let public = env.key(key).with_extension("pub");
    let alice = env.key("alice");
    let mut args = vec!["key", "add", public.to_str().unwrap(), "--owner", owner];
    for role in roles {
        args.extend(["--role", role]);
    }
    args.extend(["--key", alice.to_str().unwrap()]);
    env.modelreg(registry, &args).success();
}

/// The id `key list` shows for `owner`.
fn key_id(env: &TestEnv, registry: &Path, owner: &str) -> String {
    let run = env.modelreg(registry, &["key", "list", "--json"]).success();
    let keys: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let key = keys["keys"].as_array().unwrap().iter().find(|k| k["owner"] == owner).expect("listed");
    key["id"].as_str().unwrap().to_owned()
}

/// The key id in `register`'s `signed by` line.
#[track_caller]
fn signed_by(run: &crate::common::Run) -> String {
    let line = run.stderr.lines().find(|l| l.trim_start().starts_with("signed by")).expect("a signed-by line");
    line.split_whitespace().nth(2).unwrap().to_owned()
}

#[test]
fn registering_needs_a_trusted_key_with_the_publisher_role() {
    let env = TestEnv::new();
    let registry = env.registry();
    let bob = env.key("bob");
    let model = env.files("m", &[("w.bin", b"weights")]);
    let args = ["register", "m", model.to_str().unwrap(), "--key", bob.to_str().unwrap()];

    let before = tree_state(&registry);
    let run = env.modelreg(&registry, &args);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: key 7912eaa3793eb920 is not in the registry's trust file
    hint: an admin grants roles with `modelreg key add PUBKEY --owner EMAIL --role ROLE`
    [exit status: 2]
    ");
    assert_refused(&run);
    assert_unchanged(&before, &tree_state(&registry), "an untrusted key stores nothing");

    grant(&env, &registry, "bob", "bob@example.com", &["approver:production"]);
    let before = tree_state(&registry);
    let run = env.modelreg(&registry, &args);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: key 7912eaa3793eb920 (bob@example.com) does not hold the `publisher` role
    hint: an admin grants roles with `modelreg key add PUBKEY --owner EMAIL --role ROLE`
    [exit status: 2]
    ");
    assert_refused(&run);
    assert_unchanged(&before, &tree_state(&registry), "an approver stores nothing");

    grant(&env, &registry, "bob", "bob@example.com", &["publisher"]);
    let run = env.modelreg(&registry, &args).success();
    assert_eq!(signed_by(&run), key_id(&env, &registry, "bob@example.com"));
    env.modelreg(&registry, &["check"]).success();
}

#[test]
fn rsa_keys_are_refused_for_signing_and_trust() {
    let env = TestEnv::new();
    let registry = env.registry();
    let rsa = env.key("rsa");
    let model = env.files("m", &[("w.bin", b"weights")]);
    let before = tree_state(&registry);
    let run = env.modelreg(&registry, &["register", "m", model.to_str().unwrap(), "--key", rsa.to_str().unwrap()]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: `[TEMP]/home/keys/rsa` is a ssh-rsa key; modelreg signs with ed25519 keys only
    hint: generate one with `modelreg key generate` or `ssh-keygen -t ed25519`
    [exit status: 2]
    ");
    assert_refused(&run);

    let alice = env.key("alice");
    let rsa_pub = rsa.with_extension("pub");
    let run = env.modelreg(
        &registry,
        &[
            "key",
            "add",
            rsa_pub.to_str().unwrap(),
            "--owner",
            "r@example.com",
            "--role",
            "publisher",
            "--key",
            alice.to_str().unwrap(),
        ],
    );
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: invalid public key: ssh-rsa keys are not supported; use an ed25519 key
    hint: generate one with `modelreg key generate` or `ssh-keygen -t ed25519`
    [exit status: 2]
    ");
    assert_refused(&run);
    assert_unchanged(&before, &tree_state(&registry), "nothing written");
}

#[test]
fn an_encrypted_key_signs_only_with_the_right_passphrase() {
    let env = TestEnv::new();
    let registry = env.registry();
    grant(&env, &registry, "dave-encrypted", "dave@example.com", &["publisher"]);
    let dave = env.key("dave-encrypted");
    let model = env.files("m", &[("w.bin", b"weights")]);
    let args = ["register", "m", model.to_str().unwrap(), "--key", dave.to_str().unwrap()];

    let before = tree_state(&registry);
    let run = env.modelreg(&registry, &args);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: key `[TEMP]/home/keys/dave-encrypted` is passphrase-protected and MODELREG_KEY_PASSPHRASE is not set
    hint: export MODELREG_KEY_PASSPHRASE, or use an unencrypted key kept for modelreg
    [exit status: 2]
    ");
    assert_refused(&run);
    let run = env.modelreg_with(&registry, &args, &[("MODELREG_KEY_PASSPHRASE", "wrong horse")]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: the passphrase in MODELREG_KEY_PASSPHRASE does not decrypt `[TEMP]/home/keys/dave-encrypted`
    hint: check MODELREG_KEY_PASSPHRASE, or pass another --key
    [exit status: 2]
    ");
    assert_eq!(run.code, 2, "{}", run.snapshot());
    assert_unchanged(&before, &tree_state(&registry), "nothing written");
    assert_refused(&run);

    let run = env.modelreg_with(&registry, &args, &[("MODELREG_KEY_PASSPHRASE", "correct horse")]).success();
    assert_eq!(signed_by(&run), key_id(&env, &registry, "dave@example.com"));
    env.modelreg(&registry, &["check"]).success();
}

#[test]
fn the_signing_key_comes_from_key_then_env_then_git_then_home() {
    let env = TestEnv::new();
    let registry = env.registry();
    grant(&env, &registry, "bob", "bob@example.com", &["publisher"]);
    grant(&env, &registry, "carol", "carol@example.com", &["publisher"]);
    let (bob_id, carol_id) = (key_id(&env, &registry, "bob@example.com"), key_id(&env, &registry, "carol@example.com"));
    let mut n = 0;
    let mut register = |flags: &[&str], vars: &[(&str, &str)]| {
        n += 1;
        let model = env.files(&format!("m{n}"), &[("w.bin", format!("weights {n}").as_bytes())]);
        let mut args = vec!["register", "m", model.to_str().unwrap()];
        args.extend_from_slice(flags);
        env.modelreg_with(&registry, &args, vars)
    };

    // Nothing configured: the error lists every place that was tried.
    let before = tree_state(&registry);
    let run = register(&[], &[]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: no signing key found (tried --key (not given), MODELREG_KEY (not set), git user.signingKey (not set), [TEMP]/home/.ssh/id_ed25519 (absent))
    hint: create a key with `modelreg key generate`, or pass --key PATH (or set MODELREG_KEY)
    [exit status: 2]
    ");
    assert_refused(&run);
    assert_unchanged(&before, &tree_state(&registry), "nothing written");

    // ~/.ssh/id_ed25519 under the test HOME.
    let ssh = env.home().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::copy(env.key("alice"), ssh.join("id_ed25519")).unwrap();
    crate::common::set_mode(&ssh.join("id_ed25519"), 0o600);
    assert_eq!(signed_by(&register(&[], &[]).success()), ALICE);

    // git's user.signingKey beats the default; it may name the public half.
    let bob_pub = env.key("bob").with_extension("pub");
    env.git(&registry, &["config", "user.signingKey", bob_pub.to_str().unwrap()]);
    assert_eq!(signed_by(&register(&[], &[]).success()), bob_id);

    // MODELREG_KEY beats git.
    let carol = env.key("carol");
    let carol = carol.to_str().unwrap();
    assert_eq!(signed_by(&register(&[], &[("MODELREG_KEY", carol)]).success()), carol_id);

    // --key beats everything.
    let alice = env.key("alice");
    let run = register(&["--key", alice.to_str().unwrap()], &[("MODELREG_KEY", carol)]).success();
    assert_eq!(signed_by(&run), ALICE);

    // A configured key that cannot be loaded is an error, not a reason to fall through to the next.
    let missing = env.path().join("no-such-key");
    let before = tree_state(&registry);
    let run = register(&[], &[("MODELREG_KEY", missing.to_str().unwrap())]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: cannot read key `[TEMP]/no-such-key`: No such file or directory (os error 2)
    hint: check the path given by --key, MODELREG_KEY or git's user.signingKey (`modelreg key generate` makes one)
    [exit status: 2]
    ");
    assert_eq!(run.code, 2, "{}", run.snapshot());
    assert_unchanged(&before, &tree_state(&registry), "nothing written");
    env.modelreg(&registry, &["check"]).success();
    assert_refused(&run);
}

#[test]
fn key_generate_never_overwrites() {
    let env = TestEnv::new();
    let registry = env.registry();
    let path = env.path().join("new-key");
    let run = env.modelreg(&registry, &["key", "generate", "--path", path.to_str().unwrap()]).success();
    assert!(run.stdout.starts_with("ssh-ed25519 "), "{}", run.stdout);
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    assert_eq!(public, run.stdout);
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600, "a private key is readable by its owner only");
    // The key it wrote signs: ssh-keygen accepts it as an ed25519 private key.
    let check = std::process::Command::new("ssh-keygen").arg("-y").arg("-f").arg(&path).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    assert_eq!(String::from_utf8_lossy(&check.stdout).split_whitespace().nth(1), public.split_whitespace().nth(1));
    let before = (std::fs::read(&path).unwrap(), public);

    let run = env.modelreg(&registry, &["key", "generate", "--path", path.to_str().unwrap()]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: `[TEMP]/new-key` already exists
    hint: choose another --path; modelreg never overwrites a key
    [exit status: 2]
    ");
    assert_refused(&run);
    assert_eq!((std::fs::read(&path).unwrap(), std::fs::read_to_string(path.with_extension("pub")).unwrap()), before);

    // A lone public key is not overwritten either (nor is a private key written beside it).
    let lone = env.path().join("lone");
    std::fs::write(lone.with_extension("pub"), "ssh-ed25519 AAAA mine\n").unwrap();
    let run = env.modelreg(&registry, &["key", "generate", "--path", lone.to_str().unwrap()]);
    assert_refused(&run);
    assert!(!lone.exists());
    assert_eq!(std::fs::read_to_string(lone.with_extension("pub")).unwrap(), "ssh-ed25519 AAAA mine\n");

    // The default place is ~/.ssh/id_ed25519, with the same rule.
    env.modelreg(&registry, &["key", "generate"]).success();
    let default = env.home().join(".ssh/id_ed25519");
    let first = std::fs::read(&default).unwrap();
    assert_refused(&env.modelreg(&registry, &["key", "generate"]));
    assert_eq!(std::fs::read(&default).unwrap(), first);
}

#[test]
fn key_add_needs_an_admin() {
    let env = TestEnv::new();
    let registry = env.registry();
    grant(&env, &registry, "bob", "bob@example.com", &["publisher"]);
    let bob = env.key("bob");
    let carol_pub = env.key("carol").with_extension("pub");
    let before = tree_state(&registry);
    let run = env.modelreg(
        &registry,
        &[
            "key",
            "add",
            carol_pub.to_str().unwrap(),
            "--owner",
            "carol@example.com",
            "--role",
            "admin",
            "--key",
            bob.to_str().unwrap(),
        ],
    );
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: key 7912eaa3793eb920 (bob@example.com) does not hold the `admin` role
    hint: an admin grants roles with `modelreg key add PUBKEY --owner EMAIL --role ROLE`
    [exit status: 2]
    ");
    assert_refused(&run);
    // Carol, not in the trust file at all, cannot add herself.
    let carol = env.key("carol");
    let run = env.modelreg(
        &registry,
        &[
            "key",
            "add",
            carol_pub.to_str().unwrap(),
            "--owner",
            "carol@example.com",
            "--role",
            "admin",
            "--key",
            carol.to_str().unwrap(),
        ],
    );
    assert_refused(&run);
    assert_unchanged(&before, &tree_state(&registry), "nothing written");
}

#[test]
fn key_list_shows_owners_roles_and_expiry() {
    let env = TestEnv::new();
    let registry = env.registry();
    grant(&env, &registry, "bob", "bob@example.com", &["publisher", "approver:production"]);
    let carol_pub = env.key("carol").with_extension("pub");
    let alice = env.key("alice");
    env.modelreg(
        &registry,
        &[
            "key",
            "add",
            carol_pub.to_str().unwrap(),
            "--owner",
            "carol@example.com",
            "--role",
            "deployer",
            "--expires",
            "2027-01-01T00:00:00Z",
            "--key",
            alice.to_str().unwrap(),
        ],
    )
    .success();
    insta::assert_snapshot!(env.modelreg(&registry, &["key", "list"]).success().snapshot(), @"
    KEY               OWNER              ROLES                          EXPIRES               FINGERPRINT
    f43fd158e0f275c5  alice@example.com  admin,publisher,deployer       never                 SHA256:9D/RWODydcVHWFUfOuVT02MCThoxzSNvLrcGrIS0uXM
    7912eaa3793eb920  bob@example.com    publisher,approver:production  never                 SHA256:eRLqo3k+uSAuawvHS2/xylnjtBqijyS+NRIj5uXZ3pE
    f654eb71a62f45ef  carol@example.com  deployer                       2027-01-01T00:00:00Z  SHA256:9lTrcaYvRe+edWCZwB9t7GOUNSPhgt0FBKHZ+ApvzSU
    [exit status: 0]
    ");
}

#[test]
fn every_json_report_parses_and_carries_schema_version() {
    let env = TestEnv::new();
    let registry = env.registry();
    let alice = env.key("alice");
    let alice = alice.to_str().unwrap();
    let model = env.files("m", &[("w.bin", b"weights")]);
    let model = model.to_str().unwrap();
    let out = env.path().join("out");
    let bob_pub = env.key("bob").with_extension("pub");
    let runs = [
        env.modelreg(&registry, &["register", "m", model, "--key", alice, "--dry-run", "--json"]),
        env.modelreg(&registry, &["register", "m", model, "--key", alice, "--json"]),
        env.modelreg(&registry, &["get", "m@1", "-o", out.to_str().unwrap(), "--json"]),
        env.modelreg(&registry, &["key", "list", "--json"]),
        env.modelreg(&registry, &["list", "--json"]),
        env.modelreg(&registry, &["show", "m", "--json"]),
        env.modelreg(&registry, &["check", "--json"]),
    ];
    for run in runs {
        let run = run.success();
        let value: serde_json::Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", run.snapshot()));
        assert_eq!(value["schema_version"], 1, "{}", run.stdout);
    }
    // key add has no --json; its dry run leaves the trust file alone.
    let before = tree_state(&registry);
    let args = ["key", "add", bob_pub.to_str().unwrap(), "--owner", "b@example.com", "--role", "publisher"];
    env.modelreg(&registry, &[&args[..], &["--dry-run", "--key", alice]].concat()).success();
    assert_unchanged(&before, &tree_state(&registry), "nothing written");

    // Findings are JSON too, with the exit status of a finding.
    let record = crate::test_bad_input::record(&registry, "m", 1);
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, text.replace("version = 1", "version = 2")).unwrap();
    let run = env.modelreg(&registry, &["check", "--json"]).failure(1);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(value["schema_version"], 1);
    let problems = value["problems"].as_array().unwrap();
    assert!(problems.iter().any(|p| p["rule"] == "signature" && p["severity"] == "error"), "{}", run.stdout);
}

#[test]
fn git_signing_key_may_be_home_relative_but_not_a_literal_key() {
    let env = TestEnv::new();
    let registry = env.registry();
    let ssh = env.home().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::copy(env.key("alice"), ssh.join("modelreg_key")).unwrap();
    crate::common::set_mode(&ssh.join("modelreg_key"), 0o600);
    let model = env.files("m", &[("w.bin", b"weights")]);
    env.git(&registry, &["config", "user.signingKey", "~/.ssh/modelreg_key"]);
    let run = env.modelreg(&registry, &["register", "m", model.to_str().unwrap()]).success();
    assert_eq!(signed_by(&run), ALICE);

    let alice_pub = std::fs::read_to_string(env.key("alice").with_extension("pub")).unwrap();
    env.git(&registry, &["config", "user.signingKey", &format!("key::{}", alice_pub.trim())]);
    let before = tree_state(&registry);
    let v2 = env.files("v2", &[("w.bin", b"weights 2")]);
    let run = env.modelreg(&registry, &["register", "m", v2.to_str().unwrap()]);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: no signing key found (tried --key (not given), MODELREG_KEY (not set), git user.signingKey (a literal public key; modelreg needs the private key file), [TEMP]/home/.ssh/id_ed25519 (absent))
    hint: create a key with `modelreg key generate`, or pass --key PATH (or set MODELREG_KEY)
    [exit status: 2]
    ");
    assert_refused(&run);
    assert_unchanged(&before, &tree_state(&registry), "nothing written");
}

#[test]
fn key_add_refuses_bad_keys_roles_and_times() {
    let env = TestEnv::new();
    let registry = env.registry();
    let alice = env.key("alice");
    let bob_pub = env.key("bob").with_extension("pub");
    let missing = env.path().join("missing.pub");
    let before = tree_state(&registry);
    for (public, extra) in [
        ("ssh-ed25519 garbage", ["--role", "publisher"]),
        (missing.to_str().unwrap(), ["--role", "publisher"]),
        (bob_pub.to_str().unwrap(), ["--role", "superuser"]),
        (bob_pub.to_str().unwrap(), ["--role", "approver:Prod"]),
        (bob_pub.to_str().unwrap(), ["--expires", "tomorrow"]),
    ] {
        let mut args = vec!["key", "add", public, "--owner", "bob@example.com", "--key", alice.to_str().unwrap()];
        args.extend(extra);
        if !extra.contains(&"--role") {
            args.extend(["--role", "publisher"]);
        }
        let run = env.modelreg(&registry, &args);
        assert_unchanged(&before, &tree_state(&registry), &format!("{args:?}"));
        assert_refused(&run);
    }
}
