//! `Policy::parse` on arbitrary text: never panics; an accepted policy formats (`to_text`) to
//! a text that parses to an equal policy and formats to the same text again; evaluating its
//! quorum over no and all witnesses never panics, and all witnesses meet it (k ≤ n holds for
//! every group).
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::policy::Policy;

mod common;

fuzz_target!(init: {
    common::check_seeds(|d| std::str::from_utf8(d).is_ok_and(|t| Policy::parse(t).is_ok()));
}, |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = Policy::parse(text) else {
        return;
    };
    let out = p.to_text();
    let again = Policy::parse(&out).expect("to_text of a parsed policy must parse");
    assert_eq!(again, p);
    assert_eq!(again.to_text(), out);
    let n = p.witnesses().len();
    assert!(p.quorum_met(&vec![true; n]));
    if p.quorum().is_some() {
        assert!(!p.quorum_met(&vec![false; n]));
    }
});
