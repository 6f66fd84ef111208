//! Lifecycle end to end: gates checked by `promote` and, for records forged by hand, by the server
//! hook; approvals by distinct approver keys; archive refusals; rollback and `NAME@STAGE`; deployments,
//! tags and history. Real git, a real bare remote with the pre-receive hook, the real binary.

use std::path::{Path, PathBuf};

use crate::common::{TestEnv, tree_state};
use crate::test_hooks::{ALICE, BOB, refused_by_server};

const GATES: &str = r#"
[lifecycle]
stages = ["development", "staging", "production"]

[lifecycle.gates.production]
from = "staging"
soak = "24h"
require = ["auc >= 0.90", "latency_ms <= 50"]
no_drift_within = "7d"
approvals = 2
"#;

/// A registry served by a bare remote with the server hook, production gated by [`GATES`], bob and
/// carol approvers for production (carol also a publisher), and model `m` at v1 (good metrics) and
/// v2 (too slow). Everything pushed. Returns (remote, clone).
fn gated_registry(env: &TestEnv) -> (PathBuf, PathBuf) {
    let remote = env.bare_remote("remote.git");
    let clone = env.registry();
    env.git(&clone, &["remote", "add", "origin", remote.to_str().unwrap()]);
    let config = clone.join("modelreg.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(GATES);
    std::fs::write(&config, text).unwrap();
    env.modelreg(&clone, &["config", "sign", "--key", key(env, "alice").as_str()]).success();
    let alice = key(env, "alice");
    for (name, roles) in [("bob", &["approver:production"][..]), ("carol", &["approver:production", "publisher"][..])] {
        let public = env.key(name).with_extension("pub");
        let owner = format!("{name}@example.com");
        let mut args = vec!["key", "add", public.to_str().unwrap(), "--owner", &owner, "--key", &alice];
        for role in roles {
            args.extend(["--role", role]);
        }
        env.modelreg(&clone, &args).success();
    }
    let v1 = env.files("v1", &[("model.onnx", b"weights one")]);
    env.register(&clone, "m", &v1, &["--metric", "auc=0.93", "--metric", "latency_ms=20"]).success();
    let v2 = env.files("v2", &[("model.onnx", b"weights two")]);
    env.register(&clone, "m", &v2, &["--metric", "auc=0.95", "--metric", "latency_ms=80"]).success();
    env.push(&clone, &["-q", "-u", "origin", "main"]).success();
    (remote, clone)
}

fn key(env: &TestEnv, name: &str) -> String {
    env.key(name).to_str().unwrap().to_owned()
}

/// `modelreg ARGS --key <name>` at `time`.
fn as_user(env: &TestEnv, clone: &Path, name: &str, time: &str, args: &[&str]) -> crate::common::Run {
    let key = key(env, name);
    let mut full = args.to_vec();
    full.extend(["--key", key.as_str()]);
    env.modelreg_with(clone, &full, &[("MODELREG_TIMESTAMP", time)])
}

const DAY0: &str = "2026-11-22T10:00:00Z";
const DAY0_LATER: &str = "2026-11-22T16:00:00Z";
const DAY2: &str = "2026-11-24T10:00:00Z";
const DAY4: &str = "2026-11-26T10:00:00Z";

#[test]
fn a_promotion_that_misses_a_gate_is_refused_and_writes_nothing() {
    let env = TestEnv::new();
    let (_, clone) = gated_registry(&env);
    let before = tree_state(&clone);
    // Never in staging, and v2's latency fails its requirement.
    let run = as_user(&env, &clone, "alice", DAY0, &["promote", "m@2", "--to", "production"]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: cannot promote m v2 to `production`: v2 has never been in `staging`; `latency_ms <= 50`: latency_ms is 80
    hint: the gates are [lifecycle.gates.production] in modelreg.toml; `modelreg show m` shows where each version stands
    [exit status: 2]
    ");
    assert_eq!(tree_state(&clone), before, "a refused promotion writes nothing");

    // In staging, but not long enough.
    as_user(&env, &clone, "alice", DAY0, &["promote", "m@1", "--to", "staging"]).success();
    let run = as_user(&env, &clone, "alice", DAY0_LATER, &["promote", "m@1", "--to", "production"]).failure(2);
    assert!(run.stderr.contains("v1 has been in `staging` for 6h, needs 24h"), "{}", run.snapshot());
    // An unknown stage names the configured ones.
    let run = as_user(&env, &clone, "alice", DAY2, &["promote", "m@1", "--to", "prod"]).failure(2);
    assert!(run.stderr.contains("`prod` is not a stage of this registry"), "{}", run.snapshot());
    assert!(run.stderr.contains("development, staging, production"), "{}", run.snapshot());
}

#[test]
fn two_approvals_by_distinct_approvers_make_a_promotion_effective() {
    let env = TestEnv::new();
    let (remote, clone) = gated_registry(&env);
    as_user(&env, &clone, "alice", DAY0, &["promote", "m@1", "--to", "staging"]).success();
    let run = as_user(&env, &clone, "alice", DAY2, &["promote", "m@1", "--to", "production", "-m", "soaked"]).success();
    assert!(run.stderr.contains("proposed m v1 to production"), "{}", run.snapshot());
    assert!(run.stderr.contains("PENDING: 0 of 2 approval(s), 2 more needed"), "{}", run.snapshot());
    // Pending: production still empty, and `show` says who can approve.
    let show = env.modelreg(&clone, &["show", "m"]).success();
    insta::assert_snapshot!(show.snapshot(), @"
    m
    latest v2, 2 version(s), 4 record(s)
    stages development=-  staging=v1  production=-

    pending promotion of v1 to production:
      status     PENDING: 0 of 2 approval(s), 2 more needed
      proposed   by alice@example.com (f43fd158e0f275c5)
      can approve bob@example.com (7912eaa3793eb920), carol@example.com (f654eb71a62f45ef)
      next       modelreg approve m@1 --to production

    VERSION  CREATED               AUTHOR                     FILES  SIZE  STAGE    METRICS
    v1       2026-11-22T10:00:00Z  Alice <alice@example.com>  1      11 B  staging  auc=0.93  latency_ms=20
    v2       2026-11-22T10:00:00Z  Alice <alice@example.com>  1      11 B  -        auc=0.95  latency_ms=80
    [exit status: 0]
    ");
    env.modelreg(&clone, &["get", "m@production", "-o", "out"]).failure(2);

    // The proposer's own approval does not count; an approver without the role is refused.
    let run = as_user(&env, &clone, "alice", DAY2, &["approve", "m@1", "--to", "production"]).failure(2);
    assert!(run.stderr.contains("does not hold the `approver:production` role"), "{}", run.snapshot());
    let run = as_user(&env, &clone, "bob", DAY2, &["approve", "m@1", "--to", "production"]).success();
    assert!(run.stderr.contains("PENDING: 1 of 2 approval(s), 1 more needed"), "{}", run.snapshot());
    let run = as_user(&env, &clone, "bob", DAY2, &["approve", "m@1", "--to", "production"]).failure(2);
    assert!(run.stderr.contains("has already signed"), "{}", run.snapshot());
    let run = as_user(&env, &clone, "carol", DAY2, &["approve", "m@1", "--to", "production"]).success();
    assert!(run.stderr.contains("took effect: v1 into production"), "{}", run.snapshot());

    // Each approval is one signature file beside the untouched record (and the card, derived from the
    // records, shows the approval trail).
    let changed = env.git(&clone, &["diff", "--name-status", "HEAD~2", "HEAD"]);
    assert_eq!(
        changed,
        format!(
            "M\tmodels/m/README.md\nA\tmodels/m/records/000004-promote.toml.{BOB}.sig\nA\tmodels/m/records/000004-promote.toml.f654eb71a62f45ef.sig\n"
        )
    );
    let card = std::fs::read_to_string(clone.join("models/m/README.md")).unwrap();
    assert!(card.contains("bob@example.com") && card.contains("carol@example.com"), "{card}");
    // The server hook accepts the whole flow, and `get m@production` fetches v1.
    env.push_with(&clone, &["-q", "origin", "main"], &[("MODELREG_TIMESTAMP", DAY2)]).success();
    assert_eq!(env.rev(&remote, "main"), env.rev(&clone, "HEAD"));
    env.modelreg(&clone, &["get", "m@production", "-o", "out"]).success();
    assert_eq!(std::fs::read(clone.join("out/model.onnx")).unwrap(), b"weights one");
    env.modelreg(&clone, &["check"]).success();
}

#[test]
fn a_forged_promotion_that_misses_its_gates_is_refused_by_the_server() {
    let env = TestEnv::new();
    let (remote, clone) = gated_registry(&env);
    // Write a valid-looking promotion of v2 (latency 80, never in staging) with the real gates, signed
    // by alice with stock ssh-keygen, and push it past the client hooks.
    let register = std::fs::read(clone.join("models/m/records/000002-register.toml")).unwrap();
    let digest = format!("blake3:{}", blake3::hash(&register).to_hex());
    let previous = digest.clone();
    let forged = format!(
        "schema = \"modelreg/promote/v1\"\nmodel = \"m\"\nseq = 3\nprevious = \"{previous}\"\n\
         created_at = \"{DAY0}\"\nauthor = \"Mallory <m@example.com>\"\nsigner = \"{ALICE}\"\nversion = 2\n\
         version_record = \"{digest}\"\nstage = \"production\"\n\n[gates]\nfrom = \"staging\"\nsoak = \"24h\"\n\
         require = [\"auc >= 0.9\", \"latency_ms <= 50\"]\nno_drift_within = \"7d\"\napprovals = 2\n"
    );
    let path = clone.join("models/m/records/000003-promote.toml");
    std::fs::write(&path, &forged).unwrap();
    let sig = env.ssh_sign("alice", &path);
    std::fs::write(clone.join(format!("models/m/records/000003-promote.toml.{ALICE}.sig")), sig).unwrap();
    env.commit_no_verify(&clone, "promote by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[gate]");
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    remote: models/m/records/000003-promote.toml: error[gate]: gate for `production` not met: v2 has never been in `staging`
    remote: models/m/records/000003-promote.toml: error[gate]: gate for `production` not met: `latency_ms <= 50`: latency_ms is 80
    remote: modelreg: push refused: 2 problem(s); the remote is unchanged
    To [TEMP]/remote.git
     ! [remote rejected] main -> main (pre-receive hook declined)
    error: failed to push some refs to '[TEMP]/remote.git'
    [exit status: 1]
    ");

    // The same promotion claiming no gates at all is refused for not carrying the configured ones.
    env.git(&clone, &["reset", "-q", "--hard", "HEAD~1"]);
    let lax = forged.split("\n[gates]").next().unwrap().to_owned() + "\n";
    std::fs::write(&path, &lax).unwrap();
    let sig = env.ssh_sign("alice", &path);
    std::fs::write(clone.join(format!("models/m/records/000003-promote.toml.{ALICE}.sig")), sig).unwrap();
    env.commit_no_verify(&clone, "promote by hand, no gates");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[gate]");
    assert!(
        run.stderr.contains("carries gates for `production` that differ from modelreg.toml's"),
        "{}",
        run.snapshot()
    );
    // The full check sees it too (the record's own gates hold, but nothing approved it: it is pending,
    // and pending is allowed; what check refuses is the missing staging history).
    env.git(&clone, &["reset", "-q", "--hard", "HEAD~1"]);
    std::fs::write(&path, &forged).unwrap();
    let sig = env.ssh_sign("alice", &path);
    std::fs::write(clone.join(format!("models/m/records/000003-promote.toml.{ALICE}.sig")), sig).unwrap();
    let run = env.modelreg(&clone, &["check"]).failure(1);
    assert!(run.stdout.contains("error[gate]") || run.stderr.contains("error[gate]"), "{}", run.snapshot());
}

#[test]
fn approving_a_superseded_promotion_is_refused_by_the_server() {
    let env = TestEnv::new();
    let (remote, clone) = gated_registry(&env);
    as_user(&env, &clone, "alice", DAY0, &["promote", "m@1", "--to", "staging"]).success();
    as_user(&env, &clone, "alice", DAY2, &["promote", "m@1", "--to", "production"]).success();
    // A second proposal for production supersedes the first (carol proposes v1 again, by the book).
    as_user(&env, &clone, "carol", DAY2, &["promote", "m@1", "--to", "production"]).success();
    env.push_with(&clone, &["-q", "origin", "main"], &[("MODELREG_TIMESTAMP", DAY2)]).success();
    let run = as_user(&env, &clone, "bob", DAY2, &["approve", "m@1", "--to", "production"]).success();
    assert!(run.stderr.contains("000005-promote.toml"), "bob approves the open proposal:\n{}", run.snapshot());
    env.git(&clone, &["reset", "-q", "--hard", "HEAD~1"]);
    // Bob signs the superseded one by hand.
    let old = clone.join("models/m/records/000004-promote.toml");
    let sig = env.ssh_sign("bob", &old);
    std::fs::write(clone.join(format!("models/m/records/000004-promote.toml.{BOB}.sig")), sig).unwrap();
    env.commit_no_verify(&clone, "late approval");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[gate]");
    assert!(!run.stderr.contains("error[chain]"), "{}", run.snapshot());
    assert!(run.stderr.contains("approves a promotion that a later record superseded"), "{}", run.snapshot());
}

#[test]
fn archiving_a_version_in_service_is_refused_and_archived_versions_cannot_be_promoted() {
    let env = TestEnv::new();
    let clone = env.registry();
    let v1 = env.files("v1", &[("model.onnx", b"weights one")]);
    env.register(&clone, "m", &v1, &[]).success();
    let alice = key(&env, "alice");
    env.modelreg(&clone, &["promote", "m@1", "--to", "production", "--key", &alice]).success();
    let before = tree_state(&clone);
    let run = env.modelreg(&clone, &["archive", "m@1", "-m", "old", "--key", &alice]).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: cannot archive m v1: holds `production`
    hint: demote it first: `modelreg demote m --stage production` (or promote another version)
    [exit status: 2]
    ");
    assert_eq!(tree_state(&clone), before);
    env.modelreg(
        &clone,
        &["deploy", "record", "m@production", "--env", "prod", "--target", "k8s://eu/fraud", "--key", &alice],
    )
    .success();
    let show = env.modelreg(&clone, &["show", "m"]).success();
    assert!(show.stdout.contains("deployed v1 to prod (k8s://eu/fraud) since 2026-11-22T10:00:00Z"), "{}", show.stdout);
    env.modelreg(&clone, &["demote", "m", "--stage", "production", "-m", "retiring", "--key", &alice]).success();
    let run = env.modelreg(&clone, &["archive", "m@1", "-m", "old", "--key", &alice]).failure(2);
    assert!(run.stderr.contains("is deployed to prod at k8s://eu/fraud"), "{}", run.snapshot());
    env.modelreg(&clone, &["deploy", "end", "m@1", "--env", "prod", "--key", &alice]).success();
    env.modelreg(&clone, &["archive", "m@1", "-m", "superseded by the 2027 model", "--key", &alice]).success();
    // Archived: still readable and fetchable, never promoted or deployed.
    env.modelreg(&clone, &["get", "m@1", "-o", "out"]).success();
    let run = env.modelreg(&clone, &["promote", "m@1", "--to", "staging", "--key", &alice]).failure(2);
    assert!(run.stderr.contains("cannot promote m v1: is archived"), "{}", run.snapshot());
    assert!(run.stderr.contains("modelreg restore m@1"), "{}", run.snapshot());
    env.modelreg(&clone, &["restore", "m@1", "-m", "needed after all", "--key", &alice]).success();
    env.modelreg(&clone, &["promote", "m@1", "--to", "staging", "--key", &alice]).success();
    env.modelreg(&clone, &["check"]).success();
}

#[test]
fn rollback_gives_the_stage_back_and_get_follows_it() {
    let env = TestEnv::new();
    let clone = env.registry();
    let alice = key(&env, "alice");
    for (n, bytes) in [(1, &b"weights one"[..]), (2, b"weights two")] {
        let dir = env.files(&format!("v{n}"), &[("model.onnx", bytes)]);
        env.register(&clone, "m", &dir, &[]).success();
        env.modelreg(&clone, &["promote", &format!("m@{n}"), "--to", "production", "--key", &alice]).success();
    }
    env.modelreg(&clone, &["get", "m@production", "-o", "two"]).success();
    assert_eq!(std::fs::read(clone.join("two/model.onnx")).unwrap(), b"weights two");
    let run = env.modelreg(&clone, &["rollback", "m", "--stage", "production", "-m", "v2 misbehaves", "--key", &alice]);
    let run = run.success();
    let text = run.stderr.lines().filter(|l| !l.contains("committed")).collect::<Vec<_>>().join("\n");
    insta::assert_snapshot!(text, @"
    rolled m production back to v1
      status     took effect: v1 into production
      proposed   by alice@example.com (f43fd158e0f275c5)
      record     models/m/records/000005-promote.toml
    ");
    env.modelreg(&clone, &["get", "m@production", "-o", "one"]).success();
    assert_eq!(std::fs::read(clone.join("one/model.onnx")).unwrap(), b"weights one");
    // Rollbacks walk back through the stage's holders, never forward to the version rolled back from.
    let holder = |env: &TestEnv| env.modelreg(&clone, &["show", "m@production"]).success().stdout;
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.register(&clone, "m", &v3, &[]).success();
    env.modelreg(&clone, &["promote", "m@3", "--to", "production", "--key", &alice]).success();
    env.modelreg(&clone, &["promote", "m@2", "--to", "production", "--key", &alice]).success();
    env.modelreg(&clone, &["rollback", "m", "--stage", "production", "--key", &alice]).success();
    assert!(holder(&env).starts_with("m v3\n"), "{}", holder(&env));
    env.modelreg(&clone, &["rollback", "m", "--stage", "production", "--key", &alice]).success();
    assert!(holder(&env).starts_with("m v1\n"), "{}", holder(&env));
    let run = env.modelreg(&clone, &["rollback", "m", "--stage", "production", "--key", &alice]).failure(2);
    assert!(run.stderr.contains("m has no earlier version in `production` to roll back to"), "{}", run.snapshot());
    // After a demotion, a rollback brings back the version below the demoted one.
    env.modelreg(&clone, &["promote", "m@3", "--to", "production", "--key", &alice]).success();
    env.modelreg(&clone, &["demote", "m", "--stage", "production", "--key", &alice]).success();
    env.modelreg(&clone, &["rollback", "m", "--stage", "production", "--key", &alice]).success();
    assert!(holder(&env).starts_with("m v1\n"), "{}", holder(&env));
    let run = env.modelreg(&clone, &["rollback", "m", "--stage", "staging", "--key", &alice]).failure(2);
    assert!(run.stderr.contains("m has no earlier version in `staging`"), "{}", run.snapshot());
    env.modelreg(&clone, &["check"]).success();
}

#[test]
fn an_emergency_rollback_skips_gates_needs_an_admin_and_is_flagged_in_review() {
    let env = TestEnv::new();
    let (remote, clone) = gated_registry(&env);
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    env.register(&clone, "m", &v3, &["--metric", "auc=0.97", "--metric", "latency_ms=10"]).success();
    // v1, then v3, reach production by the book: staging, a day's soak, two approvals.
    for (version, staged, promoted) in [("m@1", DAY0, DAY2), ("m@3", DAY2, DAY4)] {
        as_user(&env, &clone, "alice", staged, &["promote", version, "--to", "staging"]).success();
        as_user(&env, &clone, "alice", promoted, &["promote", version, "--to", "production"]).success();
        as_user(&env, &clone, "bob", promoted, &["approve", version, "--to", "production"]).success();
        as_user(&env, &clone, "carol", promoted, &["approve", version, "--to", "production"]).success();
    }
    env.push_with(&clone, &["-q", "origin", "main"], &[("MODELREG_TIMESTAMP", DAY4)]).success();
    let base = env.rev(&clone, "HEAD");
    // A rollback by the book would wait for two approvals; in an emergency an admin skips them.
    let run = as_user(&env, &clone, "carol", DAY4, &["rollback", "m", "--stage", "production", "--emergency"]);
    let run = run.failure(2);
    assert!(run.stderr.contains("does not hold the `admin` role"), "{}", run.snapshot());
    let run = as_user(&env, &clone, "alice", DAY4, &["rollback", "m", "--stage", "production", "--emergency"]);
    assert!(run.success().stderr.contains("EMERGENCY"));
    let review = env.modelreg_with(&clone, &["review", "--base", &base], &[("MODELREG_TIMESTAMP", DAY4)]).success();
    assert!(review.stdout.contains("**1 emergency promotion(s)**"), "{}", review.stdout);
    assert!(
        review.stdout.contains(
            "| m | roll production back to v1 | Alice <alice@example.com> | **EMERGENCY**, in effect | skipped |"
        ),
        "{}",
        review.stdout
    );
    env.push_with(&clone, &["-q", "origin", "main"], &[("MODELREG_TIMESTAMP", DAY4)]).success();
    env.modelreg(&clone, &["get", "m@production", "-o", "out"]).success();
    assert_eq!(std::fs::read(clone.join("out/model.onnx")).unwrap(), b"weights one");
    assert_eq!(env.rev(&remote, "main"), env.rev(&clone, "HEAD"));
}

#[test]
fn tags_deployments_and_history() {
    let env = TestEnv::new();
    let clone = env.registry();
    let alice = key(&env, "alice");
    let v1 = env.files("v1", &[("model.onnx", b"weights one")]);
    env.register(&clone, "m", &v1, &["--tag", "team=risk", "-m", "first"]).success();
    let register = std::fs::read(clone.join("models/m/records/000001-register.toml")).unwrap();
    env.modelreg(&clone, &["tag", "m@1", "team=fraud", "tier=gold", "-m", "reorg", "--key", &alice]).success();
    env.modelreg(&clone, &["untag", "m@1", "tier", "--key", &alice]).success();
    let run = env.modelreg(&clone, &["untag", "m@1", "tier", "--key", &alice]).failure(2);
    assert!(run.stderr.contains("unsets tag `tier`, which m v1 does not have"), "{}", run.snapshot());
    env.modelreg(
        &clone,
        &["deploy", "record", "m@1", "--env", "prod", "--target", "https://api/fraud", "--key", &alice],
    )
    .success();
    assert_eq!(std::fs::read(clone.join("models/m/records/000001-register.toml")).unwrap(), register, "never edited");
    let show = env.modelreg(&clone, &["show", "m@1", "--json"]).success();
    let json: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(json["current_tags"], serde_json::json!({"team": "fraud"}));
    assert_eq!(json["tags"], serde_json::json!({"team": "risk"}), "the registered tags stay as registered");
    assert_eq!(json["deployments"][0]["env"], "prod");
    let history = env.modelreg(&clone, &["history", "m"]).success();
    insta::assert_snapshot!(history.snapshot(), @"
    SEQ  WHEN                  WHO                        WHAT                                     WHY
    1    2026-11-22T10:00:00Z  Alice <alice@example.com>  registered v1 (1 file)                   first
    2    2026-11-22T10:00:00Z  Alice <alice@example.com>  tagged v1: team=fraud tier=gold          reorg
    3    2026-11-22T10:00:00Z  Alice <alice@example.com>  tagged v1: -tier
    4    2026-11-22T10:00:00Z  Alice <alice@example.com>  deployed v1 to prod (https://api/fraud)
    [exit status: 0]
    ");
    env.modelreg(&clone, &["check"]).success();
}

#[test]
fn bad_lifecycle_input_gets_one_line_and_a_hint_and_writes_nothing() {
    let env = TestEnv::new();
    let clone = env.registry();
    let alice = key(&env, "alice");
    let v1 = env.files("v1", &[("model.onnx", b"weights one")]);
    env.register(&clone, "m", &v1, &[]).success();
    let config = clone.join("modelreg.toml");
    let original = std::fs::read_to_string(&config).unwrap();
    let before = tree_state(&clone);
    for (extra, expected) in [
        ("\n[lifecycle.gates.prod]\napprovals = 1\n", "lifecycle.gates.prod: `prod` is not in lifecycle.stages"),
        ("\n[lifecycle.gates.production]\nrequire = [\"auc high\"]\n", "invalid requirement `auc high`"),
        ("\n[lifecycle.gates.production]\nsoak = \"1d\"\n", "a soak time needs `from`"),
        ("\n[lifecycle]\nstages = [\"a\", \"a\"]\n", "lists `a` twice"),
    ] {
        std::fs::write(&config, format!("{original}{extra}")).unwrap();
        let run = env.modelreg(&clone, &["config", "sign", "--key", &alice]).failure(2);
        assert!(run.stderr.contains(expected), "{expected}:\n{}", run.snapshot());
        assert!(run.stderr.contains("\nhint: "), "{}", run.snapshot());
        std::fs::write(&config, &original).unwrap();
        assert_eq!(tree_state(&clone), before, "{expected}: nothing written");
    }
    for (args, expected) in [
        (vec!["promote", "m@1", "--to", "../prod"], "invalid stage name `../prod`"),
        (vec!["deploy", "record", "m@1", "--env", "../x", "--target", "t"], "invalid key `../x`"),
        (vec!["archive", "m@1", "-m", " "], "`message` says why; it cannot be empty"),
        (vec!["approve", "m@1", "--to", "production"], "does not hold the `approver:production` role"),
        (vec!["demote", "m", "--stage", "production"], "m has no version in `production`"),
        (vec!["deploy", "end", "m@1", "--env", "prod"], "it has no active deployment in prod"),
        (vec!["promote", "m@7", "--to", "staging"], "m has no version 7"),
        (vec!["show", "m@staging"], "m has no version in `staging`"),
    ] {
        let mut full = args.clone();
        full.extend(["--key", alice.as_str()]);
        let full: Vec<&str> = if args[0] == "show" { args.clone() } else { full };
        let run = env.modelreg(&clone, &full).failure(2);
        assert!(run.stderr.contains(expected), "{args:?}: {expected}:\n{}", run.snapshot());
        assert_eq!(tree_state(&clone), before, "{args:?}: nothing written");
    }
}

#[test]
fn a_recent_failing_drift_report_blocks_promotion_until_the_window_passes() {
    let env = TestEnv::new();
    let clone = env.registry();
    let alice = key(&env, "alice");
    let config = clone.join("modelreg.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[lifecycle.gates.production]\nno_drift_within = \"7d\"\n");
    std::fs::write(&config, text).unwrap();
    env.modelreg(&clone, &["config", "sign", "--key", &alice]).success();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/drift/tests/fixtures");
    let profile = env.path().join("baseline.profile.toml");
    let baseline = fixtures.join("baseline.csv");
    env.modelreg(&clone, &["profile", baseline.to_str().unwrap(), "-o", profile.to_str().unwrap()]).success();
    let model = env.files("model", &[("model.onnx", b"weights")]);
    env.register(&clone, "churn", &model, &["--baseline-profile", profile.to_str().unwrap()]).success();
    let target = fixtures.join("target.csv");
    as_user(&env, &clone, "alice", DAY0, &["drift", "churn@1", "--target", target.to_str().unwrap()]).success();

    let run = as_user(&env, &clone, "alice", DAY2, &["promote", "churn@1", "--to", "production"]).failure(2);
    assert!(
        run.stderr.contains("drift found at 2026-11-22T10:00:00Z (models/churn/records/000002-drift.toml), within 7d"),
        "{}",
        run.snapshot()
    );
    as_user(&env, &clone, "alice", "2026-11-30T10:00:01Z", &["promote", "churn@1", "--to", "production"]).success();
}

/// Writes `text` as record `seq` of model `m` in `clone`, signed by `signers` with stock ssh-keygen.
fn forge(env: &TestEnv, clone: &Path, seq: u32, kind: &str, text: &str, signers: &[(&str, &str)]) -> PathBuf {
    let path = clone.join(format!("models/m/records/{seq:06}-{kind}.toml"));
    std::fs::write(&path, text).unwrap();
    for (name, id) in signers {
        let sig = env.ssh_sign(name, &path);
        std::fs::write(clone.join(format!("models/m/records/{seq:06}-{kind}.toml.{id}.sig")), sig).unwrap();
    }
    path
}

fn digest_of(path: &Path) -> String {
    format!("blake3:{}", blake3::hash(&std::fs::read(path).unwrap()).to_hex())
}

#[test]
fn approvals_by_hand_cannot_revive_a_superseded_promotion_or_come_from_a_revoked_key() {
    let env = TestEnv::new();
    let (remote, clone) = gated_registry(&env);
    as_user(&env, &clone, "alice", DAY0, &["promote", "m@1", "--to", "staging"]).success();
    as_user(&env, &clone, "alice", DAY2, &["promote", "m@1", "--to", "production"]).success();
    // v2 takes staging, and v1 is archived: its pending promotion is superseded.
    as_user(&env, &clone, "alice", DAY2, &["promote", "m@2", "--to", "staging"]).success();
    as_user(&env, &clone, "alice", DAY2, &["archive", "m@1", "-m", "replaced"]).success();
    env.push_with(&clone, &["-q", "origin", "main"], &[("MODELREG_TIMESTAMP", DAY2)]).success();
    let run = as_user(&env, &clone, "bob", DAY2, &["approve", "m@1", "--to", "production"]).failure(2);
    assert!(run.stderr.contains("has no promotion to `production` waiting for approval"), "{}", run.snapshot());
    // Both approvers sign it by hand in one push: enough to make it take effect, and refused.
    let promote = clone.join("models/m/records/000004-promote.toml");
    for (name, id) in [("bob", BOB), ("carol", "f654eb71a62f45ef")] {
        let sig = env.ssh_sign(name, &promote);
        std::fs::write(clone.join(format!("models/m/records/000004-promote.toml.{id}.sig")), sig).unwrap();
    }
    env.commit_no_verify(&clone, "late approvals");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[gate]");
    assert!(run.stderr.contains("approves a promotion that a later record superseded"), "{}", run.snapshot());
    env.git(&clone, &["reset", "-q", "--hard", "origin/main"]);

    // A pending promotion of v2; bob's key is revoked; his signature by hand is refused at push.
    as_user(&env, &clone, "alice", DAY4, &["promote", "m@2", "--to", "production"]).failure(2); // latency gate
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    as_user(
        &env,
        &clone,
        "alice",
        DAY2,
        &["register", "m", v3.to_str().unwrap(), "--metric", "auc=0.97", "--metric", "latency_ms=9"],
    )
    .success();
    as_user(&env, &clone, "alice", DAY2, &["promote", "m@3", "--to", "staging"]).success();
    as_user(&env, &clone, "alice", DAY4, &["promote", "m@3", "--to", "production"]).success();
    as_user(&env, &clone, "alice", DAY4, &["key", "revoke", BOB]).success();
    env.push_with(&clone, &["-q", "origin", "main"], &[("MODELREG_TIMESTAMP", DAY4)]).success();
    let run = as_user(&env, &clone, "bob", DAY4, &["approve", "m@3", "--to", "production"]).failure(2);
    assert!(run.stderr.contains("expired"), "{}", run.snapshot());
    let promote = clone.join("models/m/records/000009-promote.toml");
    let sig = env.ssh_sign("bob", &promote);
    std::fs::write(clone.join(format!("models/m/records/000009-promote.toml.{BOB}.sig")), sig).unwrap();
    env.commit_no_verify(&clone, "approval by a revoked key");
    let before = env.rev(&remote, "main");
    let run = env.push_with(&clone, &["--no-verify", "origin", "main"], &[("MODELREG_TIMESTAMP", DAY4)]).failure(1);
    assert!(run.stderr.contains("error[signature]") && run.stderr.contains("expired"), "{}", run.snapshot());
    assert_eq!(env.rev(&remote, "main"), before);
}

#[test]
fn records_cannot_be_backdated_and_emergencies_are_only_for_rollbacks() {
    let env = TestEnv::new();
    let (remote, clone) = gated_registry(&env);
    // The command refuses to write a record dated before the one it follows (a wrong clock, or an
    // attempt to fake a soak time).
    let run = as_user(&env, &clone, "alice", "2026-11-01T00:00:00Z", &["promote", "m@1", "--to", "staging"]);
    let run = run.failure(2);
    assert!(run.stderr.contains("dated 2026-11-01T00:00:00Z, before the record it follows"), "{}", run.snapshot());

    // An admin's "emergency" promotion that is not a rollback, written by hand, is refused at push.
    let register = clone.join("models/m/records/000001-register.toml");
    let previous = digest_of(&clone.join("models/m/records/000002-register.toml"));
    let text = format!(
        "schema = \"modelreg/promote/v1\"\nmodel = \"m\"\nseq = 3\nprevious = \"{previous}\"\n\
         created_at = \"{DAY0}\"\nauthor = \"Alice <alice@example.com>\"\nsigner = \"{ALICE}\"\nversion = 1\n\
         version_record = \"{}\"\nstage = \"production\"\nemergency = true\n\n[gates]\nfrom = \"staging\"\n\
         soak = \"24h\"\nrequire = [\"auc >= 0.9\", \"latency_ms <= 50\"]\nno_drift_within = \"7d\"\napprovals = 2\n",
        digest_of(&register)
    );
    forge(&env, &clone, 3, "promote", &text, &[("alice", ALICE)]);
    env.commit_no_verify(&clone, "emergency by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[gate]");
    assert!(run.stderr.contains("an emergency skips the gates only to roll a stage back"), "{}", run.snapshot());
    // Calling it a rollback does not help: nothing held production before.
    env.git(&clone, &["reset", "-q", "--hard", "origin/main"]);
    forge(
        &env,
        &clone,
        3,
        "promote",
        &text.replace("emergency = true\n", "rollback = true\nemergency = true\n"),
        &[("alice", ALICE)],
    );
    env.commit_no_verify(&clone, "rollback by hand");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[lifecycle]");
    assert!(
        run.stderr.contains("rolls `production` back to v1, but the version before its holder is no earlier version"),
        "{}",
        run.snapshot()
    );
}

#[test]
fn an_archived_model_takes_no_new_versions_and_its_card_cannot_be_deleted() {
    let env = TestEnv::new();
    let (remote, clone) = gated_registry(&env);
    let alice = key(&env, "alice");
    env.modelreg(&clone, &["archive", "m", "-m", "retired", "--key", &alice]).success();
    let card = std::fs::read_to_string(clone.join("models/m/README.md")).unwrap();
    assert!(card.contains("| Archived | 2026-11-22T10:00:00Z by Alice <alice@example.com>: retired |"), "{card}");
    let before = tree_state(&clone);
    let v3 = env.files("v3", &[("model.onnx", b"weights three")]);
    let run = env.register(&clone, "m", &v3, &[]).failure(2);
    assert!(run.stderr.contains("cannot register m: the model m is archived"), "{}", run.snapshot());
    assert!(run.stderr.contains("modelreg restore m -m WHY"), "{}", run.snapshot());
    assert_eq!(tree_state(&clone), before);
    env.push(&clone, &["-q", "origin", "main"]).success();
    // A deleted card is refused at push (a stale one too, by the card rule).
    env.git(&clone, &["rm", "-q", "models/m/README.md"]);
    env.commit_no_verify(&clone, "drop the card");
    let run = refused_by_server(&env, &remote, &clone, &["origin", "main"], "error[card]");
    assert!(run.stderr.contains("a committed model card was deleted"), "{}", run.snapshot());
    let review = env.modelreg(&clone, &["review", "--base", "origin/main", "--json"]).failure(1);
    let json: serde_json::Value = serde_json::from_str(&review.stdout).unwrap();
    assert_eq!(json["check"]["problems"][0]["rule"], "card");
}

#[test]
fn a_full_check_judges_each_promotion_by_the_configuration_it_was_committed_under() {
    let env = TestEnv::new();
    let (remote, clone) = gated_registry(&env);
    // A legitimate promotion to staging (no gates there yet), pushed; then the admins gate staging.
    as_user(&env, &clone, "alice", DAY0, &["promote", "m@1", "--to", "staging"]).success();
    env.push(&clone, &["-q", "origin", "main"]).success();
    let config = clone.join("modelreg.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[lifecycle.gates.staging]\nrequire = [\"auc >= 0.99\"]\n");
    std::fs::write(&config, text).unwrap();
    as_user(&env, &clone, "alice", DAY0_LATER, &["config", "sign"]).success();
    env.push(&clone, &["-q", "origin", "main"]).success();
    // The earlier promotion carried the gates in force then: a fresh clone's full check passes.
    let fresh = env.clone_of(&remote, "fresh");
    env.modelreg(&fresh, &["check"]).success();
    // So does CI's usual shallow checkout, which cannot see when the records before it were committed.
    let shallow = env.path().join("shallow");
    let url = format!("file://{}", remote.display());
    env.git(env.path(), &["clone", "-q", "--depth", "1", &url, shallow.to_str().unwrap()]);
    assert_eq!(env.git(&shallow, &["rev-parse", "--is-shallow-repository"]).trim(), "true");
    env.modelreg(&shallow, &["check", "--skip-artifacts"]).success();

    // A hand-made promotion to production that claims no gates, committed past the hooks: CI's full
    // check on the branch refuses it, as the server would.
    let register = fresh.join("models/m/records/000002-register.toml");
    let previous = digest_of(&fresh.join("models/m/records/000003-promote.toml"));
    let lax = format!(
        "schema = \"modelreg/promote/v1\"\nmodel = \"m\"\nseq = 4\nprevious = \"{previous}\"\n\
         created_at = \"{DAY2}\"\nauthor = \"Mallory <m@example.com>\"\nsigner = \"{ALICE}\"\nversion = 2\n\
         version_record = \"{}\"\nstage = \"production\"\n",
        digest_of(&register)
    );
    forge(&env, &fresh, 4, "promote", &lax, &[("alice", ALICE)]);
    env.modelreg(&fresh, &["card", "m"]).success();
    env.commit_no_verify(&fresh, "promote by hand, no gates");
    let run = env.modelreg_with(&fresh, &["check"], &[("MODELREG_TIMESTAMP", DAY4)]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    models/m/records/000004-promote.toml: error[gate]: carries gates for `production` that differ from modelreg.toml's
      hint: promotions are proposed with `modelreg promote`, which copies the configured gates
    ----- stderr -----
    checked 1 model(s), 4 record(s), 4 signature(s); 0 artifact(s) verified, 2 not in the local store: 1 problem(s)
    [exit status: 1]
    ");

    // Wrapping it in an unsigned edit that lifts the gates, restored afterwards, changes nothing: only
    // a configuration that stood was ever in force.
    env.git(&fresh, &["reset", "-q", "--hard", "HEAD~1"]);
    let config = fresh.join("modelreg.toml");
    let signed = std::fs::read_to_string(&config).unwrap();
    let lifted = signed.split("\n[lifecycle.gates.production]").next().unwrap().to_owned() + "\n";
    std::fs::write(&config, lifted).unwrap();
    env.commit_no_verify(&fresh, "lift the gates, unsigned");
    forge(&env, &fresh, 4, "promote", &lax, &[("alice", ALICE)]);
    env.commit_no_verify(&fresh, "promote by hand, no gates");
    std::fs::write(&config, signed).unwrap();
    env.commit_no_verify(&fresh, "restore the signed configuration");
    let run = env.modelreg_with(&fresh, &["check"], &[("MODELREG_TIMESTAMP", DAY4)]).failure(1);
    assert!(run.stdout.contains("000004-promote.toml: error[gate]: carries gates"), "{}", run.snapshot());
}
