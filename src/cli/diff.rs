//! `modelreg diff NAME@A NAME@B`

use modelreg::ops::ModelRef;
use modelreg::ops::diff::{self, ArtifactSide, Change, DiffReport, ValueRow};

use super::context::Context;
use super::error::CliError;
use super::output::{bytes, number, table};

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The first version: NAME@VERSION, NAME@latest or NAME (its latest)
    from: ModelRef,
    /// The second version, of the same model or another one
    to: ModelRef,
    /// Machine-readable output
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: DiffArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let report = diff::diff(&registry, &args.from, &args.to)?;
    if args.json {
        ctx.ui.json(&report);
    } else {
        ctx.ui.data(render(&report));
    }
    Ok(0)
}

/// The CHANGE column: `=` for equal rows, so changed ones stand out without colour.
fn mark(change: Change) -> &'static str {
    match change {
        Change::Unchanged => "=",
        Change::Changed => "changed",
        Change::Added => "added",
        Change::Removed => "removed",
    }
}

fn cell(value: Option<&str>) -> String {
    value.unwrap_or("-").to_owned()
}

fn render(report: &DiffReport) -> String {
    let (a, b) = (&report.from, &report.to);
    let label = |s: &diff::Side| format!("{}@{}", s.name, s.version);
    let (la, lb) = (label(a), label(b));
    let mut out = format!("{la} → {lb}\n");
    let width = la.chars().count().max(lb.chars().count());
    for (label, side) in [(&la, a), (&lb, b)] {
        out.push_str(&format!(
            "  {label:<width$}  {}  {}  {}\n",
            side.created_at,
            side.record_digest.short(),
            side.author
        ));
    }
    let mut section = |title: &str, rows: Vec<Vec<String>>| {
        if !rows.is_empty() {
            out.push('\n');
            out.push_str(&table(&[title, &la, &lb, "CHANGE"], &rows));
        }
    };
    let values = |rows: &[ValueRow]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| vec![r.key.clone(), cell(r.from.as_deref()), cell(r.to.as_deref()), mark(r.change).into()])
            .collect()
    };
    section("FIELD", values(&report.fields));
    section(
        "METRIC",
        report
            .metrics
            .iter()
            .map(|r| {
                let change = match (r.delta, r.change) {
                    (Some(d), Change::Changed) if d > 0.0 => format!("+{}", number(d)),
                    (Some(d), Change::Changed) => number(d),
                    (_, change) => mark(change).into(),
                };
                vec![r.key.clone(), r.from.map_or("-".into(), number), r.to.map_or("-".into(), number), change]
            })
            .collect(),
    );
    section("PARAM", values(&report.params));
    section("TAG", values(&report.tags));
    section("LINEAGE", values(&report.lineage));
    let artifact =
        |x: &Option<ArtifactSide>| x.as_ref().map_or("-".into(), |x| format!("{} {}", x.digest.short(), bytes(x.size)));
    section(
        "ARTIFACT",
        report
            .artifacts
            .iter()
            .map(|r| vec![r.path.clone(), artifact(&r.from), artifact(&r.to), mark(r.change).into()])
            .collect(),
    );
    if !report.has_changes() {
        out.push_str("\nno differences besides the version\n");
    }
    out
}
