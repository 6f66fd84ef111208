//! `modelreg profile DATA -o P` and `modelreg profile merge A B... -o M`

use std::path::PathBuf;

use clap::Subcommand;
use modelreg::drift::{Profile, ProfileOptions, ReadOptions, profile_file};

use super::context::Context;
use super::error::CliError;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ProfileArgs {
    #[command(subcommand)]
    merge: Option<ProfileCommand>,
    /// The data to summarise (CSV or Parquet)
    data: Option<PathBuf>,
    /// Where to write the profile (TOML)
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The baseline profile whose histogram edges this one reuses, so that shards merge exactly
    #[arg(long, value_name = "PROFILE")]
    reference: Option<PathBuf>,
    /// Read this column as categorical (repeatable)
    #[arg(long = "categorical", value_name = "COLUMN")]
    categorical: Vec<String>,
    /// Leave this column out (repeatable)
    #[arg(long = "ignore", value_name = "COLUMN")]
    ignore: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Combine shard profiles (made against the same --reference) as if profiled together
    Merge {
        /// Shard profiles
        #[arg(required = true, num_args = 2..)]
        profiles: Vec<PathBuf>,
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
}

pub fn run(ctx: &Context, args: ProfileArgs) -> Result<u8, CliError> {
    let (profile, output) = match args.merge {
        Some(ProfileCommand::Merge { profiles, output }) => {
            let shards = profiles.iter().map(|p| Profile::read(p)).collect::<Result<Vec<_>, _>>().map_err(into)?;
            (Profile::merge(&shards).map_err(into)?, output)
        }
        None => {
            let usage = || {
                CliError::new(
                    "profile needs DATA and -o FILE",
                    Some("modelreg profile train.csv -o train.profile.toml".into()),
                )
            };
            let (data, output) = (args.data.ok_or_else(usage)?, args.output.ok_or_else(usage)?);
            let reference = args.reference.as_deref().map(Profile::read).transpose().map_err(into)?;
            let options = ProfileOptions {
                read: ReadOptions { categorical: args.categorical, ignore: args.ignore, ..ReadOptions::default() },
                ..ProfileOptions::default()
            };
            (profile_file(&data, &options, reference.as_ref()).map_err(into)?, output)
        }
    };
    let text = profile.to_toml().map_err(into)?;
    modelreg::repo::write_atomic(&output, text.as_bytes(), true)?;
    ctx.ui.status(format!("wrote {} ({} bytes)", output.display(), text.len()));
    Ok(0)
}

fn into(e: modelreg::drift::DriftError) -> CliError {
    modelreg::ops::Error::from(e).into()
}
