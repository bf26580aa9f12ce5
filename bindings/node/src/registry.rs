//! The registry reader for `lib/registry.js` (`Ω.registry`, issue 15): a class over
//! omega-core's sans-IO [`omega_core::driver::Reader`]. JavaScript fetches the paths the
//! reader needs and hands the bytes back; every check and the order of the steps are core's.
//! Methods return the envelope of [`crate::envelope`] (JSON text), bytes as `Buffer`s.
//! `provideAll` hands a whole round of fetched files to core on the libuv thread pool (the
//! checks that complete a phase — the replay, the tarball — never block the event loop).

use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi::{Env, Task};
use napi_derive::napi;
use omega_core::driver::{Reader, ReaderRelease, ReleaseRequest};
use omega_core::hash::parse_hex32;
use omega_core::keys::PublicKey;
use omega_core::report::KeyStyle;
use omega_core::{Error, ErrorCode};
use serde_json::{json, Value};

use crate::envelope::{envelope, Outcome};

/// A JavaScript number as a u64 (a non-negative safe integer), else `MALFORMED`.
fn num(v: f64, what: &str) -> Result<u64, Error> {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= MAX_SAFE {
        Ok(v as u64)
    } else {
        Err(Error::new(
            ErrorCode::Malformed,
            format!("{what}: {v} is not a non-negative safe integer"),
        ))
    }
}

/// The core reader, or the error that stopped its opening; shared with [`ProvideTask`].
type Shared = Arc<Mutex<Result<Reader, Error>>>;

/// One registry being read: the core reader, the clock it was opened with (for core's
/// re-open rule, `Reader::needs_reopen`) and the last release taken from it.
#[napi]
pub struct RegistryReader {
    reader: Shared,
    opened_at: Option<u64>,
    last: Option<ReaderRelease>,
}

/// Runs `f` on the reader (an error if its opening failed, or if a task panicked with it).
fn with<T>(shared: &Shared, f: impl FnOnce(&mut Reader) -> Result<T, Error>) -> Result<T, Error> {
    let mut guard = shared.lock().map_err(|_| {
        Error::new(
            ErrorCode::Io,
            "registry reader: poisoned by an earlier failure",
        )
    })?;
    match guard.as_mut() {
        Ok(r) => f(r),
        Err(e) => Err(e.clone()),
    }
}

/// A round of fetched files handed to core off the main thread.
pub struct ProvideTask {
    reader: Shared,
    items: Vec<(String, Option<Vec<u8>>)>,
}

impl Task for ProvideTask {
    type Output = String;
    type JsValue = String;
    fn compute(&mut self) -> napi::Result<String> {
        let items = std::mem::take(&mut self.items);
        Ok(envelope(with(&self.reader, |r| {
            for (path, bytes) in items {
                r.provide(&path, bytes)?;
            }
            Ok(needs(r))
        })))
    }
    fn resolve(&mut self, _env: Env, output: String) -> napi::Result<String> {
        Ok(output)
    }
}

fn open(
    url: &str,
    policy: &str,
    max_age: f64,
    held: Option<&str>,
    genesis: Option<&str>,
    now: Option<f64>,
) -> Result<Reader, Error> {
    let genesis = genesis.map(|g| parse_hex32(g, "genesis")).transpose()?;
    let now = now.map(|n| num(n, "now")).transpose()?;
    Reader::from_policy(
        url,
        policy,
        num(max_age, "maxAge")?,
        held.map(str::as_bytes),
        genesis,
        now,
    )
}

/// `{needs: [{path, maxBytes}], phase}`: what the host fetches next.
fn needs(r: &Reader) -> Value {
    let list: Vec<Value> = r
        .needs()
        .into_iter()
        .map(|p| json!({"maxBytes": r.max_bytes(&p), "path": p}))
        .collect();
    json!({"needs": list, "phase": format!("{:?}", r.phase())})
}

/// Core's `driver::REFRESH_SECONDS`: a host opens the registry again when its last open is
/// this old (`lib/registry.js` exports it as `REFRESH_SECONDS`).
#[napi]
pub fn registry_refresh_seconds() -> u32 {
    u32::try_from(omega_core::driver::REFRESH_SECONDS).unwrap_or(u32::MAX)
}

#[napi]
impl RegistryReader {
    /// Opens a reader (nothing fetched yet): `url` (for messages), the policy text, `maxAge`
    /// (seconds), the stored checkpoint note and genesis (hex) if any, `now` (Unix seconds;
    /// absent: offline). A bad argument or stored note makes every method give its error.
    #[napi(constructor)]
    pub fn new(
        url: String,
        policy: String,
        max_age: f64,
        held: Option<String>,
        genesis: Option<String>,
        now: Option<f64>,
    ) -> Self {
        RegistryReader {
            opened_at: now.and_then(|n| num(n, "now").ok()),
            reader: Arc::new(Mutex::new(open(
                &url,
                &policy,
                max_age,
                held.as_deref(),
                genesis.as_deref(),
                now,
            ))),
            last: None,
        }
    }

    /// `{needs, phase}` (see [`needs`]).
    #[napi]
    pub fn needs(&self) -> String {
        envelope(with(&self.reader, |r| Ok(needs(r))))
    }

    /// The bytes served at `path` (`null`: not served); then `{needs, phase}`.
    #[napi]
    pub fn provide(&self, path: String, bytes: Option<Buffer>) -> String {
        envelope(with(&self.reader, |r| {
            r.provide(&path, bytes.map(|b| b.to_vec()))?;
            Ok(needs(r))
        }))
    }

    /// [`Self::provide`] for a whole round (`paths[i]` served `bytes[i]`, `null`: not served),
    /// on the libuv thread pool; resolves to the envelope of `{needs, phase}`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn provide_all(
        &self,
        paths: Vec<String>,
        bytes: Vec<Option<Buffer>>,
    ) -> AsyncTask<ProvideTask> {
        let mut items: Vec<(String, Option<Vec<u8>>)> = Vec::with_capacity(paths.len());
        let mut bytes = bytes.into_iter();
        for p in paths {
            items.push((p, bytes.next().flatten().map(|b| b.to_vec())));
        }
        AsyncTask::new(ProvideTask {
            reader: Arc::clone(&self.reader),
            items,
        })
    }

    /// The clock for the next calls (Unix seconds; absent: offline): core refuses a release
    /// or notices (`STALE`) once the checkpoint is older than `maxAge` at it (RD10).
    #[napi]
    pub fn set_now(&self, now: Option<f64>) -> String {
        envelope((|| -> Outcome {
            let now = now.map(|n| num(n, "now")).transpose()?;
            with(&self.reader, |r| {
                r.set_now(now);
                Ok(Value::Null)
            })
        })())
    }

    /// Whether the host opens the registry again (a new reader) before a call at `now` (Unix
    /// seconds; absent: offline): core's `Reader::needs_reopen` with the clock this reader
    /// was opened with (its open failed or was cut short, [`REFRESH_SECONDS`] passed, or the
    /// clock went back). The envelope of a boolean.
    ///
    /// [`REFRESH_SECONDS`]: omega_core::driver::REFRESH_SECONDS
    #[napi]
    pub fn needs_reopen(&self, now: Option<f64>) -> String {
        envelope((|| -> Outcome {
            let now = now.map(|n| num(n, "now")).transpose()?;
            let opened_at = self.opened_at;
            // A reader whose opening failed (a bad argument) is re-opened: the host gets the
            // error again from the new one.
            let due = with(&self.reader, |r| Ok(r.needs_reopen(opened_at, now)));
            Ok(Value::Bool(due.unwrap_or(true)))
        })())
    }

    /// Whether a call that failed with error `code` (a DESIGN §4 code) opens the registry
    /// again and runs once more (core's `Reader::reopen_after`: `STALE` from a reader the
    /// call did not open, `openedNow` false).
    #[napi]
    pub fn reopen_after(&self, code: String, opened_now: bool) -> bool {
        match ErrorCode::from_code(&code) {
            Some(c) => with(&self.reader, |r| Ok(r.reopen_after(c, opened_now))).unwrap_or(false),
            None => false,
        }
    }

    /// Drops the release being read after a failed fetch (core's `abandon_release`, RD11).
    #[napi]
    pub fn abandon_release(&self) -> String {
        envelope(with(&self.reader, |r| {
            r.abandon_release();
            Ok(needs(r))
        }))
    }

    /// Starts reading `name` (`version`, else the latest unyanked; `ownerKeys`: the owner
    /// keys pinned from an earlier release's `owners.keys`, refused after an owner change);
    /// then `{needs, phase}`.
    #[napi]
    pub fn want_release(
        &mut self,
        name: String,
        version: Option<String>,
        accept_notices: Vec<String>,
        allow_yanked: bool,
        owner_keys: Option<Vec<String>>,
    ) -> String {
        envelope(with(&self.reader, |r| {
            let owner_keys = owner_keys
                .unwrap_or_default()
                .iter()
                .map(|k| PublicKey::from_base64(k))
                .collect::<Result<Vec<_>, _>>()?;
            r.want_release(ReleaseRequest {
                name,
                version,
                accept_notices,
                allow_yanked,
                owner_keys,
            })?;
            Ok(needs(r))
        }))
    }

    /// The release read (core's `ReaderRelease::to_json`), kept for [`Self::tarball`] and
    /// [`Self::manifest`]; `NOT_FOUND` when none was read.
    #[napi]
    pub fn take_release(&mut self) -> String {
        envelope((|| -> Outcome {
            let got = with(&self.reader, |r| {
                r.take_release().ok_or_else(|| {
                    Error::new(ErrorCode::NotFound, "registry reader: no release was read")
                })
            })?;
            // Core's JSON value through its `Serialize` (omega-core feature `serde`).
            let j = serde_json::to_value(got.to_json(KeyStyle::Camel)).unwrap_or_default();
            self.last = Some(got);
            Ok(j)
        })())
    }

    /// The last release's tarball bytes (verified).
    #[napi]
    pub fn tarball(&self) -> Option<Buffer> {
        self.last.as_ref().map(|r| r.release.tgz.clone().into())
    }

    /// The last release's manifest bytes (verified).
    #[napi]
    pub fn manifest(&self) -> Option<Buffer> {
        self.last
            .as_ref()
            .map(|r| r.release.manifest_bytes.clone().into())
    }

    /// The notices of `name` (those affecting `sequence` when given), core's notice JSON.
    #[napi]
    pub fn notices(&self, name: String, sequence: Option<f64>) -> String {
        envelope((|| -> Outcome {
            let seq = sequence.map(|s| num(s, "sequence")).transpose()?;
            let list = with(&self.reader, |r| r.notices(&name, seq))?;
            Ok(serde_json::to_value(omega_core::driver::notices_json(&list)).unwrap_or_default())
        })())
    }

    /// The verified checkpoint with `keep` (the note to store) and `genesis`, or null before
    /// the registry is verified.
    #[napi]
    pub fn checkpoint(&self) -> String {
        envelope(with(&self.reader, |r| {
            Ok(r.checkpoint_json(KeyStyle::Camel)
                .and_then(|v| serde_json::to_value(v).ok())
                .unwrap_or(Value::Null))
        }))
    }

    /// The evidence text of a `LOG_INCONSISTENT` verdict, if any.
    #[napi]
    pub fn evidence(&self) -> Option<String> {
        with(&self.reader, |r| Ok(r.evidence().map(str::to_string)))
            .ok()
            .flatten()
    }
}
