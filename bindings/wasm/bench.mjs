// Benchmarks the Ωpm WebAssembly build (pkg-node/) in Node against @noble/ed25519,
// @noble/hashes and libsodium-wrappers, in one run, and prints ratios against libsodium:
//   Ed25519 verifications per second (strict rules everywhere: noble with zip215 false),
//   one by one and, for Ωpm, in one batch; BLAKE2b-256 throughput on 1 MiB and on 1 KiB inputs.
// Every contender runs in rounds interleaved with the others and the median round counts, so
// that other work on the machine hurts all of them alike.
//   node bench.mjs [--seconds S] [--rounds R] [--json]      (make -C ../.. bench-wasm)
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const SECONDS = opt('--seconds', 0.3);
const ROUNDS = opt('--rounds', 15);
const JSON_OUT = args.includes('--json');

let omega;
try {
  omega = require(join(here, 'pkg-node', 'omega.js'));
} catch (e) {
  console.error(`bench: cannot load pkg-node/omega.js (${e.message}); run \`make build-wasm\` first`);
  process.exit(1);
}
// The browser's verifier module (pkg/omega.js: opt-level z around the crypto, no `fast`
// tables), measured too: the size target is its, and its speed is what a page gets.
const web = await import(join(here, 'pkg', 'omega.js')).catch(() => null);
if (!web) {
  console.error('bench: cannot load pkg/omega.js; run `make build-wasm` first');
  process.exit(1);
}
web.initSync({ module: readFileSync(join(here, 'pkg', 'omega_bg.wasm')) });
const sodium = require('libsodium-wrappers');
await sodium.ready;
const ed = await import('@noble/ed25519');
const { sha512 } = await import('@noble/hashes/sha2.js');
const { blake2b } = await import('@noble/hashes/blake2.js');
ed.hashes.sha512 = sha512;

// Fixed inputs: 64 key pairs from fixed seeds, each signing a different 64-byte message (the
// size of minisign's BLAKE2b-512 prehash, which is what Ωpm verifies most).
const N = 64;
const items = [];
for (let i = 0; i < N; i++) {
  const seed = new Uint8Array(32).fill(i + 1);
  const kp = sodium.crypto_sign_seed_keypair(seed);
  const message = sodium.crypto_generichash(64, new Uint8Array([i]));
  const signature = sodium.crypto_sign_detached(message, kp.privateKey);
  items.push({ publicKey: kp.publicKey, message, signature });
}
// Everyone must agree before anything is timed.
for (const it of items) {
  const verdicts = [
    omega.verifyEd25519(it.publicKey, it.message, it.signature),
    sodium.crypto_sign_verify_detached(it.signature, it.message, it.publicKey),
    ed.verify(it.signature, it.message, it.publicKey, { zip215: false }),
  ];
  if (!verdicts.every(Boolean)) throw new Error(`bench: a valid signature was refused: ${verdicts}`);
}
// The same number of signatures by ONE key: what a package check meets (a minisign block
// gives two signatures by the same key; an audit, many packages by few authors).
const oneKey = [];
{
  const kp = sodium.crypto_sign_seed_keypair(new Uint8Array(32).fill(99));
  for (let i = 0; i < N; i++) {
    const message = sodium.crypto_generichash(64, new Uint8Array([i, 1]));
    oneKey.push({ publicKey: kp.publicKey, message, signature: sodium.crypto_sign_detached(message, kp.privateKey) });
  }
}
if (!omega.verifyEd25519Batch(items).every(Boolean)) throw new Error('bench: batch refused');
if (!omega.verifyEd25519Batch(oneKey).every(Boolean)) throw new Error('bench: batch refused');
const big = new Uint8Array(1 << 20).map((_, i) => (i * 31 + 7) & 0xff);
const small = big.subarray(0, 1024);
const hex = (u) => Buffer.from(u).toString('hex');
for (const data of [big, small]) {
  const want = hex(sodium.crypto_generichash(32, data));
  if (hex(omega.blake2b256(data)) !== want || hex(blake2b(data, { dkLen: 32 })) !== want) {
    throw new Error('bench: BLAKE2b-256 results differ');
  }
}

/** Runs `fn` (doing `units` units of work per call) for about SECONDS; returns units/s. */
function rate(fn, units) {
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < SECONDS * 1000) {
    fn(calls++);
    t = performance.now();
  }
  return (calls * units) / ((t - t0) / 1000);
}

const cases = {
  'ed25519 verify, one by one (verifications/s)': {
    'omega-wasm': (k) => { const it = items[k % N]; omega.verifyEd25519(it.publicKey, it.message, it.signature); },
    'omega-wasm browser': (k) => { const it = items[k % N]; web.verifyEd25519(it.publicKey, it.message, it.signature); },
    'libsodium-wrappers': (k) => { const it = items[k % N]; sodium.crypto_sign_verify_detached(it.signature, it.message, it.publicKey); },
    '@noble/ed25519': (k) => { const it = items[k % N]; ed.verify(it.signature, it.message, it.publicKey, { zip215: false }); },
    units: 1,
  },
  'ed25519 verify, batch of 64, 64 keys (verifications/s)': {
    'omega-wasm': () => { omega.verifyEd25519Batch(items); },
    units: N,
  },
  'ed25519 verify, batch of 64, one key (verifications/s)': {
    'omega-wasm': () => { omega.verifyEd25519Batch(oneKey); },
    'omega-wasm one by one': () => { for (const it of oneKey) omega.verifyEd25519(it.publicKey, it.message, it.signature); },
    units: N,
  },
  'BLAKE2b-256 of 1 MiB (MB/s)': {
    'omega-wasm': () => omega.blake2b256(big),
    'omega-wasm browser': () => web.blake2b256(big),
    'libsodium-wrappers': () => sodium.crypto_generichash(32, big),
    '@noble/hashes': () => blake2b(big, { dkLen: 32 }),
    units: big.length / 1e6,
  },
  'BLAKE2b-256 of 1 KiB (MB/s)': {
    'omega-wasm': () => omega.blake2b256(small),
    'libsodium-wrappers': () => sodium.crypto_generichash(32, small),
    '@noble/hashes': () => blake2b(small, { dkLen: 32 }),
    units: small.length / 1e6,
  },
};

// Each round measures every contender back to back; ratios are taken within a round (so a
// burst of other work on the machine hits both sides of a ratio), then the median is kept.
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
const ratios = {};
for (const [name, c] of Object.entries(cases)) {
  const who = Object.keys(c).filter((k) => k !== 'units');
  const base = who.includes('libsodium-wrappers') ? 'libsodium-wrappers' : who[who.length - 1];
  for (const w of who) rate(c[w], c.units); // warm-up (JIT, wasm tier-up)
  const runs = Object.fromEntries(who.map((w) => [w, []]));
  const rel = Object.fromEntries(who.map((w) => [w, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const round = {};
    for (const w of who) round[w] = rate(c[w], c.units);
    for (const w of who) {
      runs[w].push(round[w]);
      rel[w].push(round[w] / round[base]);
    }
  }
  results[name] = Object.fromEntries(who.map((w) => [w, median(runs[w])]));
  ratios[name] = { base, ...Object.fromEntries(who.map((w) => [w, median(rel[w])])) };
}

const R = (name) => ratios[name];
const verifyName = 'ed25519 verify, one by one (verifications/s)';
const b2Name = 'BLAKE2b-256 of 1 MiB (MB/s)';
const wasmBytes = readFileSync(join(here, 'pkg', 'omega_bg.wasm'));
const summary = {
  node: process.version,
  rounds: ROUNDS,
  seconds_per_round: SECONDS,
  wasm_bytes: wasmBytes.length,
  wasm_gzip_bytes: gzipSync(wasmBytes, { level: 9 }).length,
  results,
  ratios,
  targets: {
    'verify >= 1.0x libsodium-wrappers': R(verifyName)['omega-wasm'],
    'verify (browser module) vs libsodium-wrappers': R(verifyName)['omega-wasm browser'],
    'blake2b >= 1.1x libsodium crypto_generichash (1 MiB)': R(b2Name)['omega-wasm'],
    'blake2b (browser module) vs libsodium': R(b2Name)['omega-wasm browser'],
    'batch speed-up over one by one (one key)': R('ed25519 verify, batch of 64, one key (verifications/s)')['omega-wasm'],
    'batch speed-up over one by one (64 keys)':
      results['ed25519 verify, batch of 64, 64 keys (verifications/s)']['omega-wasm'] / results[verifyName]['omega-wasm'],
    '.wasm <= 250 KiB raw': wasmBytes.length / 1024,
  },
};

if (JSON_OUT) {
  console.log(JSON.stringify(summary, null, 2));
} else {
  const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  console.log(`Ωpm WebAssembly benchmark, node ${process.version}: ${ROUNDS} rounds × ${SECONDS} s per contender, medians (ratios per round)`);
  for (const [name, r] of Object.entries(results)) {
    console.log(`\n${name}`);
    const { base } = ratios[name];
    for (const [who, v] of Object.entries(r)) {
      const ratio = who === base ? '' : `  ${ratios[name][who].toFixed(2)}× ${base}`;
      console.log(`  ${who.padEnd(22)} ${fmt(v).padStart(9)}${ratio}`);
    }
  }
  const t = summary.targets;
  const mark = (ok) => (ok ? 'met' : 'NOT met');
  console.log(`\nsize: pkg/omega_bg.wasm (the browser's verifier module) ${summary.wasm_bytes} bytes (${(summary.wasm_bytes / 1024).toFixed(1)} KiB), ${summary.wasm_gzip_bytes} gzipped`);
  console.log('targets:');
  console.log(`  verify ≥ 1.0× libsodium-wrappers:        ${t['verify >= 1.0x libsodium-wrappers'].toFixed(2)}× (${mark(t['verify >= 1.0x libsodium-wrappers'] >= 1.0)})`);
  console.log(`  (browser module: ${t['verify (browser module) vs libsodium-wrappers'].toFixed(2)}×)`);
  console.log(`  BLAKE2b ≥ 1.1× libsodium generichash:    ${t['blake2b >= 1.1x libsodium crypto_generichash (1 MiB)'].toFixed(2)}× (${mark(t['blake2b >= 1.1x libsodium crypto_generichash (1 MiB)'] >= 1.1)})`);
  console.log(`  (browser module: ${t['blake2b (browser module) vs libsodium'].toFixed(2)}×)`);
  console.log(`  .wasm ≤ 250 KiB raw:                     ${t['.wasm <= 250 KiB raw'].toFixed(1)} KiB (${mark(t['.wasm <= 250 KiB raw'] <= 250)})`);
  console.log(`  batch of 64 vs one by one, one key:     ${t['batch speed-up over one by one (one key)'].toFixed(2)}× (exact verdicts; docs/ed25519.md §5)`);
  console.log(`  batch of 64 vs one by one, 64 keys:     ${t['batch speed-up over one by one (64 keys)'].toFixed(2)}×`);
}
