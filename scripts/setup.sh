#!/usr/bin/env bash
# Installs what a fresh machine lacks for `make build`/`make test`/`make demo`, idempotently.
# A fresh machine has Rust (rustup, stable), Python 3.11, Node 20 and gcc; everything else
# comes from here. Root is assumed for apt-get (CI runs as root).
set -euo pipefail
need_apt=()
command -v minisign >/dev/null 2>&1 || need_apt+=(minisign)
command -v signify-openbsd >/dev/null 2>&1 || need_apt+=(signify-openbsd)
command -v b2sum >/dev/null 2>&1 || need_apt+=(coreutils)
# nginx serves a registry folder over HTTP and HTTPS in cli/tests/net.rs (never as a service:
# the tests start their own, non-daemon, on a free loopback port).
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need_apt+=(nginx-light)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
installed_targets=$(rustup target list --installed)
for t in wasm32-unknown-unknown thumbv7em-none-eabihf; do
  grep -qx "$t" <<<"$installed_targets" || rustup target add "$t"
done
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
if [ "${OMEGA_SETUP_FUZZ:-0}" = 1 ] && ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
echo "setup: ok"
