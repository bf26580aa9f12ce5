//! Results as JSON text for `lib/native.js`: `{"ok":true,"value":…}`, or
//! `{"ok":false,"error":<Error::to_json()>,"report":<bool>}` where `report` says whether the
//! error carries a check report (then `error` holds the report's fields, DESIGN §3.4).

use omega_core::Error;
use serde_json::{json, Value};

/// What a function computes: a JSON value, or a core error.
pub type Outcome = Result<Value, Error>;

/// The envelope text of `outcome`.
pub fn envelope(outcome: Outcome) -> String {
    match outcome {
        Ok(value) => json!({ "ok": true, "value": value }).to_string(),
        Err(e) => json!({
            "ok": false,
            "error": e.to_json(),
            "report": e.report().is_some(),
        })
        .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omega_core::ErrorCode;

    #[test]
    fn success_and_failure_shapes() {
        let ok: Value = serde_json::from_str(&envelope(Ok(json!("b2tree:00")))).unwrap();
        assert_eq!(ok, json!({"ok": true, "value": "b2tree:00"}));
        let err: Value = serde_json::from_str(&envelope(Err(Error::new(
            ErrorCode::NotFound,
            "x: not here",
        ))))
        .unwrap();
        assert_eq!(err["ok"], json!(false));
        assert_eq!(err["report"], json!(false));
        assert_eq!(err["error"]["code"], json!("NOT_FOUND"));
        assert_eq!(err["error"]["message"], json!("x: not here"));
    }
}
