'use strict';
// Finding omega.lock. The lock is parsed and kept by the engine (omega-core: a handle per lock
// file); entries are asked for by a package folder's path relative to the project, and their
// pins never come to JS: the engine opens a package against the entry (openLockedTable) and
// merges a caller's pins with it (lockPins). This file only locates files.
// A lock file inside a `node_modules` tree is never accepted (no digest covers it, and anyone
// who can write a package can write it): the project's lock is the one at the app root, found
// from above the outermost `node_modules`, or the one OMEGA_LOCK names.

const fs = require('node:fs');
const path = require('node:path');
const { OmegaError, withContext, fromFs } = require('./errors.js');
const { inside, normalAbsolute } = require('./resolve.js');

const LOCK_FILE = 'omega.lock';

/** Whether a path has a `node_modules` component. */
function inNodeModules(p) {
  return p.split(path.sep).includes('node_modules');
}

/**
 * The nearest omega.lock in `dir` or a parent, starting above the outermost `node_modules`
 * of `dir` (a library's caller finds the app's lock, not one planted in node_modules), and
 * skipping any whose real path lies in a `node_modules` tree; or null.
 */
function findUp(dir) {
  let d = path.resolve(dir);
  const parts = d.split(path.sep);
  const i = parts.indexOf('node_modules');
  if (i >= 0) d = parts.slice(0, i).join(path.sep) || path.sep;
  for (;;) {
    const f = path.join(d, LOCK_FILE);
    try {
      if (fs.statSync(f).isFile() && !inNodeModules(fs.realpathSync(f))) return f;
    } catch {
      // not here
    }
    const up = path.dirname(d);
    if (up === d) return null;
    d = up;
  }
}

/**
 * Reads a lock file with `engine`: {file, root (real path of its directory), handle (the
 * engine's), keyOf(dir) -> the key of the entry pinning the real package directory `dir`, or
 * null; rel(dir) -> that directory relative to the project, as the lock writes it}.
 */
function load(engine, file) {
  let bytes;
  try {
    if (inNodeModules(fs.realpathSync(file))) {
      throw new OmegaError('UNSAFE_PATH', `${file}: a lock file inside node_modules is refused (no digest covers it; the project's ${LOCK_FILE} is at the app root, or set OMEGA_LOCK)`);
    }
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw fromFs(e, file);
  }
  let handle;
  try {
    handle = engine.lockOpen(bytes);
  } catch (e) {
    throw withContext(e, file);
  }
  const root = fs.realpathSync(path.dirname(path.resolve(file)));
  const rel = (dir) => {
    // A normalized absolute POSIX path below the root (every package folder the loader
    // asks about): the rest of the string; anything else through path.relative.
    if (path.sep === '/' && normalAbsolute(dir) && normalAbsolute(root) && inside(dir, root)) return root.length === 1 ? dir.slice(1) : dir.slice(root.length + 1);
    return path.relative(root, dir).split(path.sep).join('/');
  };
  const keys = new Map();
  const keyOf = (dir) => {
    let k = keys.get(dir);
    if (k === undefined) {
      const r = rel(dir);
      k = r === '' || r.startsWith('..') || path.isAbsolute(r) ? null : engine.lockKey(handle, r);
      keys.set(dir, k);
    }
    return k;
  };
  return { file, root, handle, keyOf, rel };
}

/** The key of the entry pinning the package directory `dir` (real path), or NOT_FOUND naming `name`. */
function entryFor(lock, dir, name) {
  const k = lock.keyOf(dir);
  if (k !== null) return k;
  throw new OmegaError('NOT_FOUND', `${name}: not pinned in ${lock.file} (no entry with path ${lock.rel(dir)}; run omega lock)`);
}

module.exports = { LOCK_FILE, findUp, load, entryFor };
