//! Per-package index notes (REGISTRY.md R5): a signed note, signed by the registry's index key,
//! listing every logged entry about one package name below `as-of`, as hints with their entry
//! indexes. Parsing with strict tokens, canonical formatting, verification against the index
//! key, the expected origin and name, the checkpoint size and `now`, and (feature `sign`)
//! signing for `omega registry refresh`.
//!
//! ```text
//! <origin>
//! index <name>
//! as-of <log size the index is complete up to>
//! expires <unix seconds>
//! owners <entry>
//! release <entry> <version> <sequence> <tgz hex> <manifest hex>
//! revoke <entry> <key>
//! notice <entry> <id> <severity>
//! yank <entry> <version> <sequence>
//! ```
//! Items are separated by exactly one space; no empty line, no trailing space. Numbers are
//! decimal without leading zeros (u64), hashes 64 lowercase hex digits (BLAKE2b-256), names
//! follow the package-name rule ([`crate::manifest::validate_name`]), versions
//! [`crate::manifest::validate_version`], `<key>` is the minisign public key in its bare
//! base64 form (`RW…`, 56 characters, canonical), `<id>` 1–128 printable ASCII characters
//! without spaces, `<severity>` one of `low`, `moderate`, `high`, `critical`. Entry lines are
//! in strictly increasing entry order (one entry is one statement), and every entry index is
//! below `as-of`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::checkpoint::parse_decimal;
use crate::error::{fail, Error, ErrorCode, Result};
use crate::hash::{parse_hex32, to_hex};
use crate::keys::PublicKey;
use crate::limits::MAX_INDEX_BYTES;
use crate::manifest::{validate_name, validate_version};
use crate::note::{self, Note};
use crate::vkey::{Vkey, TYPE_ED25519};

pub use crate::statement::{check_notice_id, Severity};

/// One entry line of an index note.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IndexLine {
    /// `owners <entry>`: an owners statement.
    Owners {
        /// Log entry index.
        entry: u64,
    },
    /// `release <entry> <version> <sequence> <tgz hex> <manifest hex>`.
    Release {
        /// Log entry index.
        entry: u64,
        /// The release's version.
        version: String,
        /// Its sequence number.
        sequence: u64,
        /// BLAKE2b-256 of the tarball.
        tgz: [u8; 32],
        /// BLAKE2b-256 of manifest.json.
        manifest: [u8; 32],
    },
    /// `revoke <entry> <key>`.
    Revoke {
        /// Log entry index.
        entry: u64,
        /// The revoked key, minisign bare base64 (`RW…`).
        key: String,
    },
    /// `notice <entry> <id> <severity>`.
    Notice {
        /// Log entry index.
        entry: u64,
        /// The notice id.
        id: String,
        /// Its severity.
        severity: Severity,
    },
    /// `yank <entry> <version> <sequence>`.
    Yank {
        /// Log entry index.
        entry: u64,
        /// The yanked version.
        version: String,
        /// Its sequence number.
        sequence: u64,
    },
}

impl IndexLine {
    /// The log entry index the line points at.
    pub fn entry(&self) -> u64 {
        match self {
            IndexLine::Owners { entry }
            | IndexLine::Release { entry, .. }
            | IndexLine::Revoke { entry, .. }
            | IndexLine::Notice { entry, .. }
            | IndexLine::Yank { entry, .. } => *entry,
        }
    }

    fn parse(line: &str, what: &str) -> Result<IndexLine> {
        let bad = |why: &str| Error::new(ErrorCode::Malformed, format!("{what}: {why}"));
        let items: Vec<&str> = line.split(' ').collect();
        // Context strings are built only when a token is refused.
        let num = |t: &str, field: &str| parse_decimal(t, field).map_err(|e| e.context(what));
        let hash = |t: &str, field: &str| parse_hex32(t, field).map_err(|e| e.context(what));
        let version = |t: &str| -> Result<String> {
            validate_version(t).map_err(|e| e.context(what))?;
            Ok(String::from(t))
        };
        match items.as_slice() {
            ["owners", e] => Ok(IndexLine::Owners {
                entry: num(e, "entry")?,
            }),
            ["release", e, v, s, t, m] => Ok(IndexLine::Release {
                entry: num(e, "entry")?,
                version: version(v)?,
                sequence: num(s, "sequence")?,
                tgz: hash(t, "tgz")?,
                manifest: hash(m, "manifest")?,
            }),
            ["revoke", e, k] => {
                let key = PublicKey::from_base64(k).map_err(|e| e.context(what))?;
                if key.to_base64() != *k {
                    return Err(bad("the key is not in canonical base64"));
                }
                Ok(IndexLine::Revoke {
                    entry: num(e, "entry")?,
                    key: String::from(*k),
                })
            }
            ["notice", e, id, sev] => {
                check_notice_id(id).map_err(|e| e.context(what))?;
                Ok(IndexLine::Notice {
                    entry: num(e, "entry")?,
                    id: String::from(*id),
                    severity: Severity::parse(sev).map_err(|e| e.context(what))?,
                })
            }
            ["yank", e, v, s] => Ok(IndexLine::Yank {
                entry: num(e, "entry")?,
                version: version(v)?,
                sequence: num(s, "sequence")?,
            }),
            _ => Err(bad(
                "expected owners, release, revoke, notice or yank with its items, one space apart",
            )),
        }
    }

    fn to_line(&self) -> String {
        match self {
            IndexLine::Owners { entry } => format!("owners {entry}\n"),
            IndexLine::Release {
                entry,
                version,
                sequence,
                tgz,
                manifest,
            } => format!(
                "release {entry} {version} {sequence} {} {}\n",
                to_hex(tgz),
                to_hex(manifest)
            ),
            IndexLine::Revoke { entry, key } => format!("revoke {entry} {key}\n"),
            IndexLine::Notice {
                entry,
                id,
                severity,
            } => format!("notice {entry} {id} {}\n", severity.as_str()),
            IndexLine::Yank {
                entry,
                version,
                sequence,
            } => format!("yank {entry} {version} {sequence}\n"),
        }
    }
}

/// A per-package index note's text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IndexNote {
    /// The registry's origin (its log's origin line).
    pub origin: String,
    /// The package name.
    pub name: String,
    /// The log size the index is complete up to.
    pub as_of: u64,
    /// When the index stops being valid (Unix seconds).
    pub expires: u64,
    /// The entry lines, in strictly increasing entry order.
    pub lines: Vec<IndexLine>,
}

impl IndexNote {
    /// Parses an index note text (what [`Note::text`] returns) with the rules of the module
    /// documentation. Nothing is verified against a key, an origin or a time here.
    pub fn parse(text: &str) -> Result<IndexNote> {
        if text.len() > MAX_INDEX_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!("index note: larger than {MAX_INDEX_BYTES} bytes"),
            );
        }
        let bad = |why: String| Error::new(ErrorCode::Malformed, format!("index note: {why}"));
        if let Some(at) = text.bytes().position(|b| b < 0x20 && b != b'\n') {
            return Err(bad(format!("control character at byte {at}")));
        }
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("does not end in a newline".into()))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(bad("empty origin line".into()));
        }
        let mut header = |key: &str| -> Result<&str> {
            let line = lines
                .next()
                .ok_or_else(|| bad(format!("no `{key}` line")))?;
            line.strip_prefix(key)
                .and_then(|r| r.strip_prefix(' '))
                .ok_or_else(|| bad(format!("expected `{key} …`, got {line:?}")))
        };
        let name = header("index")?;
        validate_name(name).map_err(|e| e.context("index note"))?;
        let what = format!("index note of {name}");
        let as_of = parse_decimal(header("as-of")?, &format!("{what}: as-of"))?;
        let expires = parse_decimal(header("expires")?, &format!("{what}: expires"))?;
        let mut out = Vec::new();
        let mut last: Option<u64> = None;
        for (i, line) in lines.enumerate() {
            let line_what = || format!("{what}: line {}", i + 5);
            let l = IndexLine::parse(line, "")
                .map_err(|e| Error::new(e.code(), format!("{}{}", line_what(), e.message())))?;
            let e = l.entry();
            if e >= as_of {
                return fail(
                    ErrorCode::Malformed,
                    format!("{}: entry {e} is not below as-of {as_of}", line_what()),
                );
            }
            if last.is_some_and(|p| e <= p) {
                return fail(
                    ErrorCode::Malformed,
                    format!(
                        "{}: entry {e} does not follow the previous line's entry in increasing order",
                        line_what()
                    ),
                );
            }
            last = Some(e);
            out.push(l);
        }
        Ok(IndexNote {
            origin: String::from(origin),
            name: String::from(name),
            as_of,
            expires,
            lines: out,
        })
    }

    /// The note text; [`IndexNote::parse`] of it gives an equal index for a valid one.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{}\nindex {}\nas-of {}\nexpires {}\n",
            self.origin, self.name, self.as_of, self.expires
        );
        for l in &self.lines {
            out.push_str(&l.to_line());
        }
        out
    }

    /// Verifies a signed index note (REGISTRY.md R5, R6 step 3), cheapest checks first:
    /// - size ≤ [`MAX_INDEX_BYTES`] (`TOO_LARGE`), the note and its text parse (`MALFORMED`);
    /// - `index_key` (an Ed25519 key, else `MALFORMED`) signed it: a bad line of that key is
    ///   `SIGNATURE_INVALID`, no line of it `KEY_NOT_TRUSTED` (e.g. an index signed by the log
    ///   key);
    /// - its origin is `origin` and its name `name`, else `KEY_NOT_TRUSTED` (the index key
    ///   did not vouch for this registry's index of this package: a substituted index);
    /// - `as-of` ≤ `checkpoint_size`, else `STALE` (the checkpoint is older than the index:
    ///   fetch a newer checkpoint; a registry writes indexes before its checkpoint);
    /// - with `now = Some(t)`: `expires > t`, else `STALE`. `now = None` (offline) skips it.
    pub fn verify(
        bytes: &[u8],
        index_key: &Vkey,
        origin: &str,
        name: &str,
        checkpoint_size: u64,
        now: Option<u64>,
    ) -> Result<IndexNote> {
        let what = format!("index note of {name}");
        let note = Note::parse_limited(bytes, MAX_INDEX_BYTES, &what)?;
        if index_key.key_type() != TYPE_ED25519 {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "{what}: the index key {} is not an Ed25519 key",
                    index_key.name()
                ),
            );
        }
        note::verify(&note, core::slice::from_ref(index_key)).map_err(|e| e.context(&what))?;
        let index = IndexNote::parse(note.text())?;
        if index.origin != origin || index.name != name {
            return fail(
                ErrorCode::KeyNotTrusted,
                format!(
                    "{what}: the note is the index of {} in {}, expected {name} in {origin}",
                    index.name, index.origin
                ),
            );
        }
        if index.as_of > checkpoint_size {
            return fail(
                ErrorCode::Stale,
                format!(
                    "{what}: as-of {} is beyond the checkpoint's size {checkpoint_size}: the checkpoint is older than the index",
                    index.as_of
                ),
            );
        }
        if let Some(now) = now {
            if index.expires <= now {
                return fail(
                    ErrorCode::Stale,
                    format!(
                        "{what}: expired at {}, {} s before now",
                        index.expires,
                        now - index.expires
                    ),
                );
            }
        }
        Ok(index)
    }

    /// The signed index note: the text and one Ed25519 signature line by the index key
    /// `key_name` (feature `sign`).
    #[cfg(feature = "sign")]
    pub fn sign(&self, key_name: &str, key: &crate::secret::SecretKey) -> Result<String> {
        let text = self.to_text();
        IndexNote::parse(&text)?;
        let sig = note::sign_ed25519_limited(&text, key_name, key, MAX_INDEX_BYTES - 512)?;
        let mut out = text;
        out.push('\n');
        out.push_str(&sig.to_line());
        Ok(out)
    }
}
