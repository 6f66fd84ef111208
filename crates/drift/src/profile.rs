//! Profiles: a compact, mergeable summary of a dataset, serialisable to TOML.
//!
//! Per column: quality counts, and either a numeric summary (finite count, min, max, mean and the sum of
//! squared deviations, merged with Chan et al.'s parallel update; a fixed-edge histogram for drift
//! metrics; a KLL quantile sketch for quantiles, see [`super::sketch`]) or category counts. Invariants:
//! - Merging shard profiles gives the profile of the concatenated data: counts, min/max, histograms and
//!   category counts exactly; mean and variance up to floating-point rounding; sketch quantiles within
//!   the sketch's documented rank error (merges are deterministic: same shards, same order, same bytes).
//! - Histogram edges are fixed before counting: by a reference profile (the baseline) when given, else
//!   by the file's own min and max (a first pass). Profiles merge only when their edges match, so shards
//!   of production data are profiled against the baseline's profile.
//! - Category counts keep the `top_k` most frequent categories; the rest are summed in `other`. Below
//!   the cap merges are exact; above it a category dropped by one shard is counted in `other`.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::dataset::{Counts, SourceRef};
use super::error::DriftError;
use super::histogram::{DEFAULT_FINE_BINS, Histogram};
use super::read::{ColumnChunk, ReadOptions, open};
use super::schema::ColumnKind;
use super::sketch::{DEFAULT_SKETCH_K, KllSketch, Quantiles};

/// The schema line every profile carries; a profile with another is refused.
pub const PROFILE_SCHEMA: &str = "modelreg/profile/v1";
/// Default cap on distinct categories kept per column.
pub const DEFAULT_TOP_K: usize = 1000;
/// Profiles are small; a larger file is refused before parsing.
pub const MAX_PROFILE_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// A mergeable summary of one dataset or of merged shards (see the module docs).
pub struct Profile {
    /// Always [`PROFILE_SCHEMA`].
    pub schema: String,
    /// The modelreg version that wrote it.
    pub tool_version: String,
    /// The files profiled (several after a merge).
    pub sources: Vec<SourceRef>,
    /// Rows summarised.
    pub rows: u64,
    /// One summary per kept column, in file order.
    pub columns: Vec<ColumnProfile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// One column's summary.
pub struct ColumnProfile {
    /// The column's name.
    pub name: String,
    /// Its kind.
    pub kind: ColumnKind,
    /// Rows, nulls, non-finite numbers and type errors.
    pub counts: Counts,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// For numerical and datetime columns.
    pub numeric: Option<NumericSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// For categorical and boolean columns.
    pub categories: Option<CategoryCounts>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// A numerical column's summary: moments, fixed-edge histogram, quantile sketch.
pub struct NumericSummary {
    /// Finite values summarised (NaN, ±inf and nulls excluded).
    pub n: u64,
    /// Absent when `n == 0`.
    pub min: Option<f64>,
    /// Largest finite value; absent when `n == 0`.
    pub max: Option<f64>,
    /// Mean of the finite values; absent when `n == 0`.
    pub mean: Option<f64>,
    /// Σ (x − mean)²; variance (ddof = 0) is `m2 / n`.
    pub m2: f64,
    /// p1 … p99 read from `sketch` (rank error ≤ `sketch.rank_error()`); absent when `n == 0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantiles: Option<Quantiles>,
    /// Fixed-edge histogram of the finite values (edges from the reference profile or the column's range).
    pub histogram: Histogram,
    /// Absent in profiles written before sketches existed; such a profile reports no quantiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sketch: Option<KllSketch>,
}

impl NumericSummary {
    fn new(histogram: Histogram, sketch_k: u16) -> Self {
        let sketch = Some(KllSketch::new(sketch_k));
        NumericSummary { n: 0, min: None, max: None, mean: None, m2: 0.0, quantiles: None, histogram, sketch }
    }

    /// Reads the quantiles off the sketch (after profiling or merging).
    fn refresh_quantiles(&mut self) {
        self.quantiles = self.sketch.as_ref().and_then(KllSketch::summary);
    }

    fn add_values(&mut self, values: &[f64]) {
        if values.is_empty() {
            return;
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let m2 = values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>();
        let (min, max) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        self.combine(values.len() as u64, min, max, mean, m2);
        self.histogram.add_all(values);
        if let Some(sketch) = &mut self.sketch {
            sketch.update(values);
        }
    }

    /// Chan, Golub & LeVeque's pairwise update of (n, mean, M2).
    fn combine(&mut self, n_b: u64, min: f64, max: f64, mean_b: f64, m2_b: f64) {
        if n_b == 0 {
            return;
        }
        let n_a = self.n;
        let mean_a = self.mean.unwrap_or(0.0);
        let n = n_a + n_b;
        let delta = mean_b - mean_a;
        let mean = mean_a + delta * n_b as f64 / n as f64;
        self.m2 += m2_b + delta * delta * (n_a as f64 * n_b as f64 / n as f64);
        self.mean = Some(mean);
        self.n = n;
        self.min = Some(self.min.map_or(min, |m| m.min(min)));
        self.max = Some(self.max.map_or(max, |m| m.max(max)));
    }

    /// Population standard deviation (ddof = 0), if any value was seen.
    pub fn std(&self) -> Option<f64> {
        (self.n > 0).then(|| (self.m2 / self.n as f64).max(0.0).sqrt())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// A categorical column's counts, capped at `top_k` categories.
pub struct CategoryCounts {
    /// Categories kept; the rest are summed in `other`.
    pub top_k: usize,
    /// Count per kept category.
    pub counts: BTreeMap<String, u64>,
    /// Values of categories dropped by the cap.
    pub other: u64,
}

impl CategoryCounts {
    fn new(top_k: usize) -> Self {
        CategoryCounts { top_k, counts: BTreeMap::new(), other: 0 }
    }

    /// Applies the cap: keeps the `top_k` largest counts (ties broken by name), folds the rest.
    fn cap(&mut self) {
        if self.counts.len() <= self.top_k {
            return;
        }
        let mut by_count: Vec<(String, u64)> = std::mem::take(&mut self.counts).into_iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (name, count) in by_count.drain(..) {
            if self.counts.len() < self.top_k {
                self.counts.insert(name, count);
            } else {
                self.other += count;
            }
        }
    }
}

/// How to profile a file.
#[derive(Debug, Clone)]
pub struct ProfileOptions {
    /// How the file is read.
    pub read: ReadOptions,
    /// Fine bins per numerical histogram when no reference gives the edges.
    pub fine_bins: u32,
    /// Categories kept per column (see [`CategoryCounts`]).
    pub top_k: usize,
    /// KLL accuracy parameter (rank error 2.296 / k^0.9723).
    pub sketch_k: u16,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            read: ReadOptions::default(),
            fine_bins: DEFAULT_FINE_BINS,
            top_k: DEFAULT_TOP_K,
            sketch_k: DEFAULT_SKETCH_K,
        }
    }
}

/// Profiles a file. With a `reference` (the baseline's profile), numeric columns it knows are binned on
/// its edges in one pass; other numeric columns need their min and max first: from the file's own
/// statistics when it states them (Parquet, see [`crate::read::BatchReader::finite_range`]), else from
/// a first pass. Statistics are checked against the min and max the pass then sees; should a file's
/// statistics be wrong, it is profiled again with a first pass, so the profile is always the one the
/// values give.
pub fn profile_file(path: &Path, options: &ProfileOptions, reference: Option<&Profile>) -> Result<Profile, DriftError> {
    match profile_once(path, options, reference, true)? {
        Some(profile) => Ok(profile),
        None => profile_once(path, options, reference, false)?
            .ok_or_else(|| DriftError::Config("profiling without statistics cannot be refused".into())),
    }
}

/// One attempt; `None` when the file's statistics disagreed with its values.
pub(crate) fn profile_once(
    path: &Path,
    options: &ProfileOptions,
    reference: Option<&Profile>,
    use_statistics: bool,
) -> Result<Option<Profile>, DriftError> {
    let source = SourceRef::of_file(path)?;
    let mut reader = open(path, &options.read)?;
    let schema = reader.schema().to_vec();
    let edges: Vec<Option<Histogram>> = schema
        .iter()
        .map(|c| {
            reference
                .and_then(|r| r.column(&c.name))
                .and_then(|rc| rc.numeric.as_ref())
                .filter(|_| c.kind.is_numeric())
                .map(|n| Histogram::new(n.histogram.lo, n.histogram.hi, n.histogram.bins))
        })
        .collect();
    let needs: Vec<bool> = schema.iter().zip(&edges).map(|(c, e)| c.kind.is_numeric() && e.is_none()).collect();
    let stated: Vec<Option<(f64, f64)>> =
        (0..schema.len()).map(|c| if needs[c] && use_statistics { reader.finite_range(c) } else { None }).collect();
    let mut ranges: Vec<(f64, f64)> = stated.iter().map(|r| r.unwrap_or((f64::INFINITY, f64::NEG_INFINITY))).collect();
    if needs.iter().zip(&stated).any(|(&need, known)| need && known.is_none()) {
        while let Some(batch) = reader.next_batch()? {
            ranges.par_iter_mut().zip(&batch.columns).zip(&stated).for_each(|((range, chunk), known)| {
                if let (ColumnChunk::Numbers { values, .. }, None) = (chunk, known) {
                    for &x in values {
                        *range = (range.0.min(x), range.1.max(x));
                    }
                }
            });
        }
        reader = open(path, &options.read)?;
    }
    let mut columns: Vec<ColumnProfile> = schema
        .iter()
        .zip(edges)
        .zip(&ranges)
        .map(|((c, edges), &(lo, hi))| {
            let numeric = c.kind.is_numeric().then(|| {
                let h = edges.unwrap_or_else(|| {
                    if lo <= hi { Histogram::new(lo, hi, options.fine_bins) } else { Histogram::new(0.0, 0.0, 1) }
                });
                NumericSummary::new(h, options.sketch_k)
            });
            let categories = (!c.kind.is_numeric()).then(|| CategoryCounts::new(options.top_k));
            ColumnProfile { name: c.name.clone(), kind: c.kind, counts: Counts::default(), numeric, categories }
        })
        .collect();
    let mut rows = 0;
    while let Some(batch) = reader.next_batch()? {
        rows += batch.rows;
        // One column per thread, each in batch order: the profile does not depend on the thread count.
        columns.par_iter_mut().zip(&batch.columns).for_each(|(column, chunk)| column.add_chunk(batch.rows, chunk));
    }
    for (i, column) in columns.iter_mut().enumerate() {
        if let Some(cats) = &mut column.categories {
            cats.cap();
        }
        if let Some(numeric) = &mut column.numeric {
            numeric.refresh_quantiles();
        }
        if let (Some(numeric), Some((lo, hi))) = (&column.numeric, stated[i]) {
            let seen = numeric.min.zip(numeric.max).map(|(a, b)| (a.to_bits(), b.to_bits()));
            let expected = (lo <= hi).then(|| (lo.to_bits(), hi.to_bits()));
            if seen != expected {
                return Ok(None);
            }
        }
        let empty = column.numeric.as_ref().is_some_and(|n| n.n == 0)
            || column.categories.as_ref().is_some_and(|c| c.counts.is_empty() && c.other == 0);
        if empty && options.read.strict {
            return Err(DriftError::AllNull { file: path.to_path_buf(), column: column.name.clone() });
        }
    }
    Ok(Some(Profile {
        schema: PROFILE_SCHEMA.into(),
        tool_version: super::TOOL_VERSION.into(),
        sources: vec![source],
        rows,
        columns,
    }))
}

impl ColumnProfile {
    /// Adds one batch's chunk of this column.
    fn add_chunk(&mut self, rows: u64, chunk: &ColumnChunk) {
        self.counts.add_chunk(rows, chunk);
        match (chunk, &mut self.numeric, &mut self.categories) {
            (ColumnChunk::Numbers { values, .. }, Some(summary), _) => summary.add_values(values),
            (ColumnChunk::Labels { values, .. }, _, Some(cats)) => {
                for v in values {
                    match cats.counts.get_mut(v.as_str()) {
                        Some(c) => *c += 1,
                        None => {
                            cats.counts.insert(v.clone(), 1);
                        }
                    }
                }
                // Cap lazily so memory stays bounded without re-sorting on every batch.
                if cats.counts.len() > cats.top_k.saturating_mul(4).max(1024) {
                    cats.cap();
                }
            }
            _ => {}
        }
    }
}

impl Profile {
    /// The summary of the column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnProfile> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Merges shard profiles: same columns, kinds and histogram edges are required.
    pub fn merge(profiles: &[Profile]) -> Result<Profile, DriftError> {
        let Some((first, rest)) = profiles.split_first() else {
            return Err(DriftError::Merge { reason: "no profiles given".into() });
        };
        let mut merged = first.clone();
        for p in rest {
            merged.merge_one(p)?;
        }
        Ok(merged)
    }

    fn merge_one(&mut self, other: &Profile) -> Result<(), DriftError> {
        let fail = |reason: String| Err(DriftError::Merge { reason });
        if self.columns.len() != other.columns.len() {
            return fail(format!("{} columns vs {} columns", self.columns.len(), other.columns.len()));
        }
        for (a, b) in self.columns.iter_mut().zip(&other.columns) {
            if a.name != b.name || a.kind != b.kind {
                return fail(format!(
                    "column {:?} ({}) vs {:?} ({})",
                    a.name,
                    a.kind.as_str(),
                    b.name,
                    b.kind.as_str()
                ));
            }
            a.counts.merge(&b.counts);
            match (&mut a.numeric, &b.numeric) {
                (Some(x), Some(y)) => {
                    if !x.histogram.merge(&y.histogram) {
                        return fail(format!(
                            "column {:?} has different histogram edges; profile the shards with the same reference",
                            a.name
                        ));
                    }
                    if let (Some(min), Some(max), Some(mean)) = (y.min, y.max, y.mean) {
                        x.combine(y.n, min, max, mean, y.m2);
                    }
                    // A shard without a sketch (an older profile) leaves the merge without quantiles
                    // rather than with quantiles of part of the data.
                    x.sketch = match (x.sketch.take(), &y.sketch) {
                        (Some(mut mine), Some(theirs)) => {
                            if !mine.merge(theirs) {
                                return fail(format!(
                                    "column {:?}: quantile sketches have different k ({} vs {})",
                                    a.name, mine.k, theirs.k
                                ));
                            }
                            Some(mine)
                        }
                        _ => None,
                    };
                    x.refresh_quantiles();
                }
                (Some(_), None) | (None, Some(_)) => {
                    return fail(format!("column {:?} summaries differ", a.name));
                }
                (None, None) => {}
            }
            if let (Some(x), Some(y)) = (&mut a.categories, &b.categories) {
                for (name, count) in &y.counts {
                    *x.counts.entry(name.clone()).or_insert(0) += count;
                }
                x.other += y.other;
                x.top_k = x.top_k.min(y.top_k);
                x.cap();
            }
        }
        self.rows += other.rows;
        self.sources.extend(other.sources.iter().cloned());
        Ok(())
    }

    /// Serialises the profile as TOML.
    pub fn to_toml(&self) -> Result<String, DriftError> {
        toml::to_string(self).map_err(|e| DriftError::Config(format!("cannot serialise profile: {e}")))
    }

    /// Parses a profile, refusing oversized input and an unknown schema.
    pub fn from_toml(text: &str, file: &Path) -> Result<Profile, DriftError> {
        let err = |message: String| DriftError::ProfileFormat { file: file.to_path_buf(), message };
        if text.len() as u64 > MAX_PROFILE_BYTES {
            return Err(err(format!("larger than {MAX_PROFILE_BYTES} bytes")));
        }
        let profile: Profile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        if profile.schema != PROFILE_SCHEMA {
            return Err(err(format!("schema is {:?}, expected {PROFILE_SCHEMA:?}", profile.schema)));
        }
        for c in &profile.columns {
            if c.numeric.as_ref().is_some_and(|n| n.histogram.counts.len() != n.histogram.bins as usize + 2) {
                return Err(err(format!("column {:?}: histogram has the wrong number of counts", c.name)));
            }
            if let Some(sketch) = c.numeric.as_ref().and_then(|n| n.sketch.as_ref()) {
                sketch.validate().map_err(|m| err(format!("column {:?}: {m}", c.name)))?;
            }
        }
        Ok(profile)
    }

    /// Reads a profile file, refusing one larger than [`MAX_PROFILE_BYTES`].
    pub fn read(path: &Path) -> Result<Profile, DriftError> {
        let io = |source| DriftError::Io { file: path.to_path_buf(), source };
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > MAX_PROFILE_BYTES {
            return Err(DriftError::ProfileFormat { file: path.to_path_buf(), message: "file too large".into() });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        Profile::from_toml(&text, path)
    }
}
