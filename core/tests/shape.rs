//! The shape every runtime shares: the pins constructor (threshold default), the error kinds
//! (and the exit statuses derived from them), and the report JSON (key order, messages).
//!
//! This crate's tests build serde_json WITHOUT `preserve_order`, so the key-order tests below
//! show the order does not depend on that feature.

use omega_core::check::MemoryPackage;
use omega_core::{
    check_package, summary_message, Error, ErrorCode, ErrorKind, LegacyPolicy, Pins, Problem,
    PublicKey, TreeDigest,
};

const KEY: &str = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";

#[test]
fn threshold_is_one_when_keys_are_given_and_zero_otherwise() {
    let key = PublicKey::parse(KEY.as_bytes()).expect("key");
    let d = TreeDigest::parse(&format!("b2tree:{}", "0".repeat(64))).expect("digest");
    assert_eq!(
        Pins::new(None, vec![key], None, LegacyPolicy::Refuse).threshold,
        1
    );
    assert_eq!(
        Pins::new(Some(d), vec![], None, LegacyPolicy::Refuse).threshold,
        0
    );
    // An explicit threshold is kept as given, out of range included: validate() refuses it.
    let p = Pins::new(None, vec![key], Some(3), LegacyPolicy::Allow);
    assert_eq!((p.threshold, p.legacy), (3, LegacyPolicy::Allow));
    assert_eq!(
        p.validate("pkg").expect_err("3 of 1").code(),
        ErrorCode::Malformed
    );
    let t =
        Pins::from_text(Some(&d.to_string()), &[KEY], None, LegacyPolicy::Refuse).expect("pins");
    assert_eq!(
        (t.digest, t.keys.clone(), t.threshold),
        (Some(d), vec![key], 1)
    );
    assert_eq!(
        Pins::from_text::<&str>(None, &[], None, LegacyPolicy::Refuse)
            .expect("pins")
            .threshold,
        0
    );
    assert_eq!(
        Pins::from_text(Some("b2tree:zz"), &[KEY], None, LegacyPolicy::Refuse)
            .expect_err("bad digest")
            .code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        Pins::from_text(None, &["RWnot-a-key"], None, LegacyPolicy::Refuse)
            .expect_err("bad key")
            .code(),
        ErrorCode::Malformed
    );
    // The two shorthands go through the same rule.
    assert_eq!(Pins::digest(d).threshold, 0);
    assert_eq!(Pins::keys(vec![key], 1).threshold, 1);
}

#[test]
fn every_code_has_one_kind_and_the_exit_status_follows_it() {
    for code in ErrorCode::ALL {
        assert_eq!(code.exit_status(), code.kind().exit_status(), "{code}");
        let want = match code.as_str() {
            "MALFORMED" | "UNSUPPORTED_VERSION" | "TOO_LARGE" => ErrorKind::MalformedInput,
            "NOT_FOUND" => ErrorKind::NotFound,
            "IO" => ErrorKind::Io,
            _ => ErrorKind::VerificationFailed,
        };
        assert_eq!(code.kind(), want, "{code}");
    }
    // Core wins where Python's exception table disagreed: a package with an unsafe path or a
    // link was read and refused — a verification failure (exit 1), not malformed input.
    assert_eq!(ErrorCode::UnsafePath.kind(), ErrorKind::VerificationFailed);
    assert_eq!(
        ErrorCode::UnsupportedFileType.kind(),
        ErrorKind::VerificationFailed
    );
    assert_eq!(ErrorCode::UnsafePath.exit_status(), 1);
    assert_eq!(ErrorCode::TooLarge.exit_status(), 2);
    let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(names, ["verification", "malformed", "not_found", "io"]);
}

fn problem(n: usize) -> Problem {
    Problem {
        code: ErrorCode::FileMissing,
        path: Some(format!("f{n}")),
        key: None,
        message: format!("p{n}"),
    }
}

#[test]
fn summary_message_counts_the_other_problems_in_good_english() {
    let ps: Vec<Problem> = (0..4).map(problem).collect();
    assert_eq!(summary_message(&ps[..0]), None);
    assert_eq!(summary_message(&ps[..1]).as_deref(), Some("p0"));
    // The CLI's copy of this rule used to say "(and 1 more problems)".
    assert_eq!(
        summary_message(&ps[..2]).as_deref(),
        Some("p0 (and 1 more problem)")
    );
    assert_eq!(
        summary_message(&ps[..4]).as_deref(),
        Some("p0 (and 3 more problems)")
    );
}

fn key_positions(text: &str, keys: &[&str]) -> Vec<usize> {
    keys.iter()
        .map(|k| {
            text.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} missing in {text}"))
        })
        .collect()
}

const REPORT_KEYS: [&str; 14] = [
    "ok",
    "code",
    "message",
    "package",
    "version",
    "sequence",
    "files",
    "tree",
    "manifest_tree",
    "pinned_digest",
    "threshold",
    "signed_by",
    "signatures",
    "problems",
];

fn failed_check() -> Error {
    let pkg = MemoryPackage::from_files([("a.js", false, &b"a"[..]), ("b.js", false, &b"b"[..])])
        .expect("package");
    let pin = TreeDigest::parse(&format!("b2tree:{}", "0".repeat(64))).expect("digest");
    check_package(pkg.input("pkg"), &Pins::digest(pin)).expect_err("digest mismatch")
}

#[test]
fn report_json_keys_come_in_declaration_order_without_preserve_order() {
    let e = failed_check();
    for text in [e.json().to_text(), e.json().to_pretty_text()] {
        let pos = key_positions(&text, &REPORT_KEYS);
        assert!(pos.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
    let bare = Error::new(ErrorCode::NotFound, "nothing here");
    let text = bare.json().to_text();
    assert!(
        text.starts_with(
            r#"{"ok":false,"code":"NOT_FOUND","message":"nothing here","package":null,"#
        ),
        "{text}"
    );
    let pos = key_positions(&text, &REPORT_KEYS);
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{text}");
    let report = e.report().expect("report");
    let text = report.json().to_text();
    let pos = key_positions(&text, &REPORT_KEYS);
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{text}");
    let p = report.problems[0].json();
    assert_eq!(
        omega_core::json::to_text(&p.value()),
        r#"{"code":"DIGEST_MISMATCH","path":null,"key":null,"message":"pkg: files hash to "#
            .to_string()
            + &format!(
                "{}, but b2tree:{} is pinned\"}}",
                report.tree,
                "0".repeat(64)
            )
    );
}

#[test]
fn the_value_and_the_text_forms_agree() {
    let e = failed_check();
    let text = e.json().to_text();
    let from_text = omega_core::json::parse(text.as_bytes(), "report").expect("json");
    assert_eq!(from_text, e.to_json());
    let r = e.report().expect("report");
    let text = r.json().to_text();
    let from_text = omega_core::json::parse(text.as_bytes(), "report").expect("json");
    assert_eq!(from_text, r.to_json());
    // A report's own code and message are its first problem's; the error's message adds the
    // count of the others only when there are others.
    let message = |v: &omega_core::json::Value<'_>| {
        v.get("message")
            .and_then(|m| m.as_str())
            .map(str::to_string)
    };
    assert_eq!(
        message(&r.to_json()).as_deref(),
        Some(r.problems[0].message.as_str())
    );
    assert_eq!(message(&e.to_json()).as_deref(), Some(e.message()));
}
