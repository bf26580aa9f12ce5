//! [`Cache`]: the user cache of one log, `$XDG_CACHE_HOME/omega/<origin>@<key>/` (default
//! `~/.cache/omega/…`), with the origin escaped into one safe folder name
//! ([`origin_dir_name`]) and `<key>` 16 hex digits of the log key's hash ([`log_dir_name`],
//! RR22; [`Cache::open_in`] keeps the folder by origin alone, for tests and tools). It holds:
//!
//! ```text
//! tile/…, objects/…        immutable files, stored only after the caller verified them
//! checkpoint               the latest verified checkpoint of the log (REGISTRY R6 step 2)
//! etag/<source>/<path>     "<ETag> LF <bytes>" of `checkpoint` and `index/<name>` per source
//! state/<sha256>.json      saved registry states, named by their SHA-256 (which the lock's
//!                          registry pin records: only the state the lock names is used)
//! state/<sha256>.root      the log's root at that state's size (hex)
//! state/p/<hh>/<sha256>    pieces of per-name saved states (buckets, name records), by their
//!                          SHA-256, which the header (state/<sha256>.json) names
//! state/collected          when pieces were last collected ([`Cache::collect_pieces`])
//! .lock                    flock held while the latest checkpoint is compared and replaced
//! ```
//!
//! Every write is a temporary file, flushed, then renamed ([`RootDir::write_atomic`]), so a
//! crash leaves the old file or the new one, never half of one. **Nothing read back is
//! trusted**: a cache file may have been corrupted or planted by anything that can write the
//! user's home. Callers verify what [`Cache::get`] returns exactly as if it had been fetched
//! (tile hashes against the tree, entries against tiles, checkpoints against the policy) and
//! call [`Cache::forget`] on a failure; `objects/<hh>/<hex>` are checked here too (their
//! BLAKE2b-256 must be their name) and dropped when wrong. An unreadable, oversize or linked
//! cache file is a miss, never an error.

use std::path::{Path, PathBuf};
use std::time::Duration;

use omega_core::hash::{blake2b256, to_hex};
use omega_core::limits::MAX_NOTE_BYTES;
use omega_core::{Error, ErrorCode, Result};

use super::http::{Conditional, MAX_ETAG_BYTES};
use super::path::RelPath;
use super::root::RootDir;
use super::source::Source;

/// Longest origin folder name; longer escaped origins are shortened and given a hash.
pub const MAX_ORIGIN_DIR_BYTES: usize = 200;
/// How long [`Cache::update_latest_checkpoint`] waits for another omega to finish.
pub const CACHE_LOCK_TIMEOUT: Duration = Duration::from_secs(30);
/// The lock file in an origin's folder.
pub const CACHE_LOCK_FILE: &str = ".lock";

/// The folder holding every origin's cache: `$XDG_CACHE_HOME/omega` when that is an absolute
/// path (the XDG rule: a relative one is ignored), else `$HOME/.cache/omega`; `IO` when
/// neither is set.
pub fn cache_base() -> Result<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME") {
        let p = PathBuf::from(x);
        if p.is_absolute() {
            return Ok(p.join("omega"));
        }
    }
    match std::env::var_os("HOME") {
        Some(h) if !h.is_empty() => Ok(PathBuf::from(h).join(".cache").join("omega")),
        _ => Err(Error::new(
            ErrorCode::Io,
            "no cache folder: set XDG_CACHE_HOME or HOME",
        )),
    }
}

/// A log origin as one folder name, injectively: lowercase letters, digits and `-` are kept,
/// `.` too except first; every other byte becomes `_` and two lowercase hex digits (so
/// `example.com/omega` → `example.com_2fomega`, and no two origins share a folder even on a
/// case-insensitive filesystem). The empty origin is `_`. A name over
/// [`MAX_ORIGIN_DIR_BYTES`] keeps its first 150 bytes, then `~` and 32 hex digits of the
/// origin's BLAKE2b-256 (`~` never appears otherwise).
pub fn origin_dir_name(origin: &str) -> String {
    let mut out = String::with_capacity(origin.len());
    for (i, b) in origin.bytes().enumerate() {
        if b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || (b == b'.' && i > 0) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("_{b:02x}"));
        }
    }
    if out.is_empty() {
        return "_".to_string();
    }
    if out.len() > MAX_ORIGIN_DIR_BYTES {
        let digest = to_hex(&blake2b256(origin.as_bytes()));
        let keep: String = out.chars().take(150).collect();
        return format!("{keep}~{}", digest.get(..32).unwrap_or(&digest));
    }
    out
}

/// Most saved registry states kept per origin (the newest by modification time).
pub const MAX_SAVED_STATES: usize = 8;

/// A piece younger than this is never collected: another omega may have written it for a
/// header it has not written yet (pieces first, the header last).
pub const PIECE_GRACE: Duration = Duration::from_secs(60 * 60);

/// Pieces are collected at most this often (it reads the buckets of every kept header, and
/// lists every piece: ~100,000 at 1,000,000 log entries), and only when saving a state has
/// just pruned an older header.
pub const COLLECT_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// Refuses a cache folder that is a link, is owned by another user, or is writable by its
/// group or by everyone (`KEY_NOT_TRUSTED`, naming the folder, its owner and mode). Checked
/// on the open folder handle (`O_NOFOLLOW|O_DIRECTORY`, then `fstat`: RR24), so the folder
/// checked is the folder used.
pub fn check_private(dir: &Path) -> Result<()> {
    open_private(None, dir).map(|_| ())
}

/// Opens `dir` (relative to `base` when given: its last component only) without following a
/// link, and checks the handle with `fstat` (see [`check_private`]).
fn open_private(base: Option<&std::os::fd::OwnedFd>, dir: &Path) -> Result<std::os::fd::OwnedFd> {
    use rustix::fs::{FileType, Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let opened = match base {
        Some(b) => {
            let name = dir.file_name().unwrap_or_default();
            rustix::fs::openat(b, name, flags, Mode::empty())
        }
        None => rustix::fs::open(dir, flags, Mode::empty()),
    };
    let fd = opened.map_err(|e| match e {
        rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR => Error::new(
            ErrorCode::KeyNotTrusted,
            format!("{}: not a folder (a link?)", dir.display()),
        ),
        e => Error::new(
            ErrorCode::Io,
            format!("{}: {}", dir.display(), std::io::Error::from(e)),
        ),
    })?;
    let st = rustix::fs::fstat(&fd).map_err(|e| {
        Error::new(
            ErrorCode::Io,
            format!("{}: {}", dir.display(), std::io::Error::from(e)),
        )
    })?;
    let me = rustix::process::geteuid().as_raw();
    if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
        return Err(Error::new(
            ErrorCode::KeyNotTrusted,
            format!("{}: not a folder (a link?)", dir.display()),
        ));
    }
    if st.st_uid != me {
        return Err(Error::new(
            ErrorCode::KeyNotTrusted,
            format!(
                "{}: owned by uid {}, not by this user (uid {me})",
                dir.display(),
                st.st_uid
            ),
        ));
    }
    let mode = st.st_mode;
    if mode & 0o022 != 0 {
        return Err(Error::new(
            ErrorCode::KeyNotTrusted,
            format!(
                "{}: writable by its group or by everyone (mode {:o}; chmod go-w)",
                dir.display(),
                mode & 0o7777
            ),
        ));
    }
    Ok(fd)
}

/// The cache folder name of a log: its origin ([`origin_dir_name`]), `@`, and 16 hex digits
/// of the BLAKE2b-256 of its log key (the vkey text). Two logs claiming the same origin with
/// different keys (a look-alike registry) never share a folder, so neither can overwrite the
/// other's checkpoint, the rollback floor (RR22). `@` never appears in [`origin_dir_name`].
pub fn log_dir_name(origin: &str, log_key: &str) -> String {
    let digest = to_hex(&blake2b256(log_key.as_bytes()));
    format!(
        "{}@{}",
        origin_dir_name(origin),
        digest.get(..16).unwrap_or(&digest)
    )
}

fn state_rel(digest: &[u8; 32], ext: &str) -> Result<RelPath> {
    RelPath::new(&format!("state/{}.{ext}", to_hex(digest)))
}

fn piece_rel(hash: &[u8; 32]) -> Result<RelPath> {
    let hex = to_hex(hash);
    RelPath::new(&format!("state/p/{}/{hex}", hex.get(..2).unwrap_or("00")))
}

/// A mutable file and the ETag it was served with, as kept by [`Cache::put_etag`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtagEntry {
    /// The ETag, verbatim.
    pub etag: String,
    /// The bytes it belongs to (unverified at rest: verify again before use).
    pub bytes: Vec<u8>,
}

/// A mutable file fetched by [`fetch_mutable`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mutable {
    /// The bytes: new ones, or on 304 the cached ones the ETag belongs to.
    pub bytes: Vec<u8>,
    /// Their ETag, when the server gave one.
    pub etag: Option<String>,
    /// Whether the server answered 304 (the bytes come from the cache).
    pub not_modified: bool,
}

/// The cache of one log origin; see the module documentation.
#[derive(Debug)]
pub struct Cache {
    root: RootDir,
}

impl Cache {
    /// The cache of `origin` in [`cache_base`], created when absent.
    pub fn open(origin: &str) -> Result<Cache> {
        Cache::open_in(&cache_base()?, origin)
    }

    /// The cache of the log `origin` signed by `log_key` in [`cache_base`]: the folder
    /// [`log_dir_name`] (RR22), created when absent. Folders of the older layout (by origin
    /// alone) are not read.
    pub fn open_log(origin: &str, log_key: &str) -> Result<Cache> {
        Cache::open_dir(&cache_base()?, &log_dir_name(origin, log_key))
    }

    /// The cache of `origin` below `base` (the folder holding every origin), created when
    /// absent (mode 0700). `KEY_NOT_TRUSTED` when `base` or the origin's folder is owned by
    /// another user or writable by its group or by everyone (threat model RR8: another account
    /// could plant states, tiles and checkpoints there); callers then go without a cache.
    pub fn open_in(base: &Path, origin: &str) -> Result<Cache> {
        Cache::open_dir(base, &origin_dir_name(origin))
    }

    fn open_dir(base: &Path, name: &str) -> Result<Cache> {
        let dir = base.join(name);
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(base)
                .map_err(|e| Error::new(ErrorCode::Io, format!("{}: {e}", base.display())))?;
        }
        // The base, then the origin's folder through the base's handle (created there): no
        // link followed, owner and mode read from the handles that are used (RR24).
        let base_fd = open_private(None, base)?;
        match rustix::fs::mkdirat(&base_fd, name, rustix::fs::Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => {
                return Err(Error::new(
                    ErrorCode::Io,
                    format!("{}: {}", dir.display(), std::io::Error::from(e)),
                ))
            }
        }
        let fd = open_private(Some(&base_fd), &dir)?;
        Ok(Cache {
            root: RootDir::from_fd(&dir, fd),
        })
    }

    /// The origin's cache folder.
    pub fn path(&self) -> &Path {
        self.root.path()
    }

    /// The cached immutable file `rel` of at most `cap` bytes, or `None` (absent, unreadable,
    /// over the cap, a link, or an object whose BLAKE2b-256 is not its name — that one is also
    /// removed). The bytes must be verified before use (module documentation).
    pub fn get(&self, rel: &RelPath, cap: u64) -> Option<Vec<u8>> {
        let bytes = self.root.read(rel, cap).ok().flatten()?;
        if let Some(hex) = rel.as_str().strip_prefix("objects/") {
            let name = hex.rsplit('/').next().unwrap_or("");
            if to_hex(&blake2b256(&bytes)) != name {
                let _ = self.root.remove(rel);
                return None;
            }
        }
        Some(bytes)
    }

    /// Stores `bytes` at `rel` after the caller verified them. Only the immutable paths of R3
    /// (`tile/…`, `objects/…`) are cached this way (`MALFORMED` otherwise); the write is atomic
    /// and replaces a file already there (that one was unverified at rest; these bytes are not).
    pub fn put_verified(&self, rel: &RelPath, bytes: &[u8]) -> Result<()> {
        if !rel.is_immutable() {
            return Err(Error::new(
                ErrorCode::Malformed,
                format!("{rel}: only tile/… and objects/… are cached as immutable files"),
            ));
        }
        // Content-addressed and verified again on every read: no fsync (a crash can only
        // lose it; issue 14's benchmark measured the flushes at ~29% of a cold install).
        self.root.write_atomic_unsynced(rel, bytes)
    }

    /// The saved registry state whose bytes hash (SHA-256) to `digest`, with the root hash
    /// text kept next to it: `(state bytes, root text)`, or `None` when absent, a link,
    /// oversize, or not hashing to `digest` (that one is removed). Read without following
    /// links (threat model RR13).
    pub fn saved_state(&self, digest: &[u8; 32], cap: u64) -> Option<(Vec<u8>, Vec<u8>)> {
        let rel = state_rel(digest, "json").ok()?;
        let bytes = self.root.read(&rel, cap).ok().flatten()?;
        if &omega_core::client::state_digest(&bytes) != digest {
            let _ = self.root.remove(&rel);
            return None;
        }
        let root = self
            .root
            .read(&state_rel(digest, "root").ok()?, 64)
            .ok()
            .flatten()?;
        Some((bytes, root))
    }

    /// Keeps a registry state (`state/<sha256>.json`, its root text in `state/<sha256>.root`),
    /// then removes all but the [`MAX_SAVED_STATES`] newest, never this one nor `keep` (the
    /// state a lock names).
    pub fn put_state(
        &self,
        digest: &[u8; 32],
        bytes: &[u8],
        root_hex: &str,
        keep: Option<&[u8; 32]>,
    ) -> Result<()> {
        self.root
            .write_atomic(&state_rel(digest, "root")?, root_hex.as_bytes())?;
        self.root.write_atomic(&state_rel(digest, "json")?, bytes)?;
        let Some(mut all) = self.saved_states() else {
            return Ok(());
        };
        all.sort();
        all.reverse();
        let mine = to_hex(digest);
        let kept = keep.map(|k| to_hex(k));
        let mut pruned = false;
        for (_, hex) in all.iter().skip(MAX_SAVED_STATES) {
            if *hex == mine || Some(hex) == kept.as_ref() {
                continue;
            }
            for ext in ["json", "root"] {
                if let Ok(rel) = RelPath::new(&format!("state/{hex}.{ext}")) {
                    let _ = self.root.remove(&rel);
                }
            }
            pruned = true;
        }
        if pruned {
            // Garbage only appears when a header goes; a failed collection leaves it for the
            // next one (the command's own work is done).
            let _ = self.collect_pieces(std::time::SystemTime::now());
        }
        Ok(())
    }

    /// Every saved state in `state/` (`<name>.json`): its modification time and name, as
    /// listed (unread, unchecked; a name need not be hex). `None` when `state/` cannot be
    /// listed — not the same as no state: nothing may then be pruned or collected.
    fn saved_states(&self) -> Option<Vec<(std::time::SystemTime, String)>> {
        let rd = std::fs::read_dir(self.root.path().join("state")).ok()?;
        let all = rd.filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().into_string().ok()?;
            let hex = name.strip_suffix(".json")?.to_string();
            let t = e.metadata().ok()?.modified().ok()?;
            Some((t, hex))
        });
        Some(all.collect())
    }

    /// Removes the pieces (`state/p/…`) that no saved state left in `state/` reaches, older
    /// than [`PIECE_GRACE`] — at most once per [`COLLECT_EVERY`] (`state/collected` records
    /// when; `Ok(None)` when it is too soon). Returns how many files were removed.
    ///
    /// Marks first: each header (`state/<sha256>.json` that hashes to its name and is a
    /// header, not a whole state) and the records its buckets list
    /// ([`omega_core::state_store::reachable_pieces`]). A header or bucket that does not
    /// parse stops the collection before anything is removed. A piece that vanishes or fails
    /// its hash meanwhile is only a replay from entry 0 for a state that needed it, never a
    /// wrong verdict: every piece is checked against its hash when used (ST2, ST3). Only
    /// files named like pieces are removed.
    pub fn collect_pieces(&self, now: std::time::SystemTime) -> Result<Option<usize>> {
        use omega_core::limits::MAX_STATE_PIECE_BYTES;
        use omega_core::state_store::{reachable_pieces, FnSource};
        let stamp = RelPath::new("state/collected")?;
        let state_dir = self.root.path().join("state");
        let age = |m: &std::fs::Metadata| {
            m.modified()
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .unwrap_or(Duration::ZERO)
        };
        if let Ok(m) = std::fs::symlink_metadata(state_dir.join("collected")) {
            // Within a day of `now` either way. A stamp dated further ahead (a clock set back,
            // a cache restored from a machine whose clock was ahead) is due: taken as "just
            // now", it stopped every collection until that date (ST8). A piece dated ahead
            // still counts as young (kept).
            let apart = m.modified().ok().map(|t| match now.duration_since(t) {
                Ok(d) => d,
                Err(e) => e.duration(),
            });
            if apart.is_some_and(|d| d < COLLECT_EVERY) {
                return Ok(None);
            }
        }
        let cap = MAX_STATE_PIECE_BYTES as u64;
        let source = FnSource(|h: &[u8; 32]| self.state_piece(h, cap));
        let mut reached = std::collections::BTreeSet::new();
        let Some(states) = self.saved_states() else {
            return Ok(Some(0));
        };
        for (_, hex) in states {
            let Ok(digest) = omega_core::hash::parse_hex32(&hex, "saved state") else {
                continue;
            };
            let bytes = match self.root.read(&state_rel(&digest, "json")?, cap) {
                Ok(Some(b)) => b,
                // Gone meanwhile, or larger than any header: a whole state, which has no pieces.
                Ok(None) => continue,
                Err(e) if e.code() == ErrorCode::TooLarge => continue,
                // A link, FIFO or folder by that name is never read as a state (RR13): it
                // reaches nothing. Stopping here let one planted link stop every collection.
                Err(e) if e.code() == ErrorCode::UnsupportedFileType => continue,
                Err(e) => return Err(e),
            };
            if omega_core::client::state_digest(&bytes) != digest
                || !bytes.starts_with(b"{\"omega-state-header\"")
            {
                continue; // not a header this cache wrote: it reaches nothing
            }
            reached.extend(reachable_pieces(&bytes, &source)?);
        }
        let mut removed = 0usize;
        let pieces = state_dir.join("p");
        for hh in std::fs::read_dir(&pieces).into_iter().flatten().flatten() {
            let Some(hh) = hh.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let Ok(files) = std::fs::read_dir(pieces.join(&hh)) else {
                continue;
            };
            for f in files.flatten() {
                let Some(name) = f.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                let Ok(meta) = f.metadata() else { continue };
                let Ok(hash) = omega_core::hash::parse_hex32(&name, "piece") else {
                    continue;
                };
                if reached.contains(&hash) || age(&meta) < PIECE_GRACE {
                    continue;
                }
                if let Ok(rel) = RelPath::new(&format!("state/p/{hh}/{name}")) {
                    if self.root.remove(&rel).is_ok() {
                        removed += 1;
                    }
                }
            }
        }
        self.root.write_atomic_unsynced(&stamp, b"")?;
        Ok(Some(removed))
    }

    /// Drops the saved state `digest` (`state/<sha256>.json` and `.root`): it reaches a piece
    /// the cache lacks, so the next run replays instead of resuming from it (ST10). Its pieces
    /// stay until a collection finds no kept header reaching them.
    pub fn forget_state(&self, digest: &[u8; 32]) -> Result<()> {
        self.root.remove(&state_rel(digest, "json")?)?;
        self.root.remove(&state_rel(digest, "root")?)
    }

    /// A piece of a per-name saved state (`state/p/<hh>/<sha256>`), or `None` when absent, a
    /// link, over `cap`, or not hashing to `hash` (that one is removed). Core checks it again.
    pub fn state_piece(&self, hash: &[u8; 32], cap: u64) -> Option<Vec<u8>> {
        let rel = piece_rel(hash).ok()?;
        let bytes = self.root.read(&rel, cap).ok().flatten()?;
        if omega_core::state_store::piece_hash(&bytes) != *hash {
            let _ = self.root.remove(&rel);
            return None;
        }
        Some(bytes)
    }

    /// Keeps a piece of a per-name saved state under its SHA-256. Content-addressed and
    /// checked on every read: no fsync (a crash can only lose it, and a lost piece means one
    /// replay from entry 0).
    pub fn put_state_piece(&self, hash: &[u8; 32], bytes: &[u8]) -> Result<()> {
        self.root.write_atomic_unsynced(&piece_rel(hash)?, bytes)
    }

    /// Drops the cached `rel` (it failed verification).
    pub fn forget(&self, rel: &RelPath) -> Result<()> {
        self.root.remove(rel)
    }

    /// The latest checkpoint this user verified for the log (at most `MAX_NOTE_BYTES`), or
    /// `None`. Verify it again before relying on it.
    pub fn latest_checkpoint(&self) -> Option<Vec<u8>> {
        self.root
            .read(&RelPath::checkpoint(), MAX_NOTE_BYTES as u64)
            .ok()
            .flatten()
    }

    /// Compares and replaces the latest checkpoint under the origin's lock, so two omega
    /// processes cannot move it backwards by racing: `decide` gets the current bytes (or `None`)
    /// and returns the bytes to store (a verified checkpoint at least as large, consistent with
    /// the current one) or `None` to keep it. Returns whether it was replaced.
    pub fn update_latest_checkpoint(
        &self,
        decide: impl FnOnce(Option<&[u8]>) -> Result<Option<Vec<u8>>>,
    ) -> Result<bool> {
        let _lock = self.root.lock(CACHE_LOCK_FILE, CACHE_LOCK_TIMEOUT, || {})?;
        let current = self.latest_checkpoint();
        match decide(current.as_deref())? {
            Some(new) if current.as_deref() != Some(new.as_slice()) => {
                if new.len() > MAX_NOTE_BYTES {
                    return Err(Error::new(
                        ErrorCode::TooLarge,
                        format!("checkpoint: larger than {MAX_NOTE_BYTES} bytes"),
                    ));
                }
                self.root.write_atomic(&RelPath::checkpoint(), &new)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn etag_path(&self, source: &Source, rel: &RelPath) -> Result<RelPath> {
        RelPath::new(&format!(
            "etag/{}/{}",
            origin_dir_name(&source.text()),
            rel.as_str()
        ))
    }

    /// The ETag and bytes last kept for `rel` of `source` (bytes at most `cap`), or `None`.
    pub fn etag(&self, source: &Source, rel: &RelPath, cap: u64) -> Option<EtagEntry> {
        let path = self.etag_path(source, rel).ok()?;
        let limit = cap.saturating_add(MAX_ETAG_BYTES as u64 + 1);
        let raw = self.root.read(&path, limit).ok().flatten()?;
        let nl = raw.iter().position(|&b| b == b'\n')?;
        let etag = std::str::from_utf8(raw.get(..nl)?).ok()?;
        let bytes = raw.get(nl + 1..)?;
        if etag.is_empty() || etag.len() > MAX_ETAG_BYTES || bytes.len() as u64 > cap {
            return None;
        }
        Some(EtagEntry {
            etag: etag.to_string(),
            bytes: bytes.to_vec(),
        })
    }

    /// Keeps `etag` with the exact `bytes` it was served with (after the caller verified them),
    /// so a later 304 gives those bytes back. `MALFORMED` for an ETag that is empty, longer
    /// than `MAX_ETAG_BYTES` or not printable ASCII.
    pub fn put_etag(&self, source: &Source, rel: &RelPath, etag: &str, bytes: &[u8]) -> Result<()> {
        if etag.is_empty()
            || etag.len() > MAX_ETAG_BYTES
            || !etag.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        {
            return Err(Error::new(
                ErrorCode::Malformed,
                format!("{rel}: ETag {etag:?} is not kept (empty, too long or not printable)"),
            ));
        }
        let mut raw = Vec::with_capacity(etag.len() + 1 + bytes.len());
        raw.extend_from_slice(etag.as_bytes());
        raw.push(b'\n');
        raw.extend_from_slice(bytes);
        self.root.write_atomic(&self.etag_path(source, rel)?, &raw)
    }
}

/// Fetches a mutable file (`checkpoint`, `index/<name>`) conditionally: with the ETag kept in
/// `cache` for this source and path, a 304 gives the kept bytes back (`not_modified`). The
/// caller verifies the bytes either way, then keeps the new ETag with [`Cache::put_etag`].
/// A 304 never moves the client backwards: the kept bytes were verified when kept, and the
/// checkpoint's freshness is judged from its cosignatures, not from the 304.
pub fn fetch_mutable(source: &Source, cache: &Cache, rel: &RelPath, cap: u64) -> Result<Mutable> {
    let kept = cache.etag(source, rel, cap);
    match source.get_conditional(rel, kept.as_ref().map(|k| k.etag.as_str()), cap)? {
        Conditional::Modified { bytes, etag } => Ok(Mutable {
            bytes,
            etag,
            not_modified: false,
        }),
        Conditional::NotModified => match kept {
            Some(k) => Ok(Mutable {
                bytes: k.bytes,
                etag: Some(k.etag),
                not_modified: true,
            }),
            None => Err(Error::new(
                ErrorCode::Io,
                format!(
                    "{}: HTTP 304 to a request without an ETag",
                    source.shown(rel)
                ),
            )),
        },
    }
}
