//! `modelreg promote NAME@V --to STAGE`

use modelreg::ops::ModelRef;
use modelreg::ops::lifecycle;
use modelreg::record::Stage;
use modelreg::state::PromotionStatus;

use super::context::Context;
use super::error::CliError;
use super::lifecycle::{WriteArgs, show};

#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    /// The version to promote: NAME@VERSION, NAME@STAGE (e.g. the staging version) or NAME (latest)
    reference: ModelRef,
    /// The stage it should hold
    #[arg(long, value_name = "STAGE")]
    to: Stage,
    /// Why (kept in the record)
    #[arg(short, long)]
    message: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(ctx: &Context, args: PromoteArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let key = ctx.signing_key(Some(registry.git()))?;
    let report = lifecycle::promote(&registry, &key, &args.reference, &args.to, args.message, args.write.options())?;
    let pending = report.promotion.as_ref().is_some_and(|p| p.status == PromotionStatus::Pending);
    let verb = if pending { "proposed" } else { "promoted" };
    let version = report.version.map(|v| v.to_string()).unwrap_or_default();
    let headline = format!("{verb} {} v{version} to {}", report.model, args.to);
    Ok(show(ctx, &args.write, headline, &report))
}
