//! The search index, a cache above the rule engine: every model's [`SearchDoc`]s in one compact binary file in the git directory
//! (`.git/modelreg/search-cache`), so `search` does not parse every record of a large registry.
//!
//! Invariants:
//! - An entry is used only while its model's `records/` directory is unchanged: the key is a hash of
//!   every entry's name and type, and each record file's size, inode, mtime and ctime, from one readdir
//!   and lstat pass, so adding, removing, replacing or editing a record in place (even with the mtime
//!   set back) invalidates it.
//! - Only search reads it, and only as a copy of what the records say: a file that is corrupt (checksum),
//!   of another format version, or written for another working tree is ignored and rebuilt. It is
//!   written atomically, so a crash or a concurrent search leaves the old file or the new one.
//! - Models that do not load are never cached: their problem is reported on every search.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::policy::{Judge, LoadError, Problem, load_model};
use crate::record::{ModelName, Stage, Timestamp, Version};
use crate::repo::layout;
use crate::repo::snapshot::WorkTree;
use crate::state::ModelState;
use crate::state::search::{SearchDoc, docs_of};

mod codec;

const MAGIC: &[u8; 8] = b"MRSRCH\0\0";
/// Bumped whenever [`SearchDoc`] or the encoding changes; a file of another version is rebuilt.
const FORMAT: u32 = 3;

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

/// Every model's documents that `select` keeps, from the cache where it is fresh and from the records
/// elsewhere; writes the refreshed cache back when anything changed (a cache that cannot be written
/// only costs speed).
///
/// `select` sees one model's documents at a time, oldest version first, and returns those to keep: it
/// runs in the parallel pass, so versions a search does not match are dropped where they are decoded.
///
/// With `trust`, promotions' approvals are verified (they decide which version holds a stage), and a
/// change of the trust file (roles, keys) invalidates the whole cache.
pub fn load_docs(root: &Path, cache_file: &Path, trust: Option<&crate::sign::Trust>, select: &Select<'_>) -> Docs {
    let worktree = WorkTree::new(root);
    let trust_id = std::fs::read(root.join(crate::repo::layout::TRUST_FILE))
        .map(|bytes| crate::record::Digest::of_bytes(&bytes).to_string())
        .unwrap_or_default();
    let root_id = format!("{}\n{trust_id}", root.to_string_lossy());
    let judge = trust.map_or(Judge::READ_ONLY, Judge::read);
    let (names, mut unreadable) = crate::policy::models_dir(&worktree);
    let bytes = std::fs::read(cache_file).unwrap_or_default();
    let index = index(&bytes, &root_id).unwrap_or_default();

    // One parallel pass: key each model's records directory, then decode its cached entry when the key
    // matches, or read its records when it does not.
    let outcomes: Vec<(ModelName, Outcome)> = names
        .into_par_iter()
        .map(|name| {
            let Some(key) = records_key(&layout::records_dir(root, &name)) else {
                return (name, Outcome::NotAModel);
            };
            let cached = index
                .get(name.as_str())
                .filter(|(k, _)| *k == key)
                .and_then(|(_, blob)| Some((*blob, decode_docs(blob, &name)?)));
            let outcome = match cached {
                Some((blob, docs)) => Outcome::Fresh(key, blob, select(docs)),
                None => match load_model(&worktree, &name, judge) {
                    Ok(history) => Outcome::Rebuilt(key, docs_of(&ModelState::replay(history))),
                    Err(LoadError::Invalid(problem)) => Outcome::Unreadable(*problem),
                    Err(LoadError::UnknownModel(_)) => Outcome::NotAModel,
                },
            };
            (name, outcome)
        })
        .collect();

    let mut stats = CacheStats::default();
    let mut entries = Vec::with_capacity(outcomes.len());
    for (name, outcome) in &outcomes {
        match outcome {
            Outcome::Fresh(key, blob, _) => {
                stats.fresh += 1;
                entries.push((name, key, Entry::Encoded(blob)));
            }
            Outcome::Rebuilt(key, docs) => {
                stats.rebuilt += 1;
                entries.push((name, key, Entry::Docs(docs)));
            }
            Outcome::Unreadable(_) => stats.rebuilt += 1,
            Outcome::NotAModel => {}
        }
    }
    // Entries of models that are gone or now unreadable are dropped once; a broken model does not make
    // every later search rewrite the file.
    let rebuilt_any = entries.iter().any(|(_, _, e)| matches!(e, Entry::Docs(_)));
    if rebuilt_any || index.len() != stats.fresh {
        let _ = crate::repo::write_atomic(cache_file, &encode(&root_id, &entries), true);
    }
    drop(entries);
    let mut models = Vec::new();
    for (name, outcome) in outcomes {
        let kept = match outcome {
            Outcome::Fresh(_, _, kept) => kept,
            Outcome::Rebuilt(_, docs) => select(docs),
            Outcome::Unreadable(problem) => {
                unreadable.push(problem);
                continue;
            }
            Outcome::NotAModel => continue,
        };
        if !kept.is_empty() {
            models.push((name, kept));
        }
    }
    Docs { models, unreadable, stats }
}

/// What a search keeps of one model's documents (see [`load_docs`]).
pub type Select<'a> = dyn Fn(Vec<SearchDoc>) -> Vec<SearchDoc> + Sync + 'a;

enum Outcome<'a> {
    /// The cached encoding (written back as is) and the documents `select` kept.
    Fresh(Key, &'a [u8], Vec<SearchDoc>),
    /// Every document, read from the records.
    Rebuilt(Key, Vec<SearchDoc>),
    /// Not cached: reported on every search until it is fixed.
    Unreadable(Problem),
    /// No records directory (yet).
    NotAModel,
}

enum Entry<'a> {
    Encoded(&'a [u8]),
    Docs(&'a [SearchDoc]),
}

/// The cache key of a records directory, `None` when it does not exist (or cannot be read).
///
/// Every entry's name and type count (a stray file makes a model unreadable; signature files come and
/// go with records), but only record files are `lstat`ed: search never reads a signature, so an edit
/// to one changes no answer, and skipping them halves the system calls.
fn records_key(dir: &Path) -> Option<Key> {
    // Entries are hashed in directory order, which is stable while the directory is unchanged; a change
    // that only reorders them costs a rebuild, never a stale answer.
    let mut hasher = blake3::Hasher::new();
    for entry in std::fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let name = entry.file_name();
        let words = if name.as_encoded_bytes().ends_with(b".toml") {
            stat_words(&entry.metadata().ok()?)
        } else {
            let kind = entry.file_type().ok()?;
            [kind.is_file() as u64 | (kind.is_dir() as u64) << 1 | (kind.is_symlink() as u64) << 2, 0, 0, 0, 0, 0]
        };
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

/// File: magic, format, the working tree's path, a blake3 checksum of the body, then the body: a count
/// and per model its name, key and the byte length of its documents, which are decoded (in parallel)
/// only for models whose key still matches.
fn encode(root_id: &str, models: &[(&ModelName, &Key, Entry<'_>)]) -> Vec<u8> {
    let mut body = codec::Writer::default();
    body.u32(models.len() as u32);
    for (name, key, entry) in models {
        body.str(name.as_str());
        body.bytes(&key[..]);
        let encoded;
        let blob = match entry {
            Entry::Encoded(blob) => *blob,
            Entry::Docs(docs) => {
                let mut w = codec::Writer::default();
                encode_docs(&mut w, docs);
                encoded = w.finish();
                &encoded
            }
        };
        body.u32(blob.len() as u32);
        body.bytes(blob);
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

fn encode_docs(w: &mut codec::Writer, docs: &[SearchDoc]) {
    w.u32(docs.len() as u32);
    for doc in docs {
        w.u64(doc.version.get());
        w.u64(doc.created_at.unix_seconds());
        w.str(&doc.author);
        w.opt_str(doc.framework.as_deref());
        w.opt_str(doc.description.as_deref());
        w.pairs(&doc.tags, |w, v| w.str(v));
        w.pairs(&doc.metrics, |w, v| w.f64(*v));
        w.pairs(&doc.params, |w, v| w.str(v));
        w.u32(doc.stages.len() as u32);
        for stage in &doc.stages {
            w.str(stage.as_str());
        }
        w.u8(doc.archived as u8);
    }
}

/// Each model's key and encoded documents; `None` for anything that is not a cache this build wrote
/// for this working tree.
fn index<'a>(bytes: &'a [u8], root_id: &str) -> Option<HashMap<&'a str, (Key, &'a [u8])>> {
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
    let mut index = HashMap::with_capacity(count.min(body.len()));
    for _ in 0..count {
        let name = r.str()?;
        let key: Key = r.bytes(16)?.try_into().ok()?;
        let len = r.u32()? as usize;
        index.insert(name, (key, r.bytes(len)?));
    }
    r.is_empty().then_some(index)
}

/// One model's documents; `None` when the blob is not exactly a list of them.
fn decode_docs(blob: &[u8], name: &ModelName) -> Option<Vec<SearchDoc>> {
    let mut r = codec::Reader::new(blob);
    let n = r.u32()? as usize;
    let mut docs = Vec::with_capacity(n.min(blob.len()));
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
        let mut stages = Vec::with_capacity(stage_count.min(blob.len()));
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
    r.is_empty().then_some(docs)
}

#[cfg(test)]
mod tests;
