//! Public keys: minisign's (and signify's) Ed25519 public-key format, two-line file or the bare
//! 56-character `RW…` base64 form, with the 8-byte key id minisign uses to match signatures.

use alloc::format;
use alloc::string::String;
use core::fmt;

use base64ct::{Base64, Encoding};
use ed25519_dalek::VerifyingKey;

use crate::error::{fail, ErrorCode, Result};
use crate::limits::MAX_KEY_FILE_BYTES;
use crate::text::Lines;

/// The `Ed` algorithm tag that starts every minisign/signify public key.
pub(crate) const KEY_ALG: [u8; 2] = *b"Ed";
/// Length of the decoded public-key blob: alg (2) || key id (8) || key (32).
const KEY_BLOB_LEN: usize = 42;
/// Length of the bare base64 form.
pub const PUBLIC_KEY_TEXT_LEN: usize = 56;
/// The prefix every minisign comment line starts with.
pub(crate) const UNTRUSTED_PREFIX: &str = "untrusted comment: ";

/// minisign's 8-byte key id, stored little-endian; shown as 16 uppercase hex digits of the
/// little-endian integer, as `minisign` prints it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016X}", u64::from_le_bytes(self.0))
    }
}

/// An Ed25519 public key with its minisign key id.
///
/// Two keys are equal when their 32 key bytes are equal, whatever their key ids: the key id
/// is a label that no signature covers, so anyone can relabel a signature block or a key with
/// another id. Comparing keys (distinct signers for a threshold, revocation, pins) must
/// never count one key twice because it carries two ids.
#[derive(Clone, Copy)]
pub struct PublicKey {
    key_id: KeyId,
    verifying: VerifyingKey,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &PublicKey) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for PublicKey {}

impl PublicKey {
    /// A key from its parts.
    pub fn from_parts(key_id: KeyId, key: &[u8; 32]) -> Result<PublicKey> {
        let verifying = VerifyingKey::from_bytes(key).map_err(|_| {
            crate::Error::new(
                ErrorCode::Malformed,
                format!("public key {key_id}: not a valid Ed25519 point"),
            )
        })?;
        Ok(PublicKey { key_id, verifying })
    }

    /// Parses the bare base64 form (`RW…`, 56 characters), as used on command lines, in lock
    /// files and manifests.
    pub fn from_base64(text: &str) -> Result<PublicKey> {
        let shown: String = text.chars().take(12).collect();
        if text.len() != PUBLIC_KEY_TEXT_LEN {
            return fail(
                ErrorCode::Malformed,
                format!("public key {shown:?}: expected {PUBLIC_KEY_TEXT_LEN} base64 characters, got {}", text.len()),
            );
        }
        let mut blob = [0u8; KEY_BLOB_LEN];
        let decoded = Base64::decode(text, &mut blob).map_err(|_| {
            crate::Error::new(
                ErrorCode::Malformed,
                format!("public key {shown}…: not valid base64"),
            )
        })?;
        if decoded.len() != KEY_BLOB_LEN {
            return fail(
                ErrorCode::Malformed,
                format!("public key {shown}…: wrong length"),
            );
        }
        if blob[..2] != KEY_ALG {
            return fail(
                ErrorCode::UnsupportedVersion,
                format!("public key {shown}…: algorithm is not Ed25519 (`Ed`)"),
            );
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&blob[2..10]);
        let mut key = [0u8; 32];
        key.copy_from_slice(&blob[10..42]);
        PublicKey::from_parts(KeyId(id), &key)
    }

    /// Parses a public key as a person may hold it: a minisign or signify key file
    /// (`untrusted comment: …` line, then the base64 line), or the bare base64 line alone.
    /// CRLF line endings and a missing final newline are tolerated, nothing else.
    pub fn parse(text: &[u8]) -> Result<PublicKey> {
        if text.len() > MAX_KEY_FILE_BYTES {
            return fail(ErrorCode::TooLarge, "public key file: larger than 4 KiB");
        }
        let mut lines = Lines::new(text);
        let empty = || crate::Error::new(ErrorCode::Malformed, "public key: empty");
        let first = lines.next_line("public key")?.ok_or_else(empty)?;
        // minisign reads the first line of a key file as a comment whatever it says, and the
        // key from the second; a file of one line is the bare `RW…` form.
        let key_line = if first.starts_with(UNTRUSTED_PREFIX) || !lines.rest_is_blank() {
            lines.next_line("public key")?.ok_or_else(|| {
                crate::Error::new(
                    ErrorCode::Malformed,
                    "public key file: missing the base64 line after the comment",
                )
            })?
        } else {
            first
        };
        let key = PublicKey::from_base64(key_line)?;
        if !lines.rest_is_blank() {
            return fail(
                ErrorCode::Malformed,
                format!("public key {}: trailing data after the key", key.key_id),
            );
        }
        Ok(key)
    }

    /// The key id.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The 32 key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.verifying.as_bytes()
    }

    /// The dalek verifying key (decompressed once, at parse time).
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    /// The bare base64 form, `RW…`.
    pub fn to_base64(&self) -> String {
        let mut blob = [0u8; KEY_BLOB_LEN];
        blob[..2].copy_from_slice(&KEY_ALG);
        blob[2..10].copy_from_slice(&self.key_id.0);
        blob[10..].copy_from_slice(self.as_bytes());
        Base64::encode_string(&blob)
    }

    /// The two-line key file minisign writes, byte for byte: minisign prints the key id in
    /// upper-case hex WITHOUT leading zeros (`%" PRIX64 "`), so an id whose top nibble is 0
    /// has fewer than 16 digits there (unlike [`KeyId`]'s display, which is always 16).
    pub fn to_file_text(&self) -> String {
        format!(
            "{UNTRUSTED_PREFIX}minisign public key {:X}\n{}\n",
            u64::from_le_bytes(self.key_id.0),
            self.to_base64()
        )
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} id {})", self.to_base64(), self.key_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    /// minisign writes `%" PRIX64 "`: no leading zeros in the key file's comment, while the
    /// key id's display keeps all 16 digits (seen with minisign 0.11: an id 0x09359DAB1C14C242
    /// is written `9359DAB1C14C242`).
    #[test]
    fn key_file_comment_has_no_leading_zeros_like_minisign() {
        let key =
            PublicKey::from_base64("RWQBb21lZ2EAAYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c")
                .unwrap();
        assert_eq!(key.key_id().to_string(), "01006167656D6F01");
        assert_eq!(
            key.to_file_text(),
            "untrusted comment: minisign public key 1006167656D6F01\n\
             RWQBb21lZ2EAAYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c\n"
        );
    }
}
