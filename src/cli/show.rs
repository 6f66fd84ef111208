//! `modelreg show NAME[@VERSION]`

use modelreg::ops::show::{self, ModelDetail, VersionDetail};
use modelreg::ops::{ModelRef, Selector};

use super::context::Context;
use super::error::CliError;
use super::lifecycle::promotion_lines;
use super::output::{bytes, number, table};

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// NAME (the model and its versions), NAME@VERSION or NAME@latest
    reference: ModelRef,
    /// Machine-readable output
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: ShowArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    match args.reference.selector {
        None => {
            let detail = show::model(&registry, &args.reference.name)?;
            if args.json { ctx.ui.json(&detail) } else { ctx.ui.data(render_model(&detail)) }
        }
        Some(Selector::Latest | Selector::Exact(_) | Selector::Stage(_)) => {
            let detail = show::version(&registry, &args.reference)?;
            if args.json { ctx.ui.json(&detail) } else { ctx.ui.data(render_version(&detail)) }
        }
    }
    Ok(0)
}

fn pairs<'a>(items: impl Iterator<Item = (&'a str, String)>) -> String {
    items.map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("  ")
}

fn render_model(detail: &ModelDetail) -> String {
    let mut out = detail.name.to_string();
    if let Some(description) = &detail.description {
        out.push_str(&format!(" — {description}"));
    }
    out.push('\n');
    let latest = detail.latest_version.map_or_else(|| "-".into(), |v| format!("v{v}"));
    out.push_str(&format!("latest {latest}, {} version(s), {} record(s)\n", detail.versions.len(), detail.records));
    if let Some(archived) = &detail.archived {
        out.push_str(&format!("ARCHIVED at {} by {}: {}\n", archived.at, archived.author, archived.message));
    }
    let stages: Vec<String> = detail
        .stages
        .iter()
        .map(|s| format!("{}={}", s.stage, s.version.map_or_else(|| "-".into(), |v| format!("v{v}"))))
        .collect();
    if detail.stages.iter().any(|s| s.version.is_some()) {
        out.push_str(&format!("stages {}\n", stages.join("  ")));
    }
    for d in &detail.deployments {
        let at = &d.deployment;
        out.push_str(&format!("deployed v{} to {} ({}) since {}\n", d.version, at.env, at.target, at.since));
    }
    for pending in &detail.pending {
        out.push_str(&format!("\npending promotion of v{} to {}:\n", pending.version, pending.stage));
        for line in promotion_lines(pending, detail.name.as_str()) {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out.push('\n');
    let rows: Vec<Vec<String>> = detail
        .versions
        .iter()
        .map(|v| {
            vec![
                format!("v{}", v.version),
                v.created_at.to_string(),
                v.author.clone(),
                v.files.to_string(),
                bytes(v.bytes),
                status(&v.stages, v.archived),
                pairs(v.metrics.iter().map(|(k, m)| (k.as_str(), number(*m)))),
            ]
        })
        .collect();
    out.push_str(&table(&["VERSION", "CREATED", "AUTHOR", "FILES", "SIZE", "STAGE", "METRICS"], &rows));
    out
}

/// `production`, `staging,production`, `archived` or `-`.
fn status(stages: &[modelreg::record::Stage], archived: bool) -> String {
    let mut parts: Vec<String> = stages.iter().map(ToString::to_string).collect();
    if archived {
        parts.push("archived".into());
    }
    if parts.is_empty() { "-".into() } else { parts.join(",") }
}

fn render_version(detail: &VersionDetail) -> String {
    let r = &detail.register;
    let mut lines: Vec<(String, String)> = vec![
        ("record".into(), detail.record_path.clone()),
        ("digest".into(), detail.record_digest.to_string()),
        ("created".into(), format!("{} by {}", r.created_at, r.author)),
        (
            "signed by".into(),
            detail.signed_by.iter().map(|s| format!("{} ({})", s.key, s.owner)).collect::<Vec<_>>().join(", "),
        ),
    ];
    let mut optional = |label: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            lines.push((label.into(), value));
        }
    };
    optional("message", r.message.clone());
    optional("description", r.description.clone());
    optional("framework", r.framework.clone());
    optional("metrics", Some(pairs(r.metrics.iter().map(|(k, m)| (k.as_str(), number(m.get()))))));
    optional("params", Some(pairs(r.params.iter().map(|(k, v)| (k.as_str(), v.clone())))));
    optional("tags", Some(pairs(detail.current_tags.iter().map(|(k, v)| (k.as_str(), v.clone())))));
    optional("stage", Some(detail.stages.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")));
    if let Some(archived) = &detail.archived {
        lines.push(("archived".into(), format!("{} by {}: {}", archived.at, archived.author, archived.message)));
    }
    for d in &detail.deployments {
        lines.push(("deployed".into(), format!("{} at {} since {}", d.env, d.target, d.since)));
    }
    if let Some(code) = &r.lineage.code {
        let repo = code.repo.as_deref().map(|r| format!("{r} @ ")).unwrap_or_default();
        let dirty = if code.dirty { " (uncommitted changes)" } else { "" };
        lines.push(("code".into(), format!("{repo}{}{dirty}", code.commit)));
    }
    for dataset in &r.lineage.datasets {
        let digest = dataset.digest.map(|d| format!("  {d}")).unwrap_or_default();
        lines.push(("dataset".into(), format!("{} = {}{digest}", dataset.name, dataset.uri)));
    }
    for parent in &r.lineage.parents {
        lines.push(("parent".into(), format!("{} v{} ({})", parent.model, parent.version, parent.record.short())));
    }
    if let Some(latest) = detail.drift_reports.last() {
        let verdict = if latest.drift { "DRIFT" } else { "no drift" };
        lines.push((
            "drift".into(),
            format!(
                "{verdict} ({} of {} features) at {}, {} report(s): {}",
                latest.features_drifted,
                latest.features_compared,
                latest.created_at,
                detail.drift_reports.len(),
                latest.record_path
            ),
        ));
    }
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = format!("{} v{}\n", r.model, r.version);
    for (label, value) in &lines {
        out.push_str(&format!("  {label:<width$}  {value}\n"));
    }
    for promotion in &detail.promotions {
        let kind = if promotion.rollback { "rollback" } else { "promotion" };
        out.push_str(&format!("\n{kind} to {} ({}):\n", promotion.stage, promotion.record_path));
        for line in promotion_lines(promotion, r.model.as_str()) {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out.push('\n');
    let rows: Vec<Vec<String>> = r
        .artifacts
        .iter()
        .map(|a| {
            vec![
                a.path.to_string(),
                bytes(a.size),
                a.format.clone().unwrap_or_else(|| "-".into()),
                a.digest.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(&["ARTIFACT", "SIZE", "FORMAT", "DIGEST"], &rows));
    if !detail.code_executing_artifacts.is_empty() {
        out.push_str(&format!(
            "\nnote: {} use(s) a format that runs code when loaded (pickle-based); load only from a trusted publisher\n",
            detail.code_executing_artifacts.join(", ")
        ));
    }
    out
}
