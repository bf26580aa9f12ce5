//! Signed notes (C2SP `signed-note`): parsing with every rule of the spec, verification against
//! a set of [`Vkey`]s (Ed25519 type 0x01 and tlog-cosignature/v1 type 0x04), and (feature
//! `sign`) signing, cosigning and formatting. Checkpoints ([`crate::checkpoint`]), policies
//! ([`crate::policy`]) and index notes ([`crate::index`]) are built on it.
//!
//! A note is a text ending in LF, one empty line, then one or more signature lines
//! `— <key name> <base64(key ID (4 bytes, big-endian) || signature)>` (U+2014 EM DASH, space).
//! The text is separated from the signatures by the LAST empty line, so the text itself may
//! hold empty lines. The whole note is valid UTF-8 without control characters other than LF.
//!
//! Verification follows golang.org/x/mod/sumdb/note `Open` with these decisions
//! (docs/registry.md, "Notes, checkpoints, policies, index notes"):
//! - a signature line whose (name, key ID) matches no trusted key is ignored, whatever its
//!   type (ECDSA, RFC 6962, ML-DSA lines of other ecosystems are skipped the same way);
//! - a line of a trusted key is verified; a bad one rejects the note (`SIGNATURE_INVALID`
//!   naming the key). EVERY line of a trusted key is verified, also a repeated one: Go skips
//!   later lines of a key it has seen without verifying them; the spec says a verifier MUST
//!   verify the signature of a known key, so Ωpm does (a note Go accepts with a second, bad
//!   signature of one trusted key is refused here). Repeated lines of one key report it once,
//!   with its first line's timestamp;
//! - two trusted keys with the same (name, key ID) make a line that names them ambiguous
//!   (`MALFORMED`, Go's "ambiguous key"); unused duplicates are harmless, as in Go;
//! - no line of a trusted key → `KEY_NOT_TRUSTED` (Go's `UnverifiedNoteError`);
//! - more than [`MAX_NOTE_SIGNATURES`] lines, or more than [`MAX_NOTE_BYTES`], → `TOO_LARGE`
//!   (checked before anything is allocated for the note); Go's limit is 100 lines, reported
//!   as a malformed note;
//! - base64 must be canonical (padding and zero trailing bits), and key names at most
//!   [`crate::limits::MAX_KEY_NAME_BYTES`]; Go is laxer on both, no real note differs.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64ct::{Base64, Encoding};

use crate::error::{fail, Error, ErrorCode, Result};
use crate::limits::{MAX_NOTE_BYTES, MAX_NOTE_SIGNATURES};
use crate::vkey::{check_key_name, Vkey, TYPE_COSIGNATURE_V1, TYPE_ED25519};

/// What starts every signature line: U+2014 EM DASH and a space.
pub const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// The header line of the message a tlog-cosignature/v1 signs (before `time <t>` and the text).
pub const COSIGNATURE_V1_HEADER: &str = "cosignature/v1\n";

/// Largest cosignature timestamp (tlog-cosignature: it MUST NOT exceed 2^63 - 1).
pub const MAX_COSIGNATURE_TIME: u64 = i64::MAX as u64;

/// One signature line of a note: the key name, the 4-byte key ID and the signature bytes that
/// follow the key ID (for a cosignature: 8-byte timestamp || 64-byte Ed25519 signature).
///
/// The type of a signature is not written on its line: it is the type of the trusted key the
/// (name, key ID) pair selects, so a parsed line has no type until it is verified.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NoteSignature {
    name: String,
    key_id: [u8; 4],
    bytes: Vec<u8>,
}

impl NoteSignature {
    /// A signature line from its parts: the name must be a valid key name, `bytes` non-empty.
    pub fn new(name: &str, key_id: [u8; 4], bytes: Vec<u8>) -> Result<NoteSignature> {
        check_key_name(name).map_err(|e| e.context("note signature"))?;
        if bytes.is_empty() {
            return fail(
                ErrorCode::Malformed,
                format!("note signature of {name}: no signature bytes after the key ID"),
            );
        }
        Ok(NoteSignature {
            name: String::from(name),
            key_id,
            bytes,
        })
    }

    /// Parses one line without its final LF: `— <name> <base64>`.
    fn parse_line(line: &str, number: usize) -> Result<NoteSignature> {
        let bad = |why: &str| {
            Error::new(
                ErrorCode::Malformed,
                format!("note: signature line {number}: {why}"),
            )
        };
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or_else(|| bad("does not start with an em dash (U+2014) and a space"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| bad("expected `— <key name> <base64 signature>`"))?;
        check_key_name(name).map_err(|e| bad(e.message()))?;
        let raw = Base64::decode_vec(b64).map_err(|_| {
            bad(&format!(
                "signature of {name} is not canonical standard base64"
            ))
        })?;
        if raw.len() < 5 {
            return Err(bad(&format!(
                "signature of {name} is shorter than a key ID and one byte"
            )));
        }
        let (id, bytes) = raw.split_at(4);
        let key_id: [u8; 4] = id
            .try_into()
            .map_err(|_| bad("signature shorter than a key ID"))?;
        Ok(NoteSignature {
            name: String::from(name),
            key_id,
            bytes: bytes.to_vec(),
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The key ID (first 4 decoded bytes).
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }
    /// The signature bytes after the key ID.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The cosignature timestamp when these bytes have the tlog-cosignature/v1 shape (8-byte
    /// big-endian time || 64-byte signature); `None` otherwise. Says nothing about validity.
    pub fn cosignature_time(&self) -> Option<u64> {
        if self.bytes.len() != 72 {
            return None;
        }
        let t: [u8; 8] = self.bytes.get(..8)?.try_into().ok()?;
        Some(u64::from_be_bytes(t))
    }

    /// The signature line, `— <name> <base64(key ID || bytes)>` and its LF.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.bytes.len());
        raw.extend_from_slice(&self.key_id);
        raw.extend_from_slice(&self.bytes);
        format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            Base64::encode_string(&raw)
        )
    }
}

/// A signed note: its text (ending in LF) and its signature lines, in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

/// Checks the character rule of a whole note (or a text about to be signed): valid UTF-8 is
/// given by `&str`; no control character below U+0020 other than LF.
fn check_chars(s: &str, what: &str) -> Result<()> {
    match s.bytes().position(|b| b < 0x20 && b != b'\n') {
        Some(at) => fail(
            ErrorCode::Malformed,
            format!(
                "{what}: control character 0x{:02x} at byte {at}",
                s.as_bytes().get(at).copied().unwrap_or(0)
            ),
        ),
        None => Ok(()),
    }
}

/// Checks a note text: at most [`MAX_NOTE_BYTES`], ends in LF, only allowed characters.
fn check_text(text: &str, max: usize) -> Result<()> {
    if text.len() > max {
        return fail(
            ErrorCode::TooLarge,
            format!("note text: larger than {max} bytes"),
        );
    }
    if !text.ends_with('\n') {
        return fail(ErrorCode::Malformed, "note text: does not end in a newline");
    }
    check_chars(text, "note text")
}

impl Note {
    /// A note with `text` and no signatures yet (add them with [`Note::add_signature`]).
    /// The text must end in LF, hold no control character but LF, and fit [`MAX_NOTE_BYTES`].
    pub fn new(text: &str) -> Result<Note> {
        check_text(text, MAX_NOTE_BYTES)?;
        Ok(Note {
            text: String::from(text),
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note of at most [`MAX_NOTE_BYTES`] (checked first) with every rule of
    /// the spec. Nothing is verified: see [`verify`] and [`open`].
    pub fn parse(bytes: &[u8]) -> Result<Note> {
        Note::parse_limited(bytes, MAX_NOTE_BYTES, "note")
    }

    /// [`Note::parse`] with another size limit (index notes may be larger than checkpoints).
    pub(crate) fn parse_limited(bytes: &[u8], max: usize, what: &str) -> Result<Note> {
        if bytes.len() > max {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: larger than {max} bytes"),
            );
        }
        let s = core::str::from_utf8(bytes).map_err(|e| {
            Error::new(
                ErrorCode::Malformed,
                format!("{what}: not valid UTF-8 at byte {}", e.valid_up_to()),
            )
        })?;
        check_chars(s, what)?;
        let split = s.rfind("\n\n").ok_or_else(|| {
            Error::new(
                ErrorCode::Malformed,
                format!("{what}: no empty line before the signatures"),
            )
        })?;
        let (text, sigs) = (s.get(..split + 1), s.get(split + 2..));
        let (Some(text), Some(sigs)) = (text, sigs) else {
            return fail(ErrorCode::Malformed, format!("{what}: cannot split"));
        };
        if sigs.is_empty() {
            return fail(ErrorCode::Malformed, format!("{what}: no signature lines"));
        }
        if !sigs.ends_with('\n') {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: the last signature line does not end in a newline"),
            );
        }
        let count = sigs.bytes().filter(|&b| b == b'\n').count();
        if count > MAX_NOTE_SIGNATURES {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: {count} signature lines, more than {MAX_NOTE_SIGNATURES}"),
            );
        }
        let mut signatures = Vec::with_capacity(count);
        for (i, line) in sigs.split_terminator('\n').enumerate() {
            signatures.push(NoteSignature::parse_line(line, i + 1).map_err(|e| e.context(what))?);
        }
        Ok(Note {
            text: String::from(text),
            signatures,
        })
    }

    /// The note text, final LF included (what every signature signs).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds a signature line. A line of the same (name, key ID) already present is removed
    /// first (Go's `note.Sign`: a new signature by a key replaces its old one, e.g. a fresher
    /// cosignature), and the new line goes last. `TOO_LARGE` if the note would then exceed
    /// [`MAX_NOTE_SIGNATURES`] lines or [`MAX_NOTE_BYTES`].
    pub fn add_signature(&mut self, signature: NoteSignature) -> Result<()> {
        self.signatures
            .retain(|s| !(s.name == signature.name && s.key_id == signature.key_id));
        if self.signatures.len() >= MAX_NOTE_SIGNATURES {
            return fail(
                ErrorCode::TooLarge,
                format!("note: already {MAX_NOTE_SIGNATURES} signature lines"),
            );
        }
        self.signatures.push(signature);
        if self.encoded_len() > MAX_NOTE_BYTES {
            self.signatures.pop();
            return fail(
                ErrorCode::TooLarge,
                format!("note: would be larger than {MAX_NOTE_BYTES} bytes"),
            );
        }
        Ok(())
    }

    fn encoded_len(&self) -> usize {
        self.text.len()
            + 1
            + self
                .signatures
                .iter()
                .map(|s| {
                    SIGNATURE_PREFIX.len() + s.name.len() + 2 + (4 + s.bytes.len()).div_ceil(3) * 4
                })
                .sum::<usize>()
    }

    /// The signed note: text, empty line, signature lines. A note without signatures gives
    /// its text and the empty line, which is not a signed note ([`Note::parse`] refuses it).
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.encoded_len());
        out.push_str(&self.text);
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.to_line());
        }
        out
    }
}

/// A trusted key whose signature on a note verified.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Verified {
    /// The key name.
    pub name: String,
    /// The key ID.
    pub key_id: [u8; 4],
    /// The key type ([`TYPE_ED25519`] or [`TYPE_COSIGNATURE_V1`]).
    pub key_type: u8,
    /// For a cosignature, the time it states (Unix seconds); `None` for Ed25519.
    pub timestamp: Option<u64>,
}

/// The message a tlog-cosignature/v1 signs: `cosignature/v1` LF `time <t>` LF, then the text.
pub fn cosignature_message(text: &str, timestamp: u64) -> Vec<u8> {
    let mut m = Vec::with_capacity(COSIGNATURE_V1_HEADER.len() + 26 + text.len());
    m.extend_from_slice(COSIGNATURE_V1_HEADER.as_bytes());
    m.extend_from_slice(format!("time {timestamp}\n").as_bytes());
    m.extend_from_slice(text.as_bytes());
    m
}

/// Verifies one signature line with the key it names. `Ok(timestamp)` or `SIGNATURE_INVALID`.
fn verify_line(text: &str, sig: &NoteSignature, key: &Vkey) -> Result<Option<u64>> {
    let invalid = |why: &str| {
        Error::new(
            ErrorCode::SignatureInvalid,
            format!(
                "note: invalid signature for key {}+{}{why}",
                key.name(),
                crate::hash::to_hex(&key.id())
            ),
        )
    };
    match key.key_type() {
        TYPE_ED25519 => {
            if crate::ed25519::verify_strict_raw(key.key(), text.as_bytes(), sig.bytes()) {
                Ok(None)
            } else {
                Err(invalid(""))
            }
        }
        TYPE_COSIGNATURE_V1 => {
            let Some(t) = sig.cosignature_time() else {
                return Err(invalid(
                    ": a cosignature/v1 is 8 bytes of time and 64 of signature",
                ));
            };
            if t > MAX_COSIGNATURE_TIME {
                return Err(invalid(": cosignature time over 2^63 - 1"));
            }
            let msg = cosignature_message(text, t);
            let ed = sig.bytes().get(8..).unwrap_or_default();
            if crate::ed25519::verify_strict_raw(key.key(), &msg, ed) {
                Ok(Some(t))
            } else {
                Err(invalid(""))
            }
        }
        other => fail(
            ErrorCode::UnsupportedVersion,
            format!(
                "note: key {} has type 0x{other:02x}, not verifiable",
                key.name()
            ),
        ),
    }
}

/// Verifies a parsed note against trusted keys; returns every trusted key that signed it, in
/// the order of their first line. See the module documentation for each rule and code.
pub fn verify(note: &Note, keys: &[Vkey]) -> Result<Vec<Verified>> {
    let mut out: Vec<Verified> = Vec::new();
    for sig in &note.signatures {
        let mut matching = keys
            .iter()
            .filter(|k| k.name() == sig.name && k.id() == sig.key_id);
        let Some(key) = matching.next() else {
            continue;
        };
        if matching.next().is_some() {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "note: ambiguous key {}+{}: the trusted keys hold it more than once",
                    sig.name,
                    crate::hash::to_hex(&sig.key_id)
                ),
            );
        }
        let timestamp = verify_line(&note.text, sig, key)?;
        if out
            .iter()
            .any(|v| v.name == sig.name && v.key_id == sig.key_id)
        {
            continue;
        }
        out.push(Verified {
            name: sig.name.clone(),
            key_id: sig.key_id,
            key_type: key.key_type(),
            timestamp,
        });
    }
    if out.is_empty() {
        let names: Vec<&str> = note.signatures.iter().map(|s| s.name()).collect();
        return fail(
            ErrorCode::KeyNotTrusted,
            format!(
                "note: no signature by a trusted key (signed by: {})",
                names.join(", ")
            ),
        );
    }
    Ok(out)
}

/// Parses and verifies a note ([`Note::parse`] then [`verify`]), Go's `note.Open`.
pub fn open(bytes: &[u8], keys: &[Vkey]) -> Result<(Note, Vec<Verified>)> {
    let note = Note::parse(bytes)?;
    let verified = verify(&note, keys)?;
    Ok((note, verified))
}

/// The vkey of an Ed25519 note signer (type 0x01) with secret key `key` (feature `sign`).
#[cfg(feature = "sign")]
pub fn signer_vkey(name: &str, key: &crate::secret::SecretKey) -> Result<Vkey> {
    Vkey::ed25519(name, *key.public_key().as_bytes())
}

/// The vkey of a tlog-cosignature/v1 witness (type 0x04) with secret key `key` (feature
/// `sign`).
#[cfg(feature = "sign")]
pub fn cosigner_vkey(name: &str, key: &crate::secret::SecretKey) -> Result<Vkey> {
    Vkey::cosigner(name, *key.public_key().as_bytes())
}

/// An Ed25519 (type 0x01) signature line by key `name` over `text` (feature `sign`). The text
/// must be a valid note text ([`Note::new`]'s rules).
#[cfg(feature = "sign")]
pub fn sign_ed25519(
    text: &str,
    name: &str,
    key: &crate::secret::SecretKey,
) -> Result<NoteSignature> {
    sign_ed25519_limited(text, name, key, MAX_NOTE_BYTES)
}

/// [`sign_ed25519`] with another size limit for the text (index notes).
#[cfg(feature = "sign")]
pub(crate) fn sign_ed25519_limited(
    text: &str,
    name: &str,
    key: &crate::secret::SecretKey,
    max: usize,
) -> Result<NoteSignature> {
    check_text(text, max)?;
    let v = signer_vkey(name, key)?;
    NoteSignature::new(name, v.id(), key.sign_raw(text.as_bytes()).to_vec())
}

/// A tlog-cosignature/v1 (type 0x04) line by witness `name` over checkpoint `text` at
/// `timestamp` (Unix seconds, at most 2^63 - 1; feature `sign`). Core reads no clock: the
/// witness passes its time.
#[cfg(feature = "sign")]
pub fn cosign(
    text: &str,
    name: &str,
    key: &crate::secret::SecretKey,
    timestamp: u64,
) -> Result<NoteSignature> {
    check_text(text, MAX_NOTE_BYTES)?;
    if timestamp > MAX_COSIGNATURE_TIME {
        return fail(
            ErrorCode::Malformed,
            format!("cosignature of {name}: time {timestamp} over 2^63 - 1"),
        );
    }
    let v = cosigner_vkey(name, key)?;
    let mut bytes = Vec::with_capacity(72);
    bytes.extend_from_slice(&timestamp.to_be_bytes());
    bytes.extend_from_slice(&key.sign_raw(&cosignature_message(text, timestamp)));
    NoteSignature::new(name, v.id(), bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const C2SP: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
    const C2SP_KEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";

    #[test]
    fn spec_example_verifies_and_round_trips() {
        let key = Vkey::parse(C2SP_KEY).unwrap();
        let (note, v) = open(C2SP.as_bytes(), &[key]).unwrap();
        assert_eq!(note.text(), "This is an example message.\n");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].name, "example.com/foo");
        assert_eq!(v[0].timestamp, None);
        assert_eq!(note.to_text(), C2SP);
    }

    #[test]
    fn look_alike_dashes_are_refused() {
        for dash in ["\u{2013}", "\u{2012}", "\u{2015}", "-", "\u{2212}"] {
            let bad = C2SP.replace('\u{2014}', dash);
            assert_eq!(
                Note::parse(bad.as_bytes()).unwrap_err().code(),
                ErrorCode::Malformed,
                "{dash}"
            );
        }
    }
}
