//! Tree digests (`b2tree:`, DESIGN §3.2): path rules, file entries, the sorted listing and its
//! BLAKE2b-256 digest. Pure data in, digest out; the filesystem walk lives in `fs`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::error::{fail, Error, ErrorCode, Result};
use crate::hash::{parse_hex32, push_hex, to_hex, Blake2b256};
use crate::limits::{MAX_COMPONENT_BYTES, MAX_FILES, MAX_PATH_BYTES};

/// The text prefix of a tree digest.
pub const TREE_PREFIX: &str = "b2tree:";
/// The domain-separation header hashed before the listing.
pub const TREE_HEADER: &[u8] = b"omega-tree-v1\n";
/// The top-level folder excluded from the digest (it holds the manifest and signatures).
pub const METADATA_DIR: &str = ".omega";

/// A `b2tree:` digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TreeDigest(pub [u8; 32]);

impl TreeDigest {
    /// Parses `b2tree:` followed by 64 lowercase hex characters.
    pub fn parse(text: &str) -> Result<TreeDigest> {
        let Some(hex) = text.strip_prefix(TREE_PREFIX) else {
            let shown: String = text.chars().take(16).collect();
            return fail(
                ErrorCode::Malformed,
                format!("digest {shown:?}: must start with {TREE_PREFIX:?}"),
            );
        };
        Ok(TreeDigest(parse_hex32(hex, "digest")?))
    }
}

impl fmt::Display for TreeDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{TREE_PREFIX}{}", to_hex(&self.0))
    }
}

impl fmt::Debug for TreeDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `f` (regular) or `x` (owner-execute bit set).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// A regular file (`f`).
    Regular,
    /// A regular file with the owner-execute bit set (`x`).
    Executable,
}

impl FileKind {
    /// The one-letter form used in listings and manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Regular => "f",
            FileKind::Executable => "x",
        }
    }
    /// Parses `f` or `x`.
    pub fn parse(s: &str) -> Option<FileKind> {
        match s {
            "f" => Some(FileKind::Regular),
            "x" => Some(FileKind::Executable),
            _ => None,
        }
    }
}

/// One file of a tree: relative path, kind, size and BLAKE2b-256 of its contents.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileEntry {
    /// Path relative to the package root, `/`-separated, valid by construction.
    pub path: RelPath,
    /// Regular or executable.
    pub kind: FileKind,
    /// Length in bytes.
    pub size: u64,
    /// BLAKE2b-256 of the contents.
    pub hash: [u8; 32],
}

impl FileEntry {
    /// The entry for `contents` at `path`.
    pub fn from_contents(path: RelPath, kind: FileKind, contents: &[u8]) -> FileEntry {
        FileEntry {
            path,
            kind,
            size: contents.len() as u64,
            hash: crate::hash::blake2b256(contents),
        }
    }
}

/// A package path that satisfies the rules of DESIGN §3.2: relative, `/`-separated, no empty,
/// `.` or `..` component, no `\`, NUL or control character, at most [`MAX_PATH_BYTES`] bytes
/// and [`MAX_COMPONENT_BYTES`] bytes per component.
///
/// Valid by construction: [`RelPath::new`] is the only way to build one (the field is private,
/// and there is no `Default`, `From<String>`, `FromStr` or unchecked constructor), so a
/// `RelPath` held anywhere has passed the rules once. It derefs to `str`, compares, orders
/// (bytes, as `str` does) and hashes as its string, and prints as it (`Debug` as the string's
/// `Debug`).
///
/// ```
/// use omega_core::tree::RelPath;
/// let p = RelPath::new("lib/index.js")?;
/// assert_eq!(p, "lib/index.js");
/// assert!(RelPath::new("../etc/passwd").is_err());
/// # Ok::<(), omega_core::Error>(())
/// ```
///
/// None of these compile (each is a way around the rules that does not exist):
///
/// ```compile_fail,E0603
/// let p = omega_core::tree::RelPath(String::from("../x")); // the field is private
/// ```
/// ```compile_fail,E0277
/// let p: omega_core::tree::RelPath = "../x".into(); // no From<&str>
/// ```
/// ```compile_fail,E0277
/// let p: omega_core::tree::RelPath = String::from("../x").into(); // no From<String>
/// ```
/// ```compile_fail,E0277
/// let p: omega_core::tree::RelPath = "../x".parse().unwrap(); // no FromStr
/// ```
/// ```compile_fail,E0277
/// let p: omega_core::tree::RelPath = Default::default(); // no Default (the empty path)
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(String);

impl RelPath {
    /// Checks `path` against the rules of DESIGN §3.2 and wraps it; `UNSAFE_PATH` otherwise.
    pub fn new(path: impl Into<String>) -> Result<RelPath> {
        let path = path.into();
        check_path(&path)?;
        Ok(RelPath(path))
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path as an owned `String`.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl core::ops::Deref for RelPath {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for RelPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl core::borrow::Borrow<str> for RelPath {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl PartialEq<str> for RelPath {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RelPath {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for RelPath {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl PartialEq<RelPath> for str {
    fn eq(&self, other: &RelPath) -> bool {
        self == other.0
    }
}

impl PartialEq<RelPath> for &str {
    fn eq(&self, other: &RelPath) -> bool {
        *self == other.0
    }
}

impl PartialEq<RelPath> for String {
    fn eq(&self, other: &RelPath) -> bool {
        *self == other.0
    }
}

/// With `std`: `root.join(&rel)` names the file `rel` below `root`.
#[cfg(feature = "std")]
mod std_path {
    extern crate std;
    use super::RelPath;

    impl AsRef<std::path::Path> for RelPath {
        fn as_ref(&self) -> &std::path::Path {
            std::path::Path::new(self.0.as_str())
        }
    }
}

impl From<RelPath> for String {
    fn from(p: RelPath) -> String {
        p.0
    }
}

/// Checks one relative path against the rules of DESIGN §3.2 (`UNSAFE_PATH` otherwise), for a
/// caller that keeps no value (a writer checking its input, an API that answers yes or no):
/// exactly [`RelPath::new`]'s verdict, without building one. Code that keeps the path holds a
/// [`RelPath`] instead.
pub fn validate_path(path: &str) -> Result<()> {
    check_path(path)
}

/// The rules of DESIGN §3.2 behind [`RelPath::new`] and [`validate_path`].
fn check_path(path: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::new(
            ErrorCode::UnsafePath,
            format!("path {path:?}: {why}"),
        ))
    };
    if path.is_empty() {
        return bad("empty path");
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(Error::new(
            ErrorCode::UnsafePath,
            format!(
                "path starting {:?}: longer than {MAX_PATH_BYTES} bytes",
                path.get(..64).unwrap_or("")
            ),
        ));
    }
    for b in path.bytes() {
        if b < 0x20 || b == 0x7f {
            return bad("contains a control character");
        }
        if b == b'\\' {
            return bad("contains a backslash");
        }
    }
    for component in path.split('/') {
        match component {
            "" => return bad("has an empty component (leading, trailing or double slash)"),
            "." | ".." => return bad("has a `.` or `..` component"),
            c if c.len() > MAX_COMPONENT_BYTES => {
                return bad("has a component longer than 255 bytes")
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether `path` lies in the top-level `.omega/` folder, which the digest excludes.
pub fn is_metadata_path(path: &str) -> bool {
    path.strip_prefix(METADATA_DIR)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// A validated tree: entries sorted by path as bytes, every path safe, no duplicates, no two
/// paths that differ only in ASCII case, nothing inside the top-level `.omega/`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TreeListing {
    entries: Vec<FileEntry>,
}

impl TreeListing {
    /// Validates and sorts `entries` (in any order).
    pub fn new(entries: Vec<FileEntry>) -> Result<TreeListing> {
        if entries.len() > MAX_FILES {
            return fail(
                ErrorCode::TooLarge,
                format!("tree has {} files, more than {MAX_FILES}", entries.len()),
            );
        }
        for e in &entries {
            if is_metadata_path(&e.path) {
                return fail(
                    ErrorCode::UnsafePath,
                    format!(
                        "path {:?}: lies in the reserved top-level `.omega/` folder",
                        e.path
                    ),
                );
            }
        }
        let keys: Vec<&[u8]> = entries.iter().map(|e| e.path.as_bytes()).collect();
        let order = crate::order::sorted_order(&keys);
        let entries = crate::order::permute(entries, &order);
        check_collisions(entries.iter().map(|e| e.path.as_str()))?;
        Ok(TreeListing { entries })
    }

    /// Entries, sorted by path.
    pub fn entries(&self) -> &[FileEntry] {
        &self.entries
    }

    /// Consumes the listing.
    pub fn into_entries(self) -> Vec<FileEntry> {
        self.entries
    }

    /// The listing text that is hashed (after the header): `kind size hash path\n` per file.
    pub fn listing_text(&self) -> String {
        let mut s = String::new();
        for e in &self.entries {
            push_line(&mut s, e);
        }
        s
    }

    /// The `b2tree:` digest.
    pub fn digest(&self) -> TreeDigest {
        digest_of(&self.entries)
    }

    /// A listing of `entries` that are known to be valid, sorted by path and free of
    /// collisions (a parsed manifest's file list: `Manifest::parse` checked each of those).
    pub(crate) fn from_valid_sorted(entries: Vec<FileEntry>) -> TreeListing {
        TreeListing { entries }
    }
}

/// The `b2tree:` digest of `entries` (sorted by path), as [`TreeListing::digest`].
pub(crate) fn digest_of(entries: &[FileEntry]) -> TreeDigest {
    let mut h = Blake2b256::new();
    h.update(TREE_HEADER);
    let mut line = String::with_capacity(256);
    for e in entries {
        line.clear();
        push_line(&mut line, e);
        h.update(line.as_bytes());
    }
    TreeDigest(h.finalize())
}

/// `kind size hash path\n` (the hash in lowercase hex), the hash written without a `String` of
/// its own: this runs once per file of every listing hashed.
fn push_line(s: &mut String, e: &FileEntry) {
    use core::fmt::Write;
    s.push_str(e.kind.as_str());
    let _ = write!(s, " {} ", e.size);
    push_hex(s, &e.hash);
    s.push(' ');
    s.push_str(&e.path);
    s.push('\n');
}

/// Refuses duplicate paths and paths equal up to ASCII case (`UNSAFE_PATH`). `sorted` must be
/// in byte order.
pub(crate) fn check_collisions<'a>(sorted: impl Iterator<Item = &'a str> + Clone) -> Result<()> {
    let mut prev: Option<&str> = None;
    for p in sorted.clone() {
        if prev == Some(p) {
            return fail(ErrorCode::UnsafePath, format!("path {p:?}: listed twice"));
        }
        prev = Some(p);
    }
    // `sorted` is in path order: equal lower-case paths stay in it.
    let paths: Vec<&str> = sorted.collect();
    let lower: Vec<String> = paths.iter().map(|p| p.to_ascii_lowercase()).collect();
    let keys: Vec<&[u8]> = lower.iter().map(|l| l.as_bytes()).collect();
    let order = crate::order::sorted_order(&keys);
    for w in order.windows(2) {
        if let [a, b] = *w {
            if lower.get(a) == lower.get(b) {
                return fail(
                    ErrorCode::UnsafePath,
                    format!(
                        "paths {:?} and {:?} differ only in letter case",
                        paths.get(a).copied().unwrap_or_default(),
                        paths.get(b).copied().unwrap_or_default()
                    ),
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The listing line written without `format!` is the one `format!` writes (DESIGN's
    /// `kind size hash path`), for sizes with 1 to 20 digits.
    #[test]
    fn a_listing_line_is_kind_size_hash_path() {
        for size in [0, 9, 10, 4_096, 1 << 40, u64::MAX] {
            for (kind, path) in [(FileKind::Regular, "a"), (FileKind::Executable, "bin/x y")] {
                let e = FileEntry {
                    path: RelPath::new(String::from(path)).unwrap(),
                    kind,
                    size,
                    hash: [0xa5; 32],
                };
                let mut line = String::new();
                push_line(&mut line, &e);
                let expected = format!("{} {size} {} {path}\n", kind.as_str(), to_hex(&e.hash));
                assert_eq!(line, expected);
            }
        }
    }
}
