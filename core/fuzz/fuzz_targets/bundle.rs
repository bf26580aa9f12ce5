//! Entry bundles (`omega_core::bundle`) on arbitrary bytes: the first byte picks the width
//! (0 means 256), the rest is the bundle. Never panics; an accepted bundle has exactly that
//! many entries and writes back to the same bytes; the prefix reader agrees with the exact
//! reader whenever the exact one accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::bundle::{parse_bundle, parse_bundle_prefix, write_bundle};

mod common;

fn split(data: &[u8]) -> Option<(u16, &[u8])> {
    let (&w, rest) = data.split_first()?;
    Some((if w == 0 { 256 } else { u16::from(w) }, rest))
}

fuzz_target!(init: {
    common::check_seeds(|d| split(d).is_some_and(|(w, b)| parse_bundle(b, w).is_ok()));
}, |data: &[u8]| {
    let Some((width, bytes)) = split(data) else {
        return;
    };
    let exact = parse_bundle(bytes, width);
    let prefix = parse_bundle_prefix(bytes, width);
    if let Ok(entries) = &exact {
        assert_eq!(entries.len(), usize::from(width));
        assert_eq!(write_bundle(entries).expect("an accepted bundle writes back"), bytes);
        assert_eq!(prefix.as_ref().ok(), Some(entries));
    }
    if let Ok(entries) = &prefix {
        assert_eq!(entries.len(), usize::from(width));
        // Accepted as a prefix only when it is the exact bundle or a full one.
        assert!(exact.is_ok() || parse_bundle(bytes, 256).is_ok());
    }
});
