//! tests/vectors/minisign.json: minisign signatures, good and bad.

use super::*;

pub fn minisign_vectors() -> Vec<Value> {
    let (a, b) = (key(1), key(2));
    let msg = b"hello, omega\n".to_vec();
    let good = a
        .sign(
            &msg,
            "timestamp:1767225600\tfile:hello.txt\thashed",
            "signature from omega secret key",
        )
        .expect("sign");
    let legacy = a
        .sign_legacy(&msg, "legacy signature", "signature from omega secret key")
        .expect("sign");
    let mut cases = Vec::new();
    let mut case = |name: &str,
                    pk: String,
                    message: &[u8],
                    sig: String,
                    legacy_ok: bool,
                    expect: Result<&str, ErrorCode>| {
        let policy = if legacy_ok {
            LegacyPolicy::Allow
        } else {
            LegacyPolicy::Refuse
        };
        let got = PublicKey::parse(pk.as_bytes())
            .and_then(|k| verify_detached(&k, message, sig.as_bytes(), policy));
        match (&got, &expect) {
            (Ok(tc), Ok(want)) => assert_eq!(tc, want, "minisign vector {name}"),
            (Err(e), Err(code)) => assert_eq!(e.code(), *code, "minisign vector {name}: {e}"),
            _ => panic!("minisign vector {name}: got {got:?}, intended {expect:?}"),
        }
        let expect = match expect {
            Ok(tc) => json!({"trusted_comment": tc}),
            Err(code) => err_json(code),
        };
        cases.push(json!({"name": name, "public_key": pk, "message_hex": to_hex(message), "signature": sig, "legacy": legacy_ok, "expect": expect}));
    };
    let pk_file = a.public_key().to_file_text();
    let pk_bare = a.public_key().to_base64();
    let tc = good.trusted_comment().to_string();
    case(
        "prehashed_key_file",
        pk_file.clone(),
        &msg,
        good.to_text(),
        false,
        Ok(&tc),
    );
    case(
        "prehashed_bare_key",
        pk_bare.clone(),
        &msg,
        good.to_text(),
        false,
        Ok(&tc),
    );
    case(
        "crlf_line_endings",
        pk_file.replace('\n', "\r\n"),
        &msg,
        good.to_text().replace('\n', "\r\n"),
        false,
        Ok(&tc),
    );
    case(
        "no_final_newline",
        pk_bare.clone(),
        &msg,
        good.to_text().trim_end().to_string(),
        false,
        Ok(&tc),
    );
    case(
        "any_untrusted_comment",
        pk_bare.clone(),
        &msg,
        good.to_text()
            .replacen("signature from omega secret key", "anything at all: ☃", 1),
        false,
        Ok(&tc),
    );
    let two = format!(
        "{}{}",
        b.sign(&msg, "by b", "b").expect("sign").to_text(),
        good.to_text()
    );
    case(
        "multi_block_picks_own_key",
        pk_bare.clone(),
        &msg,
        two,
        false,
        Ok(&tc),
    );
    case(
        "legacy_allowed",
        pk_bare.clone(),
        &msg,
        legacy.to_text(),
        true,
        Ok("legacy signature"),
    );
    case(
        "fail_legacy_refused",
        pk_bare.clone(),
        &msg,
        legacy.to_text(),
        false,
        Err(ErrorCode::LegacySignatureRefused),
    );
    case(
        "fail_tampered_message",
        pk_bare.clone(),
        b"hello, omega!\n",
        good.to_text(),
        false,
        Err(ErrorCode::SignatureInvalid),
    );
    case(
        "fail_tampered_trusted_comment",
        pk_bare.clone(),
        &msg,
        good.to_text().replace("hello.txt", "other.txt"),
        false,
        Err(ErrorCode::SignatureInvalid),
    );
    case(
        "fail_wrong_key",
        b.public_key().to_base64(),
        &msg,
        good.to_text(),
        false,
        Err(ErrorCode::KeyNotTrusted),
    );
    let lines: Vec<&str> = good
        .to_text()
        .lines()
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .leak()
        .iter()
        .map(|s| s.as_str())
        .collect();
    case(
        "fail_truncated_block",
        pk_bare.clone(),
        &msg,
        format!("{}\n{}\n", lines[0], lines[1]),
        false,
        Err(ErrorCode::Malformed),
    );
    case(
        "trailing_blank_lines_ignored",
        pk_bare.clone(),
        &msg,
        format!("{}\n  \r\n", good.to_text()),
        false,
        Ok(&tc),
    );
    case(
        "public_key_first_line_any_text",
        format!("my release key\n{pk_bare}\n\n"),
        &msg,
        good.to_text(),
        false,
        Ok(&tc),
    );
    case(
        "fail_text_after_block",
        pk_bare.clone(),
        &msg,
        format!("{}garbage\n", good.to_text()),
        false,
        Err(ErrorCode::Malformed),
    );
    case(
        "fail_missing_untrusted_prefix",
        pk_bare.clone(),
        &msg,
        good.to_text()
            .replacen("untrusted comment: ", "comment: ", 1),
        false,
        Err(ErrorCode::Malformed),
    );
    case(
        "fail_missing_trusted_prefix",
        pk_bare.clone(),
        &msg,
        format!(
            "{}\n{}\ntrusted: {}\n{}\n",
            lines[0],
            lines[1],
            &lines[2]["trusted comment: ".len()..],
            lines[3]
        ),
        false,
        Err(ErrorCode::Malformed),
    );
    case(
        "fail_bad_base64",
        pk_bare.clone(),
        &msg,
        format!(
            "{}\n{}!\n{}\n{}\n",
            lines[0],
            &lines[1][..lines[1].len() - 1],
            lines[2],
            lines[3]
        ),
        false,
        Err(ErrorCode::Malformed),
    );
    // An unknown algorithm tag: base64 of "Xx" || key id || 64 zero bytes.
    let mut blob = vec![b'X', b'x'];
    blob.extend_from_slice(&a.key_id().0);
    blob.extend_from_slice(&[0u8; 64]);
    use base64ct::{Base64, Encoding};
    case(
        "fail_unknown_algorithm",
        pk_bare.clone(),
        &msg,
        format!(
            "{}\n{}\n{}\n{}\n",
            lines[0],
            Base64::encode_string(&blob),
            lines[2],
            lines[3]
        ),
        false,
        Err(ErrorCode::UnsupportedVersion),
    );
    case(
        "fail_malformed_public_key",
        "RWQnotakey".into(),
        &msg,
        good.to_text(),
        false,
        Err(ErrorCode::Malformed),
    );
    case(
        "fail_public_key_trailing_data",
        format!("{pk_file}extra\n"),
        &msg,
        good.to_text(),
        false,
        Err(ErrorCode::Malformed),
    );
    case(
        "fail_empty_signature_file",
        pk_bare,
        &msg,
        String::new(),
        false,
        Err(ErrorCode::Malformed),
    );
    cases
}
