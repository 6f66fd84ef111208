//! `modelreg diff`: two versions side by side, of one model or two.

use crate::common::TestEnv;

#[test]
fn diff_two_versions_of_a_model() {
    let env = TestEnv::new();
    let registry = env.registry();
    let v1 = env.files("v1", &[("model.onnx", b"onnx v1"), ("vocab.txt", b"a b c")]);
    env.register(
        &registry,
        "ranker",
        &v1,
        &[
            "--metric",
            "ndcg=0.71",
            "--metric",
            "latency_ms=12",
            "--metric",
            "mrr=0.5",
            "--param",
            "depth=6",
            "--param",
            "lr=0.1",
            "--tag",
            "team=search",
            "--dataset",
            "train=s3://data/train-10.parquet",
            "--framework",
            "xgboost",
            "--no-code",
        ],
    )
    .success();
    let v2 = env.files("v2", &[("model.onnx", b"onnx v2"), ("vocab.txt", b"a b c"), ("tokenizer.json", b"{}")]);
    env.register(
        &registry,
        "ranker",
        &v2,
        &[
            "--metric",
            "ndcg=0.74",
            "--metric",
            "latency_ms=11",
            "--metric",
            "mrr=0.5",
            "--metric",
            "recall=0.9",
            "--param",
            "depth=8",
            "--param",
            "lr=0.1",
            "--tag",
            "team=search",
            "--tag",
            "owner=bob",
            "--dataset",
            "train=s3://data/train-11.parquet",
            "--framework",
            "xgboost",
            "--no-code",
        ],
    )
    .success();

    let run = env.modelreg(&registry, &["diff", "ranker@1", "ranker@2"]);
    insta::assert_snapshot!(run.success().snapshot(), @"
    ranker@1 → ranker@2
      ranker@1  2026-11-22T10:00:00Z  blake3:690177ebd442  Alice <alice@example.com>
      ranker@2  2026-11-22T10:00:00Z  blake3:9259be3b9dd7  Alice <alice@example.com>

    FIELD      ranker@1  ranker@2  CHANGE
    framework  xgboost   xgboost   =

    METRIC      ranker@1  ranker@2  CHANGE
    latency_ms  12        11        -1
    mrr         0.5       0.5       =
    ndcg        0.71      0.74      +0.03
    recall      -         0.9       added

    PARAM  ranker@1  ranker@2  CHANGE
    depth  6         8         changed
    lr     0.1       0.1       =

    TAG    ranker@1  ranker@2  CHANGE
    owner  -         bob       added
    team   search    search    =

    LINEAGE        ranker@1                    ranker@2                    CHANGE
    dataset.train  s3://data/train-10.parquet  s3://data/train-11.parquet  changed

    ARTIFACT        ranker@1                 ranker@2                 CHANGE
    model.onnx      blake3:b92048430a36 7 B  blake3:6b4f9375f952 7 B  changed
    tokenizer.json  -                        blake3:6e46dd10defc 2 B  added
    vocab.txt       blake3:1a0dad768aff 5 B  blake3:1a0dad768aff 5 B  =
    [exit status: 0]
    ");

    let run = env.modelreg(&registry, &["diff", "ranker@1", "ranker@2", "--json"]).success();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["from"]["version"], 1);
    assert_eq!(json["to"]["version"], 2);
    let ndcg = json["metrics"].as_array().unwrap().iter().find(|m| m["key"] == "ndcg").unwrap();
    assert_eq!(ndcg["change"], "changed");
    assert!((ndcg["delta"].as_f64().unwrap() - 0.03).abs() < 1e-12);
    let recall = json["metrics"].as_array().unwrap().iter().find(|m| m["key"] == "recall").unwrap();
    assert_eq!(
        (recall["change"].as_str(), recall["from"].is_null(), recall["delta"].is_null()),
        (Some("added"), true, true)
    );
    let artifacts: Vec<(String, String)> = json["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["path"].as_str().unwrap().to_owned(), a["change"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        artifacts,
        [
            ("model.onnx".into(), "changed".into()),
            ("tokenizer.json".into(), "added".into()),
            ("vocab.txt".into(), "unchanged".into())
        ]
    );

    // The same version against itself: nothing differs.
    let run = env.modelreg(&registry, &["diff", "ranker@2", "ranker"]);
    assert!(run.success().stdout.ends_with("no differences besides the version\n"));
}

#[test]
fn diff_across_models_and_bad_references() {
    let env = TestEnv::new();
    let registry = env.registry();
    let a = env.files("a", &[("model.pt", b"torch")]);
    env.register(&registry, "churn", &a, &["--metric", "auc=0.8", "--param", "epochs=3", "--no-code"]).success();
    let b = env.files("b", &[("model.pt", b"torch")]);
    env.register(
        &registry,
        "churn-small",
        &b,
        &["--metric", "auc=0.78", "--param", "epochs=3", "--parent", "churn@1", "--no-code"],
    )
    .success();
    let run = env.modelreg(&registry, &["diff", "churn@1", "churn-small@1"]);
    insta::assert_snapshot!(run.success().snapshot(), @"
    churn@1 → churn-small@1
      churn@1        2026-11-22T10:00:00Z  blake3:ef16583bc59a  Alice <alice@example.com>
      churn-small@1  2026-11-22T10:00:00Z  blake3:fd9447ded587  Alice <alice@example.com>

    METRIC  churn@1  churn-small@1  CHANGE
    auc     0.8      0.78           -0.02

    PARAM   churn@1  churn-small@1  CHANGE
    epochs  3        3              =

    LINEAGE       churn@1  churn-small@1             CHANGE
    parent.churn  -        v1 (blake3:ef16583bc59a)  added

    ARTIFACT  churn@1                  churn-small@1            CHANGE
    model.pt  blake3:f7aaeb6a4c99 5 B  blake3:f7aaeb6a4c99 5 B  =
    [exit status: 0]
    ");

    let run = env.modelreg(&registry, &["diff", "churn@1", "churn@7"]);
    insta::assert_snapshot!(run.failure(2).snapshot(), @"
    ----- stderr -----
    error: churn has no version 7
    hint: `modelreg show churn` lists its versions
    [exit status: 2]
    ");
    let run = env.modelreg(&registry, &["diff", "churn@1", "nope@1"]);
    insta::assert_snapshot!(run.failure(2).snapshot(), @"
    ----- stderr -----
    error: model `nope` is not registered
    hint: `modelreg list` shows registered models
    [exit status: 2]
    ");
}
