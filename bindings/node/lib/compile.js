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
//
// On Node >= 22.15 (module.registerHooks) all of this is one synchronous, in-thread `load`
// hook that covers require, import, import() and require(esm) alike: it returns the verified
// bytes as the module's source, so Node reads each file once (through omega-core) and never
// again. The format is Node's own when the resolution gave one, else the file's (.cjs, .mjs,
// .json, or `type` of the nearest package.json for .js); only an ES import of a .js file in a
// package without `type` asks Node's loader for the format (which reads the file a second
// time: Node's syntax detection needs it). `.node` files and formats without a source are
// checked, then loaded by Node. Older Nodes get the CommonJS patch described above.

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { fileURLToPath } = require('node:url');
const { OmegaError } = require('./errors.js');

const VERIFIED = Symbol('omega-verify.verifiedSource');
const SOURCES = Symbol.for('omega-verify.sources');

/**
 * The verified bytes of `filename` from every source (each may refuse), or undefined. With
 * `asText` ('require' or 'import': a JavaScript or JSON source for Node's in-thread hooks) a
 * source may give the text instead, as plain Node reads it for that kind of load.
 */
function verifiedBytes(filename, asText = false) {
  let bytes;
  for (const source of globalThis[SOURCES] || []) {
    const b = source(filename, asText);
    if (b !== null && b !== undefined && bytes === undefined) bytes = b;
  }
  return bytes;
}

/** `bytes` as Node's CommonJS loader reads a file: UTF-8 text, byte order mark kept (readFileUtf8). */
function requireText(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

function stripBOM(text) {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Whether this Node has synchronous in-thread hooks (module.registerHooks, Node >= 22.15). */
const SYNC_HOOKS = typeof Module.registerHooks === 'function';

const packageTypes = new Map(); // directory -> the `type` of the nearest package.json ('' for none)

/**
 * The `type` field of the package.json nearest to `dir` (Node's lookup for .js files): up from
 * `dir`, stopping at a folder named node_modules before reading its package.json (Node's
 * `readPackageScope` and `getPackageScopeConfig` do the same; threat model N22).
 */
function packageType(dir) {
  const seen = [];
  let type = '';
  for (let d = dir; ; d = path.dirname(d)) {
    const known = packageTypes.get(d);
    if (known !== undefined) {
      type = known;
      break;
    }
    if (path.basename(d) === 'node_modules') break;
    seen.push(d);
    const text = readRegular(path.join(d, 'package.json'));
    if (text !== null) {
      try {
        const t = JSON.parse(text).type;
        type = t === 'module' || t === 'commonjs' ? t : '';
      } catch {
        type = '';
      }
      break;
    }
    if (path.dirname(d) === d) break;
  }
  for (const d of seen) packageTypes.set(d, type);
  return type;
}

/**
 * The text of the regular file at `p`, '' for anything else there (a FIFO is never waited on:
 * the loader's checks refuse it right after), null when nothing is.
 */
function readRegular(p) {
  let fd;
  try {
    fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    return fs.fstatSync(fd).isFile() ? fs.readFileSync(fd, 'utf8') : '';
  } catch {
    return '';
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The format of a file with JavaScript or JSON source, when it is known without reading it.
 * For require(), a .js (or unknown extension) file's format is left to Node (undefined): its
 * CommonJS loader finds the package scope's `type` itself, and detects ES syntax in the source
 * we give, so no package.json is read here.
 */
function formatOf(filename, fromRequire) {
  const ext = path.extname(filename);
  if (ext === '.cjs') return 'commonjs';
  if (ext === '.mjs') return 'module';
  if (ext === '.json') return 'json';
  if (fromRequire) return ext === '.node' ? null : undefined;
  if (ext === '.js') {
    const type = packageType(path.dirname(filename));
    return type !== '' ? type : null;
  }
  return null;
}

// A file: URL whose path needs no decoding and is already normalized: what pathToFileURL
// gives for a normalized absolute POSIX path made of characters it leaves as they are.
const PLAIN_FILE_URL = /^file:\/\/\/[A-Za-z0-9_./@+=,~!$&'()*:;-]*$/;

/** fileURLToPath, without parsing a URL when it is one of the plain ones (most are). */
function filenameOf(url) {
  if (path.sep === '/' && PLAIN_FILE_URL.test(url)) {
    const p = url.slice(7);
    if (p.length === 1 || (!p.endsWith('/') && !p.includes('//') && !p.includes('/./') && !p.includes('/../') && !p.endsWith('/.') && !p.endsWith('/..'))) return p;
  }
  return fileURLToPath(url);
}

/** The synchronous `load` hook (module.registerHooks). */
function loadHook(url, context, nextLoad) {
  if (!url.startsWith('file:')) return nextLoad(url, context);
  const filename = filenameOf(url);
  const fromRequire = Array.isArray(context.conditions) && context.conditions.includes('require');
  const format = context.format ?? formatOf(filename, fromRequire);
  const text = format === 'commonjs' || format === 'module' || format === 'json' || format === undefined;
  let bytes = verifiedBytes(filename, text && (fromRequire ? 'require' : 'import'));
  if (bytes === undefined) return nextLoad(url, context);
  if (text && fromRequire && typeof bytes !== 'string') {
    // A Buffer source would go through TextDecoder, which drops the byte order mark that
    // plain Node's CommonJS loader keeps.
    bytes = requireText(bytes);
  }
  if (!text) {
    // Not known without Node's loader (or not JavaScript/JSON: .node addons, wasm): Node
    // loads it; where it has a source, the verified bytes stand in for it.
    const result = nextLoad(url, context);
    if (result.source === null || result.source === undefined || result.format === 'builtin') return result;
    // Node chose the format from the bytes it read itself (a .js file in a package without
    // `type`: its syntax decides): they must be the verified ones, or a file written in between
    // would decide how the verified bytes run (threat model N22, session 11).
    sameSource(filename, result.source, bytes);
    return { ...result, source: bytes, shortCircuit: true };
  }
  return { format, source: bytes, shortCircuit: true };
}

/**
 * Refuses (FILE_CHANGED) when the source Node's own loader read for `filename` (text or bytes),
 * from which it chose the module's format, is not the verified `bytes` that will run in its
 * place: the file was changed between the two reads (threat model N22, session 11).
 */
function sameSource(filename, source, bytes) {
  const a = typeof source === 'string' ? Buffer.from(source, 'utf8') : Buffer.from(source.buffer ?? source, source.byteOffset ?? 0, source.byteLength);
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!a.equals(b)) {
    throw new OmegaError('FILE_CHANGED', `${filename}: changed while it loaded (Node read other bytes than the verified ones)`);
  }
}

function install() {
  if (globalThis[SOURCES]) return;
  Object.defineProperty(globalThis, SOURCES, { value: [] });
  if (SYNC_HOOKS) {
    Module.registerHooks({ load: loadHook });
    return;
  }

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
      return compile.call(this, requireText(bytes), file, ...rest);
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
    const text = requireText(bytes);
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

module.exports = { addSource, SYNC_HOOKS, loadHook, sameSource };
