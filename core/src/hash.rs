//! Hashing: BLAKE2b-256 (file and tree digests) and BLAKE2b-512 (minisign prehash), one-shot
//! and streaming, plus the strict lowercase hex used for digests in text.

use alloc::string::String;
use alloc::vec::Vec;

use blake2::digest::consts::{U32, U64};
use blake2::digest::Digest;

use crate::error::{fail, ErrorCode, Result};

/// Streaming BLAKE2b-256 (unkeyed, 32-byte output).
#[derive(Clone, Default)]
pub struct Blake2b256(blake2::Blake2b<U32>);

impl Blake2b256 {
    /// A fresh hasher.
    pub fn new() -> Self {
        Self::default()
    }
    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    /// The 32-byte digest.
    pub fn finalize(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// Streaming BLAKE2b-512 (unkeyed, 64-byte output): minisign's prehash.
#[derive(Clone, Default)]
pub struct Blake2b512(blake2::Blake2b<U64>);

impl Blake2b512 {
    /// A fresh hasher.
    pub fn new() -> Self {
        Self::default()
    }
    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    /// The 64-byte digest.
    pub fn finalize(self) -> [u8; 64] {
        self.0.finalize().into()
    }
}

/// BLAKE2b-256 of `data`.
pub fn blake2b256(data: &[u8]) -> [u8; 32] {
    let mut h = Blake2b256::new();
    h.update(data);
    h.finalize()
}

/// BLAKE2b-512 of `data`.
pub fn blake2b512(data: &[u8]) -> [u8; 64] {
    let mut h = Blake2b512::new();
    h.update(data);
    h.finalize()
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Parses exactly 64 lowercase hex characters into 32 bytes (`MALFORMED` otherwise).
pub fn parse_hex32(text: &str, what: &str) -> Result<[u8; 32]> {
    let b = text.as_bytes();
    if b.len() != 64 {
        return fail(
            ErrorCode::Malformed,
            alloc::format!(
                "{what}: expected 64 lowercase hex characters, got {} characters",
                b.len()
            ),
        );
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        match (hex_val(pair[0]), hex_val(pair[1])) {
            (Some(h), Some(l)) => out[i] = (h << 4) | l,
            _ => {
                return fail(
                    ErrorCode::Malformed,
                    alloc::format!("{what}: not lowercase hex"),
                )
            }
        }
    }
    Ok(out)
}

/// Decodes lowercase or uppercase hex of any even length (for test vectors and tools).
pub fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks_exact(2)
        .map(|p| {
            Some((hex_val(p[0].to_ascii_lowercase())? << 4) | hex_val(p[1].to_ascii_lowercase())?)
        })
        .collect()
}
