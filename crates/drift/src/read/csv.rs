//! Delimited text. The header row names the columns; kinds are inferred from the first
//! `infer_rows` rows, which are kept and replayed so the file is read once, front to back.

use std::collections::VecDeque;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use csv::{ByteRecord, ReaderBuilder};

use super::source::{Compression, open_text};
use super::{Batch, BatchReader, ColumnChunk, ReadOptions};
use crate::error::DriftError;
use crate::schema::{ColumnKind, ColumnSchema, Inferred, infer, is_null_token, parse_bool, parse_datetime};

pub struct CsvReader {
    file: PathBuf,
    compression: Compression,
    reader: csv::Reader<BufReader<Box<dyn Read + Send>>>,
    schema: Vec<ColumnSchema>,
    /// Field index in the file of each schema column.
    fields: Vec<usize>,
    pending: VecDeque<ByteRecord>,
    header_len: usize,
    delimiter: u8,
    batch_rows: usize,
    strict: bool,
    aligned: bool,
}

/// Picks the delimiter that occurs most often, outside quotes, in the header line.
fn detect_delimiter(path: &Path, compression: Compression) -> Result<u8, DriftError> {
    let io = |source| DriftError::Io { file: path.to_path_buf(), source };
    let mut head = Vec::with_capacity(64 * 1024);
    open_text(path, compression, 0)?.take(64 * 1024).read_to_end(&mut head).map_err(io)?;
    let line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let mut best = (b',', 0usize);
    for cand in [b',', b'\t', b';', b'|'] {
        let mut in_quotes = false;
        let count = line
            .iter()
            .filter(|&&b| {
                if b == b'"' {
                    in_quotes = !in_quotes;
                }
                !in_quotes && b == cand
            })
            .count();
        if count > best.1 {
            best = (cand, count);
        }
    }
    Ok(best.0)
}

fn map_csv_error(file: &Path, err: csv::Error) -> DriftError {
    let file = file.to_path_buf();
    let line = err.position().map_or(0, |p| p.line());
    match err.into_kind() {
        csv::ErrorKind::Io(source) => DriftError::Io { file, source },
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => {
            DriftError::RaggedRow { file, line: pos.map_or(line, |p| p.line()), expected: expected_len, found: len }
        }
        other => DriftError::Csv { file, line, message: format!("{other:?}") },
    }
}

fn cell_text<'a>(file: &Path, record: &'a ByteRecord, field: usize, column: &str) -> Result<&'a str, DriftError> {
    cell_str(record.get(field).unwrap_or(&[])).ok_or_else(|| DriftError::NotUtf8 {
        file: file.to_path_buf(),
        line: record.position().map_or(0, |p| p.line()),
        column: column.to_string(),
    })
}

/// Powers of ten that are exact in an `f64` (10^0 … 10^22).
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// The value of a plain decimal cell — `-?digits[.digits]`, no spaces, sign `-` only, no exponent —
/// whose digits, read as an integer m, are below 2^53 with at most 22 after the point; `None` for
/// anything else (which then goes the general way: UTF-8, trim, null tokens, `str::parse`).
///
/// m and 10^k are then both exact in an `f64`, so the one correctly rounded division m / 10^k is the
/// correctly rounded value of the decimal, which is what `str::parse::<f64>` returns too (Clinger's
/// fast path, the same one std takes first): the bits are identical, and a proptest checks it. Such a
/// cell is valid UTF-8, needs no trimming, is no null token and is finite, so the general way would
/// have added the same value and counted nothing.
pub(super) fn plain_decimal(bytes: &[u8]) -> Option<f64> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let (mut mantissa, mut count, mut after_point) = (0u64, 0u32, None::<usize>);
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                count += 1;
                if count > 19 {
                    return None;
                }
                mantissa = mantissa * 10 + u64::from(b - b'0');
                if let Some(k) = after_point.as_mut() {
                    *k += 1;
                }
            }
            b'.' if after_point.is_none() => after_point = Some(0),
            _ => return None,
        }
    }
    let k = after_point.unwrap_or(0);
    if count == 0 || mantissa >= 1 << 53 || k >= EXACT_POWERS_OF_TEN.len() {
        return None;
    }
    let value = mantissa as f64 / EXACT_POWERS_OF_TEN[k];
    Some(if negative { -value } else { value })
}

/// Adds a numerical cell by [`plain_decimal`] when it is one; `false` when it must go the general way.
pub(super) fn push_plain(chunk: &mut ColumnChunk, kind: ColumnKind, bytes: &[u8]) -> bool {
    match (kind, chunk) {
        (ColumnKind::Numerical, ColumnChunk::Numbers { values, .. }) => match plain_decimal(bytes) {
            Some(v) => {
                values.push(v);
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// A cell's text, trimmed; `None` when the bytes are not UTF-8.
pub(super) fn cell_str(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).map(str::trim).ok()
}

impl CsvReader {
    pub fn open(path: &Path, options: &ReadOptions) -> Result<Self, DriftError> {
        let file = path.to_path_buf();
        let meta = std::fs::metadata(path).map_err(|source| DriftError::Io { file: file.clone(), source })?;
        if meta.len() == 0 {
            return Err(DriftError::EmptyFile { file });
        }
        let compression = Compression::of(path);
        let delimiter = match options.delimiter {
            Some(d) => d,
            None => detect_delimiter(path, compression)?,
        };
        let handle = open_text(path, compression, 0)?;
        let mut reader = ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(false)
            .from_reader(BufReader::with_capacity(1 << 20, handle));
        let header = reader.byte_headers().map_err(|e| map_csv_error(path, e))?.clone();
        let mut names = Vec::with_capacity(header.len());
        for field in &header {
            let name = std::str::from_utf8(field)
                .map_err(|_| DriftError::NotUtf8 { file: file.clone(), line: 1, column: String::from("<header>") })?
                .trim()
                .to_string();
            if names.contains(&name) {
                return Err(DriftError::DuplicateColumn { file, column: name });
            }
            names.push(name);
        }
        if names.iter().all(String::is_empty) {
            return Err(DriftError::EmptyFile { file });
        }
        let mut pending = VecDeque::new();
        let mut record = ByteRecord::new();
        while pending.len() < options.infer_rows.max(1) {
            if !reader.read_byte_record(&mut record).map_err(|e| map_csv_error(path, e))? {
                break;
            }
            pending.push_back(record.clone());
        }
        if pending.is_empty() {
            return Err(DriftError::NoRows { file });
        }
        let mut schema = Vec::new();
        let mut fields = Vec::new();
        for (field, name) in names.iter().enumerate() {
            if options.ignore.contains(name) {
                continue;
            }
            let kind = if options.categorical.contains(name) {
                ColumnKind::Categorical
            } else {
                let cells: Vec<&str> =
                    pending.iter().map(|r| cell_text(path, r, field, name)).collect::<Result<_, _>>()?;
                match infer(cells.iter().copied()) {
                    Inferred::Kind(kind) => kind,
                    Inferred::AllNull => match options.expected.get(name) {
                        Some(&kind) => kind,
                        None if options.strict => {
                            return Err(DriftError::AllNull { file, column: name.clone() });
                        }
                        None => ColumnKind::Categorical,
                    },
                    Inferred::Mixed { index } if options.strict => {
                        return Err(DriftError::MixedTypes {
                            file,
                            column: name.clone(),
                            line: pending[index].position().map_or(0, |p| p.line()),
                            value: cells[index].to_string(),
                        });
                    }
                    Inferred::Mixed { .. } => {
                        let numeric = cells.iter().filter(|c| !is_null_token(c) && c.parse::<f64>().is_ok()).count();
                        let non_null = cells.iter().filter(|c| !is_null_token(c)).count();
                        if numeric * 2 >= non_null { ColumnKind::Numerical } else { ColumnKind::Categorical }
                    }
                }
            };
            schema.push(ColumnSchema { name: name.clone(), kind });
            fields.push(field);
        }
        Ok(CsvReader {
            file,
            compression,
            reader,
            schema,
            fields,
            pending,
            header_len: header.len(),
            delimiter,
            batch_rows: options.batch_rows.max(1),
            strict: options.strict,
            aligned: options.aligned,
        })
    }

    fn push_record(&self, record: &ByteRecord, chunks: &mut [ColumnChunk]) -> Result<(), DriftError> {
        for ((chunk, &field), column) in chunks.iter_mut().zip(&self.fields).zip(&self.schema) {
            if push_plain(chunk, column.kind, record.get(field).unwrap_or(&[])) {
                continue;
            }
            let text = cell_text(&self.file, record, field, &column.name)?;
            if let Err(expected) = push_cell(chunk, column.kind, text, self.strict, self.aligned) {
                return Err(DriftError::TypeError {
                    file: self.file.clone(),
                    column: column.name.clone(),
                    place: format!("line {}", record.position().map_or(0, |p| p.line())),
                    value: text.to_string(),
                    expected,
                });
            }
        }
        Ok(())
    }

    /// What the parallel reader needs to continue where this one stopped: the settings, and the byte
    /// offset (in the text, after any decompression) and line of the first record not yet read (the inference sample is in `pending`).
    pub(super) fn into_parts(self) -> CsvParts {
        let position = self.reader.position().clone();
        CsvParts {
            file: self.file,
            compression: self.compression,
            schema: self.schema,
            fields: self.fields,
            pending: self.pending.into(),
            header_len: self.header_len,
            delimiter: self.delimiter,
            batch_rows: self.batch_rows,
            strict: self.strict,
            aligned: self.aligned,
            byte: position.byte(),
            line: position.line(),
        }
    }
}

/// A [`CsvReader`] taken apart after its header and inference sample (see [`CsvReader::into_parts`]).
pub(super) struct CsvParts {
    pub file: PathBuf,
    pub compression: Compression,
    pub schema: Vec<ColumnSchema>,
    pub fields: Vec<usize>,
    pub pending: Vec<ByteRecord>,
    pub header_len: usize,
    pub delimiter: u8,
    pub batch_rows: usize,
    pub strict: bool,
    pub aligned: bool,
    pub byte: u64,
    pub line: u64,
}

/// Why a cell added no value to its column's `values` (when not reading aligned). The parallel reader
/// keeps these per row so that it can cut its blocks into batches of exactly `batch_rows` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Miss {
    Null,
    NonFinite,
    TypeError,
}

/// Converts one trimmed cell into its column's chunk: the one rule both CSV readers follow. Returns
/// what was missed, if anything, or `Err(expected type)` for a value that does not parse in strict mode.
pub(super) fn push_cell(
    chunk: &mut ColumnChunk,
    kind: ColumnKind,
    text: &str,
    strict: bool,
    aligned: bool,
) -> Result<Option<Miss>, &'static str> {
    match chunk {
        ColumnChunk::Numbers { values, nulls, non_finite, type_errors } => {
            if is_null_token(text) {
                *nulls += 1;
                if aligned {
                    values.push(f64::NAN);
                }
                return Ok(Some(Miss::Null));
            }
            let parsed = match kind {
                ColumnKind::Datetime => parse_datetime(text),
                _ => text.parse::<f64>().ok(),
            };
            let miss = match parsed {
                Some(v) if v.is_finite() => {
                    values.push(v);
                    return Ok(None);
                }
                Some(_) => {
                    *non_finite += 1;
                    Miss::NonFinite
                }
                None if strict => return Err(kind.as_str()),
                None => {
                    *type_errors += 1;
                    Miss::TypeError
                }
            };
            if aligned {
                values.push(f64::NAN);
            }
            Ok(Some(miss))
        }
        ColumnChunk::Labels { values, nulls, type_errors } => {
            if is_null_token(text) {
                *nulls += 1;
                if aligned {
                    values.push(String::new());
                }
                Ok(Some(Miss::Null))
            } else if kind == ColumnKind::Boolean {
                match parse_bool(text) {
                    Some(b) => {
                        values.push(b.to_string());
                        Ok(None)
                    }
                    None if strict => Err("boolean"),
                    None => {
                        *type_errors += 1;
                        if aligned {
                            values.push(String::new());
                        }
                        Ok(Some(Miss::TypeError))
                    }
                }
            } else {
                values.push(text.to_string());
                Ok(None)
            }
        }
    }
}

impl BatchReader for CsvReader {
    fn schema(&self) -> &[ColumnSchema] {
        &self.schema
    }

    fn next_batch(&mut self) -> Result<Option<Batch>, DriftError> {
        let mut chunks: Vec<ColumnChunk> = self.schema.iter().map(|c| ColumnChunk::empty(c.kind)).collect();
        let mut rows = 0u64;
        let mut record = ByteRecord::new();
        while (rows as usize) < self.batch_rows {
            if let Some(r) = self.pending.pop_front() {
                self.push_record(&r, &mut chunks)?;
            } else if self.reader.read_byte_record(&mut record).map_err(|e| map_csv_error(&self.file, e))? {
                self.push_record(&record, &mut chunks)?;
            } else {
                break;
            }
            rows += 1;
        }
        Ok((rows > 0).then_some(Batch { rows, columns: chunks }))
    }
}
