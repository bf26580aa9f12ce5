'use strict';
// Issue 15's benchmark: `verifyCheckpoint` + `verifyInclusion` through the WASM engine against
// the native addon, in the same run (docs/benchmarks.md, "Log checks: WASM vs native"). Each
// round runs both engines once, in alternating order, as child processes (the engine is chosen
// when omega-verify loads: OMEGA_ENGINE); each child runs the pair of checks for a fixed time
// and reports operations per second. The medians of the per-round ratios are printed, so a
// change in the machine's load between rounds cancels out.
//
//   node bench/log-engines.js [rounds=7] [seconds per run=1]
//
// Inputs are the project's vectors: client.json's first case (a witnessed checkpoint under its
// policy, at its `now`) and log_proofs.json's longest inclusion proof.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repo = path.resolve(__dirname, '..', '..', '..');
const vectors = path.join(repo, 'tests', 'vectors');

if (process.argv[2] === '--child') {
  const seconds = Number(process.argv[3]);
  const Ω = require(path.join(__dirname, '..'));
  const client = JSON.parse(fs.readFileSync(path.join(vectors, 'client.json'), 'utf8'));
  const proofs = JSON.parse(fs.readFileSync(path.join(vectors, 'log_proofs.json'), 'utf8'));
  const c = client.cases.find((x) => x.expect && !x.expect.error && x.now);
  const incl = proofs.cases
    .filter((x) => x.kind === 'inclusion' && x.expect && x.expect.valid === true)
    .sort((a, b) => b.proof.length - a.proof.length)[0];
  const note = Buffer.from(c.checkpoint);
  const run = () => {
    const v = Ω.verifyCheckpoint(note, client.policy, { now: c.now, maxAge: c.max_age });
    if (!v.size) throw new Error('no size');
    Ω.verifyInclusion(incl.index, incl.size, incl.leaf_hash, incl.proof, incl.root);
  };
  for (let i = 0; i < 200; i++) run(); // warm-up
  let n = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(seconds * 1e9));
  let t = t0;
  while (t < end) {
    for (let i = 0; i < 50; i++) run();
    n += 50;
    t = process.hrtime.bigint();
  }
  const s = Number(t - t0) / 1e9;
  process.stdout.write(JSON.stringify({ engine: Ω.engine, perSecond: n / s, proof: incl.proof.length }));
  process.exit(0);
}

const rounds = Number(process.argv[2] || 7);
const seconds = Number(process.argv[3] || 1);
function child(engine) {
  const r = spawnSync(process.execPath, [__filename, '--child', String(seconds)], {
    env: { ...process.env, OMEGA_ENGINE: engine },
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    console.error(`log-engines: ${engine} child failed (${r.status}):\n${r.stderr}`);
    process.exit(1);
  }
  const out = JSON.parse(r.stdout);
  if (out.engine !== engine) {
    console.error(`log-engines: asked for ${engine}, got ${out.engine}`);
    process.exit(1);
  }
  return out;
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const native = [];
const wasm = [];
const ratio = [];
let proof = 0;
const load0 = os.loadavg();
for (let i = 0; i < rounds; i++) {
  const order = i % 2 ? ['wasm', 'native'] : ['native', 'wasm'];
  const got = {};
  for (const e of order) got[e] = child(e);
  native.push(got.native.perSecond);
  wasm.push(got.wasm.perSecond);
  ratio.push(got.native.perSecond / got.wasm.perSecond);
  proof = got.native.proof;
}
console.log(`node ${process.version}; verifyCheckpoint (1 log signature + witness cosignatures) + verifyInclusion (${proof}-hash proof), ${rounds} rounds × ${seconds} s per engine`);
console.log(`native: ${median(native).toFixed(0)} pairs/s (median)`);
console.log(`wasm:   ${median(wasm).toFixed(0)} pairs/s (median)`);
console.log(`wasm time / native time: ${median(ratio).toFixed(2)}× (median of per-round ratios; target ≤ 2×)`);
const la = (l) => l.map((x) => x.toFixed(2)).join(' ');
console.log(`per-round ratios: ${ratio.map((r) => r.toFixed(2)).join(' ')}`);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0].model}; load average ${la(load0)} before, ${la(os.loadavg())} after`);
