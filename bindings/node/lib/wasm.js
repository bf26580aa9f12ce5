'use strict';
// The WASM engine: the same omega-core, compiled to WebAssembly (bindings/wasm, built for Node
// into bindings/wasm/pkg-node/ by `make build-wasm`), with files read by Node's fs (walk.js).
// It is the fallback when the native addon cannot load, or the choice with OMEGA_ENGINE=wasm.
//
// The loader's state is omega-core's, kept in this thread's WebAssembly instance as the native
// addon keeps it in its memory (bindings/wasm/src/loader.rs): lock files (a handle each; the
// entry of a folder and its pins are core's) and verified file tables. Opening a package and
// checking each file as it loads are the core functions the native engine calls (a signed
// manifest against the pins without reading a file; paths and sizes before contents;
// Table::check_bytes for each file), with files read here by Node's fs (walk.js), never
// more bytes than the listing allows. The differences left (docs/node.md):
// - the promise forms run the WebAssembly module in a worker thread (wasm-worker.js), which
//   opens the package and hands its checked listing back to be checked again here;
// - the loader's caches are per thread, not per process.

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
    real = fs.realpathSync.native(dir);
  } catch {
    return null;
  }
  return JSON.stringify([real, extra, pins.digest ?? null, pins.keys ?? null, pins.threshold ?? null, pins.legacy ?? null]);
}

/** omega-core's limits, applied before any file's contents are read (walk.js). */
const LIMITS = wasm.loaderLimits();

const tableIds = new Map(); // cache key -> table id
const checked = new Map(); // cache key -> report (checkDirSync with cache; successes only)

function checkPackage(pkg, pins, label) {
  return call(() => wasm.checkPackageFiles(pkg.files, pkg.manifest, pkg.signature, wasmPins(pins, label)));
}

/** The bytes a resolution's check read and verified, waiting for the file's load (bounded). */
const PENDING_LIMIT = 64 << 20;
const pending = new Map(); // table id \0 path -> bytes
let pendingBytes = 0;

function readMeta(dir, rel, limit) {
  return walk.readOptionalSync(path.join(dir, rel), rel, limit);
}

/**
 * The whole package read and checked by omega-core (Table::from_files): the report of every
 * problem on refusal. {id, manifest, signature}.
 */
function openFull(dir, p, label) {
  let pkg;
  try {
    pkg = walk.readPackageSync(dir, true, checkDir, LIMITS);
  } catch (e) {
    throw withContext(e, label);
  }
  const id = call(() => wasm.tableFromFiles(pkg.files, pkg.manifest, pkg.signature, p));
  return { id, manifest: pkg.manifest, signature: pkg.signature };
}

/**
 * Tree mode, as listed::open_tree_table on the native engine: the signed manifest against the
 * pins, then the paths found against its list, then each file opened, its size (fstat) compared
 * before a byte is read, read (no more than its listed size + 1 bytes) and compared. Null when any step
 * finds a problem (the package is then read and checked in full, for the report).
 */
function openTreeFast(dir, p) {
  try {
    const manifest = readMeta(dir, walk.MANIFEST_PATH, LIMITS.maxManifestBytes);
    if (manifest === null) return null;
    const signature = readMeta(dir, walk.SIGNATURE_PATH, LIMITS.maxSignatureFileBytes);
    const id = call(() => wasm.tableFromManifest(manifest, signature, p));
    const list = walk.listSync(dir, true, checkDir, LIMITS.maxFiles);
    // Paths first (an unlisted one throws FILE_EXTRA here, a missing one fails the match);
    // each file's size is then compared on the open file (fstat) before a byte is read, as
    // omega-core's open_tree_table does: no lstat pass.
    const sizes = list.map((f) => wasm.tableEntrySize(id, f.rel));
    if (!wasm.tableSizesMatch(id, list.map((f) => f.rel), sizes)) return null;
    for (let i = 0; i < list.length; i++) {
      const got = walk.readListedSync(list[i].abs, list[i].rel, sizes[i]);
      if (got.data === undefined) return null;
      wasm.tableCheckFile(id, list[i].rel, got.data, got.executable);
    }
    return { id, manifest, signature };
  } catch {
    return null;
  }
}

/**
 * Opens a package's verified table in this instance: {id, manifest, signature}. Files mode
 * (`whole` false): a signed package's manifest alone (Table::from_manifest, no file read), an
 * unsigned one's files; tree mode: every file, sizes first.
 */
function openTableSync(dir, pins, label, whole) {
  const p = wasmPins(pins, label);
  if (whole) return openTreeFast(dir, p) ?? openFull(dir, p, label);
  let manifest;
  let signature = null;
  try {
    manifest = readMeta(dir, walk.MANIFEST_PATH, LIMITS.maxManifestBytes);
    if (manifest !== null) signature = readMeta(dir, walk.SIGNATURE_PATH, LIMITS.maxSignatureFileBytes);
  } catch (e) {
    throw withContext(e, label);
  }
  if (manifest === null) return openFull(dir, p, label);
  return { id: call(() => wasm.tableFromManifest(manifest, signature, p)), manifest, signature };
}

/** What opening a table returns: {id, dependencies, report (computed when read)}. */
function opened(id) {
  return {
    id,
    dependencies: call(() => wasm.tableDependencies(id)),
    get report() {
      return call(() => wasm.tableReport(id));
    },
  };
}

function packageOf(id) {
  try {
    return wasm.tableReport(id).package;
  } catch {
    return `table ${id}`;
  }
}

const engine = {
  name: 'wasm',
  dir: WASM_DIR,

  digestDirSync(dir, installed) {
    const pkg = walk.readPackageSync(dir, !!installed, checkDir, LIMITS);
    return call(() => wasm.digestFiles(pkg.files));
  },

  checkDirSync(dir, pins, opts = {}) {
    const key = opts.cache ? cacheKey(dir, pins, !!opts.installed) : null;
    if (key && checked.has(key)) return checked.get(key);
    const label = opts.label ?? dir;
    let pkg;
    try {
      pkg = walk.readPackageSync(dir, !!opts.installed, checkDir, LIMITS);
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

  // The lock for the loader: parsed and kept by omega-core in this instance (a handle), as
  // the native addon keeps it; entries and pins are core's (bindings/wasm/src/loader.rs).
  lockOpen(bytes) {
    return call(() => wasm.lockOpen(Buffer.from(bytes)));
  },
  lockKey(handle, rel) {
    return call(() => wasm.lockKey(handle, rel)) ?? null;
  },
  /**
   * The loader's table of a locked package (as the native engine's openLockedTable): tree mode
   * (`whole`) all its files, files mode the signed manifest; then, on every call, package.json
   * compared with the table, since Node reads it next (it steers resolution): checkPackageTop.
   */
  openLockedTable(handle, rel, dir, whole) {
    const { key, ...pins } = call(() => wasm.lockAuditPins(handle, rel));
    const t = engine.openPinnedFiles(dir, pins, key, whole);
    engine.checkPackageTop(t.id, dir);
    return t;
  },
  /**
   * The top-level package.json of table `id`'s package at `dir` compared with the table (its
   * bytes kept for the load); with none (none listed, none there), the scope folder's that
   * Node's scope lookup reads in its place must be absent: the scopes of a file at the
   * package's top, as listed::check_package_top. Throws the refusal.
   */
  checkPackageTop(id, dir) {
    call(() => wasm.tableCheckFileScopes(id, dir, 'package.json', LAYOUT_HOST.scope, LAYOUT_HOST.check));
  },
  lockPins(handle, rel, pins, label, lockName) {
    const r = call(() => wasm.lockPins(handle, rel, wasmPins(pins, label), label, lockName));
    return { digest: r.digest, keys: r.keys, threshold: r.threshold, legacy: r.legacy };
  },

  applyRevocation(lock, statement, signature) {
    return Buffer.from(call(() => wasm.revokeLock(lock, statement, signature)));
  },

  /**
   * A verified file table of a package: {id, report, dependencies}; `whole` (tree mode): from
   * all its files, sizes first; else a signed package's manifest (no file read).
   */
  openPinnedFiles(dir, pins, label, whole) {
    const key = cacheKey(dir, pins, whole ? 'tree' : 'files');
    if (key && tableIds.has(key)) return opened(tableIds.get(key));
    const { id } = openTableSync(dir, pins, label, !!whole);
    if (key) tableIds.set(key, id);
    return opened(id);
  },

  /** The table for the loader: {id, dependencies} (as the native engine's). */
  openTable(dir, pins, label, whole) {
    return engine.openPinnedFiles(dir, pins, label, whole);
  },

  /**
   * In the worker (openPinnedFilesAsync): opens the table in that instance and returns what
   * it checked, {listing, manifest, signature}, for this thread's instance to check again.
   */
  tableListingSync(dir, pins, label, whole) {
    const t = openTableSync(dir, pins, label, !!whole);
    return { listing: call(() => wasm.tableListing(t.id)), manifest: t.manifest, signature: t.signature };
  },

  /** Checks file `rel` (at `abs`) against table `id` (else throws); its bytes wait for the load. */
  checkPinnedFile(id, rel, abs) {
    const data = engine.readPinnedFile(id, rel, abs);
    const k = `${id}\0${abs}`;
    if (pendingBytes + data.length > PENDING_LIMIT) {
      pending.clear();
      pendingBytes = 0;
    }
    const old = pending.get(k);
    if (old) pendingBytes -= old.length;
    pending.set(k, data);
    pendingBytes += data.length;
    return true;
  },

  /**
   * The bytes of file `rel` (at `abs`) when they are those of table `id` (else throws): the
   * ones a resolution's check kept, else read now: the entry first (FILE_EXTRA), the size
   * before a byte is read, then omega-core's Table::check_bytes.
   */
  readPinnedFile(id, rel, abs) {
    const k = `${id}\0${abs}`;
    const kept = pending.get(k);
    if (kept !== undefined) {
      pending.delete(k);
      pendingBytes -= kept.length;
      return kept;
    }
    const size = call(() => wasm.tableEntrySize(id, rel));
    let file;
    try {
      file = walk.readListedSync(abs, rel, size);
    } catch (e) {
      throw withContext(e, packageOf(id));
    }
    if (file.data === undefined) call(() => wasm.tableCheckSize(id, rel, file.size));
    call(() => wasm.tableCheckFile(id, rel, file.data, file.executable));
    return file.data;
  },

  // The loader's layout checks (omega-core's layout::Layout in this instance; lib/enforce.js):
  // one call per resolution or load. The layout asks Node's fs about the disk and has a
  // package file checked or read by this engine's checkPinnedFile / readPinnedFile.
  layoutNew(root, own) {
    return call(() => wasm.layoutNew(root, own, LAYOUT_HOST));
  },
  layoutResolve(h, stage, name, from, file, lookedUp, dirs, request) {
    return call(() => wasm.layoutResolve(h, stage, name ?? undefined, from, file, lookedUp ?? undefined, dirs ?? null, request ?? undefined));
  },
  layoutBefore(h, name, dirs, from) {
    return call(() => wasm.layoutBefore(h, name, dirs ?? null, from));
  },
  layoutLoad(h, file) {
    return call(() => wasm.layoutLoad(h, file));
  },
  layoutDetail(h) {
    return call(() => wasm.layoutDetail(h));
  },
  layoutPlace(h, file) {
    return call(() => wasm.layoutPlace(h, file));
  },
  layoutFirstEntry(h, name, dirs) {
    return call(() => wasm.layoutFirstEntry(h, name, dirs)) ?? null;
  },
  layoutIsReal(h, dir) {
    return call(() => wasm.layoutIsReal(h, dir));
  },
  layoutOpened(h, dir, table, dependencies) {
    call(() => wasm.layoutOpened(h, dir, table, dependencies));
  },
  layoutForget(h, dir) {
    call(() => wasm.layoutForget(h, dir));
  },
  layoutPinChecked(h, requester, name, entry) {
    call(() => wasm.layoutPinChecked(h, requester, name, entry));
  },

  blake2b256(data) {
    return Buffer.from(call(() => wasm.blake2b256(data)));
  },
  verifyEd25519(publicKey, message, signature) {
    return call(() => wasm.verifyEd25519(publicKey, message, signature));
  },
};

/** The package.json files Node may read to load file `rel` of table `id`'s package at `dir` (else throws). */
engine.checkFileScopes = function checkFileScopes(id, dir, rel) {
  call(() => wasm.tableCheckFileScopes(id, dir, rel, LAYOUT_HOST.scope, LAYOUT_HOST.read));
};

module.exports = engine;

/** What omega-core's layout asks this engine's host (bindings/wasm/src/loader.rs). */
const LAYOUT_HOST = {
  isDir(p) {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    return st !== undefined && st.isDirectory();
  },
  isReal(p) {
    try {
      return fs.realpathSync.native(p) === p;
    } catch {
      return false;
    }
  },
  check(id, rel, abs) {
    engine.checkPinnedFile(id, rel, abs);
  },
  read(id, rel, abs) {
    return engine.readPinnedFile(id, rel, abs);
  },
  scope(id, rel, abs) {
    return lstatPresent(abs, id);
  },
};

/** `lstat` failures that mean no package.json there, for Node as for omega-core's rule. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'EACCES']);

/**
 * Whether anything is at `abs` (lstat; a link or FIFO counts), as omega-core's listed::present
 * has it: a path that cannot be looked at is absent, as for Node.
 */
function lstatPresent(abs, id) {
  try {
    // No error made for the common answer, a missing file (ENOENT).
    return fs.lstatSync(abs, { throwIfNoEntry: false }) !== undefined;
  } catch (e) {
    if (!ABSENT.has(e.code)) throw withContext(fromFs(e, abs), packageOf(id));
    return false;
  }
}

// Promise forms: off the main thread, in a worker.
const { run } = require('./wasm-async.js');
engine.digestDir = (dir, installed) => run('digestDirSync', [dir, installed]);
engine.checkDir = (dir, pins, opts) => run('checkDirSync', [dir, pins, opts]);
engine.verifyFile = (file, publicKey, signature, legacy) => run('verifyFileSync', [file, publicKey, signature, legacy]);
engine.openPinnedFilesAsync = async (dir, pins, label, whole) => {
  const key = cacheKey(dir, pins, whole ? 'tree' : 'files');
  if (key && tableIds.has(key)) return opened(tableIds.get(key));
  const t = await run('tableListingSync', [dir, pins, label, whole]);
  if (key && tableIds.has(key)) return opened(tableIds.get(key));
  const id = call(() => wasm.tableFromListing(t.listing, t.manifest, t.signature, wasmPins(pins, label)));
  if (key) tableIds.set(key, id);
  return opened(id);
};

// signify (detached): core's signify::verify_detached, through the WASM binding.
engine.verifySignify = function verifySignify(message, signature, publicKey) {
  call(() => wasm.verifySignify(message, signature, publicKey));
};
