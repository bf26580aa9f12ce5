'use strict';
// Cold start ratios on a loaded machine (docs/benchmarks.md): hyperfine times each command in
// a block of its own, so a change in the machine's load between blocks shows up as a change in
// the ratios. This runs the configurations interleaved instead: each round runs every
// configuration once, in a shuffled order, and the ratio of each to plain is taken within the
// round; the medians of those per-round ratios are printed, with the median wall time of each
// configuration.
//
//   node interleaved.js <app dir> <node binary> <rounds> <script> [register.js …]
//
// Each register.js gets four configurations: tree/files × native/wasm (named after its
// position: the first is "now", the others "before", "before 2", …).

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const [app, node, roundsText, script, ...registers] = process.argv.slice(2);
const rounds = Number(roundsText);
if (!app || !node || !(rounds > 0) || !script || registers.length === 0) {
  console.error('usage: node interleaved.js <app dir> <node> <rounds> <script> <register.js>…');
  process.exit(2);
}

const configs = [{ name: 'plain', args: ['-e', script], env: {} }];
registers.forEach((r, i) => {
  const tag = i === 0 ? '' : i === 1 ? ' (before)' : ` (before ${i})`;
  for (const engine of ['native', 'wasm']) {
    for (const mode of ['tree', 'files']) {
      configs.push({
        name: `${mode}, ${engine}${tag}`,
        args: ['--require', path.resolve(r), '-e', script],
        env: { OMEGA_VERIFY: mode, OMEGA_ENGINE: engine },
      });
    }
  }
});

function once(c) {
  const t = process.hrtime.bigint();
  const r = spawnSync(node, c.args, { cwd: app, env: { ...process.env, ...c.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name}: exit ${r.status}: ${r.stderr}`);
  return ms;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const times = configs.map(() => []);
for (const c of configs) once(c); // warm-up
for (let round = 0; round < rounds; round++) {
  const order = configs.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const i of order) times[i].push(once(configs[i]));
}
const ratios = configs.map((_, i) => median(times[i].map((t, r) => t / times[0][r])));
console.log(`| configuration | median (ms) | min–max (ms) | median of per-round ratios to plain |`);
console.log('|---|---:|---:|---:|');
configs.forEach((c, i) => {
  console.log(`| ${c.name} | ${median(times[i]).toFixed(1)} | ${Math.min(...times[i]).toFixed(1)}–${Math.max(...times[i]).toFixed(1)} | ${ratios[i].toFixed(2)}× |`);
});
