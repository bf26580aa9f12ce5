//! The package-check report as uniffi records (Swift structs, Kotlin data classes): a plain
//! copy of omega-core's `Report`, with digests, keys and codes in their text forms, and the
//! report's JSON (the shape of `omega check --json`).

use omega_core::PublicKey;

/// One problem a package check found.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Problem {
    /// The DESIGN §4 code, e.g. `"FILE_CHANGED"`.
    pub code: String,
    /// The file concerned (relative, `/`-separated), for file and signature-file problems.
    pub path: Option<String>,
    /// The key concerned (`RW…` or key id), for signature problems.
    pub key: Option<String>,
    /// A sentence that names the package and the file or key.
    pub message: String,
}

/// The verdict on one signature block of `.omega/manifest.json.minisig`.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SignatureReport {
    /// The key id in the block (16 hex digits, as minisign prints it).
    pub key_id: String,
    /// The pinned key (`RW…`) that made it, when one matches the key id.
    pub key: Option<String>,
    /// The trusted comment (authenticated only when `error` is null).
    pub trusted_comment: String,
    /// Null when the block is valid; otherwise the code saying why it does not count.
    pub error: Option<String>,
}

/// The outcome of a package check: everything that was looked at and every problem found.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Report {
    /// True when there is no problem.
    pub ok: bool,
    /// Package name (from the manifest), or the directory when there is no manifest.
    pub package: String,
    /// Version from the manifest.
    pub version: Option<String>,
    /// Release sequence from the manifest.
    pub sequence: Option<u64>,
    /// `b2tree:` digest of the files as found.
    pub tree: String,
    /// `b2tree:` digest the manifest declares.
    pub manifest_tree: Option<String>,
    /// `b2tree:` digest the caller pinned.
    pub pinned_digest: Option<String>,
    /// Distinct pinned keys required (0 when no key is pinned).
    pub threshold: u32,
    /// The pinned keys (`RW…`) with a valid signature, in signature-file order.
    pub signed_by: Vec<String>,
    /// One verdict per signature block.
    pub signatures: Vec<SignatureReport>,
    /// Every problem, in verdict order: signatures, then files in path order, then the digest.
    pub problems: Vec<Problem>,
    /// Number of files checked (`.omega/` excluded).
    pub files: u64,
    /// The report as one JSON object, the shape of `omega check --json` and of every binding.
    pub json: String,
}

impl From<&omega_core::Report> for Report {
    fn from(r: &omega_core::Report) -> Report {
        Report {
            ok: r.is_ok(),
            package: r.package.clone(),
            version: r.version.clone(),
            sequence: r.sequence,
            tree: r.tree.to_string(),
            manifest_tree: r.manifest_tree.map(|d| d.to_string()),
            pinned_digest: r.pinned_digest.map(|d| d.to_string()),
            threshold: r.threshold,
            signed_by: r.signed_by.iter().map(PublicKey::to_base64).collect(),
            signatures: r
                .signatures
                .iter()
                .map(|s| SignatureReport {
                    key_id: s.key_id.to_string(),
                    key: s.key.map(|k| k.to_base64()),
                    trusted_comment: s.trusted_comment.clone(),
                    error: s.error.map(|c| c.as_str().to_string()),
                })
                .collect(),
            problems: r
                .problems
                .iter()
                .map(|p| Problem {
                    code: p.code.as_str().to_string(),
                    path: p.path.clone(),
                    key: p.key.clone(),
                    message: p.message.clone(),
                })
                .collect(),
            files: r.files as u64,
            json: r.json().to_text(),
        }
    }
}
