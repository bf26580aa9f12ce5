//! One registry opened for a client command: the trust (lock pin or first use), the
//! verified checkpoint, consistency with the lock's and the user cache's checkpoints (never
//! backwards; evidence written on `LOG_INCONSISTENT`), the replayed state (always up to the
//! largest proven checkpoint; saved in the user cache under its SHA-256, which the lock's pin
//! records, so only the state the lock names is reused), and fetches (source first, the user
//! cache as the fallback for tiles a stale mirror lacks; a cached file that fails
//! verification is removed). Every byte is verified by `omega_core::client`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use omega_core::checkpoint::Checkpoint;
use omega_core::client::{self, Held, SavedState, Trust, VerifiedRelease};
use omega_core::hash::{parse_hex32, to_hex};
use omega_core::limits::{MAX_NOTE_BYTES, MAX_POLICY_BYTES, MAX_REGISTRY_STATE_BYTES};
use omega_core::lock::Lockfile;
use omega_core::merkle::Hash;
use omega_core::policy::{Freshness, VerifiedCheckpoint};
use omega_core::registry::{RegistryState, ReleaseRecord};
use omega_core::tiles::{TilePath, FULL_TILE_BYTES};
use omega_core::{Error, ErrorCode};

use crate::net::cache::Cache;
use crate::net::{RelPath, Source};
use crate::out::shown;
use crate::progress::Progress;
use crate::registry::clock_now;
use crate::registry::log::fetch_tiles;
use crate::util::{read_small, usage, write_atomic, Failure, Overwrite};

/// The saved state of earlier versions (one file, trusted by its contents: threat model RR8);
/// never read, removed when a state is saved.
const OLD_STATE_FILES: [&str; 2] = ["registry-state.json", "registry-state.root"];

/// Where bytes come from: the source, the user cache, and what was fetched so far.
pub struct Fetcher {
    /// Where it is fetched from.
    pub source: Source,
    /// The user cache of the origin (none when it cannot be opened).
    pub cache: Option<Cache>,
    /// Tiles and bundles fetched (all verified by core before use).
    files: BTreeMap<TilePath, Vec<u8>>,
    /// Which of `files` came from the user cache (removed there when core rejects them).
    from_cache: BTreeSet<TilePath>,
}

/// A registry opened and verified up to its current checkpoint.
pub struct Session {
    /// What is trusted.
    pub trust: Trust,
    /// Source, cache, fetched files.
    pub fetcher: Fetcher,
    /// The fetched checkpoint, verified.
    pub verified: VerifiedCheckpoint,
    /// The checkpoint to keep (the larger of fetched, lock and cache): the state covers it,
    /// and releases are proven against it.
    pub latest: Held,
    /// The state replayed up to `latest` (never less than a checkpoint proven before: RR7).
    pub state: RegistryState,
    /// `now`, or `None` offline.
    pub now: Option<u64>,
    /// The SHA-256 of the saved state the lock's pin names (kept in the cache).
    saved_digest: Option<[u8; 32]>,
}

fn evidence_dir(cache: Option<&Cache>) -> PathBuf {
    cache.map_or_else(std::env::temp_dir, |c| c.path().join("evidence"))
}

impl Session {
    /// Opens the registry at `url` (else the lock's only registry), pinning it on first use.
    pub fn open(
        _root: &Path,
        lock: &Lockfile,
        url: Option<&str>,
        policy_file: Option<&Path>,
        offline: bool,
    ) -> Result<Session, Failure> {
        let pinned = match url {
            // One registry per url (Lockfile::parse refuses two with the same url: RR18).
            Some(u) => lock.registries.iter().find(|(_, p)| p.url == u),
            None if lock.registries.len() == 1 => lock.registries.iter().next(),
            None if lock.registries.is_empty() => {
                return usage("no registry: give --registry URL (omega.lock pins none)")
            }
            None => return usage("omega.lock pins several registries: give --registry URL"),
        };
        Session::open_with(lock, pinned, url, policy_file, offline)
    }

    /// Opens the registry the lock pins for `origin` (`status`, `audit --online`: by origin,
    /// never by url, so that a registry is judged by its own log: RR18).
    pub fn open_origin(lock: &Lockfile, origin: &str) -> Result<Session, Failure> {
        let Some(pinned) = lock.registries.get_key_value(origin) else {
            return Err(Failure::Core(Error::new(
                ErrorCode::NotFound,
                format!("omega.lock pins no registry {}", crate::out::shown(origin)),
            )));
        };
        let s = Session::open_with(lock, Some(pinned), None, None, false)?;
        if s.trust.origin != origin {
            return Err(Failure::Core(Error::new(
                ErrorCode::Malformed,
                format!(
                    "omega.lock registry {}: its policy's log is {}",
                    crate::out::shown(origin),
                    crate::out::shown(&s.trust.origin)
                ),
            )));
        }
        Ok(s)
    }

    fn open_with(
        lock: &Lockfile,
        pinned: Option<(&String, &omega_core::lock::RegistryPin)>,
        url: Option<&str>,
        policy_file: Option<&Path>,
        offline: bool,
    ) -> Result<Session, Failure> {
        // The trust, and a mirror URL when a pinned registry is fetched from another URL.
        let (trust, mirror) = match pinned {
            Some((origin, pin)) => (Trust::from_pin(origin, pin)?, None),
            None => {
                let Some(u) = url else {
                    return usage("no registry: give --registry URL");
                };
                let source = Source::parse(u)?;
                // The policy pinned on first use is the root of trust: over plain http to
                // another host anyone on the path could serve their own (and a whole log to
                // match). It must then come from the user (--policy).
                if let (Some(w), None) = (source.warning(), policy_file) {
                    return Err(Failure::Core(Error::new(
                        ErrorCode::KeyNotTrusted,
                        format!("{w}; the first use of a registry pins its policy, which must not come over plain http: give --policy FILE (the registry's policy, obtained another way) or an https:// URL"),
                    )));
                }
                let text = match policy_file {
                    Some(f) => read_small(f, MAX_POLICY_BYTES)?,
                    None => source.get(&RelPath::policy(), MAX_POLICY_BYTES as u64)?,
                };
                let text = String::from_utf8(text).map_err(|_| {
                    Error::new(ErrorCode::Malformed, format!("policy of {u}: not UTF-8"))
                })?;
                // A folder is pinned by its absolute path: the lock is read from anywhere.
                let pinned_url = if u.contains("://") {
                    u.to_string()
                } else {
                    std::fs::canonicalize(u)
                        .map_err(|e| crate::util::io_err(Path::new(u), &e))?
                        .display()
                        .to_string()
                };
                let fresh = Trust::first_use(&pinned_url, &text, client::DEFAULT_MAX_AGE)?;
                match lock.registries.get(&fresh.origin) {
                    // Another URL of a pinned registry (a mirror): the pin applies, the
                    // policy it serves does not.
                    Some(pin) => {
                        esay!(
                            "omega: {} serves {}, which omega.lock pins (from {}): using the pinned policy and checkpoint",
                            shown(u),
                            shown(&fresh.origin),
                            shown(&pin.url)
                        );
                        (Trust::from_pin(&fresh.origin, pin)?, Some(pinned_url))
                    }
                    None => {
                        // Each line escaped (RR23): a policy names keys and witnesses.
                        let lines: Vec<String> = text
                            .trim_end()
                            .lines()
                            .map(|l| shown(l).into_owned())
                            .collect();
                        esay!(
                            "omega: first use of {}: pinning its policy{} in omega.lock:\n{}",
                            shown(u),
                            if policy_file.is_some() {
                                " (--policy)"
                            } else {
                                " (served by the registry)"
                            },
                            lines.join("\n")
                        );
                        (fresh, None)
                    }
                }
            }
        };
        let source = Source::parse(mirror.as_deref().unwrap_or(&trust.url))?;
        if let Some(w) = source.warning() {
            esay!("omega: warning: {w}");
        }
        let log_key = trust
            .policy
            .logs()
            .first()
            .map(|l| l.key.to_string())
            .unwrap_or_default();
        let cache = match Cache::open_log(&trust.origin, &log_key) {
            Ok(c) => Some(c),
            Err(e) => {
                esay!(
                    "omega: warning: the user cache is not used: {}",
                    crate::out::shown(e.message())
                );
                None
            }
        };
        // The saved state the lock's pin names (RR8): only that one is reused.
        let saved_digest = lock.registries.get(&trust.origin).and_then(|p| p.state);
        let now = if offline {
            esay!("omega: --offline: freshness (cosignature times, index expiry) not checked");
            None
        } else {
            Some(clock_now())
        };
        let bytes = source.get(&RelPath::checkpoint(), MAX_NOTE_BYTES as u64)?;
        let verified = trust
            .verify_checkpoint(&bytes, now)
            .map_err(|e| e.context(&source.shown(&RelPath::checkpoint())))?;
        if verified.freshness == Freshness::NotWitnessed {
            esay!("omega: the policy has no witnesses (quorum none): freshness rests on the index notes' expiry alone");
        }
        let mut latest = Held::from_verified(&verified);
        let mut f = Fetcher {
            source,
            cache,
            files: BTreeMap::new(),
            from_cache: BTreeSet::new(),
        };
        // Step 2: consistency with the lock's checkpoint, then the user cache's latest.
        let mut held: Vec<Held> = Vec::new();
        if let Some(p) = &trust.pinned {
            held.push(p.clone());
        }
        if let Some(c) = f.cache.as_ref().and_then(Cache::latest_checkpoint) {
            match trust.verify_cached(&c) {
                Ok(h) => held.push(h),
                // RR22: said, not silent (the folder is the log key's: a corrupted file).
                Err(e) => esay!(
                    "omega: warning: the user cache's checkpoint of {} is ignored: {}",
                    shown(&trust.origin),
                    shown(e.message())
                ),
            }
        }
        for h in held {
            latest = f.consistent_with(&h, latest)?;
        }
        // RR7: the state must cover the largest proven checkpoint, not only what this source
        // serves: a stale mirror (N < M) must not hide a notice, revocation, yank or owner
        // change at an entry in [N, M). The entries N..M come from the source or the user
        // cache, verified against M's signed root; without them the install is refused.
        let state = f
            .replay(&trust, &latest.checkpoint, &verified.log_key, saved_digest)
            .map_err(|e| stale_if_missing(e, &verified.checkpoint, &latest.checkpoint))?;
        Ok(Session {
            trust,
            fetcher: f,
            verified,
            latest,
            state,
            now,
            saved_digest,
        })
    }
}

/// A source behind a checkpoint proven before (a stale mirror), without the tiles or bundles
/// to cover the difference: `STALE`, naming both sizes (RR7).
fn stale_if_missing(e: Error, fetched: &Checkpoint, latest: &Checkpoint) -> Error {
    let (n, m) = (fetched.size, latest.size);
    if e.code() == ErrorCode::NotFound && n < m {
        return Error::new(
            ErrorCode::Stale,
            format!(
                "{}: the source serves the log at size {n}, but size {m} was proven before (omega.lock or the user cache), and the tiles and entry bundles up to {m} are neither served nor in the user cache ({}); use an up-to-date source",
                fetched.origin,
                e.message()
            ),
        );
    }
    e
}

/// Whether `e` is a verdict on bytes (so a cached file among them may be bad), not a miss.
fn is_verdict(e: &Error) -> bool {
    !matches!(e.code(), ErrorCode::NotFound | ErrorCode::Io)
}

impl Fetcher {
    /// Proves `latest` and `h` consistent; returns the larger.
    fn consistent_with(&mut self, h: &Held, latest: Held) -> Result<Held, Failure> {
        let paths = client::consistency_tiles(&h.checkpoint, &latest.checkpoint)?;
        let behind =
            |e: Error| Failure::Core(stale_if_missing(e, &latest.checkpoint, &h.checkpoint));
        self.fetch(&paths).map_err(behind)?;
        let run = |f: &Fetcher| match client::consistency_proof(
            &h.checkpoint,
            &latest.checkpoint,
            &f.files,
        ) {
            Ok(p) => match client::check_consistency(h, &latest, &p) {
                Ok(c) => Ok(c.latest),
                Err(e) => Err((p, e)),
            },
            Err(e) => Err((Vec::new(), e)),
        };
        let mut result = run(self);
        // A cached tile among the ones that failed: removed from the cache, fetched again.
        if let Err((_, e)) = &result {
            if is_verdict(e) && self.drop_cached() {
                self.fetch(&paths).map_err(behind)?;
                result = run(self);
            }
        }
        let (proof, err) = match result {
            Ok(held) => return Ok(held),
            Err(x) => x,
        };
        if err.code() != ErrorCode::LogInconsistent {
            return Err(err.into());
        }
        Err(self.evidence(h, &latest, &proof, err))
    }

    /// Removes every file that came from the user cache from this run and from the cache
    /// (core rejected bytes that included them: RR13). Whether any was removed.
    fn drop_cached(&mut self) -> bool {
        let dropped: Vec<TilePath> = std::mem::take(&mut self.from_cache).into_iter().collect();
        for p in &dropped {
            self.files.remove(p);
            if let (Some(c), Ok(rel)) = (&self.cache, RelPath::new(&p.to_string())) {
                if c.forget(&rel).is_ok() {
                    esay!("omega: warning: {}: a cached file failed verification; removed from the user cache", c.path().join(rel.as_str()).display());
                }
            }
        }
        !dropped.is_empty()
    }

    fn evidence(&self, h: &Held, latest: &Held, proof: &[Hash], err: Error) -> Failure {
        let text = client::evidence_text(h, latest, proof, &err);
        let dir = evidence_dir(self.cache.as_ref());
        let name = format!(
            "inconsistency-{}-{}-{}.txt",
            h.checkpoint.size,
            latest.checkpoint.size,
            std::process::id()
        );
        let path = dir.join(name);
        let written = std::fs::create_dir_all(&dir)
            .map_err(|e| crate::util::io_err(&dir, &e))
            .and_then(|()| write_atomic(&path, text.as_bytes(), 0o644, Overwrite::Replace));
        let msg = match written {
            Ok(()) => format!("{}; evidence written to {}", err.message(), path.display()),
            Err(_) => format!("{}; evidence could not be written:\n{text}", err.message()),
        };
        Failure::Core(Error::new(ErrorCode::LogInconsistent, msg))
    }

    /// Fetches `paths` not fetched yet: from the source, the user cache for what it lacks.
    fn fetch(&mut self, paths: &[TilePath]) -> Result<(), Error> {
        let missing: Vec<TilePath> = paths
            .iter()
            .filter(|p| !self.files.contains_key(p) && !self.files.contains_key(&p.full()))
            .cloned()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        match fetch_tiles(&self.source, &missing, &Progress::hidden()) {
            Ok(got) => {
                self.files.extend(got);
                Ok(())
            }
            Err(e) if e.code() == ErrorCode::NotFound => {
                for p in &missing {
                    match fetch_tiles(&self.source, std::slice::from_ref(p), &Progress::hidden()) {
                        Ok(got) => self.files.extend(got),
                        Err(e) if e.code() == ErrorCode::NotFound => {
                            let rel = RelPath::new(&p.to_string())?;
                            let cached = self.cache.as_ref().and_then(|c| {
                                c.get(&rel, omega_core::limits::MAX_BUNDLE_BYTES as u64)
                            });
                            match cached {
                                Some(b) => {
                                    self.files.insert(*p, b);
                                    self.from_cache.insert(*p);
                                }
                                None => return Err(e),
                            }
                        }
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The saved state whose SHA-256 is `digest` (the lock's pin), if the user cache has it,
    /// at most `size` entries.
    fn saved_state(&self, digest: &[u8; 32], size: u64) -> Option<SavedState> {
        let c = self.cache.as_ref()?;
        let (state, root) = c.saved_state(digest, MAX_REGISTRY_STATE_BYTES as u64)?;
        let state = RegistryState::parse(&state).ok()?;
        let root = parse_hex32(std::str::from_utf8(&root).ok()?, "saved root").ok()?;
        (state.size <= size).then_some(SavedState { state, root })
    }

    /// Step 3: the state up to `cp` (a verified checkpoint: fetched, or held and proven
    /// consistent with the fetched one), signed by `log_key`; from the saved state that
    /// `digest` names when the user cache has it, else from entry 0.
    fn replay(
        &mut self,
        trust: &Trust,
        cp: &Checkpoint,
        log_key: &str,
        digest: Option<[u8; 32]>,
    ) -> Result<RegistryState, Error> {
        let genesis = trust.genesis;
        // First use (no genesis pinned yet) replays from entry 0: the genesis to pin comes from
        // the log itself, never from a saved state. Otherwise only the saved state the lock
        // names (by its SHA-256) is used (RR8).
        let saved = match (genesis, digest) {
            (Some(_), Some(d)) => {
                let s = self.saved_state(&d, cp.size);
                if s.is_none() {
                    esay!("omega: the saved registry state omega.lock names is not in the user cache (or not usable): replaying the log of {} from entry 0", shown(&cp.origin));
                }
                s
            }
            _ => None,
        };
        let from = saved.as_ref().map_or(0, |s| s.state.size);
        let attempt = |f: &mut Fetcher, saved: Option<SavedState>, from: u64| {
            let (bundles, tiles) = client::replay_paths(from, cp.size)?;
            let mut all = tiles;
            all.extend(bundles);
            f.fetch(&all)?;
            client::replay_to(saved, genesis.as_ref(), cp, log_key, &f.files)
        };
        let result = match attempt(self, saved.clone(), from) {
            Ok(st) => Ok(st),
            Err(_) if from > 0 => attempt(self, None, 0),
            Err(e) => Err(e),
        };
        match result {
            // A cached tile or bundle among the rejected bytes: removed, fetched again (RR13).
            Err(e) if is_verdict(&e) && self.drop_cached() => attempt(self, None, 0),
            r => r,
        }
    }
}

impl Session {
    /// Step 3: the index note of `name`, verified and checked against the state.
    pub fn check_index(&self, name: &str) -> Result<(), Error> {
        let bytes = super::index_bytes(self, name)?;
        client::verify_index(&self.state, &bytes, name, self.now)?;
        Ok(())
    }

    /// Step 4: the release's entry (inclusion) and objects, verified.
    pub fn verify(
        &mut self,
        name: &str,
        version: &str,
        record: &ReleaseRecord,
    ) -> Result<VerifiedRelease, Error> {
        // Proven against the checkpoint the state covers (RR7: a stale mirror's is older).
        let cp = self.latest.checkpoint.clone();
        let (tiles, bundle) = client::release_paths(record.entry, cp.size)?;
        let mut all = tiles;
        all.push(bundle);
        self.fetcher.fetch(&all)?;
        let st = match client::read_release_entry(&cp, name, version, record, &self.fetcher.files) {
            Err(e) if is_verdict(&e) && self.fetcher.drop_cached() => {
                self.fetcher.fetch(&all)?;
                client::read_release_entry(&cp, name, version, record, &self.fetcher.files)?
            }
            r => r?,
        };
        let manifest = self.object(&st.manifest, super::MANIFEST_CAP)?;
        // The logged size bounds the download, and a tarball never exceeds what core unpacks.
        let most = omega_core::tarball::MAX_TARBALL_UNPACKED_BYTES as u64;
        if st.size > most {
            return Err(Error::new(
                ErrorCode::TooLarge,
                format!(
                    "{name}@{version}: the logged tarball size {} is over {most} bytes",
                    st.size
                ),
            ));
        }
        let tgz = self.object(&st.tgz, st.size.saturating_add(1))?;
        let revoked: Vec<_> = self
            .state
            .name(name)
            .map(|n| n.revoked.iter().map(|r| r.key).collect())
            .unwrap_or_default();
        let v = client::verify_release(&st, record.entry, &manifest, &tgz, &revoked)?;
        if let Some(c) = &self.fetcher.cache {
            let _ = c.put_verified(&RelPath::object(&to_hex(&st.manifest))?, &manifest);
            let _ = c.put_verified(&RelPath::object(&to_hex(&st.tgz))?, &tgz);
        }
        Ok(v)
    }

    fn object(&self, hash: &[u8; 32], cap: u64) -> Result<Vec<u8>, Error> {
        let rel = RelPath::object(&to_hex(hash))?;
        if let Some(b) = self.fetcher.cache.as_ref().and_then(|c| c.get(&rel, cap)) {
            return Ok(b);
        }
        self.fetcher.source.get(&rel, cap)
    }

    /// After a successful command: the user cache's latest checkpoint (never backwards), the
    /// verified tiles, and the replayed state with its root.
    pub fn remember(&self) {
        let Some(c) = &self.fetcher.cache else { return };
        let latest = self.latest.clone();
        let trust = &self.trust;
        let _ = c.update_latest_checkpoint(|cur| {
            let keep = match cur.map(|b| trust.verify_cached(b)) {
                Some(Ok(h)) if h.checkpoint.size >= latest.checkpoint.size => None,
                _ => Some(latest.note.clone().into_bytes()),
            };
            Ok(keep)
        });
        for (p, b) in &self.fetcher.files {
            if p.level().is_some() && b.len() > FULL_TILE_BYTES {
                continue;
            }
            if let Ok(rel) = RelPath::new(&p.to_string()) {
                let _ = c.put_verified(&rel, b);
            }
        }
        // The state covers `latest` (RR7): its root is `latest`'s.
        let bytes = self.state.to_json_bytes();
        let _ = c.put_state(
            &client::state_digest(&bytes),
            &bytes,
            &to_hex(&self.latest.checkpoint.root),
            self.saved_digest.as_ref(),
        );
        for old in OLD_STATE_FILES {
            let _ = std::fs::remove_file(c.path().join(old));
        }
    }

    /// The SHA-256 of the state as [`Session::remember`] saves it: the lock's pin records it
    /// (RR8).
    pub fn state_digest(&self) -> [u8; 32] {
        client::state_digest(&self.state.to_json_bytes())
    }

    /// "cosigned by w1 at T" for the summary line.
    pub fn witness_text(&self) -> String {
        let freshness = match self.verified.freshness {
            Freshness::Fresh { as_of } => format!("fresh as of {as_of}"),
            Freshness::NotWitnessed => "no witnesses in the policy".into(),
            Freshness::NotChecked => "freshness not checked (--offline)".into(),
        };
        if self.verified.witnesses.is_empty() {
            return freshness;
        }
        let w: Vec<String> = self
            .verified
            .witnesses
            .iter()
            .map(|(n, t)| format!("{} at {t}", shown(n)))
            .collect();
        format!("cosigned by {}; {freshness}", w.join(", "))
    }
}
