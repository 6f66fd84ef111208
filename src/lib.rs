//! modelreg: a GitOps-native ML model registry.
//!
//! The registry is a git repository of append-only, signed, content-addressed TOML records
//! (`models/<name>/records/`), with model files kept by blake3 digest in an artifact store. This crate
//! is the library behind the `modelreg` binary; the binary is a thin layer over [`ops`].
//!
//! Data flows one way: CLI → an operation in [`ops`] → state replayed from records ([`state`]) → the
//! rules ([`policy`]) → records written and committed ([`repo`]).

#![forbid(unsafe_code)]

pub mod card;
pub mod index;
pub use modelreg_drift as drift;
pub mod ops;
pub mod policy;
pub mod progress;
pub mod record;
pub mod repo;
pub mod sign;
pub mod state;
pub mod store;
