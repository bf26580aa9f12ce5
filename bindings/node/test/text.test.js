'use strict';
// The text a verified file compiles to is the text plain Node compiles: on Node >= 22.15 the
// native engine hands the `load` hook a string decoded in the addon (src/layout.rs
// layout_load_text) instead of a Buffer that Node decodes with TextDecoder; the WASM engine
// and older Nodes hand bytes. A leading byte order mark and malformed UTF-8 must come out the
// same either way, for CommonJS, JSON and ES modules, in both modes.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { PKG_DIR, omega, tmpdir, write, runNode } = require('./helpers.js');

const REGISTER_CJS = path.join(PKG_DIR, 'register.js');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A project with one signed package `epsilon` whose files carry a BOM and malformed UTF-8. */
function textProject() {
  const root = tmpdir();
  const dir = path.join(root, 'node_modules', 'epsilon');
  write(path.join(dir, 'package.json'), JSON.stringify({ name: 'epsilon', version: '1.0.0', main: 'index.js' }) + '\n');
  // "a<FF> b<C3>" : a lone byte that starts no sequence, and a sequence cut short at the end
  // of the literal; each becomes U+FFFD.
  fs.writeFileSync(path.join(dir, 'index.js'), Buffer.concat([
    BOM, Buffer.from('module.exports = "a'), Buffer.from([0xff]), Buffer.from(' b'), Buffer.from([0xc3]),
    Buffer.from('" + require("./more.cjs") + JSON.stringify(require("./data.json"));\n'),
  ]));
  fs.writeFileSync(path.join(dir, 'more.cjs'), Buffer.concat([BOM, Buffer.from('module.exports = " é\\u00e9";\n')]));
  fs.writeFileSync(path.join(dir, 'data.json'), Buffer.concat([BOM, Buffer.from('{"k": "v\u00e9"}\n')]));
  fs.writeFileSync(path.join(dir, 'esm.mjs'), Buffer.concat([BOM, Buffer.from('export default "m'), Buffer.from([0xe2, 0x82]), Buffer.from('";\n')]));
  omega('keygen', '-W', '-s', path.join(root, 'author.key'), '-p', path.join(root, 'author.pub'));
  omega('pack', dir, '--name', 'epsilon', '--version', '1.0.0', '--sequence', '1', '-s', path.join(root, 'author.key'));
  omega('lock', root);
  write(path.join(root, 'main.js'), `const out = [require('epsilon')];
import('epsilon/esm.mjs').then((m) => { out.push(m.default); console.log(JSON.stringify(out)); });\n`);
  return root;
}

test('a byte order mark and malformed UTF-8 compile to the same text as under plain Node', () => {
  const root = textProject();
  const plain = runNode(root, ['main.js']);
  assert.equal(plain.status, 0, plain.stderr);
  const expected = JSON.stringify(['a\uFFFD b\uFFFD é\u00e9{"k":"v\u00e9"}', 'm\uFFFD']);
  assert.equal(plain.stdout.trim(), expected, 'plain Node decodes as the WHATWG decoder does');
  for (const mode of ['tree', 'files']) {
    const r = runNode(root, ['--require', REGISTER_CJS, 'main.js'], { OMEGA_VERIFY: mode });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), expected, `OMEGA_VERIFY=${mode}`);
  }
});
