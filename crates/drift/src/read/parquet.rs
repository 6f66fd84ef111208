//! Parquet through the arrow reader: only the kept columns are decoded (a projection), in record
//! batches of `batch_rows`. Types come from the file's schema, so there is nothing to infer and no cell
//! can fail to parse; a truncated or corrupt file fails when opened or when the damaged row group is
//! reached, with the parquet crate's reason.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Date64Type, Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::{Batch, BatchReader, ColumnChunk, ReadOptions};
use crate::error::DriftError;
use crate::schema::{ColumnKind, ColumnSchema};

pub struct ParquetReader {
    file: PathBuf,
    reader: ParquetRecordBatchReader,
    schema: Vec<ColumnSchema>,
    types: Vec<DataType>,
    rows_read: u64,
    aligned: bool,
}

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

impl ParquetReader {
    pub fn open(path: &Path, options: &ReadOptions) -> Result<Self, DriftError> {
        let file = path.to_path_buf();
        let err = |e: &dyn std::fmt::Display| DriftError::Parquet { file: file.clone(), message: e.to_string() };
        let handle = File::open(path).map_err(|source| DriftError::Io { file: file.clone(), source })?;
        if handle.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
            return Err(DriftError::EmptyFile { file });
        }
        let builder = ParquetRecordBatchReaderBuilder::try_new(handle).map_err(|e| err(&e))?;
        if builder.metadata().file_metadata().num_rows() == 0 {
            return Err(DriftError::NoRows { file });
        }
        let arrow_schema = builder.schema().clone();
        let (mut schema, mut types, mut roots) = (Vec::new(), Vec::new(), Vec::new());
        for (index, field) in arrow_schema.fields().iter().enumerate() {
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
            schema.push(ColumnSchema { name: name.clone(), kind });
            types.push(field.data_type().clone());
            roots.push(index);
        }
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        let reader =
            builder.with_projection(mask).with_batch_size(options.batch_rows.max(1)).build().map_err(|e| err(&e))?;
        Ok(ParquetReader { file, reader, schema, types, rows_read: 0, aligned: options.aligned })
    }

    fn convert(
        &self,
        column: &ColumnSchema,
        data_type: &DataType,
        array: &ArrayRef,
    ) -> Result<ColumnChunk, DriftError> {
        let err = |e: arrow_schema::ArrowError| DriftError::Parquet {
            file: self.file.clone(),
            message: format!("column {:?} near row {}: {e}", column.name, self.rows_read + 1),
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

impl BatchReader for ParquetReader {
    fn schema(&self) -> &[ColumnSchema] {
        &self.schema
    }

    fn next_batch(&mut self) -> Result<Option<Batch>, DriftError> {
        let Some(batch) = self.reader.next() else {
            return Ok(None);
        };
        let batch = batch.map_err(|e| DriftError::Parquet {
            file: self.file.clone(),
            message: format!("after row {}: {e}", self.rows_read),
        })?;
        let mut columns = Vec::with_capacity(self.schema.len());
        for (i, (column, data_type)) in self.schema.iter().zip(&self.types).enumerate() {
            columns.push(self.convert(column, data_type, batch.column(i))?);
        }
        self.rows_read += batch.num_rows() as u64;
        Ok(Some(Batch { rows: batch.num_rows() as u64, columns }))
    }
}
