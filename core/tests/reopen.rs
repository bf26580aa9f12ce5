//! When a host opens the registry again (core::driver::Reader::needs_reopen, reopen_after;
//! threat model RD10): the one rule the Node, WASM, Python and Swift hosts act on. A reader
//! that never finished opening is re-opened; an open reader after REFRESH_SECONDS (exactly
//! 60 s: due; 59 s: not), or when the clock went back; never offline or at a fixed clock;
//! STALE from a reader the call did not open is retried once.
#![cfg(feature = "sign")]

use std::collections::BTreeMap;

use crate::common::registry::*;
use omega_core::driver::{Reader, REFRESH_SECONDS};
use omega_core::{Error, ErrorCode};

const URL: &str = "https://registry.example";

fn served(reg: &Reg) -> BTreeMap<String, Vec<u8>> {
    let mut f = reg.files.clone();
    f.insert("checkpoint".into(), reg.checkpoint(Some(NOW)).into_bytes());
    for name in reg.state.names.keys() {
        f.insert(format!("index/{name}"), reg.signed_index(&reg.index(name)));
    }
    f
}

fn drive(r: &mut Reader, files: &BTreeMap<String, Vec<u8>>) -> Result<(), Error> {
    loop {
        let needs = r.needs();
        if needs.is_empty() {
            return Ok(());
        }
        for p in needs {
            r.provide(&p, files.get(&p).cloned())?;
        }
    }
}

fn reader(now: Option<u64>) -> Reader {
    Reader::from_policy(URL, &policy_text(), 3600, None, None, now).unwrap()
}

#[test]
fn an_open_reader_is_due_after_60_s_or_when_the_clock_goes_back() {
    let files = served(&sample());
    let mut r = reader(Some(NOW));
    assert!(r.needs_reopen(Some(NOW), Some(NOW)), "not opened yet");
    drive(&mut r, &files).unwrap();
    let at = Some(NOW);
    assert!(!r.needs_reopen(at, Some(NOW)));
    assert!(!r.needs_reopen(at, Some(NOW + 59)), "59 s: not due");
    assert!(r.needs_reopen(at, Some(NOW + 60)), "exactly 60 s: due");
    assert!(r.needs_reopen(at, Some(NOW + REFRESH_SECONDS + 1)));
    assert!(r.needs_reopen(at, Some(NOW - 1)), "the clock went back");
    assert!(!r.needs_reopen(at, None), "offline: never on time");
}

#[test]
fn an_offline_reader_is_due_only_once_a_clock_is_given() {
    let files = served(&sample());
    let mut r = reader(None);
    drive(&mut r, &files).unwrap();
    assert!(!r.needs_reopen(None, None));
    assert!(r.needs_reopen(None, Some(NOW)));
}

#[test]
fn a_reader_whose_open_failed_or_was_cut_short_is_due() {
    let files = served(&sample());
    // Failed: a garbage checkpoint.
    let mut bad = files.clone();
    bad.insert("checkpoint".into(), b"garbage".to_vec());
    let mut f = reader(Some(NOW));
    assert!(drive(&mut f, &bad).is_err());
    assert!(f.needs_reopen(Some(NOW), Some(NOW)));
    assert!(f.needs_reopen(None, None), "even offline");
    // Cut short: the checkpoint verified, the replay never provided (a fetch failed).
    let mut cut = reader(Some(NOW));
    cut.provide("checkpoint", files.get("checkpoint").cloned())
        .unwrap();
    assert!(!cut.needs().is_empty());
    assert!(cut.needs_reopen(Some(NOW), Some(NOW)));
}

#[test]
fn stale_from_an_earlier_open_is_retried_once() {
    let files = served(&sample());
    let mut r = reader(Some(NOW));
    drive(&mut r, &files).unwrap();
    assert!(r.reopen_after(ErrorCode::Stale, false));
    assert!(
        !r.reopen_after(ErrorCode::Stale, true),
        "opened by this call: once"
    );
    for code in [
        ErrorCode::NotInLog,
        ErrorCode::Io,
        ErrorCode::LogInconsistent,
        ErrorCode::NotFound,
    ] {
        assert!(!r.reopen_after(code, false), "{code:?}");
    }
    // The STALE it answers: core's own, at a clock past max_age.
    r.set_now(Some(NOW + 3601));
    let e = r.notices("left-pad", None).unwrap_err();
    assert!(r.reopen_after(e.code(), false));
}
