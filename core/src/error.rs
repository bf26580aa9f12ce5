//! Errors: the one error type of omega-core, with the stable string codes of DESIGN §4.
//!
//! Every refusal is an [`Error`]: a [`ErrorCode`] that bindings expose verbatim (`err.code`,
//! `exc.code`, the CLI's `--json`), and a message that names the file, package or key.
//! A failed package check also carries its whole [`Report`](crate::check::Report).

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;

use crate::report::Report;

/// The stable error codes of DESIGN §4. The string form ([`ErrorCode::as_str`]) is the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorCode {
    /// Unparseable key, signature, manifest, lock file or statement.
    Malformed,
    /// A format version (or signature algorithm) this implementation does not know.
    UnsupportedVersion,
    /// A signature that does not verify.
    SignatureInvalid,
    /// A signature by a key that is not pinned or not trusted.
    KeyNotTrusted,
    /// A signature by a key that was revoked.
    KeyRevoked,
    /// Fewer distinct trusted keys signed than the threshold requires.
    ThresholdNotMet,
    /// A legacy (non-prehashed) minisign signature when the caller did not allow it.
    LegacySignatureRefused,
    /// The files match their manifest but not the pinned digest.
    DigestMismatch,
    /// A file listed in the manifest is absent.
    FileMissing,
    /// A file is present that the manifest does not list.
    FileExtra,
    /// A file's contents, size or kind differ from the manifest.
    FileChanged,
    /// A path that is not allowed (traversal, control characters, case collision …).
    UnsafePath,
    /// A symbolic link, device, socket or FIFO inside a package.
    UnsupportedFileType,
    /// A release whose sequence is not newer than the pinned one.
    Rollback,
    /// A file, package or lock entry that does not exist.
    NotFound,
    /// An operating-system input/output error.
    Io,
    /// Input over one of the documented limits (see [`crate::limits`]).
    TooLarge,
    /// A log that is not an append-only extension of the one seen before (a fork, a
    /// rollback, a consistency proof that does not verify). REGISTRY.md R6.
    LogInconsistent,
    /// An entry that is not in the log (no valid inclusion proof), or a logged entry that does
    /// not match the object it describes.
    NotInLog,
    /// A checkpoint without the log signature or the cosignature quorum its policy requires.
    QuorumNotMet,
    /// A checkpoint or index older than the caller's `max_age`, expired, or from the future.
    Stale,
}

impl ErrorCode {
    /// Every code, in DESIGN §4 order.
    pub const ALL: [ErrorCode; 21] = [
        ErrorCode::Malformed,
        ErrorCode::UnsupportedVersion,
        ErrorCode::SignatureInvalid,
        ErrorCode::KeyNotTrusted,
        ErrorCode::KeyRevoked,
        ErrorCode::ThresholdNotMet,
        ErrorCode::LegacySignatureRefused,
        ErrorCode::DigestMismatch,
        ErrorCode::FileMissing,
        ErrorCode::FileExtra,
        ErrorCode::FileChanged,
        ErrorCode::UnsafePath,
        ErrorCode::UnsupportedFileType,
        ErrorCode::Rollback,
        ErrorCode::NotFound,
        ErrorCode::Io,
        ErrorCode::TooLarge,
        ErrorCode::LogInconsistent,
        ErrorCode::NotInLog,
        ErrorCode::QuorumNotMet,
        ErrorCode::Stale,
    ];

    /// The stable string code, e.g. `"SIGNATURE_INVALID"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Malformed => "MALFORMED",
            ErrorCode::UnsupportedVersion => "UNSUPPORTED_VERSION",
            ErrorCode::SignatureInvalid => "SIGNATURE_INVALID",
            ErrorCode::KeyNotTrusted => "KEY_NOT_TRUSTED",
            ErrorCode::KeyRevoked => "KEY_REVOKED",
            ErrorCode::ThresholdNotMet => "THRESHOLD_NOT_MET",
            ErrorCode::LegacySignatureRefused => "LEGACY_SIGNATURE_REFUSED",
            ErrorCode::DigestMismatch => "DIGEST_MISMATCH",
            ErrorCode::FileMissing => "FILE_MISSING",
            ErrorCode::FileExtra => "FILE_EXTRA",
            ErrorCode::FileChanged => "FILE_CHANGED",
            ErrorCode::UnsafePath => "UNSAFE_PATH",
            ErrorCode::UnsupportedFileType => "UNSUPPORTED_FILE_TYPE",
            ErrorCode::Rollback => "ROLLBACK",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Io => "IO",
            ErrorCode::TooLarge => "TOO_LARGE",
            ErrorCode::LogInconsistent => "LOG_INCONSISTENT",
            ErrorCode::NotInLog => "NOT_IN_LOG",
            ErrorCode::QuorumNotMet => "QUORUM_NOT_MET",
            ErrorCode::Stale => "STALE",
        }
    }

    /// The class of refusal this code belongs to: the one classification that exit statuses,
    /// Python's exception classes and the JS/Swift error kinds derive from.
    pub const fn kind(self) -> ErrorKind {
        match self {
            ErrorCode::Malformed | ErrorCode::UnsupportedVersion | ErrorCode::TooLarge => {
                ErrorKind::MalformedInput
            }
            ErrorCode::NotFound => ErrorKind::NotFound,
            ErrorCode::Io => ErrorKind::Io,
            ErrorCode::SignatureInvalid
            | ErrorCode::KeyNotTrusted
            | ErrorCode::KeyRevoked
            | ErrorCode::ThresholdNotMet
            | ErrorCode::LegacySignatureRefused
            | ErrorCode::DigestMismatch
            | ErrorCode::FileMissing
            | ErrorCode::FileExtra
            | ErrorCode::FileChanged
            | ErrorCode::UnsafePath
            | ErrorCode::UnsupportedFileType
            | ErrorCode::Rollback
            | ErrorCode::LogInconsistent
            | ErrorCode::NotInLog
            | ErrorCode::QuorumNotMet
            | ErrorCode::Stale => ErrorKind::VerificationFailed,
        }
    }

    /// The process exit status for a refusal with this code, the same for the CLI and every
    /// command-line mirror, derived from [`ErrorCode::kind`]: 1 for a verification failure,
    /// 2 for input that could not be read or understood (`MALFORMED`, `UNSUPPORTED_VERSION`,
    /// `NOT_FOUND`, `IO`, `TOO_LARGE`).
    pub const fn exit_status(self) -> u8 {
        self.kind().exit_status()
    }

    /// Parses a string code; `None` for anything that is not exactly one of DESIGN §4.
    pub fn from_code(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

/// The class of a refusal ([`ErrorCode::kind`]).
///
/// A package that contains an unsafe path or a file type that is not allowed
/// (`UNSAFE_PATH`, `UNSUPPORTED_FILE_TYPE`) was read and refused: that is a verification
/// failure (exit status 1), not malformed input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input was read and refused: a signature, key, threshold, file, path or digest does
    /// not hold.
    VerificationFailed,
    /// The input cannot be accepted as given: unparseable, a newer format, over a limit.
    MalformedInput,
    /// A file, package or lock entry that does not exist.
    NotFound,
    /// An operating-system input/output error.
    Io,
}

impl ErrorKind {
    /// Every kind.
    pub const ALL: [ErrorKind; 4] = [
        ErrorKind::VerificationFailed,
        ErrorKind::MalformedInput,
        ErrorKind::NotFound,
        ErrorKind::Io,
    ];

    /// The stable string form bindings expose: `"verification"`, `"malformed"`,
    /// `"not_found"`, `"io"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::VerificationFailed => "verification",
            ErrorKind::MalformedInput => "malformed",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Io => "io",
        }
    }

    /// The process exit status: 1 for a verification failure, 2 otherwise.
    pub const fn exit_status(self) -> u8 {
        match self {
            ErrorKind::VerificationFailed => 1,
            _ => 2,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An omega-core error: a stable [`ErrorCode`], a message naming the thing refused, and for
/// failed package checks the whole report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: String,
    report: Option<Box<Report>>,
}

impl Error {
    /// A new error with `code` and a message that names the file, package or key.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            report: None,
        }
    }

    /// Attaches the report of a failed package check.
    pub fn with_report(mut self, report: Report) -> Error {
        self.report = Some(Box::new(report));
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human message (without the code).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The report of a failed package check, when this error comes from one.
    pub fn report(&self) -> Option<&Report> {
        self.report.as_deref()
    }

    /// Prefixes the message with context, e.g. the file it came from.
    pub fn context(mut self, what: &str) -> Error {
        self.message = alloc::format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl core::error::Error for Error {}

/// Shorthand for `Err(Error::new(code, message))`.
pub(crate) fn fail<T>(code: ErrorCode, message: impl Into<String>) -> Result<T, Error> {
    Err(Error::new(code, message))
}

/// The result type of omega-core.
pub type Result<T, E = Error> = core::result::Result<T, E>;
