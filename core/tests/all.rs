//! omega-core's integration tests, linked as one test binary: each file of tests/ is a module
//! of it. One binary links once per feature set (`make test` builds five), where a binary per
//! file linked 28 times each: most of target/debug's size and of CI's link time.
//! `cargo test -p omega-core --test all lock_rules::` runs one file's tests.

// The shared fixtures (tests/common) are used only by the registry tests, which need `sign`.
#[cfg(feature = "sign")]
mod common;

mod client;
mod driver;
mod driver_host;
mod fs;
mod installs;
mod json;
mod loader_tables;
mod lock_rules;
mod lock_v2;
mod merkle;
mod minisign_interop;
mod notes;
mod properties;
mod public_vectors;
mod relpath;
mod reopen;
mod replay;
mod review_atk6;
mod review_json;
mod review_registry;
mod shape;
mod signify_interop;
mod state_store;
mod statements;
mod strictness;
mod tarball;
mod tiles;
mod vectors;
