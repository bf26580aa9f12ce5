//! tests/vectors/tree.json: `b2tree:` digests of file sets, and refused paths.

use super::*;

pub fn tree_vectors() -> Vec<Value> {
    let mut cases = Vec::new();
    let mut ok = |name: &str, files: Files| {
        let pkg =
            MemoryPackage::from_files(files.iter().map(|(p, x, d)| (p.as_str(), *x, d.as_slice())))
                .expect(name);
        cases.push(json!({"name": name, "files": files_json(&files), "expect": {"digest": pkg.listing.digest().to_string(), "listing": pkg.listing.listing_text()}}));
    };
    ok("empty", vec![]);
    ok(
        "example_tree_docs_format_md",
        vec![
            file("a.txt", "hello\n"),
            ("bin/run.sh".into(), true, b"#!/bin/sh\necho hi\n".to_vec()),
            file("sub dir/b.txt", ""),
            file(".omega/manifest.json", "{}"),
        ],
    );
    ok(
        "order_independent_1",
        vec![file("b", "2"), file("a", "1"), file("c/d", "3")],
    );
    ok(
        "order_independent_2",
        vec![file("c/d", "3"), file("a", "1"), file("b", "2")],
    );
    ok(
        "byte_order_not_locale",
        vec![
            file("Z", "upper"),
            file("a", "lower"),
            file("_", "under"),
            file("é", "utf8"),
        ],
    );
    ok(
        "nested_omega_dir_counts",
        vec![
            file("sub/.omega/x", "kept"),
            file(".omega/other", "ignored"),
        ],
    );
    ok(
        "binary_contents",
        vec![("bin.dat".into(), false, vec![0, 255, 10, 13, 0x80])],
    );
    let mut fail = |name: &str, files: Files, code: ErrorCode| {
        let got =
            MemoryPackage::from_files(files.iter().map(|(p, x, d)| (p.as_str(), *x, d.as_slice())))
                .err()
                .map(|e| e.code());
        assert_eq!(got, Some(code), "tree vector {name}");
        cases.push(json!({"name": name, "files": files_json(&files), "expect": err_json(code)}));
    };
    for (name, path) in [
        ("fail_dotdot", "../etc/passwd"),
        ("fail_dot_component", "a/./b"),
        ("fail_absolute", "/etc/passwd"),
        ("fail_trailing_slash", "dir/"),
        ("fail_double_slash", "a//b"),
        ("fail_backslash", "a\\b"),
        ("fail_control_char", "a\u{1}b"),
        ("fail_del_char", "a\u{7f}"),
        ("fail_newline", "a\nb"),
        ("fail_empty_path", ""),
    ] {
        fail(name, vec![file(path, "x")], ErrorCode::UnsafePath);
    }
    fail(
        "fail_case_collision",
        vec![file("README.md", "1"), file("readme.md", "2")],
        ErrorCode::UnsafePath,
    );
    fail(
        "fail_duplicate_path",
        vec![file("a", "1"), file("a", "2")],
        ErrorCode::UnsafePath,
    );
    fail(
        "fail_component_too_long",
        vec![file(&"x".repeat(256), "1")],
        ErrorCode::UnsafePath,
    );
    cases
}
