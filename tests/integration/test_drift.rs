//! `modelreg profile` and `modelreg drift`: signed drift reports beside the version they judge.

use std::path::{Path, PathBuf};

use crate::common::{TestEnv, tree_state};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/drift/tests/fixtures").join(name)
}

/// A registry with `churn` v1, registered with a baseline profile of the fixture's baseline data.
fn registry_with_profile(env: &TestEnv) -> PathBuf {
    let registry = env.registry();
    let profile = env.path().join("baseline.profile.toml");
    env.modelreg(&registry, &["profile", fixture("baseline.csv").to_str().unwrap(), "-o", profile.to_str().unwrap()])
        .success();
    let model = env.files("model", &[("model.onnx", b"weights")]);
    env.register(&registry, "churn", &model, &["--baseline-profile", profile.to_str().unwrap()]).success();
    registry
}

#[test]
fn drift_against_the_stored_baseline_profile_is_recorded_signed_and_checked() {
    let env = TestEnv::new();
    let registry = registry_with_profile(&env);
    let alice = env.key("alice");
    let target = fixture("target.csv");
    let run = env.modelreg(
        &registry,
        &["drift", "churn@1", "--target", target.to_str().unwrap(), "--key", alice.to_str().unwrap()],
    );
    let run = run.success();
    // The record names its inputs by path, so its commit id depends on where the checkout lives:
    // snapshot the report table, and check the rest by content.
    insta::assert_snapshot!(run.stdout, @"
    churn v1: baseline 400 rows, target 300 rows (profile mode)

    FEATURE  TYPE         METRIC                  VALUE      THRESHOLD  DRIFT
    x_norm   numerical    normalised_wasserstein  0.142608   0.1        DRIFT
    x_shift  numerical    normalised_wasserstein  0.378724   0.1        DRIFT
    x_ties   numerical    normalised_wasserstein  0.122092   0.1        DRIFT
    x_const  numerical    normalised_wasserstein  88.333333  0.1        DRIFT
    cat      categorical  js_distance             0.329488   0.1        DRIFT

    DRIFT: 5 of 5 features drifted
    ");
    assert!(run.stderr.starts_with("recorded models/churn/records/000002-drift.toml\ncommitted "), "{}", run.stderr);
    assert!(registry.join("models/churn/records/000002-drift.toml").is_file());
    env.modelreg(&registry, &["check"]).success();
    assert_eq!(env.git(&registry, &["status", "--porcelain"]), "", "the report is committed");
    let show = env.modelreg(&registry, &["show", "churn@1"]).success();
    assert!(
        show.stdout.contains("drift      DRIFT (5 of 5 features) at 2026-11-22T10:00:00Z, 1 report(s)"),
        "{}",
        show.stdout
    );

    // --fail-on-drift turns a found drift into exit 1 (for scheduled CI jobs); --json carries the report.
    let run = env
        .modelreg(
            &registry,
            &[
                "drift",
                "churn",
                "--target",
                target.to_str().unwrap(),
                "--fail-on-drift",
                "--json",
                "--key",
                alice.to_str().unwrap(),
            ],
        )
        .failure(1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["report"]["summary"]["drift"], true);
    assert_eq!(json["record"], "models/churn/records/000003-drift.toml");
}

#[test]
fn drift_between_identical_data_finds_none_and_no_record_writes_nothing() {
    let env = TestEnv::new();
    let registry = registry_with_profile(&env);
    let before = tree_state(&registry);
    let same = fixture("baseline.csv");
    let run = env.modelreg(
        &registry,
        &[
            "drift",
            "churn@1",
            "--baseline",
            same.to_str().unwrap(),
            "--target",
            same.to_str().unwrap(),
            "--no-record",
            "--fail-on-drift",
        ],
    );
    let run = run.success();
    assert!(run.stdout.contains("no drift"), "{}", run.snapshot());
    assert_eq!(tree_state(&registry), before, "--no-record writes nothing");
}

#[test]
fn bad_drift_input_is_refused_and_records_nothing() {
    let env = TestEnv::new();
    let registry = registry_with_profile(&env);
    let alice = env.key("alice");
    let empty = env.files("data", &[("empty.csv", b""), ("ragged.csv", b"a,b\n1,2\n3\n")]);
    let before = tree_state(&registry);
    for target in ["empty.csv", "ragged.csv"] {
        let path = empty.join(target);
        let run = env.modelreg(
            &registry,
            &["drift", "churn@1", "--target", path.to_str().unwrap(), "--key", alice.to_str().unwrap()],
        );
        let run = run.failure(2);
        assert!(run.stderr.contains(target), "the error names the file: {}", run.stderr);
        assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    }
    // A version registered without a profile needs --baseline.
    let model = env.files("v2", &[("model.onnx", b"weights two")]);
    env.register(&registry, "churn", &model, &[]).success();
    let before_v2 = tree_state(&registry);
    let run = env.modelreg(
        &registry,
        &["drift", "churn@2", "--target", fixture("target.csv").to_str().unwrap(), "--key", alice.to_str().unwrap()],
    );
    insta::assert_snapshot!(run.failure(2).snapshot(), @"
    ----- stderr -----
    error: churn v2 has no baseline profile stored, and no baseline was given
    hint: pass --baseline DATA|PROFILE, or register the version with --baseline-profile (from `modelreg profile`)
    [exit status: 2]
    ");
    assert_eq!(tree_state(&registry), before_v2);
    assert_ne!(before, before_v2);
}

#[test]
fn shard_profiles_merge_and_judge_like_the_whole() {
    let env = TestEnv::new();
    let registry = registry_with_profile(&env);
    let base = env.path().join("baseline.profile.toml");
    let text = std::fs::read_to_string(fixture("target.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let (a, b) = rows.split_at(rows.len() / 2);
    let shards = env.files(
        "shards",
        &[
            ("a.csv", format!("{header}\n{}\n", a.join("\n")).as_bytes()),
            ("b.csv", format!("{header}\n{}\n", b.join("\n")).as_bytes()),
        ],
    );
    let mut profiles = Vec::new();
    for shard in ["a", "b"] {
        let out = shards.join(format!("{shard}.profile.toml"));
        env.modelreg(
            &registry,
            &[
                "profile",
                shards.join(format!("{shard}.csv")).to_str().unwrap(),
                "--reference",
                base.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ],
        )
        .success();
        profiles.push(out);
    }
    let merged = shards.join("merged.profile.toml");
    env.modelreg(
        &registry,
        &[
            "profile",
            "merge",
            profiles[0].to_str().unwrap(),
            profiles[1].to_str().unwrap(),
            "-o",
            merged.to_str().unwrap(),
        ],
    )
    .success();
    let whole = env.modelreg(
        &registry,
        &["drift", "churn@1", "--target", fixture("target.csv").to_str().unwrap(), "--no-record", "--json"],
    );
    let from_shards =
        env.modelreg(&registry, &["drift", "churn@1", "--target", merged.to_str().unwrap(), "--no-record", "--json"]);
    let (whole, from_shards): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&whole.success().stdout).unwrap(),
        serde_json::from_str(&from_shards.success().stdout).unwrap(),
    );
    assert_eq!(whole["report"]["summary"], from_shards["report"]["summary"]);
    assert_eq!(whole["report"]["target"]["rows"], from_shards["report"]["target"]["rows"]);
    // Quantiles come from the (merged) KLL sketches: within the stated rank error of the exact ones.
    assert!(whole["report"]["settings"]["quantiles"].as_str().unwrap().contains("rank error <= 1.33%"));
    let mut exact: Vec<f64> = rows.iter().map(|r| r.split(',').next().unwrap().parse().unwrap()).collect();
    exact.sort_by(f64::total_cmp);
    assert_eq!(whole["report"]["features"][0]["name"], header.split(',').next().unwrap());
    for report in [&whole, &from_shards] {
        let quantiles = &report["report"]["features"][0]["target_quantiles"];
        for (name, q) in
            [("p1", 0.01), ("p5", 0.05), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p95", 0.95), ("p99", 0.99)]
        {
            let x = quantiles[name].as_f64().unwrap_or_else(|| panic!("{name} in {quantiles}"));
            let n = exact.len() as f64;
            let (below, upto) =
                (exact.partition_point(|&v| v < x) as f64 / n, exact.partition_point(|&v| v <= x) as f64 / n);
            assert!(below - 0.0133 <= q && q <= upto + 0.0133, "{name} = {x}: ranks {below}..{upto}");
        }
    }
    // Merging is deterministic: the same shards give the same bytes.
    let again = shards.join("again.profile.toml");
    let merge_again = [
        "profile",
        "merge",
        profiles[0].to_str().unwrap(),
        profiles[1].to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
    ];
    env.modelreg(&registry, &merge_again).success();
    assert_eq!(std::fs::read(&merged).unwrap(), std::fs::read(&again).unwrap());
}

#[test]
fn drift_reports_model_performance_and_prediction_drift() {
    let env = TestEnv::new();
    let registry = registry_with_profile(&env);
    let data = env.files(
        "perf",
        &[
            ("base.csv", b"x,y,pred\n1,cat,cat\n2,dog,dog\n3,bird,bird\n4,cat,cat\n5,dog,dog\n6,bird,bird\n"),
            ("target.csv", b"x,y,pred\n1,cat,cat\n2,cat,dog\n3,cat,cat\n4,dog,dog\n5,dog,bird\n6,bird,bird\n"),
            ("reg.csv", b"x,y,pred\n1,1.5,1\n2,2.5,3\n3,10,7\n"),
        ],
    );
    let (base, target) = (data.join("base.csv"), data.join("target.csv"));
    let mut args = vec!["drift", "churn@1", "--baseline", base.to_str().unwrap(), "--target", target.to_str().unwrap()];
    args.extend(["--label", "y", "--prediction", "pred", "--no-record"]);
    let run = env.modelreg(&registry, &args).success();
    insta::assert_snapshot!(run.stdout, @r#"
    churn v1: baseline 6 rows, target 6 rows (exact mode)

    FEATURE  TYPE         METRIC                  VALUE     THRESHOLD  DRIFT
    x        numerical    normalised_wasserstein  0         0.1        ok
    y        categorical  js_distance             0.180361  0.1        DRIFT
    pred     categorical  js_distance             0         0.1        ok

    performance (classification on "pred" vs "y", macro average over 3 classes; 6 rows used, 0 skipped)
      accuracy 0.666667  precision 0.666667  recall 0.722222  f1 0.655556
      prediction drift ("pred"): js_distance 0: ok

    inconclusive: the baseline has 6 rows, fewer than the 30 a verdict needs (drift.min_rows); no verdict
    "#);

    // A numerical label with many values is regression; --task overrides the inference.
    let reg = data.join("reg.csv");
    let mut args = vec!["drift", "churn@1", "--baseline", reg.to_str().unwrap(), "--target", reg.to_str().unwrap()];
    args.extend(["--label", "y", "--prediction", "pred", "--no-record", "--json"]);
    let run = env.modelreg(&registry, &args).success();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let performance = &json["report"]["performance"];
    assert_eq!(performance["task"], "regression");
    assert!((performance["r2"].as_f64().unwrap() - (1.0 - 342.0 / 1554.0)).abs() < 1e-12, "{performance}");
    assert_eq!(performance["prediction_drift"]["drifted"], false);
    args.extend(["--task", "classification"]);
    let run = env.modelreg(&registry, &args).success();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["report"]["performance"]["average"], "macro");
}

/// "No drift: 0 of 0 features drifted" used to exit 0 under --fail-on-drift and commit a signed
/// `drift = false` that satisfied a `no_drift_within` gate. No comparable feature is an error that
/// records nothing.
#[test]
fn a_drift_run_with_nothing_to_compare_gives_no_verdict_and_records_nothing() {
    let env = TestEnv::new();
    let registry = registry_with_profile(&env);
    let alice = env.key("alice");
    let head = env.rev(&registry, "HEAD");
    let unrelated = env.path().join("unrelated.csv");
    let rows: String = (0..100).map(|i| format!("{i},x{i}\n")).collect();
    std::fs::write(&unrelated, format!("other_a,other_b\n{rows}")).unwrap();
    let run = env
        .modelreg(
            &registry,
            &[
                "drift",
                "churn@1",
                "--target",
                unrelated.to_str().unwrap(),
                "--key",
                alice.to_str().unwrap(),
                "--fail-on-drift",
            ],
        )
        .failure(2);
    let why = "no baseline feature is in the target";
    assert!(run.stderr.contains("no drift verdict for churn v1") && run.stderr.contains(why), "{}", run.snapshot());
    assert!(run.stderr.contains("hint:"), "{}", run.snapshot());
    assert_eq!(env.rev(&registry, "HEAD"), head);
    assert_eq!(std::fs::read_dir(registry.join("models/churn/records")).unwrap().count(), 2);
}

/// Ten rows cannot carry a verdict (the default `drift.min_rows` is 30): nothing is recorded, a report
/// asked for without a record says so, and `--fail-on-drift` cannot pass on it.
#[test]
fn a_verdict_on_too_few_rows_is_inconclusive_and_never_recorded() {
    let env = TestEnv::new();
    let registry = registry_with_profile(&env);
    let alice = env.key("alice");
    let text = std::fs::read_to_string(fixture("target.csv")).unwrap();
    let few: Vec<&str> = text.lines().take(11).collect();
    let target = env.path().join("few.csv");
    std::fs::write(&target, few.join("\n") + "\n").unwrap();
    let before = tree_state(&registry);
    let args = ["drift", "churn@1", "--target", target.to_str().unwrap(), "--key", alice.to_str().unwrap()];
    let run = env.modelreg(&registry, &args).failure(2);
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    error: no drift verdict for churn v1: the target has 10 rows, fewer than the 30 a verdict needs (drift.min_rows)
    hint: nothing was recorded; compare data with the baseline's columns (same names and kinds) and at least drift.min_rows rows a side (default 30)
    [exit status: 2]
    ");
    assert_eq!(tree_state(&registry), before, "nothing recorded");

    let look = env.modelreg(&registry, &[&args[..4], &["--no-record"]].concat()).success();
    assert!(look.stdout.contains("inconclusive: the target has 10 rows, fewer than the 30"), "{}", look.snapshot());
    env.modelreg(&registry, &[&args[..4], &["--no-record", "--fail-on-drift"]].concat()).failure(2);
    let json = env.modelreg(&registry, &[&args[..4], &["--no-record", "--json"]].concat()).success();
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(json["inconclusive"].as_str().unwrap().contains("10 rows"), "{json}");
    assert_eq!(tree_state(&registry), before);
}
