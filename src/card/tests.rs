//! The card template's sections, rendered from hand-built contexts: the lifecycle parts (stages,
//! archive, promotions, approvals) have no records to come from yet, and a context is our own struct.

use super::context::*;
use super::*;

fn versions(rows: &[(u64, Option<&str>, bool)]) -> Vec<VersionRow> {
    rows.iter()
        .map(|&(version, stage, archived)| VersionRow {
            version,
            date: format!("2026-11-0{version}T10:00:00Z"),
            author: "Alice <alice@example.com>".into(),
            metrics: vec![format!("0.9{version}")],
            stage: stage.map(str::to_owned),
            archived,
        })
        .collect()
}

/// A model that went through the whole lifecycle: v3 in production after v1, v2 archived, v4 waiting
/// for approvals to reach staging.
fn promoted() -> CardContext {
    CardContext {
        model: "fraud".into(),
        description: Some("Flags card transactions".into()),
        owners: vec!["alice@example.com".into(), "risk-team@example.com".into()],
        license: Some("apache-2.0".into()),
        task: Some("tabular-classification".into()),
        tags: vec!["team:risk".into()],
        library_name: Some("sklearn".into()),
        intended_use: Some("Scoring card transactions in real time.".into()),
        limitations: Some("Trained on EU transactions only.".into()),
        ethical_considerations: None,
        latest: Some(4),
        focus: Some(Focus {
            version: 3,
            reason: "production".into(),
            date: "2026-11-03T10:00:00Z".into(),
            record: "models/fraud/records/000003-register.toml".into(),
            metrics: vec![MetricCell { name: "auc".into(), value: "0.93".into(), number: 0.93 }],
            artifacts: vec![ArtifactRow {
                path: "model.pkl".into(),
                size: 12,
                format: Some("pickle".into()),
                digest: "blake3:00".into(),
                loads_code: true,
            }],
            lineage: LineageView {
                code: Some(CodeView { repo: None, commit: "abc123".into(), dirty: true }),
                datasets: vec![DatasetView { name: "train".into(), uri: "s3://b/train.parquet".into(), digest: None }],
                parents: vec![ParentView { model: "base".into(), version: 2, record: "blake3:11".into() }],
                training_run: Some("https://ci.example.com/run/7".into()),
                mermaid: "flowchart LR\n  n0[\"fraud v3\"]\n".into(),
            },
        }),
        stages: vec![
            StageRow { stage: "production".into(), version: 3 },
            StageRow { stage: "staging".into(), version: 3 },
        ],
        key_metrics: vec!["auc".into()],
        versions: versions(&[
            (4, None, false),
            (3, Some("production, staging"), false),
            (2, None, true),
            (1, None, false),
        ]),
        comparison: Some(Comparison {
            current: 3,
            previous: 1,
            rows: vec![ComparisonRow {
                metric: "auc".into(),
                current: "0.93".into(),
                previous: "0.91".into(),
                delta: "+0.02".into(),
            }],
        }),
        drift: Vec::new(),
        drift_features: None,
        last_promotion: Some(Promotion {
            version: 3,
            stage: "production".into(),
            date: "2026-11-05T10:00:00Z".into(),
            proposer: "alice@example.com".into(),
            approvals: vec![Approval { key: "0123456789abcdef".into(), owner: "bob@example.com".into() }],
            required: 1,
            pending: false,
        }),
        pending: vec![PendingPromotion {
            version: 4,
            stage: "staging".into(),
            proposer: "alice@example.com".into(),
            approvals: 0,
            required: 2,
        }],
        fetch: vec!["modelreg get fraud@production -o ./fraud".into()],
        archived: None,
    }
}

/// The sections after the front matter and the header table, from `## Stages` on, up to `## Intended`.
fn section(card: &str, heading: &str) -> String {
    let start = card.find(&format!("## {heading}")).unwrap_or_else(|| panic!("no section {heading}:\n{card}"));
    let rest = &card[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 4);
    rest[..end].to_owned()
}

#[test]
fn the_shipped_templates_compile() {
    Templates::compile(&[]).unwrap();
}

#[test]
fn stages_archive_and_comparison_render_when_present() {
    let card = Templates::embedded().render(&promoted()).unwrap();
    insta::assert_snapshot!(section(&card, "Stages"), @"
    ## Stages

    | Stage | Version |
    |---|---|
    | production | v3 |
    | staging | v3 |
    ");
    insta::assert_snapshot!(section(&card, "Versions"), @"
    ## Versions

    | Version | Date | Author | auc | Stage | Archived |
    |---|---|---|---:|---|---|
    | v4 | 2026-11-04T10:00:00Z | Alice <alice@example.com> | 0.94 | - | no |
    | v3 | 2026-11-03T10:00:00Z | Alice <alice@example.com> | 0.93 | production, staging | no |
    | v2 | 2026-11-02T10:00:00Z | Alice <alice@example.com> | 0.92 | - | yes |
    | v1 | 2026-11-01T10:00:00Z | Alice <alice@example.com> | 0.91 | - | no |
    ");
    insta::assert_snapshot!(section(&card, "Lineage of"), @r#"
    ## Lineage of v3 (production)

    - Code: `abc123` (with uncommitted changes)
    - Training run: https://ci.example.com/run/7
    - Parent model: base v2 (record `blake3:11`)

    | Dataset | URI | Digest |
    |---|---|---|
    | train | s3://b/train.parquet | not pinned |

    ```mermaid
    flowchart LR
      n0["fraud v3"]
    ```
    "#);
    insta::assert_snapshot!(section(&card, "Production against"), @"
    ## Production against the previous production version

    | Metric | v3 (production) | v1 (previous) | Change |
    |---|---:|---:|---:|
    | auc | 0.93 | 0.91 | +0.02 |
    ");
}

#[test]
fn approvals_and_pending_promotions_render() {
    let card = Templates::embedded().render(&promoted()).unwrap();
    insta::assert_snapshot!(section(&card, "Approvals"), @"
    ## Approvals

    Last promotion: v3 to production, proposed by alice@example.com on 2026-11-05T10:00:00Z (1 of 1 approvals).

    | Approved by | Key |
    |---|---|
    | bob@example.com | `0123456789abcdef` |
    Pending promotions:

    | Version | Stage | Proposed by | Approvals |
    |---|---|---|---|
    | v4 | staging | alice@example.com | 0 of 2 |
    ");
    let mut waiting = promoted();
    let promotion = waiting.last_promotion.as_mut().unwrap();
    (promotion.pending, promotion.required) = (true, 2);
    let card = Templates::embedded().render(&waiting).unwrap();
    assert!(card.contains("proposed by alice@example.com on 2026-11-05T10:00:00Z (pending: 1 of 2 approvals)."));
}

#[test]
fn absent_lifecycle_and_optional_fields_are_said_briefly() {
    let card = Templates::embedded().render(&CardContext { model: "empty".into(), ..CardContext::default() }).unwrap();
    insta::assert_snapshot!(card, @"
    ---
    tags:
    - modelreg
    ---

    <!-- Generated by modelreg from records/ and card.toml: do not edit, run `modelreg card empty`. -->

    # empty

    No description yet: pass `--description` to `modelreg register`, or set `description` in `card.toml`.

    | | |
    |---|---|
    | Owners | not listed (`owners` in `card.toml`) |
    | License | not stated (`license` in `card.toml`) |
    | Framework | - |
    | Latest version | none |

    ## Stages

    Not yet promoted to any stage.

    ## Intended use

    Not documented (`intended_use` in `card.toml`).

    ## Limitations

    Not documented (`limitations` in `card.toml`).

    ## Ethical considerations

    Not documented (`ethical_considerations` in `card.toml`).

    ## Versions

    No versions registered.

    ## Production against the previous production version

    No production version yet.

    ## Drift

    No drift reports yet.

    ## Approvals

    No promotions yet.


    ## Getting the model

    Nothing to fetch yet.
    ");
}

#[test]
fn rendering_is_deterministic() {
    let templates = Templates::compile(&[]).unwrap();
    let first = templates.render(&promoted()).unwrap();
    for _ in 0..3 {
        assert_eq!(Templates::embedded().render(&promoted()).unwrap(), first);
    }
}

#[test]
fn template_errors_name_the_file_and_line() {
    let syntax = "line one\n{% if model %}\nunclosed\n";
    let err = Templates::compile(&[(CARD_TEMPLATE.into(), syntax.into())]).unwrap_err();
    let CardError::Template { file, line, .. } = &err else { panic!("{err:?}") };
    assert_eq!((file.as_str(), *line), (".modelreg/templates/card.md.j2", 3), "{err}");

    // A misspelt field fails at render time, on its line, instead of rendering as nothing.
    let typo = "# {{ model }}\n\n{{ desciption }}\n";
    let templates = Templates::compile(&[(CARD_TEMPLATE.into(), typo.into())]).unwrap();
    let err = templates.render(&promoted()).unwrap_err();
    assert_eq!(err.to_string(), ".modelreg/templates/card.md.j2:3: undefined value", "{err}");
}

#[test]
fn front_matter_quotes_what_users_write() {
    let mut context = promoted();
    context.license = Some("other: \"see LICENSE\"".into());
    let card = Templates::embedded().render(&context).unwrap();
    assert!(card.starts_with("---\nlicense: \"other: \\\"see LICENSE\\\"\"\nlibrary_name: \"sklearn\"\n"), "{card}");
    let front = &card[..card[4..].find("\n---\n").unwrap() + 4];
    insta::assert_snapshot!(front, @r#"
    ---
    license: "other: \"see LICENSE\""
    library_name: "sklearn"
    tags:
    - modelreg
    - "team:risk"
    datasets:
    - "s3://b/train.parquet"
    metrics:
    - "auc"
    model-index:
    - name: "fraud"
      results:
      - task:
          type: "tabular-classification"
        dataset:
          name: "train"
          type: "s3://b/train.parquet"
        metrics:
        - type: "auc"
          name: "auc"
          value: 0.93
    "#);
}
