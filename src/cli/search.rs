//! `modelreg search QUERY`

use modelreg::ops::search::{self, SearchOptions};
use modelreg::state::query::Query;

use super::context::Context;
use super::error::CliError;
use super::output::{number, table};

const QUERY_HELP: &str = "\
Query language (see README, \"Searching\"):
  conditions   FIELD OP VALUE, has FIELD, archived
  combine      and, or, not, ( )      (not binds tightest, then and, then or)
  operators    = != < <= > >= and ~ (glob: * any run, ? one character)
  fields       name version framework description author created stage archived
               tag.KEY metric.KEY param.KEY
  values       \"string\", 0.9, -1e-3, true, false, 2026-11-01 (a whole UTC day), 2026-11-01T10:00:00Z
A condition on a value a version lacks is false, with != too: `not tag.team = \"x\"` includes them.

Examples:
  modelreg search 'stage = \"production\" and tag.team = \"risk\" and metric.auc > 0.9'
  modelreg search 'name ~ \"fraud-*\" and created >= 2026-11-01' --latest";

#[derive(Debug, clap::Args)]
#[command(after_long_help = QUERY_HELP)]
pub struct SearchArgs {
    /// The query, e.g. 'tag.team = "risk" and metric.auc > 0.9' (--help for the language)
    query: String,
    /// Consider only each model's latest version
    #[arg(long)]
    latest: bool,
    /// Machine-readable output
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: SearchArgs) -> Result<u8, CliError> {
    let query = Query::parse(&args.query).map_err(|e| {
        let caret = e.caret(&args.query).lines().map(|l| format!("\n  {l}")).collect::<String>();
        CliError::new(format!("{e}{caret}"), "see `modelreg search --help` for fields, operators and values".to_owned())
    })?;
    let registry = ctx.open_registry()?;
    let report = search::search(&registry, &args.query, &query, SearchOptions { latest: args.latest });
    for problem in &report.unreadable {
        ctx.ui.status(format!("warning: skipped {}: {} (run `modelreg check`)", problem.path, problem.message));
    }
    if args.json {
        ctx.ui.json(&report);
        return Ok(0);
    }
    let what = if args.latest { "latest version(s)" } else { "version(s)" };
    if report.matches.is_empty() {
        ctx.ui.status(format!("no match among {} {what}", report.searched));
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = report
        .matches
        .iter()
        .map(|m| {
            let mut stages: Vec<&str> = m.stages.iter().map(|s| s.as_str()).collect();
            if m.archived {
                stages.push("(archived)");
            }
            vec![
                format!("{}@{}", m.name, m.version),
                if stages.is_empty() { "-".into() } else { stages.join(",") },
                m.created_at.to_string(),
                m.metrics.iter().map(|(k, v)| format!("{k}={}", number(*v))).collect::<Vec<_>>().join("  "),
            ]
        })
        .collect();
    ctx.ui.data(table(&["VERSION", "STAGE", "CREATED", "METRICS"], &rows));
    ctx.ui.status(format!("{} of {} {what} match", report.matches.len(), report.searched));
    Ok(0)
}
