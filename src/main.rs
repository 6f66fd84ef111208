//! The `modelreg` binary: parse arguments, run one command, print errors with hints, exit with the
//! documented code (0 ok, 1 findings, 2 error).

mod cli;

use std::process::ExitCode;

use clap::Parser;
use clap::error::{ContextKind, ContextValue, ErrorKind};

fn main() -> ExitCode {
    let parsed = match cli::Cli::try_parse() {
        Ok(parsed) => parsed,
        Err(err) => return usage_error(err),
    };
    match cli::run(parsed) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {}", err.message);
            if let Some(hint) = err.hint {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(cli::error::EXIT_ERROR)
        }
    }
}

/// Bad usage gets the same shape as every other error: one `error:` line and a `hint:` line, exit 2.
/// Help and version requests print as clap renders them.
fn usage_error(err: clap::Error) -> ExitCode {
    if matches!(err.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        err.exit();
    }
    if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = err.print();
        return ExitCode::from(cli::error::EXIT_ERROR);
    }
    let rendered = err.render().to_string();
    let cause = rendered.lines().find(|l| l.starts_with("error:")).unwrap_or("error: invalid usage");
    eprintln!("{cause}");
    let arg = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => arg.clone(),
        _ => String::new(),
    };
    let hint = if arg.starts_with("--metric") {
        "metrics are KEY=NUMBER with a finite number, e.g. --metric auc=0.94".to_owned()
    } else if arg.starts_with("--tag") || arg.starts_with("--param") {
        "write KEY=VALUE, e.g. --tag team=risk (keys: letters, digits, . _ -)".to_owned()
    } else if arg.starts_with("--dataset") {
        "write NAME=URI or NAME=URI@blake3:HEX, e.g. --dataset train=s3://bucket/train.parquet".to_owned()
    } else if arg.starts_with("--version") {
        "versions are whole numbers from 1; omit --version to use the next one".to_owned()
    } else if arg.starts_with("<NAME>") || arg.starts_with("<REFERENCE>") || arg.starts_with("--parent") {
        "model names look like `fraud-detector` or `resnet50.v2` (a-z 0-9 . _ -, no `..`); versions like NAME@3"
            .to_owned()
    } else if arg.starts_with("--role") {
        "roles are admin, publisher, deployer or approver:<stage>".to_owned()
    } else {
        let command: Vec<String> = std::env::args().skip(1).take_while(|a| !a.starts_with('-')).take(2).collect();
        format!("see `modelreg {}--help`", command.iter().map(|c| format!("{c} ")).collect::<String>())
    };
    eprintln!("hint: {hint}");
    ExitCode::from(cli::error::EXIT_ERROR)
}
