//! What a JS caller pins (`{digest, keys, threshold, legacy}`) as omega-core [`Pins`]. Parsing
//! of digests and keys is omega-core's; whether the pins make sense (something pinned,
//! threshold in range) is decided by `check_package`.

use napi_derive::napi;
use omega_core::{LegacyPolicy, Pins, Result};

/// Pins as the JS side passes them (already type-checked there).
#[napi(object)]
#[derive(Clone, Debug, Default)]
pub struct PinsArg {
    /// A `b2tree:` digest.
    pub digest: Option<String>,
    /// Public keys: `RW…` lines or key-file texts.
    pub keys: Option<Vec<String>>,
    /// Distinct pinned keys that must sign; 1 by default when keys are given.
    pub threshold: Option<u32>,
    /// Whether legacy (`Ed`) signature blocks may count.
    pub legacy: Option<bool>,
}

impl PinsArg {
    /// Parses into core pins.
    pub fn to_pins(&self) -> Result<Pins> {
        let keys = self.keys.as_deref().unwrap_or_default();
        let legacy = if self.legacy == Some(true) {
            LegacyPolicy::Allow
        } else {
            LegacyPolicy::Refuse
        };
        Pins::from_text(self.digest.as_deref(), keys, self.threshold, legacy)
    }

    /// A text that identifies these pins exactly, for cache keys (before parsing: a cache hit
    /// costs no key decoding).
    pub fn cache_text(&self) -> String {
        let keys = self.keys.clone().unwrap_or_default().join("\u{1}");
        format!(
            "{}\u{0}{keys}\u{0}{:?}\u{0}{:?}",
            self.digest.as_deref().unwrap_or(""),
            self.threshold,
            self.legacy
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omega_core::ErrorCode;

    const KEY: &str = "RWSiB7bbkQVvnls/lalIky/D3JGFmpSsCJmBBfk4WxhTBxLvp8aZBjqH";

    #[test]
    fn threshold_defaults_to_one_with_keys() {
        let p = PinsArg {
            keys: Some(vec![KEY.into()]),
            ..Default::default()
        };
        assert_eq!(p.to_pins().unwrap().threshold, 1);
        assert_eq!(PinsArg::default().to_pins().unwrap().threshold, 0);
    }

    #[test]
    fn bad_digest_is_malformed() {
        let p = PinsArg {
            digest: Some("sha256:00".into()),
            ..Default::default()
        };
        assert_eq!(p.to_pins().unwrap_err().code(), ErrorCode::Malformed);
    }

    #[test]
    fn cache_text_tells_pins_apart() {
        let a = PinsArg {
            keys: Some(vec![KEY.into()]),
            ..Default::default()
        };
        let b = PinsArg {
            keys: Some(vec![KEY.into()]),
            threshold: Some(1),
            ..Default::default()
        };
        assert_ne!(a.cache_text(), b.cache_text());
    }
}
