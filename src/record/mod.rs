//! Records: the append-only TOML files that are everything the registry knows.
//!
//! Invariants this module keeps:
//! - A record's identity is the blake3 digest of its exact bytes ([`Digest::of_bytes`]); nothing here
//!   re-serialises a record to hash or verify it.
//! - Parsing is strict and bounded: a size cap first, then the first line must name a known schema
//!   (`schema = "modelreg/<kind>/v1"`), so the kind is known before any TOML is parsed; then a strict
//!   schema (`deny_unknown_fields`) whose errors carry a line and column.
//! - Cross-field rules (the chain header, unique artifact paths, finite metrics) are checked here, once,
//!   so a parsed [`Record`] is a valid one.

mod digest;
mod drift;
mod gates;
mod lifecycle;
mod name;
mod register;

use std::fmt;
use std::str::FromStr;

pub use digest::{Digest, DigestParseError};
pub use drift::DriftRecord;
pub use gates::{Comparison, Gates, Requirement, Span};
pub use lifecycle::{ArchiveRecord, DemoteRecord, DeploymentRecord, PromoteRecord, TagRecord};
pub use name::{ArtifactPath, KeyId, MetaKey, ModelName, NameError, Stage, Timestamp, Version};
pub use register::{
    Artifact, CodeRef, DatasetRef, FORMAT_SNIFF_BYTES, Lineage, Metric, ParentRef, RegisterRecord, derive_format,
    format_loads_code, format_of as artifact_format, format_of_bytes,
};

/// Records are small; anything larger is refused before it is parsed.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// The kind of a record, named by its schema line (`modelreg/<kind>/v1`) and its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    /// A version of a model: `modelreg/register/v1`.
    Register,
    /// A drift report about one version: `modelreg/drift/v1`.
    Drift,
    /// A proposal that a version hold a stage: `modelreg/promote/v1`.
    Promote,
    /// A version leaving a stage: `modelreg/demote/v1`.
    Demote,
    /// A version, or the whole model, retired: `modelreg/archive/v1`.
    Archive,
    /// An archived version or model brought back: `modelreg/restore/v1`.
    Restore,
    /// A version serving in an environment: `modelreg/deploy/v1`.
    Deploy,
    /// A version no longer serving in an environment: `modelreg/undeploy/v1`.
    Undeploy,
    /// A change to a version's current tags: `modelreg/tag/v1`.
    Tag,
}

impl RecordKind {
    /// Every kind, in the order of this enum.
    pub const ALL: [RecordKind; 9] = [
        RecordKind::Register,
        RecordKind::Drift,
        RecordKind::Promote,
        RecordKind::Demote,
        RecordKind::Archive,
        RecordKind::Restore,
        RecordKind::Deploy,
        RecordKind::Undeploy,
        RecordKind::Tag,
    ];

    /// The kind as it appears in file names (`000002-promote.toml`) and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Register => "register",
            RecordKind::Drift => "drift",
            RecordKind::Promote => "promote",
            RecordKind::Demote => "demote",
            RecordKind::Archive => "archive",
            RecordKind::Restore => "restore",
            RecordKind::Deploy => "deploy",
            RecordKind::Undeploy => "undeploy",
            RecordKind::Tag => "tag",
        }
    }

    /// The schema line's value for this kind, e.g. `modelreg/register/v1`.
    pub fn schema(self) -> &'static str {
        match self {
            RecordKind::Register => "modelreg/register/v1",
            RecordKind::Drift => "modelreg/drift/v1",
            RecordKind::Promote => "modelreg/promote/v1",
            RecordKind::Demote => "modelreg/demote/v1",
            RecordKind::Archive => "modelreg/archive/v1",
            RecordKind::Restore => "modelreg/restore/v1",
            RecordKind::Deploy => "modelreg/deploy/v1",
            RecordKind::Undeploy => "modelreg/undeploy/v1",
            RecordKind::Tag => "modelreg/tag/v1",
        }
    }

    fn from_schema(schema: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.schema() == schema)
    }
}

impl FromStr for RecordKind {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == text).ok_or(())
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why bytes are not a valid record (or another strictly parsed file: trust, configuration, card fields).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    /// The file is over [`MAX_RECORD_BYTES`]; it was not read as text.
    #[error("record is {size} bytes, over the {MAX_RECORD_BYTES}-byte limit")]
    TooLarge {
        /// The file's size in bytes.
        size: usize,
    },
    /// The bytes are not UTF-8.
    #[error("record is not valid UTF-8")]
    NotUtf8,
    /// The first line is not `schema = "modelreg/<kind>/v1"`.
    #[error("line 1: a record must start with `schema = \"modelreg/<kind>/v1\"`")]
    MissingSchemaLine,
    /// The schema line names no known kind (or the wrong kind for the record's fields).
    #[error("line 1: unknown schema `{0}`")]
    UnknownSchema(String),
    #[error("line {line}, column {column}: {message}")]
    /// The TOML does not parse into the record's strict schema.
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error, in bytes.
        column: usize,
        /// The parser's message, trimmed.
        message: String,
    },
    /// The record parses but breaks a cross-field rule (the chain header, unique artifact paths, finite metrics…).
    #[error("{0}")]
    Invalid(String),
}

/// A parsed, validated record of any kind. Archive and restore share a shape, as do deploy and undeploy;
/// the variant (and the schema line) says which it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A version of a model.
    Register(Box<RegisterRecord>),
    /// A drift report about a version.
    Drift(Box<DriftRecord>),
    /// A promotion (a proposal until its approvals are in).
    Promote(Box<PromoteRecord>),
    /// A version leaving a stage.
    Demote(Box<DemoteRecord>),
    /// An archive of a version or of the whole model.
    Archive(Box<ArchiveRecord>),
    /// A restore of an archived version or model (the same fields as an archive).
    Restore(Box<ArchiveRecord>),
    /// A deployment of a version to an environment.
    Deploy(Box<DeploymentRecord>),
    /// The end of a deployment (the same fields as a deployment).
    Undeploy(Box<DeploymentRecord>),
    /// A change to a version's tags.
    Tag(Box<TagRecord>),
}

/// Runs `$body` with `$r` bound to the record struct of whichever variant `$record` is.
macro_rules! each_record {
    ($record:expr, $r:ident => $body:expr) => {
        match $record {
            Record::Register($r) => $body,
            Record::Drift($r) => $body,
            Record::Promote($r) => $body,
            Record::Demote($r) => $body,
            Record::Archive($r) | Record::Restore($r) => $body,
            Record::Deploy($r) | Record::Undeploy($r) => $body,
            Record::Tag($r) => $body,
        }
    };
}

impl Record {
    /// Parses record bytes with every bound and check in this module's contract.
    pub fn parse(bytes: &[u8]) -> Result<Record, RecordError> {
        if bytes.len() > MAX_RECORD_BYTES {
            return Err(RecordError::TooLarge { size: bytes.len() });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| RecordError::NotUtf8)?;
        let kind = kind_from_first_line(text)?;
        let record = match kind {
            RecordKind::Register => Record::Register(Box::new(from_toml(text)?)),
            RecordKind::Drift => Record::Drift(Box::new(from_toml(text)?)),
            RecordKind::Promote => Record::Promote(Box::new(from_toml(text)?)),
            RecordKind::Demote => Record::Demote(Box::new(from_toml(text)?)),
            RecordKind::Archive => Record::Archive(Box::new(from_toml(text)?)),
            RecordKind::Restore => Record::Restore(Box::new(from_toml(text)?)),
            RecordKind::Deploy => Record::Deploy(Box::new(from_toml(text)?)),
            RecordKind::Undeploy => Record::Undeploy(Box::new(from_toml(text)?)),
            RecordKind::Tag => Record::Tag(Box::new(from_toml(text)?)),
        };
        record.validate()?;
        Ok(record)
    }

    /// Serialises a new record. Only used when writing; verification always works on stored bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let text = each_record!(self, r => toml::to_string(r.as_ref()));
        // Serialising our own plain structs cannot fail: no maps with non-string keys, no NaN (validated).
        text.expect("records serialise to TOML").into_bytes()
    }

    /// The record's kind, as its schema line names it.
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Register(_) => RecordKind::Register,
            Record::Drift(_) => RecordKind::Drift,
            Record::Promote(_) => RecordKind::Promote,
            Record::Demote(_) => RecordKind::Demote,
            Record::Archive(_) => RecordKind::Archive,
            Record::Restore(_) => RecordKind::Restore,
            Record::Deploy(_) => RecordKind::Deploy,
            Record::Undeploy(_) => RecordKind::Undeploy,
            Record::Tag(_) => RecordKind::Tag,
        }
    }

    /// The model the record belongs to (always its directory's name once the chain is judged).
    pub fn model(&self) -> &ModelName {
        each_record!(self, r => &r.model)
    }

    /// Position in the model's chain, from 1.
    pub fn seq(&self) -> u64 {
        each_record!(self, r => r.seq)
    }

    /// Digest of the model's record `seq - 1`; `None` exactly for `seq = 1`.
    pub fn previous(&self) -> Option<&Digest> {
        each_record!(self, r => r.previous.as_ref())
    }

    /// When the record was written (informational: expiry is judged at signing and push time).
    pub fn created_at(&self) -> Timestamp {
        each_record!(self, r => r.created_at)
    }

    /// The git author who wrote the record, `Name <email>`.
    pub fn author(&self) -> &str {
        each_record!(self, r => &r.author)
    }

    /// The key the record names as its publisher (checked against the signatures).
    pub fn signer(&self) -> &KeyId {
        each_record!(self, r => &r.signer)
    }

    /// The version a record is about, pinned by its register record's digest (`None` for a register
    /// record, which *is* the version, and for an archive or restore of the whole model).
    pub fn subject(&self) -> Option<(Version, Digest)> {
        match self {
            Record::Register(_) => None,
            Record::Drift(r) => Some((r.version, r.version_record)),
            Record::Promote(r) => Some((r.version, r.version_record)),
            Record::Demote(r) => Some((r.version, r.version_record)),
            Record::Archive(r) | Record::Restore(r) => r.version.zip(r.version_record),
            Record::Deploy(r) | Record::Undeploy(r) => Some((r.version, r.version_record)),
            Record::Tag(r) => Some((r.version, r.version_record)),
        }
    }

    /// Why the record was written, when it says.
    pub fn message(&self) -> Option<&str> {
        match self {
            Record::Register(r) => r.message.as_deref(),
            Record::Drift(_) => None,
            Record::Promote(r) => r.message.as_deref(),
            Record::Demote(r) => r.message.as_deref(),
            Record::Archive(r) | Record::Restore(r) => Some(&r.message),
            Record::Deploy(r) | Record::Undeploy(r) => r.message.as_deref(),
            Record::Tag(r) => r.message.as_deref(),
        }
    }

    /// Points a record about a version at that version under a new number and record digest (what
    /// `sync` does when the version it is about was renumbered).
    pub fn retarget(&mut self, version: Version, version_record: Digest) {
        match self {
            Record::Register(_) => {}
            Record::Drift(r) => (r.version, r.version_record) = (version, version_record),
            Record::Promote(r) => (r.version, r.version_record) = (version, version_record),
            Record::Demote(r) => (r.version, r.version_record) = (version, version_record),
            Record::Archive(r) | Record::Restore(r) => {
                if r.version.is_some() {
                    (r.version, r.version_record) = (Some(version), Some(version_record));
                }
            }
            Record::Deploy(r) | Record::Undeploy(r) => (r.version, r.version_record) = (version, version_record),
            Record::Tag(r) => (r.version, r.version_record) = (version, version_record),
        }
    }

    /// Moves the record to another place in its model's chain, written now and published by another
    /// key (what `sync` does when it replays local records on top of the remote's: records are dated in
    /// chain order).
    pub fn rechain(&mut self, seq: u64, previous: Option<Digest>, signer: KeyId, created_at: Timestamp) {
        each_record!(self, r => (r.seq, r.previous, r.signer, r.created_at) = (seq, previous, signer, created_at))
    }

    fn validate(&self) -> Result<(), RecordError> {
        let schema = each_record!(self, r => &r.schema);
        if schema != self.kind().schema() {
            return Err(RecordError::UnknownSchema(schema.clone()));
        }
        match (self.seq(), self.previous()) {
            (0, _) => return Err(RecordError::Invalid("`seq` starts at 1".into())),
            (1, Some(_)) => {
                return Err(RecordError::Invalid("the first record (seq 1) has no `previous`".into()));
            }
            (seq, None) if seq > 1 => {
                return Err(RecordError::Invalid(format!("record seq {seq} must name its predecessor in `previous`")));
            }
            _ => {}
        }
        if self.kind() != RecordKind::Register && self.seq() == 1 {
            return Err(RecordError::Invalid("a model's first record registers its first version".into()));
        }
        let checked = match self {
            Record::Register(r) => r.validate(),
            Record::Drift(r) => r.validate(),
            Record::Promote(r) => r.validate(),
            Record::Demote(_) => Ok(()),
            Record::Archive(r) | Record::Restore(r) => r.validate(),
            Record::Deploy(r) | Record::Undeploy(r) => r.validate(),
            Record::Tag(r) => r.validate(),
        };
        checked.map_err(RecordError::Invalid)
    }
}

fn kind_from_first_line(text: &str) -> Result<RecordKind, RecordError> {
    let first = text.lines().next().unwrap_or("");
    let schema = first
        .strip_prefix("schema = \"")
        .and_then(|rest| rest.strip_suffix('"'))
        .ok_or(RecordError::MissingSchemaLine)?;
    RecordKind::from_schema(schema).ok_or_else(|| RecordError::UnknownSchema(schema.to_owned()))
}

/// Strict TOML deserialisation with the error located by line and column.
pub(crate) fn from_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, RecordError> {
    toml::from_str(text).map_err(|err| {
        let (line, column) = err.span().map(|span| line_column(text, span.start)).unwrap_or((1, 1));
        RecordError::Syntax { line, column, message: err.message().trim().to_owned() }
    })
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
