//! Streaming dataset readers: CSV and Parquet, read in batches of rows so memory is bounded by the batch
//! and by what the caller keeps (a profile keeps counts; exact mode keeps the finite numbers).
//!
//! Both readers deliver the same [`Batch`]: per column either the finite numbers (with counts of nulls,
//! non-finite values and cells that did not parse) or the labels. In *strict* mode (used for the
//! baseline) a cell that does not parse as its column's type is an error naming file, column and line;
//! otherwise (the target) it is counted as a type error, which is a data-quality finding.

mod csv;
mod parallel;
mod parquet;
mod source;

use std::collections::HashMap;
use std::path::Path;

use super::error::DriftError;
use super::schema::{ColumnKind, ColumnSchema};

/// Options for opening a dataset.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// CSV field delimiter; detected from the header line when `None`.
    pub delimiter: Option<u8>,
    /// Columns read as categorical whatever they look like.
    pub categorical: Vec<String>,
    /// Columns skipped entirely.
    pub ignore: Vec<String>,
    /// Kinds to assume for columns whose sample is all null (the baseline's kinds, for a target).
    pub expected: HashMap<String, ColumnKind>,
    /// Rows per batch.
    pub batch_rows: usize,
    /// Rows of a CSV file looked at to infer column kinds.
    pub infer_rows: usize,
    /// Cells that do not parse as their column's kind are errors (baseline) rather than counted.
    pub strict: bool,
    /// Keep rows aligned across columns: a missing, non-finite or unparseable number becomes NaN in
    /// `values` and a missing label becomes the empty string (still counted). Used to pair a label
    /// column with a prediction column; drift metrics read unaligned.
    pub aligned: bool,
    /// Exact mode keeps up to this many bytes of numbers per input in memory; beyond it each numerical
    /// column is spilled to its own temporary file and compared one column at a time.
    pub exact_memory: u64,
    /// Threads that parse a CSV file or decode a Parquet file: `0` for one per core, `1` for the
    /// sequential readers (the references the parallel readers are tested against: both deliver
    /// identical batches).
    pub threads: usize,
    /// Bytes per block of the parallel CSV reader; small values exercise block boundaries in tests.
    pub block_bytes: usize,
}

/// Default for [`ReadOptions::exact_memory`]: 256 MiB, about 32M numbers (1M rows × 32 columns).
pub const DEFAULT_EXACT_MEMORY: u64 = 256 << 20;

/// Default for [`ReadOptions::block_bytes`]: large enough that per-block work (a parser, a task) is
/// noise, small enough that a window of blocks per thread stays a few MB.
pub const DEFAULT_BLOCK_BYTES: usize = 1 << 20;

impl ReadOptions {
    /// The number of threads [`ReadOptions::threads`] asks for.
    pub fn thread_count(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            delimiter: None,
            categorical: Vec::new(),
            ignore: Vec::new(),
            expected: HashMap::new(),
            batch_rows: 65_536,
            infer_rows: 1_000,
            strict: true,
            aligned: false,
            exact_memory: DEFAULT_EXACT_MEMORY,
            threads: 0,
            block_bytes: DEFAULT_BLOCK_BYTES,
        }
    }
}

/// One column's values within a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnChunk {
    /// A numerical or datetime column (datetimes as seconds since the Unix epoch).
    Numbers {
        /// Finite values only (unless reading `aligned`).
        values: Vec<f64>,
        /// Null cells.
        nulls: u64,
        /// NaN and ±infinity, excluded from `values`.
        non_finite: u64,
        /// Cells that did not parse as a number (non-strict mode only).
        type_errors: u64,
    },
    /// A categorical or boolean column (booleans as `true`/`false`).
    Labels {
        /// The labels, in row order (nulls and type errors excluded unless reading aligned).
        values: Vec<String>,
        /// Null cells.
        nulls: u64,
        /// Cells that did not parse as a boolean (non-strict mode only).
        type_errors: u64,
    },
}

impl ColumnChunk {
    pub(crate) fn empty(kind: ColumnKind) -> Self {
        if kind.is_numeric() {
            ColumnChunk::Numbers { values: Vec::new(), nulls: 0, non_finite: 0, type_errors: 0 }
        } else {
            ColumnChunk::Labels { values: Vec::new(), nulls: 0, type_errors: 0 }
        }
    }
}

/// A batch of rows, column by column in schema order.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Rows in the batch.
    pub rows: u64,
    /// One chunk per schema column.
    pub columns: Vec<ColumnChunk>,
}

/// A dataset being read. `next_batch` returns `Ok(None)` at the end.
pub trait BatchReader: Send {
    /// The kept columns with their kinds, in file order.
    fn schema(&self) -> &[ColumnSchema];
    /// The next batch of at most `batch_rows` rows, or `None` after the last.
    fn next_batch(&mut self) -> Result<Option<Batch>, DriftError>;

    /// The finite min and max of numerical column `column` (its index in [`BatchReader::schema`]) when
    /// the file itself states them, so that no pass over the values is needed to learn them: `(∞, −∞)`
    /// when the column holds no finite value. `None` when unknown (always for CSV).
    fn finite_range(&self, column: usize) -> Option<(f64, f64)> {
        let _ = column;
        None
    }
}

/// Whether [`open`] reads `path` as Parquet (by its extension, `.parquet` or `.pq`).
pub fn is_parquet(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    matches!(ext.as_str(), "parquet" | "pq")
}

/// Opens a dataset by extension: `.parquet`/`.pq` as Parquet, anything else as delimited text
/// (`.gz`/`.gzip` and `.zst`/`.zstd` decompressed as a stream on a thread of its own).
pub fn open(path: &Path, options: &ReadOptions) -> Result<Box<dyn BatchReader>, DriftError> {
    for name in options.categorical.iter().chain(&options.ignore) {
        if name.is_empty() {
            return Err(DriftError::Config("an empty column name was given as an override".into()));
        }
    }
    let reader: Box<dyn BatchReader> = match is_parquet(path) {
        true => match options.thread_count() {
            1 => Box::new(parquet::ParquetReader::open(path, options)?),
            n => Box::new(parquet::ParallelParquetReader::open(path, options, n)?),
        },
        false => {
            let sequential = csv::CsvReader::open(path, options)?;
            match options.thread_count() {
                1 => Box::new(sequential),
                n => Box::new(parallel::ParallelCsvReader::start(sequential.into_parts(), n, options.block_bytes)?),
            }
        }
    };
    for name in options.categorical.iter().chain(&options.ignore) {
        let known = reader.schema().iter().any(|c| &c.name == name) || options.ignore.contains(name);
        // An override naming a column the target lacks is fine: the missing column is a finding.
        if !known && options.strict {
            return Err(DriftError::UnknownColumn { file: path.to_path_buf(), column: name.clone() });
        }
    }
    if reader.schema().is_empty() {
        return Err(DriftError::NoColumns { file: path.to_path_buf() });
    }
    Ok(reader)
}

/// [`csv::plain_decimal`], for the tests that compare it with `str::parse`.
#[cfg(test)]
pub(crate) fn plain_decimal_for_tests(bytes: &[u8]) -> Option<f64> {
    csv::plain_decimal(bytes)
}
