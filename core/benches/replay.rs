//! Criterion benchmark of the registry replay (REGISTRY.md R4; figures in docs/benchmarks.md,
//! section "Registry: statements and replay"): a log of one genesis, one owners entry and
//! release entries signed by one owner key each, replayed from the genesis one by one and
//! batched (`Verification::Batch`; the batch equation needs the `batch` feature, without it
//! the same path verifies one by one), and prechecked (`Verification::Prechecked`: a window's
//! signatures first, on all cores with the `parallel` feature, then the entries in order).
//! Also the parse-only cost (entries parsed, no
//! signatures verified), which bounds what is not Ed25519.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use omega_core::entry::Entry;
use omega_core::manifest::KeySet;
use omega_core::registry::{replay, ReplayOptions, Verification};
use omega_core::secret::SecretKey;
use omega_core::signature::LegacyPolicy;
use omega_core::statement::{
    Mode, OwnersStatement, RegistryStatement, ReleaseStatement, Statement,
};
use omega_core::vkey::Vkey;
use omega_core::{KeyId, TreeDigest};

const ORIGIN: &str = "registry.example/log";

fn key(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32], KeyId([n; 8]))
}

fn log(releases: usize) -> Vec<Vec<u8>> {
    let (j, owner) = (key(1), key(10));
    let one = |k: &SecretKey| KeySet {
        threshold: 1,
        signers: vec![k.public_key()],
        next: vec![],
    };
    let sign =
        |st: &Statement, k: &SecretKey| Entry::sign(st, &[k], "omega-entry/v1").unwrap().to_bytes();
    let mut out = vec![sign(
        &Statement::Registry(RegistryStatement {
            origin: ORIGIN.into(),
            serial: 0,
            janitors: one(&j),
            log_key: Vkey::ed25519(ORIGIN, [7; 32]).unwrap(),
            index_key: Vkey::ed25519("registry.example/index", [8; 32]).unwrap(),
            mode: Mode::Open,
        }),
        &j,
    )];
    out.push(sign(
        &Statement::Owners(OwnersStatement {
            origin: ORIGIN.into(),
            name: "left-pad".into(),
            serial: 0,
            keys: one(&owner),
            reason: String::new(),
        }),
        &owner,
    ));
    for i in 0..releases {
        out.push(sign(
            &Statement::Release(ReleaseStatement {
                origin: ORIGIN.into(),
                name: "left-pad".into(),
                version: format!("1.0.{i}"),
                sequence: i as u64 + 1,
                tree: TreeDigest([i as u8; 32]),
                manifest: [1; 32],
                tgz: [2; 32],
                size: 4096,
                keys: one(&owner),
            }),
            &owner,
        ));
    }
    out
}

fn bench_replay(c: &mut Criterion) {
    let n = 2000;
    let entries = log(n);
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let mut g = c.benchmark_group("replay");
    g.throughput(Throughput::Elements(refs.len() as u64));
    for (label, verification) in [
        ("one_by_one", Verification::OneByOne),
        ("batch", Verification::Batch),
        ("prechecked", Verification::Prechecked),
    ] {
        g.bench_with_input(BenchmarkId::new(label, refs.len()), &refs, |b, refs| {
            b.iter(|| {
                let r = replay(
                    None,
                    refs.iter().copied(),
                    ReplayOptions {
                        verification,
                        ..Default::default()
                    },
                );
                assert_eq!(r.state.unwrap().size, refs.len() as u64);
            })
        });
    }
    // Calibration in the same run: verifying the minisign blocks alone (two strict Ed25519
    // verifications each, prehash included), no parsing, no state.
    let parsed: Vec<Entry> = refs.iter().map(|e| Entry::parse(e).unwrap()).collect();
    let owner = key(10).public_key();
    g.bench_with_input(
        BenchmarkId::new("blocks_only", refs.len()),
        &parsed,
        |b, parsed| {
            b.iter(|| {
                for e in &parsed[1..] {
                    e.signatures[0]
                        .verify(&owner, &e.statement_bytes, LegacyPolicy::Refuse)
                        .unwrap();
                }
            })
        },
    );
    g.bench_with_input(
        BenchmarkId::new("parse_only", refs.len()),
        &refs,
        |b, refs| {
            b.iter(|| {
                refs.iter()
                    .map(|e| Entry::parse(e).unwrap().signatures.len())
                    .sum::<usize>()
            })
        },
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(3));
    targets = bench_replay
}
criterion_main!(benches);
