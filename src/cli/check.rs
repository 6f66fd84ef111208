//! `modelreg check [--range OLD..NEW | --staged]`

use modelreg::ops::check;
use modelreg::policy::{CheckOptions, CheckReport, Severity};

use super::context::Context;
use super::error::{CliError, EXIT_FINDINGS};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Check the change between two commits, judged by the trust of OLD (as hooks and CI do);
    /// OLD may be all zeros for "no base" (a new branch)
    #[arg(long, value_name = "OLD..NEW", conflicts_with = "staged")]
    range: Option<String>,
    /// Check what is staged against HEAD (as the pre-commit hook does)
    #[arg(long)]
    staged: bool,
    /// Do not re-hash the artifacts in the local store (working-tree check only)
    #[arg(long)]
    skip_artifacts: bool,
    /// Also read every artifact back from the shared store ([store] url) in full and check its
    /// digest (working-tree check only; downloads, writes nothing)
    #[arg(long, conflicts_with_all = ["range", "staged"])]
    artifacts: bool,
    /// Machine-readable output (for CI annotations)
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: CheckArgs) -> Result<u8, CliError> {
    let start = ctx.start_dir()?;
    let (report, what) = if let Some(range) = &args.range {
        let (old, new) = range.split_once("..").ok_or_else(|| {
            CliError::new(
                format!("`{range}` is not a range"),
                Some("write it as OLD..NEW, e.g. origin/main..HEAD".into()),
            )
        })?;
        let new = if new.is_empty() { "HEAD" } else { new };
        (check::range(&start, old, new, ctx.now(), Some(&ctx.store_env()))?, format!("change {range}: "))
    } else if args.staged {
        (check::staged(&start, super::hooks::staged_index(&start).as_deref(), ctx.now())?, "staged change: ".to_owned())
    } else {
        let progress = ctx.ui.progress();
        let options = CheckOptions { verify_artifacts: !args.skip_artifacts };
        let env = ctx.store_env();
        let shared = args.artifacts.then_some(&env);
        (check::worktree(&start, options, shared, &progress, ctx.now())?, String::new())
    };
    let code = if report.errors() > 0 { EXIT_FINDINGS } else { 0 };
    if args.json {
        ctx.ui.json(&report);
        return Ok(code);
    }
    ctx.ui.data(render_problems(&report));
    let artifacts = if args.range.is_some() || args.staged || args.skip_artifacts {
        String::new()
    } else {
        format!(
            "; {} artifact(s) verified, {} not in the local store",
            report.artifacts_verified, report.artifacts_missing
        )
    };
    ctx.ui.status(format!(
        "checked {what}{} model(s), {} record(s), {} signature(s){artifacts}: {}",
        report.models,
        report.records,
        report.signatures,
        summary(&report)
    ));
    Ok(code)
}

pub fn summary(report: &CheckReport) -> String {
    match report.errors() {
        0 => "ok".to_owned(),
        n => format!("{n} problem(s)"),
    }
}

/// One line per problem (`path: level[rule]: message`), with its hint indented below.
pub fn render_problems(report: &CheckReport) -> String {
    let mut text = String::new();
    for problem in &report.problems {
        let level = match problem.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        text.push_str(&format!("{}: {level}[{}]: {}\n", problem.path, problem.rule, problem.message));
        if let Some(hint) = &problem.hint {
            text.push_str(&format!("  hint: {hint}\n"));
        }
    }
    text
}
