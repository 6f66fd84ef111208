//! `modelreg lineage NAME@V [--upstream|--downstream] [--depth N] [--format text|mermaid|dot|json]`

use modelreg::ops::ModelRef;
use modelreg::ops::lineage::{self, Direction, LineageRequest};

use super::context::Context;
use super::error::CliError;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Text,
    Mermaid,
    Dot,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct LineageArgs {
    /// NAME@VERSION, NAME@latest, or NAME (its latest version)
    reference: ModelRef,
    /// Only what the version was made from: datasets, code, parent models
    #[arg(long, conflicts_with = "downstream")]
    upstream: bool,
    /// Only the models derived from the version
    #[arg(long)]
    downstream: bool,
    /// How many model hops to follow (default: all)
    #[arg(long, value_name = "N")]
    depth: Option<usize>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Same as --format json
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: LineageArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let direction = match (args.upstream, args.downstream) {
        (true, _) => Direction::Upstream,
        (_, true) => Direction::Downstream,
        _ => Direction::Both,
    };
    let graph =
        lineage::lineage(&registry, &LineageRequest { reference: args.reference, direction, depth: args.depth })?;
    match if args.json { Format::Json } else { args.format } {
        Format::Text => ctx.ui.data(graph.text()),
        Format::Mermaid => ctx.ui.data(graph.mermaid()),
        Format::Dot => ctx.ui.data(graph.dot()),
        Format::Json => ctx.ui.json(&graph),
    }
    Ok(0)
}
