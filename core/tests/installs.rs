//! `omega_core::installs::find_installs` over a real tree: nested and scoped installs, the
//! lock-key rule, and the entries that are not packages (links, stray files), which are
//! reported and never followed.

use std::fs;
use std::path::Path;

use omega_core::installs::find_installs;
use omega_core::ErrorCode;

fn pkg(root: &Path, rel: &str) {
    let dir = root.join(rel);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("index.js"), rel).unwrap();
}

#[test]
fn finds_nested_and_scoped_installs_and_keys_them_by_the_shallowest_rule() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    pkg(root, "node_modules/a");
    pkg(root, "node_modules/@s/b");
    pkg(root, "node_modules/a/node_modules/c");
    pkg(root, "node_modules/x/node_modules/a");
    pkg(root, "node_modules/x/node_modules/@s/b/node_modules/a");
    pkg(root, "node_modules/.bin"); // dot-entries are not packages and not problems
    fs::write(root.join("node_modules/stray.txt"), "x").unwrap();
    // A plain file named node_modules inside a package is one of its files.
    fs::write(root.join("node_modules/@s/b/node_modules"), "x").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("a", root.join("node_modules/linked")).unwrap();

    let found = find_installs(root);
    let got: Vec<(&str, &str, usize, &str)> = found
        .installs
        .iter()
        .map(|i| (i.path.as_str(), i.name.as_str(), i.depth, i.key.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("node_modules/@s/b", "@s/b", 0, "@s/b"),
            ("node_modules/a", "a", 0, "a"),
            ("node_modules/a/node_modules/c", "c", 1, "c"),
            ("node_modules/x", "x", 0, "x"),
            (
                "node_modules/x/node_modules/@s/b",
                "@s/b",
                1,
                "node_modules/x/node_modules/@s/b"
            ),
            (
                "node_modules/x/node_modules/@s/b/node_modules/a",
                "a",
                2,
                "node_modules/x/node_modules/@s/b/node_modules/a"
            ),
            (
                "node_modules/x/node_modules/a",
                "a",
                1,
                "node_modules/x/node_modules/a"
            ),
        ]
    );
    let problems: Vec<(ErrorCode, Option<&str>)> = found
        .problems
        .iter()
        .map(|p| (p.code, p.path.as_deref()))
        .collect();
    let stray = (
        ErrorCode::UnsupportedFileType,
        Some("node_modules/stray.txt"),
    );
    #[cfg(unix)]
    let want = vec![
        (ErrorCode::UnsupportedFileType, Some("node_modules/linked")),
        stray,
    ];
    #[cfg(not(unix))]
    let want = vec![stray];
    assert_eq!(problems, want);
    assert!(found
        .problems
        .iter()
        .all(|p| p.message.starts_with(p.path.as_deref().unwrap_or("-"))));
}

#[test]
fn a_missing_node_modules_is_a_problem_naming_it() {
    let t = tempfile::tempdir().unwrap();
    let found = find_installs(t.path());
    assert!(found.installs.is_empty());
    assert_eq!(found.problems.len(), 1);
    assert_eq!(found.problems[0].code, ErrorCode::NotFound);
    assert_eq!(found.problems[0].path.as_deref(), Some("node_modules"));
}

/// The CLI and the Node loader agree on which lock entry governs a file (issue 11): `omega
/// lock` scans with `find_installs` and writes each install's key and path; the loader finds
/// a file's package folder with `layout::Layout::place` and its entry with
/// `Lockfile::entry_for_path` of that folder (relative to the project). Fed the same tree,
/// every file of every install lands on the entry the scan made for that install.
#[test]
fn the_clis_scan_and_the_loaders_lookup_agree_on_every_install() {
    use omega_core::layout::{Layout, Place};
    use omega_core::Lockfile;

    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    for rel in [
        "node_modules/a",
        "node_modules/@s/b",
        "node_modules/a/node_modules/c",
        "node_modules/x/node_modules/a",
        "node_modules/x/node_modules/@s/b/node_modules/a",
        "node_modules/x",
    ] {
        pkg(root, rel);
        fs::create_dir_all(root.join(rel).join("lib")).unwrap();
        fs::write(root.join(rel).join("lib/deep.js"), "1").unwrap();
    }
    let found = find_installs(root);
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    // The lock `omega lock` writes for them: one entry per install, key and path from the scan.
    let tree = "b2tree:0000000000000000000000000000000000000000000000000000000000000000";
    let entries: Vec<String> = found
        .installs
        .iter()
        .map(|i| {
            format!(
                r#""{}":{{"version":"1.0.0","sequence":0,"tree":"{tree}","path":"{}"}}"#,
                i.key, i.path
            )
        })
        .collect();
    let lock = format!(r#"{{"omega-lock":2,"packages":{{{}}}}}"#, entries.join(","));
    let lock = Lockfile::parse(lock.as_bytes()).unwrap();
    let root_s = root.to_str().unwrap();
    let mut layout = Layout::new(root_s, "/nonexistent/omega-verify/index.js");
    for i in &found.installs {
        for file in ["index.js", "lib/deep.js"] {
            let abs = format!("{root_s}/{}/{file}", i.path);
            let Place::Package(dir, rel) = layout.place(&abs) else {
                panic!("{abs}: not placed in a package");
            };
            assert_eq!(rel, file);
            let folder = dir
                .dir
                .strip_prefix(&format!("{root_s}/"))
                .unwrap_or_else(|| panic!("{}: not below the project", dir.dir));
            let (key, entry) = lock
                .entry_for_path(folder)
                .unwrap_or_else(|| panic!("{folder}: no entry"));
            assert_eq!(
                (key, entry.path.as_str()),
                (i.key.as_str(), i.path.as_str()),
                "{abs}"
            );
            assert_eq!(dir.name, i.name);
        }
    }
}
