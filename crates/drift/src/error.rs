//! Errors that stop a drift or profile run. Each names the file, and where it applies the column and
//! the 1-based line (CSV, header = line 1) or row (Parquet, first data row = 1), so the user can find
//! the bad cell. Findings about the data that do not stop the run (a column missing from the target,
//! a type mismatch, type-error rates) are part of the report, not errors.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
/// Why a drift or profile run could not happen (see the module docs).
pub enum DriftError {
    #[error("{file}: {source}")]
    /// The file could not be opened or read (or a compressed stream was damaged).
    Io {
        /// The file concerned.
        file: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    #[error("{file}: the file is empty")]
    /// The file holds no bytes (or no header).
    EmptyFile {
        /// The file concerned.
        file: PathBuf,
    },
    #[error("{file}: the file has a header but no data rows")]
    /// A header without data rows.
    NoRows {
        /// The file concerned.
        file: PathBuf,
    },
    #[error("{file}: line {line}: expected {expected} fields like the header, found {found}")]
    /// A CSV row with more or fewer fields than the header.
    RaggedRow {
        /// The file concerned.
        file: PathBuf,
        /// The 1-based line (the header is line 1).
        line: u64,
        /// Fields the header has.
        expected: u64,
        /// Fields the row has.
        found: u64,
    },
    #[error("{file}: line {line}: the bytes are not valid UTF-8 (column {column:?})")]
    /// A CSV cell that is not valid UTF-8.
    NotUtf8 {
        /// The file concerned.
        file: PathBuf,
        /// The 1-based line (the header is line 1).
        line: u64,
        /// The column's name.
        column: String,
    },
    #[error("{file}: line {line}: {message}")]
    /// The CSV parser could not go on.
    Csv {
        /// The file concerned.
        file: PathBuf,
        /// The 1-based line (the header is line 1).
        line: u64,
        /// The underlying parser's reason.
        message: String,
    },
    #[error("{file}: column {column:?} has no values (every row is null); ignore it or fix the data")]
    /// A baseline column with no value at all.
    AllNull {
        /// The file concerned.
        file: PathBuf,
        /// The column's name.
        column: String,
    },
    #[error(
        "{file}: column {column:?} mixes numbers and text (line {line}: {value:?}); declare it categorical or fix the data"
    )]
    /// A baseline column whose sample mixes numbers and text.
    MixedTypes {
        /// The file concerned.
        file: PathBuf,
        /// The column's name.
        column: String,
        /// The 1-based line (the header is line 1).
        line: u64,
        /// The first cell that disagrees with the majority.
        value: String,
    },
    #[error("{file}: column {column:?}, {place}: {value:?} is not a valid {expected}")]
    /// A baseline cell that does not parse as its column's kind.
    TypeError {
        /// The file concerned.
        file: PathBuf,
        /// The column's name.
        column: String,
        /// Where in the file (`line N` for CSV).
        place: String,
        /// The cell's text.
        value: String,
        /// The kind it should have been.
        expected: &'static str,
    },
    #[error("{file}: the header names column {column:?} twice")]
    /// Two header fields with the same name.
    DuplicateColumn {
        /// The file concerned.
        file: PathBuf,
        /// The column's name.
        column: String,
    },
    #[error("{file}: not a readable Parquet file: {message}")]
    /// A Parquet file that cannot be read (truncated, corrupt, or not Parquet).
    Parquet {
        /// The file concerned.
        file: PathBuf,
        /// The underlying parser's reason.
        message: String,
    },
    #[error("{file}: column {column:?} has Parquet type {data_type}, which drift cannot compare")]
    /// A Parquet column of a type drift cannot compare (nested, binary, …).
    UnsupportedType {
        /// The file concerned.
        file: PathBuf,
        /// The column's name.
        column: String,
        /// The Parquet (arrow) type.
        data_type: String,
    },
    #[error("column {column:?} given as an override is not in {file}")]
    /// A column named in an override that the file lacks.
    UnknownColumn {
        /// The file concerned.
        file: PathBuf,
        /// The column's name.
        column: String,
    },
    #[error("{file}: no columns left to compare (all ignored or unsupported)")]
    /// Every column was ignored or unsupported.
    NoColumns {
        /// The file concerned.
        file: PathBuf,
    },
    #[error("profiles cannot be merged: {reason}")]
    /// Profiles that cannot be merged (or compared).
    Merge {
        /// Why they cannot.
        reason: String,
    },
    #[error("profile {file}: {message}")]
    /// A profile file that is not a valid profile.
    ProfileFormat {
        /// The file concerned.
        file: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    #[error("invalid drift configuration: {0}")]
    /// Settings that cannot be used.
    Config(String),
}
