//! The registry reader (issue 15): `RegistryReader`, a class over omega-core's sans-IO
//! [`omega_core::driver::Reader`], for a JavaScript loop that fetches what it needs (the
//! browser's `fetch`, or Node's) — see `registry.js` next to the package, and Node's
//! `Ω.registry`. Every check and the order of the steps are core's; this file converts.
//! Errors are thrown as the binding's errors (`.code`: a DESIGN §4 code).

use omega_core::driver::{notices_json, Reader, ReaderRelease, ReleaseRequest, REFRESH_SECONDS};
use omega_core::hash::parse_hex32;
use omega_core::json::Value;
use omega_core::keys::PublicKey;
use omega_core::report::json_object;
use omega_core::report::KeyStyle;
use omega_core::{Error, ErrorCode};
use wasm_bindgen::prelude::*;

use crate::convert::{self, core};
use crate::errors::{json_to_js, type_error};

#[wasm_bindgen(typescript_custom_section)]
const TS_REGISTRY_TYPES: &str = r#"
/** What the reader needs next: served paths relative to the registry URL, with their byte caps. */
export interface OmegaReaderNeeds { needs: { path: string; maxBytes: number }[]; phase: string }
export interface OmegaNotice {
  id: string; severity: "low" | "medium" | "high" | "critical"; summary: string; entry: number;
  affected: { from: number; to: number }[]; fixed: number | null; url: string | null;
}
export interface OmegaRegistryCheckpoint extends OmegaCheckpoint {
  /** the checkpoint note to store (never older than the one given) */ keep: string;
  /** SHA-256 of entry 0, hex: store it with `keep` */ genesis: string;
  /** the tree releases are proven against (the stored one when a mirror is behind) */ proven: { size: number; root: string };
}
export interface OmegaReleaseInfo {
  name: string; version: string; sequence: number; entry: number; tree: string; size: number;
  manifestHash: string; tarballHash: string; report: OmegaReport;
  /** the current owners entry, its serial and active keys (pin them: `ownerKeys` next time) */
  owners: { entry: number; serial: number; keys: string[] };
  advisories: {
    yanked: { entry: number; reason: string } | null; notices: OmegaNotice[];
    revokedSigners: { key: string; entry: number; reason: string }[];
  };
}
"#;

const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

fn opt_num(v: Option<f64>, what: &str) -> Result<Option<u64>, Error> {
    match v {
        None => Ok(None),
        Some(f) if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= MAX_SAFE => {
            Ok(Some(f as u64))
        }
        Some(f) => Err(Error::new(
            ErrorCode::Malformed,
            format!("{what}: {f} is not a non-negative safe integer"),
        )),
    }
}

fn needs(r: &Reader) -> JsValue {
    let list: Vec<Value<'static>> = r
        .needs()
        .into_iter()
        .map(|p| {
            json_object(vec![
                ("maxBytes", Value::opt(r.max_bytes(&p), Value::U64)),
                ("path", Value::string(p)),
            ])
        })
        .collect();
    json_to_js(&json_object(vec![
        ("needs", Value::Array(list)),
        ("phase", Value::string(format!("{:?}", r.phase()))),
    ]))
}

/// One registry being read (see the module documentation): the core reader, the clock it was
/// opened with (for core's re-open rule) and the last release taken from it.
#[wasm_bindgen]
pub struct RegistryReader {
    reader: Result<Reader, Error>,
    opened_at: Option<u64>,
    last: Option<ReaderRelease>,
}

/// Core's `driver::REFRESH_SECONDS`: a host opens the registry again when its last open is
/// this old (registry.js exports the same number as `REFRESH_SECONDS`).
#[wasm_bindgen(js_name = refreshSeconds)]
pub fn refresh_seconds() -> f64 {
    REFRESH_SECONDS as f64
}

#[wasm_bindgen]
impl RegistryReader {
    /// A reader (nothing fetched yet): `url` (for messages), the policy text, `maxAge`
    /// (seconds), the stored checkpoint note and genesis (hex) if any, `now` (Unix seconds;
    /// null: offline). A bad argument or stored note makes every method throw its error.
    #[wasm_bindgen(constructor)]
    pub fn new(
        url: String,
        policy: String,
        max_age: f64,
        held: Option<String>,
        genesis: Option<String>,
        now: Option<f64>,
    ) -> RegistryReader {
        let opened_at = opt_num(now, "now").ok().flatten();
        let reader = (|| {
            let genesis = genesis
                .as_deref()
                .map(|g| parse_hex32(g, "genesis"))
                .transpose()?;
            let max_age = opt_num(Some(max_age), "maxAge")?.unwrap_or_default();
            Reader::from_policy(
                &url,
                &policy,
                max_age,
                held.as_deref().map(str::as_bytes),
                genesis,
                opt_num(now, "now")?,
            )
        })();
        RegistryReader {
            reader,
            opened_at,
            last: None,
        }
    }

    fn get(&mut self) -> Result<&mut Reader, JsValue> {
        self.reader.as_mut().map_err(|e| core(e.clone()))
    }

    /// `{needs: [{path, maxBytes}], phase}`.
    #[wasm_bindgen(unchecked_return_type = "OmegaReaderNeeds")]
    pub fn needs(&mut self) -> Result<JsValue, JsValue> {
        Ok(needs(self.get()?))
    }

    /// The bytes served at `path` (null/undefined: not served); then `{needs, phase}`.
    #[wasm_bindgen(unchecked_return_type = "OmegaReaderNeeds")]
    pub fn provide(
        &mut self,
        path: String,
        #[wasm_bindgen(unchecked_param_type = "OmegaBytes | null | undefined")] bytes: JsValue,
    ) -> Result<JsValue, JsValue> {
        let b = if bytes.is_null() || bytes.is_undefined() {
            None
        } else {
            Some(convert::bytes(&bytes, "bytes", false)?)
        };
        let r = self.get()?;
        r.provide(&path, b).map_err(core)?;
        Ok(needs(r))
    }

    /// The clock for the next calls (Unix seconds; null: offline): core refuses a release or
    /// notices (`STALE`) once the checkpoint is older than `maxAge` at it (RD10).
    #[wasm_bindgen(js_name = setNow)]
    pub fn set_now(&mut self, now: Option<f64>) -> Result<(), JsValue> {
        let now = opt_num(now, "now").map_err(core)?;
        self.get()?.set_now(now);
        Ok(())
    }

    /// Whether the host opens the registry again (a new reader) before a call at `now` (Unix
    /// seconds; null: offline): core's `Reader::needs_reopen` with the clock this reader was
    /// opened with (its open failed or was cut short, `REFRESH_SECONDS` passed, or the clock
    /// went back).
    #[wasm_bindgen(js_name = needsReopen)]
    pub fn needs_reopen(&self, now: Option<f64>) -> Result<bool, JsValue> {
        let now = opt_num(now, "now").map_err(core)?;
        Ok(match &self.reader {
            Ok(r) => r.needs_reopen(self.opened_at, now),
            Err(_) => true,
        })
    }

    /// Whether a call that failed with error `code` (a DESIGN §4 code) opens the registry
    /// again and runs once more (core's `Reader::reopen_after`: `STALE` from a reader the
    /// call did not open, `openedNow` false).
    #[wasm_bindgen(js_name = reopenAfter)]
    pub fn reopen_after(&self, code: String, opened_now: bool) -> bool {
        match (ErrorCode::from_code(&code), self.reader.as_ref()) {
            (Some(c), Ok(r)) => r.reopen_after(c, opened_now),
            _ => false,
        }
    }

    /// Drops the release being read after a failed fetch (core's `abandon_release`, RD11);
    /// then `{needs, phase}`.
    #[wasm_bindgen(js_name = abandonRelease, unchecked_return_type = "OmegaReaderNeeds")]
    pub fn abandon_release(&mut self) -> Result<JsValue, JsValue> {
        let r = self.get()?;
        r.abandon_release();
        Ok(needs(r))
    }

    /// Starts reading `name` (`version`, else the latest unyanked); then `{needs, phase}`.
    #[wasm_bindgen(js_name = wantRelease, unchecked_return_type = "OmegaReaderNeeds")]
    pub fn want_release(
        &mut self,
        name: String,
        version: Option<String>,
        #[wasm_bindgen(unchecked_param_type = "string[]")] accept_notices: JsValue,
        allow_yanked: bool,
        #[wasm_bindgen(js_name = ownerKeys, unchecked_param_type = "string[] | undefined")]
        owner_keys: JsValue,
    ) -> Result<JsValue, JsValue> {
        let owner_keys: Vec<PublicKey> = if owner_keys.is_undefined() || owner_keys.is_null() {
            Vec::new()
        } else if js_sys::Array::is_array(&owner_keys) {
            js_sys::Array::from(&owner_keys)
                .iter()
                .map(|s| {
                    let text = s
                        .as_string()
                        .ok_or_else(|| type_error("ownerKeys must be an array of strings"))?;
                    PublicKey::from_base64(&text).map_err(core)
                })
                .collect::<Result<_, _>>()?
        } else {
            return Err(type_error("ownerKeys must be an array of strings"));
        };
        let accept: Vec<String> = if accept_notices.is_undefined() || accept_notices.is_null() {
            Vec::new()
        } else if js_sys::Array::is_array(&accept_notices) {
            js_sys::Array::from(&accept_notices)
                .iter()
                .map(|s| {
                    s.as_string()
                        .ok_or_else(|| type_error("acceptNotices must be an array of strings"))
                })
                .collect::<Result<_, _>>()?
        } else {
            return Err(type_error("acceptNotices must be an array of strings"));
        };
        let r = self.get()?;
        r.want_release(ReleaseRequest {
            name,
            version,
            accept_notices: accept,
            allow_yanked,
            owner_keys,
        })
        .map_err(core)?;
        Ok(needs(r))
    }

    /// The release read (core's `ReaderRelease::to_json`), kept for `tarball()` and
    /// `manifest()`; `NOT_FOUND` when none was read.
    #[wasm_bindgen(js_name = takeRelease, unchecked_return_type = "OmegaReleaseInfo")]
    pub fn take_release(&mut self) -> Result<JsValue, JsValue> {
        let got = self.get()?.take_release().ok_or_else(|| {
            core(Error::new(
                ErrorCode::NotFound,
                "registry reader: no release was read",
            ))
        })?;
        let j = json_to_js(&got.to_json(KeyStyle::Camel));
        self.last = Some(got);
        Ok(j)
    }

    /// The last release's tarball bytes (verified).
    pub fn tarball(&self) -> Option<Vec<u8>> {
        self.last.as_ref().map(|r| r.release.tgz.clone())
    }

    /// The last release's manifest bytes (verified).
    pub fn manifest(&self) -> Option<Vec<u8>> {
        self.last.as_ref().map(|r| r.release.manifest_bytes.clone())
    }

    /// The notices of `name` (those affecting `sequence` when given).
    #[wasm_bindgen(unchecked_return_type = "OmegaNotice[]")]
    pub fn notices(&mut self, name: String, sequence: Option<f64>) -> Result<JsValue, JsValue> {
        let seq = opt_num(sequence, "sequence").map_err(core)?;
        let list = self.get()?.notices(&name, seq).map_err(core)?;
        Ok(json_to_js(&notices_json(&list)))
    }

    /// The verified checkpoint with `keep` (the note to store) and `genesis`, or null before
    /// the registry is verified.
    #[wasm_bindgen(unchecked_return_type = "OmegaRegistryCheckpoint | null")]
    pub fn checkpoint(&mut self) -> Result<JsValue, JsValue> {
        let r = self.get()?;
        Ok(json_to_js(
            &r.checkpoint_json(KeyStyle::Camel).unwrap_or(Value::Null),
        ))
    }

    /// The replayed registry state (core's `RegistryState` JSON, `{"omega-registry-state": 1,
    /// …}`: janitors, mode, and per name its owners, releases, revoked keys and notices), or
    /// null before the registry is verified. Added for the browser registry page (issue 15).
    #[wasm_bindgen(unchecked_return_type = "Record<string, unknown> | null")]
    pub fn state(&mut self) -> Result<JsValue, JsValue> {
        let r = self.get()?;
        match r.state() {
            None => Ok(JsValue::NULL),
            Some(s) => js_sys::JSON::parse(&String::from_utf8_lossy(&s.to_json_bytes())),
        }
    }

    /// The evidence text of a `LOG_INCONSISTENT` verdict, if any.
    pub fn evidence(&self) -> Option<String> {
        self.reader
            .as_ref()
            .ok()
            .and_then(|r| r.evidence().map(str::to_string))
    }
}
