//! Hygiene: nothing but model directories under `models/`, nothing but records, signatures and the
//! card in a model directory, and no symbolic links anywhere in it.

use super::{ALICE, record, refused_by_pre_commit, refused_by_pre_push, refused_by_server, served_registry, signature};
use crate::common::TestEnv;

#[test]
fn a_stray_file_in_a_model_directory_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    std::fs::write(clone.join("models/m/notes.txt"), "not a record").unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[layout]");
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
    refused_by_pre_commit(&env, &clone, "error[layout]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[layout]");
}

#[test]
fn a_stray_file_in_a_records_directory_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    std::fs::write(clone.join("models/m/records/notes.txt"), "not a record").unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[layout]");
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
    refused_by_pre_commit(&env, &clone, "error[layout]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[layout]");
}

#[test]
fn a_stray_file_directly_under_models_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    std::fs::write(clone.join("models/notes.txt"), "not a model").unwrap();
    // The full check of the working tree sees it.
    env.modelreg(&clone, &["check", "--skip-artifacts"]).failure(1);
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[layout]");
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
    refused_by_pre_commit(&env, &clone, "error[layout]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[layout]");
}

#[cfg(unix)]
#[test]
fn a_symlinked_record_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // Record 3 as a link to record 2, with record 2's signature: the bytes behind it verify.
    std::os::unix::fs::symlink("000002-register.toml", record(&clone, "m", 3)).unwrap();
    std::fs::copy(signature(&clone, "m", 2, ALICE), signature(&clone, "m", 3, ALICE)).unwrap();
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[layout]");
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
    refused_by_pre_commit(&env, &clone, "error[layout]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[layout]");
}

#[cfg(unix)]
#[test]
fn a_symlink_in_place_of_a_model_directory_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    std::os::unix::fs::symlink("m", clone.join("models/alias")).unwrap();
    // The full check of the working tree sees it.
    env.modelreg(&clone, &["check", "--skip-artifacts"]).failure(1);
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[layout]");
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
    refused_by_pre_commit(&env, &clone, "error[layout]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[layout]");
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
    env.commit_no_verify(&clone, "by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[layout]");
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
    refused_by_pre_commit(&env, &clone, "error[layout]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[layout]");
}
