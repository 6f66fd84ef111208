//! `modelreg init`: make a git repository a registry.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Error;
use crate::record::Timestamp;
use crate::repo::layout::{CONFIG_FILE, TRUST_FILE, signature_file_name};
use crate::repo::protected::{GITATTRIBUTES, PROTECTED_FILE, Protected, protected_files};
use crate::repo::snapshot::WorkTree;
use crate::repo::{Config, GitRepo, RepoError, write_atomic};
use crate::sign::{SigningKey, Trust};

/// What `init` may be asked.
#[derive(Debug)]
pub struct InitOptions {
    /// The founding key's owner in the trust file; `None`: the git author's email.
    pub owner: Option<String>,
    /// Commit the files written.
    pub commit: bool,
}

/// What `init` returns.
#[derive(Debug, Serialize)]
pub struct InitReport {
    /// The registry's root: the git working tree's.
    pub root: PathBuf,
    /// The id of the founding key, which holds admin, publisher and deployer.
    pub admin_key: String,
    /// Its owner in the trust file.
    pub owner: String,
    /// The artifact store's path, as configured.
    pub store: String,
    /// Every file written or appended to, relative to the root.
    pub files: Vec<String>,
    /// The commit made, when asked to commit.
    pub commit: Option<String>,
}

const GITIGNORE_BLOCK: &str = "# modelreg: the local artifact store and interrupted writes\n";
/// Line-ending filters must never touch signed bytes; scoped to the registry's own files.
const GITATTRIBUTES_BLOCK: &str = "# modelreg: signed files must reach git byte for byte\n/modelreg.toml* -text\n/.gitattributes -text\n/.modelreg/** -text\n/models/** -text\n";

/// `init`: makes the git repository at `start` a registry, with `key` as its one admin. Refuses a
/// repository that already is one; `modelreg.toml` is written last, so an interrupted init can be run again.
pub fn init(start: &Path, key: &SigningKey, options: InitOptions, now: Timestamp) -> Result<InitReport, Error> {
    let git = GitRepo::discover(start)?;
    let root = git.workdir().to_owned();
    // modelreg.toml is written last, so it alone marks a registry: the other files of an interrupted
    // init are simply written again.
    if root.join(CONFIG_FILE).exists() {
        return Err(RepoError::AlreadyInitialised(root).into());
    }
    let owner = match options.owner {
        Some(owner) => owner,
        None => git.author().map(|(_, email)| email)?,
    };
    // The branch init runs on becomes the registry branch the server protects.
    let branch = git.head_ref_name().and_then(|r| r.strip_prefix("refs/heads/").map(str::to_owned));
    let config = Config { branch: branch.filter(|b| crate::repo::config::is_branch_name(b)), ..Config::default() };
    let trust = Trust::genesis(key.public(), &owner, now);
    let config_bytes = config.to_bytes();
    let trust_bytes = trust.to_bytes();

    let mut written: Vec<PathBuf> = Vec::new();
    let mut write = |rel: String, bytes: &[u8]| -> Result<(), Error> {
        write_atomic(&root.join(&rel), bytes, true)?;
        written.push(PathBuf::from(rel));
        Ok(())
    };
    write(signature_file_name(CONFIG_FILE, key.id()), key.sign(&config_bytes).as_bytes())?;
    write(signature_file_name(TRUST_FILE, key.id()), key.sign(&trust_bytes).as_bytes())?;
    write(TRUST_FILE.into(), &trust_bytes)?;

    let mut ignored = vec!["/.modelreg/tmp/".to_owned()];
    if Path::new(&config.store.path).is_relative() {
        ignored.insert(0, format!("/{}/", config.store.path.trim_end_matches('/')));
    }
    append_lines(&root.join(".gitignore"), GITIGNORE_BLOCK, &ignored)?;
    written.push(".gitignore".into());
    append_lines(&root.join(GITATTRIBUTES), GITATTRIBUTES_BLOCK, &[])?;
    written.push(GITATTRIBUTES.into());
    // `.gitattributes` (and anything already under `.modelreg/`) changes what clones check out: the
    // founding admin signs their digests.
    let present = protected_files(&WorkTree::new(&root))
        .map_err(|e| RepoError::Io { path: root.join(PROTECTED_FILE), source: std::io::Error::other(e.to_string()) })?;
    if let Some((path, why)) = present.refused.first() {
        return Err(RepoError::Io { path: root.join(path), source: std::io::Error::other(why.clone()) }.into());
    }
    written.extend(present.files.keys().filter(|p| p.as_str() != GITATTRIBUTES).map(PathBuf::from));
    let manifest = Protected::new(present.files, None).to_bytes();
    let mut write = |rel: String, bytes: &[u8]| -> Result<(), Error> {
        write_atomic(&root.join(&rel), bytes, true)?;
        written.push(PathBuf::from(rel));
        Ok(())
    };
    write(signature_file_name(PROTECTED_FILE, key.id()), key.sign(&manifest).as_bytes())?;
    write(PROTECTED_FILE.into(), &manifest)?;
    // The config goes last: its presence is what marks the repository as a registry.
    write(CONFIG_FILE.into(), &config_bytes)?;

    let commit =
        if options.commit { Some(git.commit_paths(&written, "modelreg: initialise registry", now)?) } else { None };
    Ok(InitReport {
        root,
        admin_key: key.id().to_string(),
        owner,
        store: config.store.path,
        files: written.iter().map(|p| p.display().to_string()).collect(),
        commit,
    })
}

/// Appends a commented block to a text file unless its lines are already there.
fn append_lines(path: &Path, header: &str, lines: &[String]) -> Result<(), Error> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(super::io(path)(e)),
    };
    let mut block = String::from(header);
    for line in lines {
        block.push_str(line);
        block.push('\n');
    }
    let missing = block.lines().filter(|l| !l.starts_with('#')).any(|l| !existing.lines().any(|e| e.trim() == l));
    if !missing {
        return Ok(());
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&block);
    write_atomic(path, text.as_bytes(), true)?;
    Ok(())
}
