//! Where things live in a registry repository, and how file names encode records and signatures.
//!
//! ```text
//! modelreg.toml (+ modelreg.toml.<keyid>.sig)         configuration, signed by admins
//! .modelreg/trust.toml (+ .sig files)                 keys and roles, signed by admins
//! models/<name>/records/000001-register.toml          records, one per file, append-only
//! models/<name>/records/000001-register.toml.<keyid>.sig
//! models/<name>/README.md                             the rendered model card
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::snapshot::{Entry, EntryKind, join};
use crate::record::{KeyId, ModelName, RecordKind};

/// The registry's configuration, at the root; its presence marks a registry.
pub const CONFIG_FILE: &str = "modelreg.toml";
/// The trust file: which keys may sign what.
pub const TRUST_FILE: &str = ".modelreg/trust.toml";
/// The directory holding one directory per model.
pub const MODELS_DIR: &str = "models";
/// A model's records and their signatures, inside `models/<name>/`.
pub const RECORDS_DIR: &str = "records";
/// A model's rendered card, inside `models/<name>/`.
pub const CARD_FILE: &str = "README.md";
/// A model's hand-written card fields, inside `models/<name>/`.
pub const CARD_FIELDS_FILE: &str = "card.toml";

/// `<root>/models/<name>`.
pub(crate) fn model_dir(root: &Path, name: &ModelName) -> PathBuf {
    root.join(MODELS_DIR).join(name.as_str())
}

/// `<root>/models/<name>/records`: where a model's records are written.
pub fn records_dir(root: &Path, name: &ModelName) -> PathBuf {
    model_dir(root, name).join(RECORDS_DIR)
}

/// `000042-register.toml`: a record's sequence number and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordFileName {
    /// The record's position in its model's chain, from 1.
    pub seq: u64,
    /// The record's kind, as its schema line must name it.
    pub kind: RecordKind,
}

impl RecordFileName {
    /// Parses a record file name; `None` for anything else, including a seq spelled other than the one way
    /// [`Display`](fmt::Display) writes it (zero-padded to six digits), so one record has one possible name.
    pub fn parse(name: &str) -> Option<RecordFileName> {
        let stem = name.strip_suffix(".toml")?;
        let (digits, kind) = stem.split_once('-')?;
        if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let seq: u64 = digits.parse().ok()?;
        let name = RecordFileName { seq, kind: kind.parse().ok()? };
        // One spelling per seq: zero-padded to six digits, wider only when the number needs it.
        (seq > 0 && name.to_string() == format!("{stem}.toml")).then_some(name)
    }

    /// The detached signature file of this record by one key.
    pub fn signature(&self, key: &KeyId) -> String {
        signature_file_name(&self.to_string(), key)
    }
}

impl fmt::Display for RecordFileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}-{}.toml", self.seq, self.kind)
    }
}

/// `<file>.<keyid>.sig`: the detached signature of `signed_file` by one key.
pub(crate) fn signature_file_name(signed_file: &str, key: &KeyId) -> String {
    format!("{signed_file}.{key}.sig")
}

/// Splits `<file>.<keyid>.sig` into the signed file's name and the key id hint.
pub(crate) fn parse_signature_file_name(name: &str) -> Option<(&str, KeyId)> {
    let rest = name.strip_suffix(".sig")?;
    let (signed, key) = rest.rsplit_once('.')?;
    Some((signed, key.parse().ok()?))
}

/// The files of one model's `records/` directory, sorted and classified. Paths are root-relative.
#[derive(Debug, Default)]
pub(crate) struct RecordsDir {
    /// Record files with their paths, by seq.
    pub records: Vec<(RecordFileName, String)>,
    /// Signature files by the name of the file they sign.
    pub signatures: BTreeMap<String, Vec<(KeyId, String)>>,
    /// Regular files that are neither a record nor a signature.
    pub stray: Vec<String>,
    /// Symbolic links, directories, submodules: never allowed in records/.
    pub not_files: Vec<String>,
    /// Temp files of an interrupted atomic write (harmless; never committed by modelreg).
    pub interrupted: Vec<String>,
}

/// Prefix of the temp files that atomic writes rename into place.
pub(crate) const TEMP_PREFIX: &str = ".modelreg-tmp-";

impl RecordsDir {
    /// Sorts a `records/` listing (at snapshot path `dir`) into records, signatures and what should not be there.
    pub(crate) fn classify(dir: &str, entries: Vec<Entry>) -> RecordsDir {
        let mut out = RecordsDir::default();
        for entry in entries {
            let path = join(dir, &entry.name);
            let is_file = entry.kind == EntryKind::File;
            if !is_file {
                out.not_files.push(path);
            } else if !entry.utf8 {
                out.stray.push(path);
            } else if entry.name.starts_with(TEMP_PREFIX) {
                out.interrupted.push(path);
            } else if let Some(record) = RecordFileName::parse(&entry.name) {
                out.records.push((record, path));
            } else if let Some((signed, key)) = parse_signature_file_name(&entry.name) {
                out.signatures.entry(signed.to_owned()).or_default().push((key, path));
            } else {
                out.stray.push(path);
            }
        }
        out.records.sort();
        out.stray.sort();
        for sigs in out.signatures.values_mut() {
            sigs.sort();
        }
        out
    }

    /// The signatures (key id hint, path) of one record file, by its file name.
    pub(crate) fn signatures_of(&self, record_file: &str) -> &[(KeyId, String)] {
        self.signatures.get(record_file).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// `models/<name>/records`, as a snapshot path.
pub(crate) fn records_rel(name: &ModelName) -> String {
    format!("{MODELS_DIR}/{name}/{RECORDS_DIR}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip() {
        let name = RecordFileName::parse("000042-register.toml").unwrap();
        assert_eq!(name.seq, 42);
        assert_eq!(name.to_string(), "000042-register.toml");
        assert_eq!(RecordFileName::parse("1234567-register.toml").map(|n| n.seq), Some(1_234_567));
        for bad in [
            "42-register.toml",
            "000000-register.toml",
            "000001-delete.toml",
            "000001-register.tom",
            "0000042-register.toml",
        ] {
            assert!(RecordFileName::parse(bad).is_none(), "{bad}");
        }
        let key: KeyId = "0123456789abcdef".parse().unwrap();
        let sig = name.signature(&key);
        assert_eq!(parse_signature_file_name(&sig), Some(("000042-register.toml", key)));
    }
}
