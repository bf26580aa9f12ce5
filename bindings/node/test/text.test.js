'use strict';
// The text a verified file compiles to is the text plain Node compiles. On Node >= 22.15 the
// native engine hands the `load` hook a string decoded in the addon (src/layout.rs
// layout_load_text): for a require as Node's CommonJS loader reads a file (byte order mark
// kept), for an import as Node decodes a Buffer (mark dropped); the WASM engine hands bytes
// (made text the same way for a require). Node 20 compiles through the CommonJS patch. Each
// case runs in a process of its own, plain and under the loader (tree and files mode), and
// the outcomes must be equal: the value, or the class of the error (a `#!` after a byte order
// mark, or two marks before a JSON document, are syntax errors for require in plain Node).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { PKG_DIR, omega, tmpdir, write, runNode } = require('./helpers.js');

const REGISTER_CJS = path.join(PKG_DIR, 'register.js');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const b = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

/** A project with one signed package `epsilon` whose files carry marks and malformed UTF-8. */
function textProject() {
  const root = tmpdir();
  const dir = path.join(root, 'node_modules', 'epsilon');
  const files = {
    'package.json': JSON.stringify({ name: 'epsilon', version: '1.0.0', main: 'index.js' }) + '\n',
    // "a<FF> b<C3>": a byte that starts no sequence, and a sequence cut short; each is U+FFFD.
    'index.js': b(BOM, 'module.exports = "a', [0xff], ' b', [0xc3], '" + require("./more.cjs");\n'),
    'more.cjs': b(BOM, 'module.exports = " é\\u00e9";\n'),
    'data.json': b(BOM, '{"k": "v\u00e9"}\n'),
    'two.json': b(BOM, BOM, '{"k": 2}\n'),
    'bang.js': b(BOM, '#!/usr/bin/env node\nmodule.exports = "bang";\n'),
    'esm.mjs': b(BOM, 'export default "m', [0xe2, 0x82], '";\n'),
    'bang.mjs': b(BOM, '#!/usr/bin/env node\nexport default "mbang";\n'),
    'surrogate.js': b('module.exports = "s', [0xed, 0xa0, 0x80], 'e', [0xf0, 0x80, 0x80, 0xaf], '";\n'),
  };
  for (const [name, data] of Object.entries(files)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, name), data);
  }
  omega('keygen', '-W', '-s', path.join(root, 'author.key'), '-p', path.join(root, 'author.pub'));
  omega('pack', dir, '--name', 'epsilon', '--version', '1.0.0', '--sequence', '1', '-s', path.join(root, 'author.key'));
  omega('lock', root);
  const cases = {
    'require index.js': "out(require('epsilon'))",
    'require data.json': "out(require('epsilon/data.json'))",
    'require two.json': "out(require('epsilon/two.json'))",
    'require bang.js': "out(require('epsilon/bang.js'))",
    'require surrogate.js': "out(require('epsilon/surrogate.js'))",
    'require esm.mjs': "out(require('epsilon/esm.mjs').default)",
    'require bang.mjs': "out(require('epsilon/bang.mjs').default)",
    'import esm.mjs': "import('epsilon/esm.mjs').then((m) => out(m.default), fail)",
    'import bang.mjs': "import('epsilon/bang.mjs').then((m) => out(m.default), fail)",
    'import index.js': "import('epsilon').then((m) => out(m.default), fail)",
    'import two.json': "import('epsilon/two.json', { with: { type: 'json' } }).then((m) => out(m.default), fail)",
    'import data.json': "import('epsilon/data.json', { with: { type: 'json' } }).then((m) => out(m.default), fail)",
  };
  const names = Object.keys(cases);
  names.forEach((name, i) => write(path.join(root, `case${i}.js`), `const out = (v) => console.log(JSON.stringify(v));
const fail = (e) => { console.log('error ' + e.name); process.exitCode = 0; };
try { ${cases[name]}; } catch (e) { fail(e); }\n`));
  return { root, names };
}

test('byte order marks and malformed UTF-8 compile to what plain Node compiles, for require and import', () => {
  const { root, names } = textProject();
  const outcome = (r) => `${r.status} ${r.stdout.trim()}`;
  names.forEach((name, i) => {
    const plain = runNode(root, [`case${i}.js`]);
    assert.equal(plain.status, 0, `${name}: ${plain.stderr}`);
    for (const mode of ['tree', 'files']) {
      const r = runNode(root, ['--require', REGISTER_CJS, `case${i}.js`], { OMEGA_VERIFY: mode });
      assert.equal(outcome(r), outcome(plain), `${name}, OMEGA_VERIFY=${mode}: ${r.stderr}`);
    }
  });
  // The cases do tell the decodings apart: U+FFFD where the bytes are malformed, and require's
  // kept byte order mark making these two syntax errors in plain Node (and so under the loader).
  const plainOf = (name) => runNode(root, [`case${names.indexOf(name)}.js`]).stdout.trim();
  assert.equal(plainOf('require index.js'), JSON.stringify('a\uFFFD b\uFFFD é\u00e9'));
  assert.equal(plainOf('require bang.js'), 'error SyntaxError');
  assert.equal(plainOf('require two.json'), 'error SyntaxError');
});
