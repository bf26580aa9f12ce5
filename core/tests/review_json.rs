//! Adversarial review of core's own JSON reader/writer (branch `json`, vs serde at 0d36bd4).
//! `finding_*` tests fail while the finding is real; `holds_*` tests are attacks that were
//! correctly refused (they pass). Notes: /work/notes/review_json.md.

use std::process::Command;

use omega_core::json::{self, Value};
use omega_core::lock::{Lockfile, Revocation};
use omega_core::manifest::Manifest;
use omega_core::registry::RegistryState;
use omega_core::statement::Statement;
use omega_core::ErrorCode;

/// Peak resident memory of this process (VmHWM) and the current (VmRSS), in bytes (Linux).
fn vm(field: &str) -> usize {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0)
        * 1024
}

/// Runs the helper test `measure_helper` in a fresh process on document `kind` and returns
/// (input bytes, peak RSS growth in bytes) as it printed them.
fn measure(kind: &str) -> (usize, usize) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            // The helper's test name in this binary (`review_json::measure_helper`).
            &format!(
                "{}::measure_helper",
                module_path!().split_once("::").map_or("", |(_, m)| m)
            ),
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .env("REVIEW_JSON_KIND", kind)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let line = text
        .lines()
        .find_map(|l| l.split_once("MEASURE ").map(|(_, rest)| rest))
        .unwrap_or_else(|| {
            panic!(
                "helper printed no measure ({:?} {:?}): {text}",
                out.status,
                std::env::current_exe()
            )
        });
    let mut it = line.split_whitespace().map(|n| n.parse::<usize>().unwrap());
    (it.next().unwrap(), it.next().unwrap())
}

fn code<T: std::fmt::Debug>(r: omega_core::Result<T>) -> ErrorCode {
    r.unwrap_err().code()
}

fn seed_manifest() -> String {
    std::fs::read_to_string(format!(
        "{}/fuzz/seeds/json/manifest.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn statement_vectors() -> Vec<String> {
    let text = std::fs::read_to_string(format!(
        "{}/../tests/vectors/statements.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("expect").and_then(|e| e.get("error")).is_none())
        .filter_map(|c| {
            c.get("statement")
                .and_then(|s| s.as_str())
                .map(String::from)
        })
        .filter(|s| Statement::parse(s.as_bytes()).is_ok())
        .collect()
}

/// `prefix` + `[0,0,…,0]` + `suffix`, about `n` bytes.
fn zeros_doc(prefix: &str, n: usize, suffix: &str) -> Vec<u8> {
    let mut d = Vec::with_capacity(n + 64);
    d.extend_from_slice(prefix.as_bytes());
    d.push(b'[');
    while d.len() < n {
        d.extend_from_slice(b"0,");
    }
    d.extend_from_slice(b"0]");
    d.extend_from_slice(suffix.as_bytes());
    d
}

// =========================================================================================
// Findings
// =========================================================================================

fn doc_for(kind: &str, n: usize) -> Vec<u8> {
    match kind {
        "manifest-unknown" => zeros_doc(r#"{"omega":1,"x":"#, n, "}"),
        "manifest-files" => zeros_doc(
            r#"{"omega":1,"name":"a","version":"1.0.0","sequence":0,"tree":"t","files":"#,
            n,
            "}",
        ),
        "lock-unknown" => zeros_doc(r#"{"omega-lock":2,"x":"#, n, "}"),
        "lock-packages" => zeros_doc(r#"{"omega-lock":2,"packages":"#, n, "}"),
        _ => panic!("{kind}"),
    }
}

const MEASURE_BYTES: usize = 16 << 20;

/// Run in a child process by `finding_tree_memory_amplification` (with REVIEW_JSON_KIND set);
/// does nothing in the ordinary test run.
#[test]
fn measure_helper() {
    let Ok(kind) = std::env::var("REVIEW_JSON_KIND") else {
        return;
    };
    let doc = doc_for(&kind, MEASURE_BYTES);
    let base = vm("VmRSS:");
    let r = if kind.starts_with("manifest") {
        Manifest::parse(&doc).map(|_| ())
    } else {
        Lockfile::parse(&doc).map(|_| ())
    };
    let c = r.unwrap_err().code();
    assert!(
        matches!(c, ErrorCode::Malformed | ErrorCode::TooLarge),
        "{c:?}"
    );
    let peak = vm("VmHWM:");
    println!("MEASURE {} {}", doc.len(), peak.saturating_sub(base));
}

/// The reader builds the whole `Value` tree before any field is checked: a member the old
/// serde derive refused at its key (`deny_unknown_fields`) or at its first wrong-typed item
/// now costs many times its size in heap first. A manifest (parsed before any signature
/// check, from any installed package) may be 32 MiB, a lock file 64 MiB.
#[test]
#[cfg(target_os = "linux")]
fn finding_tree_memory_amplification() {
    let mut worst = 0f64;
    let mut report = String::new();
    for kind in [
        "manifest-unknown",
        "manifest-files",
        "lock-unknown",
        "lock-packages",
    ] {
        let (len, peak) = measure(kind);
        let ratio = peak as f64 / len as f64;
        report.push_str(&format!(
            "{kind}: {len} bytes in, peak RSS +{peak} bytes ({ratio:.1}x)\n"
        ));
        worst = worst.max(ratio);
    }
    eprintln!("{report}");
    assert!(
        worst <= 4.0,
        "refused documents cost up to {worst:.1}x their size in memory before refusal \
         (serde refused these at the first offending key or item):\n{report}"
    );
}

// =========================================================================================
// Attacks that held
// =========================================================================================

fn manifest_with(edit: impl Fn(&str) -> String) -> Vec<u8> {
    edit(&seed_manifest()).into_bytes()
}

#[test]
fn holds_seed_manifest_is_valid_and_round_trips() {
    let m = Manifest::parse(seed_manifest().as_bytes()).unwrap();
    let out = m.to_json_bytes();
    assert_eq!(Manifest::parse(&out).unwrap(), m);
    assert_eq!(Manifest::parse(&out).unwrap().to_json_bytes(), out);
}

#[test]
fn holds_version_field_forms() {
    let s = seed_manifest();
    for bad in [
        "1.0",
        "1e0",
        "\"1\"",
        "true",
        "null",
        "-0",
        "-1",
        "18446744073709551617",
        "[1]",
        "{}",
    ] {
        let doc = s.replace(r#""omega":1"#, &format!(r#""omega":{bad}"#));
        assert_eq!(
            code(Manifest::parse(doc.as_bytes())),
            ErrorCode::Malformed,
            "{bad}"
        );
    }
    for (v, c) in [
        ("2", ErrorCode::UnsupportedVersion),
        ("0", ErrorCode::UnsupportedVersion),
        ("18446744073709551615", ErrorCode::UnsupportedVersion),
    ] {
        let doc = s.replace(r#""omega":1"#, &format!(r#""omega":{v}"#));
        assert_eq!(code(Manifest::parse(doc.as_bytes())), c, "{v}");
    }
    // Missing version; version spelled with an escape is the same key (as serde read it).
    assert_eq!(
        code(Manifest::parse(s.replace(r#","omega":1"#, "").as_bytes())),
        ErrorCode::Malformed
    );
    assert!(Manifest::parse(s.replace(r#""omega":1"#, r#""\u006fmega":1"#).as_bytes()).is_ok());
    // A key repeated only after unescaping.
    let dup = s.replace(r#""omega":1"#, r#""omega":1,"\u006fmega":1"#);
    assert_eq!(code(Manifest::parse(dup.as_bytes())), ErrorCode::Malformed);
    let dup = s.replace(r#""omega":1"#, r#""omega":1,"n\u0061me":"x""#);
    assert_eq!(code(Manifest::parse(dup.as_bytes())), ErrorCode::Malformed);
}

#[test]
fn holds_null_and_wrong_types_where_serde_refused() {
    for (from, to) in [
        (r#""files":[]"#, r#""files":null"#),
        (r#""files":[]"#, r#""files":[],"dependencies":null"#),
        (r#""threshold":1"#, r#""threshold":1,"next":null"#),
        (r#""sequence":0"#, r#""sequence":null"#),
        (r#""sequence":0"#, r#""sequence":0.0"#),
        (r#""sequence":0"#, r#""sequence":"0""#),
        (r#""tree":"#, r#""x":null,"tree":"#),
        (r#""files":[]"#, r#""files":{}"#),
    ] {
        let doc = manifest_with(|s| s.replace(from, to));
        assert_ne!(doc, seed_manifest().into_bytes(), "{to}");
        assert_eq!(code(Manifest::parse(&doc)), ErrorCode::Malformed, "{to}");
    }
}

#[test]
fn holds_encoding_attacks() {
    let s = seed_manifest();
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(s.as_bytes());
    for doc in [
        bom,
        s.replace("e\\u006dpty", "e\\ud800mpty").into_bytes(),
        s.replace("e\\u006dpty", "e\\udc00mpty").into_bytes(),
        s.replace("e\\u006dpty", "e\tmpty").into_bytes(),
        s.replace("e\\u006dpty", "e\\u006").into_bytes(),
        [s.as_bytes(), b" x"].concat(),
        [s.as_bytes(), b"\x00"].concat(),
        s.replace("e\\u006dpty", "e\u{e9}").into_bytes()[..]
            .iter()
            .map(|&b| if b == 0xc3 { 0xc0 } else { b })
            .collect(),
    ] {
        assert_eq!(code(Manifest::parse(&doc)), ErrorCode::Malformed);
    }
}

#[test]
fn holds_deep_nesting_is_refused_without_stack_overflow() {
    // Run on a 1 MiB stack (the wasm32 default stack; 256 KiB overflows in a debug build).
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            for open in ["[", "{\"a\":"] {
                let deep = open.repeat(1_000_000);
                let doc = format!("{{\"omega\":1,\"x\":{deep}");
                assert_eq!(code(Manifest::parse(doc.as_bytes())), ErrorCode::Malformed);
                assert_eq!(code(Lockfile::parse(doc.as_bytes())), ErrorCode::Malformed);
                assert_eq!(
                    code(Statement::parse(&doc.as_bytes()[..16000])),
                    ErrorCode::Malformed
                );
                // The deepest accepted nesting, read, dropped and written on this stack.
                let ok = format!("{}0{}", "[".repeat(127), "]".repeat(127));
                let v = json::parse(ok.as_bytes(), "d").unwrap();
                assert!(!json::to_pretty_text(&v).is_empty());
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn holds_no_panic_on_every_prefix_and_byte_edit() {
    // Multibyte characters near every kind of token, so slicing errors would show.
    let seeds: Vec<Vec<u8>> = vec![
        seed_manifest().into_bytes(),
        "{\"é\":\"\\u00e9é\\ud83d\\ude00\",\"n\":-0.5e-3,\n\"日\":[1e308,18446744073709551616,\"\u{10FFFF}\"]}".as_bytes().to_vec(),
    ];
    let bytes_to_try = [
        b'"', b'\\', b'u', b'0', b'e', b'-', b'.', b'{', b'[', b']', b'}', b',', b':', 0xc3, 0xa9,
        0xff, 0x00, b'\n',
    ];
    for seed in &seeds {
        for cut in 0..=seed.len() {
            let d = &seed[..cut];
            let _ = json::parse(d, "p");
            let _ = Manifest::parse(d);
            for &b in &bytes_to_try {
                let mut e = seed.clone();
                if cut < e.len() {
                    e[cut] = b;
                    let _ = json::parse(&e, "p");
                    let _ = Manifest::parse(&e);
                    let _ = Lockfile::parse(&e);
                }
                let mut e = seed.clone();
                e.insert(cut, b);
                let _ = json::parse(&e, "p");
            }
        }
    }
    // Number text shapes through rounds_to_infinity's slicing.
    for n in [
        "-0e-0",
        "0.0e+0",
        "1E+308",
        "9.9999e307",
        "-1.8e308",
        "0.000e309",
        "1e-400",
        "100000000000000000000e288",
        "0.1e310",
    ] {
        let _ = json::parse(n.as_bytes(), "n");
    }
}

#[test]
fn holds_statements_only_in_canonical_form() {
    let vectors = statement_vectors();
    assert!(!vectors.is_empty());
    for text in &vectors {
        let st = Statement::parse(text.as_bytes()).unwrap();
        assert_eq!(st.to_bytes(), text.as_bytes());
        // Escaped key, escaped value char, whitespace, null member, reordered, number forms.
        let variants = [
            text.replacen("\"type\"", "\"typ\\u0065\"", 1),
            text.replacen("\"omega-entry\":1", "\"omega-entry\":1.0", 1),
            text.replacen("\"omega-entry\":1", "\"omega-entry\": 1", 1),
            text.replacen("\"origin\":\"", "\"origin\":\"\\u0072", 1),
            text.replacen('}', ",\"url\":null}", 1),
            text.replacen('}', ",\"fixed\":null}", 1),
            format!("{text}\n"),
            format!(" {text}"),
            text.replacen("\"omega-entry\":1,", "", 1)
                .replacen('{', "{\"omega-entry\":1,", 1)
                .replacen("\"type\"", "\"omega-entry\":1,\"type\"", 0),
        ];
        for v in variants {
            if v != *text {
                assert!(Statement::parse(v.as_bytes()).is_err(), "accepted {v}");
            }
        }
    }
}

#[test]
fn holds_big_objects_are_not_quadratic() {
    // 100k unknown members at the top of a manifest, and 100k members in `dependencies`.
    let mut doc = String::from("{\"omega\":1");
    for i in 0..100_000 {
        doc.push_str(&format!(",\"k{i}\":0"));
    }
    doc.push('}');
    let t = std::time::Instant::now();
    // Refused as unknown members, or (10 bytes per member) as denser than the value budget.
    assert!(matches!(
        code(Manifest::parse(doc.as_bytes())),
        ErrorCode::Malformed | ErrorCode::TooLarge
    ));
    let s = seed_manifest();
    let mut deps = String::from("\"dependencies\":{");
    for i in 0..100_000 {
        if i > 0 {
            deps.push(',');
        }
        deps.push_str(&format!("\"p{i}\":\"x\""));
    }
    deps.push_str("},\"files\":[]");
    let doc = s.replace("\"files\":[]", &deps);
    assert!(matches!(
        code(Manifest::parse(doc.as_bytes())),
        ErrorCode::Malformed | ErrorCode::TooLarge
    ));
    assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
}

#[test]
fn holds_revocation_and_state_strictness() {
    for doc in [
        r#"{"omega-revoke":1,"name":"a","key":"k","reason":"r","name":"b"}"#,
        r#"{"omega-revoke":1.0,"name":"a","key":"k","reason":"r"}"#,
        r#"{"omega-revoke":1,"name":null,"key":"k","reason":"r"}"#,
        r#"{"omega-revoke":1,"name":"a","key":"k","reason":"r","x":1}"#,
    ] {
        assert_eq!(
            code(Revocation::parse(doc.as_bytes())),
            ErrorCode::Malformed,
            "{doc}"
        );
    }
    assert_eq!(
        code(Revocation::parse(br#"{"omega-revoke":2}"#)),
        ErrorCode::UnsupportedVersion
    );
    assert_eq!(
        code(RegistryState::parse(br#"{"omega-registry-state":99}"#)),
        ErrorCode::UnsupportedVersion
    );
    assert_eq!(
        code(RegistryState::parse(
            br#"{"omega-registry-state":1,"omega-registry-state":1}"#
        )),
        ErrorCode::Malformed
    );
}

/// serde_json (the old core's reader, still the CLI's and the bindings') and core's reader on
/// numbers at the edge of the double range: the fuzz target and json.rs claim both accept the
/// same documents. Core decides exactly; serde_json (no `float_roundtrip`) approximates and
/// refuses some finite numbers just below 2^1024 - 2^970. Low: typed fields refuse both ways.
#[test]
fn holds_number_bound_is_exact_where_serde_json_is_not() {
    // Review finding (low), kept as a documented difference: near f64::MAX serde_json's float
    // parsing is inexact and not even monotone, so no rule can agree with it there. Core's rule
    // is exact: a magnitude that rounds to infinity (≥ 2^1024 − 2^970) is refused. Every core
    // format refuses such numbers anyway (not an unsigned integer: MALFORMED).
    assert!(serde_json::from_str::<serde_json::Value>("1.7976931348623157e308").is_ok());
    assert!(serde_json::from_str::<serde_json::Value>("1.797693134862315700000000e308").is_err());
    for (n, ok) in [
        ("1.7976931348623157e308", true),
        ("1.7976931348623158e308", true),
        ("1.797693134862315807e308", true),
        ("1.797693134862315808e308", false),
        ("1.7976931348623159e308", false),
        ("0.000017976931348623158e313", true),
    ] {
        assert_eq!(json::parse(n.as_bytes(), "n").is_ok(), ok, "{n}");
    }
    let _ = Value::Null;
}
