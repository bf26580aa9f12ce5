//! Criterion benchmarks of the transparency log (figures go to docs/benchmarks.md, section
//! "Registry: Merkle proofs and tiles"): proofs built from tiles for a 1,000,000-entry log
//! (the tiles are built in memory in the setup; "fetching" is a map lookup, so the figures are
//! the CPU cost: tile verification against the root and parents, proof building, proof
//! verification), and the publisher building tiles and bundles on append.
//!
//! The setup also counts the tiles each proof needs and asserts the bound
//! `2·ceil(log256 n) + 2` over a sweep of indexes and sizes, printing the maxima.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use omega_core::merkle::Hash;
use omega_core::tiles::{
    prove_consistency, prove_inclusion, tiles_for_consistency, tiles_for_inclusion, Publisher,
    TileKind, TilePath,
};

const N: u64 = 1_000_000;

fn entry(i: u64) -> Vec<u8> {
    format!("omega-entry/v1 bench {i:08}").into_bytes()
}

struct Log {
    tiles: BTreeMap<TilePath, Vec<u8>>,
    root: Hash,
    /// Roots of a few older sizes, for consistency proofs.
    old: Vec<(u64, Hash)>,
}

fn build() -> Log {
    let mut p = Publisher::new();
    let mut tiles = BTreeMap::new();
    let mut old = Vec::new();
    let mut next = 0u64;
    // Chunks of 37,037 entries leave partial tiles at odd sizes on the way.
    while next < N {
        let end = (next + 37_037).min(N);
        let es: Vec<Vec<u8>> = (next..end).map(entry).collect();
        let a = p.append(&es).unwrap();
        for f in a.files {
            if f.path.kind() != TileKind::Entries {
                tiles.insert(f.path, f.bytes);
            }
        }
        old.push((a.size, a.root));
        next = end;
    }
    let root = p.root();
    Log { tiles, root, old }
}

fn bound(n: u64) -> usize {
    let mut levels = 0;
    let mut span = 1u128;
    while span < u128::from(n) {
        span *= 256;
        levels += 1;
    }
    2 * levels + 2
}

fn count_tiles() {
    let mut max_incl = 0;
    let mut max_cons = 0;
    for n in [
        1u64,
        255,
        256,
        257,
        65_535,
        65_536,
        65_537,
        70_000,
        16_777_216,
        N,
        u64::MAX >> 1,
    ] {
        let b = bound(n);
        let step = (n / 97).max(1);
        let mut i = 0u64;
        while i < n {
            let k = tiles_for_inclusion(i, n).unwrap().len();
            assert!(k <= b, "inclusion {i} of {n}: {k} tiles > {b}");
            if n == N {
                max_incl = max_incl.max(k);
            }
            let m = i + 1;
            let k = tiles_for_consistency(m, n).unwrap().len();
            assert!(k <= b, "consistency {m} -> {n}: {k} tiles > {b}");
            if n == N {
                max_cons = max_cons.max(k);
            }
            i = i.saturating_add(step);
        }
    }
    println!(
        "tiles per proof, n = {N}: inclusion max {max_incl}, consistency max {max_cons}, bound {}",
        bound(N)
    );
}

fn bench_proofs(c: &mut Criterion) {
    count_tiles();
    let log = build();
    assert_eq!(
        omega_core::tiles::TileHashes::verify(N, &log.root, &log.tiles)
            .unwrap()
            .root(),
        &log.root
    );
    let mut g = c.benchmark_group("log_1M");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("inclusion_from_tiles", |b| {
        b.iter(|| {
            i = (i + 7_919) % N;
            black_box(prove_inclusion(i, N, &log.root, &log.tiles).unwrap())
        })
    });
    let mut k = 0usize;
    g.bench_function("consistency_from_tiles", |b| {
        b.iter(|| {
            k = (k + 1) % (log.old.len() - 1);
            let (m, rm) = log.old[k];
            black_box(prove_consistency(m, N, &rm, &log.root, &log.tiles).unwrap())
        })
    });
    g.finish();
}

fn bench_append(c: &mut Criterion) {
    let mut g = c.benchmark_group("publisher");
    let batch = 100_000u64;
    let es: Vec<Vec<u8>> = (0..batch).map(entry).collect();
    g.throughput(Throughput::Elements(batch));
    g.sample_size(10);
    g.bench_with_input(BenchmarkId::new("append_100k", 0), &es, |b, es| {
        b.iter(|| {
            let mut p = Publisher::new();
            black_box(p.append(es).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, bench_proofs, bench_append);
criterion_main!(benches);
