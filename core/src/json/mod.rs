//! Strict JSON for every format core reads and writes (manifests, lock files, revocations,
//! registry statements and state, reports): its own reader and writer, no serde.
//!
//! | module | owns |
//! |---|---|
//! | [`value`] | [`Value`], the tree read and written, and [`ObjectBuilder`] |
//! | [`read`] | the strict reader (DESIGN §3.3): duplicate keys, trailing data, depth, UTF-8 |
//! | [`fields`] | typed reading with the place of each refusal ([`At`], [`Fields`]) |
//! | [`write`] | compact and pretty writing, byte for byte serde_json's |
//! | `serde_impl` | (feature `serde`) `Serialize` for [`Value`] and the report shapes, for callers that print with serde_json |

pub mod fields;
pub mod read;
#[cfg(feature = "serde")]
mod serde_impl;
pub mod value;
pub mod write;

use alloc::format;

pub use fields::{At, Fields};
pub use read::parse;
pub use value::{ObjectBuilder, Value};
pub use write::{to_pretty_bytes, to_pretty_text, to_text};

use crate::error::{fail, ErrorCode, Result};

impl Fields<'_> {
    /// Checks the version member `field` before anything else is read, so that a newer
    /// version is refused as `UNSUPPORTED_VERSION` rather than as unknown fields; returns it.
    /// `oldest..=newest` are the versions this build reads.
    pub fn version(
        &mut self,
        field: &'static str,
        at: &At<'_>,
        oldest: u64,
        newest: u64,
    ) -> Result<u64> {
        let what = at;
        match self.take(field) {
            None => fail(
                ErrorCode::Malformed,
                format!("{what}: missing the {field:?} version field"),
            ),
            Some(v) => {
                let v = v.into_u64(&at.field(field))?;
                if (oldest..=newest).contains(&v) {
                    Ok(v)
                } else if oldest == newest {
                    fail(ErrorCode::UnsupportedVersion, format!("{what}: {field:?} version {v} is not supported (this build reads version {newest})"))
                } else {
                    fail(ErrorCode::UnsupportedVersion, format!("{what}: {field:?} version {v} is not supported (this build reads versions {oldest} to {newest})"))
                }
            }
        }
    }
}
