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
//! The library never prints. Errors ([`DriftError`]) mean the run could not happen (unreadable or
//! malformed input); data findings — drift, missing columns, type errors — are in the report.

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
pub use config::{DriftConfig, FeatureOverride, MetricName, PerformanceSpec, Task};
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
