//! The lock file `omega.lock` and its update rules (DESIGN §3.5): trust on first use, explicit
//! key pins, a threshold of distinct keys, rotation through pre-committed `next` keys,
//! sequence-based rollback refusal, and signed revocation statements; pins held per package
//! name across its install paths ([`admit_in_lock`]), revocation over a whole lock
//! ([`revoke`]), and the audit's rules for `node_modules/.bin` links ([`bin_link_package`]) and
//! signed dependency pins ([`dependency_problems`]).
//!
//! Version 2 (REGISTRY.md R6) adds the `registries` section ([`RegistryPin`]) and, on packages
//! installed from a registry, `registry` (its origin) and `entry` (the log index of the release
//! entry). A version-1 lock is read as a version-2 lock without registries and is written back
//! as version 2.
//!
//! Everything here is a pure function of its inputs; callers read files and write the lock
//! (atomically). No clock is read: nothing here depends on time.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::error::{fail, Error, ErrorCode, Result};
use crate::hash::blake2b512;
use crate::json::{self, At, ObjectBuilder, Value};
use crate::keys::PublicKey;
use crate::limits::{MAX_LOCK_BYTES, MAX_LOCK_PACKAGES, MAX_REVOCATION_BYTES};
use crate::manifest::{validate_name, validate_version, KeySet, Manifest, RawKeys};
use crate::signature::{Algorithm, LegacyPolicy, SignatureBlock};
use crate::tree::{validate_path, RelPath, TreeDigest};

mod registries;
use registries::RawRegistry;
pub use registries::{validate_origin, RegistryPin};

/// The lock format version this build writes.
pub const LOCK_VERSION: u64 = 2;
/// The oldest lock format version this build reads (and upgrades on write).
pub const LOCK_VERSION_OLDEST: u64 = 1;
/// The lock file's name at a project's root.
pub const LOCK_FILE: &str = "omega.lock";
/// The revocation statement format version.
pub const REVOCATION_VERSION: u64 = 1;

/// What is pinned for one package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockEntry {
    /// Version of the pinned release.
    pub version: String,
    /// Sequence of the pinned release (0 for unsigned packages).
    pub sequence: u64,
    /// Digest of the pinned files.
    pub tree: TreeDigest,
    /// Who may sign the next release; `None` for a package pinned by digest only.
    pub keys: Option<KeySet>,
    /// Keys revoked for this package; never trusted again.
    pub revoked: Vec<PublicKey>,
    /// The keys whose valid signatures admitted the pinned release (empty when unsigned);
    /// an audit verifies exactly these signatures again.
    pub signed_by: Vec<PublicKey>,
    /// Where the package lives, relative to the project root (valid by construction).
    pub path: RelPath,
    /// A retired pin (docs/format.md §4.7): the name is no longer installed, but its pins
    /// (keys, sequence floor, revoked keys) are kept so that a returning name is admitted as
    /// an update. `omega audit` and the loaders ignore retired entries.
    pub retired: bool,
    /// Where the release came from: the origin of a registry in [`Lockfile::registries`]
    /// and the log index of its `release` entry (lock version 2); `None` for packages not
    /// installed from a registry.
    pub registry: Option<RegistryRef>,
}

/// The registry release a lock entry was installed from (lock version 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRef {
    /// The registry's origin, a key of [`Lockfile::registries`].
    pub origin: String,
    /// The log index of the release's `release` entry.
    pub entry: u64,
}

impl LockEntry {
    /// What an audit (or an enforcing loader) checks the installed package at lock key `key`
    /// against: the pinned tree, and for signed pins every key in `signed_by`, all of them
    /// required. A signed pin (one with `keys`) whose `signed_by` is empty has no valid
    /// signer left (every key that signed the pinned release was revoked, DESIGN §3.5): it is
    /// refused (`KEY_REVOKED`, naming the package and the revoked keys), never checked by
    /// digest only. A pin whose signers were only partly revoked (threshold 2, one of two
    /// revoked) is still checked against the remaining signers in `signed_by`: the holder of
    /// the revoked keys alone could not have made that release.
    pub fn audit_pins(&self, key: &str) -> Result<crate::check::Pins> {
        if self.keys.is_some() && self.signed_by.is_empty() {
            let name = package_name_of_key(key).unwrap_or(key);
            let revoked = self
                .revoked
                .iter()
                .map(|k| format!("{k} (id {})", k.key_id()))
                .collect::<Vec<_>>()
                .join(", ");
            let why = if self.revoked.is_empty() {
                String::from("no valid signer is recorded for it")
            } else {
                format!("every key that signed it is revoked ({revoked})")
            };
            return fail(
                ErrorCode::KeyRevoked,
                format!(
                    "{key}: the pinned release {name}@{} (sequence {}) is signed, but {why}; it is not accepted by digest alone. Install a release signed by a valid key and run omega lock (or omega lock --repin {name})",
                    self.version, self.sequence
                ),
            );
        }
        Ok(crate::check::Pins {
            digest: Some(self.tree),
            keys: self.signed_by.clone(),
            threshold: u32::try_from(self.signed_by.len()).unwrap_or(u32::MAX),
            legacy: LegacyPolicy::Refuse,
        })
    }
}

/// A parsed lock file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Lockfile {
    /// Entries by package name.
    pub packages: BTreeMap<String, LockEntry>,
    /// Registries by origin (lock version 2; empty for a version-1 lock).
    pub registries: BTreeMap<String, RegistryPin>,
}

struct RawLock {
    registries: Option<Vec<(String, RawRegistry)>>,
    packages: Vec<(String, RawEntry)>,
}

impl RawLock {
    /// The members of a lock whose `omega-lock` version was checked already.
    fn read(mut f: json::Fields<'_>, at: &At<'_>) -> Result<RawLock> {
        let mut registries = match f.optional("registries") {
            None => None,
            Some(v) => {
                let ra = at.field("registries");
                let mut out = Vec::new();
                for (origin, r) in v.into_members(&ra)? {
                    let r = RawRegistry::read(r, &ra.field(&origin))?;
                    out.push((origin.into_owned(), r));
                }
                Some(out)
            }
        };
        let pa = at.field("packages");
        let members = f.required("packages", at)?.into_members(&pa)?;
        if members.len() > MAX_LOCK_PACKAGES {
            return fail(
                ErrorCode::TooLarge,
                format!("{at}: more than {MAX_LOCK_PACKAGES} packages"),
            );
        }
        let mut packages = Vec::with_capacity(members.len());
        for (name, e) in members {
            let e = RawEntry::read(e, &pa.field(&name))?;
            packages.push((name.into_owned(), e));
        }
        f.end(at)?;
        // Checked in key order, as when they were read into maps (the first problem reported
        // does not depend on the order of the file's members).
        packages.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(r) = registries.as_mut() {
            r.sort_by(|a, b| a.0.cmp(&b.0));
        }
        Ok(RawLock {
            registries,
            packages,
        })
    }
}

struct RawEntry {
    version: String,
    sequence: u64,
    tree: String,
    keys: Option<RawKeys>,
    revoked: Vec<String>,
    signed_by: Vec<String>,
    path: String,
    retired: Option<bool>,
    registry: Option<String>,
    entry: Option<u64>,
}

impl RawEntry {
    fn read(v: Value<'_>, at: &At<'_>) -> Result<RawEntry> {
        let mut f = v.into_fields(at)?;
        let strings = |f: &mut json::Fields<'_>, key: &str| -> Result<Vec<String>> {
            match f.take(key) {
                Some(v) => v.into_strings(&at.field(key)),
                None => Ok(Vec::new()),
            }
        };
        let e = RawEntry {
            version: f.string("version", at)?,
            sequence: f.u64("sequence", at)?,
            tree: f.string("tree", at)?,
            keys: f
                .optional("keys")
                .map(|v| RawKeys::read(v, &at.field("keys")))
                .transpose()?,
            revoked: strings(&mut f, "revoked")?,
            signed_by: strings(&mut f, "signed_by")?,
            path: f.string("path", at)?,
            retired: f
                .optional("retired")
                .map(|v| v.into_bool(&at.field("retired")))
                .transpose()?,
            registry: f.opt_string("registry", at)?,
            entry: f.opt_u64("entry", at)?,
        };
        f.end(at)?;
        Ok(e)
    }

    fn write(self) -> Value<'static> {
        let mut o = ObjectBuilder::new()
            .field("version", self.version)
            .field("sequence", self.sequence)
            .field("tree", self.tree)
            .field_if("keys", self.keys.map(RawKeys::write));
        if !self.revoked.is_empty() {
            o = o.field("revoked", Value::strings(self.revoked));
        }
        if !self.signed_by.is_empty() {
            o = o.field("signed_by", Value::strings(self.signed_by));
        }
        o.field("path", self.path)
            .field_if("retired", self.retired)
            .field_if("registry", self.registry)
            .field_if("entry", self.entry)
            .build()
    }
}

impl Lockfile {
    /// Parses and validates a lock file.
    pub fn parse(bytes: &[u8]) -> Result<Lockfile> {
        let what = LOCK_FILE;
        if bytes.len() > MAX_LOCK_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: larger than {MAX_LOCK_BYTES} bytes"),
            );
        }
        let at = At::root(what);
        let mut fields = json::parse(bytes, what)?.into_fields(&at)?;
        let version = fields.version("omega-lock", &at, LOCK_VERSION_OLDEST, LOCK_VERSION)?;
        let raw = RawLock::read(fields, &at)?;
        // Present at all (even `{}`) in a version-1 lock: the member does not exist there.
        if version < 2 && raw.registries.is_some() {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: \"registries\" needs \"omega-lock\": 2 (this lock says version {version})"),
            );
        }
        let mut registries = BTreeMap::new();
        for (origin, r) in raw.registries.unwrap_or_default() {
            let pin = RegistryPin::from_raw(&origin, r, what)?;
            registries.insert(origin, pin);
        }
        registries::check_unique_urls(&registries, what)?;
        let mut packages = BTreeMap::new();
        // Each distinct key text is decoded once (an Ed25519 point decompression): a lock whose
        // entries share their signers names the same few keys in every entry.
        let mut decoded: BTreeMap<String, PublicKey> = BTreeMap::new();
        for (name, e) in raw.packages {
            validate_lock_key(&name).map_err(|e| e.context(what))?;
            let ctx = format!("{what}: package {name}");
            validate_version(&e.version).map_err(|e| e.context(&ctx))?;
            let path = RelPath::new(e.path).map_err(|e| e.context(&ctx))?;
            check_install_path(&name, &path).map_err(|e| e.context(what))?;
            let tree = TreeDigest::parse(&e.tree).map_err(|e| e.context(&ctx))?;
            let mut decode = |k: &str| match decoded.get(k) {
                Some(key) => Ok(*key),
                None => {
                    let key = PublicKey::from_base64(k)?;
                    decoded.insert(k.to_string(), key);
                    Ok(key)
                }
            };
            let keys = match e.keys {
                Some(k) => Some(KeySet::from_raw_with(k, &ctx, false, &mut decode)?),
                None => None,
            };
            let mut keylist = |v: &[String]| {
                v.iter()
                    .map(|k| decode(k).map_err(|e| e.context(&ctx)))
                    .collect::<Result<Vec<_>>>()
            };
            let revoked = keylist(&e.revoked)?;
            let signed_by = keylist(&e.signed_by)?;
            for (field, list) in [("revoked", &revoked), ("signed_by", &signed_by)] {
                let twice = list
                    .iter()
                    .enumerate()
                    .find_map(|(i, k)| list[..i].contains(k).then_some(k));
                if let Some(k) = twice {
                    return fail(
                        ErrorCode::Malformed,
                        format!("{ctx}: {field} lists key {k} twice (keys are compared without their key ids)"),
                    );
                }
            }
            if keys.is_none() && !signed_by.is_empty() {
                return fail(
                    ErrorCode::Malformed,
                    format!("{ctx}: signed_by without keys"),
                );
            }
            if let Some(ks) = &keys {
                if let Some(k) = revoked.iter().find(|k| ks.allows(k)) {
                    return fail(
                        ErrorCode::Malformed,
                        format!("{ctx}: key {k} is both pinned and revoked"),
                    );
                }
            }
            let retired = match e.retired {
                None => false,
                Some(true) => true,
                Some(false) => {
                    return fail(
                        ErrorCode::Malformed,
                        format!("{ctx}: \"retired\": false (omit the field instead)"),
                    )
                }
            };
            let registry = match (e.registry, e.entry) {
                (None, None) => None,
                (Some(_), _) | (_, Some(_)) if version < 2 => {
                    return fail(
                        ErrorCode::Malformed,
                        format!("{ctx}: \"registry\" and \"entry\" need \"omega-lock\": 2"),
                    )
                }
                (Some(origin), Some(entry)) => {
                    if !registries.contains_key(&origin) {
                        return fail(
                            ErrorCode::Malformed,
                            format!("{ctx}: registry {origin:?} is not in \"registries\""),
                        );
                    }
                    Some(RegistryRef { origin, entry })
                }
                _ => {
                    return fail(
                        ErrorCode::Malformed,
                        format!("{ctx}: \"registry\" and \"entry\" go together"),
                    )
                }
            };
            if retired && package_name_of_key(&name) != Some(name.as_str()) {
                return fail(
                    ErrorCode::Malformed,
                    format!("{ctx}: a retired entry is keyed by its package name, not by an install path"),
                );
            }
            packages.insert(
                name,
                LockEntry {
                    version: e.version,
                    sequence: e.sequence,
                    tree,
                    keys,
                    revoked,
                    signed_by,
                    path,
                    retired,
                    registry,
                },
            );
        }
        // One entry per install folder: two entries with one `path` would let the later one
        // be laid out (or audited) where the other is pinned.
        let mut paths: BTreeMap<&str, &str> = BTreeMap::new();
        for (key, e) in &packages {
            if let Some(other) = paths.insert(e.path.as_str(), key.as_str()) {
                return fail(
                    ErrorCode::Malformed,
                    format!(
                        "{what}: packages {other} and {key} have the same path {:?}",
                        e.path
                    ),
                );
            }
        }
        // A retired name has no other entry: it is installed nowhere.
        let mut per_name: BTreeMap<&str, usize> = BTreeMap::new();
        for key in packages.keys() {
            if let Some(n) = package_name_of_key(key) {
                *per_name.entry(n).or_default() += 1;
            }
        }
        if let Some((key, _)) = packages
            .iter()
            .find(|(k, e)| e.retired && per_name.get(k.as_str()).copied().unwrap_or(0) > 1)
        {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: package {key} is retired but has other entries (install paths ending in node_modules/{key})"),
            );
        }
        Ok(Lockfile {
            packages,
            registries,
        })
    }

    /// The entries of package `name`, in key order: its shallowest install (key `name`) and
    /// every other install (key: a path ending in `node_modules/<name>`).
    pub fn entries_of<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a LockEntry)> + 'a {
        self.packages
            .iter()
            .filter(move |(k, _)| package_name_of_key(k) == Some(name))
    }

    /// The keys revoked for package `name`: a key revoked in any of its entries is revoked
    /// for every install of the name.
    pub fn revoked_for(&self, name: &str) -> Vec<PublicKey> {
        revoked_in(self.entries_of(name).map(|(_, e)| e))
    }

    /// The entries as one JSON array, in key order, for bindings that locate packages by
    /// their `path` (the Node loader, on either engine): `[{key, name, path, version,
    /// sequence, tree, keys: {threshold, signers, next} | null, signed_by, revoked, audit}]`,
    /// where `audit` is what a loader checks the package against ([`LockEntry::audit_pins`]):
    /// `{digest, keys, threshold}` (`keys` empty for a digest pin), or `{error: {code,
    /// message}}` when the entry must be refused. The one shape of a parsed lock outside Rust;
    /// keys are `RW…` strings. Retired entries (§4.7) are left out: nothing is installed
    /// under them, and nothing may load by them.
    pub fn entries_json(&self) -> Value<'static> {
        let keys = |v: &[PublicKey]| Value::strings(v.iter().map(PublicKey::to_base64));
        Value::Array(
            self.packages
                .iter()
                .filter(|(_, e)| !e.retired)
                .map(|(key, e)| {
                    let audit = match e.audit_pins(key) {
                        Ok(p) => ObjectBuilder::new()
                            .field("digest", e.tree.to_string())
                            .field("keys", keys(&p.keys))
                            .field("threshold", p.threshold)
                            .build(),
                        Err(err) => ObjectBuilder::new()
                            .field(
                                "error",
                                ObjectBuilder::new()
                                    .field("code", err.code().as_str())
                                    .field("message", err.message().to_string())
                                    .build(),
                            )
                            .build(),
                    };
                    ObjectBuilder::new()
                        .field("key", key.clone())
                        .field("name", Value::opt(package_name_of_key(key), Value::string))
                        .field("path", e.path.to_string())
                        .field("version", e.version.clone())
                        .field("sequence", e.sequence)
                        .field("tree", e.tree.to_string())
                        .field(
                            "keys",
                            Value::opt(e.keys.as_ref(), |ks| {
                                ObjectBuilder::new()
                                    .field("threshold", ks.threshold)
                                    .field("signers", keys(&ks.signers))
                                    .field("next", keys(&ks.next))
                                    .build()
                            }),
                        )
                        .field("signed_by", keys(&e.signed_by))
                        .field("revoked", keys(&e.revoked))
                        .field("audit", audit)
                        .build()
                })
                .collect(),
        )
    }

    /// The canonical bytes (pretty JSON, packages sorted by name, final newline).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut o = ObjectBuilder::new().field("omega-lock", LOCK_VERSION);
        if !self.registries.is_empty() {
            let mut r = ObjectBuilder::new();
            for (origin, pin) in &self.registries {
                r = r.entry(origin.clone(), pin.to_raw().write());
            }
            o = o.field("registries", r.build());
        }
        let mut p = ObjectBuilder::new();
        for (name, e) in &self.packages {
            let raw = RawEntry {
                version: e.version.clone(),
                sequence: e.sequence,
                tree: e.tree.to_string(),
                keys: e.keys.as_ref().map(KeySet::to_raw),
                revoked: e.revoked.iter().map(PublicKey::to_base64).collect(),
                signed_by: e.signed_by.iter().map(PublicKey::to_base64).collect(),
                path: e.path.to_string(),
                retired: e.retired.then_some(true),
                registry: e.registry.as_ref().map(|r| r.origin.clone()),
                entry: e.registry.as_ref().map(|r| r.entry),
            };
            p = p.entry(name.clone(), raw.write());
        }
        json::to_pretty_bytes(&o.field("packages", p.build()).build())
    }
}

impl Lockfile {
    /// The retired entry (docs/format.md §4.7) that keeps the pins of package `name` when no
    /// install of it is left: its newest signed entry (highest sequence; else its newest
    /// entry), keyed by the name, with every key revoked for the name (in any entry) recorded
    /// as revoked and removed from its keys. `None` when the lock has no entry of `name`.
    /// `omega lock` stores it in place of the name's entries; a returning install of the name
    /// is then admitted against it as an update (rollback floor, keys, revoked keys).
    pub fn retired_entry(&self, name: &str) -> Option<LockEntry> {
        let revoked = self.revoked_for(name);
        let mut e = self
            .entries_of(name)
            .map(|(_, e)| e)
            .max_by_key(|e| (e.keys.is_some(), e.sequence))?
            .clone();
        if let Some(ks) = e.keys.as_mut() {
            ks.signers.retain(|k| !revoked.contains(k));
            ks.next.retain(|k| !revoked.contains(k));
        }
        e.signed_by.retain(|k| !revoked.contains(k));
        e.revoked = revoked;
        e.retired = true;
        Some(e)
    }
}

/// Checks a lock key: a package name (for the shallowest install of that name), or, for
/// another install of a name already used, its install path ending in
/// `node_modules/<name>` (e.g. `node_modules/send/node_modules/ms`).
pub fn validate_lock_key(key: &str) -> Result<()> {
    if validate_name(key).is_ok() {
        return Ok(());
    }
    validate_path(key)?;
    match package_name_of_key(key) {
        Some(name) if validate_name(name).is_ok() => Ok(()),
        _ => fail(ErrorCode::Malformed, format!("lock key {key:?}: neither a package name nor an install path ending in node_modules/<name>")),
    }
}

/// Checks that `path` is where lock key `key` can be installed (docs/format.md §4.1): a folder
/// `node_modules/…/node_modules/<name>` of the key's package name, and for an install-path key
/// the key itself. Anything else is `MALFORMED`: an entry whose `path` points elsewhere (`.git/hooks`,
/// `src`, another package's folder) would make `omega install` lay a package out there, and
/// `omega audit` check the wrong folder.
pub fn check_install_path(key: &str, path: &str) -> Result<()> {
    let name = package_name_of_key(key);
    let ok = path.starts_with("node_modules/")
        && package_name_of_key(path) == name
        && path.ends_with(&format!("node_modules/{}", name.unwrap_or("")))
        && (!key.contains("node_modules/") || key == path);
    if ok {
        Ok(())
    } else {
        fail(
            ErrorCode::Malformed,
            format!("package {key}: path {path:?} is not an install folder of it (node_modules/…/node_modules/{})", name.unwrap_or(key)),
        )
    }
}

/// The package name a lock key stands for: the key itself, or the part after the last
/// `node_modules/` of an install-path key.
pub fn package_name_of_key(key: &str) -> Option<&str> {
    if !key.contains("node_modules/") {
        return Some(key);
    }
    key.rsplit_once("node_modules/").map(|(_, name)| name)
}

/// A signed release as found on disk: its manifest (already parsed), the exact manifest bytes
/// the signatures cover, and the signature blocks.
#[derive(Clone, Copy, Debug)]
pub struct Release<'a> {
    /// The parsed manifest.
    pub manifest: &'a Manifest,
    /// The exact bytes of `.omega/manifest.json`.
    pub manifest_bytes: &'a [u8],
    /// The signature blocks of `.omega/manifest.json.minisig`.
    pub signatures: &'a [SignatureBlock],
}

/// A package found in a project, offered for pinning.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    /// Its name.
    pub name: &'a str,
    /// Where it lives, relative to the project root.
    pub path: &'a str,
    /// The digest of its files as found.
    pub tree: TreeDigest,
    /// Its version (from the manifest, or from package.json for unsigned packages).
    pub version: &'a str,
    /// Its signed release, when it carries `.omega/`.
    pub release: Option<Release<'a>>,
}

/// How a package came to be pinned the first time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstSight {
    /// Its own signers signed it (trust on first use).
    TrustOnFirstUse,
    /// A key the user named (`--trust`) signed it.
    Explicit,
    /// No signatures: pinned by digest only.
    Unsigned,
    /// A new install of a name already pinned at other paths, admitted by the name's pins:
    /// signed by the keys of one of them and not older than the highest pinned sequence.
    PinnedName,
}

/// What [`admit`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// First pin.
    New(FirstSight),
    /// Same release as pinned.
    Unchanged,
    /// A newer release replaced the pin.
    Updated {
        /// The version pinned before.
        from_version: String,
        /// The sequence pinned before.
        from_sequence: u64,
    },
}

impl Change {
    /// The change's name in the cross-language vectors (`tests/vectors/lock.json`):
    /// `new-tofu`, `new-explicit`, `new-unsigned`, `new-pinned-name`, `unchanged` or `updated`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Change::New(FirstSight::TrustOnFirstUse) => "new-tofu",
            Change::New(FirstSight::Explicit) => "new-explicit",
            Change::New(FirstSight::Unsigned) => "new-unsigned",
            Change::New(FirstSight::PinnedName) => "new-pinned-name",
            Change::Unchanged => "unchanged",
            Change::Updated { .. } => "updated",
        }
    }
}

/// The outcome of [`admit`]: the entry to store and how it came about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admission {
    /// The lock entry to store.
    pub entry: LockEntry,
    /// What changed.
    pub change: Change,
    /// The distinct keys whose signatures counted.
    pub signed_by: Vec<PublicKey>,
}

/// How the signature blocks over a manifest or statement counted: the distinct allowed keys
/// with a valid block, the blocks by keys that are not allowed, and the blocks by revoked keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Tally {
    /// Distinct allowed keys with a valid signature block, in block order.
    valid: Vec<PublicKey>,
    /// Blocks whose key id matches no allowed key (and no revoked one).
    unknown: usize,
    /// Blocks by revoked keys (that are not also allowed).
    by_revoked: usize,
}

impl Tally {
    /// Whether at least `threshold` distinct allowed keys signed.
    fn meets(&self, threshold: u32) -> bool {
        self.valid.len() >= threshold as usize
    }

    /// The refusal when `need` distinct keys were required: `KEY_REVOKED` when only revoked
    /// keys signed, `KEY_NOT_TRUSTED` when only keys that are not pinned did, otherwise
    /// `THRESHOLD_NOT_MET`.
    fn error(&self, name: &str, need: u32) -> Error {
        let have = self.valid.len();
        if have == 0 && self.by_revoked > 0 {
            Error::new(
                ErrorCode::KeyRevoked,
                format!("{name}: signed by a revoked key"),
            )
        } else if have == 0 && self.unknown > 0 {
            Error::new(
                ErrorCode::KeyNotTrusted,
                format!("{name}: signed only by keys that are not pinned for it"),
            )
        } else {
            Error::new(
                ErrorCode::ThresholdNotMet,
                format!("{name}: {have} of {need} required distinct trusted keys signed"),
            )
        }
    }
}

/// Counts the distinct keys of `allowed` with a valid signature block over the manifest.
/// Fails with `SIGNATURE_INVALID` if a block by an allowed key does not verify (or with
/// `LEGACY_SIGNATURE_REFUSED`), and reports how many blocks came from `revoked` keys.
fn valid_signers(
    name: &str,
    release: &Release<'_>,
    allowed: &[PublicKey],
    revoked: &[PublicKey],
    legacy: LegacyPolicy,
) -> Result<Tally> {
    verify_blocks(
        name,
        release.manifest_bytes,
        release.signatures,
        allowed,
        revoked,
        legacy,
    )
}

fn verify_blocks(
    name: &str,
    message: &[u8],
    blocks: &[SignatureBlock],
    allowed: &[PublicKey],
    revoked: &[PublicKey],
    legacy: LegacyPolicy,
) -> Result<Tally> {
    let prehash = blake2b512(message);
    let mut valid: Vec<PublicKey> = Vec::new();
    let (mut unknown, mut by_revoked) = (0, 0);
    for block in blocks {
        if revoked.iter().any(|k| k.key_id() == block.key_id())
            && !allowed.iter().any(|k| k.key_id() == block.key_id())
        {
            by_revoked += 1;
            continue;
        }
        let mut matched = false;
        let mut ok = false;
        let mut last_err: Option<Error> = None;
        for key in allowed.iter().filter(|k| k.key_id() == block.key_id()) {
            matched = true;
            let res = block.precheck(key, legacy).and_then(|()| {
                let signed: &[u8] = if block.algorithm() == Algorithm::Prehashed {
                    &prehash
                } else {
                    message
                };
                block.verify_signed_bytes(key, signed)
            });
            match res {
                Ok(()) => {
                    ok = true;
                    if !valid.contains(key) {
                        valid.push(*key);
                    }
                    break;
                }
                Err(e) => last_err = Some(e),
            }
        }
        if !matched {
            unknown += 1;
        } else if !ok {
            if let Some(e) = last_err {
                return Err(e.context(name));
            }
        }
    }
    Ok(Tally {
        valid,
        unknown,
        by_revoked,
    })
}

/// The pinned entry, at the candidate's current path (a package may move when npm hoists it).
fn moved(p: &LockEntry, path: &RelPath) -> LockEntry {
    let mut e = p.clone();
    e.path = path.clone();
    e.retired = false;
    e
}

fn entry_from(
    c: &Candidate<'_>,
    path: &RelPath,
    keys: Option<KeySet>,
    revoked: Vec<PublicKey>,
    signed_by: Vec<PublicKey>,
) -> LockEntry {
    LockEntry {
        signed_by,
        version: c.version.to_string(),
        sequence: c.release.map_or(0, |r| r.manifest.sequence),
        tree: c.tree,
        keys,
        revoked,
        path: path.clone(),
        retired: false,
        registry: None,
    }
}

/// Decides whether `candidate` may be pinned, given what is pinned now (`pinned`), the keys
/// the user names explicitly for it (`trust`), and the legacy policy. Returns the new entry,
/// or the refusal (`KEY_NOT_TRUSTED`, `THRESHOLD_NOT_MET`, `KEY_REVOKED`, `ROLLBACK`,
/// `SIGNATURE_INVALID`, `DIGEST_MISMATCH`, `MALFORMED`).
///
/// This is the rule for one lock entry; a project's lock goes through [`admit_in_lock`], which
/// also holds a new install of an already pinned name to the name's pins. `trust` on a pin with
/// keys must name pinned `signers`/`next` keys (`KEY_NOT_TRUSTED` otherwise, never ignored); a
/// pin by digest only learns keys only through `trust` (`KEY_NOT_TRUSTED` when its unchanged
/// files turn up signed without it).
pub fn admit(
    pinned: Option<&LockEntry>,
    candidate: &Candidate<'_>,
    trust: &[PublicKey],
    legacy: LegacyPolicy,
) -> Result<Admission> {
    let name = candidate.name;
    validate_name(name)?;
    let path = &RelPath::new(candidate.path).map_err(|e| e.context(name))?;
    validate_version(candidate.version).map_err(|e| e.context(name))?;
    if let Some(r) = candidate.release {
        if r.manifest.name != name {
            return fail(
                ErrorCode::Malformed,
                format!("{name}: its manifest is for package {:?}", r.manifest.name),
            );
        }
        if r.manifest.tree != candidate.tree {
            return fail(
                ErrorCode::DigestMismatch,
                format!(
                    "{name}: files hash to {}, but the manifest says {}",
                    candidate.tree, r.manifest.tree
                ),
            );
        }
    }
    let Some(p) = pinned else {
        return first_sight(candidate, path, trust, legacy);
    };
    if let Some(ks) = &p.keys {
        // `--trust` on a pinned package names a key it already trusts, or is refused: it
        // never silently keeps other keys, and never replaces them (that is a re-pin).
        if let Some(t) = trust
            .iter()
            .find(|t| !ks.allows(t) || p.revoked.contains(t))
        {
            return fail(
                ErrorCode::KeyNotTrusted,
                format!(
                    "{name}: the key you trust, {t} (id {}), is not among its pinned signers or next keys ({}); the pin is kept. To re-pin {name} with this key deliberately, run omega lock --repin {name} --trust {name}={t}",
                    t.key_id(),
                    key_list(&ks.signers, &ks.next)
                ),
            );
        }
    }
    match (&p.keys, candidate.release) {
        (None, Some(release)) if candidate.tree == p.tree => {
            if trust.is_empty() {
                // `.omega/` is outside the digest: anyone can sign unchanged files. A digest
                // pin never learns keys by itself.
                return fail(
                    ErrorCode::KeyNotTrusted,
                    format!(
                        "{name}: pinned by digest only (unsigned) in {LOCK_FILE}; its unchanged files now carry signatures declaring signers {}, which are not learned automatically (anyone can add .omega/ to unchanged files). To pin a key, run omega lock --trust {name}=KEY",
                        key_list(&release.manifest.keys.signers, &[])
                    ),
                );
            }
            first_sight(candidate, path, trust, legacy)
        }
        (None, None) if candidate.tree == p.tree => {
            if !trust.is_empty() {
                return fail(
                    ErrorCode::KeyNotTrusted,
                    format!("{name}: a key is named for it, but the package is unsigned"),
                );
            }
            Ok(Admission {
                entry: moved(p, path),
                change: Change::Unchanged,
                signed_by: Vec::new(),
            })
        }
        (None, _) => fail(
                ErrorCode::DigestMismatch,
                format!("{name}: pinned by digest {} (unsigned), but its files now hash to {}; to re-pin it deliberately, run omega lock --repin {name}", p.tree, candidate.tree),
            ),
            (Some(_), None) if candidate.tree == p.tree => Ok(Admission { entry: moved(p, path), change: Change::Unchanged, signed_by: Vec::new() }),
            (Some(ks), None) => fail(ErrorCode::ThresholdNotMet, format!("{name}: pinned with keys (threshold {}), but this release is unsigned", ks.threshold)),
            (Some(ks), Some(release)) => update(p, ks, candidate, path, release, legacy),
    }
}

/// `K1, K2 (next: K3)`: keys for messages.
fn key_list(signers: &[PublicKey], next: &[PublicKey]) -> String {
    let show = |v: &[PublicKey]| {
        v.iter()
            .map(|k| format!("{k} (id {})", k.key_id()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if next.is_empty() {
        show(signers)
    } else {
        format!("{}; next: {}", show(signers), show(next))
    }
}

/// A lock file with its entries grouped by package name, built once for the many admissions of
/// one `omega lock` run (a project may have 100,000 entries; finding a name's entries must not
/// scan them all for every install).
#[derive(Clone, Debug)]
pub struct LockIndex<'a> {
    lock: &'a Lockfile,
    by_name: BTreeMap<&'a str, Vec<(&'a String, &'a LockEntry)>>,
}

impl<'a> LockIndex<'a> {
    /// Groups the entries of `lock` by package name.
    pub fn new(lock: &'a Lockfile) -> LockIndex<'a> {
        let mut by_name: BTreeMap<&'a str, Vec<(&'a String, &'a LockEntry)>> = BTreeMap::new();
        for (k, e) in &lock.packages {
            if let Some(name) = package_name_of_key(k) {
                by_name.entry(name).or_default().push((k, e));
            }
        }
        LockIndex { lock, by_name }
    }

    /// The lock file.
    pub fn lock(&self) -> &'a Lockfile {
        self.lock
    }

    /// The entries of package `name`, in key order (as [`Lockfile::entries_of`]).
    pub fn entries_of(&self, name: &str) -> Vec<(&'a String, &'a LockEntry)> {
        self.by_name.get(name).cloned().unwrap_or_default()
    }

    /// The keys revoked for package `name` (as [`Lockfile::revoked_for`]).
    pub fn revoked_for(&self, name: &str) -> Vec<PublicKey> {
        revoked_in(
            self.by_name
                .get(name)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .map(|(_, e)| *e),
        )
    }
}

/// The distinct keys revoked in any of `entries` (the installs of one name): a key revoked in
/// one of them is revoked for every install of the name.
fn revoked_in<'e>(entries: impl Iterator<Item = &'e LockEntry>) -> Vec<PublicKey> {
    let mut out: Vec<PublicKey> = Vec::new();
    for k in entries.flat_map(|e| &e.revoked) {
        if !out.contains(k) {
            out.push(*k);
        }
    }
    out
}

/// Whether [`admit_in_lock`] holds a name's installs to its current pins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinMode {
    /// The lock's rules: a pinned install is updated only by its pinned keys, and a new
    /// install of a pinned name is admitted by the name's pins.
    Update,
    /// A deliberate re-pin of the name (`omega lock --repin NAME`): its current pins are set
    /// aside and every install of it is seen for the first time, except that the keys revoked
    /// for the name stay revoked.
    Repin,
}

/// Decides whether the install at lock key `key` (the package's name for its shallowest
/// install, else its install path) may be pinned, given the whole current `lock`:
/// - an install whose key has an entry is admitted by [`admit`] against that entry;
/// - a new install of a name that has entries at other keys is admitted by the name's pins
///   (DESIGN §3.5 extended, docs/format.md §4): signed by `threshold` distinct keys of one
///   signed entry's signers ∪ next, with a sequence above the highest pinned sequence of the
///   name (equal only with the tree of an entry at that sequence); unsigned, or signed while
///   the name is pinned by digest only, it is refused unless `trust` names a key (which must
///   then be one of the name's pinned keys, when it has any);
/// - an install of a name without entries is seen for the first time.
///
/// A key revoked in any entry of the name is revoked for every install of it: a release that
/// declares or is signed by it is refused (`KEY_REVOKED`), and the new entry records it.
pub fn admit_in_lock(
    lock: &LockIndex<'_>,
    key: &str,
    candidate: &Candidate<'_>,
    trust: &[PublicKey],
    mode: PinMode,
    legacy: LegacyPolicy,
) -> Result<Admission> {
    let name = candidate.name;
    validate_lock_key(key)?;
    if package_name_of_key(key) != Some(name) {
        return fail(
            ErrorCode::Malformed,
            format!("lock key {key:?} is not a key of package {name}"),
        );
    }
    let revoked = lock.revoked_for(name);
    let mut adm = match (mode, lock.lock.packages.get(key)) {
        (PinMode::Repin, _) => admit(None, candidate, trust, legacy)?,
        (PinMode::Update, Some(p)) => admit(Some(p), candidate, trust, legacy)?,
        (PinMode::Update, None) => {
            let others = lock.entries_of(name);
            if others.is_empty() {
                admit(None, candidate, trust, legacy)?
            } else {
                admit_new_install(&others, &revoked, candidate, trust, legacy)?
            }
        }
    };
    let e = &adm.entry;
    let declared = e
        .keys
        .iter()
        .flat_map(|ks| ks.signers.iter().chain(&ks.next));
    if let Some(k) = declared
        .chain(&e.signed_by)
        .chain(&adm.signed_by)
        .find(|k| revoked.contains(k))
    {
        return fail(
            ErrorCode::KeyRevoked,
            format!(
                "{name} at {}: key {k} (id {}) is revoked for {name} in {LOCK_FILE}",
                candidate.path,
                k.key_id()
            ),
        );
    }
    for k in revoked {
        if !adm.entry.revoked.contains(&k) {
            adm.entry.revoked.push(k);
        }
    }
    Ok(adm)
}

/// A new install of a name pinned at other keys (`others`, at least one).
fn admit_new_install(
    others: &[(&String, &LockEntry)],
    revoked: &[PublicKey],
    c: &Candidate<'_>,
    trust: &[PublicKey],
    legacy: LegacyPolicy,
) -> Result<Admission> {
    let name = c.name;
    let at = c.path;
    let path = &RelPath::new(at).map_err(|e| e.context(name))?;
    let pinned_at = others
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut signed: Vec<(&String, &LockEntry, &KeySet)> = others
        .iter()
        .filter_map(|(k, e)| e.keys.as_ref().map(|ks| (*k, *e, ks)))
        .collect();
    // Newest pin first: its verdict is the one reported when no pin admits the release.
    signed.sort_by_key(|e| core::cmp::Reverse(e.1.sequence));
    if signed.is_empty() {
        // Pinned by digest only everywhere: nothing to hold a new install to, except that
        // keys are never learned for a name that is already pinned without a named key.
        if c.release.is_some() && trust.is_empty() {
            let declared = c
                .release
                .map(|r| key_list(&r.manifest.keys.signers, &[]))
                .unwrap_or_default();
            return fail(
                ErrorCode::KeyNotTrusted,
                format!(
                    "{name} at {at}: {name} is pinned by digest only (unsigned) in {LOCK_FILE} (lock entries: {pinned_at}); this install is signed, declaring signers {declared}, which are not learned automatically for a pinned name. To pin a key, run omega lock --trust {name}=KEY"
                ),
            );
        }
        return first_sight(c, path, trust, legacy);
    }
    let allowed_of = |ks: &KeySet| -> Vec<PublicKey> {
        ks.signers
            .iter()
            .chain(&ks.next)
            .filter(|k| !revoked.contains(k))
            .copied()
            .collect()
    };
    if !trust.is_empty() {
        // The user names a key: it must be one the name's pins already trust; the release
        // must then be signed by it (explicit pin, which may be older than the other pins).
        if let Some(t) = trust
            .iter()
            .find(|t| !signed.iter().any(|(_, _, ks)| allowed_of(ks).contains(t)))
        {
            return fail(
                ErrorCode::KeyNotTrusted,
                format!(
                    "{name} at {at}: the key you trust, {t} (id {}), is not among the pinned keys of {name} (lock entries: {pinned_at}). To re-pin {name} with this key deliberately, run omega lock --repin {name} --trust {name}={t}",
                    t.key_id()
                ),
            );
        }
        return first_sight(c, path, trust, legacy);
    }
    let Some(release) = c.release else {
        return fail(
            ErrorCode::ThresholdNotMet,
            format!(
                "{name} at {at}: {name} is pinned with keys in {LOCK_FILE} (lock entries: {pinned_at}), but this install is unsigned"
            ),
        );
    };
    let mut refusal: Option<Error> = None;
    let mut admitted: Option<Vec<PublicKey>> = None;
    for (key, _, ks) in &signed {
        let allowed = allowed_of(ks);
        let tally = valid_signers(name, &release, &allowed, revoked, legacy)?;
        if tally.meets(ks.threshold) {
            admitted = Some(tally.valid);
            break;
        }
        if refusal.is_none() {
            let e = tally.error(name, ks.threshold);
            refusal = Some(Error::new(
                e.code(),
                format!(
                    "{} (a new install at {at}, admitted only by the pins of {name}; the newest, lock entry {key}, needs {} of: {})",
                    e.message(),
                    ks.threshold,
                    key_list(&ks.signers, &ks.next)
                ),
            ));
        }
    }
    let Some(valid) = admitted else {
        return Err(refusal.unwrap_or_else(|| {
            Error::new(
                ErrorCode::KeyNotTrusted,
                format!("{name} at {at}: not admitted"),
            )
        }));
    };
    let m = release.manifest;
    let floor = signed.iter().map(|(_, e, _)| e.sequence).max().unwrap_or(0);
    let same_release = signed
        .iter()
        .any(|(_, e, _)| e.sequence == m.sequence && e.tree == c.tree);
    if m.sequence < floor || (m.sequence == floor && !same_release) {
        let newest = signed
            .iter()
            .find(|(_, e, _)| e.sequence == floor)
            .map_or("", |(k, _, _)| k.as_str());
        return fail(
            ErrorCode::Rollback,
            format!(
                "{name} at {at}: release {} has sequence {}, but {name} is pinned at sequence {floor} (lock entry {newest}); a new install of a pinned name must not be older. To accept it deliberately, run omega lock --trust {name}=KEY with one of its pinned keys",
                m.version, m.sequence
            ),
        );
    }
    Ok(Admission {
        entry: entry_from(
            c,
            path,
            Some(m.keys.clone()),
            revoked.to_vec(),
            valid.clone(),
        ),
        change: Change::New(FirstSight::PinnedName),
        signed_by: valid,
    })
}

fn first_sight(
    c: &Candidate<'_>,
    path: &RelPath,
    trust: &[PublicKey],
    legacy: LegacyPolicy,
) -> Result<Admission> {
    let name = c.name;
    let Some(release) = c.release else {
        if !trust.is_empty() {
            return fail(
                ErrorCode::KeyNotTrusted,
                format!("{name}: a key is named for it, but the package is unsigned"),
            );
        }
        return Ok(Admission {
            entry: entry_from(c, path, None, Vec::new(), Vec::new()),
            change: Change::New(FirstSight::Unsigned),
            signed_by: Vec::new(),
        });
    };
    let keys = &release.manifest.keys;
    let tally = valid_signers(name, &release, &keys.signers, &[], legacy)?;
    if !tally.meets(keys.threshold) {
        return Err(tally.error(name, keys.threshold));
    }
    let valid = tally.valid;
    let how = if trust.is_empty() {
        FirstSight::TrustOnFirstUse
    } else if valid.iter().any(|k| trust.contains(k)) {
        FirstSight::Explicit
    } else {
        let named: Vec<String> = trust
            .iter()
            .map(|k| format!("{} (id {})", k, k.key_id()))
            .collect();
        return fail(
            ErrorCode::KeyNotTrusted,
            format!("{name}: not signed by the trusted key {}", named.join(", ")),
        );
    };
    Ok(Admission {
        entry: entry_from(c, path, Some(keys.clone()), Vec::new(), valid.clone()),
        change: Change::New(how),
        signed_by: valid,
    })
}

fn update(
    p: &LockEntry,
    ks: &KeySet,
    c: &Candidate<'_>,
    path: &RelPath,
    release: Release<'_>,
    legacy: LegacyPolicy,
) -> Result<Admission> {
    let name = c.name;
    let allowed: Vec<PublicKey> = ks
        .signers
        .iter()
        .chain(&ks.next)
        .filter(|k| !p.revoked.contains(k))
        .copied()
        .collect();
    let tally = valid_signers(name, &release, &allowed, &p.revoked, legacy)?;
    if !tally.meets(ks.threshold) {
        return Err(tally.error(name, ks.threshold));
    }
    let valid = tally.valid;
    let m = release.manifest;
    if let Some(k) = m
        .keys
        .signers
        .iter()
        .chain(&m.keys.next)
        .find(|k| p.revoked.contains(k))
    {
        return fail(
            ErrorCode::KeyRevoked,
            format!(
                "{name}: release {} declares the revoked key {k} (id {})",
                m.version,
                k.key_id()
            ),
        );
    }
    let change = if m.sequence > p.sequence {
        Change::Updated {
            from_version: p.version.clone(),
            from_sequence: p.sequence,
        }
    } else if m.sequence == p.sequence && c.tree == p.tree {
        Change::Unchanged
    } else {
        return fail(
            ErrorCode::Rollback,
            format!(
                "{name}: release {} has sequence {}, not greater than the pinned {} (version {})",
                m.version, m.sequence, p.sequence, p.version
            ),
        );
    };
    if change == Change::Unchanged {
        return Ok(Admission {
            entry: moved(p, path),
            change,
            signed_by: valid,
        });
    }
    Ok(Admission {
        entry: entry_from(
            c,
            path,
            Some(m.keys.clone()),
            p.revoked.clone(),
            valid.clone(),
        ),
        change,
        signed_by: valid,
    })
}

/// A revocation statement: `{"omega-revoke": 1, "name", "key", "reason"}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// The package.
    pub name: String,
    /// The revoked key.
    pub key: PublicKey,
    /// Why.
    pub reason: String,
}

impl Revocation {
    /// Parses a statement strictly.
    pub fn parse(bytes: &[u8]) -> Result<Revocation> {
        let what = "revocation statement";
        if bytes.len() > MAX_REVOCATION_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: larger than {MAX_REVOCATION_BYTES} bytes"),
            );
        }
        let at = At::root(what);
        let mut f = json::parse(bytes, what)?.into_fields(&at)?;
        f.version("omega-revoke", &at, REVOCATION_VERSION, REVOCATION_VERSION)?;
        let name = f.string("name", &at)?;
        let key = f.string("key", &at)?;
        let reason = f.string("reason", &at)?;
        f.end(&at)?;
        validate_name(&name).map_err(|e| e.context(what))?;
        let key = PublicKey::from_base64(&key).map_err(|e| e.context(what))?;
        Ok(Revocation { name, key, reason })
    }

    /// The canonical bytes of the statement (what gets signed).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        json::to_pretty_bytes(
            &ObjectBuilder::new()
                .field("omega-revoke", REVOCATION_VERSION)
                .field("name", self.name.clone())
                .field("key", self.key.to_base64())
                .field("reason", self.reason.clone())
                .build(),
        )
    }
}

/// Applies a signed revocation statement to `entry` (the pin of package `name`): accepted when
/// signed by the revoked key itself or by `threshold` distinct pinned signers. The key leaves
/// `signers` and `next` and joins `revoked`. Returns the statement.
pub fn apply_revocation(
    name: &str,
    entry: &mut LockEntry,
    statement: &[u8],
    signatures: &[SignatureBlock],
    legacy: LegacyPolicy,
) -> Result<Revocation> {
    let rev = Revocation::parse(statement)?;
    if rev.name != name {
        return fail(
            ErrorCode::Malformed,
            format!(
                "revocation statement is for package {:?}, not {name:?}",
                rev.name
            ),
        );
    }
    let Some(ks) = entry.keys.as_mut() else {
        return fail(
            ErrorCode::NotFound,
            format!("{name}: pinned by digest only, it has no keys to revoke"),
        );
    };
    if entry.revoked.contains(&rev.key) {
        return fail(
            ErrorCode::KeyRevoked,
            format!("{name}: key {} is already revoked", rev.key),
        );
    }
    if !ks.allows(&rev.key) {
        return fail(
            ErrorCode::NotFound,
            format!(
                "{name}: key {} (id {}) is not pinned for it",
                rev.key,
                rev.key.key_id()
            ),
        );
    }
    let what = format!("{name}: revocation of key {}", rev.key.key_id());
    let by_self = verify_blocks(
        &what,
        statement,
        signatures,
        core::slice::from_ref(&rev.key),
        &[],
        legacy,
    )?;
    if by_self.valid.is_empty() {
        let tally = verify_blocks(&what, statement, signatures, &ks.signers, &[], legacy)?;
        if !tally.meets(ks.threshold) {
            return Err(tally.error(&what, ks.threshold));
        }
    }
    ks.signers.retain(|k| *k != rev.key);
    ks.next.retain(|k| *k != rev.key);
    entry.signed_by.retain(|k| *k != rev.key);
    entry.revoked.push(rev.key);
    Ok(rev)
}

/// The outcome of [`revoke`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked {
    /// The new lock file's bytes (canonical), to be written in place of the old one.
    pub lock: Vec<u8>,
    /// The statement that was applied.
    pub revocation: Revocation,
    /// The lock keys of the entries whose pins lost the key.
    pub entries: Vec<String>,
}

/// Applies a signed revocation statement to a whole lock file: the statement (DESIGN §3.5) is
/// parsed, the lock's entries of its package (every install of the name) are found, and the
/// key is removed from each entry that pins it, each of which must accept the statement (the
/// key's own signature, or `threshold` of that entry's signers); the key is then recorded as
/// revoked in every entry of the name. All or nothing: on any refusal nothing is returned but
/// the error, whose code and message name the package, the key and the lock entry.
///
/// `lock` is the bytes of `omega.lock`, `statement` the exact bytes signed, `signatures` the
/// text of its signature file (one or more minisign blocks). Returns the new lock bytes.
pub fn revoke(
    lock: &[u8],
    statement: &[u8],
    signatures: &[u8],
    legacy: LegacyPolicy,
) -> Result<Revoked> {
    let mut lockfile = Lockfile::parse(lock)?;
    let rev = Revocation::parse(statement)?;
    let blocks = SignatureBlock::parse_all(signatures, "revocation statement signature")?;
    let name = rev.name.as_str();
    let keys: Vec<String> = lockfile.entries_of(name).map(|(k, _)| k.clone()).collect();
    if keys.is_empty() {
        return fail(
            ErrorCode::NotFound,
            format!(
                "revocation of key {} for {name}: {name} is not pinned in {LOCK_FILE}",
                rev.key
            ),
        );
    }
    let mut entries = Vec::new();
    let mut already = false;
    for key in &keys {
        let Some(e) = lockfile.packages.get_mut(key) else {
            continue;
        };
        if e.revoked.contains(&rev.key) {
            already = true;
            continue;
        }
        if e.keys.as_ref().is_some_and(|ks| ks.allows(&rev.key)) {
            apply_revocation(name, e, statement, &blocks, legacy)
                .map_err(|err| err.context(&format!("{LOCK_FILE} entry {key:?}")))?;
            entries.push(key.clone());
        }
    }
    if entries.is_empty() {
        return if already {
            fail(
                ErrorCode::KeyRevoked,
                format!(
                    "{name}: key {} (id {}) is already revoked",
                    rev.key,
                    rev.key.key_id()
                ),
            )
        } else {
            fail(
                ErrorCode::NotFound,
                format!(
                    "{name}: key {} (id {}) is not pinned for it in {LOCK_FILE}",
                    rev.key,
                    rev.key.key_id()
                ),
            )
        };
    }
    for key in &keys {
        if let Some(e) = lockfile.packages.get_mut(key) {
            if !e.revoked.contains(&rev.key) {
                e.revoked.push(rev.key);
            }
        }
    }
    Ok(Revoked {
        lock: lockfile.to_json_bytes(),
        revocation: rev,
        entries,
    })
}

/// Where a command link of `<modules>/.bin` may lead (docs/format.md §4.4): npm scripts run what
/// `node_modules/.bin` holds, so each entry must be a link to a file of a package pinned in
/// `lock` and installed below the same `modules` directory, outside that package's `.omega/`
/// and its own `node_modules/` (neither is covered by its pin).
///
/// `link` names the entry in messages (`node_modules/.bin/tsc`); `target` is the path the
/// link resolves to, relative to the project root, `/`-separated, every link followed.
/// Returns the lock key of the package holding the target, or `NOT_FOUND` naming the link.
pub fn bin_link_package<'a>(
    lock: &'a Lockfile,
    modules: &str,
    link: &str,
    target: &str,
) -> Result<&'a str> {
    let refuse = |why: String| {
        fail(
            ErrorCode::NotFound,
            format!("{link}: links to {target}, {why}; npm scripts would run it"),
        )
    };
    let inside_modules = target
        .strip_prefix(modules)
        .is_some_and(|rest| rest.starts_with('/'));
    if !inside_modules {
        return refuse(format!("outside {modules}"));
    }
    let holder = lock
        .packages
        .iter()
        .filter(|(_, e)| !e.retired)
        .filter(|(_, e)| {
            target
                .strip_prefix(e.path.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
        })
        .max_by_key(|(_, e)| e.path.len());
    let Some((key, entry)) = holder else {
        return refuse(format!("which is in no package pinned in {LOCK_FILE}"));
    };
    let within = &target[entry.path.len() + 1..];
    if within.starts_with(".omega/") || within.starts_with("node_modules/") {
        return refuse(format!(
            "which is not among the pinned files of {key} (at {})",
            entry.path
        ));
    }
    validate_path(within).map_err(|e| e.context(link))?;
    Ok(key.as_str())
}

/// Where Node looks for package `dep` required from the package installed at `from` (a path
/// relative to the project root): `<dir>/node_modules/<dep>` for `from` and each of its
/// ancestors up to the root, nearest first, skipping directories that are themselves named
/// `node_modules` (Node's `NODE_MODULES_PATHS`).
///
/// This models both of Node's lookups. CommonJS skips those directories; the ESM resolver does
/// not, and also looks in `…/node_modules/node_modules/<dep>` (and
/// `…/node_modules/@scope/node_modules/<dep>`). Those folders are refused by `omega lock` and
/// `omega audit` (`UNSAFE_PATH`) and `node_modules` is not a valid package name
/// ([`validate_name`]), so on any tree that passes the two lookups find the same install.
pub fn node_resolution_paths(from: &str, dep: &str) -> Vec<String> {
    let parts: Vec<&str> = from.split('/').filter(|p| !p.is_empty()).collect();
    let mut out = Vec::new();
    for end in (0..=parts.len()).rev() {
        if end > 0 && parts[end - 1] == "node_modules" {
            continue;
        }
        let dir = parts[..end].join("/");
        out.push(if dir.is_empty() {
            format!("node_modules/{dep}")
        } else {
            format!("{dir}/node_modules/{dep}")
        });
    }
    out
}

/// Enforces the signed `dependencies` pins of `packages` (each a lock key and that package's
/// verified manifest; docs/format.md §3.1, §4.4): for each dependency, the install Node would
/// resolve from the package (among `installed`, the paths of the project's package
/// directories) must be pinned in `lock` with exactly that tree. Returns one problem per
/// dependency that is not installed where Node looks, or not pinned there (`NOT_FOUND`), or
/// pinned with another tree (`DIGEST_MISMATCH`), in the order of `packages`.
pub fn dependency_problems(
    lock: &Lockfile,
    installed: &[&str],
    packages: &[(&str, &Manifest)],
) -> Vec<crate::check::Problem> {
    let installed: BTreeSet<&str> = installed.iter().copied().collect();
    let by_path: BTreeMap<&str, &LockEntry> = lock
        .packages
        .values()
        .filter(|e| !e.retired)
        .map(|e| (e.path.as_str(), e))
        .collect();
    let mut out = Vec::new();
    for (from_key, manifest) in packages {
        let Some(from) = lock.packages.get(*from_key) else {
            continue;
        };
        let from_path = from.path.as_str();
        let problem = |code: ErrorCode, message: String| crate::check::Problem {
            code,
            path: Some(from_path.to_string()),
            key: Some(from_key.to_string()),
            message,
        };
        for (dep, want) in &manifest.dependencies {
            let resolved = node_resolution_paths(from_path, dep)
                .into_iter()
                .find(|p| installed.contains(p.as_str()));
            let Some(path) = resolved else {
                out.push(problem(
                    ErrorCode::NotFound,
                    format!("{from_key}: its signed manifest pins dependency {dep} to {want}, but no {dep} is installed where Node resolves it from {from_path}"),
                ));
                continue;
            };
            match by_path.get(path.as_str()) {
                None => out.push(problem(
                    ErrorCode::NotFound,
                    format!("{from_key}: dependency {dep} resolves to {path}, which is not pinned in {LOCK_FILE} (its signed manifest pins {want})"),
                )),
                Some(e) if e.tree != *want => out.push(problem(
                    ErrorCode::DigestMismatch,
                    format!("{from_key}: its signed manifest pins dependency {dep} to {want}, but Node resolves {dep} from {from_path} to {path}, pinned at {}", e.tree),
                )),
                Some(_) => {}
            }
        }
    }
    out
}
