#!/usr/bin/env bash
# Regenerates the committed fuzz seeds (core/fuzz/seeds/<target>/) and the fixed signer
# (core/fuzz/fixtures/) from real tools, without building anything: minisign, signify-openbsd
# and b2sum. Keys are random, so every run gives new bytes; the `signature` target embeds
# fixtures/signer.pub and fixtures/message at build time, so they stay consistent.
#
# Usage: core/fuzz/make-seeds.sh   (then commit core/fuzz/seeds and core/fuzz/fixtures)
set -euo pipefail
cd "$(dirname "$0")"
for tool in minisign b2sum; do
  command -v "$tool" >/dev/null || { echo "make-seeds: $tool is required" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Only the folders this script writes are replaced: the seeds of other targets (tarball,
# statement, entry, note, checkpoint, policy, index_note: written by their own tests or by
# hand) are kept.
rm -rf fixtures seeds/{public_key,signature,manifest,lock,revocation,tree_paths,secret_key,signify,bundle,tile}
mkdir -p fixtures seeds/{public_key,signature,manifest,lock,revocation,tree_paths,secret_key}

# --- keys -------------------------------------------------------------------------------------
keygen() { minisign -G -W -p "$tmp/$1.pub" -s "$tmp/$1.key" >/dev/null; sed -n 2p "$tmp/$1.pub"; }
K1=$(keygen k1)
K2=$(keygen k2)
K3=$(keygen k3)
K4=$(keygen k4)
cp "$tmp/k1.pub" fixtures/signer.pub
printf 'omega fuzz message\n' > fixtures/message

# --- public_key -------------------------------------------------------------------------------
cp "$tmp/k1.pub" seeds/public_key/minisign.pub
printf '%s\n' "$K2" > seeds/public_key/bare.txt
printf '%s' "$K3" > seeds/public_key/bare-no-newline.txt
sed 's/$/\r/' "$tmp/k4.pub" | head -c -2 > seeds/public_key/crlf-no-final-newline.pub
if command -v signify-openbsd >/dev/null; then
  signify-openbsd -G -n -p "$tmp/s.pub" -s "$tmp/s.sec" -c "signify fuzz seed"
  cp "$tmp/s.pub" seeds/public_key/signify.pub
fi

# --- signature --------------------------------------------------------------------------------
sign() { # sign KEY OUT [extra minisign args]
  local key=$1 out=$2; shift 2
  minisign -S -s "$tmp/$key.key" -m fixtures/message -x "$out" "$@" >/dev/null
}
sign k1 seeds/signature/prehashed.minisig -t "file:message	fuzz seed" -c "signature from the fixed key"
sign k1 seeds/signature/legacy.minisig -l -t "legacy seed" -c "legacy"
sign k1 "$tmp/a.minisig" -t "cosign 1"
sign k2 "$tmp/b.minisig" -t "cosign 2 ünïcödé"
sign k3 "$tmp/c.minisig" -t ""
cat "$tmp/a.minisig" "$tmp/b.minisig" "$tmp/c.minisig" > seeds/signature/three-blocks.minisig
sed 's/$/\r/' "$tmp/b.minisig" > seeds/signature/crlf.minisig
head -c -1 "$tmp/a.minisig" > seeds/signature/no-final-newline.minisig

# --- tree digests (docs/format.md §2) ---------------------------------------------------------
b2() { b2sum -l 256 | cut -c1-64; }
# tree LINE...: each LINE is "kind size hash path"; prints the b2tree: digest.
tree() { { printf 'omega-tree-v1\n'; printf '%s\n' "$@" | LC_ALL=C sort -t ' ' -k4; } | b2; }
H_A=$(printf 'hello\n' | b2)
H_RUN=$(printf '#!/bin/sh\necho hi\n' | b2)
H_EMPTY=$(printf '' | b2)
H_UNI=$(printf 'ü\n' | b2)
L_A="f 6 $H_A a.txt"
L_RUN="x 18 $H_RUN bin/run.sh"
L_SUB="f 0 $H_EMPTY sub dir/b.txt"
L_UNI="f 3 $H_UNI lib/ünï.js"
L_OMEGA="f 0 $H_EMPTY sub/.omega/x"
T_EXAMPLE=$(tree "$L_A" "$L_RUN" "$L_SUB")
T_MORE=$(tree "$L_A" "$L_RUN" "$L_UNI" "$L_OMEGA")
T_EMPTY=$(printf 'omega-tree-v1\n' | b2)
[ "$T_EXAMPLE" = 130036ea55b1b15aba1af4aafbf6ffb086ef9e8ea64dac5280520a2760b8893d ] \
  || { echo "make-seeds: example tree digest differs from docs/format.md §2.3" >&2; exit 1; }
[ "$T_EMPTY" = 49fb03e0ce1f219ec679c306b5d822af7a2a3ad9b74a5928549d3e83c858e7f2 ] \
  || { echo "make-seeds: empty tree digest differs from docs/format.md §2.1" >&2; exit 1; }

# --- manifest (docs/format.md §3) -------------------------------------------------------------
file_json() { # kind size hash path
  printf '    {\n      "path": "%s",\n      "kind": "%s",\n      "size": %s,\n      "blake2b256": "%s"\n    }' "$4" "$1" "$2" "$3"
}
cat > seeds/manifest/example.json <<EOF
{
  "omega": 1,
  "name": "example",
  "version": "1.0.0",
  "sequence": 1,
  "tree": "b2tree:$T_EXAMPLE",
  "files": [
$(file_json $L_A),
$(file_json $L_RUN),
$(file_json f 0 "$H_EMPTY" "sub dir/b.txt")
  ],
  "keys": {
    "threshold": 1,
    "signers": [
      "$K1"
    ],
    "next": []
  }
}
EOF
cat > seeds/manifest/scoped-deps-next.json <<EOF
{
  "omega": 1,
  "name": "@scope/pkg.name-2_x~",
  "version": "2.0.0-rc.1+build.5",
  "sequence": 18446744073709551615,
  "tree": "b2tree:$T_MORE",
  "files": [
$(file_json $L_A),
$(file_json $L_RUN),
$(file_json $L_UNI),
$(file_json $L_OMEGA)
  ],
  "dependencies": {
    "@other/dep": "b2tree:$T_EMPTY",
    "example": "b2tree:$T_EXAMPLE"
  },
  "keys": {
    "threshold": 2,
    "signers": [
      "$K1",
      "$K2"
    ],
    "next": [
      "$K3"
    ]
  }
}
EOF
# Valid but not canonical: compact, members in another order, escapes, no `next`.
printf '{"keys":{"signers":["%s"],"threshold":1},"files":[],"tree":"b2tree:%s","sequence":0,"version":"0","name":"e\\u006dpty","omega":1}' \
  "$K4" "$T_EMPTY" > seeds/manifest/compact-empty.json

# --- lock (docs/format.md §4) -----------------------------------------------------------------
cat > seeds/lock/example.lock <<EOF
{
  "omega-lock": 1,
  "packages": {
    "example": {
      "version": "1.0.0",
      "sequence": 1,
      "tree": "b2tree:$T_EXAMPLE",
      "keys": {
        "threshold": 1,
        "signers": [
          "$K1"
        ],
        "next": []
      },
      "signed_by": [
        "$K1"
      ],
      "path": "node_modules/example"
    }
  }
}
EOF
cat > seeds/lock/nested-revoked-unsigned.lock <<EOF
{
  "omega-lock": 1,
  "packages": {
    "@scope/pkg": {
      "version": "2.0.0",
      "sequence": 7,
      "tree": "b2tree:$T_MORE",
      "keys": {
        "threshold": 2,
        "signers": [
          "$K2"
        ],
        "next": [
          "$K3"
        ]
      },
      "revoked": [
        "$K1"
      ],
      "signed_by": [
        "$K2",
        "$K3"
      ],
      "path": "node_modules/@scope/pkg"
    },
    "ms": {
      "version": "2.1.3",
      "sequence": 0,
      "tree": "b2tree:$T_EMPTY",
      "path": "node_modules/ms"
    },
    "node_modules/send/node_modules/ms": {
      "version": "2.0.0",
      "sequence": 0,
      "tree": "b2tree:$T_EXAMPLE",
      "path": "node_modules/send/node_modules/ms"
    }
  }
}
EOF
printf '{"packages":{},"omega-lock":1}' > seeds/lock/empty.lock

# --- revocation (docs/format.md §5) -----------------------------------------------------------
printf '{"omega-revoke": 1, "name": "example", "key": "%s", "reason": "laptop stolen 2026-11-20"}\n' \
  "$K1" > seeds/revocation/compact.json
cat > seeds/revocation/canonical.json <<EOF
{
  "omega-revoke": 1,
  "name": "@scope/pkg",
  "key": "$K2",
  "reason": "rotated: \"old\" key\\\\n ünïcödé"
}
EOF

# --- tree_paths: NUL-separated paths ----------------------------------------------------------
printf 'a.txt\0bin/run.sh\0sub dir/b.txt' > seeds/tree_paths/example
printf 'lib/ünï.js\0.omega\0sub/.omega/x\0A/b\0a/B-2\0~/-._' > seeds/tree_paths/unicode-omega
printf 'x' > seeds/tree_paths/single
printf 'z/y/x\0b\0a\0aa\0a.b\0a-b' > seeds/tree_paths/unsorted

# --- secret_key -------------------------------------------------------------------------------
cp "$tmp/k1.key" seeds/secret_key/unencrypted.key
sed 's/$/\r/' "$tmp/k2.key" > seeds/secret_key/unencrypted-crlf.key
# Encrypted (minisign's default scrypt limits): parsed only, never decrypted by the target.
printf 'fuzz\nfuzz\n' | minisign -G -f -p "$tmp/e.pub" -s "$tmp/e.key" >/dev/null 2>&1
cp "$tmp/e.key" seeds/secret_key/encrypted.key

# --- signify: detached, embedded, gzip, secret keys (signify-openbsd) --------------------------
# fixtures/signify.pub is the key the `signify` target verifies the seeds with.
command -v signify-openbsd >/dev/null || { echo "make-seeds: signify-openbsd is required" >&2; exit 1; }
mkdir -p seeds/signify
signify-openbsd -G -n -p "$tmp/sf.pub" -s "$tmp/sf.sec" -c "signify fuzz signer"
cp "$tmp/sf.pub" fixtures/signify.pub
signify-openbsd -S -s "$tmp/sf.sec" -m fixtures/message -x seeds/signify/detached.sig
sed 's/$/\r/' seeds/signify/detached.sig > seeds/signify/detached-crlf.sig
signify-openbsd -S -e -s "$tmp/sf.sec" -m fixtures/message -x seeds/signify/embedded.sig
printf '\037\213\010\000\000\000\000\000\000\003' > "$tmp/in.gz"
head -c 40000 /dev/urandom >> "$tmp/in.gz"  # under the 64 KiB max_len
signify-openbsd -S -z -s "$tmp/sf.sec" -m "$tmp/in.gz" -x seeds/signify/signed.gz
cp "$tmp/sf.sec" seeds/signify/unencrypted.sec
printf 'fuzz\n' | signify-openbsd -G -p "$tmp/se.pub" -s "$tmp/se.sec" -c "encrypted seed"
cp "$tmp/se.sec" seeds/signify/encrypted.sec
signify-openbsd -V -q -p fixtures/signify.pub -m fixtures/message -x seeds/signify/detached.sig
signify-openbsd -V -q -e -p fixtures/signify.pub -x seeds/signify/embedded.sig -m "$tmp/emb.out"
signify-openbsd -V -z -p fixtures/signify.pub -x seeds/signify/signed.gz -m "$tmp/gz.out"

# Every seed must be accepted by its reference tool where one exists.
minisign -Vm fixtures/message -x seeds/signature/prehashed.minisig -p fixtures/signer.pub -q
minisign -Vm fixtures/message -x seeds/signature/legacy.minisig -p fixtures/signer.pub -q
find seeds fixtures -type f | sort | while read -r f; do printf '%6d %s\n' "$(wc -c < "$f")" "$f"; done

# --- bundle, tile (written by hand: no reference tool) -----------------------------------------
mkdir -p seeds/bundle seeds/tile
printf '\001\000\001a' > seeds/bundle/one-entry
printf '\003\000\001a\000\000\000\003ccc' > seeds/bundle/three-with-empty
printf 'tile/0/x001/x234/067' > seeds/tile/full-hash-tile
printf 'tile/entries/x001/x234/067.p/8' > seeds/tile/partial-bundle
printf 'tile/2/000.p/1' > seeds/tile/top-partial
