//! The package manifest `.omega/manifest.json` (DESIGN §3.3): strict parsing (unknown fields,
//! duplicate keys, trailing data, bad digests, unsorted or duplicate files are refused),
//! validation (names, keys, thresholds, the tree digest of the file list) and deterministic
//! serialisation.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::error::{fail, ErrorCode, Result};
use crate::hash::{parse_hex32, to_hex};
use crate::json::{self, At, ObjectBuilder, Value};
use crate::keys::PublicKey;
use crate::limits::{MAX_FILES, MAX_KEYS, MAX_MANIFEST_BYTES, MAX_NAME_BYTES, MAX_VERSION_BYTES};
use crate::tree::{
    check_collisions, digest_of, is_metadata_path, FileEntry, FileKind, RelPath, TreeDigest,
    TreeListing,
};

/// The manifest format version this build reads and writes.
pub const MANIFEST_VERSION: u64 = 1;
/// Path of the manifest inside a package.
pub const MANIFEST_PATH: &str = ".omega/manifest.json";
/// Path of the manifest's signature file inside a package.
pub const SIGNATURE_PATH: &str = ".omega/manifest.json.minisig";

/// Who may sign a package's next release: `threshold` distinct keys of `signers` ∪ `next`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySet {
    /// How many distinct keys must sign.
    pub threshold: u32,
    /// The current signers.
    pub signers: Vec<PublicKey>,
    /// Keys pre-committed for rotation.
    pub next: Vec<PublicKey>,
}

impl KeySet {
    /// Validates: 1 ≤ threshold ≤ |signers|, at least one signer, no key twice.
    pub fn validate(&self, what: &str) -> Result<()> {
        self.validate_with(what, true)
    }

    /// As [`validate`](Self::validate); with `full == false` (a pin left behind by a
    /// revocation) fewer signers than the threshold, even none, are allowed: such a package
    /// can no longer be updated until it is re-pinned.
    pub(crate) fn validate_with(&self, what: &str, full: bool) -> Result<()> {
        if full && self.signers.is_empty() {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: keys.signers is empty"),
            );
        }
        let total = self.signers.len() + self.next.len();
        if total > MAX_KEYS {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: more than {MAX_KEYS} keys"),
            );
        }
        if self.threshold == 0 || (full && self.threshold as usize > self.signers.len()) {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "{what}: keys.threshold {} must be between 1 and the number of signers ({})",
                    self.threshold,
                    self.signers.len()
                ),
            );
        }
        let mut seen: Vec<&[u8; 32]> = Vec::with_capacity(total);
        for k in self.signers.iter().chain(&self.next) {
            if seen.contains(&k.as_bytes()) {
                return fail(
                    ErrorCode::Malformed,
                    format!("{what}: key {k} is listed twice"),
                );
            }
            seen.push(k.as_bytes());
        }
        Ok(())
    }

    /// Whether `key` is one of `signers` or `next`.
    pub fn allows(&self, key: &PublicKey) -> bool {
        self.signers.iter().chain(&self.next).any(|k| k == key)
    }

    pub(crate) fn from_raw(raw: RawKeys, what: &str, full: bool) -> Result<KeySet> {
        Self::from_raw_with(raw, what, full, PublicKey::from_base64)
    }

    /// [`KeySet::from_raw`] with the keys decoded by `decode` (a lock decodes each distinct
    /// key text once for all its entries).
    pub(crate) fn from_raw_with(
        raw: RawKeys,
        what: &str,
        full: bool,
        mut decode: impl FnMut(&str) -> Result<PublicKey>,
    ) -> Result<KeySet> {
        let mut parse = |v: Vec<String>| -> Result<Vec<PublicKey>> {
            v.iter()
                .map(|k| decode(k).map_err(|e| e.context(what)))
                .collect()
        };
        if raw.signers.len() + raw.next.len() > MAX_KEYS {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: more than {MAX_KEYS} keys"),
            );
        }
        let threshold = u32::try_from(raw.threshold).map_err(|_| {
            crate::Error::new(
                ErrorCode::Malformed,
                format!("{what}: keys.threshold out of range"),
            )
        })?;
        let ks = KeySet {
            threshold,
            signers: parse(raw.signers)?,
            next: parse(raw.next)?,
        };
        ks.validate_with(what, full)?;
        Ok(ks)
    }

    pub(crate) fn to_raw(&self) -> RawKeys {
        RawKeys {
            threshold: u64::from(self.threshold),
            signers: self.signers.iter().map(|k| k.to_base64()).collect(),
            next: self.next.iter().map(|k| k.to_base64()).collect(),
        }
    }
}

/// A parsed, validated manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Package name (npm rules).
    pub name: String,
    /// Version string.
    pub version: String,
    /// Release counter, strictly increasing per package.
    pub sequence: u64,
    /// Digest of the files.
    pub tree: TreeDigest,
    /// The files, sorted by path.
    pub files: Vec<FileEntry>,
    /// Exact pins of dependencies.
    pub dependencies: BTreeMap<String, TreeDigest>,
    /// Who may sign the next release.
    pub keys: KeySet,
}

struct RawManifest {
    name: String,
    version: String,
    sequence: u64,
    tree: String,
    files: Vec<RawFile>,
    dependencies: Vec<(String, String)>,
    keys: RawKeys,
}

impl RawManifest {
    /// The fields of a manifest whose `omega` version was checked already.
    fn read(mut f: json::Fields<'_>, at: &At<'_>) -> Result<RawManifest> {
        let name = f.string("name", at)?;
        let version = f.string("version", at)?;
        let sequence = f.u64("sequence", at)?;
        let tree = f.string("tree", at)?;
        let fa = at.field("files");
        let items = f.required("files", at)?.into_array(&fa)?;
        if items.len() > MAX_FILES {
            return fail(
                ErrorCode::TooLarge,
                format!("{at}: more than {MAX_FILES} files"),
            );
        }
        let mut files = Vec::with_capacity(items.len());
        for (i, v) in items.into_iter().enumerate() {
            let at = fa.index(i);
            let mut o = v.into_fields(&at)?;
            files.push(RawFile {
                path: o.string("path", &at)?,
                kind: o.string("kind", &at)?,
                size: o.u64("size", &at)?,
                blake2b256: o.string("blake2b256", &at)?,
            });
            o.end(&at)?;
        }
        let da = at.field("dependencies");
        let mut dependencies = Vec::new();
        if let Some(v) = f.take("dependencies") {
            for (k, v) in v.into_members(&da)? {
                let d = v.into_string(&da.field(&k))?;
                dependencies.push((k.into_owned(), d));
            }
        }
        let keys = RawKeys::read(f.required("keys", at)?, &at.field("keys"))?;
        f.end(at)?;
        Ok(RawManifest {
            name,
            version,
            sequence,
            tree,
            files,
            dependencies,
            keys,
        })
    }

    fn write(self) -> Value<'static> {
        let mut o = ObjectBuilder::new()
            .field("omega", MANIFEST_VERSION)
            .field("name", self.name)
            .field("version", self.version)
            .field("sequence", self.sequence)
            .field("tree", self.tree)
            .field(
                "files",
                Value::Array(
                    self.files
                        .into_iter()
                        .map(|f| {
                            ObjectBuilder::new()
                                .field("path", f.path)
                                .field("kind", f.kind)
                                .field("size", f.size)
                                .field("blake2b256", f.blake2b256)
                                .build()
                        })
                        .collect(),
                ),
            );
        if !self.dependencies.is_empty() {
            let mut deps = ObjectBuilder::new();
            for (k, v) in self.dependencies {
                deps = deps.entry(k, v);
            }
            o = o.field("dependencies", deps.build());
        }
        o.field("keys", self.keys.write()).build()
    }
}

struct RawFile {
    path: String,
    kind: String,
    size: u64,
    blake2b256: String,
}

/// The `keys` object of a manifest or lock entry as written.
pub(crate) struct RawKeys {
    threshold: u64,
    signers: Vec<String>,
    next: Vec<String>,
}

impl RawKeys {
    /// `{"threshold": n, "signers": [...], "next": [...]}` (`next` optional).
    pub(crate) fn read(v: Value<'_>, at: &At<'_>) -> Result<RawKeys> {
        let mut f = v.into_fields(at)?;
        let threshold = f.u64("threshold", at)?;
        let signers = f
            .required("signers", at)?
            .into_strings(&at.field("signers"))?;
        let next = match f.take("next") {
            Some(v) => v.into_strings(&at.field("next"))?,
            None => Vec::new(),
        };
        f.end(at)?;
        Ok(RawKeys {
            threshold,
            signers,
            next,
        })
    }

    pub(crate) fn write(self) -> Value<'static> {
        ObjectBuilder::new()
            .field("threshold", self.threshold)
            .field("signers", Value::strings(self.signers))
            .field("next", Value::strings(self.next))
            .build()
    }
}

/// Checks an npm package name: 1–214 bytes, lowercase `a-z 0-9 - . _ ~`, optional `@scope/`,
/// not starting with `.` or `_`.
pub fn validate_name(name: &str) -> Result<()> {
    let bad = |why: &str| {
        fail(
            ErrorCode::Malformed,
            format!("package name {name:?}: {why}"),
        )
    };
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return bad("must be 1 to 214 bytes");
    }
    let part_ok = |p: &str| {
        !p.is_empty()
            && !p.starts_with('.')
            && !p.starts_with('_')
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._~".contains(&b))
    };
    let ok = match name.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, pkg)) => part_ok(scope) && part_ok(pkg),
            None => false,
        },
        None => part_ok(name),
    };
    if !ok {
        return bad("must be lowercase letters, digits, `-`, `.`, `_`, `~`, optionally `@scope/`, not starting with `.` or `_`");
    }
    // npm's blacklist (validate-npm-package-name). `node_modules` matters here: Node's ESM
    // resolver also looks in `node_modules/node_modules/<dep>` (and `@scope/node_modules`),
    // so a package by that name would shadow pinned dependencies (docs/format.md §4.1).
    let last = name.rsplit('/').next().unwrap_or(name);
    if ["node_modules", "favicon.ico"].contains(&last) {
        return bad("is reserved by npm (node_modules, favicon.ico)");
    }
    Ok(())
}

/// Checks a version string: 1–256 bytes of printable ASCII without spaces.
pub fn validate_version(version: &str) -> Result<()> {
    if version.is_empty()
        || version.len() > MAX_VERSION_BYTES
        || !version.bytes().all(|b| b.is_ascii_graphic())
    {
        return fail(
            ErrorCode::Malformed,
            format!(
                "version {version:?}: must be 1 to 256 printable ASCII characters without spaces"
            ),
        );
    }
    Ok(())
}

impl Manifest {
    /// Parses and validates manifest bytes. Every problem is `MALFORMED` (or
    /// `UNSUPPORTED_VERSION`, `TOO_LARGE`, `UNSAFE_PATH`) and names the package when known.
    pub fn parse(bytes: &[u8]) -> Result<Manifest> {
        let what = "manifest.json";
        if bytes.len() > MAX_MANIFEST_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: larger than {MAX_MANIFEST_BYTES} bytes"),
            );
        }
        let at = At::root(what);
        let mut fields = json::parse(bytes, what)?.into_fields(&at)?;
        fields.version("omega", &at, MANIFEST_VERSION, MANIFEST_VERSION)?;
        let raw = RawManifest::read(fields, &at)?;
        validate_name(&raw.name).map_err(|e| e.context(what))?;
        let what = format!("manifest of {}", raw.name);
        validate_version(&raw.version).map_err(|e| e.context(&what))?;
        if raw.files.len() > MAX_FILES {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: more than {MAX_FILES} files"),
            );
        }
        let tree = TreeDigest::parse(&raw.tree).map_err(|e| e.context(&what))?;
        let mut files = Vec::with_capacity(raw.files.len());
        for f in raw.files {
            let path = RelPath::new(f.path).map_err(|e| e.context(&what))?;
            if is_metadata_path(&path) {
                return fail(
                    ErrorCode::UnsafePath,
                    format!("{what}: file {path:?} lies in the reserved `.omega/` folder"),
                );
            }
            let kind = FileKind::parse(&f.kind).ok_or_else(|| {
                crate::Error::new(
                    ErrorCode::Malformed,
                    format!("{what}: file {path:?}: kind must be \"f\" or \"x\""),
                )
            })?;
            // The message's context is made only for a refusal (this runs once per file).
            let hash = parse_hex32(&f.blake2b256, "blake2b256")
                .map_err(|e| e.context(&format!("{what}: file {path:?}")))?;
            if let Some(prev) = files.last().map(|p: &FileEntry| p.path.as_str()) {
                if prev.as_bytes() >= path.as_bytes() {
                    return fail(
                        ErrorCode::Malformed,
                        format!("{what}: files are not sorted by path without duplicates ({prev:?} before {path:?})"),
                    );
                }
            }
            files.push(FileEntry {
                path,
                kind,
                size: f.size,
                hash,
            });
        }
        check_collisions(files.iter().map(|f| f.path.as_str())).map_err(|e| e.context(&what))?;
        // Valid, sorted and free of collisions (checked above): what `TreeListing::new` checks.
        let listed = digest_of(&files);
        if listed != tree {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: \"tree\" {tree} is not the digest of its file list ({listed})"),
            );
        }
        let mut dependencies = BTreeMap::new();
        for (name, digest) in raw.dependencies {
            validate_name(&name).map_err(|e| e.context(&format!("{what}: dependencies")))?;
            let d = TreeDigest::parse(&digest)
                .map_err(|e| e.context(&format!("{what}: dependency {name}")))?;
            dependencies.insert(name, d);
        }
        let keys = KeySet::from_raw(raw.keys, &what, true)?;
        Ok(Manifest {
            name: raw.name,
            version: raw.version,
            sequence: raw.sequence,
            tree,
            files,
            dependencies,
            keys,
        })
    }

    /// Builds a manifest for `listing` (the tree digest is computed here).
    pub fn new(
        name: &str,
        version: &str,
        sequence: u64,
        listing: &TreeListing,
        dependencies: BTreeMap<String, TreeDigest>,
        keys: KeySet,
    ) -> Result<Manifest> {
        validate_name(name)?;
        validate_version(version)?;
        keys.validate(&format!("manifest of {name}"))?;
        for dep in dependencies.keys() {
            validate_name(dep)?;
        }
        Ok(Manifest {
            name: name.to_string(),
            version: version.to_string(),
            sequence,
            tree: listing.digest(),
            files: listing.entries().to_vec(),
            dependencies,
            keys,
        })
    }

    /// The canonical bytes: pretty JSON, fields in a fixed order, final newline. The same
    /// manifest always serialises to the same bytes, and they parse back to it.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let raw = RawManifest {
            name: self.name.clone(),
            version: self.version.clone(),
            sequence: self.sequence,
            tree: self.tree.to_string(),
            files: self
                .files
                .iter()
                .map(|f| RawFile {
                    path: f.path.as_str().to_string(),
                    kind: f.kind.as_str().to_string(),
                    size: f.size,
                    blake2b256: to_hex(&f.hash),
                })
                .collect(),
            dependencies: self
                .dependencies
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
            keys: self.keys.to_raw(),
        };
        json::to_pretty_bytes(&raw.write())
    }
}
