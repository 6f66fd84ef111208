//! Exact mode's view of a dataset: every finite number of each numerical column, sorted, and the exact
//! category counts. Memory is 8 bytes per numeric cell, which is the price of exact KS and W1; profile
//! mode ([`crate::drift::profile`]) is the bounded-memory alternative.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::DriftError;
use super::read::{ColumnChunk, ReadOptions, open};
use super::schema::ColumnKind;

/// Where an input came from: its URI as given and the blake3 digest of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    pub uri: String,
    /// `blake3:<hex>` of the file's bytes.
    pub digest: String,
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
    pub rows: u64,
    pub nulls: u64,
    pub non_finite: u64,
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

    pub fn merge(&mut self, other: &Counts) {
        self.rows += other.rows;
        self.nulls += other.nulls;
        self.non_finite += other.non_finite;
        self.type_errors += other.type_errors;
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExactValues {
    /// Finite values, sorted ascending.
    Numbers(Vec<f64>),
    Labels(BTreeMap<String, u64>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExactColumn {
    pub name: String,
    pub kind: ColumnKind,
    pub counts: Counts,
    pub values: ExactValues,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExactDataset {
    pub source: SourceRef,
    pub rows: u64,
    pub columns: Vec<ExactColumn>,
}

impl ExactDataset {
    pub fn column(&self, name: &str) -> Option<&ExactColumn> {
        self.columns.iter().find(|c| c.name == name)
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
    while let Some(batch) = reader.next_batch()? {
        rows += batch.rows;
        for (column, chunk) in columns.iter_mut().zip(batch.columns) {
            column.counts.add_chunk(batch.rows, &chunk);
            match (&mut column.values, chunk) {
                (ExactValues::Numbers(all), ColumnChunk::Numbers { values, .. }) => all.extend(values),
                (ExactValues::Labels(all), ColumnChunk::Labels { values, .. }) => {
                    for v in values {
                        *all.entry(v).or_insert(0) += 1;
                    }
                }
                _ => unreachable!("readers emit chunks matching the schema's kinds"),
            }
        }
    }
    if rows == 0 {
        return Err(DriftError::NoRows { file: path.to_path_buf() });
    }
    for column in &columns {
        let empty = match &column.values {
            ExactValues::Numbers(v) => v.is_empty(),
            ExactValues::Labels(m) => m.is_empty(),
        };
        if empty && options.strict {
            return Err(DriftError::AllNull { file: path.to_path_buf(), column: column.name.clone() });
        }
    }
    columns.par_iter_mut().for_each(|c| {
        if let ExactValues::Numbers(v) = &mut c.values {
            v.par_sort_unstable_by(f64::total_cmp);
        }
    });
    Ok(ExactDataset { source, rows, columns })
}
