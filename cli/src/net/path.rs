//! [`RelPath`]: the one rule for a path below a registry prefix (REGISTRY R3), checked before
//! any fetch, cache read or registry-folder write, so that no name from a user, an index or a
//! server can leave the prefix — over HTTP or on disk.
//!
//! The rule (docs/registry.md, "Fetching and the registry folder"):
//! - 1 to [`MAX_REL_PATH_BYTES`] bytes of ASCII letters, digits and `.` `_` `~` `@` `-`,
//!   split by `/` into components;
//! - no empty component: no leading `/`, no trailing `/`, no `//`;
//! - no component starts with `.`: no `.`, no `..`, no hidden file (`.keys/`, `.lock`, the
//!   writer's temporary files are never fetched);
//! - each component at most [`MAX_COMPONENT_BYTES`] bytes.
//!
//! `%`, `\`, `:`, `?`, `#`, spaces, controls and non-ASCII are outside the alphabet, so there is
//! no percent-encoding, query, fragment, drive letter or Unicode look-alike to decode: the path
//! is used verbatim in the URL and on disk. Package names (`left-pad`, `@scope/pkg`) and every
//! R3 path (`tile/0/x001/234.p/5`, `objects/ab/ab…`) fit.

use omega_core::{Error, ErrorCode, Result};

/// Longest relative path accepted, in bytes.
pub const MAX_REL_PATH_BYTES: usize = 1024;
/// Longest component accepted, in bytes (the usual file-name limit).
pub const MAX_COMPONENT_BYTES: usize = 255;

/// A checked relative path below a registry prefix (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelPath(String);

fn allowed(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'@' | b'-')
}

impl RelPath {
    /// Checks `text` against the rule; `MALFORMED` naming the path and the reason otherwise.
    pub fn new(text: &str) -> Result<RelPath> {
        let bad = |why: &str| -> Result<RelPath> {
            Err(Error::new(
                ErrorCode::Malformed,
                format!("path {text:?} below the registry: {why}"),
            ))
        };
        if text.is_empty() {
            return bad("empty");
        }
        if text.len() > MAX_REL_PATH_BYTES {
            return bad(&format!("longer than {MAX_REL_PATH_BYTES} bytes"));
        }
        if let Some(b) = text.bytes().find(|&b| b != b'/' && !allowed(b)) {
            let shown = if b.is_ascii_graphic() {
                format!("{:?}", char::from(b))
            } else {
                format!("byte 0x{b:02x}")
            };
            return bad(&format!(
                "{shown} is not allowed (only letters, digits and . _ ~ @ - between /)"
            ));
        }
        for part in text.split('/') {
            if part.is_empty() {
                return bad("empty component (leading, trailing or double /)");
            }
            if part.starts_with('.') {
                return bad(&format!("component {part:?} starts with a dot"));
            }
            if part.len() > MAX_COMPONENT_BYTES {
                return bad(&format!(
                    "a component is longer than {MAX_COMPONENT_BYTES} bytes"
                ));
            }
        }
        Ok(RelPath(text.to_string()))
    }

    /// `checkpoint` (R3: mutable, written last).
    pub fn checkpoint() -> RelPath {
        RelPath("checkpoint".to_string())
    }

    /// `policy` (R3: the tlog-policy the registry recommends).
    pub fn policy() -> RelPath {
        RelPath("policy".to_string())
    }

    /// `index/<name>` for a package name that core's `validate_name` accepts.
    pub fn index(name: &str) -> Result<RelPath> {
        omega_core::manifest::validate_name(name)?;
        RelPath::new(&format!("index/{name}"))
    }

    /// `objects/<hh>/<hex>` for a BLAKE2b-256 given as 64 lowercase hex digits.
    pub fn object(hex: &str) -> Result<RelPath> {
        let ok = hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        match hex.get(..2) {
            Some(hh) if ok => Ok(RelPath(format!("objects/{hh}/{hex}"))),
            _ => Err(Error::new(
                ErrorCode::Malformed,
                format!("object name {hex:?}: expected 64 lowercase hex digits"),
            )),
        }
    }

    /// The path as text (`/`-separated).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The components, in order.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The folders above the last component, and the last component (the file name).
    pub fn split_last(&self) -> (Vec<&str>, &str) {
        let mut parts: Vec<&str> = self.components().collect();
        let name = parts.pop().unwrap_or("");
        (parts, name)
    }

    /// Whether this is an immutable path of R3 (`tile/…` or `objects/…`).
    pub fn is_immutable(&self) -> bool {
        let first = self.components().next().unwrap_or("");
        matches!(first, "tile" | "objects") && self.0.contains('/')
    }

    /// Whether this is one of the two mutable files a client fetches conditionally
    /// (`checkpoint`, `index/<name>`).
    pub fn is_mutable(&self) -> bool {
        self.0 == "checkpoint" || self.0.starts_with("index/")
    }
}

impl std::fmt::Display for RelPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
