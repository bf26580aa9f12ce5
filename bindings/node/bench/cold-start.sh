#!/usr/bin/env bash
# Cold start of a Node app under omega-verify (make bench-node; figures in docs/node.md and
# docs/benchmarks.md).
#
# Installs express@4 and its dependencies from the npm registry into
# bench-out/node-cold-start/app/ (once), signs every installed package locally with
# `omega pack` (one bench key) and pins them all with `omega lock`, then times, as the median
# of $RUNS runs (after one warm-up each):
#   plain        node app.js
#   tree         node --require omega-verify/register app.js   (OMEGA_VERIFY=tree)
#   files        the same with OMEGA_VERIFY=files
# on the native engine, and the two register modes again on the WASM engine. app.js requires
# express and builds an app (no server is started). The page cache is warm: this measures the
# verifier's CPU cost at startup, not disk reads.
#
# Environment: RUNS (default 10), OMEGA (the omega binary; default target/release/omega),
# OMEGA_BENCH_OUT (default <repo>/bench-out).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
runs=${RUNS:-10}
omega=${OMEGA:-$repo/target/release/omega}
out=${OMEGA_BENCH_OUT:-$repo/bench-out}/node-cold-start
app=$out/app
register=$repo/bindings/node/register.js
[ -x "$omega" ] || { echo "cold-start: no omega binary at $omega (cargo build --release -p omega-cli)" >&2; exit 1; }
[ -f "$repo/bindings/node/omega.node" ] || { echo "cold-start: no native addon (make build-node)" >&2; exit 1; }

if [ ! -f "$app/node_modules/express/package.json" ]; then
  rm -rf "$app" && mkdir -p "$app"
  (cd "$app" && npm init -y >/dev/null && npm install --no-audit --no-fund --ignore-scripts --loglevel=error express@4 >/dev/null)
fi
cat >"$app/app.js" <<'JS'
'use strict';
const express = require('express');
const app = express();
app.use(express.json());
app.get('/', (req, res) => res.send('hello'));
if (typeof app.listen !== 'function') throw new Error('no express app');
JS

# Sign every installed package (a package's own node_modules/ is not part of it, and `omega
# pack` refuses a folder that has one: it is moved aside while the package is packed).
if [ ! -f "$app/omega.lock" ]; then
  "$omega" keygen -W -f -s "$out/bench.key" -p "$out/bench.pub" >/dev/null
  count=0
  while IFS= read -r -d '' dir; do
    pj="$dir/package.json"
    [ -f "$pj" ] || continue
    name=$(node -p 'require(process.argv[1]).name' "$pj")
    version=$(node -p 'require(process.argv[1]).version' "$pj")
    moved=""
    if [ -d "$dir/node_modules" ]; then moved="$out/aside-$count"; mv "$dir/node_modules" "$moved"; fi
    "$omega" pack "$dir" --name "$name" --version "$version" --sequence 1 -s "$out/bench.key" >/dev/null
    if [ -n "$moved" ]; then mv "$moved" "$dir/node_modules"; fi
    count=$((count + 1))
  done < <(node - "$app/node_modules" <<'JS'
// Every installed package directory (scoped and nested too), NUL-separated.
const fs = require('node:fs');
const path = require('node:path');
function scan(nm) {
  for (const e of fs.readdirSync(nm, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const dirs = e.name.startsWith('@')
      ? fs.readdirSync(path.join(nm, e.name), { withFileTypes: true }).filter((s) => s.isDirectory()).map((s) => path.join(nm, e.name, s.name))
      : [path.join(nm, e.name)];
    for (const d of dirs) {
      process.stdout.write(`${d}\0`);
      if (fs.existsSync(path.join(d, 'node_modules'))) scan(path.join(d, 'node_modules'));
    }
  }
}
scan(process.argv[2]);
JS
)
  "$omega" lock "$app" >/dev/null
  echo "cold-start: signed and pinned $count packages"
fi
files=$(find "$app/node_modules" -type f -not -path '*/.omega/*' | wc -l)
bytes=$(du -sb --exclude=.omega "$app/node_modules" | cut -f1)
pinned=$(node -p 'Object.keys(JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).packages).length' "$app/omega.lock")
echo "cold-start: express@$(node -p 'require(process.argv[1]).version' "$app/node_modules/express/package.json"), $pinned pinned packages, $files files, $((bytes / 1024)) KiB; node $(node --version); $(nproc) cores; median of $runs runs"

# Times each configuration: one warm-up, then $runs runs; prints the median in milliseconds.
node - "$app" "$register" "$runs" <<'JS'
const { spawnSync } = require('node:child_process');
const [app, register, runsText] = process.argv.slice(2);
const runs = Number(runsText);
const configs = [
  ['plain node', [], {}],
  ['register, tree (native)', ['--require', register], { OMEGA_VERIFY: 'tree', OMEGA_ENGINE: 'native' }],
  ['register, files (native)', ['--require', register], { OMEGA_VERIFY: 'files', OMEGA_ENGINE: 'native' }],
  ['register, tree (wasm)', ['--require', register], { OMEGA_VERIFY: 'tree', OMEGA_ENGINE: 'wasm' }],
  ['register, files (wasm)', ['--require', register], { OMEGA_VERIFY: 'files', OMEGA_ENGINE: 'wasm' }],
];
function once(args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...args, 'app.js'], { cwd: app, env: { ...process.env, ...env }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} app.js failed:\n${r.stderr}`);
  return ms;
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const results = [];
for (const [name, args, env] of configs) {
  once(args, env);
  const times = Array.from({ length: runs }, () => once(args, env));
  results.push([name, median(times), Math.min(...times), Math.max(...times)]);
}
const base = results[0][1];
console.log('| configuration | median (ms) | min–max (ms) | vs plain node |');
console.log('|---|---:|---:|---:|');
for (const [name, med, min, max] of results) {
  console.log(`| ${name} | ${med.toFixed(1)} | ${min.toFixed(1)}–${max.toFixed(1)} | ${(med / base).toFixed(2)}× |`);
}
JS
