'use strict';
// Installs enforcing mode once per thread: omega-verify's own copy is checked first (when it
// lies in the project's node_modules), then the hooks. Both register.js (--require) and
// register.mjs (--import) call this, so either flag covers require(), require.resolve(),
// import, import() and require(esm).
//
// Node >= 22.15 (module.registerHooks): everything runs on this thread, synchronously. The
// CommonJS resolution hook below checks require() and require.resolve(); a `resolve` hook
// checks ES resolutions (import, import()); compile.js's `load` hook hands Node the verified
// bytes for both. Older Nodes (20): the same CommonJS hooks, plus the ESM hooks (hooks.mjs)
// on Node's hooks thread through module.register, which costs a thread and a second
// Enforcer (docs/node.md: slower).

const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL, fileURLToPath } = require('node:url');
const Module = require('node:module');
const engine = require('./engine.js');
const { configFromEnv, Enforcer, refusal, esmLookedUp } = require('./enforce.js');
const { OmegaError } = require('./errors.js');
const lockfile = require('./lockfile.js');
const compile = require('./compile.js');
const { OWN_DIR, inside, inNodeModules, normalAbsolute } = require('./resolve.js');

const INSTALLED = Symbol.for('omega-verify.register');

/**
 * A copy of omega-verify inside the project's node_modules is the tree it guards: it starts
 * only if its whole directory (lib/, omega.node, wasm/, …) verifies against its lock entry.
 * The check runs before any hook is installed and before the app's first line, but it runs
 * the code it checks: it catches a copy changed by someone who did not also change this check,
 * not a determined attacker (docs/node.md: use a copy outside node_modules).
 */
function checkOwnCopy(enforcer) {
  checkCopy(enforcer, OWN_DIR, 'omega-verify itself', ', omega-verify\'s own copy in node_modules');
  // The native addon comes from its npm platform package (omega-verify-linux-x64-gnu …), a
  // package of its own: inside the guarded tree it is held to the same rule (docs/dist.md).
  if (engine.addon) {
    const dir = path.dirname(engine.addon);
    if (dir !== OWN_DIR && !inside(dir, OWN_DIR)) {
      checkCopy(enforcer, dir, `omega-verify's native addon (${path.basename(engine.addon)})`, ', omega-verify\'s platform package in node_modules');
    }
  }
}

/** Refuses a copy of omega-verify (or its addon's package) inside the guarded node_modules unless it is pinned and verifies. */
function checkCopy(enforcer, dir, what, context) {
  if (!inside(dir, enforcer.root) || !inNodeModules(path.relative(enforcer.root, dir))) return;
  const key = enforcer.lock ? enforcer.lock.keyOf(dir) : null;
  if (key === null) {
    throw new OmegaError('NOT_FOUND', `${what} (${dir}) lies in the node_modules tree it guards and is not pinned in ${enforcer.lock ? enforcer.lock.file : lockfile.LOCK_FILE}: pin it (omega lock), or better load a copy outside node_modules (NODE_OPTIONS=--require /opt/omega/register.js)`);
  }
  try {
    // The whole directory against its entry (as tree mode checks a package).
    engine.openLockedTable(enforcer.lock.handle, enforcer.lock.rel(dir), dir, true);
  } catch (e) {
    throw refusal(e, dir, context);
  }
}

/**
 * The CommonJS resolution hook. Node's lookup realpaths what it finds through fs.realpathSync
 * (cjs/loader's toRealPath); the calls made while one resolution runs show the path Node
 * looked up before it followed links. A resolution answered from Node's path cache makes no
 * call: its verdict on links is the one remembered for the same request and directory.
 */
function installCommonJS(enforcer) {
  let calls = null;
  const realpathSync = fs.realpathSync;
  const wrapped = function omegaRealpathSync(p, ...rest) {
    const out = realpathSync.call(this, p, ...rest);
    if (calls !== null && typeof p === 'string') calls.push([p, out]);
    return out;
  };
  wrapped.native = realpathSync.native;
  fs.realpathSync = wrapped;

  const linkVerdicts = new Map(); // request \0 directory -> the path looked up, when seen
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function omegaResolveFilename(request, parent, ...rest) {
    const from = parent && parent.filename ? path.dirname(parent.filename) : process.cwd();
    const searchDirs = rest[1] && Array.isArray(rest[1].paths) ? searchDirsOf(rest[1], from) : undefined;
    if (typeof request === 'string') {
      // Relative and absolute requests name no package: nothing to verify before Node looks.
      if (request.charCodeAt(0) !== 46 && request.charCodeAt(0) !== 47) enforcer.beforeResolve(request, from, searchDirs);
      enforcer.beforeFolder(request, from, searchDirs);
    }
    const saved = calls;
    calls = [];
    let file;
    let seen;
    try {
      file = resolveFilename.call(this, request, parent, ...rest);
    } finally {
      seen = calls;
      calls = saved;
    }
    if (typeof file !== 'string' || !path.isAbsolute(file)) return file; // built-in modules
    const key = `${request}\0${from}`;
    let lookedUp = null;
    for (let i = seen.length - 1; i >= 0; i--) {
      if (seen[i][1] === file) {
        lookedUp = normalAbsolute(seen[i][0]) ? seen[i][0] : path.resolve(seen[i][0]);
        break;
      }
    }
    if (lookedUp !== null) linkVerdicts.set(key, lookedUp);
    else lookedUp = linkVerdicts.get(key) ?? null;
    enforcer.checkResolved(request, from, file, lookedUp, searchDirs);
    return file;
  };

  compile.addSource((filename, asText) => enforcer.beforeLoad(filename, asText));
}

/**
 * The synchronous ES `resolve` hook (module.registerHooks): checks what import and import()
 * resolve to. A require() (conditions with "require") is left to the CommonJS resolution
 * hook, which sees Node's lookup from inside.
 */
function esmResolve(enforcer, specifier, context, nextResolve) {
  if (Array.isArray(context.conditions) && context.conditions.includes('require')) return nextResolve(specifier, context);
  const parent = context.parentURL && context.parentURL.startsWith('file:') ? fileURLToPath(context.parentURL) : null;
  const from = parent ? path.dirname(parent) : process.cwd();
  // A bare name's package is verified before Node reads its package.json (a FIFO never blocks).
  enforcer.beforeResolve(specifier, from);
  const result = nextResolve(specifier, context);
  if (result && typeof result.url === 'string' && result.url.startsWith('file:')) {
    enforcer.checkResolved(specifier, from, fileURLToPath(result.url), esmLookedUp(specifier, context.parentURL));
  }
  return result;
}

/** The directories a lookup searches: `require.resolve(x, {paths})`'s, else the requester's. */
function searchDirsOf(options, from) {
  return options && Array.isArray(options.paths)
    ? options.paths.filter((d) => typeof d === 'string').map((d) => path.resolve(d))
    : [from];
}

/** Installs enforcing mode (idempotent); throws at startup for a bad setting or lock. */
function install() {
  if (globalThis[INSTALLED]) return globalThis[INSTALLED];
  const config = configFromEnv();
  const enforcer = new Enforcer(config, engine);
  checkOwnCopy(enforcer);
  installCommonJS(enforcer);
  let esm = false;
  let hooks = 'none';
  if (compile.SYNC_HOOKS) {
    Module.registerHooks({ resolve: (specifier, context, nextResolve) => esmResolve(enforcer, specifier, context, nextResolve) });
    esm = true;
    hooks = 'registerHooks';
  } else if (typeof Module.register === 'function') {
    Module.register('./hooks.mjs', pathToFileURL(__filename), { data: { config } });
    esm = true;
    hooks = 'register';
  }
  const state = { config, enforcer, esm, hooks, engine: engine.name };
  Object.defineProperty(globalThis, INSTALLED, { value: state });
  return state;
}

module.exports = { install };
