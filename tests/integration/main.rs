//! Integration tests: the built binary against real git repositories in temp directories.
//! One test binary for all of them (faster to build and link).

mod common;
mod servers;

mod test_bad_input;
mod test_card;
mod test_core;
mod test_crash;
mod test_diff;
mod test_drift;
mod test_fuzz_corpus;
mod test_hooks;
mod test_index;
mod test_keys;
mod test_layers;
mod test_lifecycle;
mod test_review;
mod test_search;
mod test_store_remote;
mod test_sync;
mod test_write_path;
