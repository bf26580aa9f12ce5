//! npm-style tarballs: reading real archives (GNU tar, `npm pack`), deterministic writing,
//! and every refusal (links, devices, traversal, duplicates, bombs, corruption).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use omega_core::fs::digest_dir;
use omega_core::tarball::{gunzip, read_tar, read_tgz, write_tgz, TarFile};
use omega_core::ErrorCode;

fn tree(root: &Path) {
    let w = |rel: &str, data: &[u8], mode: u32| {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, data).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    };
    w(
        "package.json",
        br#"{"name":"left-pad","version":"1.3.0","bin":{"pad":"bin/pad.js"}}"#,
        0o644,
    );
    w(
        "index.js",
        b"module.exports = (s, n) => s.padStart(n);\n",
        0o644,
    );
    w("bin/pad.js", b"#!/usr/bin/env node\n", 0o755);
    w("lib/deep/er/file.js", &vec![b'x'; 70_000], 0o644);
    w(
        &format!("lib/{}/long.js", "d".repeat(90)),
        b"long path\n",
        0o644,
    );
}

fn run(dir: &Path, cmd: &str, args: &[&str]) {
    let st = Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(st.success(), "{cmd} {args:?} failed");
}

#[test]
fn gnu_tar_archive_digests_like_the_directory() {
    let d = tempfile::tempdir().unwrap();
    let pkg = d.path().join("package");
    tree(&pkg);
    for format in ["ustar", "pax", "gnu"] {
        let out = d.path().join(format!("{format}.tgz"));
        run(
            d.path(),
            "tar",
            &[
                &format!("--format={format}"),
                "-czf",
                out.to_str().unwrap(),
                "package",
            ],
        );
        let bytes = fs::read(&out).unwrap();
        match read_tgz(&bytes) {
            Ok(p) => assert_eq!(p.listing.digest(), digest_dir(&pkg).unwrap(), "{format}"),
            // GNU format writes long names as 'L' entries, which we refuse as unsupported.
            Err(e) => assert!(
                format == "gnu" && e.code() == ErrorCode::Malformed,
                "{format}: {e}"
            ),
        }
    }
}

#[test]
fn npm_pack_archive_digests_like_the_directory() {
    let d = tempfile::tempdir().unwrap();
    let pkg = d.path().join("src");
    tree(&pkg);
    let out = Command::new("npm")
        .args([
            "pack",
            "--silent",
            "--pack-destination",
            d.path().to_str().unwrap(),
        ])
        .current_dir(&pkg)
        .output()
        .expect("npm (Node 20 is on every machine)");
    assert!(
        out.status.success(),
        "npm pack: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = fs::read(d.path().join("left-pad-1.3.0.tgz")).unwrap();
    let p = read_tgz(&bytes).unwrap();
    assert_eq!(p.listing.digest(), digest_dir(&pkg).unwrap());
}

#[test]
fn written_tarballs_are_deterministic_and_read_by_tar() {
    let files: Vec<TarFile> = vec![
        ("index.js".into(), false, b"a\n".to_vec()),
        ("bin/run".into(), true, b"#!/bin/sh\n".to_vec()),
        (
            format!("lib/{}/x.js", "n".repeat(120)),
            false,
            vec![7u8; 1000],
        ),
    ];
    let mut reversed = files.clone();
    reversed.reverse();
    let a = write_tgz(&files).unwrap();
    assert_eq!(a, write_tgz(&reversed).unwrap(), "same tree, same bytes");
    let back = read_tgz(&a).unwrap();
    let expect = omega_core::MemoryPackage::from_files(
        files.iter().map(|(p, x, d)| (p.as_str(), *x, d.as_slice())),
    )
    .unwrap();
    assert_eq!(back.listing, expect.listing);
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.tgz"), &a).unwrap();
    run(d.path(), "tar", &["-xzf", "a.tgz"]);
    assert_eq!(
        digest_dir(&d.path().join("package")).unwrap(),
        expect.listing.digest()
    );
    assert!(
        fs::metadata(d.path().join("package/bin/run"))
            .unwrap()
            .permissions()
            .mode()
            & 0o100
            != 0
    );
}

#[cfg(feature = "sign")]
#[test]
fn signed_tarball_checks_with_its_manifest() {
    use omega_core::manifest::{KeySet, Manifest};
    use omega_core::secret::SecretKey;
    use omega_core::tarball::check_tarball;
    use omega_core::Pins;
    let k = SecretKey::from_seed(&[9; 32], omega_core::KeyId([9; 8]));
    let mut files: Vec<TarFile> = vec![("index.js".into(), false, b"x\n".to_vec())];
    let pkg = omega_core::MemoryPackage::from_files(
        files.iter().map(|(p, x, d)| (p.as_str(), *x, d.as_slice())),
    )
    .unwrap();
    let m = Manifest::new(
        "left-pad",
        "1.0.0",
        1,
        &pkg.listing,
        Default::default(),
        KeySet {
            threshold: 1,
            signers: vec![k.public_key()],
            next: vec![],
        },
    )
    .unwrap();
    let bytes = m.to_json_bytes();
    files.push((".omega/manifest.json".into(), false, bytes.clone()));
    files.push((
        ".omega/manifest.json.minisig".into(),
        false,
        k.sign(&bytes, "t", "u").unwrap().to_text().into_bytes(),
    ));
    let tgz = write_tgz(&files).unwrap();
    let r = check_tarball(
        &tgz,
        "left-pad.tgz",
        &Pins {
            digest: Some(m.tree),
            ..Pins::keys(vec![k.public_key()], 1)
        },
    )
    .unwrap();
    assert_eq!(r.signed_by, vec![k.public_key()]);
    files[0].2 = b"evil\n".to_vec();
    let e = check_tarball(
        &write_tgz(&files).unwrap(),
        "left-pad.tgz",
        &Pins::keys(vec![k.public_key()], 1),
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::FileChanged);
}

/// A raw ustar header + data, for crafting hostile archives.
fn entry(name: &str, typeflag: u8, data: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..107].copy_from_slice(b"0000644");
    h[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = typeflag;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

fn archive(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut t: Vec<u8> = entries.concat();
    t.resize(t.len() + 1024, 0);
    t
}

#[test]
fn fail_hostile_archives() {
    let ok = archive(&[entry("package/a.js", b'0', b"x")]);
    assert_eq!(read_tar(&ok).unwrap().len(), 1);
    let cases: Vec<(&str, Vec<u8>, ErrorCode)> = vec![
        (
            "symlink",
            archive(&[entry("package/l", b'2', b"")]),
            ErrorCode::UnsupportedFileType,
        ),
        (
            "hardlink",
            archive(&[entry("package/l", b'1', b"")]),
            ErrorCode::UnsupportedFileType,
        ),
        (
            "char device",
            archive(&[entry("package/d", b'3', b"")]),
            ErrorCode::UnsupportedFileType,
        ),
        (
            "fifo",
            archive(&[entry("package/f", b'6', b"")]),
            ErrorCode::UnsupportedFileType,
        ),
        (
            "absolute",
            archive(&[entry("/etc/passwd", b'0', b"x")]),
            ErrorCode::UnsafePath,
        ),
        (
            "traversal",
            archive(&[entry("package/../../x", b'0', b"x")]),
            ErrorCode::UnsafePath,
        ),
        (
            "dot-dot top",
            archive(&[entry("../x", b'0', b"x")]),
            ErrorCode::UnsafePath,
        ),
        (
            "two top folders",
            archive(&[entry("package/a", b'0', b"x"), entry("other/b", b'0', b"x")]),
            ErrorCode::UnsafePath,
        ),
        (
            "backslash",
            archive(&[entry("package/a\\b", b'0', b"x")]),
            ErrorCode::UnsafePath,
        ),
        (
            "unknown type",
            archive(&[entry("package/a", b'Z', b"x")]),
            ErrorCode::Malformed,
        ),
        (
            "gnu long name",
            archive(&[entry("././@LongLink", b'L', b"package/x")]),
            ErrorCode::Malformed,
        ),
        (
            "no end marker",
            entry("package/a", b'0', b"x"),
            ErrorCode::Malformed,
        ),
        (
            "trailing data",
            [ok.clone(), vec![1u8; 512]].concat(),
            ErrorCode::Malformed,
        ),
    ];
    for (name, tar, code) in cases {
        assert_eq!(
            read_tar(&tar).map(|_| ()).unwrap_err().code(),
            code,
            "{name}"
        );
    }
    let mut bad_sum = ok.clone();
    bad_sum[0] ^= 1;
    assert_eq!(read_tar(&bad_sum).unwrap_err().code(), ErrorCode::Malformed);
    let mut truncated = archive(&[entry("package/a", b'0', &[1u8; 2000])]);
    truncated.truncate(1024);
    assert_eq!(
        read_tar(&truncated).unwrap_err().code(),
        ErrorCode::Malformed
    );
    // Duplicates are refused once the files form a package.
    let dup = write_like(&archive(&[
        entry("package/a", b'0', b"1"),
        entry("package/a", b'0', b"2"),
    ]));
    assert_eq!(read_tgz(&dup).unwrap_err().code(), ErrorCode::UnsafePath);
}

/// gzip-wraps a tar stream the way our writer does.
fn write_like(tar: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255];
    out.extend_from_slice(&miniz_oxide_compress(tar));
    let mut h = crc32fast_hash(tar).to_le_bytes().to_vec();
    out.append(&mut h);
    out.extend_from_slice(&(tar.len() as u32).to_le_bytes());
    out
}

fn miniz_oxide_compress(data: &[u8]) -> Vec<u8> {
    // Use gzip(1) for an independent compressor, then strip its header and trailer.
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("t"), data).unwrap();
    run(d.path(), "gzip", &["-n", "-9", "t"]);
    let gz = fs::read(d.path().join("t.gz")).unwrap();
    gz[10..gz.len() - 8].to_vec()
}

fn crc32fast_hash(data: &[u8]) -> u32 {
    // CRC-32 (IEEE), bitwise: independent of the crate under test.
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn fail_gzip_bombs_and_corruption() {
    let tar = archive(&[entry("package/zeros", b'0', &vec![0u8; 1 << 20])]);
    let gz = write_like(&tar);
    assert!(gz.len() < 8192, "a 1 MiB entry compresses to a few KiB");
    assert_eq!(
        gunzip(&gz, 64 * 1024).unwrap_err().code(),
        ErrorCode::TooLarge
    );
    assert_eq!(gunzip(&gz, 4 << 20).unwrap().len(), tar.len());
    let mut bad_crc = gz.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 1;
    assert_eq!(
        gunzip(&bad_crc, 4 << 20).unwrap_err().code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        gunzip(&gz[..gz.len() - 3], 4 << 20).unwrap_err().code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        gunzip(&[gz.clone(), vec![0]].concat(), 4 << 20)
            .unwrap_err()
            .code(),
        ErrorCode::Malformed
    );
    assert_eq!(
        gunzip(b"not gzip at all, not gzip", 4 << 20)
            .unwrap_err()
            .code(),
        ErrorCode::Malformed
    );
    let mut corrupt = gz.clone();
    corrupt[12] ^= 0xff;
    assert!(gunzip(&corrupt, 4 << 20).is_err());
}
