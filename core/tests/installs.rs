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
