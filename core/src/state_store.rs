//! The per-name saved registry state (docs/registry.md, "Per-name saved state (state6)"): a
//! [`RegistryState`] saved as content-addressed pieces, so that a client whose log grows to a
//! million entries loads, and writes back, only what a command touches. Sans-IO: the host
//! stores pieces by their SHA-256 and hands bytes in ([`PieceSource`]); every piece is checked
//! against the hash that names it before use.
//!
//! - **Header** (`{"omega-state-header": 1, …}`): the registry fields of the state (size,
//!   genesis, origin, serial, registry entry, janitors, log and index keys, mode, skipped)
//!   and the SHA-256 of each of the [`BUCKETS`] buckets. Its SHA-256 is the state's digest
//!   (what the lock's registry pin records, RR8), so it authenticates every piece below it.
//! - **Bucket** `b` (`{"omega-state-bucket": 1, "names": {name: sha256}}`): the names whose
//!   SHA-256 starts with byte `b` ([`bucket_of`]), each with the SHA-256 of its record.
//! - **Record** (`{"omega-state-name": 1, "name": …, "state": …}`): one name's
//!   [`crate::registry::NameState`], in the form of a whole saved state's `names` member.
//!
//! [`RegistryState::from_header`] opens a state with no name loaded;
//! [`RegistryState::load_names`] loads names from a [`PieceSource`] (reporting the pieces it
//! lacks); [`RegistryState::try_name`] refuses a name that was not loaded (an absent name
//! would mean "unclaimed"); [`RegistryState::to_pieces`] gives the header and the pieces that
//! changed. A whole state (replayed from entry 0) gives every piece.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::bundle::parse_bundle_prefix;
use crate::entry::Entry;
use crate::error::{fail, Error, ErrorCode, Result};
use crate::hash::{parse_hex32, to_hex};
use crate::json::{self, At, Fields, ObjectBuilder, Value};
use crate::limits::MAX_STATE_PIECE_BYTES;
use crate::manifest::validate_name;
use crate::registry::{
    name_from_raw, name_to_raw, NameState, RawName, RawStateHead, RegistryState,
};
use crate::tiles::{bundle_bytes, bundles_for_replay, TileSource, TILE_HEIGHT};

/// Buckets in a saved state's header: names are spread by the first byte of their SHA-256.
pub const BUCKETS: usize = 256;
/// The format version of the header, a bucket and a record (`"omega-state-header": 1`, …).
pub const PIECES_VERSION: u64 = 1;

/// The bucket of `name`: the first byte of its SHA-256.
pub fn bucket_of(name: &str) -> u8 {
    Sha256::digest(name.as_bytes())[0]
}

/// The SHA-256 of a piece's (or a header's) bytes: its name in the host's store.
pub fn piece_hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Where a host keeps saved-state pieces, by SHA-256 ([`piece_hash`]). `None`: not there.
/// The bytes need not be checked by the host: [`RegistryState::load_names`] checks them.
pub trait PieceSource {
    /// The bytes stored under `hash`, if any.
    fn piece(&self, hash: &[u8; 32]) -> Option<Vec<u8>>;
}

impl PieceSource for BTreeMap<[u8; 32], Vec<u8>> {
    fn piece(&self, hash: &[u8; 32]) -> Option<Vec<u8>> {
        self.get(hash).cloned()
    }
}

/// A closure as a [`PieceSource`].
pub struct FnSource<F>(pub F);

impl<F: Fn(&[u8; 32]) -> Option<Vec<u8>>> PieceSource for FnSource<F> {
    fn piece(&self, hash: &[u8; 32]) -> Option<Vec<u8>> {
        (self.0)(hash)
    }
}

/// What [`RegistryState::to_pieces`] gives the host to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatePieces {
    /// The SHA-256 of `header`: the state's digest (the lock's pin records it).
    pub digest: [u8; 32],
    /// The header's bytes.
    pub header: Vec<u8>,
    /// The buckets and records that are new since the state was opened (every one for a
    /// whole state), each with its SHA-256. Pieces already stored need not be written again.
    pub pieces: Vec<([u8; 32], Vec<u8>)>,
}

/// For a state opened from its header: the bucket hashes, and the buckets loaded so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Loaded {
    buckets: [[u8; 32]; BUCKETS],
    maps: BTreeMap<u8, BTreeMap<String, [u8; 32]>>,
}

impl Loaded {
    /// `Ok` when `name` (not among the loaded names) is known to be absent: its bucket was
    /// loaded and does not list it. `MALFORMED` otherwise (not loaded).
    pub(crate) fn absent(&self, name: &str) -> Result<()> {
        let b = bucket_of(name);
        match self.maps.get(&b) {
            Some(m) if !m.contains_key(name) => Ok(()),
            _ => fail(
                ErrorCode::Malformed,
                format!("registry state: {name} was not loaded from the saved state (bucket {b:02x}); load it before asking"),
            ),
        }
    }
}

struct RawHeader {
    head: RawStateHead,
    buckets: Vec<String>,
}

impl RawHeader {
    /// The fields of a header whose version was checked already.
    fn read(mut f: Fields<'_>, at: &At<'_>) -> Result<RawHeader> {
        let head = RawStateHead::read(&mut f, at)?;
        let buckets = f
            .required("buckets", at)?
            .into_strings(&at.field("buckets"))?;
        f.end(at)?;
        Ok(RawHeader { head, buckets })
    }

    fn write(self) -> Value<'static> {
        let o = ObjectBuilder::new().field("omega-state-header", PIECES_VERSION);
        self.head
            .write(o)
            .field("buckets", Value::strings(self.buckets))
            .build()
    }
}

/// Compact JSON and a final newline.
fn compact(value: &Value<'_>) -> Vec<u8> {
    let mut out = json::to_text(value).into_bytes();
    out.push(b'\n');
    out
}

/// The fields of a piece: parsed, an object, its version member `field` checked.
fn piece_fields<'a>(bytes: &'a [u8], field: &'static str, at: &At<'_>) -> Result<Fields<'a>> {
    let what = at.to_string();
    // No value budget: every piece is checked against the hash that names it first (ST2).
    let mut fields = json::read::parse_with_budget(bytes, &what, usize::MAX)?.into_fields(at)?;
    fields.version(field, at, PIECES_VERSION, PIECES_VERSION)?;
    Ok(fields)
}

fn record_bytes(name: &str, ns: &NameState) -> Vec<u8> {
    compact(
        &ObjectBuilder::new()
            .field("omega-state-name", PIECES_VERSION)
            .field("name", name)
            .field("state", name_to_raw(ns).write())
            .build(),
    )
}

fn bucket_bytes(map: &BTreeMap<String, [u8; 32]>) -> Vec<u8> {
    let mut names = ObjectBuilder::new();
    for (n, h) in map {
        names.push(n.as_str(), to_hex(h));
    }
    compact(
        &ObjectBuilder::new()
            .field("omega-state-bucket", PIECES_VERSION)
            .field("names", names.build())
            .build(),
    )
}

/// `bytes` must be at most [`MAX_STATE_PIECE_BYTES`] and hash to `hash`.
fn check_piece(bytes: &[u8], hash: &[u8; 32], what: &str) -> Result<()> {
    if bytes.len() > MAX_STATE_PIECE_BYTES {
        return fail(
            ErrorCode::TooLarge,
            format!("{what}: larger than {MAX_STATE_PIECE_BYTES} bytes"),
        );
    }
    if &piece_hash(bytes) != hash {
        return fail(
            ErrorCode::DigestMismatch,
            format!("{what}: its bytes do not hash to {}", to_hex(hash)),
        );
    }
    Ok(())
}

fn parse_bucket(bytes: &[u8], hash: &[u8; 32], b: u8) -> Result<BTreeMap<String, [u8; 32]>> {
    let what = format!("registry state bucket {b:02x} ({})", to_hex(hash));
    check_piece(bytes, hash, &what)?;
    let at = At::root(&what);
    let mut f = piece_fields(bytes, "omega-state-bucket", &at)?;
    // Sorted, as serde read them: refusals below come in the same order.
    let names = f
        .required("names", &at)?
        .into_map(&at.field("names"), |v, at| v.into_string(at))?;
    f.end(&at)?;
    let mut map = BTreeMap::new();
    for (name, h) in names {
        validate_name(&name).map_err(|e| e.context(&what))?;
        if bucket_of(&name) != b {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: {name} belongs to bucket {:02x}", bucket_of(&name)),
            );
        }
        let h = parse_hex32(&h, &format!("{what}: {name}"))?;
        map.insert(name, h);
    }
    Ok(map)
}

fn parse_record(bytes: &[u8], hash: &[u8; 32], name: &str, origin: &str) -> Result<NameState> {
    let what = format!("registry state record of {name} ({})", to_hex(hash));
    check_piece(bytes, hash, &what)?;
    let at = At::root(&what);
    let mut f = piece_fields(bytes, "omega-state-name", &at)?;
    let raw_name = f.string("name", &at)?;
    let state = RawName::read(f.required("state", &at)?, &at.field("state"))?;
    f.end(&at)?;
    if raw_name != name {
        return fail(
            ErrorCode::Malformed,
            format!("{what}: it is the record of {raw_name}"),
        );
    }
    name_from_raw(name, state, origin, &what)
}

impl RegistryState {
    /// Opens a saved state from its header's bytes ([`StatePieces::header`]; the host checks
    /// them against the digest it trusts, e.g. the lock's): every registry field, no name
    /// loaded. Strict like [`RegistryState::parse`] (`UNSUPPORTED_VERSION` for another
    /// version, `TOO_LARGE` over [`MAX_STATE_PIECE_BYTES`]).
    pub fn from_header(bytes: &[u8]) -> Result<RegistryState> {
        let what = "registry state header";
        if bytes.len() > MAX_STATE_PIECE_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: larger than {MAX_STATE_PIECE_BYTES} bytes"),
            );
        }
        let at = At::root(what);
        let raw = RawHeader::read(piece_fields(bytes, "omega-state-header", &at)?, &at)?;
        if raw.buckets.len() != BUCKETS {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: {} bucket hashes, not {BUCKETS}", raw.buckets.len()),
            );
        }
        let mut buckets = [[0u8; 32]; BUCKETS];
        for (slot, h) in buckets.iter_mut().zip(&raw.buckets) {
            *slot = parse_hex32(h, &format!("{what}: bucket"))?;
        }
        raw.head.into_state(
            what,
            BTreeMap::new(),
            Some(Box::new(Loaded {
                buckets,
                maps: BTreeMap::new(),
            })),
        )
    }

    /// Whether the state was opened from its header (some names may not be loaded).
    pub fn is_partial(&self) -> bool {
        self.pieces.is_some()
    }

    /// Whether [`RegistryState::try_name`] answers for `name` (always, for a whole state).
    pub fn is_loaded(&self, name: &str) -> bool {
        self.try_name(name).is_ok()
    }

    /// Loads `names` (each: its bucket, then its record when the bucket lists it) from
    /// `source`, checking every piece against the hash that names it. Returns the hashes of
    /// the pieces `source` lacks (load again once the host has them; a bucket's records are
    /// asked for only after the bucket arrived); empty when every name is loaded. A piece
    /// that does not hash to its name is `DIGEST_MISMATCH`, a malformed one `MALFORMED`: the
    /// saved state is then not usable (the host replays from entry 0). A whole state loads
    /// nothing.
    pub fn load_names<'n>(
        &mut self,
        names: impl IntoIterator<Item = &'n str>,
        source: &(impl PieceSource + ?Sized),
    ) -> Result<Vec<[u8; 32]>> {
        let RegistryState {
            pieces,
            names: loaded_names,
            origin,
            ..
        } = self;
        let Some(loaded) = pieces.as_mut() else {
            return Ok(Vec::new());
        };
        let mut missing: BTreeSet<[u8; 32]> = BTreeSet::new();
        for name in names {
            if loaded_names.contains_key(name) {
                continue;
            }
            let b = bucket_of(name);
            if !loaded.maps.contains_key(&b) {
                let h = loaded.buckets[usize::from(b)];
                match source.piece(&h) {
                    Some(bytes) => {
                        let map = parse_bucket(&bytes, &h, b)?;
                        loaded.maps.insert(b, map);
                    }
                    None => {
                        missing.insert(h);
                        continue;
                    }
                }
            }
            let Some(rh) = loaded.maps.get(&b).and_then(|m| m.get(name)).copied() else {
                continue; // listed nowhere: unclaimed, and now known to be
            };
            match source.piece(&rh) {
                Some(bytes) => {
                    let ns = parse_record(&bytes, &rh, name, origin)?;
                    loaded_names.insert(name.to_string(), ns);
                }
                None => {
                    missing.insert(rh);
                }
            }
        }
        Ok(missing.into_iter().collect())
    }

    /// The state as pieces: its header (whose SHA-256 is the digest to record) and the
    /// buckets and records that changed since it was opened from its header (a whole state:
    /// every bucket and record). Deterministic: equal states give equal digests, however they
    /// were loaded. `MALFORMED` when a name was put in `names` without its bucket being loaded
    /// (only code that edits `names` by hand can do that).
    pub fn to_pieces(&self) -> Result<StatePieces> {
        let mut pieces: Vec<([u8; 32], Vec<u8>)> = Vec::new();
        let mut buckets = [[0u8; 32]; BUCKETS];
        match &self.pieces {
            None => {
                let mut maps: Vec<BTreeMap<String, [u8; 32]>> =
                    (0..BUCKETS).map(|_| BTreeMap::new()).collect();
                for (name, ns) in &self.names {
                    let bytes = record_bytes(name, ns);
                    let h = piece_hash(&bytes);
                    if let Some(m) = maps.get_mut(usize::from(bucket_of(name))) {
                        m.insert(name.clone(), h);
                    }
                    pieces.push((h, bytes));
                }
                let mut seen = BTreeSet::new();
                for (slot, map) in buckets.iter_mut().zip(&maps) {
                    let bytes = bucket_bytes(map);
                    let h = piece_hash(&bytes);
                    *slot = h;
                    // Empty buckets share one piece.
                    if seen.insert(h) {
                        pieces.push((h, bytes));
                    }
                }
            }
            Some(loaded) => {
                buckets = loaded.buckets;
                let mut maps = loaded.maps.clone();
                let mut dirty: BTreeSet<u8> = BTreeSet::new();
                for (name, ns) in &self.names {
                    let b = bucket_of(name);
                    let Some(map) = maps.get_mut(&b) else {
                        return fail(
                            ErrorCode::Malformed,
                            format!("registry state: {name} is in the state but its bucket {b:02x} was never loaded"),
                        );
                    };
                    let bytes = record_bytes(name, ns);
                    let h = piece_hash(&bytes);
                    if map.get(name) != Some(&h) {
                        map.insert(name.clone(), h);
                        dirty.insert(b);
                        pieces.push((h, bytes));
                    }
                }
                for b in dirty {
                    if let Some(map) = maps.get(&b) {
                        let bytes = bucket_bytes(map);
                        let h = piece_hash(&bytes);
                        buckets[usize::from(b)] = h;
                        pieces.push((h, bytes));
                    }
                }
            }
        }
        let header = compact(
            &RawHeader {
                head: RawStateHead::of(self),
                buckets: buckets.iter().map(|h| to_hex(h)).collect(),
            }
            .write(),
        );
        Ok(StatePieces {
            digest: piece_hash(&header),
            header,
            pieces,
        })
    }
}

/// The names the entries `from..size` of a log of `size` name, read from their bundles in
/// `source` **without verifying them**: a hint of which names of a saved state to load
/// before replaying those entries (replay verifies the bundles, and refuses an entry whose
/// name was not loaded, so a wrong hint costs a replay from entry 0, never a wrong verdict).
/// Bundles absent or malformed, and entries that do not parse, are skipped.
pub fn delta_names(
    from: u64,
    size: u64,
    source: &(impl TileSource + ?Sized),
) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    if from >= size {
        return Ok(names);
    }
    for b in bundles_for_replay(from, size, size)? {
        let Ok(bytes) = bundle_bytes(source, &b) else {
            continue;
        };
        let Ok(all) = parse_bundle_prefix(bytes, b.width()) else {
            continue;
        };
        let first = b.index() << TILE_HEIGHT;
        for (i, e) in all.into_iter().enumerate() {
            if first.saturating_add(i as u64) < from {
                continue;
            }
            if let Ok(entry) = Entry::parse(e) {
                if let Some(n) = entry.statement.name() {
                    names.insert(n.to_string());
                }
            }
        }
    }
    Ok(names)
}

/// The pieces a saved state's header reaches: its [`BUCKETS`] buckets and the records they
/// list — what a host must keep for that state; a piece reached by no kept header can go
/// (the CLI's cache collects them). A bucket `source` lacks is listed but not followed (its
/// records, if any, cannot be told apart from garbage and are not listed). A header or bucket
/// that fails its checks is an error: the host should then delete nothing.
pub fn reachable_pieces(
    header: &[u8],
    source: &(impl PieceSource + ?Sized),
) -> Result<BTreeSet<[u8; 32]>> {
    let state = RegistryState::from_header(header)?;
    let mut out = BTreeSet::new();
    let Some(loaded) = state.pieces.as_ref() else {
        return Ok(out);
    };
    for (b, h) in loaded.buckets.iter().enumerate() {
        if !out.insert(*h) {
            continue;
        }
        if let Some(bytes) = source.piece(h) {
            let b = u8::try_from(b).unwrap_or(u8::MAX);
            out.extend(parse_bucket(&bytes, h, b)?.into_values());
        }
    }
    Ok(out)
}

/// An error for pieces a host lacks (named by hash).
pub fn missing_pieces_error(missing: &[[u8; 32]]) -> Error {
    let list: Vec<String> = missing.iter().map(|h| to_hex(h)).collect();
    Error::new(
        ErrorCode::NotFound,
        format!(
            "registry state: pieces not in the host's store: {}",
            list.join(", ")
        ),
    )
}
