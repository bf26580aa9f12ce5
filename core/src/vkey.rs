//! Verifier keys of C2SP signed notes (`<name>+<8 hex key ID>+<base64(type || key)>`), the key
//! ID rule, and the two key types Ωpm verifies: Ed25519 (0x01) and timestamped Ed25519
//! cosignatures (0x04, tlog-cosignature v1). Used by notes, checkpoints, policies and registry
//! statements (`log_key`, `index_key`).

use alloc::string::String;
use core::fmt;

use base64ct::{Base64, Encoding};
use sha2::{Digest, Sha256};

use crate::error::{fail, Error, ErrorCode, Result};
use crate::limits::MAX_KEY_NAME_BYTES;

/// Signature type byte: plain Ed25519 over the note text.
pub const TYPE_ED25519: u8 = 0x01;
/// Signature type byte: timestamped Ed25519 cosignature (tlog-cosignature v1).
pub const TYPE_COSIGNATURE_V1: u8 = 0x04;

/// The 4-byte key ID of a note key: the first 4 bytes of SHA-256(name || LF || type || key).
pub fn key_id(name: &str, key_type: u8, key: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', key_type]);
    h.update(key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// Checks a key name: non-empty, at most [`MAX_KEY_NAME_BYTES`], no Unicode space, no `+`,
/// no control character (signed-note).
pub fn check_key_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_KEY_NAME_BYTES {
        return fail(
            ErrorCode::Malformed,
            alloc::format!("key name {name:?}: empty or longer than {MAX_KEY_NAME_BYTES} bytes"),
        );
    }
    if name
        .chars()
        .any(|c| c == '+' || c.is_whitespace() || c.is_control())
    {
        return fail(
            ErrorCode::Malformed,
            alloc::format!("key name {name:?}: contains a space, a control character or '+'"),
        );
    }
    Ok(())
}

/// Whether `c` is an invisible Unicode format character (general category Cf: bidi controls
/// such as U+202E, zero-width characters, U+FEFF, tags): it makes a printed name look like
/// another one.
pub fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}'
        | '\u{0890}'..='\u{0891}' | '\u{08E2}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

/// The rule for names of keys this crate accepts as keys (vkeys, log origins; RR23):
/// [`check_key_name`] (C2SP signed-note: non-empty, no space, no `+`), and no invisible
/// format character ([`is_format_char`]: bidi controls, zero-width characters). C2SP allows
/// them; no public vector uses one. A signature line of someone else's note is still read
/// under the C2SP rule alone: a line whose key is not trusted is ignored, and a trusted key's
/// name passed this rule, so such a line never matches it.
pub fn check_own_key_name(name: &str) -> Result<()> {
    check_key_name(name)?;
    if name.chars().any(is_format_char) {
        return fail(
            ErrorCode::Malformed,
            alloc::format!(
                "key name {name:?}: contains an invisible format character (a bidi control or zero-width character)"
            ),
        );
    }
    Ok(())
}

/// A verifier key of a signed note: name, key ID, type and the 32-byte Ed25519 key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Vkey {
    name: String,
    id: [u8; 4],
    key_type: u8,
    key: [u8; 32],
}

impl Vkey {
    /// The vkey of an Ed25519 (type 0x01) note signer, e.g. a log or index key.
    pub fn ed25519(name: &str, key: [u8; 32]) -> Result<Vkey> {
        Vkey::new(name, TYPE_ED25519, key)
    }

    /// The vkey of a tlog-cosignature/v1 witness (type 0x04).
    pub fn cosigner(name: &str, key: [u8; 32]) -> Result<Vkey> {
        Vkey::new(name, TYPE_COSIGNATURE_V1, key)
    }

    fn new(name: &str, key_type: u8, key: [u8; 32]) -> Result<Vkey> {
        check_own_key_name(name)?;
        Ok(Vkey {
            name: String::from(name),
            id: key_id(name, key_type, &key),
            key_type,
            key,
        })
    }

    /// Parses `<name>+<8 lowercase hex>+<base64(type || key)>`. The name ends at the first
    /// `+` (names cannot hold one); the base64 may. The key ID must be the one the name, type
    /// and key give. Types other than 0x01 and 0x04 are `UNSUPPORTED_VERSION`.
    pub fn parse(text: &str) -> Result<Vkey> {
        let bad =
            |why: &str| Error::new(ErrorCode::Malformed, alloc::format!("vkey {text:?}: {why}"));
        if text.len() > MAX_KEY_NAME_BYTES + 128 {
            return Err(Error::new(
                ErrorCode::TooLarge,
                "vkey: longer than a key name and a key",
            ));
        }
        let (name, rest) = text
            .split_once('+')
            .ok_or_else(|| bad("expected name+id+key"))?;
        let (hex, b64) = rest
            .split_once('+')
            .ok_or_else(|| bad("expected name+id+key"))?;
        check_own_key_name(name).map_err(|e| e.context("vkey"))?;
        if hex.len() != 8 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad("the key ID is not 8 lowercase hex digits"));
        }
        let mut buf = [0u8; 34];
        let blob =
            Base64::decode(b64, &mut buf).map_err(|_| bad("the key is not canonical base64"))?;
        let (&key_type, key) = blob.split_first().ok_or_else(|| bad("empty key"))?;
        if key_type != TYPE_ED25519 && key_type != TYPE_COSIGNATURE_V1 {
            return fail(
                ErrorCode::UnsupportedVersion,
                alloc::format!("vkey {name}: key type 0x{key_type:02x} is not Ed25519 (0x01) or cosignature/v1 (0x04)"),
            );
        }
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| bad("an Ed25519 key is 32 bytes"))?;
        let v = Vkey::new(name, key_type, key)?;
        if crate::hash::to_hex(&v.id) != hex {
            return Err(bad("the key ID does not match the name and key"));
        }
        Ok(v)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The 4-byte key ID.
    pub fn id(&self) -> [u8; 4] {
        self.id
    }
    /// The type byte ([`TYPE_ED25519`] or [`TYPE_COSIGNATURE_V1`]).
    pub fn key_type(&self) -> u8 {
        self.key_type
    }
    /// The 32-byte Ed25519 public key.
    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }
}

impl fmt::Display for Vkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut blob = [0u8; 33];
        blob[0] = self.key_type;
        blob[1..].copy_from_slice(&self.key);
        let mut out = [0u8; 44];
        let b64 = Base64::encode(&blob, &mut out).map_err(|_| fmt::Error)?;
        write!(f, "{}+{}+{}", self.name, crate::hash::to_hex(&self.id), b64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    // golang.org/x/mod/sumdb/note example key, and the Go checksum database's key.
    const PETER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const SUMDB: &str = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

    /// RR23: names with an invisible format character (bidi override, zero-width space, BOM)
    /// are refused for keys we accept (vkeys, origins); the C2SP rule alone still holds for
    /// signature lines, and ordinary Unicode names stay accepted.
    #[test]
    fn key_names_with_format_characters_are_refused() {
        for name in [
            "evil\u{202E}gro.elpmaxe",
            "a\u{200B}b",
            "\u{FEFF}log",
            "x\u{2066}y",
        ] {
            let e = Vkey::ed25519(name, [7; 32]).unwrap_err();
            assert_eq!(e.code(), ErrorCode::Malformed, "{name:?}");
            assert!(e.message().contains("format character"), "{e}");
            check_key_name(name).unwrap();
            assert!(crate::lock::validate_origin(name).is_err(), "{name:?}");
        }
        Vkey::ed25519("registry.example/\u{00E9}t\u{00E9}", [7; 32]).unwrap();
    }

    #[test]
    fn round_trips_and_checks_the_id() {
        for text in [PETER, SUMDB] {
            let v = Vkey::parse(text).unwrap();
            assert_eq!(v.to_string(), text);
            assert_eq!(v.key_type(), TYPE_ED25519);
        }
        assert_eq!(Vkey::parse(SUMDB).unwrap().name(), "sum.golang.org");
        let wrong = PETER.replace("c74f20a3", "c74f20a4");
        assert_eq!(
            Vkey::parse(&wrong).unwrap_err().code(),
            ErrorCode::Malformed
        );
        let upper = PETER.replace("c74f20a3", "C74F20A3");
        assert_eq!(
            Vkey::parse(&upper).unwrap_err().code(),
            ErrorCode::Malformed
        );
        for bad in [
            "",
            "a",
            "a+b",
            "+c74f20a3+ARpc",
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ] {
            assert!(Vkey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cosigner_type_and_unknown_types() {
        let v = Vkey::cosigner("witness.example", [7; 32]).unwrap();
        let again = Vkey::parse(&v.to_string()).unwrap();
        assert_eq!(again, v);
        assert_eq!(again.key_type(), TYPE_COSIGNATURE_V1);
        assert_ne!(
            v.id(),
            Vkey::ed25519("witness.example", [7; 32]).unwrap().id()
        );
        // A type 0x02 key with a matching ID: parsed, then refused as unsupported.
        let mut blob = [0u8; 33];
        blob[0] = 0x02;
        let id = crate::hash::to_hex(&key_id("x", 0x02, &[0; 32]));
        let text = alloc::format!("x+{id}+{}", Base64::encode_string(&blob));
        assert_eq!(
            Vkey::parse(&text).unwrap_err().code(),
            ErrorCode::UnsupportedVersion
        );
    }
}
