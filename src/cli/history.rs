//! `modelreg history NAME`

use modelreg::ops::lifecycle;
use modelreg::record::ModelName;

use super::context::Context;
use super::error::CliError;
use super::output::table;

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The model
    name: ModelName,
    /// Machine-readable output
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: HistoryArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let report = lifecycle::history(&registry, &args.name)?;
    if args.json {
        ctx.ui.json(&report);
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = report
        .entries
        .iter()
        .map(|e| {
            let why = e.why.as_deref().map(|w| w.lines().next().unwrap_or_default().to_owned()).unwrap_or_default();
            vec![e.seq.to_string(), e.created_at.to_string(), e.author.clone(), e.what.clone(), why]
        })
        .collect();
    ctx.ui.data(table(&["SEQ", "WHEN", "WHO", "WHAT", "WHY"], &rows));
    Ok(0)
}
