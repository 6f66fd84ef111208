//! Records are append-only and chained: edits, deletions, renames, replays, gaps, versions going
//! down, records copied from another model and oversized records never reach the remote.

use super::{
    ALICE, append_line, committed_by_hand_refused_by_server, record, refused_by_client_hooks, refused_by_pre_commit,
    refused_by_server, replace, served_registry, sign_as_alice, signature, uncommitted_record,
};
use crate::common::{TestEnv, tree_state};

#[test]
fn an_edited_record_is_refused_at_commit_and_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    replace(&record(&clone, "m", 1), "auc = 0.91", "auc = 0.99");
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[append-only]");
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
    refused_by_client_hooks(&env, &remote, &clone, "error[append-only]");
}

#[test]
fn a_deleted_record_is_refused_at_commit_and_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    std::fs::remove_file(record(&clone, "m", 2)).unwrap();
    std::fs::remove_file(signature(&clone, "m", 2, ALICE)).unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[append-only]");
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
    refused_by_client_hooks(&env, &remote, &clone, "error[append-only]");
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
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[append-only]");
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
    refused_by_client_hooks(&env, &remote, &clone, "error[append-only]");
}

#[test]
fn a_version_going_down_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // A new record whose version is below v2, re-signed by alice so that only the version rule fails.
    let new = uncommitted_record(&env, &clone);
    replace(&new, "version = 3", "version = 1");
    sign_as_alice(&env, &new);
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[version]");
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
    refused_by_client_hooks(&env, &remote, &clone, "error[version]");
}

#[test]
fn a_replayed_old_record_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // Record 1 and its (valid) signature, copied in as record 3.
    std::fs::copy(record(&clone, "m", 1), record(&clone, "m", 3)).unwrap();
    std::fs::copy(signature(&clone, "m", 1, ALICE), signature(&clone, "m", 3, ALICE)).unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[chain]");
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
    refused_by_client_hooks(&env, &remote, &clone, "error[chain]");
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
    sign_as_alice(&env, &renamed);
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[chain]");
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
    refused_by_client_hooks(&env, &remote, &clone, "error[chain]");
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
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[chain]");
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
    refused_by_client_hooks(&env, &remote, &clone, "error[chain]");
}

/// Appends `line` and a newline to the file at `path`.
#[test]
fn an_oversized_record_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // A valid next record padded past 1 MiB with a TOML comment, and signed.
    let new = uncommitted_record(&env, &clone);
    let padding: Vec<u8> = std::iter::repeat_n(b'x', 1 << 20).collect();
    append_line(&new, &[&b"# "[..], &padding].concat());
    sign_as_alice(&env, &new);
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[schema]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[schema]: file is 1049101 bytes, over the 1048576-byte limit
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[schema]");
}

#[test]
fn a_deeply_nested_record_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // A signed record, well under 1 MiB, with 100,000 nested arrays: refused, and no hook crashes.
    let new = uncommitted_record(&env, &clone);
    let nested: Vec<u8> = std::iter::repeat_n(b'[', 100_000).chain(std::iter::repeat_n(b']', 100_000)).collect();
    append_line(&new, &[&b"deep = "[..], &nested].concat());
    sign_as_alice(&env, &new);
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[schema]");
    assert!(run.stderr.contains("remote: models/m/records/000003-register.toml: error[schema]"), "{}", run.snapshot());
    refused_by_client_hooks(&env, &remote, &clone, "error[schema]");
}

#[test]
fn a_version_jump_past_the_configured_cap_is_refused_at_register_and_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // By hand: v3 renumbered to the top of the range, and signed again by alice (a publisher).
    let new = uncommitted_record(&env, &clone);
    replace(&new, "version = 3\n", "version = 9223372036854775807\n");
    sign_as_alice(&env, &new);
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[version]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[version]: v9223372036854775807 jumps 9223372036854775805 past v2; at most 1000 at once
    remote:   hint: let versions go up by one (omit --version), or raise lifecycle.max_version_jump in modelreg.toml
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[version]");

    // `register --version` refuses it before writing anything.
    env.git(&clone, &["reset", "-q", "--hard", "HEAD~1"]);
    let before = tree_state(&clone);
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    let run = env.register(&clone, "m", &v3, &["--version", "9223372036854775807"]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: cannot register m: v9223372036854775807 jumps 9223372036854775805 past v2; at most 1000 at once
    hint: let versions go up by one (omit --version), or raise lifecycle.max_version_jump in modelreg.toml
    [exit status: 2]
    ");
    assert_eq!(tree_state(&clone), before, "nothing written");

    // A jump within the cap (default 1000) is legitimate, and the server accepts it.
    env.register(&clone, "m", &v3, &["--version", "10"]).success();
    env.push(&clone, &["-q", "origin", "main"]).success();
    assert_eq!(env.rev(&remote, "main"), env.rev(&clone, "HEAD"));
}

/// Rewrites record 3's `[lineage.code]` commit line with `line` and inserts `extra` before its
/// artifacts, then signs it again as alice: a record a publisher made by hand.
fn hand_made_lineage(env: &TestEnv, clone: &std::path::Path, code: &str, extra: &str) {
    let new = uncommitted_record(env, clone);
    let text = std::fs::read_to_string(&new).unwrap();
    let text: String = text
        .lines()
        .map(|l| if l.starts_with("commit = ") { format!("commit = \"{code}\"\n") } else { format!("{l}\n") })
        .collect();
    std::fs::write(&new, text.replacen("[[artifacts]]", &format!("{extra}[[artifacts]]"), 1)).unwrap();
    sign_as_alice(env, &new);
    env.commit_no_verify(clone, "by hand");
}

#[test]
fn lineage_that_is_not_a_commit_id_or_names_no_record_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    let v1_digest = {
        let run = env.modelreg(&clone, &["show", "m@1", "--json"]).success();
        let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        json["record_digest"].as_str().unwrap().to_owned()
    };
    let head = env.rev(&clone, "HEAD");

    // A branch name where a commit id belongs.
    hand_made_lineage(&env, &clone, "main", "");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[schema]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[schema]: lineage.code.commit `main` is not a commit id (40 or 64 lowercase hex digits)
    remote:   hint: records are never edited by hand; restore it with `git checkout -- <path>`
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[schema]");

    // A parent pinned to a digest that is no record of the registry.
    env.git(&clone, &["reset", "-q", "--hard", "HEAD~1"]);
    let nowhere = format!("blake3:{}", "0".repeat(64));
    hand_made_lineage(
        &env,
        &clone,
        &head,
        &format!("[[lineage.parents]]\nmodel = \"m\"\nversion = 1\nrecord = \"{nowhere}\"\n\n"),
    );
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[chain]");
    // Records name the clone's remote (a temp path), so their digests vary by run.
    insta::assert_snapshot!(run.snapshot().replace(&v1_digest, "[V1]"), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[chain]: lineage parent m@1 is pinned to blake3:0000000000000000000000000000000000000000000000000000000000000000, but that version's record is [V1]
    remote:   hint: lineage parents are pinned by `modelreg register --parent MODEL@VERSION`, which reads the registry
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_pre_commit(&env, &clone, "error[chain]");

    // A parent in a model that does not exist.
    env.git(&clone, &["reset", "-q", "--hard", "HEAD~1"]);
    hand_made_lineage(
        &env,
        &clone,
        &head,
        &format!("[[lineage.parents]]\nmodel = \"ghost\"\nversion = 1\nrecord = \"{v1_digest}\"\n\n"),
    );
    refused_by_server(&env, &remote, &clone, &["origin", "main"], "lineage parent ghost@1 is not registered");

    // The legitimate lineage: a commit id and a parent pinned to v1's record, by `register --parent`.
    env.git(&clone, &["reset", "-q", "--hard", "HEAD~1"]);
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.register(&clone, "m", &v3, &["--parent", "m@1"]).success();
    let text = std::fs::read_to_string(record(&clone, "m", 3)).unwrap();
    assert!(text.contains(&v1_digest), "{text}");
    env.push(&clone, &["-q", "origin", "main"]).success();
    assert_eq!(env.rev(&remote, "main"), env.rev(&clone, "HEAD"));
}

/// A pickle stream (protocol 4), as `pickle.dumps` writes it.
const PICKLE: &[u8] = b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00\x8c\x07weights\x94.";

#[test]
fn a_format_label_that_hides_a_pickle_is_refused_and_pickle_bytes_are_flagged_whatever_their_name() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // Bytes decide over the name: a pickle called .safetensors is recorded as a pickle, and `show` warns.
    let disguised = env.files("v3", &[("model.safetensors", PICKLE)]);
    env.register(&clone, "m", &disguised, &[]).success();
    let record3 = std::fs::read_to_string(record(&clone, "m", 3)).unwrap();
    assert!(record3.contains("format = \"pickle\""), "{record3}");
    let show = env.modelreg(&clone, &["show", "m@3"]).success();
    assert!(show.stdout.contains("runs code when loaded"), "{}", show.snapshot());
    env.push(&clone, &["-q", "origin", "main"]).success();

    // A label that calls `model.pkl` safetensors, signed by a publisher, is refused by the server.
    let pkl = env.files("v4", &[("model.pkl", PICKLE), ("extra.txt", b"4")]);
    env.register(&clone, "m", &pkl, &["--no-commit"]).success();
    let path = record(&clone, "m", 4);
    replace(&path, "format = \"pickle\"", "format = \"safetensors\"");
    sign_as_alice(&env, &path);
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[schema]");
    assert!(run.stderr.contains("is labelled format `safetensors`, but its name says `pickle`"), "{}", run.snapshot());

    // A name that says nothing (`weights.bin`) labelled safetensors over pickle bytes: the full check
    // reads the stored bytes and says what they are.
    env.git(&clone, &["reset", "-q", "--hard", "origin/main"]);
    let bin = env.files("v4b", &[("weights.bin", PICKLE), ("extra.txt", b"4b")]);
    env.register(&clone, "m", &bin, &["--no-commit"]).success();
    let path = record(&clone, "m", 4);
    replace(&path, "format = \"pickle\"", "format = \"safetensors\"");
    sign_as_alice(&env, &path);
    env.modelreg(&clone, &["card", "m"]).success();
    let run = env.modelreg(&clone, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    [TEMP]/registry/.modelreg/objects/22b04b666ff6cc834522c4ce409020ba93bba39c093f448402a0dfd16bbb63d9: error[artifact]: models/m/records/000004-register.toml: weights.bin is recorded as a format that runs no code, but its bytes are pickle (opening it runs code)
      hint: do not load it; register the file again so its record says what it is
    ----- stderr -----
    checked 1 model(s), 4 record(s), 4 signature(s); 4 artifact(s) verified, 0 not in the local store: 1 problem(s)
    [exit status: 1]
    ");
}
