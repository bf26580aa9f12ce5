'use strict';
// The chosen engine's raw exports, for the modules that call core's log and registry functions
// by name (lib/log.js, lib/registry.js): the addon lib/native.js found (the platform
// package's, or a source build's omega.node), or the WASM build lib/wasm.js loaded (same
// candidates, same require cache). Loaded on the first call, once.

const fs = require('node:fs');
const path = require('node:path');
const engine = require('./engine.js');

let raw = null;

function load() {
  if (engine.name === 'native') return { native: require(require('./native.js').addon) };
  for (const dir of [path.join(__dirname, '..', 'wasm'), path.join(__dirname, '..', '..', 'wasm', 'pkg-node')]) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return { wasm: require(dir) };
  }
  throw new Error('omega-verify: the WebAssembly build is missing (run make build-wasm)');
}

/** `{native}` or `{wasm}`: the engine's raw exports. */
module.exports = function rawEngine() {
  if (raw === null) raw = load();
  return raw;
};
