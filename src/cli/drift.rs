//! `modelreg drift NAME@V --baseline B --target T`

use std::path::PathBuf;

use modelreg::drift::{FeatureStatus, Performance, PerformanceSpec, ReadOptions, Task};
use modelreg::ops::ModelRef;
use modelreg::ops::drift::{DriftOutcome, DriftRequest, run as run_drift};
use modelreg::record::Timestamp;

use super::context::Context;
use super::error::{CliError, EXIT_ERROR, EXIT_FINDINGS};
use super::output::{number, table};

#[derive(Debug, clap::Args)]
pub struct DriftArgs {
    /// The version judged: NAME@VERSION (or NAME for the latest)
    reference: ModelRef,
    /// Baseline data (CSV or Parquet) or profile (.toml) [default: the version's stored baseline profile]
    #[arg(long, value_name = "DATA|PROFILE")]
    baseline: Option<PathBuf>,
    /// Production data (CSV or Parquet) or profile (.toml)
    #[arg(long, value_name = "DATA|PROFILE")]
    target: PathBuf,
    /// Start of the production window the target covers (RFC 3339)
    #[arg(long, value_name = "TIME")]
    window_start: Option<Timestamp>,
    /// End of the production window the target covers (RFC 3339)
    #[arg(long, value_name = "TIME")]
    window_end: Option<Timestamp>,
    /// Read this column as categorical whatever it looks like (repeatable)
    #[arg(long = "categorical", value_name = "COLUMN")]
    categorical: Vec<String>,
    /// Leave this column out (repeatable)
    #[arg(long = "ignore", value_name = "COLUMN")]
    ignore: Vec<String>,
    /// CSV delimiter [default: detected]
    #[arg(long, value_name = "CHAR")]
    delimiter: Option<char>,
    /// Label column in the target, for model performance (with --prediction)
    #[arg(long, requires = "prediction", value_name = "COLUMN")]
    label: Option<String>,
    /// Prediction column in the target, for model performance and prediction drift
    #[arg(long, requires = "label", value_name = "COLUMN")]
    prediction: Option<String>,
    /// What the model predicts [default: classification for a categorical, boolean or two-valued label, else regression]
    #[arg(long, requires = "label", value_enum)]
    task: Option<TaskArg>,
    /// The positive class for binary precision, recall, F1 and AUC [default: 1 or true, else the largest label]
    #[arg(long, requires = "label", value_name = "CLASS")]
    positive: Option<String>,
    /// Exact mode keeps up to this many MiB of numbers per input in memory, then spills each numerical
    /// column to a temporary file and compares one column at a time
    #[arg(long, value_name = "MIB", env = "MODELREG_DRIFT_MEMORY_MB", default_value_t = 256)]
    memory_mb: u64,
    /// Exit 1 when drift is found (for scheduled CI jobs)
    #[arg(long)]
    fail_on_drift: bool,
    /// Print the report only; write no record
    #[arg(long)]
    no_record: bool,
    /// Write and sign the record but do not commit it
    #[arg(long)]
    no_commit: bool,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum TaskArg {
    Classification,
    Regression,
}

pub fn run(ctx: &Context, args: DriftArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let key = if args.no_record { None } else { Some(ctx.signing_key(Some(registry.git()))?) };
    let delimiter = match args.delimiter {
        Some(c) if c.is_ascii() => Some(c as u8),
        Some(c) => {
            return Err(CliError::new(format!("delimiter `{c}` is not ASCII"), Some("use , ; | or a tab".into())));
        }
        None => None,
    };
    let mut config = registry.config().drift.clone().unwrap_or_default();
    if let (Some(label), Some(prediction)) = (args.label, args.prediction) {
        let task = args.task.map(|t| match t {
            TaskArg::Classification => Task::Classification,
            TaskArg::Regression => Task::Regression,
        });
        config.performance = Some(PerformanceSpec { label, prediction, positive: args.positive, task });
    }
    let read = ReadOptions {
        delimiter,
        categorical: args.categorical,
        ignore: args.ignore,
        exact_memory: args.memory_mb.saturating_mul(1 << 20),
        ..ReadOptions::default()
    };
    let request = DriftRequest {
        reference: args.reference,
        baseline: args.baseline,
        target: args.target,
        read,
        config,
        window_start: args.window_start,
        window_end: args.window_end,
        record: !args.no_record,
        commit: !args.no_commit,
        store_env: ctx.store_env(),
    };
    let outcome = run_drift(&registry, key.as_ref(), request)?;
    if args.json {
        ctx.ui.json(&outcome);
    } else {
        ctx.ui.data(render(&outcome));
        if let Some(record) = &outcome.record {
            ctx.ui.status(format!("recorded {record}"));
        }
        if let Some(commit) = &outcome.commit {
            ctx.ui.status(format!("committed {}", &commit[..12]));
        }
    }
    // Under --fail-on-drift a run without a verdict cannot pass as "no drift".
    Ok(match (&outcome.inconclusive, args.fail_on_drift) {
        (Some(_), true) => EXIT_ERROR,
        (None, true) if outcome.report.summary.drift => EXIT_FINDINGS,
        _ => 0,
    })
}

fn render(outcome: &DriftOutcome) -> String {
    let report = &outcome.report;
    let cell = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), number);
    let rows: Vec<Vec<String>> = report
        .features
        .iter()
        .map(|f| {
            let decision = f.decision_metric.and_then(|m| f.metrics.iter().find(|v| v.metric == m));
            let status = match &f.status {
                FeatureStatus::Compared => if f.drifted { "DRIFT" } else { "ok" }.to_owned(),
                FeatureStatus::MissingInTarget => "missing in target".to_owned(),
                FeatureStatus::TypeMismatch { .. } => "type changed".to_owned(),
                FeatureStatus::NewInTarget => "new in target".to_owned(),
            };
            vec![
                f.name.clone(),
                serde_name(&f.kind),
                decision.map_or_else(|| "-".to_owned(), |m| serde_name(&m.metric)),
                cell(decision.and_then(|m| m.value)),
                cell(decision.and_then(|m| m.threshold)),
                status,
            ]
        })
        .collect();
    let mut out = format!(
        "{} v{}: baseline {} rows, target {} rows ({} mode)\n\n",
        outcome.model,
        outcome.version,
        report.baseline.rows,
        report.target.rows,
        serde_name(&report.mode)
    );
    out.push_str(&table(&["FEATURE", "TYPE", "METRIC", "VALUE", "THRESHOLD", "DRIFT"], &rows));
    if let Some(p) = &report.performance {
        out.push_str(&render_performance(p));
    }
    let s = &report.summary;
    match &outcome.inconclusive {
        Some(why) => out.push_str(&format!("\ninconclusive: {why}; no verdict\n")),
        None => out.push_str(&format!("\n{}: {}\n", if s.drift { "DRIFT" } else { "no drift" }, s.reason)),
    }
    out
}

fn render_performance(p: &Performance) -> String {
    let metrics = [
        ("accuracy", p.accuracy),
        ("precision", p.precision),
        ("recall", p.recall),
        ("f1", p.f1),
        ("auc", p.auc),
        ("mae", p.mae),
        ("mse", p.mse),
        ("rmse", p.rmse),
        ("r2", p.r2),
    ];
    let shown: Vec<String> = metrics.iter().filter_map(|(n, v)| Some(format!("{n} {}", number((*v)?)))).collect();
    let averaging = match (p.average.as_deref(), &p.positive) {
        (Some("binary"), Some(positive)) => format!(", positive class {positive}"),
        (Some(average), _) => format!(", {average} average over {} classes", p.classes.unwrap_or(0)),
        (None, _) => String::new(),
    };
    let mut out = format!(
        "\nperformance ({} on {:?} vs {:?}{averaging}; {} rows used, {} skipped)\n  {}\n",
        p.task,
        p.prediction,
        p.label,
        p.rows_used,
        p.rows_skipped,
        if shown.is_empty() { "-".to_owned() } else { shown.join("  ") }
    );
    if let Some(d) = &p.prediction_drift {
        let verdict = if d.status != "compared" {
            format!("not compared ({})", d.status)
        } else {
            let value = d.value.map_or_else(|| "-".to_owned(), number);
            let metric = d.metric.map_or_else(|| "-".to_owned(), |m| m.as_str().to_owned());
            format!("{metric} {value}: {}", if d.drifted { "DRIFT" } else { "ok" })
        };
        out.push_str(&format!("  prediction drift ({:?}): {verdict}\n", d.column));
    }
    out
}

/// The name a value has in the report's TOML/JSON (`normalised_wasserstein`, `categorical`).
fn serde_name(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "-".to_owned(),
    }
}
