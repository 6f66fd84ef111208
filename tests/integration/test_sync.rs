//! Concurrent registrations from many clones of one registry, resolved by `modelreg sync`.

use std::path::PathBuf;

use crate::common::TestEnv;

#[test]
fn eight_clones_register_at_once_and_sync_resolves_every_race() {
    let env = TestEnv::new();
    let remote = env.seeded_remote();
    let clones: Vec<PathBuf> = (0..8).map(|i| env.clone_of(&remote, &format!("clone{i}"))).collect();
    let alice = env.key("alice");

    let outcomes: Vec<(bool, bool)> = std::thread::scope(|scope| {
        let handles: Vec<_> = clones
            .iter()
            .enumerate()
            .map(|(i, dir)| {
                let (env, alice) = (&env, &alice);
                scope.spawn(move || {
                    let files = env
                        .files(&format!("model{i}"), &[("weights.bin", format!("weights from clone {i}").as_bytes())]);
                    let message = format!("from clone {i}");
                    let key = alice.to_str().unwrap();
                    env.modelreg(dir, &["register", "shared", files.to_str().unwrap(), "--key", key, "-m", &message])
                        .success();
                    let pushed = env.git_run(dir, &["push", "-q", "origin", "main"]).code == 0;
                    if !pushed {
                        env.modelreg(dir, &["sync", "--key", key]).success();
                    }
                    (pushed, true)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("clone thread")).collect()
    });
    let first_try = outcomes.iter().filter(|(pushed, _)| *pushed).count();
    assert!(first_try >= 1, "someone wins the first race");
    assert!(first_try < 8, "pushes raced: at least one lost and was synced");

    // A fresh clone of the remote holds every registration exactly once, versions 1..=8, and checks clean.
    let fresh = env.clone_of(&remote, "fresh");
    let run = env.modelreg(&fresh, &["show", "shared", "--json"]).success();
    let detail: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let versions: Vec<u64> =
        detail["versions"].as_array().unwrap().iter().map(|v| v["version"].as_u64().unwrap()).collect();
    assert_eq!(versions, (1..=8).collect::<Vec<_>>());
    let mut messages: Vec<String> =
        detail["versions"].as_array().unwrap().iter().map(|v| v["message"].as_str().unwrap().to_owned()).collect();
    messages.sort();
    let expected: Vec<String> = (0..8).map(|i| format!("from clone {i}")).collect();
    assert_eq!(messages, expected, "every registration landed exactly once");
    env.modelreg(&fresh, &["check", "--skip-artifacts"]).success();
}

#[test]
fn sync_keeps_an_explicit_version_that_is_still_free_and_refuses_foreign_changes() {
    let env = TestEnv::new();
    let remote = env.seeded_remote();
    let (a, b) = (env.clone_of(&remote, "a"), env.clone_of(&remote, "b"));
    let alice = env.key("alice");
    let key = alice.to_str().unwrap();
    let m1 = env.files("m1", &[("w.bin", b"one")]);
    let m2 = env.files("m2", &[("w.bin", b"two")]);
    env.modelreg(&a, &["register", "m", m1.to_str().unwrap(), "--key", key]).success();
    env.git(&a, &["push", "-q", "origin", "main"]);
    env.modelreg(&b, &["register", "m", m2.to_str().unwrap(), "--key", key, "--version", "10"]).success();
    let run = env.modelreg(&b, &["sync", "--key", key]).success();
    assert!(run.stderr.contains("replayed m v10 as seq 2"), "{}", run.stderr);

    // A local commit that changes more than records is not sync's to rewrite: it refuses, changing nothing.
    std::fs::write(b.join("notes.txt"), "hello").unwrap();
    env.git(&b, &["add", "notes.txt"]);
    env.git(&b, &["commit", "-qm", "notes"]);
    env.modelreg(&a, &["sync", "--key", key]).success();
    let m3 = env.files("m3", &[("w.bin", b"three")]);
    env.modelreg(&a, &["register", "m", m3.to_str().unwrap(), "--key", key]).success();
    env.git(&a, &["push", "-q", "origin", "main"]);
    let head_before = env.git(&b, &["rev-parse", "HEAD"]);
    let run = env.modelreg(&b, &["sync", "--key", key]).failure(2);
    assert!(run.stderr.contains("notes.txt besides adding records"), "{}", run.stderr);
    assert_eq!(env.git(&b, &["rev-parse", "HEAD"]), head_before);
}

#[test]
fn sync_replays_lifecycle_records_onto_the_renumbered_version() {
    let env = TestEnv::new();
    let remote = env.seeded_remote();
    let (a, b) = (env.clone_of(&remote, "a"), env.clone_of(&remote, "b"));
    let key = env.key("alice");
    let key = key.to_str().unwrap();
    let v1 = env.files("one", &[("w.bin", b"one")]);
    env.modelreg(&a, &["register", "m", v1.to_str().unwrap(), "--key", key]).success();
    env.git(&a, &["push", "-q", "origin", "main"]);
    env.git(&b, &["pull", "-q", "origin", "main"]);
    // Both register a v2 at once; b also tags and stages its v2 before pushing.
    let from_a = env.files("from-a", &[("w.bin", b"from a")]);
    env.modelreg(&a, &["register", "m", from_a.to_str().unwrap(), "--key", key]).success();
    env.git(&a, &["push", "-q", "origin", "main"]);
    let from_b = env.files("from-b", &[("w.bin", b"from b")]);
    env.modelreg(&b, &["register", "m", from_b.to_str().unwrap(), "--key", key]).success();
    env.modelreg(&b, &["tag", "m@2", "origin=b", "--key", key]).success();
    env.modelreg(&b, &["promote", "m@2", "--to", "staging", "--key", key]).success();
    assert_ne!(env.git_run(&b, &["push", "-q", "origin", "main"]).code, 0, "b lost the race");
    env.modelreg(&b, &["sync", "--key", key]).success();
    // b's v2 became v3, and its tag and promotion followed it.
    let fresh = env.clone_of(&remote, "fresh");
    let run = env.modelreg(&fresh, &["show", "m@staging", "--json"]).success();
    let detail: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(detail["version"], 3);
    assert_eq!(detail["current_tags"]["origin"], "b");
    assert!(fresh.join("models/m/records/000005-promote.toml").exists());
    env.modelreg(&fresh, &["check"]).success();
}

#[test]
fn sync_carries_approvals_over_when_someone_pushed_first() {
    let env = TestEnv::new();
    let remote = env.seeded_remote();
    let admin = env.clone_of(&remote, "admin");
    let alice = env.key("alice");
    let alice = alice.to_str().unwrap();
    // Production needs one approval; carol may give it.
    let config = admin.join("modelreg.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[lifecycle.gates.production]\napprovals = 1\n");
    std::fs::write(&config, text).unwrap();
    env.modelreg(&admin, &["config", "sign", "--key", alice]).success();
    let carol_pub = env.key("carol").with_extension("pub");
    let args =
        ["key", "add", carol_pub.to_str().unwrap(), "--owner", "carol@example.com", "--role", "approver:production"];
    env.modelreg(&admin, &[&args[..], &["--key", alice]].concat()).success();
    let v1 = env.files("one", &[("w.bin", b"one")]);
    env.modelreg(&admin, &["register", "m", v1.to_str().unwrap(), "--key", alice]).success();
    env.modelreg(&admin, &["promote", "m@1", "--to", "production", "--key", alice]).success();
    env.git(&admin, &["push", "-q", "origin", "main"]);

    let carol = env.clone_of(&remote, "carol");
    let carol_key = env.key("carol");
    env.modelreg(&carol, &["approve", "m@1", "--to", "production", "--key", carol_key.to_str().unwrap()]).success();
    // Meanwhile the admin tags the model and pushes first.
    env.modelreg(&admin, &["tag", "m@1", "team=risk", "--key", alice]).success();
    env.git(&admin, &["push", "-q", "origin", "main"]);
    assert_ne!(env.git_run(&carol, &["push", "-q", "origin", "main"]).code, 0, "carol lost the race");
    let run = env.modelreg(&carol, &["sync", "--key", carol_key.to_str().unwrap()]).success();
    assert!(run.stderr.contains("carried 1 approval(s) over unchanged"), "{}", run.snapshot());
    let fresh = env.clone_of(&remote, "fresh");
    let show = env.modelreg(&fresh, &["show", "m@production", "--json"]).success();
    let detail: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(detail["version"], 1);
    assert_eq!(detail["current_tags"]["team"], "risk");
    env.modelreg(&fresh, &["check"]).success();
}
