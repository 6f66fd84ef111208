//! `modelreg search`: result sets on a generated registry of 240 models (checked against the same
//! rules written as Rust closures), the table, parse errors, and the cache seeing every change.

use std::path::Path;

use modelreg::record::{Artifact, Digest, Lineage, Metric, Record, RecordKind, RegisterRecord};
use modelreg::repo::layout::{self, RecordFileName};
use modelreg::sign::SigningKey;

use crate::common::TestEnv;

const MODELS: usize = 240;

/// What generated model `m`, version `v` carries: a pure function, so the tests can compute the
/// expected result of a query without modelreg.
struct Spec {
    name: String,
    framework: Option<&'static str>,
    team: String,
    owner: Option<&'static str>,
    auc: f64,
    recall: Option<f64>,
    lr: &'static str,
    day: usize,
}

fn versions(m: usize) -> u64 {
    1 + (m % 3) as u64
}

fn spec(m: usize, v: u64) -> Spec {
    Spec {
        name: if m.is_multiple_of(10) { format!("fraud-{m:03}") } else { format!("model-{m:03}") },
        framework: if m.is_multiple_of(7) { None } else { Some(["sklearn", "pytorch", "xgboost"][m % 3]) },
        team: format!("team-{}", m % 5),
        owner: m.is_multiple_of(4).then_some("alice"),
        auc: 0.70 + (m % 30) as f64 / 100.0 + v as f64 / 100.0,
        recall: (v == 3).then_some(0.5),
        lr: ["0.1", "0.01", "0.001"][v as usize - 1],
        day: 1 + m % 20,
    }
}

/// Writes and signs (with alice's fixture key) every generated record through the library, the way
/// `register` lays them out, and commits them.
fn generate(env: &TestEnv, registry: &Path) {
    let key = SigningKey::load(&env.key("alice"), "--key").unwrap();
    for m in 0..MODELS {
        let name = spec(m, 1).name.parse().unwrap();
        let dir = layout::records_dir(registry, &name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut previous = None;
        for v in 1..=versions(m) {
            let s = spec(m, v);
            let mut tags = vec![("team".parse().unwrap(), s.team.clone())];
            if let Some(owner) = s.owner {
                tags.push(("owner".parse().unwrap(), owner.to_owned()));
            }
            let mut metrics = vec![("auc".parse().unwrap(), Metric::try_from(s.auc).unwrap())];
            if let Some(recall) = s.recall {
                metrics.push(("recall".parse().unwrap(), Metric::try_from(recall).unwrap()));
            }
            let record = Record::Register(Box::new(RegisterRecord {
                schema: RecordKind::Register.schema().into(),
                model: name.clone(),
                seq: v,
                previous,
                created_at: format!("2026-11-{:02}T10:00:00Z", s.day).parse().unwrap(),
                author: "Alice <alice@example.com>".into(),
                signer: key.id().clone(),
                version: v.try_into().unwrap(),
                message: None,
                description: None,
                framework: s.framework.map(str::to_owned),
                tags: tags.into_iter().collect(),
                metrics: metrics.into_iter().collect(),
                params: [("lr".parse().unwrap(), s.lr.to_owned())].into(),
                lineage: Lineage::default(),
                artifacts: vec![Artifact {
                    path: "model.onnx".parse().unwrap(),
                    digest: Digest::of_bytes(format!("{m}/{v}").as_bytes()),
                    size: 10,
                    format: Some("onnx".into()),
                }],
                baseline_profile: None,
            }));
            let bytes = record.to_bytes();
            let file = RecordFileName { seq: v, kind: RecordKind::Register };
            std::fs::write(dir.join(file.to_string()), &bytes).unwrap();
            std::fs::write(dir.join(file.signature(key.id())), key.sign(&bytes)).unwrap();
            previous = Some(Digest::of_bytes(&bytes));
        }
    }
    env.git(registry, &["add", "-A"]);
    env.git(registry, &["commit", "-q", "-m", "generated registry"]);
}

/// `NAME@V` of every match of `search QUERY --json ARGS`.
fn search(env: &TestEnv, registry: &Path, query: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["search", query, "--json"];
    args.extend_from_slice(extra);
    let run = env.modelreg(registry, &args).success();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    json["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{}@{}", m["name"].as_str().unwrap(), m["version"]))
        .collect()
}

/// The versions for which `rule` holds, sorted as search sorts them (by name, then version).
fn expected(latest: bool, rule: impl Fn(&Spec, u64) -> bool) -> Vec<String> {
    let mut out: Vec<(String, u64)> = Vec::new();
    for m in 0..MODELS {
        let first = if latest { versions(m) } else { 1 };
        for v in first..=versions(m) {
            let s = spec(m, v);
            if rule(&s, v) {
                out.push((s.name, v));
            }
        }
    }
    out.sort();
    out.into_iter().map(|(n, v)| format!("{n}@{v}")).collect()
}

#[test]
fn search_finds_exactly_the_matching_versions() {
    let env = TestEnv::new();
    let registry = env.registry();
    generate(&env, &registry);
    env.modelreg(&registry, &["check", "--skip-artifacts"]).success();

    type Rule = Box<dyn Fn(&Spec, u64) -> bool>;
    let cases: Vec<(&str, Rule)> = vec![
        (r#"tag.team = "team-2" and metric.auc > 0.9"#, Box::new(|s: &Spec, _: u64| s.team == "team-2" && s.auc > 0.9)),
        (
            r#"framework ~ "py*" or name ~ "fraud-*""#,
            Box::new(|s: &Spec, _: u64| s.framework == Some("pytorch") || s.name.starts_with("fraud-")),
        ),
        ("created >= 2026-11-15 and not has tag.owner", Box::new(|s: &Spec, _: u64| s.day >= 15 && s.owner.is_none())),
        (
            "param.lr < 0.05 and version >= 2",
            Box::new(|s: &Spec, v: u64| s.lr.parse::<f64>().unwrap() < 0.05 && v >= 2),
        ),
        ("metric.recall >= 0.5", Box::new(|s: &Spec, _: u64| s.recall.is_some())),
        (r#"not framework = "sklearn""#, Box::new(|s: &Spec, _: u64| s.framework != Some("sklearn"))),
        (r#"framework != "sklearn""#, Box::new(|s: &Spec, _: u64| s.framework.is_some_and(|f| f != "sklearn"))),
        (
            r#"created = 2026-11-03 and (tag.owner = "alice" or version = 1)"#,
            Box::new(|s: &Spec, v: u64| s.day == 3 && (s.owner.is_some() || v == 1)),
        ),
        (r#"stage = "production" or archived"#, Box::new(|_: &Spec, _: u64| false)),
    ];
    for (query, rule) in &cases {
        let found = search(&env, &registry, query, &[]);
        assert_eq!(found, expected(false, rule), "{query}");
        assert!(!found.is_empty() || query.contains("stage"), "a query that matches nothing proves little: {query}");
    }
    let latest = search(&env, &registry, "metric.auc >= 0.9", &["--latest"]);
    assert_eq!(latest, expected(true, |s, _| s.auc >= 0.9));
    assert!(latest.len() < search(&env, &registry, "metric.auc >= 0.9", &[]).len());
}

#[test]
fn the_table_and_the_summary() {
    let env = TestEnv::new();
    let registry = env.registry();
    generate(&env, &registry);
    let run = env.modelreg(&registry, &["search", r#"name ~ "fraud-0?0" and metric.auc > 0.75"#]);
    insta::assert_snapshot!(run.success().snapshot(), @"
    VERSION      STAGE  CREATED               METRICS
    fraud-010@1  -      2026-11-11T10:00:00Z  auc=0.81
    fraud-010@2  -      2026-11-11T10:00:00Z  auc=0.82
    fraud-020@1  -      2026-11-01T10:00:00Z  auc=0.91
    fraud-020@2  -      2026-11-01T10:00:00Z  auc=0.92
    fraud-020@3  -      2026-11-01T10:00:00Z  auc=0.93  recall=0.5
    fraud-040@1  -      2026-11-01T10:00:00Z  auc=0.81
    fraud-040@2  -      2026-11-01T10:00:00Z  auc=0.82
    fraud-050@1  -      2026-11-11T10:00:00Z  auc=0.91
    fraud-050@2  -      2026-11-11T10:00:00Z  auc=0.92
    fraud-050@3  -      2026-11-11T10:00:00Z  auc=0.93  recall=0.5
    fraud-070@1  -      2026-11-11T10:00:00Z  auc=0.81
    fraud-070@2  -      2026-11-11T10:00:00Z  auc=0.82
    fraud-080@1  -      2026-11-01T10:00:00Z  auc=0.91
    fraud-080@2  -      2026-11-01T10:00:00Z  auc=0.92
    fraud-080@3  -      2026-11-01T10:00:00Z  auc=0.93  recall=0.5
    ----- stderr -----
    15 of 480 version(s) match
    [exit status: 0]
    ");
    let run = env.modelreg(&registry, &["search", r#"name = "fraud-010""#, "--latest", "--json"]);
    insta::assert_snapshot!(run.success().snapshot(), @r#"
    {
      "schema_version": 1,
      "query": "name = \"fraud-010\"",
      "latest_only": true,
      "matches": [
        {
          "name": "fraud-010",
          "version": 2,
          "created_at": "2026-11-11T10:00:00Z",
          "stages": [],
          "archived": false,
          "framework": "pytorch",
          "metrics": {
            "auc": 0.82
          },
          "tags": {
            "team": "team-0"
          }
        }
      ],
      "unreadable": [],
      "searched": 240
    }
    [exit status: 0]
    "#);
    let run = env.modelreg(&registry, &["search", "metric.auc > 5"]);
    insta::assert_snapshot!(run.success().snapshot(), @"
    ----- stderr -----
    no match among 480 version(s)
    [exit status: 0]
    ");
}

#[test]
fn parse_errors_point_at_the_column() {
    let env = TestEnv::new();
    let registry = env.registry();
    let run = env.modelreg(&registry, &["search", r#"stage = "production" and metric.auc >"#]);
    insta::assert_snapshot!(run.failure(2).snapshot(), @r#"
    ----- stderr -----
    error: query:1:38: expected a value after `>`, found the end of the query
      stage = "production" and metric.auc >
                                           ^
    hint: see `modelreg search --help` for fields, operators and values
    [exit status: 2]
    "#);
    let run = env.modelreg(&registry, &["search", r#"tag.team = "risk" and metric.auc > "x""#]);
    insta::assert_snapshot!(run.failure(2).snapshot(), @r#"
    ----- stderr -----
    error: query:1:36: `metric.auc` compares with a number, not a string
      tag.team = "risk" and metric.auc > "x"
                                         ^^^
    hint: see `modelreg search --help` for fields, operators and values
    [exit status: 2]
    "#);
    let run = env.modelreg(&registry, &["search", "owner = 3"]);
    insta::assert_snapshot!(run.failure(2).snapshot(), @"
    ----- stderr -----
    error: query:1:1: unknown field `owner` (fields: name, version, framework, description, author, created, stage, archived, tag.KEY, metric.KEY, param.KEY)
      owner = 3
      ^^^^^
    hint: see `modelreg search --help` for fields, operators and values
    [exit status: 2]
    ");
    // The query is judged before the registry is opened: a bad query outside a registry says so.
    let run = env.modelreg(env.path(), &["search", "version >"]);
    insta::assert_snapshot!(run.failure(2).snapshot(), @"
    ----- stderr -----
    error: query:1:10: expected a value after `>`, found the end of the query
      version >
               ^
    hint: see `modelreg search --help` for fields, operators and values
    [exit status: 2]
    ");
}

#[test]
fn the_cache_sees_new_edited_and_broken_records() {
    let env = TestEnv::new();
    let registry = env.registry();
    let v1 = env.files("v1", &[("model.onnx", b"one")]);
    env.register(&registry, "ranker", &v1, &["--metric", "ndcg=0.71", "--tag", "team=search"]).success();
    let cache = registry.join(".git/modelreg/search-cache");
    assert_eq!(search(&env, &registry, r#"tag.team = "search""#, &[]), ["ranker@1"]);
    assert!(cache.is_file(), "the first search writes the cache");

    // A new version through the real command.
    let v2 = env.files("v2", &[("model.onnx", b"two")]);
    env.register(&registry, "ranker", &v2, &["--metric", "ndcg=0.75", "--tag", "team=search"]).success();
    assert_eq!(search(&env, &registry, "metric.ndcg > 0.72", &[]), ["ranker@2"]);

    // The latest record edited in place, same size, mtime put back (an edit to an earlier one would
    // also break the chain): search answers from the bytes on disk, not from the cache.
    let record = registry.join("models/ranker/records/000002-register.toml");
    let mtime = std::fs::metadata(&record).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&record).unwrap();
    assert!(text.contains("ndcg = 0.75"));
    std::fs::write(&record, text.replace("ndcg = 0.75", "ndcg = 0.95")).unwrap();
    std::fs::File::options().write(true).open(&record).unwrap().set_modified(mtime).unwrap();
    assert_eq!(search(&env, &registry, "metric.ndcg > 0.9", &[]), ["ranker@2"]);

    // A corrupt cache is rebuilt, not believed.
    std::fs::write(&cache, b"garbage").unwrap();
    assert_eq!(search(&env, &registry, "has metric.ndcg", &[]), ["ranker@1", "ranker@2"]);

    // A record that no longer parses: the model is skipped with a warning, every time.
    std::fs::write(registry.join("models/ranker/records/000001-register.toml"), "schema = \"modelreg/register/v1\"\n")
        .unwrap();
    let run = env.modelreg(&registry, &["search", "has metric.ndcg"]).success();
    insta::assert_snapshot!(run.snapshot(), @"
    ----- stderr -----
    warning: skipped models/ranker/records/000001-register.toml: line 1, column 1: missing field `model` (run `modelreg check`)
    no match among 0 version(s)
    [exit status: 0]
    ");
    let again = env.modelreg(&registry, &["search", "has metric.ndcg"]);
    assert_eq!(again.snapshot(), run.snapshot());
}

#[test]
fn stages_archives_and_tag_records_are_searchable() {
    let env = TestEnv::new();
    let registry = env.registry();
    generate(&env, &registry);
    let alice = env.key("alice");
    let alice = alice.to_str().unwrap();
    // Every 40th model's v1 goes to production (approvals need none here); every 120th model's v1 is
    // then demoted and archived; model-001 v2 is re-tagged through a tag record.
    for m in (0..MODELS).step_by(40) {
        let name = spec(m, 1).name;
        env.modelreg(&registry, &["promote", &format!("{name}@1"), "--to", "production", "--key", alice]).success();
    }
    for m in (0..MODELS).step_by(120) {
        let name = spec(m, 1).name;
        env.modelreg(&registry, &["demote", &name, "--stage", "production", "--key", alice]).success();
        env.modelreg(&registry, &["archive", &format!("{name}@1"), "-m", "retired", "--key", alice]).success();
    }
    env.modelreg(&registry, &["tag", "model-001@2", "team=platform", "--key", alice]).success();

    let production: Vec<String> =
        (0..MODELS).step_by(40).filter(|m| m % 120 != 0).map(|m| format!("{}@1", spec(m, 1).name)).collect();
    let mut production = production;
    production.sort();
    assert_eq!(search(&env, &registry, "stage = \"production\"", &[]), production);
    let mut archived: Vec<String> = (0..MODELS).step_by(120).map(|m| format!("{}@1", spec(m, 1).name)).collect();
    archived.sort();
    assert_eq!(search(&env, &registry, "archived = true", &[]), archived);
    assert_eq!(search(&env, &registry, "tag.team = \"platform\"", &[]), vec!["model-001@2".to_owned()]);
    // The registered tag no longer matches: search sees tags as they are now.
    assert!(!search(&env, &registry, "tag.team = \"team-1\"", &[]).contains(&"model-001@2".to_owned()));
    assert!(search(&env, &registry, "stage = \"production\" and archived = true", &[]).is_empty());
}
