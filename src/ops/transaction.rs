//! The one write path: every command that changes the registry goes through a [`Transaction`].
//!
//! In the spirit of jj's `Transaction`: it owns the per-clone write lock, the model's verified state and
//! chain tip (read once, under the lock), and every file it writes. [`Transaction::append`] judges a
//! record by the rule engine (`policy`: the signer's role, the lifecycle rules with the configured
//! stages and gates) before it signs and writes it, and applies it to the state in memory;
//! [`Transaction::commit`] renders the model card from that state, and commits records, signatures,
//! card and any admin files together in one git commit (or leaves them in the working tree for
//! `--no-commit`). Dropped without a commit — an error, a refused rule, a panic — it takes back every
//! file it wrote and restores every file it replaced, so a failed command leaves the repository as it
//! found it.
//!
//! Invariants: the lock is held from [`Transaction::begin`] until the transaction is dropped; the state
//! always equals what `policy::load_model` would read back from the working tree; a signature is
//! written before its record (an interruption leaves at worst an orphaned signature, never an unsigned
//! record).

use std::path::{Path, PathBuf};

use super::Error;
use crate::card::{self, Templates};
use crate::policy::lifecycle::judge;
use crate::policy::rules::{may_sign, publishing_role};
use crate::policy::{Judge, LoadError, RuleId, load_model};
use crate::record::{Digest, KeyId, ModelName, Record, Timestamp};
use crate::repo::layout::{self, RecordFileName};
use crate::repo::{Registry, WriteLock, write_atomic};
use crate::sign::{PublicKey, Role, SigningKey};
use crate::state::{LoadedRecord, ModelHistory, ModelState};

/// The fields every record starts with, filled in from the chain and the signing key.
pub struct Header {
    /// The model the record belongs to.
    pub model: ModelName,
    /// The record's place in the model's chain.
    pub seq: u64,
    /// The digest of the record before it.
    pub previous: Option<Digest>,
    /// When the transaction began.
    pub created_at: Timestamp,
    /// `Name <email>` from git's configuration.
    pub author: String,
    /// The signing key's id.
    pub signer: KeyId,
}

/// One model's chain inside a transaction.
struct Chain {
    history: ModelHistory,
    state: ModelState,
}

/// See the module docs.
pub struct Transaction<'r> {
    registry: &'r Registry,
    lock: WriteLock,
    now: Timestamp,
    chain: Option<Chain>,
    /// Files this transaction created, root-relative: removed on rollback.
    created: Vec<PathBuf>,
    /// Files committed as they are (written before the transaction, e.g. an edited configuration).
    included: Vec<PathBuf>,
    /// Files this transaction overwrote, with their bytes before (`None`: did not exist): restored on
    /// rollback.
    replaced: Vec<(PathBuf, Option<Vec<u8>>)>,
    finished: bool,
}

/// What [`Transaction::append`] wrote.
#[derive(Debug, Clone)]
pub struct Appended {
    /// The record's path, root-relative and `/`-separated.
    pub record_path: String,
    /// The blake3 digest of the record's bytes.
    pub digest: Digest,
}

impl<'r> Transaction<'r> {
    /// Takes the write lock (waiting for another modelreg command in this clone to finish). Every
    /// record of the transaction is dated, and every key's expiry judged, at the registry's `now`.
    pub fn begin(registry: &'r Registry) -> Result<Transaction<'r>, Error> {
        let lock = registry.lock()?;
        Ok(Transaction {
            registry,
            lock,
            now: registry.now(),
            chain: None,
            created: Vec::new(),
            included: Vec::new(),
            replaced: Vec::new(),
            finished: false,
        })
    }

    /// Begins a transaction on one model's chain, read and verified once under the lock. A model with
    /// no records starts an empty chain when `may_be_new` (a first registration); otherwise it is an
    /// error.
    pub fn on_model(registry: &'r Registry, name: &ModelName, may_be_new: bool) -> Result<Transaction<'r>, Error> {
        let mut tx = Transaction::begin(registry)?;
        let history = match load_model(&registry.worktree(), name, Judge::all(registry.trust())) {
            Ok(history) => history,
            Err(LoadError::UnknownModel(_)) if may_be_new => ModelHistory { name: name.clone(), records: Vec::new() },
            Err(e) => return Err(e.into()),
        };
        let state = ModelState::replay(history.clone());
        tx.chain = Some(Chain { history, state });
        Ok(tx)
    }

    /// The registry written to.
    pub fn registry(&self) -> &'r Registry {
        self.registry
    }

    /// The time the transaction is judged and dated at.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The model's state, with every record appended so far applied.
    pub fn state(&self) -> &ModelState {
        &self.chain().state
    }

    fn chain(&self) -> &Chain {
        self.chain.as_ref().expect("a chain transaction (begun with Transaction::on_model)")
    }

    /// The chain header for the next record, signed by `key`.
    pub fn header(&self, key: &SigningKey) -> Result<Header, Error> {
        let chain = self.chain();
        next_header(self.registry, &chain.history, &chain.state, self.now, key)
    }

    /// Judges `record` as the chain's next record, signed by `key`, without writing anything: the
    /// signer's role and the lifecycle rules with the registry's configured stages and gates. A dry run
    /// stops here.
    pub fn judge(&self, key: &SigningKey, record: &Record) -> Result<(), Error> {
        may_sign(self.registry.trust(), key.public(), &publishing_role(record), self.now)?;
        refuse_violations(self.state(), record, self.registry)
    }

    /// Judges, signs and writes `record`, and applies it to the state.
    pub fn append(&mut self, key: &SigningKey, record: Record) -> Result<Appended, Error> {
        self.judge(key, &record)?;
        let (digest, written) = self.registry.append_record(&self.lock, &record, key)?;
        let record_path = path_text(&written[1]);
        self.created.extend(written);
        let approvers = match &record {
            Record::Promote(p) => self.holding(key.public(), &Role::Approver(p.stage.clone())),
            _ => Vec::new(),
        };
        let loaded = LoadedRecord {
            file: RecordFileName { seq: record.seq(), kind: record.kind() },
            relative_path: record_path.clone(),
            digest,
            record,
            signers: vec![key.public().clone()],
            approvers,
        };
        let chain = self.chain.as_mut().expect("a chain transaction");
        chain.history.records.push(loaded.clone());
        chain.state.apply(loaded);
        Ok(Appended { record_path, digest })
    }

    /// Adds `key`'s detached signature to the committed or written record at `record_path` (an
    /// approval): one new file beside it, the record untouched. The state is replayed with the new
    /// signer counted where the rule engine would count it.
    pub fn cosign(&mut self, key: &SigningKey, record_path: &str) -> Result<PathBuf, Error> {
        let signature = self.registry.cosign_record(&self.lock, record_path, key)?;
        self.created.push(signature.clone());
        // Read back from disk: signatures are ordered by key id there, and the card lists approvals
        // in that order, so the state must be exactly what the rule engine reads.
        let name = self.chain().state.name.clone();
        let history = load_model(&self.registry.worktree(), &name, Judge::all(self.registry.trust()))?;
        let chain = self.chain.as_mut().expect("a chain transaction");
        chain.state = ModelState::replay(history.clone());
        chain.history = history;
        Ok(signature)
    }

    /// Writes `bytes` to the root-relative `path` atomically, remembering what was there for rollback
    /// (for the admin files: trust, configuration and their signatures).
    pub fn write_file(&mut self, path: &Path, bytes: &[u8]) -> Result<(), Error> {
        let full = self.registry.root().join(path);
        let before = read_optional(&full)?;
        write_atomic(&full, bytes, true)?;
        self.replaced.push((path.to_owned(), before));
        Ok(())
    }

    /// Removes the root-relative `path`, remembering its bytes for rollback.
    pub fn remove_file(&mut self, path: &Path) -> Result<(), Error> {
        let full = self.registry.root().join(path);
        let before = read_optional(&full)?;
        std::fs::remove_file(&full).map_err(super::io(&full))?;
        self.replaced.push((path.to_owned(), before));
        Ok(())
    }

    /// Commits the root-relative `path` as it is in the working tree (a file the user edited, such as
    /// `modelreg.toml` before an admin signs it).
    pub fn include(&mut self, path: &Path) {
        self.included.push(path.to_owned());
    }

    /// Finishes the transaction: renders the model's card from the state (a chain transaction), then
    /// with a `message` commits everything written — plus the model's earlier uncommitted records, which
    /// the new ones chain onto — in one commit and returns its id; without one, leaves the files in the
    /// working tree. On any error everything is rolled back.
    pub fn commit(mut self, message: Option<&str>) -> Result<Option<String>, Error> {
        let mut paths: Vec<PathBuf> = Vec::new();
        if let Some(chain) = &self.chain
            && !chain.history.records.is_empty()
        {
            let name = chain.state.name.clone();
            let card = self.render_card()?;
            let card_path = PathBuf::from(layout::MODELS_DIR).join(name.as_str()).join(layout::CARD_FILE);
            self.write_file(&card_path, card.as_bytes())?;
            if message.is_some() {
                paths.extend(self.registry.uncommitted_records(&name)?);
            }
        }
        let Some(message) = message else {
            self.finished = true;
            return Ok(None);
        };
        for path in self.created.iter().chain(&self.included).chain(self.replaced.iter().map(|(p, _)| p)) {
            if !paths.contains(path) {
                paths.push(path.clone());
            }
        }
        paths.sort();
        let id = self.registry.commit(&paths, message, self.now)?;
        self.finished = true;
        Ok(Some(id))
    }

    fn render_card(&self) -> Result<String, Error> {
        let worktree = self.registry.worktree();
        let templates: std::sync::Arc<Templates> = Templates::for_snapshot(&worktree)?;
        Ok(card::render_card(&worktree, self.state(), self.registry.trust(), &templates)?)
    }

    /// `key` itself when it holds `role` (its signature on a promotion is then also an approval).
    pub(crate) fn holding(&self, key: &PublicKey, role: &Role) -> Vec<PublicKey> {
        let holds = self.registry.trust().key(key.raw()).is_some_and(|k| k.has_role(role));
        if holds { vec![key.clone()] } else { Vec::new() }
    }

    fn rollback(&mut self) {
        let root = self.registry.root();
        for path in self.created.iter().rev() {
            let _ = std::fs::remove_file(root.join(path));
        }
        for (path, before) in self.replaced.iter().rev() {
            let full = root.join(path);
            let _ = match before {
                Some(bytes) => write_atomic(&full, bytes, true).map_err(|_| ()),
                None => std::fs::remove_file(&full).map_err(|_| ()),
            };
        }
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.rollback();
        }
    }
}

/// Turns the rule engine's verdict on a record about to be written into the command's error.
fn refuse_violations(state: &ModelState, record: &Record, registry: &Registry) -> Result<(), Error> {
    let violations = judge(state, record, Some(&registry.config().lifecycle));
    let (gates, others): (Vec<_>, Vec<_>) = violations.into_iter().partition(|v| v.rule == RuleId::Gate);
    let subject = match record.subject() {
        Some((version, _)) => format!("{} v{version}", state.name),
        None => state.name.to_string(),
    };
    if let Some(first) = others.into_iter().next() {
        let why = if first.subject.as_deref() == Some(subject.as_str()) { first.reason } else { first.message };
        return Err(Error::Refused { subject: format!("cannot {} {subject}", record.kind()), why, hint: first.hint });
    }
    if let (false, Record::Promote(promote)) = (gates.is_empty(), record) {
        let failures = gates.into_iter().map(|v| if v.gate.is_some() { v.reason } else { v.message }).collect();
        return Err(Error::GatesNotMet {
            model: state.name.clone(),
            version: promote.version,
            stage: promote.stage.clone(),
            failures,
        });
    }
    Ok(())
}

fn next_header(
    registry: &Registry,
    history: &ModelHistory,
    state: &ModelState,
    now: Timestamp,
    key: &SigningKey,
) -> Result<Header, Error> {
    let tip = history.tip();
    let (author_name, author_email) = registry.git().author()?;
    Ok(Header {
        model: state.name.clone(),
        seq: tip.map_or(1, |(seq, _)| seq + 1),
        previous: tip.map(|(_, digest)| digest),
        created_at: now,
        author: format!("{author_name} <{author_email}>"),
        signer: key.id().clone(),
    })
}

/// A look at one model's chain without the write lock: what a dry run judges, and what a
/// registration checks before its slow part (hashing, uploading) so a refused one fails fast. What it
/// says may be stale once another command writes: the [`Transaction`] that follows judges again.
pub struct Preview<'r> {
    registry: &'r Registry,
    now: Timestamp,
    chain: Chain,
}

impl<'r> Preview<'r> {
    /// Reads and verifies the model's chain (an empty one for a new model when `may_be_new`).
    pub fn on_model(registry: &'r Registry, name: &ModelName, may_be_new: bool) -> Result<Preview<'r>, Error> {
        let history = match load_model(&registry.worktree(), name, Judge::all(registry.trust())) {
            Ok(history) => history,
            Err(LoadError::UnknownModel(_)) if may_be_new => ModelHistory { name: name.clone(), records: Vec::new() },
            Err(e) => return Err(e.into()),
        };
        let state = ModelState::replay(history.clone());
        Ok(Preview { registry, now: registry.now(), chain: Chain { history, state } })
    }

    /// The model's state as read.
    pub fn state(&self) -> &ModelState {
        &self.chain.state
    }

    /// The chain header the next record would have, signed by `key`.
    pub fn header(&self, key: &SigningKey) -> Result<Header, Error> {
        next_header(self.registry, &self.chain.history, &self.chain.state, self.now, key)
    }

    /// Judges `record` as the chain's next record exactly as [`Transaction::judge`] does.
    pub fn judge(&self, key: &SigningKey, record: &Record) -> Result<(), Error> {
        may_sign(self.registry.trust(), key.public(), &publishing_role(record), self.now)?;
        refuse_violations(self.state(), record, self.registry)
    }
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(super::io(path)(e)),
    }
}
