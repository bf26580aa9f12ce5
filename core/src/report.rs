//! Reports (DESIGN §3.4): what a package check found — [`Report`], its [`Problem`]s and the
//! verdict on each signature block ([`SignatureReport`]) — and their one JSON shape, shared by
//! the CLI's `--json` and every binding.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::error::{Error, ErrorCode, Result};
use crate::keys::{KeyId, PublicKey};
use crate::tree::TreeDigest;

/// One problem found by a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The error code.
    pub code: ErrorCode,
    /// The file concerned, for file problems.
    pub path: Option<String>,
    /// The key concerned (`RW…` or key id), for signature problems.
    pub key: Option<String>,
    /// A sentence that names the package and the file or key.
    pub message: String,
}

/// The verdict on one signature block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureReport {
    /// Key id in the block.
    pub key_id: KeyId,
    /// The pinned key that made it, when one matches the key id.
    pub key: Option<PublicKey>,
    /// The trusted comment (authenticated only when `valid`).
    pub trusted_comment: String,
    /// `None` when valid; otherwise why it does not count.
    pub error: Option<ErrorCode>,
}

/// The outcome of a check: everything that was looked at and every problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Package name (from the manifest) or the label.
    pub package: String,
    /// Version from the manifest.
    pub version: Option<String>,
    /// Sequence from the manifest.
    pub sequence: Option<u64>,
    /// Digest of the files as found.
    pub tree: TreeDigest,
    /// Digest the manifest declares.
    pub manifest_tree: Option<TreeDigest>,
    /// Digest the caller pinned.
    pub pinned_digest: Option<TreeDigest>,
    /// Threshold required (0 when no keys were pinned).
    pub threshold: u32,
    /// Distinct pinned keys with a valid signature.
    pub signed_by: Vec<PublicKey>,
    /// One entry per signature block.
    pub signatures: Vec<SignatureReport>,
    /// Number of files found.
    pub files: usize,
    /// Every problem, in verdict order.
    pub problems: Vec<Problem>,
}

impl Report {
    /// True when there is no problem.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// `Ok(self)` when there is no problem; otherwise the error of the first problem, carrying
    /// this report.
    pub fn into_result(self) -> Result<Report> {
        match self.problems.first() {
            None => Ok(self),
            Some(p) => {
                let more = self.problems.len() - 1;
                let msg = if more == 0 {
                    p.message.clone()
                } else {
                    format!(
                        "{} (and {more} more problem{})",
                        p.message,
                        if more == 1 { "" } else { "s" }
                    )
                };
                Err(Error::new(p.code, msg).with_report(self))
            }
        }
    }
}

impl Problem {
    /// The problem as a JSON object: `code`, `path`, `key`, `message`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "code": self.code.as_str(),
            "path": self.path,
            "key": self.key,
            "message": self.message,
        })
    }
}

impl Report {
    /// The report as one JSON object, the shape shared by the CLI's `--json` and every binding:
    /// `ok`, `code` and `message` (of the first problem, or null), `package`, `version`,
    /// `sequence`, `files`, `tree`, `manifest_tree`, `pinned_digest`, `threshold`, `signed_by`,
    /// `signatures` (`key_id`, `key`, `trusted_comment`, `error`) and `problems`.
    pub fn to_json(&self) -> serde_json::Value {
        let first = self.problems.first();
        serde_json::json!({
            "ok": self.is_ok(),
            "code": first.map(|p| p.code.as_str()),
            "message": first.map(|p| p.message.clone()),
            "package": self.package,
            "version": self.version,
            "sequence": self.sequence,
            "files": self.files,
            "tree": self.tree.to_string(),
            "manifest_tree": self.manifest_tree.map(|d| d.to_string()),
            "pinned_digest": self.pinned_digest.map(|d| d.to_string()),
            "threshold": self.threshold,
            "signed_by": self.signed_by.iter().map(PublicKey::to_base64).collect::<Vec<_>>(),
            "signatures": self.signatures.iter().map(|s| serde_json::json!({
                "key_id": s.key_id.to_string(),
                "key": s.key.map(|k| k.to_base64()),
                "trusted_comment": s.trusted_comment,
                "error": s.error.map(ErrorCode::as_str),
            })).collect::<Vec<_>>(),
            "problems": self.problems.iter().map(Problem::to_json).collect::<Vec<_>>(),
        })
    }
}

impl Error {
    /// The error as one JSON object: its report's fields (see [`Report::to_json`]) when it
    /// carries one, with `ok: false` and this error's `code` and `message`; otherwise the same
    /// keys with nulls and empty lists.
    pub fn to_json(&self) -> serde_json::Value {
        let fields = match self.report() {
            Some(r) => r.to_json(),
            None => serde_json::json!({
                "package": null, "version": null, "sequence": null, "files": null, "tree": null,
                "manifest_tree": null, "pinned_digest": null, "threshold": null,
                "signed_by": [], "signatures": [], "problems": [],
            }),
        };
        // The verdict keys first, as in Report::to_json (the order shows in the CLI's output).
        let mut m = serde_json::Map::new();
        m.insert("ok".into(), false.into());
        m.insert("code".into(), self.code().as_str().into());
        m.insert("message".into(), self.message().into());
        if let serde_json::Value::Object(rest) = fields {
            for (k, v) in rest {
                if !matches!(k.as_str(), "ok" | "code" | "message") {
                    m.insert(k, v);
                }
            }
        }
        serde_json::Value::Object(m)
    }
}
