//! Fixtures shared by the core integration tests.
pub mod host;
pub mod registry;
