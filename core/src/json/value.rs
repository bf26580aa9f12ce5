//! The JSON value tree every core format is read from and written to: objects keep their
//! members in order (the order they were read, or the order a writer put them in), strings
//! borrow from the input when they hold no escapes, and numbers are what our formats use —
//! unsigned 64-bit integers — or, read from input, the validated text of any other number
//! (which every typed accessor refuses).

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

/// A JSON value. `'a` is the input it was read from (`'static` for values built to write).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number in 0..=u64::MAX written without fraction or exponent.
    U64(u64),
    /// Any other number (negative, fractional, exponent, too large), as its text: kept so
    /// that a refusal can say what was found; never written by core.
    OtherNumber(Cow<'a, str>),
    /// A string.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Value<'a>>),
    /// An object, members in order; read objects never hold a key twice.
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

impl<'a> Value<'a> {
    /// A string value that owns its text.
    pub fn string(s: impl Into<String>) -> Value<'static> {
        Value::String(Cow::Owned(s.into()))
    }

    /// A string value borrowing `s`.
    pub fn str(s: &'a str) -> Value<'a> {
        Value::String(Cow::Borrowed(s))
    }

    /// `null` for `None`, else `f(value)`.
    pub fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> Value<'a>) -> Value<'a> {
        v.map_or(Value::Null, f)
    }

    /// An array of strings.
    pub fn strings<I, S>(items: I) -> Value<'static>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Value::Array(items.into_iter().map(Value::string).collect())
    }

    /// What kind of value this is, for messages ("a string", "an object", …).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::U64(_) => "an unsigned integer",
            Value::OtherNumber(_) => "a number that is not an unsigned 64-bit integer",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// The member `key` of an object (`None` for other values or a missing key).
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is an unsigned integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::U64(n) => Some(*n),
            _ => None,
        }
    }

    /// The same value owning all its text.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::U64(n) => Value::U64(n),
            Value::OtherNumber(t) => Value::OtherNumber(Cow::Owned(t.into_owned())),
            Value::String(s) => Value::String(Cow::Owned(s.into_owned())),
            Value::Array(a) => Value::Array(a.into_iter().map(Value::into_owned).collect()),
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
        }
    }
}

impl From<u64> for Value<'_> {
    fn from(n: u64) -> Self {
        Value::U64(n)
    }
}

impl From<u32> for Value<'_> {
    fn from(n: u32) -> Self {
        Value::U64(u64::from(n))
    }
}

impl From<usize> for Value<'_> {
    fn from(n: usize) -> Self {
        Value::U64(n as u64)
    }
}

impl From<bool> for Value<'_> {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Value::String(Cow::Owned(s))
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::String(Cow::Borrowed(s))
    }
}

/// Builds an object member by member, in the order written.
#[derive(Default)]
pub struct ObjectBuilder<'a>(Vec<(Cow<'a, str>, Value<'a>)>);

impl<'a> ObjectBuilder<'a> {
    /// An empty object.
    pub fn new() -> Self {
        ObjectBuilder(Vec::new())
    }

    /// Adds `key: value`.
    pub fn field(mut self, key: &'a str, value: impl Into<Value<'a>>) -> Self {
        self.0.push((Cow::Borrowed(key), value.into()));
        self
    }

    /// Adds `key: value` when `value` is `Some` (an absent member, not `null`).
    pub fn field_if<V: Into<Value<'a>>>(self, key: &'a str, value: Option<V>) -> Self {
        match value {
            Some(v) => self.field(key, v),
            None => self,
        }
    }

    /// Adds a member whose key is owned text.
    pub fn entry(mut self, key: String, value: impl Into<Value<'a>>) -> Self {
        self.0.push((Cow::Owned(key), value.into()));
        self
    }

    /// Adds `key: value` in place.
    pub fn push(&mut self, key: impl Into<Cow<'a, str>>, value: impl Into<Value<'a>>) {
        self.0.push((key.into(), value.into()));
    }

    /// The object.
    pub fn build(self) -> Value<'a> {
        Value::Object(self.0)
    }
}
