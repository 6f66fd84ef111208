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
mod name;
mod register;

use std::fmt;
use std::str::FromStr;

pub use digest::{Digest, DigestParseError};
pub use drift::DriftRecord;
pub use name::{ArtifactPath, KeyId, MetaKey, ModelName, NameError, Stage, Timestamp, Version};
pub use register::{
    Artifact, CodeRef, DatasetRef, Lineage, Metric, ParentRef, RegisterRecord, format_of as artifact_format,
};

/// Records are small; anything larger is refused before it is parsed.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    Register,
    Drift,
}

impl RecordKind {
    pub const ALL: [RecordKind; 2] = [RecordKind::Register, RecordKind::Drift];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Register => "register",
            RecordKind::Drift => "drift",
        }
    }

    pub fn schema(self) -> &'static str {
        match self {
            RecordKind::Register => "modelreg/register/v1",
            RecordKind::Drift => "modelreg/drift/v1",
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

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    #[error("record is {size} bytes, over the {MAX_RECORD_BYTES}-byte limit")]
    TooLarge { size: usize },
    #[error("record is not valid UTF-8")]
    NotUtf8,
    #[error("line 1: a record must start with `schema = \"modelreg/<kind>/v1\"`")]
    MissingSchemaLine,
    #[error("line 1: unknown schema `{0}`")]
    UnknownSchema(String),
    #[error("line {line}, column {column}: {message}")]
    Syntax { line: usize, column: usize, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// A parsed, validated record of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Register(Box<RegisterRecord>),
    Drift(Box<DriftRecord>),
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
        };
        record.validate()?;
        Ok(record)
    }

    /// Serialises a new record. Only used when writing; verification always works on stored bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let text = match self {
            Record::Register(r) => toml::to_string(r.as_ref()),
            Record::Drift(r) => toml::to_string(r.as_ref()),
        };
        // Serialising our own plain structs cannot fail: no maps with non-string keys, no NaN (validated).
        text.expect("records serialise to TOML").into_bytes()
    }

    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Register(_) => RecordKind::Register,
            Record::Drift(_) => RecordKind::Drift,
        }
    }

    pub fn model(&self) -> &ModelName {
        match self {
            Record::Register(r) => &r.model,
            Record::Drift(r) => &r.model,
        }
    }

    pub fn seq(&self) -> u64 {
        match self {
            Record::Register(r) => r.seq,
            Record::Drift(r) => r.seq,
        }
    }

    pub fn previous(&self) -> Option<&Digest> {
        match self {
            Record::Register(r) => r.previous.as_ref(),
            Record::Drift(r) => r.previous.as_ref(),
        }
    }

    pub fn created_at(&self) -> Timestamp {
        match self {
            Record::Register(r) => r.created_at,
            Record::Drift(r) => r.created_at,
        }
    }

    /// The key the record names as its publisher (checked against the signatures).
    pub fn signer(&self) -> &KeyId {
        match self {
            Record::Register(r) => &r.signer,
            Record::Drift(r) => &r.signer,
        }
    }

    /// Moves the record to another place in its model's chain, published by another key (what `sync`
    /// does when it replays local records on top of the remote's).
    pub fn rechain(&mut self, seq: u64, previous: Option<Digest>, signer: KeyId) {
        match self {
            Record::Register(r) => (r.seq, r.previous, r.signer) = (seq, previous, signer),
            Record::Drift(r) => (r.seq, r.previous, r.signer) = (seq, previous, signer),
        }
    }

    fn validate(&self) -> Result<(), RecordError> {
        let schema = match self {
            Record::Register(r) => &r.schema,
            Record::Drift(r) => &r.schema,
        };
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
        match self {
            Record::Register(r) => r.validate().map_err(RecordError::Invalid),
            Record::Drift(r) => r.validate().map_err(RecordError::Invalid),
        }
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
