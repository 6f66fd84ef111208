//! Turning the PATH arguments of `register` into a list of (artifact path, file) pairs.
//!
//! A directory contributes its files under their paths relative to it; a file contributes itself under
//! its file name. Symbolic links inside a directory are followed only when they resolve inside that
//! directory, so a model directory cannot smuggle in `/etc/passwd` or a sibling's secrets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Error, io};
use crate::record::ArtifactPath;

pub(super) struct InputFile {
    pub artifact: ArtifactPath,
    pub source: PathBuf,
    pub size: u64,
}

pub(super) fn collect(paths: &[PathBuf]) -> Result<Vec<InputFile>, Error> {
    let mut files: BTreeMap<String, InputFile> = BTreeMap::new();
    for input in paths {
        let meta = std::fs::metadata(input).map_err(|_| Error::PathNotFound(input.clone()))?;
        let found = if meta.is_dir() {
            let root = input.canonicalize().map_err(io(input))?;
            let mut found = Vec::new();
            walk(&root, &root, &mut found)?;
            if found.is_empty() {
                return Err(Error::NoFiles(input.clone()));
            }
            found
        } else if !meta.is_file() {
            // A device, FIFO or socket: reading it could block or never end.
            return Err(Error::NotRegularFile(input.clone()));
        } else {
            let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            vec![(name, input.clone(), meta.len())]
        };
        for (rel, source, size) in found {
            let artifact: ArtifactPath =
                rel.parse().map_err(|source| Error::ArtifactName { path: input.join(&rel), source })?;
            if files.contains_key(artifact.as_str()) {
                return Err(Error::DuplicateArtifact(rel));
            }
            files.insert(rel, InputFile { artifact, source, size });
        }
    }
    Ok(files.into_values().collect())
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf, u64)>) -> Result<(), Error> {
    let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(io(dir))?.collect::<Result<_, _>>().map_err(io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let file_type = entry.file_type().map_err(io(&path))?;
        let target = if file_type.is_symlink() {
            let resolved = path.canonicalize().map_err(|_| Error::PathNotFound(path.clone()))?;
            if !resolved.starts_with(root) {
                return Err(Error::SymlinkEscapes { path, target: resolved, root: root.to_owned() });
            }
            resolved
        } else {
            path.clone()
        };
        let meta = std::fs::metadata(&target).map_err(io(&target))?;
        if meta.is_dir() {
            if file_type.is_symlink() {
                // A link to a directory inside the root would list the same files twice.
                continue;
            }
            walk(root, &path, out)?;
        } else if meta.is_file() {
            let rel = path.strip_prefix(root).expect("walked paths are under the root");
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            out.push((rel, target, meta.len()));
        }
    }
    Ok(())
}
