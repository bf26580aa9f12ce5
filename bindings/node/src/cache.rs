//! The loader's per-process cache of successful package checks, keyed by the package's
//! canonical directory, how it was read, and the exact pins. Failures are never cached: a
//! package that was refused is checked again on the next attempt.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};

use serde_json::Value;

use crate::pins::PinsArg;

fn checked_map() -> MutexGuard<'static, HashMap<String, Value>> {
    static CHECKED: OnceLock<Mutex<HashMap<String, Value>>> = OnceLock::new();
    CHECKED
        .get_or_init(Mutex::default)
        .lock()
        // A panic while holding the lock leaves a map that is still consistent.
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The cache key of a check, or `None` when the directory cannot be resolved (then nothing is
/// cached and the check itself reports the problem).
pub fn check_key(dir: &str, pins: &PinsArg, installed: bool) -> Option<String> {
    let canonical = std::fs::canonicalize(dir).ok()?;
    let canonical = canonical.to_str()?;
    Some(format!(
        "{canonical}\u{0}{}\u{0}{}",
        u8::from(installed),
        pins.cache_text()
    ))
}

/// The report of an earlier successful check with this key.
pub fn checked(key: &str) -> Option<Value> {
    checked_map().get(key).cloned()
}

/// Remembers a successful check's report.
pub fn remember_checked(key: String, report: Value) {
    checked_map().insert(key, report);
}
