'use strict';
// Where packages are: the caller of Ω(…) (from the stack), the directory `require` would use
// for a package name from there (where a loaded file stands is omega-core's layout::Layout). No verification
// rule lives here; this is Node's module resolution, seen from the outside.

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { fileURLToPath } = require('node:url');
const { OmegaError, typeError } = require('./errors.js');

/** This package's root: frames and files inside it are omega-verify itself. */
const OWN_DIR = path.resolve(__dirname, '..');

const SEP = path.sep.charCodeAt(0);

/**
 * Whether `file` lies below `dir`. For normalized absolute paths (what Node's resolution, the
 * real paths and path.join give) this is a string comparison; anything else goes through
 * path.relative.
 */
function inside(file, dir) {
  if (normalAbsolute(file) && normalAbsolute(dir)) {
    if (dir.length === 1) return file.length > 1; // the root directory
    return file.length > dir.length + 1 && file.charCodeAt(dir.length) === SEP && file.startsWith(dir);
  }
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Whether `p` is an absolute path with no `.`, `..` or empty component (POSIX form). */
function normalAbsolute(p) {
  if (path.sep !== '/' || p.charCodeAt(0) !== SEP) return false;
  if (p.length === 1) return true;
  if (p.charCodeAt(p.length - 1) === SEP) return false;
  return !p.includes('//') && !p.includes('/./') && !p.includes('/../') && !p.endsWith('/.') && !p.endsWith('/..');
}

/**
 * The file of the first stack frame outside omega-verify (the code that called Ω), or null
 * (REPL, `node -e`): then packages resolve from the working directory, as `require` does there.
 */
function callerFile() {
  const saved = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  let frames;
  try {
    Error.prepareStackTrace = (_, callSites) => callSites;
    Error.stackTraceLimit = 50;
    const holder = {};
    Error.captureStackTrace(holder);
    frames = holder.stack;
  } finally {
    Error.prepareStackTrace = saved;
    Error.stackTraceLimit = savedLimit;
  }
  for (const f of frames || []) {
    let name = f.getFileName && f.getFileName();
    if (!name) continue;
    if (name.startsWith('file:')) name = fileURLToPath(name);
    if (!path.isAbsolute(name)) continue; // node:internal/…, evalmachine, <repl>
    if (name === OWN_DIR || inside(name, OWN_DIR)) continue;
    return name;
  }
  return null;
}

/** A `require` function as seen from `file` (or from the working directory). */
function requireFrom(file) {
  return Module.createRequire(file || path.join(process.cwd(), '[eval]'));
}

/**
 * Splits a bare specifier into the package name and the rest: `@scope/pkg/sub` ->
 * {name: "@scope/pkg", subpath: "/sub"}. Paths, URLs and built-in modules are refused: Ω
 * loads packages by name.
 */
function splitSpecifier(spec) {
  if (typeof spec !== 'string' || spec === '') throw typeError('name must be a non-empty string (a package name)');
  if (spec.startsWith('.') || spec.startsWith('/') || path.isAbsolute(spec) || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(spec)) {
    throw typeError(`name ${JSON.stringify(spec)}: Ω loads packages by name; use require() for files`);
  }
  if (Module.isBuiltin(spec)) {
    throw typeError(`name ${JSON.stringify(spec)} is a Node built-in module, not a package`);
  }
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  if (parts.length < n || parts.slice(0, n).some((p) => p === '')) {
    throw typeError(`name ${JSON.stringify(spec)} is not a package name`);
  }
  return { name: parts.slice(0, n).join('/'), subpath: parts.length > n ? `/${parts.slice(n).join('/')}` : '' };
}

function isDir(p) {
  try {
    // No exception for a missing entry: most lookups miss, and a thrown error costs more than
    // the stat itself.
    const st = fs.statSync(p, { throwIfNoEntry: false });
    return st !== undefined && st.isDirectory();
  } catch {
    return false;
  }
}

/**
 * The directory of package `name` as `require` finds it from `req` (the first
 * `node_modules/<name>` on its lookup path that is a directory), real path. NOT_FOUND if none.
 */
function packageDir(req, name) {
  const paths = req.resolve.paths(name) || [];
  for (const p of paths) {
    const d = path.join(p, name);
    if (isDir(d)) return ownRealPath(d, name);
  }
  const from = paths.length ? path.dirname(paths[0]) : process.cwd();
  throw new OmegaError('NOT_FOUND', `${name}: package not found from ${from} (no node_modules/${name} on the lookup path)`);
}

/**
 * `d` (the node_modules/<name> Node's lookup meets) when it is its own real path; refuses a
 * link, or a path through one, as the loader does (N1, N13).
 */
function ownRealPath(d, name) {
  const real = fs.realpathSync(d);
  if (real !== path.resolve(d)) {
    throw new OmegaError('UNSUPPORTED_FILE_TYPE', `package ${name}: ${d} is or passes through a symbolic link (to ${real}); Ω loads packages only from their real directories`);
  }
  return real;
}

/** Whether a path has a `node_modules` component. */
function inNodeModules(p) {
  if (!p.includes('node_modules')) return false;
  return p.split(path.sep).includes('node_modules');
}

/** Whether `p` is its own real path (no symbolic link on the way); false if it is missing. */
function isReal(p) {
  try {
    return fs.realpathSync.native(p) === p;
  } catch {
    return false;
  }
}

/** Whether `spec` is a bare specifier (a package name, maybe with a subpath). */
function isBare(spec) {
  return typeof spec === 'string' && spec !== '' && !spec.startsWith('.') && !spec.startsWith('/')
    && !path.isAbsolute(spec) && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(spec) && !Module.isBuiltin(spec);
}

module.exports = {
  isDir, OWN_DIR, inside, callerFile, requireFrom, splitSpecifier, packageDir, isBare,
  inNodeModules, isReal, normalAbsolute,
};
