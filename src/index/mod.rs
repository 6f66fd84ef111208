//! The index: every model's [`ModelDoc`] and [`SearchDoc`]s in one compact file in the git directory
//! (`.git/modelreg/search-cache`, the search cache's old path; never committed), so `search` and `list` answer a registry of 300,000
//! records without reading any of them, and check its freshness with two `lstat`s per model instead of
//! one per record.
//!
//! # Freshness
//! The index describes the working tree (what `list` and `search` have always read). Each model's
//! entry is used only while every signal below is unchanged; otherwise the model's records are read
//! again (by the same [`load_model`] and replay as before) and the entry replaced.
//! - **The `records/` directory's `lstat`** (inode, mode, size, mtime, ctime, device). A directory's
//!   mtime and ctime change whenever an entry is created, removed or renamed in it, so this catches a
//!   record or signature added (`register`, `--no-commit` or not, `git pull`, `cp`), removed (`rm`,
//!   `git reset --hard`, `git stash`), or replaced by a rename (modelreg's atomic writes, `sed -i`,
//!   editors that save through a temp file, and every file `git checkout` or `git pull` writes: git
//!   unlinks and recreates files). A directory removed and recreated has a new ctime (and usually a
//!   new inode). ctime cannot be set back by `touch`.
//! - **The newest record's `lstat`** (the chain tip). Editing a file in place (same inode, even with
//!   the mtime put back) changes no directory, but does change the file's ctime: this catches an
//!   in-place edit of the newest record, the only record that can be edited without breaking the hash
//!   chain. An in-place edit of an older record breaks the chain, which `check` reports.
//! - **HEAD.** The file remembers the commit it last agreed with. When HEAD moves, the models whose
//!   files differ between the two commits (a tree diff that skips unchanged subtrees, so its cost
//!   follows the size of the change) are read again. This catches, once committed, the one change the
//!   two `lstat`s miss: an in-place edit of an older record or of a signature file.
//! - **The trust file's digest and the working tree's path**, for the whole file: new keys or roles
//!   change which approvals count, and a file copied from another clone describes other files.
//! - **Racy timestamps.** A timestamp has a granularity (a kernel tick, or a second on some
//!   filesystems), so a change in the same tick as the `lstat`s would go unseen. An entry is only
//!   trusted if both `lstat`s show no change in the [`RACY`] window before the model was read; a model
//!   changed more recently is read again by the next command, until it has settled (git's "racily
//!   clean" rule, the same idea).
//!
//! So modelreg's and git's own changes are always seen, and so is every change made by replacing files;
//! the one change seen late is an in-place edit of an older record or a signature, by hand, not yet
//! committed (the record's signature no longer verifies, and `check` reports it).
//!
//! # The file
//! Magic, a blake3 checksum of everything after it, the format, the working tree's path with the
//! trust digest, the HEAD it agrees with, then per model its name, the two `lstat`s, whether it had settled, and its
//! blob (the `entry` module). A file that is corrupt, of another format, or written for another working tree
//! is ignored and rebuilt. It is written atomically (temp file, fsync, rename), so a crash or a
//! concurrent command leaves the old file or the new one, and two commands racing to write it each
//! write a whole file whose every entry carries the `lstat`s taken before its model was read: the
//! loser's work is lost, never its correctness. Models that do not load are never stored: their
//! problem is reported every time.
//!
//! # Writes
//! Write commands never touch the index: every command that reads it brings it up to date, rebuilding
//! only the models whose records changed, so a write costs its commit and nothing more, and the next
//! read pays for the one model written.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rayon::prelude::*;

use crate::policy::{Judge, LoadError, Problem, load_model};
use crate::record::ModelName;
use crate::repo::Registry;
use crate::repo::git::GitRepo;
use crate::repo::layout;
use crate::repo::snapshot::WorkTree;
use crate::sign::Trust;
use crate::state::ModelState;
use crate::state::search::{ModelDoc, SearchDoc, docs_of, model_doc_of};

mod codec;
mod entry;

const MAGIC: &[u8; 8] = b"MRINDEX\0";
/// Bumped whenever the layout of the file or of an entry changes; a file of another format is rebuilt.
const FORMAT: u32 = 1;
/// A change this recent, before a model is read, may share a timestamp with a later change.
pub const RACY: Duration = Duration::from_secs(2);
/// The remembered HEAD when there is none to compare (no repository, or it could not be read).
const UNKNOWN_HEAD: &str = "-";

/// `lstat` fields that change when a file or directory does (see the module docs).
type Stat = [u64; 6];

/// Where a registry's index lives and what its entries are read with.
pub struct Source<'a> {
    /// The working tree.
    pub root: &'a Path,
    /// The index file.
    pub file: PathBuf,
    /// With a trust file, promotions' approvals are verified (they decide which version holds a
    /// stage); without one (tests), nothing is.
    pub trust: Option<&'a Trust>,
    /// For HEAD; without a repository (tests), HEAD is not a signal.
    pub git: Option<&'a GitRepo>,
    /// See [`RACY`]; tests shorten it.
    pub racy: Duration,
}

impl<'a> Source<'a> {
    /// A registry's index, read the way `list` and `search` read records.
    pub fn of(registry: &'a Registry) -> Source<'a> {
        Source {
            root: registry.root(),
            file: index_path(registry.git().git_dir()),
            trust: Some(registry.trust()),
            git: Some(registry.git()),
            racy: RACY,
        }
    }

    /// What reading a model needs (shared by the parallel workers; a repository handle is not).
    fn reader(&self) -> ModelReader<'a> {
        ModelReader { root: self.root, judge: self.trust.map_or(Judge::READ_ONLY, Judge::read), racy: self.racy }
    }

    /// What the whole file is valid for: this working tree, under this trust file.
    fn root_id(&self) -> String {
        let trust = std::fs::read(self.root.join(layout::TRUST_FILE))
            .map(|bytes| crate::record::Digest::of_bytes(&bytes).to_string())
            .unwrap_or_default();
        format!("{}\n{trust}", self.root.to_string_lossy())
    }

    /// HEAD as the file records it: a commit id, empty on an unborn branch, [`UNKNOWN_HEAD`] when
    /// there is no repository to ask.
    fn head(&self) -> String {
        match self.git.map(GitRepo::head) {
            Some(Ok(Some(commit))) => commit,
            Some(Ok(None)) => String::new(),
            Some(Err(_)) | None => UNKNOWN_HEAD.to_owned(),
        }
    }
}

#[derive(Clone, Copy)]
struct ModelReader<'a> {
    root: &'a Path,
    judge: Judge<'a>,
    racy: Duration,
}

/// Where a registry keeps its index. The search cache's path: a cache of the old format there is
/// simply a file of another format, ignored and replaced.
pub fn index_path(git_dir: &Path) -> PathBuf {
    git_dir.join("modelreg").join("search-cache")
}

/// How an [`Index`] came to be.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct IndexStats {
    /// Models answered from the file.
    pub fresh: usize,
    /// Models whose records were read (new, changed, unsettled, unreadable, or no usable file).
    pub rebuilt: usize,
}

/// Every readable model, up to date with the working tree (see the module docs).
pub struct Index<'a> {
    reader: ModelReader<'a>,
    file: Vec<u8>,
    /// Sorted by name.
    models: Vec<(ModelName, Blob)>,
    /// Models left out because their records could not be read (and problems in `models/` itself).
    pub unreadable: Vec<Problem>,
    /// How many models came from the file and how many were read afresh.
    pub stats: IndexStats,
}

/// Where a model's entry is: a range of the file read, or built by this command.
enum Blob {
    Stored(Range<usize>),
    Built { entry: Vec<u8>, blob: Range<usize> },
}

/// One entry of the file read, with ranges into it.
struct Stored<'f> {
    settled: bool,
    dir: Stat,
    tip: &'f str,
    tip_stat: Stat,
    /// The whole entry, copied as is into the next file while fresh.
    entry: Range<usize>,
    blob: Range<usize>,
}

/// The file's entries, when it is one this build wrote for this working tree.
struct Parsed<'f> {
    head: &'f str,
    entries: HashMap<&'f str, Stored<'f>>,
}

/// Which stored entries a move of HEAD makes stale.
enum Stale {
    Models(HashSet<String>),
    All,
}

impl Stale {
    fn contains(&self, name: &str) -> bool {
        match self {
            Stale::Models(names) => names.contains(name),
            Stale::All => true,
        }
    }
}

enum Outcome {
    Fresh(Range<usize>),
    Built { entry: Vec<u8>, blob: Range<usize> },
    Unreadable(Problem),
    NotAModel,
}

impl<'a> Index<'a> {
    /// Reads the index, reads again every model whose entry is missing or stale, and writes the file
    /// back when anything changed (a file that cannot be written only costs speed).
    pub fn open(source: &Source<'a>) -> Index<'a> {
        // Read before anything else: a commit made while this runs is then diffed next time.
        let head = source.head();
        let root_id = source.root_id();
        let file = std::fs::read(&source.file).unwrap_or_default();
        let parsed = parse(&file, &root_id);
        let stale = match &parsed {
            Some(p) => stale(source, p.head, &head),
            None => Stale::All,
        };
        let (stored_head, stored) = match parsed {
            Some(p) => (Some(p.head), p.entries),
            None => (None, HashMap::new()),
        };
        let worktree = WorkTree::new(source.root);
        let (names, mut unreadable) = crate::policy::models_dir(&worktree);
        let reader = source.reader();

        let outcomes: Vec<(ModelName, Outcome)> = names
            .into_par_iter()
            .map(|name| {
                let fresh = stored
                    .get(name.as_str())
                    .filter(|s| !stale.contains(name.as_str()) && is_fresh(source.root, &name, s));
                let outcome = match fresh {
                    Some(s) => Outcome::Fresh(s.blob.clone()),
                    None => build(reader, &worktree, &name),
                };
                (name, outcome)
            })
            .collect();

        let mut stats = IndexStats::default();
        let mut models = Vec::with_capacity(outcomes.len());
        let mut entries: Vec<&[u8]> = Vec::with_capacity(outcomes.len());
        let mut built_any = false;
        for (name, outcome) in outcomes {
            match outcome {
                Outcome::Fresh(blob) => {
                    stats.fresh += 1;
                    entries.push(&file[stored[name.as_str()].entry.clone()]);
                    models.push((name, Blob::Stored(blob)));
                }
                Outcome::Built { entry, blob } => {
                    stats.rebuilt += 1;
                    built_any = true;
                    models.push((name, Blob::Built { entry, blob }));
                }
                Outcome::Unreadable(problem) => {
                    stats.rebuilt += 1;
                    unreadable.push(problem);
                }
                Outcome::NotAModel => {}
            }
        }
        // Entries of models that are gone or now unreadable are dropped once; a broken model does not
        // make every later command rewrite the file.
        let moved = stored_head != Some(head.as_str());
        if built_any || moved || stored.len() != stats.fresh {
            for (_, blob) in &models {
                if let Blob::Built { entry, .. } = blob {
                    entries.push(entry);
                }
            }
            write(source, &root_id, &head, &entries);
        }
        Index { reader, file, models, unreadable, stats }
    }

    /// Every version (only each model's latest with `latest`) that `keep` accepts, sorted by model name
    /// then version; with how many versions `keep` was asked about.
    pub fn search(&self, latest: bool, keep: &(dyn Fn(&SearchDoc) -> bool + Sync)) -> (Vec<SearchDoc>, usize) {
        let per_model: Vec<(Vec<SearchDoc>, usize)> = self
            .models
            .par_iter()
            .map_init(
                || None,
                |scratch, (name, blob)| {
                    entry::search(self.blob(blob), name, latest, scratch, keep)
                        .unwrap_or_else(|| self.search_records(name, latest, keep))
                },
            )
            .collect();
        let searched = per_model.iter().map(|(_, n)| n).sum();
        (per_model.into_iter().flat_map(|(kept, _)| kept).collect(), searched)
    }

    /// Every model with at least one record, sorted by name.
    pub fn models(&self) -> Vec<ModelDoc> {
        self.models
            .par_iter()
            .filter_map(|(name, blob)| entry::model(self.blob(blob), name).or_else(|| self.model_from_records(name)))
            .filter(|m| m.records > 0)
            .collect()
    }

    fn blob<'s>(&'s self, blob: &'s Blob) -> &'s [u8] {
        match blob {
            Blob::Stored(range) => &self.file[range.clone()],
            Blob::Built { entry, blob } => &entry[blob.clone()],
        }
    }

    /// A safety net for an entry this build cannot decode (checksummed, so only a bug gets here):
    /// the answer comes from the records, never from a guess.
    fn state_from_records(&self, name: &ModelName) -> Option<ModelState> {
        let history = load_model(&WorkTree::new(self.reader.root), name, self.reader.judge).ok()?;
        Some(ModelState::replay(history))
    }

    fn search_records(
        &self,
        name: &ModelName,
        latest: bool,
        keep: &(dyn Fn(&SearchDoc) -> bool + Sync),
    ) -> (Vec<SearchDoc>, usize) {
        let mut docs = self.state_from_records(name).map(|s| docs_of(&s)).unwrap_or_default();
        if latest {
            docs.drain(..docs.len().saturating_sub(1));
        }
        let searched = docs.len();
        docs.retain(|d| keep(d));
        (docs, searched)
    }

    fn model_from_records(&self, name: &ModelName) -> Option<ModelDoc> {
        self.state_from_records(name).map(|s| model_doc_of(&s))
    }
}

/// Which models changed in HEAD between the commit the file agrees with and the current one.
fn stale(source: &Source<'_>, stored: &str, head: &str) -> Stale {
    if stored == head {
        return Stale::Models(HashSet::new());
    }
    // Born from nothing, orphaned, or unknown on either side: nothing to compare.
    let unknown = [stored, head].iter().any(|h| h.is_empty() || *h == UNKNOWN_HEAD);
    let (Some(git), false) = (source.git, unknown) else { return Stale::All };
    match git.diff_commits(Some(stored), head) {
        Ok(changes) => Stale::Models(
            changes
                .iter()
                .filter_map(|c| c.path.strip_prefix("models/")?.split('/').next().map(str::to_owned))
                .collect(),
        ),
        // The old commit is gone (history rewritten and collected): nothing to compare with.
        Err(_) => Stale::All,
    }
}

fn is_fresh(root: &Path, name: &ModelName, stored: &Stored<'_>) -> bool {
    let dir = layout::records_dir(root, name);
    stored.settled
        && lstat(&dir).is_some_and(|(s, _)| s == stored.dir)
        && (stored.tip.is_empty() || lstat(&dir.join(stored.tip)).is_some_and(|(s, _)| s == stored.tip_stat))
}

/// Reads one model's records into an entry.
fn build(reader: ModelReader<'_>, worktree: &WorkTree, name: &ModelName) -> Outcome {
    // Both taken before the records are read, so a change made while they are read shows next time
    // as a different `lstat` or as an unsettled entry.
    let started = SystemTime::now();
    let dir = layout::records_dir(reader.root, name);
    let Some((dir_stat, dir_changed)) = lstat(&dir) else { return Outcome::NotAModel };
    let history = match load_model(worktree, name, reader.judge) {
        Ok(history) => history,
        Err(LoadError::Invalid(problem)) => return Outcome::Unreadable(*problem),
        Err(LoadError::UnknownModel(_)) => return Outcome::NotAModel,
    };
    let tip = history.records.last().map(|r| r.file.to_string()).unwrap_or_default();
    // The tip is the last file read, so its `lstat` after reading it is what an in-place edit changes.
    let (tip_stat, tip_changed) = if tip.is_empty() {
        ([0; 6], SystemTime::UNIX_EPOCH)
    } else {
        match lstat(&dir.join(&tip)) {
            Some(stat) => stat,
            // Gone already: the directory's `lstat` differs next time.
            None => ([0; 6], SystemTime::now()),
        }
    };
    let settled = [dir_changed, tip_changed].iter().all(|t| *t + reader.racy < started);
    let blob = entry::encode(&ModelState::replay(history));
    let mut w = codec::Writer::default();
    w.str(name.as_str());
    w.u8(settled as u8);
    stat_out(&mut w, &dir_stat);
    w.str(&tip);
    stat_out(&mut w, &tip_stat);
    w.u32(blob.len() as u32);
    let start = w.len();
    w.bytes(&blob);
    let entry = w.finish();
    Outcome::Built { blob: start..entry.len(), entry }
}

fn stat_out(w: &mut codec::Writer, stat: &Stat) {
    for word in stat {
        w.u64(*word);
    }
}

fn stat_in(r: &mut codec::Reader<'_>) -> Option<Stat> {
    let mut stat = [0; 6];
    for word in &mut stat {
        *word = r.u64()?;
    }
    Some(stat)
}

/// The `lstat` of a path and the latest of its mtime and ctime; `None` when it does not exist.
fn lstat(path: &Path) -> Option<(Stat, SystemTime)> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    Some(stat_words(&meta))
}

#[cfg(unix)]
fn stat_words(meta: &std::fs::Metadata) -> (Stat, SystemTime) {
    use std::os::unix::fs::MetadataExt;
    let ns = |s: i64, n: i64| (s as u64).wrapping_mul(1_000_000_000).wrapping_add(n as u64);
    let (mtime, ctime) = (ns(meta.mtime(), meta.mtime_nsec()), ns(meta.ctime(), meta.ctime_nsec()));
    let changed = SystemTime::UNIX_EPOCH + Duration::from_nanos(mtime.max(ctime));
    ([meta.mode() as u64, meta.size(), meta.ino(), mtime, ctime, meta.dev()], changed)
}

#[cfg(not(unix))]
fn stat_words(meta: &std::fs::Metadata) -> (Stat, SystemTime) {
    let modified = meta.modified().unwrap_or_else(|_| SystemTime::now());
    let mtime = modified.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    ([meta.is_dir() as u64, meta.len(), 0, mtime, 0, 0], modified)
}

/// The file's entries; `None` for anything that is not an index this build wrote for this working tree.
fn parse<'f>(file: &'f [u8], root_id: &str) -> Option<Parsed<'f>> {
    let mut header = codec::Reader::new(file);
    if header.bytes(MAGIC.len())? != MAGIC {
        return None;
    }
    let checksum = header.bytes(32)?;
    if blake3::Hasher::new().update_rayon(header.clone().rest()).finalize().as_bytes() != checksum {
        return None;
    }
    if header.u32()? != FORMAT || header.str()? != root_id {
        return None;
    }
    let head = header.str()?;
    let body_start = file.len() - header.len();
    let body = header.rest();
    let mut r = codec::Reader::new(body);
    let count = r.u32()? as usize;
    let mut entries = HashMap::with_capacity(count.min(body.len()));
    for _ in 0..count {
        let start = body_start + body.len() - r.len();
        let name = r.str()?;
        let settled = match r.u8()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let dir = stat_in(&mut r)?;
        let tip = r.str()?;
        let tip_stat = stat_in(&mut r)?;
        let len = r.u32()? as usize;
        let blob_start = body_start + body.len() - r.len();
        r.bytes(len)?;
        let end = body_start + body.len() - r.len();
        let entry = Stored { settled, dir, tip, tip_stat, entry: start..end, blob: blob_start..end };
        if entries.insert(name, entry).is_some() {
            return None;
        }
    }
    r.is_empty().then_some(Parsed { head, entries })
}

/// Decodes an index file the way [`Index::open`] reads it and every entry's blob the way `list` and
/// `search` do, without a working tree; how many entries the file holds (`0` for a file `open` would
/// ignore). For the fuzz targets (`fuzz/`): the file lives in `.git`, where anything may write it.
#[doc(hidden)]
pub fn decode_untrusted(file: &[u8], root_id: &str) -> usize {
    let Some(parsed) = parse(file, root_id) else { return 0 };
    for (name, stored) in &parsed.entries {
        let Ok(name) = name.parse::<ModelName>() else { continue };
        let blob = &file[stored.blob.clone()];
        let _ = entry::model(blob, &name);
        let mut scratch = None;
        let _ = entry::search(blob, &name, false, &mut scratch, &|_| true);
        let _ = entry::search(blob, &name, true, &mut scratch, &|_| true);
    }
    parsed.entries.len()
}

/// Writes the file; whether it was written. Built in one buffer, the checksum patched in last: the
/// file is as large as the index, and a cold build should not hold it three times.
fn write(source: &Source<'_>, root_id: &str, head: &str, entries: &[&[u8]]) -> bool {
    let mut out = codec::Writer::default();
    out.bytes(MAGIC);
    out.bytes(&[0; 32]);
    out.u32(FORMAT);
    out.str(root_id);
    out.str(head);
    out.u32(entries.len() as u32);
    for entry in entries {
        out.bytes(entry);
    }
    let mut out = out.finish();
    let checked = MAGIC.len() + 32;
    let checksum = *blake3::Hasher::new().update_rayon(&out[checked..]).finalize().as_bytes();
    out[MAGIC.len()..checked].copy_from_slice(&checksum);
    crate::repo::write_atomic(&source.file, &out, true).is_ok()
}

#[cfg(test)]
mod tests;
