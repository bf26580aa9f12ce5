'use strict';
// The WASM engine: the same omega-core, compiled to WebAssembly (bindings/wasm, built for Node
// into bindings/wasm/pkg-node/ by `make build-wasm`), with files read by Node's fs (walk.js).
// It is the fallback when the native addon cannot load, or the choice with OMEGA_ENGINE=wasm.
//
// Differences from the native engine, all documented in docs/node.md:
// - the promise forms run the WebAssembly module in a worker thread (wasm-worker.js), so they
//   do not block the event loop either, but each call copies the files to the worker;
// - the loader's caches are per thread, not per process;
// - a package's file table (both OMEGA_VERIFY modes, and Ω) is built by checking all its files
//   once; each file is then read again as it loads and compared, size first, with the digest
//   of the bytes that passed;

const fs = require('node:fs');
const path = require('node:path');
const { OmegaError, fromWasm, withContext, fromFs } = require('./errors.js');
const walk = require('./walk.js');

/** Where the Node build of the WASM module may be: packed with this package, or in the repo. */
const CANDIDATES = [
  path.join(__dirname, '..', 'wasm'),
  path.join(__dirname, '..', '..', 'wasm', 'pkg-node'),
];

function locate() {
  for (const dir of CANDIDATES) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  const e = new Error(`omega-verify: the WebAssembly build is missing (looked in ${CANDIDATES.join(', ')}; run make build-wasm)`);
  e.code = 'MODULE_NOT_FOUND';
  throw e;
}

const WASM_DIR = locate();
const wasm = require(WASM_DIR);

/** A folder's path in a package, judged by omega-core as its walk judges it (UNSAFE_PATH). */
function checkDir(rel) {
  call(() => wasm.checkPath(rel));
}

function call(fn) {
  try {
    return fn();
  } catch (e) {
    throw fromWasm(e);
  }
}

function wasmPins(pins, label) {
  const out = { label };
  if (pins.digest != null) out.digest = pins.digest;
  if (pins.keys != null) out.keys = pins.keys;
  if (pins.threshold != null) out.threshold = pins.threshold;
  if (pins.legacy != null) out.legacy = pins.legacy;
  return out;
}

function cacheKey(dir, pins, extra) {
  let real;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return null;
  }
  return JSON.stringify([real, extra, pins.digest ?? null, pins.keys ?? null, pins.threshold ?? null, pins.legacy ?? null]);
}

const locks = []; // lock handle -> Map(entry path -> entry)

/**
 * The pins of a lock entry as omega-core's LockEntry::audit_pins gives them (the `audit`
 * member of Lockfile::entries_json: the tree, and every `signed_by` key, all required), or its
 * refusal (KEY_REVOKED for a signed entry whose signers were all revoked). No rule is decided
 * here.
 */
function auditPins(entry) {
  const a = entry.audit;
  if (!a || typeof a !== 'object') {
    throw new OmegaError('MALFORMED', `${entry.key}: lock entry without audit pins from the engine`);
  }
  if (a.error) throw new OmegaError(a.error.code, a.error.message);
  const pins = { digest: a.digest };
  if (a.keys.length) {
    pins.keys = a.keys;
    pins.threshold = a.threshold;
  }
  return pins;
}

const checked = new Map(); // cache key -> report (successes only)
const tables = []; // verified file tables: {report, files: Map(path -> {digest (one-file tree), size})}
const tableIds = new Map(); // cache key -> table id

function checkPackage(pkg, pins, label) {
  return call(() => wasm.checkPackageFiles(pkg.files, pkg.manifest, pkg.signature, wasmPins(pins, label)));
}

function fileProblem(table, code, rel, what) {
  const message = `${table.report.package}: file ${JSON.stringify(rel)} ${what}`;
  const problem = { code, path: rel, key: null, message };
  const report = { ...table.report, ok: false, code, message, problems: [problem] };
  return new OmegaError(code, message, report);
}

/**
 * Keeps a table ({report, files: [[path, size, executable, bytes | digest]]}) and returns {id,
 * report, dependencies}. A file's entry holds the bytes omega-core checked (compared byte for
 * byte at load: no second hash), or past KEEP_LIMIT its one-file tree digest.
 */
function adopt(key, table) {
  if (key && tableIds.has(key)) {
    const id = tableIds.get(key);
    return { id, report: tables[id].report, dependencies: tables[id].dependencies };
  }
  const files = new Map(table.files.map(([p, size, executable, kept]) => [p, { size, executable, kept }]));
  const id = tables.length;
  tables.push({ report: table.report, files, dependencies: table.dependencies });
  if (key) tableIds.set(key, id);
  return { id, report: table.report, dependencies: table.dependencies };
}

/** The most bytes of checked files the WASM engine keeps for comparison (then digests). */
const KEEP_LIMIT = 256 << 20;
let kept = 0;

const engine = {
  name: 'wasm',
  dir: WASM_DIR,

  digestDirSync(dir, installed) {
    const pkg = walk.readPackageSync(dir, !!installed, checkDir);
    return call(() => wasm.digestFiles(pkg.files));
  },

  checkDirSync(dir, pins, opts = {}) {
    const key = opts.cache ? cacheKey(dir, pins, !!opts.installed) : null;
    if (key && checked.has(key)) return checked.get(key);
    const label = opts.label ?? dir;
    let pkg;
    try {
      pkg = walk.readPackageSync(dir, !!opts.installed, checkDir);
    } catch (e) {
      throw e instanceof OmegaError && !e.detail.includes(label) ? withContext(e, label) : e;
    }
    const report = checkPackage(pkg, pins, label);
    if (key) checked.set(key, report);
    return report;
  },

  /** signature: {path} (a signature file, default file + ".minisig") or {text} (its bytes). */
  verifyFileSync(file, publicKey, signature, legacy) {
    let text = signature.text;
    if (text === undefined || text === null) {
      const sigPath = signature.path ?? `${file}.minisig`;
      try {
        text = fs.readFileSync(sigPath);
      } catch (e) {
        throw fromFs(e, sigPath);
      }
    }
    let message;
    try {
      message = fs.readFileSync(file);
    } catch (e) {
      throw fromFs(e, file);
    }
    try {
      const trustedComment = call(() => wasm.verifyMinisign(message, text, publicKey, { legacy: !!legacy }));
      return { trustedComment };
    } catch (e) {
      throw withContext(e, file);
    }
  },

  lockEntries(bytes) {
    return call(() => wasm.lockEntries(Buffer.from(bytes)));
  },

  // The lock for the loader. The WASM build (bindings/wasm) has no lock handles yet: the lock
  // is parsed by omega-core (the WASM export lockEntries: Lockfile::entries_json, retired
  // entries left out, each entry's `audit` pins or refusal from LockEntry::audit_pins) and
  // kept here, by entry path.
  lockOpen(bytes) {
    const byPath = new Map();
    for (const e of engine.lockEntries(bytes)) byPath.set(e.path, e);
    locks.push(byPath);
    return locks.length - 1;
  },
  lockKey(handle, rel) {
    const e = locks[handle].get(rel);
    return e ? e.key : null;
  },
  openLockedTable(handle, rel, dir, whole) {
    const e = locks[handle].get(rel);
    if (!e) throw new OmegaError('NOT_FOUND', `no entry of the lock pins ${rel}`);
    return engine.openPinnedFiles(dir, auditPins(e), e.key, whole);
  },
  lockPins(handle, rel, pins, label, lockName) {
    const e = locks[handle].get(rel);
    if (!e) throw new OmegaError('NOT_FOUND', `no entry of the lock pins ${rel}`);
    if (e.name !== label) {
      throw new OmegaError('NOT_FOUND', `${label}: the entry of ${rel} in ${lockName} is package ${e.name}, not ${label}`);
    }
    const locked = auditPins(e);
    if (pins.digest !== undefined && pins.digest !== null && pins.digest !== locked.digest) {
      throw new OmegaError('DIGEST_MISMATCH', `${label}: the code pins ${pins.digest}, but ${lockName} pins ${locked.digest}`);
    }
    const out = { ...pins, digest: locked.digest };
    if ((pins.keys === undefined || pins.keys === null || pins.keys.length === 0) && locked.keys) {
      out.keys = locked.keys;
      out.threshold = locked.threshold;
    }
    return out;
  },

  applyRevocation(lock, statement, signature) {
    return Buffer.from(call(() => wasm.revokeLock(lock, statement, signature)));
  },

  /**
   * A verified file table of a package: {id, report}. The WASM engine always builds it from
   * the files as read and checked (in files mode too; `whole` changes nothing here).
   */
  openPinnedFiles(dir, pins, label, whole) {
    const key = cacheKey(dir, pins, 'files');
    if (key && tableIds.has(key)) {
      const id = tableIds.get(key);
      return { id, report: tables[id].report, dependencies: tables[id].dependencies };
    }
    return adopt(key, engine.tableSync(dir, pins, label, whole));
  },

  /** The table for the loader: {id, dependencies} (as the native engine's). */
  openTable(dir, pins, label, whole) {
    return engine.openPinnedFiles(dir, pins, label, whole);
  },

  /** The table of a package as plain data (run in the worker for openPinnedFilesAsync). */
  tableSync(dir, pins, label) {
    let pkg;
    try {
      pkg = walk.readPackageSync(dir, true, checkDir);
    } catch (e) {
      throw withContext(e, label);
    }
    const report = checkPackage(pkg, pins, label);
    // Each verified file's bytes (kind and size beside them): a file that loads later is read
    // again (size first) and compared byte for byte, with no second hash. Past KEEP_LIMIT, its
    // digest as a one-file tree (omega-core's digest covers path, kind, size and BLAKE2b-256).
    const files = pkg.files.map((f) => {
      if (kept + f.data.length <= KEEP_LIMIT) {
        kept += f.data.length;
        return [f.path, f.data.length, f.executable, f.data];
      }
      return [f.path, f.data.length, f.executable, call(() => wasm.digestFiles([f]))];
    });
    // The signed dependency pins of the manifest the check has just accepted (omega-core
    // refuses duplicate keys and unknown fields, so JSON.parse reads it as core did).
    let dependencies = {};
    if (pkg.manifest) {
      const deps = JSON.parse(Buffer.from(pkg.manifest).toString('utf8')).dependencies;
      if (deps && typeof deps === 'object') dependencies = deps;
    }
    return { report, files, dependencies };
  },

  checkPinnedFile(id, rel, abs) {
    engine.readPinnedFile(id, rel, abs);
    return true;
  },

  /** The bytes of file `rel` (at `abs`) when they are those of table `id` (else throws). */
  readPinnedFile(id, rel, abs) {
    const table = tables[id];
    if (!table) throw new OmegaError('NOT_FOUND', `no verified file table number ${id}`);
    if (rel.startsWith('.omega/')) {
      throw fileProblem(table, 'FILE_EXTRA', rel, "is in the package's .omega/ folder (signing metadata, not a file of the package)");
    }
    const expected = table.files.get(rel);
    if (expected === undefined) throw fileProblem(table, 'FILE_EXTRA', rel, 'is not listed in the manifest');
    let file;
    try {
      file = walk.readListedSync(abs, rel, expected.size);
    } catch (e) {
      throw withContext(e, table.report.package);
    }
    if (file.data === undefined) throw fileProblem(table, 'FILE_CHANGED', rel, 'has changed contents');
    const same = typeof expected.kept === 'string'
      ? call(() => wasm.digestFiles([{ path: rel, data: file.data, executable: file.executable }])) === expected.kept
      : file.executable === expected.executable && Buffer.from(expected.kept.buffer, expected.kept.byteOffset, expected.kept.byteLength).equals(file.data);
    if (!same) throw fileProblem(table, 'FILE_CHANGED', rel, 'has changed contents');
    return file.data;
  },

  blake2b256(data) {
    return Buffer.from(call(() => wasm.blake2b256(data)));
  },
  verifyEd25519(publicKey, message, signature) {
    return call(() => wasm.verifyEd25519(publicKey, message, signature));
  },
};

module.exports = engine;

// Promise forms: off the main thread, in a worker.
const { run } = require('./wasm-async.js');
engine.digestDir = (dir, installed) => run('digestDirSync', [dir, installed]);
engine.checkDir = (dir, pins, opts) => run('checkDirSync', [dir, pins, opts]);
engine.verifyFile = (file, publicKey, signature, legacy) => run('verifyFileSync', [file, publicKey, signature, legacy]);
engine.openPinnedFilesAsync = async (dir, pins, label, whole) => {
  const key = cacheKey(dir, pins, 'files');
  if (key && tableIds.has(key)) return engine.openPinnedFiles(dir, pins, label, whole);
  return adopt(key, await run('tableSync', [dir, pins, label, whole]));
};

// signify (detached): core's signify::verify_detached, through the WASM binding.
engine.verifySignify = function verifySignify(message, signature, publicKey) {
  call(() => wasm.verifySignify(message, signature, publicKey));
};
