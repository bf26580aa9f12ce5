#!/usr/bin/env bash
# b2tree.sh — recompute an Ωpm tree digest (docs/format.md §2) with standard tools only.
#
#   usage: scripts/b2tree.sh DIR             prints  b2tree:<64 lowercase hex>
#          scripts/b2tree.sh --listing DIR   prints the exact bytes that are hashed
#                                            (so `--listing DIR | b2sum -l 256` is the digest)
#
# This is the "recompute it yourself" recipe, not a verifier. It implements the digest and the
# file-type rule (symlinks, devices, sockets and FIFOs are errors, exit 1), but NOT the
# path-safety rules (UTF-8, control characters, `\`, paths differing only in ASCII case): on a
# tree that omega refuses with UNSAFE_PATH it may still print a digest. It refuses only names
# containing a newline, which would corrupt the line-based listing.
#
# Needs bash >= 4.4 and GNU coreutils/findutils (b2sum -z, stat --printf, sort -z, xargs -0).
set -euo pipefail
shopt -s inherit_errexit
export LC_ALL=C            # byte-wise sort and byte-wise string offsets

die() { printf 'b2tree.sh: %s\n' "$*" >&2; exit 1; }

listing_only=0
if [ "${1-}" = "--listing" ]; then listing_only=1; shift; fi
if [ "${1-}" = "--" ]; then shift; fi
[ $# -eq 1 ] || { printf 'usage: %s [--listing] DIR\n' "${0##*/}" >&2; exit 2; }
[ -d "$1" ] || die "not a directory: $1"
cd -- "$1" || die "cannot enter: $1"
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

# The top-level .omega directory is skipped entirely (a file or symlink named .omega is not).
# 1. Anything else below DIR that is neither a regular file nor a directory is an error.
bad=$(find . \( -path ./.omega -type d \) -prune -o ! -type f ! -type d -print)
if [ -n "$bad" ]; then
    first=${bad%%$'\n'*}
    die "unsupported file type (symlink, device, socket or FIFO): ${first#./}"
fi

# 2. The regular files, sorted by path alone as byte strings (NUL-separated, so any name
#    works). Every path carries the same "./" prefix, which does not change the order.
find . \( -path ./.omega -type d \) -prune -o -type f -print0 | sort -z > "$tmp/paths"
# 3. Per file, in the same order: "mode size" (mode = permission bits in octal) and
#    "hash  ./path" (-z: NUL-terminated, file names not escaped).
xargs -0r stat --printf '%a %s\0' -- < "$tmp/paths" > "$tmp/stats" || die "cannot stat files"
xargs -0r b2sum -l 256 -z -- < "$tmp/paths" > "$tmp/hashes" || die "cannot read files"

# 4. Listing: the header line, then "kind size hash path\n" per file.
{
    printf 'omega-tree-v1\n'
    while IFS= read -r -d '' p <&3; do
        IFS= read -r -d '' st <&4 && IFS= read -r -d '' hl <&5 || die "file list changed"
        [ "${hl:66}" = "$p" ] || die "file list changed: $p"    # 64 hex + 2 spaces + path
        case $p in *$'\n'*) die "file name contains a newline: $p" ;; esac
        mode=${st% *} size=${st#* }
        if (( 8#$mode & 8#100 )); then kind=x; else kind=f; fi  # owner-execute bit
        printf '%s %s %s %s\n' "$kind" "$size" "${hl:0:64}" "${p#./}"
    done 3< "$tmp/paths" 4< "$tmp/stats" 5< "$tmp/hashes"
} > "$tmp/listing"

# 5. Digest = BLAKE2b-256 of the listing.
if [ "$listing_only" = 1 ]; then
    cat -- "$tmp/listing"
else
    digest=$(b2sum -l 256 < "$tmp/listing")
    printf 'b2tree:%s\n' "${digest%% *}"
fi
