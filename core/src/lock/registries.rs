//! The `registries` section of a version-2 lock (REGISTRY.md R6): for each registry origin
//! the client trusts, where it is (`url`), the tlog-policy it pinned on first use, the
//! freshness bound, the SHA-256 of its genesis entry, the last checkpoint note it
//! verified, and (optional) the SHA-256 of the saved registry state that goes with it. The checkpoint only moves forward (the caller proves consistency first).

use alloc::format;
use alloc::string::String;

use crate::error::ErrorCode;
use crate::error::{fail, Result};
use crate::hash::{parse_hex32, to_hex};
use crate::json::{At, ObjectBuilder, Value};
use crate::limits::{
    MAX_KEY_NAME_BYTES, MAX_NOTE_BYTES, MAX_POLICY_BYTES, MAX_REGISTRY_MAX_AGE, MAX_URL_BYTES,
};

/// What a lock pins for one registry (one log origin).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryPin {
    /// Where the registry's folder is served (`https://…`, `http://…`, `file://…` or a path).
    pub url: String,
    /// The client policy (tlog-policy subset, REGISTRY.md R2) pinned on first use.
    pub policy: String,
    /// The largest age, in seconds, of the cosignatures that make a checkpoint fresh.
    pub max_age: u64,
    /// SHA-256 of log entry 0 (the genesis `registry` statement), pinned on first use.
    pub genesis: [u8; 32],
    /// The whole last verified checkpoint note (log signature and cosignatures).
    pub checkpoint: String,
    /// SHA-256 of the saved registry state (`RegistryState::to_json_bytes`) the client made
    /// when it wrote this pin (optional; lock member `state`). A saved state in the user cache
    /// is used only when its bytes hash to this value: the lock binds the cache (threat model
    /// RR8). `None`: no saved state is trusted (the log is replayed from entry 0).
    pub state: Option<[u8; 32]>,
}

pub(super) struct RawRegistry {
    url: String,
    policy: String,
    max_age: u64,
    genesis: String,
    checkpoint: String,
    state: Option<String>,
}

impl RawRegistry {
    pub(super) fn read(v: Value<'_>, at: &At<'_>) -> Result<RawRegistry> {
        let mut f = v.into_fields(at)?;
        let raw = RawRegistry {
            url: f.string("url", at)?,
            policy: f.string("policy", at)?,
            max_age: f.u64("max_age", at)?,
            genesis: f.string("genesis", at)?,
            checkpoint: f.string("checkpoint", at)?,
            // An optional member that, when present, must be a string (`null` is refused).
            state: f
                .take("state")
                .map(|v| v.into_string(&at.field("state")))
                .transpose()?,
        };
        f.end(at)?;
        Ok(raw)
    }

    pub(super) fn write(self) -> Value<'static> {
        ObjectBuilder::new()
            .field("url", self.url)
            .field("policy", self.policy)
            .field("max_age", self.max_age)
            .field("genesis", self.genesis)
            .field("checkpoint", self.checkpoint)
            .field_if("state", self.state)
            .build()
    }
}

/// Checks a registry origin used as a key of `registries`: non-empty, at most
/// [`MAX_KEY_NAME_BYTES`], printable without spaces (it is a log origin line and a key name).
pub fn validate_origin(origin: &str) -> Result<()> {
    if origin.is_empty()
        || origin.len() > MAX_KEY_NAME_BYTES
        || origin.chars().any(|c| {
            c.is_whitespace() || c.is_control() || c == '+' || crate::vkey::is_format_char(c)
        })
    {
        return fail(
            ErrorCode::Malformed,
            format!("registry origin {origin:?}: empty, longer than {MAX_KEY_NAME_BYTES} bytes, or holding a space, '+', a control or an invisible format character (RR23)"),
        );
    }
    Ok(())
}

/// RR18: no two registries of a lock share a `url` (compared without a trailing `/` and
/// ignoring ASCII case): a PR giving registry B the url of registry A would otherwise have B's
/// packages judged against A's state. `MALFORMED` naming both origins.
pub(super) fn check_unique_urls(
    registries: &alloc::collections::BTreeMap<String, RegistryPin>,
    what: &str,
) -> Result<()> {
    let mut seen: alloc::collections::BTreeMap<String, &str> = alloc::collections::BTreeMap::new();
    for (origin, pin) in registries {
        let key = pin.url.trim_end_matches('/').to_ascii_lowercase();
        if let Some(first) = seen.insert(key, origin) {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "{what}: registries {first} and {origin} have the same url {:?} (each registry is served from its own url)",
                    pin.url
                ),
            );
        }
    }
    Ok(())
}

fn text_field(ctx: &str, field: &str, text: &str, max: usize) -> Result<()> {
    if text.len() > max {
        return fail(
            ErrorCode::TooLarge,
            format!("{ctx}: {field} is longer than {max} bytes"),
        );
    }
    if text.is_empty() {
        return fail(ErrorCode::Malformed, format!("{ctx}: {field} is empty"));
    }
    Ok(())
}

impl RegistryPin {
    pub(super) fn from_raw(origin: &str, raw: RawRegistry, what: &str) -> Result<RegistryPin> {
        validate_origin(origin).map_err(|e| e.context(what))?;
        let ctx = format!("{what}: registry {origin}");
        text_field(&ctx, "url", &raw.url, MAX_URL_BYTES)?;
        if raw.url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return fail(
                ErrorCode::Malformed,
                format!("{ctx}: url holds a space or a control character"),
            );
        }
        text_field(&ctx, "policy", &raw.policy, MAX_POLICY_BYTES)?;
        text_field(&ctx, "checkpoint", &raw.checkpoint, MAX_NOTE_BYTES)?;
        if !raw.checkpoint.ends_with('\n') {
            return fail(
                ErrorCode::Malformed,
                format!("{ctx}: checkpoint is not a signed note (it must end with a newline)"),
            );
        }
        if raw.max_age == 0 {
            return fail(ErrorCode::Malformed, format!("{ctx}: max_age is 0"));
        }
        if raw.max_age > MAX_REGISTRY_MAX_AGE {
            // A pin that never goes stale freezes the registry (RR17).
            return fail(
                ErrorCode::Malformed,
                format!(
                    "{ctx}: max_age {} is above the limit of {MAX_REGISTRY_MAX_AGE} s (30 days)",
                    raw.max_age
                ),
            );
        }
        let genesis = parse_hex32(&raw.genesis, "genesis").map_err(|e| e.context(&ctx))?;
        let state = match &raw.state {
            Some(h) => Some(parse_hex32(h, "state").map_err(|e| e.context(&ctx))?),
            None => None,
        };
        // The pinned policy and checkpoint must be what they claim (their signatures are
        // verified where they are used): a policy that parses, and a signed checkpoint note of
        // this origin.
        crate::policy::Policy::parse(&raw.policy)
            .map_err(|e| e.context(&format!("{ctx}: policy")))?;
        let note = crate::note::Note::parse(raw.checkpoint.as_bytes())
            .map_err(|e| e.context(&format!("{ctx}: checkpoint")))?;
        let cp = crate::checkpoint::Checkpoint::parse(note.text())
            .map_err(|e| e.context(&format!("{ctx}: checkpoint")))?;
        if cp.origin != origin {
            return fail(
                ErrorCode::Malformed,
                format!("{ctx}: the checkpoint is of log {:?}", cp.origin),
            );
        }
        Ok(RegistryPin {
            url: raw.url,
            policy: raw.policy,
            max_age: raw.max_age,
            genesis,
            checkpoint: raw.checkpoint,
            state,
        })
    }

    pub(super) fn to_raw(&self) -> RawRegistry {
        RawRegistry {
            url: self.url.clone(),
            policy: self.policy.clone(),
            max_age: self.max_age,
            genesis: to_hex(&self.genesis),
            checkpoint: self.checkpoint.clone(),
            state: self.state.as_ref().map(|h| to_hex(h)),
        }
    }
}
