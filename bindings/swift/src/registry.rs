//! The registry client for Swift and Kotlin (REGISTRY.md R6, issue 15): the object
//! [`Registry`] reads and verifies releases of an Ωpm registry, and the foreign trait
//! [`RegistryFetcher`] is how the host (URLSession, OkHttp, …) fetches bytes.
//!
//! Thin by rule: the order of the steps and every check are omega-core's sans-IO reader
//! ([`omega_core::driver::Reader`]). This module runs its host loop (docs: DRIVER.md): ask
//! `needs()`, call the fetcher for each path (in parallel, with the byte limit of the path),
//! `provide()` each answer as it arrives, until nothing is needed; and converts results into
//! uniffi records.
//!
//! Freshness (threat model RD10): the clock is read at every call (unless `now` fixes it)
//! and given to core, which refuses (`Stale`) a checkpoint older than `maxAge` at it. A call
//! opens the registry again (checkpoint fetched anew, consistency with the last one kept, the
//! log replayed) when core says so: `Reader::needs_reopen` (the last open is
//! [`REFRESH_SECONDS`] old or more, or the clock went back) or `Reader::reopen_after` (once on
//! `Stale`).
//!
//! Shapes are core's: a checkpoint and notices are read from `Reader::checkpoint_json` and
//! `driver::notice_json` (the JSON the Node, WASM and Python hosts return), field for field
//! (a field core adds or drops is an error here, caught by the tests, never a silent default).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

pub use omega_core::driver::REFRESH_SECONDS;
use omega_core::driver::{notice_json, Reader, ReleaseRequest};
use omega_core::hash::{parse_hex32, to_hex};
use omega_core::registry::NoticeRecord;
use omega_core::report::KeyStyle;
use omega_core::{ErrorCode, PublicKey};
use serde_json::Value;
use uniffi::UnexpectedUniFFICallbackError;

use crate::log::{Freshness, WitnessCosignature};
use crate::{OmegaError, Report};

/// Most paths fetched at once.
const PARALLEL: usize = 8;

/// How the registry's files are fetched: implemented by the host (Swift, Kotlin). Called from
/// several threads at once.
#[uniffi::export(foreign)]
pub trait RegistryFetcher: Send + Sync {
    /// The bytes served at `url` (the registry URL, `/`, a path the reader needs), or null
    /// when it is not served (HTTP 404/410). Read at most `limit` bytes: a response that
    /// long is over the path's cap and refused (`TOO_LARGE`) anyway. Throw `OmegaError.Io`
    /// (or `NotFound`) for other failures; any other exception becomes `Io`.
    fn get(&self, url: String, limit: u64) -> Result<Option<Vec<u8>>, OmegaError>;
}

impl From<UnexpectedUniFFICallbackError> for OmegaError {
    fn from(e: UnexpectedUniFFICallbackError) -> OmegaError {
        omega_core::Error::new(
            ErrorCode::Io,
            format!("the registry fetcher failed: {}", e.reason),
        )
        .into()
    }
}

/// An inclusive range of release sequences.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SequenceRange {
    /// First affected sequence (`from` in the statement: a keyword in Python).
    pub first: u64,
    /// Last affected sequence (`to` in the statement).
    pub last: u64,
}

/// A logged security notice (core's `driver::notice_json`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Notice {
    /// Index of its log entry.
    pub entry: u64,
    /// The notice id (unique per name).
    pub id: String,
    /// `low`, `moderate`, `high` or `critical`.
    pub severity: String,
    /// Affected sequence ranges.
    pub affected: Vec<SequenceRange>,
    /// The first fixed sequence, if any.
    pub fixed: Option<u64>,
    /// One-paragraph summary.
    pub summary: String,
    /// Where to read more.
    pub url: Option<String>,
}

/// A release's yank.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Yank {
    /// Index of the `yank` entry.
    pub entry: u64,
    /// Why.
    pub reason: String,
}

/// A key revoked for the name that signed the release.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct RevokedSigner {
    /// The key (`RW…`).
    pub key: String,
    /// Index of the `revoke` entry.
    pub entry: u64,
    /// Why.
    pub reason: String,
}

/// A release read from the log and verified.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Release {
    /// The package name.
    pub name: String,
    /// The version.
    pub version: String,
    /// The manifest's sequence.
    pub sequence: u64,
    /// Index of the release's log entry.
    pub entry: u64,
    /// The `b2tree:` digest of the files.
    pub tree: String,
    /// BLAKE2b-256 of the manifest (hex): its object name.
    pub manifest_hash: String,
    /// BLAKE2b-256 of the tarball (hex): its object name.
    pub tarball_hash: String,
    /// The tarball's size in bytes.
    pub size: u64,
    /// The exact `.omega/manifest.json` bytes.
    pub manifest: Vec<u8>,
    /// The `.tgz` bytes (passed the strict reader and the package check).
    pub tarball: Vec<u8>,
    /// The package check's report (signers, files).
    pub report: Report,
    /// The checkpoint note the release was verified against.
    pub checkpoint: String,
    /// The release's yank (when read with `allowYanked`).
    pub yanked: Option<Yank>,
    /// Notices whose ranges contain the release's sequence.
    pub notices: Vec<Notice>,
    /// Revoked keys among the release's signers.
    pub revoked_signers: Vec<RevokedSigner>,
    /// The name's current owners: pin `owners.keys` and give them back as `ownerKeys` to
    /// refuse a release after an owner change (threat model RD20).
    pub owners: Owners,
}

/// A name's owners, as the replayed log holds them.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Owners {
    /// Index of the `owners` entry in force.
    pub entry: u64,
    /// Its serial.
    pub serial: u64,
    /// The owners' active keys (signers and next, not revoked), base64 (`RW…`).
    pub keys: Vec<String>,
}

/// The tree releases are proven against.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ProvenTree {
    /// Its size.
    pub size: u64,
    /// Its root hash, lowercase hex.
    pub root: String,
}

/// The verified checkpoint of a [`Registry`] (core's `Reader::checkpoint_json`): the fields of
/// `verifyCheckpoint` plus the note to store, the genesis hash and the proven tree.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct RegistryCheckpoint {
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
    /// The whole signed note of the fetched checkpoint.
    pub note: String,
    /// The note to store and give back next time (the larger of the fetched and the stored
    /// one: never backwards).
    pub keep: String,
    /// The SHA-256 of entry 0 (hex), to store with `keep`.
    pub genesis: String,
    /// The tree releases are proven against (the stored one when a mirror is behind, RD19).
    pub proven: ProvenTree,
}

/// Reads core's JSON objects into records, field for field.
struct Shape<'a> {
    what: &'static str,
    map: &'a serde_json::Map<String, Value>,
}

fn drift(what: &str, why: String) -> OmegaError {
    omega_core::Error::new(ErrorCode::Malformed, format!("core's {what} JSON: {why}")).into()
}

impl<'a> Shape<'a> {
    /// `v` as an object with exactly the keys `keys` (core's shape; anything else is a drift).
    fn of(v: &'a Value, what: &'static str, keys: &[&str]) -> Result<Shape<'a>, OmegaError> {
        let map = v
            .as_object()
            .ok_or_else(|| drift(what, "not an object".into()))?;
        let mut have: Vec<&str> = map.keys().map(String::as_str).collect();
        let mut want = keys.to_vec();
        have.sort_unstable();
        want.sort_unstable();
        if have != want {
            return Err(drift(what, format!("keys {have:?}, expected {want:?}")));
        }
        Ok(Shape { what, map })
    }
    fn get(&self, k: &str) -> &'a Value {
        static NULL: Value = Value::Null;
        self.map.get(k).unwrap_or(&NULL)
    }
    fn u64(&self, k: &str) -> Result<u64, OmegaError> {
        self.get(k)
            .as_u64()
            .ok_or_else(|| drift(self.what, format!("{k} is not a number")))
    }
    fn opt_u64(&self, k: &str) -> Result<Option<u64>, OmegaError> {
        match self.get(k) {
            Value::Null => Ok(None),
            _ => self.u64(k).map(Some),
        }
    }
    fn string(&self, k: &str) -> Result<String, OmegaError> {
        self.get(k)
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| drift(self.what, format!("{k} is not a string")))
    }
    fn opt_string(&self, k: &str) -> Result<Option<String>, OmegaError> {
        match self.get(k) {
            Value::Null => Ok(None),
            _ => self.string(k).map(Some),
        }
    }
    fn list(&self, k: &str) -> Result<&'a Vec<Value>, OmegaError> {
        self.get(k)
            .as_array()
            .ok_or_else(|| drift(self.what, format!("{k} is not an array")))
    }
}

/// A notice from core's `driver::notice_json`.
fn notice(n: &NoticeRecord) -> Result<Notice, OmegaError> {
    // Core's JSON value through its `Serialize` (omega-core feature `serde`).
    let v = serde_json::to_value(notice_json(n)).unwrap_or_default();
    let s = Shape::of(
        &v,
        "notice",
        &[
            "entry", "id", "severity", "summary", "affected", "fixed", "url",
        ],
    )?;
    let affected = s
        .list("affected")?
        .iter()
        .map(|r| {
            let r = Shape::of(r, "notice range", &["from", "to"])?;
            Ok(SequenceRange {
                first: r.u64("from")?,
                last: r.u64("to")?,
            })
        })
        .collect::<Result<_, OmegaError>>()?;
    Ok(Notice {
        entry: s.u64("entry")?,
        id: s.string("id")?,
        severity: s.string("severity")?,
        affected,
        fixed: s.opt_u64("fixed")?,
        summary: s.string("summary")?,
        url: s.opt_string("url")?,
    })
}

fn notices(list: &[NoticeRecord]) -> Result<Vec<Notice>, OmegaError> {
    list.iter().map(notice).collect()
}

/// The registry's checkpoint from core's `Reader::checkpoint_json` (`None` before verified).
fn registry_checkpoint(r: &Reader) -> Result<Option<RegistryCheckpoint>, OmegaError> {
    let Some(v) = r.checkpoint_json(KeyStyle::Snake) else {
        return Ok(None);
    };
    let v = serde_json::to_value(v).unwrap_or_default();
    let s = Shape::of(
        &v,
        "checkpoint",
        &[
            "origin",
            "size",
            "root",
            "extensions",
            "witnesses",
            "freshness",
            "log_key",
            "note",
            "keep",
            "genesis",
            "proven",
        ],
    )?;
    let extensions = s
        .list("extensions")?
        .iter()
        .map(|e| {
            e.as_str()
                .map(str::to_string)
                .ok_or_else(|| drift("checkpoint", "an extension is not a string".into()))
        })
        .collect::<Result<_, OmegaError>>()?;
    let witnesses = s
        .list("witnesses")?
        .iter()
        .map(|w| {
            let w = Shape::of(w, "witness", &["name", "time"])?;
            Ok(WitnessCosignature {
                name: w.string("name")?,
                time: w.u64("time")?,
            })
        })
        .collect::<Result<_, OmegaError>>()?;
    let f = Shape::of(s.get("freshness"), "freshness", &["state", "as_of"])?;
    let freshness = match f.string("state")?.as_str() {
        "fresh" => Freshness::Fresh {
            as_of: f.u64("as_of")?,
        },
        "not_witnessed" => Freshness::NotWitnessed,
        "not_checked" => Freshness::NotChecked,
        other => return Err(drift("freshness", format!("state {other:?}"))),
    };
    let p = Shape::of(s.get("proven"), "proven", &["size", "root"])?;
    Ok(Some(RegistryCheckpoint {
        origin: s.string("origin")?,
        size: s.u64("size")?,
        root: s.string("root")?,
        extensions,
        witnesses,
        freshness,
        log_key: s.string("log_key")?,
        note: s.string("note")?,
        keep: s.string("keep")?,
        genesis: s.string("genesis")?,
        proven: ProvenTree {
            size: p.u64("size")?,
            root: p.string("root")?,
        },
    }))
}

fn not_ready() -> OmegaError {
    omega_core::Error::new(ErrorCode::Malformed, "the registry is not verified").into()
}

/// An Ωpm registry, verified on construction: its checkpoint under the policy, the
/// consistency with the stored checkpoint (never backwards; `LogInconsistent` on a fork, with
/// the evidence in the detail) and the replay of the whole log from the stored genesis. Then
/// `release` reads and verifies releases; `checkpoint()` and `genesis()` are what to store
/// for next time. An error while opening throws (from the constructor, or from the call that
/// opens again); an error while reading a release refuses that release only. Safe to share
/// between threads (one request at a time).
#[derive(uniffi::Object)]
pub struct Registry {
    url: String,
    policy: String,
    max_age: u64,
    /// The caller's fixed clock; `None`: the system clock (or offline).
    fixed_now: Option<u64>,
    offline: bool,
    state: Mutex<Opened>,
    fetcher: Arc<dyn RegistryFetcher>,
}

/// The reader of the last open that succeeded, the clock it was opened with (`None`:
/// offline; core's re-open rule needs it), and whether a later open failed (then the next call
/// opens again; the last good reader's note stays the one to store).
struct Opened {
    reader: Reader,
    at: Option<u64>,
    failed: bool,
}

fn clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The error of a failed open, with the evidence of a fork in its detail.
fn open_error(e: OmegaError, r: &Reader) -> OmegaError {
    match (e.error_code(), r.evidence()) {
        (ErrorCode::LogInconsistent, Some(ev)) => omega_core::Error::new(
            ErrorCode::LogInconsistent,
            format!("{}\n\nevidence:\n{ev}", e.detail()),
        )
        .into(),
        _ => e,
    }
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, Opened> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn host(&self) -> Host<'_> {
        Host {
            url: &self.url,
            fetcher: self.fetcher.as_ref(),
        }
    }

    /// The clock for this call: `None` offline.
    fn now(&self) -> Option<u64> {
        if self.offline {
            None
        } else {
            Some(self.fixed_now.unwrap_or_else(clock))
        }
    }

    /// A new reader from the policy and the checkpoint and genesis kept last, fetched and
    /// replayed at `now`.
    fn open(
        &self,
        held: Option<&str>,
        genesis: Option<[u8; 32]>,
        now: Option<u64>,
    ) -> Result<Reader, OmegaError> {
        let mut reader = Reader::from_policy(
            &self.url,
            &self.policy,
            self.max_age,
            held.map(str::as_bytes),
            genesis,
            now,
        )?;
        self.host()
            .drive(&mut reader)
            .map_err(|e| open_error(e, &reader))?;
        Ok(reader)
    }

    /// Opens again (keeping the last good reader when that fails: its note stays the one to
    /// store, and the next call tries again).
    fn reopen(&self, o: &mut Opened, now: Option<u64>) -> Result<(), OmegaError> {
        o.failed = true;
        let held = o.reader.checkpoint_note().map(str::to_string);
        let genesis = o.reader.genesis();
        o.reader = self.open(held.as_deref(), genesis, now)?;
        o.at = now;
        o.failed = false;
        Ok(())
    }

    /// Runs `f` on an open registry: opens again when core says so (`Reader::needs_reopen`:
    /// the last open is REFRESH_SECONDS old or the clock went back) or the last open failed;
    /// opens again once and retries when core says so (`Reader::reopen_after`: `Stale` from a
    /// reader opened earlier).
    fn with_open<T>(
        &self,
        f: impl Fn(&Registry, &mut Reader) -> Result<T, OmegaError>,
    ) -> Result<T, OmegaError> {
        let mut o = self.lock();
        let now = self.now();
        let due = o.failed || o.reader.needs_reopen(o.at, now);
        if due {
            self.reopen(&mut o, now)?;
        } else {
            o.reader.set_now(now);
        }
        match f(self, &mut o.reader) {
            Err(e) if o.reader.reopen_after(e.error_code(), due) => {
                self.reopen(&mut o, now)?;
                f(self, &mut o.reader)
            }
            other => other,
        }
    }
}

/// The fetcher and the registry URL of the host loop.
struct Host<'a> {
    url: &'a str,
    fetcher: &'a dyn RegistryFetcher,
}

impl Host<'_> {
    fn fetch(&self, path: &str, cap: u64) -> Result<Option<Vec<u8>>, OmegaError> {
        let url = format!("{}/{path}", self.url);
        let got = self.fetcher.get(url.clone(), cap.saturating_add(1))?;
        match got {
            // A fetcher that read more than the cap: refused here (RD17).
            Some(b) if b.len() as u64 > cap => Err(omega_core::Error::new(
                ErrorCode::TooLarge,
                format!("{url}: more than {cap} bytes, over the limit for it"),
            )
            .into()),
            other => Ok(other),
        }
    }

    /// The host loop: rounds of at most 64 paths (core's limit) fetched by PARALLEL threads,
    /// each file handed to core as it arrives (RD12); the first error stops the loop (no
    /// more fetches start) and, in a release, drops it (core's `abandon_release`, RD11).
    fn drive(&self, r: &mut Reader) -> Result<(), OmegaError> {
        let out = self.rounds(r);
        if out.is_err() {
            r.abandon_release();
        }
        out
    }

    fn rounds(&self, r: &mut Reader) -> Result<(), OmegaError> {
        loop {
            let needs: Vec<(String, u64)> = r
                .needs()
                .into_iter()
                .map(|p| {
                    let cap = r.max_bytes(&p).unwrap_or(0);
                    (p, cap)
                })
                .collect();
            if needs.is_empty() {
                return Ok(());
            }
            if needs.len() == 1 {
                let (p, c) = &needs[0];
                let got = self.fetch(p, *c)?;
                r.provide(p, got)?;
                continue;
            }
            let stop = AtomicBool::new(false);
            let next = Mutex::new(needs.iter());
            let (tx, rx) = mpsc::channel::<(String, Result<Option<Vec<u8>>, OmegaError>)>();
            let result = std::thread::scope(|s| {
                for _ in 0..PARALLEL.min(needs.len()) {
                    let tx = tx.clone();
                    let (next, stop) = (&next, &stop);
                    s.spawn(move || loop {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let item = next
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .next()
                            .cloned();
                        let Some((p, c)) = item else { return };
                        let got = self.fetch(&p, c);
                        if tx.send((p, got)).is_err() {
                            return;
                        }
                    });
                }
                drop(tx);
                let mut got_all = 0usize;
                for (p, got) in rx.iter() {
                    let step = got.and_then(|b| r.provide(&p, b).map_err(OmegaError::from));
                    if let Err(e) = step {
                        stop.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                    got_all += 1;
                }
                if got_all != needs.len() {
                    return Err(omega_core::Error::new(
                        ErrorCode::Io,
                        "a registry fetch thread failed",
                    )
                    .into());
                }
                Ok(())
            });
            result?;
        }
    }
}

#[uniffi::export]
impl Registry {
    /// Opens and verifies the registry at `url` (`https://…`; no trailing slash needed) under
    /// `policy` (a tlog-policy text obtained another way than plain http), fetching through
    /// `fetcher`. `checkpoint` and `genesis` (64 hex digits) are what an earlier `Registry`
    /// gave to store. Freshness is checked at `now` (Unix seconds: a fixed clock; null: the
    /// clock, read at every call) within `maxAge` seconds; `offline` skips it (not with
    /// `now`: `Malformed`). With the clock, a call opens the registry again when the last
    /// open is 60 s old or more, and a checkpoint older than `maxAge` is refused (`Stale`).
    #[allow(clippy::too_many_arguments)]
    #[uniffi::constructor(default(checkpoint = None, genesis = None, max_age = 86400, now = None, offline = false))]
    pub fn new(
        url: String,
        policy: String,
        fetcher: Arc<dyn RegistryFetcher>,
        checkpoint: Option<String>,
        genesis: Option<String>,
        max_age: u64,
        now: Option<u64>,
        offline: bool,
    ) -> Result<Arc<Registry>, OmegaError> {
        if offline && now.is_some() {
            return Err(omega_core::Error::new(
                ErrorCode::Malformed,
                "registry: now and offline: give one of them",
            )
            .into());
        }
        let genesis = genesis.map(|g| parse_hex32(&g, "genesis")).transpose()?;
        let url = url.trim_end_matches('/').to_string();
        let when = if offline {
            None
        } else {
            Some(now.unwrap_or_else(clock))
        };
        let mut reader = Reader::from_policy(
            &url,
            &policy,
            max_age,
            checkpoint.as_deref().map(str::as_bytes),
            genesis,
            when,
        )?;
        let host = Host {
            url: &url,
            fetcher: fetcher.as_ref(),
        };
        host.drive(&mut reader)
            .map_err(|e| open_error(e, &reader))?;
        Ok(Arc::new(Registry {
            url,
            policy,
            max_age,
            fixed_now: now,
            offline,
            state: Mutex::new(Opened {
                reader,
                at: when,
                failed: false,
            }),
            fetcher,
        }))
    }

    /// Reads and verifies a release of `name` (`version`, default the latest unyanked one):
    /// index note, log entry, both objects by their hashes, the package check, then yanks
    /// and notices (a critical notice refuses the release unless its id is in
    /// `acceptNotices`; a yanked version is refused unless `allowYanked`). With `ownerKeys`
    /// (an earlier release's `owners.keys`), a release of a name whose owners changed away
    /// from all of them is refused with `KeyNotTrusted` (threat model RD20).
    #[uniffi::method(default(version = None, accept_notices = [], allow_yanked = false, owner_keys = []))]
    pub fn release(
        &self,
        name: String,
        version: Option<String>,
        accept_notices: Vec<String>,
        allow_yanked: bool,
        owner_keys: Vec<String>,
    ) -> Result<Release, OmegaError> {
        let owner_keys = owner_keys
            .iter()
            .map(|k| PublicKey::from_base64(k))
            .collect::<Result<Vec<_>, _>>()?;
        let (got, note) = self.with_open(|reg, r| {
            r.want_release(ReleaseRequest {
                name: name.clone(),
                version: version.clone(),
                accept_notices: accept_notices.clone(),
                allow_yanked,
                owner_keys: owner_keys.clone(),
            })?;
            reg.host().drive(r)?;
            match (r.take_release(), r.checkpoint_note()) {
                (Some(got), Some(note)) => Ok((got, note.to_string())),
                _ => Err(omega_core::Error::new(
                    ErrorCode::Malformed,
                    format!("registry {}: {name}: no release was read", reg.url),
                )
                .into()),
            }
        })?;
        let owners = Owners {
            entry: got.owners_entry,
            serial: got.owners_serial,
            keys: got.owner_keys.iter().map(PublicKey::to_base64).collect(),
        };
        let (rel, adv) = (got.release, got.advisories);
        let st = rel.statement;
        Ok(Release {
            name: st.name,
            version: st.version,
            sequence: st.sequence,
            entry: rel.entry,
            tree: st.tree.to_string(),
            manifest_hash: to_hex(&st.manifest),
            tarball_hash: to_hex(&st.tgz),
            size: st.size,
            report: Report::from(&rel.report),
            manifest: rel.manifest_bytes,
            tarball: rel.tgz,
            checkpoint: note,
            yanked: adv.yanked.map(|y| Yank {
                entry: y.entry,
                reason: y.reason,
            }),
            notices: notices(&adv.notices)?,
            revoked_signers: adv
                .revoked_signers
                .iter()
                .map(|k| RevokedSigner {
                    key: k.key.to_base64(),
                    entry: k.entry,
                    reason: k.reason.clone(),
                })
                .collect(),
            owners,
        })
    }

    /// The notices of `name` (all, or those whose ranges contain `sequence`), in id order;
    /// `NotInLog` when the log does not hold the name.
    #[uniffi::method(default(sequence = None))]
    pub fn notices(&self, name: String, sequence: Option<u64>) -> Result<Vec<Notice>, OmegaError> {
        self.with_open(|_, r| notices(&r.notices(&name, sequence)?))
    }

    /// The checkpoint note to store and give back next time (never backwards).
    pub fn checkpoint(&self) -> Result<String, OmegaError> {
        self.lock()
            .reader
            .checkpoint_note()
            .map(str::to_string)
            .ok_or_else(not_ready)
    }

    /// The SHA-256 of entry 0 (hex), to store with the checkpoint.
    pub fn genesis(&self) -> Result<String, OmegaError> {
        self.lock()
            .reader
            .genesis()
            .map(|g| to_hex(&g))
            .ok_or_else(not_ready)
    }

    /// The checkpoint fetched and verified (core's `Reader::checkpoint_json`: origin, size,
    /// root, extensions, witnesses with their times, freshness, log key, note) with `keep` (the
    /// note to store), `genesis` and `proven` (the tree releases are proven against).
    pub fn verified(&self) -> Result<RegistryCheckpoint, OmegaError> {
        registry_checkpoint(&self.lock().reader)?.ok_or_else(not_ready)
    }

    /// `"cosigned by w1 at T; fresh as of T"`, for people.
    pub fn witness_text(&self) -> Result<String, OmegaError> {
        self.lock().reader.witness_text().ok_or_else(not_ready)
    }

    /// Bytes fetched and accepted so far.
    pub fn fetched_bytes(&self) -> u64 {
        self.lock().reader.fetched_bytes()
    }

    /// The registry's URL (no trailing slash).
    pub fn url(&self) -> String {
        self.url.clone()
    }
}

#[cfg(test)]
mod tests {
    /// The constructor's default `max_age` (a literal, as uniffi wants) is core's.
    #[test]
    fn default_max_age_is_cores() {
        assert_eq!(omega_core::client::DEFAULT_MAX_AGE, 86_400);
    }
}
