//! `modelreg demote NAME --stage STAGE` and `modelreg rollback NAME --stage STAGE`

use modelreg::ops::lifecycle;
use modelreg::ops::{ModelRef, Selector};
use modelreg::record::Stage;
use modelreg::state::PromotionStatus;

use super::context::Context;
use super::error::CliError;
use super::lifecycle::{WriteArgs, show};

#[derive(Debug, clap::Args)]
pub struct DemoteArgs {
    /// The model (NAME), or NAME@VERSION to insist on which version is demoted
    reference: ModelRef,
    /// The stage to empty
    #[arg(long, value_name = "STAGE")]
    stage: Stage,
    /// Why (kept in the record)
    #[arg(short, long)]
    message: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// The model
    name: modelreg::record::ModelName,
    /// The stage whose previous version takes it back
    #[arg(long, value_name = "STAGE")]
    stage: Stage,
    /// Why (kept in the record)
    #[arg(short, long)]
    message: Option<String>,
    /// Skip every gate and approval; needs an admin key, and review flags it
    #[arg(long)]
    emergency: bool,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn demote(ctx: &Context, args: DemoteArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let key = ctx.signing_key(Some(registry.git()))?;
    let expected = match args.reference.selector {
        Some(Selector::Exact(v)) => Some(v),
        None => None,
        Some(_) => {
            return Err(CliError::new(
                format!("demote takes NAME or NAME@VERSION, not {}", args.reference),
                Some("the stage goes in --stage".to_owned()),
            ));
        }
    };
    let report = lifecycle::demote(
        &registry,
        &key,
        &args.reference.name,
        expected,
        &args.stage,
        args.message,
        args.write.options(),
    )?;
    let version = report.version.map(|v| v.to_string()).unwrap_or_default();
    let headline = format!("demoted {} v{version} from {}", report.model, args.stage);
    Ok(show(ctx, &args.write, headline, &report))
}

pub fn rollback(ctx: &Context, args: RollbackArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let key = ctx.signing_key(Some(registry.git()))?;
    let report = lifecycle::rollback(
        &registry,
        &key,
        &args.name,
        &args.stage,
        args.message,
        args.emergency,
        args.write.options(),
    )?;
    let version = report.version.map(|v| v.to_string()).unwrap_or_default();
    let pending = report.promotion.as_ref().is_some_and(|p| p.status == PromotionStatus::Pending);
    let headline = if pending {
        format!("proposed rolling {} {} back to v{version}", report.model, args.stage)
    } else {
        format!("rolled {} {} back to v{version}", report.model, args.stage)
    };
    Ok(show(ctx, &args.write, headline, &report))
}
