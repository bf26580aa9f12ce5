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
// position: the first is "now", the others "before", "before 2", …). Environment: CPU=1 also
// measures CPU time (cpu-probe.js, loaded first in every configuration, plain too): the
// median CPU time of the main thread (Node >= 23.9) and of the process, and the median of
// the per-round ratios of the main thread's to plain's; CONFIGS=<regex> keeps only the
// configurations whose name matches (plain always runs); EXTRA_ENV="A=1 B=2" adds a copy of
// each configuration with those variables, named with them; FLOORS=1 adds floor.js's three
// configurations (the load hook without the loader's checks: read; read and hash, native; the
// same in WebAssembly).

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const [app, node, roundsText, script, ...registers] = process.argv.slice(2);
const rounds = Number(roundsText);
if (!app || !node || !(rounds > 0) || !script || registers.length === 0) {
  console.error('usage: node interleaved.js <app dir> <node> <rounds> <script> <register.js>…');
  process.exit(2);
}

const CPU = process.env.CPU === '1';
const probe = CPU ? ['--require', path.join(__dirname, 'cpu-probe.js')] : [];
const keep = process.env.CONFIGS ? new RegExp(process.env.CONFIGS) : null;
const extra = (process.env.EXTRA_ENV || '').split(/\s+/).filter(Boolean).map((kv) => kv.split('='));

let configs = [{ name: 'plain', args: [...probe, '-e', script], env: {} }];
registers.forEach((r, i) => {
  const tag = i === 0 ? '' : i === 1 ? ' (before)' : ` (before ${i})`;
  for (const engine of ['native', 'wasm']) {
    for (const mode of ['tree', 'files']) {
      const c = {
        name: `${mode}, ${engine}${tag}`,
        args: [...probe, '--require', path.resolve(r), '-e', script],
        env: { OMEGA_VERIFY: mode, OMEGA_ENGINE: engine },
      };
      configs.push(c);
      if (extra.length) {
        configs.push({ ...c, name: `${c.name}, ${extra.map((kv) => kv.join('=')).join(' ')}`, env: { ...c.env, ...Object.fromEntries(extra) } });
      }
    }
  }
});
if (process.env.FLOORS === '1') {
  // The floor (floor.js): the same load hook with none of the loader's checks.
  for (const how of ['read', 'native', 'wasm']) {
    configs.push({ name: `floor, ${how}`, args: [...probe, '--require', path.join(__dirname, 'floor.js'), '-e', script], env: { FLOOR: how } });
  }
}
if (keep) configs = configs.filter((c, i) => i === 0 || keep.test(c.name));

/** One run: {ms (wall), main and cpu (CPU time of the main thread and the process, ms; CPU=1)}. */
function once(c) {
  const t = process.hrtime.bigint();
  const r = spawnSync(node, c.args, { cwd: app, env: { ...process.env, ...c.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name}: exit ${r.status}: ${r.stderr}`);
  if (!CPU) return { ms };
  const m = /^omega-cpu (\S+) (\S+)$/m.exec(r.stderr.toString());
  if (!m) throw new Error(`${c.name}: no CPU time on stderr: ${r.stderr}`);
  return { ms, main: Number(m[1]), cpu: Number(m[2]) };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const runs = configs.map(() => []);
for (const c of configs) once(c); // warm-up
for (let round = 0; round < rounds; round++) {
  const order = configs.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const i of order) runs[i].push(once(configs[i]));
}
const times = runs.map((rs) => rs.map((r) => r.ms));
const ratios = configs.map((_, i) => median(times[i].map((t, r) => t / times[0][r])));
if (!CPU) {
  console.log(`| configuration | median (ms) | min–max (ms) | median of per-round ratios to plain |`);
  console.log('|---|---:|---:|---:|');
  configs.forEach((c, i) => {
    console.log(`| ${c.name} | ${median(times[i]).toFixed(1)} | ${Math.min(...times[i]).toFixed(1)}–${Math.max(...times[i]).toFixed(1)} | ${ratios[i].toFixed(2)}× |`);
  });
} else {
  const mains = runs.map((rs) => rs.map((r) => r.main));
  const cpus = runs.map((rs) => rs.map((r) => r.cpu));
  const mainRatios = configs.map((_, i) => median(mains[i].map((t, r) => t / mains[0][r])));
  console.log(`| configuration | median (ms) | per-round ratio to plain | main thread CPU (ms, median) | its per-round ratio to plain | process CPU (ms, median) |`);
  console.log('|---|---:|---:|---:|---:|---:|');
  configs.forEach((c, i) => {
    console.log(`| ${c.name} | ${median(times[i]).toFixed(1)} | ${ratios[i].toFixed(2)}× | ${median(mains[i]).toFixed(1)} | ${mainRatios[i].toFixed(2)}× | ${median(cpus[i]).toFixed(1)} |`);
  });
}
