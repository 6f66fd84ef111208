//! `modelreg review --base REV`: a markdown (or JSON) summary for a pull-request comment.

use modelreg::ops::review::{NewVersion, ReviewReport, review};
use modelreg::state::PromotionStatus;

use super::check::summary;
use super::context::Context;
use super::error::{CliError, EXIT_FINDINGS};
use super::output::number;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ReviewArgs {
    /// The base of the change (e.g. origin/main)
    #[arg(long, value_name = "REV")]
    base: String,
    /// The tip of the change
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    head: String,
    #[arg(long, value_enum, default_value = "markdown")]
    format: Format,
    /// Same as --format json
    #[arg(long, conflicts_with = "format")]
    json: bool,
}

pub fn run(ctx: &Context, args: ReviewArgs) -> Result<u8, CliError> {
    let report = review(&ctx.start_dir()?, &args.base, &args.head, ctx.now())?;
    match if args.json { Format::Json } else { args.format } {
        Format::Json => ctx.ui.json(&report),
        Format::Markdown => ctx.ui.data(markdown(&report)),
    }
    Ok(if report.check.errors() > 0 { EXIT_FINDINGS } else { 0 })
}

fn markdown(report: &ReviewReport) -> String {
    let mut out = String::from("## modelreg review\n\n");
    let lifecycle = match report.lifecycle.len() {
        0 => String::new(),
        n => format!(", {n} lifecycle change(s)"),
    };
    let counts = format!(
        "{} new version(s){lifecycle}, {} trust change(s){}",
        report.versions.len(),
        report.trust_changes.len(),
        if report.config_diff.is_some() { ", configuration changed" } else { "" }
    );
    if report.check.errors() == 0 {
        out.push_str(&format!("**Registry rules: pass.** {counts}.\n"));
    } else {
        out.push_str(&format!(
            "**Registry rules: {}; this change will be refused.** {counts}.\n\n",
            summary(&report.check)
        ));
        for p in report.check.problems.iter().filter(|p| p.severity == modelreg::policy::Severity::Error) {
            out.push_str(&format!("- `{}`: **{}**: {}", p.path, p.rule, p.message));
            if let Some(hint) = &p.hint {
                out.push_str(&format!(" _({hint})_"));
            }
            out.push('\n');
        }
    }
    if report.emergencies > 0 {
        out.push_str(&format!(
            "\n> [!WARNING]\n> **{} emergency promotion(s)**: gates and approvals were skipped by an admin key.\n",
            report.emergencies
        ));
    }
    for v in &report.versions {
        out.push_str(&version_section(v));
    }
    if !report.lifecycle.is_empty() {
        out.push_str("\n### Lifecycle\n\n| model | what | by | status | approvals |\n|---|---|---|---|---|\n");
        for c in &report.lifecycle {
            let (status, approvals) = match &c.promotion {
                Some(p) => {
                    let status = match p.status {
                        PromotionStatus::Effective if p.emergency => "**EMERGENCY**, in effect".to_owned(),
                        PromotionStatus::Effective => "in effect".to_owned(),
                        PromotionStatus::Pending => format!("**pending**: {} more approval(s)", p.approvals_missing),
                        PromotionStatus::Superseded => "superseded".to_owned(),
                    };
                    let who: Vec<String> = p.approvals.iter().map(|a| a.owner.clone()).collect();
                    let mut approvals = if p.emergency {
                        "skipped".to_owned()
                    } else {
                        format!("{} of {}", p.approvals.len(), p.approvals_required)
                    };
                    if !who.is_empty() {
                        approvals.push_str(&format!(" ({})", who.join(", ")));
                    }
                    if p.status == PromotionStatus::Pending && !p.eligible_approvers.is_empty() {
                        let can: Vec<String> = p.eligible_approvers.iter().map(|a| a.owner.clone()).collect();
                        approvals.push_str(&format!("; can approve: {}", can.join(", ")));
                    }
                    (status, approvals)
                }
                None => ("—".to_owned(), "—".to_owned()),
            };
            let what = if c.approvals_only { format!("approve: {}", c.what) } else { c.what.clone() };
            let why = c.message.as_deref().map(|m| format!(" _({m})_")).unwrap_or_default();
            out.push_str(&format!("| {} | {what}{why} | {} | {status} | {approvals} |\n", c.model, c.author));
        }
    }
    if !report.trust_changes.is_empty() {
        out.push_str("\n### Trust changes\n\n| key | owner | roles before | roles after |\n|---|---|---|---|\n");
        for t in &report.trust_changes {
            let roles = |r: &[String]| if r.is_empty() { "—".to_owned() } else { r.join(", ") };
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                t.key,
                t.owner,
                roles(&t.roles_before),
                roles(&t.roles_after)
            ));
        }
    }
    if let Some(diff) = &report.config_diff {
        out.push_str(&format!("\n### Configuration\n\n```diff\n{diff}```\n"));
    }
    out
}

fn version_section(v: &NewVersion) -> String {
    let previous = v.previous_version.map_or_else(|| "first version".to_owned(), |p| format!("after v{p}"));
    let mut out = format!("\n### {} v{} ({previous})\n\n", v.model, v.version);
    out.push_str(&format!("Registered by {} at {}, signed by `{}`", v.author, v.created_at, v.signer));
    if let Some(message) = &v.message {
        out.push_str(&format!(": _{message}_"));
    }
    out.push_str("\n\n");
    if !v.metrics.is_empty() {
        let before = v.previous_version.map_or_else(|| "before".to_owned(), |p| format!("v{p}"));
        out.push_str(&format!("| metric | {before} | v{} | Δ |\n|---|---:|---:|---:|\n", v.version));
        let cell = |x: Option<f64>| x.map_or_else(|| "—".to_owned(), number);
        for m in &v.metrics {
            let delta =
                m.delta.map_or_else(|| "—".to_owned(), |d| format!("{}{}", if d >= 0.0 { "+" } else { "" }, number(d)));
            out.push_str(&format!("| {} | {} | {} | {delta} |\n", m.name, cell(m.before), cell(m.after)));
        }
        out.push('\n');
    }
    let list = |label: &str, items: &[String]| {
        if items.is_empty() {
            String::new()
        } else {
            format!("{label} {}", items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", "))
        }
    };
    let artifact_lines: Vec<String> = [
        list("added:", &v.artifacts_added),
        list("removed:", &v.artifacts_removed),
        list("changed:", &v.artifacts_changed),
    ]
    .into_iter()
    .filter(|l| !l.is_empty())
    .collect();
    if !artifact_lines.is_empty() {
        out.push_str(&format!("Artifacts {}\n\n", artifact_lines.join("; ")));
    }
    out.push_str(&format!(
        "<details><summary>manifest diff</summary>\n\n```diff\n{}```\n\n</details>\n",
        v.manifest_diff
    ));
    out
}
