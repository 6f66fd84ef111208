//! `modelreg list`

use super::context::Context;
use super::error::CliError;
use super::output::table;

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Machine-readable output
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: ListArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let report = modelreg::ops::show::list(&registry)?;
    for problem in &report.unreadable {
        ctx.ui.status(format!("warning: skipped {}: {} (run `modelreg check`)", problem.path, problem.message));
    }
    if args.json {
        ctx.ui.json(&report);
        return Ok(0);
    }
    if report.models.is_empty() {
        ctx.ui.status("no models registered yet (modelreg register NAME PATH...)");
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = report
        .models
        .iter()
        .map(|m| {
            vec![
                m.name.to_string(),
                m.latest_version.map_or_else(|| "-".into(), |v| format!("v{v}")),
                m.versions.to_string(),
                m.updated_at.map_or_else(|| "-".into(), |t| t.to_string()),
                stages(m),
                m.description.clone().unwrap_or_default(),
            ]
        })
        .collect();
    ctx.ui.data(table(&["NAME", "LATEST", "VERSIONS", "UPDATED", "STAGES", "DESCRIPTION"], &rows));
    Ok(0)
}

/// `production=v3 staging=v4`, `archived`, or `-`.
fn stages(m: &modelreg::ops::show::ModelSummary) -> String {
    if m.archived {
        return "archived".into();
    }
    let held: Vec<String> = m.stages.iter().rev().map(|(stage, v)| format!("{stage}=v{v}")).collect();
    if held.is_empty() { "-".into() } else { held.join(" ") }
}
