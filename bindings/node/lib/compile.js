'use strict';
// Compiling verified bytes (CommonJS): the one place where a module's source becomes the bytes
// omega-core verified, so that nothing can change between a check and a load. Before a module
// loads, Module.prototype.load asks each source (the register hook's Enforcer, Ω's verified
// packages) for the file; a source returns the verified bytes (engine.readPinnedFile: read,
// hash, compare with the verified file table, in one call), null for a file it does not
// cover, or throws a refusal. Then:
//   .js/.cjs (and any extension Node compiles as JavaScript): Node's handler runs as usual
//       (it decides the format and refuses ESM), but `module._compile` gets the verified text;
//   .json: the verified text is parsed (as Node's handler does);
//   .node: addons cannot load from bytes: the file was hashed just before Node's handler
//       dlopens it (the window left is documented in docs/node.md).
// The shape (a file in, verified bytes out, synchronously) is that of a synchronous `load`
// hook (module.registerHooks), so it moves there unchanged.

const Module = require('node:module');

const VERIFIED = Symbol('omega-verify.verifiedSource');
const SOURCES = Symbol.for('omega-verify.sources');

/** The verified bytes of `filename` from every source (each may refuse), or undefined. */
function verifiedBytes(filename) {
  let bytes;
  for (const source of globalThis[SOURCES] || []) {
    const b = source(filename);
    if (b !== null && b !== undefined && bytes === undefined) bytes = b;
  }
  return bytes;
}

function stripBOM(text) {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function install() {
  if (globalThis[SOURCES]) return;
  Object.defineProperty(globalThis, SOURCES, { value: [] });

  const load = Module.prototype.load;
  Module.prototype.load = function omegaVerifiedLoad(filename) {
    const bytes = verifiedBytes(filename);
    if (bytes === undefined) return load.call(this, filename);
    this[VERIFIED] = bytes;
    try {
      return load.call(this, filename);
    } finally {
      delete this[VERIFIED];
    }
  };

  const js = Module._extensions['.js'];
  Module._extensions['.js'] = function omegaVerifiedJs(module, filename) {
    const bytes = module[VERIFIED];
    if (bytes === undefined) return js.call(this, module, filename);
    const own = Object.prototype.hasOwnProperty.call(module, '_compile');
    const compile = module._compile;
    module._compile = function omegaCompileVerified(_content, file, ...rest) {
      return compile.call(this, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), file, ...rest);
    };
    try {
      return js.call(this, module, filename);
    } finally {
      if (own) module._compile = compile;
      else delete module._compile;
    }
  };

  const json = Module._extensions['.json'];
  Module._extensions['.json'] = function omegaVerifiedJson(module, filename) {
    const bytes = module[VERIFIED];
    if (bytes === undefined) return json.call(this, module, filename);
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    try {
      module.exports = JSON.parse(stripBOM(text));
    } catch (err) {
      err.message = `${filename}: ${err.message}`;
      throw err;
    }
  };
}

/** Adds a source of verified bytes: `(filename) -> bytes | null`, throwing to refuse. */
function addSource(source) {
  install();
  globalThis[SOURCES].push(source);
}

module.exports = { addSource };
