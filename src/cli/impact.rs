//! `modelreg impact DATASET`: every version trained on a dataset, and which of them hold a stage.

use modelreg::ops::lineage;

use super::context::Context;
use super::error::CliError;
use super::output::table;

#[derive(Debug, clap::Args)]
pub struct ImpactArgs {
    /// The dataset's URI as registered, or its digest (`blake3:…`, at least 8 hex digits)
    dataset: String,
    /// Machine-readable output
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: ImpactArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let report = lineage::impact(&registry, &args.dataset)?;
    if args.json {
        ctx.ui.json(&report);
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = report
        .versions
        .iter()
        .map(|v| {
            vec![
                v.model.to_string(),
                format!("v{}", v.version),
                if v.stages.is_empty() { "-".into() } else { v.stages.join(",") },
                if v.archived { "yes".into() } else { "no".into() },
                v.dataset.clone(),
                v.created_at.to_string(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        ctx.ui.data(table(&["MODEL", "VERSION", "STAGE", "ARCHIVED", "AS", "REGISTERED"], &rows));
    }
    ctx.ui.status(format!(
        "{} version(s) of {} model(s) trained on {}; {} hold a stage",
        report.versions.len(),
        report.models,
        report.dataset,
        report.staged
    ));
    Ok(0)
}
