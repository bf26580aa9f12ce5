//! Hashing: BLAKE2b-256 (file and tree digests) and BLAKE2b-512 (minisign prehash), one-shot
//! and streaming, plus the strict lowercase hex used for digests in text.

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{fail, ErrorCode, Result};

// The BLAKE2b engine: `blake2b_simd` on x86_64 (its AVX2 compression, a port of Samuel
// Neves's as in libsodium, picked at run time with `std`), the portable `blake2` crate
// elsewhere (as fast or faster without SIMD, and in WebAssembly: docs/benchmarks.md, "BLAKE2b
// engines"). Both are checked against the same BLAKE2b vectors; nothing outside this file
// knows which one runs.
#[cfg(target_arch = "x86_64")]
mod engine {
    #[derive(Clone)]
    pub struct State(blake2b_simd::State);

    impl State {
        pub fn new(len: usize) -> Self {
            Self(blake2b_simd::Params::new().hash_length(len).to_state())
        }
        pub fn update(&mut self, data: &[u8]) {
            self.0.update(data);
        }
        pub fn finalize_into(self, out: &mut [u8]) {
            out.copy_from_slice(self.0.finalize().as_bytes());
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod engine {
    use blake2::digest::consts::{U32, U64};
    use blake2::digest::Digest;

    #[derive(Clone)]
    pub enum State {
        Short(blake2::Blake2b<U32>),
        Long(blake2::Blake2b<U64>),
    }

    impl State {
        /// `len` is 32 or 64 (the only lengths this module asks for).
        pub fn new(len: usize) -> Self {
            if len == 32 {
                Self::Short(Default::default())
            } else {
                Self::Long(Default::default())
            }
        }
        pub fn update(&mut self, data: &[u8]) {
            match self {
                Self::Short(h) => h.update(data),
                Self::Long(h) => h.update(data),
            }
        }
        pub fn finalize_into(self, out: &mut [u8]) {
            match self {
                Self::Short(h) => out.copy_from_slice(&h.finalize()),
                Self::Long(h) => out.copy_from_slice(&h.finalize()),
            }
        }
    }
}

/// Streaming BLAKE2b-256 (unkeyed, 32-byte output).
#[derive(Clone)]
pub struct Blake2b256(engine::State);

impl Default for Blake2b256 {
    fn default() -> Self {
        Self(engine::State::new(32))
    }
}

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
        let mut out = [0u8; 32];
        self.0.finalize_into(&mut out);
        out
    }
}

/// Streaming BLAKE2b-512 (unkeyed, 64-byte output): minisign's prehash.
#[derive(Clone)]
pub struct Blake2b512(engine::State);

impl Default for Blake2b512 {
    fn default() -> Self {
        Self(engine::State::new(64))
    }
}

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
        let mut out = [0u8; 64];
        self.0.finalize_into(&mut out);
        out
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
    push_hex(&mut s, bytes);
    s
}

/// Appends `bytes` to `s` in lowercase hex.
pub fn push_hex(s: &mut String, bytes: &[u8]) {
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
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
