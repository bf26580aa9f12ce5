'use strict';
// omega-verify: load a package only once its files are verified.
//
//   const Ω = require('omega-verify');
//   Ω('left-pad', 'b2tree:…', (err, leftPad) => { … });   // callback
//   const leftPad = await Ω('left-pad', 'b2tree:…');       // promise
//   const leftPad = Ω.sync('left-pad', 'b2tree:…');        // synchronous
//
// Ω finds the package the way `require` would from the calling file (nested and scoped
// packages included), checks its files against the digest (and its signatures, when keys or a
// lock file are given) with omega-core, and only then requires it. The callback and promise
// forms hash off the main thread. A package's verified file listing is kept for the process,
// and each of its files is compiled from bytes compared with that listing as it loads
// (lib/compile.js), so a file changed after the check never loads.
// docs/node.md has the whole API, the register hook (`node --require omega-verify/register`)
// and what this does and does not protect against.

const fs = require('node:fs');
const path = require('node:path');
const engine = require('./lib/engine.js');
const { OmegaError, typeError, fromFs } = require('./lib/errors.js');
const opt = require('./lib/options.js');
const lockfile = require('./lib/lockfile.js');
const compile = require('./lib/compile.js');
const { callerFile, requireFrom, splitSpecifier, packageDir, inside } = require('./lib/resolve.js');

const LOAD_OPTIONS = ['keys', 'threshold', 'legacy', 'lock'];
const CHECK_OPTIONS = ['digest', 'keys', 'threshold', 'legacy', 'installed', 'label'];

/** What a load will check: the package directory, the pins, the require to load it with. */
function plan(name, digest, options, caller) {
  const { name: pkg } = splitSpecifier(name);
  const o = opt.options(options, LOAD_OPTIONS);
  const pins = opt.pins(digest, o);
  const req = requireFrom(caller);
  const dir = packageDir(req, pkg);
  if (o.lock !== undefined && o.lock !== null && o.lock !== false) {
    let file;
    if (o.lock === true) {
      // Never a lock inside node_modules (lockfile.js): a library's call finds the app's lock.
      file = process.env.OMEGA_LOCK || lockfile.findUp(caller ? path.dirname(caller) : process.cwd());
      if (!file) throw new OmegaError('NOT_FOUND', `${pkg}: no ${lockfile.LOCK_FILE} above ${caller || process.cwd()}`);
    } else {
      file = opt.string(o.lock, 'options.lock');
    }
    const lock = lockfile.load(engine, file);
    lockfile.entryFor(lock, dir, pkg);
    // omega-core merges (loader::merge_pins): a conflicting digest is DIGEST_MISMATCH, the
    // lock's entry fills in the rest.
    return { name, pkg, dir, pins: engine.lockPins(lock.handle, lock.rel(dir), pins, pkg, file), req };
  }
  return { name, pkg, dir, pins, req };
}

/** Requires the planned package, refusing a file outside the verified directory. */
function load(p) {
  let file;
  try {
    file = fs.realpathSync(p.req.resolve(p.name));
  } catch (e) {
    if (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw e;
    throw fromFs(e, p.name);
  }
  if (!inside(file, p.dir)) {
    throw new OmegaError('NOT_FOUND', `${p.pkg}: ${p.name} resolves to ${file}, outside the verified directory ${p.dir}`);
  }
  return p.req(p.name);
}

/** Ω's verified packages: real package directory -> file table id (engine). */
const verified = new Map();
/**
 * Ω's packages whose file or package.json a load refused: directory -> the refusal, thrown at
 * each later load (Node may have read and kept a tampered package.json meanwhile).
 */
const refusedDirs = new Map();

/**
 * The verified bytes of a file of a package Ω loaded (null for any other file): compile.js
 * compiles these, not what is on disk. A file in a nested node_modules is another package's.
 */
function verifiedSource(filename) {
  if (verified.size === 0) return null;
  let d = path.dirname(filename);
  for (;;) {
    const id = verified.get(d);
    if (id !== undefined) {
      const refused = refusedDirs.get(d);
      if (refused !== undefined) throw refused;
      const rel = path.relative(d, filename).split(path.sep).join('/');
      try {
        const bytes = engine.readPinnedFile(id, rel, filename);
        // The package.json files that decide how the file loads, as they are now (one may have
        // been written since Ω checked the package; threat model N22).
        engine.checkFileScopes(id, d, rel);
        return bytes;
      } catch (e) {
        refusedDirs.set(d, e);
        throw e;
      }
    }
    if (path.basename(d) === 'node_modules') return null;
    const up = path.dirname(d);
    if (up === d) return null;
    d = up;
  }
}
compile.addSource(verifiedSource);

const inflight = new Map();

/** Promise of the check of a planned load (concurrent loads of one package share it). */
function checkAsync(p) {
  const key = JSON.stringify([p.dir, p.pins]);
  let pending = inflight.get(key);
  if (!pending) {
    pending = engine.openPinnedFilesAsync(p.dir, p.pins, p.pkg, true)
      .then(({ id }) => {
        engine.checkPackageTop(id, p.dir);
        verified.set(p.dir, id);
      })
      .finally(() => inflight.delete(key));
    inflight.set(key, pending);
  }
  return pending;
}

/** The synchronous check of a planned load. */
function checkSync(p) {
  const { id } = engine.openTable(p.dir, p.pins, p.pkg, true);
  // Node's scope lookup reads the package's package.json, or with none its scope folder's.
  engine.checkPackageTop(id, p.dir);
  verified.set(p.dir, id);
}

/**
 * Ω(name, digest[, options][, callback]): verifies package `name` against `digest` (a
 * `b2tree:` string; null to pin keys only) and loads it with `require`. Without a callback it
 * returns a promise of the package's exports.
 */
function Ω(name, digest, options, callback) {
  if (typeof options === 'function' && callback === undefined) {
    callback = options;
    options = undefined;
  }
  const caller = callerFile();
  if (callback === undefined) {
    let p;
    try {
      p = plan(name, digest, options, caller);
    } catch (e) {
      return Promise.reject(e);
    }
    return checkAsync(p).then(() => load(p));
  }
  if (typeof callback !== 'function') throw typeError('callback must be a function');
  const p = plan(name, digest, options, caller); // argument errors throw here, as in node:fs
  checkAsync(p).then(
    () => {
      let exports;
      try {
        exports = load(p);
      } catch (e) {
        process.nextTick(callback, e);
        return;
      }
      process.nextTick(callback, null, exports);
    },
    (e) => process.nextTick(callback, e),
  );
  return undefined;
}

/** Ω.sync(name, digest[, options]): the same, synchronously; returns the exports. */
Ω.sync = function sync(name, digest, options) {
  const p = plan(name, digest, options, callerFile());
  checkSync(p);
  return load(p);
};

function dirArg(dir) {
  return path.resolve(opt.string(dir, 'dir'));
}

/** Ω.digestDir(dir[, {installed}]): promise of the `b2tree:` digest of a directory. */
Ω.digestDir = function digestDir(dir, options) {
  try {
    const o = opt.options(options, ['installed']);
    return engine.digestDir(dirArg(dir), opt.bool(o.installed, 'options.installed'));
  } catch (e) {
    return Promise.reject(e);
  }
};

/** Ω.digestDirSync(dir[, {installed}]): the `b2tree:` digest of a directory. */
Ω.digestDirSync = function digestDirSync(dir, options) {
  const o = opt.options(options, ['installed']);
  return engine.digestDirSync(dirArg(dir), opt.bool(o.installed, 'options.installed'));
};

function checkArgs(dir, options) {
  const o = opt.options(options, CHECK_OPTIONS);
  const d = dirArg(dir);
  const label = o.label === undefined || o.label === null ? d : opt.string(o.label, 'options.label');
  return [d, opt.pins(o.digest, o), { installed: opt.bool(o.installed, 'options.installed'), label }];
}

/**
 * Ω.checkPackage(dir, {digest, keys, threshold, legacy, installed, label}): promise of the
 * report (DESIGN §3.4); rejects with an OmegaError carrying `.report` when the check fails.
 */
Ω.checkPackage = function checkPackage(dir, options) {
  try {
    return engine.checkDir(...checkArgs(dir, options));
  } catch (e) {
    return Promise.reject(e);
  }
};

/** Ω.checkPackageSync(dir, options): the same, synchronously. */
Ω.checkPackageSync = function checkPackageSync(dir, options) {
  return engine.checkDirSync(...checkArgs(dir, options));
};

function verifyArgs(file, options) {
  const f = opt.string(file, 'file');
  const o = opt.options(options, ['publicKey', 'signature', 'legacy']);
  let key = o.publicKey;
  if (key instanceof Uint8Array) key = Buffer.from(key).toString('utf8');
  key = opt.string(key, 'options.publicKey');
  let signature;
  if (o.signature === undefined || o.signature === null) {
    signature = {};
  } else if (typeof o.signature === 'string' && !o.signature.startsWith('untrusted comment:')) {
    signature = { path: path.resolve(o.signature) };
  } else {
    signature = { text: opt.bytes(o.signature, 'options.signature') };
  }
  return [path.resolve(f), key, signature, opt.bool(o.legacy, 'options.legacy')];
}

/**
 * Ω.verifyFile(file, {publicKey, signature?, legacy?}) -> {trustedComment}: verifies a
 * minisign signature of a file. `signature` is the signature file's path (default
 * `file + ".minisig"`), or its contents (a Buffer, or text starting with "untrusted comment:").
 */
Ω.verifyFile = function verifyFile(file, options) {
  return engine.verifyFileSync(...verifyArgs(file, options));
};

/** Ω.verifyFileAsync(file, options): the same as a promise, hashing off the main thread. */
Ω.verifyFileAsync = function verifyFileAsync(file, options) {
  try {
    return engine.verifyFile(...verifyArgs(file, options));
  } catch (e) {
    return Promise.reject(e);
  }
};

/**
 * Ω.applyRevocation(lock, statement, signature) -> Buffer: applies a signed revocation
 * statement (DESIGN §3.5) to the bytes of an omega.lock and returns the new lock's bytes
 * (omega-core's `revoke`: every entry of the package, all or nothing). Write them atomically
 * (temp file, then rename), as `omega revoke` does. Throws an OmegaError and changes nothing
 * when the statement is not accepted.
 */
Ω.applyRevocation = function applyRevocation(lock, statement, signature) {
  return engine.applyRevocation(opt.bytes(lock, 'lock'), opt.bytes(statement, 'statement'), opt.bytes(signature, 'signature'));
};

/** BLAKE2b-256 of bytes (or a string's UTF-8), as a Buffer. */
Ω.blake2b256 = function blake2b256(data) {
  return Buffer.from(engine.blake2b256(opt.bytes(data, 'data')));
};

/** Strict Ed25519 verification of a raw signature (32-byte key, 64-byte signature). */
Ω.verifyEd25519 = function verifyEd25519(publicKey, message, signature) {
  return engine.verifyEd25519(opt.bytes(publicKey, 'publicKey'), opt.bytes(message, 'message'), opt.bytes(signature, 'signature'));
};

/** "native" or "wasm": which build of omega-core runs. */
Ω.engine = engine.name;
Ω.OmegaError = OmegaError;
Ω.Ω = Ω;
Ω.omega = Ω;
Ω.default = Ω;

/**
 * Ω.verifySignify(message, signatureText, publicKey): verifies a detached signify signature
 * (the contents of a `.sig` file made by `signify -S`) over `message` (bytes or a string's
 * UTF-8) with `publicKey` (key-file text or the bare `RW…` line): signify's parsing rules,
 * omega's strict Ed25519. Returns undefined; throws an OmegaError (SIGNATURE_INVALID,
 * KEY_NOT_TRUSTED for another key number, MALFORMED …) otherwise.
 */
Ω.verifySignify = function verifySignify(message, signatureText, publicKey) {
  if (typeof publicKey !== 'string') throw new TypeError('publicKey must be a string (RW… or key-file text)');
  engine.verifySignify(opt.bytes(message, 'message'), opt.bytes(signatureText, 'signatureText'), publicKey);
};

// Log verification (lib/log.js): verifyNote, verifyCheckpoint, proofs, tiles, replayLog, …
Object.assign(Ω, require('./lib/log.js'));
// The registry reader (lib/registry.js): Ω.registry(url, {policy, checkpoint?, genesis?, fetch?, now?, maxAge?}).
Ω.registry = require('./lib/registry.js').registry;
/** The same as Ω.registry, under the name the browser build and issue 15 use. */
Ω.openRegistry = Ω.registry;

module.exports = Ω;
