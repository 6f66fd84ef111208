//! Parquet through the arrow reader: only the kept columns are decoded (a projection), in record
//! batches of `batch_rows`. Types come from the file's schema, so there is nothing to infer and no cell
//! can fail to parse; a truncated or corrupt file fails when opened or when the damaged row group is
//! reached, with the parquet crate's reason.
//!
//! Two readers deliver the same batches:
//! - [`ParquetReader`], one arrow reader over every kept column: the sequential reference.
//! - [`ParallelParquetReader`], one arrow reader *per column*, each over the same row groups with the
//!   same batch size, so their i-th batches hold the same rows (a batch spans row groups the same way
//!   whatever the projection). A thread of its own asks a pool for the next batch of every column at
//!   once — pages decompressed, decoded and converted one column per core — while the caller folds
//!   the previous batch. Memory is one batch per column, two batches deep, whatever the row groups'
//!   size. An error names the same row as the sequential reader's.
//!
//! The footer's statistics answer one question without a pass over the data:
//! [`BatchReader::finite_range`] is a numerical column's finite min and max when every row group's
//! statistics state them exactly (see [`known_range`] for when they are trusted). Profiling uses it
//! to fix histogram edges without a first pass, and checks it against what it then sees.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Date64Type, Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};
use parquet::basic::ColumnOrder;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::Statistics;
use rayon::prelude::*;

use super::{Batch, BatchReader, ColumnChunk, ReadOptions};
use crate::error::DriftError;
use crate::schema::{ColumnKind, ColumnSchema};

fn kind_of(data_type: &DataType) -> Option<ColumnKind> {
    use DataType::*;
    match data_type {
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 | Float16 | Float32 | Float64 => {
            Some(ColumnKind::Numerical)
        }
        Decimal128(..) | Decimal256(..) => Some(ColumnKind::Numerical),
        Boolean => Some(ColumnKind::Boolean),
        Utf8 | LargeUtf8 | Utf8View => Some(ColumnKind::Categorical),
        Dictionary(_, value) => kind_of(value).filter(|k| *k == ColumnKind::Categorical),
        Date32 | Date64 | Timestamp(..) => Some(ColumnKind::Datetime),
        _ => None,
    }
}

/// What both readers know of a file: the kept columns, their arrow types and where they are.
struct Layout {
    file: PathBuf,
    metadata: ArrowReaderMetadata,
    schema: Vec<ColumnSchema>,
    types: Vec<DataType>,
    /// Root index in the file's schema of each kept column.
    roots: Vec<usize>,
    /// From the footer's statistics, per kept column (see [`known_range`]).
    ranges: Vec<Option<(f64, f64)>>,
    batch_rows: usize,
    aligned: bool,
}

impl Layout {
    fn open(path: &Path, options: &ReadOptions) -> Result<Layout, DriftError> {
        let file = path.to_path_buf();
        let err = |e: &dyn std::fmt::Display| DriftError::Parquet { file: file.clone(), message: e.to_string() };
        let handle = File::open(path).map_err(|source| DriftError::Io { file: file.clone(), source })?;
        if handle.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
            return Err(DriftError::EmptyFile { file });
        }
        let metadata = ArrowReaderMetadata::load(&handle, ArrowReaderOptions::default()).map_err(|e| err(&e))?;
        if metadata.metadata().file_metadata().num_rows() == 0 {
            return Err(DriftError::NoRows { file });
        }
        let (mut schema, mut types, mut roots, mut ranges) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (index, field) in metadata.schema().fields().iter().enumerate() {
            let name = field.name();
            if options.ignore.contains(name) {
                continue;
            }
            let Some(inferred) = kind_of(field.data_type()) else {
                return Err(DriftError::UnsupportedType {
                    file,
                    column: name.clone(),
                    data_type: field.data_type().to_string(),
                });
            };
            let kind = if options.categorical.contains(name) { ColumnKind::Categorical } else { inferred };
            let range = (kind == ColumnKind::Numerical)
                .then(|| known_range(metadata.metadata(), index, field.data_type()))
                .flatten();
            schema.push(ColumnSchema { name: name.clone(), kind });
            types.push(field.data_type().clone());
            roots.push(index);
            ranges.push(range);
        }
        Ok(Layout {
            file,
            metadata,
            schema,
            types,
            roots,
            ranges,
            batch_rows: options.batch_rows.max(1),
            aligned: options.aligned,
        })
    }

    /// An arrow reader over the given kept columns (indices into `schema`).
    fn reader(&self, columns: &[usize]) -> Result<ParquetRecordBatchReader, DriftError> {
        let err = |e: &dyn std::fmt::Display| DriftError::Parquet { file: self.file.clone(), message: e.to_string() };
        let io = |source| DriftError::Io { file: self.file.clone(), source };
        // A file handle per reader: readers on different threads never share a file offset.
        let handle = File::open(&self.file).map_err(io)?;
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(handle, self.metadata.clone());
        let mask = ProjectionMask::roots(builder.parquet_schema(), columns.iter().map(|&c| self.roots[c]));
        builder.with_projection(mask).with_batch_size(self.batch_rows).build().map_err(|e| err(&e))
    }

    /// The error for a batch that failed after `rows_read` rows.
    fn batch_error(&self, rows_read: u64, e: &dyn std::fmt::Display) -> DriftError {
        DriftError::Parquet { file: self.file.clone(), message: format!("after row {rows_read}: {e}") }
    }

    fn convert(&self, c: usize, array: &ArrayRef, rows_read: u64) -> Result<ColumnChunk, DriftError> {
        let (column, data_type) = (&self.schema[c], &self.types[c]);
        let err = |e: arrow_schema::ArrowError| DriftError::Parquet {
            file: self.file.clone(),
            message: format!("column {:?} near row {}: {e}", column.name, rows_read + 1),
        };
        let nulls = array.null_count() as u64;
        match column.kind {
            ColumnKind::Numerical | ColumnKind::Datetime => {
                let (floats, scale) = match data_type {
                    DataType::Date32 => {
                        let days = array.as_primitive::<Date32Type>();
                        (days.iter().map(|d| d.map(|d| d as f64 * 86_400.0)).collect::<Vec<_>>(), 1.0)
                    }
                    DataType::Date64 => {
                        let ms = array.as_primitive::<Date64Type>();
                        (ms.iter().map(|d| d.map(|d| d as f64)).collect(), 1e-3)
                    }
                    DataType::Timestamp(unit, _) => {
                        let ints = arrow_cast::cast(array, &DataType::Int64).map_err(err)?;
                        let scale = match unit {
                            TimeUnit::Second => 1.0,
                            TimeUnit::Millisecond => 1e-3,
                            TimeUnit::Microsecond => 1e-6,
                            TimeUnit::Nanosecond => 1e-9,
                        };
                        (ints.as_primitive::<Int64Type>().iter().map(|v| v.map(|v| v as f64)).collect(), scale)
                    }
                    _ => {
                        let cast = arrow_cast::cast(array, &DataType::Float64).map_err(err)?;
                        (cast.as_primitive::<Float64Type>().iter().collect(), 1.0)
                    }
                };
                let mut values = Vec::with_capacity(floats.len());
                let mut non_finite = 0;
                for v in floats {
                    match v.map(|v| v * scale) {
                        Some(v) if v.is_finite() => values.push(v),
                        Some(_) => {
                            non_finite += 1;
                            if self.aligned {
                                values.push(f64::NAN);
                            }
                        }
                        None if self.aligned => values.push(f64::NAN),
                        None => {}
                    }
                }
                Ok(ColumnChunk::Numbers { values, nulls, non_finite, type_errors: 0 })
            }
            ColumnKind::Boolean => {
                let values = array.as_boolean().iter().filter(|b| self.aligned || b.is_some());
                let values = values.map(|b| b.map(|b| b.to_string()).unwrap_or_default()).collect();
                Ok(ColumnChunk::Labels { values, nulls, type_errors: 0 })
            }
            ColumnKind::Categorical => {
                let text = arrow_cast::cast(array, &DataType::Utf8).map_err(err)?;
                let values = text.as_string::<i32>().iter().filter(|t| self.aligned || t.is_some());
                let values = values.map(|t| t.unwrap_or_default().to_string()).collect();
                Ok(ColumnChunk::Labels { values, nulls, type_errors: 0 })
            }
        }
    }
}

/// The finite min and max of a numerical column, from the footer alone, when it can be trusted to be
/// exactly what a pass over the values would find: every row group has statistics with a null count,
/// and each one holding a value states an exact, finite, non-zero min and max (zero is refused because
/// writers may store `-0.0` for `+0.0`; NaN never enters Parquet statistics, so a NaN-only row group
/// has none and is refused). Only floats and signed integers, whose conversion to `f64` keeps the
/// order; the column order must be the type-defined one. A column whose row groups hold only nulls
/// gives the empty range `(∞, −∞)`. `None`: read the values.
fn known_range(metadata: &ParquetMetaData, root: usize, data_type: &DataType) -> Option<(f64, f64)> {
    use DataType::*;
    if !matches!(data_type, Int8 | Int16 | Int32 | Int64 | Float32 | Float64) {
        return None;
    }
    let schema = metadata.file_metadata().schema_descr();
    let leaves: Vec<usize> = (0..schema.num_columns()).filter(|&l| schema.get_column_root_idx(l) == root).collect();
    let [leaf] = leaves[..] else { return None };
    if !matches!(metadata.file_metadata().column_order(leaf), ColumnOrder::TYPE_DEFINED_ORDER(_)) {
        return None;
    }
    let mut range = (f64::INFINITY, f64::NEG_INFINITY);
    for group in metadata.row_groups() {
        let stats = group.column(leaf).statistics()?;
        if stats.null_count_opt()? == group.num_rows() as u64 {
            continue;
        }
        if !stats.min_is_exact() || !stats.max_is_exact() {
            return None;
        }
        let (min, max) = match stats {
            Statistics::Int32(s) => (*s.min_opt()? as f64, *s.max_opt()? as f64),
            Statistics::Int64(s) => (*s.min_opt()? as f64, *s.max_opt()? as f64),
            Statistics::Float(s) => (*s.min_opt()? as f64, *s.max_opt()? as f64),
            Statistics::Double(s) => (*s.min_opt()?, *s.max_opt()?),
            _ => return None,
        };
        if !(min.is_finite() && max.is_finite() && min != 0.0 && max != 0.0 && min <= max) {
            return None;
        }
        range = (range.0.min(min), range.1.max(max));
    }
    Some(range)
}

/// The sequential reader: one arrow reader over every kept column.
pub struct ParquetReader {
    layout: Layout,
    reader: ParquetRecordBatchReader,
    rows_read: u64,
}

impl ParquetReader {
    /// Opens `path`, reading the footer (schema and statistics) only.
    pub fn open(path: &Path, options: &ReadOptions) -> Result<Self, DriftError> {
        let layout = Layout::open(path, options)?;
        let reader = layout.reader(&(0..layout.schema.len()).collect::<Vec<_>>())?;
        Ok(ParquetReader { layout, reader, rows_read: 0 })
    }
}

impl BatchReader for ParquetReader {
    fn schema(&self) -> &[ColumnSchema] {
        &self.layout.schema
    }

    fn finite_range(&self, column: usize) -> Option<(f64, f64)> {
        self.layout.ranges.get(column).copied().flatten()
    }

    fn next_batch(&mut self) -> Result<Option<Batch>, DriftError> {
        let Some(batch) = self.reader.next() else {
            return Ok(None);
        };
        let batch = batch.map_err(|e| self.layout.batch_error(self.rows_read, &e))?;
        let mut columns = Vec::with_capacity(self.layout.schema.len());
        for c in 0..self.layout.schema.len() {
            columns.push(self.layout.convert(c, batch.column(c), self.rows_read)?);
        }
        self.rows_read += batch.num_rows() as u64;
        Ok(Some(Batch { rows: batch.num_rows() as u64, columns }))
    }
}

/// One arrow reader per column, driven together on a pool; see the module docs.
pub struct ParallelParquetReader {
    schema: Vec<ColumnSchema>,
    ranges: Vec<Option<(f64, f64)>>,
    rx: Option<Receiver<Result<Batch, DriftError>>>,
    thread: Option<JoinHandle<()>>,
}

impl ParallelParquetReader {
    /// Opens `path` with one reader per kept column, decoded on `threads` threads.
    pub fn open(path: &Path, options: &ReadOptions, threads: usize) -> Result<Self, DriftError> {
        let layout = Arc::new(Layout::open(path, options)?);
        let mut readers =
            (0..layout.schema.len()).map(|c| layout.reader(&[c])).collect::<Result<Vec<_>, DriftError>>()?;
        let io = |source| DriftError::Io { file: layout.file.clone(), source };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("drift-parquet-{i}"))
            .build()
            .map_err(|e| io(std::io::Error::other(e)))?;
        let (tx, rx) = sync_channel(1);
        let producer = {
            let layout = Arc::clone(&layout);
            move || {
                let mut rows_read = 0u64;
                loop {
                    let next: Vec<Option<Result<(usize, ColumnChunk), DriftError>>> = pool.install(|| {
                        readers
                            .par_iter_mut()
                            .enumerate()
                            .map(|(c, reader)| {
                                reader.next().map(|batch| {
                                    let batch = batch.map_err(|e| layout.batch_error(rows_read, &e))?;
                                    Ok((batch.num_rows(), layout.convert(c, batch.column(0), rows_read)?))
                                })
                            })
                            .collect()
                    });
                    if next.iter().all(Option::is_none) {
                        return;
                    }
                    let batch = next
                        .into_iter()
                        .map(|chunk| {
                            chunk.unwrap_or_else(|| Err(layout.batch_error(rows_read, &"a column ended early")))
                        })
                        .collect::<Result<Vec<(usize, ColumnChunk)>, DriftError>>()
                        .and_then(|chunks| {
                            let rows = chunks.first().map_or(0, |c| c.0);
                            if chunks.iter().any(|c| c.0 != rows) {
                                return Err(layout.batch_error(rows_read, &"columns disagree on the batch's rows"));
                            }
                            Ok(Batch { rows: rows as u64, columns: chunks.into_iter().map(|c| c.1).collect() })
                        });
                    let failed = batch.is_err();
                    if let Ok(b) = &batch {
                        rows_read += b.rows;
                    }
                    if tx.send(batch).is_err() || failed {
                        return;
                    }
                }
            }
        };
        let thread = std::thread::Builder::new().name("drift-parquet-read".into()).spawn(producer).map_err(io)?;
        Ok(ParallelParquetReader {
            schema: layout.schema.clone(),
            ranges: layout.ranges.clone(),
            rx: Some(rx),
            thread: Some(thread),
        })
    }
}

impl BatchReader for ParallelParquetReader {
    fn schema(&self) -> &[ColumnSchema] {
        &self.schema
    }

    fn finite_range(&self, column: usize) -> Option<(f64, f64)> {
        self.ranges.get(column).copied().flatten()
    }

    fn next_batch(&mut self) -> Result<Option<Batch>, DriftError> {
        match self.rx.as_ref().map(Receiver::recv) {
            Some(Ok(batch)) => batch.map(Some),
            _ => Ok(None),
        }
    }
}

impl Drop for ParallelParquetReader {
    fn drop(&mut self) {
        // Closing the channel makes the thread stop after the batch it is decoding.
        self.rx = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
