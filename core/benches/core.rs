//! Criterion benchmarks of the hot paths (figures go to docs/benchmarks.md; `make bench`):
//! BLAKE2b-256 throughput, tree digests single-threaded and parallel against `b2sum -l 256`
//! over the same files in the same run, and signature verification one by one and batched.
//!
//! Trees: (a) one 1 GiB file, (b) a real node_modules (path in OMEGA_BENCH_NODE_MODULES, made
//! by scripts/bench.sh: express + lodash from the npm registry), (c) 20,000 small files,
//! (d) 8 files of 128 MiB. Set OMEGA_BENCH_QUICK=1 to shrink (a) and (d) for a smoke run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use omega_core::ed25519::{verify_batch_strict, verify_strict, BatchItem};
use omega_core::fs::{read_tree_with, walk, Hashing};
use omega_core::hash::blake2b256;
use omega_core::secret::SecretKey;
use omega_core::signature::LegacyPolicy;
use omega_core::KeyId;

fn quick() -> bool {
    std::env::var_os("OMEGA_BENCH_QUICK").is_some()
}

fn bench_hash(c: &mut Criterion) {
    let mut g = c.benchmark_group("blake2b256");
    for size in [4096usize, 1 << 20] {
        let data = vec![0xa5u8; size];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::from_parameter(size), &data, |b, d| {
            b.iter(|| blake2b256(d))
        });
    }
    g.finish();
}

fn make_tree(root: &Path, files: usize, size: usize) {
    std::fs::create_dir_all(root).unwrap();
    for i in 0..files {
        let dir = root.join(format!("d{:03}", i % 200));
        std::fs::create_dir_all(&dir).unwrap();
        let data: Vec<u8> = (0..size).map(|j| (i * 31 + j) as u8).collect();
        std::fs::write(dir.join(format!("f{i}.js")), data).unwrap();
    }
}

/// `b2sum -l 256` over every file of the tree (through xargs, like a shell user would).
fn b2sum(root: &Path) {
    let list: Vec<u8> = walk(root)
        .unwrap()
        .into_iter()
        .flat_map(|(_, p)| {
            let mut v = p.into_os_string().into_encoded_bytes();
            v.push(0);
            v
        })
        .collect();
    let mut child = Command::new("xargs")
        .args(["-0", "b2sum", "-l", "256"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("xargs/b2sum");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&list).unwrap();
    assert!(child.wait().unwrap().success());
}

fn bench_tree(c: &mut Criterion, name: &str, root: &Path, samples: usize) {
    let bytes: u64 = walk(root)
        .unwrap()
        .iter()
        .map(|(_, p)| std::fs::metadata(p).unwrap().len())
        .sum();
    let mut g = c.benchmark_group(format!("tree/{name}"));
    g.sample_size(samples)
        .measurement_time(Duration::from_secs(if quick() { 3 } else { 10 }));
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("omega-sequential", |b| {
        b.iter(|| read_tree_with(root, Hashing::Sequential).unwrap().digest())
    });
    g.bench_function("omega-parallel", |b| {
        b.iter(|| read_tree_with(root, Hashing::Parallel).unwrap().digest())
    });
    g.bench_function("b2sum", |b| b.iter(|| b2sum(root)));
    g.finish();
}

fn bench_trees(c: &mut Criterion) {
    let base = PathBuf::from(
        std::env::var("OMEGA_BENCH_DIR").unwrap_or_else(|_| "/tmp/omega-bench".into()),
    );
    let big = base.join("one-big-file");
    let big_size: usize = if quick() { 64 << 20 } else { 1 << 30 };
    if std::fs::metadata(big.join("big.bin"))
        .map(|m| m.len() as usize)
        .ok()
        != Some(big_size)
    {
        std::fs::create_dir_all(&big).unwrap();
        let chunk: Vec<u8> = (0..(1 << 20)).map(|i| (i * 7) as u8).collect();
        let mut f = std::fs::File::create(big.join("big.bin")).unwrap();
        use std::io::Write;
        for _ in 0..big_size >> 20 {
            f.write_all(&chunk).unwrap();
        }
    }
    bench_tree(c, "one-large-file", &big, 10);
    let large = base.join("eight-large-files");
    let each: usize = if quick() { 16 << 20 } else { 128 << 20 };
    if !large.join("d007").exists() {
        make_tree(&large, 8, each);
    }
    bench_tree(c, "eight-large-files", &large, 10);
    let small = base.join("20000-small-files");
    if !small.join("d199").exists() {
        make_tree(&small, 20_000, 200);
    }
    bench_tree(c, "20000-small-files", &small, 20);
    match std::env::var_os("OMEGA_BENCH_NODE_MODULES") {
        Some(nm) => bench_tree(c, "node_modules", Path::new(&nm), 50),
        None => eprintln!("OMEGA_BENCH_NODE_MODULES not set: skipping the node_modules tree (scripts/bench.sh sets it)"),
    }
}

fn bench_verify(c: &mut Criterion) {
    let keys: Vec<SecretKey> = (0..4u8)
        .map(|i| SecretKey::from_seed(&[i + 1; 32], KeyId([i; 8])))
        .collect();
    let msgs: Vec<Vec<u8>> = (0..256u32)
        .map(|i| format!("manifest {i}").into_bytes())
        .collect();
    let sigs: Vec<[u8; 64]> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| keys[i % 4].sign_raw(m))
        .collect();
    let pks: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(1));
    let dalek = pks[0].verifying_key();
    let sig0 = ed25519_dalek::Signature::from_bytes(&sigs[0]);
    g.bench_function("dalek-verify_strict", |b| {
        b.iter(|| dalek.verify_strict(&msgs[0], &sig0).is_ok())
    });
    g.bench_function("omega-verify_strict", |b| {
        b.iter(|| verify_strict(&pks[0], &msgs[0], &sigs[0]))
    });
    let block = keys[0]
        .sign(b"a small manifest", "trusted", "untrusted")
        .unwrap();
    g.throughput(Throughput::Elements(1));
    g.bench_function("minisign-block (2 verifications)", |b| {
        b.iter(|| {
            block
                .verify(&pks[0], b"a small manifest", LegacyPolicy::Refuse)
                .is_ok()
        })
    });
    for n in [16usize, 64, 256] {
        let items: Vec<BatchItem<'_>> = (0..n)
            .map(|i| BatchItem {
                key: &pks[i % 4],
                message: &msgs[i],
                signature: &sigs[i],
            })
            .collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("omega-batch", n), &items, |b, items| {
            b.iter(|| verify_batch_strict(items))
        });
        g.bench_with_input(BenchmarkId::new("one-by-one", n), &items, |b, items| {
            b.iter(|| {
                items
                    .iter()
                    .map(|i| verify_strict(i.key, i.message, i.signature))
                    .collect::<Vec<_>>()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_hash, bench_verify, bench_trees);
criterion_main!(benches);
