//! Tile paths and tile bytes (`omega_core::tiles`). Input starting with `tile/` is a path:
//! an accepted path formats back to the same string and parses to the same value. Any other
//! input is served as the partial tile `tile/0/001.p/44` of a fixed 300-entry log: the tree
//! verifies only if the first 44 hashes are exactly the real ones (the real partial tile, or
//! a full tile with the same prefix), and never panics.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use omega_core::merkle::Hash;
use omega_core::tiles::{Publisher, TileHashes, TilePath};

mod common;

struct Log {
    files: BTreeMap<TilePath, Vec<u8>>,
    root: Hash,
    partial: TilePath,
}

fn log() -> &'static Log {
    static LOG: OnceLock<Log> = OnceLock::new();
    LOG.get_or_init(|| {
        let entries: Vec<Vec<u8>> = (0..300u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let a = Publisher::new().append(&entries).expect("append");
        Log {
            files: a.files.into_iter().map(|f| (f.path, f.bytes)).collect(),
            root: a.root,
            partial: TilePath::parse("tile/0/001.p/44").expect("path"),
        }
    })
}

fuzz_target!(init: {
    common::check_seeds(|d| std::str::from_utf8(d).is_ok_and(|s| TilePath::parse(s).is_ok()));
}, |data: &[u8]| {
    if data.starts_with(b"tile/") {
        let Ok(s) = std::str::from_utf8(data) else {
            return;
        };
        if let Ok(p) = TilePath::parse(s) {
            assert_eq!(p.to_string(), s);
            assert_eq!(TilePath::parse(&p.to_string()).expect("reparse"), p);
        }
        return;
    }
    let log = log();
    let mut files = log.files.clone();
    files.insert(log.partial, data.to_vec());
    let real = &log.files[&log.partial];
    let ok = TileHashes::verify(300, &log.root, &files).is_ok();
    let prefix_matches = (data.len() == real.len() || data.len() == 8192) && data.starts_with(real);
    assert_eq!(ok, prefix_matches);
});
