//! Entry bundles (C2SP tlog-tiles `tile/entries/<N>[.p/<W>]`): reading and writing the
//! sequence of big-endian uint16 length-prefixed log entries.
//!
//! A bundle of width `W` holds exactly `W` entries (1..=256) and nothing after them. The spec
//! does not forbid an empty entry (length prefix 0), so it is read and written like any other;
//! Ωpm's own entries are never empty (REGISTRY.md R4), which the entry parser enforces.

use alloc::format;
use alloc::vec::Vec;

use crate::error::{fail, ErrorCode, Result};
use crate::limits::{MAX_BUNDLE_BYTES, MAX_ENTRY_BYTES};

/// Most entries in one bundle (the width of a full tile).
pub const BUNDLE_WIDTH: u16 = 256;

/// Reads a bundle that must hold exactly `width` entries (1..=256) and no trailing bytes.
///
/// Errors: `TOO_LARGE` over [`MAX_BUNDLE_BYTES`] (checked first); `MALFORMED` for a width out
/// of range, a length prefix that overruns the bytes, fewer entries than `width`, or bytes
/// after the last entry. Messages name the entry number.
pub fn parse_bundle(bytes: &[u8], width: u16) -> Result<Vec<&[u8]>> {
    let (entries, rest) = read_entries(bytes, width)?;
    if !rest.is_empty() {
        return fail(
            ErrorCode::Malformed,
            format!(
                "entry bundle of width {width} has {} bytes after its last entry",
                rest.len()
            ),
        );
    }
    Ok(entries)
}

/// Reads the first `width` entries of a bundle that holds either exactly `width` entries or
/// exactly 256 (a full bundle fetched because the partial one is gone: tlog-tiles lets a
/// client fall back to it). Anything else is refused as [`parse_bundle`] refuses it. The two
/// forms cannot be confused: a byte string that is exactly `width` entries has no bytes left
/// to be 256.
pub fn parse_bundle_prefix(bytes: &[u8], width: u16) -> Result<Vec<&[u8]>> {
    let (entries, rest) = read_entries(bytes, width)?;
    if rest.is_empty() {
        return Ok(entries);
    }
    if width < BUNDLE_WIDTH {
        if let Ok(mut full) = parse_bundle(bytes, BUNDLE_WIDTH) {
            full.truncate(usize::from(width));
            return Ok(full);
        }
    }
    fail(
        ErrorCode::Malformed,
        format!(
            "entry bundle of width {width} has {} bytes after its last entry (and is not a full bundle)",
            rest.len()
        ),
    )
}

fn read_entries(bytes: &[u8], width: u16) -> Result<(Vec<&[u8]>, &[u8])> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return fail(
            ErrorCode::TooLarge,
            format!(
                "entry bundle of {} bytes is over the limit of {MAX_BUNDLE_BYTES}",
                bytes.len()
            ),
        );
    }
    if width == 0 || width > BUNDLE_WIDTH {
        return fail(
            ErrorCode::Malformed,
            format!("entry bundle width {width} is not in 1..=256"),
        );
    }
    let mut entries = Vec::with_capacity(usize::from(width));
    let mut rest = bytes;
    for i in 0..width {
        let Some((len, tail)) = rest.split_first_chunk::<2>() else {
            return fail(
                ErrorCode::Malformed,
                format!("entry bundle of width {width} ends before entry {i} (has {i} entries)"),
            );
        };
        let len = usize::from(u16::from_be_bytes(*len));
        let Some((entry, tail)) = tail.split_at_checked(len) else {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "entry {i} of the bundle declares {len} bytes but only {} remain",
                    tail.len()
                ),
            );
        };
        entries.push(entry);
        rest = tail;
    }
    Ok((entries, rest))
}

/// Writes a bundle of the given entries (1..=256 of them, each ≤ [`MAX_ENTRY_BYTES`]).
///
/// Errors: `TOO_LARGE` for an entry over 65,535 bytes (it cannot be length-prefixed),
/// `MALFORMED` for no entries or more than 256.
pub fn write_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>> {
    if entries.is_empty() || entries.len() > usize::from(BUNDLE_WIDTH) {
        return fail(
            ErrorCode::Malformed,
            format!(
                "an entry bundle holds 1 to 256 entries, not {}",
                entries.len()
            ),
        );
    }
    let mut total = 0usize;
    for (i, e) in entries.iter().enumerate() {
        let len = e.as_ref().len();
        if len > MAX_ENTRY_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!(
                    "entry {i} of the bundle has {len} bytes, over the limit of {MAX_ENTRY_BYTES}"
                ),
            );
        }
        total += 2 + len;
    }
    let mut out = Vec::with_capacity(total);
    for e in entries {
        let e = e.as_ref();
        // Checked above: len ≤ 65,535.
        out.extend_from_slice(&(e.len() as u16).to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}
