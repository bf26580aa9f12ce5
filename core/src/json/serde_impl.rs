//! (feature `serde`) [`Value`] and the report shapes as `serde::Serialize`, for callers that
//! build their own output with serde_json (the CLI, the Node, Python and Swift bindings):
//! `serde_json::json!({"report": report.to_json()})` keeps core's member order. Core itself
//! neither reads nor writes through serde; the WebAssembly build has no serde at all.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::value::Value;
use crate::report::{ProblemJson, ReportJson, SignatureReportJson};

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::U64(n) => s.serialize_u64(*n),
            // Only the reader makes these; written back as the number they were.
            Value::OtherNumber(t) => match t.parse::<i64>() {
                Ok(n) => s.serialize_i64(n),
                Err(_) => s.serialize_f64(t.parse::<f64>().unwrap_or(0.0)),
            },
            Value::String(t) => s.serialize_str(t),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k.as_ref(), v)?;
                }
                map.end()
            }
        }
    }
}

impl Serialize for ReportJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl Serialize for ProblemJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl Serialize for SignatureReportJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}
