//! A sans-IO registry reader (REGISTRY.md R6, R8; issue 15): the order of the client's steps,
//! once, for every host: the Node, WASM, Python and Swift bindings and `omega install`,
//! `update`, `status` and `audit --online` (cli/src/install/session.rs is a host loop over
//! this reader). The host runs a loop: ask [`Reader::needs`] for the served paths (relative
//! to the registry URL), fetch them, hand each back with [`Reader::provide`] (`None` for a
//! 404), until nothing is needed. Every byte is verified by [`crate::client`]; this module
//! only sequences those calls, bounds what it accepts (each file by the limit of its kind,
//! the total by [`MAX_READER_FETCH_BYTES`]) and names the path of every refusal.
//!
//! Steps, as every host runs them (`omega install` included, by construction):
//! 1. `checkpoint`: [`Trust::verify_checkpoint`] (log key, quorum, freshness at `now`).
//! 2. For each held checkpoint — the trust's pinned one (a lock's pin, a binding's stored
//!    note), then those given with [`Reader::hold`] (the CLI's user cache), each verified by
//!    the policy — the consistency tiles of the larger tree, [`client::consistency_proof`],
//!    [`client::check_consistency`] against the largest proven so far (never backwards;
//!    [`Reader::evidence`] on `LOG_INCONSISTENT`).
//! 3. The replay up to the largest proven tree (threat model RR7, RB7): of the whole log, or
//!    only after a saved state given with [`Reader::resume`] (one the host trusts by its
//!    SHA-256 in the lock, RR8; never on first use), which [`client::replay_to`] checks
//!    against the log's root at its size; a saved state that does not hold is dropped and
//!    the log replayed from entry 0 ([`Reader::resume_refused`] says why).
//!
//! Then, per [`Reader::want_release`] (or [`Reader::want_release_with`]: a lock's entry, a
//! dependency's tree, the index check, an accepted owner change): [`client::choose_release`]
//! (or [`client::release_by_entry`], [`client::release_by_tree`]) from the replayed state and
//! the owner check, and one round of fetches for everything the release needs
//! (`index/<name>` unless the options skip it, the entry's tiles and bundle, both objects by
//! the hashes the state holds); checked in order: [`client::verify_index`],
//! [`client::read_release_entry`], [`client::verify_release`], then [`client::advisories`]
//! and [`client::check_notices`]. [`Reader::take_release`] gives the result.
//!
//! A second source: a host with a cache of its own (the CLI's user cache) hands bytes the
//! source did not serve to [`Reader::provide_cached`]. They are verified like any others;
//! when a check that used them fails, they are dropped, named by [`Reader::take_refused`]
//! (for the host to delete) and asked again, and that path is never taken from the cache
//! again (threat model RR13): a stale mirror with a corrupted cached tile ends `STALE`, not
//! with a false `LOG_INCONSISTENT`.
//!
//! The clock is given per operation ([`Reader::set_now`]): a reader refuses to read a release
//! or notices (`STALE`) once its verified checkpoint is older than `max_age` at that `now`
//! (threat model RD10); the host then opens the registry again. A host whose fetch fails
//! mid-release calls [`Reader::abandon_release`] (RD11).

use alloc::borrow::Cow;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use crate::checkpoint::Checkpoint;
use crate::client::{self, Advisories, Held, SavedState, Trust, VerifiedRelease};
use crate::error::{Error, ErrorCode, Result};
use crate::hash::to_hex;
use crate::json::Value;
use crate::keys::PublicKey;
use crate::limits::{
    MAX_BUNDLE_BYTES, MAX_DELTA_SCAN_BUNDLES, MAX_ENTRY_BYTES, MAX_INDEX_BYTES, MAX_MANIFEST_BYTES,
    MAX_NOTE_BYTES, MAX_READER_FETCH_BYTES, MAX_READER_ROUND_PATHS, MAX_STATE_PIECE_BYTES,
};
use crate::merkle::{Hash, HASH_SIZE};
use crate::policy::{Freshness, VerifiedCheckpoint};
use crate::registry::{NoticeRecord, RegistryState, ReleaseRecord};
use crate::report::{json_object, KeyStyle};
use crate::state_store::{self, PieceSource};
use crate::statement::ReleaseStatement;
use crate::tiles::{self, TilePath, FULL_TILE_BYTES};
use crate::tree::TreeDigest;

/// The served path of the checkpoint.
pub const CHECKPOINT_PATH: &str = "checkpoint";

/// The prefix of the paths naming a piece of a saved state ([`crate::state_store`]) in
/// [`Reader::needs`]: `state/<sha256 hex>`, served by the host's own store (never fetched
/// from a registry), checked by core against the hash that names it.
pub const STATE_PIECE_PREFIX: &str = "state/";

/// What the reader is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for `checkpoint`.
    Checkpoint,
    /// Waiting for the tiles of the consistency proof with the held checkpoint.
    Consistency,
    /// Waiting for the tiles and bundles of the replay.
    Replay,
    /// The registry is verified up to its checkpoint: ask for releases and notices.
    Ready,
    /// A release: waiting for `index/<name>`.
    Index,
    /// A release: waiting for the tiles and bundle of its entry.
    Entry,
    /// A release: waiting for its manifest and tarball objects.
    Objects,
    /// The registry could not be verified: every later call gives the same error.
    Failed,
}

/// A release to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReleaseRequest {
    /// The package name.
    pub name: String,
    /// The version; `None`: the latest unyanked release.
    pub version: Option<String>,
    /// Ids of critical notices the caller accepts (else such a notice refuses the release).
    pub accept_notices: Vec<String>,
    /// Read a yanked release too (a release the caller already pinned); off by default.
    pub allow_yanked: bool,
    /// The owner keys the caller pinned for the name (an earlier [`ReaderRelease::owner_keys`]);
    /// empty: first use, not checked. When none of the current owners' active keys is among
    /// them, the owners changed (a janitor-made `owners` entry) and the release is refused
    /// with `KEY_NOT_TRUSTED`, as [`client::owner_change`] refuses `omega install` (RD20).
    pub owner_keys: Vec<PublicKey>,
}

/// How [`Reader::want_release_with`] picks the release of [`ReleaseRequest::name`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ReleasePick {
    /// [`ReleaseRequest::version`], else the latest unyanked release
    /// ([`client::choose_release`]; a yanked one only with [`ReleaseRequest::allow_yanked`]).
    #[default]
    Version,
    /// A lock's record: the release logged at `entry`, which must be
    /// [`ReleaseRequest::version`] with `tree` ([`client::release_by_entry`]); yanked or not.
    Entry {
        /// The log index the lock records.
        entry: u64,
        /// The tree digest the lock pins.
        tree: TreeDigest,
    },
    /// A manifest's exact dependency pin: the release with this tree
    /// ([`client::release_by_tree`]); yanked or not.
    Tree(TreeDigest),
}

/// Whether [`Reader::want_release_with`] reads and checks the name's index note.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IndexCheck {
    /// Always ([`Reader::want_release`]; `omega install NAME`).
    #[default]
    Always,
    /// Only when the policy has no witnesses: the index note's expiry is then the only
    /// freshness (`omega install` from the lock, top-level packages).
    IfNotWitnessed,
    /// Never: the release is authorised by the replayed state alone (a dependency pinned by
    /// tree, `omega audit --online`).
    Never,
}

/// What a host that keeps a lock adds to a [`ReleaseRequest`] ([`Reader::want_release_with`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReleaseOptions {
    /// Which release.
    pub pick: ReleasePick,
    /// Whether the index note is read.
    pub index: IndexCheck,
    /// With [`ReleaseRequest::owner_keys`]: read and verify a release whose owners changed
    /// away from them instead of refusing it at once; [`ReaderRelease::owners_changed`] names
    /// the owners entry, and the host accepts or refuses the change (`omega install` moves
    /// the pin only with `--accept-owner-change NAME`, after every check of the release: a
    /// release whose only keys were revoked is `KEY_REVOKED`, not an owner change).
    pub accept_owner_change: bool,
}

/// A release read and verified.
#[derive(Clone, Debug)]
pub struct ReaderRelease {
    /// The verified release (statement, entry, manifest and tarball bytes, report).
    pub release: VerifiedRelease,
    /// Yank, notices and revoked signers for it.
    pub advisories: Advisories,
    /// Index of the name's current owners entry.
    pub owners_entry: u64,
    /// The serial of that owners statement.
    pub owners_serial: u64,
    /// The current owners' active keys (signers ∪ next, not revoked): what to pin and give
    /// back as [`ReleaseRequest::owner_keys`] next time.
    pub owner_keys: Vec<PublicKey>,
    /// The owners entry of an owner change let through by
    /// [`ReleaseOptions::accept_owner_change`] (none of [`ReleaseRequest::owner_keys`] is an
    /// active owner key any more); `None` otherwise.
    pub owners_changed: Option<u64>,
}

/// The release being read.
#[derive(Clone, Debug)]
struct Pick {
    request: ReleaseRequest,
    version: String,
    record: ReleaseRecord,
    statement: Option<ReleaseStatement>,
    owners_changed: Option<u64>,
}

/// Most checks [`Reader`] runs for one provided path before it must wait for more (each
/// changes the phase, asks for paths, or uses up a held checkpoint or a retry): a bound
/// against a loop that makes no progress.
const MAX_STEPS_PER_PROVIDE: usize = 64;

/// The path prefix of entry bundles (`tile/entries/…`, C2SP tlog-tiles).
const BUNDLE_PREFIX: &str = "tile/entries/";

/// Whether `e` is a verdict on bytes (so bytes from a host's cache among them may be bad),
/// not a miss.
fn is_verdict(e: &Error) -> bool {
    !matches!(e.code(), ErrorCode::NotFound | ErrorCode::Io)
}

/// Whether the check of `phase` reads `path`. A release's files arrive in one round and are
/// checked in turn: the index note, then the entry's tiles and bundle, then the objects
/// (everything left); every other phase checks all it asked for.
fn is_input(phase: Phase, path: &str) -> bool {
    match phase {
        Phase::Index => path.starts_with("index/"),
        Phase::Entry => path.starts_with("tile/"),
        _ => true,
    }
}

/// The sans-IO registry reader (module documentation).
#[derive(Clone, Debug)]
pub struct Reader {
    trust: Trust,
    now: Option<u64>,
    phase: Phase,
    /// Paths asked for and not yet provided, with their byte caps.
    pending: BTreeMap<String, u64>,
    /// Tiles and bundles provided (verified by core before use).
    tiles: BTreeMap<String, Vec<u8>>,
    /// Other files provided in the current phase (checkpoint, index, objects).
    files: BTreeMap<String, Vec<u8>>,
    fetched: u64,
    verified: Option<VerifiedCheckpoint>,
    latest: Option<Held>,
    state: Option<RegistryState>,
    pick: Option<Pick>,
    release: Option<ReaderRelease>,
    error: Option<Error>,
    evidence: Option<String>,
    /// Checkpoints held besides `trust.pinned` ([`Reader::hold`]), verified by the policy.
    held: Vec<Held>,
    /// The held checkpoints still to prove consistent (the first is being proven).
    to_check: Vec<Held>,
    /// The saved state to replay from ([`Reader::resume`]), until the replay uses it.
    saved: Option<SavedState>,
    /// Whether the replay being checked started from `saved` (dropped if it fails).
    replay_saved: bool,
    /// The size of the saved state the replay started from, once replayed.
    resumed_from: Option<u64>,
    /// Why the saved state was not used.
    resume_refused: Option<Error>,
    /// The first entry the replay asked for ([`Reader::ask_replay`]).
    replay_from: u64,
    /// Whether the last step asked for more instead of checking (saved-state pieces, or the
    /// replay again from entry 0): what was provided is not verified yet.
    asked_more: bool,
    /// Paths provided and not yet verified by a check that passed.
    unverified: BTreeSet<String>,
    /// Of those, the ones from the host's cache, with their caps.
    from_cache: BTreeMap<String, u64>,
    /// Paths from the host's cache that failed, never taken from the cache again.
    refused_cached: BTreeSet<String>,
    /// Of those, the ones the host has not yet been told of ([`Reader::take_refused`]).
    refused: Vec<String>,
    /// A replay from entry 0 (first use), window by window: each window's bundles are
    /// dropped once replayed, so memory does not grow with the log (threat model RW6).
    window: Option<client::WindowedReplay>,
    /// Bundles per window of that replay ([`Reader::with_replay_window`]).
    replay_window: usize,
}

impl Reader {
    /// A reader for the registry `trust` describes ([`Trust::first_use`] from a policy, with
    /// `pinned` and `genesis` set when the caller stored them), checking freshness at `now`
    /// (`None`: offline, not checked). It first needs `checkpoint`.
    pub fn open(trust: Trust, now: Option<u64>) -> Reader {
        let mut pending = BTreeMap::new();
        pending.insert(CHECKPOINT_PATH.to_string(), MAX_NOTE_BYTES as u64);
        Reader {
            trust,
            now,
            phase: Phase::Checkpoint,
            pending,
            tiles: BTreeMap::new(),
            files: BTreeMap::new(),
            fetched: 0,
            verified: None,
            latest: None,
            state: None,
            pick: None,
            release: None,
            error: None,
            evidence: None,
            held: Vec::new(),
            to_check: Vec::new(),
            saved: None,
            replay_saved: false,
            resumed_from: None,
            resume_refused: None,
            replay_from: 0,
            asked_more: false,
            unverified: BTreeSet::new(),
            from_cache: BTreeMap::new(),
            refused_cached: BTreeSet::new(),
            refused: Vec::new(),
            window: None,
            replay_window: MAX_DELTA_SCAN_BUNDLES,
        }
    }

    /// Smaller windows for a replay from entry 0: `bundles` per window (1 to
    /// [`MAX_DELTA_SCAN_BUNDLES`], the default; clamped), for a host with little memory and
    /// for tests.
    pub fn with_replay_window(mut self, bundles: usize) -> Reader {
        self.replay_window = bundles.clamp(1, MAX_DELTA_SCAN_BUNDLES);
        self
    }

    /// Adds a checkpoint the host holds besides the trust's pinned one (the CLI: the latest
    /// checkpoint of its user cache, which any process of the user can write): verified here
    /// by the policy's log key and quorum (freshness not rechecked); the registry must then be
    /// consistent with it and the state covers it when it is the largest (threat model RR7).
    /// Only before `checkpoint` is provided (`MALFORMED` otherwise); on an error nothing is
    /// held (the host says so and goes on: RR22).
    pub fn hold(&mut self, note: &[u8]) -> Result<()> {
        self.before_checkpoint("hold a checkpoint")?;
        let h = self.trust.verify_cached(note)?;
        self.held.push(h);
        Ok(())
    }

    /// Replays from `saved` (the state after `saved.state.size` entries and the root at that
    /// size) rather than from entry 0: only the entries after it are asked for, once
    /// [`client::replay_to`] proved its root to be the log's at that size and its genesis the
    /// pinned one. The host trusts it by other means (the CLI: its SHA-256 is the lock pin's
    /// `state`, threat model RR8). Never on first use (no pinned genesis: `MALFORMED`, the
    /// genesis to pin comes from the log itself) and only before `checkpoint` is provided. A
    /// saved state beyond the proven tree, or that fails, is dropped and the log replayed
    /// from entry 0 ([`Reader::resume_refused`]).
    pub fn resume(&mut self, saved: SavedState) -> Result<()> {
        self.before_checkpoint("resume from a saved state")?;
        if self.trust.genesis.is_none() {
            return Err(Error::new(
                ErrorCode::Malformed,
                format!(
                    "registry {}: first use (no pinned genesis) replays the whole log, never from a saved state",
                    self.trust.url
                ),
            ));
        }
        self.saved = Some(saved);
        Ok(())
    }

    /// Why the saved state given to [`Reader::resume`] was not used (the replay then ran from
    /// entry 0), if it was not.
    pub fn resume_refused(&self) -> Option<&Error> {
        self.resume_refused.as_ref()
    }

    /// The size of the saved state the replay started from, once replayed from it.
    pub fn resumed_from(&self) -> Option<u64> {
        self.resumed_from
    }

    /// The state for the host to save with its root, once verified: [`Reader::state`] and the
    /// root of [`Reader::latest`] (the state covers that tree). The host keys it by the
    /// SHA-256 of its bytes ([`client::state_digest`]) and gives it back to
    /// [`Reader::resume`] when its lock names that digest.
    pub fn state_to_save(&self) -> Option<(&RegistryState, Hash)> {
        Some((self.state.as_ref()?, self.latest()?.checkpoint.root))
    }

    /// Loads `names` into a replayed state that was resumed from a saved header
    /// ([`RegistryState::load_names`], pieces from the host's `source`), so that the reader
    /// (and [`Reader::state`]) can answer for them; a whole state needs nothing. `NOT_FOUND`
    /// naming the pieces `source` lacks; `DIGEST_MISMATCH`/`MALFORMED` for a bad piece;
    /// `MALFORMED` before the registry is verified.
    pub fn load_names(
        &mut self,
        names: &[&str],
        source: &(impl PieceSource + ?Sized),
    ) -> Result<()> {
        let Some(state) = self.state.as_mut() else {
            return Err(Error::new(
                ErrorCode::Malformed,
                format!(
                    "registry {}: not verified (load names after the replay)",
                    self.trust.url
                ),
            ));
        };
        let missing = state.load_names(names.iter().copied(), source)?;
        if missing.is_empty() {
            Ok(())
        } else {
            Err(state_store::missing_pieces_error(&missing))
        }
    }

    /// The tiles and bundles provided and verified so far (path, bytes): what a host may
    /// keep in its cache.
    pub fn verified_tiles(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.tiles
            .iter()
            .filter(|(p, _)| !self.unverified.contains(*p))
            .map(|(p, b)| (p.as_str(), b.as_slice()))
    }

    /// The paths taken from the host's cache ([`Reader::provide_cached`]) that failed a check
    /// since the last call: the host deletes them from its cache. Each was asked for again
    /// and is not taken from the cache again.
    pub fn take_refused(&mut self) -> Vec<String> {
        core::mem::take(&mut self.refused)
    }

    fn before_checkpoint(&self, what: &str) -> Result<()> {
        if self.phase == Phase::Checkpoint && self.verified.is_none() && self.error.is_none() {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::Malformed,
            format!(
                "registry {}: {what} only before the checkpoint is provided (phase {:?})",
                self.trust.url, self.phase
            ),
        ))
    }

    /// A reader from a policy text (the registry's, obtained another way than plain http on
    /// first use), the note the caller stored from an earlier [`Reader::checkpoint_note`]
    /// (verified here by the policy, freshness not rechecked) and the genesis hash it stored
    /// ([`Reader::genesis`]), if any.
    pub fn from_policy(
        url: &str,
        policy_text: &str,
        max_age: u64,
        held: Option<&[u8]>,
        genesis: Option<[u8; 32]>,
        now: Option<u64>,
    ) -> Result<Reader> {
        let mut trust = Trust::first_use(url, policy_text, max_age)?;
        if let Some(note) = held {
            trust.pinned = Some(
                trust
                    .verify_cached(note)
                    .map_err(|e| e.context("the stored checkpoint"))?,
            );
        }
        trust.genesis = genesis;
        Ok(Reader::open(trust, now))
    }

    /// The phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The paths to fetch next (relative to the registry URL, e.g. `checkpoint`,
    /// `tile/0/000.p/9`, `tile/entries/000.p/9`, `index/left-pad`, `objects/ab/ab…`), in
    /// order, at most [`MAX_READER_ROUND_PATHS`] at a time (the rest follow once these are
    /// provided); empty when the reader waits for nothing (ready, done, or failed). They may
    /// be fetched in parallel and provided in any order.
    pub fn needs(&self) -> Vec<String> {
        self.pending
            .keys()
            .take(MAX_READER_ROUND_PATHS)
            .cloned()
            .collect()
    }

    /// The clock for the next operations (Unix seconds; `None`: offline, freshness not
    /// checked): [`Reader::want_release`] and [`Reader::notices`] refuse (`STALE`) once the
    /// verified checkpoint is older than `max_age` at it, and index notes are checked for
    /// expiry at it. A host reads its clock before each call (threat model RD10).
    pub fn set_now(&mut self, now: Option<u64>) {
        self.now = now;
    }

    /// The clock the reader checks against ([`Reader::set_now`]).
    pub fn now(&self) -> Option<u64> {
        self.now
    }

    /// Drops the release being read (its pending paths, files, tiles not yet verified, and
    /// pick): back to [`Phase::Ready`], the registry still verified. For a host whose fetch
    /// failed in the middle of a release (threat model RD11). Nothing happens in any other
    /// phase: an open cut short stays where it was, a failed reader stays failed.
    pub fn abandon_release(&mut self) {
        if matches!(self.phase, Phase::Index | Phase::Entry | Phase::Objects) {
            self.pending.clear();
            self.files.clear();
            self.pick = None;
            self.phase = Phase::Ready;
            // Tiles of this release not yet verified are not kept (nor offered to a cache).
            for p in core::mem::take(&mut self.unverified) {
                self.tiles.remove(&p);
            }
            self.from_cache.clear();
        }
    }

    /// The most bytes accepted for `path` (a host may stop reading beyond it); `None` when
    /// `path` is not needed.
    pub fn max_bytes(&self, path: &str) -> Option<u64> {
        self.pending.get(path).copied()
    }

    /// The bytes served at `path` (one of [`Reader::needs`]), `None` when it is not served
    /// (404). When the last needed path arrives, the phase's checks run; their error (with
    /// the path or step named) is returned here. An error while opening the registry is
    /// final ([`Phase::Failed`]); an error while reading a release ends that release only.
    pub fn provide(&mut self, path: &str, bytes: Option<Vec<u8>>) -> Result<()> {
        self.take(path, bytes, false)
    }

    /// The bytes of `path` (one of [`Reader::needs`]) from the host's own cache, when the
    /// source did not serve it (the CLI's user cache: a stale mirror lacks tiles of the tree
    /// proven before). Verified like served bytes; when a check that used them fails they are
    /// dropped, named by [`Reader::take_refused`] and `path` is asked for again, and bytes of
    /// a path refused once are taken as `None` (threat model RR13); bytes over the cap of
    /// `path` are refused so at once. A check that fails although the cached bytes were
    /// proven (a fork shown by consistency tiles that hash to the held signed root) does not
    /// blame them: it is final (threat model AT1, AT2).
    pub fn provide_cached(&mut self, path: &str, bytes: Vec<u8>) -> Result<()> {
        if self.refused_cached.contains(path) {
            return self.take(path, None, false);
        }
        // Over the cap for `path`: refused like cached bytes that fail a check, not a final
        // `TOO_LARGE` (threat model AT2).
        if self
            .pending
            .get(path)
            .is_some_and(|cap| bytes.len() as u64 > *cap)
        {
            self.refused_cached.insert(path.to_string());
            self.refused.push(path.to_string());
            return self.take(path, None, false);
        }
        self.take(path, Some(bytes), true)
    }

    fn take(&mut self, path: &str, bytes: Option<Vec<u8>>, cached: bool) -> Result<()> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let Some(cap) = self.pending.remove(path) else {
            return Err(Error::new(
                ErrorCode::Malformed,
                format!(
                    "registry {}: {path} was not asked for (the reader needs {})",
                    self.trust.url,
                    self.needs().join(", ")
                ),
            ));
        };
        let Some(bytes) = bytes else {
            // A piece of the saved state the host does not have: the replay runs from entry 0
            // (asked for once every pending path has arrived).
            if path.starts_with(STATE_PIECE_PREFIX) {
                if self.saved.is_some() {
                    self.saved = None;
                    self.resume_refused = Some(Error::new(
                        ErrorCode::NotFound,
                        format!("{path}: a piece of the saved state the host does not have"),
                    ));
                }
                return self.advance_if_done();
            }
            // A partial tile or bundle a registry has completed is served as the full one.
            if let Ok(p) = TilePath::parse(path) {
                if p.is_partial() {
                    let full = p.full();
                    let key = full.to_string();
                    if !self.tiles.contains_key(&key) {
                        self.pending.insert(key, cap_of(&full));
                    }
                    return self.advance_if_done();
                }
            }
            if let (Some((served, proven)), true) = (self.behind(), TilePath::parse(path).is_ok()) {
                return self.failed(Error::new(
                    ErrorCode::Stale,
                    format!(
                        "registry {}: it serves checkpoint {served}, older than the stored {proven}, and not {path}, which the entries {served}..{proven} need: the state would miss them (the source serves the log at size {served}, size {proven} was proven before, and the host has no copy either; use an up-to-date source)",
                        self.trust.url
                    ),
                ));
            }
            return self.failed(Error::new(
                ErrorCode::NotFound,
                format!("registry {}: {path} is not served", self.trust.url),
            ));
        };
        let len = bytes.len() as u64;
        if len > cap {
            return self.failed(Error::new(
                ErrorCode::TooLarge,
                format!(
                    "registry {}: {path} has {len} bytes, over the limit of {cap} for it",
                    self.trust.url
                ),
            ));
        }
        self.fetched = self.fetched.saturating_add(len);
        if self.fetched > MAX_READER_FETCH_BYTES {
            return self.failed(Error::new(
                ErrorCode::TooLarge,
                format!(
                    "registry {}: more than {MAX_READER_FETCH_BYTES} bytes fetched (at {path})",
                    self.trust.url
                ),
            ));
        }
        if path.starts_with("tile/") {
            self.tiles.insert(path.to_string(), bytes);
        } else {
            self.files.insert(path.to_string(), bytes);
        }
        self.unverified.insert(path.to_string());
        if cached {
            self.from_cache.insert(path.to_string(), cap);
        }
        self.advance_if_done()
    }

    /// Starts reading a release (in [`Phase::Ready`]): [`client::choose_release`] picks it
    /// from the replayed state (`NOT_IN_LOG`, or `NOT_FOUND` for a yanked one), then the
    /// reader needs its index note, entry and objects.
    pub fn want_release(&mut self, request: ReleaseRequest) -> Result<()> {
        self.want_release_with(request, ReleaseOptions::default())
    }

    /// [`Reader::want_release`] as `options` say: the release of a lock's entry or of a
    /// dependency's tree, with or without the index note, accepting an owner change. When
    /// every tile it needs was verified before (a replay fetched them), its checks run here
    /// and the reader needs its objects next.
    pub fn want_release_with(
        &mut self,
        request: ReleaseRequest,
        options: ReleaseOptions,
    ) -> Result<()> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        self.check_fresh()?;
        let (version, record) = self.select(&request, &options)?;
        crate::manifest::validate_name(&request.name)?;
        let state = self.ready_state()?;
        let mut owners_changed = None;
        if !request.owner_keys.is_empty() {
            if let Some(ns) = state.try_name(&request.name)? {
                let active = ns.active_owner_keys();
                if !active.iter().any(|k| request.owner_keys.contains(k)) {
                    if !options.accept_owner_change {
                        return Err(Error::new(
                            ErrorCode::KeyNotTrusted,
                            format!(
                                "{}: the owners changed (owners entry {}, serial {}) away from the pinned keys: the janitors gave the name to other owners; the pin moves only when the change is accepted (read it without the pinned keys; omega: --accept-owner-change {})",
                                request.name, ns.owners_entry, ns.owners_serial, request.name
                            ),
                        ));
                    }
                    owners_changed = Some(ns.owners_entry);
                }
            }
        }
        let index = match options.index {
            IndexCheck::Always => true,
            IndexCheck::Never => false,
            IndexCheck::IfNotWitnessed => self
                .verified
                .as_ref()
                .is_some_and(|v| v.freshness == Freshness::NotWitnessed),
        };
        let most = crate::tarball::MAX_TARBALL_UNPACKED_BYTES as u64;
        if record.size > most {
            return Err(Error::new(
                ErrorCode::TooLarge,
                format!(
                    "{}@{version}: the logged tarball size {} is over {most} bytes",
                    request.name, record.size
                ),
            ));
        }
        let (tiles, bundle) = client::release_paths(record.entry, state.size)?;
        // Everything the release needs is asked for in one round: the index note (unless the
        // options skip it), the entry's tiles and bundle (usually still held from the replay)
        // and both objects, whose hashes and size the replayed state already holds. The
        // checks still run in order — index, then entry, then objects, each only after the
        // one before passed — and every object is checked against its logged hash before use.
        let (manifest, tgz) = (
            client::object_path(&record.manifest),
            client::object_path(&record.tgz),
        );
        let tgz_size = record.size;
        self.release = None;
        self.files.clear();
        let path = format!("index/{}", request.name);
        self.pick = Some(Pick {
            request,
            version,
            record,
            statement: None,
            owners_changed,
        });
        if index {
            self.pending.insert(path, MAX_INDEX_BYTES as u64);
        }
        self.ask(&tiles);
        self.ask(&[bundle]);
        self.pending.insert(manifest, MAX_MANIFEST_BYTES as u64);
        self.pending.insert(tgz, tgz_size);
        self.phase = if index { Phase::Index } else { Phase::Entry };
        Ok(())
    }

    /// The release [`Reader::want_release_with`] would read (version and logged record), from
    /// the replayed state, without reading it: `NOT_IN_LOG`, `NOT_FOUND` (yanked) or
    /// `DIGEST_MISMATCH` (a lock's entry that is another release) as it would refuse.
    pub fn select(
        &self,
        request: &ReleaseRequest,
        options: &ReleaseOptions,
    ) -> Result<(String, ReleaseRecord)> {
        let state = self.ready_state()?;
        let name = request.name.as_str();
        let (version, record) = match &options.pick {
            ReleasePick::Version => client::choose_release(
                state,
                name,
                request.version.as_deref(),
                request.allow_yanked,
            )?,
            ReleasePick::Entry { entry, tree } => {
                let Some(version) = request.version.as_deref() else {
                    return Err(Error::new(
                        ErrorCode::Malformed,
                        format!("{name}: a release pinned by its entry {entry} needs its version"),
                    ));
                };
                client::release_by_entry(state, name, version, *entry, tree)?
            }
            ReleasePick::Tree(tree) => client::release_by_tree(state, name, tree)?,
        };
        Ok((version.to_string(), record.clone()))
    }

    /// The release read by the last [`Reader::want_release`], once verified.
    pub fn take_release(&mut self) -> Option<ReaderRelease> {
        self.release.take()
    }

    /// The notices of `name` (all of them, or those whose ranges contain `sequence`), in id
    /// order, from the replayed state. `NOT_IN_LOG` when the log does not hold the name.
    pub fn notices(&self, name: &str, sequence: Option<u64>) -> Result<Vec<NoticeRecord>> {
        self.check_fresh()?;
        let state = self.ready_state()?;
        let Some(ns) = state.try_name(name)? else {
            return Err(Error::new(
                ErrorCode::NotInLog,
                format!(
                    "package {name}: not in the log of {} (size {})",
                    state.origin, state.size
                ),
            ));
        };
        Ok(match sequence {
            Some(s) => ns.notices_for(s).cloned().collect(),
            None => ns.notices.values().cloned().collect(),
        })
    }

    /// The fetched checkpoint, verified (after step 1).
    pub fn verified(&self) -> Option<&VerifiedCheckpoint> {
        self.verified.as_ref()
    }

    /// The checkpoint to keep (the larger of the fetched and the held one; never backwards),
    /// once the registry is verified. The caller stores its note and gives it back to
    /// [`Reader::from_policy`] next time (the role of `omega.lock`'s pin).
    pub fn latest(&self) -> Option<&Held> {
        self.state.as_ref().and(self.latest.as_ref())
    }

    /// The note of [`Reader::latest`].
    pub fn checkpoint_note(&self) -> Option<&str> {
        self.latest().map(|h| h.note.as_str())
    }

    /// The replayed registry state (once verified).
    pub fn state(&self) -> Option<&RegistryState> {
        self.state.as_ref()
    }

    /// The SHA-256 of entry 0 to store with the checkpoint (once verified).
    pub fn genesis(&self) -> Option<[u8; 32]> {
        self.state.as_ref().map(|s| s.genesis)
    }

    /// The trust the reader was opened with.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// The final error, once [`Phase::Failed`].
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// The evidence text of a `LOG_INCONSISTENT` verdict ([`client::evidence_text`]): both
    /// notes and the proof, for the host to save and show.
    pub fn evidence(&self) -> Option<&str> {
        self.evidence.as_deref()
    }

    /// Bytes accepted so far.
    pub fn fetched_bytes(&self) -> u64 {
        self.fetched
    }

    /// A one-line account of the checkpoint's witnesses and freshness, for people.
    pub fn witness_text(&self) -> Option<String> {
        let v = self.verified.as_ref()?;
        let freshness = match v.freshness {
            Freshness::Fresh { as_of } => format!("fresh as of {as_of}"),
            Freshness::NotWitnessed => "no witnesses in the policy".into(),
            Freshness::NotChecked => "freshness not checked (offline)".into(),
        };
        if v.witnesses.is_empty() {
            return Some(freshness);
        }
        let w: Vec<String> = v
            .witnesses
            .iter()
            .map(|(n, t)| format!("{n} at {t}"))
            .collect();
        Some(format!("cosigned by {}; {freshness}", w.join(", ")))
    }

    /// `STALE` when the verified checkpoint is older than `max_age` at [`Reader::now`]: its
    /// quorum's time plus `max_age` has passed, or it was verified offline and a clock is
    /// given now (threat model RD10). The host opens the registry again.
    pub fn check_fresh(&self) -> Result<()> {
        let (Some(v), Some(now)) = (&self.verified, self.now) else {
            return Ok(());
        };
        let max_age = self.trust.max_age;
        let why = match v.freshness {
            Freshness::Fresh { as_of } if now > as_of.saturating_add(max_age) => {
                format!("its quorum's time {as_of} is more than {max_age} s before now ({now})")
            }
            Freshness::NotChecked => "it was verified offline".to_string(),
            _ => return Ok(()),
        };
        Err(Error::new(
            ErrorCode::Stale,
            format!(
                "registry {}: the verified checkpoint (size {}) is stale: {why}; open the registry again",
                self.trust.url, v.checkpoint.size
            ),
        ))
    }

    fn ready_state(&self) -> Result<&RegistryState> {
        match (&self.state, self.phase) {
            (Some(s), Phase::Ready) => Ok(s),
            _ => Err(Error::new(
                ErrorCode::Malformed,
                format!(
                    "registry {}: the reader is not ready (phase {:?}; provide {} first)",
                    self.trust.url,
                    self.phase,
                    self.needs().join(", ")
                ),
            )),
        }
    }

    fn failed(&mut self, e: Error) -> Result<()> {
        if matches!(self.phase, Phase::Index | Phase::Entry | Phase::Objects) {
            // A release failed: the registry stays verified; only this release is refused.
            self.abandon_release();
        } else {
            self.pending.clear();
            self.phase = Phase::Failed;
            self.error = Some(e.clone());
        }
        Err(e)
    }

    /// Asks for `paths` not provided yet (a full tile provided stands for its partial one).
    fn ask(&mut self, paths: &[TilePath]) {
        for p in paths {
            let (key, full) = (p.to_string(), p.full().to_string());
            if !self.tiles.contains_key(&key) && !self.tiles.contains_key(&full) {
                self.pending.insert(key, cap_of(p));
            }
        }
    }

    fn advance_if_done(&mut self) -> Result<()> {
        let mut steps = 0;
        while self.pending.is_empty() && !matches!(self.phase, Phase::Ready | Phase::Failed) {
            steps += 1;
            if steps > MAX_STEPS_PER_PROVIDE + self.held.len() {
                return self.failed(Error::new(
                    ErrorCode::Malformed,
                    format!(
                        "registry {}: the reader made no progress (phase {:?})",
                        self.trust.url, self.phase
                    ),
                ));
            }
            let before = self.phase;
            self.asked_more = false;
            match self.step() {
                Ok(()) if self.asked_more => {}
                Ok(()) => {
                    // The paths this step checked passed.
                    self.unverified.retain(|p| !is_input(before, p));
                    self.from_cache.retain(|p, _| !is_input(before, p));
                }
                Err(e) => {
                    if !self.retry(before, &e) {
                        return self.failed(e);
                    }
                }
            }
        }
        Ok(())
    }

    /// After a failed check of `phase`: whether it is tried again without what may have
    /// caused it — first the saved state of a replay (from entry 0 instead), then the bytes
    /// from the host's cache among the check's inputs (dropped, named by
    /// [`Reader::take_refused`], asked again). Each happens once per saved state or path, so
    /// the retries end.
    fn retry(&mut self, phase: Phase, e: &Error) -> bool {
        if !is_verdict(e) {
            return false;
        }
        if phase == Phase::Replay && self.replay_saved {
            self.replay_saved = false;
            self.resume_refused = Some(e.clone());
            let size = match self.proven_checkpoint() {
                Ok(cp) => cp.size,
                Err(_) => return false,
            };
            return self.ask_replay(size).is_ok();
        }
        let dropped: Vec<(String, u64)> = self
            .from_cache
            .iter()
            .filter(|(p, _)| is_input(phase, p))
            .map(|(p, cap)| (p.clone(), *cap))
            .collect();
        if dropped.is_empty() {
            return false;
        }
        self.evidence = None;
        for (p, cap) in dropped {
            self.from_cache.remove(&p);
            self.tiles.remove(&p);
            self.files.remove(&p);
            self.unverified.remove(&p);
            self.refused_cached.insert(p.clone());
            self.refused.push(p.clone());
            self.pending.insert(p, cap);
        }
        true
    }

    /// Runs the checks of the phase whose files all arrived and asks for the next ones.
    fn step(&mut self) -> Result<()> {
        let url = self.trust.url.clone();
        match self.phase {
            Phase::Checkpoint => {
                let bytes = self.files.remove(CHECKPOINT_PATH).unwrap_or_default();
                let v = self
                    .trust
                    .verify_checkpoint(&bytes, self.now)
                    .map_err(|e| e.context(&format!("registry {url}: checkpoint")))?;
                let fetched = Held::from_verified(&v);
                self.verified = Some(v);
                self.latest = Some(fetched);
                // The lock's (or stored) checkpoint first, then the others held.
                self.to_check = self
                    .trust
                    .pinned
                    .iter()
                    .chain(&self.held)
                    .cloned()
                    .collect();
                self.next_held()?;
            }
            Phase::Consistency => {
                let (Some(h), Some(fetched)) =
                    (self.to_check.first().cloned(), self.latest.clone())
                else {
                    return Err(Error::new(
                        ErrorCode::Malformed,
                        "reader: no held checkpoint",
                    ));
                };
                let (proof, err) = match client::consistency_proof(
                    &h.checkpoint,
                    &fetched.checkpoint,
                    &self.tiles,
                ) {
                    Ok(p) => match client::check_consistency(&h, &fetched, &p) {
                        Ok(c) => (p, Ok(c.latest)),
                        Err(e) => {
                            // The tiles hashed to the larger tree's signed root, so the proof
                            // is that tree's: the two checkpoints disagree (a fork), whatever
                            // came from the host's cache. Its bytes are not to blame (not
                            // dropped nor retried): the verdict is final, with the evidence
                            // (threat model AT1).
                            self.from_cache.clear();
                            (p, Err(e))
                        }
                    },
                    Err(e) => (Vec::new(), Err(e)),
                };
                match err {
                    Ok(latest) => {
                        // The state must cover the largest proven tree (threat model RR7,
                        // RB7): a mirror behind the stored checkpoint cannot hide the
                        // notices, revocations or owner changes between its size and ours.
                        self.latest = Some(latest);
                        if !self.to_check.is_empty() {
                            self.to_check.remove(0);
                        }
                        self.next_held()?;
                    }
                    Err(e) => {
                        if e.code() == ErrorCode::LogInconsistent {
                            self.evidence = Some(client::evidence_text(&h, &fetched, &proof, &e));
                        }
                        return Err(e.context(&format!("registry {url}")));
                    }
                }
            }
            Phase::Replay if self.window.is_some() => {
                let v = self.verified_checkpoint()?;
                // Kept in `window` while fed: a window that fails with bytes from the host's
                // cache is fed again once they are fetched anew (`retry`); an invalid entry
                // fails every later feed (threat model AT3).
                if let Some(w) = self.window.as_mut() {
                    w.feed(&self.tiles)
                        .map_err(|e| e.context(&format!("registry {url}: replay")))?;
                }
                match self.window.as_ref().map(client::WindowedReplay::paths) {
                    Some(Ok(Some((bundles, tiles)))) => {
                        // This window is replayed: its bundles are not needed any more (a
                        // release's entry bundle is asked for again if it was among them).
                        let fed: Vec<String> = self
                            .tiles
                            .keys()
                            .filter(|p| p.starts_with(BUNDLE_PREFIX))
                            .cloned()
                            .collect();
                        for p in fed {
                            self.tiles.remove(&p);
                            self.unverified.remove(&p);
                            self.from_cache.remove(&p);
                        }
                        self.ask(&tiles);
                        self.ask(&bundles);
                    }
                    Some(Err(e)) => return Err(e),
                    Some(Ok(None)) | None => {
                        let w = self.window.take().ok_or_else(|| {
                            Error::new(ErrorCode::Malformed, "reader: no replay window")
                        })?;
                        let state = w
                            .finish(&v.log_key)
                            .map_err(|e| e.context(&format!("registry {url}: replay")))?;
                        self.resumed_from = None;
                        self.state = Some(state);
                        self.phase = Phase::Ready;
                    }
                }
            }
            Phase::Replay => {
                let v = self.verified_checkpoint()?;
                let proven = self.proven_checkpoint()?;
                if self.load_saved_names(proven.size)? {
                    self.asked_more = true;
                    return Ok(());
                }
                let saved = self.saved.take();
                let from = saved.as_ref().map(|s| s.state.size);
                // A failure with a saved state is retried from entry 0 (`retry`).
                self.replay_saved = from.is_some();
                let state = client::replay_to(
                    saved,
                    self.trust.genesis.as_ref(),
                    &proven,
                    &v.log_key,
                    &self.tiles,
                )
                .map_err(|e| e.context(&format!("registry {url}: replay")))?;
                self.replay_saved = false;
                self.resumed_from = from;
                self.state = Some(state);
                self.phase = Phase::Ready;
            }
            Phase::Index => {
                let (state, pick) = self.state_and_pick()?;
                let name = pick.request.name.clone();
                let path = format!("index/{name}");
                let bytes = self.files.get(&path).map(Vec::as_slice).unwrap_or_default();
                client::verify_index(state, bytes, &name, self.now)
                    .map_err(|e| e.context(&format!("registry {url}: {path}")))?;
                self.phase = Phase::Entry;
            }
            Phase::Entry => {
                let proven = self.proven_checkpoint()?;
                let (_, pick) = self.state_and_pick()?;
                let st = client::read_release_entry(
                    &proven,
                    &pick.request.name,
                    &pick.version,
                    &pick.record,
                    &self.tiles,
                )
                .map_err(|e| e.context(&format!("registry {url}")))?;
                if let Some(p) = self.pick.as_mut() {
                    p.statement = Some(st);
                }
                self.phase = Phase::Objects;
            }
            Phase::Objects => {
                let (state, pick) = self.state_and_pick()?;
                let Some(st) = pick.statement.clone() else {
                    return Err(Error::new(ErrorCode::Malformed, "reader: no statement"));
                };
                let name = pick.request.name.clone();
                let get = |h: &[u8; 32]| self.files.get(&client::object_path(h));
                let (Some(manifest), Some(tgz)) = (get(&st.manifest), get(&st.tgz)) else {
                    return Err(Error::new(ErrorCode::NotFound, "reader: objects missing"));
                };
                let revoked: Vec<_> = state
                    .name(&name)
                    .map(|n| n.revoked.iter().map(|r| r.key).collect())
                    .unwrap_or_default();
                let rel = client::verify_release(&st, pick.record.entry, manifest, tgz, &revoked)
                    .map_err(|e| e.context(&format!("registry {url}")))?;
                let adv = client::advisories(
                    state,
                    &name,
                    &pick.version,
                    st.sequence,
                    &rel.report.signed_by,
                );
                client::check_notices(&name, &adv, &pick.request.accept_notices)?;
                let ns = state.name(&name);
                self.release = Some(ReaderRelease {
                    release: rel,
                    advisories: adv,
                    owners_entry: ns.map_or(0, |n| n.owners_entry),
                    owners_serial: ns.map_or(0, |n| n.owners_serial),
                    owner_keys: ns.map(|n| n.active_owner_keys()).unwrap_or_default(),
                    owners_changed: pick.owners_changed,
                });
                self.pick = None;
                self.files.clear();
                self.phase = Phase::Ready;
            }
            Phase::Ready | Phase::Failed => {}
        }
        Ok(())
    }

    /// Asks for the consistency tiles with the next held checkpoint, or, when every one is
    /// proven, for the replay up to the largest proven tree.
    fn next_held(&mut self) -> Result<()> {
        let Some(latest) = self.latest.clone() else {
            return Err(Error::new(
                ErrorCode::Malformed,
                "reader: no verified checkpoint",
            ));
        };
        match self.to_check.first() {
            Some(h) => {
                let paths = client::consistency_tiles(&h.checkpoint, &latest.checkpoint)?;
                self.ask(&paths);
                self.phase = Phase::Consistency;
                Ok(())
            }
            None => self.ask_replay(latest.checkpoint.size),
        }
    }

    /// Asks for the replay up to `size`: from the saved state when there is one (and it is
    /// not beyond `size`), else from entry 0.
    fn ask_replay(&mut self, size: u64) -> Result<()> {
        if let Some(s) = &self.saved {
            if s.state.size > size {
                self.resume_refused = Some(Error::new(
                    ErrorCode::LogInconsistent,
                    format!(
                        "the saved registry state of size {} is beyond the proven size {size}",
                        s.state.size
                    ),
                ));
                self.saved = None;
            }
        }
        let from = self.saved.as_ref().map_or(0, |s| s.state.size);
        self.window = None;
        let proven = self.proven_checkpoint()?;
        if from == 0 && proven.size == size {
            // First use: the whole log, window by window (the whole-log limit still holds).
            tiles::bundles_for_replay(0, size, size)?;
            let w = client::WindowedReplay::new(None, self.trust.genesis.as_ref(), &proven)?
                .with_window(self.replay_window);
            if let Some((bundles, tiles)) = w.paths()? {
                self.ask(&tiles);
                self.ask(&bundles);
            }
            self.window = Some(w);
        } else {
            let (bundles, tiles) = client::replay_paths(from, size)?;
            self.ask(&tiles);
            self.ask(&bundles);
        }
        self.replay_from = from;
        self.phase = Phase::Replay;
        Ok(())
    }

    /// Before a replay from a saved state opened from its header: loads the names the
    /// entries after it touch ([`state_store::delta_names`], a hint read from the bundles
    /// before they are verified) from the pieces the host provided (`state/<hex>`), and asks
    /// for those still missing (`true`). A bad piece, or one the host lacks, drops the saved
    /// state: the replay is asked for again from entry 0 (`true`). `false`: ready to replay.
    fn load_saved_names(&mut self, size: u64) -> Result<bool> {
        let mut pieces: BTreeMap<[u8; 32], Vec<u8>> = BTreeMap::new();
        for (p, b) in core::mem::take(&mut self.files) {
            let hash = p
                .strip_prefix(STATE_PIECE_PREFIX)
                .and_then(|hex| crate::hash::parse_hex32(hex, "state piece").ok());
            match hash {
                Some(h) => {
                    pieces.insert(h, b);
                }
                None => {
                    self.files.insert(p, b);
                }
            }
        }
        let from = self.saved.as_ref().map_or(0, |s| s.state.size);
        if from != self.replay_from {
            // The saved state was dropped (a piece the host lacks): from entry 0.
            self.ask_replay(size)?;
            return Ok(true);
        }
        let Some(saved) = self.saved.as_mut() else {
            return Ok(false);
        };
        if !saved.state.is_partial() {
            return Ok(false);
        }
        let names = state_store::delta_names(from, size, &self.tiles).unwrap_or_default();
        match saved
            .state
            .load_names(names.iter().map(String::as_str), &pieces)
        {
            Ok(missing) if missing.is_empty() => Ok(false),
            Ok(missing) => {
                for h in missing {
                    self.pending.insert(
                        format!("{STATE_PIECE_PREFIX}{}", to_hex(&h)),
                        MAX_STATE_PIECE_BYTES as u64,
                    );
                }
                Ok(true)
            }
            Err(e) => {
                self.saved = None;
                self.resume_refused = Some(e);
                self.ask_replay(size)?;
                Ok(true)
            }
        }
    }

    /// The largest proven tree: the fetched checkpoint, or the stored one when the registry
    /// (a stale mirror) serves an older one. The state and inclusion proofs are of this tree.
    fn proven_checkpoint(&self) -> Result<Checkpoint> {
        match (&self.latest, &self.verified) {
            (Some(h), _) => Ok(h.checkpoint.clone()),
            (None, Some(v)) => Ok(v.checkpoint.clone()),
            (None, None) => Err(Error::new(
                ErrorCode::Malformed,
                "reader: no verified checkpoint",
            )),
        }
    }

    /// The sizes of the stored and the served checkpoint when the stored one is larger.
    fn behind(&self) -> Option<(u64, u64)> {
        let served = self.verified.as_ref()?.checkpoint.size;
        let stored = self
            .trust
            .pinned
            .iter()
            .chain(&self.held)
            .map(|h| h.checkpoint.size)
            .max();
        let proven = self.latest.as_ref().map(|h| h.checkpoint.size);
        let larger = stored.max(proven)?;
        (larger > served).then_some((served, larger))
    }

    fn verified_checkpoint(&self) -> Result<VerifiedCheckpoint> {
        self.verified
            .clone()
            .ok_or_else(|| Error::new(ErrorCode::Malformed, "reader: no verified checkpoint"))
    }

    fn state_and_pick(&self) -> Result<(&RegistryState, &Pick)> {
        match (&self.state, &self.pick) {
            (Some(s), Some(p)) => Ok((s, p)),
            _ => Err(Error::new(
                ErrorCode::Malformed,
                "reader: no release asked for",
            )),
        }
    }
}

/// The byte cap of a tile path: a hash tile holds its width of hashes (256 when full); a
/// bundle its width of entries of at most [`MAX_ENTRY_BYTES`] each, with their 2-byte length
/// prefixes (threat model RD12).
pub fn cap_of(p: &TilePath) -> u64 {
    let width = u64::from(p.width());
    match (p.level(), p.is_partial()) {
        (Some(_), false) => FULL_TILE_BYTES as u64,
        (Some(_), true) => width * HASH_SIZE as u64,
        (None, false) => MAX_BUNDLE_BYTES as u64,
        (None, true) => width * (2 + MAX_ENTRY_BYTES as u64),
    }
}

/// Whether `path` is of a kind a reader asks for (for hosts that check what they fetch).
pub fn is_served_path(path: &str) -> bool {
    path == CHECKPOINT_PATH
        || ["tile/", "index/", "objects/"]
            .iter()
            .any(|p| path.starts_with(p))
}

/// A notice as JSON: `id`, `severity`, `summary`, `entry`, `affected` (`[{from, to}]`),
/// `fixed` (sequence or null), `url` (or null).
pub fn notice_json(n: &NoticeRecord) -> Value<'_> {
    let affected = n
        .notice
        .affected
        .iter()
        .map(|r| {
            json_object(vec![
                ("from", Value::from(r.from)),
                ("to", Value::from(r.to)),
            ])
        })
        .collect();
    json_object(vec![
        ("id", Value::from(n.notice.id.as_str())),
        ("severity", Value::from(n.notice.severity.as_str())),
        ("summary", Value::from(n.notice.summary.as_str())),
        ("entry", Value::from(n.entry)),
        ("affected", Value::Array(affected)),
        ("fixed", n.notice.fixed.map_or(Value::Null, Value::from)),
        (
            "url",
            n.notice.url.as_deref().map_or(Value::Null, Value::from),
        ),
    ])
}

/// Notices as a JSON array of [`notice_json`].
pub fn notices_json(list: &[NoticeRecord]) -> Value<'_> {
    Value::Array(list.iter().map(notice_json).collect())
}

impl ReaderRelease {
    /// The release as JSON (bytes aside: the host returns the tarball and manifest bytes
    /// itself): `name`, `version`, `sequence`, `entry`, `tree`, `size`, `manifestHash`,
    /// `tarballHash` (BLAKE2b-256 hex), `report` (core's report JSON), `advisories`
    /// (`yanked` `{entry, reason}` or null, `notices`, `revokedSigners` `[{key, entry,
    /// reason}]`), `owners` (`{entry, serial, keys}`: the current owners entry and the active
    /// keys to pin).
    pub fn to_json(&self, style: KeyStyle) -> Value<'_> {
        let st = &self.release.statement;
        let a = &self.advisories;
        let yanked = a.yanked.as_ref().map_or(Value::Null, |y| {
            json_object(vec![
                ("entry", Value::from(y.entry)),
                ("reason", Value::from(y.reason.as_str())),
            ])
        });
        let revoked = a
            .revoked_signers
            .iter()
            .map(|r| {
                json_object(vec![
                    ("key", Value::from(r.key.to_base64())),
                    ("entry", Value::from(r.entry)),
                    ("reason", Value::from(r.reason.as_str())),
                ])
            })
            .collect();
        json_object(vec![
            ("name", Value::from(st.name.as_str())),
            ("version", Value::from(st.version.as_str())),
            ("sequence", Value::from(st.sequence)),
            ("entry", Value::from(self.release.entry)),
            ("tree", Value::from(st.tree.to_string())),
            ("size", Value::from(st.size)),
            (
                style.key("manifestHash", "manifest_hash"),
                Value::from(to_hex(&st.manifest)),
            ),
            (
                style.key("tarballHash", "tarball_hash"),
                Value::from(to_hex(&st.tgz)),
            ),
            ("report", self.release.report.to_json()),
            (
                "owners",
                json_object(vec![
                    ("entry", Value::from(self.owners_entry)),
                    ("serial", Value::from(self.owners_serial)),
                    (
                        "keys",
                        Value::Array(
                            self.owner_keys
                                .iter()
                                .map(|k| Value::from(k.to_base64()))
                                .collect(),
                        ),
                    ),
                ]),
            ),
            (
                "advisories",
                json_object(vec![
                    ("yanked", yanked),
                    ("notices", notices_json(&a.notices)),
                    (
                        style.key("revokedSigners", "revoked_signers"),
                        Value::Array(revoked),
                    ),
                ]),
            ),
        ])
    }
}

impl Reader {
    /// The verified checkpoint as JSON ([`VerifiedCheckpoint::to_json`] of the fetched one)
    /// plus `keep` (the note to store: [`Reader::checkpoint_note`]), `genesis` (hex) and
    /// `proven` (`{size, root}`: the tree the state and releases are proven against, larger
    /// than the fetched one when a mirror is behind), once the registry is verified.
    pub fn checkpoint_json(&self, style: KeyStyle) -> Option<Value<'_>> {
        let v = self.verified.as_ref()?;
        let keep = self.checkpoint_note()?;
        let genesis = self.genesis()?;
        let proven = self.latest()?.checkpoint.clone();
        let mut j = v.to_json(style);
        if let Value::Object(m) = &mut j {
            set(m, "keep", Value::from(keep));
            set(m, "genesis", Value::from(to_hex(&genesis)));
            // The tree releases are proven against (the stored one when a mirror is behind;
            // threat model RD19): a page draws the log against it.
            set(
                m,
                "proven",
                json_object(vec![
                    ("size", Value::from(proven.size)),
                    ("root", Value::from(to_hex(&proven.root))),
                ]),
            );
        }
        Some(j)
    }
}

/// Sets `key` in an object's members like a map's insert: a key already there keeps its place.
fn set<'a>(m: &mut Vec<(Cow<'a, str>, Value<'a>)>, key: &'static str, v: Value<'a>) {
    match m.iter_mut().find(|(k, _)| k == key) {
        Some((_, old)) => *old = v,
        None => m.push((key.into(), v)),
    }
}

// ---------------------------------------------------------------------------------------
// When a host opens the registry again (threat model RD10): one rule for every binding
// (Node, WASM, Python, Swift), which only act on it.

/// A host opens the registry again (a new [`Reader`] from the policy and the last note kept:
/// the checkpoint fetched anew, consistency with that note, the log replayed) when its last
/// open is this many seconds old: a long-lived registry object sees new notices, revocations
/// and yanks within a minute.
pub const REFRESH_SECONDS: u64 = 60;

/// Whether an open made at `opened_at` is due again at `now` (Unix seconds; `None`: offline):
/// [`REFRESH_SECONDS`] or more have passed, or the clock went back (`now < opened_at`).
/// Offline (`now` `None`) never; opened offline and given a clock now, always (the checkpoint
/// was never checked for freshness). A fixed clock (`now == opened_at` at every call) never.
pub fn reopen_due(opened_at: Option<u64>, now: Option<u64>) -> bool {
    match (opened_at, now) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(at), Some(now)) => now < at || now - at >= REFRESH_SECONDS,
    }
}

impl Reader {
    /// Whether a host must open the registry again before a call at `now`, this reader having
    /// been opened with the clock `opened_at` (the `now` given to [`Reader::open`] or
    /// [`Reader::from_policy`]; the host's binding layer keeps it): the reader never finished
    /// opening (the open failed or was cut short: no verified state), or [`reopen_due`].
    /// Otherwise the host gives the reader its clock ([`Reader::set_now`]) and goes on.
    pub fn needs_reopen(&self, opened_at: Option<u64>, now: Option<u64>) -> bool {
        self.state.is_none() || self.error.is_some() || reopen_due(opened_at, now)
    }

    /// Whether a call that failed with `code` opens the registry again and runs once more:
    /// `STALE` (the checkpoint got older than `max_age` at the call's clock, or an index note
    /// is newer than it) from a reader the call did not open itself (`opened_now` false). A
    /// reader opened by the call is as fresh as the registry serves: its `STALE` is the
    /// answer, so a call opens at most twice.
    pub fn reopen_after(&self, code: ErrorCode, opened_now: bool) -> bool {
        code == ErrorCode::Stale && !opened_now
    }
}

#[cfg(test)]
mod reopen_tests {
    use super::{reopen_due, REFRESH_SECONDS};

    #[test]
    fn due_after_refresh_seconds_or_when_the_clock_goes_back() {
        let t = 1_800_000_000;
        assert!(
            !reopen_due(Some(t), Some(t)),
            "a fixed clock never re-opens"
        );
        assert!(!reopen_due(Some(t), Some(t + 59)), "59 s: not yet");
        assert!(reopen_due(Some(t), Some(t + 60)), "exactly 60 s: due");
        assert!(reopen_due(Some(t), Some(t + 61)));
        assert!(reopen_due(Some(t), Some(t - 1)), "the clock went back");
        assert!(reopen_due(Some(t), Some(0)));
        assert!(!reopen_due(Some(t), None), "offline: never on time");
        assert!(!reopen_due(None, None));
        assert!(reopen_due(None, Some(t)), "opened offline, a clock now");
        assert!(!reopen_due(Some(u64::MAX - 1), Some(u64::MAX)));
        assert!(reopen_due(Some(0), Some(u64::MAX)));
        assert_eq!(REFRESH_SECONDS, 60);
    }
}
