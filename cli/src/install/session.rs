//! One registry opened for a client command: a host loop over core's sans-IO reader
//! (`omega_core::driver::Reader`), which holds the order of R6's steps for every host (the
//! bindings and this CLI). No rule is here; this module
//! - decides the trust: the lock's pin (`Trust::from_pin`), the pin of a registry served from
//!   another URL (a mirror), or first use (the policy shown and pinned; never over plain http
//!   to another host without `--policy`);
//! - gives the reader what the user cache holds: its latest checkpoint (`Reader::hold`: the
//!   state then covers the largest proven tree, RR7) and the saved state whose SHA-256 the
//!   lock's pin records (`Reader::resume`: only that one, RR8);
//! - fetches what the reader asks for, each path capped as the reader says: a round's paths
//!   in parallel (bounded), objects from the user cache first (named by their BLAKE2b-256,
//!   checked on read), tiles and bundles from the source and, when it lacks them (a stale
//!   mirror), from the user cache (`Reader::provide_cached`); a cached file the reader
//!   refuses is removed from the cache (RR13);
//! - writes the evidence file on `LOG_INCONSISTENT`, and after a successful command keeps in
//!   the user cache what the reader verified: the latest checkpoint (never backwards), tiles,
//!   objects, and the state under its SHA-256: a small one (at most
//!   [`WHOLE_STATE_MAX_ENTRIES`] entries) whole, a larger one as content-addressed pieces (a
//!   header, 256 buckets, one record per name: `omega_core::state_store`), only the pieces
//!   that changed; nothing when the state is the one resumed, unchanged. Names are loaded
//!   from the pieces as the command needs them.

use std::path::{Path, PathBuf};

use omega_core::client::{self, Held, SavedState, Trust};
use omega_core::driver::{
    Reader, ReaderRelease, ReleaseOptions, ReleaseRequest, STATE_PIECE_PREFIX,
};
use omega_core::hash::{blake2b256, parse_hex32, to_hex};
use omega_core::limits::{MAX_POLICY_BYTES, MAX_REGISTRY_STATE_BYTES, MAX_STATE_PIECE_BYTES};
use omega_core::lock::Lockfile;
use omega_core::policy::{Freshness, VerifiedCheckpoint};
use omega_core::registry::{RegistryState, ReleaseRecord};
use omega_core::state_store::{PieceSource, StatePieces};
use omega_core::tiles::{TilePath, FULL_TILE_BYTES};
use omega_core::{Error, ErrorCode};

use crate::net::cache::Cache;
use crate::net::source::DEFAULT_PARALLEL_FETCHES;
use crate::net::{RelPath, Source};
use crate::out::shown;
use crate::progress::Progress;
use crate::registry::clock_now;
use crate::util::{read_small, usage, write_atomic, Failure, Overwrite};

/// The saved state of earlier versions (one file, trusted by its contents: threat model RR8);
/// never read, removed when a state is saved.
const OLD_STATE_FILES: [&str; 2] = ["registry-state.json", "registry-state.root"];

/// States of at most this many log entries are saved whole (one small file); larger ones as
/// pieces (docs/registry.md "Per-name saved state (state6)"). The environment variable
/// `OMEGA_STATE_WHOLE_MAX_ENTRIES` sets another bound (tests, benchmarks; `0`: always
/// pieces). Either form is trusted only through the lock's digest (RR8).
pub const WHOLE_STATE_MAX_ENTRIES: u64 = 512;

fn whole_state_max_entries() -> u64 {
    std::env::var("OMEGA_STATE_WHOLE_MAX_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(WHOLE_STATE_MAX_ENTRIES)
}

/// The replayed state as it is saved: whole (`RegistryState::to_json_bytes`) or as pieces.
enum SavedForm {
    Whole { digest: [u8; 32], bytes: Vec<u8> },
    Pieces(StatePieces),
}

impl SavedForm {
    fn digest(&self) -> [u8; 32] {
        match self {
            SavedForm::Whole { digest, .. } => *digest,
            SavedForm::Pieces(p) => p.digest,
        }
    }
}

/// A registry opened and verified up to its current checkpoint.
pub struct Session {
    /// The reader: the trust, the verified checkpoints and the replayed state.
    reader: Reader,
    /// Where it is fetched from.
    source: Source,
    /// The user cache of the log (none when it cannot be opened).
    cache: Option<Cache>,
    /// The fetched checkpoint, verified.
    pub verified: VerifiedCheckpoint,
    /// The checkpoint to keep (the largest proven: fetched, lock's or user cache's): the
    /// state covers it, and releases are proven against it.
    pub latest: Held,
    /// The SHA-256 of the saved state the lock's pin names (kept in the cache).
    saved_digest: Option<[u8; 32]>,
    /// The state as saved, made once ([`Session::state_digest`], [`Session::remember`]).
    saved_form: std::cell::OnceCell<Option<SavedForm>>,
}

/// The user cache's saved-state pieces as a [`PieceSource`] (none without a cache).
struct CachePieces<'a>(Option<&'a Cache>);

impl PieceSource for CachePieces<'_> {
    fn piece(&self, hash: &[u8; 32]) -> Option<Vec<u8>> {
        self.0?.state_piece(hash, MAX_STATE_PIECE_BYTES as u64)
    }
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
        if s.trust().origin != origin {
            return Err(Failure::Core(Error::new(
                ErrorCode::Malformed,
                format!(
                    "omega.lock registry {}: its policy's log is {}",
                    crate::out::shown(origin),
                    crate::out::shown(&s.trust().origin)
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
        let origin = trust.origin.clone();
        let mut reader = Reader::open(trust, now);
        // The user cache's latest checkpoint: consistency with it too, and the state covers
        // it when it is the largest proven (RR7).
        if let Some(note) = cache.as_ref().and_then(Cache::latest_checkpoint) {
            if let Err(e) = reader.hold(&note) {
                // RR22: said, not silent (the folder is the log key's: a corrupted file).
                esay!(
                    "omega: warning: the user cache's checkpoint of {} is ignored: {}",
                    shown(&origin),
                    shown(e.message())
                );
            }
        }
        // First use (no genesis pinned yet) replays from entry 0: the genesis to pin comes
        // from the log itself, never from a saved state (the reader refuses one then).
        if let (Some(d), Some(_)) = (saved_digest, reader.trust().genesis) {
            // The names of the lock's packages from this registry are loaded now (the
            // replay loads those its new entries touch; others as they are asked for).
            let names: Vec<&str> = lock
                .packages
                .iter()
                .filter(|(_, e)| e.registry.as_ref().is_some_and(|r| r.origin == origin))
                .map(|(k, _)| omega_core::lock::package_name_of_key(k).unwrap_or(k))
                .collect();
            let saved = cache.as_ref().and_then(|c| saved_state(c, &d, &names));
            match saved.map(|s| reader.resume(s)) {
                Some(Ok(())) => {}
                _ => esay!("omega: the saved registry state omega.lock names is not in the user cache (or not usable): replaying the log of {} from entry 0", shown(&origin)),
            }
        }
        Host {
            reader: &mut reader,
            source: &source,
            cache: cache.as_ref(),
        }
        .run()?;
        if let Some(e) = reader.resume_refused() {
            esay!(
                "omega: the saved registry state omega.lock names was not used ({}): the log of {} was replayed from entry 0",
                shown(e.message()),
                shown(&origin)
            );
        }
        let (Some(verified), Some(latest)) = (reader.verified().cloned(), reader.latest().cloned())
        else {
            return Err(Failure::Core(Error::new(
                ErrorCode::Malformed,
                format!(
                    "registry {}: not verified after the reader's loop (phase {:?})",
                    shown(&origin),
                    reader.phase()
                ),
            )));
        };
        if verified.freshness == Freshness::NotWitnessed {
            esay!("omega: the policy has no witnesses (quorum none): freshness rests on the index notes' expiry alone");
        }
        Ok(Session {
            reader,
            source,
            cache,
            verified,
            latest,
            saved_digest,
            saved_form: std::cell::OnceCell::new(),
        })
    }
}

/// The saved state whose SHA-256 is `digest` (the lock's pin), if the user cache has it
/// (read without following links, its bytes hashing to `digest`: RR8, RR13): a header with
/// `names` loaded from its pieces (every piece checked against the hash naming it; one
/// missing or bad: no saved state), or a whole state of the earlier form.
fn saved_state(c: &Cache, digest: &[u8; 32], names: &[&str]) -> Option<SavedState> {
    let (bytes, root) = c.saved_state(digest, MAX_REGISTRY_STATE_BYTES as u64)?;
    let state = match RegistryState::from_header(&bytes) {
        Ok(mut state) => {
            let missing = state
                .load_names(names.iter().copied(), &CachePieces(Some(c)))
                .ok()?;
            if !missing.is_empty() {
                return None;
            }
            state
        }
        Err(_) => RegistryState::parse(&bytes).ok()?,
    };
    let root = parse_hex32(std::str::from_utf8(&root).ok()?, "saved root").ok()?;
    Some(SavedState { state, root })
}

/// The reader with what it fetches from: the loop of `needs` and `provide`.
struct Host<'a> {
    reader: &'a mut Reader,
    source: &'a Source,
    cache: Option<&'a Cache>,
}

/// A path the reader needs: as given, as a registry path, and its byte cap.
struct Want {
    path: String,
    rel: RelPath,
    cap: u64,
}

impl Host<'_> {
    /// [`Host::drive`], with the evidence file written when the reader found the log
    /// inconsistent.
    fn run(mut self) -> Result<(), Failure> {
        self.drive().map_err(|e| self.evidence(e))
    }

    /// Fetches and provides what the reader needs until it needs nothing: each round's paths
    /// in parallel, each capped as the reader says ([`Host::fetch_groups`]); objects from the
    /// user cache first; a tile or bundle the source does not serve from the user cache, else
    /// reported missing.
    fn drive(&mut self) -> Result<(), Failure> {
        loop {
            let needs = self.reader.needs();
            if needs.is_empty() {
                return Ok(());
            }
            let mut wants: Vec<Want> = Vec::with_capacity(needs.len());
            for path in needs {
                let cap = self.reader.max_bytes(&path).unwrap_or(0);
                if let Some(hex) = path.strip_prefix(STATE_PIECE_PREFIX) {
                    // A piece of the saved state: from the user cache only, never fetched.
                    let bytes = parse_hex32(hex, "state piece")
                        .ok()
                        .and_then(|h| CachePieces(self.cache).piece(&h));
                    self.provide(&path, bytes)?;
                    continue;
                }
                let rel = RelPath::new(&path)?;
                if path.starts_with("objects/") {
                    if let Some(b) = self.cache.and_then(|c| c.get(&rel, cap)) {
                        self.provide(&path, Some(b))?;
                        continue;
                    }
                }
                wants.push(Want { path, rel, cap });
            }
            let mut caps: Vec<u64> = wants.iter().map(|w| w.cap).collect();
            caps.sort_unstable();
            caps.dedup();
            let groups: Vec<Vec<&Want>> = caps
                .iter()
                .map(|cap| wants.iter().filter(|w| w.cap == *cap).collect())
                .collect();
            for (group, results) in groups.iter().zip(self.fetch_groups(&groups)) {
                for (w, result) in group.iter().zip(results) {
                    match result {
                        Ok(bytes) => self.provide(&w.path, Some(bytes))?,
                        Err(e) if e.code() == ErrorCode::NotFound => {
                            let cached = if w.path.starts_with("tile/") {
                                self.cache.and_then(|c| c.get(&w.rel, w.cap))
                            } else {
                                None
                            };
                            match cached {
                                Some(bytes) => {
                                    let r = self.reader.provide_cached(&w.path, bytes);
                                    self.forget_refused();
                                    r?;
                                }
                                None => self.provide(&w.path, None)?,
                            }
                        }
                        Err(e) => {
                            // The registry stays verified; only this release is dropped.
                            self.reader.abandon_release();
                            return Err(e.into());
                        }
                    }
                }
            }
        }
    }

    /// Fetches every group (paths of one byte cap each: a release's round has the index
    /// note, tiles and bundle, the manifest and the tarball) at once, the
    /// `DEFAULT_PARALLEL_FETCHES` shared among the groups; the results in the groups' order.
    fn fetch_groups(&self, groups: &[Vec<&Want>]) -> Vec<Vec<omega_core::Result<Vec<u8>>>> {
        let fetch = |g: &[&Want], parallel: usize| {
            let rels: Vec<RelPath> = g.iter().map(|w| w.rel.clone()).collect();
            let cap = g.first().map_or(0, |w| w.cap);
            self.source
                .fetch_all_with(&rels, cap, parallel, &Progress::hidden())
        };
        if let [one] = groups {
            return vec![fetch(one, DEFAULT_PARALLEL_FETCHES)];
        }
        let parallel = (DEFAULT_PARALLEL_FETCHES / groups.len().max(1)).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> = groups
                .iter()
                .map(|g| (g.len(), s.spawn(move || fetch(g, parallel))))
                .collect();
            handles
                .into_iter()
                .map(|(n, h)| {
                    h.join().unwrap_or_else(|_| {
                        (0..n)
                            .map(|_| Err(Error::new(ErrorCode::Io, "a fetch thread panicked")))
                            .collect()
                    })
                })
                .collect()
        })
    }

    fn provide(&mut self, path: &str, bytes: Option<Vec<u8>>) -> Result<(), Failure> {
        let r = self.reader.provide(path, bytes);
        self.forget_refused();
        Ok(r?)
    }

    /// Removes the cached files the reader refused from the user cache (RR13).
    fn forget_refused(&mut self) {
        for p in self.reader.take_refused() {
            if let (Some(c), Ok(rel)) = (self.cache, RelPath::new(&p)) {
                if c.forget(&rel).is_ok() {
                    esay!("omega: warning: {}: a cached file failed verification; removed from the user cache", c.path().join(rel.as_str()).display());
                }
            }
        }
    }

    /// `e`, with the evidence file written when the reader found the log inconsistent.
    fn evidence(&self, e: Failure) -> Failure {
        let (Failure::Core(err), Some(text)) = (&e, self.reader.evidence()) else {
            return e;
        };
        if err.code() != ErrorCode::LogInconsistent {
            return e;
        }
        let dir = evidence_dir(self.cache);
        let size = self.reader.verified().map_or(0, |v| v.checkpoint.size);
        let tag = to_hex(&blake2b256(text.as_bytes()));
        let name = format!("inconsistency-{size}-{}.txt", tag.get(..16).unwrap_or(""));
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
}

impl Session {
    /// What is trusted (the lock's pin or the first use's policy).
    pub fn trust(&self) -> &Trust {
        self.reader.trust()
    }

    /// The state replayed up to [`Session::latest`] (never less than a checkpoint proven
    /// before: RR7).
    pub fn state(&self) -> Result<&RegistryState, Error> {
        self.reader
            .state()
            .ok_or_else(|| Error::new(ErrorCode::Malformed, "registry: not verified"))
    }

    /// The release `request` and `options` pick, from the state, without reading it.
    pub fn select(
        &mut self,
        request: &ReleaseRequest,
        options: &ReleaseOptions,
    ) -> Result<(String, ReleaseRecord), Error> {
        self.load_names(&[request.name.as_str()])?;
        self.reader.select(request, options)
    }

    /// Loads `names` from the saved state's pieces in the user cache, when the state was
    /// resumed from a saved header (nothing to do otherwise), so that [`Session::state`]
    /// answers for them (`RegistryState::try_name`).
    ///
    /// A piece the resumed header reaches but the cache lacks (deleted, or collected in a race
    /// with another omega: threat model ST10) fails this command; the header is then dropped
    /// from the cache, so that the next run replays the log from entry 0 instead of failing
    /// the same way every time.
    pub fn load_names(&mut self, names: &[&str]) -> Result<(), Error> {
        let loaded = self
            .reader
            .load_names(names, &CachePieces(self.cache.as_ref()));
        loaded.map_err(|e| {
            if e.code() == ErrorCode::NotFound && self.reader.resumed_from().is_some() {
                if let (Some(c), Some(d)) = (&self.cache, &self.saved_digest) {
                    if c.forget_state(d).is_ok() {
                        return e.context("the saved registry state in the user cache (it lacks a piece and is dropped: the next run replays the log from entry 0)");
                    }
                }
            }
            e.context("the saved registry state in the user cache (remove its state/ folder to replay the log from entry 0)")
        })
    }

    /// Reads and verifies a release (R6 steps 3–5, core's order): the index note when
    /// `options` say so, the entry's inclusion in [`Session::latest`], the objects, the
    /// package check, the notices and the owners. Its objects are kept in the user cache.
    pub fn read(
        &mut self,
        request: ReleaseRequest,
        options: ReleaseOptions,
    ) -> Result<ReaderRelease, Failure> {
        let name = request.name.clone();
        self.load_names(&[name.as_str()])?;
        self.reader.want_release_with(request, options)?;
        Host {
            reader: &mut self.reader,
            source: &self.source,
            cache: self.cache.as_ref(),
        }
        .run()?;
        let Some(r) = self.reader.take_release() else {
            return Err(Failure::Core(Error::new(
                ErrorCode::Malformed,
                format!("{}: the reader gave no release", shown(&name)),
            )));
        };
        if let Some(c) = &self.cache {
            let st = &r.release.statement;
            let _ = c.put_verified(
                &RelPath::object(&to_hex(&st.manifest))?,
                &r.release.manifest_bytes,
            );
            let _ = c.put_verified(&RelPath::object(&to_hex(&st.tgz))?, &r.release.tgz);
        }
        Ok(r)
    }

    /// After a successful command: the user cache's latest checkpoint (never backwards), the
    /// verified tiles, and the replayed state with its root.
    pub fn remember(&self) {
        let Some(c) = &self.cache else { return };
        let latest = self.latest.clone();
        let trust = self.trust();
        let _ = c.update_latest_checkpoint(|cur| {
            let keep = match cur.map(|b| trust.verify_cached(b)) {
                Some(Ok(h)) if h.checkpoint.size >= latest.checkpoint.size => None,
                _ => Some(latest.note.clone().into_bytes()),
            };
            Ok(keep)
        });
        for (p, b) in self.reader.verified_tiles() {
            let Ok(tile) = TilePath::parse(p) else {
                continue;
            };
            if tile.level().is_some() && b.len() > FULL_TILE_BYTES {
                continue;
            }
            if let Ok(rel) = RelPath::new(p) {
                let _ = c.put_verified(&rel, b);
            }
        }
        // The state covers `latest` (RR7): its root is `latest`'s. Nothing is written when
        // the state is the one resumed, unchanged; else only the pieces that changed.
        if let (Some((_, root)), Some(form)) = (self.reader.state_to_save(), self.saved_form()) {
            let unchanged =
                self.reader.resumed_from().is_some() && self.saved_digest == Some(form.digest());
            if !unchanged {
                let (digest, head) = match form {
                    SavedForm::Whole { digest, bytes } => (digest, Some(bytes)),
                    SavedForm::Pieces(p) => {
                        let mut stored = true;
                        for (h, b) in &p.pieces {
                            stored &= c.put_state_piece(h, b).is_ok();
                        }
                        // The header last, and only over complete pieces.
                        (&p.digest, stored.then_some(&p.header))
                    }
                };
                if let Some(head) = head {
                    let _ = c.put_state(digest, head, &to_hex(&root), self.saved_digest.as_ref());
                }
            }
        }
        for old in OLD_STATE_FILES {
            let _ = std::fs::remove_file(c.path().join(old));
        }
    }

    /// The SHA-256 of the state as [`Session::remember`] saves it: the lock's pin records it
    /// (RR8).
    pub fn state_digest(&self) -> Result<[u8; 32], Error> {
        self.state()?;
        self.saved_form()
            .map(SavedForm::digest)
            .ok_or_else(|| Error::new(ErrorCode::Malformed, "registry state: cannot be saved"))
    }

    /// The state as it is saved, made once: whole when it is small and whole (not resumed
    /// from pieces), else as pieces ([`RegistryState::to_pieces`]).
    fn saved_form(&self) -> Option<&SavedForm> {
        self.saved_form
            .get_or_init(|| {
                let state = self.reader.state()?;
                if !state.is_partial() && state.size <= whole_state_max_entries() {
                    let bytes = state.to_json_bytes();
                    let digest = client::state_digest(&bytes);
                    return Some(SavedForm::Whole { digest, bytes });
                }
                state.to_pieces().ok().map(SavedForm::Pieces)
            })
            .as_ref()
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
