//! The registry's replay state machine (REGISTRY.md R4): given log entries in order, decides
//! whether each is authorised at its position, and keeps the state that decision needs — the
//! registry's janitors, keys and mode, and per package name its owners, releases, revoked keys,
//! yanks and notices. Sans-IO: entries in, verdicts and state out. The state serialises to
//! strict, versioned JSON so a client can save it and replay only new entries (the delta
//! scan); replaying in chunks gives the same state as replaying at once. A replay may check
//! the signature blocks of a window of entries first, on all cores (feature `parallel`), then
//! apply the entries in order ([`Verification::Prechecked`], [`replay_visit`]): the same
//! verdicts, errors and state as one by one.
//!
//! The rules, per statement type (every decision is written down in docs/registry.md,
//! `## Statements, entries and replay`):
//!
//! - **genesis**: entry 0 is a `registry` statement of serial 0 signed by its own janitors'
//!   threshold; clients pin [`genesis_hash`] of its bytes.
//! - **janitor rotation**: a later `registry` statement has serial + 1, the same origin, and is
//!   signed by the threshold of the previous janitors (signers ∪ next) **and** the threshold
//!   of the new set (signers ∪ next).
//! - **owners**: the janitors' threshold; in an `open` registry, serial 0 of an unclaimed name
//!   may instead be signed by the threshold of its own keys. Serial +1 per name; a key revoked
//!   for the name may not be listed again.
//! - **release**: the owners' threshold from signers ∪ next, keys revoked for the name
//!   excluded; sequence strictly greater than the name's previous release (`ROLLBACK`); a
//!   version is released once; the release's `keys` are owners' keys, none revoked.
//! - **revoke**: the key itself, or the owners' threshold, or the janitors' threshold; the key
//!   must be one the name has used (owners or release keys), not already revoked. Log position
//!   is the clock: a key revoked at index r counted for entries before r and never after.
//! - **yank**, **notice**: the owners' or the janitors' threshold; a yank names an existing
//!   release (version and sequence); a notice id is used once per name.
//!
//! Every signature block must be a valid signature by a distinct key that may sign the entry
//! (one of the roles above): a block by any other key is `KEY_NOT_TRUSTED` (`KEY_REVOKED` if
//! the key was revoked for the name), a block that does not verify `SIGNATURE_INVALID`, a key
//! that signs twice `MALFORMED`. Keys are compared by their 32 key bytes, never by key id.
//!
//! ```
//! # #[cfg(feature = "sign")] {
//! use omega_core::entry::Entry;
//! use omega_core::manifest::KeySet;
//! use omega_core::registry::{genesis_hash, replay, ReplayOptions, RegistryState};
//! use omega_core::secret::SecretKey;
//! use omega_core::statement::{Mode, OwnersStatement, RegistryStatement, Statement};
//! use omega_core::vkey::Vkey;
//! use omega_core::{ErrorCode, KeyId};
//!
//! let janitor = SecretKey::from_seed(&[1; 32], KeyId([1; 8]));
//! let owner = SecretKey::from_seed(&[2; 32], KeyId([2; 8]));
//! let one = |k: &SecretKey| KeySet { threshold: 1, signers: vec![k.public_key()], next: vec![] };
//! let genesis = Entry::sign(&Statement::Registry(RegistryStatement {
//!     origin: "example.org/log".into(),
//!     serial: 0,
//!     janitors: one(&janitor),
//!     log_key: Vkey::ed25519("example.org/log", [7; 32])?,
//!     index_key: Vkey::ed25519("example.org/index", [8; 32])?,
//!     mode: Mode::Open,
//! }), &[&janitor], "genesis")?.to_bytes();
//! let claim = Statement::Owners(OwnersStatement {
//!     origin: "example.org/log".into(), name: "left-pad".into(), serial: 0, keys: one(&owner),
//!     reason: String::new(),
//! });
//! // First come in an open registry: the claim is signed by its own key.
//! let owners = Entry::sign(&claim, &[&owner], "claim")?.to_bytes();
//! let r = replay(None, [&genesis[..], &owners[..]], ReplayOptions::default());
//! let mut state = r.into_result()?;
//! assert_eq!(state.genesis_hex(), genesis_hash(&genesis));
//! assert_eq!(state.name("left-pad").map(|n| n.owners_entry), Some(1));
//! // A second claim loses; the state is unchanged and the error names the entry.
//! let stranger = SecretKey::from_seed(&[3; 32], KeyId([3; 8]));
//! let Statement::Owners(mut again) = claim else { unreachable!() };
//! again.keys = one(&stranger);
//! let late = Entry::sign(&Statement::Owners(again), &[&stranger], "claim")?.to_bytes();
//! let err = state.apply(&late).unwrap_err();
//! assert_eq!(err.code(), ErrorCode::Rollback);
//! assert!(err.message().starts_with("entry 2 (owners of left-pad serial 0)"));
//! // Save, and later replay only new entries from the saved state.
//! let saved = RegistryState::parse(&state.to_json_bytes())?;
//! assert_eq!(saved, state);
//! # }
//! # Ok::<(), omega_core::Error>(())
//! ```

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::ed25519::{verify_batch_strict, BatchItem};
use crate::entry::Entry;
use crate::error::{fail, Error, ErrorCode, Result};
use crate::hash::{parse_hex32, to_hex};
use crate::json::{self, At, Fields, ObjectBuilder, Value};
use crate::keys::PublicKey;
use crate::limits::MAX_REGISTRY_STATE_BYTES;
use crate::manifest::{validate_name, validate_version, KeySet, Manifest};
use crate::statement::{
    check_text, Mode, NoticeStatement, RawKeySet, RawRange, RegistryStatement, ReleaseStatement,
    SequenceRange, Severity, Statement,
};
use crate::tree::TreeDigest;
use crate::vkey::Vkey;

/// The format version of a saved [`RegistryState`] (`"omega-registry-state": 1`).
pub const STATE_VERSION: u64 = 1;

/// The SHA-256 (lowercase hex) of entry 0's bytes: what a client pins as `genesis`.
pub fn genesis_hash(entry_bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(entry_bytes))
}

/// Checks entry 0's bytes against the pinned genesis hash: `LOG_INCONSISTENT` when they
/// differ (another registry, or a rewritten log), `MALFORMED` when the pin is not 64 hex.
pub fn check_genesis(entry_bytes: &[u8], pinned: &str) -> Result<()> {
    let want = parse_hex32(pinned, "pinned genesis")?;
    let got: [u8; 32] = Sha256::digest(entry_bytes).into();
    if got != want {
        return fail(
            ErrorCode::LogInconsistent,
            format!(
                "entry 0: its SHA-256 is {}, but the pinned genesis is {pinned}",
                to_hex(&got)
            ),
        );
    }
    Ok(())
}

/// A yank of a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Yank {
    /// Index of the `yank` entry.
    pub entry: u64,
    /// Its reason.
    pub reason: String,
}

/// A logged release of a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseRecord {
    /// The manifest's sequence.
    pub sequence: u64,
    /// The manifest's tree digest.
    pub tree: TreeDigest,
    /// BLAKE2b-256 of manifest.json.
    pub manifest: [u8; 32],
    /// BLAKE2b-256 of the .tgz.
    pub tgz: [u8; 32],
    /// Size of the .tgz.
    pub size: u64,
    /// The manifest's keys.
    pub keys: KeySet,
    /// Index of the `release` entry.
    pub entry: u64,
    /// The yank, if the release was yanked.
    pub yanked: Option<Yank>,
}

/// A key revoked for a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedKey {
    /// The key.
    pub key: PublicKey,
    /// Index of the `revoke` entry: the key counts before it, never after.
    pub entry: u64,
    /// Its reason.
    pub reason: String,
}

/// A logged security notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeRecord {
    /// Index of the `notice` entry.
    pub entry: u64,
    /// The notice.
    pub notice: NoticeStatement,
}

/// What the log says about one package name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameState {
    /// The current owners' keys.
    pub owners: KeySet,
    /// The serial of the current owners statement.
    pub owners_serial: u64,
    /// Index of the current owners entry.
    pub owners_entry: u64,
    /// Releases by version.
    pub releases: BTreeMap<String, ReleaseRecord>,
    /// The highest release sequence so far.
    pub last_sequence: Option<u64>,
    /// Keys revoked for the name, in log order.
    pub revoked: Vec<RevokedKey>,
    /// Notices by id.
    pub notices: BTreeMap<String, NoticeRecord>,
    /// Every key the name has listed (owners statements and release keys), first-seen order:
    /// the keys a `revoke` may name.
    pub known_keys: Vec<PublicKey>,
}

impl NameState {
    /// The revocation of `key` for this name, if any.
    pub fn revocation(&self, key: &PublicKey) -> Option<&RevokedKey> {
        self.revoked.iter().find(|r| r.key == *key)
    }

    /// The owners' keys (signers ∪ next) that are not revoked: who may sign a release now.
    pub fn active_owner_keys(&self) -> Vec<PublicKey> {
        self.owners
            .signers
            .iter()
            .chain(&self.owners.next)
            .filter(|k| self.revocation(k).is_none())
            .copied()
            .collect()
    }

    /// The notices whose affected ranges contain `sequence` (what `omega status` prints for an
    /// installed release), in id order.
    pub fn notices_for(&self, sequence: u64) -> impl Iterator<Item = &NoticeRecord> {
        self.notices
            .values()
            .filter(move |n| n.notice.affected.iter().any(|r| r.contains(sequence)))
    }

    /// The release with this sequence, if logged.
    pub fn release_by_sequence(&self, sequence: u64) -> Option<(&String, &ReleaseRecord)> {
        self.releases.iter().find(|(_, r)| r.sequence == sequence)
    }

    /// The release with the highest sequence that is not yanked.
    pub fn latest_unyanked(&self) -> Option<(&String, &ReleaseRecord)> {
        self.releases
            .iter()
            .filter(|(_, r)| r.yanked.is_none())
            .max_by_key(|(_, r)| r.sequence)
    }
}

/// The state after replaying a log prefix: the registry's current `registry` statement, and
/// every name's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryState {
    /// Entries replayed: the index of the next entry.
    pub size: u64,
    /// SHA-256 of entry 0 (see [`genesis_hash`]).
    pub genesis: [u8; 32],
    /// The log origin (never changes).
    pub origin: String,
    /// The serial of the current `registry` statement.
    pub serial: u64,
    /// Index of the current `registry` entry.
    pub registry_entry: u64,
    /// The current janitors.
    pub janitors: KeySet,
    /// The current log key.
    pub log_key: Vkey,
    /// The current index key.
    pub index_key: Vkey,
    /// Open or curated.
    pub mode: Mode,
    /// Entries skipped as invalid (only with [`OnInvalid::Skip`]).
    pub skipped: Vec<u64>,
    /// Per package name: every name of a whole state; of a state opened from its header
    /// ([`RegistryState::from_header`]), only the names loaded so far. Read it through
    /// [`RegistryState::try_name`], which refuses a name that was not loaded.
    pub names: BTreeMap<String, NameState>,
    /// For a state opened from its saved header: which buckets and names were loaded
    /// (`None`: a whole state, every name in `names`).
    pub(crate) pieces: Option<alloc::boxed::Box<crate::state_store::Loaded>>,
}

/// A signer role: a key set's threshold, counted over its signers ∪ next minus excluded keys.
/// Who a role is, for messages (formatted only on a refusal).
#[derive(Clone, Copy)]
enum Label<'a> {
    OwnJanitors,
    Janitors(u64),
    NewJanitors(u64),
    Owners(&'a str, u64),
    Claim(&'a str),
    KeyItself(crate::keys::KeyId),
}

impl core::fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Label::OwnJanitors => f.write_str("its own janitors"),
            Label::Janitors(s) => write!(f, "the janitors (serial {s})"),
            Label::NewJanitors(s) => write!(f, "the new janitors (serial {s})"),
            Label::Owners(n, s) => write!(f, "the owners of {n} (serial {s})"),
            Label::Claim(n) => write!(f, "its own keys (first claim of {n} in an open registry)"),
            Label::KeyItself(id) => write!(f, "the key {id} itself"),
        }
    }
}

struct Role<'a> {
    label: Label<'a>,
    threshold: u32,
    keys: Vec<PublicKey>,
    excluded: &'a [RevokedKey],
}

impl<'a> Role<'a> {
    fn of(label: Label<'a>, ks: &KeySet, excluded: &'a [RevokedKey]) -> Role<'a> {
        Role {
            label,
            threshold: ks.threshold,
            keys: ks.signers.iter().chain(&ks.next).copied().collect(),
            excluded,
        }
    }
    fn counts(&self, key: &PublicKey) -> bool {
        self.keys.contains(key) && !self.excluded.iter().any(|r| r.key == *key)
    }
}

enum Rule<'a> {
    /// Every role's threshold (janitor rotation).
    All(Vec<Role<'a>>),
    /// Any one role's threshold.
    Any(Vec<Role<'a>>),
}

/// How signatures are verified.
struct Deferred {
    key: PublicKey,
    prehash: [u8; 64],
    signature: [u8; 64],
    global_message: Vec<u8>,
    global_signature: [u8; 64],
}

enum Verifier {
    Now,
    Defer(Vec<Deferred>),
    /// The verdicts of [`precheck_window`] for this entry: `(block index, key, valid)`. A
    /// verdict is the pure function "block `i` verifies under these key bytes" (both strict
    /// Ed25519 signatures), whatever the state; a pair it does not hold is verified now.
    Cached(Vec<(usize, PublicKey, bool)>),
}

impl Verifier {
    fn verify(
        &mut self,
        index: usize,
        block: &crate::signature::SignatureBlock,
        candidates: &[PublicKey],
        prehash: &[u8; 64],
    ) -> Option<PublicKey> {
        match (&mut *self, candidates) {
            (Verifier::Defer(items), [key]) => {
                items.push(Deferred {
                    key: *key,
                    prehash: *prehash,
                    signature: *block.signature_bytes(),
                    global_message: block.global_message(),
                    global_signature: *block.global_signature_bytes(),
                });
                Some(*key)
            }
            (Verifier::Cached(known), _) => candidates
                .iter()
                .find(
                    |k| match known.iter().find(|(i, kk, _)| *i == index && kk == *k) {
                        Some((_, _, valid)) => *valid,
                        None => block.verify_signed_bytes(k, prehash).is_ok(),
                    },
                )
                .copied(),
            _ => candidates
                .iter()
                .find(|k| block.verify_signed_bytes(k, prehash).is_ok())
                .copied(),
        }
    }
}

/// `entry <index> (<statement>)`, formatted only when a message needs it.
struct Ctx<'a>(u64, &'a Statement);

impl core::fmt::Display for Ctx<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "entry {} ({})", self.0, self.1)
    }
}

fn ctx(index: u64, st: &Statement) -> Ctx<'_> {
    Ctx(index, st)
}

fn authorise(
    entry: &Entry,
    index: u64,
    rule: &Rule<'_>,
    revoked: &[RevokedKey],
    verifier: &mut Verifier,
) -> Result<()> {
    let what = ctx(index, &entry.statement);
    let roles = match rule {
        Rule::All(r) | Rule::Any(r) => r,
    };
    let mut eligible: Vec<PublicKey> = Vec::new();
    for role in roles {
        for k in &role.keys {
            // The same key bytes may appear under two key ids (a janitor who is also an
            // owner): keep both labels, so a block under either id finds it.
            if role.counts(k) && !eligible.iter().any(|e| e == k && e.key_id() == k.key_id()) {
                eligible.push(*k);
            }
        }
    }
    let labels = || {
        roles
            .iter()
            .map(|r| r.label.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let prehash = entry.prehash();
    let mut signed: Vec<PublicKey> = Vec::with_capacity(entry.signatures.len());
    for (block_index, block) in entry.signatures.iter().enumerate() {
        let candidates: Vec<PublicKey> = eligible
            .iter()
            .filter(|k| k.key_id() == block.key_id())
            .copied()
            .collect();
        if candidates.is_empty() {
            if let Some(r) = revoked.iter().find(|r| r.key.key_id() == block.key_id()) {
                return fail(
                    ErrorCode::KeyRevoked,
                    format!(
                        "{what}: signed by key {} (id {}), revoked for {} at entry {}",
                        r.key,
                        r.key.key_id(),
                        entry.statement.name().unwrap_or_default(),
                        r.entry
                    ),
                );
            }
            return fail(
                ErrorCode::KeyNotTrusted,
                format!(
                    "{what}: signed by key id {}, which is none of the keys that may sign it ({})",
                    block.key_id(),
                    labels()
                ),
            );
        }
        let Some(key) = verifier.verify(block_index, block, &candidates, &prehash) else {
            return fail(
                ErrorCode::SignatureInvalid,
                format!(
                    "{what}: the signature block by key id {} does not verify",
                    block.key_id()
                ),
            );
        };
        if signed.contains(&key) {
            return fail(
                ErrorCode::Malformed,
                format!("{what}: key {key} (id {}) signed it twice", key.key_id()),
            );
        }
        signed.push(key);
    }
    let count = |role: &Role<'_>| signed.iter().filter(|k| role.counts(k)).count();
    let met = |role: &Role<'_>| count(role) >= role.threshold as usize;
    let tally = |role: &Role<'_>| {
        format!(
            "{} of {} required keys of {}",
            count(role),
            role.threshold,
            role.label
        )
    };
    match rule {
        Rule::All(roles) => {
            if let Some(r) = roles.iter().find(|r| !met(r)) {
                return fail(
                    ErrorCode::ThresholdNotMet,
                    format!(
                        "{what}: {} signed (every one of {} must sign)",
                        tally(r),
                        labels()
                    ),
                );
            }
        }
        Rule::Any(roles) => {
            if !roles.iter().any(met) {
                let all: Vec<String> = roles.iter().map(tally).collect();
                return fail(
                    ErrorCode::ThresholdNotMet,
                    format!("{what}: {} signed", all.join("; or ")),
                );
            }
        }
    }
    Ok(())
}

/// What to do with an entry that is not valid at its position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnInvalid {
    /// Stop at the first invalid entry (the registry appends only valid entries, so one is
    /// provable misbehaviour). The default; what clients do.
    #[default]
    Stop,
    /// Record it (its index joins [`RegistryState::skipped`]), leave the state as it was, and
    /// go on: for monitors that want every invalid entry of a misbehaving log. An invalid
    /// genesis still stops (nothing after it can be judged).
    Skip,
}

/// How signatures are verified during a replay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verification {
    /// Each block as it comes.
    #[default]
    OneByOne,
    /// Optimistically: replay assuming every signature verifies, then check them all with
    /// [`crate::ed25519::verify_batch_strict`]; if any fails (or any entry is invalid), replay
    /// again one by one from the starting state. Same verdicts and state as `OneByOne`.
    Batch,
    /// Window by window ([`PRECHECK_WINDOW`] entries): every entry of the window parsed and
    /// every signature block's Ed25519 verification done first — on all cores with the
    /// `parallel` feature (rayon), one by one without it — then the entries applied in log
    /// order with those verdicts, not verified again. Which key a block must verify under,
    /// and whether that key may sign the entry, is still decided in order, against the state
    /// as of the entry's position; the precheck only answers "does this block verify under
    /// these key bytes", which no state changes. Same verdicts, errors and state as
    /// `OneByOne` (threat model, "Registry: parallel replay"). See [`replay_prechecked`].
    Prechecked,
}

/// Entries per window of [`Verification::Prechecked`]: the parsed entries of one window are
/// held at once (at most [`crate::limits::MAX_ENTRY_BYTES`] each).
pub const PRECHECK_WINDOW: usize = 1024;

/// Keys tried per key id when prechecking a block: a block's key id can name several keys
/// (anyone can relabel a key), and each is one more pair of Ed25519 verifications. Beyond
/// this many, the others are verified in order, when the replay reaches the entry.
const PRECHECK_KEYS_PER_ID: usize = 4;

/// Entries per task of a precheck (parsing, then verification as one batch).
const PRECHECK_CHUNK: usize = 16;

/// Options of [`replay`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Stop at, or skip, invalid entries.
    pub on_invalid: OnInvalid,
    /// One by one, or batched.
    pub verification: Verification,
}

/// The outcome of [`replay`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replay {
    /// The state after the replayed entries (`None` if there was no valid genesis).
    pub state: Option<RegistryState>,
    /// Index of the first entry replayed.
    pub start: u64,
    /// One verdict per entry replayed, in order (`verdicts[i]` is entry `start + i`). With
    /// [`OnInvalid::Stop`] the last verdict is the first error, if any.
    pub verdicts: Vec<Result<()>>,
}

impl Replay {
    /// The first invalid entry: its index and error.
    pub fn first_invalid(&self) -> Option<(u64, &Error)> {
        self.verdicts.iter().enumerate().find_map(|(i, v)| {
            v.as_ref()
                .err()
                .map(|e| (self.start.saturating_add(i as u64), e))
        })
    }

    /// The state, or the first invalid entry's error.
    pub fn into_result(self) -> Result<RegistryState> {
        if let Some((_, e)) = self.first_invalid() {
            return Err(e.clone());
        }
        self.state
            .ok_or_else(|| Error::new(ErrorCode::NotFound, "log: no entries"))
    }
}

/// Replays `entries` (the log's entries in order) after `state` (`None`: from entry 0, the
/// genesis). See [`OnInvalid`] and [`Verification`].
pub fn replay<'e, I>(state: Option<RegistryState>, entries: I, options: ReplayOptions) -> Replay
where
    I: IntoIterator<Item = &'e [u8]>,
    I::IntoIter: Clone,
{
    let iter = entries.into_iter();
    match options.verification {
        Verification::OneByOne => {}
        Verification::Batch => {
            if let Some(r) = replay_batched(state.clone(), iter.clone()) {
                return r;
            }
        }
        Verification::Prechecked => {
            return replay_prechecked(state, iter, options.on_invalid, PRECHECK_WINDOW);
        }
    }
    replay_with(state, iter, options.on_invalid)
}

/// [`replay`] with [`Verification::Prechecked`] and windows of `window` entries (at least
/// one): each window's entries are parsed and their signature blocks verified first (in
/// parallel with the `parallel` feature), then applied in order. The verdicts, errors and
/// state are those of a one-by-one replay; only the time differs.
pub fn replay_prechecked<'e>(
    state: Option<RegistryState>,
    entries: impl IntoIterator<Item = &'e [u8]>,
    on_invalid: OnInvalid,
    window: usize,
) -> Replay {
    replay_visit(state, entries, on_invalid, window, &mut |_, _| {})
}

/// [`replay_prechecked`] that also hands `visit` each entry it applies (valid entries only,
/// in log order, with their index), parsed: what a monitor or a writer derives from the
/// entries (index lines, entries naming a key) without parsing them again or holding them.
pub fn replay_visit<'e>(
    mut state: Option<RegistryState>,
    entries: impl IntoIterator<Item = &'e [u8]>,
    on_invalid: OnInvalid,
    window: usize,
    visit: &mut dyn FnMut(u64, &Entry),
) -> Replay {
    let window = window.max(1);
    let start = state.as_ref().map_or(0, |s| s.size);
    let mut directory = KeyDirectory::default();
    if let Some(s) = &state {
        directory.add_state(s);
    }
    let mut verdicts = Vec::new();
    let mut entries = entries.into_iter();
    let mut first = start;
    let mut batch: Vec<&[u8]> = entries.by_ref().take(window).collect();
    let mut prechecked = precheck_window(&batch, first, &mut directory);
    while !batch.is_empty() {
        // While this window is applied (on this thread), the next one is prechecked (on the
        // pool): the precheck needs no state, only the directory, which only grows.
        let upcoming: Vec<&[u8]> = entries.by_ref().take(window).collect();
        let upcoming_first = first.saturating_add(batch.len() as u64);
        let mut upcoming_pre = Vec::new();
        let stopped = overlap(
            || {
                apply_window(
                    &mut state,
                    &batch,
                    prechecked,
                    first,
                    on_invalid,
                    &mut verdicts,
                    &mut *visit,
                )
            },
            || {
                if !upcoming.is_empty() {
                    upcoming_pre = precheck_window(&upcoming, upcoming_first, &mut directory);
                }
            },
        );
        if stopped {
            break;
        }
        batch = upcoming;
        prechecked = upcoming_pre;
        first = upcoming_first;
    }
    Replay {
        state,
        start,
        verdicts,
    }
}

/// Runs `apply` on this thread and `precheck` beside it on rayon's pool (feature `parallel`),
/// or one after the other (the precheck skipped when `apply` stopped the replay).
fn overlap(apply: impl FnOnce() -> bool, precheck: impl FnOnce() + Send) -> bool {
    #[cfg(feature = "parallel")]
    {
        rayon::in_place_scope(|s| {
            s.spawn(|_| precheck());
            apply()
        })
    }
    #[cfg(not(feature = "parallel"))]
    {
        let stopped = apply();
        if !stopped {
            precheck();
        }
        stopped
    }
}

/// Applies one prechecked window in order (its first entry is entry `first`), pushing a
/// verdict per entry; `true` when the replay stops (an invalid entry with
/// [`OnInvalid::Stop`], or an invalid genesis).
fn apply_window(
    state: &mut Option<RegistryState>,
    batch: &[&[u8]],
    prechecked: Vec<Prechecked>,
    first: u64,
    on_invalid: OnInvalid,
    verdicts: &mut Vec<Result<()>>,
    visit: &mut dyn FnMut(u64, &Entry),
) -> bool {
    for (i, (bytes, pre)) in batch.iter().zip(prechecked).enumerate() {
        let verdict = match state.as_mut() {
            None => RegistryState::genesis(bytes).map(|s| {
                if let Ok(e) = &pre.entry {
                    visit(0, e);
                }
                *state = Some(s);
            }),
            Some(s) => {
                // The precheck parsed the entry as entry `first + i`, which is `s.size` (an
                // entry either counts or stops the replay); if not, parse it again at its
                // true position.
                let at = first.saturating_add(i as u64);
                let v = match pre.entry {
                    Ok(entry) if at == s.size => {
                        s.apply_visit(entry, &mut Verifier::Cached(pre.verdicts), &mut *visit)
                    }
                    Err(e) if at == s.size => Err(e),
                    _ => parse_at(bytes, s.size)
                        .and_then(|e| s.apply_visit(e, &mut Verifier::Now, &mut *visit)),
                };
                s.count_skipped(&v, on_invalid);
                v
            }
        };
        let stop = stops_replay(&verdict, on_invalid, state.as_ref());
        verdicts.push(verdict);
        if stop {
            return true;
        }
    }
    false
}

/// Every key that may be asked to verify a block, by key id: the keys of the state the
/// replay starts from (janitors, every name's owners) and of every statement parsed since
/// (new janitors, owners, release keys, revoked keys). A superset of the candidates the
/// sequential replay will try: a key it lacks only costs a verification in order.
#[derive(Default)]
struct KeyDirectory(BTreeMap<crate::keys::KeyId, Vec<PublicKey>>);

impl KeyDirectory {
    fn add(&mut self, key: &PublicKey) {
        let keys = self.0.entry(key.key_id()).or_default();
        if keys.len() < PRECHECK_KEYS_PER_ID && !keys.contains(key) {
            keys.push(*key);
        }
    }

    fn add_set(&mut self, ks: &KeySet) {
        for k in ks.signers.iter().chain(&ks.next) {
            self.add(k);
        }
    }

    fn add_state(&mut self, s: &RegistryState) {
        self.add_set(&s.janitors);
        for ns in s.names.values() {
            self.add_set(&ns.owners);
        }
    }

    fn add_statement(&mut self, st: &Statement) {
        match st {
            Statement::Registry(r) => self.add_set(&r.janitors),
            Statement::Owners(o) => self.add_set(&o.keys),
            Statement::Release(r) => self.add_set(&r.keys),
            Statement::Revoke(r) => self.add(&r.key),
            Statement::Yank(_) | Statement::Notice(_) => {}
        }
    }

    fn get(&self, id: crate::keys::KeyId) -> &[PublicKey] {
        self.0.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// One entry of a window after [`precheck_window`].
struct Prechecked {
    /// The entry parsed at its position (the error names it).
    entry: Result<Entry>,
    /// `(block index, key, both signatures verify)` for each block and each key the
    /// directory lists under the block's key id.
    verdicts: Vec<(usize, PublicKey, bool)>,
}

/// Parses the window's entries (the first is entry `first`), adds their keys to `directory`,
/// and verifies every block under every key its key id names: in parallel with the `parallel`
/// feature, each task's signatures as one [`verify_batch_strict`] batch (whose verdicts are
/// those of one-by-one strict verification).
fn precheck_window(entries: &[&[u8]], first: u64, directory: &mut KeyDirectory) -> Vec<Prechecked> {
    let indexed: Vec<(u64, &[u8])> = entries
        .iter()
        .enumerate()
        .map(|(i, b)| (first.saturating_add(i as u64), *b))
        .collect();
    let parsed: Vec<(Result<Entry>, [u8; 64])> = map_chunks(&indexed, |chunk| {
        chunk
            .iter()
            .map(|(index, bytes)| {
                let entry = parse_at(bytes, *index);
                let prehash = entry.as_ref().map_or([0; 64], Entry::prehash);
                (entry, prehash)
            })
            .collect()
    });
    for e in parsed.iter().filter_map(|(e, _)| e.as_ref().ok()) {
        directory.add_statement(&e.statement);
    }
    let directory = &*directory;
    let verdicts: Vec<Vec<(usize, PublicKey, bool)>> = map_chunks(&parsed, |chunk| {
        // Per block with known keys: its entry, its index, the block, the prehash, the bytes
        // of its global signature (signature || trusted comment) and the keys to try.
        type Job<'j> = (
            usize,
            usize,
            &'j crate::signature::SignatureBlock,
            &'j [u8; 64],
            Vec<u8>,
            &'j [PublicKey],
        );
        let mut jobs: Vec<Job<'_>> = Vec::new();
        for (n, (entry, prehash)) in chunk.iter().enumerate() {
            let Ok(e) = entry else { continue };
            for (b, block) in e.signatures.iter().enumerate() {
                let keys = directory.get(block.key_id());
                if !keys.is_empty() {
                    jobs.push((n, b, block, prehash, block.global_message(), keys));
                }
            }
        }
        // Two items per (block, key): the signature over the prehash and the global one.
        let mut items: Vec<BatchItem<'_>> = Vec::new();
        for (_, _, block, prehash, global, keys) in &jobs {
            for key in keys.iter() {
                items.push(BatchItem {
                    key,
                    message: &prehash[..],
                    signature: block.signature_bytes(),
                });
                items.push(BatchItem {
                    key,
                    message: global,
                    signature: block.global_signature_bytes(),
                });
            }
        }
        let ok = verify_batch_strict(&items);
        let mut out: Vec<Vec<(usize, PublicKey, bool)>> =
            (0..chunk.len()).map(|_| Vec::new()).collect();
        let mut item = 0usize;
        for (n, b, _, _, _, keys) in &jobs {
            for key in keys.iter() {
                let valid = ok.get(item).copied().unwrap_or(false)
                    && ok.get(item + 1).copied().unwrap_or(false);
                item += 2;
                if let Some(v) = out.get_mut(*n) {
                    v.push((*b, *key, valid));
                }
            }
        }
        out
    });
    parsed
        .into_iter()
        .zip(verdicts)
        .map(|((entry, _), verdicts)| Prechecked { entry, verdicts })
        .collect()
}

/// `f` over `items` in chunks of [`PRECHECK_CHUNK`], results in order: on rayon's pool with
/// the `parallel` feature, in this thread without it.
fn map_chunks<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> Vec<R> + Sync + Send) -> Vec<R> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        let parts: Vec<Vec<R>> = items.par_chunks(PRECHECK_CHUNK).map(f).collect();
        parts.into_iter().flatten().collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        items.chunks(PRECHECK_CHUNK).flat_map(f).collect()
    }
}

/// Whether a replay ends at this verdict: an invalid entry with [`OnInvalid::Stop`], or an
/// invalid genesis (no state to go on from). One rule for the sequential and prechecked loops.
fn stops_replay(
    verdict: &Result<()>,
    on_invalid: OnInvalid,
    state: Option<&RegistryState>,
) -> bool {
    verdict.is_err() && (on_invalid == OnInvalid::Stop || state.is_none())
}

impl RegistryState {
    /// Under [`OnInvalid::Skip`], an invalid entry still takes its index: recorded as skipped,
    /// the size moves past it. One rule for the sequential and prechecked loops.
    fn count_skipped(&mut self, verdict: &Result<()>, on_invalid: OnInvalid) {
        if verdict.is_err() && on_invalid == OnInvalid::Skip {
            self.skipped.push(self.size);
            self.size = self.size.saturating_add(1);
        }
    }
}

fn replay_with<'e>(
    mut state: Option<RegistryState>,
    entries: impl Iterator<Item = &'e [u8]>,
    on_invalid: OnInvalid,
) -> Replay {
    let start = state.as_ref().map_or(0, |s| s.size);
    let mut verdicts = Vec::new();
    for bytes in entries {
        let verdict = match state.as_mut() {
            None => RegistryState::genesis(bytes).map(|s| {
                state = Some(s);
            }),
            Some(s) => {
                let v = s.apply_with(bytes, &mut Verifier::Now);
                s.count_skipped(&v, on_invalid);
                v
            }
        };
        let stop = stops_replay(&verdict, on_invalid, state.as_ref());
        verdicts.push(verdict);
        if stop {
            break;
        }
    }
    Replay {
        state,
        start,
        verdicts,
    }
}

/// The optimistic batched replay: `None` when anything failed (the caller replays one by one).
fn replay_batched<'e>(
    mut state: Option<RegistryState>,
    entries: impl Iterator<Item = &'e [u8]>,
) -> Option<Replay> {
    let start = state.as_ref().map_or(0, |s| s.size);
    let mut verifier = Verifier::Defer(Vec::new());
    let mut n = 0usize;
    for bytes in entries {
        match state.as_mut() {
            None => state = Some(RegistryState::genesis(bytes).ok()?),
            Some(s) => s.apply_with(bytes, &mut verifier).ok()?,
        }
        n += 1;
    }
    let Verifier::Defer(items) = verifier else {
        return None;
    };
    // Bounded batches: verify_batch_strict finds each item's key among the batch's keys.
    for chunk in items.chunks(256) {
        let mut batch = Vec::with_capacity(chunk.len() * 2);
        for d in chunk {
            batch.push(BatchItem {
                key: &d.key,
                message: &d.prehash,
                signature: &d.signature,
            });
            batch.push(BatchItem {
                key: &d.key,
                message: &d.global_message,
                signature: &d.global_signature,
            });
        }
        if !verify_batch_strict(&batch).into_iter().all(|ok| ok) {
            return None;
        }
    }
    Some(Replay {
        state,
        start,
        verdicts: (0..n).map(|_| Ok(())).collect(),
    })
}

/// Replays a whole log from its genesis, stopping at the first invalid entry (whose error
/// names its index).
pub fn replay_log<'e>(entries: impl IntoIterator<Item = &'e [u8]>) -> Result<RegistryState> {
    replay_with(None, entries.into_iter(), OnInvalid::Stop).into_result()
}

fn parse_at(bytes: &[u8], index: u64) -> Result<Entry> {
    Entry::parse(bytes).map_err(|e| e.context(&format!("entry {index}")))
}

impl RegistryState {
    /// The state after entry 0 alone: it must be a `registry` statement of serial 0, signed by
    /// its own janitors' threshold.
    pub fn genesis(entry_bytes: &[u8]) -> Result<RegistryState> {
        let entry = parse_at(entry_bytes, 0)?;
        let Statement::Registry(reg) = &entry.statement else {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "{}: entry 0 must be the registry's genesis (a registry statement of serial 0)",
                    ctx(0, &entry.statement)
                ),
            );
        };
        if reg.serial != 0 {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "{}: the genesis must have serial 0",
                    ctx(0, &entry.statement)
                ),
            );
        }
        let rule = Rule::Any(alloc::vec![Role::of(
            Label::OwnJanitors,
            &reg.janitors,
            &[]
        )]);
        authorise(&entry, 0, &rule, &[], &mut Verifier::Now)?;
        Ok(RegistryState {
            size: 1,
            genesis: Sha256::digest(entry_bytes).into(),
            origin: reg.origin.clone(),
            serial: 0,
            registry_entry: 0,
            janitors: reg.janitors.clone(),
            log_key: reg.log_key.clone(),
            index_key: reg.index_key.clone(),
            mode: reg.mode,
            skipped: Vec::new(),
            names: BTreeMap::new(),
            pieces: None,
        })
    }

    /// The genesis hash as pinned (lowercase hex).
    pub fn genesis_hex(&self) -> String {
        to_hex(&self.genesis)
    }

    /// What the log says about `name` (`None`: unclaimed). On a state opened from its header
    /// ([`RegistryState::from_header`]) a name that was not loaded is `None` too: code that
    /// may see such a state uses [`RegistryState::try_name`], as replay and every
    /// `client`/`driver` rule do.
    pub fn name(&self, name: &str) -> Option<&NameState> {
        self.names.get(name)
    }

    /// What the log says about `name`: `Some` (claimed) or `None` (unclaimed); `MALFORMED` on
    /// a state opened from its header when the name was not loaded
    /// ([`RegistryState::load_names`]): "absent" would say "unclaimed", and in an open
    /// registry anyone may claim an unclaimed name.
    pub fn try_name(&self, name: &str) -> Result<Option<&NameState>> {
        if let Some(ns) = self.names.get(name) {
            return Ok(Some(ns));
        }
        match &self.pieces {
            None => Ok(None),
            Some(p) => p.absent(name).map(|()| None),
        }
    }

    /// Decides entry `self.size` and, if it is valid, applies it. On an error the state is
    /// unchanged (and the entry is not counted).
    pub fn apply(&mut self, entry_bytes: &[u8]) -> Result<()> {
        self.apply_with(entry_bytes, &mut Verifier::Now)
    }

    /// Decides whether `entry_bytes` would be valid as entry `self.size`, without applying it
    /// (what `omega registry submit` checks before appending).
    pub fn check(&self, entry_bytes: &[u8]) -> Result<Entry> {
        let entry = parse_at(entry_bytes, self.size)?;
        self.decide(&entry, self.size, &mut Verifier::Now)?;
        Ok(entry)
    }

    fn apply_with(&mut self, entry_bytes: &[u8], verifier: &mut Verifier) -> Result<()> {
        let entry = parse_at(entry_bytes, self.size)?;
        self.apply_entry(entry, verifier)
    }

    /// Decides and applies entry `self.size`, already parsed (with its index in errors).
    fn apply_entry(&mut self, entry: Entry, verifier: &mut Verifier) -> Result<()> {
        self.apply_visit(entry, verifier, &mut |_, _| {})
    }

    /// [`Self::apply_entry`], handing the entry to `visit` once it is decided valid.
    fn apply_visit(
        &mut self,
        entry: Entry,
        verifier: &mut Verifier,
        visit: &mut dyn FnMut(u64, &Entry),
    ) -> Result<()> {
        let index = self.size;
        self.decide(&entry, index, verifier)?;
        visit(index, &entry);
        self.commit(entry, index);
        self.size = self.size.saturating_add(1);
        Ok(())
    }

    fn janitors_role(&self) -> Role<'static> {
        Role::of(Label::Janitors(self.serial), &self.janitors, &[])
    }

    fn claimed<'s>(&'s self, name: &str, what: &Ctx<'_>) -> Result<&'s NameState> {
        let found = self
            .try_name(name)
            .map_err(|e| e.context(&what.to_string()))?;
        found.ok_or_else(|| {
            Error::new(
                ErrorCode::NotFound,
                format!("{what}: {name} has no owners in this registry (unclaimed name)"),
            )
        })
    }

    fn decide(&self, entry: &Entry, index: u64, verifier: &mut Verifier) -> Result<()> {
        let what = ctx(index, &entry.statement);
        // Every statement names its registry: an entry signed for another log (a staging
        // registry sharing janitor or owner keys) is not valid here (threat model RV5).
        // (A `registry` statement with another origin is refused by the rotation rules.)
        if !matches!(entry.statement, Statement::Registry(_))
            && entry.statement.origin() != self.origin
        {
            return fail(
                ErrorCode::KeyNotTrusted,
                format!(
                    "{what}: signed for registry {:?}, not this registry ({:?})",
                    entry.statement.origin(),
                    self.origin
                ),
            );
        }
        match &entry.statement {
            Statement::Registry(reg) => self.decide_registry(entry, reg, index, verifier),
            Statement::Owners(o) => {
                let (rule, revoked): (Rule<'_>, &[RevokedKey]) = match self
                    .try_name(&o.name)
                    .map_err(|e| e.context(&what.to_string()))?
                {
                    None => {
                        if o.serial != 0 {
                            return fail(
                                ErrorCode::Malformed,
                                format!("{what}: {} is unclaimed; its first owners statement has serial 0", o.name),
                            );
                        }
                        let mut roles = alloc::vec![self.janitors_role()];
                        if self.mode == Mode::Open {
                            roles.push(Role::of(Label::Claim(&o.name), &o.keys, &[]));
                        }
                        (Rule::Any(roles), &[])
                    }
                    Some(ns) => {
                        if o.serial <= ns.owners_serial {
                            return fail(
                                ErrorCode::Rollback,
                                format!(
                                    "{what}: the owners of {} are at serial {} (entry {}); a new owners statement has serial {}",
                                    o.name,
                                    ns.owners_serial,
                                    ns.owners_entry,
                                    ns.owners_serial.saturating_add(1)
                                ),
                            );
                        }
                        if o.serial != ns.owners_serial.saturating_add(1) {
                            return fail(
                                ErrorCode::Malformed,
                                format!(
                                    "{what}: skips serials (the owners of {} are at serial {})",
                                    o.name, ns.owners_serial
                                ),
                            );
                        }
                        if let Some(r) = o
                            .keys
                            .signers
                            .iter()
                            .chain(&o.keys.next)
                            .find_map(|k| ns.revocation(k))
                        {
                            return fail(
                                ErrorCode::KeyRevoked,
                                format!(
                                    "{what}: lists key {} (id {}), revoked for {} at entry {}",
                                    r.key,
                                    r.key.key_id(),
                                    o.name,
                                    r.entry
                                ),
                            );
                        }
                        (Rule::Any(alloc::vec![self.janitors_role()]), &ns.revoked)
                    }
                };
                authorise(entry, index, &rule, revoked, verifier)
            }
            Statement::Release(r) => {
                let ns = self.claimed(&r.name, &what)?;
                if let Some(last) = ns.last_sequence {
                    if r.sequence <= last {
                        return fail(
                            ErrorCode::Rollback,
                            format!(
                                "{what}: sequence {} is not greater than {}'s previous release sequence {last}",
                                r.sequence, r.name
                            ),
                        );
                    }
                }
                if let Some(prev) = ns.releases.get(&r.version) {
                    return fail(
                        ErrorCode::Malformed,
                        format!(
                            "{what}: version {} of {} was already released (entry {})",
                            r.version, r.name, prev.entry
                        ),
                    );
                }
                for k in r.keys.signers.iter().chain(&r.keys.next) {
                    if let Some(rk) = ns.revocation(k) {
                        return fail(
                            ErrorCode::KeyRevoked,
                            format!(
                                "{what}: its keys list key {k} (id {}), revoked for {} at entry {}",
                                k.key_id(),
                                r.name,
                                rk.entry
                            ),
                        );
                    }
                    if !ns.owners.allows(k) {
                        return fail(
                            ErrorCode::KeyNotTrusted,
                            format!(
                                "{what}: its keys list key {k} (id {}), which is not one of {}'s owners' keys",
                                k.key_id(),
                                r.name
                            ),
                        );
                    }
                }
                let rule = Rule::Any(alloc::vec![Role::of(
                    Label::Owners(&r.name, ns.owners_serial),
                    &ns.owners,
                    &ns.revoked
                )]);
                authorise(entry, index, &rule, &ns.revoked, verifier)
            }
            Statement::Revoke(rv) => {
                let ns = self.claimed(&rv.name, &what)?;
                if let Some(r) = ns.revocation(&rv.key) {
                    return fail(
                        ErrorCode::KeyRevoked,
                        format!(
                            "{what}: key {} was already revoked for {} at entry {}",
                            rv.key, rv.name, r.entry
                        ),
                    );
                }
                if !ns.known_keys.contains(&rv.key) {
                    return fail(
                        ErrorCode::NotFound,
                        format!(
                            "{what}: key {} (id {}) is not a key {} has listed",
                            rv.key,
                            rv.key.key_id(),
                            rv.name
                        ),
                    );
                }
                let itself = KeySet {
                    threshold: 1,
                    signers: alloc::vec![rv.key],
                    next: Vec::new(),
                };
                let rule = Rule::Any(alloc::vec![
                    Role::of(Label::KeyItself(rv.key.key_id()), &itself, &[]),
                    Role::of(
                        Label::Owners(&rv.name, ns.owners_serial),
                        &ns.owners,
                        &ns.revoked
                    ),
                    self.janitors_role(),
                ]);
                authorise(entry, index, &rule, &ns.revoked, verifier)
            }
            Statement::Yank(y) => {
                let ns = self.claimed(&y.name, &what)?;
                match ns.releases.get(&y.version) {
                    Some(r) if r.sequence == y.sequence => {
                        if let Some(prev) = &r.yanked {
                            return fail(
                                ErrorCode::Malformed,
                                format!(
                                    "{what}: {}@{} was already yanked at entry {}",
                                    y.name, y.version, prev.entry
                                ),
                            );
                        }
                    }
                    _ => {
                        return fail(
                            ErrorCode::NotFound,
                            format!(
                                "{what}: {} has no release {} with sequence {}",
                                y.name, y.version, y.sequence
                            ),
                        )
                    }
                }
                self.authorise_owners_or_janitors(entry, index, &y.name, ns, verifier)
            }
            Statement::Notice(n) => {
                let ns = self.claimed(&n.name, &what)?;
                if let Some(prev) = ns.notices.get(&n.id) {
                    return fail(
                        ErrorCode::Malformed,
                        format!(
                            "{what}: notice id {} for {} was already used at entry {}",
                            n.id, n.name, prev.entry
                        ),
                    );
                }
                self.authorise_owners_or_janitors(entry, index, &n.name, ns, verifier)
            }
        }
    }

    fn authorise_owners_or_janitors(
        &self,
        entry: &Entry,
        index: u64,
        name: &str,
        ns: &NameState,
        verifier: &mut Verifier,
    ) -> Result<()> {
        let rule = Rule::Any(alloc::vec![
            Role::of(
                Label::Owners(name, ns.owners_serial),
                &ns.owners,
                &ns.revoked
            ),
            self.janitors_role(),
        ]);
        authorise(entry, index, &rule, &ns.revoked, verifier)
    }

    fn decide_registry(
        &self,
        entry: &Entry,
        reg: &RegistryStatement,
        index: u64,
        verifier: &mut Verifier,
    ) -> Result<()> {
        let what = ctx(index, &entry.statement);
        if reg.origin != self.origin {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "{what}: the origin may not change (it is {:?})",
                    self.origin
                ),
            );
        }
        if reg.serial <= self.serial {
            return fail(
                ErrorCode::Rollback,
                format!(
                    "{what}: the registry is at serial {} (entry {}); a rotation has serial {}",
                    self.serial,
                    self.registry_entry,
                    self.serial.saturating_add(1)
                ),
            );
        }
        if reg.serial != self.serial.saturating_add(1) {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "{what}: skips serials (the registry is at serial {})",
                    self.serial
                ),
            );
        }
        let rule = Rule::All(alloc::vec![
            self.janitors_role(),
            Role::of(Label::NewJanitors(reg.serial), &reg.janitors, &[]),
        ]);
        authorise(entry, index, &rule, &[], verifier)
    }

    fn commit(&mut self, entry: Entry, index: u64) {
        fn learn(known: &mut Vec<PublicKey>, ks: &KeySet) {
            for k in ks.signers.iter().chain(&ks.next) {
                if !known.contains(k) {
                    known.push(*k);
                }
            }
        }
        match entry.statement {
            Statement::Registry(reg) => {
                self.serial = reg.serial;
                self.registry_entry = index;
                self.janitors = reg.janitors;
                self.log_key = reg.log_key;
                self.index_key = reg.index_key;
                self.mode = reg.mode;
            }
            Statement::Owners(o) => {
                let ns = self.names.entry(o.name).or_insert_with(|| NameState {
                    owners: o.keys.clone(),
                    owners_serial: o.serial,
                    owners_entry: index,
                    releases: BTreeMap::new(),
                    last_sequence: None,
                    revoked: Vec::new(),
                    notices: BTreeMap::new(),
                    known_keys: Vec::new(),
                });
                learn(&mut ns.known_keys, &o.keys);
                ns.owners = o.keys;
                ns.owners_serial = o.serial;
                ns.owners_entry = index;
            }
            Statement::Release(r) => {
                if let Some(ns) = self.names.get_mut(&r.name) {
                    learn(&mut ns.known_keys, &r.keys);
                    ns.last_sequence = Some(r.sequence);
                    ns.releases.insert(
                        r.version,
                        ReleaseRecord {
                            sequence: r.sequence,
                            tree: r.tree,
                            manifest: r.manifest,
                            tgz: r.tgz,
                            size: r.size,
                            keys: r.keys,
                            entry: index,
                            yanked: None,
                        },
                    );
                }
            }
            Statement::Revoke(rv) => {
                if let Some(ns) = self.names.get_mut(&rv.name) {
                    ns.revoked.push(RevokedKey {
                        key: rv.key,
                        entry: index,
                        reason: rv.reason,
                    });
                }
            }
            Statement::Yank(y) => {
                if let Some(r) = self
                    .names
                    .get_mut(&y.name)
                    .and_then(|ns| ns.releases.get_mut(&y.version))
                {
                    r.yanked = Some(Yank {
                        entry: index,
                        reason: y.reason,
                    });
                }
            }
            Statement::Notice(n) => {
                if let Some(ns) = self.names.get_mut(&n.name) {
                    ns.notices.insert(
                        n.id.clone(),
                        NoticeRecord {
                            entry: index,
                            notice: n,
                        },
                    );
                }
            }
        }
    }
}

/// Whether a logged `release` statement describes exactly this manifest: same name, version,
/// sequence, tree and keys, and `release.manifest` is the BLAKE2b-256 of `manifest_bytes`
/// (which must be the bytes `manifest` was parsed from). `NOT_IN_LOG` names the first field
/// that differs.
pub fn release_matches_manifest(
    release: &ReleaseStatement,
    manifest_bytes: &[u8],
    manifest: &Manifest,
) -> Result<()> {
    let what = format!(
        "release {}@{} sequence {}",
        release.name, release.version, release.sequence
    );
    let digest = crate::hash::blake2b256(manifest_bytes);
    let differs = if release.manifest != digest {
        Some(format!(
            "manifest hash {} (the manifest.json given hashes to {})",
            to_hex(&release.manifest),
            to_hex(&digest)
        ))
    } else if release.name != manifest.name {
        Some(format!("name (the manifest says {:?})", manifest.name))
    } else if release.version != manifest.version {
        Some(format!(
            "version (the manifest says {:?})",
            manifest.version
        ))
    } else if release.sequence != manifest.sequence {
        Some(format!(
            "sequence (the manifest says {})",
            manifest.sequence
        ))
    } else if release.tree != manifest.tree {
        Some(format!("tree (the manifest says {})", manifest.tree))
    } else if release.keys != manifest.keys {
        Some("keys (threshold, signers or next differ from the manifest's)".to_string())
    } else {
        None
    };
    match differs {
        Some(d) => fail(
            ErrorCode::NotInLog,
            format!("{what}: the logged entry does not match the manifest: {d}"),
        ),
        None => Ok(()),
    }
}

// ---- saved state: strict, versioned JSON ----

struct RawState {
    head: RawStateHead,
    names: BTreeMap<String, RawName>,
}

/// The members a saved state and a state header (state_store) share: the registry's fields,
/// the size the state covers and the skipped entries; read, written and converted once.
pub(crate) struct RawStateHead {
    size: u64,
    genesis: String,
    origin: String,
    serial: u64,
    registry_entry: u64,
    janitors: RawKeySet,
    log_key: String,
    index_key: String,
    mode: String,
    skipped: Vec<u64>,
}

impl RawStateHead {
    /// Takes the shared members from `f`.
    pub(crate) fn read(f: &mut Fields<'_>, at: &At<'_>) -> Result<RawStateHead> {
        let size = f.u64("size", at)?;
        let genesis = f.string("genesis", at)?;
        let origin = f.string("origin", at)?;
        let serial = f.u64("serial", at)?;
        let registry_entry = f.u64("registry_entry", at)?;
        let janitors = RawKeySet::read(f.required("janitors", at)?, &at.field("janitors"))?;
        let log_key = f.string("log_key", at)?;
        let index_key = f.string("index_key", at)?;
        let mode = f.string("mode", at)?;
        let skipped = f
            .required("skipped", at)?
            .into_items(&at.field("skipped"), |v, at| v.into_u64(at))?;
        Ok(RawStateHead {
            size,
            genesis,
            origin,
            serial,
            registry_entry,
            janitors,
            log_key,
            index_key,
            mode,
            skipped,
        })
    }

    /// Adds the shared members to `o`, in their order.
    pub(crate) fn write(self, o: ObjectBuilder<'static>) -> ObjectBuilder<'static> {
        o.field("size", self.size)
            .field("genesis", self.genesis)
            .field("origin", self.origin)
            .field("serial", self.serial)
            .field("registry_entry", self.registry_entry)
            .field("janitors", self.janitors.write())
            .field("log_key", self.log_key)
            .field("index_key", self.index_key)
            .field("mode", self.mode)
            .field(
                "skipped",
                Value::Array(self.skipped.into_iter().map(Value::U64).collect()),
            )
    }

    /// The shared members of `state`.
    pub(crate) fn of(state: &RegistryState) -> RawStateHead {
        RawStateHead {
            size: state.size,
            genesis: to_hex(&state.genesis),
            origin: state.origin.clone(),
            serial: state.serial,
            registry_entry: state.registry_entry,
            janitors: RawKeySet::from_keys(&state.janitors),
            log_key: state.log_key.to_string(),
            index_key: state.index_key.to_string(),
            mode: state.mode.as_str().to_string(),
            skipped: state.skipped.clone(),
        }
    }

    /// The registry's origin (names are checked against it before the state is built).
    pub(crate) fn origin(&self) -> &str {
        &self.origin
    }

    /// The state these members describe, holding `names` (and `pieces`, for a state opened
    /// from its header); its registry fields must form a valid statement.
    pub(crate) fn into_state(
        self,
        what: &str,
        names: BTreeMap<String, NameState>,
        pieces: Option<alloc::boxed::Box<crate::state_store::Loaded>>,
    ) -> Result<RegistryState> {
        let state = RegistryState {
            size: self.size,
            genesis: parse_hex32(&self.genesis, &format!("{what}: genesis"))?,
            janitors: self.janitors.to_keys(&format!("{what}: janitors"))?,
            log_key: Vkey::parse(&self.log_key).map_err(|e| e.context(what))?,
            index_key: Vkey::parse(&self.index_key).map_err(|e| e.context(what))?,
            mode: Mode::parse(&self.mode).map_err(|e| e.context(what))?,
            origin: self.origin,
            serial: self.serial,
            registry_entry: self.registry_entry,
            skipped: self.skipped,
            names,
            pieces,
        };
        RegistryStatement {
            origin: state.origin.clone(),
            serial: state.serial,
            janitors: state.janitors.clone(),
            log_key: state.log_key.clone(),
            index_key: state.index_key.clone(),
            mode: state.mode,
        }
        .validate()
        .map_err(|e| e.context(what))?;
        Ok(state)
    }
}

impl RawState {
    /// The fields of a saved state whose version was checked already.
    fn read(mut f: Fields<'_>, at: &At<'_>) -> Result<RawState> {
        let head = RawStateHead::read(&mut f, at)?;
        let names = f
            .required("names", at)?
            .into_map(&at.field("names"), RawName::read)?;
        f.end(at)?;
        Ok(RawState { head, names })
    }

    fn write(self) -> Value<'static> {
        let mut names = ObjectBuilder::new();
        for (n, rn) in self.names {
            names = names.entry(n, rn.write());
        }
        let o = ObjectBuilder::new().field("omega-registry-state", STATE_VERSION);
        self.head.write(o).field("names", names.build()).build()
    }
}

/// A name's saved state (every member always written; `Option`s as `null`).
pub(crate) struct RawName {
    owners: RawKeySet,
    owners_serial: u64,
    owners_entry: u64,
    last_sequence: Option<u64>,
    releases: BTreeMap<String, RawReleaseRecord>,
    revoked: Vec<RawRevoked>,
    notices: BTreeMap<String, RawNoticeRecord>,
    known_keys: Vec<String>,
}

/// An `Option` member that must be present (`null` or a value): the saved state has one
/// form (`to_json_bytes` writes every member).
fn present<'a>(f: &mut Fields<'a>, key: &str, at: &At<'_>) -> Result<Option<Value<'a>>> {
    match f.required(key, at)? {
        Value::Null => Ok(None),
        v => Ok(Some(v)),
    }
}

fn u64_or_null(v: Option<u64>) -> Value<'static> {
    v.map_or(Value::Null, Value::U64)
}

impl RawName {
    pub(crate) fn read(v: Value<'_>, at: &At<'_>) -> Result<RawName> {
        let mut f = v.into_fields(at)?;
        let owners = RawKeySet::read(f.required("owners", at)?, &at.field("owners"))?;
        let owners_serial = f.u64("owners_serial", at)?;
        let owners_entry = f.u64("owners_entry", at)?;
        let last_sequence = present(&mut f, "last_sequence", at)?
            .map(|v| v.into_u64(&at.field("last_sequence")))
            .transpose()?;
        let releases = f
            .required("releases", at)?
            .into_map(&at.field("releases"), RawReleaseRecord::read)?;
        let revoked = f
            .required("revoked", at)?
            .into_items(&at.field("revoked"), |v, at| {
                let mut o = v.into_fields(at)?;
                let r = RawRevoked {
                    key: o.string("key", at)?,
                    entry: o.u64("entry", at)?,
                    reason: o.string("reason", at)?,
                };
                o.end(at)?;
                Ok(r)
            })?;
        let notices = f
            .required("notices", at)?
            .into_map(&at.field("notices"), RawNoticeRecord::read)?;
        let known_keys = f
            .required("known_keys", at)?
            .into_strings(&at.field("known_keys"))?;
        f.end(at)?;
        Ok(RawName {
            owners,
            owners_serial,
            owners_entry,
            last_sequence,
            releases,
            revoked,
            notices,
            known_keys,
        })
    }

    pub(crate) fn write(self) -> Value<'static> {
        let mut releases = ObjectBuilder::new();
        for (v, r) in self.releases {
            releases = releases.entry(v, r.write());
        }
        let mut notices = ObjectBuilder::new();
        for (id, n) in self.notices {
            notices = notices.entry(id, n.write());
        }
        ObjectBuilder::new()
            .field("owners", self.owners.write())
            .field("owners_serial", self.owners_serial)
            .field("owners_entry", self.owners_entry)
            .field("last_sequence", u64_or_null(self.last_sequence))
            .field("releases", releases.build())
            .field(
                "revoked",
                Value::Array(
                    self.revoked
                        .into_iter()
                        .map(|r| {
                            ObjectBuilder::new()
                                .field("key", r.key)
                                .field("entry", r.entry)
                                .field("reason", r.reason)
                                .build()
                        })
                        .collect(),
                ),
            )
            .field("notices", notices.build())
            .field("known_keys", Value::strings(self.known_keys))
            .build()
    }
}

struct RawReleaseRecord {
    sequence: u64,
    tree: String,
    manifest: String,
    tgz: String,
    size: u64,
    keys: RawKeySet,
    entry: u64,
    yanked: Option<RawYank>,
}

impl RawReleaseRecord {
    fn read(v: Value<'_>, at: &At<'_>) -> Result<RawReleaseRecord> {
        let mut f = v.into_fields(at)?;
        let sequence = f.u64("sequence", at)?;
        let tree = f.string("tree", at)?;
        let manifest = f.string("manifest", at)?;
        let tgz = f.string("tgz", at)?;
        let size = f.u64("size", at)?;
        let keys = RawKeySet::read(f.required("keys", at)?, &at.field("keys"))?;
        let entry = f.u64("entry", at)?;
        let yanked = match present(&mut f, "yanked", at)? {
            None => None,
            Some(v) => {
                let at = at.field("yanked");
                let mut o = v.into_fields(&at)?;
                let y = RawYank {
                    entry: o.u64("entry", &at)?,
                    reason: o.string("reason", &at)?,
                };
                o.end(&at)?;
                Some(y)
            }
        };
        f.end(at)?;
        Ok(RawReleaseRecord {
            sequence,
            tree,
            manifest,
            tgz,
            size,
            keys,
            entry,
            yanked,
        })
    }

    fn write(self) -> Value<'static> {
        ObjectBuilder::new()
            .field("sequence", self.sequence)
            .field("tree", self.tree)
            .field("manifest", self.manifest)
            .field("tgz", self.tgz)
            .field("size", self.size)
            .field("keys", self.keys.write())
            .field("entry", self.entry)
            .field(
                "yanked",
                Value::opt(self.yanked, |y| {
                    ObjectBuilder::new()
                        .field("entry", y.entry)
                        .field("reason", y.reason)
                        .build()
                }),
            )
            .build()
    }
}

struct RawYank {
    entry: u64,
    reason: String,
}

struct RawRevoked {
    key: String,
    entry: u64,
    reason: String,
}

struct RawNoticeRecord {
    entry: u64,
    severity: String,
    affected: Vec<RawRange>,
    fixed: Option<u64>,
    summary: String,
    url: Option<String>,
}

impl RawNoticeRecord {
    fn read(v: Value<'_>, at: &At<'_>) -> Result<RawNoticeRecord> {
        let mut f = v.into_fields(at)?;
        let entry = f.u64("entry", at)?;
        let severity = f.string("severity", at)?;
        let affected = RawRange::read_all(f.required("affected", at)?, &at.field("affected"))?;
        let fixed = present(&mut f, "fixed", at)?
            .map(|v| v.into_u64(&at.field("fixed")))
            .transpose()?;
        let summary = f.string("summary", at)?;
        let url = present(&mut f, "url", at)?
            .map(|v| v.into_string(&at.field("url")))
            .transpose()?;
        f.end(at)?;
        Ok(RawNoticeRecord {
            entry,
            severity,
            affected,
            fixed,
            summary,
            url,
        })
    }

    fn write(self) -> Value<'static> {
        ObjectBuilder::new()
            .field("entry", self.entry)
            .field("severity", self.severity)
            .field("affected", RawRange::write_all(&self.affected))
            .field("fixed", u64_or_null(self.fixed))
            .field("summary", self.summary)
            .field("url", Value::opt(self.url, Value::string))
            .build()
    }
}

fn key_b64(k: &str, what: &str) -> Result<PublicKey> {
    PublicKey::from_base64(k).map_err(|e| e.context(what))
}

/// A name's state as its saved JSON form (the `names` member of a whole saved state, the
/// `state` member of a per-name record, [`crate::state_store`]).
pub(crate) fn name_to_raw(ns: &NameState) -> RawName {
    RawName {
        owners: RawKeySet::from_keys(&ns.owners),
        owners_serial: ns.owners_serial,
        owners_entry: ns.owners_entry,
        last_sequence: ns.last_sequence,
        releases: ns
            .releases
            .iter()
            .map(|(v, r)| {
                (
                    v.clone(),
                    RawReleaseRecord {
                        sequence: r.sequence,
                        tree: r.tree.to_string(),
                        manifest: to_hex(&r.manifest),
                        tgz: to_hex(&r.tgz),
                        size: r.size,
                        keys: RawKeySet::from_keys(&r.keys),
                        entry: r.entry,
                        yanked: r.yanked.as_ref().map(|y| RawYank {
                            entry: y.entry,
                            reason: y.reason.clone(),
                        }),
                    },
                )
            })
            .collect(),
        revoked: ns
            .revoked
            .iter()
            .map(|r| RawRevoked {
                key: r.key.to_base64(),
                entry: r.entry,
                reason: r.reason.clone(),
            })
            .collect(),
        notices: ns
            .notices
            .iter()
            .map(|(id, n)| {
                (
                    id.clone(),
                    RawNoticeRecord {
                        entry: n.entry,
                        severity: n.notice.severity.as_str().to_string(),
                        affected: n.notice.affected.iter().map(RawRange::from).collect(),
                        fixed: n.notice.fixed,
                        summary: n.notice.summary.clone(),
                        url: n.notice.url.clone(),
                    },
                )
            })
            .collect(),
        known_keys: ns.known_keys.iter().map(|k| k.to_base64()).collect(),
    }
}

/// A name's state from its saved JSON form, checked as strictly as a whole saved state
/// (`name` already validated by the caller; `origin` is the registry's; `what` names the
/// file in errors).
pub(crate) fn name_from_raw(
    name: &str,
    rn: RawName,
    origin: &str,
    what: &str,
) -> Result<NameState> {
    let w = format!("{what}: {name}");
    let mut releases = BTreeMap::new();
    for (version, r) in rn.releases {
        validate_version(&version).map_err(|e| e.context(&w))?;
        let rw = format!("{w}@{version}");
        releases.insert(
            version,
            ReleaseRecord {
                sequence: r.sequence,
                tree: TreeDigest::parse(&r.tree).map_err(|e| e.context(&rw))?,
                manifest: parse_hex32(&r.manifest, &rw)?,
                tgz: parse_hex32(&r.tgz, &rw)?,
                size: r.size,
                keys: r.keys.to_keys(&rw)?,
                entry: r.entry,
                yanked: r.yanked.map(|y| Yank {
                    entry: y.entry,
                    reason: y.reason,
                }),
            },
        );
    }
    let mut notices = BTreeMap::new();
    for (id, n) in rn.notices {
        let notice = NoticeStatement {
            origin: origin.to_string(),
            name: name.to_string(),
            id: id.clone(),
            severity: Severity::parse(&n.severity).map_err(|e| e.context(&w))?,
            affected: n
                .affected
                .iter()
                .map(|r| SequenceRange {
                    from: r.from,
                    to: r.to,
                })
                .collect(),
            fixed: n.fixed,
            summary: n.summary,
            url: n.url,
        };
        Statement::Notice(notice.clone()).validate()?;
        notices.insert(
            id,
            NoticeRecord {
                entry: n.entry,
                notice,
            },
        );
    }
    let revoked = rn
        .revoked
        .into_iter()
        .map(|r| {
            check_text(&r.reason, &w)?;
            Ok(RevokedKey {
                key: key_b64(&r.key, &w)?,
                entry: r.entry,
                reason: r.reason,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let known_keys = rn
        .known_keys
        .iter()
        .map(|k| key_b64(k, &w))
        .collect::<Result<Vec<_>>>()?;
    Ok(NameState {
        owners: rn.owners.to_keys(&format!("{w}: owners"))?,
        owners_serial: rn.owners_serial,
        owners_entry: rn.owners_entry,
        releases,
        last_sequence: rn.last_sequence,
        revoked,
        notices,
        known_keys,
    })
}

impl RegistryState {
    /// The state as strict JSON (`{"omega-registry-state": 1, …}`, compact, keys in a fixed
    /// order, final newline): what a client saves between delta scans.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = json::to_text(&self.to_json_value()).into_bytes();
        out.push(b'\n');
        out
    }

    /// The state's JSON value: what [`to_json_bytes`](Self::to_json_bytes) writes.
    pub fn to_json_value(&self) -> Value<'static> {
        RawState {
            head: RawStateHead::of(self),
            names: self
                .names
                .iter()
                .map(|(n, ns)| (n.clone(), name_to_raw(ns)))
                .collect(),
        }
        .write()
    }

    /// Parses a saved state strictly (unknown fields, duplicate keys, trailing data refused;
    /// a newer `omega-registry-state` version is `UNSUPPORTED_VERSION`).
    pub fn parse(bytes: &[u8]) -> Result<RegistryState> {
        let what = "registry state";
        if bytes.len() > MAX_REGISTRY_STATE_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!("{what}: larger than {MAX_REGISTRY_STATE_BYTES} bytes"),
            );
        }
        let at = At::root(what);
        // No value budget: a saved state is used only when its bytes hash to what the lock
        // pins (RR8), and its size is capped above.
        let mut fields =
            json::read::parse_with_budget(bytes, what, usize::MAX)?.into_fields(&at)?;
        fields.version("omega-registry-state", &at, STATE_VERSION, STATE_VERSION)?;
        let raw = RawState::read(fields, &at)?;
        let mut names = BTreeMap::new();
        for (name, rn) in raw.names {
            validate_name(&name).map_err(|e| e.context(what))?;
            let ns = name_from_raw(&name, rn, raw.head.origin(), what)?;
            names.insert(name, ns);
        }
        raw.head.into_state(what, names, None)
    }
}

impl Replay {
    /// The replay as JSON, the shape of every binding's `replayLog`: `verdicts` (`"ok"` or the
    /// code, one per entry), `errors` (`[{index, code, message}]`), `genesis` (SHA-256 hex of
    /// `first_entry`, the first entry given, or null) and `state` (the state's own JSON, as
    /// [`RegistryState::to_json_value`], or null without a valid genesis). Never fails now
    /// (the state is no longer read back from its bytes); the `Result` is kept for callers.
    pub fn to_json(&self, first_entry: Option<&[u8]>) -> Result<Value<'static>> {
        let mut j = self.summary_json(first_entry);
        if let (Some(s), Value::Object(m)) = (&self.state, &mut j) {
            let state = s.to_json_value();
            match m.iter_mut().find(|(k, _)| k == "state") {
                Some((_, v)) => *v = state,
                None => m.push(("state".into(), state)),
            }
        }
        Ok(j)
    }

    /// [`Replay::to_json`] with `state` null (for a host that converts the state's JSON text
    /// itself, keeping its key order).
    pub fn summary_json(&self, first_entry: Option<&[u8]>) -> Value<'static> {
        use crate::report::json_object;
        let mut errors = Vec::new();
        let verdicts: Vec<Value<'static>> = self
            .verdicts
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Ok(()) => Value::str("ok"),
                Err(e) => {
                    errors.push(json_object(alloc::vec![
                        ("index", Value::U64(self.start.saturating_add(i as u64))),
                        ("code", Value::str(e.code().as_str())),
                        ("message", Value::string(e.message())),
                    ]));
                    Value::str(e.code().as_str())
                }
            })
            .collect();
        json_object(alloc::vec![
            ("verdicts", Value::Array(verdicts)),
            ("errors", Value::Array(errors)),
            (
                "genesis",
                first_entry.map_or(Value::Null, |e| Value::string(genesis_hash(e))),
            ),
            ("state", Value::Null),
        ])
    }
}
