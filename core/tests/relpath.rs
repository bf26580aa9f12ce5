//! `tree::RelPath`: valid by construction. `RelPath::new` refuses exactly what `validate_path`
//! refuses (same code, same message), accepts what it accepts, and is the only way to build one
//! (the field is private, and there is no `Default`, `From<String>`, `From<&str>` or `FromStr`:
//! the `compile_fail` examples in the type's documentation pin that, run as doctests).

use std::collections::{BTreeSet, HashSet};

use omega_core::limits::{MAX_COMPONENT_BYTES, MAX_PATH_BYTES};
use omega_core::tree::{validate_path, FileEntry, FileKind, RelPath, TreeListing};
use omega_core::ErrorCode;
use proptest::prelude::*;

fn refused() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        ".",
        "..",
        "../x",
        "a/../b",
        "a/./b",
        "a/..",
        "./a",
        "/abs",
        "a/",
        "a//b",
        "/",
        "a\\b",
        "\\",
        "a\u{0}b",
        "x\ny",
        "tab\there",
        "\u{7f}",
        "a/\u{1b}[0m",
        "cr\r",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("a".repeat(MAX_COMPONENT_BYTES + 1));
    v.push(format!("d/{}", "b".repeat(MAX_COMPONENT_BYTES + 1)));
    v.push("a/".repeat(MAX_PATH_BYTES / 2 + 1) + "z");
    v.push("é".repeat(MAX_PATH_BYTES)); // 2 bytes a character: over the byte limit
    v
}

fn accepted() -> Vec<String> {
    let mut v: Vec<String> = [
        "a",
        "index.js",
        "lib/a.js",
        ".omega/manifest.json",
        ".gitignore",
        "...",
        "a..b/..c",
        "space in name",
        "ünïcödé/日本.txt",
        "node_modules/@scope/pkg/package.json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("a".repeat(MAX_COMPONENT_BYTES));
    // Exactly MAX_PATH_BYTES: 200-byte components, then one that fills the rest.
    let mut long = "b".repeat(200);
    while MAX_PATH_BYTES - long.len() > 201 {
        long = format!("{long}/{}", "b".repeat(200));
    }
    v.push(format!(
        "{long}/{}",
        "c".repeat(MAX_PATH_BYTES - long.len() - 1)
    ));
    assert_eq!(v.last().map(String::len), Some(MAX_PATH_BYTES));
    v
}

#[test]
fn new_refuses_exactly_what_validate_path_refuses() {
    for p in refused() {
        let old = validate_path(&p).unwrap_err();
        let new = RelPath::new(p.clone()).unwrap_err();
        assert_eq!(old.code(), ErrorCode::UnsafePath, "{p:?}");
        assert_eq!(new.code(), old.code(), "{p:?}");
        assert_eq!(new.to_string(), old.to_string(), "{p:?}");
        // From a `&str` and from a `String` alike.
        assert_eq!(
            RelPath::new(p.as_str()).unwrap_err().to_string(),
            old.to_string()
        );
    }
}

#[test]
fn new_accepts_what_validate_path_accepts() {
    for p in accepted() {
        validate_path(&p).unwrap();
        let r = RelPath::new(p.as_str()).unwrap();
        assert_eq!(r.as_str(), p);
        assert_eq!(r.clone().into_string(), p);
        assert_eq!(String::from(r.clone()), p);
    }
}

#[test]
fn it_reads_compares_orders_and_hashes_as_its_string() {
    let a = RelPath::new("lib/a.js").unwrap();
    // Deref, AsRef, Borrow.
    assert!(a.ends_with(".js"));
    assert_eq!(a.len(), 8);
    let s: &str = a.as_ref();
    assert_eq!(s, "lib/a.js");
    let set: BTreeSet<RelPath> = [a.clone()].into();
    assert!(set.contains("lib/a.js"));
    let hashed: HashSet<RelPath> = [a.clone()].into();
    assert!(hashed.contains("lib/a.js"));
    // PartialEq with str, &str and String, both ways.
    let owned = String::from("lib/a.js");
    assert!(a == *"lib/a.js");
    assert!(a == "lib/a.js");
    assert!(a == owned);
    assert!(*"lib/a.js" == a);
    assert!("lib/a.js" == a);
    assert!(owned == a);
    assert!(a != "lib/b.js");
    // Display and Debug as the string's.
    assert_eq!(format!("{a}"), "lib/a.js");
    assert_eq!(format!("{a:?}"), "\"lib/a.js\"");
    let q = RelPath::new("quote\"d").unwrap();
    assert_eq!(format!("{q:?}"), format!("{:?}", "quote\"d"));
    // Byte order, as str orders.
    let mut v: Vec<RelPath> = ["b", "B", "a/b", "a", "é", "z"]
        .iter()
        .map(|p| RelPath::new(*p).unwrap())
        .collect();
    v.sort();
    let mut w = vec!["b", "B", "a/b", "a", "é", "z"];
    w.sort();
    assert_eq!(
        v,
        w.iter()
            .map(|p| RelPath::new(*p).unwrap())
            .collect::<Vec<_>>()
    );
    assert_eq!(v.iter().map(RelPath::as_str).collect::<Vec<_>>(), w);
}

#[test]
fn a_file_entry_holds_one() {
    let e = FileEntry::from_contents(RelPath::new("lib/a.js").unwrap(), FileKind::Regular, b"x");
    assert_eq!(e.path, "lib/a.js");
    let listing = TreeListing::new(vec![e]).unwrap();
    assert_eq!(listing.entries()[0].path.as_str(), "lib/a.js");
}

proptest! {
    #[test]
    fn agrees_with_validate_path_on_any_text(
        p in prop_oneof!["(?s).{0,12}(/.{0,12}){0,3}", "[a./\\\\\u{0}\n\u{7f} ]{0,10}"]
    ) {
        match (validate_path(&p), RelPath::new(p.clone())) {
            (Ok(()), Ok(r)) => prop_assert_eq!(r.as_str(), p.as_str()),
            (Err(a), Err(b)) => {
                prop_assert_eq!(a.code(), b.code());
                prop_assert_eq!(a.to_string(), b.to_string());
            }
            (a, b) => prop_assert!(false, "{p:?}: validate_path {a:?}, RelPath::new {b:?}"),
        }
    }
}
