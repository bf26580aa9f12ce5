//! `verifySignify`: a detached signify signature (`signify -S`) over a message, checked by
//! omega-core's `signify::verify_detached` (signify's own parsing rules, omega's strict Ed25519).

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use serde_json::Value;

use crate::envelope::envelope;

/// Verifies `signature_text` (the contents of a `.sig` file made by `signify -S`) over
/// `message` with `public_key` (key-file text or the bare `RW…` line). The envelope's value is
/// `null`; refusals are `SIGNATURE_INVALID`, `KEY_NOT_TRUSTED` (another key number),
/// `MALFORMED`, `UNSUPPORTED_VERSION` or `TOO_LARGE`.
#[napi]
pub fn verify_signify(message: Buffer, signature_text: Buffer, public_key: String) -> String {
    envelope((|| {
        let key = omega_core::PublicKey::parse(public_key.as_bytes())?;
        omega_core::signify::verify_detached(&key, &message, &signature_text, "signature")?;
        Ok(Value::Null)
    })())
}
