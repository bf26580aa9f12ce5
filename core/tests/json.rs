//! omega-core's own JSON reader and writer (core/src/json) against serde_json, the library
//! every earlier file was written and read with: the writer's bytes must be serde_json's for
//! the same value, and the reader must accept exactly what serde_json accepts, except what
//! DESIGN §3.3 refuses on top (a key twice in an object).

use omega_core::json::{self, At, Value};
use omega_core::ErrorCode;
use proptest::prelude::*;

/// Our value as serde_json's. The generated objects hold their keys sorted, so serde_json
/// writes them in our order with or without its `preserve_order` feature.
fn to_serde(v: &Value<'_>) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::U64(n) => serde_json::Value::from(*n),
        Value::OtherNumber(t) => serde_json::from_str(t).unwrap(),
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(to_serde).collect()),
        Value::Object(m) => {
            let mut o = serde_json::Map::new();
            for (k, v) in m {
                o.insert(k.to_string(), to_serde(v));
            }
            serde_json::Value::Object(o)
        }
    }
}

fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{0,6}",
        any::<String>(),
        proptest::collection::vec(0u8..0x80, 0..8)
            .prop_map(|b| b.into_iter().map(char::from).collect()),
    ]
}

fn any_value() -> impl Strategy<Value = Value<'static>> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::U64),
        (0u64..1000).prop_map(Value::U64),
        any_string().prop_map(Value::string),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(any_string(), inner, 0..6).prop_map(|m| {
                Value::Object(m.into_iter().map(|(k, v)| (k.into(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn writer_is_serde_json_byte_for_byte(v in any_value()) {
        let s = to_serde(&v);
        prop_assert_eq!(json::to_text(&v), serde_json::to_string(&s).unwrap());
        prop_assert_eq!(json::to_pretty_text(&v), serde_json::to_string_pretty(&s).unwrap());
    }

    #[test]
    fn reader_reads_back_what_the_writer_wrote(v in any_value()) {
        let text = json::to_pretty_text(&v);
        prop_assert_eq!(json::parse(text.as_bytes(), "t").unwrap(), v.clone());
        let text = json::to_text(&v);
        prop_assert_eq!(json::parse(text.as_bytes(), "t").unwrap(), v);
    }

    /// Mutated documents: we accept exactly when serde_json does, except a repeated key.
    #[test]
    fn reader_accepts_what_serde_json_accepts(
        v in any_value(),
        cut in any::<prop::sample::Index>(),
        byte in prop_oneof![
            Just(b'"'), Just(b','), Just(b'}'), Just(b']'), Just(b'\\'), Just(b'0'), Just(b'-'),
            Just(b'.'), Just(b'e'), Just(b' '), Just(b'\n'), Just(0u8), Just(0x1f), Just(0xff),
            Just(b'u'), Just(b'/'), any::<u8>()
        ],
        mode in 0u8..3,
    ) {
        let mut bytes = json::to_text(&v).into_bytes();
        let i = cut.index(bytes.len() + 1);
        match mode {
            0 => bytes.insert(i, byte),
            1 => { if i < bytes.len() { bytes.remove(i); } }
            _ => { if i < bytes.len() { bytes[i] = byte; } }
        }
        let ours = json::parse(&bytes, "t");
        let theirs = serde_json::from_slice::<serde_json::Value>(&bytes);
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => prop_assert_eq!(&to_serde(a), b),
            (Err(e), Ok(_)) => prop_assert!(
                e.message().contains("duplicate key"),
                "we refused what serde_json reads: {:?}: {}", String::from_utf8_lossy(&bytes), e
            ),
            (Ok(_), Err(e)) => prop_assert!(
                false, "we read what serde_json refuses: {:?}: {}", String::from_utf8_lossy(&bytes), e
            ),
            (Err(e), Err(_)) => prop_assert_eq!(e.code(), ErrorCode::Malformed),
        }
    }
}

fn refused(text: &[u8]) -> String {
    let e = json::parse(text, "doc").unwrap_err();
    assert_eq!(e.code(), ErrorCode::Malformed, "{e}");
    assert!(
        serde_json::from_slice::<serde_json::Value>(text).is_err()
            || e.message().contains("duplicate key"),
        "serde_json reads {:?}",
        String::from_utf8_lossy(text)
    );
    e.message().to_string()
}

#[test]
fn strictness_of_design_3_3() {
    // Duplicate keys, at any depth, however spelled (escapes decode first).
    assert!(refused(br#"{"a":1,"a":2}"#).contains("duplicate key \"a\""));
    assert!(refused(br#"{"x":[{"k":1,"b":0,"k":1}]}"#).contains("duplicate key \"k\""));
    assert!(refused(br#"{"a":1,"\u0061":2}"#).contains("duplicate key"));
    // Trailing data, comments, trailing commas, a byte order mark, bare words.
    for bad in [
        &br#"{} {}"#[..],
        br#"{}x"#,
        b"{} // c",
        br#"{"a":1,}"#,
        br#"[1,]"#,
        b"\xef\xbb\xbf{}",
        b"",
        b" ",
        b"nul",
        b"True",
        b"'a'",
        b"{a:1}",
        b"01",
        b"1.",
        b".5",
        b"-",
        b"1e",
        b"+1",
        b"\"\\x\"",
        b"\"\\u12\"",
        b"\"\\ud800\"",
        b"\"\\udc00\"",
        b"\"\\ud800\\u0041\"",
        b"\"a\x01\"",
        b"\"\xff\"",
        b"\"\xc3\"",
        b"[\"\xed\xa0\x80\"]",
        b"\"abc",
        b"[1",
        b"{\"a\"",
        b"{\"a\":",
        b"\x0b1",
        b"1\x0c",
        b"1e400",
        b"-1e309",
    ] {
        refused(bad);
    }
    // Accepted: whitespace around, escapes, pairs, big and other numbers (typed reads refuse
    // the latter).
    let v = json::parse(b" \t\r\n{\"a\":\"\\ud83d\\ude00\\/\\n\",\"n\":18446744073709551615,\"m\":18446744073709551616,\"f\":-0.5e3} \n", "doc").unwrap();
    assert_eq!(v.get("a").and_then(Value::as_str), Some("😀/\n"));
    assert_eq!(v.get("n").and_then(Value::as_u64), Some(u64::MAX));
    assert_eq!(
        v.get("m"),
        Some(&Value::OtherNumber("18446744073709551616".into()))
    );
}

#[test]
fn depth_limit_is_serde_jsons() {
    for depth in [127usize, 128, 129, 200] {
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let ours = json::parse(text.as_bytes(), "d").is_ok();
        let theirs = serde_json::from_str::<serde_json::Value>(&text).is_ok();
        assert_eq!(ours, theirs, "depth {depth}");
    }
    assert!(json::parse("[".repeat(100_000).as_bytes(), "d").is_err());
}

#[test]
fn errors_name_the_document_and_place() {
    let e = json::parse(b"{\n  \"a\": tru\n}", "manifest.json").unwrap_err();
    assert_eq!(
        e.message(),
        "manifest.json: expected a JSON value at line 2 column 8"
    );
    let v = json::parse(br#"{"files":[{"size":"1"}],"x":0}"#, "m").unwrap();
    let at = At::root("manifest.json");
    let mut f = v.into_fields(&at).unwrap();
    let files = f.required("files", &at).unwrap();
    let fa = at.field("files");
    let mut items = files.into_array(&fa).unwrap();
    let i0 = fa.index(0);
    let mut file = items.remove(0).into_fields(&i0).unwrap();
    let e = file.u64("size", &i0).unwrap_err();
    assert_eq!(
        e.message(),
        "manifest.json: files[0].size: expected an unsigned integer, found a string"
    );
    let e = file.u64("mode", &i0).unwrap_err();
    assert_eq!(e.message(), "manifest.json: files[0]: missing field `mode`");
    let e = f.end(&at).unwrap_err();
    assert_eq!(e.message(), "manifest.json: unknown field `x`");
}

#[test]
fn many_keys_are_checked_for_repeats_quickly() {
    let mut text = String::from("{");
    for i in 0..200_000 {
        text.push_str(&format!("\"k{i}\":{i},"));
    }
    text.push_str("\"k7\":0}");
    // (Denser than the value budget: read without one, as for documents pinned by hash.)
    let e = json::read::parse_with_budget(text.as_bytes(), "doc", usize::MAX).unwrap_err();
    assert!(e.message().contains("duplicate key \"k7\""), "{e}");
}

#[test]
fn numbers_too_large_for_a_double_are_refused_at_the_exact_bound() {
    // 2^1024 − 2^970 rounds to infinity; one unit in the last written digit below does not.
    let bound = "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";
    let below = "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791";
    for (text, ok) in [
        (bound, false),
        (below, true),
        ("1.7976931348623157e308", true),
        ("1.7976931348623159e308", false),
        ("-1.7976931348623159e308", false),
        ("17976931348623157e292", true),
        ("0.00017976931348623159e312", false),
        ("1e308", true),
        ("1e309", false),
        ("10e308", false),
        ("0e999999999999999999999", true),
        ("1e-999999999999999999999", true),
        ("0.0000", true),
        ("-0", true),
    ] {
        assert_eq!(json::parse(text.as_bytes(), "n").is_ok(), ok, "{text}");
        if !text.starts_with("1797") {
            let f: f64 = text.parse().unwrap();
            assert_eq!(f.is_finite(), ok, "{text} as f64");
        }
    }
}

#[test]
fn a_document_denser_than_the_value_budget_is_too_large() {
    // 4,096 values plus one per 16 bytes: a manifest or lock of bare numbers is refused before
    // it builds a tree 16 times its size (review finding: memory amplification).
    let dense = format!("[{}0]", "0,".repeat(200_000));
    let e = json::parse(dense.as_bytes(), "doc").unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooLarge, "{e}");
    assert!(e.message().starts_with("doc: more than "), "{e}");
    // The same values spread out as a real document spends bytes are read.
    let sparse = format!("[{}0]", "\"0123456789abcde\",".repeat(200_000));
    assert!(json::parse(sparse.as_bytes(), "doc").is_ok());
    // Small documents have the floor.
    let small = format!("[{}0]", "0,".repeat(4000));
    assert!(json::parse(small.as_bytes(), "doc").is_ok());
    // Object keys count too.
    let keys: String = (0..100_000).map(|i| format!("\"{i}\":0,")).collect();
    let e = json::parse(format!("{{{keys}\"x\":0}}").as_bytes(), "doc").unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooLarge);
    // Without a budget (documents pinned by hash), any density.
    assert!(json::read::parse_with_budget(dense.as_bytes(), "doc", usize::MAX).is_ok());
}
