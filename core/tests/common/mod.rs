//! Fixtures shared by the core integration tests.
pub mod registry;
