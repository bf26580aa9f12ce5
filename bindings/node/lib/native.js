'use strict';
// The native engine: omega-core compiled into a Node addon (napi-rs): from the npm platform
// package of this machine (omega-verify-linux-x64-gnu, …: `make dist`), else omega.node built
// from src/ by `make build-node`. Each addon function returns a JSON envelope (see src/envelope.rs) that this
// file turns into a value or an OmegaError; the promise forms hash on the libuv thread pool.

const path = require('node:path');
const { OmegaError } = require('./errors.js');

/**
 * Is this a musl Linux? (napi-rs's test: /usr/bin/ldd names musl; else glibc's runtime version
 * in the process report.) Only asked on Linux, once.
 */
function isMusl() {
  try {
    return require('node:fs').readFileSync('/usr/bin/ldd', 'latin1').includes('musl');
  } catch {
    // no ldd: ask the process report (slower, tens of ms)
  }
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
  return !(report && report.header && report.header.glibcVersionRuntime);
}

/** napi-rs's platform name: linux-x64-gnu, linux-arm64-musl, darwin-arm64, … */
function platformName() {
  if (process.platform !== 'linux') return `${process.platform}-${process.arch}`;
  return `linux-${process.arch}-${isMusl() ? 'musl' : 'gnu'}`;
}

/**
 * The addon, from the first place that has one: the platform package npm installed beside
 * omega-verify (`omega-verify-linux-x64-gnu`, …, an optionalDependency that only the matching
 * os/cpu/libc installs; it must be this package's version), then `omega.node` in this package
 * (a build from source: `make build-node`). Neither: an error naming both (engine.js then
 * falls back to WebAssembly, unless OMEGA_ENGINE=native).
 */
function loadAddon() {
  const own = require('../package.json').version;
  const name = platformName();
  const pkg = `omega-verify-${name}`;
  const failures = [];
  let file = null;
  try {
    file = require.resolve(`${pkg}/omega.${name}.node`);
  } catch (e) {
    failures.push(`${pkg}: not installed (${e.code || e.message})`);
  }
  if (file !== null) {
    const version = JSON.parse(require('node:fs').readFileSync(path.join(path.dirname(file), 'package.json'), 'utf8')).version;
    if (version !== own) {
      failures.push(`${pkg}: version ${version}, omega-verify is ${own}`);
    } else {
      try {
        return { addon: require(file), file };
      } catch (e) {
        failures.push(`${file}: ${e.message}`);
      }
    }
  }
  const local = path.join(__dirname, '..', 'omega.node');
  try {
    return { addon: require(local), file: local };
  } catch (e) {
    failures.push(`${local}: ${e.message}`);
  }
  throw new Error(`omega-verify: no native addon for ${name}: ${failures.join('; ')}`);
}

const { addon, file: ADDON } = loadAddon();

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
  /** The addon file loaded (a platform package's, or this package's omega.node). */
  addon: ADDON,
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
  /** The top-level package.json of table `id`'s package at `dir`, as at each lock open (else throws). */
  checkPackageTop(id, dir) {
    const r = addon.checkPackageTop(id, dir);
    if (typeof r === 'string') unwrap(r);
  },
  /** The package.json files Node may read to load file `rel` of table `id`'s package at `dir` (else throws). */
  checkFileScopes(id, dir, rel) {
    const r = addon.checkFileScopes(id, dir, rel);
    if (typeof r === 'string') unwrap(r);
  },
  /** The bytes of file `rel` (at `abs`) when they are those of table `id` (else throws). */
  readPinnedFile(id, rel, abs) {
    const r = addon.readPinnedFile(id, rel, abs);
    return typeof r === 'string' ? unwrap(r) : r;
  },

  // The loader's layout checks (omega-core's layout::Layout; lib/enforce.js): one call per
  // resolution or load, a step number back (0: passed; the file compared with its table).
  /** A layout for the project at `root`, omega-verify's own files at `own`: its handle. */
  layoutNew(root, own) {
    return addon.layoutNew(root, own);
  },
  /** The next step of a resolution (stage 0 full, 1 imports, 2 bare, 3 file); throws a file's refusal. */
  layoutResolve(h, stage, name, from, file, lookedUp, dirs, request) {
    const r = addon.layoutResolve(h, stage, name ?? undefined, from, file, lookedUp ?? undefined, dirs ?? undefined, request ?? undefined);
    if (typeof r === 'string') unwrap(r);
    return r;
  },
  /** The step before Node resolves the bare name `name` from `dirs` (null: [from]). */
  layoutBefore(h, name, dirs, from) {
    return addon.layoutBefore(h, name, dirs ?? undefined, from);
  },
  /** Before `file` loads: its verified bytes, or a step number (0: it loads as it is); throws a file's refusal. */
  layoutLoad(h, file) {
    const r = addon.layoutLoad(h, file);
    if (typeof r === 'string') unwrap(r);
    return r;
  },
  /**
   * layoutLoad for a JavaScript or JSON file: its verified text as plain Node would read it
   * (`keepBom` for a require: a byte order mark kept, as readFileUtf8 does; else dropped, as
   * TextDecoder does for an import).
   */
  layoutLoadText(h, file, keepBom) {
    const r = addon.layoutLoadText(h, file, !!keepBom);
    if (typeof r === 'object') unwrap(r[0]);
    return r;
  },
  /** The names of the last step that was not a pass. */
  layoutDetail(h) {
    return addon.layoutDetail(h);
  },
  /** Where `file` stands: [kind, dir, name, rel]. */
  layoutPlace(h, file) {
    return addon.layoutPlace(h, file);
  },
  /** The first node_modules/<name> from `dirs` up (as looked up), or null. */
  layoutFirstEntry(h, name, dirs) {
    return addon.layoutFirstEntry(h, name, dirs) ?? null;
  },
  /** Whether `dir` is its own real path (decided once per process, as the bare-name checks decide it). */
  layoutIsReal(h, dir) {
    return addon.layoutIsReal(h, dir);
  },
  layoutOpened(h, dir, table, dependencies) {
    addon.layoutOpened(h, dir, table, dependencies);
  },
  layoutForget(h, dir) {
    addon.layoutForget(h, dir);
  },
  layoutPinChecked(h, requester, name, entry) {
    addon.layoutPinChecked(h, requester, name, entry);
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
