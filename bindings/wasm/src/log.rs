//! Log verification (REGISTRY.md R8, issue 15) for browsers and Node's WASM engine: signed
//! notes, checkpoints under a tlog-policy, index notes, RFC 6962 proofs (given, or built from
//! tile bytes the host fetched with `fetch`), entry bundles, registry statements and entries,
//! and the replay of a log. Each export converts its arguments, calls one omega-core function
//! and converts the result; every rule is core's, errors are core's (`.code`: `NOT_IN_LOG`,
//! `LOG_INCONSISTENT`, `QUORUM_NOT_MET`, `STALE`, …).
//!
//! Hashes are lowercase hex strings (inputs and outputs), sizes and indexes numbers
//! (non-negative safe integers), bytes `OmegaBytes` (or a string's UTF-8), `tiles` a `Map` or
//! a plain object from tile path to bytes. The Node package (`bindings/node/lib/log.js`) calls
//! these same exports with the same arguments when its engine is WASM.

use std::collections::BTreeMap;

use js_sys::{Array, Map, Object, Reflect, Uint8Array};
use omega_core::entry::Entry;
use omega_core::hash::{parse_hex32, to_hex};
use omega_core::index::IndexNote;
use omega_core::json::Value;
use omega_core::merkle::{self, Hash};
use omega_core::policy::Policy;
use omega_core::registry::{replay, OnInvalid, ReplayOptions};
use omega_core::report::json_object;
use omega_core::report::KeyStyle;
use omega_core::statement::Statement;
use omega_core::tiles::{self, TileKind, TilePath};
use omega_core::vkey::Vkey;
use omega_core::{bundle, note, Error, ErrorCode};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::convert::{self, core};
use crate::errors::{json_to_js, type_error};

#[wasm_bindgen(typescript_custom_section)]
const TS_LOG_TYPES: &str = r#"
/** Tile path (e.g. "tile/0/x001/234.p/5", "tile/entries/000") -> the bytes served there. */
export type OmegaTiles = Map<string, OmegaBytes> | Record<string, OmegaBytes>;
export interface OmegaVerifiedNote { verified: { name: string; keyId: string; type: number; timestamp: number | null }[] }
/** `state`: "fresh" (asOf: the quorum's time), "not_witnessed" (quorum none), "not_checked" (no `now`). */
export interface OmegaFreshness { state: "fresh" | "not_witnessed" | "not_checked"; asOf: number | null }
export interface OmegaCheckpoint {
  origin: string; size: number; /** hex */ root: string; extensions: string[];
  witnesses: { name: string; time: number }[]; freshness: OmegaFreshness;
  /** the vkey that signed */ logKey: string; /** the whole signed note */ note: string;
}
export interface OmegaPolicy { text: string; logs: string[]; witnesses: { name: string; vkey: string }[] }
export interface OmegaIndex { origin: string; name: string; asOf: number; expires: number; lines: string[]; text: string }
export interface OmegaTilePath { kind: "hashes" | "entries"; level: number | null; index: number; width: number }
export interface OmegaStatement { type: string; name: string | null; text: string }
export interface OmegaEntry { type: string; name: string | null; statement: string; signatures: string[]; text: string }
export interface OmegaReplay {
  verdicts: string[]; errors: { index: number; code: OmegaErrorCode; message: string }[];
  genesis: string | null; state: Record<string, unknown> | null;
}
"#;

const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

fn out(v: omega_core::Result<Value<'_>>) -> Result<JsValue, JsValue> {
    v.map(|v| json_to_js(&v)).map_err(core)
}

fn num(v: &JsValue, what: &str) -> Result<u64, JsValue> {
    match v.as_f64() {
        Some(f) if f.is_finite() && f >= 0.0 && f == (f as u64) as f64 && f <= MAX_SAFE => {
            Ok(f as u64)
        }
        _ => Err(type_error(format!(
            "{what} must be a non-negative safe integer"
        ))),
    }
}

fn opt_num(v: &JsValue, what: &str) -> Result<Option<u64>, JsValue> {
    if v.is_undefined() || v.is_null() {
        Ok(None)
    } else {
        num(v, what).map(Some)
    }
}

fn string(v: &JsValue, what: &str) -> Result<String, JsValue> {
    v.as_string()
        .ok_or_else(|| type_error(format!("{what} must be a string")))
}

fn strings(v: &JsValue, what: &str) -> Result<Vec<String>, JsValue> {
    if !Array::is_array(v) {
        return Err(type_error(format!("{what} must be an array of strings")));
    }
    Array::from(v)
        .iter()
        .enumerate()
        .map(|(i, s)| string(&s, &format!("{what}[{i}]")))
        .collect()
}

fn byte_list(v: &JsValue, what: &str) -> Result<Vec<Vec<u8>>, JsValue> {
    if !Array::is_array(v) {
        return Err(type_error(format!(
            "{what} must be an array of byte arrays"
        )));
    }
    Array::from(v)
        .iter()
        .enumerate()
        .map(|(i, b)| convert::bytes(&b, &format!("{what}[{i}]"), true))
        .collect()
}

fn field(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

fn hashes(list: &[String], what: &str) -> omega_core::Result<Vec<Hash>> {
    list.iter()
        .enumerate()
        .map(|(i, h)| parse_hex32(h, &format!("{what}[{i}]")))
        .collect()
}

fn hex_list(list: &[Hash]) -> Value<'static> {
    Value::strings(list.iter().map(|h| to_hex(h)))
}

fn paths(list: omega_core::Result<Vec<TilePath>>) -> omega_core::Result<Value<'static>> {
    Ok(Value::strings(list?.iter().map(|p| p.to_string())))
}

/// `tiles`: a Map or a plain object, path -> bytes.
fn tile_map(tiles: &JsValue) -> Result<BTreeMap<String, Vec<u8>>, JsValue> {
    let pairs: Array = if let Some(m) = tiles.dyn_ref::<Map>() {
        Array::from(&m.entries().into())
    } else if tiles.is_object() && !Array::is_array(tiles) {
        Object::entries(tiles.unchecked_ref())
    } else {
        return Err(type_error(
            "tiles must be a Map or an object from tile path to bytes",
        ));
    };
    let mut out = BTreeMap::new();
    for pair in pairs.iter() {
        let pair = Array::from(&pair);
        let path = string(&pair.get(0), "tiles key")?;
        let bytes = convert::bytes(&pair.get(1), &format!("tiles[{path}]"), false)?;
        out.insert(path, bytes);
    }
    Ok(out)
}

fn vkeys(keys: &[String]) -> omega_core::Result<Vec<Vkey>> {
    keys.iter().map(|k| Vkey::parse(k)).collect()
}

/// The trusted keys (vkey texts, `name+hex8+base64`) that signed a C2SP signed note (core's
/// `note::open`). Throws `KEY_NOT_TRUSTED` when none did, `SIGNATURE_INVALID` for a bad
/// signature of a trusted key, `MALFORMED`, `TOO_LARGE`.
#[wasm_bindgen(js_name = verifyNote, unchecked_return_type = "OmegaVerifiedNote")]
pub fn verify_note(
    #[wasm_bindgen(unchecked_param_type = "OmegaBytes | string")] note: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string[]")] vkeys_: JsValue,
) -> Result<JsValue, JsValue> {
    let note = convert::bytes(&note, "note", true)?;
    let keys = strings(&vkeys_, "vkeys")?;
    out((|| {
        let (_, verified) = note::open(&note, &vkeys(&keys)?)?;
        let verified = verified
            .iter()
            .map(|v| {
                json_object(vec![
                    ("name", Value::string(v.name.as_str())),
                    ("keyId", Value::string(to_hex(&v.key_id))),
                    ("type", Value::U64(u64::from(v.key_type))),
                    ("timestamp", Value::opt(v.timestamp, Value::U64)),
                ])
            })
            .collect();
        Ok(json_object(vec![("verified", Value::Array(verified))]))
    })())
}

/// A signed checkpoint verified under a tlog-policy (core's `Policy::verify_checkpoint`):
/// the log key's signature, the witness quorum, and, with `now` (Unix seconds), freshness
/// within `maxAge` (default 86400). Without `now`: offline, freshness not checked.
#[wasm_bindgen(js_name = verifyCheckpoint, unchecked_return_type = "OmegaCheckpoint")]
pub fn verify_checkpoint(
    #[wasm_bindgen(unchecked_param_type = "OmegaBytes | string")] note: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] policy: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "{ now?: number | null; maxAge?: number }")]
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let note = convert::bytes(&note, "note", true)?;
    let policy = string(&policy, "policy")?;
    let now = opt_num(&field(&options, "now"), "options.now")?;
    let max_age = opt_num(&field(&options, "maxAge"), "options.maxAge")?.unwrap_or(86_400);
    out((|| {
        let v = Policy::parse(&policy)?.verify_checkpoint(&note, now, max_age)?;
        Ok(v.to_json(KeyStyle::Camel).into_owned())
    })())
}

/// A tlog-policy parsed: its canonical text, log keys and witnesses.
#[wasm_bindgen(js_name = parsePolicy, unchecked_return_type = "OmegaPolicy")]
pub fn parse_policy(
    #[wasm_bindgen(unchecked_param_type = "string")] policy: JsValue,
) -> Result<JsValue, JsValue> {
    let policy = string(&policy, "policy")?;
    out(Policy::parse(&policy).map(|p| {
        let witnesses = p
            .witnesses()
            .iter()
            .map(|w| {
                json_object(vec![
                    ("name", Value::string(w.name.as_str())),
                    ("vkey", Value::string(w.key.to_string())),
                ])
            })
            .collect();
        json_object(vec![
            ("text", Value::string(p.to_text())),
            (
                "logs",
                Value::strings(p.logs().iter().map(|l| l.key.to_string())),
            ),
            ("witnesses", Value::Array(witnesses)),
        ])
    }))
}

/// A per-package index note verified (core's `IndexNote::verify`): signed by `indexKey`, of
/// `origin` and package `name`, `as-of` ≤ `checkpointSize`, and (with `now`) not expired.
#[wasm_bindgen(js_name = verifyIndex, unchecked_return_type = "OmegaIndex")]
pub fn verify_index(
    #[wasm_bindgen(unchecked_param_type = "OmegaBytes | string")] note: JsValue,
    #[wasm_bindgen(js_name = indexKey, unchecked_param_type = "string")] index_key: JsValue,
    #[wasm_bindgen(
        unchecked_param_type = "{ origin: string; name: string; checkpointSize: number; now?: number | null }"
    )]
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let note = convert::bytes(&note, "note", true)?;
    let key = string(&index_key, "indexKey")?;
    let origin = string(&field(&options, "origin"), "options.origin")?;
    let name = string(&field(&options, "name"), "options.name")?;
    let size = num(&field(&options, "checkpointSize"), "options.checkpointSize")?;
    let now = opt_num(&field(&options, "now"), "options.now")?;
    out((|| {
        let i = IndexNote::verify(&note, &Vkey::parse(&key)?, &origin, &name, size, now)?;
        let text = i.to_text();
        Ok(json_object(vec![
            ("origin", Value::string(i.origin)),
            ("name", Value::string(i.name)),
            ("asOf", Value::U64(i.as_of)),
            ("expires", Value::U64(i.expires)),
            ("lines", Value::strings(text.lines().skip(4))),
            ("text", Value::string(text)),
        ]))
    })())
}

/// SHA-256(0x00 ‖ entry), hex: an entry's RFC 6962 leaf hash.
#[wasm_bindgen(js_name = leafHash)]
pub fn leaf_hash(
    #[wasm_bindgen(unchecked_param_type = "OmegaBytes | string")] entry: JsValue,
) -> Result<String, JsValue> {
    Ok(to_hex(&merkle::leaf_hash(&convert::bytes(
        &entry, "entry", true,
    )?)))
}

/// The RFC 6962 root (hex) of the tree of these entries.
#[wasm_bindgen(js_name = merkleRoot)]
pub fn merkle_root(
    #[wasm_bindgen(unchecked_param_type = "(OmegaBytes | string)[]")] entries: JsValue,
) -> Result<String, JsValue> {
    let leaves: Vec<Hash> = byte_list(&entries, "entries")?
        .iter()
        .map(|e| merkle::leaf_hash(e))
        .collect();
    Ok(to_hex(&merkle::root(&leaves)))
}

/// Checks an inclusion proof (core's `merkle::verify_inclusion`); `leaf` is a leaf hash (hex)
/// or the entry's bytes. Returns true; throws `NOT_IN_LOG`, `MALFORMED` (proof length).
#[wasm_bindgen(js_name = verifyInclusion)]
pub fn verify_inclusion(
    #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] size: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | OmegaBytes")] leaf: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string[]")] proof: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] root: JsValue,
) -> Result<bool, JsValue> {
    let index = num(&index, "index")?;
    let size = num(&size, "size")?;
    let leaf = match leaf.as_string() {
        Some(hex) => parse_hex32(&hex, "leafHash").map_err(core)?,
        None => merkle::leaf_hash(&convert::bytes(&leaf, "leaf", false)?),
    };
    let proof = strings(&proof, "proof")?;
    let root = string(&root, "root")?;
    (|| {
        merkle::verify_inclusion(
            index,
            size,
            &leaf,
            &hashes(&proof, "proof")?,
            &parse_hex32(&root, "root")?,
        )
    })()
    .map_err(core)?;
    Ok(true)
}

/// Checks a consistency proof from (`size1`, `root1`) to (`size2`, `root2`) (core's
/// `merkle::verify_consistency`). Returns true; throws `LOG_INCONSISTENT`, `MALFORMED`.
#[wasm_bindgen(js_name = verifyConsistency)]
pub fn verify_consistency(
    #[wasm_bindgen(unchecked_param_type = "number")] size1: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] size2: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] root1: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] root2: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string[]")] proof: JsValue,
) -> Result<bool, JsValue> {
    let (m, n) = (num(&size1, "size1")?, num(&size2, "size2")?);
    let (r1, r2) = (string(&root1, "root1")?, string(&root2, "root2")?);
    let proof = strings(&proof, "proof")?;
    (|| {
        merkle::verify_consistency(
            m,
            n,
            &parse_hex32(&r1, "root1")?,
            &parse_hex32(&r2, "root2")?,
            &hashes(&proof, "proof")?,
        )
    })()
    .map_err(core)?;
    Ok(true)
}

/// The tile paths to fetch to recompute the root of a tree of `size` (its partial tiles).
#[wasm_bindgen(js_name = tilesForRoot, unchecked_return_type = "string[]")]
pub fn tiles_for_root(
    #[wasm_bindgen(unchecked_param_type = "number")] size: JsValue,
) -> Result<JsValue, JsValue> {
    let size = num(&size, "size")?;
    out(paths(Ok(tiles::tiles_for_root(size))))
}

/// The tile paths to fetch to prove entry `index` of the tree of `size`.
#[wasm_bindgen(js_name = tilesForInclusion, unchecked_return_type = "string[]")]
pub fn tiles_for_inclusion(
    #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] size: JsValue,
) -> Result<JsValue, JsValue> {
    let (i, s) = (num(&index, "index")?, num(&size, "size")?);
    out(paths(tiles::tiles_for_inclusion(i, s)))
}

/// The tile paths of the tree of `size2` to fetch for the consistency proof from `size1`.
#[wasm_bindgen(js_name = tilesForConsistency, unchecked_return_type = "string[]")]
pub fn tiles_for_consistency(
    #[wasm_bindgen(unchecked_param_type = "number")] size1: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] size2: JsValue,
) -> Result<JsValue, JsValue> {
    let (m, n) = (num(&size1, "size1")?, num(&size2, "size2")?);
    out(paths(tiles::tiles_for_consistency(m, n)))
}

/// The entry bundle path holding entry `index` of the tree of `size`.
#[wasm_bindgen(js_name = bundleForEntry)]
pub fn bundle_for_entry(
    #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] size: JsValue,
) -> Result<String, JsValue> {
    let (i, s) = (num(&index, "index")?, num(&size, "size")?);
    tiles::bundle_for_entry(i, s)
        .map(|p| p.to_string())
        .map_err(core)
}

/// Entry `index`'s leaf hash and inclusion proof, read from tiles verified against `root`
/// (core's `tiles::prove_inclusion`; the host fetched `tilesForInclusion(index, size)`).
#[wasm_bindgen(
    js_name = proveInclusion,
    unchecked_return_type = "{ leafHash: string; proof: string[] }"
)]
pub fn prove_inclusion(
    #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] size: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] root: JsValue,
    #[wasm_bindgen(unchecked_param_type = "OmegaTiles")] tiles_: JsValue,
) -> Result<JsValue, JsValue> {
    let (i, s) = (num(&index, "index")?, num(&size, "size")?);
    let root = string(&root, "root")?;
    let map = tile_map(&tiles_)?;
    out((|| {
        let (leaf, proof) = tiles::prove_inclusion(i, s, &parse_hex32(&root, "root")?, &map)?;
        Ok(json_object(vec![
            ("leafHash", Value::string(to_hex(&leaf))),
            ("proof", hex_list(&proof)),
        ]))
    })())
}

/// The consistency proof from `size1`, built from tiles of the tree of `size2` verified
/// against `root2` and checked against `root1` (core's `tiles::prove_consistency`).
#[wasm_bindgen(js_name = proveConsistency, unchecked_return_type = "{ proof: string[] }")]
pub fn prove_consistency(
    #[wasm_bindgen(unchecked_param_type = "number")] size1: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] size2: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] root1: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] root2: JsValue,
    #[wasm_bindgen(unchecked_param_type = "OmegaTiles")] tiles_: JsValue,
) -> Result<JsValue, JsValue> {
    let (m, n) = (num(&size1, "size1")?, num(&size2, "size2")?);
    let (r1, r2) = (string(&root1, "root1")?, string(&root2, "root2")?);
    let map = tile_map(&tiles_)?;
    out((|| {
        let proof = tiles::prove_consistency(
            m,
            n,
            &parse_hex32(&r1, "root1")?,
            &parse_hex32(&r2, "root2")?,
            &map,
        )?;
        Ok(json_object(vec![("proof", hex_list(&proof))]))
    })())
}

/// The bytes of entry `index`, proven by its entry bundle and the tiles (core's
/// `tiles::read_entry`; the host fetched `tilesForInclusion` and `bundleForEntry`).
#[wasm_bindgen(js_name = readEntry)]
pub fn read_entry(
    #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] size: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] root: JsValue,
    #[wasm_bindgen(unchecked_param_type = "OmegaTiles")] tiles_: JsValue,
) -> Result<Uint8Array, JsValue> {
    let (i, s) = (num(&index, "index")?, num(&size, "size")?);
    let root = string(&root, "root")?;
    let map = tile_map(&tiles_)?;
    let bytes = (|| tiles::read_entry(i, s, &parse_hex32(&root, "root")?, &map))().map_err(core)?;
    Ok(Uint8Array::from(bytes.as_slice()))
}

/// A tlog-tiles path's kind, level (null for entry bundles), index and width (256 = full).
#[wasm_bindgen(js_name = parseTilePath, unchecked_return_type = "OmegaTilePath")]
pub fn parse_tile_path(
    #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
) -> Result<JsValue, JsValue> {
    let path = string(&path, "path")?;
    out(TilePath::parse(&path).map(|p| {
        let (kind, level) = match p.kind() {
            TileKind::Hashes(level) => ("hashes", Value::U64(u64::from(level))),
            TileKind::Entries => ("entries", Value::Null),
        };
        json_object(vec![
            ("kind", Value::str(kind)),
            ("level", level),
            ("index", Value::U64(p.index())),
            ("width", Value::U64(u64::from(p.width()))),
        ])
    }))
}

/// The entries of an entry bundle of exactly `width` entries (core's `bundle::parse_bundle`).
#[wasm_bindgen(js_name = parseBundle, unchecked_return_type = "Uint8Array[]")]
pub fn parse_bundle(
    #[wasm_bindgen(unchecked_param_type = "OmegaBytes")] bytes: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] width: JsValue,
) -> Result<JsValue, JsValue> {
    let bytes = convert::bytes(&bytes, "bundle", false)?;
    let w = num(&width, "width")?;
    let w = u16::try_from(w).map_err(|_| {
        core(Error::new(
            ErrorCode::Malformed,
            format!("width {w}: over 65535"),
        ))
    })?;
    let entries = bundle::parse_bundle(&bytes, w).map_err(core)?;
    Ok(entries
        .iter()
        .map(|e| JsValue::from(Uint8Array::from(*e)))
        .collect::<Array>()
        .into())
}

/// A registry statement (REGISTRY.md R4): its type, name and canonical text.
#[wasm_bindgen(js_name = parseStatement, unchecked_return_type = "OmegaStatement")]
pub fn parse_statement(
    #[wasm_bindgen(unchecked_param_type = "OmegaBytes | string")] bytes: JsValue,
) -> Result<JsValue, JsValue> {
    let bytes = convert::bytes(&bytes, "statement", true)?;
    out(Statement::parse(&bytes).map(|st| {
        json_object(vec![
            ("type", Value::str(st.kind())),
            ("name", Value::opt(st.name(), Value::string)),
            (
                "text",
                Value::string(String::from_utf8_lossy(&st.to_bytes())),
            ),
        ])
    }))
}

/// A log entry (REGISTRY.md R4): its statement, the key IDs of its signature blocks, and its
/// canonical text. Signatures are checked by `replayLog` (they need the state).
#[wasm_bindgen(js_name = parseEntry, unchecked_return_type = "OmegaEntry")]
pub fn parse_entry(
    #[wasm_bindgen(unchecked_param_type = "OmegaBytes | string")] bytes: JsValue,
) -> Result<JsValue, JsValue> {
    let bytes = convert::bytes(&bytes, "entry", true)?;
    out(Entry::parse(&bytes).map(|en| {
        json_object(vec![
            ("type", Value::str(en.statement.kind())),
            ("name", Value::opt(en.statement.name(), Value::string)),
            (
                "statement",
                Value::string(String::from_utf8_lossy(&en.statement_bytes)),
            ),
            (
                "signatures",
                Value::strings(en.signatures.iter().map(|s| s.key_id().to_string())),
            ),
            (
                "text",
                Value::string(String::from_utf8_lossy(&en.to_bytes())),
            ),
        ])
    }))
}

/// Replays log entries from the genesis (core's `registry::replay`): one verdict per entry
/// (`"ok"` or a code), the errors with their messages, the genesis hash and the final state
/// (omega-core's RegistryState JSON, null without a valid genesis). Invalid entries are
/// skipped (a monitor's view) unless `options.stop`.
#[wasm_bindgen(js_name = replayLog, unchecked_return_type = "OmegaReplay")]
pub fn replay_log(
    #[wasm_bindgen(unchecked_param_type = "(OmegaBytes | string)[]")] entries: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "{ stop?: boolean }")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let entries = byte_list(&entries, "entries")?;
    let stop = field(&options, "stop").as_bool().unwrap_or(false);
    let r = replay(
        None,
        entries.iter().map(Vec::as_slice),
        ReplayOptions {
            on_invalid: if stop {
                OnInvalid::Stop
            } else {
                OnInvalid::Skip
            },
            ..Default::default()
        },
    );
    let result = json_to_js(&r.summary_json(entries.first().map(Vec::as_slice)));
    if let Some(s) = &r.state {
        // The state's JSON value (what `to_json_bytes` writes), members in core's order.
        let state = json_to_js(&s.to_json_value());
        Reflect::set(&result, &JsValue::from_str("state"), &state)?;
    }
    Ok(result)
}
