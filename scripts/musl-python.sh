#!/usr/bin/env bash
# A musl CPython 3.11 for make dist-test's musllinux wheel tests (docs/dist.md), built from
# Debian's source packages (CPython and zlib: the only places this machine reaches that have
# them), dynamically linked against musl so that it can dlopen extension modules.
#
#   scripts/musl-python.sh [--quiet] x86_64
#                                     -> $MUSL_PYTHON_DIR/x86_64/bin/python3.11
#                                        (musl-gcc from Debian's musl-tools; runs here, its
#                                        loader is /lib/ld-musl-x86_64.so.1 from Debian's musl)
#   scripts/musl-python.sh aarch64    -> $MUSL_PYTHON_DIR/aarch64/bin/python3.11, cross-compiled
#                                        with zig cc; runs under qemu-aarch64-static -L
#                                        $MUSL_PYTHON_DIR/aarch64-sysroot (Debian's musl:arm64)
#
# $MUSL_PYTHON_DIR defaults to target/musl-python. Idempotent: a finished build is kept (its
# stamp names the pinned sources and build flags) and the script then prints only one
# "musl-python: <arch> ok" line. The sources are fetched once into $MUSL_PYTHON_DIR/src and
# verified by a chain that starts at Debian's archive key: InRelease (gpgv, the keyring apt
# uses) -> Sources.xz (SHA256 in InRelease) -> the package's .dsc (SHA256 in Sources) -> the
# .orig tarball (SHA256 in the .dsc), which must also equal the hash pinned below.
#
# Only what the Python suite, pip and pytest/mypy need is built: no OpenSSL (pip installs
# from a local wheel folder), no _decimal (decimal falls back to _pydecimal), no ctypes,
# curses, readline, dbm, sqlite, tkinter, bz2, lzma, uuid, no test modules; -O2, no -g.
# Parallelism: MUSL_PYTHON_JOBS, else 2 when the 1-minute load average is below 2, else 1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=$(cd "$root" && mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)
base=${MUSL_PYTHON_DIR:-$target/musl-python}
venv=${DIST_VENV:-$target/dist-venv}
quiet=0
if [ "${1:-}" = --quiet ]; then quiet=1; shift; fi # no "ok" line when nothing is to be done
arch=${1:?usage: scripts/musl-python.sh [--quiet] x86_64|aarch64}
case $arch in x86_64 | aarch64) ;; *) echo "musl-python: unknown architecture $arch" >&2; exit 2 ;; esac

# Pinned sources (Debian bookworm main). The upstream version and the .orig tarball's SHA256
# are pinned; the Debian revision (.dsc) is whatever bookworm ships today, found and checked
# through the signed index. python3.11_3.11.2.orig.tar.gz is python.org's Python-3.11.2.tgz.
DEBIAN=http://deb.debian.org/debian
SUITE=bookworm
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
PY_PKG=python3.11
PY_UPSTREAM=3.11.2
PY_ORIG_SHA256=2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849
ZLIB_PKG=zlib
ZLIB_UPSTREAM=1.2.13.dfsg
ZLIB_ORIG_SHA256=71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1
OPT_FLAGS="-DNDEBUG -fwrapv -O2"
# Threads get 1 MiB stacks, as in Alpine's python3 and the python:3.11-alpine image (musl's
# own default is 128 KiB): the interpreter the musllinux wheels meet in practice.
NODIST_FLAGS="-DTHREAD_STACK_SIZE=0x100000"
# Modules turned off in configure (py_cv_module_<name>=n/a) and in setup.py (*disabled*).
NA_MODULES=(_decimal _ssl _hashlib _sqlite3 _tkinter _gdbm _uuid _bz2 _lzma nis ossaudiodev xxlimited xxlimited_35 _ctypes_test)
SETUP_DISABLED=(_ctypes _curses _curses_panel _dbm readline)
# The cross build's config.site: answers to the checks configure cannot run when
# cross-compiling, and no to what zig's musl 1.2.5 links but Debian's 1.2.3 runtime lacks
# (found by the symbol check below: preadv2, pwritev2, and crypt_r for _crypt).
CROSS_SITE=(ac_cv_file__dev_ptmx=yes ac_cv_file__dev_ptc=no ac_cv_buggy_getaddrinfo=no
  ac_cv_func_preadv2=no ac_cv_func_pwritev2=no py_cv_module__crypt=n/a)
MUSL_ARM64_DEB=musl # Debian's musl for arm64: ld-musl-aarch64.so.1, the qemu sysroot

out=$base/$arch
stamp="cpython $PY_UPSTREAM $PY_ORIG_SHA256 zlib $ZLIB_UPSTREAM $ZLIB_ORIG_SHA256 opt=$OPT_FLAGS $NODIST_FLAGS na=${NA_MODULES[*]} disabled=${SETUP_DISABLED[*]}"
[ "$arch" = x86_64 ] || stamp+=" cross=${CROSS_SITE[*]}"
say() { echo "musl-python: $*"; }
die() { echo "musl-python: $*" >&2; exit 1; }

sysroot=$base/aarch64-sysroot
run() { # the built interpreter, natively or under qemu
  case $arch in
    x86_64) "$out/bin/python3.11" "$@" ;;
    aarch64) qemu-aarch64-static -L "$sysroot" "$out/bin/python3.11" "$@" ;;
  esac
}
check() {
  run -c 'import sys, zlib, platform, _socket, select, json, hashlib, _posixsubprocess
hashlib.blake2b(b""); hashlib.sha256(b"")
print(sys.version.split()[0], platform.machine(), zlib.ZLIB_VERSION)'
}

if [ "$(cat "$out/.installed" 2>/dev/null)" = "$stamp" ] && [ -x "$out/bin/python3.11" ]; then
  got=$(check 2>&1) || die "$out/bin/python3.11 is there but does not run: $got (rm -rf $out to rebuild)"
  [ $quiet = 1 ] || say "$arch ok ($got)"
  exit 0
fi

src=$base/src
mkdir -p "$src"
fetch() { # url file
  curl -sSf --retry 3 -o "$2.part" "$1" || die "cannot fetch $1"
  mv "$2.part" "$2"
}
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Signed index, once per run that needs a source: InRelease -> Release (gpgv) -> Sources.
index_ready=0
debian_index() {
  [ $index_ready = 1 ] && return
  fetch "$DEBIAN/dists/$SUITE/InRelease" "$src/InRelease"
  gpgv --keyring "$KEYRING" --output "$src/Release" "$src/InRelease" 2>"$src/gpgv.txt" \
    || { cat "$src/gpgv.txt" >&2; die "gpgv refuses $DEBIAN/dists/$SUITE/InRelease"; }
  local want
  want=$(awk '/^SHA256:/{s=1; next} /^[^ ]/{s=0} s && $3 == "main/source/Sources.xz" {print $1}' "$src/Release")
  [ -n "$want" ] || die "the signed Release file lists no main/source/Sources.xz"
  fetch "$DEBIAN/dists/$SUITE/main/source/Sources.xz" "$src/Sources.xz"
  [ "$(sha256_of "$src/Sources.xz")" = "$want" ] || die "Sources.xz does not match the signed Release file"
  index_ready=1
}

# debian_orig PACKAGE UPSTREAM SHA256: prints the path of the package's verified .orig tarball.
debian_orig() {
  local pkg=$1 upstream=$2 pin=$3 f
  for f in "$src/${pkg}_$upstream.orig.tar."*; do
    [ -f "$f" ] && [ "$(sha256_of "$f")" = "$pin" ] && { echo "$f"; return; }
  done
  debian_index >&2
  local stanza dir version dsc dsc_sha orig orig_sha
  stanza=$(xzcat "$src/Sources.xz" | awk -v pkg="$pkg" '
    /^$/ { if (p) exit; next }
    /^Package: / { p = ($2 == pkg) }
    !p { next }
    /^Version: / { print "version", $2 }
    /^Directory: / { print "dir", $2 }
    /^Checksums-Sha256:/ { c = 1; next }
    /^[^ ]/ { c = 0 }
    c { print "sha256", $1, $3 }')
  version=$(awk '$1 == "version" {print $2}' <<<"$stanza")
  dir=$(awk '$1 == "dir" {print $2}' <<<"$stanza")
  case ${version#*:} in "$upstream"-*) ;; *) die "$SUITE's $pkg is ${version:-missing}, not $upstream (update the pin in $0)" ;; esac
  read -r dsc_sha dsc < <(awk '$1 == "sha256" && $3 ~ /\.dsc$/ {print $2, $3}' <<<"$stanza")
  fetch "$DEBIAN/$dir/$dsc" "$src/$dsc"
  [ "$(sha256_of "$src/$dsc")" = "$dsc_sha" ] || die "$dsc does not match Sources"
  read -r orig_sha orig < <(awk -v pre="${pkg}_$upstream.orig.tar." '
    /^Checksums-Sha256:/ { c = 1; next } /^[^ ]/ { c = 0 } c && index($3, pre) == 1 { print $1, $3 }' "$src/$dsc")
  [ -n "$orig" ] || die "$dsc names no ${pkg}_$upstream.orig.tar.*"
  [ "$orig_sha" = "$pin" ] || die "$dsc gives $orig SHA256 $orig_sha, pinned $pin"
  fetch "$DEBIAN/$dir/$orig" "$src/$orig"
  [ "$(sha256_of "$src/$orig")" = "$pin" ] || die "$orig does not match $dsc"
  say "$orig: SHA256 $pin, as in $dsc ($pkg $version, $SUITE InRelease signature good)" >&2
  echo "$src/$orig"
}

jobs=${MUSL_PYTHON_JOBS:-}
if [ -z "$jobs" ]; then
  load=$(cut -d' ' -f1 /proc/loadavg)
  if awk -v l="$load" 'BEGIN { exit !(l < 2) }' && [ "$(nproc)" -ge 2 ]; then jobs=2; else jobs=1; fi
fi

py_tar=$(debian_orig "$PY_PKG" "$PY_UPSTREAM" "$PY_ORIG_SHA256")
zlib_tar=$(debian_orig "$ZLIB_PKG" "$ZLIB_UPSTREAM" "$ZLIB_ORIG_SHA256")

build=$base/build-$arch
rm -rf "$build" "$out"
mkdir -p "$build/bin"
t0=$(date +%s)
say "$arch: building zlib and CPython $PY_UPSTREAM with make -j$jobs (load $(cut -d' ' -f1-3 /proc/loadavg)) into $out"

# The C compiler, as one program name (configure scripts handle that best).
case $arch in
  x86_64)
    command -v musl-gcc >/dev/null || die "no musl-gcc (apt-get install musl-tools: scripts/setup-dist.sh)"
    [ -e /lib/ld-musl-x86_64.so.1 ] || die "no /lib/ld-musl-x86_64.so.1 (apt-get install musl)"
    compiler=(musl-gcc)
    host_args=()
    ;;
  aarch64)
    x86_python=$base/x86_64/bin/python3.11
    [ -x "$x86_python" ] || die "the aarch64 build needs the x86_64 one as its build Python: scripts/musl-python.sh x86_64 first"
    [ -x "$venv/bin/python" ] && "$venv/bin/python" -m ziglang version >/dev/null 2>&1 \
      || die "no zig in $venv (scripts/setup-dist.sh installs PyPI ziglang)"
    # -dynamic: zig links musl programs statically unless told. -Wno-date-time: zig's clang
    # makes __DATE__ (Modules/getbuildinfo.c) an error.
    compiler=("$venv/bin/python" -m ziglang cc -target aarch64-linux-musl -dynamic -Wno-date-time)
    for tool in ar ranlib; do
      printf '#!/bin/sh\nexec "%s" -m ziglang %s "$@"\n' "$venv/bin/python" "$tool" >"$build/bin/aarch64-linux-musl-$tool"
      chmod +x "$build/bin/aarch64-linux-musl-$tool"
    done
    # binutils' readelf reads any ELF; configure wants it by path when cross-compiling.
    export AR=$build/bin/aarch64-linux-musl-ar RANLIB=$build/bin/aarch64-linux-musl-ranlib PATH=$build/bin:$PATH
    READELF=$(command -v readelf) || die "no readelf (apt-get install binutils)"
    export READELF
    # --build names musl (the build Python is the x86_64 musl one): configure derives the
    # platform triplet's libc from the *build* system, and only aarch64-linux-musl gives the
    # extension suffix of Alpine's CPython (.cpython-311-aarch64-linux-musl.so), which the
    # compiled musllinux wheels (mypy) carry.
    host_args=(--build=x86_64-pc-linux-musl --host=aarch64-unknown-linux-musl "--with-build-python=$x86_python")
    # The sysroot qemu needs: Debian's arm64 musl (ld-musl-aarch64.so.1 is libc.so itself),
    # unpacked, not installed.
    if [ ! -e "$sysroot/lib/ld-musl-aarch64.so.1" ]; then
      dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64 && apt-get update -qq; }
      rm -rf "$sysroot.tmp" && mkdir -p "$sysroot.tmp/debs"
      (cd "$sysroot.tmp/debs" && apt-get download -qq "$MUSL_ARM64_DEB:arm64") || die "apt-get download $MUSL_ARM64_DEB:arm64"
      dpkg-deb -x "$sysroot.tmp"/debs/*.deb "$sysroot.tmp"
      rm -rf "$sysroot.tmp/debs"
      rm -rf "$sysroot" && mv "$sysroot.tmp" "$sysroot"
    fi
    ;;
esac

# The compiler as one program: configure and setup.py ask it for -print-multiarch, which Debian's gcc
# behind musl-gcc answers "x86_64-linux-gnu" (and configure then stops, as the triplet it
# found is x86_64-linux-musl).
cc=$build/bin/$arch-linux-musl-cc
{
  echo '#!/bin/sh'
  echo "case \"\$*\" in -print-multiarch | --print-multiarch) echo $arch-linux-musl; exit 0 ;; esac"
  # setup.py (cross builds) adds the include dirs that `CC -E -v -` lists; zig's clang lists
  # this machine's /usr/local/include and /usr/include there, although it compiles with its own
  # musl headers: answer with no search list.
  [ "$arch" = x86_64 ] || echo "[ \"\$*\" = '-E -v -' ] && exit 0"
  printf 'exec'; printf ' "%s"' "${compiler[@]}"; echo ' "$@"'
} >"$cc"
chmod +x "$cc"

# zlib, static and position-independent: linked into the zlib extension module.
tar -C "$build" -xf "$zlib_tar"
zsrc=$(find "$build" -maxdepth 1 -type d -name 'zlib-*' | head -1)
zprefix=$build/zlib
zlib_env=()
[ "$arch" = aarch64 ] && zlib_env=(CHOST=aarch64-linux-musl)
(cd "$zsrc" && env "${zlib_env[@]}" CC="$cc" CFLAGS="-O2 -fPIC" ./configure --static --prefix="$zprefix" >"$build/zlib-configure.log" 2>&1 \
  && make -j"$jobs" libz.a >"$build/zlib-make.log" 2>&1 && make install >>"$build/zlib-make.log" 2>&1) \
  || { tail -30 "$build"/zlib-*.log >&2; die "zlib build failed (logs in $build)"; }
t_zlib=$(($(date +%s) - t0))

tar -C "$build" -xzf "$py_tar"
psrc=$build/Python-$PY_UPSTREAM
[ -x "$psrc/configure" ] || die "no $psrc/configure in $py_tar"
mkdir -p "$build/obj/Modules"
# Read by configure's makesetup (Setup.local first): setup.py skips these modules, whose
# headers it would otherwise find in this glibc system's /usr/include.
printf '*disabled*\n' >"$build/obj/Modules/Setup.local"
printf '%s\n' "${SETUP_DISABLED[@]}" >>"$build/obj/Modules/Setup.local"
{
  for m in "${NA_MODULES[@]}"; do echo "py_cv_module_$m=n/a"; done
  # Host OpenSSL headers are in /usr/include, which configure's OpenSSL search would try.
  echo "ac_cv_working_openssl_ssl=no"
  echo "ac_cv_working_openssl_hashlib=no"
  [ "$arch" = x86_64 ] || printf '%s\n' "${CROSS_SITE[@]}"
} >"$build/config.site"
(cd "$build/obj" && CONFIG_SITE=$build/config.site CFLAGS_NODIST=$NODIST_FLAGS PKG_CONFIG_LIBDIR=$zprefix/lib/pkgconfig PKG_CONFIG_PATH='' \
  "$psrc/configure" --prefix="$out" --without-ensurepip --disable-test-modules --without-readline \
  "${host_args[@]}" CC="$cc" OPT="$OPT_FLAGS" >"$build/configure.log" 2>&1) \
  || { tail -30 "$build/configure.log" >&2; die "CPython configure failed ($build/configure.log)"; }
t_conf=$(($(date +%s) - t0))
(cd "$build/obj" && make -j"$jobs" >"$build/make.log" 2>&1) \
  || { tail -40 "$build/make.log" >&2; die "CPython make failed ($build/make.log)"; }
t_make=$(($(date +%s) - t0))
(cd "$build/obj" && make install >"$build/install.log" 2>&1) \
  || { tail -40 "$build/install.log" >&2; die "CPython make install failed ($build/install.log)"; }
t_install=$(($(date +%s) - t0))

# What setup.py could not build is listed in make.log; the suite needs none of it, but a
# module that failed to build (not one turned off above) is an error.
if grep -q 'Failed to build these modules' "$build/make.log"; then
  sed -n '/Failed to build these modules/,/^$/p' "$build/make.log" >&2
  die "CPython modules failed to build ($build/make.log)"
fi
interp=$(readelf -lW "$out/bin/python3.11" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
case $arch in x86_64) want=/lib/ld-musl-x86_64.so.1 ;; aarch64) want=/lib/ld-musl-aarch64.so.1 ;; esac
[ "$interp" = "$want" ] || die "$out/bin/python3.11 asks for the loader '$interp', not $want"
# Every symbol the interpreter and its extension modules take from libc must be in the musl
# that runs them (zig's musl headers and stub are newer than Debian's 1.2.3: a function that
# configure found there but the runtime lacks would fail only when loaded).
case $arch in
  x86_64) libc_so=/lib/ld-musl-x86_64.so.1 ;;
  aarch64) libc_so=$sysroot/lib/ld-musl-aarch64.so.1 ;; # a relative link to lib/aarch64-linux-musl/libc.so
esac
defined=$(for f in "$libc_so" "$out/bin/python3.11"; do
  readelf --dyn-syms -W "$f" | awk '$7 != "UND" && NF >= 8 { sub(/@.*/, "", $8); print $8 }'
done | LC_ALL=C sort -u)
missing=$(for f in "$out/bin/python3.11" "$out"/lib/python3.11/lib-dynload/*.so; do
  readelf --dyn-syms -W "$f" | awk -v f="${f#"$out"/}" '$7 == "UND" && $5 != "WEAK" && NF >= 8 { sub(/@.*/, "", $8); print $8, f }'
done | LC_ALL=C sort -u | LC_ALL=C join -v 1 - <(echo "$defined"))
[ -z "$missing" ] || die "symbols that $libc_so does not define (symbol, user):
$missing"
got=$(check 2>&1) || die "the new $out/bin/python3.11 does not run: $got"
echo "$stamp" >"$out/.installed"
rm -rf "$build"
say "$arch: built in $(($(date +%s) - t0)) s (zlib ${t_zlib} s, configure $((t_conf - t_zlib)) s, make $((t_make - t_conf)) s, install $((t_install - t_make)) s; -j$jobs, load now $(cut -d' ' -f1-3 /proc/loadavg)): $got"
