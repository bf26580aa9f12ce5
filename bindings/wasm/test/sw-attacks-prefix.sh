#!/usr/bin/env bash
# Shows that the service-worker attack tests (browser.mjs, scenarios "B1 …" to "B6 …") fail
# against the worker and bootstrap as they were before the review fixes: in a throwaway copy of
# the repository (git archive of HEAD, plus this tree's built pkg/ and node_modules/), it puts
# back the old omega-sw.js, boot.js and index.html of commit BASE (the new app and signed
# samples stay), runs the browser tests there, and expects every B scenario to fail and every
# other one to pass. The old page had no omegaImport: the copy gets one that imports unchecked,
# which is what the old page did with any later code.
#   bindings/wasm/test/sw-attacks-prefix.sh [BASE]      (BASE: 5edfa54, before the fixes)
set -euo pipefail
base=${1:-5edfa54}
root=$(cd "$(dirname "$0")/../../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
cd "$root"
git archive HEAD | tar -x -C "$tmp"
ln -s "$root/bindings/wasm/pkg" "$tmp/bindings/wasm/pkg"
ln -s "$root/bindings/wasm/node_modules" "$tmp/bindings/wasm/node_modules"
sw=$tmp/examples/browser/sw
git show "$base:examples/browser/sw/omega-sw.js" >"$sw/omega-sw.js"
git show "$base:examples/browser/sw/boot.js" >"$sw/boot.js"
echo 'globalThis.omegaImport = (u) => import(u); // the old page loaded later code unchecked' >>"$sw/boot.js"
oldkey=$(git show "$base:examples/browser/samples/author.pub" | sed -n 2p)
key=$(sed -n 2p examples/browser/samples/author.pub)
git show "$base:examples/browser/sw/index.html" | sed "s|$oldkey|$key|" >"$sw/index.html"
grep -q "$key" "$sw/index.html"
# The test must not rebuild the worker and page it is given.
sed -i 's|^  PINNED = buildWorker();|  PINNED = { verifier: "(pre-fix run)" };|' "$tmp/bindings/wasm/test/browser.mjs"
grep -q 'pre-fix run' "$tmp/bindings/wasm/test/browser.mjs"
out=$(node "$tmp/bindings/wasm/test/browser.mjs" 2>&1 || true)
echo "$out" | grep -E '^(ok|not ok) - |^browser tests:'
bad=0
while IFS= read -r line; do
  case "$line" in
    'ok - B'[0-9]*) echo "sw-attacks-prefix: PASSED before the fix (the test cannot fail?): $line"; bad=1 ;;
    'not ok - B'[0-9]*) ;;
    'not ok - '*) echo "sw-attacks-prefix: a non-attack scenario failed in the copy: $line"; bad=1 ;;
  esac
done <<<"$out"
n=$(echo "$out" | grep -c '^not ok - B[0-9]' || true)
[ "$n" -gt 0 ] || { echo 'sw-attacks-prefix: no B scenario ran'; exit 1; }
[ "$bad" = 0 ] || exit 1
echo "sw-attacks-prefix: all $n attack scenarios fail against the code of $base, as they must"
