'use strict';
// Finding omega.lock and the entry of a package directory in it. The lock is parsed by the
// engine (omega-core); this file only locates files and matches entries by their `path`.
// A lock file inside a `node_modules` tree is never accepted (no digest covers it, and anyone
// who can write a package can write it): the project's lock is the one at the app root, found
// from above the outermost `node_modules`, or the one OMEGA_LOCK names.

const fs = require('node:fs');
const path = require('node:path');
const { OmegaError, withContext, fromFs } = require('./errors.js');

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
 * Reads a lock file with `engine`: {file, root (real path of its directory), byPath: Map from
 * the real absolute package directory to its entry}.
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
  let entries;
  try {
    entries = engine.lockEntries(bytes);
  } catch (e) {
    throw withContext(e, file);
  }
  const root = fs.realpathSync(path.dirname(path.resolve(file)));
  const byPath = new Map();
  for (const e of entries) byPath.set(path.join(root, ...e.path.split('/')), e);
  return { file, root, byPath };
}

/** The lock entry of the package directory `dir` (real path), or NOT_FOUND naming `name`. */
function entryFor(lock, dir, name) {
  const e = lock.byPath.get(dir);
  if (e) return e;
  const rel = path.relative(lock.root, dir).split(path.sep).join('/');
  throw new OmegaError('NOT_FOUND', `${name}: not pinned in ${lock.file} (no entry with path ${rel}; run omega lock)`);
}

/**
 * Pins for a lock entry, as `omega audit` checks it: omega-core's `audit` of the entry
 * (LockEntry::audit_pins, in Lockfile::entries_json), or its refusal (e.g. KEY_REVOKED for a
 * signed pin whose signers were all revoked). No rule is decided here.
 */
function entryPins(entry) {
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

module.exports = { LOCK_FILE, findUp, load, entryFor, entryPins };
