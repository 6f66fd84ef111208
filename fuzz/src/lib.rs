//! The fuzz targets' bodies: one function per parser that reads untrusted bytes (issue #11).
//!
//! Each `fuzz_targets/<name>.rs` is one line that hands libFuzzer's input to the function of the same
//! name here, and `tests/integration/test_fuzz_corpus.rs` includes this file (`#[path]`) to replay
//! every committed corpus file through the same functions under plain `cargo test` on the stable
//! toolchain. So there is one definition of what a target exercises, whichever runs it.
//!
//! The contract every target checks: the parser returns (`Ok` or `Err`, never a panic, never a hang),
//! and where the library promises more, that too — a record or trust file that parses re-serialises to
//! bytes that parse back to the same value, and the parallel CSV and Parquet readers deliver exactly
//! the sequential readers' batches. A violated promise panics here, which libFuzzer records as a crash.
//!
//! Only crates that `modelreg` itself depends on are used, so the replay test builds with the root
//! package's dependencies.

#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use modelreg::drift::read::{self, Batch, BatchReader};
use modelreg::drift::{DriftConfig, Input, Profile, ReadOptions};
use modelreg::repo::GitRepo;
use modelreg::repo::snapshot::{EntryKind, Snapshot};
use modelreg::state::query::Query;
use modelreg::state::search::SearchDoc;
use modelreg::{Record, Timestamp, Trust, Version};

/// A target: its name (the corpus directory `fuzz/corpus/<name>/` and the binary `fuzz_targets/<name>.rs`)
/// and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, in the order `.ci/fuzz` runs them.
pub const TARGETS: &[Target] = &[
    ("records", records),
    ("trust", trust),
    ("config", config),
    ("signature", signature),
    ("card_fields", card_fields),
    ("query", query),
    ("hook_lines", hook_lines),
    ("git_tree", git_tree),
    ("index", index),
    ("profile", profile),
    ("csv", csv),
    ("parquet", parquet),
];

/// A record (`models/<name>/records/*.toml`); one that parses survives a round trip through its bytes.
pub fn records(data: &[u8]) {
    if let Ok(record) = Record::parse(data) {
        let bytes = record.to_bytes();
        let again = Record::parse(&bytes).unwrap_or_else(|e| panic!("a parsed record's bytes do not parse: {e}"));
        assert_eq!(again, record, "a record changed in a round trip through its bytes");
    }
}

/// The trust file (`.modelreg/trust.toml`); one that parses survives a round trip through its bytes.
pub fn trust(data: &[u8]) {
    if let Ok(trust) = Trust::parse(data) {
        let bytes = trust.to_bytes();
        let again = Trust::parse(&bytes).unwrap_or_else(|e| panic!("a parsed trust file's bytes do not parse: {e}"));
        assert_eq!(again.to_bytes(), bytes, "a trust file changed in a round trip through its bytes");
    }
}

/// The registry configuration (`modelreg.toml`), with its `[drift]` table validated as a run would.
pub fn config(data: &[u8]) {
    if let Ok(config) = modelreg::repo::Config::parse(data)
        && let Some(drift) = &config.drift
    {
        let _ = drift.validate();
    }
}

/// What every signature file is checked against: the exact bytes signed.
const SIGNED: &[u8] = b"schema = \"modelreg/register/v1\"\n";

/// An armored SSHSIG signature file (`*.<key id>.sig`), verified over fixed bytes; and the same bytes
/// read as an OpenSSH public key line (trust files and `key add` parse those).
pub fn signature(data: &[u8]) {
    let _ = modelreg::sign::verify(data, SIGNED);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = modelreg::PublicKey::parse(text);
    }
}

/// A model's `card.toml`.
pub fn card_fields(data: &[u8]) {
    let _ = modelreg::card::CardFields::parse(data);
}

/// The search language; a query that parses is also evaluated against a version.
pub fn query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(query) = Query::parse(text) {
        let _ = query.matches(&sample_doc());
    }
}

fn sample_doc() -> SearchDoc {
    SearchDoc {
        name: "fraud-detector".parse().expect("a valid model name"),
        version: Version::try_from(2).expect("2 is a version"),
        created_at: Timestamp::from_unix_seconds(1_790_000_000),
        author: "Quinn <quinn@example.com>".into(),
        framework: Some("sklearn".into()),
        description: Some("Flags card transactions for review".into()),
        tags: vec![("team".into(), "risk".into())],
        metrics: vec![("auc".into(), 0.934), ("recall".into(), 0.87)],
        params: vec![("C".into(), "0.3".into())],
        stages: vec!["production".parse().expect("a valid stage")],
        archived: false,
    }
}

/// The lines git gives the `pre-receive` and `pre-push` hooks on standard input.
pub fn hook_lines(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = modelreg::ops::check::parse_receive_lines(&text);
    let _ = modelreg::ops::check::parse_push_lines(&text);
}

/// A process-wide counter naming scratch files, so parallel replays never share one.
static SCRATCH: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's scratch directory and bare repository (a `git2::Repository` is not `Sync`).
    static SCRATCH_DIR: RefCell<Option<(tempfile::TempDir, GitRepo, git2::Repository)>> = const { RefCell::new(None) };
}

fn with_scratch<T>(f: impl FnOnce(&Path, &GitRepo, &git2::Repository) -> T) -> T {
    SCRATCH_DIR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let (dir, git, raw) = cell.get_or_insert_with(|| {
            let dir = tempfile::tempdir().expect("a scratch directory");
            let raw = git2::Repository::init_bare(dir.path().join("repo.git")).expect("a scratch repository");
            let git = GitRepo::discover_any(&dir.path().join("repo.git")).expect("the scratch repository opens");
            (dir, git, raw)
        });
        f(dir.path(), git, raw)
    })
}

/// Writes `data` to a fresh scratch file named `*.<extension>`, runs `f` on its path, then removes it.
fn with_file<T>(data: &[u8], extension: &str, f: impl FnOnce(&Path) -> T) -> T {
    with_scratch(|dir, _, _| {
        let n = SCRATCH.fetch_add(1, Ordering::Relaxed);
        let path: PathBuf = dir.join(format!("input-{n}.{extension}"));
        std::fs::write(&path, data).expect("the scratch file is written");
        let out = f(&path);
        let _ = std::fs::remove_file(&path);
        out
    })
}

/// A raw tree object, as a push may bring it: checked for malformed trees (duplicate names, bad modes,
/// unsorted entries) both as the root tree and as a subdirectory, then listed and read through the
/// snapshot the rules judge. Its entries name objects that mostly do not exist: errors, not panics.
pub fn git_tree(data: &[u8]) {
    with_scratch(|_, git, raw| {
        let Ok(odb) = raw.odb() else { return };
        let Ok(tree) = odb.write(git2::ObjectType::Tree, data) else { return };
        let mut wrapper = b"40000 d\0".to_vec();
        wrapper.extend_from_slice(tree.as_bytes());
        let Ok(outer) = odb.write(git2::ObjectType::Tree, &wrapper) else { return };
        let commit = |tree: git2::Oid| {
            let text =
                format!("tree {tree}\nauthor F <f@example.com> 0 +0000\ncommitter F <f@example.com> 0 +0000\n\nf\n");
            odb.write(git2::ObjectType::Commit, text.as_bytes()).map(|id| id.to_string())
        };
        let (Ok(inner), Ok(outer)) = (commit(tree), commit(outer)) else { return };
        let _ = git.malformed_trees(None, &inner);
        let _ = git.malformed_trees(None, &outer);
        let _ = git.malformed_trees(Some(&inner), &outer);
        if let Ok(snapshot) = git.tree_snapshot(&outer) {
            read_all(&snapshot, "", 0);
        }
    })
}

/// Lists and reads every path of a snapshot, a few levels deep.
fn read_all(snapshot: &dyn Snapshot, dir: &str, depth: usize) {
    let Ok(Some(entries)) = snapshot.list(dir) else { return };
    for entry in entries {
        let path = if dir.is_empty() { entry.name.clone() } else { format!("{dir}/{}", entry.name) };
        let _ = snapshot.kind(&path);
        match entry.kind {
            EntryKind::Dir if depth < 3 => read_all(snapshot, &path, depth + 1),
            EntryKind::Dir => {}
            _ => {
                let _ = snapshot.read(&path, 1 << 16);
            }
        }
    }
}

/// What the `index` target's files are written for (the index refuses a file of another working tree).
const INDEX_ROOT_ID: &str = "fuzz-root\n";

/// The search index file (`.git/modelreg/search-cache`), from the remembered HEAD on. The harness
/// writes the header the reader checks first (magic, checksum, format, working tree), so the input
/// reaches the entries instead of dying at the checksum.
pub fn index(data: &[u8]) {
    let mut rest = 1u32.to_le_bytes().to_vec();
    rest.extend_from_slice(&(INDEX_ROOT_ID.len() as u32).to_le_bytes());
    rest.extend_from_slice(INDEX_ROOT_ID.as_bytes());
    rest.extend_from_slice(data);
    let mut file = b"MRINDEX\0".to_vec();
    file.extend_from_slice(blake3::hash(&rest).as_bytes());
    file.extend_from_slice(&rest);
    let _ = modelreg::index::decode_untrusted(&file, INDEX_ROOT_ID);
}

/// A drift profile file; one that parses is merged with itself and compared with itself, as
/// `profile merge` and `drift --baseline-profile` would.
pub fn profile(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(profile) = Profile::from_toml(text, Path::new("fuzz-profile.toml")) else { return };
    let _ = Profile::merge(&[profile.clone(), profile.clone()]);
    let input = Input::Profile(profile);
    let _ = modelreg::drift::compare(&input, &input, &ReadOptions::default(), &DriftConfig::default());
}

/// Options that make small inputs cross batch and block boundaries.
fn small_reads(strict: bool, threads: usize) -> ReadOptions {
    ReadOptions { batch_rows: 3, infer_rows: 16, strict, threads, block_bytes: 64, ..ReadOptions::default() }
}

/// Every batch a reader delivers until its end or its first error (then `Err` with the batches before).
fn drain(mut reader: Box<dyn BatchReader>) -> Result<Vec<Batch>, Vec<Batch>> {
    let mut batches = Vec::new();
    loop {
        match reader.next_batch() {
            Ok(Some(batch)) => batches.push(batch),
            Ok(None) => return Ok(batches),
            Err(_) => return Err(batches),
        }
    }
}

/// Reads a file sequentially and in parallel: the two must agree on the schema, the batches and
/// whether the file reads to the end.
fn read_both_ways(path: &Path, strict: bool) {
    let sequential = read::open(path, &small_reads(strict, 1));
    let parallel = read::open(path, &small_reads(strict, 2));
    match (sequential, parallel) {
        (Ok(s), Ok(p)) => {
            assert_eq!(s.schema(), p.schema(), "the parallel reader sees another schema");
            for column in 0..s.schema().len() {
                let (a, b) = (s.finite_range(column), p.finite_range(column));
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "the parallel reader sees another range");
            }
            let (s, p) = (drain(s), drain(p));
            assert_eq!(s.is_ok(), p.is_ok(), "one reader reads to the end and the other fails");
            if let (Ok(s), Ok(p)) = (s, p) {
                assert!(s == p, "the parallel reader delivers other batches");
            }
        }
        (s, p) => assert_eq!(s.is_ok(), p.is_ok(), "one reader opens the file and the other refuses it"),
    }
}

/// A CSV file, as baseline (strict) and as target; gzip or zstd bytes (by their magic number) are
/// read as `.csv.gz` or `.csv.zst`, through the decompressing reader.
pub fn csv(data: &[u8]) {
    let extension = match data {
        [0x1f, 0x8b, ..] => "csv.gz",
        [0x28, 0xb5, 0x2f, 0xfd, ..] => "csv.zst",
        _ => "csv",
    };
    with_file(data, extension, |path| {
        read_both_ways(path, true);
        read_both_ways(path, false);
    })
}

/// A Parquet file, as baseline (strict) and as target.
pub fn parquet(data: &[u8]) {
    with_file(data, "parquet", |path| {
        read_both_ways(path, true);
        read_both_ways(path, false);
    })
}
