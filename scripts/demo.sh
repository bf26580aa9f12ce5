#!/usr/bin/env bash
# demo.sh — Ωpm end to end with the `omega` command line (`make demo`).
#
#   1. build omega (release)             5. audit the project: every package verifies
#   2. an author makes a key             6. run the app (when node is installed)
#   3. the author packs and signs two    7. tamper with a file: audit refuses it with
#      packages into node_modules/          FILE_CHANGED and exit status 1 (the demo fails
#   4. the app pins them: omega lock        if it does not), then restore it
#   then the Node loader act, and the registry act (scripts/demo-registry.sh)
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

# ---------------------------------------------------------------------------------------------
# Node binding (omega-verify, bindings/node; issue 5). Appended by the Node binding: the same
# app under the enforcing loader (`node --require omega-verify/register`), which checks every
# package of node_modules against omega.lock before its first file loads; then a tampered
# dependency, refused before any of its code runs.
node_victim=$APP/node_modules/left-pad/index.js
node_restore() {
    if [ -f "$node_work/index.js.orig" ]; then cp -- "$node_work/index.js.orig" "$node_victim"; fi
    rm -rf -- "$node_work"
}
if command -v node >/dev/null 2>&1; then
    node_work=$(mktemp -d)
    trap 'node_restore; restore' EXIT
    if [ ! -f bindings/node/omega.node ]; then
        step "8. Build the Node addon (omega-verify)"
        run "${CARGO:-cargo}" build --release -p omega-node
        run cp "${CARGO_TARGET_DIR:-target}/release/libomega_node.so" bindings/node/omega.node
    fi
    register=$PWD/bindings/node/register.js

    step "9. Run the app under the enforcing loader (OMEGA_VERIFY=tree, then files)"
    show "cd $APP && node --require omega-verify/register index.js"
    (cd "$APP" && node --require "$register" index.js)
    show "cd $APP && OMEGA_VERIFY=files node --require omega-verify/register index.js"
    (cd "$APP" && OMEGA_VERIFY=files node --require "$register" index.js)

    step "10. A dependency is tampered with; the loader refuses it before its code runs"
    cp -- "$node_victim" "$node_work/index.js.orig"
    show "echo 'console.log(\"PWNED: this code must never run\");' >> $node_victim"
    echo 'console.log("PWNED: this code must never run");' >> "$node_victim"
    for verify in tree files; do
        show "cd $APP && OMEGA_VERIFY=$verify node --require omega-verify/register index.js"
        set +e
        out=$(cd "$APP" && OMEGA_VERIFY=$verify node --require "$register" index.js 2>&1)
        status=$?
        set -e
        printf '%s\n' "$out" | grep -E 'FILE_CHANGED|refused|PWNED' | head -3
        [ "$status" -ne 0 ] || die "the app ran with a tampered left-pad (OMEGA_VERIFY=$verify)"
        grep -q 'FILE_CHANGED: left-pad: file "index.js" has changed contents' <<<"$out" \
            || die "no FILE_CHANGED refusal for left-pad/index.js (OMEGA_VERIFY=$verify)"
        if grep -q PWNED <<<"$out"; then die "the tampered code ran (OMEGA_VERIFY=$verify)"; fi
    done
    printf '%sthe loader refused the tampered package (FILE_CHANGED), and its code never ran%s\n' "$green" "$off"

    step "Restore the file; the app runs again"
    cp -- "$node_work/index.js.orig" "$node_victim"
    rm -f -- "$node_work/index.js.orig"
    (cd "$APP" && node --require "$register" index.js)
    printf '\n%sNode demo complete%s\n' "$green" "$off"
fi

# ---------------------------------------------------------------------------------------------
# The registry (issue 14): janitors, owners, publish, a witness, install over HTTP, a notice and
# a tampered object. Its own script, with the same binary.
OMEGA=$OMEGA scripts/demo-registry.sh
