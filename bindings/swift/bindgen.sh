#!/usr/bin/env bash
# Generates omega-swift's foreign bindings with the workspace's own uniffi-bindgen (same uniffi
# version as the library, by construction) from the built library's metadata.
#
#   bindings/swift/bindgen.sh write         regenerate the committed Swift and Kotlin sources
#   bindings/swift/bindgen.sh check         regenerate into a temporary folder; fail if the
#                                           committed sources differ (run by make test-swift)
#   bindings/swift/bindgen.sh python DIR    Python bindings plus the cdylib into DIR (for the
#                                           tests, which drive the same C ABI as Swift)
#
# Needs `cargo build -p omega-swift -p uniffi-bindgen` first (dev profile; mk/swift.mk does it).
# The bindgen runs `cargo metadata` to find uniffi.toml, so it runs from the workspace root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
case "$(uname -s)" in
  Darwin) lib=$target/debug/libomega_swift.dylib ;;
  *) lib=$target/debug/libomega_swift.so ;;
esac
bindgen=$target/debug/uniffi-bindgen
for f in "$lib" "$bindgen"; do
  [ -x "$f" ] || [ -f "$f" ] || { echo "bindgen.sh: $f is missing: run cargo build -p omega-swift -p uniffi-bindgen" >&2; exit 2; }
done

# The generated files, as (uniffi's output name, committed path below bindings/swift/).
# module.modulemap: SwiftPM wants that name for the OmegaVerifyFFI system-library target; the
# content is uniffi's OmegaVerifyFFI.modulemap, byte for byte.
generated=(
  "swift/OmegaVerify.swift OmegaVerify/Sources/OmegaVerify/OmegaVerify.swift"
  "swift/OmegaVerifyFFI.h OmegaVerify/Sources/OmegaVerifyFFI/OmegaVerifyFFI.h"
  "swift/OmegaVerifyFFI.modulemap OmegaVerify/Sources/OmegaVerifyFFI/module.modulemap"
  "kotlin/omega/verify/omega_swift.kt kotlin/omega/verify/omega_swift.kt"
)

generate() { # LANGUAGE OUT_DIR
  "$bindgen" generate "$lib" --language "$1" --out-dir "$2" --no-format --metadata-no-deps >/dev/null
}

# Generates Swift and Kotlin into $1 in the committed layout.
layout() {
  local out=$1 raw
  raw=$(mktemp -d)
  generate swift "$raw/swift"
  generate kotlin "$raw/kotlin"
  for pair in "${generated[@]}"; do
    set -- $pair
    mkdir -p "$(dirname "$out/$2")"
    cp "$raw/$1" "$out/$2"
  done
  rm -rf "$raw"
}

case "${1:-}" in
  write)
    layout "$here"
    echo "bindgen: wrote the Swift and Kotlin sources in bindings/swift/"
    ;;
  check)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    layout "$tmp"
    stale=0
    for pair in "${generated[@]}"; do
      set -- $pair
      if ! cmp -s "$tmp/$2" "$here/$2"; then
        echo "bindings/swift/$2 differs from what uniffi-bindgen generates now:" >&2
        diff -u "$here/$2" "$tmp/$2" 2>&1 | head -40 >&2 || true
        stale=1
      fi
    done
    if [ "$stale" = 1 ]; then
      echo "bindgen: committed bindings are stale: run bindings/swift/bindgen.sh write (after cargo build -p omega-swift -p uniffi-bindgen)" >&2
      exit 1
    fi
    echo "bindgen: the committed Swift and Kotlin sources (${#generated[@]} files) match the library"
    ;;
  python)
    [ -n "${2:-}" ] || { echo "usage: $0 python DIR" >&2; exit 2; }
    generate python "$2"
    cp "$lib" "$2/"
    ;;
  *)
    echo "usage: $0 write | check | python DIR" >&2
    exit 2
    ;;
esac
