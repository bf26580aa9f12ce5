//! The registry client for Swift and Kotlin (REGISTRY.md R6, issue 15): the object
//! [`Registry`] reads and verifies releases of an Ωpm registry, and the foreign trait
//! [`RegistryFetcher`] is how the host (URLSession, OkHttp, …) fetches bytes.
//!
//! Thin by rule: the order of the steps and every check are omega-core's sans-IO reader
//! ([`omega_core::driver::Reader`]). This module runs its host loop (docs: DRIVER.md): ask
//! `needs()`, call the fetcher for each path (in parallel, with the byte limit of the path),
//! `provide()` the answers, until nothing is needed; and converts results into uniffi records.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use omega_core::driver::{Phase, Reader, ReleaseRequest};
use omega_core::hash::{parse_hex32, to_hex};
use omega_core::policy::{Freshness as CoreFreshness, VerifiedCheckpoint as CoreCheckpoint};
use omega_core::registry::NoticeRecord;
use omega_core::ErrorCode;
use uniffi::UnexpectedUniFFICallbackError;

use crate::log::{Freshness, VerifiedCheckpoint, WitnessCosignature};
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

/// A logged security notice.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Notice {
    /// Index of its log entry.
    pub entry: u64,
    /// The package name.
    pub name: String,
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
}

fn notice(n: &NoticeRecord) -> Notice {
    let s = &n.notice;
    Notice {
        entry: n.entry,
        name: s.name.clone(),
        id: s.id.clone(),
        severity: s.severity.as_str().to_string(),
        affected: s
            .affected
            .iter()
            .map(|r| SequenceRange {
                first: r.from,
                last: r.to,
            })
            .collect(),
        fixed: s.fixed,
        summary: s.summary.clone(),
        url: s.url.clone(),
    }
}

fn checkpoint_record(v: &CoreCheckpoint) -> VerifiedCheckpoint {
    VerifiedCheckpoint {
        origin: v.checkpoint.origin.clone(),
        size: v.checkpoint.size,
        root: to_hex(&v.checkpoint.root),
        extensions: v.checkpoint.extensions.clone(),
        witnesses: v
            .witnesses
            .iter()
            .map(|(name, time)| WitnessCosignature {
                name: name.clone(),
                time: *time,
            })
            .collect(),
        freshness: match v.freshness {
            CoreFreshness::Fresh { as_of } => Freshness::Fresh { as_of },
            CoreFreshness::NotWitnessed => Freshness::NotWitnessed,
            CoreFreshness::NotChecked => Freshness::NotChecked,
        },
        log_key: v.log_key.clone(),
        note: v.note_text.clone(),
    }
}

fn not_ready() -> OmegaError {
    omega_core::Error::new(ErrorCode::Malformed, "the registry is not verified").into()
}

/// An Ωpm registry, verified on construction: its checkpoint under the policy, the
/// consistency with the stored checkpoint (never backwards; `LogInconsistent` on a fork, with
/// the evidence in the detail) and the replay of the whole log from the stored genesis. Then
/// `release` reads and verifies releases; `checkpoint()` and `genesis()` are what to store
/// for next time. An error while opening is final (the constructor throws); an error while
/// reading a release refuses that release only. Safe to share between threads (one request
/// at a time).
#[derive(uniffi::Object)]
pub struct Registry {
    url: String,
    reader: Mutex<Reader>,
    fetcher: Arc<dyn RegistryFetcher>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, Reader> {
        self.reader
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn host(&self) -> Host<'_> {
        Host {
            url: &self.url,
            fetcher: self.fetcher.as_ref(),
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
        let limit = cap.saturating_add(1);
        let got = self.fetcher.get(format!("{}/{path}", self.url), limit)?;
        Ok(got.map(|mut b| {
            // The reader refuses anything over its cap: hand over no more than that.
            b.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            b
        }))
    }

    /// The host loop: fetch every needed path (in parallel), provide them, until nothing is
    /// needed.
    fn drive(&self, r: &mut Reader) -> Result<(), OmegaError> {
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
            let per = needs.len().div_ceil(PARALLEL).max(1);
            let results: Vec<Result<Option<Vec<u8>>, OmegaError>> = if needs.len() == 1 {
                needs.iter().map(|(p, c)| self.fetch(p, *c)).collect()
            } else {
                std::thread::scope(|s| {
                    let handles: Vec<_> = needs
                        .chunks(per)
                        .map(|chunk| {
                            s.spawn(move || {
                                chunk
                                    .iter()
                                    .map(|(p, c)| self.fetch(p, *c))
                                    .collect::<Vec<_>>()
                            })
                        })
                        .collect();
                    handles
                        .into_iter()
                        .flat_map(|h| {
                            h.join().unwrap_or_else(|_| {
                                vec![Err(omega_core::Error::new(
                                    ErrorCode::Io,
                                    "a registry fetch thread failed",
                                )
                                .into())]
                            })
                        })
                        .collect()
                })
            };
            if results.len() != needs.len() {
                return Err(
                    omega_core::Error::new(ErrorCode::Io, "a registry fetch failed").into(),
                );
            }
            for ((path, _), got) in needs.iter().zip(results) {
                r.provide(path, got?)?;
            }
        }
    }
}

/// After a fetch failed mid-release: reports the pending paths as not served until the
/// reader gives the release up (its refusal is not the error the caller sees).
fn abandon_release(r: &mut Reader) {
    while matches!(r.phase(), Phase::Index | Phase::Entry | Phase::Objects) {
        for p in r.needs() {
            if r.provide(&p, None).is_err() {
                break;
            }
        }
    }
}

#[uniffi::export]
impl Registry {
    /// Opens and verifies the registry at `url` (`https://…`; no trailing slash needed) under
    /// `policy` (a tlog-policy text obtained another way than plain http), fetching through
    /// `fetcher`. `checkpoint` and `genesis` (64 hex digits) are what an earlier `Registry`
    /// gave to store. Freshness is checked at `now` (Unix seconds; null: the clock) within
    /// `maxAge` seconds; `offline` skips it.
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
        let genesis = genesis.map(|g| parse_hex32(&g, "genesis")).transpose()?;
        let when = if offline {
            None
        } else {
            Some(now.unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0)
            }))
        };
        let url = url.trim_end_matches('/').to_string();
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
        if let Err(e) = host.drive(&mut reader) {
            return Err(match (e.error_code(), reader.evidence()) {
                (ErrorCode::LogInconsistent, Some(ev)) => omega_core::Error::new(
                    ErrorCode::LogInconsistent,
                    format!("{}\n\nevidence:\n{ev}", e.detail()),
                )
                .into(),
                _ => e,
            });
        }
        Ok(Arc::new(Registry {
            url,
            reader: Mutex::new(reader),
            fetcher,
        }))
    }

    /// Reads and verifies a release of `name` (`version`, default the latest unyanked one):
    /// index note, log entry, both objects by their hashes, the package check, then yanks
    /// and notices (a critical notice refuses the release unless its id is in
    /// `acceptNotices`; a yanked version is refused unless `allowYanked`).
    #[uniffi::method(default(version = None, accept_notices = [], allow_yanked = false))]
    pub fn release(
        &self,
        name: String,
        version: Option<String>,
        accept_notices: Vec<String>,
        allow_yanked: bool,
    ) -> Result<Release, OmegaError> {
        let mut r = self.lock();
        r.want_release(ReleaseRequest {
            name: name.clone(),
            version,
            accept_notices,
            allow_yanked,
        })?;
        if let Err(e) = self.host().drive(&mut r) {
            abandon_release(&mut r);
            return Err(e);
        }
        let (Some(got), Some(note)) = (r.take_release(), r.checkpoint_note()) else {
            return Err(omega_core::Error::new(
                ErrorCode::Malformed,
                format!("registry {}: {name}: no release was read", self.url),
            )
            .into());
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
            checkpoint: note.to_string(),
            yanked: adv.yanked.map(|y| Yank {
                entry: y.entry,
                reason: y.reason,
            }),
            notices: adv.notices.iter().map(notice).collect(),
            revoked_signers: adv
                .revoked_signers
                .iter()
                .map(|k| RevokedSigner {
                    key: k.key.to_base64(),
                    entry: k.entry,
                    reason: k.reason.clone(),
                })
                .collect(),
        })
    }

    /// The notices of `name` (all, or those whose ranges contain `sequence`), in id order;
    /// `NotInLog` when the log does not hold the name.
    #[uniffi::method(default(sequence = None))]
    pub fn notices(&self, name: String, sequence: Option<u64>) -> Result<Vec<Notice>, OmegaError> {
        Ok(self
            .lock()
            .notices(&name, sequence)?
            .iter()
            .map(notice)
            .collect())
    }

    /// The checkpoint note to store and give back next time (never backwards).
    pub fn checkpoint(&self) -> Result<String, OmegaError> {
        self.lock()
            .checkpoint_note()
            .map(str::to_string)
            .ok_or_else(not_ready)
    }

    /// The SHA-256 of entry 0 (hex), to store with the checkpoint.
    pub fn genesis(&self) -> Result<String, OmegaError> {
        self.lock()
            .genesis()
            .map(|g| to_hex(&g))
            .ok_or_else(not_ready)
    }

    /// The checkpoint fetched and verified (origin, size, root, witnesses with their times,
    /// freshness, log key, note).
    pub fn verified(&self) -> Result<VerifiedCheckpoint, OmegaError> {
        self.lock()
            .verified()
            .map(checkpoint_record)
            .ok_or_else(not_ready)
    }

    /// `"cosigned by w1 at T; fresh as of T"`, for people.
    pub fn witness_text(&self) -> Result<String, OmegaError> {
        self.lock().witness_text().ok_or_else(not_ready)
    }

    /// Bytes fetched and accepted so far.
    pub fn fetched_bytes(&self) -> u64 {
        self.lock().fetched_bytes()
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
