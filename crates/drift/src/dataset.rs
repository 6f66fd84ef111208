//! Exact mode's view of a dataset: every finite number of each numerical column, and the exact
//! category counts.
//!
//! Memory is bounded by [`ReadOptions::exact_memory`]: below it the numbers stay in memory, sorted at
//! load (the fast path). Once a file's buffered numbers exceed it, every numerical column is spilled
//! to its own temporary file (f64 little-endian, in a private [`tempfile::TempDir`]) and the rest of the
//! file streams there; a spilled column is read back and sorted only when it is compared
//! ([`ExactColumn::sorted`]), so peak memory is the budget plus the columns being compared at once
//! (one baseline + target pair per rayon thread), not the whole file. Results are identical either
//! way: sorting the same multiset gives the same slice. Profile mode ([`crate::profile`]) needs
//! no spill at all.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::DriftError;
use super::read::{ColumnChunk, ReadOptions, open};
use super::schema::ColumnKind;

/// Where an input came from: its URI as given and the blake3 digest of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    /// The input as the user named it (a path or URI).
    pub uri: String,
    /// `blake3:<hex>` of the file's bytes.
    pub digest: String,
    /// The file's size in bytes.
    pub bytes: u64,
}

impl SourceRef {
    /// Hashes the file with a buffered reader: memory-mapping would count the whole file in the
    /// process's resident set, which profile mode promises to keep small.
    pub fn of_file(path: &Path) -> Result<SourceRef, DriftError> {
        let io = |source| DriftError::Io { file: path.to_path_buf(), source };
        let mut hasher = blake3::Hasher::new();
        hasher.update_reader(std::fs::File::open(path).map_err(io)?).map_err(io)?;
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        Ok(SourceRef {
            uri: path.display().to_string(),
            digest: format!("blake3:{}", hasher.finalize().to_hex()),
            bytes,
        })
    }
}

/// Quality counters shared by exact columns and profiles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Rows read.
    pub rows: u64,
    /// Cells holding a null token (see [`crate::schema::NULL_TOKENS`]) or a Parquet null.
    pub nulls: u64,
    /// Numbers that are NaN or infinite.
    pub non_finite: u64,
    /// Cells that did not parse as the column's kind (target only; in the baseline they are errors).
    pub type_errors: u64,
}

impl Counts {
    pub(crate) fn add_chunk(&mut self, rows: u64, chunk: &ColumnChunk) {
        self.rows += rows;
        match chunk {
            ColumnChunk::Numbers { nulls, non_finite, type_errors, .. } => {
                self.nulls += nulls;
                self.non_finite += non_finite;
                self.type_errors += type_errors;
            }
            ColumnChunk::Labels { nulls, type_errors, .. } => {
                self.nulls += nulls;
                self.type_errors += type_errors;
            }
        }
    }

    /// Adds another shard's counts.
    pub fn merge(&mut self, other: &Counts) {
        self.rows += other.rows;
        self.nulls += other.nulls;
        self.non_finite += other.non_finite;
        self.type_errors += other.type_errors;
    }
}

#[derive(Debug, Clone, PartialEq)]
/// A column's values as exact mode keeps them.
pub enum ExactValues {
    /// Finite values, sorted ascending.
    Numbers(Vec<f64>),
    /// Finite values in file order, on disk (see the module docs).
    Spilled(Spill),
    /// Exact category counts (booleans as `true`/`false`).
    Labels(BTreeMap<String, u64>),
}

/// A numerical column spilled to a temporary file. The directory lives as long as any column in it.
#[derive(Debug, Clone)]
pub struct Spill {
    path: PathBuf,
    len: u64,
    dir: Arc<tempfile::TempDir>,
}

impl PartialEq for Spill {
    fn eq(&self, other: &Spill) -> bool {
        self.path == other.path && self.len == other.len
    }
}

impl Spill {
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The temporary directory holding the spill files (removed when the last column goes).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Reads the values back (in file order) without a second copy of the bytes.
    fn read(&self) -> Result<Vec<f64>, DriftError> {
        let io = |source| DriftError::Io { file: self.path.clone(), source };
        let mut reader = BufReader::with_capacity(1 << 20, File::open(&self.path).map_err(io)?);
        let mut values = Vec::with_capacity(self.len as usize);
        let mut chunk = vec![0u8; 1 << 16];
        let mut filled = 0;
        loop {
            let got = reader.read(&mut chunk[filled..]).map_err(io)?;
            filled += got;
            let whole = filled / 8 * 8;
            values.extend(chunk[..whole].chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8]))));
            chunk.copy_within(whole..filled, 0);
            filled -= whole;
            if got == 0 {
                break;
            }
        }
        if values.len() as u64 != self.len || filled != 0 {
            let message = format!("spill file holds {} values, expected {}", values.len(), self.len);
            return Err(io(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, message)));
        }
        Ok(values)
    }
}

#[derive(Debug, Clone, PartialEq)]
/// One column of a dataset loaded for exact mode.
pub struct ExactColumn {
    /// The column's name (its header).
    pub name: String,
    /// Its kind, inferred or declared.
    pub kind: ColumnKind,
    /// Rows, nulls, non-finite numbers and type errors.
    pub counts: Counts,
    /// The values: sorted numbers, spilled numbers or category counts.
    pub values: ExactValues,
}

#[derive(Debug, Clone, PartialEq)]
/// A dataset loaded for exact mode ([`load_exact`]).
pub struct ExactDataset {
    /// The file read and its digest.
    pub source: SourceRef,
    /// Rows read.
    pub rows: u64,
    /// The kept columns, in file order.
    pub columns: Vec<ExactColumn>,
}

impl ExactDataset {
    /// The column named `name`, if kept.
    pub fn column(&self, name: &str) -> Option<&ExactColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether any column was spilled to disk.
    pub fn spilled(&self) -> bool {
        self.columns.iter().any(|c| matches!(c.values, ExactValues::Spilled(_)))
    }
}

impl ExactColumn {
    /// The finite values, sorted: borrowed when in memory, read back and sorted when spilled.
    /// `None` for a categorical column.
    pub fn sorted(&self) -> Result<Option<Cow<'_, [f64]>>, DriftError> {
        match &self.values {
            ExactValues::Numbers(v) => Ok(Some(Cow::Borrowed(v))),
            ExactValues::Spilled(spill) => {
                // Sorted on the calling thread: comparisons run one feature per core already.
                let mut v = spill.read()?;
                v.sort_unstable_by(f64::total_cmp);
                Ok(Some(Cow::Owned(v)))
            }
            ExactValues::Labels(_) => Ok(None),
        }
    }
}

/// The spill files of one input while it is being read.
struct Spiller {
    dir: Arc<tempfile::TempDir>,
    files: Vec<Option<SpillEntry>>,
}

impl Spiller {
    /// Moves every numerical column's buffer to its own file.
    fn start(columns: &mut [ExactColumn]) -> Result<Spiller, DriftError> {
        let dir = tempfile::Builder::new()
            .prefix("modelreg-drift-")
            .tempdir()
            .map_err(|e| DriftError::Io { file: std::env::temp_dir(), source: e })?;
        let mut spiller = Spiller { dir: Arc::new(dir), files: Vec::new() };
        for (i, column) in columns.iter_mut().enumerate() {
            let file = match &mut column.values {
                ExactValues::Numbers(values) => {
                    let path = spiller.dir.path().join(format!("{i}.f64"));
                    let io = |source| DriftError::Io { file: path.clone(), source };
                    let writer = BufWriter::with_capacity(1 << 18, File::create(&path).map_err(io)?);
                    let mut entry = (path, writer, 0);
                    Spiller::write(&mut entry, values)?;
                    *values = Vec::new();
                    Some(entry)
                }
                _ => None,
            };
            spiller.files.push(file);
        }
        Ok(spiller)
    }

    fn write(entry: &mut SpillEntry, values: &[f64]) -> Result<(), DriftError> {
        let (path, writer, len) = entry;
        // Encoded a slab at a time, so the writer sees a few large writes rather than one per value.
        let mut slab = Vec::with_capacity(8 * values.len().min(1 << 15));
        for part in values.chunks(1 << 15) {
            slab.clear();
            slab.extend(part.iter().flat_map(|x| x.to_le_bytes()));
            writer.write_all(&slab).map_err(|source| DriftError::Io { file: path.clone(), source })?;
        }
        *len += values.len() as u64;
        Ok(())
    }

    fn finish(self, columns: &mut [ExactColumn]) -> Result<(), DriftError> {
        for (column, file) in columns.iter_mut().zip(self.files) {
            if let Some((path, writer, len)) = file {
                writer.into_inner().map_err(|e| DriftError::Io { file: path.clone(), source: e.into_error() })?;
                column.values = ExactValues::Spilled(Spill { path, len, dir: Arc::clone(&self.dir) });
            }
        }
        Ok(())
    }
}

/// A column's spill file while it is written: path, writer, values written.
type SpillEntry = (PathBuf, BufWriter<File>, u64);

/// Adds one batch's chunk to its column; returns the bytes of numbers now buffered in memory.
fn add_chunk(
    column: &mut ExactColumn,
    rows: u64,
    chunk: ColumnChunk,
    file: Option<&mut SpillEntry>,
) -> Result<u64, DriftError> {
    column.counts.add_chunk(rows, &chunk);
    match (&mut column.values, chunk) {
        (ExactValues::Numbers(all), ColumnChunk::Numbers { values, .. }) => match file {
            Some(entry) => Spiller::write(entry, &values).map(|()| 0),
            None => {
                all.extend_from_slice(&values);
                Ok(8 * values.len() as u64)
            }
        },
        (ExactValues::Labels(all), ColumnChunk::Labels { values, .. }) => {
            for v in values {
                match all.get_mut(v.as_str()) {
                    Some(count) => *count += 1,
                    None => {
                        all.insert(v, 1);
                    }
                }
            }
            Ok(0)
        }
        _ => unreachable!("readers emit chunks matching the schema's kinds"),
    }
}

/// Reads a whole dataset for exact mode. In strict mode a column with no usable value is an error.
pub fn load_exact(path: &Path, options: &ReadOptions) -> Result<ExactDataset, DriftError> {
    let source = SourceRef::of_file(path)?;
    let mut reader = open(path, options)?;
    let mut columns: Vec<ExactColumn> = reader
        .schema()
        .iter()
        .map(|c| ExactColumn {
            name: c.name.clone(),
            kind: c.kind,
            counts: Counts::default(),
            values: if c.kind.is_numeric() {
                ExactValues::Numbers(Vec::new())
            } else {
                ExactValues::Labels(BTreeMap::new())
            },
        })
        .collect();
    let mut rows = 0;
    let (mut buffered, mut spiller): (u64, Option<Spiller>) = (0, None);
    while let Some(batch) = reader.next_batch()? {
        rows += batch.rows;
        // Columns are independent: each is extended (or its spill file written) on its own thread,
        // in batch order, so the result does not depend on the thread count.
        let files: Vec<Option<&mut SpillEntry>> = match spiller.as_mut() {
            Some(s) => s.files.iter_mut().map(Option::as_mut).collect(),
            None => columns.iter().map(|_| None).collect(),
        };
        let batch_rows = batch.rows;
        buffered += columns
            .par_iter_mut()
            .zip(batch.columns.into_par_iter())
            .zip(files.into_par_iter())
            .map(|((column, chunk), file)| add_chunk(column, batch_rows, chunk, file))
            .try_reduce(|| 0, |a, b| Ok(a + b))?;
        if spiller.is_none() && buffered > options.exact_memory {
            spiller = Some(Spiller::start(&mut columns)?);
        }
    }
    if let Some(spiller) = spiller {
        spiller.finish(&mut columns)?;
    }
    if rows == 0 {
        return Err(DriftError::NoRows { file: path.to_path_buf() });
    }
    for column in &columns {
        let empty = match &column.values {
            ExactValues::Numbers(v) => v.is_empty(),
            ExactValues::Spilled(s) => s.is_empty(),
            ExactValues::Labels(m) => m.is_empty(),
        };
        if empty && options.strict {
            return Err(DriftError::AllNull { file: path.to_path_buf(), column: column.name.clone() });
        }
    }
    // One column per core, each sorted on its thread (no nested splitting of a column's sort).
    columns.par_iter_mut().with_max_len(1).for_each(|c| {
        if let ExactValues::Numbers(v) = &mut c.values {
            v.sort_unstable_by(f64::total_cmp);
        }
    });
    Ok(ExactDataset { source, rows, columns })
}
