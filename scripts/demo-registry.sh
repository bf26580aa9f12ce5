#!/usr/bin/env bash
# demo-registry.sh — the registry act of `make demo` (REGISTRY.md; issue 14), run by demo.sh.
#
#   1. three janitors (2 of 3 must sign) create a registry; a witness key joins its policy
#   2. the janitors authorise an owner for the example packages (statement, two signatures)
#   3. the owner publishes them; the witness cosigns the new checkpoint
#   4. the folder is served over HTTP on 127.0.0.1 (python3 -m http.server: present on every
#      fresh machine); `omega install` fetches, verifies and lays out the packages in an app
#   5. the app runs (under the enforcing loader when the Node binding is built)
#   6. the owner publishes a security notice; `omega status` shows it
#   7. an object in the registry is tampered with: installing from the lock refuses it and
#      writes nothing (the demo fails if it does not)
#
# Usage: OMEGA=/path/to/omega scripts/demo-registry.sh   (demo.sh passes its binary)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -t 1 ]; then bold=$'\e[1m' red=$'\e[1;31m' green=$'\e[1;32m' off=$'\e[0m'; else bold='' red='' green='' off=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
show() { printf '%s$ %s%s\n' "$bold" "$*" "$off"; }
run() { show "$*"; "$@"; }
die() { printf '%sdemo failed: %s%s\n' "$red" "$*" "$off" >&2; exit 1; }

[ -x "${OMEGA:-}" ] || die "set OMEGA to the omega binary"
omega() { "$OMEGA" "$@"; }

SRC=examples/node-app/packages-src
work=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf -- "$work"
}
trap cleanup EXIT
export XDG_CACHE_HOME=$work/cache   # the client's tile cache and latest checkpoints
REG=$work/registry
APP=$work/app
ORIGIN=demo.example/omega

step "R1. Three janitors (2 of 3) and a witness; the janitors create the registry"
for k in j1 j2 j3 author witness; do omega keygen -W -s "$work/$k.key" -p "$work/$k.pub" >/dev/null; done
pub() { sed -n 2p "$work/$1.pub"; }
WITNESS=$(omega witness key "$work/witness.key" --name witness.demo.example)
run omega registry init "$REG" --origin "$ORIGIN" \
    --janitor "$(pub j1)" --janitor "$(pub j2)" --janitor "$(pub j3)" --threshold 2 \
    --witness "$WITNESS" --quorum 1 -s "$work/j1.key" -s "$work/j2.key"
show "cat $REG/policy"; cat "$REG/policy"

step "R2. Two janitors authorise the author as owner of left-pad and @demo/greet"
for name in left-pad @demo/greet; do
    st=$work/owners-${name//\//-}.json
    run omega statement owners "$name" --registry "$REG" --owner "$(pub author)" --reason "demo owner" -o "$st"
    run omega sign "$st" -s "$work/j1.key" --append
    run omega sign "$st" -s "$work/j3.key" --append
    run omega registry submit "$REG" "$st"
done

step "R3. The author packs and publishes both packages; the witness cosigns the checkpoint"
mkdir -p "$work/src/@demo"
cp -R -- "$SRC/left-pad" "$work/src/left-pad"
cp -R -- "$SRC/@demo/greet" "$work/src/@demo/greet"
run omega pack "$work/src/left-pad" --name left-pad --version 1.3.0 --sequence 1 -s "$work/author.key"
run omega pack "$work/src/@demo/greet" --name @demo/greet --version 0.1.0 --sequence 1 -s "$work/author.key"
run omega publish "$work/src/left-pad" --registry "$REG" -s "$work/author.key"
run omega publish "$work/src/@demo/greet" --registry "$REG" -s "$work/author.key"
cosign() {
    local log_key line first=()
    log_key=$(sed -n 's/^log //p' "$REG/policy")
    # The witness's first sight of this log is trust on first use: said explicitly (--new-log).
    [ -d "$work/witness-state/logs" ] || first=(--new-log)
    line=$(omega witness cosign "$REG/checkpoint" --log-key "$log_key" --state "$work/witness-state" \
        --name witness.demo.example -s "$work/witness.key" "${first[@]}")
    omega registry cosign "$REG" "$line"
}
show "omega witness cosign $REG/checkpoint … | omega registry cosign $REG"
cosign
run omega log verify "$REG"

step "R4. Serve the registry folder over HTTP on 127.0.0.1; install into a fresh app"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$REG" >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/checkpoint')" 2>/dev/null && break
    sleep 0.1
done
URL=http://127.0.0.1:$port
mkdir -p "$APP"
cat > "$APP/index.js" <<'JS'
'use strict';
// The registry demo's app: plain require(); under `node --require omega-verify/register` every
// package it loads is checked against omega.lock first.
const greet = require('@demo/greet');
const leftPad = require('left-pad');
console.log(greet('Ωpm registry', 30));
console.log('answer: ' + leftPad('42', 6, '0'));
JS
run omega install left-pad @demo/greet --registry "$URL" --root "$APP"
run omega audit "$APP" --online

step "R5. Run the app"
if command -v node >/dev/null 2>&1; then
    register=$PWD/bindings/node/register.js
    if ls bindings/node/*.node >/dev/null 2>&1; then
        show "cd $APP && node --require omega-verify/register index.js"
        (cd "$APP" && node --require "$register" index.js)
    else
        show "cd $APP && node index.js        # (the Node binding is not built: plain node)"
        (cd "$APP" && node index.js)
    fi
else
    echo "(node is not installed: skipping the run; the install above is what this act shows)"
fi

step "R6. The owner publishes a security notice; omega status shows it"
notice=$work/notice.json
run omega statement notice left-pad --registry "$REG" --id DEMO-2026-1 --severity moderate \
    --affected 1-1 --summary "demo notice: padding off by one" -o "$notice"
run omega sign "$notice" -s "$work/author.key" --append
run omega registry submit "$REG" "$notice"
cosign
run omega status --root "$APP"

step "R7. Someone replaces left-pad's tarball in the registry; a reinstall from the lock refuses it"
# The index note lists each release: `release <entry> <version> <sequence> <tgz> <manifest>`.
tgz=$(awk '$1 == "release" && $3 == "1.3.0" { print $5 }' "$REG/index/left-pad")
object=$REG/objects/${tgz:0:2}/$tgz
[ -n "$tgz" ] && [ -f "$object" ] || die "left-pad's tarball not found in $REG/objects"
cp -- "$object" "$work/object.orig"
# A valid tarball with other code, under the same object name.
mkdir -p "$work/evil/package"
printf 'console.log("PWNED: this code must never run");\n' > "$work/evil/package/index.js"
printf '{"name":"left-pad","version":"1.3.0"}\n' > "$work/evil/package/package.json"
tar -czf "$object" -C "$work/evil" package
rm -rf -- "$APP/node_modules"
before=$(sha256sum "$APP/omega.lock")
# This machine's cache holds the verified tarball (objects are cached by their hash), so a new
# machine is the one that would fetch the replaced bytes: an empty cache.
export XDG_CACHE_HOME=$work/cache-of-another-machine
show "XDG_CACHE_HOME=(empty) omega install --root $APP        # lays out exactly what omega.lock pins"
set +e
out=$(omega install --root "$APP" 2>&1)
status=$?
set -e
printf '%s\n' "$out" | tail -3
[ "$status" -ne 0 ] || die "the tampered tarball was installed"
grep -q NOT_IN_LOG <<<"$out" || die "no NOT_IN_LOG refusal for the tampered tarball"
[ ! -e "$APP/node_modules/left-pad" ] || die "node_modules/left-pad was written despite the refusal"
[ "$(sha256sum "$APP/omega.lock")" = "$before" ] || die "omega.lock changed despite the refusal"
printf '%sthe tampered object was refused (NOT_IN_LOG); nothing was written%s\n' "$green" "$off"
cp -- "$work/object.orig" "$object"
run omega install --root "$APP"
printf '\n%sregistry demo complete%s\n' "$green" "$off"
