//! Tree hygiene: the malformed trees git's own `fsck` refuses, found in what a change brings in.
//!
//! git writes every tree with unique names in its order (a directory sorted as `name/`) and one of
//! five modes. A tree made by hand can list a name twice, and then readers disagree about which entry
//! a path means (`git show` takes the first, a lookup by binary search may take the other): the bytes
//! a hook judged would not be the bytes a clone serves. Such a tree is refused rather than read, so a
//! tree the rules accept has exactly one meaning. Only trees that differ from the base at the same
//! path are read, so the cost follows the change.

use std::collections::HashSet;

use super::{GitError, GitRepo, git_order, oid};
use crate::repo::snapshot::join;

/// What is wrong with one tree object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeFlaw {
    /// A name listed twice (readers disagree on which entry counts).
    #[error("the tree lists `{0}` more than once (git never writes such a tree)")]
    Duplicate(String),
    /// Entries out of git's order (binary-search readers miss some).
    #[error("the tree's entries are out of git's order at `{0}` (git never writes such a tree)")]
    Unsorted(String),
    /// A mode other than 100644, 100755, 120000, 160000 or 40000.
    #[error("`{name}` has mode {mode:o}, which git does not write")]
    BadMode {
        /// The entry.
        name: String,
        /// Its mode.
        mode: u32,
    },
    /// An entry named empty, `.`, `..`, `.git`, or containing `/`.
    #[error("the tree has an entry named `{0}`")]
    BadName(String),
}

/// A malformed tree: its directory (root-relative, `""` for the root) and the flaw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedTree {
    /// The tree's path in the commit (`""` for the root).
    pub dir: String,
    /// What is wrong with it.
    pub flaw: TreeFlaw,
}

const MODES: [u32; 5] = [0o100644, 0o100755, 0o120000, 0o160000, 0o040000];

impl GitRepo {
    /// Every malformed tree in `new`'s commit that `old`'s does not hold at the same path.
    pub fn malformed_trees(&self, old: Option<&str>, new: &str) -> Result<Vec<MalformedTree>, GitError> {
        let old_tree = match old {
            Some(o) => Some(self.repo.find_commit(oid(o)?)?.tree_id()),
            None => None,
        };
        let new_tree = self.repo.find_commit(oid(new)?)?.tree_id();
        let mut out = Vec::new();
        self.check_tree(old_tree, new_tree, "", &mut out)?;
        Ok(out)
    }

    fn check_tree(
        &self,
        old: Option<git2::Oid>,
        new: git2::Oid,
        dir: &str,
        out: &mut Vec<MalformedTree>,
    ) -> Result<(), GitError> {
        if old == Some(new) {
            return Ok(());
        }
        let tree = self.repo.find_tree(new)?;
        let old_tree = old.and_then(|id| self.repo.find_tree(id).ok());
        let mut flaw = |flaw| out.push(MalformedTree { dir: dir.to_owned(), flaw });
        let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(tree.len());
        let mut previous: Option<Vec<u8>> = None;
        let mut subtrees = Vec::new();
        for entry in tree.iter() {
            let name = entry.name_bytes();
            let shown = String::from_utf8_lossy(name).into_owned();
            let mode = entry.filemode() as u32;
            if name.is_empty()
                || name == b"."
                || name == b".."
                || name.contains(&b'/')
                || name.eq_ignore_ascii_case(b".git")
            {
                flaw(TreeFlaw::BadName(shown.clone()));
            }
            if !MODES.contains(&mode) {
                flaw(TreeFlaw::BadMode { name: shown.clone(), mode });
            }
            let key: Vec<u8> = git_order(&entry).collect();
            if !seen.insert(name.to_vec()) {
                flaw(TreeFlaw::Duplicate(shown.clone()));
            } else if previous.as_ref().is_some_and(|p| *p > key) {
                flaw(TreeFlaw::Unsorted(shown.clone()));
            }
            previous = Some(key);
            if mode == 0o040000 {
                let before = old_tree
                    .as_ref()
                    .and_then(|t| t.get_name_bytes(name))
                    .filter(|e| e.filemode() as u32 == 0o040000)
                    .map(|e| e.id());
                subtrees.push((before, entry.id(), join(dir, &shown)));
            }
        }
        for (before, id, path) in subtrees {
            self.check_tree(before, id, &path, out)?;
        }
        Ok(())
    }
}
