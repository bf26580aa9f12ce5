#!/usr/bin/env bash
# Benchmarks (`make bench`): installs a real node_modules (express + lodash, and a 50+ package
# tree) from the npm registry into bench-out/, then runs
#   1. the criterion benches of omega-core (hashing, tree digests vs b2sum, verification), and
#   2. whole-process comparisons with hyperfine: `omega digest` vs `b2sum -l 256` on the same
#      tree, `omega verify` vs `minisign -V` on a 1 GiB and a 1 KiB file.
# Figures are recorded by hand in docs/benchmarks.md with the machine and command.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OMEGA_BENCH_OUT:-$PWD/bench-out}
mkdir -p "$out"
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }

if [ ! -d "$out/express-lodash/node_modules/express" ]; then
  mkdir -p "$out/express-lodash" && (cd "$out/express-lodash" && npm init -y >/dev/null && npm install --no-audit --no-fund --no-bin-links express@4 lodash@4 >/dev/null)
fi
if [ ! -d "$out/big-tree/node_modules/webpack" ]; then
  mkdir -p "$out/big-tree" && (cd "$out/big-tree" && npm init -y >/dev/null && npm install --no-audit --no-fund --no-bin-links express@4 lodash@4 webpack@5 typescript@5 >/dev/null)
fi
# npm --no-bin-links avoids .bin symlinks, which omega (rightly) refuses inside a tree.
find "$out" -path "*/node_modules/.bin" -prune -exec rm -rf {} +
nm="$out/express-lodash/node_modules"
echo "node_modules: $(find "$nm" -type f | wc -l) files, $(du -sh "$nm" | cut -f1) in $nm"
echo "big tree: $(find "$out/big-tree/node_modules" -type f | wc -l) files in $(ls "$out/big-tree/node_modules" | wc -l) entries"

if [ "${OMEGA_BENCH_SKIP_CRITERION:-0}" != 1 ]; then
  OMEGA_BENCH_DIR="$out/trees" OMEGA_BENCH_NODE_MODULES="$nm" cargo bench -p omega-core --features sign,parallel --bench core -- "${@}"
fi

cargo build -q --release -p omega-cli
omega=$PWD/target/release/omega
b2list() { find "$1" -type f -print0 | LC_ALL=C sort -z > "$out/list0"; }
for tree in "$nm" "$out/big-tree/node_modules"; do
  b2list "$tree"
  hyperfine -N --warmup 3 --runs 20 --export-markdown "$out/digest-$(basename "$(dirname "$tree")").md" \
    "$omega digest $tree" \
    "xargs -0 -a $out/list0 b2sum -l 256"
done

# omega verify vs minisign -V: 1 GiB and 1 KiB files, one unencrypted key.
keys="$out/keys"; mkdir -p "$keys"
[ -f "$keys/k.key" ] || minisign -G -W -f -p "$keys/k.pub" -s "$keys/k.key" >/dev/null
[ -f "$out/1g.bin" ] || head -c 1073741824 /dev/urandom > "$out/1g.bin"
head -c 1024 /dev/urandom > "$out/1k.bin"
for f in 1g.bin 1k.bin; do
  minisign -S -s "$keys/k.key" -m "$out/$f" >/dev/null
  hyperfine -N --warmup 2 --runs "$([ $f = 1k.bin ] && echo 200 || echo 10)" --export-markdown "$out/verify-$f.md" \
    "$omega verify $out/$f -p $keys/k.pub -q" \
    "minisign -V -q -m $out/$f -p $keys/k.pub"
done
echo "bench: results in $out/*.md and target/criterion/"
