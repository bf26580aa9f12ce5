'use strict';
// Enforcing mode (`node --require omega-verify/register`, `node --import omega-verify/register`):
// before the first file of a `node_modules` package loads, the package is checked against its
// entry in omega.lock (digest and `signed_by` signatures, as `omega audit` checks it); a
// package missing from the lock is refused (OMEGA_UNPINNED=warn relaxes that).
//
//   OMEGA_LOCK      the lock file (default: the nearest omega.lock from the working directory up)
//   OMEGA_VERIFY    tree (default): the whole package directory, once per package
//                   files: the package's file table once (a signed package: its manifest,
//                          checked against the pin), then each file as it loads
//   OMEGA_UNPINNED  refuse (default) | warn
//   OMEGA_ENGINE    auto (default) | native | wasm
//
// This file holds the decisions shared by the CommonJS hook (cjs-hook.js) and the ESM hooks
// (hooks.mjs); every verdict comes from omega-core through the engine.

const fs = require('node:fs');
const path = require('node:path');
const { OmegaError, typeError } = require('./errors.js');
const lockfile = require('./lockfile.js');
const { OWN_DIR, inside, packageOfFile } = require('./resolve.js');

/** The settings of enforcing mode, from the environment (validated). */
function configFromEnv(env = process.env, cwd = process.cwd()) {
  const mode = env.OMEGA_VERIFY || 'tree';
  if (mode !== 'tree' && mode !== 'files') throw typeError(`OMEGA_VERIFY=${mode}: must be tree or files`);
  const unpinned = env.OMEGA_UNPINNED || 'refuse';
  if (unpinned !== 'refuse' && unpinned !== 'warn') throw typeError(`OMEGA_UNPINNED=${unpinned}: must be refuse or warn`);
  let lock = null;
  if (env.OMEGA_LOCK) {
    lock = path.resolve(cwd, env.OMEGA_LOCK);
    try {
      if (fs.statSync(lock).isDirectory()) lock = path.join(lock, lockfile.LOCK_FILE);
    } catch {
      // reported when it is read
    }
  } else {
    lock = lockfile.findUp(cwd);
  }
  return { mode, unpinned, lock, cwd };
}

function warn(message) {
  process.emitWarning(message, { type: 'OmegaWarning', code: 'OMEGA_UNPINNED' });
}

class Enforcer {
  /** @param {{mode, unpinned, lock, cwd}} config  @param engine the engine to check with */
  constructor(config, engine) {
    this.config = config;
    this.engine = engine;
    this.packages = new Map(); // package dir (or file, for loose files) -> {error} | {table} | {}
    this.lock = null;
    if (config.lock) {
      this.lock = lockfile.load(engine, config.lock); // a corrupt lock throws here, at startup
    } else if (config.unpinned === 'warn') {
      warn(`omega-verify: no ${lockfile.LOCK_FILE} in ${config.cwd} or above: every package is unpinned (OMEGA_UNPINNED=warn)`);
    } else {
      throw new OmegaError('NOT_FOUND', `no ${lockfile.LOCK_FILE} in ${config.cwd} or any parent directory (set OMEGA_LOCK, or run omega lock)`);
    }
  }

  /**
   * Checks `file` (a real absolute path) before it loads: throws an OmegaError that names the
   * package and the file when it must not load. Files outside `node_modules` and omega-verify's
   * own files pass.
   */
  beforeLoad(file) {
    if (file === OWN_DIR || inside(file, OWN_DIR)) return;
    const pkg = packageOfFile(file);
    if (!pkg) return;
    const state = this.openPackage(pkg, file);
    if (state.table !== undefined) {
      try {
        this.engine.checkPinnedFile(state.table, pkg.rel, file);
      } catch (e) {
        throw refusal(e, file);
      }
    }
  }

  /** Verifies the package `pkg` once (cached, refusals too); returns its state. */
  openPackage(pkg, file) {
    const key = pkg.dir || file;
    let state = this.packages.get(key);
    if (state === undefined) {
      state = this.verify(pkg, file);
      this.packages.set(key, state);
    }
    if (state.error) throw state.error;
    return state;
  }

  verify(pkg, file) {
    const entry = pkg.dir && this.lock ? this.lock.byPath.get(pkg.dir) : undefined;
    if (!entry) {
      const where = pkg.dir ? `package ${pkg.name} (${pkg.dir})` : `file ${file}, which is in no package directory,`;
      const lockName = this.lock ? this.lock.file : lockfile.LOCK_FILE;
      if (this.config.unpinned === 'warn') {
        warn(`omega-verify: ${where} is not pinned in ${lockName}; loading it anyway (OMEGA_UNPINNED=warn)`);
        return {};
      }
      return {
        error: refusal(new OmegaError('NOT_FOUND', `${where} is not pinned in ${lockName} (run omega lock, or OMEGA_UNPINNED=warn)`), file),
      };
    }
    const pins = lockfile.entryPins(entry);
    try {
      if (this.config.mode === 'files') {
        const { id } = this.engine.openPinnedFiles(pkg.dir, pins, entry.key);
        // package.json steers resolution (main, exports) before any file loads: check it now.
        const pj = path.join(pkg.dir, 'package.json');
        if (fs.existsSync(pj)) this.engine.checkPinnedFile(id, 'package.json', pj);
        return { table: id };
      }
      this.engine.checkDirSync(pkg.dir, pins, { installed: true, label: entry.key, cache: true });
      return {};
    } catch (e) {
      return { error: refusal(e, file) };
    }
  }
}

/** The error to throw for a refused load: the check's error, naming the file refused. */
function refusal(err, file) {
  if (!(err instanceof OmegaError)) return err;
  const e = new OmegaError(err.code, `${err.detail} (omega-verify refused to load ${file})`, err.report);
  e.file = file;
  return e;
}

module.exports = { configFromEnv, Enforcer, refusal };
