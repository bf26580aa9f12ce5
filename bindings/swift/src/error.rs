//! The error enum Swift throws and Kotlin raises: one variant per DESIGN §4 code, each with
//! omega-core's message (naming the file, package or key) and, for a failed package check,
//! the whole report.

use core::fmt;

use omega_core::ErrorCode;

use crate::report::Report;

/// An Ωpm refusal. The variant is the stable code of DESIGN §4 (`code()` gives its string form,
/// e.g. `"FILE_CHANGED"`); `detail` is omega-core's message, which names the file, package or
/// key; `report` is the whole report when a package check failed (`checkPackage`), otherwise
/// null. The text form (Swift `description`, Kotlin `toString()`, Python `str()`) is
/// `"CODE: detail"`, as the CLI prints it.
///
/// The report is boxed only to keep Rust's `Result` small; the bindings see a plain optional
/// record. The message field is called `detail`, not `message`: Kotlin exceptions already have a
/// `message` property, which uniffi fills with a summary of the fields.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Error)]
#[uniffi::export(Display)]
pub enum OmegaError {
    /// `MALFORMED`: an unparseable key, signature, manifest, digest or argument.
    Malformed {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `UNSUPPORTED_VERSION`: a format version or signature algorithm this version does not know.
    UnsupportedVersion {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `SIGNATURE_INVALID`: a signature that does not verify.
    SignatureInvalid {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `KEY_NOT_TRUSTED`: signed by a key that is not pinned, or nothing pinned at all.
    KeyNotTrusted {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `KEY_REVOKED`: a signature by a revoked key (lock files; not raised by this API today).
    KeyRevoked {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `THRESHOLD_NOT_MET`: fewer distinct pinned keys signed than the threshold requires.
    ThresholdNotMet {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `LEGACY_SIGNATURE_REFUSED`: a legacy (`Ed`, non-prehashed) signature, not allowed.
    LegacySignatureRefused {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `DIGEST_MISMATCH`: the files match their manifest but not the pinned digest.
    DigestMismatch {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `FILE_MISSING`: a file the manifest lists is absent.
    FileMissing {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `FILE_EXTRA`: a file is present that the manifest does not list.
    FileExtra {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `FILE_CHANGED`: a file's contents, size or executable bit differ from the manifest.
    FileChanged {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `UNSAFE_PATH`: a path that is not allowed (control characters, case collision …).
    UnsafePath {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `UNSUPPORTED_FILE_TYPE`: a symbolic link, device, socket or FIFO inside a package.
    UnsupportedFileType {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `ROLLBACK`: a release older than the pinned one (lock files; not raised by this API today).
    Rollback {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `NOT_FOUND`: a file, directory or manifest that does not exist.
    NotFound {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `IO`: an operating-system input/output error.
    Io {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `TOO_LARGE`: input over one of omega-core's documented limits.
    TooLarge {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `LOG_INCONSISTENT`: a log that is not an append-only extension of the one seen before.
    LogInconsistent {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `NOT_IN_LOG`: an entry that is not in the log, or does not match its object.
    NotInLog {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `QUORUM_NOT_MET`: a checkpoint without its policy's log signature or cosignature quorum.
    QuorumNotMet {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
    /// `STALE`: a checkpoint or index older than allowed, expired, or from the future.
    Stale {
        /// What was refused and why, naming the file, package or key.
        detail: String,
        /// The report of a failed package check; null otherwise.
        report: Option<Box<Report>>,
    },
}

impl OmegaError {
    /// The error of `code` with `detail` and `report`.
    fn with_code(code: ErrorCode, detail: String, report: Option<Box<Report>>) -> OmegaError {
        match code {
            ErrorCode::Malformed => OmegaError::Malformed { detail, report },
            ErrorCode::UnsupportedVersion => OmegaError::UnsupportedVersion { detail, report },
            ErrorCode::SignatureInvalid => OmegaError::SignatureInvalid { detail, report },
            ErrorCode::KeyNotTrusted => OmegaError::KeyNotTrusted { detail, report },
            ErrorCode::KeyRevoked => OmegaError::KeyRevoked { detail, report },
            ErrorCode::ThresholdNotMet => OmegaError::ThresholdNotMet { detail, report },
            ErrorCode::LegacySignatureRefused => {
                OmegaError::LegacySignatureRefused { detail, report }
            }
            ErrorCode::DigestMismatch => OmegaError::DigestMismatch { detail, report },
            ErrorCode::FileMissing => OmegaError::FileMissing { detail, report },
            ErrorCode::FileExtra => OmegaError::FileExtra { detail, report },
            ErrorCode::FileChanged => OmegaError::FileChanged { detail, report },
            ErrorCode::UnsafePath => OmegaError::UnsafePath { detail, report },
            ErrorCode::UnsupportedFileType => OmegaError::UnsupportedFileType { detail, report },
            ErrorCode::Rollback => OmegaError::Rollback { detail, report },
            ErrorCode::NotFound => OmegaError::NotFound { detail, report },
            ErrorCode::Io => OmegaError::Io { detail, report },
            ErrorCode::TooLarge => OmegaError::TooLarge { detail, report },
            ErrorCode::LogInconsistent => OmegaError::LogInconsistent { detail, report },
            ErrorCode::NotInLog => OmegaError::NotInLog { detail, report },
            ErrorCode::QuorumNotMet => OmegaError::QuorumNotMet { detail, report },
            ErrorCode::Stale => OmegaError::Stale { detail, report },
            // `ErrorCode` is non-exhaustive. A code added to core without a variant here makes
            // the unit test `every_core_code_has_its_own_variant` fail; until then it keeps
            // its string in the detail rather than vanishing.
            other => OmegaError::Malformed {
                detail: format!("{other}: {detail}"),
                report,
            },
        }
    }

    fn parts(&self) -> (ErrorCode, &str, Option<&Report>) {
        let (code, detail, report) = match self {
            OmegaError::Malformed { detail, report } => (ErrorCode::Malformed, detail, report),
            OmegaError::UnsupportedVersion { detail, report } => {
                (ErrorCode::UnsupportedVersion, detail, report)
            }
            OmegaError::SignatureInvalid { detail, report } => {
                (ErrorCode::SignatureInvalid, detail, report)
            }
            OmegaError::KeyNotTrusted { detail, report } => {
                (ErrorCode::KeyNotTrusted, detail, report)
            }
            OmegaError::KeyRevoked { detail, report } => (ErrorCode::KeyRevoked, detail, report),
            OmegaError::ThresholdNotMet { detail, report } => {
                (ErrorCode::ThresholdNotMet, detail, report)
            }
            OmegaError::LegacySignatureRefused { detail, report } => {
                (ErrorCode::LegacySignatureRefused, detail, report)
            }
            OmegaError::DigestMismatch { detail, report } => {
                (ErrorCode::DigestMismatch, detail, report)
            }
            OmegaError::FileMissing { detail, report } => (ErrorCode::FileMissing, detail, report),
            OmegaError::FileExtra { detail, report } => (ErrorCode::FileExtra, detail, report),
            OmegaError::FileChanged { detail, report } => (ErrorCode::FileChanged, detail, report),
            OmegaError::UnsafePath { detail, report } => (ErrorCode::UnsafePath, detail, report),
            OmegaError::UnsupportedFileType { detail, report } => {
                (ErrorCode::UnsupportedFileType, detail, report)
            }
            OmegaError::Rollback { detail, report } => (ErrorCode::Rollback, detail, report),
            OmegaError::NotFound { detail, report } => (ErrorCode::NotFound, detail, report),
            OmegaError::Io { detail, report } => (ErrorCode::Io, detail, report),
            OmegaError::TooLarge { detail, report } => (ErrorCode::TooLarge, detail, report),
            OmegaError::LogInconsistent { detail, report } => {
                (ErrorCode::LogInconsistent, detail, report)
            }
            OmegaError::NotInLog { detail, report } => (ErrorCode::NotInLog, detail, report),
            OmegaError::QuorumNotMet { detail, report } => {
                (ErrorCode::QuorumNotMet, detail, report)
            }
            OmegaError::Stale { detail, report } => (ErrorCode::Stale, detail, report),
        };
        (code, detail.as_str(), report.as_deref())
    }

    /// The core error code of this variant.
    pub fn error_code(&self) -> ErrorCode {
        self.parts().0
    }

    /// omega-core's message: names the file, package or key.
    pub fn detail(&self) -> &str {
        self.parts().1
    }

    /// The report of a failed package check.
    pub fn report(&self) -> Option<&Report> {
        self.parts().2
    }
}

#[uniffi::export]
impl OmegaError {
    /// The stable DESIGN §4 code, e.g. `"SIGNATURE_INVALID"` (as `err.code` in JS and Python).
    pub fn code(&self) -> String {
        self.error_code().as_str().to_string()
    }

    /// The class of refusal, omega-core's `ErrorCode::kind`: `"verification"` (the input was
    /// read and refused), `"malformed"`, `"not_found"` or `"io"`; the CLI's exit status and
    /// Python's exception class follow the same classification.
    pub fn kind(&self) -> String {
        self.error_code().kind().as_str().to_string()
    }
}

impl From<omega_core::Error> for OmegaError {
    fn from(e: omega_core::Error) -> OmegaError {
        OmegaError::with_code(
            e.code(),
            e.message().to_string(),
            e.report().map(|r| Box::new(Report::from(r))),
        )
    }
}

impl fmt::Display for OmegaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (code, detail, _) = self.parts();
        write!(f, "{code}: {detail}")
    }
}

impl std::error::Error for OmegaError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_has_its_own_variant() {
        for code in ErrorCode::ALL {
            let e = OmegaError::from(omega_core::Error::new(code, "the thing"));
            assert_eq!(e.error_code(), code);
            assert_eq!(e.code(), code.as_str());
            assert_eq!(e.detail(), "the thing");
            assert_eq!(e.to_string(), format!("{}: the thing", code.as_str()));
            assert!(e.report().is_none());
        }
    }
}
