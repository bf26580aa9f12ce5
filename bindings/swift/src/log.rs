//! Log verification (REGISTRY.md R8, issue 15) for Swift and Kotlin: signed notes, checkpoints
//! under a tlog-policy, index notes, RFC 6962 proofs (given, or built from tile bytes the host
//! fetched), entry bundles, registry statements and entries, and the replay of a log. Each
//! function converts its arguments, calls one omega-core function and converts the result
//! into uniffi records; errors are core's, as [`OmegaError`] variants (`NotInLog`,
//! `LogInconsistent`, `QuorumNotMet`, `Stale`, …).
//!
//! Hashes are lowercase hex strings (inputs and outputs); sizes and indexes `UInt64`/`ULong`;
//! notes, statements, entries and tiles bytes (`Data`/`ByteArray`); `tiles` a dictionary from
//! tile path to bytes.

use std::collections::{BTreeMap, HashMap};

use omega_core::entry::Entry as CoreEntry;
use omega_core::hash::{parse_hex32, to_hex};
use omega_core::index::IndexNote;
use omega_core::merkle::{self, Hash};
use omega_core::policy::{Freshness as CoreFreshness, Policy};
use omega_core::registry::{genesis_hash, replay, OnInvalid, ReplayOptions};
use omega_core::statement::Statement;
use omega_core::tiles::{self, TileKind, TilePath};
use omega_core::vkey::Vkey;
use omega_core::{bundle, note};

use crate::OmegaError;

/// One trusted key whose signature on a note verified.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct NoteSigner {
    /// The key name.
    pub name: String,
    /// The 4-byte key ID, 8 lowercase hex digits.
    pub key_id: String,
    /// The key type: 1 (Ed25519) or 4 (cosignature/v1).
    pub key_type: u8,
    /// A cosignature's time (Unix seconds); null for Ed25519.
    pub timestamp: Option<u64>,
}

/// The result of [`verify_note`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct VerifiedNote {
    /// The trusted keys that signed, in the order of their first line.
    pub verified: Vec<NoteSigner>,
}

/// A policy witness whose cosignature verified.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct WitnessCosignature {
    /// The witness's name in the policy.
    pub name: String,
    /// The time it cosigned (Unix seconds).
    pub time: u64,
}

/// How fresh a verified checkpoint is.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Freshness {
    /// The quorum cosigned within `max_age` of `now`; `as_of` is the quorum's time.
    Fresh {
        /// The quorum's time (Unix seconds).
        as_of: u64,
    },
    /// `quorum none`: no cosignature vouches for a time (freshness rests on the index's
    /// `expires`).
    NotWitnessed,
    /// No `now` was given (offline): freshness was not checked.
    NotChecked,
}

/// The result of [`verify_checkpoint`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct VerifiedCheckpoint {
    /// The origin line.
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The root hash, lowercase hex.
    pub root: String,
    /// Extension lines.
    pub extensions: Vec<String>,
    /// The policy witnesses whose cosignature verified, in policy order.
    pub witnesses: Vec<WitnessCosignature>,
    /// The freshness verdict.
    pub freshness: Freshness,
    /// The vkey of the log key that signed.
    pub log_key: String,
    /// The whole signed note (to store, as `omega.lock` does).
    pub note: String,
}

/// A witness of a policy.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PolicyWitness {
    /// Its name in the policy.
    pub name: String,
    /// Its vkey.
    pub vkey: String,
}

/// The result of [`parse_policy`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ParsedPolicy {
    /// The canonical text.
    pub text: String,
    /// The log vkeys.
    pub logs: Vec<String>,
    /// The witnesses.
    pub witnesses: Vec<PolicyWitness>,
}

/// The result of [`verify_index`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct VerifiedIndex {
    /// The registry's origin.
    pub origin: String,
    /// The package name.
    pub name: String,
    /// The log size the index is complete up to.
    pub as_of: u64,
    /// When it expires (Unix seconds).
    pub expires: u64,
    /// The entry lines (`release 2 1.3.0 4 …`), in entry order.
    pub lines: Vec<String>,
    /// The canonical index text.
    pub text: String,
}

/// The result of [`prove_inclusion`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct InclusionProof {
    /// The entry's leaf hash, hex.
    pub leaf_hash: String,
    /// The proof hashes, hex.
    pub proof: Vec<String>,
}

/// A parsed tile path.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TilePathInfo {
    /// `"hashes"` or `"entries"`.
    pub kind: String,
    /// The level of a hash tile; null for an entry bundle.
    pub level: Option<u8>,
    /// The tile index.
    pub index: u64,
    /// The width (256 = full).
    pub width: u16,
}

/// The result of [`parse_statement`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ParsedStatement {
    /// The statement's `type` (`registry`, `owners`, `release`, `revoke`, `yank`, `notice`).
    pub kind: String,
    /// The package name, if the type has one.
    pub name: Option<String>,
    /// The canonical JSON text.
    pub text: String,
}

/// The result of [`parse_entry`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ParsedEntry {
    /// The statement's `type`.
    pub kind: String,
    /// The package name, if the type has one.
    pub name: Option<String>,
    /// The statement's JSON text.
    pub statement: String,
    /// The key IDs of the signature blocks, in order.
    pub signatures: Vec<String>,
    /// The canonical entry text.
    pub text: String,
}

/// One invalid entry of a replay.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ReplayError {
    /// The entry's index in the log.
    pub index: u64,
    /// Its DESIGN §4 code.
    pub code: String,
    /// Core's message (it names `entry <index>`).
    pub message: String,
}

/// The result of [`replay_log`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ReplayResult {
    /// One verdict per entry: `"ok"` or its code.
    pub verdicts: Vec<String>,
    /// The invalid entries.
    pub errors: Vec<ReplayError>,
    /// SHA-256 hex of entry 0 (null without entries).
    pub genesis: Option<String>,
    /// The final registry state as omega-core's JSON text (null without a valid genesis).
    pub state_json: Option<String>,
}

fn hashes(list: &[String], what: &str) -> Result<Vec<Hash>, OmegaError> {
    Ok(list
        .iter()
        .enumerate()
        .map(|(i, h)| parse_hex32(h, &format!("{what}[{i}]")))
        .collect::<Result<Vec<_>, _>>()?)
}

fn hex_list(list: &[Hash]) -> Vec<String> {
    list.iter().map(|h| to_hex(h)).collect()
}

fn path_list(list: Vec<TilePath>) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

fn tile_map(tiles: HashMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    tiles.into_iter().collect()
}

/// The trusted keys (vkeys `name+hex8+base64`) that signed a C2SP signed note (core's
/// `note::open`). Throws `KeyNotTrusted` when none did, `SignatureInvalid`, `Malformed`.
#[uniffi::export]
pub fn verify_note(note: Vec<u8>, vkeys: Vec<String>) -> Result<VerifiedNote, OmegaError> {
    let keys = vkeys
        .iter()
        .map(|k| Vkey::parse(k))
        .collect::<Result<Vec<_>, _>>()?;
    let (_, verified) = note::open(&note, &keys)?;
    Ok(VerifiedNote {
        verified: verified
            .into_iter()
            .map(|v| NoteSigner {
                name: v.name,
                key_id: to_hex(&v.key_id),
                key_type: v.key_type,
                timestamp: v.timestamp,
            })
            .collect(),
    })
}

/// A signed checkpoint verified under a tlog-policy (core's `Policy::verify_checkpoint`): the
/// log key's signature, the witness quorum (`QuorumNotMet`) and, with `now` (Unix seconds),
/// freshness within `max_age` (`Stale`). Without `now`: offline (`Freshness.notChecked`).
#[uniffi::export(default(now = None, max_age = 86400))]
pub fn verify_checkpoint(
    note: Vec<u8>,
    policy: String,
    now: Option<u64>,
    max_age: u64,
) -> Result<VerifiedCheckpoint, OmegaError> {
    let v = Policy::parse(&policy)?.verify_checkpoint(&note, now, max_age)?;
    Ok(VerifiedCheckpoint {
        origin: v.checkpoint.origin,
        size: v.checkpoint.size,
        root: to_hex(&v.checkpoint.root),
        extensions: v.checkpoint.extensions,
        witnesses: v
            .witnesses
            .into_iter()
            .map(|(name, time)| WitnessCosignature { name, time })
            .collect(),
        freshness: match v.freshness {
            CoreFreshness::Fresh { as_of } => Freshness::Fresh { as_of },
            CoreFreshness::NotWitnessed => Freshness::NotWitnessed,
            CoreFreshness::NotChecked => Freshness::NotChecked,
        },
        log_key: v.log_key,
        note: v.note_text,
    })
}

/// A tlog-policy: its canonical text, log keys and witnesses.
#[uniffi::export]
pub fn parse_policy(policy: String) -> Result<ParsedPolicy, OmegaError> {
    let p = Policy::parse(&policy)?;
    Ok(ParsedPolicy {
        text: p.to_text(),
        logs: p.logs().iter().map(|l| l.key.to_string()).collect(),
        witnesses: p
            .witnesses()
            .iter()
            .map(|w| PolicyWitness {
                name: w.name.clone(),
                vkey: w.key.to_string(),
            })
            .collect(),
    })
}

/// A per-package index note verified (core's `IndexNote::verify`): signed by `index_key`, of
/// `origin` and package `name`, `as-of` at most `checkpoint_size`, not expired at `now`.
#[uniffi::export(default(now = None))]
pub fn verify_index(
    note: Vec<u8>,
    index_key: String,
    origin: String,
    name: String,
    checkpoint_size: u64,
    now: Option<u64>,
) -> Result<VerifiedIndex, OmegaError> {
    let i = IndexNote::verify(
        &note,
        &Vkey::parse(&index_key)?,
        &origin,
        &name,
        checkpoint_size,
        now,
    )?;
    let text = i.to_text();
    Ok(VerifiedIndex {
        lines: text.lines().skip(4).map(str::to_string).collect(),
        origin: i.origin,
        name: i.name,
        as_of: i.as_of,
        expires: i.expires,
        text,
    })
}

/// SHA-256(0x00 ‖ entry), hex: an entry's RFC 6962 leaf hash.
#[uniffi::export]
pub fn leaf_hash(entry: Vec<u8>) -> String {
    to_hex(&merkle::leaf_hash(&entry))
}

/// The RFC 6962 root (hex) of the tree of these entries.
#[uniffi::export]
pub fn merkle_root(entries: Vec<Vec<u8>>) -> String {
    let leaves: Vec<Hash> = entries.iter().map(|e| merkle::leaf_hash(e)).collect();
    to_hex(&merkle::root(&leaves))
}

/// Checks an inclusion proof of the leaf hash `leaf_hash` (hex; `leafHash(entry)` of an
/// entry's bytes) at `index` in the tree of `size` with `root` (core's
/// `merkle::verify_inclusion`). Throws `NotInLog`, `Malformed` (proof length).
#[uniffi::export]
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf_hash: String,
    proof: Vec<String>,
    root: String,
) -> Result<(), OmegaError> {
    Ok(merkle::verify_inclusion(
        index,
        size,
        &parse_hex32(&leaf_hash, "leafHash")?,
        &hashes(&proof, "proof")?,
        &parse_hex32(&root, "root")?,
    )?)
}

/// Checks a consistency proof from (`size1`, `root1`) to (`size2`, `root2`) (core's
/// `merkle::verify_consistency`). Throws `LogInconsistent`, `Malformed`.
#[uniffi::export]
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Vec<String>,
) -> Result<(), OmegaError> {
    Ok(merkle::verify_consistency(
        size1,
        size2,
        &parse_hex32(&root1, "root1")?,
        &parse_hex32(&root2, "root2")?,
        &hashes(&proof, "proof")?,
    )?)
}

/// The tile paths to fetch to recompute the root of a tree of `size`.
#[uniffi::export]
pub fn tiles_for_root(size: u64) -> Vec<String> {
    path_list(tiles::tiles_for_root(size))
}

/// The tile paths to fetch to prove entry `index` of the tree of `size`.
#[uniffi::export]
pub fn tiles_for_inclusion(index: u64, size: u64) -> Result<Vec<String>, OmegaError> {
    Ok(path_list(tiles::tiles_for_inclusion(index, size)?))
}

/// The tile paths of the tree of `size2` to fetch for the consistency proof from `size1`.
#[uniffi::export]
pub fn tiles_for_consistency(size1: u64, size2: u64) -> Result<Vec<String>, OmegaError> {
    Ok(path_list(tiles::tiles_for_consistency(size1, size2)?))
}

/// The entry bundle path holding entry `index` of the tree of `size`.
#[uniffi::export]
pub fn bundle_for_entry(index: u64, size: u64) -> Result<String, OmegaError> {
    Ok(tiles::bundle_for_entry(index, size)?.to_string())
}

/// Entry `index`'s leaf hash and inclusion proof, read from tiles verified against `root`
/// (core's `tiles::prove_inclusion`; the host fetched `tilesForInclusion(index, size)`).
#[uniffi::export]
pub fn prove_inclusion(
    index: u64,
    size: u64,
    root: String,
    tiles: HashMap<String, Vec<u8>>,
) -> Result<InclusionProof, OmegaError> {
    let (leaf, proof) =
        tiles::prove_inclusion(index, size, &parse_hex32(&root, "root")?, &tile_map(tiles))?;
    Ok(InclusionProof {
        leaf_hash: to_hex(&leaf),
        proof: hex_list(&proof),
    })
}

/// The consistency proof (hex hashes) from `size1`, built from tiles of the tree of `size2`
/// verified against `root2` and checked against `root1` (core's `tiles::prove_consistency`).
#[uniffi::export]
pub fn prove_consistency(
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    tiles: HashMap<String, Vec<u8>>,
) -> Result<Vec<String>, OmegaError> {
    let proof = tiles::prove_consistency(
        size1,
        size2,
        &parse_hex32(&root1, "root1")?,
        &parse_hex32(&root2, "root2")?,
        &tile_map(tiles),
    )?;
    Ok(hex_list(&proof))
}

/// The bytes of entry `index`, proven by its entry bundle and the tiles (core's
/// `tiles::read_entry`; the host fetched `tilesForInclusion` and `bundleForEntry`).
#[uniffi::export]
pub fn read_entry(
    index: u64,
    size: u64,
    root: String,
    tiles: HashMap<String, Vec<u8>>,
) -> Result<Vec<u8>, OmegaError> {
    Ok(tiles::read_entry(
        index,
        size,
        &parse_hex32(&root, "root")?,
        &tile_map(tiles),
    )?)
}

/// A tlog-tiles path's kind, level, index and width.
#[uniffi::export]
pub fn parse_tile_path(path: String) -> Result<TilePathInfo, OmegaError> {
    let p = TilePath::parse(&path)?;
    let (kind, level) = match p.kind() {
        TileKind::Hashes(l) => ("hashes", Some(l)),
        TileKind::Entries => ("entries", None),
    };
    Ok(TilePathInfo {
        kind: kind.to_string(),
        level,
        index: p.index(),
        width: p.width(),
    })
}

/// The entries of an entry bundle of exactly `width` entries (core's `bundle::parse_bundle`).
#[uniffi::export]
pub fn parse_bundle(bundle_bytes: Vec<u8>, width: u16) -> Result<Vec<Vec<u8>>, OmegaError> {
    Ok(bundle::parse_bundle(&bundle_bytes, width)?
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect())
}

/// A registry statement (REGISTRY.md R4): its type, name and canonical text.
#[uniffi::export]
pub fn parse_statement(statement: Vec<u8>) -> Result<ParsedStatement, OmegaError> {
    let st = Statement::parse(&statement)?;
    Ok(ParsedStatement {
        kind: st.kind().to_string(),
        name: st.name().map(str::to_string),
        text: String::from_utf8_lossy(&st.to_bytes()).into_owned(),
    })
}

/// A log entry (REGISTRY.md R4): its statement, the key IDs of its signature blocks and its
/// canonical text. Signatures are checked by `replayLog` (they need the registry state).
#[uniffi::export]
pub fn parse_entry(entry: Vec<u8>) -> Result<ParsedEntry, OmegaError> {
    let en = CoreEntry::parse(&entry)?;
    Ok(ParsedEntry {
        kind: en.statement.kind().to_string(),
        name: en.statement.name().map(str::to_string),
        statement: String::from_utf8_lossy(&en.statement_bytes).into_owned(),
        signatures: en
            .signatures
            .iter()
            .map(|s| s.key_id().to_string())
            .collect(),
        text: String::from_utf8_lossy(&en.to_bytes()).into_owned(),
    })
}

/// Replays log entries from the genesis (core's `registry::replay`): a verdict per entry, the
/// errors, the genesis hash and the final state (core's JSON text). Invalid entries are
/// skipped (a monitor's view) unless `stop`.
#[uniffi::export(default(stop = false))]
pub fn replay_log(entries: Vec<Vec<u8>>, stop: bool) -> ReplayResult {
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
    let mut errors = Vec::new();
    let verdicts = r
        .verdicts
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Ok(()) => "ok".to_string(),
            Err(e) => {
                errors.push(ReplayError {
                    index: r.start + i as u64,
                    code: e.code().as_str().to_string(),
                    message: e.message().to_string(),
                });
                e.code().as_str().to_string()
            }
        })
        .collect();
    ReplayResult {
        verdicts,
        errors,
        genesis: entries.first().map(|e| genesis_hash(e)),
        state_json: r
            .state
            .map(|s| String::from_utf8_lossy(&s.to_json_bytes()).into_owned()),
    }
}
