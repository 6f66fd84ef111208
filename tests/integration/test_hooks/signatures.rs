//! Signatures, roles and trust: every new record and every trust or configuration change is signed
//! by a key that held the needed role, unexpired, in the trust as it was before the push.

use std::path::{Path, PathBuf};

use super::{
    ALICE, BOB, CAROL, append_line, committed_by_hand_refused_by_server, record, refused_by_client_hooks,
    refused_by_server, replace, served_registry, signature, uncommitted_record,
};
use crate::common::TestEnv;

#[test]
fn a_signature_over_other_bytes_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // A new record whose signature file is alice's real signature of record 2.
    uncommitted_record(&env, &clone);
    std::fs::copy(signature(&clone, "m", 2, ALICE), signature(&clone, "m", 3, ALICE)).unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[signature]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[signature]: no valid signature by a `publisher` key
    remote:   hint: records are signed when written; a record without one was not made by modelreg
    remote: models/m/records/000003-register.toml.f43fd158e0f275c5.sig: error[signature]: signature does not match the file's bytes (file edited?)
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[signature]");
}

#[test]
fn a_signature_by_an_untrusted_key_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // bob is not in trust: his valid SSHSIG signature, filed under alice's key id.
    let new = uncommitted_record(&env, &clone);
    std::fs::write(signature(&clone, "m", 3, ALICE), env.ssh_sign("bob", &new)).unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[signature]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[signature]: no valid signature by a `publisher` key
    remote:   hint: records are signed when written; a record without one was not made by modelreg
    remote: models/m/records/000003-register.toml.f43fd158e0f275c5.sig: error[signature]: signed by key 7912eaa3793eb920 which is not in the trust file
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[signature]");
}

#[test]
fn an_untrusted_co_signature_on_a_committed_record_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // Adding a signature file to an existing record is allowed only if it verifies by a trusted key.
    let sig = env.ssh_sign("bob", &record(&clone, "m", 2));
    std::fs::write(signature(&clone, "m", 2, BOB), sig).unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[signature]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000002-register.toml.7912eaa3793eb920.sig: error[signature]: signed by key 7912eaa3793eb920 which is not in the trust file
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[signature]");
}

/// alice (admin) grants bob `approver:production` and pushes it: the server accepts an admin's
/// `key add`. (Setup pushes skip the client hook; `legitimate_pushes_*` runs it on good pushes.)
fn grant_bob_approver(env: &TestEnv, remote: &Path, clone: &Path) {
    let bob_pub = env.key("bob").with_extension("pub");
    let alice = env.key("alice");
    let args = [
        "key",
        "add",
        bob_pub.to_str().unwrap(),
        "--owner",
        "bob@example.com",
        "--role",
        "approver:production",
        "--key",
        alice.to_str().unwrap(),
    ];
    env.modelreg(clone, &args).success();
    env.push(clone, &["-q", "--no-verify", "origin", "main"]).success();
    assert_eq!(env.rev(remote, "main"), env.rev(clone, "HEAD"), "an admin's key add is accepted");
}

#[test]
fn a_record_signed_by_a_key_without_the_role_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    grant_bob_approver(&env, &remote, &clone);
    // bob, who may only approve, registers by hand: alice's signature removed, bob's added.
    let new = uncommitted_record(&env, &clone);
    replace(&new, &format!("signer = \"{ALICE}\""), &format!("signer = \"{BOB}\""));
    std::fs::remove_file(signature(&clone, "m", 3, ALICE)).unwrap();
    std::fs::write(signature(&clone, "m", 3, BOB), env.ssh_sign("bob", &new)).unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[signature]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[signature]: no valid signature by a `publisher` key
    remote:   hint: records are signed when written; a record without one was not made by modelreg
    remote: models/m/records/000003-register.toml.7912eaa3793eb920.sig: error[signature]: signed by 7912eaa3793eb920 (bob@example.com) which does not hold the `publisher` role
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[signature]");
}

#[test]
fn a_signature_by_an_expired_key_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // bob may publish until a week after NOW; he registers at NOW, but the push arrives after that.
    let bob_pub = env.key("bob").with_extension("pub");
    let (alice_key, bob_key) = (env.key("alice"), env.key("bob"));
    let key_add = ["key", "add", bob_pub.to_str().unwrap(), "--owner", "bob@example.com", "--role", "publisher"];
    let until = ["--expires", "2026-11-29T00:00:00Z", "--key", alice_key.to_str().unwrap()];
    env.modelreg(&clone, &[&key_add[..], &until[..]].concat()).success();
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.modelreg(&clone, &["register", "m", v3.to_str().unwrap(), "--key", bob_key.to_str().unwrap()]).success();

    let later = [("MODELREG_TIMESTAMP", "2026-12-01T00:00:00Z")];
    let before = env.rev(&remote, "main");
    let run = env.push_with(&clone, &["--no-verify", "origin", "main"], &later).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[signature]: signed by 7912eaa3793eb920 which expired at 2026-11-29T00:00:00Z
    remote: models/m/records/000003-register.toml: error[signature]: no valid signature by a `publisher` key
    remote:   hint: records are signed when written; a record without one was not made by modelreg
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    assert_eq!(env.rev(&remote, "main"), before, "the remote is unchanged");
    // The same push before the expiry is accepted: time alone decided.
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();
    assert_eq!(env.rev(&remote, "main"), env.rev(&clone, "HEAD"));
}

#[test]
fn self_granted_admin_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    grant_bob_approver(&env, &remote, &clone);
    // bob makes himself admin and signs the new trust file with his own key only.
    let trust = clone.join(".modelreg/trust.toml");
    replace(&trust, "roles = [\"approver:production\"]", "roles = [\"admin\", \"approver:production\"]");
    std::fs::remove_file(clone.join(format!(".modelreg/trust.toml.{ALICE}.sig"))).unwrap();
    std::fs::write(clone.join(format!(".modelreg/trust.toml.{BOB}.sig")), env.ssh_sign("bob", &trust)).unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[trust]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: .modelreg/trust.toml: error[trust]: signed by 0 of the 1 admin key(s) required
    remote:   hint: trust and configuration change only through modelreg commands run by admins; restore it from git
    remote: .modelreg/trust.toml.7912eaa3793eb920.sig: error[signature]: signed by 7912eaa3793eb920 (bob@example.com) which does not hold the `admin` role
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    // Judged by its own (new) trust the tree is consistent; the full check still refuses it, because it
    // judges every committed trust change by the admins before it.
    let run = env.modelreg(&clone, &["check", "--skip-artifacts"]).failure(1);
    assert!(run.stdout.contains("in commit"), "{}", run.snapshot());
    refused_by_client_hooks(&env, &remote, &clone, "error[trust]");
}

#[test]
fn a_trust_change_signed_by_an_expired_admin_key_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // carol is admin until a week after NOW; at NOW she grants bob admin, but the push arrives after.
    let (carol_pub, bob_pub) = (env.key("carol").with_extension("pub"), env.key("bob").with_extension("pub"));
    let (alice_key, carol_key) = (env.key("alice"), env.key("carol"));
    let grant_carol = ["key", "add", carol_pub.to_str().unwrap(), "--owner", "carol@example.com", "--role", "admin"];
    let until = ["--expires", "2026-11-29T00:00:00Z", "--key", alice_key.to_str().unwrap()];
    env.modelreg(&clone, &[&grant_carol[..], &until[..]].concat()).success();
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();
    let grant_bob = ["key", "add", bob_pub.to_str().unwrap(), "--owner", "bob@example.com", "--role", "admin"];
    env.modelreg(&clone, &[&grant_bob[..], &["--key", carol_key.to_str().unwrap()]].concat()).success();

    let later = [("MODELREG_TIMESTAMP", "2026-12-01T00:00:00Z")];
    let before = env.rev(&remote, "main");
    let run = env.push_with(&clone, &["--no-verify", "origin", "main"], &later);
    assert_eq!(env.rev(&remote, "main"), before, "the remote is unchanged:\n{}", run.snapshot());
    insta::assert_snapshot!(run.failure(1).snapshot(), @"
    ----- stderr -----
    remote: .modelreg/trust.toml: error[signature]: signed by admin key f654eb71a62f45ef which expired at 2026-11-29T00:00:00Z
    remote: .modelreg/trust.toml: error[trust]: signed by 0 of the 1 admin key(s) required
    remote:   hint: trust and configuration change only through modelreg commands run by admins; restore it from git
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    // The same push before the expiry is accepted: time alone decided.
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();
    assert_eq!(env.rev(&remote, "main"), env.rev(&clone, "HEAD"));
}

#[test]
fn a_configuration_change_without_an_admin_signature_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // The store moved by hand; alice's signature on the old bytes is left in place.
    replace(&clone.join("modelreg.toml"), "path = \".modelreg/objects\"", "path = \"/tmp/elsewhere\"");
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[trust]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: modelreg.toml: error[trust]: signed by 0 of the 1 admin key(s) required
    remote:   hint: trust and configuration change only through modelreg commands run by admins; restore it from git
    remote: modelreg.toml.f43fd158e0f275c5.sig: error[signature]: signature does not match the file's bytes (file edited?)
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[trust]");
}

/// alice makes carol a second admin (pushed); returns the trust file's path.
fn carol_as_second_admin(env: &TestEnv, clone: &Path) -> PathBuf {
    let carol_pub = env.key("carol").with_extension("pub");
    let alice_key = env.key("alice");
    let grant = ["key", "add", carol_pub.to_str().unwrap(), "--owner", "carol@example.com", "--role", "admin"];
    env.modelreg(clone, &[&grant[..], &["--key", alice_key.to_str().unwrap()]].concat()).success();
    env.push(clone, &["-q", "--no-verify", "origin", "main"]).success();
    clone.join(".modelreg/trust.toml")
}

/// Under a raised threshold every admin-signed file needs the second admin too: `modelreg.toml` and
/// `.modelreg/protected.toml`, signed by `name` (key id `id`) with stock ssh-keygen.
fn co_sign_config_and_protected_files(env: &TestEnv, clone: &Path, name: &str, id: &str) {
    for file in ["modelreg.toml", ".modelreg/protected.toml"] {
        let path = clone.join(file);
        std::fs::write(clone.join(format!("{file}.{id}.sig")), env.ssh_sign(name, &path)).unwrap();
    }
}

#[test]
fn a_trust_change_needs_the_old_threshold_of_distinct_admin_keys() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // Both admins raise the threshold to 2 and both sign trust and configuration.
    let trust = carol_as_second_admin(&env, &clone);
    replace(&trust, "admin_threshold = 1", "admin_threshold = 2");
    let alice_sig = clone.join(format!(".modelreg/trust.toml.{ALICE}.sig"));
    std::fs::write(&alice_sig, env.ssh_sign("alice", &trust)).unwrap();
    std::fs::write(clone.join(format!(".modelreg/trust.toml.{CAROL}.sig")), env.ssh_sign("carol", &trust)).unwrap();
    co_sign_config_and_protected_files(&env, &clone, "carol", CAROL);
    env.commit_no_verify(&clone, "two admins must sign");
    env.modelreg(&clone, &["check", "--skip-artifacts"]).success();
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();

    // carol alone lowers it back, filing her signature twice: once under her id, once under alice's.
    replace(&trust, "admin_threshold = 2", "admin_threshold = 1");
    let carol_sig = env.ssh_sign("carol", &trust);
    std::fs::write(clone.join(format!(".modelreg/trust.toml.{CAROL}.sig")), &carol_sig).unwrap();
    std::fs::write(&alice_sig, &carol_sig).unwrap();
    env.commit_no_verify(&clone, "one admin is enough");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[trust]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: .modelreg/trust.toml: error[trust]: signed by 1 of the 2 admin key(s) required
    remote:   hint: trust and configuration change only through modelreg commands run by admins; restore it from git
    remote: .modelreg/trust.toml: error[trust]: returns to bytes it had before and that were replaced since (a replay of an older signed state)
    remote:   hint: to go back to an earlier version, edit the file (a comment will do) and have admins sign it again
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[trust]");
}

#[test]
fn the_server_accepts_no_trust_change_that_check_refuses() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // alice alone raises the threshold to 2. That meets the old threshold of 1, but leaves trust and
    // configuration signed by 1 of the 2 admins the new trust requires.
    let trust = carol_as_second_admin(&env, &clone);
    replace(&trust, "admin_threshold = 1", "admin_threshold = 2");
    std::fs::write(clone.join(format!(".modelreg/trust.toml.{ALICE}.sig")), env.ssh_sign("alice", &trust)).unwrap();
    env.commit_no_verify(&clone, "two admins must sign");
    let check = env.modelreg(&clone, &["check", "--skip-artifacts"]);
    assert_eq!(check.code, 1, "the full check refuses this state:\n{}", check.snapshot());

    // Either the push is refused, or what the remote holds passes `check`: never an accepted
    // registry that check rejects.
    let before = env.rev(&remote, "main");
    let run = env.push(&clone, &["--no-verify", "origin", "main"]);
    let fresh = env.clone_of(&remote, "fresh");
    let check = env.modelreg(&fresh, &["check", "--skip-artifacts"]);
    assert!(
        (run.code != 0 && env.rev(&remote, "main") == before) || check.code == 0,
        "the server accepted a registry that check refuses:\n{}{}",
        run.snapshot(),
        check.snapshot()
    );
}

#[test]
fn a_record_signed_by_a_revoked_key_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    let bob_pub = env.key("bob").with_extension("pub");
    let alice_key = env.key("alice");
    let grant = ["key", "add", bob_pub.to_str().unwrap(), "--owner", "bob@example.com", "--role", "publisher"];
    env.modelreg(&clone, &[&grant[..], &["--key", alice_key.to_str().unwrap()]].concat()).success();
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();

    // alice revokes bob's key: his entry removed from trust, the file re-signed by her (with a note,
    // so its bytes are not the ones from before bob was added, which would read as a replay).
    let trust = clone.join(".modelreg/trust.toml");
    let text = std::fs::read_to_string(&trust).unwrap();
    let bob_entry = text.find(&format!("[[keys]]\nid = \"{BOB}\"")).expect("bob's entry is last");
    std::fs::write(&trust, format!("{}\n# bob's key removed\n", text[..bob_entry].trim_end())).unwrap();
    std::fs::write(clone.join(format!(".modelreg/trust.toml.{ALICE}.sig")), env.ssh_sign("alice", &trust)).unwrap();
    env.commit_no_verify(&clone, "revoke bob");
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();

    // bob still holds his private key and signs a record with it.
    let new = uncommitted_record(&env, &clone);
    replace(&new, &format!("signer = \"{ALICE}\""), &format!("signer = \"{BOB}\""));
    std::fs::remove_file(signature(&clone, "m", 3, ALICE)).unwrap();
    std::fs::write(signature(&clone, "m", 3, BOB), env.ssh_sign("bob", &new)).unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[signature]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml: error[signature]: no valid signature by a `publisher` key
    remote:   hint: records are signed when written; a record without one was not made by modelreg
    remote: models/m/records/000003-register.toml.7912eaa3793eb920.sig: error[signature]: signed by key 7912eaa3793eb920 which is not in the trust file
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[signature]");
}

#[test]
fn after_key_revoke_new_signatures_are_refused_and_old_records_stay_valid() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    let bob_pub = env.key("bob").with_extension("pub");
    let (alice_key, bob_key) = (env.key("alice"), env.key("bob"));
    let grant = ["key", "add", bob_pub.to_str().unwrap(), "--owner", "bob@example.com", "--role", "publisher"];
    env.modelreg(&clone, &[&grant[..], &["--key", alice_key.to_str().unwrap()]].concat()).success();
    // (A record is judged by the trust before its push: the grant is pushed before bob uses it.)
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.modelreg(&clone, &["register", "m", v3.to_str().unwrap(), "--key", bob_key.to_str().unwrap()]).success();
    env.modelreg(&clone, &["key", "revoke", BOB, "--key", alice_key.to_str().unwrap()]).success();
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();

    // A day later bob, who still holds his private key, signs v4 by hand.
    let v4 = env.files("v4", &[("model.onnx", b"weights four")]);
    env.register(&clone, "m", &v4, &["--no-commit"]).success();
    let new = record(&clone, "m", 4);
    replace(&new, &format!("signer = \"{ALICE}\""), &format!("signer = \"{BOB}\""));
    std::fs::remove_file(signature(&clone, "m", 4, ALICE)).unwrap();
    std::fs::write(signature(&clone, "m", 4, BOB), env.ssh_sign("bob", &new)).unwrap();
    env.commit_no_verify(&clone, "by hand");
    let later = [("MODELREG_TIMESTAMP", "2026-11-23T10:00:00Z")];
    let before = env.rev(&remote, "main");
    let run = env.push_with(&clone, &["--no-verify", "origin", "main"], &later).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000004-register.toml: error[signature]: signed by 7912eaa3793eb920 which expired at 2026-11-22T10:00:00Z
    remote: models/m/records/000004-register.toml: error[signature]: no valid signature by a `publisher` key
    remote:   hint: records are signed when written; a record without one was not made by modelreg
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    assert_eq!(env.rev(&remote, "main"), before, "the remote is unchanged");

    // v3, signed before the revocation, stays valid.
    let fresh = env.clone_of(&remote, "fresh");
    env.modelreg_with(&fresh, &["check", "--skip-artifacts"], &later).success();
}

#[test]
fn a_signature_file_for_a_record_that_does_not_exist_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // Junk named for the model's next record: accepted, it would refuse record 3 forever (the junk
    // fails to verify, and removing it is a deletion).
    std::fs::write(signature(&clone, "m", 3, BOB), "not a signature").unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[signature]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-register.toml.7912eaa3793eb920.sig: error[signature]: a signature of `000003-register.toml`, which is not a record of this model
    remote:   hint: a signature is committed with the record it signs: remove this file
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[signature]");

    // A 3 MB payload named as a signature of a record that does not exist, nor ever will.
    env.git(&clone, &["reset", "-q", "--hard", "HEAD~1"]);
    let payload = vec![b'x'; 3 << 20];
    std::fs::write(clone.join(format!("models/m/records/000001-promote.toml.{BOB}.sig")), payload).unwrap();
    committed_by_hand_refused_by_server(&env, &remote, &clone, "error[signature]");

    // The legitimate change: record 3 with its signature.
    env.git(&clone, &["reset", "-q", "--hard", "HEAD~1"]);
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.register(&clone, "m", &v3, &[]).success();
    env.push(&clone, &["-q", "origin", "main"]).success();
    assert_eq!(env.rev(&remote, "main"), env.rev(&clone, "HEAD"));
}

#[test]
fn a_first_push_carrying_a_signature_for_no_record_is_refused() {
    let env = TestEnv::new();
    let remote = env.bare_remote("remote.git");
    let clone = env.registry();
    std::fs::create_dir_all(clone.join("models")).unwrap();
    let v1 = env.files("v1", &[("model.onnx", b"weights one")]);
    env.register(&clone, "m", &v1, &[]).success();
    std::fs::write(signature(&clone, "m", 2, ALICE), "junk").unwrap();
    env.commit_no_verify(&clone, "by hand");
    env.git(&clone, &["remote", "add", "origin", remote.to_str().unwrap()]);
    let run = env.push(&clone, &["--no-verify", "origin", "main"]).failure(1);
    assert!(run.stderr.contains("000002-register.toml.f43fd158e0f275c5.sig: error[signature]"), "{}", run.snapshot());
    assert!(env.git_run(&remote, &["rev-parse", "--verify", "-q", "main"]).code != 0, "nothing reached the remote");
}

#[test]
fn an_admin_signed_configuration_that_does_not_parse_is_refused_at_push() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // alice signs, by hand, a configuration with a table modelreg does not know: accepted, every
    // command would then stop on it, and the push's promotions would be judged by no gates at all.
    let config = clone.join("modelreg.toml");
    append_line(&config, b"\n[surprise]\nanything = true");
    std::fs::write(clone.join(format!("modelreg.toml.{ALICE}.sig")), env.ssh_sign("alice", &config)).unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[trust]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: modelreg.toml: error[trust]: does not parse: line 9, column 2: unknown field `surprise`, expected one of `schema`, `branch`, `store`, `drift`, `lifecycle`
    remote:   hint: restore the last good configuration from git history, edit it, then `modelreg config sign`
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[trust]");

    // The legitimate change: a configuration that parses, signed by the admin, is accepted.
    env.git(&clone, &["reset", "-q", "--hard", "HEAD~1"]);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[lifecycle.gates.production]\nrequire = [\"auc >= 0.9\"]\n");
    std::fs::write(&config, text).unwrap();
    env.modelreg(&clone, &["config", "sign", "--key", env.key("alice").to_str().unwrap()]).success();
    env.push(&clone, &["-q", "origin", "main"]).success();
    assert_eq!(env.rev(&remote, "main"), env.rev(&clone, "HEAD"));
}

#[test]
fn the_two_admin_flow_is_accepted_and_leaves_every_clone_usable() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // alice and carol are admins, and both must sign (admin_threshold = 2).
    let trust = carol_as_second_admin(&env, &clone);
    replace(&trust, "admin_threshold = 1", "admin_threshold = 2");
    std::fs::write(clone.join(format!(".modelreg/trust.toml.{ALICE}.sig")), env.ssh_sign("alice", &trust)).unwrap();
    std::fs::write(clone.join(format!(".modelreg/trust.toml.{CAROL}.sig")), env.ssh_sign("carol", &trust)).unwrap();
    co_sign_config_and_protected_files(&env, &clone, "carol", CAROL);
    env.commit_no_verify(&clone, "two admins must sign");
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();

    // The documented flow: alice adds bob (one of two signatures), carol co-signs; one push.
    let bob_pub = env.key("bob").with_extension("pub");
    let (alice, carol) = (env.key("alice"), env.key("carol"));
    let add = ["key", "add", bob_pub.to_str().unwrap(), "--owner", "bob@example.com", "--role", "publisher"];
    env.modelreg(&clone, &[&add[..], &["--key", alice.to_str().unwrap()]].concat()).success();
    env.modelreg(&clone, &["config", "sign", "--trust", "--key", carol.to_str().unwrap()]).success();
    env.push(&clone, &["-q", "origin", "main"]).success();
    assert_eq!(env.rev(&remote, "main"), env.rev(&clone, "HEAD"));

    // What the server accepted, every clone can use.
    let fresh = env.clone_of(&remote, "dave");
    for dir in [&clone, &fresh] {
        env.modelreg(dir, &["check", "--skip-artifacts"]).success();
        env.modelreg(dir, &["list"]).success();
    }
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.register(&fresh, "m", &v3, &[]).success();

    // A change below the threshold that nobody completes stays a finding.
    let revoke = ["key", "revoke", BOB, "--key", alice.to_str().unwrap()];
    env.modelreg(&clone, &revoke).success();
    let run = env.modelreg(&clone, &["check", "--skip-artifacts"]).failure(1);
    assert!(run.stdout.contains("signed by 1 of the 2 admin key(s) required"), "{}", run.snapshot());
}

#[test]
fn an_older_signed_configuration_or_trust_file_cannot_be_replayed() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    let first = env.rev(&clone, "HEAD");
    // alice gates production (signed, pushed): the old file and its signature stay in history.
    let config = clone.join("modelreg.toml");
    append_line(&config, b"\n[lifecycle.gates.production]\nfrom = \"staging\"\nrequire = [\"auc >= 0.99\"]");
    let alice = env.key("alice");
    env.modelreg(&clone, &["config", "sign", "--key", alice.to_str().unwrap()]).success();
    env.push(&clone, &["-q", "origin", "main"]).success();

    // Mallory, with no key, brings back the ungated file with alice's old signature.
    let sig = format!("modelreg.toml.{ALICE}.sig");
    env.git(&clone, &["checkout", "-q", &first, "--", "modelreg.toml", &sig]);
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[trust]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: modelreg.toml: error[trust]: returns to bytes it had before and that were replaced since (a replay of an older signed state)
    remote:   hint: to go back to an earlier version, edit the file (a comment will do) and have admins sign it again
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    // A repository without the hook: the full check finds it in history.
    let run = env.modelreg(&clone, &["check", "--skip-artifacts"]).failure(1);
    assert!(run.stdout.contains("a replay of an older signed state"), "{}", run.snapshot());
    env.git(&clone, &["reset", "-q", "--hard", "origin/main"]);

    // The trust file from before a revocation, likewise.
    let bob = env.key("bob").with_extension("pub");
    let add = ["key", "add", bob.to_str().unwrap(), "--owner", "bob@example.com", "--role", "publisher"];
    env.modelreg(&clone, &[&add[..], &["--key", alice.to_str().unwrap()]].concat()).success();
    env.push(&clone, &["-q", "origin", "main"]).success();
    let before_revoke = env.rev(&clone, "HEAD");
    env.modelreg(&clone, &["key", "revoke", BOB, "--key", alice.to_str().unwrap()]).success();
    env.push(&clone, &["-q", "origin", "main"]).success();
    let trust_sig = format!(".modelreg/trust.toml.{ALICE}.sig");
    env.git(&clone, &["checkout", "-q", &before_revoke, "--", ".modelreg/trust.toml", &trust_sig]);
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[trust]");
    assert!(
        run.stderr.contains(".modelreg/trust.toml: error[trust]: returns to bytes it had before"),
        "{}",
        run.snapshot()
    );

    // Going back on purpose is an edit that admins sign again; the very old bytes cannot be signed.
    env.git(&clone, &["reset", "-q", "--hard", "origin/main"]);
    let text = std::fs::read_to_string(&config).unwrap();
    let ungated = text.split("\n[lifecycle.gates.production]").next().unwrap().to_owned();
    std::fs::write(&config, &ungated).unwrap();
    let run = env.modelreg(&clone, &["config", "sign", "--key", alice.to_str().unwrap()]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: modelreg.toml holds bytes it had before and that were replaced since; they cannot be signed again
    hint: edit the file so its bytes are new (a comment will do), then sign it
    [exit status: 2]
    ");
    std::fs::write(&config, format!("{ungated}# production gates lifted on purpose\n")).unwrap();
    env.modelreg(&clone, &["config", "sign", "--key", alice.to_str().unwrap()]).success();
    env.push(&clone, &["-q", "origin", "main"]).success();
}
