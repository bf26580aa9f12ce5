//! The loader's verified tables (`omega_core::loader::Table`, `omega_core::listed`): sizes
//! before contents, the refusals both Node engines give (they call these same functions), and
//! tree mode's sizes-first open agreeing with the full check.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use omega_core::listed::read_listed_file;
#[cfg(feature = "sign")]
use omega_core::listed::{open_full, open_manifest_table, open_tree_table};
use omega_core::loader::Table;
use omega_core::{ErrorCode, FileKind, Pins};

fn write(root: &Path, rel: &str, data: &[u8], mode: u32) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, data).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
}

fn unsigned(r: &Path) -> Table {
    write(r, "index.js", b"module.exports = 1;\n", 0o644);
    write(r, "lib/a.js", b"exports.a = 2;\n", 0o644);
    write(r, "bin/tool", b"#!/bin/sh\n", 0o755);
    let pkg = omega_core::fs::read_package(r).unwrap();
    let d = pkg.listing.digest();
    Table::from_files("demo", pkg.listing, None, None, &Pins::digest(d)).unwrap()
}

fn found(t: &Table) -> Vec<(String, u64)> {
    t.files
        .iter()
        .map(|e| (e.path.to_string(), e.size))
        .collect()
}

#[test]
fn fail_sizes_first_finds_missing_extra_and_resized_files_before_contents() {
    let d = tempfile::tempdir().unwrap();
    let t = unsigned(d.path());
    assert_eq!(t.files.len(), 3);
    let mut same = found(&t);
    same.reverse(); // any order: sorted by core
    assert!(t.first_size_problem(same).is_none());

    let mut extra = found(&t);
    extra.push(("lib/b.js".into(), 1));
    let p = t.first_size_problem(extra).unwrap();
    assert_eq!(
        (p.code, p.path.as_deref()),
        (ErrorCode::FileExtra, Some("lib/b.js"))
    );

    let missing: Vec<_> = found(&t)
        .into_iter()
        .filter(|f| f.0 != "index.js")
        .collect();
    let p = t.first_size_problem(missing).unwrap();
    assert_eq!(
        (p.code, p.path.as_deref()),
        (ErrorCode::FileMissing, Some("index.js"))
    );

    let resized: Vec<_> = found(&t)
        .into_iter()
        .map(|(p, s)| if p == "lib/a.js" { (p, s + 1) } else { (p, s) })
        .collect();
    let p = t.first_size_problem(resized).unwrap();
    assert_eq!(
        (p.code, p.path.as_deref()),
        (ErrorCode::FileChanged, Some("lib/a.js"))
    );
    assert!(
        t.first_size_problem(Vec::new()).is_some(),
        "nothing found: missing"
    );
}

#[test]
fn fail_entries_sizes_and_contents_are_refused_with_the_tables_report() {
    let d = tempfile::tempdir().unwrap();
    let t = unsigned(d.path());
    let size = t.entry("lib/a.js").unwrap().size;
    assert_eq!(t.entry_sized("lib/a.js", size).unwrap().path, "lib/a.js");
    for (rel, code) in [
        (".omega/manifest.json", ErrorCode::FileExtra),
        ("lib/b.js", ErrorCode::FileExtra),
    ] {
        let e = t.entry(rel).unwrap_err();
        assert_eq!(e.code(), code, "{e}");
        let report = e.report().expect("a refusal carries the table's report");
        assert_eq!(report.problems.len(), 1);
        assert_eq!(report.problems[0].path.as_deref(), Some(rel));
        assert_eq!(report.tree, t.report.tree);
    }
    let e = t.entry_sized("lib/a.js", size + 1).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FileChanged);
    assert!(
        e.message().contains("\"lib/a.js\" has changed contents"),
        "{e}"
    );

    t.check_bytes("lib/a.js", FileKind::Regular, b"exports.a = 2;\n")
        .unwrap();
    let e = t
        .check_bytes("lib/a.js", FileKind::Regular, b"exports.a = 3;\n")
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::FileChanged);
    let e = t
        .check_bytes("lib/a.js", FileKind::Executable, b"exports.a = 2;\n")
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::FileChanged);
    assert!(e.message().contains("changed kind"), "{e}");
    t.check_bytes("bin/tool", FileKind::Executable, b"#!/bin/sh\n")
        .unwrap();

    // The reader: the same checks on the file as it is on disk.
    let r = d.path();
    assert_eq!(
        read_listed_file(&r.join("lib/a.js"), "lib/a.js", &t).unwrap(),
        b"exports.a = 2;\n"
    );
    write(r, "lib/a.js", b"exports.a = 9;\n", 0o644);
    let e = read_listed_file(&r.join("lib/a.js"), "lib/a.js", &t).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FileChanged);
}

#[cfg(feature = "sign")]
fn signed_package(r: &Path) -> Pins {
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
    // A nested install is another package: left out of the installed package.
    write(r, "node_modules/dep/index.js", b"nested\n", 0o644);
    Pins {
        digest: Some(m.tree),
        ..Pins::keys(vec![k.public_key()], 1)
    }
}

/// Tree mode's sizes-first open gives exactly the full check's table when the package is
/// intact, and exactly its refusal (the report of every problem) when it is not.
#[cfg(feature = "sign")]
#[test]
fn fail_tree_open_sizes_first_agrees_with_the_full_check() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let pins = signed_package(r);
    let fast = open_tree_table(r, "left-pad", &pins).unwrap();
    let full = open_full(r, "left-pad", &pins).unwrap();
    let manifest = open_manifest_table(r, "left-pad", &pins).unwrap();
    assert_eq!(fast.report, full.report);
    assert_eq!(fast.files, full.files);
    assert_eq!(manifest.files, full.files);
    assert_eq!(fast.report.files, 3);

    type Tamper = fn(&Path);
    // The sizes come from the open file (no lstat pass first): a file that shrank is hashed
    // before it is refused, one that grew is refused on its size; the verdict is the same.
    let tampers: [(&str, Tamper, ErrorCode); 7] = [
        (
            "shrunk",
            |r| write(r, "lib/util.js", b"x\n", 0o644),
            ErrorCode::FileChanged,
        ),
        (
            "grown",
            |r| write(r, "lib/util.js", &[b'x'; 4096], 0o644),
            ErrorCode::FileChanged,
        ),
        (
            "same size",
            |r| write(r, "lib/util.js", b"exports.u = 2;\n", 0o644),
            ErrorCode::FileChanged,
        ),
        (
            "resized",
            |r| write(r, "index.js", b"evil()\n", 0o644),
            ErrorCode::FileChanged,
        ),
        (
            "extra",
            |r| write(r, "lib/evil.js", b"evil()\n", 0o644),
            ErrorCode::FileExtra,
        ),
        (
            "missing",
            |r| fs::remove_file(r.join("lib/util.js")).unwrap(),
            ErrorCode::FileMissing,
        ),
        (
            "kind",
            |r| fs::set_permissions(r.join("index.js"), fs::Permissions::from_mode(0o755)).unwrap(),
            ErrorCode::FileChanged,
        ),
    ];
    for (what, tamper, code) in tampers {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        let pins = signed_package(r);
        tamper(r);
        let fast = open_tree_table(r, "left-pad", &pins).unwrap_err();
        let full = open_full(r, "left-pad", &pins).unwrap_err();
        assert_eq!(fast.code(), code, "{what}: {fast}");
        assert_eq!(fast.message(), full.message(), "{what}");
        assert_eq!(fast.report(), full.report(), "{what}");
        assert!(fast.report().is_some(), "{what}");
    }

    // A link in the package: refused (the walk meets it), as the full check refuses it.
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let pins = signed_package(r);
    fs::remove_file(r.join("lib/util.js")).unwrap();
    std::os::unix::fs::symlink(r.join("index.js"), r.join("lib/util.js")).unwrap();
    let e = open_tree_table(r, "left-pad", &pins).unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnsupportedFileType, "{e}");
}

/// The loader reads a listed file in one `read` when its size is as listed, and never more
/// than one byte past the listed size: a file that grew (even far past it) is refused on its
/// size with the bytes read bounded, one that shrank is refused too.
#[test]
fn fail_read_listed_file_reads_no_more_than_one_byte_past_the_listing() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let t = unsigned(r);
    let bytes = read_listed_file(&r.join("index.js"), "index.js", &t).unwrap();
    assert_eq!(bytes, b"module.exports = 1;\n");
    write(r, "index.js", &vec![b'x'; 8 << 20], 0o644);
    let e = read_listed_file(&r.join("index.js"), "index.js", &t).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FileChanged, "{e}");
    write(r, "index.js", b"", 0o644);
    let e = read_listed_file(&r.join("index.js"), "index.js", &t).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FileChanged, "{e}");
    write(r, "index.js", b"module.exports = 1;\n", 0o644);
    assert_eq!(
        read_listed_file(&r.join("index.js"), "index.js", &t).unwrap(),
        b"module.exports = 1;\n"
    );
}

#[test]
fn fail_folder_package_json_must_be_listed_and_match_or_be_absent() {
    use omega_core::listed::check_scope_file;
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write(r, "package.json", b"{\"name\":\"demo\"}\n", 0o644);
    write(r, "esm/package.json", b"{\"type\":\"module\"}\n", 0o644);
    let t = unsigned(r);
    let code = |rel: &str| {
        check_scope_file(&r.join(rel), rel, &t)
            .err()
            .map(|e| (e.code(), e.to_string().contains(rel)))
    };
    // Listed and there: compared, its bytes returned.
    assert_eq!(
        check_scope_file(&r.join("esm/package.json"), "esm/package.json", &t).unwrap(),
        Some(b"{\"type\":\"module\"}\n".to_vec())
    );
    // Not listed and absent (a folder or a path that does not exist): nothing to compare.
    assert_eq!(code("lib/package.json"), None);
    assert_eq!(code("nope/package.json"), None);
    // Not listed but there: the folder's `type` or `main` would steer verified files.
    write(r, "lib/package.json", b"{\"type\":\"module\"}\n", 0o644);
    assert_eq!(code("lib/package.json"), Some((ErrorCode::FileExtra, true)));
    fs::remove_file(r.join("lib/package.json")).unwrap();
    std::os::unix::fs::symlink("../package.json", r.join("lib/package.json")).unwrap();
    assert_eq!(code("lib/package.json"), Some((ErrorCode::FileExtra, true)));
    // Listed: changed, a link, or gone (Node would read the folder above's instead).
    write(r, "esm/package.json", b"{\"type\":\"commonjs\"}", 0o644);
    assert_eq!(
        code("esm/package.json"),
        Some((ErrorCode::FileChanged, true))
    );
    fs::remove_file(r.join("esm/package.json")).unwrap();
    std::os::unix::fs::symlink("../package.json", r.join("esm/package.json")).unwrap();
    assert_eq!(
        code("esm/package.json").map(|c| c.0),
        Some(ErrorCode::UnsupportedFileType)
    );
    fs::remove_file(r.join("esm/package.json")).unwrap();
    assert_eq!(
        code("esm/package.json"),
        Some((ErrorCode::FileMissing, true))
    );
    fs::remove_file(r.join("package.json")).unwrap();
    assert_eq!(code("package.json"), Some((ErrorCode::FileMissing, true)));
}

#[test]
fn fail_each_kind_of_package_json_a_file_loads_through() {
    use omega_core::layout::{Scope, ScopeKind};
    use omega_core::listed::check_layout_scope;
    let d = tempfile::tempdir().unwrap();
    // A scoped package with no package.json of its own.
    let scope_dir = d.path().join("node_modules").join("@s");
    let r = scope_dir.join("b");
    let t = unsigned(&r);
    let dir = r.to_str().unwrap();
    let above_path = scope_dir.join("package.json");
    let scope = |rel: &str, kind| Scope {
        table: 0,
        dir: dir.into(),
        rel: rel.into(),
        kind,
    };
    let top = scope("package.json", ScopeKind::Folder);
    let lib = scope("lib/package.json", ScopeKind::Folder);
    let above = scope(above_path.to_str().unwrap(), ScopeKind::Above);
    let code = |s: &Scope| check_layout_scope(s, &t).err().map(|e| e.code());
    for s in [&top, &lib, &above] {
        assert_eq!(code(s), None, "{s:?}");
    }
    // Written after a first check: each is refused at the next one.
    write(&r, "package.json", b"{\"main\":\"lib/a.js\"}\n", 0o644);
    assert_eq!(code(&top), Some(ErrorCode::FileExtra));
    fs::remove_file(r.join("package.json")).unwrap();
    write(&r, "lib/package.json", b"{\"type\":\"module\"}\n", 0o644);
    assert_eq!(code(&lib), Some(ErrorCode::FileExtra));
    fs::remove_file(r.join("lib/package.json")).unwrap();
    fs::write(&above_path, b"{\"type\":\"module\"}\n").unwrap();
    let e = check_layout_scope(&above, &t).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FileExtra);
    assert!(e.to_string().contains("@s/package.json"), "{e}");

    // A package with its own package.json: Node stops there; a listed one must stay as signed
    // (Node may read it for the first time long after the package opened).
    write(&r, "package.json", b"{\"name\":\"b\"}\n", 0o644);
    let pkg = omega_core::fs::read_package(&r).unwrap();
    let digest = pkg.listing.digest();
    let t = Table::from_files("b", pkg.listing, None, None, &Pins::digest(digest)).unwrap();
    let code = |s: &Scope| check_layout_scope(s, &t).err().map(|e| e.code());
    assert_eq!(code(&above), None);
    assert_eq!(code(&top), None);
    write(
        &r,
        "package.json",
        b"{\"name\":\"b\",\"main\":\"lib/a.js\"}\n",
        0o644,
    );
    assert_eq!(code(&top), Some(ErrorCode::FileChanged));
    fs::remove_file(r.join("package.json")).unwrap();
    assert_eq!(code(&top), Some(ErrorCode::FileMissing));
}
