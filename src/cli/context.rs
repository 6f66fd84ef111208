//! What every command gets: the global arguments and the output layer. Commands import this module,
//! never `cli/mod.rs` (which only parses and dispatches), so the CLI's modules point one way.

use std::path::PathBuf;

use modelreg::record::Timestamp;
use modelreg::repo::{GitRepo, Registry};
use modelreg::sign::{KeySources, SigningKey};

use super::error::CliError;
use super::output::Ui;

#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// The registry repository (default: the git repository containing the current directory)
    #[arg(short = 'C', long = "registry", global = true, value_name = "DIR", env = "MODELREG_REGISTRY")]
    pub registry: Option<PathBuf>,
    /// Signing key: an OpenSSH ed25519 private key [default: $MODELREG_KEY, git's user.signingKey,
    /// ~/.ssh/id_ed25519]
    #[arg(long, global = true, value_name = "PATH")]
    pub key: Option<PathBuf>,
    /// Print only data and errors (no status lines or progress)
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

pub struct Context {
    pub global: GlobalArgs,
    pub ui: Ui,
}

impl Context {
    /// Where the registry is looked for.
    pub fn start_dir(&self) -> Result<PathBuf, CliError> {
        match &self.global.registry {
            Some(dir) => Ok(dir.clone()),
            None => std::env::current_dir().map_err(|e| CliError::new(format!("current directory: {e}"), None)),
        }
    }

    pub fn open_registry(&self) -> Result<Registry, CliError> {
        Ok(modelreg::policy::open_verified(&self.start_dir()?, self.now()).map_err(modelreg::ops::Error::from)?)
    }

    /// The time the command judges and dates records at: `MODELREG_TIMESTAMP` when set (tests and
    /// reproducible builds pin the clock with it), else the system clock.
    pub fn now(&self) -> Timestamp {
        std::env::var("MODELREG_TIMESTAMP").ok().and_then(|t| t.parse().ok()).unwrap_or_else(Timestamp::now)
    }

    /// The shared store's credentials and endpoint overrides: the `AWS_*`, `AZURE_*` and `GOOGLE_*`
    /// variables of this process, read here at the edge and passed into the library.
    pub fn store_env(&self) -> modelreg::store::StoreEnv {
        modelreg::store::StoreEnv::from_vars(std::env::vars())
    }

    /// The signing key, resolved in the documented order; `git` supplies `user.signingKey`.
    pub fn signing_key(&self, git: Option<&GitRepo>) -> Result<SigningKey, CliError> {
        let sources = KeySources {
            explicit: self.global.key.clone(),
            from_env: std::env::var_os(modelreg::sign::KEY_ENV).map(PathBuf::from),
            passphrase: std::env::var(modelreg::sign::PASSPHRASE_ENV).ok(),
            git_signing_key: git.and_then(|g| g.config_string("user.signingkey")),
            home: std::env::var_os("HOME").map(PathBuf::from),
        };
        Ok(sources.resolve()?)
    }
}
