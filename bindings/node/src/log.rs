//! Log verification (REGISTRY.md R8, issue 15): signed notes, checkpoints under a policy,
//! index notes, RFC 6962 proofs (given, or built from tile bytes), entry bundles, statements,
//! entries and the replay of a log, for `lib/log.js`. Each function converts its arguments,
//! calls one omega-core function and returns its result in the envelope of
//! [`crate::envelope`]; every rule is core's. Hashes are lowercase hex (inputs and outputs),
//! sizes and indexes JavaScript numbers (safe integers, checked here), bytes `Buffer`s.

use std::collections::BTreeMap;

use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use omega_core::entry::Entry;
use omega_core::hash::{parse_hex32, to_hex};
use omega_core::index::IndexNote;
use omega_core::merkle::{self, Hash};
use omega_core::policy::Policy;
use omega_core::registry::{replay, OnInvalid, ReplayOptions};
use omega_core::report::KeyStyle;
use omega_core::statement::Statement;
use omega_core::tiles::{self, TileKind, TilePath};
use omega_core::vkey::Vkey;
use omega_core::{bundle, note, Error, ErrorCode};
use serde_json::{json, Value};

use crate::envelope::{envelope, Outcome};

/// A JavaScript number as a u64: a non-negative safe integer (≤ 2^53 − 1), else `MALFORMED`.
fn num(v: f64, what: &str) -> Result<u64, Error> {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= MAX_SAFE {
        Ok(v as u64)
    } else {
        Err(Error::new(
            ErrorCode::Malformed,
            format!("{what}: {v} is not a non-negative safe integer"),
        ))
    }
}

fn hashes(list: &[String], what: &str) -> Result<Vec<Hash>, Error> {
    list.iter()
        .enumerate()
        .map(|(i, h)| parse_hex32(h, &format!("{what}[{i}]")))
        .collect()
}

fn hex_list(list: &[Hash]) -> Value {
    Value::Array(list.iter().map(|h| Value::String(to_hex(h))).collect())
}

fn paths(list: Result<Vec<TilePath>, Error>) -> Outcome {
    Ok(Value::Array(
        list?.iter().map(|p| Value::String(p.to_string())).collect(),
    ))
}

fn vkeys(keys: &[String]) -> Result<Vec<Vkey>, Error> {
    keys.iter().map(|k| Vkey::parse(k)).collect()
}

/// The tiles a host fetched: path strings (as core writes them) to bytes.
fn tile_map(paths: Vec<String>, bytes: Vec<Buffer>) -> Result<BTreeMap<String, Vec<u8>>, Error> {
    if paths.len() != bytes.len() {
        return Err(Error::new(
            ErrorCode::Malformed,
            "tiles: as many paths as byte arrays",
        ));
    }
    Ok(paths
        .into_iter()
        .zip(bytes)
        .map(|(p, b)| (p, b.to_vec()))
        .collect())
}

fn verify_note(note_bytes: &[u8], keys: &[String]) -> Outcome {
    let (_, verified) = note::open(note_bytes, &vkeys(keys)?)?;
    Ok(json!({"verified": verified.iter().map(|v| json!({
        "name": v.name, "keyId": to_hex(&v.key_id), "type": v.key_type, "timestamp": v.timestamp,
    })).collect::<Vec<_>>()}))
}

/// `verifyNote`: the trusted keys (vkey texts) that signed the note (core's `note::open`).
#[napi]
pub fn log_verify_note(note: Buffer, keys: Vec<String>) -> String {
    envelope(verify_note(&note, &keys))
}

fn verify_checkpoint(note: &[u8], policy: &str, now: Option<f64>, max_age: f64) -> Outcome {
    let policy = Policy::parse(policy)?;
    let now = now.map(|n| num(n, "now")).transpose()?;
    let v = policy.verify_checkpoint(note, now, num(max_age, "maxAge")?)?;
    // Core's JSON value through its `Serialize` (omega-core feature `serde`), keys in core's order.
    Ok(serde_json::to_value(v.to_json(KeyStyle::Camel)).unwrap_or_default())
}

/// `verifyCheckpoint`: core's `Policy::verify_checkpoint` (`now` absent: offline).
#[napi]
pub fn log_verify_checkpoint(
    note: Buffer,
    policy: String,
    now: Option<f64>,
    max_age: f64,
) -> String {
    envelope(verify_checkpoint(&note, &policy, now, max_age))
}

fn parse_policy(text: &str) -> Outcome {
    let p = Policy::parse(text)?;
    Ok(json!({
        "text": p.to_text(),
        "logs": p.logs().iter().map(|l| l.key.to_string()).collect::<Vec<_>>(),
        "witnesses": p.witnesses().iter().map(|w| json!({"name": w.name, "vkey": w.key.to_string()})).collect::<Vec<_>>(),
    }))
}

/// `parsePolicy`: the canonical text, log keys and witnesses of a tlog-policy.
#[napi]
pub fn log_parse_policy(policy: String) -> String {
    envelope(parse_policy(&policy))
}

fn verify_index(
    note: &[u8],
    key: &str,
    origin: &str,
    name: &str,
    checkpoint_size: f64,
    now: Option<f64>,
) -> Outcome {
    let key = Vkey::parse(key)?;
    let now = now.map(|n| num(n, "now")).transpose()?;
    let i = IndexNote::verify(
        note,
        &key,
        origin,
        name,
        num(checkpoint_size, "checkpointSize")?,
        now,
    )?;
    let text = i.to_text();
    Ok(json!({
        "origin": i.origin, "name": i.name, "asOf": i.as_of, "expires": i.expires,
        "lines": text.lines().skip(4).collect::<Vec<_>>(),
        "text": text,
    }))
}

/// `verifyIndex`: core's `IndexNote::verify`.
#[napi]
pub fn log_verify_index(
    note: Buffer,
    key: String,
    origin: String,
    name: String,
    checkpoint_size: f64,
    now: Option<f64>,
) -> String {
    envelope(verify_index(
        &note,
        &key,
        &origin,
        &name,
        checkpoint_size,
        now,
    ))
}

/// `leafHash`: SHA-256(0x00 ‖ entry), hex.
#[napi]
pub fn log_leaf_hash(entry: Buffer) -> String {
    envelope(Ok(Value::String(to_hex(&merkle::leaf_hash(&entry)))))
}

/// `merkleRoot`: the RFC 6962 root of a tree of these entries, hex.
#[napi]
pub fn log_merkle_root(entries: Vec<Buffer>) -> String {
    let leaves: Vec<Hash> = entries.iter().map(|e| merkle::leaf_hash(e)).collect();
    envelope(Ok(Value::String(to_hex(&merkle::root(&leaves)))))
}

fn verify_inclusion(index: f64, size: f64, leaf: &str, proof: &[String], root: &str) -> Outcome {
    merkle::verify_inclusion(
        num(index, "index")?,
        num(size, "size")?,
        &parse_hex32(leaf, "leafHash")?,
        &hashes(proof, "proof")?,
        &parse_hex32(root, "root")?,
    )?;
    Ok(Value::Bool(true))
}

/// `verifyInclusion` over a proof (core's `merkle::verify_inclusion`).
#[napi]
pub fn log_verify_inclusion(
    index: f64,
    size: f64,
    leaf_hash: String,
    proof: Vec<String>,
    root: String,
) -> String {
    envelope(verify_inclusion(index, size, &leaf_hash, &proof, &root))
}

fn verify_consistency(m: f64, n: f64, root_m: &str, root_n: &str, proof: &[String]) -> Outcome {
    merkle::verify_consistency(
        num(m, "size1")?,
        num(n, "size2")?,
        &parse_hex32(root_m, "root1")?,
        &parse_hex32(root_n, "root2")?,
        &hashes(proof, "proof")?,
    )?;
    Ok(Value::Bool(true))
}

/// `verifyConsistency` over a proof (core's `merkle::verify_consistency`).
#[napi]
pub fn log_verify_consistency(
    m: f64,
    n: f64,
    root_m: String,
    root_n: String,
    proof: Vec<String>,
) -> String {
    envelope(verify_consistency(m, n, &root_m, &root_n, &proof))
}

/// `tilesForRoot`: the tile paths to fetch to recompute the root of a tree of `size`.
#[napi]
pub fn log_tiles_for_root(size: f64) -> String {
    envelope(num(size, "size").and_then(|s| paths(Ok(tiles::tiles_for_root(s)))))
}

/// `tilesForInclusion`: the tile paths for entry `index` of the tree of `size`.
#[napi]
pub fn log_tiles_for_inclusion(index: f64, size: f64) -> String {
    envelope((|| {
        paths(tiles::tiles_for_inclusion(
            num(index, "index")?,
            num(size, "size")?,
        ))
    })())
}

/// `tilesForConsistency`: the tile paths of the tree of size `n` for the proof from `m`.
#[napi]
pub fn log_tiles_for_consistency(m: f64, n: f64) -> String {
    envelope((|| {
        paths(tiles::tiles_for_consistency(
            num(m, "size1")?,
            num(n, "size2")?,
        ))
    })())
}

/// `bundleForEntry`: the entry bundle path holding entry `index` of the tree of `size`.
#[napi]
pub fn log_bundle_for_entry(index: f64, size: f64) -> String {
    envelope((|| {
        Ok(Value::String(
            tiles::bundle_for_entry(num(index, "index")?, num(size, "size")?)?.to_string(),
        ))
    })())
}

fn prove_inclusion(
    index: f64,
    size: f64,
    root: &str,
    paths: Vec<String>,
    bytes: Vec<Buffer>,
) -> Outcome {
    let (leaf, proof) = tiles::prove_inclusion(
        num(index, "index")?,
        num(size, "size")?,
        &parse_hex32(root, "root")?,
        &tile_map(paths, bytes)?,
    )?;
    Ok(json!({"leafHash": to_hex(&leaf), "proof": hex_list(&proof)}))
}

/// `proveInclusion`: leaf hash and inclusion proof of entry `index`, read from tiles verified
/// against `root` (core's `tiles::prove_inclusion`).
#[napi]
pub fn log_prove_inclusion(
    index: f64,
    size: f64,
    root: String,
    paths: Vec<String>,
    bytes: Vec<Buffer>,
) -> String {
    envelope(prove_inclusion(index, size, &root, paths, bytes))
}

fn prove_consistency(
    m: f64,
    n: f64,
    root_m: &str,
    root_n: &str,
    paths: Vec<String>,
    bytes: Vec<Buffer>,
) -> Outcome {
    let proof = tiles::prove_consistency(
        num(m, "size1")?,
        num(n, "size2")?,
        &parse_hex32(root_m, "root1")?,
        &parse_hex32(root_n, "root2")?,
        &tile_map(paths, bytes)?,
    )?;
    Ok(json!({ "proof": hex_list(&proof) }))
}

/// `proveConsistency`: the consistency proof from size `m`, built from tiles of the tree of
/// size `n` verified against `rootN`, and checked against `rootM` (core's
/// `tiles::prove_consistency`).
#[napi]
pub fn log_prove_consistency(
    m: f64,
    n: f64,
    root_m: String,
    root_n: String,
    paths: Vec<String>,
    bytes: Vec<Buffer>,
) -> String {
    envelope(prove_consistency(m, n, &root_m, &root_n, paths, bytes))
}

/// `readEntry`: the bytes of entry `index`, proven by its bundle and the tiles (core's
/// `tiles::read_entry`); an error envelope (string) when refused.
#[napi]
pub fn log_read_entry(
    index: f64,
    size: f64,
    root: String,
    paths: Vec<String>,
    bytes: Vec<Buffer>,
) -> Either<Buffer, String> {
    let got = (|| {
        tiles::read_entry(
            num(index, "index")?,
            num(size, "size")?,
            &parse_hex32(&root, "root")?,
            &tile_map(paths, bytes)?,
        )
    })();
    match got {
        Ok(b) => Either::A(b.into()),
        Err(e) => Either::B(envelope(Err(e))),
    }
}

fn tile_path(path: &str) -> Outcome {
    let p = TilePath::parse(path)?;
    Ok(match p.kind() {
        TileKind::Hashes(level) => {
            json!({"kind": "hashes", "level": level, "index": p.index(), "width": p.width()})
        }
        TileKind::Entries => {
            json!({"kind": "entries", "level": null, "index": p.index(), "width": p.width()})
        }
    })
}

/// `parseTilePath`: a tlog-tiles path's kind, level, index and width (256 = full).
#[napi]
pub fn log_parse_tile_path(path: String) -> String {
    envelope(tile_path(&path))
}

/// `parseBundle`: the entries of an entry bundle of exactly `width` entries.
#[napi]
pub fn log_parse_bundle(bytes: Buffer, width: f64) -> Either<Vec<Buffer>, String> {
    let got = (|| {
        let w = num(width, "width")?;
        let w = u16::try_from(w)
            .map_err(|_| Error::new(ErrorCode::Malformed, format!("width {w}: over 65535")))?;
        Ok(bundle::parse_bundle(&bytes, w)?
            .into_iter()
            .map(|e| Buffer::from(e.to_vec()))
            .collect::<Vec<_>>())
    })();
    match got {
        Ok(v) => Either::A(v),
        Err(e) => Either::B(envelope(Err(e))),
    }
}

fn statement_json(st: &Statement) -> Value {
    json!({
        "type": st.kind(),
        "name": st.name(),
        "text": String::from_utf8_lossy(&st.to_bytes()),
    })
}

/// `parseStatement`: a registry statement's type, name and canonical text (core's
/// `Statement::parse`).
#[napi]
pub fn log_parse_statement(bytes: Buffer) -> String {
    envelope(Statement::parse(&bytes).map(|st| statement_json(&st)))
}

/// `parseEntry`: a log entry's statement, its signers' key IDs and its canonical bytes as text
/// (core's `Entry::parse`).
#[napi]
pub fn log_parse_entry(bytes: Buffer) -> String {
    envelope(Entry::parse(&bytes).map(|en| {
        json!({
            "type": en.statement.kind(),
            "name": en.statement.name(),
            "statement": String::from_utf8_lossy(&en.statement_bytes),
            "signatures": en.signatures.iter().map(|s| s.key_id().to_string()).collect::<Vec<_>>(),
            "text": String::from_utf8_lossy(&en.to_bytes()),
        })
    }))
}

fn replay_log(entries: &[Buffer], stop: bool) -> Outcome {
    let r = replay(
        None,
        entries.iter().map(|e| &e[..]),
        ReplayOptions {
            on_invalid: if stop {
                OnInvalid::Stop
            } else {
                OnInvalid::Skip
            },
            ..Default::default()
        },
    );
    let j = r.to_json(entries.first().map(|e| &e[..]))?;
    Ok(serde_json::to_value(j).unwrap_or_default())
}

/// `replayLog`: replays the entries from the genesis (core's `registry::replay`); invalid
/// entries are skipped (a monitor's view) unless `stop`.
#[napi]
pub fn log_replay(entries: Vec<Buffer>, stop: bool) -> String {
    envelope(replay_log(&entries, stop))
}
