//! Log entries (REGISTRY.md R4): `omega-entry/v1` LF statement LF signature blocks, their
//! strict parsing, their one byte form, and (feature `sign`) signing a statement and
//! appending further signature blocks.
//!
//! Decisions (docs/registry.md): blocks are minisign blocks as `minisign -S` writes them,
//! prehashed `ED` only (a legacy `Ed` block is `LEGACY_SIGNATURE_REFUSED`: a statement is
//! small, there is no reason to sign it the old way); 1 to [`MAX_ENTRY_SIGNATURES`] blocks;
//! the trusted and untrusted comments are free (minisign's own limits), so a statement signed
//! with plain `minisign -Sm statement` can be logged; the block text must be exactly what
//! [`SignatureBlock::to_text`] writes (LF line ends, nothing between or after blocks), so one
//! statement with one set of blocks has one entry form. Whether the blocks authorise the
//! entry is decided by the replay ([`crate::registry`]), not here.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{fail, ErrorCode, Result};
use crate::limits::{MAX_ENTRY_BYTES, MAX_ENTRY_SIGNATURES};
use crate::signature::{Algorithm, SignatureBlock};
use crate::statement::Statement;

/// The first line of every entry.
pub const ENTRY_HEADER: &str = "omega-entry/v1";

/// A parsed log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The parsed statement.
    pub statement: Statement,
    /// The exact statement bytes (canonical), which the blocks sign.
    pub statement_bytes: Vec<u8>,
    /// The signature blocks, in entry order.
    pub signatures: Vec<SignatureBlock>,
}

fn check_blocks(blocks: &[SignatureBlock], what: &str) -> Result<()> {
    if blocks.is_empty() {
        return fail(ErrorCode::Malformed, format!("{what}: no signature block"));
    }
    if blocks.len() > MAX_ENTRY_SIGNATURES {
        return fail(
            ErrorCode::TooLarge,
            format!(
                "{what}: {} signature blocks, more than {MAX_ENTRY_SIGNATURES}",
                blocks.len()
            ),
        );
    }
    if let Some(b) = blocks
        .iter()
        .find(|b| b.algorithm() != Algorithm::Prehashed)
    {
        return fail(
            ErrorCode::LegacySignatureRefused,
            format!(
                "{what}: the block by key {} is a legacy (Ed) signature; entries take prehashed (ED) blocks only",
                b.key_id()
            ),
        );
    }
    Ok(())
}

impl Entry {
    /// Parses an entry strictly: header, canonical statement, 1–16 prehashed blocks in their
    /// exact text form. `TOO_LARGE` over [`MAX_ENTRY_BYTES`] (checked first),
    /// `UNSUPPORTED_VERSION` for another `omega-entry/` header or statement version.
    pub fn parse(bytes: &[u8]) -> Result<Entry> {
        let what = "log entry";
        if bytes.len() > MAX_ENTRY_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!(
                    "{what}: {} bytes, larger than {MAX_ENTRY_BYTES}",
                    bytes.len()
                ),
            );
        }
        let Some(nl) = bytes.iter().position(|&b| b == b'\n') else {
            return fail(ErrorCode::Malformed, format!("{what}: no header line"));
        };
        let (header, rest) = bytes.split_at(nl);
        if header != ENTRY_HEADER.as_bytes() {
            let other_version = header
                .strip_prefix(b"omega-entry/v")
                .is_some_and(|v| !v.is_empty() && v.iter().all(u8::is_ascii_digit));
            let code = if other_version {
                ErrorCode::UnsupportedVersion
            } else {
                ErrorCode::Malformed
            };
            return fail(
                code,
                format!("{what}: the first line is not {ENTRY_HEADER:?}"),
            );
        }
        let rest = rest.get(1..).unwrap_or_default();
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: no line end after the statement"),
            );
        };
        let (statement_bytes, sigs) = rest.split_at(nl);
        let sigs = sigs.get(1..).unwrap_or_default();
        let statement = Statement::parse(statement_bytes).map_err(|e| e.context(what))?;
        let what = format!("log entry ({statement})");
        let signatures = SignatureBlock::parse_all(sigs, &what)?;
        check_blocks(&signatures, &what)?;
        let entry = Entry {
            statement,
            statement_bytes: statement_bytes.to_vec(),
            signatures,
        };
        if entry.signature_text().as_bytes() != sigs {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: signature blocks are not in their exact minisign text form (LF line ends, nothing between or after blocks)"),
            );
        }
        Ok(entry)
    }

    /// Assembles an entry from a statement's bytes and a minisign signature file (one or more
    /// blocks, as `minisign -S` / `omega sign --append` write them): what `omega registry
    /// submit` does. The blocks are re-written in their exact text form (a CRLF file is
    /// normalised); the statement must be canonical. The result is checked as
    /// [`Entry::parse`] checks it (size included).
    pub fn assemble(statement_bytes: &[u8], signature_text: &[u8]) -> Result<Entry> {
        let statement = Statement::parse(statement_bytes).map_err(|e| e.context("statement"))?;
        let what = format!("signatures of {statement}");
        let signatures = SignatureBlock::parse_all(signature_text, &what)?;
        check_blocks(&signatures, &what)?;
        let entry = Entry {
            statement,
            statement_bytes: statement_bytes.to_vec(),
            signatures,
        };
        let len = entry.to_bytes().len();
        if len > MAX_ENTRY_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!(
                    "log entry ({}): {len} bytes, larger than {MAX_ENTRY_BYTES}",
                    entry.statement
                ),
            );
        }
        Ok(entry)
    }

    /// The signature blocks as one minisign signature file (what `.minisig` holds).
    pub fn signature_text(&self) -> String {
        self.signatures
            .iter()
            .map(SignatureBlock::to_text)
            .collect()
    }

    /// The entry bytes: header LF statement LF blocks.
    pub fn to_bytes(&self) -> Vec<u8> {
        let sigs = self.signature_text();
        let mut out =
            Vec::with_capacity(ENTRY_HEADER.len() + 2 + self.statement_bytes.len() + sigs.len());
        out.extend_from_slice(ENTRY_HEADER.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&self.statement_bytes);
        out.push(b'\n');
        out.extend_from_slice(sigs.as_bytes());
        out
    }

    /// The BLAKE2b-512 of the statement bytes: what each prehashed block signs.
    pub fn prehash(&self) -> [u8; 64] {
        crate::hash::blake2b512(&self.statement_bytes)
    }
}

/// Default trusted comment of blocks made by [`Entry::sign`].
#[cfg(feature = "sign")]
pub const DEFAULT_TRUSTED_COMMENT: &str = "omega-entry/v1";

#[cfg(feature = "sign")]
impl Entry {
    /// Signs `statement` (validated, then serialised canonically) with each of `keys`, one
    /// block per key, in order. `trusted_comment` goes into every block.
    pub fn sign(
        statement: &Statement,
        keys: &[&crate::secret::SecretKey],
        trusted_comment: &str,
    ) -> Result<Entry> {
        statement.validate()?;
        let statement_bytes = statement.to_bytes();
        let mut entry = Entry {
            statement: statement.clone(),
            statement_bytes,
            signatures: Vec::new(),
        };
        for k in keys {
            entry.append(k, trusted_comment)?;
        }
        check_blocks(&entry.signatures, &format!("log entry ({statement})"))?;
        Ok(entry)
    }

    /// Appends one more signature block by `key` (`omega sign --append`). Refuses a key that
    /// already signed (by key bytes) and a 17th block.
    pub fn append(&mut self, key: &crate::secret::SecretKey, trusted_comment: &str) -> Result<()> {
        let what = format!("log entry ({})", self.statement);
        if self.signatures.len() >= MAX_ENTRY_SIGNATURES {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: already {MAX_ENTRY_SIGNATURES} signature blocks"),
            );
        }
        let public = key.public_key();
        let prehash = self.prehash();
        // By key bytes, whatever key id a block carries.
        if self
            .signatures
            .iter()
            .any(|b| b.verify_signed_bytes(&public, &prehash).is_ok())
        {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: key {public} has already signed it"),
            );
        }
        let block = key
            .sign_prehashed(&prehash, trusted_comment, "signature from omega secret key")
            .map_err(|e| e.context(&what))?;
        self.signatures.push(block);
        let len = self.to_bytes().len();
        if len > MAX_ENTRY_BYTES {
            self.signatures.pop();
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: another block would make the entry {len} bytes, larger than {MAX_ENTRY_BYTES}"),
            );
        }
        Ok(())
    }
}
