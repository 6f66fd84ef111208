//! Files outside `models/` that change what every clone sees: `.gitattributes` and the card templates
//! under `.modelreg/` change only with admin signatures on `.modelreg/protected.toml`.

use std::path::{Path, PathBuf};

use super::{append_line, committed_by_hand_refused_by_server, refused_by_client_hooks, served_registry};
use crate::common::TestEnv;

const TEMPLATE: &str = "# {{ model }}\n\nA team template.\n";

/// Writes `source` as the clone's card template override; returns its path.
fn write_template(clone: &Path, source: &str) -> PathBuf {
    let templates = clone.join(".modelreg/templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(templates.join("card.md.j2"), source).unwrap();
    templates.join("card.md.j2")
}

#[test]
fn a_line_ending_filter_in_gitattributes_is_refused_without_admins() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // One line that would rewrite every signed byte in fresh clones.
    append_line(&clone.join(".gitattributes"), b"* text eol=crlf");
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[trust]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: .gitattributes: error[trust]: changed since admins signed .modelreg/protected.toml (it changes what every clone sees)
    remote:   hint: an admin reviews the change, then runs `modelreg config sign --files`
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    refused_by_client_hooks(&env, &remote, &clone, "error[trust]");
    // Every command in the clone refuses the unsigned state too, with the way out.
    let run = env.modelreg(&clone, &["list"]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: .gitattributes: changed since admins signed .modelreg/protected.toml (it changes what every clone sees)
    hint: an admin reviews the change and signs it with `modelreg config sign --files`; otherwise restore it with `git checkout -- .gitattributes`
    [exit status: 2]
    ");
}

#[test]
fn deleting_or_replacing_gitattributes_is_refused_without_admins() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    env.git(&clone, &["rm", "-q", ".gitattributes"]);
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[trust]");
    assert!(
        run.stderr.contains(".gitattributes: error[trust]: listed in .modelreg/protected.toml but absent"),
        "{}",
        run.snapshot()
    );
    env.git(&clone, &["reset", "-q", "--hard", "origin/main"]);
    // A symbolic link in its place (git reads attributes through none) is refused as well.
    std::fs::remove_file(clone.join(".gitattributes")).unwrap();
    std::os::unix::fs::symlink("modelreg.toml", clone.join(".gitattributes")).unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[trust]");
    assert!(run.stderr.contains(".gitattributes: error[trust]: not a regular file"), "{}", run.snapshot());
}

#[test]
fn a_template_override_needs_admins_and_a_signed_one_is_accepted() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    write_template(&clone, TEMPLATE);
    env.modelreg(&clone, &["card", "--all"]).failure(2);
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[trust]");
    assert!(
        run.stderr.contains(".modelreg/templates/card.md.j2: error[trust]: not covered by .modelreg/protected.toml"),
        "{}",
        run.snapshot()
    );
    env.git(&clone, &["reset", "-q", "--soft", "HEAD~1"]);

    // The admin reviews it and signs: the manifest, the template and the re-rendered cards go up.
    let alice = env.key("alice");
    let run = env.modelreg(&clone, &["config", "sign", "--files", "--key", alice.to_str().unwrap()]).success();
    assert!(
        run.stderr.starts_with(
            "signed .modelreg/protected.toml with f43fd158e0f275c5 (1 of 1 admin signatures)\n  committed  "
        ),
        "{}",
        run.snapshot()
    );
    env.modelreg(&clone, &["card", "--all"]).success();
    env.commit_no_verify(&clone, "team card template");
    env.push(&clone, &["-q", "--no-verify", "origin", "main"]).success();
    assert_eq!(env.rev(&remote, "main"), env.rev(&clone, "HEAD"));
    assert!(std::fs::read_to_string(clone.join("models/m/README.md")).unwrap().contains("A team template."));

    // A fresh clone checks clean, and a later edit that skips the admins is refused again.
    let fresh = env.clone_of(&remote, "fresh");
    env.modelreg(&fresh, &["check"]).success();
    write_template(&fresh, &format!("{TEMPLATE}Edited.\n"));
    env.modelreg(&fresh, &["card", "--all"]).failure(2);
    let run = committed_by_hand_refused_by_server(&env, &remote, &fresh, "error[trust]");
    assert!(run.stderr.contains("changed since admins signed"), "{}", run.snapshot());
}

#[test]
fn config_sign_files_refuses_a_template_that_does_not_compile_and_writes_nothing() {
    let env = TestEnv::new();
    let (_remote, clone) = served_registry(&env);
    write_template(&clone, "# {{ model }\n");
    let before = crate::common::tree_state(&clone);
    let alice = env.key("alice");
    let run = env.modelreg(&clone, &["config", "sign", "--files", "--key", alice.to_str().unwrap()]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: .modelreg/templates/card.md.j2:1: syntax error: unexpected `}`, expected end of variable block
    hint: fix the template named above (.modelreg/templates/ overrides the shipped one)
    [exit status: 2]
    ");
    assert_eq!(crate::common::tree_state(&clone), before, "nothing written");
}

#[test]
fn a_registry_from_before_the_manifest_is_told_how_to_sign_it() {
    let env = TestEnv::new();
    // What `init` committed before the manifest existed: `.gitattributes` with no signed digest.
    let registry = env.git_repo("old");
    let alice = env.key("alice");
    env.modelreg(&registry, &["init", "--key", alice.to_str().unwrap(), "--no-commit"]).success();
    std::fs::remove_file(registry.join(".modelreg/protected.toml")).unwrap();
    std::fs::remove_file(registry.join(format!(".modelreg/protected.toml.{}.sig", super::ALICE))).unwrap();
    env.commit_no_verify(&registry, "an old registry");
    let run = env.modelreg(&registry, &["check"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    .gitattributes: error[trust]: not covered by .modelreg/protected.toml (it changes what every clone sees, so admins sign it)
      hint: an admin reviews the change, then runs `modelreg config sign --files`
    ----- stderr -----
    checked 0 model(s), 0 record(s), 0 signature(s); 0 artifact(s) verified, 0 not in the local store: 1 problem(s)
    [exit status: 1]
    ");
    env.modelreg(&registry, &["config", "sign", "--files", "--key", alice.to_str().unwrap()]).success();
    env.modelreg(&registry, &["check"]).success();
}

#[test]
fn root_names_that_differ_only_in_case_are_refused() {
    let env = TestEnv::new();
    let (remote, clone) = served_registry(&env);
    // On macOS or Windows `.GitAttributes` is `.gitattributes`, and `Models/` merges into `models/`.
    std::fs::write(clone.join(".GitAttributes"), "* text eol=crlf\n").unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[layout]");
    assert!(
        run.stderr.contains(".GitAttributes: error[layout]: differs from `.gitattributes` only in case"),
        "{}",
        run.snapshot()
    );
    assert!(
        run.stderr.contains(".GitAttributes: error[trust]: not covered by .modelreg/protected.toml"),
        "{}",
        run.snapshot()
    );
    env.git(&clone, &["reset", "-q", "--hard", "origin/main"]);
    let copy = clone.join("Models/m/records");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(clone.join("models/m/records/000001-register.toml"), copy.join("000003-register.toml")).unwrap();
    let run = committed_by_hand_refused_by_server(&env, &remote, &clone, "error[layout]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: Models: error[layout]: differs from `models` only in case: a case-insensitive clone would read it as `models`
    remote:   hint: rename or remove it
    remote: modelreg: push refused: 1 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");
    env.git(&clone, &["reset", "-q", "--hard", "origin/main"]);
    // The full check of a working tree says the same.
    std::fs::create_dir_all(clone.join("MODELS")).unwrap();
    std::fs::write(clone.join("MODELS/x"), "x").unwrap();
    let run = env.modelreg(&clone, &["check", "--skip-artifacts"]).failure(1);
    assert!(run.stdout.contains("MODELS: error[layout]: differs from `models` only in case"), "{}", run.snapshot());
}
