//! Registry statements (REGISTRY.md R4): the compact JSON object inside every log entry, one
//! type per kind of change (`registry`, `owners`, `release`, `revoke`, `yank`, `notice`),
//! their strict parsing and their one canonical byte form.
//!
//! **Canonical form.** A statement has exactly one byte form, and [`Statement::parse`] accepts
//! only that form: compact JSON (no whitespace), `"omega-entry"` first, `"type"` second, then
//! the type's fields in the order of R4's table (key sets as `threshold`, `signers`, `next`,
//! with `next` always present; ranges as `from`, `to`); optional fields (`fixed`, `url`)
//! absent when unset (never `null`); integers in shortest decimal; strings with no escapes
//! at all (text fields may not hold control characters, `"` or `\`, so nothing needs
//! escaping, and non-ASCII is raw UTF-8). `parse` first parses strictly (duplicate keys,
//! unknown fields, trailing data and wrong types are `MALFORMED`), then re-serialises with
//! [`Statement::to_bytes`] and refuses the input unless the bytes are identical. So
//! `to_bytes(parse(b)) == b` for every accepted `b`, and `parse(to_bytes(s)) == s` for every
//! valid `s`.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::error::{fail, Error, ErrorCode, Result};
use crate::hash::{parse_hex32, to_hex};
use crate::json::{self, At, Fields, ObjectBuilder, Value};
use crate::keys::PublicKey;
use crate::limits::{MAX_KEYS, MAX_NOTICE_ID_BYTES, MAX_NOTICE_RANGES, MAX_STATEMENT_BYTES};
use crate::manifest::{validate_name, validate_version, KeySet};
use crate::tree::TreeDigest;
use crate::vkey::{Vkey, TYPE_ED25519};

/// The statement format version (`"omega-entry": 1`).
pub const STATEMENT_VERSION: u64 = 1;

/// How owners are first authorised for a name (the `mode` of a `registry` statement).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// First come: serial 0 of an unclaimed name may be signed by its own keys.
    Open,
    /// Every `owners` statement needs the janitors' threshold.
    Curated,
}

impl Mode {
    /// `"open"` or `"curated"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Open => "open",
            Mode::Curated => "curated",
        }
    }
    /// Parses `"open"` or `"curated"`.
    pub fn parse(s: &str) -> Result<Mode> {
        match s {
            "open" => Ok(Mode::Open),
            "curated" => Ok(Mode::Curated),
            _ => fail(
                ErrorCode::Malformed,
                format!("mode {s:?}: expected \"open\" or \"curated\""),
            ),
        }
    }
}

/// The severity of a security notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// `low`
    Low,
    /// `moderate`
    Moderate,
    /// `high`
    High,
    /// `critical`: `omega install` exits 1 unless the notice is accepted.
    Critical,
}

impl Severity {
    /// The text form (also the token of an index note's `notice` line).
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Moderate => "moderate",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    /// Parses `low`, `moderate`, `high` or `critical`.
    pub fn parse(s: &str) -> Result<Severity> {
        match s {
            "low" => Ok(Severity::Low),
            "moderate" => Ok(Severity::Moderate),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => fail(
                ErrorCode::Malformed,
                format!("severity {s:?}: expected low, moderate, high or critical"),
            ),
        }
    }
}

/// `registry`: the registry's origin, janitors, log and index keys, and mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryStatement {
    /// The log origin (checkpoint origin line; also the log key's name).
    pub origin: String,
    /// 0 for the genesis, then +1 per janitor rotation.
    pub serial: u64,
    /// Who administers the registry.
    pub janitors: KeySet,
    /// The log's checkpoint key (Ed25519 note key named `origin`).
    pub log_key: Vkey,
    /// The per-package index note key (Ed25519).
    pub index_key: Vkey,
    /// First-come claims allowed or not.
    pub mode: Mode,
}

/// `owners`: who may publish a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnersStatement {
    /// The origin of the registry the statement is for (its log's origin): binds the
    /// signatures to one registry, so the entry cannot be replayed into another log that
    /// shares keys (threat model RV5).
    pub origin: String,
    /// The package name.
    pub name: String,
    /// 0 for the first owners of the name, then +1.
    pub serial: u64,
    /// The owners' keys.
    pub keys: KeySet,
    /// Why (free text, may be empty).
    pub reason: String,
}

/// `release`: one release of a name, bound to its manifest and tarball.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseStatement {
    /// The origin of the registry the statement is for (its log's origin): binds the
    /// signatures to one registry, so the entry cannot be replayed into another log that
    /// shares keys (threat model RV5).
    pub origin: String,
    /// The package name.
    pub name: String,
    /// The version string.
    pub version: String,
    /// The manifest's sequence.
    pub sequence: u64,
    /// The manifest's tree digest.
    pub tree: TreeDigest,
    /// BLAKE2b-256 of the exact manifest.json bytes.
    pub manifest: [u8; 32],
    /// BLAKE2b-256 of the .tgz.
    pub tgz: [u8; 32],
    /// Size of the .tgz in bytes.
    pub size: u64,
    /// The manifest's `keys`.
    pub keys: KeySet,
}

/// `revoke`: a key may no longer sign for a name, from this log position on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokeStatement {
    /// The origin of the registry the statement is for (its log's origin): binds the
    /// signatures to one registry, so the entry cannot be replayed into another log that
    /// shares keys (threat model RV5).
    pub origin: String,
    /// The package name.
    pub name: String,
    /// The revoked key.
    pub key: PublicKey,
    /// Why.
    pub reason: String,
}

/// `yank`: a release is not chosen for new installs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YankStatement {
    /// The origin of the registry the statement is for (its log's origin): binds the
    /// signatures to one registry, so the entry cannot be replayed into another log that
    /// shares keys (threat model RV5).
    pub origin: String,
    /// The package name.
    pub name: String,
    /// The release's version.
    pub version: String,
    /// The release's sequence.
    pub sequence: u64,
    /// Why.
    pub reason: String,
}

/// An inclusive range of release sequences.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SequenceRange {
    /// First affected sequence.
    pub from: u64,
    /// Last affected sequence (≥ `from`).
    pub to: u64,
}

impl SequenceRange {
    /// Whether `sequence` lies in the range.
    pub fn contains(&self, sequence: u64) -> bool {
        self.from <= sequence && sequence <= self.to
    }
}

/// `notice`: a security notice about a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeStatement {
    /// The origin of the registry the statement is for (its log's origin): binds the
    /// signatures to one registry, so the entry cannot be replayed into another log that
    /// shares keys (threat model RV5).
    pub origin: String,
    /// The package name.
    pub name: String,
    /// The notice id (unique per name), e.g. `OSA-2026-1`.
    pub id: String,
    /// How bad.
    pub severity: Severity,
    /// Affected sequence ranges (at least one).
    pub affected: Vec<SequenceRange>,
    /// The first fixed sequence, if any.
    pub fixed: Option<u64>,
    /// One-paragraph summary.
    pub summary: String,
    /// Where to read more (`https://…`).
    pub url: Option<String>,
}

/// A registry statement: the JSON line of a log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Statement {
    /// `registry`
    Registry(RegistryStatement),
    /// `owners`
    Owners(OwnersStatement),
    /// `release`
    Release(ReleaseStatement),
    /// `revoke`
    Revoke(RevokeStatement),
    /// `yank`
    Yank(YankStatement),
    /// `notice`
    Notice(NoticeStatement),
}

// ---- raw forms (field order = canonical order) ----

#[derive(Clone)]
pub(crate) struct RawKeySet {
    pub(crate) threshold: u64,
    pub(crate) signers: Vec<String>,
    pub(crate) next: Vec<String>,
}

impl RawKeySet {
    pub(crate) fn from_keys(ks: &KeySet) -> RawKeySet {
        RawKeySet {
            threshold: u64::from(ks.threshold),
            signers: ks.signers.iter().map(|k| k.to_base64()).collect(),
            next: ks.next.iter().map(|k| k.to_base64()).collect(),
        }
    }

    /// `{"threshold": n, "signers": [...], "next": [...]}`, all three required.
    pub(crate) fn read(v: Value<'_>, at: &At<'_>) -> Result<RawKeySet> {
        let mut f = v.into_fields(at)?;
        let threshold = f.u64("threshold", at)?;
        let signers = f
            .required("signers", at)?
            .into_strings(&at.field("signers"))?;
        let next = f.required("next", at)?.into_strings(&at.field("next"))?;
        f.end(at)?;
        Ok(RawKeySet {
            threshold,
            signers,
            next,
        })
    }

    pub(crate) fn write(&self) -> Value<'static> {
        ObjectBuilder::new()
            .field("threshold", self.threshold)
            .field("signers", Value::strings(self.signers.iter().cloned()))
            .field("next", Value::strings(self.next.iter().cloned()))
            .build()
    }

    pub(crate) fn to_keys(&self, what: &str) -> Result<KeySet> {
        if self.signers.len() + self.next.len() > MAX_KEYS {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: more than {MAX_KEYS} keys"),
            );
        }
        let parse = |v: &[String]| -> Result<Vec<PublicKey>> {
            v.iter()
                .map(|k| PublicKey::from_base64(k).map_err(|e| e.context(what)))
                .collect()
        };
        let threshold = u32::try_from(self.threshold).map_err(|_| {
            Error::new(
                ErrorCode::Malformed,
                format!("{what}: threshold out of range"),
            )
        })?;
        let ks = KeySet {
            threshold,
            signers: parse(&self.signers)?,
            next: parse(&self.next)?,
        };
        ks.validate(what)?;
        Ok(ks)
    }
}

#[derive(Clone, Copy)]
pub(crate) struct RawRange {
    pub(crate) from: u64,
    pub(crate) to: u64,
}

impl From<&SequenceRange> for RawRange {
    fn from(r: &SequenceRange) -> RawRange {
        RawRange {
            from: r.from,
            to: r.to,
        }
    }
}

impl RawRange {
    /// `{"from": n, "to": m}`.
    pub(crate) fn read(v: Value<'_>, at: &At<'_>) -> Result<RawRange> {
        let mut f = v.into_fields(at)?;
        let from = f.u64("from", at)?;
        let to = f.u64("to", at)?;
        f.end(at)?;
        Ok(RawRange { from, to })
    }

    /// An array of ranges.
    pub(crate) fn read_all(v: Value<'_>, at: &At<'_>) -> Result<Vec<RawRange>> {
        v.into_items(at, RawRange::read)
    }

    pub(crate) fn write(self) -> Value<'static> {
        ObjectBuilder::new()
            .field("from", self.from)
            .field("to", self.to)
            .build()
    }

    /// An array of ranges.
    pub(crate) fn write_all(ranges: &[RawRange]) -> Value<'static> {
        Value::Array(ranges.iter().map(|r| r.write()).collect())
    }
}

/// The start of every statement's canonical form: `"omega-entry"`, then `"type"`.
fn head(kind: &'static str) -> ObjectBuilder<'static> {
    ObjectBuilder::new()
        .field("omega-entry", STATEMENT_VERSION)
        .field("type", kind)
}

struct RawRegistry {
    origin: String,
    serial: u64,
    janitors: RawKeySet,
    log_key: String,
    index_key: String,
    mode: String,
}

impl RawRegistry {
    fn read(mut f: Fields<'_>, at: &At<'_>) -> Result<RawRegistry> {
        let r = RawRegistry {
            origin: f.string("origin", at)?,
            serial: f.u64("serial", at)?,
            janitors: RawKeySet::read(f.required("janitors", at)?, &at.field("janitors"))?,
            log_key: f.string("log_key", at)?,
            index_key: f.string("index_key", at)?,
            mode: f.string("mode", at)?,
        };
        f.end(at)?;
        Ok(r)
    }

    fn write(self) -> Value<'static> {
        head("registry")
            .field("origin", self.origin)
            .field("serial", self.serial)
            .field("janitors", self.janitors.write())
            .field("log_key", self.log_key)
            .field("index_key", self.index_key)
            .field("mode", self.mode)
            .build()
    }
}

struct RawOwners {
    origin: String,
    name: String,
    serial: u64,
    keys: RawKeySet,
    reason: String,
}

impl RawOwners {
    fn read(mut f: Fields<'_>, at: &At<'_>) -> Result<RawOwners> {
        let r = RawOwners {
            origin: f.string("origin", at)?,
            name: f.string("name", at)?,
            serial: f.u64("serial", at)?,
            keys: RawKeySet::read(f.required("keys", at)?, &at.field("keys"))?,
            reason: f.string("reason", at)?,
        };
        f.end(at)?;
        Ok(r)
    }

    fn write(self) -> Value<'static> {
        head("owners")
            .field("origin", self.origin)
            .field("name", self.name)
            .field("serial", self.serial)
            .field("keys", self.keys.write())
            .field("reason", self.reason)
            .build()
    }
}

struct RawRelease {
    origin: String,
    name: String,
    version: String,
    sequence: u64,
    tree: String,
    manifest: String,
    tgz: String,
    size: u64,
    keys: RawKeySet,
}

impl RawRelease {
    fn read(mut f: Fields<'_>, at: &At<'_>) -> Result<RawRelease> {
        let r = RawRelease {
            origin: f.string("origin", at)?,
            name: f.string("name", at)?,
            version: f.string("version", at)?,
            sequence: f.u64("sequence", at)?,
            tree: f.string("tree", at)?,
            manifest: f.string("manifest", at)?,
            tgz: f.string("tgz", at)?,
            size: f.u64("size", at)?,
            keys: RawKeySet::read(f.required("keys", at)?, &at.field("keys"))?,
        };
        f.end(at)?;
        Ok(r)
    }

    fn write(self) -> Value<'static> {
        head("release")
            .field("origin", self.origin)
            .field("name", self.name)
            .field("version", self.version)
            .field("sequence", self.sequence)
            .field("tree", self.tree)
            .field("manifest", self.manifest)
            .field("tgz", self.tgz)
            .field("size", self.size)
            .field("keys", self.keys.write())
            .build()
    }
}

struct RawRevoke {
    origin: String,
    name: String,
    key: String,
    reason: String,
}

impl RawRevoke {
    fn read(mut f: Fields<'_>, at: &At<'_>) -> Result<RawRevoke> {
        let r = RawRevoke {
            origin: f.string("origin", at)?,
            name: f.string("name", at)?,
            key: f.string("key", at)?,
            reason: f.string("reason", at)?,
        };
        f.end(at)?;
        Ok(r)
    }

    fn write(self) -> Value<'static> {
        head("revoke")
            .field("origin", self.origin)
            .field("name", self.name)
            .field("key", self.key)
            .field("reason", self.reason)
            .build()
    }
}

struct RawYank {
    origin: String,
    name: String,
    version: String,
    sequence: u64,
    reason: String,
}

impl RawYank {
    fn read(mut f: Fields<'_>, at: &At<'_>) -> Result<RawYank> {
        let r = RawYank {
            origin: f.string("origin", at)?,
            name: f.string("name", at)?,
            version: f.string("version", at)?,
            sequence: f.u64("sequence", at)?,
            reason: f.string("reason", at)?,
        };
        f.end(at)?;
        Ok(r)
    }

    fn write(self) -> Value<'static> {
        head("yank")
            .field("origin", self.origin)
            .field("name", self.name)
            .field("version", self.version)
            .field("sequence", self.sequence)
            .field("reason", self.reason)
            .build()
    }
}

struct RawNotice {
    origin: String,
    name: String,
    id: String,
    severity: String,
    affected: Vec<RawRange>,
    fixed: Option<u64>,
    summary: String,
    url: Option<String>,
}

impl RawNotice {
    fn read(mut f: Fields<'_>, at: &At<'_>) -> Result<RawNotice> {
        let r = RawNotice {
            origin: f.string("origin", at)?,
            name: f.string("name", at)?,
            id: f.string("id", at)?,
            severity: f.string("severity", at)?,
            affected: RawRange::read_all(f.required("affected", at)?, &at.field("affected"))?,
            // `fixed` and `url` are optional: absent or `null` is unset (`null` is then
            // refused as not canonical, since the canonical form omits unset fields).
            fixed: f.opt_u64("fixed", at)?,
            summary: f.string("summary", at)?,
            url: f.opt_string("url", at)?,
        };
        f.end(at)?;
        Ok(r)
    }

    fn write(self) -> Value<'static> {
        head("notice")
            .field("origin", self.origin)
            .field("name", self.name)
            .field("id", self.id)
            .field("severity", self.severity)
            .field("affected", RawRange::write_all(&self.affected))
            .field_if("fixed", self.fixed)
            .field("summary", self.summary)
            .field_if("url", self.url)
            .build()
    }
}

/// Free text (`reason`, `summary`): no control characters, no `"` or `\` (so the canonical
/// JSON needs no escapes).
pub(crate) fn check_text(text: &str, what: &str) -> Result<()> {
    if text
        .chars()
        .any(|c| c.is_control() || c == '"' || c == '\\')
    {
        return fail(
            ErrorCode::Malformed,
            format!("{what}: may not contain control characters, '\"' or '\\'"),
        );
    }
    Ok(())
}

/// Checks a security-notice id, the one rule for `notice` statements and index-note `notice`
/// lines: 1 to [`MAX_NOTICE_ID_BYTES`] printable ASCII characters, no space, `"` or `\`.
pub fn check_notice_id(id: &str) -> Result<()> {
    check_token(id, MAX_NOTICE_ID_BYTES, "notice id")
}

fn check_token(text: &str, max: usize, what: &str) -> Result<()> {
    if text.is_empty()
        || text.len() > max
        || !text
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    {
        return fail(
            ErrorCode::Malformed,
            format!("{what} {text:?}: must be 1 to {max} printable ASCII characters without spaces, '\"' or '\\'"),
        );
    }
    Ok(())
}

fn digest_hex(text: &str, what: &str) -> Result<[u8; 32]> {
    parse_hex32(text, what)
}

fn check_vkey(v: &Vkey, what: &str) -> Result<()> {
    if v.key_type() != TYPE_ED25519 {
        return fail(
            ErrorCode::Malformed,
            format!(
                "{what} {}: must be an Ed25519 (type 0x01) note key",
                v.name()
            ),
        );
    }
    Ok(())
}

impl RegistryStatement {
    /// Checks the fields: origin is a valid key name, the log key is an Ed25519 note key named
    /// after the origin, the index key an Ed25519 note key, the janitors a valid key set.
    pub fn validate(&self) -> Result<()> {
        crate::vkey::check_key_name(&self.origin).map_err(|e| e.context("registry origin"))?;
        let what = format!("registry {} serial {}", self.origin, self.serial);
        check_text(&self.origin, "registry origin")?;
        check_text(self.index_key.name(), &format!("{what}: index_key name"))?;
        self.janitors.validate(&format!("{what}: janitors"))?;
        check_vkey(&self.log_key, &format!("{what}: log_key"))?;
        check_vkey(&self.index_key, &format!("{what}: index_key"))?;
        if self.log_key.name() != self.origin {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "{what}: the log key's name {:?} is not the origin",
                    self.log_key.name()
                ),
            );
        }
        Ok(())
    }
}

impl NoticeStatement {
    fn validate(&self) -> Result<()> {
        let what = format!("notice for {}", self.name);
        check_notice_id(&self.id).map_err(|e| e.context(&what))?;
        let what = format!("notice {} for {}", self.id, self.name);
        if self.affected.is_empty() {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: \"affected\" is empty"),
            );
        }
        if self.affected.len() > MAX_NOTICE_RANGES {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: more than {MAX_NOTICE_RANGES} affected ranges"),
            );
        }
        if let Some(r) = self.affected.iter().find(|r| r.from > r.to) {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "{what}: affected range {}-{} is empty (from > to)",
                    r.from, r.to
                ),
            );
        }
        check_text(&self.summary, &format!("{what}: summary"))?;
        if self.summary.is_empty() {
            return fail(ErrorCode::Malformed, format!("{what}: summary is empty"));
        }
        if let Some(url) = &self.url {
            check_token(url, 2048, &format!("{what}: url"))?;
            if !url.starts_with("https://") {
                return fail(
                    ErrorCode::Malformed,
                    format!("{what}: url {url:?} must start with https://"),
                );
            }
        }
        Ok(())
    }
}

impl Statement {
    /// The statement's `type`: `registry`, `owners`, `release`, `revoke`, `yank` or `notice`.
    pub fn kind(&self) -> &'static str {
        match self {
            Statement::Registry(_) => "registry",
            Statement::Owners(_) => "owners",
            Statement::Release(_) => "release",
            Statement::Revoke(_) => "revoke",
            Statement::Yank(_) => "yank",
            Statement::Notice(_) => "notice",
        }
    }

    /// The origin of the registry the statement is for.
    pub fn origin(&self) -> &str {
        match self {
            Statement::Registry(s) => &s.origin,
            Statement::Owners(s) => &s.origin,
            Statement::Release(s) => &s.origin,
            Statement::Revoke(s) => &s.origin,
            Statement::Yank(s) => &s.origin,
            Statement::Notice(s) => &s.origin,
        }
    }

    /// The package name the statement is about (`None` for `registry`).
    pub fn name(&self) -> Option<&str> {
        match self {
            Statement::Registry(_) => None,
            Statement::Owners(s) => Some(&s.name),
            Statement::Release(s) => Some(&s.name),
            Statement::Revoke(s) => Some(&s.name),
            Statement::Yank(s) => Some(&s.name),
            Statement::Notice(s) => Some(&s.name),
        }
    }

    /// Checks every field (names, versions, key sets, keys, text). `parse` runs this; builders
    /// run it before signing.
    pub fn validate(&self) -> Result<()> {
        if let Some(name) = self.name() {
            validate_name(name).map_err(|e| e.context(&format!("{} statement", self.kind())))?;
            let what = self.describe();
            crate::vkey::check_key_name(self.origin())
                .map_err(|e| e.context(&format!("{what}: origin")))?;
            check_text(self.origin(), &format!("{what}: origin"))?;
        }
        match self {
            Statement::Registry(s) => s.validate(),
            Statement::Owners(s) => {
                let what = format!("owners of {} serial {}", s.name, s.serial);
                s.keys.validate(&format!("{what}: keys"))?;
                check_text(&s.reason, &format!("{what}: reason"))
            }
            Statement::Release(s) => {
                let what = format!("release {}@{}", s.name, s.version);
                validate_version(&s.version).map_err(|e| e.context(&what))?;
                s.keys.validate(&format!("{what}: keys"))
            }
            Statement::Revoke(s) => check_text(
                &s.reason,
                &format!("revocation of key {} for {}: reason", s.key, s.name),
            ),
            Statement::Yank(s) => {
                let what = format!("yank of {}@{}", s.name, s.version);
                validate_version(&s.version).map_err(|e| e.context(&what))?;
                check_text(&s.reason, &format!("{what}: reason"))
            }
            Statement::Notice(s) => s.validate(),
        }
    }

    /// Parses a statement strictly; accepts only its canonical bytes (see the module docs).
    /// `TOO_LARGE` over [`MAX_STATEMENT_BYTES`], `UNSUPPORTED_VERSION` for an `omega-entry`
    /// version other than 1, `MALFORMED` for anything else that is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Statement> {
        let what = "statement";
        if bytes.len() > MAX_STATEMENT_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!(
                    "{what}: {} bytes, larger than {MAX_STATEMENT_BYTES}",
                    bytes.len()
                ),
            );
        }
        let root = At::root(what);
        let mut fields = json::parse(bytes, what)?.into_fields(&root)?;
        fields.version("omega-entry", &root, STATEMENT_VERSION, STATEMENT_VERSION)?;
        let kind = match fields.take("type") {
            Some(v) => v.into_string(&root.field("type"))?,
            None => {
                return fail(
                    ErrorCode::Malformed,
                    format!("{what}: missing the \"type\" field"),
                )
            }
        };
        let what = format!("{kind} statement");
        let at = At::root(&what);
        let st = match kind.as_str() {
            "registry" => {
                let r = RawRegistry::read(fields, &at)?;
                Statement::Registry(RegistryStatement {
                    janitors: r.janitors.to_keys(&format!(
                        "registry {} serial {}: janitors",
                        r.origin, r.serial
                    ))?,
                    log_key: Vkey::parse(&r.log_key).map_err(|e| e.context("registry log_key"))?,
                    index_key: Vkey::parse(&r.index_key)
                        .map_err(|e| e.context("registry index_key"))?,
                    mode: Mode::parse(&r.mode).map_err(|e| e.context("registry"))?,
                    origin: r.origin,
                    serial: r.serial,
                })
            }
            "owners" => {
                let r = RawOwners::read(fields, &at)?;
                validate_name(&r.name).map_err(|e| e.context(&what))?;
                Statement::Owners(OwnersStatement {
                    origin: r.origin,
                    keys: r
                        .keys
                        .to_keys(&format!("owners of {} serial {}: keys", r.name, r.serial))?,
                    name: r.name,
                    serial: r.serial,
                    reason: r.reason,
                })
            }
            "release" => {
                let r = RawRelease::read(fields, &at)?;
                validate_name(&r.name).map_err(|e| e.context(&what))?;
                let w = format!("release {}@{}", r.name, r.version);
                Statement::Release(ReleaseStatement {
                    origin: r.origin,
                    tree: TreeDigest::parse(&r.tree).map_err(|e| e.context(&w))?,
                    manifest: digest_hex(&r.manifest, &format!("{w}: manifest"))?,
                    tgz: digest_hex(&r.tgz, &format!("{w}: tgz"))?,
                    keys: r.keys.to_keys(&format!("{w}: keys"))?,
                    name: r.name,
                    version: r.version,
                    sequence: r.sequence,
                    size: r.size,
                })
            }
            "revoke" => {
                let r = RawRevoke::read(fields, &at)?;
                validate_name(&r.name).map_err(|e| e.context(&what))?;
                Statement::Revoke(RevokeStatement {
                    origin: r.origin,
                    key: PublicKey::from_base64(&r.key)
                        .map_err(|e| e.context(&format!("revocation for {}", r.name)))?,
                    name: r.name,
                    reason: r.reason,
                })
            }
            "yank" => {
                let r = RawYank::read(fields, &at)?;
                Statement::Yank(YankStatement {
                    origin: r.origin,
                    name: r.name,
                    version: r.version,
                    sequence: r.sequence,
                    reason: r.reason,
                })
            }
            "notice" => {
                let r = RawNotice::read(fields, &at)?;
                Statement::Notice(NoticeStatement {
                    origin: r.origin,
                    severity: Severity::parse(&r.severity)
                        .map_err(|e| e.context(&format!("notice {} for {}", r.id, r.name)))?,
                    affected: r
                        .affected
                        .iter()
                        .map(|a| SequenceRange {
                            from: a.from,
                            to: a.to,
                        })
                        .collect(),
                    name: r.name,
                    id: r.id,
                    fixed: r.fixed,
                    summary: r.summary,
                    url: r.url,
                })
            }
            other => {
                return fail(
                    ErrorCode::Malformed,
                    format!("statement: unknown type {other:?}"),
                )
            }
        };
        st.validate()?;
        if st.to_bytes() != bytes {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "{}: not in canonical form (compact JSON, fields in R4 order, no escapes; see docs/registry.md)",
                    st.describe()
                ),
            );
        }
        Ok(st)
    }

    /// A short description for messages: `release left-pad@1.0.0`, `owners of left-pad`, …
    pub fn describe(&self) -> String {
        match self {
            Statement::Registry(s) => format!("registry {} serial {}", s.origin, s.serial),
            Statement::Owners(s) => format!("owners of {} serial {}", s.name, s.serial),
            Statement::Release(s) => {
                format!("release {}@{} sequence {}", s.name, s.version, s.sequence)
            }
            Statement::Revoke(s) => format!("revocation of key {} for {}", s.key, s.name),
            Statement::Yank(s) => {
                format!("yank of {}@{} sequence {}", s.name, s.version, s.sequence)
            }
            Statement::Notice(s) => format!("notice {} for {}", s.id, s.name),
        }
    }

    /// The canonical bytes (compact JSON, one line, no final newline): what is signed and
    /// logged. For a valid statement, `parse` accepts exactly these bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let v = match self {
            Statement::Registry(s) => RawRegistry {
                origin: s.origin.clone(),
                serial: s.serial,
                janitors: RawKeySet::from_keys(&s.janitors),
                log_key: s.log_key.to_string(),
                index_key: s.index_key.to_string(),
                mode: s.mode.as_str().to_owned(),
            }
            .write(),
            Statement::Owners(s) => RawOwners {
                origin: s.origin.clone(),
                name: s.name.clone(),
                serial: s.serial,
                keys: RawKeySet::from_keys(&s.keys),
                reason: s.reason.clone(),
            }
            .write(),
            Statement::Release(s) => RawRelease {
                origin: s.origin.clone(),
                name: s.name.clone(),
                version: s.version.clone(),
                sequence: s.sequence,
                tree: s.tree.to_string(),
                manifest: to_hex(&s.manifest),
                tgz: to_hex(&s.tgz),
                size: s.size,
                keys: RawKeySet::from_keys(&s.keys),
            }
            .write(),
            Statement::Revoke(s) => RawRevoke {
                origin: s.origin.clone(),
                name: s.name.clone(),
                key: s.key.to_base64(),
                reason: s.reason.clone(),
            }
            .write(),
            Statement::Yank(s) => RawYank {
                origin: s.origin.clone(),
                name: s.name.clone(),
                version: s.version.clone(),
                sequence: s.sequence,
                reason: s.reason.clone(),
            }
            .write(),
            Statement::Notice(s) => RawNotice {
                origin: s.origin.clone(),
                name: s.name.clone(),
                id: s.id.clone(),
                severity: s.severity.as_str().to_owned(),
                affected: s.affected.iter().map(RawRange::from).collect(),
                fixed: s.fixed,
                summary: s.summary.clone(),
                url: s.url.clone(),
            }
            .write(),
        };
        json::to_text(&v).into_bytes()
    }
}

impl core::fmt::Display for Statement {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.describe())
    }
}
