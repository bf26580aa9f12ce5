//! Criterion benchmarks of the registry's note checks (figures in docs/benchmarks.md,
//! "Notes, checkpoints, policies, index notes"): verifying a checkpoint with its log signature
//! and 3 cosignatures under a 2-of-3 quorum, parsing that note alone, verifying a single
//! Ed25519 note, and verifying a 1,000-line index note.

use criterion::{criterion_group, criterion_main, Criterion};
use omega_core::checkpoint::Checkpoint;
use omega_core::index::{IndexLine, IndexNote};
use omega_core::note::{self, cosign, sign_ed25519, Note};
use omega_core::policy::Policy;
use omega_core::secret::SecretKey;
use omega_core::KeyId;

const NOW: u64 = 1_800_000_000;

fn key(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32], KeyId([n; 8]))
}

fn bench_checkpoint(c: &mut Criterion) {
    let origin = "registry.example/log";
    let text = Checkpoint {
        origin: origin.into(),
        size: 1_234_567,
        root: [7; 32],
        extensions: vec![],
    }
    .to_text();
    let mut n = Note::new(&text).unwrap();
    n.add_signature(sign_ed25519(&text, origin, &key(1)).unwrap())
        .unwrap();
    let mut policy = format!("log {}\n", note::signer_vkey(origin, &key(1)).unwrap());
    for w in 0..3u8 {
        let name = format!("w{w}.example");
        n.add_signature(cosign(&text, &name, &key(10 + w), NOW - 60).unwrap())
            .unwrap();
        let v = note::cosigner_vkey(&name, &key(10 + w)).unwrap();
        policy.push_str(&format!("witness W{w} {v}\n"));
    }
    policy.push_str("group G 2 W0 W1 W2\nquorum G\n");
    let policy = Policy::parse(&policy).unwrap();
    let bytes = n.to_text().into_bytes();
    assert!(policy.verify_checkpoint(&bytes, Some(NOW), 86_400).is_ok());

    c.bench_function("checkpoint/verify log + 3 cosignatures, 2-of-3", |b| {
        b.iter(|| policy.verify_checkpoint(&bytes, Some(NOW), 86_400).unwrap())
    });
    c.bench_function("checkpoint/parse note (4 signatures)", |b| {
        b.iter(|| Note::parse(&bytes).unwrap())
    });
    c.bench_function("policy/parse (1 log, 3 witnesses, 1 group)", |b| {
        let text = policy.to_text();
        b.iter(|| Policy::parse(&text).unwrap())
    });
    let single = format!(
        "{text}\n{}",
        sign_ed25519(&text, origin, &key(1)).unwrap().to_line()
    );
    let vk = [note::signer_vkey(origin, &key(1)).unwrap()];
    c.bench_function("note/open one Ed25519 signature", |b| {
        b.iter(|| note::open(single.as_bytes(), &vk).unwrap())
    });
}

fn bench_index(c: &mut Criterion) {
    let idx = IndexNote {
        origin: "registry.example/log".into(),
        name: "left-pad".into(),
        as_of: 100_000,
        expires: NOW + 86_400,
        lines: (0..1000u64)
            .map(|e| IndexLine::Release {
                entry: e * 10,
                version: format!("1.{e}.0"),
                sequence: e + 1,
                tgz: [0x11; 32],
                manifest: [0x22; 32],
            })
            .collect(),
    };
    let k = key(40);
    let signed = idx.sign("registry.example/index", &k).unwrap();
    let vk = note::signer_vkey("registry.example/index", &k).unwrap();
    let text = idx.to_text();
    c.bench_function("index/parse text, 1,000 release lines", |b| {
        b.iter(|| IndexNote::parse(&text).unwrap())
    });
    c.bench_function("index/verify 1,000 release lines", |b| {
        b.iter(|| {
            IndexNote::verify(
                signed.as_bytes(),
                &vk,
                "registry.example/log",
                "left-pad",
                100_000,
                Some(NOW),
            )
            .unwrap()
        })
    });
}

criterion_group!(benches, bench_checkpoint, bench_index);
criterion_main!(benches);
