//! The cache against real records directories in a temp dir: what is reused, what is rebuilt, and that
//! a damaged or foreign file never changes an answer.

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

fn summary(docs: &Docs) -> Vec<(String, u64, f64, Option<String>)> {
    docs.models
        .iter()
        .flat_map(|(_, versions)| versions.iter())
        .map(|d| (d.name.to_string(), d.version.get(), d.metrics[0].1, d.description.clone()))
        .collect()
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

    fn cache(&self) -> PathBuf {
        self.dir.path().join(".git/modelreg/search-cache")
    }

    fn load(&self) -> Docs {
        load_docs(self.root(), &self.cache(), None, &|docs| docs)
    }
}

#[test]
fn the_second_search_reads_no_record() {
    let f = Fixture::new();
    let cold = f.load();
    assert_eq!(cold.stats, CacheStats { fresh: 0, rebuilt: 3 });
    assert!(f.cache().exists());
    let warm = f.load();
    assert_eq!(warm.stats, CacheStats { fresh: 3, rebuilt: 0 });
    assert_eq!(summary(&cold), summary(&warm));
    assert_eq!(summary(&warm).len(), 6);
    assert_eq!(
        cold.models.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>(),
        warm.models.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>()
    );
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

    let docs = f.load();
    assert_eq!(docs.stats, CacheStats { fresh: 2, rebuilt: 1 });
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
    let docs = f.load();
    assert_eq!(docs.stats, CacheStats { fresh: 1, rebuilt: 2 });
    let names: Vec<_> = docs.models.iter().map(|(n, d)| (n.to_string(), d.len())).collect();
    assert_eq!(names, [("beta".into(), 1), ("delta".into(), 1), ("gamma".into(), 4)]);
    assert_eq!(f.load().stats, CacheStats { fresh: 3, rebuilt: 0 });
}

#[test]
fn a_damaged_or_foreign_cache_is_ignored_and_rebuilt() {
    let f = Fixture::new();
    let expected = summary(&f.load());
    let good = std::fs::read(f.cache()).unwrap();

    // Every single-byte flip and every truncation is refused, never trusted and never a panic.
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x40;
        assert!(index(&bad, &f.root().to_string_lossy()).is_none(), "flip at {i}");
    }
    for len in 0..good.len() {
        assert!(index(&good[..len], &f.root().to_string_lossy()).is_none(), "truncated to {len}");
    }

    std::fs::write(f.cache(), b"not a cache").unwrap();
    let docs = f.load();
    assert_eq!(docs.stats.rebuilt, 3);
    assert_eq!(summary(&docs), expected);

    // A cache copied from another clone (same models) answers nothing there.
    let other = Fixture::new();
    std::fs::create_dir_all(other.cache().parent().unwrap()).unwrap();
    std::fs::copy(f.cache(), other.cache()).unwrap();
    assert_eq!(other.load().stats.rebuilt, 3);
}

#[test]
fn unreadable_models_are_reported_every_time_and_not_cached() {
    let f = Fixture::new();
    let path = f.root().join("models/beta/records/000001-register.toml");
    std::fs::write(&path, "schema = \"modelreg/register/v1\"\nbroken").unwrap();
    for expected in [CacheStats { fresh: 0, rebuilt: 3 }, CacheStats { fresh: 2, rebuilt: 1 }] {
        let docs = f.load();
        assert_eq!(docs.unreadable.len(), 1);
        assert_eq!(docs.unreadable[0].path, "models/beta/records/000001-register.toml");
        assert!(docs.models.iter().all(|(n, _)| n.as_str() != "beta"));
        // The second time only the broken model is read again.
        assert_eq!(docs.stats, expected);
    }
}
