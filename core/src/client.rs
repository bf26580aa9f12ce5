//! The registry client's rules (REGISTRY.md R6 steps 1–6) as functions over bytes the host
//! fetched: every runtime (the CLI, Node, Python, WASM, Swift) runs this code and only moves
//! bytes. Sans-IO in the two-step shape of [`crate::tiles`]: a function says which paths it
//! needs ([`consistency_tiles`], [`replay_paths`], [`release_paths`], [`object_path`]), the
//! host fetches them into a [`TileSource`] (a `BTreeMap<String, Vec<u8>>` will do), and the
//! next function verifies them.
//!
//! 1. [`Trust`] (from a lock's [`RegistryPin`], or [`Trust::first_use`] from a policy) and
//!    [`Trust::verify_checkpoint`]: log key, quorum, freshness against a caller-given `now`
//!    (`None` = offline: not checked).
//! 2. [`consistency_proof`] + [`check_consistency`] between the pinned (or cached) checkpoint
//!    and the fetched one: forward, equal, or behind (a stale mirror: the newer one is kept);
//!    never backwards. On `LOG_INCONSISTENT` the host writes [`evidence_text`] to a file.
//! 3. The registry state: [`replay_to`] replays the log up to the verified checkpoint (all of
//!    it on first use, like a monitor; only the entries after a saved state's size later),
//!    every bundle checked against the tiles the checkpoint authenticates. The index note is
//!    then a hint checked against the state ([`verify_index`]): an index that leaves out or
//!    contradicts a logged entry below its `as-of` is `LOG_INCONSISTENT` (provable
//!    misbehaviour).
//! 4. [`choose_release`] / [`release_by_entry`] / [`release_by_tree`] pick a release from the
//!    state (authorised by replay); [`read_release_entry`] proves its entry's inclusion and
//!    equality with the state; [`verify_release`] checks the objects (BLAKE2b names), the
//!    statement against the manifest, the tarball through the strict reader, and the part-1
//!    package check.
//! 5. [`advisories`], [`check_notices`], [`owner_change`]: what to apply or refuse.
//! 6. [`Trust::pin`] and [`registry_ref`]: what to record in the lock.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::check::{check_package, MemoryPackage, Pins};
use crate::checkpoint::Checkpoint;
use crate::entry::Entry;
use crate::error::{fail, Error, ErrorCode, Result};
use crate::hash::{blake2b256, to_hex};
use crate::index::{IndexLine, IndexNote};
use crate::keys::PublicKey;
use crate::limits::MAX_DELTA_SCAN_BUNDLES;
use crate::lock::{LockEntry, RegistryPin, RegistryRef};
use crate::manifest::Manifest;
use crate::merkle::{self, Hash};
use crate::note::Note;
use crate::policy::{Policy, VerifiedCheckpoint};
use crate::registry::{
    check_genesis, replay, NameState, NoticeRecord, RegistryState, ReleaseRecord, ReplayOptions,
    RevokedKey, Verification, Yank,
};
use crate::report::Report;
use crate::signature::LegacyPolicy;
use crate::statement::{ReleaseStatement, Severity, Statement};
use crate::tiles::{
    bundle_bytes, bundle_for_entry, bundles_for_range, bundles_for_replay, tiles_for_consistency,
    tiles_for_inclusion, tiles_for_range, tiles_for_replay, tiles_for_root_at, TileHashes,
    TilePath, TileSource, TILE_HEIGHT, TILE_WIDTH,
};
use crate::tree::TreeDigest;

/// The default `max_age` of a first-use pin: one day.
pub const DEFAULT_MAX_AGE: u64 = 86_400;

/// A checkpoint the client holds: the parsed checkpoint and its whole signed note text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The parsed checkpoint.
    pub checkpoint: Checkpoint,
    /// The whole note (text and signature lines), as stored in the lock and the cache.
    pub note: String,
}

impl Held {
    /// A verified checkpoint, held.
    pub fn from_verified(v: &VerifiedCheckpoint) -> Held {
        Held {
            checkpoint: v.checkpoint.clone(),
            note: v.note_text.clone(),
        }
    }
}

/// What the client trusts for one registry: the lock's pin, or a policy on first use.
#[derive(Clone, Debug)]
pub struct Trust {
    /// The log origin.
    pub origin: String,
    /// Where the registry is served.
    pub url: String,
    /// The pinned policy text.
    pub policy_text: String,
    /// The parsed policy.
    pub policy: Policy,
    /// The freshness bound (seconds).
    pub max_age: u64,
    /// The pinned genesis hash (`None` on first use: pinned from entry 0).
    pub genesis: Option<[u8; 32]>,
    /// The checkpoint the lock holds (`None` on first use).
    pub pinned: Option<Held>,
}

impl Trust {
    /// Trust for a registry first used: the policy (from `--policy`, else the registry's
    /// `policy` file, shown to the user) must name exactly one log; its key name is the
    /// origin.
    pub fn first_use(url: &str, policy_text: &str, max_age: u64) -> Result<Trust> {
        let policy = Policy::parse(policy_text)?;
        let origin = match policy.logs() {
            [one] => one.key.name().to_string(),
            logs => {
                return fail(
                    ErrorCode::Malformed,
                    format!(
                    "registry policy for {url}: names {} logs; a registry policy names exactly one",
                    logs.len()
                ),
                )
            }
        };
        Ok(Trust {
            origin,
            url: url.to_string(),
            policy_text: policy_text.to_string(),
            policy,
            max_age,
            genesis: None,
            pinned: None,
        })
    }

    /// Trust from a lock's pin for `origin`. The pinned checkpoint must be a checkpoint of
    /// `origin` that the pinned policy accepts (log signature and quorum; freshness is not
    /// rechecked: it was fresh when pinned).
    pub fn from_pin(origin: &str, pin: &RegistryPin) -> Result<Trust> {
        let mut t = Trust::first_use(&pin.url, &pin.policy, pin.max_age)
            .map_err(|e| e.context(&format!("omega.lock registry {origin}")))?;
        if t.origin != origin {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "omega.lock registry {origin}: its policy's log is {}",
                    t.origin
                ),
            );
        }
        let v = t
            .policy
            .verify_checkpoint(pin.checkpoint.as_bytes(), None, pin.max_age)
            .map_err(|e| e.context(&format!("omega.lock registry {origin}: pinned checkpoint")))?;
        t.genesis = Some(pin.genesis);
        t.pinned = Some(Held::from_verified(&v));
        Ok(t)
    }

    /// R6 step 1: the fetched checkpoint, by the policy's log key and quorum, fresh within
    /// `max_age` of `now` (`None`: offline, not checked), and of this registry's origin.
    pub fn verify_checkpoint(&self, note: &[u8], now: Option<u64>) -> Result<VerifiedCheckpoint> {
        let v = self.policy.verify_checkpoint(note, now, self.max_age)?;
        if v.checkpoint.origin != self.origin {
            return fail(
                ErrorCode::KeyNotTrusted,
                format!(
                    "checkpoint of {}: expected the registry {}",
                    v.checkpoint.origin, self.origin
                ),
            );
        }
        Ok(v)
    }

    /// Verifies a checkpoint read back from the user cache (not trusted: any process of the
    /// user can write it): the policy's log key and quorum, freshness not checked.
    pub fn verify_cached(&self, note: &[u8]) -> Result<Held> {
        Ok(Held::from_verified(&self.verify_checkpoint(note, None)?))
    }

    /// R6 step 6: the pin to record, with `latest` (the checkpoint after
    /// [`check_consistency`]) and the genesis of the replayed `state`.
    pub fn pin(&self, state: &RegistryState, latest: &Held) -> RegistryPin {
        RegistryPin {
            url: self.url.clone(),
            policy: self.policy_text.clone(),
            max_age: self.max_age,
            genesis: state.genesis,
            checkpoint: latest.note.clone(),
            state: None,
        }
    }
}

/// Parses a held checkpoint note (lock or cache) without verifying signatures: for messages
/// and evidence only.
pub fn parse_held(note: &str) -> Result<Held> {
    let n = Note::parse(note.as_bytes())?;
    Ok(Held {
        checkpoint: Checkpoint::parse(n.text())?,
        note: note.to_string(),
    })
}

/// How a fetched checkpoint relates to the one held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The fetched one is larger and extends the held one: move forward.
    Forward,
    /// Same size, same root.
    Same,
    /// The fetched one is smaller (a stale mirror) and the held one extends it: keep the held.
    Behind,
}

/// The verdict of [`check_consistency`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consistency {
    /// How the fetched checkpoint relates to the held one.
    pub direction: Direction,
    /// The checkpoint to keep: the larger of the two (never moves backwards).
    pub latest: Held,
}

/// R6 step 2, first half: the hash tiles the consistency proof between `held` and `fetched`
/// needs, all of the larger tree (for a stale mirror, the held tree's: from the user cache or
/// from a source that has them). Empty for equal sizes.
pub fn consistency_tiles(held: &Checkpoint, fetched: &Checkpoint) -> Result<Vec<TilePath>> {
    let (m, n) = (held.size.min(fetched.size), held.size.max(fetched.size));
    if m == n {
        return Ok(Vec::new());
    }
    tiles_for_consistency(m, n)
}

/// R6 step 2, second half: the consistency proof between the two sizes, from tiles of the
/// larger tree verified against its root. `LOG_INCONSISTENT` when those tiles do not hash to
/// the larger root (the log's served data contradicts its signed checkpoint); `NOT_FOUND`
/// when a tile was not supplied.
pub fn consistency_proof(
    held: &Checkpoint,
    fetched: &Checkpoint,
    tiles: &(impl TileSource + ?Sized),
) -> Result<Vec<Hash>> {
    let (small, large) = if held.size <= fetched.size {
        (held, fetched)
    } else {
        (fetched, held)
    };
    if small.size == large.size {
        return Ok(Vec::new());
    }
    let mut th = TileHashes::verify(large.size, &large.root, tiles)?;
    th.load(&tiles_for_consistency(small.size, large.size)?, tiles)?;
    th.consistency_proof(small.size)
}

/// R6 step 2: whether `fetched` is consistent with `held` given `proof` (from
/// [`consistency_proof`]): N > M proves M→N, N = M needs equal roots, N < M proves N→M and
/// keeps `held`. Another origin, different roots at one size, or a failing proof is
/// `LOG_INCONSISTENT`; write [`evidence_text`] to a file and name it.
pub fn check_consistency(held: &Held, fetched: &Held, proof: &[Hash]) -> Result<Consistency> {
    let (h, f) = (&held.checkpoint, &fetched.checkpoint);
    if h.origin != f.origin {
        return fail(
            ErrorCode::LogInconsistent,
            format!(
                "checkpoint of {} compared with one of {}",
                f.origin, h.origin
            ),
        );
    }
    let what = |e: Error| {
        Error::new(
            ErrorCode::LogInconsistent,
            format!(
                "log {}: the checkpoint of size {} is not consistent with the one of size {} held before ({})",
                f.origin,
                f.size,
                h.size,
                e.message()
            ),
        )
    };
    if f.size == h.size {
        if f.root != h.root {
            return fail(
                ErrorCode::LogInconsistent,
                format!(
                    "log {}: two checkpoints of size {} with different roots (a fork)",
                    f.origin, f.size
                ),
            );
        }
        return Ok(Consistency {
            direction: Direction::Same,
            latest: held.clone(),
        });
    }
    if f.size > h.size {
        merkle::verify_consistency(h.size, f.size, &h.root, &f.root, proof).map_err(what)?;
        Ok(Consistency {
            direction: Direction::Forward,
            latest: fetched.clone(),
        })
    } else {
        merkle::verify_consistency(f.size, h.size, &f.root, &h.root, proof).map_err(what)?;
        Ok(Consistency {
            direction: Direction::Behind,
            latest: held.clone(),
        })
    }
}

/// The evidence of an inconsistency (R6 step 2): both notes, the proof (base64 hashes, one a
/// line; none when the tiles did not verify), and the error. A monitor or a person can check
/// every signature and hash in it.
pub fn evidence_text(held: &Held, fetched: &Held, proof: &[Hash], error: &Error) -> String {
    use base64ct::{Base64, Encoding};
    let mut out = String::new();
    out.push_str("omega log inconsistency evidence\n");
    out.push_str(&format!(
        "error {}: {}\n",
        error.code().as_str(),
        error.message()
    ));
    out.push_str(&format!(
        "\n# held checkpoint (size {})\n",
        held.checkpoint.size
    ));
    out.push_str(&held.note);
    out.push_str(&format!(
        "\n# fetched checkpoint (size {})\n",
        fetched.checkpoint.size
    ));
    out.push_str(&fetched.note);
    let (m, n) = (
        held.checkpoint.size.min(fetched.checkpoint.size),
        held.checkpoint.size.max(fetched.checkpoint.size),
    );
    out.push_str(&format!(
        "\n# consistency proof from size {m} to size {n} ({} hashes)\n",
        proof.len()
    ));
    for h in proof {
        out.push_str(&Base64::encode_string(h));
        out.push('\n');
    }
    out
}

/// The entry bundles and hash tiles a replay from entry `from` up to `size` needs, plus (when
/// `from > 0`, a saved state) the tiles that give the root at `from`.
pub fn replay_paths(from: u64, size: u64) -> Result<(Vec<TilePath>, Vec<TilePath>)> {
    let bundles = bundles_for_replay(from, size, size)?;
    let mut tiles = tiles_for_replay(from, size, size)?;
    if from > 0 && from <= size {
        for t in tiles_for_root_at(from, size)? {
            if !tiles.contains(&t) {
                tiles.push(t);
            }
        }
    }
    Ok((bundles, tiles))
}

/// A saved registry state: the state after `state.size` entries and the root of the log at
/// that size, both from an earlier run (e.g. the user cache). Not trusted: [`replay_to`]
/// checks the root against the verified log and the genesis against the pin. The state may
/// be a whole one ([`RegistryState::parse`]) or one opened from its header
/// ([`RegistryState::from_header`], docs/registry.md "Per-name saved state (state6)"): then
/// the names the replayed entries touch must be loaded first
/// ([`crate::state_store::delta_names`], [`RegistryState::load_names`]; the reader does it),
/// or the replay refuses them.
#[derive(Clone, Debug)]
pub struct SavedState {
    /// The state.
    pub state: RegistryState,
    /// The root of the log at `state.size`.
    pub root: Hash,
}

/// The SHA-256 of a saved registry state's bytes (`RegistryState::to_json_bytes`, or the
/// header of `RegistryState::to_pieces`, whose digest is this hash): what a
/// lock's registry pin records as `state` (`RegistryPin::state`), so that a saved state is
/// used only when it is the one the lock was written with (threat model RR8).
pub fn state_digest(state_bytes: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(state_bytes).into()
}

/// R6 steps 3–4 (authorisation): the registry state after replaying the log up to the
/// verified `checkpoint`. Without `saved`, from entry 0, whose SHA-256 must equal `genesis`
/// when pinned; with `saved`, only the entries after its size, once its root is proven to be
/// the log's root at that size (`LOG_INCONSISTENT` otherwise: the caller drops the saved
/// state and replays from entry 0). Every bundle is checked against the level-0 tiles the
/// checkpoint authenticates (`NOT_IN_LOG` on a mismatch); the first invalid entry stops the
/// replay with its error (the registry appends only valid entries: provable misbehaviour).
/// The state's log key must be the key that signed the checkpoint (`log_key`, a vkey text),
/// else `KEY_NOT_TRUSTED`.
pub fn replay_to(
    saved: Option<SavedState>,
    genesis: Option<&[u8; 32]>,
    checkpoint: &Checkpoint,
    log_key: &str,
    source: &(impl TileSource + ?Sized),
) -> Result<RegistryState> {
    let size = checkpoint.size;
    let from = saved.as_ref().map_or(0, |s| s.state.size);
    if from > size {
        return fail(
            ErrorCode::LogInconsistent,
            format!("saved registry state of size {from} is beyond the checkpoint of size {size}"),
        );
    }
    if let (Some(s), Some(g)) = (&saved, genesis) {
        if &s.state.genesis != g {
            return fail(
                ErrorCode::LogInconsistent,
                format!(
                    "saved registry state: genesis {} differs from the pinned {}",
                    s.state.genesis_hex(),
                    to_hex(g)
                ),
            );
        }
    }
    let mut th = TileHashes::verify(size, &checkpoint.root, source)?;
    let (bundles, tiles) = replay_paths(from, size)?;
    th.load(&tiles, source)?;
    if let Some(s) = &saved {
        if s.state.size > 0 && th.root_at(s.state.size)? != s.root {
            return fail(
                ErrorCode::LogInconsistent,
                format!(
                    "saved registry state of size {}: its root is not the log's root at that size",
                    s.state.size
                ),
            );
        }
        if s.state.origin != checkpoint.origin {
            return fail(
                ErrorCode::LogInconsistent,
                format!(
                    "saved registry state of {}: not the log {}",
                    s.state.origin, checkpoint.origin
                ),
            );
        }
    }
    let mut entries: Vec<&[u8]> = Vec::new();
    for b in &bundles {
        let bytes = bundle_bytes(source, b)?;
        let all = th.verify_bundle(b, bytes)?;
        let first = b.index() << 8;
        for (i, e) in all.into_iter().enumerate() {
            if first + i as u64 >= from {
                entries.push(e);
            }
        }
    }
    if saved.is_none() {
        if let (Some(g), Some(e0)) = (genesis, entries.first()) {
            check_genesis(e0, &to_hex(g))?;
        }
    }
    // Each window's signatures verified on all cores first (feature `parallel`), then the
    // entries applied in order: the verdicts of a one-by-one replay.
    let options = ReplayOptions {
        verification: Verification::Prechecked,
        ..ReplayOptions::default()
    };
    let state = replay(saved.map(|s| s.state), entries.iter().copied(), options).into_result()?;
    check_replayed(&state, checkpoint, log_key)?;
    Ok(state)
}

/// [`replay_to`] window by window, for a host that must not hold the whole log: at most
/// [`MAX_DELTA_SCAN_BUNDLES`] bundles (65,536 entries) per window. The host asks
/// [`WindowedReplay::paths`] for the next window's bundles and tiles, fetches them into a
/// [`TileSource`], hands it to [`WindowedReplay::feed`] (which proves the window's bundles
/// against the checkpoint's root and replays its entries onto the state of the previous
/// window, signatures checked on all cores first, [`Verification::Prechecked`]), drops the
/// source, and repeats until `paths` is `None`; then [`WindowedReplay::finish`]. The checks,
/// verdicts and errors are those of [`replay_to`]; only an error's window can come earlier (a
/// bad bundle of a later window is reported after an invalid entry of an earlier one).
///
/// ```
/// # use omega_core::client::{SavedState, WindowedReplay};
/// # use omega_core::checkpoint::Checkpoint;
/// # use omega_core::tiles::TilePath;
/// # fn fetch(_: &[TilePath], _: &[TilePath]) -> std::collections::BTreeMap<TilePath, Vec<u8>> { unimplemented!() }
/// # fn run(saved: Option<SavedState>, genesis: Option<&[u8; 32]>, cp: &Checkpoint, log_key: &str) -> omega_core::Result<()> {
/// let mut replay = WindowedReplay::new(saved, genesis, cp)?;
/// while let Some((bundles, tiles)) = replay.paths()? {
///     let window = fetch(&bundles, &tiles);
///     replay.feed(&window)?;
/// }
/// let state = replay.finish(log_key)?;
/// # let _ = state; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct WindowedReplay {
    checkpoint: Checkpoint,
    genesis: Option<[u8; 32]>,
    /// The saved state's root, until the first window has proven it.
    saved_root: Option<Hash>,
    saved: bool,
    state: Option<RegistryState>,
    next: u64,
    started: bool,
    bundles: u64,
    /// The error of an invalid entry: the replay cannot go on (its state was consumed), and
    /// every later `feed` or `finish` gives this error again (threat model AT3).
    failed: Option<Error>,
}

impl WindowedReplay {
    /// Starts a replay to `checkpoint` (verified by the caller), from `saved` or from entry 0
    /// (whose SHA-256 must equal `genesis` when pinned). The checks that need no tile are
    /// made here: a saved state beyond the checkpoint or of another genesis is
    /// `LOG_INCONSISTENT`.
    pub fn new(
        saved: Option<SavedState>,
        genesis: Option<&[u8; 32]>,
        checkpoint: &Checkpoint,
    ) -> Result<WindowedReplay> {
        let size = checkpoint.size;
        let from = saved.as_ref().map_or(0, |s| s.state.size);
        if from > size {
            return fail(
                ErrorCode::LogInconsistent,
                format!(
                    "saved registry state of size {from} is beyond the checkpoint of size {size}"
                ),
            );
        }
        if let (Some(s), Some(g)) = (&saved, genesis) {
            if &s.state.genesis != g {
                return fail(
                    ErrorCode::LogInconsistent,
                    format!(
                        "saved registry state: genesis {} differs from the pinned {}",
                        s.state.genesis_hex(),
                        to_hex(g)
                    ),
                );
            }
        }
        let saved_flag = saved.is_some();
        let (state, saved_root) = match saved {
            Some(s) => (Some(s.state), Some(s.root)),
            None => (None, None),
        };
        Ok(WindowedReplay {
            checkpoint: checkpoint.clone(),
            genesis: genesis.copied(),
            saved_root,
            saved: saved_flag,
            state,
            next: from,
            started: false,
            bundles: MAX_DELTA_SCAN_BUNDLES as u64,
            failed: None,
        })
    }

    /// Smaller windows: `bundles` per window (1 to [`MAX_DELTA_SCAN_BUNDLES`]; clamped), for
    /// a host with little memory, and for tests.
    pub fn with_window(mut self, bundles: usize) -> WindowedReplay {
        self.bundles = bundles.clamp(1, MAX_DELTA_SCAN_BUNDLES) as u64;
        self
    }

    /// The entries `[from, to)` of the next window, if any. The first window always exists
    /// (it proves the saved state's root even when no entry is left to replay).
    fn range(&self) -> Option<(u64, u64)> {
        let size = self.checkpoint.size;
        if self.started && self.next >= size {
            return None;
        }
        let first_bundle = self.next >> TILE_HEIGHT;
        let end = first_bundle
            .saturating_add(self.bundles)
            .saturating_mul(u64::from(TILE_WIDTH));
        Some((self.next, end.min(size)))
    }

    /// The entry bundles and hash tiles of the next window (the tiles include the root
    /// tiles, and in the first window after a saved state those giving the root at its
    /// size), or `None` when every entry has been replayed.
    pub fn paths(&self) -> Result<Option<(Vec<TilePath>, Vec<TilePath>)>> {
        let Some((from, to)) = self.range() else {
            return Ok(None);
        };
        let size = self.checkpoint.size;
        let bundles = bundles_for_range(from, to, size)?;
        let mut tiles = tiles_for_range(from, to, size)?;
        if !self.started && from > 0 {
            for t in tiles_for_root_at(from, size)? {
                if !tiles.contains(&t) {
                    tiles.push(t);
                }
            }
        }
        Ok(Some((bundles, tiles)))
    }

    /// Proves the next window's bundles (from `source`, holding at least [`Self::paths`])
    /// against the checkpoint's root and replays its entries; the first invalid entry stops
    /// the replay with its error (after an invalid entry the replay cannot go on: every later
    /// `feed` and `finish` gives that error again; start a new one). A window whose files are
    /// missing or do not prove can be fed again. `NOT_FOUND` when nothing is left to feed.
    pub fn feed(&mut self, source: &(impl TileSource + ?Sized)) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let Some((from, to)) = self.range() else {
            return fail(
                ErrorCode::NotFound,
                "registry replay: no window left to feed",
            );
        };
        let (bundles, tiles) = match self.paths()? {
            Some(p) => p,
            None => {
                return fail(
                    ErrorCode::NotFound,
                    "registry replay: no window left to feed",
                )
            }
        };
        let size = self.checkpoint.size;
        let mut th = TileHashes::verify(size, &self.checkpoint.root, source)?;
        th.load(&tiles, source)?;
        if !self.started {
            if let (Some(root), Some(s)) = (&self.saved_root, &self.state) {
                if s.size > 0 && &th.root_at(s.size)? != root {
                    return fail(
                        ErrorCode::LogInconsistent,
                        format!(
                            "saved registry state of size {}: its root is not the log's root at that size",
                            s.size
                        ),
                    );
                }
                if s.origin != self.checkpoint.origin {
                    return fail(
                        ErrorCode::LogInconsistent,
                        format!(
                            "saved registry state of {}: not the log {}",
                            s.origin, self.checkpoint.origin
                        ),
                    );
                }
            }
        }
        let mut entries: Vec<&[u8]> = Vec::new();
        for b in &bundles {
            let bytes = bundle_bytes(source, b)?;
            let all = th.verify_bundle(b, bytes)?;
            let first = b.index() << TILE_HEIGHT;
            for (i, e) in all.into_iter().enumerate() {
                let index = first + i as u64;
                if index >= from && index < to {
                    entries.push(e);
                }
            }
        }
        if !self.saved && from == 0 {
            if let (Some(g), Some(e0)) = (&self.genesis, entries.first()) {
                check_genesis(e0, &to_hex(g))?;
            }
        }
        let r = replay(
            self.state.take(),
            entries.iter().copied(),
            ReplayOptions {
                verification: Verification::Prechecked,
                ..ReplayOptions::default()
            },
        );
        if let Some((_, e)) = r.first_invalid() {
            // Never fed again from no state: the window's first entry would be a genesis.
            self.failed = Some(e.clone());
            return Err(e.clone());
        }
        self.state = r.state;
        self.started = true;
        self.next = to;
        Ok(())
    }

    /// The state after the last window: its origin must be the checkpoint's and its log key
    /// the key that signed the checkpoint (`log_key`, a vkey text), else `KEY_NOT_TRUSTED`;
    /// `NOT_FOUND` for an empty log, or when windows are left to feed.
    pub fn finish(self, log_key: &str) -> Result<RegistryState> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.range().is_some() {
            return fail(
                ErrorCode::NotFound,
                format!(
                    "registry replay: entries from {} of {} were not fed",
                    self.next, self.checkpoint.size
                ),
            );
        }
        let state = self
            .state
            .ok_or_else(|| Error::new(ErrorCode::NotFound, "log: no entries"))?;
        check_replayed(&state, &self.checkpoint, log_key)?;
        Ok(state)
    }
}

/// The checks after a replay: the state's origin is the checkpoint's, its log key the one that
/// signed the checkpoint.
fn check_replayed(state: &RegistryState, checkpoint: &Checkpoint, log_key: &str) -> Result<()> {
    if state.origin != checkpoint.origin {
        return fail(
            ErrorCode::KeyNotTrusted,
            format!(
                "log {}: its genesis names the origin {}",
                checkpoint.origin, state.origin
            ),
        );
    }
    if state.log_key.to_string() != log_key {
        return fail(
            ErrorCode::KeyNotTrusted,
            format!(
                "log {}: the checkpoint is signed by {log_key}, but the registry's log key is {}",
                checkpoint.origin, state.log_key
            ),
        );
    }
    Ok(())
}

/// R6 step 3: verifies the index note of `name` with the state's index key and origin
/// ([`IndexNote::verify`]), then checks it against the replayed `state` (which must cover
/// `as-of`): every line must be a logged entry of that name with the same facts, and every
/// logged fact of the name below `as-of` must be listed. A contradiction or omission is
/// `LOG_INCONSISTENT` (the index key signed something the log refutes).
pub fn verify_index(
    state: &RegistryState,
    bytes: &[u8],
    name: &str,
    now: Option<u64>,
) -> Result<IndexNote> {
    let index = IndexNote::verify(
        bytes,
        &state.index_key,
        &state.origin,
        name,
        state.size,
        now,
    )?;
    check_index(state, &index)?;
    Ok(index)
}

/// The index-versus-state check of [`verify_index`].
pub fn check_index(state: &RegistryState, index: &IndexNote) -> Result<()> {
    let name = index.name.as_str();
    let bad = |why: String| -> Result<()> {
        fail(
            ErrorCode::LogInconsistent,
            format!("index note of {name} (as-of {}): {why}", index.as_of),
        )
    };
    let empty = NameState {
        owners: crate::manifest::KeySet {
            threshold: 0,
            signers: Vec::new(),
            next: Vec::new(),
        },
        owners_serial: 0,
        owners_entry: 0,
        releases: Default::default(),
        last_sequence: None,
        revoked: Vec::new(),
        notices: Default::default(),
        known_keys: Vec::new(),
    };
    let ns = state.try_name(name)?;
    let ns_ref = ns.unwrap_or(&empty);
    for line in &index.lines {
        let ok = ns.is_some()
            && match line {
                IndexLine::Owners { entry } => *entry <= ns_ref.owners_entry,
                IndexLine::Release {
                    entry,
                    version,
                    sequence,
                    tgz,
                    manifest,
                } => ns_ref.releases.get(version).is_some_and(|r| {
                    r.entry == *entry
                        && r.sequence == *sequence
                        && r.tgz == *tgz
                        && r.manifest == *manifest
                }),
                IndexLine::Revoke { entry, key } => ns_ref
                    .revoked
                    .iter()
                    .any(|r| r.entry == *entry && r.key.to_base64() == *key),
                IndexLine::Notice {
                    entry,
                    id,
                    severity,
                } => ns_ref
                    .notices
                    .get(id)
                    .is_some_and(|n| n.entry == *entry && n.notice.severity == *severity),
                IndexLine::Yank {
                    entry,
                    version,
                    sequence,
                } => ns_ref.releases.get(version).is_some_and(|r| {
                    r.sequence == *sequence && r.yanked.as_ref().is_some_and(|y| y.entry == *entry)
                }),
            };
        if !ok {
            return bad(format!(
                "its line for entry {} is not what the log holds for {name}",
                line.entry()
            ));
        }
    }
    let Some(ns) = ns else {
        return Ok(());
    };
    let listed = |e: u64| index.lines.iter().any(|l| l.entry() == e);
    let mut facts: Vec<(u64, &str)> = Vec::new();
    facts.push((ns.owners_entry, "owners"));
    for r in ns.releases.values() {
        facts.push((r.entry, "release"));
        if let Some(y) = &r.yanked {
            facts.push((y.entry, "yank"));
        }
    }
    for r in &ns.revoked {
        facts.push((r.entry, "revoke"));
    }
    for n in ns.notices.values() {
        facts.push((n.entry, "notice"));
    }
    for (e, what) in facts {
        if e < index.as_of && !listed(e) {
            return bad(format!("leaves out the {what} entry {e} of {name}"));
        }
    }
    Ok(())
}

/// R6 steps 4–5: the release of `name` to install: `version` if given (it must be logged;
/// `NOT_IN_LOG` otherwise), else the latest unyanked one. A yanked release is refused
/// (`NOT_FOUND`, naming the yank) unless `allow_yanked` (a locked release stays installable).
pub fn choose_release<'s>(
    state: &'s RegistryState,
    name: &str,
    version: Option<&str>,
    allow_yanked: bool,
) -> Result<(&'s str, &'s ReleaseRecord)> {
    let Some(ns) = state.try_name(name)? else {
        return fail(
            ErrorCode::NotInLog,
            format!(
                "package {name}: not in the log of {} (size {})",
                state.origin, state.size
            ),
        );
    };
    let (v, r) = match version {
        Some(v) => match ns.releases.get_key_value(v) {
            Some(x) => x,
            None => {
                return fail(
                    ErrorCode::NotInLog,
                    format!("{name}@{v}: no such release in the log of {}", state.origin),
                )
            }
        },
        None => match ns.latest_unyanked() {
            Some(x) => x,
            None => {
                return fail(
                    ErrorCode::NotFound,
                    format!("package {name}: every logged release is yanked"),
                )
            }
        },
    };
    if let (Some(y), false) = (&r.yanked, allow_yanked) {
        return fail(
            ErrorCode::NotFound,
            format!(
                "{name}@{v}: yanked by entry {} ({}); not chosen for a new install",
                y.entry, y.reason
            ),
        );
    }
    Ok((v.as_str(), r))
}

/// The logged release of `name` whose tree is `tree` (a manifest's exact dependency pin):
/// the highest sequence if several; `NOT_IN_LOG` when none.
pub fn release_by_tree<'s>(
    state: &'s RegistryState,
    name: &str,
    tree: &TreeDigest,
) -> Result<(&'s str, &'s ReleaseRecord)> {
    state
        .try_name(name)?
        .and_then(|ns| {
            ns.releases
                .iter()
                .filter(|(_, r)| r.tree == *tree)
                .max_by_key(|(_, r)| r.sequence)
        })
        .map(|(v, r)| (v.as_str(), r))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::NotInLog,
                format!(
                    "dependency {name} with tree {tree}: no such release in the log of {}",
                    state.origin
                ),
            )
        })
}

/// The logged release at `entry` (a lock's record of `name`@`version` with `tree`):
/// `NOT_IN_LOG` when the entry is not a release of `name`, `DIGEST_MISMATCH` when it is
/// another release of it (a lock whose `entry` was edited alone must not reach it). Yanked or
/// not: a locked release stays installable.
pub fn release_by_entry<'s>(
    state: &'s RegistryState,
    name: &str,
    version: &str,
    entry: u64,
    tree: &TreeDigest,
) -> Result<(&'s str, &'s ReleaseRecord)> {
    let found = state
        .try_name(name)?
        .and_then(|ns| ns.releases.iter().find(|(_, r)| r.entry == entry));
    let Some((v, r)) = found else {
        return fail(
            ErrorCode::NotInLog,
            format!(
                "{name}: entry {entry} of {} is not a release of {name} in the log of size {}",
                state.origin, state.size
            ),
        );
    };
    if r.tree != *tree || v != version {
        return fail(
            ErrorCode::DigestMismatch,
            format!(
                "{name}: pinned as {name}@{version} ({tree}), but entry {entry} of {} is {name}@{v} ({})",
                state.origin, r.tree
            ),
        );
    }
    Ok((v.as_str(), r))
}

/// The hash tiles and the entry bundle that prove entry `entry` in the log of `size`.
pub fn release_paths(entry: u64, size: u64) -> Result<(Vec<TilePath>, TilePath)> {
    Ok((
        tiles_for_inclusion(entry, size)?,
        bundle_for_entry(entry, size)?,
    ))
}

/// R6 step 4: the `release` statement at `record.entry`, proven included in `checkpoint`
/// (bundle leaf hash = level-0 tile hash, tiles authenticated by the root) and equal to what
/// the replayed state recorded for `name`@`version` (`NOT_IN_LOG` otherwise).
pub fn read_release_entry(
    checkpoint: &Checkpoint,
    name: &str,
    version: &str,
    record: &ReleaseRecord,
    source: &(impl TileSource + ?Sized),
) -> Result<ReleaseStatement> {
    let bytes = crate::tiles::read_entry(record.entry, checkpoint.size, &checkpoint.root, source)?;
    let entry = Entry::parse(&bytes).map_err(|e| e.context(&format!("entry {}", record.entry)))?;
    let Statement::Release(r) = entry.statement else {
        return fail(
            ErrorCode::NotInLog,
            format!(
                "entry {}: not a release statement ({name}@{version})",
                record.entry
            ),
        );
    };
    let same = r.name == name
        && r.version == version
        && r.sequence == record.sequence
        && r.tree == record.tree
        && r.manifest == record.manifest
        && r.tgz == record.tgz
        && r.size == record.size
        && r.keys == record.keys;
    if !same {
        return fail(
            ErrorCode::NotInLog,
            format!(
                "entry {}: the release statement is not {name}@{version} as replayed",
                record.entry
            ),
        );
    }
    Ok(r)
}

/// The registry path of the object with BLAKE2b-256 `hash`: `objects/<hh>/<hex>`.
pub fn object_path(hash: &[u8; 32]) -> String {
    let hex = to_hex(hash);
    let hh = hex.get(..2).unwrap_or("");
    format!("objects/{hh}/{hex}")
}

/// Checks fetched object bytes against their name: `NOT_IN_LOG` (the object is not the one
/// the log names) when the BLAKE2b-256 differs.
pub fn check_object(hash: &[u8; 32], bytes: &[u8], what: &str) -> Result<()> {
    let got = blake2b256(bytes);
    if &got != hash {
        return fail(
            ErrorCode::NotInLog,
            format!(
                "{what}: {} hashes to {}, not to the logged {}",
                object_path(hash),
                to_hex(&got),
                to_hex(hash)
            ),
        );
    }
    Ok(())
}

/// A release that passed every check of R6 step 4.
#[derive(Clone, Debug)]
pub struct VerifiedRelease {
    /// Its `release` statement (as logged).
    pub statement: ReleaseStatement,
    /// The log index of the statement.
    pub entry: u64,
    /// The parsed manifest.
    pub manifest: Manifest,
    /// The exact manifest bytes.
    pub manifest_bytes: Vec<u8>,
    /// The package read from the tarball by the strict reader (its files are what to lay
    /// out; `.omega/manifest.json` and its signatures included).
    pub package: MemoryPackage,
    /// The part-1 package check's report (signers, files).
    pub report: Report,
    /// The tarball's bytes (what to unpack: the strict reader gives the same files again).
    pub tgz: Vec<u8>,
}

/// R6 step 4 on the objects: `manifest_bytes`, `signature_bytes` (manifest.json.minisig)
/// and `tgz` as fetched by their hashes. Checks the BLAKE2b names, the statement against
/// the manifest ([`crate::registry::release_matches_manifest`]), the tarball's size, the
/// tarball through the strict reader (its `.omega/` must hold the same manifest), and the
/// part-1 package check pinned to the statement's tree and the manifest's keys minus the
/// keys revoked for the name (`revoked`).
pub fn verify_release(
    statement: &ReleaseStatement,
    entry: u64,
    manifest_bytes: &[u8],
    tgz: &[u8],
    revoked: &[PublicKey],
) -> Result<VerifiedRelease> {
    let label = format!("{}@{}", statement.name, statement.version);
    check_object(
        &statement.manifest,
        manifest_bytes,
        &format!("{label} manifest"),
    )?;
    check_object(&statement.tgz, tgz, &format!("{label} tarball"))?;
    if tgz.len() as u64 != statement.size {
        return fail(
            ErrorCode::NotInLog,
            format!(
                "{label}: tarball of {} bytes, the log says {}",
                tgz.len(),
                statement.size
            ),
        );
    }
    let manifest = Manifest::parse(manifest_bytes).map_err(|e| e.context(&label))?;
    crate::registry::release_matches_manifest(statement, manifest_bytes, &manifest)?;
    let package = crate::tarball::read_tgz(tgz).map_err(|e| e.context(&label))?;
    // A package's own files never include a top-level node_modules/ (`omega pack` and the
    // audit exclude it): laid out, it would shadow or replace the packages nested under it.
    if let Some(f) = package.listing.entries().iter().find(|f| {
        // RR25: any case (`Node_Modules/` is the same folder on a case-insensitive disk).
        let first = f.path.split('/').next().unwrap_or("");
        first.eq_ignore_ascii_case("node_modules")
    }) {
        return fail(
            ErrorCode::UnsafePath,
            format!(
                "{label}: the tarball holds {:?}: a package cannot ship node_modules/",
                f.path
            ),
        );
    }
    if package.manifest.as_deref() != Some(manifest_bytes) {
        return fail(
            ErrorCode::NotInLog,
            format!("{label}: the tarball's .omega/manifest.json is not the logged manifest"),
        );
    }
    let keys: Vec<PublicKey> = statement
        .keys
        .signers
        .iter()
        .chain(&statement.keys.next)
        .filter(|k| !revoked.contains(k))
        .copied()
        .collect();
    if keys.len() < statement.keys.threshold as usize || keys.is_empty() {
        return fail(
            ErrorCode::KeyRevoked,
            format!(
                "{label}: {} of its keys are left after the name's revocations, fewer than its threshold {}",
                keys.len(),
                statement.keys.threshold
            ),
        );
    }
    let pins = Pins {
        digest: Some(statement.tree),
        keys,
        threshold: statement.keys.threshold,
        legacy: LegacyPolicy::Refuse,
    };
    let report = check_package(package.input(&label), &pins)?;
    Ok(VerifiedRelease {
        statement: statement.clone(),
        entry,
        manifest,
        manifest_bytes: manifest_bytes.to_vec(),
        package,
        report,
        tgz: tgz.to_vec(),
    })
}

/// What the log says about an installed (or chosen) release (R6 step 5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Advisories {
    /// The release's yank, if yanked.
    pub yanked: Option<Yank>,
    /// Notices whose affected ranges contain the release's sequence, in id order.
    pub notices: Vec<NoticeRecord>,
    /// Keys revoked for the name that signed the release (`signed_by`).
    pub revoked_signers: Vec<RevokedKey>,
}

/// [`advisories`], refusing (`MALFORMED`) a name a state opened from its saved header did not
/// load, rather than answering "no advisories" ([`RegistryState::try_name`]).
pub fn checked_advisories(
    state: &RegistryState,
    name: &str,
    version: &str,
    sequence: u64,
    signed_by: &[PublicKey],
) -> Result<Advisories> {
    state.try_name(name)?;
    Ok(advisories(state, name, version, sequence, signed_by))
}

/// The advisories for `name` at `version`/`sequence`, signed by `signed_by`. On a state
/// opened from its saved header, only for a loaded name ([`checked_advisories`] refuses the
/// others).
pub fn advisories(
    state: &RegistryState,
    name: &str,
    version: &str,
    sequence: u64,
    signed_by: &[PublicKey],
) -> Advisories {
    let Some(ns) = state.name(name) else {
        return Advisories::default();
    };
    Advisories {
        yanked: ns.releases.get(version).and_then(|r| r.yanked.clone()),
        notices: ns.notices_for(sequence).cloned().collect(),
        revoked_signers: ns
            .revoked
            .iter()
            .filter(|r| signed_by.contains(&r.key))
            .cloned()
            .collect(),
    }
}

/// R6 step 5: the critical notices among `advisories` that `accepted` (notice ids given with
/// `--accept-notice`) does not name block the install: `KEY_NOT_TRUSTED` (the release is not
/// trusted until the user accepts the notice), naming each notice.
pub fn check_notices(name: &str, advisories: &Advisories, accepted: &[String]) -> Result<()> {
    let blocking: Vec<&NoticeRecord> = advisories
        .notices
        .iter()
        .filter(|n| n.notice.severity == Severity::Critical && !accepted.contains(&n.notice.id))
        .collect();
    if blocking.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = blocking
        .iter()
        .map(|n| format!("{} (entry {}: {})", n.notice.id, n.entry, n.notice.summary))
        .collect();
    fail(
        ErrorCode::KeyNotTrusted,
        format!(
            "{name}: critical notice {}; install refused (accept with --accept-notice ID)",
            list.join(", ")
        ),
    )
}

/// R6 step 5: whether the name's owners changed (a janitor-made `owners` entry: every owners
/// statement after serial 0 is signed by the janitors) away from the keys `pinned` trusts:
/// `Some(owners entry index)` when none of the current owners' active keys is among the
/// pin's signers ∪ next. Such a change moves the pin only with `--accept-owner-change NAME`;
/// the caller refuses with `KEY_NOT_TRUSTED` otherwise.
pub fn owner_change(pinned: &LockEntry, state: &RegistryState, name: &str) -> Option<u64> {
    let ns = state.name(name)?;
    let keys = pinned.keys.as_ref()?;
    let trusted: Vec<&PublicKey> = keys.signers.iter().chain(&keys.next).collect();
    let active = ns.active_owner_keys();
    if active.iter().any(|k| trusted.contains(&k)) {
        None
    } else {
        Some(ns.owners_entry)
    }
}

/// R6 step 6: the lock's record of where a release came from.
pub fn registry_ref(state: &RegistryState, entry: u64) -> RegistryRef {
    RegistryRef {
        origin: state.origin.clone(),
        entry,
    }
}
