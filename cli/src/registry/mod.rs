//! The registry side of issue 14 (REGISTRY.md R3, R7): the publisher's commands
//! (`omega registry init|submit|cosign|refresh`, `omega publish`, `omega statement …`), the
//! witness (`omega witness key|cosign`) and the monitor (`omega log verify|monitor`,
//! `omega note verify`). Every rule about what bytes mean is omega-core's; this module reads a
//! log ([`log`]), appends to one under the folder's lock ([`append`]) and prints.
//!
//! | module | owns |
//! |---|---|
//! | `log` | reading a whole log from a source: checkpoint, tiles, bundles, replay |
//! | `append` | the one write path: validate, journal, immutable files, index notes, checkpoint |
//! | `keys` | the registry's log and index keys in `DIR/.keys/` |
//! | `init` | `omega registry init` |
//! | `publish` | `omega publish`, `omega registry submit`, `omega registry refresh` |
//! | `statement` | `omega statement …`, `omega sign --append` |
//! | `witness` | `omega witness key|cosign`, `omega registry cosign` |
//! | `monitor` | `omega log verify|monitor`, `omega note verify` |

pub mod append;
pub mod init;
pub mod keys;
pub mod log;
pub mod monitor;
pub mod publish;
pub mod statement;
pub mod witness;

use omega_core::{Error, ErrorCode};

use crate::util::Failure;

/// Seconds an index note stays valid when written: 7 days (`--index-ttl` overrides).
pub const DEFAULT_INDEX_TTL: u64 = 7 * 24 * 3600;

/// Shorthand for a core error as a command failure.
pub fn err<T>(code: ErrorCode, message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Core(Error::new(code, message.into())))
}

/// The current Unix time (the registry clock: index expiry, cosignature time); not
/// `SOURCE_DATE_EPOCH`, which is for reproducible signatures only.
pub fn clock_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
