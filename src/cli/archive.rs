//! `modelreg archive NAME[@V] -m WHY` and `modelreg restore NAME[@V] -m WHY`

use modelreg::ops::ModelRef;
use modelreg::ops::lifecycle;

use super::context::Context;
use super::error::CliError;
use super::lifecycle::{WriteArgs, show};

#[derive(Debug, clap::Args)]
pub struct ArchiveArgs {
    /// NAME@VERSION for one version, NAME for the whole model
    reference: ModelRef,
    /// Why (required: kept in the record)
    #[arg(short, long)]
    message: String,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(ctx: &Context, args: ArchiveArgs, restore: bool) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let key = ctx.signing_key(Some(registry.git()))?;
    let options = args.write.options();
    let report = if restore {
        lifecycle::restore(&registry, &key, &args.reference, args.message, options)?
    } else {
        lifecycle::archive(&registry, &key, &args.reference, args.message, options)?
    };
    let what = match report.version {
        Some(v) => format!("{} v{v}", report.model),
        None => report.model.to_string(),
    };
    let headline = format!("{} {what}", if restore { "restored" } else { "archived" });
    Ok(show(ctx, &args.write, headline, &report))
}
