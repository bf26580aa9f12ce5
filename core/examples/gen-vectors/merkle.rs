//! tests/vectors/log_proofs.json: RFC 6962 hashes and proofs, tlog-tiles paths, a small
//! tiled log with proof requests, entry bundles, and a publisher append. Hashes and bytes are
//! lowercase hex; every case is self-contained.

use super::*;
use omega_core::bundle::{parse_bundle, write_bundle};
use omega_core::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency, verify_inclusion, Hash,
};
use omega_core::tiles::{
    prove_consistency, prove_inclusion, tiles_for_consistency, tiles_for_inclusion, tiles_for_root,
    Publisher, TileKind, TilePath,
};

fn hx(h: &Hash) -> Value {
    Value::String(to_hex(h))
}

fn hashes(v: &[Hash]) -> Value {
    Value::Array(v.iter().map(hx).collect())
}

fn entry(i: u64) -> Vec<u8> {
    format!("omega-entry/v1 vector {i}").into_bytes()
}

fn expect<T>(
    name: &str,
    got: omega_core::Result<T>,
    want: Option<ErrorCode>,
    ok: impl Fn(T) -> Value,
) -> Value {
    match (got, want) {
        (Ok(v), None) => ok(v),
        (Err(e), Some(code)) => {
            assert_eq!(e.code(), code, "log_proofs vector {name}: {e}");
            err_json(code)
        }
        (Ok(_), Some(code)) => panic!("log_proofs vector {name}: accepted, intended {code}"),
        (Err(e), None) => panic!("log_proofs vector {name}: refused ({e}), intended to pass"),
    }
}

fn path_json(p: &TilePath) -> Value {
    match p.kind() {
        TileKind::Hashes(l) => {
            json!({"kind": "hashes", "level": l, "index": p.index(), "width": p.width()})
        }
        TileKind::Entries => json!({"kind": "entries", "index": p.index(), "width": p.width()}),
    }
}

fn tiles_json(files: &BTreeMap<TilePath, Vec<u8>>) -> Value {
    Value::Object(
        files
            .iter()
            .map(|(p, b)| (p.to_string(), Value::String(to_hex(b))))
            .collect(),
    )
}

pub fn log_proof_vectors() -> Vec<Value> {
    let mut cases = Vec::new();

    // Leaf hashes and roots (the RFC 6962 reference leaves, and an empty tree).
    let inputs: [&[u8]; 4] = [b"", b"\x00", b"\x10", b"\x20\x21"];
    for (i, input) in inputs.iter().enumerate() {
        cases.push(json!({"name": format!("leaf_hash_{i}"), "kind": "leaf_hash", "entry": to_hex(input), "expect": {"hash": to_hex(&leaf_hash(input))}}));
    }
    for n in [0u64, 1, 2, 3, 7, 8, 9] {
        let es: Vec<Vec<u8>> = (0..n).map(entry).collect();
        let ls: Vec<Hash> = es.iter().map(|e| leaf_hash(e)).collect();
        cases.push(json!({"name": format!("root_{n}"), "kind": "root", "entries": es.iter().map(|e| to_hex(e)).collect::<Vec<_>>(), "expect": {"root": to_hex(&root(&ls))}}));
    }

    // Inclusion and consistency proofs over a tree of 13 leaves, valid and broken.
    let ls: Vec<Hash> = (0..13).map(|i| leaf_hash(&entry(i))).collect();
    let r = root(&ls);
    let mut incl = |name: &str,
                    index: u64,
                    size: u64,
                    leaf: Hash,
                    proof: Vec<Hash>,
                    root_h: Hash,
                    want: Option<ErrorCode>| {
        let got = verify_inclusion(index, size, &leaf, &proof, &root_h);
        let exp = expect(name, got, want, |()| json!({"valid": true}));
        cases.push(json!({"name": name, "kind": "inclusion", "index": index, "size": size, "leaf_hash": hx(&leaf), "proof": hashes(&proof), "root": hx(&root_h), "expect": exp}));
    };
    for i in [0u64, 5, 11, 12] {
        let p = inclusion_proof(i, 13, &ls[..]).expect("proof");
        incl(
            &format!("inclusion_{i}_of_13"),
            i,
            13,
            ls[i as usize],
            p,
            r,
            None,
        );
    }
    let p5 = inclusion_proof(5, 13, &ls[..]).expect("proof");
    incl("inclusion_single_leaf", 0, 1, ls[0], vec![], ls[0], None);
    incl(
        "fail_inclusion_wrong_leaf",
        5,
        13,
        ls[6],
        p5.clone(),
        r,
        Some(ErrorCode::NotInLog),
    );
    incl(
        "fail_inclusion_wrong_index",
        4,
        13,
        ls[5],
        p5.clone(),
        r,
        Some(ErrorCode::NotInLog),
    );
    incl(
        "fail_inclusion_index_equals_size",
        13,
        13,
        ls[5],
        p5.clone(),
        r,
        Some(ErrorCode::NotInLog),
    );
    incl(
        "fail_inclusion_empty_tree",
        0,
        0,
        ls[0],
        vec![],
        EMPTY,
        Some(ErrorCode::NotInLog),
    );
    incl(
        "fail_inclusion_proof_too_short",
        5,
        13,
        ls[5],
        p5[..p5.len() - 1].to_vec(),
        r,
        Some(ErrorCode::Malformed),
    );
    let mut long = p5.clone();
    long.push(ls[0]);
    incl(
        "fail_inclusion_proof_too_long",
        5,
        13,
        ls[5],
        long,
        r,
        Some(ErrorCode::Malformed),
    );
    let mut flipped = p5.clone();
    flipped[1][0] ^= 1;
    incl(
        "fail_inclusion_flipped_bit",
        5,
        13,
        ls[5],
        flipped,
        r,
        Some(ErrorCode::NotInLog),
    );
    // Second preimage: the interior node (l0, l1) presented as a leaf of a tree of size 2.
    let ls4 = &ls[..4];
    let node = omega_core::merkle::node_hash(&ls4[0], &ls4[1]);
    let right = omega_core::merkle::node_hash(&ls4[2], &ls4[3]);
    // With the tree's true size (4) the one-hash proof has the wrong length; and the leaf hash
    // of the bytes 0x01‖l0‖l1 (what a forged entry would hash to) is not the node.
    incl(
        "fail_inclusion_node_as_leaf",
        0,
        4,
        node,
        vec![right],
        root(ls4),
        Some(ErrorCode::Malformed),
    );
    let mut forged = vec![1u8];
    forged.extend_from_slice(&ls4[0]);
    forged.extend_from_slice(&ls4[1]);
    let p0 = inclusion_proof(0, 4, ls4).expect("proof");
    incl(
        "fail_inclusion_forged_entry_of_node_bytes",
        0,
        4,
        leaf_hash(&forged),
        p0,
        root(ls4),
        Some(ErrorCode::NotInLog),
    );

    let mut cons = |name: &str,
                    m: u64,
                    n: u64,
                    rm: Hash,
                    rn: Hash,
                    proof: Vec<Hash>,
                    want: Option<ErrorCode>| {
        let got = verify_consistency(m, n, &rm, &rn, &proof);
        let exp = expect(name, got, want, |()| json!({"valid": true}));
        cases.push(json!({"name": name, "kind": "consistency", "size1": m, "size2": n, "root1": hx(&rm), "root2": hx(&rn), "proof": hashes(&proof), "expect": exp}));
    };
    for m in [1u64, 4, 7, 12, 13] {
        let p = consistency_proof(m, 13, &ls[..]).expect("proof");
        cons(
            &format!("consistency_{m}_to_13"),
            m,
            13,
            root(&ls[..m as usize]),
            r,
            p,
            None,
        );
    }
    let p7 = consistency_proof(7, 13, &ls[..]).expect("proof");
    let r7 = root(&ls[..7]);
    cons(
        "fail_consistency_wrong_old_root",
        7,
        13,
        root(&ls[..6]),
        r,
        p7.clone(),
        Some(ErrorCode::LogInconsistent),
    );
    cons(
        "fail_consistency_wrong_new_root",
        7,
        13,
        r7,
        root(&ls[..12]),
        p7.clone(),
        Some(ErrorCode::LogInconsistent),
    );
    cons(
        "fail_consistency_shrinks",
        13,
        7,
        r,
        r7,
        p7.clone(),
        Some(ErrorCode::LogInconsistent),
    );
    cons(
        "fail_consistency_from_empty",
        0,
        13,
        EMPTY,
        r,
        vec![],
        Some(ErrorCode::Malformed),
    );
    cons(
        "fail_consistency_proof_too_short",
        7,
        13,
        r7,
        r,
        p7[1..].to_vec(),
        Some(ErrorCode::Malformed),
    );
    cons(
        "fail_consistency_same_size_other_root",
        13,
        13,
        r,
        r7,
        vec![],
        Some(ErrorCode::LogInconsistent),
    );
    cons(
        "fail_consistency_same_size_with_proof",
        13,
        13,
        r,
        r,
        vec![r],
        Some(ErrorCode::Malformed),
    );
    let mut flipped = p7.clone();
    flipped[0][31] ^= 0x80;
    cons(
        "fail_consistency_flipped_bit",
        7,
        13,
        r7,
        r,
        flipped,
        Some(ErrorCode::LogInconsistent),
    );

    // Tile paths: format and parse.
    for (level, index, width) in [
        (Some(0u8), 1_234_067u64, 256u16),
        (Some(0), 1_234_067, 8),
        (Some(2), 0, 1),
        (Some(1), 1, 17),
        (Some(0), 273, 112),
        (None, 999, 255),
        (None, 1000, 256),
        (Some(63), (1u64 << 53) - 1, 256),
    ] {
        let p = match level {
            Some(l) => TilePath::hashes(l, index, width),
            None => TilePath::entries(index, width),
        }
        .expect("path");
        cases.push(json!({"name": format!("tile_path_{p}"), "kind": "tile_path", "path": p.to_string(), "expect": path_json(&p)}));
    }
    for bad in [
        "tile/../x",
        "tile/0/x000/001",
        "tile/00/000",
        "tile/64/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/010",
        "tile/0/001/002",
        "tile/0/x001",
        "tile/0/01",
        "tile/0/000/",
        "tile/entries/../000",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "tile/0/000.p/5/6",
        "tile/0/x000/x000/x000/x000/x000/x000/x000/x000/x000/x000/x000/000",
    ] {
        let got = TilePath::parse(bad);
        let want = if bad.len() > omega_core::limits::MAX_TILE_PATH_BYTES {
            ErrorCode::TooLarge
        } else {
            ErrorCode::Malformed
        };
        let exp = expect(bad, got, Some(want), |_| Value::Null);
        cases.push(json!({"name": format!("fail_tile_path_{bad}"), "kind": "tile_path", "path": bad, "expect": exp}));
    }

    // Which tiles: the spec's 70,000 example and a million-entry log.
    for size in [0u64, 1, 256, 257, 70_000, 1_000_000] {
        let ps: Vec<String> = tiles_for_root(size)
            .iter()
            .map(ToString::to_string)
            .collect();
        cases.push(json!({"name": format!("tiles_for_root_{size}"), "kind": "tiles_for_root", "size": size, "expect": {"paths": ps}}));
    }
    for (index, size) in [(0u64, 70_000u64), (69_999, 70_000), (123_456, 1_000_000)] {
        let ps: Vec<String> = tiles_for_inclusion(index, size)
            .expect("tiles")
            .iter()
            .map(ToString::to_string)
            .collect();
        cases.push(json!({"name": format!("tiles_for_inclusion_{index}_{size}"), "kind": "tiles_for_inclusion", "index": index, "size": size, "expect": {"paths": ps}}));
    }
    for (m, n) in [(1u64, 70_000u64), (65_536, 70_000), (500_001, 1_000_000)] {
        let ps: Vec<String> = tiles_for_consistency(m, n)
            .expect("tiles")
            .iter()
            .map(ToString::to_string)
            .collect();
        cases.push(json!({"name": format!("tiles_for_consistency_{m}_{n}"), "kind": "tiles_for_consistency", "size1": m, "size2": n, "expect": {"paths": ps}}));
    }

    // A small tiled log (300 entries: one full and one partial tile and bundle, a level-1
    // partial tile) with proof requests; then the same log with one tile or bundle broken.
    let mut publisher = Publisher::new();
    let es: Vec<Vec<u8>> = (0..300).map(entry).collect();
    let first = publisher.append(&es[..200]).expect("append");
    let a = publisher.append(&es[200..]).expect("append");
    let mut files: BTreeMap<TilePath, Vec<u8>> = BTreeMap::new();
    for f in a.files.iter() {
        files.insert(f.path, f.bytes.clone());
    }
    let ls: Vec<Hash> = es.iter().map(|e| leaf_hash(e)).collect();
    assert_eq!(a.root, root(&ls));
    let r200 = first.root;
    let log_case = |name: &str,
                    files: &BTreeMap<TilePath, Vec<u8>>,
                    requests: Vec<(Value, Option<ErrorCode>)>| {
        let mut reqs = Vec::new();
        for (req, want) in requests {
            let got: omega_core::Result<Value> = match req["proof"].as_str().expect("proof") {
                "inclusion" => {
                    let i = req["index"].as_u64().expect("index");
                    prove_inclusion(i, 300, &a.root, files)
                        .map(|(leaf, p)| json!({"leaf_hash": hx(&leaf), "proof": hashes(&p)}))
                }
                "consistency" => {
                    let m = req["size1"].as_u64().expect("size1");
                    let rm = omega_core::hash::parse_hex32(
                        req["root1"].as_str().expect("root1"),
                        "root1",
                    )
                    .expect("hex");
                    prove_consistency(m, 300, &rm, &a.root, files)
                        .map(|p| json!({"proof": hashes(&p)}))
                }
                "bundle" => {
                    let p = TilePath::parse(req["path"].as_str().expect("path")).expect("path");
                    let mut th = omega_core::tiles::TileHashes::verify(300, &a.root, files)
                        .expect("verified");
                    th.load(&tiles_for_inclusion(p.index() * 256, 300).expect("tiles"), files)
                        .and_then(|()| th.verify_bundle(&p, files.get(&p).map_or(&[][..], Vec::as_slice)).map(|es| json!({"entries": es.iter().map(|e| to_hex(e)).collect::<Vec<_>>()})))
                }
                other => panic!("request {other}"),
            };
            let exp = expect(name, got, want, |v| v);
            let mut req = req.clone();
            req["expect"] = exp;
            reqs.push(req);
        }
        json!({"name": name, "kind": "tile_log", "size": 300, "root": hx(&a.root), "tiles": tiles_json(files), "requests": reqs})
    };
    cases.push(log_case(
        "tile_log_300",
        &files,
        vec![
            (json!({"proof": "inclusion", "index": 0}), None),
            (json!({"proof": "inclusion", "index": 255}), None),
            (json!({"proof": "inclusion", "index": 299}), None),
            (
                json!({"proof": "consistency", "size1": 200, "root1": to_hex(&r200)}),
                None,
            ),
            (
                json!({"proof": "consistency", "size1": 256, "root1": to_hex(&root(&ls[..256]))}),
                None,
            ),
            (
                json!({"proof": "consistency", "size1": 200, "root1": to_hex(&root(&ls[..199]))}),
                Some(ErrorCode::LogInconsistent),
            ),
            (
                json!({"proof": "inclusion", "index": 300}),
                Some(ErrorCode::NotInLog),
            ),
            (
                json!({"proof": "bundle", "path": "tile/entries/001.p/44"}),
                None,
            ),
        ],
    ));
    let mut broken = files.clone();
    broken
        .get_mut(&TilePath::parse("tile/0/000").expect("p"))
        .expect("tile")[100] ^= 4;
    cases.push(log_case(
        "fail_tile_log_300_full_tile_flipped",
        &broken,
        vec![
            (
                json!({"proof": "inclusion", "index": 3}),
                Some(ErrorCode::LogInconsistent),
            ),
            (json!({"proof": "inclusion", "index": 299}), None),
        ],
    ));
    let mut broken = files.clone();
    broken
        .get_mut(&TilePath::parse("tile/0/001.p/44").expect("p"))
        .expect("tile")
        .push(0);
    cases.push(log_case(
        "fail_tile_log_300_partial_tile_extra_byte",
        &broken,
        vec![(
            json!({"proof": "inclusion", "index": 3}),
            Some(ErrorCode::Malformed),
        )],
    ));
    let mut broken = files.clone();
    broken.remove(&TilePath::parse("tile/1/000.p/1").expect("p"));
    cases.push(log_case(
        "fail_tile_log_300_root_tile_missing",
        &broken,
        vec![(
            json!({"proof": "inclusion", "index": 3}),
            Some(ErrorCode::NotFound),
        )],
    ));
    let mut broken = files.clone();
    let bp = TilePath::parse("tile/entries/001.p/44").expect("p");
    let mut bes: Vec<Vec<u8>> = parse_bundle(&files[&bp], 44)
        .expect("bundle")
        .iter()
        .map(|e| e.to_vec())
        .collect();
    bes[7] = b"omega-entry/v1 forged".to_vec();
    broken.insert(bp, write_bundle(&bes).expect("bundle"));
    cases.push(log_case(
        "fail_tile_log_300_bundle_entry_changed",
        &broken,
        vec![(
            json!({"proof": "bundle", "path": "tile/entries/001.p/44"}),
            Some(ErrorCode::NotInLog),
        )],
    ));
    // Fallback: the partial level-0 tile is gone, the full one of a later size stands in.
    let mut later = Publisher::new();
    let more: Vec<Vec<u8>> = (0..512).map(entry).collect();
    let big = later.append(&more).expect("append");
    let mut fallback = files.clone();
    fallback.remove(&TilePath::parse("tile/0/001.p/44").expect("p"));
    let full1 = TilePath::parse("tile/0/001").expect("p");
    fallback.insert(
        full1,
        big.files
            .iter()
            .find(|f| f.path == full1)
            .expect("full tile")
            .bytes
            .clone(),
    );
    cases.push(log_case(
        "tile_log_300_full_tile_fallback",
        &fallback,
        vec![
            (json!({"proof": "inclusion", "index": 299}), None),
            (
                json!({"proof": "consistency", "size1": 200, "root1": to_hex(&r200)}),
                None,
            ),
        ],
    ));

    // Entry bundles.
    let mut bundle = |name: &str, bytes: Vec<u8>, width: u16, want: Option<ErrorCode>| {
        let got = parse_bundle(&bytes, width);
        let exp = expect(
            name,
            got,
            want,
            |es| json!({"entries": es.iter().map(|e| to_hex(e)).collect::<Vec<_>>()}),
        );
        cases.push(json!({"name": name, "kind": "bundle", "bundle": to_hex(&bytes), "width": width, "expect": exp}));
    };
    let three = write_bundle(&[&b"a"[..], b"", b"ccc"]).expect("bundle");
    bundle("bundle_three_with_empty_entry", three.clone(), 3, None);
    bundle(
        "fail_bundle_more_entries_than_width",
        three.clone(),
        2,
        Some(ErrorCode::Malformed),
    );
    bundle(
        "fail_bundle_fewer_entries_than_width",
        three.clone(),
        4,
        Some(ErrorCode::Malformed),
    );
    let mut trailing = three.clone();
    trailing.push(0);
    bundle(
        "fail_bundle_trailing_byte",
        trailing,
        3,
        Some(ErrorCode::Malformed),
    );
    bundle(
        "fail_bundle_length_overruns",
        vec![0, 9, 1, 2, 3],
        1,
        Some(ErrorCode::Malformed),
    );
    bundle(
        "fail_bundle_half_length_prefix",
        vec![0],
        1,
        Some(ErrorCode::Malformed),
    );
    bundle(
        "fail_bundle_width_zero",
        vec![],
        0,
        Some(ErrorCode::Malformed),
    );
    bundle(
        "fail_bundle_width_257",
        three,
        257,
        Some(ErrorCode::Malformed),
    );
    let long = vec![0xabu8; 1000];
    bundle(
        "bundle_long_entry",
        write_bundle(&[&long[..], b"z"]).expect("bundle"),
        2,
        None,
    );

    // A publisher append from empty: the files to write and the root.
    let mut p = Publisher::new();
    let es: Vec<Vec<u8>> = (0..3).map(entry).collect();
    let a = p.append(&es).expect("append");
    cases.push(json!({"name": "publish_3_from_empty", "kind": "publish", "entries": es.iter().map(|e| to_hex(e)).collect::<Vec<_>>(), "expect": {"size": a.size, "root": hx(&a.root), "files": a.files.iter().map(|f| json!({"path": f.path.to_string(), "bytes": to_hex(&f.bytes)})).collect::<Vec<_>>()}}));

    cases
}

const EMPTY: Hash = omega_core::merkle::EMPTY_ROOT;
