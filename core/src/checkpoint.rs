//! Checkpoints (C2SP `tlog-checkpoint`): the note text of a log's signed tree head — origin
//! line, tree size, base64 root hash, optional extension lines — parsed strictly and
//! formatted canonically. Signatures are [`crate::note`]'s; which keys must sign (the log key
//! named like the origin, a witness quorum) is [`crate::policy`]'s.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64ct::{Base64, Encoding};

use crate::error::{fail, Error, ErrorCode, Result};
use crate::limits::MAX_NOTE_BYTES;

/// A log checkpoint: the tree head of an RFC 6962 Merkle tree.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    /// The origin line: the log's identity (non-empty; for Ωpm logs, the log key's name).
    pub origin: String,
    /// The tree size (number of leaves).
    pub size: u64,
    /// The RFC 6962 root hash (SHA-256).
    pub root: [u8; 32],
    /// Extension lines (opaque, each non-empty), in order. Ωpm logs write none.
    pub extensions: Vec<String>,
}

/// Parses an ASCII decimal without sign or leading zeros ("0" alone is zero) that fits u64.
pub(crate) fn parse_decimal(token: &str, what: &str) -> Result<u64> {
    let bytes = token.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.iter().all(u8::is_ascii_digit)
        && (bytes.len() == 1 || bytes.first() != Some(&b'0'));
    if !ok {
        return fail(
            ErrorCode::Malformed,
            format!("{what} {token:?}: not a decimal number without leading zeros"),
        );
    }
    token.parse::<u64>().map_err(|_| {
        Error::new(
            ErrorCode::Malformed,
            format!("{what} {token:?}: larger than 2^64 - 1"),
        )
    })
}

impl Checkpoint {
    /// Parses a checkpoint note text (what [`crate::note::Note::text`] returns): at least three
    /// non-empty lines each ending in LF; the size in decimal without leading zeros, fitting
    /// u64; the root as canonical base64 of exactly 32 bytes; every further line non-empty.
    /// Control characters other than LF are refused (signed-note's rule), `TOO_LARGE` above
    /// [`MAX_NOTE_BYTES`].
    pub fn parse(text: &str) -> Result<Checkpoint> {
        let bad = |why: String| Error::new(ErrorCode::Malformed, format!("checkpoint: {why}"));
        if text.len() > MAX_NOTE_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!("checkpoint: larger than {MAX_NOTE_BYTES} bytes"),
            );
        }
        if let Some(at) = text.bytes().position(|b| b < 0x20 && b != b'\n') {
            return Err(bad(format!("control character at byte {at}")));
        }
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("the text does not end in a newline".into()))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        let size = lines
            .next()
            .ok_or_else(|| bad("no tree size line".into()))?;
        let root = lines
            .next()
            .ok_or_else(|| bad("no root hash line".into()))?;
        if origin.is_empty() {
            return Err(bad("empty origin line".into()));
        }
        let what = format!("checkpoint of {origin}");
        let size = parse_decimal(size, &format!("{what}: tree size"))?;
        let root = parse_root(root).map_err(|e| e.context(&what))?;
        let mut extensions = Vec::new();
        for line in lines {
            if line.is_empty() {
                return Err(bad(format!("{origin}: empty extension line")));
            }
            extensions.push(String::from(line));
        }
        Ok(Checkpoint {
            origin: String::from(origin),
            size,
            root,
            extensions,
        })
    }

    /// The note text: origin, size, base64 root, extension lines, each ending in LF. For a
    /// checkpoint with a valid origin and extensions (non-empty, no LF or control
    /// character), [`Checkpoint::parse`] gives it back.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            Base64::encode_string(&self.root)
        );
        for e in &self.extensions {
            out.push_str(e);
            out.push('\n');
        }
        out
    }
}

fn parse_root(line: &str) -> Result<[u8; 32]> {
    let mut buf = [0u8; 33];
    let bad = || {
        Error::new(
            ErrorCode::Malformed,
            format!("root hash {line:?}: not canonical base64 of 32 bytes"),
        )
    };
    if line.len() != 44 {
        return Err(bad());
    }
    let decoded = Base64::decode(line, &mut buf).map_err(|_| bad())?;
    decoded.try_into().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn spec_example() {
        let c = Checkpoint::parse(SPEC).unwrap();
        assert_eq!(c.origin, "example.com/behind-the-sofa");
        assert_eq!(c.size, 20_852_163);
        assert!(c.extensions.is_empty());
        assert_eq!(c.to_text(), SPEC);
    }

    #[test]
    fn strict_fields() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        for (text, ok) in [
            (format!("o\n0\n{root}\n"), true),
            (format!("o\n18446744073709551615\n{root}\n"), true),
            (format!("o\n18446744073709551616\n{root}\n"), false),
            (format!("o\n01\n{root}\n"), false),
            (format!("o\n+1\n{root}\n"), false),
            (format!("o\n 1\n{root}\n"), false),
            (format!("\n1\n{root}\n"), false),
            (format!("o\n1\n{root}"), false),
            (format!("o\n1\n{root}\next\n"), true),
            (format!("o\n1\n{root}\n\n"), false),
            (format!("o\n1\n{root}\next\n\nmore\n"), false),
            (
                "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n".into(),
                false,
            ),
            (
                "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n".into(),
                false,
            ),
            ("o\n1\n".into(), false),
            (format!("o\r\n1\n{root}\n"), false),
        ] {
            assert_eq!(Checkpoint::parse(&text).is_ok(), ok, "{text:?}");
        }
    }
}
