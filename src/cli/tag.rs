//! `modelreg tag NAME@V KEY=VALUE…` and `modelreg untag NAME@V KEY…`

use modelreg::ops::ModelRef;
use modelreg::ops::lifecycle::{self, TagChange};
use modelreg::record::MetaKey;

use super::context::Context;
use super::error::CliError;
use super::lifecycle::{WriteArgs, show};

#[derive(Debug, clap::Args)]
pub struct TagArgs {
    /// NAME@VERSION (or NAME for the latest)
    reference: ModelRef,
    /// Tags to set
    #[arg(required = true, value_name = "KEY=VALUE", value_parser = parse_tag)]
    tags: Vec<(MetaKey, String)>,
    /// Why (kept in the record)
    #[arg(short, long)]
    message: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

#[derive(Debug, clap::Args)]
pub struct UntagArgs {
    /// NAME@VERSION (or NAME for the latest)
    reference: ModelRef,
    /// Tags to remove
    #[arg(required = true, value_name = "KEY")]
    keys: Vec<MetaKey>,
    #[arg(short, long)]
    message: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

fn parse_tag(text: &str) -> Result<(MetaKey, String), String> {
    let (key, value) = text.split_once('=').ok_or_else(|| format!("expected KEY=VALUE, got `{text}`"))?;
    Ok((key.parse().map_err(|e: modelreg::record::NameError| e.to_string())?, value.to_owned()))
}

pub fn tag(ctx: &Context, args: TagArgs) -> Result<u8, CliError> {
    let change = TagChange { set: args.tags.into_iter().collect(), message: args.message, ..TagChange::default() };
    apply(ctx, &args.reference, change, &args.write)
}

pub fn untag(ctx: &Context, args: UntagArgs) -> Result<u8, CliError> {
    let change = TagChange { unset: args.keys.into_iter().collect(), message: args.message, ..TagChange::default() };
    apply(ctx, &args.reference, change, &args.write)
}

fn apply(ctx: &Context, reference: &ModelRef, change: TagChange, write: &WriteArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let key = ctx.signing_key(Some(registry.git()))?;
    let mut parts: Vec<String> = change.set.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.extend(change.unset.iter().map(|k| format!("-{k}")));
    let report = lifecycle::tag(&registry, &key, reference, change, write.options())?;
    let version = report.version.map(|v| v.to_string()).unwrap_or_default();
    let headline = format!("tagged {} v{version}: {}", report.model, parts.join(" "));
    Ok(show(ctx, write, headline, &report))
}
