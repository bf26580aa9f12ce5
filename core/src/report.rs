//! Reports (DESIGN §3.4): what a package check found — [`Report`], its [`Problem`]s and the
//! verdict on each signature block ([`SignatureReport`]) — and their one JSON shape, shared by
//! the CLI's `--json` and every binding.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, ObjectBuilder, Value};
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
                let msg = summary_message(&self.problems).unwrap_or_else(|| p.message.clone());
                Err(Error::new(p.code, msg).with_report(self))
            }
        }
    }
}

/// The message of a list of problems, as errors and `--json` outputs state it: the first
/// problem's message, followed by `(and N more problem[s])` when there are others. `None` when
/// the list is empty.
pub fn summary_message(problems: &[Problem]) -> Option<String> {
    let first = problems.first()?;
    Some(match problems.len() - 1 {
        0 => first.message.clone(),
        1 => format!("{} (and 1 more problem)", first.message),
        more => format!("{} (and {more} more problems)", first.message),
    })
}

// ---------------------------------------------------------------------------------------------
// JSON. The structs below are the one JSON shape of reports; their fields are written in
// declaration order (core's own writer: the same bytes in every build).

/// The JSON object of one [`Problem`]: `code`, `path`, `key`, `message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProblemJson<'a> {
    /// The DESIGN §4 code.
    pub code: &'static str,
    /// The file concerned, or null.
    pub path: Option<&'a str>,
    /// The key concerned, or null.
    pub key: Option<&'a str>,
    /// A sentence that names the package and the file or key.
    pub message: &'a str,
}

/// The JSON object of one [`SignatureReport`]: `key_id`, `key`, `trusted_comment`, `error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureReportJson<'a> {
    /// The key id of the block (16 hex digits).
    pub key_id: String,
    /// The pinned key (`RW…`) that made the block, or null.
    pub key: Option<String>,
    /// The trusted comment.
    pub trusted_comment: &'a str,
    /// Null when the block counts; otherwise the code saying why not.
    pub error: Option<&'static str>,
}

/// The JSON object of a check's outcome — a [`Report`], or an [`Error`] with or without one —
/// the shape shared by `omega check --json` and every binding: `ok`, `code`, `message`,
/// `package`, `version`, `sequence`, `files`, `tree`, `manifest_tree`, `pinned_digest`,
/// `threshold`, `signed_by`, `signatures` and `problems`, in that order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportJson<'a> {
    /// True when there is no problem.
    pub ok: bool,
    /// The code of the error (or of the first problem), or null.
    pub code: Option<&'static str>,
    /// The message of the error (or of the first problem), or null.
    pub message: Option<&'a str>,
    /// Package name (from the manifest) or the label; null without a report.
    pub package: Option<&'a str>,
    /// Version from the manifest.
    pub version: Option<&'a str>,
    /// Sequence from the manifest.
    pub sequence: Option<u64>,
    /// Number of files found; null without a report.
    pub files: Option<usize>,
    /// `b2tree:` digest of the files as found; null without a report.
    pub tree: Option<String>,
    /// Digest the manifest declares.
    pub manifest_tree: Option<String>,
    /// Digest the caller pinned.
    pub pinned_digest: Option<String>,
    /// Threshold required; null without a report.
    pub threshold: Option<u32>,
    /// Distinct pinned keys (`RW…`) with a valid signature.
    pub signed_by: Vec<String>,
    /// One entry per signature block.
    pub signatures: Vec<SignatureReportJson<'a>>,
    /// Every problem, in verdict order.
    pub problems: Vec<ProblemJson<'a>>,
}

impl<'a> ProblemJson<'a> {
    /// The JSON value, keys in declaration order.
    pub fn value(&self) -> Value<'a> {
        ObjectBuilder::new()
            .field("code", self.code)
            .field("path", Value::opt(self.path, Value::str))
            .field("key", Value::opt(self.key, Value::str))
            .field("message", self.message)
            .build()
    }
}

impl<'a> SignatureReportJson<'a> {
    /// The JSON value, keys in declaration order.
    pub fn value(&self) -> Value<'a> {
        ObjectBuilder::new()
            .field("key_id", self.key_id.clone())
            .field("key", Value::opt(self.key.clone(), Value::from))
            .field("trusted_comment", self.trusted_comment)
            .field("error", Value::opt(self.error, Value::str))
            .build()
    }
}

impl<'a> ReportJson<'a> {
    /// The JSON value, keys in declaration order.
    pub fn value(&self) -> Value<'a> {
        ObjectBuilder::new()
            .field("ok", self.ok)
            .field("code", Value::opt(self.code, Value::str))
            .field("message", Value::opt(self.message, Value::str))
            .field("package", Value::opt(self.package, Value::str))
            .field("version", Value::opt(self.version, Value::str))
            .field("sequence", Value::opt(self.sequence, Value::from))
            .field("files", Value::opt(self.files, Value::from))
            .field("tree", Value::opt(self.tree.clone(), Value::from))
            .field(
                "manifest_tree",
                Value::opt(self.manifest_tree.clone(), Value::from),
            )
            .field(
                "pinned_digest",
                Value::opt(self.pinned_digest.clone(), Value::from),
            )
            .field("threshold", Value::opt(self.threshold, Value::from))
            .field("signed_by", Value::strings(self.signed_by.iter().cloned()))
            .field(
                "signatures",
                Value::Array(
                    self.signatures
                        .iter()
                        .map(SignatureReportJson::value)
                        .collect(),
                ),
            )
            .field(
                "problems",
                Value::Array(self.problems.iter().map(ProblemJson::value).collect()),
            )
            .build()
    }

    /// Compact JSON text, keys in declaration order.
    pub fn to_text(&self) -> String {
        json::to_text(&self.value())
    }

    /// 2-space pretty JSON text (no final newline), keys in declaration order.
    pub fn to_pretty_text(&self) -> String {
        json::to_pretty_text(&self.value())
    }
}

impl Problem {
    /// The problem's JSON object.
    pub fn json(&self) -> ProblemJson<'_> {
        ProblemJson {
            code: self.code.as_str(),
            path: self.path.as_deref(),
            key: self.key.as_deref(),
            message: &self.message,
        }
    }

    /// The problem as a JSON value: `code`, `path`, `key`, `message` (see [`Problem::json`]).
    pub fn to_json(&self) -> Value<'_> {
        self.json().value()
    }
}

impl SignatureReport {
    /// The verdict's JSON object.
    pub fn json(&self) -> SignatureReportJson<'_> {
        SignatureReportJson {
            key_id: self.key_id.to_string(),
            key: self.key.map(|k| k.to_base64()),
            trusted_comment: &self.trusted_comment,
            error: self.error.map(ErrorCode::as_str),
        }
    }
}

impl Report {
    /// The report's JSON object; `code` and `message` are the first problem's (null when the
    /// check passed).
    pub fn json(&self) -> ReportJson<'_> {
        let first = self.problems.first();
        ReportJson {
            ok: self.is_ok(),
            code: first.map(|p| p.code.as_str()),
            message: first.map(|p| p.message.as_str()),
            package: Some(&self.package),
            version: self.version.as_deref(),
            sequence: self.sequence,
            files: Some(self.files),
            tree: Some(self.tree.to_string()),
            manifest_tree: self.manifest_tree.map(|d| d.to_string()),
            pinned_digest: self.pinned_digest.map(|d| d.to_string()),
            threshold: Some(self.threshold),
            signed_by: self.signed_by.iter().map(PublicKey::to_base64).collect(),
            signatures: self.signatures.iter().map(SignatureReport::json).collect(),
            problems: self.problems.iter().map(Problem::json).collect(),
        }
    }

    /// The report as a JSON value (see [`Report::json`]).
    pub fn to_json(&self) -> Value<'_> {
        self.json().value()
    }
}

impl Error {
    /// The error's JSON object: its report's fields (see [`Report::json`]) when it carries
    /// one, with `ok: false` and this error's `code` and `message`; otherwise the same keys
    /// with nulls and empty lists.
    pub fn json(&self) -> ReportJson<'_> {
        let mut j = match self.report() {
            Some(r) => r.json(),
            None => ReportJson {
                ok: false,
                code: None,
                message: None,
                package: None,
                version: None,
                sequence: None,
                files: None,
                tree: None,
                manifest_tree: None,
                pinned_digest: None,
                threshold: None,
                signed_by: Vec::new(),
                signatures: Vec::new(),
                problems: Vec::new(),
            },
        };
        j.ok = false;
        j.code = Some(self.code().as_str());
        j.message = Some(self.message());
        j
    }

    /// The error as a JSON value (see [`Error::json`]).
    pub fn to_json(&self) -> Value<'_> {
        self.json().value()
    }
}

/// How a binding spells the keys of the JSON results built in core: JavaScript's camelCase
/// (Node, WASM) or Python's snake_case. Values and key order are the same in both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStyle {
    /// `asOf`, `logKey`.
    Camel,
    /// `as_of`, `log_key`.
    Snake,
}

impl KeyStyle {
    /// The key in this style, given both spellings.
    pub fn key(self, camel: &'static str, snake: &'static str) -> &'static str {
        match self {
            KeyStyle::Camel => camel,
            KeyStyle::Snake => snake,
        }
    }
}

/// A JSON object with these keys in this order.
pub fn json_object<'a>(pairs: Vec<(&'a str, Value<'a>)>) -> Value<'a> {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
}
