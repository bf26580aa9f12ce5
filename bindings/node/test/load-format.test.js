'use strict';
// The load hook's rule when Node's own loader chooses a module's format (lib/compile.js
// loadHook, lib/hooks.mjs load): a `.js` file in a package without `type` is CommonJS or an ES
// module by its syntax, which Node reads from disk itself; those bytes must be the verified
// ones, or a file swapped in between would decide how the verified bytes run (review of
// session 11: verified CommonJS bytes ran as an ES module in a race).

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const compile = require('../lib/compile.js');
const { tmpdir, write } = require('./helpers.js');

test('a source Node read other than the verified bytes is refused; the same bytes load', () => {
  const root = tmpdir('omega-node-format-');
  const file = path.join(root, 'node_modules', 'rc', 'm.js');
  const verified = Buffer.from("module.exports = 'cjs';\n");
  write(file, verified.toString());
  compile.addSource((f) => (f === file ? verified : null));
  const url = pathToFileURL(file).href;
  const context = { conditions: ['node', 'import'], format: undefined, importAttributes: {} };
  const swapped = () => ({ format: 'module', source: Buffer.from('export {};\n') });
  assert.throws(() => compile.loadHook(url, context, swapped), (e) => e.code === 'FILE_CHANGED' && e.message.includes(file));
  // The text form of the same bytes passes; the verified bytes are what loads.
  const same = () => ({ format: 'commonjs', source: verified.toString() });
  const r = compile.loadHook(url, context, same);
  assert.equal(r.format, 'commonjs');
  assert.equal(Buffer.from(r.source).toString(), verified.toString());
  assert.throws(() => compile.sameSource(file, new Uint8Array([1, 2]), verified), (e) => e.code === 'FILE_CHANGED');
});
