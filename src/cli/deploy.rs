//! `modelreg deploy record NAME@V --env ENV --target URI` and `modelreg deploy end NAME@V --env ENV`

use modelreg::ops::ModelRef;
use modelreg::ops::lifecycle;
use modelreg::record::MetaKey;

use super::context::Context;
use super::error::CliError;
use super::lifecycle::{WriteArgs, show};

#[derive(Debug, clap::Subcommand)]
pub enum DeployCommand {
    /// Record that a version now serves in an environment (replacing what served at that target)
    Record(DeployArgs),
    /// Record that a version stopped serving in an environment
    End(EndArgs),
}

#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// NAME@VERSION or NAME@STAGE
    reference: ModelRef,
    /// The environment, e.g. prod-eu
    #[arg(long, value_name = "ENV")]
    env: MetaKey,
    /// Where it runs: an endpoint, cluster or service URI
    #[arg(long, value_name = "URI")]
    target: String,
    /// Why, or a link to the rollout
    #[arg(short, long)]
    message: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

#[derive(Debug, clap::Args)]
pub struct EndArgs {
    /// NAME@VERSION
    reference: ModelRef,
    #[arg(long, value_name = "ENV")]
    env: MetaKey,
    /// Which target, when the version runs at several in ENV
    #[arg(long, value_name = "URI")]
    target: Option<String>,
    #[arg(short, long)]
    message: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(ctx: &Context, command: DeployCommand) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let key = ctx.signing_key(Some(registry.git()))?;
    match command {
        DeployCommand::Record(args) => {
            let report = lifecycle::deploy(
                &registry,
                &key,
                &args.reference,
                &args.env,
                &args.target,
                args.message,
                args.write.options(),
            )?;
            let version = report.version.map(|v| v.to_string()).unwrap_or_default();
            let headline = format!("deployed {} v{version} to {} ({})", report.model, args.env, args.target);
            Ok(show(ctx, &args.write, headline, &report))
        }
        DeployCommand::End(args) => {
            let report = lifecycle::undeploy(
                &registry,
                &key,
                &args.reference,
                &args.env,
                args.target.as_deref(),
                args.message,
                args.write.options(),
            )?;
            let version = report.version.map(|v| v.to_string()).unwrap_or_default();
            let headline = format!("ended {} v{version} in {}", report.model, args.env);
            Ok(show(ctx, &args.write, headline, &report))
        }
    }
}
