#!/usr/bin/env bash
# Registry benchmarks of issue 14 (`make bench-registry`; figures in docs/benchmarks.md,
# section "Registry (issue 14)"). Everything is served by Debian's nginx on 127.0.0.1 on free
# ports (started here, non-daemon, own prefix; killed on exit), like cli/tests/common/nginx.rs.
#
# Parts (PARTS, default "express scale verify cli"):
#   express  express@5 + lodash@4 installed by npm into $out/express-src (package-lock.json,
#            npm cache $out/npm-cache), every package re-published into a fresh registry
#            ($out/express-registry, open mode: `omega pack` with --dep pins of its resolved
#            dependencies' trees, then `omega publish`); then, interleaved (ROUNDS rounds, each
#            runs both in a random order and their ratio is taken within the round):
#              omega install express lodash from nginx, cold client cache (fresh XDG_CACHE_HOME,
#              fresh project: first use, full replay of the small log)
#              npm ci --offline --ignore-scripts, warm npm cache, same package-lock.json
#   scale    registries of SIZES log entries (default "1000 100000 1000000"): `omega registry
#            init`, left-pad published through the CLI, then core/examples/gen-registry appends
#            synthetic owners + releases up to the size (made once, kept in $out/scale-N).
#            Measured: first use (fresh project and cache: replay of every entry; FIRST_RUNS,
#            default 3, 1 for ≥ 1,000,000) and install from the lock with a warm cache (saved
#            state at the same size; ROUNDS rounds interleaved across the sizes).
#   verify   `omega log verify` of the 100,000-entry registry from nginx (VERIFY_RUNS, default
#            3): entries/s, wall and CPU time.
#   cli      `omega digest` of bench.sh's express+lodash node_modules vs `xargs -0 b2sum -l
#            256`, and `omega verify` of a 1 GiB file vs `minisign -V` (hyperfine).
# Every figure is printed with `uptime`'s load average; results also go to $out/results.md.
# A command that is refused (e.g. TOO_LARGE) is recorded with its message, the other parts
# still run, and the script exits 1 at the end; any other error stops it at once. nginx and
# the temporary folders are removed on every exit.
#
# Environment: OMEGA (default target/release/omega; built when absent), GEN (the generator;
# built when absent), OMEGA_BENCH_OUT (default <repo>/bench-out), PARTS, SIZES, ROUNDS
# (default 10), FIRST_RUNS, VERIFY_RUNS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
out=${OMEGA_BENCH_OUT:-$repo/bench-out}/registry
mkdir -p "$out"
out=$(cd "$out" && pwd)
PARTS=${PARTS:-express scale verify cli}
SIZES=${SIZES:-1000 100000 1000000}
ROUNDS=${ROUNDS:-10}
results=$out/results.md

die() { echo "bench-registry: $*" >&2; exit 1; }
log() { echo "bench-registry: $*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
record() { printf '%s\n' "$*" | tee -a "$results"; }

for c in nginx npm node python3 hyperfine; do
  if [ "$c" = nginx ]; then [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || die "nginx is missing: run scripts/setup.sh"; continue; fi
  command -v "$c" >/dev/null || die "$c is missing (hyperfine: apt-get install hyperfine)"
done
nginx_bin=/usr/sbin/nginx; [ -x "$nginx_bin" ] || nginx_bin=$(command -v nginx)

omega=${OMEGA:-$repo/target/release/omega}
if [ ! -x "$omega" ]; then
  log "building $omega"
  cargo build -q --release -p omega-cli
fi
gen=${GEN:-$repo/target/release/examples/gen-registry}
if [ ! -x "$gen" ]; then
  log "building $gen"
  cargo build -q --release -p omega-core --features std,sign --example gen-registry
fi

# ---- servers -----------------------------------------------------------------------------
tmp=$(mktemp -d)
shm=""
failures=0
servers=()
cleanup() {
  local p
  for p in "${servers[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf -- "$tmp"
  [ -z "$shm" ] || rm -rf -- "$shm"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# serve ROOT: starts nginx on a free loopback port serving ROOT; sets URL (not in a subshell:
# the server's pid must reach `servers` for the cleanup).
serve() {
  local root=$1 d port pid i
  d=$(mktemp -d "$tmp/nginx.XXXX")
  mkdir -p "$d/logs"
  for _attempt in 1 2 3; do
    port=$(free_port)
    cat > "$d/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  default_type application/octet-stream;
  etag on;
  server_tokens off;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  server {
    listen 127.0.0.1:$port;
    root $root;
    location ~ /\. { deny all; }
  }
}
EOF
    "$nginx_bin" -p "$d" -c "$d/nginx.conf" -e "$d/error.log" </dev/null >/dev/null 2>"$d/stderr" &
    pid=$!
    for i in $(seq 100); do
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        servers+=("$pid")
        URL="http://127.0.0.1:$port"
        return 0
      fi
      sleep 0.05
    done
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    grep -q "Address already in use" "$d/error.log" "$d/stderr" 2>/dev/null || break
  done
  cat "$d/error.log" "$d/stderr" >&2 2>/dev/null || true
  die "nginx did not start for $root"
}

# ---- timing ------------------------------------------------------------------------------
# interleave ROUNDS NAME PREP CMD [NAME PREP CMD]…: each round runs every (untimed PREP, timed
# CMD) pair once, in a shuffled order; a failing command stops the benchmark. Prints a
# markdown table: median, min–max, and the median of the per-round ratios to the first.
interleave() {
  local rounds=$1; shift
  local -a names=() preps=() cmds=()
  while [ $# -gt 0 ]; do names+=("$1"); preps+=("$2"); cmds+=("$3"); shift 3; done
  local n=${#names[@]} r i t0 t1 times=$tmp/times
  : > "$times"
  for ((r = 0; r < rounds; r++)); do
    for i in $(seq 0 $((n - 1)) | shuf); do
      bash -c "${preps[$i]}" >/dev/null 2>&1 || die "prepare of '${names[$i]}' failed: ${preps[$i]}"
      t0=$(date +%s%N)
      bash -c "${cmds[$i]}" >"$tmp/cmd.out" 2>&1 || { tail -20 "$tmp/cmd.out" >&2; die "'${names[$i]}' failed: ${cmds[$i]}"; }
      t1=$(date +%s%N)
      echo "$r $i $(( (t1 - t0) / 1000 ))" >> "$times"
    done
  done
  python3 - "$times" "${names[@]}" <<'PY'
import statistics, sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
names = sys.argv[2:]
t = {}
for r, i, us in rows:
    t.setdefault(i, {})[r] = us / 1000.0
print("| command | median (ms) | min–max (ms) | median of per-round ratios to the first |")
print("|---|---:|---:|---:|")
for i, name in enumerate(names):
    v = list(t[i].values())
    ratios = [t[i][r] / t[0][r] for r in t[i] if r in t[0]]
    print(f"| {name} | {statistics.median(v):.1f} | {min(v):.1f}–{max(v):.1f} | {statistics.median(ratios):.3f}× |")
PY
}

record ""
record "## bench-registry $(date -u +%Y-%m-%dT%H:%MZ): $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), omega $omega"

# ---- keys --------------------------------------------------------------------------------
keys=$out/keys
mkdir -p "$keys"
for k in janitor author; do
  [ -f "$keys/$k.key" ] || "$omega" keygen -W -f -s "$keys/$k.key" -p "$keys/$k.pub" >/dev/null
done
pubkey() { sed -n 2p "$keys/$1.pub"; }

# ---- part 1: express + lodash --------------------------------------------------------------
express_tree() {
  local src=$out/express-src
  if [ ! -f "$src/package-lock.json" ] || [ ! -d "$src/node_modules/express" ]; then
    log "npm install express@5 lodash@4 into $src"
    rm -rf "$src" && mkdir -p "$src"
    (cd "$src" && npm init -y >/dev/null \
      && npm install --no-audit --no-fund --ignore-scripts --loglevel=error --cache "$out/npm-cache" express@5 lodash@4 >/dev/null)
  fi
}

# Re-publishes every package of the npm tree (once): staged copies without node_modules/,
# digests, `omega pack` with --dep pins of each dependency as Node resolves it, `omega publish`.
express_registry() {
  local reg=$out/express-registry src=$out/express-src stage=$out/express-stage
  [ -f "$reg/checkpoint" ] && [ -f "$reg/.published" ] && return 0
  rm -rf "$reg" "$stage" && mkdir -p "$stage"
  "$omega" registry init "$reg" --origin bench.example/express --mode open \
    --janitor "$(pubkey janitor)" -s "$keys/janitor.key" >/dev/null
  # idx TAB dir TAB name TAB version TAB dep-idx,dep-idx…; NUL-separated.
  node - "$src" > "$stage/list" <<'JS'
const fs = require('node:fs'), path = require('node:path');
const root = process.argv[2], pkgs = [], byDir = new Map();
function scan(nm) {
  if (!fs.existsSync(nm)) return;
  for (const e of fs.readdirSync(nm, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const dirs = e.name.startsWith('@')
      ? fs.readdirSync(path.join(nm, e.name), { withFileTypes: true }).filter((s) => s.isDirectory()).map((s) => path.join(nm, e.name, s.name))
      : [path.join(nm, e.name)];
    for (const d of dirs) {
      const pj = JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8'));
      const name = path.relative(nm, d).split(path.sep).join('/');
      byDir.set(d, pkgs.length);
      pkgs.push({ d, name, version: pj.version, deps: Object.keys({ ...(pj.dependencies || {}), ...(pj.optionalDependencies || {}) }) });
      scan(path.join(d, 'node_modules'));
    }
  }
}
scan(path.join(root, 'node_modules'));
// Node's lookup: DIR/node_modules/NAME, then each parent's node_modules up to the root.
function resolve(from, dep) {
  for (let d = from; ; d = path.dirname(d)) {
    const c = path.join(d, 'node_modules', dep);
    if (byDir.has(c)) return byDir.get(c);
    if (d === root || d === path.dirname(d)) return undefined;
  }
}
pkgs.forEach((p, i) => {
  const deps = p.deps.map((n) => resolve(p.d, n)).filter((x) => x !== undefined);
  process.stdout.write(`${i}\t${p.d}\t${p.name}\t${p.version}\t${deps.join(',')}\0`);
});
JS
  local idx dir name version deps
  local -A digest=() pname=() pver=() pdeps=() seq=() done_version=()
  while IFS=$'\t' read -r -d '' idx dir name version deps; do
    mkdir -p "$stage/$idx"
    find "$dir" -mindepth 1 -maxdepth 1 ! -name node_modules -exec cp -a {} "$stage/$idx/" \;
    digest[$idx]=$("$omega" digest "$stage/$idx")
    pname[$idx]=$name; pver[$idx]=$version; pdeps[$idx]=$deps
  done < "$stage/list"
  local count=0 d
  local -a args
  for idx in $(printf '%s\n' "${!pname[@]}" | sort -n); do
    name=${pname[$idx]}; version=${pver[$idx]}
    [ -z "${done_version[$name@$version]:-}" ] || continue
    done_version[$name@$version]=1
    seq[$name]=$(( ${seq[$name]:-0} + 1 ))
    args=()
    for d in ${pdeps[$idx]//,/ }; do args+=(--dep "${pname[$d]}=${digest[$d]}"); done
    "$omega" pack "$stage/$idx" --name "$name" --version "$version" --sequence "${seq[$name]}" \
      -s "$keys/author.key" "${args[@]}" >/dev/null
    "$omega" publish "$stage/$idx" --registry "$reg" -s "$keys/author.key" >/dev/null
    count=$((count + 1))
  done
  echo "$count" > "$reg/.published"
  log "published $count releases into $reg (log size $(sed -n 2p "$reg/checkpoint"))"
}

part_express() {
  express_tree
  express_registry
  local reg=$out/express-registry url npmapp=$tmp/npm-app app=$tmp/omega-app
  serve "$reg"; url=$URL
  mkdir -p "$npmapp"
  cp "$out/express-src/package.json" "$out/express-src/package-lock.json" "$npmapp/"
  # Warm the npm cache (online: `npm install` may leave some tarballs out of it) and check
  # both commands once.
  (cd "$npmapp" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error --cache "$out/npm-cache" >/dev/null)
  rm -rf "$npmapp/node_modules"
  (cd "$npmapp" && npm ci --offline --ignore-scripts --no-audit --no-fund --loglevel=error --cache "$out/npm-cache" >/dev/null)
  rm -rf "$app" "$tmp/xdg" && mkdir -p "$app"
  XDG_CACHE_HOME=$tmp/xdg "$omega" install express lodash --registry "$url" --root "$app" > "$out/express-install.txt" 2>&1
  local n_npm n_omega
  n_npm=$(find "$npmapp/node_modules" -name package.json -path '*/node_modules/*' -not -path '*/node_modules/*/*/*' | wc -l)
  n_omega=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["packages"]))' "$app/omega.lock")
  record ""
  record "### express@5 + lodash@4: omega install (nginx on loopback, cold client cache) vs npm ci --offline (warm npm cache)"
  record ""
  record "$(sed -n 1p "$reg/.published") releases re-published (log size $(sed -n 2p "$reg/checkpoint")); omega.lock pins $n_omega packages; npm's node_modules has $n_npm package folders. Load before: $(load)."
  record ""
  local table
  table=$(interleave "$ROUNDS" \
    "omega install express lodash (cold cache)" "rm -rf $app $tmp/xdg; mkdir -p $app" \
      "XDG_CACHE_HOME=$tmp/xdg $omega install express lodash --registry $url --root $app" \
    "npm ci --offline --ignore-scripts (warm cache)" "rm -rf $npmapp/node_modules" \
      "cd $npmapp && npm ci --offline --ignore-scripts --no-audit --no-fund --loglevel=error --cache $out/npm-cache")
  record "$table"
  record ""
  record "Load after: $(load)."
  # Where the time goes: the same with the client cache on tmpfs (its fsyncs cost nothing),
  # everything on tmpfs, and \`cp -r\` of npm's tree (the file-system floor of writing 1,686
  # files here).
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    shm=$(mktemp -d /dev/shm/omega-bench.XXXX)
    mkdir -p "$shm/npm-app"
    cp "$npmapp/package.json" "$npmapp/package-lock.json" "$shm/npm-app/"
    record ""
    record "Variants, interleaved ($ROUNDS rounds; load before: $(load)):"
    record ""
    table=$(interleave "$ROUNDS" \
      "omega install, cold cache (disk)" "rm -rf $app $tmp/xdg; mkdir -p $app" \
        "XDG_CACHE_HOME=$tmp/xdg $omega install express lodash --registry $url --root $app" \
      "omega install, cold cache on tmpfs, project on disk" "rm -rf $app $shm/xdg; mkdir -p $app" \
        "XDG_CACHE_HOME=$shm/xdg $omega install express lodash --registry $url --root $app" \
      "omega install, cache and project on tmpfs" "rm -rf $shm/app $shm/xdg; mkdir -p $shm/app" \
        "XDG_CACHE_HOME=$shm/xdg $omega install express lodash --registry $url --root $shm/app" \
      "npm ci --offline (disk)" "rm -rf $npmapp/node_modules" \
        "cd $npmapp && npm ci --offline --ignore-scripts --no-audit --no-fund --loglevel=error --cache $out/npm-cache" \
      "npm ci --offline, project on tmpfs" "rm -rf $shm/npm-app/node_modules" \
        "cd $shm/npm-app && npm ci --offline --ignore-scripts --no-audit --no-fund --loglevel=error --cache $out/npm-cache" \
      "cp -r of npm's node_modules (disk)" "rm -rf $tmp/cp" \
        "cp -r $out/express-src/node_modules $tmp/cp")
    record "$table"
    record ""
    record "Load after: $(load)."
    rm -rf -- "$shm"; shm=""
  fi
  # Where omega's time goes: CPU (user, system) and system calls of one cold install.
  rm -rf "$app" "$tmp/xdg"; mkdir -p "$app"
  local tf=$tmp/time.txt
  /usr/bin/env time -f '%e s wall, %U s user, %S s system, %M KB max RSS' -o "$tf" \
    env XDG_CACHE_HOME=$tmp/xdg "$omega" install express lodash --registry "$url" --root "$app" >/dev/null 2>&1 || true
  record ""
  record "One cold omega install: $(cat "$tf") (load $(load))."
}

# ---- part 2: registries of N entries -------------------------------------------------------
scale_registry() {
  local n=$1 reg=$out/scale-$1
  if [ -f "$reg/checkpoint" ] && [ "$(sed -n 2p "$reg/checkpoint")" = "$n" ] && [ -f "$reg/.generated" ]; then return 0; fi
  rm -rf "$reg" "$out/scale-stage-$n" && mkdir -p "$out/scale-stage-$n"
  "$omega" registry init "$reg" --origin "bench.example/scale-$n" \
    --janitor "$(pubkey janitor)" -s "$keys/janitor.key" >/dev/null
  local st=$out/scale-stage-$n/owners.json
  "$omega" statement owners left-pad --registry "$reg" --owner "$(pubkey author)" --reason bench -o "$st" >/dev/null
  "$omega" sign "$st" -s "$keys/janitor.key" --append >/dev/null
  "$omega" registry submit "$reg" "$st" >/dev/null
  cp -R examples/node-app/packages-src/left-pad "$out/scale-stage-$n/left-pad"
  "$omega" pack "$out/scale-stage-$n/left-pad" --name left-pad --version 1.3.0 --sequence 1 -s "$keys/author.key" >/dev/null
  "$omega" publish "$out/scale-stage-$n/left-pad" --registry "$reg" -s "$keys/author.key" >/dev/null
  local t0 t1
  t0=$(date +%s%N)
  "$gen" "$reg" "$n" "$keys/janitor.key" 2> "$out/gen-$n.log" || { tail "$out/gen-$n.log" >&2; die "gen-registry $n failed"; }
  t1=$(date +%s%N)
  # The generator's output must replay (a folder read by the same code as a client). `omega
  # log verify` reads at most 65,536 entries at once today (docs/benchmarks.md): larger logs
  # are checked by the installs below.
  if [ "$n" -le 65536 ]; then
    "$omega" log verify "$reg" >/dev/null 2>&1 </dev/null || die "the generated registry of $n entries does not verify"
  fi
  touch "$reg/.generated"
  record "Generated the $n-entry registry in $(( (t1 - t0) / 1000000 )) ms ($(tail -1 "$out/gen-$n.log" | sed 's/^gen-registry: //'); load $(load))."
}

part_scale() {
  local n url
  local -a warm=()
  record ""
  record "### Install of one package (left-pad) from registries of ${SIZES// /, } entries (nginx on loopback)"
  record ""
  for n in $SIZES; do
    scale_registry "$n"
    serve "$out/scale-$n"; url=$URL
    local app=$tmp/scale-app-$n xdg=$tmp/scale-xdg-$n runs=${FIRST_RUNS:-3}
    [ "$n" -lt 1000000 ] || runs=${FIRST_RUNS:-1}
    # First use: fresh project, fresh cache (replays every entry).
    local i t0 t1 tf=$tmp/time-$n.txt
    for ((i = 0; i < runs; i++)); do
      rm -rf "$app" "$xdg"; mkdir -p "$app"
      t0=$(date +%s%N)
      if ! /usr/bin/env time -f '%U s user, %S s system, %M KB max RSS' -o "$tf" \
        env XDG_CACHE_HOME="$xdg" "$omega" install left-pad --registry "$url" --root "$app" >/dev/null 2>"$tmp/err"; then
        # A refusal is a result too (recorded with its message), not a reason to stop.
        t1=$(date +%s%N)
        failures=$((failures + 1))
        record "- $n entries, first use: **failed** after $(( (t1 - t0) / 1000000 )) ms: $(grep -m1 -E 'omega: [A-Z_]+:' "$tmp/err" | cut -c1-240); load $(load)"
        continue 2
      fi
      t1=$(date +%s%N)
      record "- $n entries, first use (fresh project and cache), run $((i + 1)): $(( (t1 - t0) / 1000000 )) ms wall, $(grep -v 'exited with' "$tf"); load $(load)"
    done
    # Warm: the project's lock pins the registry, the cache holds the state at this size.
    warm+=("$n entries: install from omega.lock, warm cache" "rm -rf $app/node_modules" \
      "XDG_CACHE_HOME=$xdg $omega install --root $app")
  done
  record ""
  [ ${#warm[@]} -gt 0 ] || { record "(no size could be installed: no warm-state figures)"; return 0; }
  record "Install from the lock (pinned, warm state), interleaved across the sizes; load before: $(load)"
  record ""
  local table
  table=$(interleave "$ROUNDS" "${warm[@]}")
  record "$table"
  record ""
  record "Load after: $(load)."
}

# ---- part 3: log verify ------------------------------------------------------------------
part_verify() {
  local n=100000 url i t0 t1 tf=$tmp/time-verify.txt
  scale_registry "$n"
  serve "$out/scale-$n"; url=$URL
  record ""
  record "### omega log verify, $n entries from nginx on loopback"
  record ""
  for ((i = 0; i < ${VERIFY_RUNS:-3}; i++)); do
    t0=$(date +%s%N)
    if ! /usr/bin/env time -f '%U s user, %S s system, %M KB max RSS' -o "$tf" \
      "$omega" log verify "$url" >/dev/null 2>"$tmp/err" </dev/null; then
      failures=$((failures + 1))
      record "- **failed**: $(grep -m1 -E 'omega: [A-Z_]+:' "$tmp/err" | cut -c1-240); load $(load)"
      return 0
    fi
    t1=$(date +%s%N)
    record "- run $((i + 1)): $(( (t1 - t0) / 1000000 )) ms wall = $(( n * 1000000000 / (t1 - t0) )) entries/s; $(cat "$tf"); load $(load)"
  done
}

# ---- part 4: digest and verify vs b2sum and minisign ---------------------------------------
part_cli() {
  local bo=${OMEGA_BENCH_OUT:-$repo/bench-out} nm
  nm=$bo/express-lodash/node_modules
  if [ ! -d "$nm/express" ]; then
    mkdir -p "$bo/express-lodash" && (cd "$bo/express-lodash" && npm init -y >/dev/null \
      && npm install --no-audit --no-fund --no-bin-links --ignore-scripts --loglevel=error express@4 lodash@4 >/dev/null)
  fi
  find "$nm" -path "*/node_modules/.bin" -prune -exec rm -rf {} +
  find "$nm" -type f -print0 | LC_ALL=C sort -z > "$tmp/list0"
  record ""
  record "### omega digest ($(tr -cd '\0' < "$tmp/list0" | wc -c) files) vs b2sum; omega verify 1 GiB vs minisign -V (hyperfine; load before $(load))"
  record ""
  hyperfine -N --style none --warmup 3 --runs 30 --export-markdown "$tmp/d.md" \
    "$omega digest $nm" "xargs -0 -a $tmp/list0 b2sum -l 256" >/dev/null
  record "$(cat "$tmp/d.md")"
  local k=$bo/keys
  mkdir -p "$k"
  [ -f "$k/k.key" ] || minisign -G -W -f -p "$k/k.pub" -s "$k/k.key" >/dev/null
  [ -f "$bo/1g.bin" ] || head -c 1073741824 /dev/urandom > "$bo/1g.bin"
  minisign -S -s "$k/k.key" -m "$bo/1g.bin" >/dev/null
  hyperfine -N --style none --warmup 1 --runs 10 --export-markdown "$tmp/v.md" \
    "$omega verify $bo/1g.bin -p $k/k.pub -q" "minisign -V -q -m $bo/1g.bin -p $k/k.pub" >/dev/null
  record ""
  record "$(cat "$tmp/v.md")"
  record ""
  record "Load after: $(load)."
  # hyperfine times each command in a block of its own: on a machine whose load moves, the
  # interleaved rounds below are the comparison to read (each timed command also pays one
  # \`bash -c\` start, the same for all).
  local table
  record ""
  record "Interleaved, 20 rounds (load before: $(load)):"
  record ""
  table=$(interleave 20 "omega digest (2 threads)" ":" "$omega digest $nm" \
    "omega digest, RAYON_NUM_THREADS=1" ":" "RAYON_NUM_THREADS=1 $omega digest $nm" \
    "xargs -0 b2sum -l 256" ":" "xargs -0 -a $tmp/list0 b2sum -l 256")
  record "$table"
  record ""
  record "Interleaved, 6 rounds (load before: $(load)):"
  record ""
  table=$(interleave 6 "omega verify 1 GiB" ":" "$omega verify $bo/1g.bin -p $k/k.pub -q" \
    "minisign -V 1 GiB" ":" "minisign -V -q -m $bo/1g.bin -p $k/k.pub")
  record "$table"
  record ""
  record "Load after: $(load)."
}

for p in $PARTS; do
  case $p in
    express) part_express ;;
    scale) part_scale ;;
    verify) part_verify ;;
    cli) part_cli ;;
    *) die "unknown part $p (express, scale, verify, cli)" ;;
  esac
done
log "results appended to $results"
# Refusals are recorded as results and the other parts still run, but the run fails.
[ "$failures" -eq 0 ] || die "$failures measurement(s) failed (see **failed** in $results)"
