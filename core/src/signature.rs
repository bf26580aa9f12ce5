//! Signatures: minisign's four-line signature blocks (one or several per file), prehashed `ED`
//! and legacy `Ed` verification with the global signature over the trusted comment always
//! checked, and streaming verification for files too large to hold in memory.
//!
//! Checks run cheapest first: algorithm, key id and legacy policy before any hashing, then the
//! Ed25519 signature over the message, then the global signature.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64ct::{Base64, Encoding};

use crate::ed25519;
use crate::error::{fail, Error, ErrorCode, Result};
use crate::hash::Blake2b512;
use crate::keys::{KeyId, PublicKey, UNTRUSTED_PREFIX};
use crate::limits::{
    MAX_LEGACY_MESSAGE_BYTES, MAX_SIGNATURE_BLOCKS, MAX_SIGNATURE_FILE_BYTES,
    MAX_TRUSTED_COMMENT_BYTES, MAX_UNTRUSTED_COMMENT_BYTES,
};
use crate::text::Lines;

/// The prefix of the trusted-comment line.
pub(crate) const TRUSTED_PREFIX: &str = "trusted comment: ";
/// Decoded length of the signature line: alg (2) || key id (8) || signature (64).
const SIG_BLOB_LEN: usize = 74;

/// What the Ed25519 signature of a block covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `ED`: the BLAKE2b-512 of the message (minisign's default).
    Prehashed,
    /// `Ed`: the message itself (legacy; refused unless the caller allows it).
    Legacy,
}

impl Algorithm {
    fn tag(self) -> [u8; 2] {
        match self {
            Algorithm::Prehashed => *b"ED",
            Algorithm::Legacy => *b"Ed",
        }
    }
}

/// Whether legacy (`Ed`, non-prehashed) signatures are acceptable. Strict by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LegacyPolicy {
    /// Refuse legacy signatures with `LEGACY_SIGNATURE_REFUSED` (the default).
    #[default]
    Refuse,
    /// Accept legacy signatures (`minisign -V` accepts them too).
    Allow,
}

/// One minisign signature block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureBlock {
    untrusted_comment: String,
    algorithm: Algorithm,
    key_id: KeyId,
    signature: [u8; 64],
    trusted_comment: String,
    global_signature: [u8; 64],
}

fn strip_line_prefix<'l>(
    line: &'l str,
    prefix: &str,
    what: &str,
    line_no: usize,
) -> Result<&'l str> {
    line.strip_prefix(prefix).ok_or_else(|| {
        Error::new(
            ErrorCode::Malformed,
            format!("{what}: line {line_no} should start with {prefix:?}"),
        )
    })
}

fn decode_b64<const N: usize>(line: &str, what: &str, line_no: usize) -> Result<[u8; N]> {
    let mut out = [0u8; N];
    match Base64::decode(line, &mut out) {
        Ok(d) if d.len() == N => Ok(out),
        _ => fail(
            ErrorCode::Malformed,
            format!("{what}: line {line_no} is not the base64 of {N} bytes"),
        ),
    }
}

impl SignatureBlock {
    /// Assembles a block from its parts (used by signing).
    pub fn from_parts(
        untrusted_comment: String,
        algorithm: Algorithm,
        key_id: KeyId,
        signature: [u8; 64],
        trusted_comment: String,
        global_signature: [u8; 64],
    ) -> SignatureBlock {
        SignatureBlock {
            untrusted_comment,
            algorithm,
            key_id,
            signature,
            trusted_comment,
            global_signature,
        }
    }

    /// Parses every block of a signature file (one or more, one after another). `what` names
    /// the file in error messages.
    pub fn parse_all(text: &[u8], what: &str) -> Result<Vec<SignatureBlock>> {
        if text.len() > MAX_SIGNATURE_FILE_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: signature file larger than {MAX_SIGNATURE_FILE_BYTES} bytes"),
            );
        }
        let mut lines = Lines::new(text);
        let mut blocks = Vec::new();
        while !lines.rest_is_blank() {
            if blocks.len() == MAX_SIGNATURE_BLOCKS {
                return fail(
                    ErrorCode::TooLarge,
                    format!("{what}: more than {MAX_SIGNATURE_BLOCKS} signature blocks"),
                );
            }
            blocks.push(Self::parse_block(&mut lines, what)?);
        }
        if blocks.is_empty() {
            return fail(ErrorCode::Malformed, format!("{what}: no signature block"));
        }
        Ok(blocks)
    }

    /// Parses a signature file that must hold exactly one block.
    pub fn parse(text: &[u8], what: &str) -> Result<SignatureBlock> {
        let mut all = Self::parse_all(text, what)?;
        if all.len() != 1 {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: expected one signature block, found {}", all.len()),
            );
        }
        Ok(all.remove(0))
    }

    fn parse_block<'t>(lines: &mut Lines<'t>, what: &str) -> Result<SignatureBlock> {
        fn need<'t>(lines: &mut Lines<'t>, what: &str) -> Result<&'t str> {
            let line = lines.next_line(what)?;
            line.ok_or_else(|| {
                Error::new(
                    ErrorCode::Malformed,
                    format!(
                        "{what}: truncated signature block after line {}",
                        lines.line_no()
                    ),
                )
            })
        }
        let comment = need(lines, what)?;
        if comment.len() > MAX_UNTRUSTED_COMMENT_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!(
                    "{what}: line {} (untrusted comment) is too long",
                    lines.line_no()
                ),
            );
        }
        let untrusted = strip_line_prefix(comment, UNTRUSTED_PREFIX, what, lines.line_no())?;
        let untrusted = String::from(untrusted);
        let sig_line = need(lines, what)?;
        let blob: [u8; SIG_BLOB_LEN] = decode_b64(sig_line, what, lines.line_no())?;
        let algorithm = match [blob[0], blob[1]] {
            [b'E', b'D'] => Algorithm::Prehashed,
            [b'E', b'd'] => Algorithm::Legacy,
            _ => {
                return fail(
                    ErrorCode::UnsupportedVersion,
                    format!(
                        "{what}: line {}: unsupported signature algorithm",
                        lines.line_no()
                    ),
                )
            }
        };
        let mut key_id = [0u8; 8];
        key_id.copy_from_slice(&blob[2..10]);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&blob[10..74]);
        let tc_line = need(lines, what)?;
        let trusted = strip_line_prefix(tc_line, TRUSTED_PREFIX, what, lines.line_no())?;
        if trusted.len() > MAX_TRUSTED_COMMENT_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!(
                    "{what}: line {}: trusted comment is too long",
                    lines.line_no()
                ),
            );
        }
        let trusted = String::from(trusted);
        let global_line = need(lines, what)?;
        let global_signature: [u8; 64] = decode_b64(global_line, what, lines.line_no())?;
        Ok(SignatureBlock {
            untrusted_comment: untrusted,
            algorithm,
            key_id: KeyId(key_id),
            signature,
            trusted_comment: trusted,
            global_signature,
        })
    }

    /// The block as minisign writes it (four lines, LF-terminated).
    pub fn to_text(&self) -> String {
        let mut blob = [0u8; SIG_BLOB_LEN];
        blob[..2].copy_from_slice(&self.algorithm.tag());
        blob[2..10].copy_from_slice(&self.key_id.0);
        blob[10..].copy_from_slice(&self.signature);
        format!(
            "{UNTRUSTED_PREFIX}{}\n{}\n{TRUSTED_PREFIX}{}\n{}\n",
            self.untrusted_comment,
            Base64::encode_string(&blob),
            self.trusted_comment,
            Base64::encode_string(&self.global_signature)
        )
    }

    /// The id of the key that made this block.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }
    /// Prehashed (`ED`) or legacy (`Ed`).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
    /// The trusted comment (authenticated by the global signature once verified).
    pub fn trusted_comment(&self) -> &str {
        &self.trusted_comment
    }
    /// The untrusted comment (never authenticated).
    pub fn untrusted_comment(&self) -> &str {
        &self.untrusted_comment
    }
    /// The raw Ed25519 signature over the message (or its BLAKE2b-512).
    pub fn signature_bytes(&self) -> &[u8; 64] {
        &self.signature
    }
    /// The raw global signature over `signature || trusted comment`.
    pub fn global_signature_bytes(&self) -> &[u8; 64] {
        &self.global_signature
    }

    /// The bytes the global signature covers: `signature || trusted comment`.
    pub(crate) fn global_message(&self) -> Vec<u8> {
        let mut m = Vec::with_capacity(64 + self.trusted_comment.len());
        m.extend_from_slice(&self.signature);
        m.extend_from_slice(self.trusted_comment.as_bytes());
        m
    }

    /// The cheap checks that precede any hashing: the block was made by `key`, and its
    /// algorithm is allowed by `legacy`.
    pub fn precheck(&self, key: &PublicKey, legacy: LegacyPolicy) -> Result<()> {
        if self.key_id != key.key_id() {
            return fail(
                ErrorCode::KeyNotTrusted,
                format!(
                    "signature made by key {}, not by key {}",
                    self.key_id,
                    key.key_id()
                ),
            );
        }
        if self.algorithm == Algorithm::Legacy && legacy == LegacyPolicy::Refuse {
            return fail(
                ErrorCode::LegacySignatureRefused,
                format!("signature by key {} is a legacy (non-prehashed) signature; legacy signatures are not allowed", self.key_id),
            );
        }
        Ok(())
    }

    /// Verifies this block over `message` with `key`, including the global signature.
    /// Returns the trusted comment.
    pub fn verify<'s>(
        &'s self,
        key: &PublicKey,
        message: &[u8],
        legacy: LegacyPolicy,
    ) -> Result<&'s str> {
        self.precheck(key, legacy)?;
        match self.algorithm {
            Algorithm::Prehashed => {
                self.verify_signed_bytes(key, &crate::hash::blake2b512(message))?
            }
            Algorithm::Legacy => self.verify_signed_bytes(key, message)?,
        }
        Ok(&self.trusted_comment)
    }

    /// Verifies the Ed25519 signature over `signed` (the prehash or the message) and the
    /// global signature. Both are strict.
    pub(crate) fn verify_signed_bytes(&self, key: &PublicKey, signed: &[u8]) -> Result<()> {
        if !ed25519::verify_strict(key, signed, &self.signature) {
            return fail(
                ErrorCode::SignatureInvalid,
                format!("signature by key {} does not verify", self.key_id),
            );
        }
        if !ed25519::verify_strict(key, &self.global_message(), &self.global_signature) {
            return fail(
                ErrorCode::SignatureInvalid,
                format!(
                    "global signature (over the trusted comment) by key {} does not verify",
                    self.key_id
                ),
            );
        }
        Ok(())
    }
}

enum StreamState {
    Prehash(Blake2b512),
    Buffer(Vec<u8>, bool),
}

/// Streaming verification of one signature block: feed the message in pieces with
/// [`update`](Self::update), then [`finalize`](Self::finalize). For prehashed signatures the
/// message is never held in memory.
pub struct StreamVerifier<'a> {
    key: &'a PublicKey,
    block: &'a SignatureBlock,
    state: StreamState,
}

impl<'a> StreamVerifier<'a> {
    /// Starts verifying `block` with `key`; the cheap checks (key id, algorithm) run here.
    pub fn new(
        key: &'a PublicKey,
        block: &'a SignatureBlock,
        legacy: LegacyPolicy,
    ) -> Result<Self> {
        block.precheck(key, legacy)?;
        let state = match block.algorithm {
            Algorithm::Prehashed => StreamState::Prehash(Blake2b512::new()),
            Algorithm::Legacy => StreamState::Buffer(Vec::new(), false),
        };
        Ok(StreamVerifier { key, block, state })
    }

    /// Feeds the next piece of the message.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            StreamState::Prehash(h) => h.update(data),
            StreamState::Buffer(buf, over) => {
                if buf.len() + data.len() > MAX_LEGACY_MESSAGE_BYTES {
                    *over = true;
                } else {
                    buf.extend_from_slice(data);
                }
            }
        }
    }

    /// Finishes: verifies the signature and the global signature; returns the trusted comment.
    pub fn finalize(self) -> Result<&'a str> {
        match self.state {
            StreamState::Prehash(h) => self.block.verify_signed_bytes(self.key, &h.finalize())?,
            StreamState::Buffer(_, true) => {
                return fail(
                    ErrorCode::TooLarge,
                    format!(
                    "message larger than {MAX_LEGACY_MESSAGE_BYTES} bytes for a legacy signature"
                ),
                )
            }
            StreamState::Buffer(buf, false) => self.block.verify_signed_bytes(self.key, &buf)?,
        }
        Ok(self.block.trusted_comment())
    }
}

/// Picks the block of `blocks` that `key` should verify: the first block with the key's id
/// that passes the cheap checks (algorithm allowed by `legacy`). `KEY_NOT_TRUSTED` when no
/// block has the key's id; the pre-check's error (e.g. `LEGACY_SIGNATURE_REFUSED`) when every
/// block with its id fails it. One rule for `omega verify` and every binding.
pub fn select_block<'b>(
    blocks: &'b [SignatureBlock],
    key: &PublicKey,
    legacy: LegacyPolicy,
) -> Result<&'b SignatureBlock> {
    let mut first_err = None;
    for b in blocks.iter().filter(|b| b.key_id() == key.key_id()) {
        match b.precheck(key, legacy) {
            Ok(()) => return Ok(b),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    match (first_err, blocks.first()) {
        (Some(e), _) => Err(e),
        (None, Some(b)) => fail(
            ErrorCode::KeyNotTrusted,
            format!(
                "signature made by key {}, not by key {}",
                b.key_id(),
                key.key_id()
            ),
        ),
        (None, None) => fail(ErrorCode::Malformed, "signature file: no signature block"),
    }
}

/// Verifies a detached signature file (`text`, one or more blocks) over `message` with `key`,
/// using the block [`select_block`] picks. Returns the trusted comment. This is `minisign -V`
/// / `omega verify` over bytes in memory (see `fs::verify_file` for streaming from disk).
pub fn verify_detached(
    key: &PublicKey,
    message: &[u8],
    text: &[u8],
    legacy: LegacyPolicy,
) -> Result<String> {
    let blocks = SignatureBlock::parse_all(text, "signature file")?;
    let block = select_block(&blocks, key, legacy)?;
    Ok(String::from(block.verify(key, message, legacy)?))
}
