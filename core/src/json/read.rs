//! The strict JSON reader (RFC 8259, DESIGN §3.3): UTF-8 only, no byte order mark, no
//! comments, no trailing commas, no trailing data after the value, no duplicate keys in an
//! object, no lone surrogates in `\u` escapes, no unescaped control characters, nesting at
//! most [`MAX_DEPTH`] deep. Callers check the size of the input against their format's limit
//! before reading. Errors are `MALFORMED` with the line and column of the problem.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::value::Value;
use crate::error::{Error, ErrorCode, Result};

/// The deepest nesting of arrays and objects accepted (serde_json's: 128 levels refused).
pub const MAX_DEPTH: usize = 127;

/// How many values (objects, arrays, scalars, and object keys) a document of `len` bytes may
/// hold: 4,096 plus one per 16 bytes. Every core format spends far more bytes per value (a
/// manifest's file entry: ~30 bytes per value; the densest statement, a notice of many
/// ranges: ~6 bytes per value but at most 16 KiB, under the floor); a document of bare `0,`
/// would otherwise build 32 bytes of tree per 2 bytes of input before a field is checked (a
/// 32 MiB manifest: 512 MiB). With the budget a refused document costs at most ~4× its size.
pub fn value_budget(len: usize) -> usize {
    4096 + len / 16
}

/// Reads `bytes` as one JSON value within [`value_budget`]; `what` names the document in
/// errors. More values than the budget is `TOO_LARGE`.
pub fn parse<'a>(bytes: &'a [u8], what: &str) -> Result<Value<'a>> {
    parse_with_budget(bytes, what, value_budget(bytes.len()))
}

/// [`parse`] with a budget of `max_values` values (`usize::MAX`: none; for documents whose
/// bytes are pinned by a hash, such as the saved registry state).
pub fn parse_with_budget<'a>(bytes: &'a [u8], what: &str, max_values: usize) -> Result<Value<'a>> {
    let text = match core::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            let r = Reader::new(core::str::from_utf8(valid).unwrap_or_default(), what, 0);
            return Err(r.error_at(valid.len(), "invalid UTF-8"));
        }
    };
    let mut r = Reader::new(text, what, max_values);
    r.skip_ws();
    let v = r.value(0)?;
    r.skip_ws();
    if r.pos < r.bytes.len() {
        return Err(r.error("trailing characters after the JSON value"));
    }
    Ok(v)
}

struct Reader<'a, 'w> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    what: &'w str,
    /// Values (and object keys) read so far, and how many may be.
    values: usize,
    max_values: usize,
}

impl<'a, 'w> Reader<'a, 'w> {
    fn new(text: &'a str, what: &'w str, max_values: usize) -> Self {
        Reader {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            what,
            values: 0,
            max_values,
        }
    }

    /// Counts one more value (or key) against the budget.
    fn count(&mut self) -> Result<()> {
        self.values += 1;
        if self.values > self.max_values {
            return Err(Error::new(
                ErrorCode::TooLarge,
                format!(
                    "{}: more than {} JSON values in {} bytes (at byte {})",
                    self.what,
                    self.max_values,
                    self.bytes.len(),
                    self.pos
                ),
            ));
        }
        Ok(())
    }

    fn error(&self, why: &str) -> Error {
        self.error_at(self.pos, why)
    }

    fn error_at(&self, pos: usize, why: &str) -> Error {
        let before = self.bytes.get(..pos).unwrap_or(self.bytes);
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = self
            .text
            .get(line_start..pos.min(self.text.len()))
            .map_or(pos - line_start, |s| s.chars().count())
            + 1;
        Error::new(
            ErrorCode::Malformed,
            format!("{}: {why} at line {line} column {column}", self.what),
        )
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_word(&mut self, word: &str, v: Value<'a>) -> Result<Value<'a>> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>> {
        self.count()?;
        match self.peek() {
            None => Err(self.error("EOF while parsing a value")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') => self.expect_word("true", Value::Bool(true)),
            Some(b'f') => self.expect_word("false", Value::Bool(false)),
            Some(b'n') => self.expect_word("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a JSON value")),
        }
    }

    fn enter(&self, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(self.error(&format!("nested more than {MAX_DEPTH} levels deep")));
        }
        Ok(())
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>> {
        self.enter(depth)?;
        self.pos += 1; // [
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err(self.error("EOF while parsing an array")),
                Some(_) => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>> {
        self.enter(depth)?;
        self.pos += 1; // {
        let mut members: Vec<(Cow<'a, str>, Value<'a>)> = Vec::new();
        let mut key_pos: Vec<usize> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("expected a string key")),
            }
            key_pos.push(self.pos);
            self.count()?;
            let key = self.string()?;
            self.skip_ws();
            match self.peek() {
                Some(b':') => self.pos += 1,
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("expected `:`")),
            }
            self.skip_ws();
            let v = self.value(depth)?;
            members.push((key, v));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.refuse_duplicates(&members, &key_pos)?;
                    return Ok(Value::Object(members));
                }
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    /// Refuses an object that holds a key twice (O(n log n): lock files hold thousands).
    fn refuse_duplicates(
        &self,
        members: &[(Cow<'a, str>, Value<'a>)],
        key_pos: &[usize],
    ) -> Result<()> {
        if members.len() < 2 {
            return Ok(());
        }
        let keys: Vec<&[u8]> = members.iter().map(|m| m.0.as_bytes()).collect();
        let order = crate::order::sorted_order(&keys);
        for w in order.windows(2) {
            if let [a, b] = *w {
                if keys.get(a) == keys.get(b) {
                    let pos = key_pos.get(b).copied().unwrap_or(self.pos);
                    let key = members.get(b).map_or("", |m| m.0.as_ref());
                    return Err(self.error_at(pos, &format!("duplicate key {key:?}")));
                }
            }
        }
        Ok(())
    }

    fn number(&mut self) -> Result<Value<'a>> {
        let start = self.pos;
        let mut plain = true; // no sign, fraction or exponent
        if self.peek() == Some(b'-') {
            self.pos += 1;
            plain = false;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error("a number with a leading zero"));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            plain = false;
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            plain = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number"));
            }
            self.digits();
        }
        let text = &self.text[start..self.pos];
        if plain {
            if let Ok(n) = text.parse::<u64>() {
                return Ok(Value::U64(n));
            }
        }
        // Never used as a number by core; refused when it does not fit a double, as serde_json
        // refuses it. At the bound itself the two differ: this rule is exact (what rounds to
        // infinity), serde_json's float parsing is not (it refuses 1.7976931348623158e308 and
        // 1.797693134862315700000000e308 but reads 1.7976931348623157e308); every core format
        // refuses such a number anyway (MALFORMED: not an unsigned integer).
        if rounds_to_infinity(text) {
            return Err(self.error_at(start, "number out of range"));
        }
        Ok(Value::OtherNumber(Cow::Borrowed(text)))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// A string starting at the opening quote; borrowed when it holds no escape.
    fn string(&mut self) -> Result<Cow<'a, str>> {
        self.pos += 1; // "
        let start = self.pos;
        // Fast path: up to the closing quote with no escape.
        loop {
            match self.peek() {
                None => return Err(self.error("EOF while parsing a string")),
                Some(b'"') => {
                    let s = &self.text[start..self.pos];
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(b) if b < 0x20 => {
                    return Err(self.error("a control character in a string (escape it)"))
                }
                Some(_) => self.pos += 1,
            }
        }
        let mut out = String::from(&self.text[start..self.pos]);
        loop {
            match self.peek() {
                None => return Err(self.error("EOF while parsing a string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let c = self.unicode_escape()?;
                            out.push(c);
                            continue;
                        }
                        None => return Err(self.error("EOF while parsing a string")),
                        Some(_) => return Err(self.error("invalid escape")),
                    };
                    self.pos += 1;
                    out.push(c);
                }
                Some(b) if b < 0x20 => {
                    return Err(self.error("a control character in a string (escape it)"))
                }
                Some(_) => {
                    // Copy one whole UTF-8 character (the input is valid UTF-8).
                    let rest = &self.text[self.pos..];
                    let ch = rest.chars().next().unwrap_or('\u{fffd}');
                    out.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
    }

    /// The four hex digits after `\u` (and a second escape for a surrogate pair).
    fn unicode_escape(&mut self) -> Result<char> {
        let hi = self.hex4()?;
        match hi {
            0xD800..=0xDBFF => {
                if !self.bytes[self.pos..].starts_with(b"\\u") {
                    return Err(self.error("lone leading surrogate in hex escape"));
                }
                self.pos += 2;
                let lo = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return Err(self.error("lone leading surrogate in hex escape"));
                }
                let c = 0x10000 + ((u32::from(hi) - 0xD800) << 10) + (u32::from(lo) - 0xDC00);
                char::from_u32(c).ok_or_else(|| self.error("invalid unicode escape"))
            }
            0xDC00..=0xDFFF => Err(self.error("lone trailing surrogate in hex escape")),
            _ => char::from_u32(u32::from(hi)).ok_or_else(|| self.error("invalid unicode escape")),
        }
    }

    fn hex4(&mut self) -> Result<u16> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("EOF while parsing a string"))?;
        let mut n: u16 = 0;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(self.error("invalid escape")),
            };
            n = (n << 4) | u16::from(v);
        }
        self.pos += 4;
        Ok(n)
    }
}

/// The significant digits of 2^1024 − 2^970, the least magnitude an IEEE double rounds to
/// infinity (the midpoint between `f64::MAX` and 2^1024, which rounds to even: up), written
/// d.ddd… × 10^308, trailing zeros dropped.
const INFINITY_DIGITS: &[u8] = b"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";

/// Whether the JSON number `text` (already checked against the grammar) is too large in
/// magnitude for a double. Exact, by comparing decimal digits: no float parsing (whose tables
/// would add 10 KB to the WebAssembly module).
fn rounds_to_infinity(text: &str) -> bool {
    let t = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], &t[i + 1..]),
        None => (t, "0"),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = || int.bytes().chain(frac.bytes());
    let Some(lead) = digits().position(|d| d != b'0') else {
        return false; // zero
    };
    // The exponent, saturated far beyond any decision.
    let (neg, e) = match exp.as_bytes().first() {
        Some(b'-') => (true, &exp[1..]),
        Some(b'+') => (false, &exp[1..]),
        _ => (false, exp),
    };
    let mut e_abs: i64 = 0;
    for d in e.bytes() {
        e_abs = (e_abs * 10 + i64::from(d - b'0')).min(1 << 40);
    }
    let e10 = if neg { -e_abs } else { e_abs };
    // value = d.ddd… × 10^magnitude
    let magnitude = int.len() as i64 - lead as i64 - 1 + e10;
    match magnitude.cmp(&308) {
        core::cmp::Ordering::Less => false,
        core::cmp::Ordering::Greater => true,
        core::cmp::Ordering::Equal => {
            let sig: Vec<u8> = digits().skip(lead).collect();
            let sig_end = sig.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1);
            sig[..sig_end] >= *INFINITY_DIGITS
        }
    }
}
