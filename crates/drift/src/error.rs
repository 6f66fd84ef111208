//! Errors that stop a drift or profile run. Each names the file, and where it applies the column and
//! the 1-based line (CSV, header = line 1) or row (Parquet, first data row = 1), so the user can find
//! the bad cell. Findings about the data that do not stop the run (a column missing from the target,
//! a type mismatch, type-error rates) are part of the report, not errors.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    #[error("{file}: {source}")]
    Io { file: PathBuf, source: std::io::Error },
    #[error("{file}: the file is empty")]
    EmptyFile { file: PathBuf },
    #[error("{file}: the file has a header but no data rows")]
    NoRows { file: PathBuf },
    #[error("{file}: line {line}: expected {expected} fields like the header, found {found}")]
    RaggedRow { file: PathBuf, line: u64, expected: u64, found: u64 },
    #[error("{file}: line {line}: the bytes are not valid UTF-8 (column {column:?})")]
    NotUtf8 { file: PathBuf, line: u64, column: String },
    #[error("{file}: line {line}: {message}")]
    Csv { file: PathBuf, line: u64, message: String },
    #[error("{file}: column {column:?} has no values (every row is null); ignore it or fix the data")]
    AllNull { file: PathBuf, column: String },
    #[error(
        "{file}: column {column:?} mixes numbers and text (line {line}: {value:?}); declare it categorical or fix the data"
    )]
    MixedTypes { file: PathBuf, column: String, line: u64, value: String },
    #[error("{file}: column {column:?}, {place}: {value:?} is not a valid {expected}")]
    TypeError { file: PathBuf, column: String, place: String, value: String, expected: &'static str },
    #[error("{file}: the header names column {column:?} twice")]
    DuplicateColumn { file: PathBuf, column: String },
    #[error("{file}: not a readable Parquet file: {message}")]
    Parquet { file: PathBuf, message: String },
    #[error("{file}: column {column:?} has Parquet type {data_type}, which drift cannot compare")]
    UnsupportedType { file: PathBuf, column: String, data_type: String },
    #[error("column {column:?} given as an override is not in {file}")]
    UnknownColumn { file: PathBuf, column: String },
    #[error("{file}: no columns left to compare (all ignored or unsupported)")]
    NoColumns { file: PathBuf },
    #[error("profiles cannot be merged: {reason}")]
    Merge { reason: String },
    #[error("profile {file}: {message}")]
    ProfileFormat { file: PathBuf, message: String },
    #[error("invalid drift configuration: {0}")]
    Config(String),
}
