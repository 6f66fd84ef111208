//! Hygiene: nothing but model directories under `models/`, nothing but records, signatures and the
//! card in a model directory, and no symbolic links anywhere in it.

use super::{
    ALICE, committed_by_hand_refused_by_server, record, refused_by_client_hooks, refused_by_pre_push,
    refused_by_server, served_registry, signature,
};
use crate::common::TestEnv;

#[test]
fn a_stray_file_in_a_model_directory_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    std::fs::write(clone.join("models/m/notes.txt"), "not a record").unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[layout]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/notes.txt: error[layout]: not part of the registry layout (a model directory holds records/, README.md and card.toml)
    remote:   hint: move it out of models/
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[layout]");
}

#[test]
fn a_stray_file_in_a_records_directory_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    std::fs::write(clone.join("models/m/records/notes.txt"), "not a record").unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[layout]");
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
    refused_by_client_hooks(&env, &remote, &clone, "error[layout]");
}

#[test]
fn a_stray_file_directly_under_models_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    std::fs::write(clone.join("models/notes.txt"), "not a model").unwrap();
    // The full check of the working tree sees it.
    env.modelreg(&clone, &["check", "--skip-artifacts"]).failure(1);
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[layout]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/notes.txt: error[layout]: only model directories belong in models/ (no files, symbolic links or submodules)
    remote:   hint: move it out of models/
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[layout]");
}

#[cfg(unix)]
#[test]
fn a_symlinked_record_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // Record 3 as a link to record 2, with record 2's signature: the bytes behind it verify.
    std::os::unix::fs::symlink("000002-register.toml", record(&clone, "m", 3)).unwrap();
    std::fs::copy(signature(&clone, "m", 2, ALICE), signature(&clone, "m", 3, ALICE)).unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[layout]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[layout]: not a regular file
    remote:   hint: symbolic links, directories and submodules are not allowed in records/
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[layout]");
}

#[cfg(unix)]
#[test]
fn a_symlink_in_place_of_a_model_directory_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    std::os::unix::fs::symlink("m", clone.join("models/alias")).unwrap();
    // The full check of the working tree sees it.
    env.modelreg(&clone, &["check", "--skip-artifacts"]).failure(1);
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[layout]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/alias: error[layout]: only model directories belong in models/ (no files, symbolic links or submodules)
    remote:   hint: move it out of models/
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[layout]");
}

#[cfg(unix)]
#[test]
fn a_symlinked_model_card_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // README.md is a card name, but the card must be a regular file.
    std::fs::remove_file(clone.join("models/m/README.md")).unwrap();
    std::os::unix::fs::symlink("../../modelreg.toml", clone.join("models/m/README.md")).unwrap();
    // The full check of the working tree sees it.
    env.modelreg(&clone, &["check", "--skip-artifacts"]).failure(1);
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[layout]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/README.md: error[layout]: not part of the registry layout (a model directory holds records/, README.md and card.toml)
    remote:   hint: move it out of models/
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[layout]");
}

/// Stores a tree object with `entries` (mode, name, id) exactly in the order given, as git itself
/// never would: `git hash-object --literally` writes the bytes without checking them.
fn raw_tree(env: &TestEnv, repo: &std::path::Path, entries: &[(String, String, String)]) -> String {
    let mut bytes = Vec::new();
    for (mode, name, id) in entries {
        bytes.extend_from_slice(format!("{} {name}\0", mode.trim_start_matches('0')).as_bytes());
        bytes.extend((0..id.len()).step_by(2).map(|i| u8::from_str_radix(&id[i..i + 2], 16).unwrap()));
    }
    let file = env.path().join("raw-tree");
    std::fs::write(&file, bytes).unwrap();
    env.git(repo, &["hash-object", "-t", "tree", "--literally", "-w", file.to_str().unwrap()]).trim().to_owned()
}

#[test]
fn a_tree_listing_a_model_twice_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // `models/` lists `m` twice: first a copy holding an unsigned record 3, then the signed original.
    // `git show` serves the first; a lookup by binary search finds the second, which passes the rules.
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.register(&clone, "m", &v3, &["--no-commit"]).success();
    std::fs::remove_file(signature(&clone, "m", 3, ALICE)).unwrap();
    env.git(&clone, &["add", "-A"]);
    let staged = env.git(&clone, &["write-tree"]).trim().to_owned();
    let tampered = env.rev(&clone, &format!("{staged}:models/m"));
    let original = env.rev(&clone, "HEAD:models/m");
    env.git(&clone, &["reset", "-q", "--hard", "HEAD"]);
    let dir = |id: &str| ("040000".to_owned(), "m".to_owned(), id.to_owned());
    let models = raw_tree(&env, &clone, &[dir(&tampered), dir(&original)]);
    let root: Vec<(String, String, String)> = env
        .git(&clone, &["ls-tree", "HEAD"])
        .lines()
        .map(|line| {
            let (meta, name) = line.split_once('\t').unwrap();
            let mut parts = meta.split(' ');
            let (mode, _, id) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
            let id = if name == "models" { models.clone() } else { id.to_owned() };
            (mode.to_owned(), name.to_owned(), id)
        })
        .collect();
    let root = raw_tree(&env, &clone, &root);
    let commit = env.git(&clone, &["commit-tree", &root, "-p", "HEAD", "-m", "by hand"]).trim().to_owned();
    env.git(&clone, &["update-ref", "refs/heads/main", &commit]);
    let refspec = "main";

    // `hooks install --server` set receive.fsckObjects: git refuses the pack before any hook runs.
    assert_eq!(env.git(&remote, &["config", "receive.fsckObjects"]).trim(), "true");
    let before = env.rev(&remote, "main");
    let run = env.push(&clone, &["--no-verify", "origin", refspec]).failure(1);
    assert!(run.stderr.contains("duplicateEntries"), "{}", run.snapshot());
    assert_eq!(env.rev(&remote, "main"), before, "the remote is unchanged");

    // Without it, the hook refuses the tree itself; so do `check --range` and the client's pre-push.
    env.git(&remote, &["config", "--unset", "receive.fsckObjects"]);
    let run = refused_by_server(&env, &remote, &clone, &["origin", refspec], "error[layout]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models: error[layout]: the tree lists `m` more than once (git never writes such a tree)
    remote:   hint: the commit was crafted by hand: rebuild it with git (`git add`, `git commit`)
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    let run = env.modelreg(&clone, &["check", "--range", "HEAD~1..HEAD"]).failure(1);
    assert!(
        run.stdout.contains("models: error[layout]") || run.stderr.contains("models: error[layout]"),
        "{}",
        run.snapshot()
    );
    refused_by_pre_push(&env, &remote, &clone, &["origin", refspec], "error[layout]");
}
