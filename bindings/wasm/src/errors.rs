//! Errors to JavaScript: every omega-core error becomes a JS `Error` whose `message` is the
//! core's text (`CODE: message`, as Node's own `ENOENT: …` errors read), with `.code` the
//! DESIGN §4 string, `.kind` core's class of the code (`ErrorCode::kind`) and, for a failed
//! package check, `.report` the report object (the shape of `Error::json`, shared by the CLI's
//! `--json` and every binding, keys in the same order).
//!
//! Arguments of the wrong JavaScript type throw a `TypeError`, also with `.code = "MALFORMED"`,
//! so that every error this module throws carries a DESIGN §4 code.

use js_sys::Reflect;
use omega_core::json::Value;
use omega_core::{Error, ErrorCode, ReportJson};
use wasm_bindgen::JsValue;

/// A JSON value (omega-core's `json::Value`, from a `to_json`) as the plain JS value
/// `JSON.parse` would give for its text, built directly, members in core's order.
pub fn json_to_js(value: &Value<'_>) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        // Counts and sequence numbers; a u64 above 2^53 loses precision as in JSON.parse.
        Value::U64(n) => JsValue::from_f64(*n as f64),
        // Core never builds these (only its reader keeps them); as JSON.parse reads them.
        Value::OtherNumber(t) => js_sys::JSON::parse(t).unwrap_or(JsValue::NULL),
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => items
            .iter()
            .map(json_to_js)
            .collect::<js_sys::Array>()
            .into(),
        Value::Object(map) => {
            let obj: JsValue = js_sys::Object::new().into();
            for (k, v) in map {
                set(&obj, k, &json_to_js(v));
            }
            obj
        }
    }
}

/// A report object (omega-core's [`ReportJson`]) as the JS object `JSON.parse` gives for the
/// CLI's `--json` text: keys in core's declared order.
pub fn report_to_js(report: &ReportJson<'_>) -> JsValue {
    json_to_js(&report.value())
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// An omega-core error as a JS `Error` with `.code`, `.kind` (core's `ErrorCode::kind`:
/// `"verification"`, `"malformed"`, `"not_found"` or `"io"`) and, when it carries one,
/// `.report`.
pub fn to_js(err: &Error) -> JsValue {
    let js: JsValue = js_sys::Error::new(&err.to_string()).into();
    set(&js, "code", &JsValue::from_str(err.code().as_str()));
    set(&js, "kind", &JsValue::from_str(err.code().kind().as_str()));
    if err.report().is_some() {
        set(&js, "report", &report_to_js(&err.json()));
    }
    js
}

/// A `TypeError` for an argument of the wrong JS type, with `.code = "MALFORMED"` (and its
/// `.kind`).
pub fn type_error(message: impl Into<String>) -> JsValue {
    let message: String = message.into();
    let js: JsValue = js_sys::TypeError::new(&message).into();
    set(
        &js,
        "code",
        &JsValue::from_str(ErrorCode::Malformed.as_str()),
    );
    set(
        &js,
        "kind",
        &JsValue::from_str(ErrorCode::Malformed.kind().as_str()),
    );
    js
}

/// The error to throw when a JS value is not what an argument needs.
pub fn expected(what: &str, wanted: &str) -> JsValue {
    let mut m = what.to_string();
    m.push_str(" must be ");
    m.push_str(wanted);
    type_error(m)
}
