//! modelreg: a GitOps-native ML model registry.
//!
//! The registry is a git repository of append-only, signed, content-addressed TOML records
//! (`models/<name>/records/`), with model files kept by blake3 digest in an artifact store. This crate
//! is the library behind the `modelreg` binary; the binary is a thin layer over [`ops`].
//!
//! # Layers
//!
//! Each module uses only the modules above it in this list (checked by `tests/integration/test_layers.rs`;
//! see docs/ARCHITECTURE.md):
//!
//! 1. [`progress`], [`record`]: record types, strict parsing, digests; a progress trait.
//! 2. [`sign`], [`store`]: keys, SSHSIG signatures, trust; the content-addressed artifact store.
//! 3. [`repo`]: storage only — the git repository, layout, configuration, atomic writes, the lock.
//! 4. [`state`]: pure replay of a model's records into its current state; the search language.
//! 5. [`card`]: model cards and lineage rendered from state.
//! 6. [`policy`]: every rule, once — the scan of a model under the rules, the full and change checks,
//!    admin signatures, pushes, the verified open.
//! 7. [`index`]: the search index, a cache of what the records say.
//! 8. [`ops`]: one function per command, returning reports; every write goes through
//!    [`ops::transaction::Transaction`].
//!
//! [`drift`] is the leaf crate `modelreg-drift` (no imports from the registry), re-exported here.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The names a caller needs first: open a registry, name a model, sign, and see what failed. Everything
// else is reached through its module (`ops::register`, `state::ModelState`, …).
pub use ops::{Error, ModelRef, Selector};
pub use policy::open_verified;
pub use progress::{NoProgress, Progress};
pub use record::{Digest, KeyId, ModelName, Record, Stage, Timestamp, Version};
pub use repo::Registry;
pub use sign::{KeySources, PublicKey, Role, SigningKey, Trust};

pub mod card;
pub use modelreg_drift as drift;
pub mod index;
pub mod ops;
pub mod policy;
pub mod progress;
pub mod record;
pub mod repo;
pub mod sign;
pub mod state;
pub mod store;
