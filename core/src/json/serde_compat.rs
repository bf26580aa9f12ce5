//! Strict JSON plumbing shared by the manifest, lock file and revocation parsers: a map type
//! that refuses duplicate keys (serde's derive already refuses duplicate struct fields and, with
//! `deny_unknown_fields`, unknown ones; serde_json refuses trailing data), a version probe,
//! and the conversion of serde errors into `MALFORMED`.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::error::{fail, Error, ErrorCode, Result};

/// A JSON object with string keys that refuses duplicate keys when parsed; sorted by key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UniqueMap<V>(pub BTreeMap<String, V>);

impl<V> Default for UniqueMap<V> {
    fn default() -> Self {
        UniqueMap(BTreeMap::new())
    }
}

impl<V> UniqueMap<V> {
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for UniqueMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        struct V2<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = UniqueMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut access: A,
            ) -> core::result::Result<Self::Value, A::Error> {
                let mut map = BTreeMap::new();
                while let Some((k, v)) = access.next_entry::<String, V>()? {
                    if map.contains_key(&k) {
                        return Err(serde::de::Error::custom(format!("duplicate key {k:?}")));
                    }
                    map.insert(k, v);
                }
                Ok(UniqueMap(map))
            }
        }
        d.deserialize_map(V2(PhantomData))
    }
}

impl<V: Serialize> Serialize for UniqueMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Reads the version field `field` of a JSON document before the strict parse, so that a newer
/// version is refused as `UNSUPPORTED_VERSION` rather than as unknown fields.
pub(crate) fn probe_version(
    bytes: &[u8],
    field: &'static str,
    what: &str,
    supported: u64,
) -> Result<()> {
    probe_version_in(bytes, field, what, supported, supported).map(|_| ())
}

/// Like [`probe_version`], for a reader of every version from `oldest` to `newest`: returns
/// the version found.
pub(crate) fn probe_version_in(
    bytes: &[u8],
    field: &'static str,
    what: &str,
    oldest: u64,
    newest: u64,
) -> Result<u64> {
    struct Probe {
        version: Option<u64>,
    }
    struct ProbeVisitor(&'static str);
    impl<'de> Visitor<'de> for ProbeVisitor {
        type Value = Probe;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(
            self,
            mut access: A,
        ) -> core::result::Result<Probe, A::Error> {
            let mut version = None;
            while let Some(k) = access.next_key::<String>()? {
                if k == self.0 {
                    if version.is_some() {
                        return Err(serde::de::Error::custom(format!("duplicate key {k:?}")));
                    }
                    version = Some(access.next_value::<u64>()?);
                } else {
                    access.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(Probe { version })
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let probe = de
        .deserialize_map(ProbeVisitor(field))
        .map_err(|e| malformed(what, &e))?;
    match probe.version {
        None => fail(ErrorCode::Malformed, format!("{what}: missing the {field:?} version field")),
        Some(v) if (oldest..=newest).contains(&v) => Ok(v),
        Some(v) if oldest == newest => fail(ErrorCode::UnsupportedVersion, format!("{what}: {field:?} version {v} is not supported (this build reads version {newest})")),
        Some(v) => fail(ErrorCode::UnsupportedVersion, format!("{what}: {field:?} version {v} is not supported (this build reads versions {oldest} to {newest})")),
    }
}

/// Strictly parses `bytes` as `T` (trailing data refused).
pub(crate) fn from_slice<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| malformed(what, &e))
}

/// Serialises `value` deterministically: 2-space pretty JSON and a final newline.
pub(crate) fn to_pretty<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising our own plain structs into a Vec cannot fail.
    let mut out = serde_json::to_vec_pretty(value).unwrap_or_default();
    out.push(b'\n');
    out
}

fn malformed(what: &str, e: &serde_json::Error) -> Error {
    Error::new(ErrorCode::Malformed, format!("{what}: {e}"))
}
