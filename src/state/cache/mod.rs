//! The search cache: every model's [`SearchDoc`]s in one compact binary file in the git directory
//! (`.git/modelreg/search-cache`), so `search` does not parse every record of a large registry.
//!
//! Invariants:
//! - An entry is used only while its model's `records/` directory is unchanged: the key is a hash of
//!   each entry's name, type, size, inode, mtime and ctime from one readdir and lstat pass, so adding,
//!   removing, replacing or editing a file in place (even with the mtime set back) invalidates it.
//! - Only search reads it, and only as a copy of what the records say: a file that is corrupt (checksum),
//!   of another format version, or written for another working tree is ignored and rebuilt. It is
//!   written atomically, so a crash or a concurrent search leaves the old file or the new one.
//! - Models that do not load are never cached: their problem is reported on every search.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::search::{SearchDoc, docs_of};
use super::{Judge, LoadError, ModelState, load_model};
use crate::policy::Problem;
use crate::record::{ModelName, Stage, Timestamp, Version};
use crate::repo::layout;
use crate::repo::snapshot::WorkTree;

mod codec;

const MAGIC: &[u8; 8] = b"MRSRCH\0\0";
/// Bumped whenever [`SearchDoc`] or the encoding changes; a file of another version is rebuilt.
const FORMAT: u32 = 1;

type Key = [u8; 16];

/// The documents of every readable model, and what it took to get them.
#[derive(Debug)]
pub struct Docs {
    /// By model name; each model's documents oldest version first.
    pub models: Vec<(ModelName, Vec<SearchDoc>)>,
    /// Models left out because their records could not be read.
    pub unreadable: Vec<Problem>,
    pub stats: CacheStats,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CacheStats {
    /// Models answered from the cache.
    pub fresh: usize,
    /// Models whose records were read (new, changed, or no usable cache).
    pub rebuilt: usize,
}

/// Where a registry keeps its search cache.
pub fn cache_path(git_dir: &Path) -> PathBuf {
    git_dir.join("modelreg").join("search-cache")
}

/// Every model's documents, from the cache where it is fresh and from the records elsewhere; writes
/// the refreshed cache back when anything changed. A cache that cannot be written only costs speed.
pub fn load_docs(root: &Path, cache_file: &Path) -> Docs {
    let worktree = WorkTree::new(root);
    let root_id = root.to_string_lossy().into_owned();
    let (names, mut unreadable) = crate::policy::models_dir(&worktree);
    let mut cached = std::fs::read(cache_file).ok().and_then(|bytes| decode(&bytes, &root_id)).unwrap_or_default();

    let keyed: Vec<(ModelName, Option<Key>)> = names
        .into_par_iter()
        .map(|name| {
            let key = records_key(&layout::records_dir(root, &name));
            (name, key)
        })
        .collect();
    let mut stats = CacheStats::default();
    let mut stale = Vec::new();
    let mut models = Vec::with_capacity(keyed.len());
    for (name, key) in keyed {
        // No records directory: not a model (yet).
        let Some(key) = key else { continue };
        match cached.remove(name.as_str()) {
            Some((cached_key, docs)) if cached_key == key => {
                stats.fresh += 1;
                models.push((name, Some(key), Some(docs)));
            }
            _ => {
                stale.push(models.len());
                models.push((name, Some(key), None));
            }
        }
    }
    // Entries left in `cached` are models that no longer exist: dropping them changes the file too.
    let changed = !stale.is_empty() || !cached.is_empty();
    let loaded: Vec<(usize, Result<Vec<SearchDoc>, Problem>)> = stale
        .par_iter()
        .map(|&i| {
            let name = &models[i].0;
            let result = match load_model(&worktree, name, Judge::READ_ONLY) {
                Ok(history) => Ok(docs_of(&ModelState::replay(history))),
                Err(LoadError::Invalid(problem)) => Err(*problem),
                Err(LoadError::UnknownModel(_)) => Ok(Vec::new()),
            };
            (i, result)
        })
        .collect();
    for (i, result) in loaded {
        stats.rebuilt += 1;
        match result {
            Ok(docs) => models[i].2 = Some(docs),
            Err(problem) => {
                models[i].1 = None;
                unreadable.push(problem);
            }
        }
    }
    if changed {
        let entries: Vec<(&ModelName, &Key, &[SearchDoc])> =
            models.iter().filter_map(|(name, key, docs)| Some((name, key.as_ref()?, docs.as_deref()?))).collect();
        let _ = crate::repo::write_atomic(cache_file, &encode(&root_id, &entries), true);
    }
    let models =
        models.into_iter().filter_map(|(name, _, docs)| docs.filter(|d| !d.is_empty()).map(|d| (name, d))).collect();
    Docs { models, unreadable, stats }
}

/// The cache key of a records directory, `None` when it does not exist (or cannot be read).
fn records_key(dir: &Path) -> Option<Key> {
    let mut entries: Vec<(std::ffi::OsString, [u64; 6])> = Vec::new();
    for entry in std::fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let meta = entry.metadata().ok()?;
        entries.push((entry.file_name(), stat_words(&meta)));
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut hasher = blake3::Hasher::new();
    for (name, words) in &entries {
        hasher.update(name.as_encoded_bytes());
        hasher.update(&[0]);
        for word in words {
            hasher.update(&word.to_le_bytes());
        }
    }
    let mut key = [0; 16];
    key.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    Some(key)
}

#[cfg(unix)]
fn stat_words(meta: &std::fs::Metadata) -> [u64; 6] {
    use std::os::unix::fs::MetadataExt;
    let ns = |s: i64, n: i64| (s as u64).wrapping_mul(1_000_000_000).wrapping_add(n as u64);
    [
        meta.mode() as u64,
        meta.size(),
        meta.ino(),
        ns(meta.mtime(), meta.mtime_nsec()),
        ns(meta.ctime(), meta.ctime_nsec()),
        meta.dev(),
    ]
}

#[cfg(not(unix))]
fn stat_words(meta: &std::fs::Metadata) -> [u64; 6] {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    [meta.is_dir() as u64, meta.len(), 0, mtime, 0, 0]
}

type Entries = HashMap<String, (Key, Vec<SearchDoc>)>;

fn encode(root_id: &str, models: &[(&ModelName, &Key, &[SearchDoc])]) -> Vec<u8> {
    let mut body = codec::Writer::default();
    body.u32(models.len() as u32);
    for (name, key, docs) in models {
        body.str(name.as_str());
        body.bytes(&key[..]);
        body.u32(docs.len() as u32);
        for doc in *docs {
            body.u64(doc.version.get());
            body.u64(doc.created_at.unix_seconds());
            body.str(&doc.author);
            body.opt_str(doc.framework.as_deref());
            body.opt_str(doc.description.as_deref());
            body.pairs(&doc.tags, |w, v| w.str(v));
            body.pairs(&doc.metrics, |w, v| w.f64(*v));
            body.pairs(&doc.params, |w, v| w.str(v));
            body.u32(doc.stages.len() as u32);
            for stage in &doc.stages {
                body.str(stage.as_str());
            }
            body.u8(doc.archived as u8);
        }
    }
    let body = body.finish();
    let mut out = codec::Writer::default();
    out.bytes(MAGIC);
    out.u32(FORMAT);
    out.str(root_id);
    out.bytes(blake3::hash(&body).as_bytes());
    out.bytes(&body);
    out.finish()
}

/// `None` for anything that is not a cache this build wrote for this working tree.
fn decode(bytes: &[u8], root_id: &str) -> Option<Entries> {
    let mut header = codec::Reader::new(bytes);
    if header.bytes(MAGIC.len())? != MAGIC || header.u32()? != FORMAT || header.str()? != root_id {
        return None;
    }
    let checksum = header.bytes(32)?;
    let body = header.rest();
    if blake3::hash(body).as_bytes() != checksum {
        return None;
    }
    let mut r = codec::Reader::new(body);
    let count = r.u32()? as usize;
    let mut entries = HashMap::with_capacity(count.min(body.len()));
    for _ in 0..count {
        let name: ModelName = r.str()?.parse().ok()?;
        let key: Key = r.bytes(16)?.try_into().ok()?;
        let n = r.u32()? as usize;
        let mut docs = Vec::with_capacity(n.min(body.len()));
        for _ in 0..n {
            let version = Version::try_from(r.u64()?).ok()?;
            let created_at = Timestamp::from_unix_seconds(r.u64()?);
            let author = r.str()?.to_owned();
            let framework = r.opt_str()?;
            let description = r.opt_str()?;
            let tags = r.pairs(|r| Some(r.str()?.to_owned()))?;
            let metrics = r.pairs(|r| r.f64())?;
            let params = r.pairs(|r| Some(r.str()?.to_owned()))?;
            let stage_count = r.u32()? as usize;
            let mut stages = Vec::with_capacity(stage_count.min(body.len()));
            for _ in 0..stage_count {
                stages.push(r.str()?.parse::<Stage>().ok()?);
            }
            let archived = r.u8()? != 0;
            docs.push(SearchDoc {
                name: name.clone(),
                version,
                created_at,
                author,
                framework,
                description,
                tags,
                metrics,
                params,
                stages,
                archived,
            });
        }
        entries.insert(name.as_str().to_owned(), (key, docs));
    }
    r.is_empty().then_some(entries)
}

#[cfg(test)]
mod tests;
