//! `modelreg key generate | add | list`

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::Subcommand;
use modelreg::ops::key;
use modelreg::record::Timestamp;
use modelreg::sign::{PublicKey, Role};

use super::context::Context;
use super::error::CliError;
use super::output::table;

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an ed25519 key pair in OpenSSH format
    Generate(GenerateArgs),
    /// Grant roles to a public key (signed by an admin key)
    Add(AddArgs),
    /// Revoke a key: it expires now, so nothing it signs from now on is accepted (signed by an admin)
    Revoke(RevokeArgs),
    /// List the keys the registry trusts
    List(ListArgs),
}

#[derive(Debug, clap::Args)]
pub struct RevokeArgs {
    /// The key id, as `modelreg key list` shows it
    id: modelreg::record::KeyId,
    /// Write the trust file but do not commit it
    #[arg(long)]
    no_commit: bool,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Where to write the private key (the public key goes to PATH.pub) [default: ~/.ssh/id_ed25519]
    #[arg(long, value_name = "PATH")]
    path: Option<PathBuf>,
    /// Comment stored in the key [default: git's user.email]
    #[arg(long)]
    comment: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The public key: `ssh-ed25519 AAAA…` or a path to a .pub file
    pubkey: String,
    /// Who holds the key
    #[arg(long, value_name = "EMAIL")]
    owner: String,
    /// admin, publisher, deployer or approver:<stage> (repeat for several)
    #[arg(long = "role", value_name = "ROLE", required = true, value_parser = parse_role)]
    roles: Vec<Role>,
    /// When the key stops being accepted (RFC 3339, e.g. 2027-12-31T00:00:00Z)
    #[arg(long, value_name = "TIME")]
    expires: Option<Timestamp>,
    /// Write the trust file but do not commit it
    #[arg(long)]
    no_commit: bool,
    /// Show what would change and write nothing
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Machine-readable output
    #[arg(long)]
    json: bool,
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
}

pub fn run(ctx: &Context, command: KeyCommand) -> Result<u8, CliError> {
    match command {
        KeyCommand::Generate(args) => generate(ctx, args),
        KeyCommand::Add(args) => add(ctx, args),
        KeyCommand::Revoke(args) => revoke(ctx, args),
        KeyCommand::List(args) => list(ctx, args),
    }
}

fn revoke(ctx: &Context, args: RevokeArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let admin = ctx.signing_key(Some(registry.git()))?;
    let report = key::revoke(&registry, &admin, &args.id, !args.no_commit)?;
    let expires = report.key.expires.map(|t| t.to_string()).unwrap_or_default();
    ctx.ui.status(format!(
        "revoked {} ({}): expired at {expires}, signed by {}",
        report.key.id, report.key.owner, report.signed_by
    ));
    if let Some(commit) = report.commit {
        ctx.ui.status(format!("committed {}", &commit[..12]));
    }
    Ok(0)
}

fn generate(ctx: &Context, args: GenerateArgs) -> Result<u8, CliError> {
    let path = match args.path {
        Some(path) => path,
        None => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".ssh").join("id_ed25519"),
            None => return Err(CliError::new("HOME is not set", Some("pass --path".into()))),
        },
    };
    let comment = args.comment.unwrap_or_else(|| {
        ctx.start_dir()
            .ok()
            .and_then(|dir| modelreg::repo::GitRepo::discover(&dir).ok())
            .and_then(|git| git.config_string("user.email"))
            .unwrap_or_else(|| "modelreg".into())
    });
    let generated = key::generate(&path, &comment)?;
    ctx.ui.status(format!("wrote {} and {}.pub", path.display(), path.display()));
    ctx.ui.status(format!("key id {}  {}", generated.id, generated.fingerprint));
    ctx.ui.data(format!("{}\n", generated.public_key));
    Ok(0)
}

fn add(ctx: &Context, args: AddArgs) -> Result<u8, CliError> {
    let text = if args.pubkey.starts_with("ssh-") {
        args.pubkey.clone()
    } else {
        std::fs::read_to_string(&args.pubkey).map_err(|e| {
            CliError::new(
                format!("cannot read public key {}: {e}", args.pubkey),
                Some("pass `ssh-ed25519 AAAA…` or a .pub file".into()),
            )
        })?
    };
    let public = PublicKey::parse(&text)?;
    let registry = ctx.open_registry()?;
    let admin = ctx.signing_key(Some(registry.git()))?;
    let request = key::AddKey {
        public,
        owner: args.owner,
        roles: args.roles.into_iter().collect::<BTreeSet<_>>(),
        expires: args.expires,
        commit: !args.no_commit,
        dry_run: args.dry_run,
    };
    let report = key::add(&registry, &admin, request)?;
    let verb = if report.dry_run { "would grant" } else { "granted" };
    ctx.ui.status(format!(
        "{verb} {} to {} ({}), signed by {}",
        report.key.roles.join(", "),
        report.key.id,
        report.key.owner,
        report.signed_by
    ));
    if report.signatures_missing > 0 {
        ctx.ui.status(format!(
            "{} more admin signature(s) are needed before the change takes effect",
            report.signatures_missing
        ));
    }
    if let Some(commit) = report.commit {
        ctx.ui.status(format!("committed {}", &commit[..12]));
    }
    Ok(0)
}

fn list(ctx: &Context, args: ListArgs) -> Result<u8, CliError> {
    let registry = ctx.open_registry()?;
    let keys = key::list(registry.trust(), ctx.now());
    if args.json {
        #[derive(serde::Serialize)]
        struct Keys {
            admin_threshold: u32,
            keys: Vec<key::KeyInfo>,
        }
        ctx.ui.json(&Keys { admin_threshold: registry.trust().admin_threshold, keys });
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            let expires = match (k.expires, k.expired) {
                (Some(t), true) => format!("expired {t}"),
                (Some(t), false) => t.to_string(),
                (None, _) => "never".into(),
            };
            vec![k.id.clone(), k.owner.clone(), k.roles.join(","), expires, k.fingerprint.clone()]
        })
        .collect();
    ctx.ui.data(table(&["KEY", "OWNER", "ROLES", "EXPIRES", "FINGERPRINT"], &rows));
    Ok(0)
}
