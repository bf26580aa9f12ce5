//! `verifyEd25519Batch` (feature `full`: the full browser module and pkg-node, not the
//! browser's verifier module, whose size budget it does not fit): many raw signatures, each
//! verdict exactly `verifyEd25519`'s (`omega_core::ed25519::verify_batch_strict`).

use js_sys::Array;
use omega_core::ed25519::{verify_batch_strict, BatchItem};
use omega_core::{KeyId, PublicKey};
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::errors::expected;

/// Verifies many raw Ed25519 signatures at once, `items` = `[{publicKey, message,
/// signature}]`; returns one boolean per item, each exactly `verifyEd25519`'s verdict
/// (docs/ed25519.md §5: about 1.25× faster than one by one).
#[wasm_bindgen(js_name = verifyEd25519Batch, unchecked_return_type = "boolean[]")]
pub fn verify_ed25519_batch(
    #[wasm_bindgen(unchecked_param_type = "OmegaBatchItem[]")] items: JsValue,
) -> Result<Array, JsValue> {
    if !Array::is_array(&items) {
        return Err(expected(
            "items",
            "an array of {publicKey, message, signature}",
        ));
    }
    let items: &Array = items.unchecked_ref();
    let mut parsed: Vec<RawItem> = Vec::with_capacity(items.length() as usize);
    for (i, item) in items.iter().enumerate() {
        if !item.is_object() {
            return Err(expected(
                &format!("items[{i}]"),
                "an object {publicKey, message, signature}",
            ));
        }
        let field = |k: &str| js_sys::Reflect::get(&item, &JsValue::from_str(k));
        let pk = convert::bytes(
            &field("publicKey")?,
            &format!("items[{i}].publicKey"),
            false,
        )?;
        let message = convert::bytes(&field("message")?, &format!("items[{i}].message"), true)?;
        let sig = convert::bytes(
            &field("signature")?,
            &format!("items[{i}].signature"),
            false,
        )?;
        // Batch items carry minisign keys; a raw key gets an all-zero key id, which the
        // verification never reads.
        let key = <[u8; 32]>::try_from(pk.as_slice())
            .ok()
            .and_then(|k| PublicKey::from_parts(KeyId([0; 8]), &k).ok());
        let signature = <[u8; 64]>::try_from(sig.as_slice()).ok();
        parsed.push(RawItem {
            key,
            message,
            signature,
        });
    }
    // Items whose key or signature cannot even be decoded are `false`, as in
    // `verify_strict_raw`; the rest go to the batch.
    let (index, batch): (Vec<usize>, Vec<BatchItem<'_>>) = parsed
        .iter()
        .enumerate()
        .filter_map(|(i, it)| match (&it.key, &it.signature) {
            (Some(key), Some(signature)) => Some((
                i,
                BatchItem {
                    key,
                    message: &it.message,
                    signature,
                },
            )),
            _ => None,
        })
        .unzip();
    let mut out = vec![false; parsed.len()];
    for (i, ok) in index.into_iter().zip(verify_batch_strict(&batch)) {
        out[i] = ok;
    }
    Ok(out.into_iter().map(JsValue::from_bool).collect())
}

/// One item of `verifyEd25519Batch`, decoded: the key (`None` when it is not 32 bytes or not a
/// curve point) and the signature (`None` when it is not 64 bytes).
struct RawItem {
    key: Option<PublicKey>,
    message: Vec<u8>,
    signature: Option<[u8; 64]>,
}
