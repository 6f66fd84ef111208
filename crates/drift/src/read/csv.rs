//! Delimited text. The header row names the columns; kinds are inferred from the first
//! `infer_rows` rows, which are kept and replayed so the file is read once, front to back.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use csv::{ByteRecord, ReaderBuilder};

use super::{Batch, BatchReader, ColumnChunk, ReadOptions};
use crate::error::DriftError;
use crate::schema::{ColumnKind, ColumnSchema, Inferred, infer, is_null_token, parse_bool, parse_datetime};

pub struct CsvReader {
    file: PathBuf,
    reader: csv::Reader<BufReader<File>>,
    schema: Vec<ColumnSchema>,
    /// Field index in the file of each schema column.
    fields: Vec<usize>,
    pending: VecDeque<ByteRecord>,
    batch_rows: usize,
    strict: bool,
    aligned: bool,
}

/// Picks the delimiter that occurs most often, outside quotes, in the header line.
fn detect_delimiter(path: &Path) -> Result<u8, DriftError> {
    let io = |source| DriftError::Io { file: path.to_path_buf(), source };
    let mut head = Vec::with_capacity(64 * 1024);
    File::open(path).map_err(io)?.take(64 * 1024).read_to_end(&mut head).map_err(io)?;
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
    let bytes = record.get(field).unwrap_or(&[]);
    std::str::from_utf8(bytes).map(str::trim).map_err(|_| DriftError::NotUtf8 {
        file: file.to_path_buf(),
        line: record.position().map_or(0, |p| p.line()),
        column: column.to_string(),
    })
}

impl CsvReader {
    pub fn open(path: &Path, options: &ReadOptions) -> Result<Self, DriftError> {
        let file = path.to_path_buf();
        let meta = std::fs::metadata(path).map_err(|source| DriftError::Io { file: file.clone(), source })?;
        if meta.len() == 0 {
            return Err(DriftError::EmptyFile { file });
        }
        let delimiter = match options.delimiter {
            Some(d) => d,
            None => detect_delimiter(path)?,
        };
        let handle = File::open(path).map_err(|source| DriftError::Io { file: file.clone(), source })?;
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
            reader,
            schema,
            fields,
            pending,
            batch_rows: options.batch_rows.max(1),
            strict: options.strict,
            aligned: options.aligned,
        })
    }

    fn push_record(&self, record: &ByteRecord, chunks: &mut [ColumnChunk]) -> Result<(), DriftError> {
        for ((chunk, &field), column) in chunks.iter_mut().zip(&self.fields).zip(&self.schema) {
            let text = cell_text(&self.file, record, field, &column.name)?;
            let type_error = |expected: &'static str| DriftError::TypeError {
                file: self.file.clone(),
                column: column.name.clone(),
                place: format!("line {}", record.position().map_or(0, |p| p.line())),
                value: text.to_string(),
                expected,
            };
            let aligned = self.aligned;
            match chunk {
                ColumnChunk::Numbers { values, nulls, non_finite, type_errors } => {
                    if is_null_token(text) {
                        *nulls += 1;
                        if aligned {
                            values.push(f64::NAN);
                        }
                        continue;
                    }
                    let parsed = match column.kind {
                        ColumnKind::Datetime => parse_datetime(text),
                        _ => text.parse::<f64>().ok(),
                    };
                    match parsed {
                        Some(v) if v.is_finite() => values.push(v),
                        Some(_) => *non_finite += 1,
                        None if self.strict => return Err(type_error(column.kind.as_str())),
                        None => *type_errors += 1,
                    }
                    if aligned && !parsed.is_some_and(f64::is_finite) {
                        values.push(f64::NAN);
                    }
                }
                ColumnChunk::Labels { values, nulls, type_errors } => {
                    if is_null_token(text) {
                        *nulls += 1;
                        if aligned {
                            values.push(String::new());
                        }
                    } else if column.kind == ColumnKind::Boolean {
                        match parse_bool(text) {
                            Some(b) => values.push(b.to_string()),
                            None if self.strict => return Err(type_error("boolean")),
                            None if aligned => {
                                *type_errors += 1;
                                values.push(String::new());
                            }
                            None => *type_errors += 1,
                        }
                    } else {
                        values.push(text.to_string());
                    }
                }
            }
        }
        Ok(())
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
