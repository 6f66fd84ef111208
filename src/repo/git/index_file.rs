//! Splicing a commit's few paths into `.git/index` without decoding the rest of it.
//!
//! libgit2 (like `git add`) reads every entry into memory, sorts, and writes every entry back: at
//! 600,000 files that is 1.5 s for a one-record commit. The index format allows a cheaper update
//! for the common case: entries are sorted by path, so the new entries are inserted (and the old
//! ones dropped) while every other byte is copied as it is, and only the cache-tree nodes on the
//! edited paths are invalidated. What is left is one sequential pass over the file.
//!
//! Only what this module fully understands is spliced: index versions 2 and 3, regular files, no
//! required extension (split index, sparse index) and no file/directory conflict between an edit and
//! an existing entry. Anything else is [`Splice::Unsupported`], and the caller uses libgit2's general
//! path instead, so the result is always what `git add`/`git rm --cached` would have written.
//!
//! Format: <https://git-scm.com/docs/index-format>.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use sha1::{Digest as _, Sha1};

use super::GitError;

const SIGNATURE: &[u8; 4] = b"DIRC";
const HEADER_LEN: usize = 12;
const OID_LEN: usize = 20;
/// Bytes from an entry's start to its path: ten 32-bit stat fields, the object id and the flags.
const FIXED_LEN: usize = 40 + OID_LEN + 2;
const FLAG_EXTENDED: u16 = 0x4000;
const NAME_MASK: u16 = 0x0fff;

/// One path of a commit as the index must hold it afterwards: a stage-0 entry, or none.
#[derive(Debug, Clone)]
pub(crate) struct IndexEdit {
    /// `/`-separated, relative to the working tree.
    pub path: String,
    pub entry: Option<NewEntry>,
}

/// A regular file's new entry: its blob and the stat data git compares to see it unchanged.
#[derive(Debug, Clone)]
pub(crate) struct NewEntry {
    pub oid: [u8; OID_LEN],
    /// `0o100644` or `0o100755`.
    pub mode: u32,
    pub stat: Stat,
}

/// The stat fields an index entry records, truncated to 32 bits as the format does.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stat {
    pub ctime: (u32, u32),
    pub mtime: (u32, u32),
    pub dev: u32,
    pub ino: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u32,
}

impl Stat {
    #[cfg(unix)]
    pub fn of(meta: &std::fs::Metadata) -> Stat {
        use std::os::unix::fs::MetadataExt;
        Stat {
            ctime: (meta.ctime() as u32, meta.ctime_nsec() as u32),
            mtime: (meta.mtime() as u32, meta.mtime_nsec() as u32),
            dev: meta.dev() as u32,
            ino: meta.ino() as u32,
            uid: meta.uid(),
            gid: meta.gid(),
            size: meta.size() as u32,
        }
    }

    #[cfg(not(unix))]
    pub fn of(meta: &std::fs::Metadata) -> Stat {
        Stat { size: meta.len() as u32, ..Stat::default() }
    }
}

/// What [`splice`] did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Splice {
    /// The index now holds the edits and is otherwise byte-for-byte what it was.
    Written,
    /// The index is untouched; the reason says why the general path must do this one.
    Unsupported(&'static str),
}

/// Applies `edits` to the index at `path`, writing it through `<path>.lock` like git does (a lock
/// that already exists is [`GitError::IndexLocked`]). `skip_hash` writes a null trailing checksum, as
/// git does under `index.skipHash`.
pub(crate) fn splice(path: &Path, edits: &[IndexEdit], skip_hash: bool) -> Result<Splice, GitError> {
    let data = match std::fs::read(path) {
        Ok(data) => data,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Splice::Unsupported("no index file yet")),
        Err(e) => return Err(io(path, e)),
    };
    let plan = match Plan::new(&data, edits) {
        Ok(plan) => plan,
        Err(reason) => return Ok(Splice::Unsupported(reason)),
    };
    let lock_path = lock_path(path);
    let lock = match OpenOptions::new().write(true).create_new(true).open(&lock_path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::AlreadyExists => return Err(GitError::IndexLocked(lock_path)),
        Err(e) => return Err(io(&lock_path, e)),
    };
    let written = plan.write(&data, lock, skip_hash).and_then(|()| std::fs::rename(&lock_path, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&lock_path);
        return Err(io(path, e));
    }
    Ok(Splice::Written)
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn io(path: &Path, e: std::io::Error) -> GitError {
    GitError::Other(format!("{}: {e}", path.display()))
}

/// Where the edits go, found in one pass over the entries; nothing is copied yet.
struct Plan<'e> {
    version: u32,
    /// Entries after the splice.
    count: u32,
    /// In file order: copy `data[range]`, then write the edit's entry (if any).
    steps: Vec<(std::ops::Range<usize>, Option<&'e IndexEdit>)>,
    /// Bytes of entries after the last step.
    tail: std::ops::Range<usize>,
    /// The extensions kept, with the cache tree rewritten.
    extensions: Vec<u8>,
}

impl<'e> Plan<'e> {
    fn new(data: &[u8], edits: &'e [IndexEdit]) -> Result<Plan<'e>, &'static str> {
        if data.len() < HEADER_LEN + OID_LEN || &data[..4] != SIGNATURE {
            return Err("not an index file");
        }
        let version = be32(data, 4);
        if version != 2 && version != 3 {
            return Err("index version other than 2 or 3");
        }
        let entries = be32(data, 8) as usize;
        let mut edits: Vec<&IndexEdit> = edits.iter().collect();
        edits.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
        edits.dedup_by(|later, earlier| {
            // Keep the last edit of a path, as repeated `git add`s would.
            if later.path == earlier.path {
                *earlier = *later;
                true
            } else {
                false
            }
        });
        // A file added where the index has a directory, or under a path the index has as a file, is
        // a file/directory conflict that only the general path resolves.
        let mut parents: Vec<&str> = Vec::new();
        let mut as_dirs: Vec<String> = Vec::new();
        for edit in edits.iter().filter(|e| e.entry.is_some()) {
            parents.extend(edit.path.match_indices('/').map(|(i, _)| &edit.path[..i]));
            as_dirs.push(format!("{}/", edit.path));
        }
        parents.sort_unstable();
        parents.dedup();
        as_dirs.sort_unstable();

        let mut steps = Vec::new();
        let mut next_edit = 0;
        let (mut next_parent, mut next_dir) = (0, 0);
        let mut span_start = HEADER_LEN;
        let mut pos = HEADER_LEN;
        let mut removed = 0u32;
        let mut added = 0u32;
        for _ in 0..entries {
            let (name, len) = entry_at(data, pos, version)?;
            while next_edit < edits.len() && edits[next_edit].path.as_bytes() < name {
                added += u32::from(edits[next_edit].entry.is_some());
                steps.push((span_start..pos, Some(edits[next_edit])));
                span_start = pos;
                next_edit += 1;
            }
            while next_parent < parents.len() && parents[next_parent].as_bytes() < name {
                next_parent += 1;
            }
            if parents.get(next_parent).is_some_and(|p| p.as_bytes() == name) {
                return Err("a file where an edit needs a directory");
            }
            while next_dir < as_dirs.len()
                && as_dirs[next_dir].as_bytes() < name
                && !name.starts_with(as_dirs[next_dir].as_bytes())
            {
                next_dir += 1;
            }
            if as_dirs.get(next_dir).is_some_and(|d| name.starts_with(d.as_bytes())) {
                return Err("a directory where an edit adds a file");
            }
            if edits.get(next_edit).is_some_and(|e| e.path.as_bytes() == name) {
                // Every stage of an edited path goes; its new entry is written once it is passed.
                steps.push((span_start..pos, None));
                removed += 1;
                span_start = pos + len;
            }
            pos += len;
        }
        for edit in &edits[next_edit..] {
            added += u32::from(edit.entry.is_some());
            steps.push((span_start..pos, Some(*edit)));
            span_start = pos;
        }
        let tail = span_start..pos;
        let extensions = extensions(data, pos, &edits)?;
        let count = (entries as u32 - removed).checked_add(added).ok_or("too many entries")?;
        Ok(Plan { version, count, steps, tail, extensions })
    }

    fn write(&self, data: &[u8], file: File, skip_hash: bool) -> std::io::Result<()> {
        let mut out = Hashing { file, hash: (!skip_hash).then(Sha1::new) };
        let mut header = [0u8; HEADER_LEN];
        header[..4].copy_from_slice(SIGNATURE);
        header[4..8].copy_from_slice(&self.version.to_be_bytes());
        header[8..].copy_from_slice(&self.count.to_be_bytes());
        out.write(&header)?;
        let mut entry = Vec::new();
        for (range, edit) in &self.steps {
            out.write(&data[range.clone()])?;
            if let Some(IndexEdit { path, entry: Some(new) }) = edit {
                encode_entry(&mut entry, path, new);
                out.write(&entry)?;
            }
        }
        out.write(&data[self.tail.clone()])?;
        out.write(&self.extensions)?;
        let trailer: [u8; OID_LEN] = match out.hash.take() {
            Some(hash) => hash.finalize().into(),
            None => [0; OID_LEN],
        };
        // No fsync, as git and libgit2 by default: the rename makes the switch atomic, and the
        // index is a cache that `git reset` rebuilds from the commit.
        out.file.write_all(&trailer)
    }
}

/// Writes through to the file, hashing what it writes unless the checksum is skipped.
struct Hashing {
    file: File,
    hash: Option<Sha1>,
}

impl Hashing {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if let Some(hash) = &mut self.hash {
            hash.update(bytes);
        }
        self.file.write_all(bytes)
    }
}

fn be32(data: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(data[at..at + 4].try_into().expect("four bytes"))
}

/// The path and on-disk length of the entry at `pos`.
fn entry_at(data: &[u8], pos: usize, version: u32) -> Result<(&[u8], usize), &'static str> {
    let fixed = data.get(pos..pos + FIXED_LEN).ok_or("truncated index")?;
    let flags = u16::from_be_bytes([fixed[FIXED_LEN - 2], fixed[FIXED_LEN - 1]]);
    let mut name_at = pos + FIXED_LEN;
    if flags & FLAG_EXTENDED != 0 {
        if version < 3 {
            return Err("extended flags in a version 2 index");
        }
        name_at += 2;
    }
    let name_len = match flags & NAME_MASK {
        NAME_MASK => {
            let rest = data.get(name_at..).ok_or("truncated index")?;
            rest.iter().position(|&b| b == 0).ok_or("truncated index")?
        }
        len => usize::from(len),
    };
    let name = data.get(name_at..name_at + name_len).ok_or("truncated index")?;
    // NUL-terminated and padded to a multiple of eight bytes.
    let len = (name_at - pos + name_len + 8) & !7;
    if pos + len > data.len() {
        return Err("truncated index");
    }
    Ok((name, len))
}

fn encode_entry(out: &mut Vec<u8>, path: &str, new: &NewEntry) {
    out.clear();
    let s = &new.stat;
    for field in [s.ctime.0, s.ctime.1, s.mtime.0, s.mtime.1, s.dev, s.ino, new.mode, s.uid, s.gid, s.size] {
        out.extend_from_slice(&field.to_be_bytes());
    }
    out.extend_from_slice(&new.oid);
    let flags = path.len().min(usize::from(NAME_MASK)) as u16;
    out.extend_from_slice(&flags.to_be_bytes());
    out.extend_from_slice(path.as_bytes());
    let len = (FIXED_LEN + path.len() + 8) & !7;
    out.resize(len, 0);
}

/// The extensions to write after the entries: the cache tree with the edited paths' nodes
/// invalidated, resolve-undo as it was; every other optional extension is dropped (they are caches
/// or offsets into the old file, and git rebuilds them). A required one makes the splice unsupported.
fn extensions(data: &[u8], mut pos: usize, edits: &[&IndexEdit]) -> Result<Vec<u8>, &'static str> {
    let end = data.len() - OID_LEN;
    let mut out = Vec::new();
    while pos < end {
        let header = data.get(pos..pos + 8).ok_or("truncated extension")?;
        let size = be32(header, 4) as usize;
        let body = data.get(pos + 8..pos + 8 + size).filter(|_| pos + 8 + size <= end).ok_or("truncated extension")?;
        match &header[..4] {
            b"TREE" => {
                let mut tree = Vec::with_capacity(size);
                invalidate_tree(body, edits, &mut tree)?;
                out.extend_from_slice(b"TREE");
                out.extend_from_slice(&(tree.len() as u32).to_be_bytes());
                out.extend_from_slice(&tree);
            }
            b"REUC" => out.extend_from_slice(&data[pos..pos + 8 + size]),
            [first, ..] if first.is_ascii_uppercase() => {}
            _ => return Err("a required index extension"),
        }
        pos += 8 + size;
    }
    if pos != end {
        return Err("truncated extension");
    }
    Ok(out)
}

/// Copies the cache tree, marking invalid (entry count -1, no id) every node whose directory holds
/// an edited path, as git does when it changes an entry.
fn invalidate_tree(body: &[u8], edits: &[&IndexEdit], out: &mut Vec<u8>) -> Result<(), &'static str> {
    let mut pos = 0;
    let mut dir = String::new();
    copy_node(body, &mut pos, &mut dir, edits, out)?;
    if pos != body.len() {
        return Err("malformed cache tree");
    }
    Ok(())
}

fn copy_node(
    body: &[u8],
    pos: &mut usize,
    dir: &mut String,
    edits: &[&IndexEdit],
    out: &mut Vec<u8>,
) -> Result<(), &'static str> {
    let rest = body.get(*pos..).ok_or("malformed cache tree")?;
    let nul = rest.iter().position(|&b| b == 0).ok_or("malformed cache tree")?;
    let name = std::str::from_utf8(&rest[..nul]).map_err(|_| "malformed cache tree")?;
    let line_end = rest[nul..].iter().position(|&b| b == b'\n').ok_or("malformed cache tree")? + nul;
    let counts = std::str::from_utf8(&rest[nul + 1..line_end]).map_err(|_| "malformed cache tree")?;
    let (entries, subtrees) = counts.split_once(' ').ok_or("malformed cache tree")?;
    let entries: i64 = entries.parse().map_err(|_| "malformed cache tree")?;
    let subtrees: usize = subtrees.parse().map_err(|_| "malformed cache tree")?;
    let mut next = *pos + line_end + 1;
    let saved = dir.len();
    if !name.is_empty() {
        dir.push_str(name);
        dir.push('/');
    }
    let touched = edits.iter().any(|e| e.path.starts_with(dir.as_str()));
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    if touched || entries < 0 {
        out.extend_from_slice(format!("-1 {subtrees}\n").as_bytes());
    } else {
        out.extend_from_slice(format!("{entries} {subtrees}\n").as_bytes());
        out.extend_from_slice(body.get(next..next + OID_LEN).ok_or("malformed cache tree")?);
    }
    if entries >= 0 {
        next += OID_LEN;
    }
    *pos = next;
    for _ in 0..subtrees {
        copy_node(body, pos, dir, edits, out)?;
    }
    dir.truncate(saved);
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    //! Every splice is compared with what git itself makes of the same change: the same entries
    //! (`git ls-files --stage`), the same tree from the (partly invalidated) cache tree
    //! (`git write-tree`), a checksum git accepts, and a clean `git status`.

    use std::process::Command;

    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git").current_dir(dir).args(args).output().expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Two identical repositories with a committed tree (so the index carries a full cache tree).
    fn twins(config: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let mut dirs = Vec::new();
        for name in ["ours", "git"] {
            let dir = tmp.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            git(&dir, &["init", "-q"]);
            for (key, value) in config {
                git(&dir, &["config", key, value]);
            }
            for file in
                ["a", "a-b", "models/m1/records/0001.toml", "models/m2/records/0001.toml", "models/m2/README.md", "z"]
            {
                let path = dir.join(file);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, file).unwrap();
            }
            git(&dir, &["add", "-A"]);
            git(&dir, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base"]);
            dirs.push(dir);
        }
        let git_dir = dirs.pop().unwrap();
        (tmp, dirs.pop().unwrap(), git_dir)
    }

    fn write(dir: &Path, file: &str, content: &str) {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    fn edit(dir: &Path, path: &str) -> IndexEdit {
        let full = dir.join(path);
        let entry = std::fs::metadata(&full).ok().map(|meta| {
            let hex = git(dir, &["hash-object", "-w", path]);
            let mut oid = [0u8; OID_LEN];
            for (i, byte) in oid.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
            }
            NewEntry { oid, mode: 0o100644, stat: Stat::of(&meta) }
        });
        IndexEdit { path: path.to_owned(), entry }
    }

    /// Applies the same changes with our splice in `ours` and with `git add -A` in `theirs`.
    fn same_as_git(config: &[(&str, &str)], changes: &[(&str, Option<&str>)]) -> (tempfile::TempDir, PathBuf, Splice) {
        let (tmp, ours, theirs) = twins(config);
        let mut edits = Vec::new();
        for (path, content) in changes {
            for dir in [&ours, &theirs] {
                match content {
                    Some(text) => write(dir, path, text),
                    None => std::fs::remove_file(dir.join(path)).unwrap(),
                }
            }
            edits.push(edit(&ours, path));
        }
        let skip = config.iter().any(|(k, v)| *k == "index.skipHash" && *v == "true");
        let result = splice(&ours.join(".git/index"), &edits, skip).unwrap();
        if result == Splice::Written {
            git(&theirs, &["add", "-A"]);
            assert_eq!(git(&ours, &["ls-files", "--stage"]), git(&theirs, &["ls-files", "--stage"]));
            assert_eq!(git(&ours, &["write-tree"]), git(&theirs, &["write-tree"]));
            assert_eq!(git(&ours, &["status", "--porcelain"]), git(&theirs, &["status", "--porcelain"]));
            assert_eq!(git(&ours, &["diff", "--stat"]), "");
            assert!(!ours.join(".git/index.lock").exists());
        }
        (tmp, ours, result)
    }

    #[test]
    fn adds_modifies_and_removes_like_git_add() {
        let changes = [
            ("models/m1/records/0002.toml", Some("new record")),
            ("models/m1/README.md", Some("card")),
            ("models/m2/README.md", Some("changed card")),
            ("models/m3/records/0001.toml", Some("new model")),
            ("a-b", None),
            ("0-first", Some("before every entry")),
            ("zz", Some("after every entry")),
        ];
        assert_eq!(same_as_git(&[], &changes).2, Splice::Written);
    }

    #[test]
    fn a_skipped_checksum_is_written_as_zeros_and_git_reads_it() {
        let (_tmp, ours, result) =
            same_as_git(&[("index.skipHash", "true")], &[("models/m1/records/0002.toml", Some("r"))]);
        assert_eq!(result, Splice::Written);
        let data = std::fs::read(ours.join(".git/index")).unwrap();
        assert_eq!(data[data.len() - OID_LEN..], [0u8; OID_LEN]);
    }

    #[test]
    fn a_checksum_is_one_git_verifies() {
        let (_tmp, ours, _) = same_as_git(&[], &[("models/m1/records/0002.toml", Some("r"))]);
        // `git fsck` checks the index's checksum (and refuses a wrong one).
        git(&ours, &["fsck", "--no-progress"]);
        let data = std::fs::read(ours.join(".git/index")).unwrap();
        let (body, trailer) = data.split_at(data.len() - OID_LEN);
        assert_eq!(Sha1::digest(body).as_slice(), trailer);
    }

    #[test]
    fn file_directory_conflicts_and_other_versions_are_left_to_the_general_path() {
        let (_tmp, ours, result) = same_as_git(&[], &[]);
        assert_eq!(result, Splice::Written);
        let before = std::fs::read(ours.join(".git/index")).unwrap();
        // A directory where the index has the file `a`.
        std::fs::remove_file(ours.join("a")).unwrap();
        write(&ours, "a/b", "x");
        let conflict = [IndexEdit { path: "a/b".into(), entry: edit(&ours, "a/b").entry }];
        assert_eq!(
            splice(&ours.join(".git/index"), &conflict, false).unwrap(),
            Splice::Unsupported("a file where an edit needs a directory")
        );
        // A file where the index has the directory `models/m2`.
        let conflict = [IndexEdit { path: "models/m2".into(), entry: edit(&ours, "a/b").entry }];
        assert_eq!(
            splice(&ours.join(".git/index"), &conflict, false).unwrap(),
            Splice::Unsupported("a directory where an edit adds a file")
        );
        assert_eq!(std::fs::read(ours.join(".git/index")).unwrap(), before);

        let (_tmp4, v4, _) = same_as_git(&[("index.version", "4")], &[]);
        let edits = [edit(&v4, "z")];
        assert_eq!(
            splice(&v4.join(".git/index"), &edits, false).unwrap(),
            Splice::Unsupported("index version other than 2 or 3")
        );
    }

    #[test]
    fn a_held_lock_is_an_error_that_changes_nothing() {
        let (_tmp, ours, _) = same_as_git(&[], &[]);
        let before = std::fs::read(ours.join(".git/index")).unwrap();
        std::fs::write(ours.join(".git/index.lock"), b"").unwrap();
        write(&ours, "new", "x");
        let edits = [edit(&ours, "new")];
        let err = splice(&ours.join(".git/index"), &edits, false).unwrap_err();
        assert!(matches!(err, GitError::IndexLocked(_)), "{err}");
        assert_eq!(std::fs::read(ours.join(".git/index")).unwrap(), before);
    }
}
