//! `modelreg store status | push | pull | verify | gc | migrate`

use modelreg::ops::ModelRef;
use modelreg::ops::store::{self, Location};
use modelreg::store::StoreUrl;

use super::context::Context;
use super::error::{CliError, EXIT_FINDINGS};
use super::output::bytes;

#[derive(Debug, clap::Subcommand)]
pub enum StoreCommand {
    /// Which objects the records name are cached here, in the shared store, both or neither
    Status {
        /// Only this version's objects (NAME@VERSION, NAME@STAGE)
        reference: Option<ModelRef>,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Upload every cached object the shared store lacks (after `register --offline`)
    Push {
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Download a version's objects into the local cache, verified
    Pull {
        /// NAME@VERSION, NAME@STAGE or NAME (latest)
        reference: ModelRef,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Read objects back from the shared store in full and check every digest (writes nothing)
    Verify {
        /// Only this version's objects
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        reference: Option<ModelRef>,
        /// Every object any record names
        #[arg(long)]
        all: bool,
        /// Upload this clone's verified cached copy over each missing or damaged object (even damage
        /// of the right size, which `store push` cannot see), then read it back
        #[arg(long)]
        repair: bool,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// List objects in the shared store that no record names; delete them only with --delete
    Gc {
        /// Only list (the default; stated for scripts)
        #[arg(long, conflicts_with = "delete")]
        dry_run: bool,
        /// Delete unreferenced objects older than the grace period
        #[arg(long)]
        delete: bool,
        /// Grace period: younger unreferenced objects are kept (uploads not committed yet)
        #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
        grace: u64,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Copy every referenced object to another store and read each back; then switch store.url
    Migrate {
        /// The new store: s3://, az://, gs:// or file:// URL
        #[arg(long, value_name = "URL")]
        to: StoreUrl,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
}

fn parse_duration(text: &str) -> Result<u64, String> {
    humantime::parse_duration(text).map(|d| d.as_secs()).map_err(|e| format!("`{text}`: {e}"))
}

pub fn run(ctx: &Context, command: StoreCommand) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let env = ctx.store_env();
    let progress = ctx.ui.progress();
    let ui = &ctx.ui;
    match command {
        StoreCommand::Status { reference, json } => {
            let report = store::status(&registry, &env, reference.as_ref())?;
            if json {
                ui.json(&report);
                return Ok(0);
            }
            let mut text = String::new();
            for object in &report.objects {
                let place = match object.location {
                    Location::LocalOnly => "local-only",
                    Location::RemoteOnly => "remote-only",
                    Location::Both => "both",
                    Location::Missing => "missing",
                };
                text.push_str(&format!(
                    "{place:<12} {}  {:>10}  {}\n",
                    object.object.digest,
                    bytes(object.object.size),
                    object.object.used_by.join(", ")
                ));
            }
            ui.data(text);
            ui.status(format!(
                "{}: {} object(s): {} both, {} local-only, {} remote-only, {} missing",
                report.store,
                report.objects.len(),
                report.count(Location::Both),
                report.count(Location::LocalOnly),
                report.count(Location::RemoteOnly),
                report.count(Location::Missing)
            ));
            if report.count(Location::LocalOnly) > 0 {
                ui.status("hint: `modelreg store push` uploads the local-only objects");
            }
            Ok(if report.count(Location::Missing) > 0 { EXIT_FINDINGS } else { 0 })
        }
        StoreCommand::Push { json } => {
            let report = store::push(&registry, &env, &progress)?;
            let code = if report.missing.is_empty() { 0 } else { EXIT_FINDINGS };
            if json {
                ui.json(&report);
                return Ok(code);
            }
            for object in &report.missing {
                ui.data(format!("missing {}  {}\n", object.digest, object.used_by.join(", ")));
            }
            ui.status(format!(
                "pushed {} object(s), {}, to {} ({} already there)",
                report.uploaded.objects,
                bytes(report.uploaded.bytes),
                report.store,
                report.present
            ));
            if code != 0 {
                ui.status(format!(
                    "{} object(s) are in neither this cache nor the store: push from the clone that registered them",
                    report.missing.len()
                ));
            }
            Ok(code)
        }
        StoreCommand::Pull { reference, json } => {
            let report = store::pull(&registry, &env, Some(&reference), &progress)?;
            if json {
                ui.json(&report);
            } else {
                ui.status(format!(
                    "{reference}: {} object(s); downloaded {} ({}), the rest was cached",
                    report.objects,
                    report.downloaded.objects,
                    bytes(report.downloaded.bytes)
                ));
            }
            Ok(0)
        }
        StoreCommand::Verify { reference, all: _, repair, json } => {
            let report = store::verify(&registry, &env, reference.as_ref(), repair, &progress)?;
            let code = if report.bad.is_empty() { 0 } else { EXIT_FINDINGS };
            if json {
                ui.json(&report);
                return Ok(code);
            }
            let mut text = String::new();
            for bad in &report.bad {
                let found = bad.found.as_deref().map(|f| format!(" (read {f})")).unwrap_or_default();
                text.push_str(&format!(
                    "{} {}{found}  {}\n",
                    bad.state,
                    bad.object.digest,
                    bad.object.used_by.join(", ")
                ));
            }
            for object in &report.repaired {
                text.push_str(&format!("repaired {}  {}\n", object.digest, object.used_by.join(", ")));
            }
            ui.data(text);
            ui.status(format!("{}: {} object(s) intact, {} bad", report.store, report.intact, report.bad.len()));
            if !report.repaired.is_empty() {
                ui.status(format!("  {} replaced from the local cache and read back intact", report.repaired.len()));
            }
            if code != 0 {
                ui.status(if repair {
                    "hint: this clone's cache does not hold them intact: run `modelreg store verify --all --repair` in a clone whose cache does"
                } else {
                    "hint: `modelreg store verify --all --repair` in a clone whose cache holds them uploads the verified bytes over them"
                });
            }
            Ok(code)
        }
        StoreCommand::Gc { dry_run: _, delete, grace, json } => {
            let report = store::gc(&registry, &env, delete, grace as i64)?;
            if json {
                ui.json(&report);
                return Ok(0);
            }
            let mut text = String::new();
            for garbage in &report.unreferenced {
                let what = match (garbage.expired, delete) {
                    (true, true) => "deleted",
                    (true, false) => "unreferenced",
                    (false, _) => "young",
                };
                text.push_str(&format!("{what:<12} {}  {}\n", garbage.digest, bytes(garbage.size)));
            }
            ui.data(text);
            ui.status(format!(
                "{}: {} object(s), {} referenced, {} unreferenced, {} deleted",
                report.store,
                report.objects,
                report.referenced,
                report.unreferenced.len(),
                report.deleted
            ));
            if !delete && report.unreferenced.iter().any(|g| g.expired) {
                ui.status(
                    "hint: `modelreg store gc --delete` deletes the unreferenced objects (never one a record names)",
                );
            }
            Ok(0)
        }
        StoreCommand::Migrate { to, json } => {
            let report = store::migrate(&registry, &env, &to, &progress)?;
            let code = if report.verified.bad.is_empty() { 0 } else { EXIT_FINDINGS };
            if json {
                ui.json(&report);
                return Ok(code);
            }
            ui.status(format!(
                "copied {} object(s), {}, to {}; {} read back intact, {} bad",
                report.uploaded.objects,
                bytes(report.uploaded.bytes),
                report.to,
                report.verified.intact,
                report.verified.bad.len()
            ));
            if code == 0 {
                ui.status(format!(
                    "next: set `url = \"{}\"` under [store] in modelreg.toml and sign it with `modelreg config sign` (admins)",
                    report.to
                ));
            }
            Ok(code)
        }
    }
}
