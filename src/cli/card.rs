//! `modelreg card NAME… | --all [--check]`

use modelreg::ops::card::{self, CardStatus};
use modelreg::record::ModelName;

use super::context::Context;
use super::error::{CliError, EXIT_FINDINGS};

#[derive(Debug, clap::Args)]
pub struct CardArgs {
    /// The models whose cards to render
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    names: Vec<ModelName>,
    /// Every registered model
    #[arg(long)]
    all: bool,
    /// Write nothing: exit 1 and print a unified diff when a card is stale or missing
    #[arg(long)]
    check: bool,
    /// Machine-readable output
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: CardArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let names = if args.all { card::all_models(&registry)? } else { args.names };
    let report = card::cards(&registry, &names, args.check)?;
    let code = if report.findings() > 0 { EXIT_FINDINGS } else { 0 };
    if args.json {
        ctx.ui.json(&report);
        return Ok(code);
    }
    let mut diffs = String::new();
    for outcome in &report.cards {
        let what = match outcome.status {
            CardStatus::Written => "wrote",
            CardStatus::Unchanged => "up to date:",
            CardStatus::Stale => "stale:",
            CardStatus::Missing => "missing:",
        };
        ctx.ui.status(format!("{what} {}", outcome.path));
        diffs.push_str(outcome.diff.as_deref().unwrap_or_default());
    }
    ctx.ui.data(diffs);
    if code != 0 {
        let names: Vec<&str> = report
            .cards
            .iter()
            .filter(|c| matches!(c.status, CardStatus::Stale | CardStatus::Missing))
            .map(|c| c.model.as_str())
            .collect();
        ctx.ui.status(format!("hint: run `modelreg card {}` and commit", names.join(" ")));
    }
    Ok(code)
}
