//! Lock version 2 (REGISTRY.md R6): the `registries` section, `registry`/`entry` on packages,
//! version-1 locks read and written back as version 2, and the strictness of the new fields.

use omega_core::{ErrorCode, Lockfile};

const TREE: &str = "b2tree:5b472f0ad42698f9db8c3aba09c982ce6621e3fa555a707403f1d015b1ae5d65";
const GENESIS: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

fn v1() -> String {
    format!(
        r#"{{"omega-lock": 1, "packages": {{"left-pad": {{"version": "1.0.0", "sequence": 0, "tree": "{TREE}", "path": "node_modules/left-pad"}}}}}}"#
    )
}

fn v2(registry: &str, package_extra: &str) -> String {
    format!(
        r#"{{"omega-lock": 2, "registries": {{{registry}}}, "packages": {{"left-pad": {{"version": "1.0.0", "sequence": 0, "tree": "{TREE}", "path": "node_modules/left-pad"{package_extra}}}}}}}"#
    )
}

fn reg(origin: &str, fields: &str) -> String {
    format!(r#""{origin}": {{{fields}}}"#)
}

fn good_fields() -> String {
    fields_for("o")
}

/// A registry pin for `origin`: a policy naming a log key of that name, and a checkpoint note
/// of that origin (parsed, not verified, when a lock is read).
fn fields_for(origin: &str) -> String {
    let vkey = omega_core::vkey::Vkey::ed25519(origin, [7; 32]).unwrap();
    let b64 = |n: usize, b: u8| {
        use base64ct::Encoding;
        base64ct::Base64::encode_string(&vec![b; n])
    };
    let note = format!(
        "{origin}\n1\n{}\n\n\u{2014} {origin} {}\n",
        b64(32, 1),
        b64(68, 2)
    );
    let json_str = |t: &str| serde_json::to_string(t).unwrap();
    format!(
        r#""url": "https://registry.example/omega/", "policy": {}, "max_age": 86400, "genesis": "{GENESIS}", "checkpoint": {}"#,
        json_str(&format!("log {vkey}\nquorum none\n")),
        json_str(&note)
    )
}

#[test]
fn version_1_reads_and_writes_back_as_version_2() {
    let lock = Lockfile::parse(v1().as_bytes()).unwrap();
    assert!(lock.registries.is_empty());
    assert!(lock.packages["left-pad"].registry.is_none());
    let out = String::from_utf8(lock.to_json_bytes()).unwrap();
    assert!(
        out.starts_with("{\n  \"omega-lock\": 2,\n  \"packages\""),
        "{out}"
    );
    let again = Lockfile::parse(out.as_bytes()).unwrap();
    assert_eq!(again, lock);
    assert_eq!(again.to_json_bytes(), out.as_bytes());
}

#[test]
fn version_2_round_trips_registries_and_entries() {
    let text = v2(
        &reg("example.org/omega", &fields_for("example.org/omega")),
        r#", "registry": "example.org/omega", "entry": 42"#,
    );
    let lock = Lockfile::parse(text.as_bytes()).unwrap();
    let pin = &lock.registries["example.org/omega"];
    assert_eq!(pin.max_age, 86400);
    assert_eq!(pin.url, "https://registry.example/omega/");
    assert!(pin.checkpoint.starts_with("example.org/omega\n1\n"));
    let r = lock.packages["left-pad"].registry.as_ref().unwrap();
    assert_eq!((r.origin.as_str(), r.entry), ("example.org/omega", 42));
    let out = lock.to_json_bytes();
    let back = Lockfile::parse(&out).unwrap();
    assert_eq!(back, lock);
    assert_eq!(back.to_json_bytes(), out);
    // The canonical form lists registries before packages.
    let s = String::from_utf8(out).unwrap();
    assert!(s.find("\"registries\"").unwrap() < s.find("\"packages\"").unwrap());
}

#[test]
fn version_2_fields_are_strict() {
    let good = good_fields();
    let bad: Vec<(String, ErrorCode)> = vec![
        // registries in a version-1 lock
        (
            v1().replace(
                r#""omega-lock": 1,"#,
                &format!(r#""omega-lock": 1, "registries": {{{}}},"#, reg("o", &good)),
            ),
            ErrorCode::Malformed,
        ),
        // registry/entry in a version-1 lock
        (
            v1().replace(
                r#""path": "node_modules/left-pad""#,
                r#""path": "node_modules/left-pad", "registry": "o", "entry": 1"#,
            ),
            ErrorCode::Malformed,
        ),
        // a package naming a registry the lock does not pin
        (
            v2("", r#", "registry": "nowhere", "entry": 1"#),
            ErrorCode::Malformed,
        ),
        // registry without entry, entry without registry
        (
            v2(&reg("o", &good), r#", "registry": "o""#),
            ErrorCode::Malformed,
        ),
        (
            v2(&reg("o", &good), r#", "entry": 3"#),
            ErrorCode::Malformed,
        ),
        // unknown field in a registry pin, duplicate registry
        (
            v2(&reg("o", &format!(r#"{good}, "x": 1"#)), ""),
            ErrorCode::Malformed,
        ),
        (
            v2(&format!("{}, {}", reg("o", &good), reg("o", &good)), ""),
            ErrorCode::Malformed,
        ),
        // bad origin, bad genesis, zero max_age, checkpoint not a note, url with a space
        (v2(&reg("has space", &good), ""), ErrorCode::Malformed),
        (
            v2(&reg("o", &good.replace(GENESIS, "00")), ""),
            ErrorCode::Malformed,
        ),
        (
            v2(&reg("o", &good.replace("86400", "0")), ""),
            ErrorCode::Malformed,
        ),
        (
            v2(
                &reg("o", &{
                    let cut = good.rfind(r#"\n""#).unwrap();
                    format!("{}\"", &good[..cut])
                }),
                "",
            ),
            ErrorCode::Malformed,
        ),
        (
            v2(
                &reg("o", &good.replace("https://registry", "https:// registry")),
                "",
            ),
            ErrorCode::Malformed,
        ),
        // a policy past the limit
        (
            v2(
                &reg(
                    "o",
                    &good.replace(
                        "quorum none",
                        &"#".repeat(omega_core::limits::MAX_POLICY_BYTES),
                    ),
                ),
                "",
            ),
            ErrorCode::TooLarge,
        ),
        // a pinned policy that does not parse, a checkpoint of another log
        (
            v2(&reg("o", &good.replace("quorum none", "quorum nobody")), ""),
            ErrorCode::Malformed,
        ),
        (
            v2(&reg("o", &fields_for("elsewhere")), ""),
            ErrorCode::Malformed,
        ),
        // RR17: a max_age above the limit (a registry frozen for ever), the limit itself is fine
        (
            v2(
                &reg(
                    "o",
                    &good.replace(
                        "86400",
                        &(omega_core::limits::MAX_REGISTRY_MAX_AGE + 1).to_string(),
                    ),
                ),
                "",
            ),
            ErrorCode::Malformed,
        ),
        (
            v2(&reg("o", &good.replace("86400", "1000000000000000")), ""),
            ErrorCode::Malformed,
        ),
        // RR18: two registries with the same url (also with a trailing slash or another case)
        (
            v2(
                &format!(
                    "{}, {}",
                    reg("a", &fields_for("a")),
                    reg("b", &fields_for("b"))
                ),
                "",
            ),
            ErrorCode::Malformed,
        ),
        (
            v2(
                &format!(
                    "{}, {}",
                    reg("a", &fields_for("a")),
                    reg(
                        "b",
                        &fields_for("b").replace(
                            "https://registry.example/omega/",
                            "HTTPS://registry.example/omega"
                        )
                    )
                ),
                "",
            ),
            ErrorCode::Malformed,
        ),
        // a newer version
        (
            v1().replace(r#""omega-lock": 1"#, r#""omega-lock": 3"#),
            ErrorCode::UnsupportedVersion,
        ),
    ];
    for (i, (text, want)) in bad.iter().enumerate() {
        let got = Lockfile::parse(text.as_bytes()).unwrap_err();
        assert_eq!(got.code(), *want, "case {i}: {got}\n{text}");
    }
    // The good form of each for comparison.
    Lockfile::parse(v2(&reg("o", &good), r#", "registry": "o", "entry": 0"#).as_bytes()).unwrap();
    let at_limit = good.replace(
        "86400",
        &omega_core::limits::MAX_REGISTRY_MAX_AGE.to_string(),
    );
    Lockfile::parse(v2(&reg("o", &at_limit), "").as_bytes()).unwrap();
    let two = format!(
        "{}, {}",
        reg("a", &fields_for("a")),
        reg(
            "b",
            &fields_for("b").replace("registry.example/omega/", "registry.example/b/")
        )
    );
    Lockfile::parse(v2(&two, "").as_bytes()).unwrap();
}

/// The optional `state` member of a registry pin (the SHA-256 of the saved registry state the
/// client wrote with it; threat model RR8): absent → `None` and not written back; present →
/// 64 lowercase hex, round-tripped; anything else is `MALFORMED`, and a duplicate is refused.
#[test]
fn registry_pin_state_is_optional_and_strict() {
    let origin = "example.org/omega";
    let plain = v2(&reg(origin, &fields_for(origin)), "");
    let lock = Lockfile::parse(plain.as_bytes()).unwrap();
    assert_eq!(lock.registries[origin].state, None);
    assert!(!String::from_utf8(lock.to_json_bytes())
        .unwrap()
        .contains("\"state\""));
    let hex = "ab".repeat(32);
    let with = v2(
        &reg(
            origin,
            &format!(r#"{}, "state": "{hex}""#, fields_for(origin)),
        ),
        "",
    );
    let lock = Lockfile::parse(with.as_bytes()).unwrap();
    assert_eq!(lock.registries[origin].state, Some([0xab; 32]));
    let out = lock.to_json_bytes();
    assert!(String::from_utf8(out.clone())
        .unwrap()
        .contains(&format!("\"state\": \"{hex}\"")));
    assert_eq!(Lockfile::parse(&out).unwrap(), lock);
    for bad in [
        format!(r#", "state": "{}""#, "AB".repeat(32)),
        format!(r#", "state": "{}""#, "ab".repeat(31)),
        r#", "state": 7"#.to_string(),
        r#", "state": null"#.to_string(),
        format!(r#", "state": "{hex}", "state": "{hex}""#),
    ] {
        let text = v2(&reg(origin, &format!("{}{bad}", fields_for(origin))), "");
        let e = Lockfile::parse(text.as_bytes()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Malformed, "{bad}: {e}");
    }
}
