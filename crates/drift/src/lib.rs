//! Drift: does the data a model sees now (the *target*) differ from the data it learned from (the
//! *baseline*) enough to act?
//!
//! - [`read`] streams CSV and Parquet in batches; [`schema`] infers column kinds.
//! - [`compare`] runs a comparison: **exact** mode when both sides are raw data (KS, Wasserstein,
//!   quantiles computed exactly, agreeing with scipy to 1e-9), **profile** mode when either side is a
//!   [`Profile`] (fixed-edge histograms; memory bounded by the profile, not the data).
//! - [`profile_file`] and [`Profile::merge`] build mergeable summaries, so production data can be
//!   profiled where it lives, shard by shard, and only the merged summary travels. Their quantiles come
//!   from a deterministic [`KllSketch`] with a documented rank-error bound.
//! - The result is a [`DriftReport`]: serialisable, NaN-free, and carrying every choice that shapes a
//!   number, ready to be embedded in a signed drift record.
//!
//! Input can be CSV (any delimiter; `.csv.gz` and `.csv.zst` decompressed as a stream on a thread of
//! its own) or Parquet. Every reader has a sequential form (`ReadOptions::threads = 1`, the reference)
//! and a parallel one that delivers exactly the same batches — CSV parsed in blocks on every core,
//! Parquet decoded one column per core — so a report never depends on the thread count.
//!
//! # Module order
//!
//! The modules form a straight line; each uses only modules above it, never one below:
//!
//! ```text
//! error                 the one error type
//! schema                column kinds, null tokens, inference from text
//! stats                 KS, W1, PSI, JS, χ² and the special functions under them
//! histogram, sketch     fixed-edge histograms and the KLL quantile sketch
//! read                  CSV (plain, gzip, zstd) and Parquet readers, sequential and parallel
//! dataset               exact mode's columns: sorted in memory, or spilled past the budget
//! profile               mergeable profiles, built from a reader
//! config                what a run decides with (metrics, thresholds, the performance columns)
//! report                what a run returns (the report and the performance it embeds)
//! feature               one feature's comparison, exact or from profiles
//! performance           model performance from the label and prediction columns
//! compare               a whole run: picks the mode, reads, compares, decides
//! ```
//!
//! The library never prints. Errors ([`DriftError`]) mean the run could not happen (unreadable or
//! malformed input); data findings — drift, missing columns, type errors — are in the report.

#![warn(missing_docs)]

mod compare;
mod config;
mod dataset;
mod error;
mod feature;
mod histogram;
mod performance;
mod profile;
pub mod read;
mod report;
pub mod schema;
mod sketch;
pub mod stats;

pub use compare::{Input, compare};
pub use config::{DEFAULT_MIN_ROWS, DriftConfig, FeatureOverride, MetricName, PerformanceSpec, Task};
pub use dataset::{Counts, ExactColumn, ExactDataset, ExactValues, SourceRef, load_exact};
pub use error::DriftError;
pub use feature::OTHER_CATEGORY;
pub use histogram::{DEFAULT_FINE_BINS, Histogram};
pub use performance::performance;
pub use profile::{
    CategoryCounts, ColumnProfile, DEFAULT_TOP_K, MAX_PROFILE_BYTES, NumericSummary, PROFILE_SCHEMA, Profile,
    ProfileOptions, profile_file,
};
pub use read::ReadOptions;
pub use report::{
    Bins, Contributor, DriftReport, FeatureReport, FeatureStatus, InputRef, MetricValue, Mode, Performance,
    PredictionDrift, Quality, Settings, Summary,
};
pub use schema::{ColumnKind, ColumnSchema};
pub use sketch::{DEFAULT_SKETCH_K, KllSketch, Quantiles};

/// Recorded in profiles and reports.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests;
