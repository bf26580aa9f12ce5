'use strict';
// Chooses the engine: the native addon, or the WASM build when the addon cannot load (or when
// OMEGA_ENGINE=wasm). OMEGA_ENGINE=native makes a missing addon an error instead.

const { typeError } = require('./errors.js');

function choose() {
  const want = process.env.OMEGA_ENGINE || 'auto';
  if (!['auto', 'native', 'wasm'].includes(want)) {
    throw typeError(`OMEGA_ENGINE=${want}: must be native, wasm or auto`);
  }
  if (want === 'wasm') return require('./wasm.js');
  try {
    return require('./native.js');
  } catch (err) {
    if (want === 'native') throw err;
    try {
      return require('./wasm.js');
    } catch (wasmErr) {
      const e = new Error(
        `omega-verify: neither engine loads: native addon: ${err.message}; WebAssembly: ${wasmErr.message}`,
      );
      e.code = 'MODULE_NOT_FOUND';
      throw e;
    }
  }
}

module.exports = choose();
