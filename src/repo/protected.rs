//! `.modelreg/protected.toml`: the digests of the files outside `models/` that change what every
//! clone reads or checks out, signed by admins like `modelreg.toml`.
//!
//! Two kinds of file do that without being records: `.gitattributes` (a line-ending filter such as
//! `* text eol=crlf` rewrites every signed byte in fresh clones) and what the registry reads from
//! `.modelreg/` besides trust (the card templates rewrite every model card). Rather than one signature
//! per file (a deleted file leaves nothing to sign), admins sign one manifest listing every such file
//! with its digest: adding, changing or deleting one changes the manifest, and so needs admins.
//!
//! Which paths are protected is decided here, once, by [`is_protected`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::layout::{self, CONFIG_FILE, TRUST_FILE};
use super::snapshot::{EntryKind, ReadError, Snapshot, join};
use crate::record::{Digest, MAX_RECORD_BYTES, RecordError, from_toml};

/// The manifest's path, relative to the registry root.
pub const PROTECTED_FILE: &str = ".modelreg/protected.toml";
/// The manifest's schema.
pub const PROTECTED_SCHEMA: &str = "modelreg/protected/v1";
/// The directory whose files (other than trust, the manifest, their signatures, and the git-ignored
/// `tmp/` and `objects/`) are protected.
pub const REGISTRY_DIR: &str = ".modelreg";
/// The root `.gitattributes`.
pub const GITATTRIBUTES: &str = ".gitattributes";
/// At most this many protected files are read (a registry has a handful).
pub const MAX_PROTECTED_FILES: usize = 256;

/// The manifest: each protected file's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protected {
    schema: String,
    /// The digest of the manifest this one replaces: so a manifest never repeats earlier bytes (whose
    /// old signatures would then verify again) even when the files go back to an earlier state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Digest>,
    /// Root-relative path → digest of the file's bytes as git holds them.
    #[serde(default)]
    pub files: BTreeMap<String, Digest>,
}

impl Protected {
    /// A manifest listing `files`, replacing the manifest whose digest is `previous` (if any).
    pub fn new(files: BTreeMap<String, Digest>, previous: Option<Digest>) -> Protected {
        Protected { schema: PROTECTED_SCHEMA.into(), previous, files }
    }

    /// Parses a manifest: strict schema, and only paths that [`is_protected`] names.
    pub fn parse(bytes: &[u8]) -> Result<Protected, RecordError> {
        if bytes.len() > MAX_RECORD_BYTES {
            return Err(RecordError::TooLarge { size: bytes.len() });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| RecordError::NotUtf8)?;
        let manifest: Protected = from_toml(text)?;
        if manifest.schema != PROTECTED_SCHEMA {
            return Err(RecordError::UnknownSchema(manifest.schema));
        }
        if let Some(path) = manifest.files.keys().find(|p| !is_protected(p)) {
            return Err(RecordError::Invalid(format!("files: `{path}` is not a protected path")));
        }
        Ok(manifest)
    }

    /// The manifest's bytes, as `config sign --files` writes them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = toml::to_string(self).expect("manifest serialises");
        format!(
            "# Digests of the files that change what every clone reads or checks out, signed by admins.\n\
             # Written by `modelreg config sign --files`: edit those files, then sign again.\n{body}"
        )
        .into_bytes()
    }
}

/// Is `path` (root-relative, `/`-separated) a file the manifest must cover? The root `.gitattributes`,
/// and every file under `.modelreg/` except trust, the manifest, their signatures, and the git-ignored
/// `tmp/` and `objects/` (temp files and the default local store).
pub fn is_protected(path: &str) -> bool {
    // A case-insensitive clone (macOS, Windows) reads `.GitAttributes` as `.gitattributes`, and
    // `.MODELREG/` as `.modelreg/`: such spellings are protected whole (the layout rule refuses them too).
    let (top, _) = path.split_once('/').unwrap_or((path, ""));
    if path.eq_ignore_ascii_case(GITATTRIBUTES) || (top.eq_ignore_ascii_case(REGISTRY_DIR) && top != REGISTRY_DIR) {
        return !path.ends_with('/');
    }
    let Some(inner) = path.strip_prefix(REGISTRY_DIR).and_then(|p| p.strip_prefix('/')) else { return false };
    match inner.split_once('/') {
        Some((dir, rest)) => !rest.is_empty() && dir != "tmp" && dir != "objects",
        None => !is_admin_signed_name(inner),
    }
}

/// Trust, the manifest and their signature files, by their name in `.modelreg/`.
fn is_admin_signed_name(name: &str) -> bool {
    let signed = layout::parse_signature_file_name(name).map_or(name, |(signed, _)| signed);
    [TRUST_FILE, PROTECTED_FILE].iter().any(|file| file.strip_prefix(".modelreg/") == Some(signed))
}

/// Is `path` one of the files admins sign (configuration, trust, the manifest, or a signature of one),
/// or a file the manifest covers? A change to any of them is judged by the admins before it.
pub fn is_admin_path(path: &str) -> bool {
    let (dir, name) = super::snapshot::split(path);
    let signed_here = [CONFIG_FILE, TRUST_FILE, PROTECTED_FILE].iter().any(|file| {
        let (file_dir, file_name) = super::snapshot::split(file);
        dir == file_dir
            && (name == file_name || layout::parse_signature_file_name(name).is_some_and(|(s, _)| s == file_name))
    });
    signed_here || is_protected(path)
}

/// The protected files a snapshot holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ProtectedFiles {
    /// Regular files by path, with the digest of their bytes.
    pub files: BTreeMap<String, Digest>,
    /// Protected paths that cannot be covered: symbolic links, submodules, unreadable or oversized
    /// files, or files past [`MAX_PROTECTED_FILES`]; with why.
    pub refused: Vec<(String, String)>,
}

/// Every protected file of `snapshot` (see [`is_protected`]), hashed.
pub fn protected_files(snapshot: &dyn Snapshot) -> Result<ProtectedFiles, ReadError> {
    let mut out = ProtectedFiles::default();
    // The root's `.gitattributes` and `.modelreg/`, in any case (see `is_protected`).
    let mut dirs = Vec::new();
    for entry in snapshot.list("")?.unwrap_or_default() {
        if entry.kind == EntryKind::Dir && entry.name.eq_ignore_ascii_case(REGISTRY_DIR) {
            dirs.push(entry.name);
        } else if is_protected(&entry.name) {
            visit(snapshot, &entry.name, entry.kind, &mut out)?;
        }
    }
    while let Some(dir) = dirs.pop() {
        for entry in snapshot.list(&dir)?.unwrap_or_default() {
            let path = join(&dir, &entry.name);
            if entry.kind == EntryKind::Dir {
                // `is_protected` names files; a directory is walked when files under it would be.
                if is_protected(&join(&path, "x")) {
                    dirs.push(path);
                }
            } else if is_protected(&path) {
                visit(snapshot, &path, entry.kind, &mut out)?;
            }
        }
    }
    Ok(out)
}

fn visit(snapshot: &dyn Snapshot, path: &str, kind: EntryKind, out: &mut ProtectedFiles) -> Result<(), ReadError> {
    if out.files.len() + out.refused.len() >= MAX_PROTECTED_FILES {
        out.refused.push((path.to_owned(), format!("more than {MAX_PROTECTED_FILES} protected files")));
        return Ok(());
    }
    if kind != EntryKind::File {
        out.refused.push((path.to_owned(), "not a regular file (symbolic links and submodules are refused)".into()));
        return Ok(());
    }
    match snapshot.read(path, MAX_RECORD_BYTES) {
        Ok(Some(bytes)) => {
            out.files.insert(path.to_owned(), Digest::of_bytes(&bytes));
        }
        Ok(None) => {}
        Err(e @ ReadError::TooLarge { .. }) => out.refused.push((path.to_owned(), e.to_string())),
        Err(e) => return Err(e),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_paths() {
        for path in [
            ".gitattributes",
            ".modelreg/templates/card.md.j2",
            ".modelreg/.gitattributes",
            ".modelreg/anything",
            ".modelreg/templates/card.md.j2.0123456789abcdef.sig",
            ".GitAttributes",
            ".MODELREG",
            ".MODELREG/templates/card.md.j2",
            ".Modelreg/trust.toml",
        ] {
            assert!(is_protected(path), "{path}");
        }
        for path in [
            "modelreg.toml",
            ".modelreg/trust.toml",
            ".modelreg/trust.toml.0123456789abcdef.sig",
            ".modelreg/protected.toml",
            ".modelreg/protected.toml.0123456789abcdef.sig",
            ".modelreg/tmp/x",
            ".modelreg/objects/ab/cd",
            ".modelreg",
            ".modelreg/templates/",
            "models/m/.gitattributes",
            "src/.gitattributes",
            ".gitattributes.bak",
        ] {
            assert!(!is_protected(path), "{path}");
        }
    }

    #[test]
    fn manifest_round_trips_and_is_strict() {
        let files = BTreeMap::from([(GITATTRIBUTES.to_owned(), Digest::of_bytes(b"* -text\n"))]);
        let manifest = Protected::new(files, Some(Digest::of_bytes(b"an earlier manifest")));
        assert_eq!(Protected::parse(&manifest.to_bytes()).unwrap(), manifest);
        let outside = "schema = \"modelreg/protected/v1\"\n[files]\n\"models/m/x\" = \"blake3:0000000000000000000000000000000000000000000000000000000000000000\"\n";
        assert!(Protected::parse(outside.as_bytes()).unwrap_err().to_string().contains("not a protected path"));
        let unknown = "schema = \"modelreg/protected/v1\"\nextra = 1\n";
        assert!(Protected::parse(unknown.as_bytes()).is_err());
    }
}
