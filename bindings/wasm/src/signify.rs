//! `verifySignify`: a detached signify signature (`signify -S`) over a message, checked by
//! omega-core's `signify::verify_detached`; this file only converts arguments.

use wasm_bindgen::prelude::*;

use crate::convert::{self, core};

/// Verifies a detached signify signature (`signatureText`: the contents of a `.sig` file made
/// by `signify -S`) over `message` with `publicKey` (key-file text or the bare `RW…` line):
/// signify's parsing rules, omega's strict Ed25519. Throws an `OmegaError`
/// (`SIGNATURE_INVALID`, `KEY_NOT_TRUSTED` for another key number, `MALFORMED` …) when it does
/// not verify.
#[wasm_bindgen(js_name = verifySignify)]
pub fn verify_signify(
    #[wasm_bindgen(unchecked_param_type = "OmegaBytes | string")] message: JsValue,
    #[wasm_bindgen(js_name = signatureText, unchecked_param_type = "string | OmegaBytes")]
    signature: JsValue,
    #[wasm_bindgen(js_name = publicKey, unchecked_param_type = "string")] public_key: JsValue,
) -> Result<(), JsValue> {
    let key = convert::public_key(&public_key, "publicKey")?;
    let message = convert::bytes(&message, "message", true)?;
    let signature = convert::bytes(&signature, "signatureText", true)?;
    omega_core::signify::verify_detached(&key, &message, &signature, "signature").map_err(core)
}
