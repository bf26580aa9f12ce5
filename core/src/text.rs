//! Line reading shared by the minisign text formats: LF or CRLF line ends, an optional final
//! newline, valid UTF-8 — exactly what minisign tolerates, nothing more.

use alloc::format;

use crate::error::{fail, ErrorCode, Result};

/// An iterator over the lines of a text file, refusing non-UTF-8 and stray CR or NUL.
pub(crate) struct Lines<'a> {
    rest: &'a [u8],
    line_no: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a [u8]) -> Self {
        Lines {
            rest: text,
            line_no: 0,
        }
    }

    /// The 1-based number of the line returned last.
    pub(crate) fn line_no(&self) -> usize {
        self.line_no
    }

    /// True when only blank lines (spaces, tabs, CR, LF) remain: minisign ignores whatever
    /// follows the lines it reads, and editors leave trailing blank lines.
    pub(crate) fn rest_is_blank(&self) -> bool {
        self.rest
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    }

    /// The next line without its line end, `None` at the end of input.
    pub(crate) fn next_line(&mut self, what: &str) -> Result<Option<&'a str>> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        self.line_no += 1;
        let (mut line, rest) = match self.rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, &[][..]),
        };
        self.rest = rest;
        if let [head @ .., b'\r'] = line {
            line = head;
        }
        if line.iter().any(|&b| b == b'\r' || b == 0) {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "{what}: line {} contains a carriage return or NUL",
                    self.line_no
                ),
            );
        }
        match core::str::from_utf8(line) {
            Ok(s) => Ok(Some(s)),
            Err(_) => fail(
                ErrorCode::Malformed,
                format!("{what}: line {} is not valid UTF-8", self.line_no),
            ),
        }
    }
}
