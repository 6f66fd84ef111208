//! The client side: `hooks install` in a clone, the pre-commit hook, and `check --staged` and
//! `check --range` as a user or CI runs them.

use super::{record, refused_by_pre_push, refused_by_server, replace, served_registry};
use crate::common::{Run, TestEnv};

#[test]
fn client_hooks_refuse_a_hand_edited_record_and_check_reports_it() {
    let env = TestEnv::new();
    let (remote, _) = served_registry(&env);
    let clone = env.clone_of(&remote, "carol");
    let run = env.modelreg(&clone, &["hooks", "install"]).success();
    let bin = env!("CARGO_BIN_EXE_modelreg");
    insta::assert_snapshot!(run.snapshot().replace(bin, "[BIN]"), @"
    ----- stderr -----
    installed [TEMP]/carol/.git/hooks/pre-commit
    installed [TEMP]/carol/.git/hooks/pre-push
    hooks run [BIN] (set MODELREG_BIN to use another binary)
    [exit status: 0]
    ");
    for hook in ["pre-commit", "pre-push"] {
        let text = std::fs::read_to_string(clone.join(".git/hooks").join(hook)).unwrap();
        assert!(text.contains(&format!("hook {hook}")), "{hook}:\n{text}");
        assert!(text.contains(bin), "{hook} runs this binary by absolute path:\n{text}");
    }

    // A hand edit, staged: the pre-commit hook refuses it, and check --staged says why.
    replace(&record(&clone, "m", 2), "auc = 0.93", "auc = 0.99");
    env.git(&clone, &["add", "-A"]);
    let run = env.git_run(&clone, &["commit", "-q", "-m", "better auc"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    models/m/records/000002-register.toml: error[append-only]: a committed record or signature was modified
      hint: records are never edited: add a new record instead (e.g. a new version)
    modelreg: commit refused (1 problem(s))
    [exit status: 1]
    ");
    let run = env.modelreg(&clone, &["check", "--staged"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/000002-register.toml: error[append-only]: a committed record or signature was modified
      hint: records are never edited: add a new record instead (e.g. a new version)
    ----- stderr -----
    checked staged change: 0 model(s), 0 record(s), 0 signature(s): 1 problem(s)
    [exit status: 1]
    ");
    let run = env.modelreg(&clone, &["check", "--staged", "--json"]).failure(1);
    assert_json_problem(&run, "models/m/records/000002-register.toml", "append-only");

    // Committed anyway: check --range over what would be pushed reports the same.
    env.commit_no_verify(&clone, "better auc");
    let run = env.modelreg(&clone, &["check", "--range", "origin/main..HEAD"]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/000002-register.toml: error[append-only]: a committed record or signature was modified
      hint: records are never edited: add a new record instead (e.g. a new version)
    ----- stderr -----
    checked change origin/main..HEAD: 0 model(s), 0 record(s), 0 signature(s): 1 problem(s)
    [exit status: 1]
    ");
    let run = env.modelreg(&clone, &["check", "--range", "origin/main..HEAD", "--json"]).failure(1);
    assert_json_problem(&run, "models/m/records/000002-register.toml", "append-only");
    refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[append-only]");
    refused_by_pre_push(&env, &remote, &clone, &["origin", "main"], "error[append-only]");
}

#[track_caller]
fn assert_json_problem(run: &Run, path: &str, rule: &str) {
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", run.stdout));
    assert_eq!(json["schema_version"], 1, "{json}");
    let problems = json["problems"].as_array().expect("problems[]");
    assert_eq!(problems.len(), 1, "{json}");
    assert_eq!(problems[0]["path"], path, "{json}");
    assert_eq!(problems[0]["rule"], rule, "{json}");
    assert_eq!(problems[0]["severity"], "error", "{json}");
}

#[test]
fn check_range_passes_a_clean_range_and_refuses_a_bad_one() {
    let env = TestEnv::new();
    let (_, clone) = served_registry(&env);
    let run = env.modelreg(&clone, &["check", "--range", "origin/main..HEAD"]).success();
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    checked change origin/main..HEAD: 0 model(s), 0 record(s), 0 signature(s): ok
    [exit status: 0]
    ");
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.register(&clone, "m", &v3, &[]).success();
    let run = env.modelreg(&clone, &["check", "--range", "origin/main..HEAD"]).success();
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    checked change origin/main..HEAD: 1 model(s), 1 record(s), 1 signature(s): ok
    [exit status: 0]
    ");
    let run = env.modelreg(&clone, &["check", "--range", "HEAD~3..", "--json"]).success();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["problems"], serde_json::json!([]));

    let run = env.modelreg(&clone, &["check", "--range", "origin/main"]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: `origin/main` is not a range
    hint: write it as OLD..NEW, e.g. origin/main..HEAD
    [exit status: 2]
    ");
    let run = env.modelreg(&clone, &["check", "--range", "no-such-branch..HEAD"]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: `no-such-branch` does not name a commit: revspec 'no-such-branch' not found
    hint: pass a commit, branch or tag that exists (e.g. HEAD)
    [exit status: 2]
    ");
}

#[test]
fn hooks_install_respects_core_hooks_path_and_foreign_hooks() {
    let env = TestEnv::new();
    let (remote, _) = served_registry(&env);
    let clone = env.clone_of(&remote, "carol");
    // A team that keeps its hooks in the repository.
    env.git(&clone, &["config", "core.hooksPath", ".githooks"]);
    std::fs::create_dir_all(clone.join(".githooks")).unwrap();
    std::fs::write(clone.join(".githooks/pre-commit"), "#!/bin/sh\nexit 0\n").unwrap();
    let refused = env.modelreg(&clone, &["hooks", "install"]).failure(2);
    assert!(
        refused.stderr.contains("error: [TEMP]/carol/.githooks/pre-commit exists and was not written by modelreg"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("hint: pass --force to replace it"), "{}", refused.stderr);
    assert_eq!(std::fs::read_to_string(clone.join(".githooks/pre-commit")).unwrap(), "#!/bin/sh\nexit 0\n");
    assert!(!clone.join(".githooks/pre-push").exists(), "a refused install writes nothing");

    env.modelreg(&clone, &["hooks", "install", "--force"]).success();
    for hook in ["pre-commit", "pre-push"] {
        let text = std::fs::read_to_string(clone.join(".githooks").join(hook)).unwrap();
        assert!(text.contains(&format!("hook {hook}")), "{hook}:\n{text}");
    }
    // Installing again over its own hooks needs no --force.
    env.modelreg(&clone, &["hooks", "install"]).success();

    // git runs them from there.
    replace(&record(&clone, "m", 2), "auc = 0.93", "auc = 0.99");
    env.git(&clone, &["add", "-A"]);
    let run = env.git_run(&clone, &["commit", "-q", "-m", "better auc"]).failure(1);
    assert!(run.stderr.contains("error[append-only]"), "{}", run.snapshot());

    // The refusal's hint names what `hooks install` offers (--force), not another command's options.
    let hint = refused.stderr.lines().find(|l| l.starts_with("hint: ")).unwrap_or_default();
    assert!(hint.contains("--force") && !hint.contains("-o "), "misleading hint: {hint}");
}

#[test]
fn hooks_install_outside_a_repository_is_a_usage_error() {
    let env = TestEnv::new();
    let plain = env.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    let run = env.modelreg(&plain, &["hooks", "install", "--server"]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: [TEMP]/plain is not inside a git repository
    hint: run it inside a git repository (`git init`), or pass -C DIR
    [exit status: 2]
    ");
}

#[test]
fn the_pre_commit_hook_judges_the_index_git_commit_a_builds() {
    let env = TestEnv::new();
    let (_, clone) = served_registry(&env);
    // An edited record, never `git add`ed: `git commit -a` stages it into a temporary index.
    replace(&record(&clone, "m", 2), "auc = 0.93", "auc = 0.99");
    let head = env.rev(&clone, "HEAD");
    let run = env.git_run(&clone, &["commit", "-q", "-a", "-m", "better numbers"]).failure(1);
    assert!(run.stderr.contains("models/m/records/000002-register.toml: error[append-only]"), "{}", run.snapshot());
    assert!(run.stderr.contains("modelreg: commit refused"), "{}", run.snapshot());
    assert_eq!(env.rev(&clone, "HEAD"), head, "nothing committed");
    // `git commit PATHS` builds one too.
    let path = "models/m/records/000002-register.toml";
    env.git_run(&clone, &["commit", "-q", "-m", "better numbers", "--", path]).failure(1);
    assert_eq!(env.rev(&clone, "HEAD"), head, "nothing committed");

    // The legitimate `git commit -a`: a file outside the registry's, edited and committed.
    env.git(&clone, &["checkout", "-q", "--", path]);
    std::fs::write(clone.join("NOTES.md"), "notes\n").unwrap();
    env.git(&clone, &["add", "NOTES.md"]);
    env.git(&clone, &["commit", "-q", "-m", "notes"]);
    std::fs::write(clone.join("NOTES.md"), "more notes\n").unwrap();
    env.git(&clone, &["commit", "-q", "-a", "-m", "more notes"]);
}
