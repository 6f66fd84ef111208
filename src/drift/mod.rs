//! Drift: does the data a model sees now (the *target*) differ from the data it learned from (the
//! *baseline*) enough to act? This first part holds the statistics; readers, profiles and reports
//! build on it.

pub mod stats;
