//! `modelreg check`

use modelreg::policy::{CheckOptions, Severity, check_registry};
use modelreg::repo::Registry;

use super::Context;
use super::error::{CliError, EXIT_FINDINGS};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Do not re-hash the artifacts in the local store
    #[arg(long)]
    skip_artifacts: bool,
    /// Machine-readable output (for CI annotations)
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: CheckArgs) -> Result<u8, CliError> {
    let registry = Registry::open_unverified(&ctx.start_dir()?)?;
    let progress = ctx.ui.progress();
    let report = check_registry(&registry, CheckOptions { verify_artifacts: !args.skip_artifacts }, &progress)
        .map_err(modelreg::ops::Error::from)?;
    let code = if report.errors() > 0 { EXIT_FINDINGS } else { 0 };
    if args.json {
        ctx.ui.json(&report);
        return Ok(code);
    }
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
    ctx.ui.data(text);
    let artifacts = if args.skip_artifacts {
        "artifacts not verified".to_owned()
    } else {
        format!(
            "{} artifact(s) verified, {} not in the local store",
            report.artifacts_verified, report.artifacts_missing
        )
    };
    ctx.ui.status(format!(
        "checked {} model(s), {} record(s), {} signature(s); {artifacts}: {}",
        report.models,
        report.records,
        report.signatures,
        match report.errors() {
            0 => "ok".to_owned(),
            n => format!("{n} problem(s)"),
        }
    ));
    Ok(code)
}
