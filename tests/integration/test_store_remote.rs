//! Shared artifact stores against real servers: moto (S3) and Azurite (Azure Blob) on 127.0.0.1,
//! a bare remote with the real server hook, and clones that register, push and fetch.

use std::path::{Path, PathBuf};

use crate::common::{Run, TestEnv, tree_state};
use crate::servers::{Azurite, Moto};

type Vars = Vec<(&'static str, String)>;

fn with(vars: &Vars) -> Vec<(&str, &str)> {
    vars.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// `modelreg ARGS` in `dir` with the store's environment.
fn mr(env: &TestEnv, dir: &Path, vars: &Vars, args: &[&str]) -> Run {
    env.modelreg_with(dir, args, &with(vars))
}

fn register(env: &TestEnv, dir: &Path, vars: &Vars, model: &str, files: &Path, extra: &[&str]) -> Run {
    let alice = env.key("alice");
    let mut args = vec!["register", model, files.to_str().unwrap(), "--key", alice.to_str().unwrap(), "--no-code"];
    args.extend_from_slice(extra);
    mr(env, dir, vars, &args)
}

/// Pushes `main` from `dir` to `origin` (through the client hook) with the store's environment.
fn push_main(env: &TestEnv, dir: &Path, vars: &Vars) -> Run {
    env.push_with(dir, &["-q", "origin", "main"], &with(vars))
}

/// Registers `files` as the next version of `model` in `dir`, then pushes `main`; both must succeed.
#[track_caller]
fn register_and_push(env: &TestEnv, dir: &Path, vars: &Vars, model: &str, files: &Path) {
    register(env, dir, vars, model, files, &[]).success();
    push_main(env, dir, vars).success();
}

/// `modelreg get SPEC -o OUT` in `dir` with the store's environment.
fn get(env: &TestEnv, dir: &Path, vars: &Vars, spec: &str, out: &Path) -> Run {
    mr(env, dir, vars, &["get", spec, "-o", out.to_str().unwrap()])
}

/// Sets `[store] url` in the registry's modelreg.toml and signs it as alice (committed). Each change
/// is noted in a comment, so going back to an earlier URL gives new bytes (earlier bytes would be a
/// replay of their old signature, which `config sign` refuses).
fn set_store_url(env: &TestEnv, registry: &Path, url: &str) {
    static CHANGES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let path = registry.join("modelreg.toml");
    let change = CHANGES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let text = std::fs::read_to_string(&path).unwrap() + &format!("# store.url set to {url} (change {change})\n");
    let text = match text.find("\nurl = ") {
        Some(at) => {
            let end = text[at + 1..].find('\n').map_or(text.len(), |e| at + 1 + e);
            format!("{}\nurl = \"{url}\"{}", &text[..at], &text[end..])
        }
        None => text.replace("path = \".modelreg/objects\"", &format!("path = \".modelreg/objects\"\nurl = \"{url}\"")),
    };
    std::fs::write(&path, text).unwrap();
    let alice = env.key("alice");
    env.modelreg(registry, &["config", "sign", "--key", alice.to_str().unwrap()]).success();
}

/// A bare remote with the server hook and alice's registry using the store at `url`, pushed to it.
fn served(env: &TestEnv, url: &str, vars: &Vars) -> (PathBuf, PathBuf) {
    let remote = env.bare_remote("remote.git");
    let clone = env.registry();
    set_store_url(env, &clone, url);
    env.git(&clone, &["remote", "add", "origin", remote.to_str().unwrap()]);
    env.push_with(&clone, &["-q", "-u", "origin", "main"], &with(vars)).success();
    (remote, clone)
}

fn object_key(prefix: &str, digest: &str) -> String {
    let hex = digest.strip_prefix("blake3:").unwrap();
    format!("{prefix}/objects/{}/{}", &hex[..2], &hex[2..])
}

fn digest_of(bytes: &[u8]) -> String {
    format!("blake3:{}", blake3::hash(bytes).to_hex())
}

fn one_line_error_with_hint(run: &Run) {
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "expected an error line and a hint line:\n{}", run.snapshot());
    assert!(lines[0].starts_with("error: "), "{}", run.snapshot());
    assert!(lines[1].starts_with("hint: "), "{}", run.snapshot());
}

#[test]
fn s3_register_push_and_get_from_another_clone() {
    let env = TestEnv::new();
    let moto = Moto::start(env.path(), "models");
    let vars = moto.env();
    let (remote, alice) = served(&env, "s3://models/registry", &vars);

    let weights = b"weights of version one".repeat(1000);
    let files = env.files("v1", &[("model.onnx", &weights), ("config/labels.txt", b"cat\ndog\n")]);
    let run = register(&env, &alice, &vars, "churn", &files, &[]).success();
    assert!(run.stderr.contains("to s3://models/registry"), "{}", run.stderr);
    assert!(moto.exists(&object_key("registry", &digest_of(&weights))));
    push_main(&env, &alice, &vars).success();

    // A teammate's clone has an empty cache: get downloads, verifies and caches.
    let bob = env.clone_of(&remote, "bob");
    let out = env.path().join("out");
    let run = get(&env, &bob, &vars, "churn@1", &out).success();
    assert!(run.stderr.contains("downloaded 2 object(s)"), "{}", run.stderr);
    assert_eq!(std::fs::read(out.join("model.onnx")).unwrap(), weights);
    assert_eq!(std::fs::read(out.join("config/labels.txt")).unwrap(), b"cat\ndog\n");

    let status = mr(&env, &bob, &vars, &["store", "status", "--json"]).success();
    let json: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert!(json["objects"].as_array().unwrap().iter().all(|o| o["location"] == "both"), "{}", status.stdout);

    // Cached objects cost no request: with the server gone, get still works.
    drop(moto);
    let again = env.path().join("again");
    let run = get(&env, &bob, &vars, "churn@1", &again).success();
    assert!(!run.stderr.contains("downloaded"), "{}", run.stderr);
    assert_eq!(std::fs::read(again.join("model.onnx")).unwrap(), weights);
}

#[test]
fn offline_registration_is_refused_by_the_server_until_store_push() {
    let env = TestEnv::new();
    let moto = Moto::start(env.path(), "models");
    let vars = moto.env();
    let (remote, alice) = served(&env, "s3://models/registry", &vars);
    let files = env.files("v1", &[("model.onnx", b"offline weights")]);
    let run = register(&env, &alice, &vars, "m", &files, &["--offline"]).success();
    assert!(run.stderr.contains("modelreg store push"), "{}", run.stderr);
    let before = env.rev(&remote, "main");

    let run = env.push_with(&alice, &["-q", "--no-verify", "origin", "main"], &with(&vars)).failure(1);
    assert!(run.stderr.contains("error[artifact-present]"), "{}", run.stderr);
    assert!(run.stderr.contains("is not in the shared store s3://models/registry"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: upload the artifacts with `modelreg store push`"), "{}", run.stderr);
    assert_eq!(env.rev(&remote, "main"), before);

    // `store status` names the local-only object; `check --range` says what the hook said.
    let status = mr(&env, &alice, &vars, &["store", "status"]).success();
    assert!(status.stdout.starts_with("local-only"), "{}", status.stdout);
    let range = format!("{before}..HEAD");
    mr(&env, &alice, &vars, &["check", "--range", &range]).failure(1);

    let run = mr(&env, &alice, &vars, &["store", "push"]).success();
    assert!(run.stderr.contains("pushed 1 object(s)"), "{}", run.stderr);
    mr(&env, &alice, &vars, &["check", "--range", &range]).success();
    env.push_with(&alice, &["-q", "--no-verify", "origin", "main"], &with(&vars)).success();
}

#[test]
fn a_hook_without_credentials_says_so() {
    let env = TestEnv::new();
    let moto = Moto::start(env.path(), "models");
    let vars = moto.env();
    let (_remote, alice) = served(&env, "s3://models/registry", &vars);
    let files = env.files("v1", &[("model.onnx", b"weights")]);
    register(&env, &alice, &vars, "m", &files, &[]).success();
    let run = env.push(&alice, &["-q", "--no-verify", "origin", "main"]).failure(1);
    assert!(run.stderr.contains("cannot confirm the artifacts are in s3://models/registry"), "{}", run.stderr);
    assert!(run.stderr.contains("no credentials in the environment"), "{}", run.stderr);
    assert!(run.stderr.contains("run `modelreg check --range` with credentials in CI"), "{}", run.stderr);
}

#[test]
fn two_clones_upload_the_same_digest_at_once() {
    let env = TestEnv::new();
    let moto = Moto::start(env.path(), "models");
    let vars = moto.env();
    let (remote, _alice) = served(&env, "s3://models/registry", &vars);
    let weights = vec![7u8; 3 << 20];
    let files = env.files("shared", &[("model.bin", &weights)]);
    let clones: Vec<PathBuf> = ["c1", "c2", "c3"].iter().map(|n| env.clone_of(&remote, n)).collect();
    let alice = env.key("alice");
    let children: Vec<_> = clones
        .iter()
        .map(|clone| {
            let args = ["register", "m", files.to_str().unwrap(), "--no-code", "--key", alice.to_str().unwrap()];
            let mut command = env.command(clone, &args, &with(&vars));
            command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
            command.spawn().unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let verify = mr(&env, &clones[0], &vars, &["store", "verify", "--all"]).success();
    assert!(verify.stderr.contains("1 object(s) intact, 0 bad"), "{}", verify.stderr);
}

#[test]
fn a_corrupted_remote_object_is_caught_and_nothing_is_written() {
    let env = TestEnv::new();
    let moto = Moto::start(env.path(), "models");
    let vars = moto.env();
    let (remote, alice) = served(&env, "s3://models/registry", &vars);
    let weights = b"the real weights".repeat(100);
    let files = env.files("v1", &[("model.bin", &weights)]);
    register_and_push(&env, &alice, &vars, "m", &files);

    let key = object_key("registry", &digest_of(&weights));
    for damage in [b"the fake weights".repeat(100), weights[..weights.len() - 1].to_vec()] {
        moto.overwrite(&key, &damage);
        let bob = env.clone_of(&remote, &format!("bob{}", damage.len()));
        let out = env.path().join(format!("out{}", damage.len()));
        let before = tree_state(&bob);
        let run = get(&env, &bob, &vars, "m@1", &out).failure(2);
        assert!(run.stderr.contains("object is corrupted"), "{}", run.snapshot());
        one_line_error_with_hint(&run);
        assert!(!out.exists(), "a failed get left {}", out.display());
        assert_eq!(tree_state(&bob), before, "the clone (and its cache) changed");

        let run = mr(&env, &bob, &vars, &["store", "verify", "--all"]).failure(1);
        assert!(run.stdout.starts_with("corrupt "), "{}", run.snapshot());
    }
    // The full check reads the shared store back too with --artifacts (the local cache is intact).
    mr(&env, &alice, &vars, &["check"]).success();
    let run = mr(&env, &alice, &vars, &["check", "--artifacts"]).failure(1);
    assert!(run.stdout.contains("error[artifact]") && run.stdout.contains("is corrupted"), "{}", run.snapshot());
    // The cache of the clone that registered still has the bytes; a push repairs a truncated object.
    let run = mr(&env, &alice, &vars, &["store", "push"]).success();
    assert!(run.stderr.contains("pushed 1 object(s)"), "{}", run.stderr);
    mr(&env, &alice, &vars, &["store", "verify", "--all"]).success();
    mr(&env, &alice, &vars, &["check", "--artifacts"]).success();

    // Damage of the right size is invisible to push's size check: `verify --repair` mends it from a
    // cache that holds the verified bytes, and says so; a clone without them cannot.
    moto.overwrite(&key, &b"the fake weights".repeat(100));
    let run = mr(&env, &alice, &vars, &["store", "push"]).success();
    assert!(run.stderr.contains("pushed 0 object(s)"), "{}", run.stderr);
    let bob = env.clone_of(&remote, "bob-repair");
    let run = mr(&env, &bob, &vars, &["store", "verify", "--all", "--repair"]).failure(1);
    assert!(
        run.stderr.contains("run `modelreg store verify --all --repair` in a clone whose cache does"),
        "{}",
        run.snapshot()
    );
    let run = mr(&env, &alice, &vars, &["store", "verify", "--all", "--repair"]).success();
    let repaired = format!("repaired {}  m@1: model.bin\n", digest_of(&weights));
    assert_eq!(run.stdout, repaired, "{}", run.snapshot());
    assert!(
        run.stderr.contains("1 object(s) intact, 0 bad") && run.stderr.contains("1 replaced from the local cache"),
        "{}",
        run.snapshot()
    );
    let out = env.path().join("out-repaired");
    get(&env, &bob, &vars, "m@1", &out).success();
    assert_eq!(std::fs::read(out.join("model.bin")).unwrap(), weights);
}

#[test]
fn killing_register_mid_upload_leaves_no_record_and_a_rerun_succeeds() {
    let env = TestEnv::new();
    let moto = Moto::start(env.path(), "models");
    let vars = moto.env();
    let (_remote, alice) = served(&env, "s3://models/registry", &vars);
    // Above the multipart threshold, so the upload takes a while and goes up in parts.
    let mut weights = vec![0u8; 96 << 20];
    for (i, chunk) in weights.chunks_mut(4096).enumerate() {
        chunk[..8].copy_from_slice(&(i as u64).to_le_bytes());
    }
    let files = env.files("big", &[("model.bin", &weights)]);
    let cached = alice.join(".modelreg/objects").join(&digest_of(&weights)["blake3:".len()..][..2]);
    let head = env.rev(&alice, "HEAD");

    let key = env.key("alice");
    let args = ["register", "m", files.to_str().unwrap(), "--no-code", "--key", key.to_str().unwrap()];
    let mut child = env
        .command(&alice, &args, &with(&vars))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The object reaches the cache just before the upload begins.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !cached.exists() {
        assert!(std::time::Instant::now() < deadline, "register never stored the object");
        assert!(child.try_wait().unwrap().is_none(), "register finished before it could be killed");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Right after: the 96 MiB multipart upload to moto takes far longer than this.
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(child.try_wait().unwrap().is_none(), "register finished before it could be killed");
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(env.rev(&alice, "HEAD"), head, "a commit was made");
    assert!(!alice.join("models/m").exists(), "a record was written");
    let run = register(&env, &alice, &vars, "m", &files, &[]).success();
    assert!(run.stderr.contains("registered m v1"), "{}", run.stderr);
    let verify = mr(&env, &alice, &vars, &["store", "verify", "--all"]).success();
    assert!(verify.stderr.contains("1 object(s) intact"), "{}", verify.stderr);
}

#[test]
fn gc_lists_and_deletes_only_what_no_record_names() {
    let env = TestEnv::new();
    let moto = Moto::start(env.path(), "models");
    let vars = moto.env();
    let (_remote, alice) = served(&env, "s3://models/registry", &vars);
    let files = env.files("v1", &[("model.bin", b"kept weights")]);
    register(&env, &alice, &vars, "m", &files, &[]).success();
    let stray = digest_of(b"an upload nobody registered");
    moto.overwrite(&object_key("registry", &stray), b"an upload nobody registered");

    let run = mr(&env, &alice, &vars, &["store", "gc", "--dry-run"]).success();
    assert!(run.stdout.contains(&stray), "{}", run.snapshot());
    // Young objects survive even --delete (an upload whose record is not committed yet).
    let run = mr(&env, &alice, &vars, &["store", "gc", "--delete"]).success();
    assert!(run.stderr.contains("0 deleted"), "{}", run.snapshot());
    let run = mr(&env, &alice, &vars, &["store", "gc", "--delete", "--grace", "0s"]).success();
    assert!(run.stderr.contains("1 referenced, 1 unreferenced, 1 deleted"), "{}", run.snapshot());
    assert!(!moto.exists(&object_key("registry", &stray)));
    assert!(moto.exists(&object_key("registry", &digest_of(b"kept weights"))));
    mr(&env, &alice, &vars, &["store", "verify", "--all"]).success();
}

#[test]
fn migrate_from_a_directory_to_s3() {
    let env = TestEnv::new();
    let moto = Moto::start(env.path(), "models");
    let vars = moto.env();
    let shared = env.path().join("shared-dir");
    std::fs::create_dir_all(&shared).unwrap();
    let (remote, alice) = served(&env, &format!("file://{}", shared.display()), &vars);
    let files = env.files("v1", &[("model.bin", b"migrating weights")]);
    register(&env, &alice, &vars, "m", &files, &[]).success();
    assert!(shared.join("objects").is_dir());

    let run = mr(&env, &alice, &vars, &["store", "migrate", "--to", "s3://models/moved"]).success();
    assert!(run.stderr.contains("1 read back intact, 0 bad"), "{}", run.snapshot());
    assert!(run.stderr.contains("modelreg config sign"), "{}", run.snapshot());
    set_store_url(&env, &alice, "s3://models/moved");
    push_main(&env, &alice, &vars).success();

    let bob = env.clone_of(&remote, "bob");
    let out = env.path().join("out");
    get(&env, &bob, &vars, "m@1", &out).success();
    assert_eq!(std::fs::read(out.join("model.bin")).unwrap(), b"migrating weights");
}

#[test]
fn azure_round_trip() {
    let env = TestEnv::new();
    let azurite = Azurite::start(env.path(), "models");
    let vars = azurite.env();
    let (remote, alice) = served(&env, "az://models/team", &vars);
    let weights = b"azure weights".repeat(5000);
    let files = env.files("v1", &[("model.safetensors", &weights)]);
    register_and_push(&env, &alice, &vars, "m", &files);

    let bob = env.clone_of(&remote, "bob");
    let out = env.path().join("out");
    get(&env, &bob, &vars, "m@1", &out).success();
    assert_eq!(std::fs::read(out.join("model.safetensors")).unwrap(), weights);

    // Damage it behind modelreg's back: verify and a fresh get both refuse it.
    let key = object_key("team", &digest_of(&weights));
    azurite.python(&format!("service.get_blob_client('models', {key:?}).upload_blob(b'garbage', overwrite=True)"));
    mr(&env, &bob, &vars, &["store", "verify", "--all"]).failure(1);
    let carol = env.clone_of(&remote, "carol");
    let out = env.path().join("out-carol");
    get(&env, &carol, &vars, "m@1", &out).failure(2);
    assert!(!out.exists());
}

#[test]
fn store_failures_are_one_line_with_a_hint_and_write_nothing() {
    let env = TestEnv::new();
    let moto = Moto::start(env.path(), "models");
    let azurite = Azurite::start(env.path(), "models");
    let vars = moto.env();
    let alice = env.registry();
    set_store_url(&env, &alice, "s3://models/registry");
    let files = env.files("v1", &[("model.bin", b"weights")]);
    let before = tree_state(&alice);

    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let unreachable: Vars = vec![
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{dead}")),
        ("AWS_ALLOW_HTTP", "true".into()),
    ];
    let wrong_key: Vars = vec![
        ("AZURE_STORAGE_USE_EMULATOR", "true".into()),
        ("AZURITE_BLOB_STORAGE_URL", azurite.server.endpoint()),
        ("AZURE_STORAGE_ACCOUNT_KEY", "d3Jvbmcga2V5IGZvciB0aGUgZW11bGF0b3I=".into()),
    ];
    let cases: [(&str, &Vars, &str, &str); 4] = [
        ("s3://models/registry", &unreachable, "cannot reach the store", "check the endpoint"),
        ("s3://no-such-bucket/registry", &vars, "the bucket or container does not exist", "create the bucket"),
        ("az://models/x", &wrong_key, "access denied (wrong credentials", "check the credentials"),
        ("s3://models/registry", &Vec::new(), "no credentials in the environment", "export the store's credentials"),
    ];
    for (url, case_vars, error, hint) in cases {
        set_store_url(&env, &alice, url);
        let before = tree_state(&alice);
        let run = register(&env, &alice, case_vars, "m", &files, &[]).failure(2);
        one_line_error_with_hint(&run);
        assert!(run.stderr.contains(error), "{url}: {}", run.snapshot());
        assert!(run.stderr.lines().nth(1).unwrap().contains(hint), "{url}: {}", run.snapshot());
        // Nothing is recorded; only the cache holds the object, to be uploaded by a re-run.
        let after: Vec<_> =
            tree_state(&alice).into_iter().filter(|(p, _)| !p.starts_with(".modelreg/objects")).collect();
        let before: Vec<_> = before.into_iter().filter(|(p, _)| !p.starts_with(".modelreg/objects")).collect();
        assert_eq!(after, before, "{url}: the registry changed");
    }
    let _ = before;
    // The same failures from `get` and `store status`.
    set_store_url(&env, &alice, "s3://models/registry");
    let run = mr(&env, &alice, &unreachable, &["store", "status"]).failure(2);
    one_line_error_with_hint(&run);
}

#[test]
fn store_output_reads_as_documented() {
    let env = TestEnv::new();
    let moto = Moto::start(env.path(), "models");
    let vars = moto.env();
    let (_remote, alice) = served(&env, "s3://models/registry", &vars);
    let files = env.files("v1", &[("model.onnx", b"weights"), ("labels.txt", b"cat\n")]);
    register(&env, &alice, &vars, "m", &files, &["--offline"]).success();
    let status = mr(&env, &alice, &vars, &["store", "status"]).success();
    insta::assert_snapshot!(status.snapshot(), @"
    local-only   blake3:18d3a7e617aa466916069d0b1a88d5eccb0da59bb68e9245600c41f7efb40ffe         4 B  m@1: labels.txt
    local-only   blake3:3edc5c4a5df8c79ef4f8dbdc373cd21ca041ccf39fe5693250d004092094dc4a         7 B  m@1: model.onnx
    ----- stderr -----
    s3://models/registry: 2 object(s): 0 both, 2 local-only, 0 remote-only, 0 missing
    hint: `modelreg store push` uploads the local-only objects
    [exit status: 0]
    ");

    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut unreachable = vars.clone();
    unreachable.retain(|(k, _)| *k != "AWS_ENDPOINT_URL");
    unreachable.push(("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{dead}")));
    let more = env.files("v2", &[("model.onnx", b"weights two")]);
    let run = register(&env, &alice, &unreachable, "m", &more, &[]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: s3://models/registry: cannot reach the store (listing objects)
    hint: check the endpoint (AWS_ENDPOINT_URL, AZURITE_BLOB_STORAGE_URL) and the network; `register --offline` keeps the files local until `modelreg store push`
    [exit status: 2]
    ");
}

/// A baseline profile registered on one machine is fetched from the shared store by `drift` on a
/// clone whose cache has never seen it (and verified like every other object).
#[test]
fn drift_on_another_clone_fetches_the_stored_baseline_profile() {
    let env = TestEnv::new();
    let moto = Moto::start(env.path(), "models");
    let vars = moto.env();
    let (remote, alice) = served(&env, "s3://models/registry", &vars);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/drift/tests/fixtures");
    let profile = env.path().join("baseline.profile.toml");
    let baseline = data.join("baseline.csv");
    mr(&env, &alice, &vars, &["profile", baseline.to_str().unwrap(), "-o", profile.to_str().unwrap()]).success();
    let files = env.files("v1", &[("model.onnx", b"weights")]);
    register(&env, &alice, &vars, "churn", &files, &["--baseline-profile", profile.to_str().unwrap()]).success();
    env.push_with(&alice, &["-q", "origin", "main"], &with(&vars)).success();

    let bob = env.clone_of(&remote, "bob");
    let target = data.join("target.csv");
    let run =
        mr(&env, &bob, &vars, &["drift", "churn@1", "--target", target.to_str().unwrap(), "--no-record", "--json"])
            .success();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["model"], "churn", "{}", run.stdout);
    assert!(report["report"]["features"].as_array().is_some_and(|f| !f.is_empty()), "{}", run.stdout);

    // Without the server and without a cached copy, the error names the missing object.
    let carol = env.clone_of(&remote, "carol");
    drop(moto);
    let run = mr(&env, &carol, &vars, &["drift", "churn@1", "--target", target.to_str().unwrap(), "--no-record"]);
    assert_ne!(run.code, 0, "{}", run.snapshot());
    assert!(run.stderr.lines().any(|l| l.starts_with("hint:")), "{}", run.snapshot());
}

#[test]
fn a_disk_that_fills_up_during_get_is_one_line_with_a_hint_and_keeps_nothing() {
    let env = TestEnv::new();
    let shared = env.path().join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let vars: Vars = Vec::new();
    let (remote, alice) = served(&env, &format!("file://{}", shared.display()), &vars);
    let weights: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let files = env.files("v1", &[("model.bin", &weights)]);
    register_and_push(&env, &alice, &vars, "m", &files);

    // bob's cache (store.path) is a 1 MiB disk: the 3 MB download cannot fit.
    let bob = env.clone_of(&remote, "bob");
    let cache = bob.join(".modelreg/objects");
    std::fs::create_dir_all(&cache).unwrap();
    let out = env.path().join("out");
    let args = ["get", "m@1", "-o", out.to_str().unwrap()];
    let (run, left) = env.modelreg_on_small_disk(&bob, &cache, "1m", &args);
    let run = run.failure(2);
    one_line_error_with_hint(&run);
    assert_eq!(left, Vec::<String>::new(), "no partial file on the full disk");
    assert!(run.stderr.contains("No space left on device"), "{}", run.snapshot());
    assert!(run.stderr.contains("hint: the disk is full"), "{}", run.snapshot());
    assert!(!out.exists(), "no output directory");
    // With room, the same command succeeds.
    get(&env, &bob, &vars, "m@1", &out).success();
    assert_eq!(std::fs::read(out.join("model.bin")).unwrap(), weights);
}
