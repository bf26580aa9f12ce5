#!/usr/bin/env bash
# Installs what the browser tests need (make test-wasm), idempotently: Debian's chromium, which
# playwright-core drives headless (bindings/wasm/test/browser.mjs). Kept apart from setup.sh so
# that machines that never run browser tests don't install a browser. Root is assumed for
# apt-get, as in setup.sh. (wasm-bindgen-cli and the npm tools are bindings/wasm/build.sh's.)
set -euo pipefail
need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup-browser: apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
echo "setup-browser: ok ($(/usr/bin/chromium --version 2>/dev/null || echo 'chromium version unknown'))"
