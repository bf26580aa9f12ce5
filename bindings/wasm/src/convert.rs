//! JavaScript values to omega-core types: byte inputs, file lists, pins. Type checks only; every
//! rule about what is valid (paths, digests, keys, thresholds) is omega-core's.

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use omega_core::{Error, LegacyPolicy, Pins, PublicKey, TreeDigest};
use wasm_bindgen::{JsCast, JsValue};

use crate::errors::{expected, to_js, type_error};

/// Bytes are copied into WebAssembly memory in pieces of this size when only a digest of them
/// is needed, so that hashing a large input does not grow the module's memory.
const CHUNK: usize = 64 * 1024;

/// A byte argument: a `Uint8Array` (a Node `Buffer` is one), any other `ArrayBuffer` view, an
/// `ArrayBuffer`, or, when `strings` allows it, a string (its UTF-8 encoding).
fn view(value: &JsValue, what: &str, strings: bool) -> Result<Uint8Array, JsValue> {
    if let Some(u8s) = value.dyn_ref::<Uint8Array>() {
        return Ok(u8s.clone());
    }
    if ArrayBuffer::is_view(value) {
        // Any typed array or DataView: the same bytes, seen as a Uint8Array (`buffer`,
        // `byteOffset` and `byteLength` are plain property reads on every view).
        let v: &Uint8Array = value.unchecked_ref();
        return Ok(Uint8Array::new_with_byte_offset_and_length(
            &v.buffer(),
            v.byte_offset(),
            v.byte_length(),
        ));
    }
    if value.is_instance_of::<ArrayBuffer>() {
        return Ok(Uint8Array::new(value));
    }
    Err(expected(
        what,
        if strings {
            "a Uint8Array, an ArrayBuffer or a string"
        } else {
            "a Uint8Array or an ArrayBuffer"
        },
    ))
}

/// A byte argument copied into WebAssembly memory (strings allowed when `strings`).
pub fn bytes(value: &JsValue, what: &str, strings: bool) -> Result<Vec<u8>, JsValue> {
    if let Some(u8s) = value.dyn_ref::<Uint8Array>() {
        return Ok(u8s.to_vec());
    }
    if strings {
        if let Some(s) = value.as_string() {
            return Ok(s.into_bytes());
        }
    }
    Ok(view(value, what, strings)?.to_vec())
}

/// Feeds a byte argument (or a string's UTF-8) to `sink` in pieces of at most [`CHUNK`]
/// bytes, without copying all of it into WebAssembly memory at once.
pub fn for_each_chunk(
    value: &JsValue,
    what: &str,
    mut sink: impl FnMut(&[u8]),
) -> Result<(), JsValue> {
    let all = match value.dyn_ref::<Uint8Array>() {
        Some(u8s) => u8s.clone(),
        None => {
            if let Some(s) = value.as_string() {
                sink(s.as_bytes());
                return Ok(());
            }
            view(value, what, true)?
        }
    };
    let len = all.length();
    if len as usize <= CHUNK {
        sink(&all.to_vec());
        return Ok(());
    }
    let mut buf = vec![0u8; CHUNK];
    let mut start = 0u32;
    while start < len {
        let end = start.saturating_add(CHUNK as u32).min(len);
        let piece = &mut buf[..(end - start) as usize];
        all.subarray(start, end).copy_to(piece);
        sink(piece);
        start = end;
    }
    Ok(())
}

/// A string argument (a public key, a signature file, a label).
fn string(value: &JsValue, what: &str) -> Result<String, JsValue> {
    value.as_string().ok_or_else(|| expected(what, "a string"))
}

/// Reads `key` of a JS object (undefined when absent).
fn get(obj: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    Reflect::get(obj, &JsValue::from_str(key))
}

fn absent(v: &JsValue) -> bool {
    v.is_undefined() || v.is_null()
}

/// A core error as the JS error to throw.
pub fn core(err: Error) -> JsValue {
    to_js(&err)
}

/// One file of a `files` argument: path, executable bit, contents.
pub type InputFile = (String, bool, Vec<u8>);

/// `files` = `[{path, data, executable?}]`: `path` a string, `data` bytes or a string (UTF-8),
/// `executable` a boolean (default false). Other properties are ignored.
pub fn files(value: &JsValue) -> Result<Vec<InputFile>, JsValue> {
    if !Array::is_array(value) {
        return Err(expected("files", "an array of {path, data, executable?}"));
    }
    let arr: &Array = value.unchecked_ref();
    let mut out = Vec::with_capacity(arr.length() as usize);
    for (i, item) in arr.iter().enumerate() {
        if !item.is_object() {
            return Err(expected(
                &format!("files[{i}]"),
                "an object {path, data, executable?}",
            ));
        }
        let path = string(&get(&item, "path")?, &format!("files[{i}].path"))?;
        let data = bytes(&get(&item, "data")?, &format!("files[{i}].data"), true)?;
        let exec = get(&item, "executable")?;
        let executable = if absent(&exec) {
            false
        } else {
            exec.as_bool()
                .ok_or_else(|| expected(&format!("files[{i}].executable"), "a boolean"))?
        };
        out.push((path, executable, data));
    }
    Ok(out)
}

/// Parses one public key: a minisign/signify key file's text or the bare `RW…` line.
pub fn public_key(value: &JsValue, what: &str) -> Result<PublicKey, JsValue> {
    let text = bytes(value, what, true)?;
    PublicKey::parse(&text).map_err(core)
}

/// `legacy`: absent or a boolean; `true` allows legacy (`Ed`) signature blocks.
fn legacy(value: &JsValue, what: &str) -> Result<LegacyPolicy, JsValue> {
    if absent(value) {
        return Ok(LegacyPolicy::Refuse);
    }
    match value.as_bool() {
        Some(true) => Ok(LegacyPolicy::Allow),
        Some(false) => Ok(LegacyPolicy::Refuse),
        None => Err(expected(what, "a boolean")),
    }
}

/// Refuses option names that are not in `known`: a misspelt `keys` must not silently leave a
/// package unpinned.
fn only_known(options: &JsValue, known: &[&str], what: &str) -> Result<(), JsValue> {
    if absent(options) {
        return Ok(());
    }
    if !options.is_object() || Array::is_array(options) {
        return Err(expected(what, "an object"));
    }
    for key in Object::keys(options.unchecked_ref::<Object>()).iter() {
        let name = key.as_string().unwrap_or_default();
        if !known.contains(&name.as_str()) {
            return Err(type_error(format!(
                "{what}: unknown option {name:?} (known: {})",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// `{legacy?}` for `verifyMinisign`.
pub fn minisign_options(options: &JsValue) -> Result<LegacyPolicy, JsValue> {
    only_known(options, &["legacy"], "options")?;
    if absent(options) {
        return Ok(LegacyPolicy::Refuse);
    }
    legacy(&get(options, "legacy")?, "options.legacy")
}

/// What a check pins, plus the label its messages use.
pub struct CheckOptions {
    /// The pins handed to omega-core.
    pub pins: Pins,
    /// Names the package in messages until its manifest is read.
    pub label: String,
}

/// `{digest?, keys?, threshold?, legacy?, label?}`: `digest` a `b2tree:` string; `keys` an
/// array of public keys (`RW…` or key-file text; one string is one key); `threshold` an
/// integer, 1 by default when keys are given. Whether the pins make sense (something pinned,
/// threshold in range) is omega-core's call.
pub fn check_options(options: &JsValue, default_label: &str) -> Result<CheckOptions, JsValue> {
    only_known(
        options,
        &["digest", "keys", "threshold", "legacy", "label"],
        "options",
    )?;
    let mut out = CheckOptions {
        pins: Pins::default(),
        label: default_label.to_string(),
    };
    if absent(options) {
        return Ok(out);
    }
    let digest = get(options, "digest")?;
    if !absent(&digest) {
        let text = string(&digest, "options.digest")?;
        out.pins.digest = Some(TreeDigest::parse(&text).map_err(core)?);
    }
    let keys = get(options, "keys")?;
    if absent(&keys) {
        // Nothing pinned by key.
    } else if keys.is_string() {
        out.pins.keys.push(public_key(&keys, "options.keys")?);
    } else if Array::is_array(&keys) {
        let arr: &Array = keys.unchecked_ref();
        for (i, k) in arr.iter().enumerate() {
            if !k.is_string() {
                return Err(expected(&format!("options.keys[{i}]"), "a string"));
            }
            out.pins
                .keys
                .push(public_key(&k, &format!("options.keys[{i}]"))?);
        }
    } else {
        return Err(expected(
            "options.keys",
            "an array of public keys (strings)",
        ));
    }
    let threshold = get(options, "threshold")?;
    let threshold = if absent(&threshold) {
        None
    } else {
        match threshold.as_f64() {
            Some(t) if t.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&t) => {
                Some(t as u32)
            }
            _ => return Err(expected("options.threshold", "a non-negative integer")),
        }
    };
    let legacy = legacy(&get(options, "legacy")?, "options.legacy")?;
    let (digest, keys) = (out.pins.digest.take(), core::mem::take(&mut out.pins.keys));
    out.pins = Pins::new(digest, keys, threshold, legacy);
    let label = get(options, "label")?;
    if !absent(&label) {
        out.label = string(&label, "options.label")?;
    }
    Ok(out)
}
