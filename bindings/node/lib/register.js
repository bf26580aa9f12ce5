'use strict';
// Installs enforcing mode once per thread: the CommonJS hook on this thread, and the ESM hooks
// (hooks.mjs, on Node's hooks thread) through module.register. Both register.js (--require)
// and register.mjs (--import) call this, so either flag covers require(), import and import().

const path = require('node:path');
const { pathToFileURL } = require('node:url');
const Module = require('node:module');
const engine = require('./engine.js');
const { configFromEnv, Enforcer } = require('./enforce.js');
const { packageOfFile, lookupPackage, isBare, splitSpecifier } = require('./resolve.js');

const INSTALLED = Symbol.for('omega-verify.register');

/**
 * For a bare specifier whose resolved file lies outside the package the name stands for (its
 * package.json `main` or `exports` point elsewhere), the package that steered it is checked
 * too, before the file loads.
 */
function checkSteering(enforcer, request, fromDir, file) {
  if (!isBare(request) || request.startsWith('#')) return; // '#x': the package's own imports
  let name;
  try {
    ({ name } = splitSpecifier(request));
  } catch {
    return; // not a package name: Node's resolution has already failed or will
  }
  const pkg = packageOfFile(file);
  if (pkg && pkg.name === name) return;
  const dir = lookupPackage(name, fromDir);
  if (!dir) return;
  const steering = packageOfFile(path.join(dir, 'package.json'));
  if (steering && steering.dir) enforcer.openPackage(steering, file);
}

function installCommonJS(enforcer) {
  const load = Module.prototype.load;
  Module.prototype.load = function omegaVerifiedLoad(filename) {
    enforcer.beforeLoad(filename);
    return load.call(this, filename);
  };
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function omegaResolveFilename(request, parent, ...rest) {
    const file = resolveFilename.call(this, request, parent, ...rest);
    if (typeof file === 'string' && path.isAbsolute(file)) {
      const from = parent && parent.filename ? path.dirname(parent.filename) : process.cwd();
      checkSteering(enforcer, request, from, file);
    }
    return file;
  };
}

/** Installs enforcing mode (idempotent); throws at startup for a bad setting or lock. */
function install() {
  if (globalThis[INSTALLED]) return globalThis[INSTALLED];
  const config = configFromEnv();
  const enforcer = new Enforcer(config, engine);
  installCommonJS(enforcer);
  let esm = false;
  if (typeof Module.register === 'function') {
    Module.register('./hooks.mjs', pathToFileURL(__filename), { data: { config } });
    esm = true;
  }
  const state = { config, enforcer, esm, engine: engine.name };
  Object.defineProperty(globalThis, INSTALLED, { value: state });
  return state;
}

module.exports = { install, checkSteering };
