//! The JSON writer: compact (`{"a":1}`) and pretty (two-space indent, `": "`, final newline
//! added by the caller's format), byte for byte what serde_json writes for the same value
//! (core/tests/json.rs compares them), so files written before this writer existed keep their
//! bytes. Strings escape `"`, `\` and control characters only (`\b \f \n \r \t`, else `\u00xx`).

use alloc::string::String;
use alloc::vec::Vec;

use super::value::Value;

/// `value` as compact JSON text.
pub fn to_text(value: &Value<'_>) -> String {
    let mut out = Vec::new();
    write(&mut out, value, None, 0);
    // Only valid UTF-8 is ever written: strings are `str`, the rest ASCII.
    String::from_utf8(out).unwrap_or_default()
}

/// `value` as pretty JSON text (no final newline).
pub fn to_pretty_text(value: &Value<'_>) -> String {
    let mut out = Vec::new();
    write(&mut out, value, Some(2), 0);
    String::from_utf8(out).unwrap_or_default()
}

/// `value` as pretty JSON bytes with a final newline: how core writes its files.
pub fn to_pretty_bytes(value: &Value<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out, value, Some(2), 0);
    out.push(b'\n');
    out
}

fn newline(out: &mut Vec<u8>, indent: Option<usize>, level: usize) {
    if let Some(width) = indent {
        out.push(b'\n');
        out.resize(out.len() + width * level, b' ');
    }
}

fn write(out: &mut Vec<u8>, value: &Value<'_>, indent: Option<usize>, level: usize) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::U64(n) => {
            let mut buf = [0u8; 20];
            let mut i = buf.len();
            let mut n = *n;
            loop {
                i -= 1;
                buf[i] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            out.extend_from_slice(&buf[i..]);
        }
        Value::OtherNumber(t) => out.extend_from_slice(t.as_bytes()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            if !items.is_empty() {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    newline(out, indent, level + 1);
                    write(out, item, indent, level + 1);
                }
                newline(out, indent, level);
            }
            out.push(b']');
        }
        Value::Object(members) => {
            out.push(b'{');
            if !members.is_empty() {
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    newline(out, indent, level + 1);
                    write_string(out, k);
                    out.push(b':');
                    if indent.is_some() {
                        out.push(b' ');
                    }
                    write(out, v, indent, level + 1);
                }
                newline(out, indent, level);
            }
            out.push(b'}');
        }
    }
}

fn write_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => &[],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}
