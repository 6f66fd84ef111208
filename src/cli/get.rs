//! `modelreg get NAME[@VERSION] -o DIR`

use std::path::PathBuf;

use modelreg::ops::ModelRef;

use super::context::Context;
use super::error::CliError;
use super::output::bytes;

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// NAME, NAME@VERSION or NAME@latest
    reference: ModelRef,
    /// Directory to write the artifacts into (created if missing)
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Replace files that already exist in DIR
    #[arg(long)]
    force: bool,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: GetArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let progress = ctx.ui.progress();
    let env = ctx.store_env();
    let report = modelreg::ops::get::get(&registry, &args.reference, &args.output, args.force, &env, &progress)?;
    if args.json {
        ctx.ui.json(&report);
    } else {
        if report.downloaded.objects > 0 {
            ctx.ui.status(format!(
                "downloaded {} object(s), {}, from the shared store into the local cache",
                report.downloaded.objects,
                bytes(report.downloaded.bytes)
            ));
        }
        ctx.ui.status(format!(
            "fetched {} v{} into {}: {} file(s), {}, every digest verified",
            report.model,
            report.version,
            report.destination.display(),
            report.files,
            bytes(report.bytes)
        ));
    }
    Ok(0)
}
