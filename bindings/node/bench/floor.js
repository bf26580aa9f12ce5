'use strict';
// The floor of a loader built as this one is (docs/benchmarks.md, "issue 12: the floor"): the
// same load hook (lib/compile.js: module.registerHooks on Node >= 22.15, the CommonJS patch
// before), handing Node its own read of each file in a node_modules folder, with none of the
// loader's checks: no lock, no package opened, no signature, no layout rule, no table. What is
// left is the "hot path": one read of each loaded file and, with FLOOR=native or
// FLOOR=wasm, one BLAKE2b-256 of it (the addon's or the WebAssembly module's, each loaded
// first, as the loader loads its engine). FLOOR=read (the default) reads only.
//
//   node --require bench/floor.js -e "require('express')"
//
// A benchmark of what cannot be taken away, never a loader: it verifies nothing.

const fs = require('node:fs');
const path = require('node:path');
const compile = require('../lib/compile.js');

const how = process.env.FLOOR || 'read';
let hash = null;
if (how === 'native') hash = require('../lib/native.js').blake2b256;
else if (how === 'wasm') hash = require(path.join(__dirname, '..', '..', 'wasm', 'pkg-node')).blake2b256;
else if (how !== 'read') throw new Error(`floor.js: FLOOR=${how}: one of read, native, wasm`);

const IN_NODE_MODULES = `${path.sep}node_modules${path.sep}`;
compile.addSource((filename) => {
  if (!filename.includes(IN_NODE_MODULES)) return null;
  let bytes;
  try {
    bytes = fs.readFileSync(filename);
  } catch {
    return null;
  }
  if (hash) hash(bytes);
  return bytes;
});
