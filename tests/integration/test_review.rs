//! `modelreg review`: the pull-request summary.

use crate::common::TestEnv;

#[test]
fn review_summarises_new_versions_and_trust_changes() {
    let env = TestEnv::new();
    let registry = env.registry();
    let v1 = env.files("v1", &[("model.onnx", b"onnx v1"), ("vocab.txt", b"a b c")]);
    env.register(
        &registry,
        "ranker",
        &v1,
        &["--metric", "ndcg=0.71", "--metric", "latency_ms=12", "--param", "depth=6"],
    )
    .success();
    let base = env.git(&registry, &["rev-parse", "HEAD"]).trim().to_owned();

    let v2 = env.files("v2", &[("model.onnx", b"onnx v2"), ("tokenizer.json", b"{}")]);
    env.register(
        &registry,
        "ranker",
        &v2,
        &["--metric", "ndcg=0.74", "--metric", "latency_ms=11", "--param", "depth=8", "-m", "deeper trees"],
    )
    .success();
    let bob = env.key("bob");
    let alice = env.key("alice");
    env.modelreg(
        &registry,
        &[
            "key",
            "add",
            bob.with_extension("pub").to_str().unwrap(),
            "--owner",
            "bob@example.com",
            "--role",
            "publisher",
            "--key",
            alice.to_str().unwrap(),
        ],
    )
    .success();

    let run = env.modelreg(&registry, &["review", "--base", &base]).success();
    insta::assert_snapshot!(run.snapshot(), @"
    ## modelreg review

    **Registry rules: pass.** 1 new version(s), 1 trust change(s).

    ### ranker v2 (after v1)

    Registered by Alice <alice@example.com> at 2026-11-22T10:00:00Z, signed by `f43fd158e0f275c5`: _deeper trees_

    | metric | v1 | v2 | Δ |
    |---|---:|---:|---:|
    | latency_ms | 12 | 11 | -1 |
    | ndcg | 0.71 | 0.74 | +0.03 |

    Artifacts added: `tokenizer.json`; removed: `vocab.txt`; changed: `model.onnx`

    <details><summary>manifest diff</summary>

    ```diff
    --- ranker v1
    +++ ranker v2
    @@ -1,6 +1,6 @@
    -metric.latency_ms = 12
    -metric.ndcg = 0.71
    -param.depth = 6
    -code = 9dd24fdbc94d4f03a3493c6f535ca3bb92f5c282
    -artifact model.onnx = blake3:b92048430a360eb9e3efd68c57a5fed1168065de372d9a45c1fb71a2c5c37f71 (7 bytes)
    -artifact vocab.txt = blake3:1a0dad768aff0409a907ef147c7a531780e020df00e3c85c15133057c4fb41ac (5 bytes)
    +metric.latency_ms = 11
    +metric.ndcg = 0.74
    +param.depth = 8
    +code = 0a2fb47320152d3960b1509a9c02e60793168d9e
    +artifact model.onnx = blake3:6b4f9375f952f8ba2662bbb1357e31a52bf13e7040564121864c845c510d26e0 (7 bytes)
    +artifact tokenizer.json = blake3:6e46dd10defc9b56c29a6ec56b508c21f54c08192194e4df25bf36f0c9c3c279 (2 bytes)
    ```

    </details>

    ### Trust changes

    | key | owner | roles before | roles after |
    |---|---|---|---|
    | `7912eaa3793eb920` | bob@example.com | — | publisher |
    [exit status: 0]
    ");

    let run = env.modelreg(&registry, &["review", "--base", &base, "--format", "json"]).success();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["versions"][0]["artifacts_changed"][0], "model.onnx");
    assert_eq!(json["trust_changes"][0]["owner"], "bob@example.com");
}

#[test]
fn review_of_a_change_that_breaks_the_rules_exits_1_and_says_why() {
    let env = TestEnv::new();
    let registry = env.registry();
    let v1 = env.files("v1", &[("model.onnx", b"onnx v1")]);
    env.register(&registry, "ranker", &v1, &["--metric", "ndcg=0.71"]).success();
    let base = env.git(&registry, &["rev-parse", "HEAD"]).trim().to_owned();
    let record = registry.join("models/ranker/records/000001-register.toml");
    let text = std::fs::read_to_string(&record).unwrap().replace("ndcg = 0.71", "ndcg = 0.99");
    std::fs::write(&record, text).unwrap();
    env.git(&registry, &["commit", "-qam", "better numbers", "--no-verify"]);
    let run = env.modelreg(&registry, &["review", "--base", &base]).failure(1);
    insta::assert_snapshot!(run.snapshot(), @"
    ## modelreg review

    **Registry rules: 1 problem(s); this change will be refused.** 0 new version(s), 0 trust change(s).

    - `models/ranker/records/000001-register.toml`: **append-only**: a committed record or signature was modified _(records are never edited: add a new record instead (e.g. a new version))_
    [exit status: 1]
    ");
}
