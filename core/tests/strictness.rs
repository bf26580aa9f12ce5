//! Strict parsing and limits: each refusal carries its DESIGN code (one test per attack
//! family; negatives named `fail_*`).

use omega_core::limits::*;
use omega_core::lock::Lockfile;
use omega_core::{ErrorCode, PublicKey, SignatureBlock};

const KEY: &str = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";

fn code<T: std::fmt::Debug>(r: omega_core::Result<T>) -> ErrorCode {
    r.unwrap_err().code()
}

#[test]
fn error_codes_round_trip() {
    for c in ErrorCode::ALL {
        assert_eq!(ErrorCode::from_code(c.as_str()), Some(c));
    }
    assert_eq!(ErrorCode::from_code("malformed"), None);
    let e = omega_core::Error::new(
        ErrorCode::Rollback,
        "left-pad: sequence 1 not greater than 2",
    );
    assert_eq!(
        e.to_string(),
        "ROLLBACK: left-pad: sequence 1 not greater than 2"
    );
}

#[test]
fn public_key_forms() {
    let k = PublicKey::from_base64(KEY).unwrap();
    assert_eq!(k.to_base64(), KEY);
    assert_eq!(PublicKey::parse(k.to_file_text().as_bytes()).unwrap(), k);
    assert_eq!(PublicKey::parse(format!("{KEY}\n").as_bytes()).unwrap(), k);
    assert_eq!(
        PublicKey::parse(format!("untrusted comment: signify public key\r\n{KEY}\r\n").as_bytes())
            .unwrap(),
        k
    );
    // minisign prints the key id as the little-endian integer in uppercase hex.
    assert_eq!(k.key_id().to_string().len(), 16);
    assert!(k
        .key_id()
        .to_string()
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
}

#[test]
fn fail_public_key_variants() {
    assert_eq!(
        code(PublicKey::from_base64(&KEY[..55])),
        ErrorCode::Malformed
    );
    assert_eq!(
        code(PublicKey::from_base64(&format!("{KEY} "))),
        ErrorCode::Malformed
    );
    assert_eq!(
        code(PublicKey::parse(format!(" {KEY}").as_bytes())),
        ErrorCode::Malformed
    );
    // Trailing blank lines are ignored (as minisign does); other trailing text is not.
    assert_eq!(
        PublicKey::parse(format!("{KEY}\n\n").as_bytes()).unwrap(),
        PublicKey::from_base64(KEY).unwrap()
    );
    assert_eq!(
        code(PublicKey::parse(format!("c\n{KEY}\nextra\n").as_bytes())),
        ErrorCode::Malformed
    );
    assert_eq!(code(PublicKey::parse(b"")), ErrorCode::Malformed);
    assert_eq!(
        code(PublicKey::parse(&vec![b'a'; MAX_KEY_FILE_BYTES + 1])),
        ErrorCode::TooLarge
    );
    // Another algorithm tag ("Xx" instead of "Ed").
    use base64ct::{Base64, Encoding};
    let mut blob = Base64::decode_vec(KEY).unwrap();
    blob[0] = b'X';
    assert_eq!(
        code(PublicKey::from_base64(&Base64::encode_string(&blob))),
        ErrorCode::UnsupportedVersion
    );
}

#[test]
fn fail_signature_file_limits() {
    assert_eq!(
        code(SignatureBlock::parse_all(
            &vec![b'x'; MAX_SIGNATURE_FILE_BYTES + 1],
            "f"
        )),
        ErrorCode::TooLarge
    );
    let long = format!(
        "untrusted comment: {}\n",
        "x".repeat(MAX_UNTRUSTED_COMMENT_BYTES)
    );
    assert_eq!(
        code(SignatureBlock::parse_all(long.as_bytes(), "f")),
        ErrorCode::TooLarge
    );
    assert_eq!(
        code(SignatureBlock::parse_all(b"untrusted comment: x\n", "f")),
        ErrorCode::Malformed
    );
    assert_eq!(
        code(SignatureBlock::parse_all(b"\xff\xfe\n", "f")),
        ErrorCode::Malformed
    );
    assert_eq!(
        code(SignatureBlock::parse_all(b"untrusted comment: a\rb\n", "f")),
        ErrorCode::Malformed
    );
}

#[cfg(feature = "sign")]
#[test]
fn fail_too_many_signature_blocks() {
    let k = omega_core::secret::SecretKey::from_seed(&[1; 32], omega_core::KeyId([1; 8]));
    let block = k.sign(b"m", "t", "u").unwrap().to_text();
    let ok = block.repeat(MAX_SIGNATURE_BLOCKS);
    assert_eq!(
        SignatureBlock::parse_all(ok.as_bytes(), "f").unwrap().len(),
        MAX_SIGNATURE_BLOCKS
    );
    let over = block.repeat(MAX_SIGNATURE_BLOCKS + 1);
    assert_eq!(
        code(SignatureBlock::parse_all(over.as_bytes(), "f")),
        ErrorCode::TooLarge
    );
}

#[cfg(feature = "sign")]
#[test]
fn streaming_verification_equals_one_shot() {
    use omega_core::secret::{SecretKey, StreamSigner};
    use omega_core::{KeyId, LegacyPolicy, StreamVerifier};
    let k = SecretKey::from_seed(&[3; 32], KeyId([3; 8]));
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 31) as u8).collect();
    let mut s = StreamSigner::new();
    for c in data.chunks(65_537) {
        s.update(c);
    }
    let block = s.finalize(&k, "streamed", "u").unwrap();
    assert_eq!(
        block
            .verify(&k.public_key(), &data, LegacyPolicy::Refuse)
            .unwrap(),
        "streamed"
    );
    let pk = k.public_key();
    let mut v = StreamVerifier::new(&pk, &block, LegacyPolicy::Refuse).unwrap();
    for c in data.chunks(1 << 20) {
        v.update(c);
    }
    assert_eq!(v.finalize().unwrap(), "streamed");
    let mut v = StreamVerifier::new(&pk, &block, LegacyPolicy::Refuse).unwrap();
    v.update(&data[1..]);
    assert_eq!(
        v.finalize().unwrap_err().code(),
        ErrorCode::SignatureInvalid
    );
    // Key id and algorithm are checked before any hashing.
    let other = SecretKey::from_seed(&[4; 32], KeyId([4; 8])).public_key();
    assert_eq!(
        StreamVerifier::new(&other, &block, LegacyPolicy::Refuse)
            .err()
            .unwrap()
            .code(),
        ErrorCode::KeyNotTrusted
    );
    let legacy = k.sign_legacy(b"m", "t", "u").unwrap();
    assert_eq!(
        StreamVerifier::new(&pk, &legacy, LegacyPolicy::Refuse)
            .err()
            .unwrap()
            .code(),
        ErrorCode::LegacySignatureRefused
    );
}

#[cfg(feature = "sign")]
#[test]
fn secret_key_files_round_trip_and_refuse_wrong_passwords() {
    use omega_core::secret::{KeyProtection, SecretKey, SecretKeyFile};
    use omega_core::KeyId;
    let k = SecretKey::from_seed(&[5; 32], KeyId([9, 8, 7, 6, 5, 4, 3, 2]));
    let plain = k
        .to_file_text(KeyProtection::Unencrypted, "minisign secret key")
        .unwrap();
    let f = SecretKeyFile::parse(plain.as_bytes()).unwrap();
    assert!(!f.is_encrypted());
    assert_eq!(f.decrypt(None).unwrap().public_key(), k.public_key());
    let enc = k
        .to_file_text(
            KeyProtection::Password {
                password: b"correct horse",
                salt: [42; 32],
                opslimit: 1 << 16,
                memlimit: 1 << 20,
            },
            "minisign encrypted secret key",
        )
        .unwrap();
    let f = SecretKeyFile::parse(enc.as_bytes()).unwrap();
    assert!(f.is_encrypted());
    assert_eq!(
        f.decrypt(Some(b"correct horse")).unwrap().public_key(),
        k.public_key()
    );
    assert_eq!(
        f.decrypt(Some(b"wrong")).unwrap_err().code(),
        ErrorCode::Malformed
    );
    assert_eq!(f.decrypt(None).unwrap_err().code(), ErrorCode::Malformed);
    // Absurd scrypt parameters are refused before any work.
    let greedy = k
        .to_file_text(
            KeyProtection::Password {
                password: b"pw",
                salt: [1; 32],
                opslimit: 1 << 16,
                memlimit: 1 << 20,
            },
            "x",
        )
        .unwrap();
    let mut blob = {
        use base64ct::{Base64, Encoding};
        Base64::decode_vec(greedy.lines().nth(1).unwrap()).unwrap()
    };
    blob[38..46].copy_from_slice(&u64::MAX.to_le_bytes());
    blob[46..54].copy_from_slice(&u64::MAX.to_le_bytes());
    let text = {
        use base64ct::{Base64, Encoding};
        format!("untrusted comment: x\n{}\n", Base64::encode_string(&blob))
    };
    assert_eq!(
        SecretKeyFile::parse(text.as_bytes())
            .unwrap()
            .decrypt(Some(b"pw"))
            .unwrap_err()
            .code(),
        ErrorCode::TooLarge
    );
}

#[test]
fn fail_lock_file_variants() {
    let ok = br#"{"omega-lock": 1, "packages": {}}"#;
    assert!(Lockfile::parse(ok).unwrap().packages.is_empty());
    assert_eq!(
        code(Lockfile::parse(br#"{"omega-lock": 3, "packages": {}}"#)),
        ErrorCode::UnsupportedVersion
    );
    assert_eq!(
        code(Lockfile::parse(
            br#"{"omega-lock": 1, "packages": {}, "x": 1}"#
        )),
        ErrorCode::Malformed
    );
    assert_eq!(
        code(Lockfile::parse(br#"{"omega-lock": 1, "packages": {}} x"#)),
        ErrorCode::Malformed
    );
    assert_eq!(
        code(Lockfile::parse(
            br#"{"omega-lock": 1, "omega-lock": 1, "packages": {}}"#
        )),
        ErrorCode::Malformed
    );
    assert_eq!(
        code(Lockfile::parse(br#"{"packages": {}}"#)),
        ErrorCode::Malformed
    );
    assert_eq!(code(Lockfile::parse(b"not json")), ErrorCode::Malformed);
    let entry = r#"{"version": "1.0.0", "sequence": 1, "tree": "b2tree:49fb03e0ce1f219ec679c306b5d822af7a2a3ad9b74a5928549d3e83c858e7f2", "path": "node_modules/a"}"#;
    let dup = format!(r#"{{"omega-lock": 1, "packages": {{"a": {entry}, "a": {entry}}}}}"#);
    assert_eq!(code(Lockfile::parse(dup.as_bytes())), ErrorCode::Malformed);
    let one = format!(r#"{{"omega-lock": 1, "packages": {{"a": {entry}}}}}"#);
    assert_eq!(Lockfile::parse(one.as_bytes()).unwrap().packages.len(), 1);
    let nested_entry = entry.replace("node_modules/a", "node_modules/x/node_modules/a");
    let nested = format!(
        r#"{{"omega-lock": 1, "packages": {{"node_modules/x/node_modules/a": {nested_entry}}}}}"#
    );
    assert_eq!(
        Lockfile::parse(nested.as_bytes()).unwrap().packages.len(),
        1
    );
    // An entry's path is an install folder of its key (review F1: a path such as .git/hooks
    // made `omega install` lay a package out there), and one folder has one entry.
    for path in [".git/hooks", "src", "node_modules/b", "lib/node_modules/a"] {
        let e = entry.replace("node_modules/a", path);
        let lock = format!(r#"{{"omega-lock": 1, "packages": {{"a": {e}}}}}"#);
        assert_eq!(
            code(Lockfile::parse(lock.as_bytes())),
            ErrorCode::Malformed,
            "{path}"
        );
    }
    let e = entry.replace("node_modules/a", "node_modules/x/node_modules/b");
    let wrong =
        format!(r#"{{"omega-lock": 1, "packages": {{"node_modules/x/node_modules/a": {e}}}}}"#);
    assert_eq!(
        code(Lockfile::parse(wrong.as_bytes())),
        ErrorCode::Malformed
    );
    let twice =
        format!(r#"{{"omega-lock": 1, "packages": {{"a": {entry}, "node_modules/a": {entry}}}}}"#);
    assert_eq!(
        code(Lockfile::parse(twice.as_bytes())),
        ErrorCode::Malformed
    );
    let traversal = entry.replace("node_modules/a", "../../etc");
    let bad = format!(r#"{{"omega-lock": 1, "packages": {{"a": {traversal}}}}}"#);
    assert_eq!(code(Lockfile::parse(bad.as_bytes())), ErrorCode::UnsafePath);
    let badkey = format!(r#"{{"omega-lock": 1, "packages": {{"../evil": {entry}}}}}"#);
    assert_ne!(Lockfile::parse(badkey.as_bytes()).map(|_| ()), Ok(()));
}
