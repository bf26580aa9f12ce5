#!/usr/bin/env bash
# demo.sh — Ωpm end to end with the `omega` command line (`make demo`).
#
#   1. build omega (release)             5. audit the project: every package verifies
#   2. an author makes a key             6. run the app (when node is installed)
#   3. the author packs and signs two    7. tamper with a file: audit refuses it with
#      packages into node_modules/          FILE_CHANGED and exit status 1 (the demo fails
#   4. the app pins them: omega lock        if it does not), then restore it
#
# Works on examples/node-app (its node_modules/ and omega.lock are regenerated every run).
# Set OMEGA=/path/to/omega to use an already built binary instead of building one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -t 1 ]; then bold=$'\e[1m' red=$'\e[1;31m' green=$'\e[1;32m' off=$'\e[0m'; else bold='' red='' green='' off=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
show() { printf '%s$ %s%s\n' "$bold" "$*" "$off"; }
run() { show "$*"; "$@"; }
die() { printf '%sdemo failed: %s%s\n' "$red" "$*" "$off" >&2; exit 1; }

if [ -z "${OMEGA:-}" ]; then
    step "1. Build omega (release)"
    run "${CARGO:-cargo}" build --release -p omega-cli
    OMEGA=$PWD/target/release/omega
fi
[ -x "$OMEGA" ] || die "no omega binary at $OMEGA"
omega() { "$OMEGA" "$@"; }

APP=examples/node-app
SRC=$APP/packages-src
work=$(mktemp -d)
victim=$APP/node_modules/left-pad/index.js
restore() {
    if [ -f "$work/index.js.orig" ]; then cp -- "$work/index.js.orig" "$victim"; fi
    rm -rf -- "$work"
}
trap restore EXIT

step "2. An author makes a key pair (-W: no password, for the demo; it lives in a temp dir)"
run omega keygen -W -s "$work/author.key" -p "$work/author.pub"
key=$(sed -n 2p "$work/author.pub")

step "3. The author packs and signs two packages (installed into $APP/node_modules)"
rm -rf -- "$APP/node_modules" "$APP/omega.lock"
mkdir -p "$APP/node_modules/@demo"
cp -R -- "$SRC/left-pad" "$APP/node_modules/left-pad"
cp -R -- "$SRC/@demo/greet" "$APP/node_modules/@demo/greet"
run omega pack "$APP/node_modules/left-pad" --name left-pad --version 1.3.0 --sequence 1 -s "$work/author.key"
run omega pack "$APP/node_modules/@demo/greet" --name @demo/greet --version 0.1.0 --sequence 1 -s "$work/author.key"
run omega check "$APP/node_modules/left-pad" -P "$key"

step "4. The app pins its packages: digests, keys and release counters go into omega.lock"
run omega lock "$APP"

step "5. Audit: every pinned package is checked against omega.lock"
run omega audit "$APP"

step "6. Run the app"
if command -v node >/dev/null 2>&1; then
    run node "$APP/index.js"
else
    echo "(node is not installed: skipped)"
fi

step "7. Someone changes a file inside node_modules; audit must refuse it"
cp -- "$victim" "$work/index.js.orig"
show "echo 'module.exports = () => \"pwned\";' >> $victim"
echo 'module.exports = () => "pwned";' >> "$victim"
show omega audit "$APP"
set +e
out=$(omega audit "$APP" 2>&1)
status=$?
set -e
printf '%s\n' "$out"
[ "$status" -eq 1 ] || die "omega audit exited with $status after tampering, expected 1"
grep -q '^FILE_CHANGED left-pad: file "index.js"' <<<"$out" \
    || die "omega audit did not report FILE_CHANGED for left-pad/index.js"
printf '%saudit refused the tampered package (exit 1, FILE_CHANGED), as it should%s\n' "$green" "$off"

step "Restore the file; the audit passes again"
cp -- "$work/index.js.orig" "$victim"
rm -f -- "$work/index.js.orig"
run omega audit "$APP"
printf '\n%sdemo complete%s\n' "$green" "$off"
