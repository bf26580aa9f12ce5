#!/usr/bin/env bash
# Builds the Ωpm WebAssembly binding (run by `make build-wasm`; idempotent on a fresh machine):
#   pkg/       ES module for browsers (`import init, {checkTarball} from "./pkg/omega.js"`)
#   pkg-node/  CommonJS module for Node (`require("./pkg-node/omega.js")`), the native addon's fallback
# Tools: wasm-bindgen-cli, exactly the version of the `wasm-bindgen` crate (installed with cargo
# if missing; ~4 min once), and wasm-opt from the npm `binaryen` package (`npm ci`). Never
# Debian's binaryen: its wasm-opt 108 writes a broken module without complaint (TOOLCHAIN §2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cargo=${CARGO:-cargo}
features=${OMEGA_WASM_FEATURES:-}   # e.g. "--no-default-features" to build without `fast`

# The CLI must match the crate exactly (wasm-bindgen refuses a different schema version).
want=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' "$here/Cargo.toml")
[ -n "$want" ] || { echo "build-wasm: cannot read the pinned wasm-bindgen version from Cargo.toml" >&2; exit 1; }
if ! command -v wasm-bindgen >/dev/null 2>&1 || [ "$(wasm-bindgen --version)" != "wasm-bindgen $want" ]; then
  echo "build-wasm: installing wasm-bindgen-cli $want (cargo install, a few minutes, once)"
  # No --locked: its lock file pins a webpki-roots the registry may not serve (TOOLCHAIN §2).
  "$cargo" install wasm-bindgen-cli --version "$want"
fi
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -f "$here/node_modules/.package-lock.json" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
wasm_opt="$here/node_modules/.bin/wasm-opt"
[ -x "$wasm_opt" ] || { echo "build-wasm: $wasm_opt missing (npm ci failed?)" >&2; exit 1; }

# Always -p: a workspace-wide wasm32 build fails on pyo3 (TOOLCHAIN §2). The browser build
# without the Node loader's exports (feature `loader`), pkg-node/ with them.
compile() { # extra cargo flags
  # shellcheck disable=SC2086
  (cd "$root" && "$cargo" build -p omega-wasm --target wasm32-unknown-unknown --release $features "$@")
}
raw="${CARGO_TARGET_DIR:-$root/target}/wasm32-unknown-unknown/release/omega_wasm.wasm"

# wasm-bindgen + wasm-opt of the module just compiled, into directory $2 (made if missing) as
# $3.js / $3_bg.wasm.
bindgen() { # target out-dir out-name
  mkdir -p "$2"
  wasm-bindgen --target "$1" --out-dir "$2" --out-name "$3" \
    --remove-producers-section "$raw"
  # -Oz, and curve25519-dalek's default 32-bit backend on wasm32: measured against -O3/-O4
  # (speed within the noise, 1.4% larger) and `--cfg curve25519_dalek_bits="64"` (1.7× slower:
  # no 64×64→128 multiply in WebAssembly) with bindings/node/bench/log-engines.js and bench.mjs
  # (docs/benchmarks.md, "Log checks: WASM vs native").
  "$wasm_opt" -Oz "$2/$3_bg.wasm" -o "$2/$3_bg.wasm"
}
package_json() { # dir package-type files-json
  cat >"$1/package.json" <<EOF
{
  "name": "omega-verify-wasm",
  "version": "$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)",
  "description": "Ωpm verifier (WebAssembly): verify packages, tarballs and minisign signatures in memory",
  "license": "MIT OR Apache-2.0",
  "type": "$2",
  "main": "omega.js",
  "types": "omega.d.ts",
  "files": [$3],
  "sideEffects": false
}
EOF
}
publish() { # tmp-dir out-dir
  rm -rf "${here:?}/$2" && mv "$1" "$here/$2"
}

# The browser build: two modules, optimised for size except the cryptography (opt-level "z"
# for the rest: 953 → 754 KiB, verifyCheckpoint within 5 %; docs/benchmarks.md, "WASM size"):
#   pkg/omega.js + omega_bg.wasm            the verifier (packages, tarballs, signatures,
#                                           digests): ≤ 250 KiB (issue 11)
#   pkg/omega_full.js + omega_full_bg.wasm  everything: also the registry reader (registry.js
#                                           imports it), the log checks, lock files, batches
# SHA-512 at opt-level "s" (−3 KB; it only hashes R ‖ A ‖ a 64-byte prehash in minisign
# verification) pays for ed25519-dalek's `fast` tables (+10.6 KB, ~9 % faster verification)
# inside the budget; docs/architecture.md, "The WebAssembly size".
# The Node fallback (pkg-node/) keeps opt-level 3 everywhere (it parses lock files and
# manifests on the load path and verifies signatures in bulk).
size_flags=(--config 'profile.release.opt-level="z"'
  --config 'profile.release.package.curve25519-dalek.opt-level=3'
  --config 'profile.release.package.ed25519-dalek.opt-level=3'
  --config 'profile.release.package.blake2.opt-level=3'
  --config 'profile.release.package.sha2.opt-level="s"')
rm -rf "$here/pkg.tmp" "$here/pkg-node.tmp"
compile "${size_flags[@]}"
bindgen web "$here/pkg.tmp" omega
compile "${size_flags[@]}" --features full
bindgen web "$here/pkg.tmp" omega_full
# The registry reader's fetch loop (registry.js, issue 15) goes with the full module.
cp "$here/registry.js" "$here/registry.d.ts" "$here/pkg.tmp/"
package_json "$here/pkg.tmp" module '"omega.js", "omega.d.ts", "omega_bg.wasm", "omega_bg.wasm.d.ts", "omega_full.js", "omega_full.d.ts", "omega_full_bg.wasm", "omega_full_bg.wasm.d.ts", "registry.js", "registry.d.ts"'
publish "$here/pkg.tmp" pkg
compile --features loader,full
bindgen nodejs "$here/pkg-node.tmp" omega
package_json "$here/pkg-node.tmp" commonjs '"omega.js", "omega.d.ts", "omega_bg.wasm", "omega_bg.wasm.d.ts"'
publish "$here/pkg-node.tmp" pkg-node

for m in omega omega_full; do
  size=$(stat -c %s "$here/pkg/${m}_bg.wasm")
  gz=$(gzip -9 -c "$here/pkg/${m}_bg.wasm" | wc -c)
  echo "build-wasm: pkg/${m}_bg.wasm $size bytes ($((size / 1024)) KiB), $gz gzipped"
done
echo "build-wasm: pkg-node/ ready"

# The service-worker example pins this build: the worker inlines pkg/omega.js and the SHA-384 of
# pkg/omega_bg.wasm; its page pins the worker's SHA-384 (examples/browser/sw/build-worker.mjs).
node "$root/examples/browser/sw/build-worker.mjs"
