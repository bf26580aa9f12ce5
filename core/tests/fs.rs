//! The filesystem walk (feature `std`): digests agree with the shell recipe in
//! scripts/b2tree.sh, special files are refused, `.omega/` is excluded only at the top.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use omega_core::fs::{check_dir, digest_dir, read_package};
use omega_core::{ErrorCode, Pins};

fn write(root: &Path, rel: &str, data: &[u8], mode: u32) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, data).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
}

fn shell_digest(dir: &Path) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/b2tree.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(dir)
        .output()
        .expect("run scripts/b2tree.sh (needs bash, b2sum)");
    assert!(
        out.status.success(),
        "b2tree.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn digest_matches_shell_recipe() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "a.txt", b"hello\n", 0o644);
    write(r, "bin/run.sh", b"#!/bin/sh\necho hi\n", 0o755);
    write(r, "sub dir/b.txt", b"", 0o644);
    write(r, ".omega/manifest.json", b"{}", 0o644);
    let got = digest_dir(r).unwrap().to_string();
    assert_eq!(
        got,
        "b2tree:130036ea55b1b15aba1af4aafbf6ffb086ef9e8ea64dac5280520a2760b8893d"
    );
    assert_eq!(got, shell_digest(r));
    // A larger, varied tree: many directories, odd names, sizes across buffer boundaries.
    for i in 0..300u32 {
        let size = (i as usize * 7919) % (600 * 1024);
        let data: Vec<u8> = (0..size).map(|j| (j as u32 ^ i) as u8).collect();
        write(
            r,
            &format!("d{}/sub {}/f-{i}.bin", i % 7, i % 3),
            &data,
            if i % 5 == 0 { 0o755 } else { 0o644 },
        );
    }
    write(r, "Z-upper", b"z", 0o644);
    write(r, "_under", b"u", 0o644);
    write(r, "ünïcode/ファイル", b"u", 0o600);
    write(r, "sub/.omega/kept", b"nested .omega is content", 0o644);
    assert_eq!(digest_dir(r).unwrap().to_string(), shell_digest(r));
}

#[test]
fn empty_directory_and_empty_subdirs() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir_all(d.path().join("a/b/c")).unwrap();
    assert_eq!(
        digest_dir(d.path()).unwrap().to_string(),
        "b2tree:49fb03e0ce1f219ec679c306b5d822af7a2a3ad9b74a5928549d3e83c858e7f2"
    );
}

#[test]
fn symlinks_are_refused_anywhere() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a/real.txt", b"x", 0o644);
    std::os::unix::fs::symlink("real.txt", d.path().join("a/link.txt")).unwrap();
    let e = digest_dir(d.path()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnsupportedFileType, "{e}");
    assert!(e.message().contains("a/link.txt"), "{e}");
    // A symlinked directory too.
    let d2 = tempfile::tempdir().unwrap();
    write(d2.path(), "x", b"x", 0o644);
    std::os::unix::fs::symlink("/etc", d2.path().join("etc")).unwrap();
    assert_eq!(
        digest_dir(d2.path()).unwrap_err().code(),
        ErrorCode::UnsupportedFileType
    );
    // Even a dangling symlink named .omega at the top.
    let d3 = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/nonexistent", d3.path().join(".omega")).unwrap();
    assert_eq!(
        digest_dir(d3.path()).unwrap_err().code(),
        ErrorCode::UnsupportedFileType
    );
}

#[test]
fn fifos_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let st = Command::new("mkfifo")
        .arg(d.path().join("pipe"))
        .status()
        .expect("mkfifo");
    assert!(st.success());
    assert_eq!(
        digest_dir(d.path()).unwrap_err().code(),
        ErrorCode::UnsupportedFileType
    );
}

#[test]
fn non_utf8_names_are_unsafe() {
    use std::os::unix::ffi::OsStrExt;
    let d = tempfile::tempdir().unwrap();
    fs::write(
        d.path().join(std::ffi::OsStr::from_bytes(b"bad\xffname")),
        b"x",
    )
    .unwrap();
    assert_eq!(
        digest_dir(d.path()).unwrap_err().code(),
        ErrorCode::UnsafePath
    );
}

#[test]
fn control_characters_and_case_collisions_are_unsafe() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "new\nline", b"x", 0o644);
    assert_eq!(
        digest_dir(d.path()).unwrap_err().code(),
        ErrorCode::UnsafePath
    );
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "Readme", b"x", 0o644);
    write(d.path(), "README", b"y", 0o644);
    assert_eq!(
        digest_dir(d.path()).unwrap_err().code(),
        ErrorCode::UnsafePath
    );
}

#[test]
fn missing_directory_is_not_found() {
    assert_eq!(
        digest_dir(Path::new("/nonexistent/omega"))
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
}

#[test]
fn digest_only_check_of_a_directory() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "index.js", b"module.exports = 1\n", 0o644);
    let digest = digest_dir(d.path()).unwrap();
    let report = check_dir(d.path(), &Pins::digest(digest)).unwrap();
    assert_eq!(report.tree, digest);
    write(d.path(), "index.js", b"module.exports = 2\n", 0o644);
    let e = check_dir(d.path(), &Pins::digest(digest)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DigestMismatch);
    assert_eq!(e.report().unwrap().problems.len(), 1);
}

#[test]
fn oversized_manifest_is_refused_before_parsing() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "index.js", b"x", 0o644);
    let f = fs::File::create(d.path().join(".omega/manifest.json"))
        .map(|_| ())
        .or_else(|_| {
            fs::create_dir_all(d.path().join(".omega"))?;
            fs::File::create(d.path().join(".omega/manifest.json")).map(|_| ())
        });
    f.unwrap();
    let file = fs::OpenOptions::new()
        .write(true)
        .open(d.path().join(".omega/manifest.json"))
        .unwrap();
    file.set_len(omega_core::limits::MAX_MANIFEST_BYTES as u64 + 1)
        .unwrap();
    assert_eq!(
        read_package(d.path()).unwrap_err().code(),
        ErrorCode::TooLarge
    );
}

#[cfg(feature = "sign")]
#[test]
fn signed_package_directory_end_to_end() {
    use omega_core::manifest::{KeySet, Manifest, MANIFEST_PATH, SIGNATURE_PATH};
    use omega_core::secret::SecretKey;
    use omega_core::KeyId;
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "index.js", b"module.exports = 'pad';\n", 0o644);
    write(r, "bin/pad", b"#!/bin/sh\n", 0o755);
    let k = SecretKey::from_seed(&[7; 32], KeyId([7; 8]));
    let listing = omega_core::fs::read_tree(r).unwrap();
    let m = Manifest::new(
        "left-pad",
        "1.0.0",
        1,
        &listing,
        Default::default(),
        KeySet {
            threshold: 1,
            signers: vec![k.public_key()],
            next: vec![],
        },
    )
    .unwrap();
    let bytes = m.to_json_bytes();
    write(r, MANIFEST_PATH, &bytes, 0o644);
    write(
        r,
        SIGNATURE_PATH,
        k.sign(&bytes, "t", "u").unwrap().to_text().as_bytes(),
        0o644,
    );
    let pins = Pins {
        digest: Some(m.tree),
        ..Pins::keys(vec![k.public_key()], 1)
    };
    let report = check_dir(r, &pins).unwrap();
    assert_eq!(report.signed_by, vec![k.public_key()]);
    // Tamper, add, remove: every problem is reported, in path order.
    write(r, "index.js", b"evil\n", 0o644);
    write(r, "aaa.js", b"new\n", 0o644);
    fs::remove_file(r.join("bin/pad")).unwrap();
    let e = check_dir(r, &pins).unwrap_err();
    let codes: Vec<_> = e
        .report()
        .unwrap()
        .problems
        .iter()
        .map(|p| (p.code, p.path.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (ErrorCode::FileExtra, "aaa.js".into()),
            (ErrorCode::FileMissing, "bin/pad".into()),
            (ErrorCode::FileChanged, "index.js".into())
        ]
    );
    assert_eq!(e.code(), ErrorCode::FileExtra);
}

#[cfg(feature = "sign")]
#[test]
fn verify_file_streams_and_picks_the_block_for_the_key() {
    use omega_core::fs::verify_file;
    use omega_core::secret::SecretKey;
    use omega_core::{KeyId, LegacyPolicy};
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("release.bin");
    let data: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(&file, &data).unwrap();
    let a = SecretKey::from_seed(&[1; 32], KeyId([1; 8]));
    let b = SecretKey::from_seed(&[2; 32], KeyId([2; 8]));
    // A legacy block then a prehashed block by the same key, and a block by another key.
    let text = format!(
        "{}{}{}",
        b.sign(&data, "by b", "u").unwrap().to_text(),
        a.sign_legacy(&data, "legacy by a", "u").unwrap().to_text(),
        a.sign(&data, "prehashed by a", "u").unwrap().to_text()
    );
    fs::write(d.path().join("release.bin.minisig"), &text).unwrap();
    assert_eq!(
        verify_file(&file, &a.public_key(), None, LegacyPolicy::Refuse).unwrap(),
        "prehashed by a"
    );
    assert_eq!(
        verify_file(&file, &a.public_key(), None, LegacyPolicy::Allow).unwrap(),
        "legacy by a"
    );
    assert_eq!(
        verify_file(&file, &b.public_key(), None, LegacyPolicy::Refuse).unwrap(),
        "by b"
    );
    // The same rule in memory.
    assert_eq!(
        omega_core::verify_detached(
            &a.public_key(),
            &data,
            text.as_bytes(),
            LegacyPolicy::Refuse
        )
        .unwrap(),
        "prehashed by a"
    );
    let c = SecretKey::from_seed(&[3; 32], KeyId([3; 8]));
    assert_eq!(
        verify_file(&file, &c.public_key(), None, LegacyPolicy::Refuse)
            .unwrap_err()
            .code(),
        ErrorCode::KeyNotTrusted
    );
    // Only a legacy block by the key: the legacy refusal, not "no block".
    let only_legacy = d.path().join("legacy.minisig");
    fs::write(
        &only_legacy,
        a.sign_legacy(&data, "l", "u").unwrap().to_text(),
    )
    .unwrap();
    assert_eq!(
        verify_file(
            &file,
            &a.public_key(),
            Some(&only_legacy),
            LegacyPolicy::Refuse
        )
        .unwrap_err()
        .code(),
        ErrorCode::LegacySignatureRefused
    );
    fs::write(&file, b"tampered").unwrap();
    assert_eq!(
        verify_file(&file, &a.public_key(), None, LegacyPolicy::Refuse)
            .unwrap_err()
            .code(),
        ErrorCode::SignatureInvalid
    );
    assert_eq!(
        verify_file(
            &d.path().join("absent"),
            &a.public_key(),
            None,
            LegacyPolicy::Refuse
        )
        .unwrap_err()
        .code(),
        ErrorCode::NotFound
    );
}

#[test]
fn check_dir_refuses_bad_pins_before_reading() {
    let e = check_dir(Path::new("/nonexistent/never-read"), &Pins::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotTrusted);
}

/// Makes `rel` a sparse file of `size` bytes: instant to create, and it would take seconds per
/// GiB (hours per TiB) to hash.
fn sparse(root: &Path, rel: &str, size: u64) {
    let f = fs::File::create(root.join(rel)).unwrap();
    f.set_len(size).unwrap();
}

const HUGE: u64 = 2 * omega_core::limits::MAX_FILE_BYTES + 1; // 2 GiB + 1 byte

#[test]
fn fail_sparse_huge_file_refused_on_its_size() {
    use omega_core::fs::verify_dir;
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "index.js", b"x\n", 0o644);
    let pin = digest_dir(r).unwrap();
    sparse(r, "huge.bin", HUGE);
    // Every caller that has to read every file refuses it on its fstat size, naming it, and
    // returns: nothing reads 2 GiB here.
    for e in [
        digest_dir(r).unwrap_err(),
        check_dir(r, &Pins::digest(pin)).unwrap_err(),
        verify_dir(r, &Pins::digest(pin)).unwrap_err(),
        read_package(r).unwrap_err(),
    ] {
        assert_eq!(e.code(), ErrorCode::TooLarge, "{e}");
        assert!(e.message().contains("\"huge.bin\""), "{e}");
    }
}

#[cfg(feature = "sign")]
fn signed_package(r: &Path) -> (omega_core::Manifest, omega_core::secret::SecretKey) {
    use omega_core::manifest::{KeySet, Manifest, MANIFEST_PATH, SIGNATURE_PATH};
    use omega_core::secret::SecretKey;
    use omega_core::KeyId;
    write(r, "index.js", b"module.exports = 'pad';\n", 0o644);
    write(r, "lib/util.js", b"exports.u = 1;\n", 0o644);
    write(r, "bin/pad", b"#!/bin/sh\n", 0o755);
    let k = SecretKey::from_seed(&[7; 32], KeyId([7; 8]));
    let m = Manifest::new(
        "left-pad",
        "1.0.0",
        1,
        &omega_core::fs::read_tree(r).unwrap(),
        Default::default(),
        KeySet {
            threshold: 1,
            signers: vec![k.public_key()],
            next: vec![],
        },
    )
    .unwrap();
    let bytes = m.to_json_bytes();
    write(r, MANIFEST_PATH, &bytes, 0o644);
    let sig = k.sign(&bytes, "t", "u").unwrap().to_text();
    write(r, SIGNATURE_PATH, sig.as_bytes(), 0o644);
    (m, k)
}

/// A verdict-only check (`verify_dir`) compares sizes with the signed manifest before hashing
/// and stops at the first extra or resized file: a 2 GiB sparse file costs it one fstat, and
/// it never even measures a file after the first problem. `check_dir`, whose product is the
/// report of every problem, must read every file and so refuses the same file as TOO_LARGE.
#[cfg(feature = "sign")]
#[test]
fn fail_sparse_file_in_signed_package_stops_verdict_at_its_size() {
    use omega_core::fs::verify_dir;
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let (m, k) = signed_package(r);
    let pins = Pins {
        digest: Some(m.tree),
        ..Pins::keys(vec![k.public_key()], 1)
    };
    assert_eq!(verify_dir(r, &pins).unwrap(), check_dir(r, &pins).unwrap());

    // An extra 2 GiB sparse file: FILE_EXTRA from its path alone (had it been hashed or even
    // measured against the limit, the answer would be TOO_LARGE).
    sparse(r, "zz-huge.bin", HUGE);
    let e = verify_dir(r, &pins).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FileExtra, "{e}");
    assert!(e.message().contains("\"zz-huge.bin\""), "{e}");
    assert!(e.report().is_none());
    let e = check_dir(r, &pins).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooLarge, "{e}");
    assert!(e.message().contains("\"zz-huge.bin\""), "{e}");

    // A listed file grown to 2 GiB (sparse): FILE_CHANGED on its size, first in path order.
    sparse(r, "index.js", HUGE);
    let e = verify_dir(r, &pins).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FileChanged, "{e}");
    assert!(e.message().contains("\"index.js\""), "{e}");
    fs::remove_file(r.join("zz-huge.bin")).unwrap();
    let e = check_dir(r, &pins).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooLarge, "{e}");

    // Signatures come before any file: with another key pinned, the verdict is KEY_NOT_TRUSTED
    // although index.js is still 2 GiB; check_dir first had to read the files.
    let other = omega_core::secret::SecretKey::from_seed(&[8; 32], omega_core::KeyId([8; 8]));
    let e = verify_dir(r, &Pins::keys(vec![other.public_key()], 1)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::KeyNotTrusted, "{e}");
    let e = check_dir(r, &Pins::keys(vec![other.public_key()], 1)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooLarge, "{e}");
}

/// Within the limits, `verify_dir` gives exactly `check_dir`'s verdict: the code and message of
/// its report's first problem.
#[cfg(feature = "sign")]
#[test]
fn verify_dir_agrees_with_the_first_problem_of_check_dir() {
    use omega_core::fs::verify_dir;
    type Tamper = fn(&Path);
    let tampers: Vec<(&str, Tamper)> = vec![
        ("same size, other bytes", |r| {
            write(r, "lib/util.js", b"exports.u = 2;\n", 0o644)
        }),
        ("other size", |r| {
            write(r, "lib/util.js", b"evil()\n", 0o644)
        }),
        ("kind", |r| {
            write(r, "lib/util.js", b"exports.u = 1;\n", 0o755)
        }),
        ("extra", |r| write(r, "lib/extra.js", b"evil()\n", 0o644)),
        ("missing", |r| fs::remove_file(r.join("bin/pad")).unwrap()),
        ("two problems", |r| {
            write(r, "index.js", b"module.exports = 'bad';\n", 0o644);
            write(r, "aaa.js", b"", 0o644);
        }),
        ("bad signature", |r| {
            let p = r.join(omega_core::manifest::SIGNATURE_PATH);
            let mut t = fs::read_to_string(&p).unwrap();
            t = t.replace("trusted comment: t", "trusted comment: x");
            fs::write(p, t).unwrap();
        }),
    ];
    for (name, tamper) in tampers {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        let (m, k) = signed_package(r);
        tamper(r);
        for pins in [
            Pins {
                digest: Some(m.tree),
                ..Pins::keys(vec![k.public_key()], 1)
            },
            Pins::keys(vec![k.public_key()], 1),
        ] {
            let full = check_dir(r, &pins).unwrap_err();
            let first = &full.report().unwrap().problems[0];
            let quick = verify_dir(r, &pins).unwrap_err();
            assert_eq!(
                (quick.code(), quick.message()),
                (first.code, first.message.as_str()),
                "{name}"
            );
        }
    }
    // A digest pin that the (genuine, signed) files do not match: DIGEST_MISMATCH from both.
    let d = tempfile::tempdir().unwrap();
    let (_, k) = signed_package(d.path());
    let wrong = omega_core::TreeDigest::parse(&format!("b2tree:{}", "0".repeat(64))).unwrap();
    let pins = Pins {
        digest: Some(wrong),
        ..Pins::keys(vec![k.public_key()], 1)
    };
    assert_eq!(
        verify_dir(d.path(), &pins).unwrap_err().code(),
        ErrorCode::DigestMismatch
    );
    assert_eq!(
        check_dir(d.path(), &pins).unwrap_err().code(),
        ErrorCode::DigestMismatch
    );
}

/// Files around the read buffer's size (one read short of it, exactly it, one byte over, two
/// buffers) hash like the same bytes in memory: the read loop that stops on a short read at
/// the `fstat` size neither drops nor repeats a byte.
#[test]
fn files_around_the_read_buffer_size_hash_like_their_bytes() {
    use omega_core::fs::{hash_file, READ_BUFFER_BYTES};
    let dir = tempfile::tempdir().unwrap();
    let mut buf = vec![0u8; READ_BUFFER_BYTES];
    for size in [
        0,
        1,
        READ_BUFFER_BYTES - 1,
        READ_BUFFER_BYTES,
        READ_BUFFER_BYTES + 1,
        2 * READ_BUFFER_BYTES,
        2 * READ_BUFFER_BYTES + 7,
    ] {
        let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let rel = format!("f{size}");
        write(dir.path(), &rel, &data, 0o644);
        let entry = hash_file(
            &dir.path().join(&rel),
            &omega_core::tree::RelPath::new(rel.clone()).unwrap(),
            &mut buf,
        )
        .unwrap();
        assert_eq!(entry.size, size as u64, "{rel}");
        assert_eq!(entry.hash, omega_core::hash::blake2b256(&data), "{rel}");
    }
}

/// `stream_file` gives every byte once, in order, on both of its paths: inline below
/// `READ_AHEAD_MIN_BYTES` and through the reading thread from it on (sizes around the threshold
/// and around the buffer size, so the last chunk is short, full or a single byte).
#[test]
fn stream_file_feeds_every_byte_in_order_inline_and_read_ahead() {
    use omega_core::fs::{stream_file, READ_AHEAD_MIN_BYTES, READ_BUFFER_BYTES};
    let dir = tempfile::tempdir().unwrap();
    let min = READ_AHEAD_MIN_BYTES as usize;
    for size in [
        0,
        READ_BUFFER_BYTES + 1,
        min - 1,
        min,
        min + 1,
        min + 5 * READ_BUFFER_BYTES,
        min + 5 * READ_BUFFER_BYTES + 3,
    ] {
        // Not periodic in the buffer size: a repeated or dropped chunk changes the hash.
        let data: Vec<u8> = (0..size as u64)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let path = dir.path().join(format!("s{size}"));
        fs::write(&path, &data).unwrap();
        let mut got = omega_core::hash::Blake2b512::new();
        let mut seen = 0usize;
        stream_file(&path, fs::File::open(&path).unwrap(), |chunk| {
            assert!(!chunk.is_empty() && chunk.len() <= READ_BUFFER_BYTES);
            seen += chunk.len();
            got.update(chunk);
        })
        .unwrap();
        assert_eq!(seen, size, "s{size}");
        assert_eq!(
            got.finalize(),
            omega_core::hash::blake2b512(&data),
            "s{size}"
        );
    }
}

/// A sink that panics mid-file on the read-ahead path unwinds to the caller: the reading thread
/// sees the hasher's ends of its channels dropped and returns, so the scope's join cannot hang
/// (the test would time out) and the panic is the caller's to catch.
#[test]
fn stream_file_read_ahead_unwinds_when_the_sink_panics() {
    use omega_core::fs::{stream_file, READ_AHEAD_MIN_BYTES, READ_BUFFER_BYTES};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big");
    fs::write(
        &path,
        vec![7u8; READ_AHEAD_MIN_BYTES as usize + 9 * READ_BUFFER_BYTES],
    )
    .unwrap();
    let f = fs::File::open(&path).unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut chunks = 0;
        let _ = stream_file(&path, f, |_| {
            chunks += 1;
            assert!(chunks < 3, "the sink gives up on its third chunk");
        });
    }));
    assert!(caught.is_err(), "the sink's panic reaches the caller");
}

/// Sequential and parallel hashing list the same tree (many directories, one larger than a
/// pool batch), and when several files fail the error names the first in path order, every
/// run: the parallel walk hands files to the pool as it finds them, in directory order, and
/// threads finish in any order.
#[test]
fn parallel_listing_and_first_error_do_not_depend_on_timing() {
    use omega_core::fs::{hash_files, read_tree_with, walk, Hashing};
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    for dir in 0..12 {
        fs::create_dir_all(r.join(format!("d{dir:02}/sub"))).unwrap();
        for f in 0..(if dir == 3 { 150 } else { 7 }) {
            write(
                r,
                &format!("d{dir:02}/f{f:03}.js"),
                format!("{dir}/{f}").as_bytes(),
                0o644,
            );
        }
        write(r, &format!("d{dir:02}/sub/run"), b"#!/bin/sh\n", 0o755);
    }
    let seq = read_tree_with(r, Hashing::Sequential).unwrap();
    let par = read_tree_with(r, Hashing::Parallel).unwrap();
    assert_eq!(seq.entries().len(), 12 * 8 + 143);
    assert_eq!(seq.entries(), par.entries());
    assert_eq!(seq.digest(), par.digest());

    // Three files over the size limit. In path order the first two sit either side of the
    // middle of the 242-file list, where rayon splits it between two threads: the thread that
    // starts in the middle meets the second one almost at once, the other meets the first after
    // 119 files. The error still names the first, every run.
    sparse(r, "d11/zz.bin", HUGE);
    sparse(r, "d03/f094z.bin", HUGE);
    sparse(r, "d03/f096z.bin", HUGE);
    let files = walk(r).unwrap();
    for _ in 0..20 {
        for e in [
            read_tree_with(r, Hashing::Parallel).unwrap_err(),
            read_tree_with(r, Hashing::Sequential).unwrap_err(),
            hash_files(&files, Hashing::Parallel).unwrap_err(),
        ] {
            assert_eq!(e.code(), ErrorCode::TooLarge, "{e}");
            assert!(e.message().contains("\"d03/f094z.bin\""), "{e}");
        }
    }
}

/// Bytes this process has read so far (`rchar` of /proc/self/io: every thread, every `read`).
#[cfg(target_os = "linux")]
fn bytes_read_by_this_process() -> u64 {
    let io = fs::read_to_string("/proc/self/io").unwrap();
    io.lines()
        .find_map(|l| l.strip_prefix("rchar: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Review (atk7): the parallel listing hands files to the pool while it walks; a refusal of the
/// walk met late (here a link in a folder walked after 96 files of 32 MiB) was the verdict, but
/// only after every file found before it had been hashed (3 GiB here; 100,000 files of up to
/// 1 GiB each in general), where the sequential walk refuses before reading a byte. Once the
/// walk refuses, the batches still queued read nothing more.
#[cfg(target_os = "linux")]
#[test]
fn review_a_late_walk_refusal_does_not_hash_the_files_found_before_it() {
    use omega_core::fs::{read_tree_with, Hashing};
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    for i in 0..96 {
        sparse(r, &format!("f{i:02}.bin"), 32 << 20); // no disk: holes read as zeros
    }
    fs::create_dir(r.join("z")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", r.join("z/link")).unwrap();
    let seq = read_tree_with(r, Hashing::Sequential).unwrap_err();
    let before = bytes_read_by_this_process();
    let par = read_tree_with(r, Hashing::Parallel).unwrap_err();
    let read = bytes_read_by_this_process() - before;
    assert_eq!(par.code(), ErrorCode::UnsupportedFileType, "{par}");
    assert_eq!(par.message(), seq.message());
    // The files a pool thread had started when the walk refused (one each, a few at most);
    // other tests of this binary read a few MiB meanwhile.
    assert!(
        read < 1 << 30,
        "{read} bytes read before the walk's refusal"
    );
}

/// Review (atk7): one file more than `MAX_FILES` is refused the same way by the sequential
/// listing (walk, then hash) and the parallel one (hashing while it walks, then the walk's
/// refusal wins): `TOO_LARGE` naming the limit, never a listing of the first `MAX_FILES`.
#[test]
fn one_file_more_than_max_files_is_refused_by_both_listings() {
    use omega_core::fs::{read_tree_with, Hashing};
    use omega_core::limits::MAX_FILES;
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let per_dir = 1000;
    for i in 0..=MAX_FILES {
        let dir = r.join(format!("d{:03}", i / per_dir));
        if i % per_dir == 0 {
            fs::create_dir(&dir).unwrap();
        }
        fs::File::create(dir.join(format!("f{i}"))).unwrap();
    }
    let seq = read_tree_with(r, Hashing::Sequential).unwrap_err();
    let par = read_tree_with(r, Hashing::Parallel).unwrap_err();
    assert_eq!(seq.code(), ErrorCode::TooLarge, "{seq}");
    assert_eq!(par.code(), ErrorCode::TooLarge, "{par}");
    assert_eq!(seq.message(), par.message());
    assert!(
        par.message()
            .contains(&format!("more than {MAX_FILES} files")),
        "{par}"
    );
    // One file fewer: both list the same tree.
    fs::remove_file(r.join("d000/f0")).unwrap();
    let seq = read_tree_with(r, Hashing::Sequential).unwrap();
    let par = read_tree_with(r, Hashing::Parallel).unwrap();
    assert_eq!(seq.entries().len(), MAX_FILES);
    assert_eq!(seq.digest(), par.digest());
}
