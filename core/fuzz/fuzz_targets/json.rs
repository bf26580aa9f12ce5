//! `json::parse` (core's strict JSON reader, every format's first step) on arbitrary bytes:
//! never panics; accepts exactly what serde_json accepts except a key repeated in an object
//! (DESIGN §3.3 refuses it) and a document denser than the value budget (`TOO_LARGE`,
//! `json::read::value_budget`); what it reads, its writer writes back to text (compact and
//! pretty) that reads back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omega_core::json;

mod common;

fuzz_target!(init: {
    common::check_seeds(|d| json::parse(d, "seed").is_ok());
}, |data: &[u8]| {
    let ours = json::parse(data, "input");
    let theirs = serde_json::from_slice::<serde_json::Value>(data);
    match (&ours, &theirs) {
        (Ok(_), Err(e)) => panic!("core reads what serde_json refuses ({e})"),
        (Err(e), Ok(_)) => assert!(
            e.message().contains("duplicate key") || e.code() == omega_core::ErrorCode::TooLarge,
            "core refuses what serde_json reads: {e}"
        ),
        _ => {}
    }
    let Ok(v) = ours else { return };
    for text in [json::to_text(&v), json::to_pretty_text(&v)] {
        let again = json::parse(text.as_bytes(), "written").expect("written JSON must read back");
        assert_eq!(again, v);
    }
});
