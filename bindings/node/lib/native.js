'use strict';
// The native engine: omega-core compiled into a Node addon (omega.node, built from src/ by
// `make build`). Each addon function returns a JSON envelope (see src/envelope.rs) that this
// file turns into a value or an OmegaError; the promise forms hash on the libuv thread pool.

const path = require('node:path');
const { OmegaError } = require('./errors.js');

const ADDON = path.join(__dirname, '..', 'omega.node');
const addon = require(ADDON);

function unwrap(text) {
  const env = JSON.parse(text);
  if (env.ok) return env.value;
  const e = env.error;
  throw new OmegaError(e.code, e.message, env.report ? e : undefined);
}

function pinsArg(pins) {
  return {
    digest: pins.digest ?? undefined,
    keys: pins.keys ?? undefined,
    threshold: pins.threshold ?? undefined,
    legacy: pins.legacy ?? undefined,
  };
}

const native = {
  name: 'native',
  version: addon.version(),

  digestDirSync(dir, installed) {
    return unwrap(addon.digestDirSync(dir, !!installed));
  },
  async digestDir(dir, installed) {
    return unwrap(await addon.digestDir(dir, !!installed));
  },

  /** opts: {installed, label, cache} */
  checkDirSync(dir, pins, opts = {}) {
    return unwrap(addon.checkDirSync(dir, pinsArg(pins), !!opts.installed, opts.label ?? undefined, !!opts.cache));
  },
  async checkDir(dir, pins, opts = {}) {
    return unwrap(await addon.checkDir(dir, pinsArg(pins), !!opts.installed, opts.label ?? undefined, !!opts.cache));
  },

  /** signature: {path} (a signature file, default file + ".minisig") or {text} (its bytes). */
  verifyFileSync(file, publicKey, signature, legacy) {
    return unwrap(addon.verifyFileSync(file, publicKey, signature.path ?? undefined, signature.text ?? undefined, !!legacy));
  },
  async verifyFile(file, publicKey, signature, legacy) {
    return unwrap(await addon.verifyFile(file, publicKey, signature.path ?? undefined, signature.text ?? undefined, !!legacy));
  },

  lockEntries(bytes) {
    return unwrap(addon.lockEntries(Buffer.from(bytes)));
  },
  /** Parses and keeps a lock file (omega-core): its handle. */
  lockOpen(bytes) {
    const r = addon.lockOpen(Buffer.from(bytes));
    return typeof r === 'string' ? unwrap(r) : r;
  },
  /** The key of the entry pinning the package folder `rel` (relative, `/`-separated), or null. */
  lockKey(handle, rel) {
    return addon.lockKey(handle, rel) ?? null;
  },
  /** The verified table of the package at `dir` against its lock entry: {id, dependencies}. */
  openLockedTable(handle, rel, dir, whole) {
    const r = addon.openLockedTable(handle, rel, dir, !!whole);
    if (typeof r === 'string') unwrap(r);
    return { id: r.id, dependencies: Object.fromEntries(r.dependencies) };
  },
  /**
   * Starts opening the table of every package the lock pins on a thread of the addon, in the
   * background (tree mode: `whole`): a package's first load then finds its table ready.
   */
  prefetchLocked(handle, root, whole) {
    addon.prefetchLocked(handle, root, !!whole);
  },
  /** A caller's pins merged with the lock entry of `rel` (omega-core's merge_pins). */
  lockPins(handle, rel, pins, label, lockName) {
    const r = addon.lockPins(handle, rel, pinsArg(pins), label, lockName);
    if (typeof r === 'string') unwrap(r);
    return { digest: r.digest ?? undefined, keys: r.keys ?? undefined, threshold: r.threshold ?? undefined, legacy: r.legacy ?? undefined };
  },
  applyRevocation(lock, statement, signature) {
    return Buffer.from(unwrap(addon.applyRevocation(lock, statement, signature)).lock, 'utf8');
  },

  /** A verified file table of a package: {id, report}; `whole` (tree mode): from all its files. */
  openPinnedFiles(dir, pins, label, whole) {
    return unwrap(addon.openPinnedFiles(dir, pinsArg(pins), label, !!whole));
  },
  async openPinnedFilesAsync(dir, pins, label, whole) {
    return unwrap(await addon.openPinnedFilesAsync(dir, pinsArg(pins), label, !!whole));
  },
  /** The table for the loader: {id, dependencies: {name: digest}}; no JSON unless refused. */
  openTable(dir, pins, label, whole) {
    const r = addon.openTable(dir, pinsArg(pins), label, !!whole);
    if (typeof r === 'string') unwrap(r);
    return { id: r.id, dependencies: Object.fromEntries(r.dependencies) };
  },
  /** Checks file `rel` (at `abs`) against table `id` (else throws); its bytes wait for the load. */
  checkPinnedFile(id, rel, abs) {
    const r = addon.checkPinnedFile(id, rel, abs);
    if (typeof r === 'string') unwrap(r);
    return true;
  },
  /** The bytes of file `rel` (at `abs`) when they are those of table `id` (else throws). */
  readPinnedFile(id, rel, abs) {
    const r = addon.readPinnedFile(id, rel, abs);
    return typeof r === 'string' ? unwrap(r) : r;
  },

  blake2b256(data) {
    return addon.blake2b256(data);
  },
  verifyEd25519(publicKey, message, signature) {
    return addon.verifyEd25519(publicKey, message, signature);
  },
};

module.exports = native;

// signify (detached): core's signify::verify_detached.
native.verifySignify = function verifySignify(message, signature, publicKey) {
  unwrap(addon.verifySignify(Buffer.from(message), Buffer.from(signature), publicKey));
};
