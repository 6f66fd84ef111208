//! The index against real records directories in a temp dir (no git: HEAD is not a signal here; the
//! integration tests in `tests/integration/test_index.rs` add it): what is reused, what is rebuilt,
//! and that a damaged or foreign file never changes an answer.

use std::path::Path;

use super::*;
use crate::record::{Artifact, Digest, Lineage, Metric, Record, RecordKind, RegisterRecord};
use crate::repo::layout::RecordFileName;

fn register(model: &str, seq: u64, previous: Option<Digest>, auc: f64, description: &str) -> Record {
    Record::Register(Box::new(RegisterRecord {
        schema: RecordKind::Register.schema().into(),
        model: model.parse().unwrap(),
        seq,
        previous,
        created_at: "2026-11-22T10:00:00Z".parse().unwrap(),
        author: "Alice <alice@example.com>".into(),
        signer: "0123456789abcdef".parse().unwrap(),
        version: seq.try_into().unwrap(),
        message: None,
        description: Some(description.into()),
        framework: Some("sklearn".into()),
        tags: [("team".parse().unwrap(), "risk".into())].into(),
        metrics: [("auc".parse().unwrap(), Metric::try_from(auc).unwrap())].into(),
        params: Default::default(),
        lineage: Lineage::default(),
        artifacts: vec![Artifact {
            path: "model.onnx".parse().unwrap(),
            digest: Digest::of_bytes(model.as_bytes()),
            size: 1,
            format: None,
        }],
        baseline_profile: None,
    }))
}

/// Writes `versions` register records for `model` (signatures are not judged by search).
fn write_model(root: &Path, model: &str, aucs: &[f64]) {
    let dir = layout::records_dir(root, &model.parse().unwrap());
    std::fs::create_dir_all(&dir).unwrap();
    let mut previous = None;
    for (i, auc) in aucs.iter().enumerate() {
        let seq = i as u64 + 1;
        let bytes = register(model, seq, previous, *auc, "first").to_bytes();
        std::fs::write(dir.join(RecordFileName { seq, kind: RecordKind::Register }.to_string()), &bytes).unwrap();
        previous = Some(Digest::of_bytes(&bytes));
    }
}

fn summary(docs: &[SearchDoc]) -> Vec<(String, u64, f64, Option<String>)> {
    docs.iter().map(|d| (d.name.to_string(), d.version.get(), d.metrics[0].1, d.description.clone())).collect()
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        write_model(dir.path(), "alpha", &[0.8, 0.9]);
        write_model(dir.path(), "beta", &[0.7]);
        write_model(dir.path(), "gamma", &[0.6, 0.65, 0.7]);
        Fixture { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self) -> PathBuf {
        index_path(&self.dir.path().join(".git"))
    }

    /// Files written by a test are seconds old at most: without a shorter racy window nothing would
    /// ever settle (`racy_entries_are_read_again_until_they_settle` tests the real one).
    fn source(&self) -> Source<'_> {
        Source { root: self.root(), file: self.file(), trust: None, git: None, racy: Duration::ZERO }
    }

    /// Every version, and the index's stats.
    fn load(&self) -> (Vec<SearchDoc>, IndexStats) {
        let source = self.source();
        let index = Index::open(&source);
        (index.search(false, &|_| true).0, index.stats)
    }

    /// What the records say, read without the index.
    fn read_records(&self) -> (Vec<SearchDoc>, Vec<ModelDoc>) {
        let worktree = WorkTree::new(self.root());
        let (names, _) = crate::policy::models_dir(&worktree);
        let states: Vec<ModelState> = names
            .iter()
            .filter_map(|n| load_model(&worktree, n, Judge::READ_ONLY).ok())
            .map(ModelState::replay)
            .collect();
        (states.iter().flat_map(docs_of).collect(), states.iter().map(model_doc_of).collect())
    }
}

#[test]
fn the_second_search_reads_no_record() {
    let f = Fixture::new();
    let (cold, stats) = f.load();
    assert_eq!(stats, IndexStats { fresh: 0, rebuilt: 3 });
    assert!(f.file().exists());
    let source = f.source();
    let warm = Index::open(&source);
    assert_eq!(warm.stats, IndexStats { fresh: 3, rebuilt: 0 });
    // What the index answers is exactly what the records say: every field of every version and model.
    let (docs, models) = f.read_records();
    assert_eq!(warm.search(false, &|_| true).0, docs);
    assert_eq!(cold, docs);
    assert_eq!(warm.models(), models);
    assert_eq!(docs.len(), 6);
}

#[test]
fn search_keeps_what_the_predicate_keeps_and_counts_what_it_saw() {
    let f = Fixture::new();
    let source = f.source();
    let index = Index::open(&source);
    let (kept, searched) = index.search(false, &|d| d.metrics[0].1 > 0.68);
    assert_eq!(searched, 6);
    let names: Vec<_> = kept.iter().map(|d| format!("{}@{}", d.name, d.version)).collect();
    assert_eq!(names, ["alpha@1", "alpha@2", "beta@1", "gamma@3"]);
    let (kept, searched) = index.search(true, &|d| d.metrics[0].1 > 0.68);
    assert_eq!(searched, 3);
    let names: Vec<_> = kept.iter().map(|d| format!("{}@{}", d.name, d.version)).collect();
    assert_eq!(names, ["alpha@2", "beta@1", "gamma@3"]);
}

#[test]
fn a_record_edited_in_place_invalidates_its_model_only() {
    let f = Fixture::new();
    f.load();
    let path = f.root().join("models/beta/records/000001-register.toml");
    let before = std::fs::metadata(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    // Same size, same mtime: only the content (and so the inode's ctime) changes.
    let edited = text.replace("description = \"first\"", "description = \"FIRST\"");
    assert_eq!(edited.len(), text.len());
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    std::io::Write::write_all(&mut &file, edited.as_bytes()).unwrap();
    file.set_modified(before.modified().unwrap()).unwrap();
    drop(file);

    let (docs, stats) = f.load();
    assert_eq!(stats, IndexStats { fresh: 2, rebuilt: 1 });
    let beta = summary(&docs).into_iter().find(|d| d.0 == "beta").unwrap();
    assert_eq!(beta.3.as_deref(), Some("FIRST"));
}

#[test]
fn new_records_and_removed_models_are_seen() {
    let f = Fixture::new();
    f.load();
    write_model(f.root(), "gamma", &[0.6, 0.65, 0.7, 0.99]);
    std::fs::remove_dir_all(f.root().join("models/alpha")).unwrap();
    write_model(f.root(), "delta", &[0.5]);
    let (docs, stats) = f.load();
    assert_eq!(stats, IndexStats { fresh: 1, rebuilt: 2 });
    assert_eq!(docs, f.read_records().0);
    let names: Vec<_> = docs.iter().map(|d| format!("{}@{}", d.name, d.version)).collect();
    assert_eq!(names, ["beta@1", "delta@1", "gamma@1", "gamma@2", "gamma@3", "gamma@4"]);
    assert_eq!(f.load().1, IndexStats { fresh: 3, rebuilt: 0 });
}

#[test]
fn a_damaged_or_foreign_index_is_ignored_and_rebuilt() {
    let f = Fixture::new();
    let expected = summary(&f.load().0);
    let good = std::fs::read(f.file()).unwrap();
    let root_id = f.source().root_id();
    assert!(parse(&good, &root_id).is_some());

    // Every single-byte flip and every truncation is refused, never trusted and never a panic.
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x40;
        assert!(parse(&bad, &root_id).is_none(), "flip at {i}");
    }
    for len in 0..good.len() {
        assert!(parse(&good[..len], &root_id).is_none(), "truncated to {len}");
    }

    std::fs::write(f.file(), b"not an index").unwrap();
    let (docs, stats) = f.load();
    assert_eq!(stats.rebuilt, 3);
    assert_eq!(summary(&docs), expected);

    // An index copied from another clone (same models) answers nothing there.
    let other = Fixture::new();
    std::fs::create_dir_all(other.file().parent().unwrap()).unwrap();
    std::fs::copy(f.file(), other.file()).unwrap();
    assert_eq!(other.load().1.rebuilt, 3);
}

#[test]
fn blobs_never_panic_and_refuse_what_they_did_not_write() {
    let f = Fixture::new();
    let worktree = WorkTree::new(f.root());
    let name: ModelName = "gamma".parse().unwrap();
    let state = ModelState::replay(load_model(&worktree, &name, Judge::READ_ONLY).unwrap());
    let blob = entry::encode(&state);
    assert_eq!(entry::model(&blob, &name), Some(model_doc_of(&state)));
    let mut scratch = None;
    for len in 0..blob.len() {
        assert!(entry::model(&blob[..len], &name).is_none(), "truncated to {len}");
        assert!(entry::search(&blob[..len], &name, false, &mut scratch, &|_| true).is_none(), "truncated to {len}");
    }
    for i in 0..blob.len() {
        let mut bad = blob.clone();
        bad[i] = 0xff;
        // A flip may still decode (the file's checksum is what refuses it); it must not panic.
        let _ = entry::model(&bad, &name);
        let _ = entry::search(&bad, &name, false, &mut scratch, &|_| true);
    }
}

#[test]
fn unreadable_models_are_reported_every_time_and_not_stored() {
    let f = Fixture::new();
    let path = f.root().join("models/beta/records/000001-register.toml");
    std::fs::write(&path, "schema = \"modelreg/register/v1\"\nbroken").unwrap();
    for expected in [IndexStats { fresh: 0, rebuilt: 3 }, IndexStats { fresh: 2, rebuilt: 1 }] {
        let source = f.source();
        let index = Index::open(&source);
        assert_eq!(index.unreadable.len(), 1);
        assert_eq!(index.unreadable[0].path, "models/beta/records/000001-register.toml");
        assert!(index.search(false, &|_| true).0.iter().all(|d| d.name.as_str() != "beta"));
        assert!(index.models().iter().all(|m| m.name.as_str() != "beta"));
        // The second time only the broken model is read again.
        assert_eq!(index.stats, expected);
    }
}

#[test]
fn racy_entries_are_read_again_until_they_settle() {
    let f = Fixture::new();
    let racy = Source { racy: RACY, ..f.source() };
    // Everything was written just now: no entry can be trusted yet, however often it is read.
    for _ in 0..2 {
        assert_eq!(Index::open(&racy).stats, IndexStats { fresh: 0, rebuilt: 3 });
    }
    // Once the files are older than the window, the entries written from them hold.
    assert_eq!(f.load().1, IndexStats { fresh: 0, rebuilt: 3 });
    assert_eq!(f.load().1, IndexStats { fresh: 3, rebuilt: 0 });
}

#[test]
fn models_without_records_are_not_listed() {
    let f = Fixture::new();
    std::fs::create_dir_all(f.root().join("models/empty/records")).unwrap();
    let source = f.source();
    for _ in 0..2 {
        let index = Index::open(&source);
        let names: Vec<_> = index.models().into_iter().map(|m| m.name.to_string()).collect();
        assert_eq!(names, ["alpha", "beta", "gamma"]);
    }
}
