//! `modelreg approve NAME@V --to STAGE`

use modelreg::ops::ModelRef;
use modelreg::ops::lifecycle;
use modelreg::record::Stage;

use super::context::Context;
use super::error::CliError;
use super::lifecycle::{WriteArgs, show};

#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The version whose pending promotion you approve: NAME@VERSION
    reference: ModelRef,
    /// The stage it is proposed for
    #[arg(long, value_name = "STAGE")]
    to: Stage,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(ctx: &Context, args: ApproveArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let key = ctx.signing_key(Some(registry.git()))?;
    let report = lifecycle::approve(&registry, &key, &args.reference, &args.to, args.write.options())?;
    let headline = format!(
        "approved {} v{} for {}",
        report.model,
        report.version.map(|v| v.to_string()).unwrap_or_default(),
        args.to
    );
    Ok(show(ctx, &args.write, headline, &report))
}
