//! `modelreg register NAME PATH...`

use std::collections::BTreeMap;
use std::path::PathBuf;

use modelreg::ops::ModelRef;
use modelreg::ops::register::{CodeSource, RegisterRequest, register};
use modelreg::record::{DatasetRef, Digest, MetaKey, Metric, ModelName, Version};

use super::context::Context;
use super::error::CliError;
use super::output::bytes;

#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
    /// Model name: 1-64 of a-z 0-9 . _ - (e.g. fraud-detector)
    name: ModelName,
    /// Files and directories that make up the model
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Explicit version; must be greater than every existing version [default: latest + 1]
    #[arg(long)]
    version: Option<Version>,
    /// Why this version exists (also the commit message body)
    #[arg(short, long)]
    message: Option<String>,
    /// What the model does
    #[arg(long)]
    description: Option<String>,
    /// Training framework, e.g. sklearn, pytorch, xgboost
    #[arg(long)]
    framework: Option<String>,
    /// A tag, KEY=VALUE (repeatable)
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_text_pair)]
    tags: Vec<(MetaKey, String)>,
    /// A metric, KEY=NUMBER (repeatable)
    #[arg(long = "metric", value_name = "KEY=NUMBER", value_parser = parse_metric)]
    metrics: Vec<(MetaKey, Metric)>,
    /// A training parameter, KEY=VALUE (repeatable)
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_text_pair)]
    params: Vec<(MetaKey, String)>,
    /// A dataset, NAME=URI or NAME=URI@blake3:HEX; a local file is hashed (repeatable)
    #[arg(long = "dataset", value_name = "NAME=URI", value_parser = parse_dataset)]
    datasets: Vec<DatasetRef>,
    /// The training code's commit [default: HEAD of the checkout the command runs in]
    #[arg(long, value_name = "REV")]
    code_commit: Option<String>,
    /// Record no code lineage
    #[arg(long, conflicts_with = "code_commit")]
    no_code: bool,
    /// A model version this one derives from, NAME@VERSION (repeatable)
    #[arg(long = "parent", value_name = "NAME@VERSION")]
    parents: Vec<ModelRef>,
    /// Register even if the files are byte-identical to the latest version
    #[arg(long)]
    allow_same: bool,
    /// A drift profile of the training data (`modelreg profile`), stored with the version so later
    /// `modelreg drift` runs need only production data
    #[arg(long, value_name = "PROFILE")]
    baseline_profile: Option<PathBuf>,
    /// Write and sign the record but do not commit it
    #[arg(long)]
    no_commit: bool,
    /// Hash everything and show what would be registered; store and write nothing (takes no lock)
    #[arg(long)]
    dry_run: bool,
    /// Keep the files in the local store only, without uploading them to the shared store
    /// ([store] url); run `modelreg store push` before pushing the record
    #[arg(long)]
    offline: bool,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

fn split_pair(text: &str) -> Result<(MetaKey, &str), String> {
    let (key, value) = text.split_once('=').ok_or_else(|| format!("`{text}` is not KEY=VALUE"))?;
    Ok((key.parse().map_err(|e: modelreg::record::NameError| e.to_string())?, value))
}

fn parse_text_pair(text: &str) -> Result<(MetaKey, String), String> {
    split_pair(text).map(|(k, v)| (k, v.to_owned()))
}

fn parse_metric(text: &str) -> Result<(MetaKey, Metric), String> {
    let (key, value) = split_pair(text)?;
    let number: f64 = value.trim().parse().map_err(|_| format!("`{value}` is not a number"))?;
    Ok((key, Metric::try_from(number)?))
}

fn parse_dataset(text: &str) -> Result<DatasetRef, String> {
    let (name, rest) = split_pair(text)?;
    let (uri, digest) = match rest.rsplit_once("@blake3:") {
        Some((uri, hex)) => (uri, Some(format!("blake3:{hex}").parse::<Digest>().map_err(|e| e.to_string())?)),
        None => (rest, None),
    };
    if uri.is_empty() {
        return Err(format!("`{text}` has no URI"));
    }
    // A dataset on this machine is pinned by content; a remote URI needs its digest given explicitly.
    let local = std::path::Path::new(uri);
    let digest = match digest {
        None if !uri.contains("://") && local.is_file() => {
            let mut hasher = blake3::Hasher::new();
            hasher.update_mmap_rayon(local).map_err(|e| format!("{uri}: {e}"))?;
            Some(Digest::from_hash(hasher.finalize()))
        }
        other => other,
    };
    Ok(DatasetRef { name, uri: uri.to_owned(), digest })
}

/// Collects KEY=VALUE options into a map, refusing a key given twice (the last would silently win).
fn unique<V>(option: &str, pairs: Vec<(MetaKey, V)>) -> Result<BTreeMap<MetaKey, V>, CliError> {
    let mut map = BTreeMap::new();
    for (key, value) in pairs {
        if map.insert(key.clone(), value).is_some() {
            return Err(CliError::new(
                format!("{option} {key} is given twice"),
                Some(format!("give each {option} key once")),
            ));
        }
    }
    Ok(map)
}

pub fn run(ctx: &Context, args: RegisterArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let key = ctx.signing_key(Some(registry.git()))?;
    let cwd = std::env::current_dir().map_err(|e| CliError::new(format!("current directory: {e}"), None))?;
    let code = match (args.no_code, args.code_commit) {
        (true, _) => CodeSource::None,
        (false, Some(rev)) => CodeSource::Revision { cwd, rev },
        (false, None) => CodeSource::Checkout(cwd),
    };
    let request = RegisterRequest {
        name: args.name,
        paths: args.paths,
        version: args.version,
        message: args.message,
        description: args.description,
        framework: args.framework,
        tags: unique("--tag", args.tags)?,
        metrics: unique("--metric", args.metrics)?,
        params: unique("--param", args.params)?,
        datasets: args.datasets,
        code,
        parents: args.parents,
        allow_same: args.allow_same,
        baseline_profile: args.baseline_profile,
        commit: !args.no_commit,
        dry_run: args.dry_run,
        offline: args.offline,
    };
    let progress = ctx.ui.progress();
    let report = register(&registry, &key, request, &ctx.store_env(), &progress)?;
    if args.json {
        ctx.ui.json(&report);
        return Ok(0);
    }
    let ui = &ctx.ui;
    let verb = if report.dry_run { "would register" } else { "registered" };
    ui.status(format!("{verb} {} v{} (seq {})", report.model, report.version, report.seq));
    ui.status(format!(
        "  artifacts  {} file(s), {} ({} newly stored)",
        report.files,
        bytes(report.bytes),
        bytes(report.bytes_stored)
    ));
    match (&report.store, report.offline || report.dry_run) {
        (Some(store), false) => {
            ui.status(format!("  uploaded   {} to {store} (the rest was there)", bytes(report.bytes_uploaded)))
        }
        (Some(store), true) if !report.dry_run => ui.status(format!(
            "  offline    kept in the local store only: run `modelreg store push` (to {store}) before `git push`"
        )),
        _ => {}
    }
    if let (Some(path), Some(digest)) = (&report.record, &report.record_digest) {
        ui.status(format!("  record     {path}"));
        ui.status(format!("  digest     {digest}"));
    }
    ui.status(format!("  signed by  {}", report.signer));
    match &report.commit {
        Some(commit) => ui.status(format!("  committed  {}", &commit[..12])),
        None if !report.dry_run => ui.status("  not committed (--no-commit)"),
        None => {}
    }
    Ok(0)
}
