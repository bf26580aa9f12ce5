//! Typed reading of a parsed [`Value`]: a document's fields taken one by one by name, each
//! refusal `MALFORMED` and naming the document and where in it (`manifest.json:
//! files[2].size: expected an unsigned integer, found a string`). What serde's derive with
//! `deny_unknown_fields` did for our formats: a missing field, an unknown field and a value
//! of the wrong type are refused (duplicate keys were refused by the reader already).

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::value::Value;
use crate::error::{Error, ErrorCode, Result};

/// Where a value sits in its document, for messages. Built as the reader goes down:
/// `At::root("lock file").field("packages").field("a")`.
#[derive(Clone, Copy)]
pub struct At<'p> {
    what: &'p str,
    parent: Option<&'p At<'p>>,
    seg: Seg<'p>,
}

#[derive(Clone, Copy)]
enum Seg<'p> {
    Root,
    Field(&'p str),
    Index(usize),
}

impl<'p> At<'p> {
    /// The document itself; `what` names it ("manifest.json", "lock file").
    pub fn root(what: &'p str) -> At<'p> {
        At {
            what,
            parent: None,
            seg: Seg::Root,
        }
    }

    /// The member `name` of the object here.
    pub fn field(&'p self, name: &'p str) -> At<'p> {
        At {
            what: self.what,
            parent: Some(self),
            seg: Seg::Field(name),
        }
    }

    /// The item `i` of the array here.
    pub fn index(&'p self, i: usize) -> At<'p> {
        At {
            what: self.what,
            parent: Some(self),
            seg: Seg::Index(i),
        }
    }

    /// A `MALFORMED` error about the value here.
    pub fn malformed(&self, why: impl fmt::Display) -> Error {
        Error::new(ErrorCode::Malformed, format!("{self}: {why}"))
    }

    /// The error for a value of the wrong type.
    pub fn wrong_type(&self, expected: &str, found: &Value<'_>) -> Error {
        self.malformed(format_args!("expected {expected}, found {}", found.kind()))
    }

    fn write_path(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.parent {
            p.write_path(f)?;
        }
        match self.seg {
            Seg::Root => Ok(()),
            Seg::Field(name) => {
                if matches!(self.parent.map(|p| p.seg), Some(Seg::Root) | None) {
                    write!(f, "{name}")
                } else {
                    write!(f, ".{name}")
                }
            }
            Seg::Index(i) => write!(f, "[{i}]"),
        }
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)?;
        if !matches!(self.seg, Seg::Root) {
            f.write_str(": ")?;
            self.write_path(f)?;
        }
        Ok(())
    }
}

impl<'a> Value<'a> {
    /// The string here, or a refusal naming `at`.
    pub fn into_str(self, at: &At<'_>) -> Result<Cow<'a, str>> {
        match self {
            Value::String(s) => Ok(s),
            other => Err(at.wrong_type("a string", &other)),
        }
    }

    /// The string here as an owned `String`.
    pub fn into_string(self, at: &At<'_>) -> Result<String> {
        self.into_str(at).map(Cow::into_owned)
    }

    /// The unsigned integer here.
    pub fn into_u64(self, at: &At<'_>) -> Result<u64> {
        match self {
            Value::U64(n) => Ok(n),
            other => Err(at.wrong_type("an unsigned integer", &other)),
        }
    }

    /// The boolean here.
    pub fn into_bool(self, at: &At<'_>) -> Result<bool> {
        match self {
            Value::Bool(b) => Ok(b),
            other => Err(at.wrong_type("a boolean", &other)),
        }
    }

    /// The items of the array here.
    pub fn into_array(self, at: &At<'_>) -> Result<Vec<Value<'a>>> {
        match self {
            Value::Array(a) => Ok(a),
            other => Err(at.wrong_type("an array", &other)),
        }
    }

    /// The members of the object here, in order (keys unique: the reader refused repeats).
    pub fn into_members(self, at: &At<'_>) -> Result<Vec<(Cow<'a, str>, Value<'a>)>> {
        match self {
            Value::Object(m) => Ok(m),
            other => Err(at.wrong_type("an object", &other)),
        }
    }

    /// The object here, to take its fields by name.
    pub fn into_fields(self, at: &At<'_>) -> Result<Fields<'a>> {
        Ok(Fields {
            members: self
                .into_members(at)?
                .into_iter()
                .map(|(k, v)| (k, Some(v)))
                .collect(),
        })
    }

    /// The items of the array here, each read by `read` at its place (`at[i]`).
    pub fn into_items<T>(
        self,
        at: &At<'_>,
        mut read: impl FnMut(Value<'a>, &At<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let items = self.into_array(at)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, v) in items.into_iter().enumerate() {
            out.push(read(v, &at.index(i))?);
        }
        Ok(out)
    }

    /// The members of the object here by key, each value read by `read` at its place
    /// (`at.key`).
    pub fn into_map<T>(
        self,
        at: &At<'_>,
        mut read: impl FnMut(Value<'a>, &At<'_>) -> Result<T>,
    ) -> Result<BTreeMap<String, T>> {
        let mut out = BTreeMap::new();
        for (k, v) in self.into_members(at)? {
            let t = read(v, &at.field(&k))?;
            out.insert(k.into_owned(), t);
        }
        Ok(out)
    }

    /// An array of strings.
    pub fn into_strings(self, at: &At<'_>) -> Result<Vec<String>> {
        self.into_items(at, |v, at| v.into_string(at))
    }
}

/// An object's members taken by name; [`Fields::end`] refuses any left over.
pub struct Fields<'a> {
    members: Vec<(Cow<'a, str>, Option<Value<'a>>)>,
}

impl<'a> Fields<'a> {
    /// The member `key`, if present (removed from what is left).
    pub fn take(&mut self, key: &str) -> Option<Value<'a>> {
        self.members
            .iter_mut()
            .find(|(k, v)| k == key && v.is_some())
            .and_then(|(_, v)| v.take())
    }

    /// The member `key`; absent or `null` is `None` (an optional field).
    pub fn optional(&mut self, key: &str) -> Option<Value<'a>> {
        match self.take(key) {
            None | Some(Value::Null) => None,
            some => some,
        }
    }

    /// The member `key`, which must be present.
    pub fn required(&mut self, key: &str, at: &At<'_>) -> Result<Value<'a>> {
        self.take(key)
            .ok_or_else(|| at.malformed(format_args!("missing field `{key}`")))
    }

    /// The string member `key`.
    pub fn string(&mut self, key: &str, at: &At<'_>) -> Result<String> {
        self.required(key, at)?.into_string(&at.field(key))
    }

    /// The unsigned integer member `key`.
    pub fn u64(&mut self, key: &str, at: &At<'_>) -> Result<u64> {
        self.required(key, at)?.into_u64(&at.field(key))
    }

    /// The boolean member `key`.
    pub fn bool(&mut self, key: &str, at: &At<'_>) -> Result<bool> {
        self.required(key, at)?.into_bool(&at.field(key))
    }

    /// The string member `key` when present and not `null`.
    pub fn opt_string(&mut self, key: &str, at: &At<'_>) -> Result<Option<String>> {
        self.optional(key)
            .map(|v| v.into_string(&at.field(key)))
            .transpose()
    }

    /// The unsigned integer member `key` when present and not `null`.
    pub fn opt_u64(&mut self, key: &str, at: &At<'_>) -> Result<Option<u64>> {
        self.optional(key)
            .map(|v| v.into_u64(&at.field(key)))
            .transpose()
    }

    /// Refuses the members nobody took (`deny_unknown_fields`).
    pub fn end(self, at: &At<'_>) -> Result<()> {
        match self.members.iter().find(|(_, v)| v.is_some()) {
            Some((k, _)) => Err(at.malformed(format_args!("unknown field `{k}`"))),
            None => Ok(()),
        }
    }
}
