//! The `modelreg` binary: parse arguments, run one command, print errors with hints, exit with the
//! documented code (0 ok, 1 findings, 2 error).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let parsed = cli::Cli::parse();
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
