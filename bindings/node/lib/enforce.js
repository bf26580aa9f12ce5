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
// Where a file stands (docs/node.md, "Enforcing mode"): the project is the directory of the
// lock file. A file under it with no `node_modules` component is the app's own and loads as
// it is; a file in `<project>/…/node_modules/<pkg>` belongs to that package, which must be
// pinned and verified, and loads from the verified bytes; anything else (a file directly in a
// node_modules folder, a file outside the project: global folders, NODE_PATH, the target of a
// link) is refused. A resolution is refused when the path Node looked up in node_modules is
// or passes through a symbolic link, or when a package name resolves to a file outside the
// package the name stands for. omega-verify's own files pass (see register.js for the copy
// inside node_modules).
//
// This file holds the decisions shared by the CommonJS hooks (register.js, compile.js) and the
// ESM hooks (hooks.mjs); every verdict on contents comes from omega-core through the engine.

const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { fileURLToPath, pathToFileURL } = require('node:url');
const { OmegaError, typeError } = require('./errors.js');
const lockfile = require('./lockfile.js');
const {
  OWN_DIR, inside, isBare, splitSpecifier, normalAbsolute,
} = require('./resolve.js');

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

function realDir(dir) {
  try {
    return fs.realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

// What a step of omega-core's layout checks asks (layout::Step::code).
const PASS = 0;
const OPEN = 1;
const PIN = 2;
const IMPORTS = 3;
const LINK_LOOKED_UP = 10;
const LINK_ENTRY = 11;
const OUTSIDE_PACKAGE = 12;
const OUTSIDE = 13;
const LOOSE = 14;
// Which part of a resolution's checks to run (layout::Stage).
const FULL = 0;
const UNTIL_IMPORTS = 1;
const BARE = 2;
const FILE = 3;
// A check takes one step per package it opens or pin it checks: more is a defect.
const MAX_STEPS = 64;

class Enforcer {
  /** @param {{mode, unpinned, lock, cwd}} config  @param engine the engine to check with */
  constructor(config, engine) {
    this.config = config;
    this.engine = engine;
    this.packages = new Map(); // package dir (or file, for loose files) -> {error} | {table, dependencies} | {}
    this.failed = new Map(); // package dir -> the engine's refusal of it, kept for the process
    this.labels = new Map(); // an opened package's lock key (its tables' label) -> its dir
    this.scopes = new Map(); // directory -> its #imports scope (importsScope), once verified
    this.resolved = new Set(); // bare names (with their search folders) whose checks passed
    this.folders = new Set(); // folders' package.json paths Node can read without blocking, and bare requests so checked
    this.dependencyPins = new Map(); // package dir \0 pinned digest -> null (verified) | the refusal
    this.lock = null;
    if (config.lock) {
      this.lock = lockfile.load(engine, config.lock); // a corrupt lock throws here, at startup
    } else if (config.unpinned === 'warn') {
      warn(`omega-verify: no ${lockfile.LOCK_FILE} in ${config.cwd} or above: every package is unpinned (OMEGA_UNPINNED=warn)`);
    } else {
      throw new OmegaError('NOT_FOUND', `no ${lockfile.LOCK_FILE} in ${config.cwd} or any parent directory (set OMEGA_LOCK, or run omega lock)`);
    }
    /** The project: the lock file's directory (real path); without a lock, the working directory. */
    this.root = this.lock ? this.lock.root : realDir(config.cwd);
    // The layout decisions (where a file stands, which node_modules/<name> a name finds, links,
    // the order of a resolution's checks) are omega-core's (layout::Layout), in the engine:
    // one call per resolution and per load; this file acts on the steps it returns (open a
    // package, check a dependency pin) and writes the refusals.
    this.layout = engine.layoutNew(this.root, OWN_DIR);
    // The native engine opens the pinned packages' tables on a thread of its own while Node
    // loads (each package is still verified before its first file resolves or loads: its
    // open waits for the table, or makes it).
    if (this.lock && typeof engine.prefetchLocked === 'function' && process.env.OMEGA_PREFETCH !== '0') {
      engine.prefetchLocked(this.lock.handle, this.root, config.mode === 'tree');
    }
  }

  /**
   * Where the file `file` (a real absolute path) stands (omega-core's layout::Place): {kind:
   * 'own'} (omega-verify), 'app' (the project's own files), 'package' (with `pkg` = {dir,
   * name, rel}), 'loose' (directly in a node_modules folder) or 'outside' (not under the
   * project).
   */
  place(file) {
    const [kind, dir, name, rel] = this.engine.layoutPlace(this.layout, file);
    return kind === 'package' ? { kind, pkg: { dir, name, rel } } : { kind };
  }

  /** Refuses (or, with OMEGA_UNPINNED=warn, warns about) a file outside the project. */
  outside(file, how) {
    const message = `${file} is outside the project ${this.root} (not the app's own file, not in its node_modules)`;
    if (this.config.unpinned === 'warn') {
      warn(`omega-verify: ${message}; loading it anyway (OMEGA_UNPINNED=warn)`);
      return;
    }
    throw refusal(new OmegaError('NOT_FOUND', message), file, how);
  }

  /**
   * Checks a resolution before Node returns it (require, require.resolve, import): `request`
   * from `fromDir` resolved to `file` (a real path); `lookedUp` is the path Node looked up
   * before it followed links, when known; `searchDirs`, the directories whose node_modules
   * the lookup searched (default: `fromDir`; `require.resolve(x, {paths})` gives others).
   * Throws an OmegaError naming the package and the file; a package file is checked against
   * its verified table (tree mode: the package is verified first), so
   * `require.resolve('pkg/bin/tool')` refuses a tampered file too.
   */
  checkResolved(request, fromDir, file, lookedUp, searchDirs) {
    const how = new How(request, fromDir);
    // A lookup that met no link looked up the file itself: nothing for the link check (one
    // string less to hand the engine per resolution).
    if (lookedUp === file) lookedUp = null;
    if (request.startsWith('#')) {
      if (this.steps(UNTIL_IMPORTS, null, request, fromDir, file, lookedUp, null, how) === IMPORTS) {
        this.checkImports(request, fromDir, file, how);
        this.steps(FILE, null, request, fromDir, file, null, null, how);
      }
      return;
    }
    const name = isBareSpec(request) ? bareName(request) : null;
    this.steps(FULL, name, request, fromDir, file, lookedUp, searchDirs, how);
  }

  /**
   * Runs omega-core's checks of a resolution (layout::Layout::resolution, `stage`) to the
   * end: each call returns 0 when the checks pass (a package file compared with its verified
   * table in the engine), else the step to take first (open a package, check a dependency
   * pin) or the refusal. Returns the last step (PASS, or IMPORTS for that stage).
   */
  steps(stage, name, request, fromDir, file, lookedUp, searchDirs, how) {
    for (let i = 0; i < MAX_STEPS; i++) {
      let step;
      try {
        step = this.engine.layoutResolve(this.layout, stage, name, fromDir, file, lookedUp, searchDirs, request);
      } catch (e) {
        this.taint(e);
        throw refusal(e, file, how); // the file (or a package.json Node reads for it) does not match its package's table
      }
      if (step === PASS || step === IMPORTS) return step;
      const d = this.engine.layoutDetail(this.layout);
      switch (step) {
        case OPEN:
          this.openPackage({ dir: d[0], name: d[1] }, file, how);
          break;
        case PIN:
          this.checkDependencyPin({ dir: d[0], name: d[1] }, d[2], d[3], file, how);
          break;
        case LINK_LOOKED_UP:
          throw refusal(new OmegaError('UNSUPPORTED_FILE_TYPE', `${d[0] ? `package ${d[0]}: ` : ''}${lookedUp} is or passes through a symbolic link (to ${file}); enforcing mode loads packages only from their real directories`), file, how);
        case LINK_ENTRY:
          throw linkRefusal(d[0], d[1], file, how);
        case OUTSIDE_PACKAGE:
          throw refusal(new OmegaError('UNSAFE_PATH', `package ${d[0]} (${d[1]}): ${JSON.stringify(request)} resolves to ${file}, outside the package`), file, how);
        case OUTSIDE:
          this.outside(file, how);
          return PASS;
        case LOOSE:
          throw refusal(new OmegaError('NOT_FOUND', `${file} lies directly in a node_modules folder, in no package directory, and is not pinned`), file, how);
        default:
          throw new Error(`omega-verify: unknown layout step ${step}`);
      }
    }
    throw new Error(`omega-verify: the checks of ${file} took more than ${MAX_STEPS} steps`);
  }

  /**
   * Before Node resolves a bare request (and so before it reads any package.json the name
   * steers to): the package each name stands for is verified (its tree is opened without
   * blocking: a FIFO package.json is refused, not read) and must be its own real path. For a
   * `#imports` request, the bare names its targets map to (finding 6, N12).
   */
  beforeResolve(request, fromDir, searchDirs) {
    if (!isBareSpec(request)) return;
    const memo = request.startsWith('#') ? null : `${bareName(request)}\0${searchDirs ? searchDirs.join('\0') : fromDir}`;
    if (memo !== null && this.resolved.has(memo)) return;
    const how = new How(request, fromDir);
    let names = [[bareName(request), searchDirs ?? null]];
    if (request.startsWith('#')) {
      const scope = this.importsScope(fromDir, how);
      names = scope ? importTargets(scope.imports, request).filter(isBare).map((t) => [bareName(t), [scope.dir]]) : [];
    }
    for (const [name, dirs] of names) {
      if (!name) continue;
      for (let i = 0; ; i++) {
        const step = this.engine.layoutBefore(this.layout, name, dirs, fromDir);
        if (step === PASS) break;
        const d = this.engine.layoutDetail(this.layout);
        if (step === LINK_ENTRY) throw linkRefusal(d[0], d[1], join(d[1], 'package.json'), how);
        if (step !== OPEN || i >= MAX_STEPS) throw new Error(`omega-verify: unexpected layout step ${step} before resolving ${name}`);
        const pkg = { dir: d[0], name: d[1] };
        const pj = join(pkg.dir, 'package.json');
        try {
          this.openPackage(pkg, pj, how);
        } catch (e) {
          // Refused now only when Node could not read the package.json safely (a FIFO would
          // block it); otherwise the refusal is made again naming the file Node resolves to.
          if (readableByNode(pj)) this.forget(pkg.dir);
          else throw e;
          return;
        }
      }
    }
    if (memo !== null) this.resolved.add(memo);
  }

  /**
   * Before Node's CommonJS resolver looks at a request that may name a folder in a package
   * (relative, absolute, or a bare name, with or without a subpath, in every `node_modules`
   * Node may try): it reads that folder's package.json (`main`) before any check, and a bare
   * name's in a later `node_modules` when an earlier copy does not resolve, so a FIFO there would block
   * it; anything there that Node could not read without blocking is refused (N22, as N12 for a
   * package's own package.json). What the folder's package.json says is checked after the
   * resolution (omega-core's layout).
   */
  beforeFolder(request, fromDir, searchDirs) {
    let targets;
    let memo = null;
    if (request.charCodeAt(0) === 47) {
      targets = [request];
    } else if (request === '.' || request === '..' || request.startsWith('./') || request.startsWith('../')) {
      targets = (searchDirs ?? [fromDir]).map((d) => path.resolve(d, request));
    } else {
      if (!isBareSpec(request) || request.startsWith('#')) return;
      const name = bareName(request);
      if (!name) return;
      memo = `\0${request}\0${searchDirs ? searchDirs.join('\0') : fromDir}`;
      if (this.folders.has(memo)) return;
      // Every copy Node may try in the project, in its order: when one does not resolve, it
      // goes on to the next `node_modules` up, reading that copy's package.json (`exports`)
      // and the folder's (second review of session 10). The folders above the project are not
      // the packages' writer's (as N21 has it).
      targets = [];
      const top = `${this.root}/`;
      for (const d of searchDirs ?? [fromDir]) {
        for (const nm of Module._nodeModulePaths(d)) {
          if (!nm.startsWith(top)) continue;
          targets.push(path.resolve(nm, name));
          if (request !== name) targets.push(path.resolve(nm, request));
        }
      }
    }
    for (const t of targets) {
      if (!t.includes('/node_modules/')) continue; // the app's own folders are the app's
      const pj = join(t, 'package.json');
      if (this.folders.has(pj)) continue;
      if (!readableByNode(pj)) {
        throw refusal(new OmegaError('UNSUPPORTED_FILE_TYPE', `${pj} is not a regular file: Node would read it (a folder's main) and could block`), pj, new How(request, fromDir));
      }
      this.folders.add(pj);
    }
    if (memo !== null) this.folders.add(memo);
  }

  /**
   * A `#imports` request (N10): the requester's `imports` map, read from its verified
   * package.json, says what `request` stands for. A bare target gets the checks of a bare
   * name (omega-core's, stage BARE) with the mapped name; a relative one must be `file`
   * itself, inside the requester's package, with no link on the way from the package folder.
   */
  checkImports(request, fromDir, file, how) {
    const scope = this.importsScope(fromDir, how);
    if (!scope) return;
    const targets = importTargets(scope.imports, request);
    const relative = targets.filter((t) => t.startsWith('./')).map((t) => path.resolve(scope.dir, t));
    if (relative.includes(file) && (!scope.pkg || inside(file, scope.pkg.dir))) return;
    const bare = targets.filter((t) => isBare(t) && bareName(t));
    if (bare.length) {
      const realOf = (e) => (e ? realDir(e) : null);
      const chosen = bare.find((t) => {
        const real = realOf(this.engine.layoutFirstEntry(this.layout, bareName(t), [scope.dir]));
        return real && (file === real || inside(file, real));
      }) || bare[0];
      this.steps(BARE, bareName(chosen), chosen, fromDir, file, null, [scope.dir], `${how} (its imports target ${JSON.stringify(chosen)})`);
      return;
    }
    if (!scope.pkg) return; // the app's own imports: its files may link among themselves
    const linked = relative.find((c) => realDir(c) === file);
    const what = linked
      ? new OmegaError('UNSUPPORTED_FILE_TYPE', `package ${scope.pkg.name}: ${linked} (its imports target for ${JSON.stringify(request)}) is or passes through a symbolic link (to ${file}); enforcing mode loads packages only from their real directories`)
      : new OmegaError('UNSAFE_PATH', `package ${scope.pkg.name} (${scope.pkg.dir}): ${JSON.stringify(request)} resolves to ${file}, not the file its imports map names inside the package`);
    throw refusal(what, file, how);
  }

  /**
   * The package scope of a file in `fromDir` for `#imports`: the nearest package.json from
   * `fromDir` up to its package folder (or, for the app's files, up to the project), as
   * {dir, pkg (null for the app), imports}; a package's is read from its verified bytes.
   */
  importsScope(fromDir, how) {
    let scope = this.scopes.get(fromDir);
    if (scope === undefined) {
      scope = this.findImportsScope(fromDir, how);
      this.scopes.set(fromDir, scope);
    }
    return scope;
  }

  findImportsScope(fromDir, how) {
    const requester = this.place(join(fromDir, '_'));
    if (requester.kind !== 'package' && requester.kind !== 'app') return null;
    const top = requester.kind === 'package' ? requester.pkg.dir : this.root;
    for (let d = fromDir; d === top || inside(d, top); d = path.dirname(d)) {
      const pj = path.join(d, 'package.json');
      try {
        fs.lstatSync(pj);
      } catch {
        continue;
      }
      let bytes;
      if (requester.kind === 'package') {
        const state = this.openPackage(requester.pkg, pj, how);
        const rel = path.relative(requester.pkg.dir, pj).split(path.sep).join('/');
        try {
          bytes = state.table === undefined ? require('./walk.js').readFileSync(pj, rel).data : this.engine.readPinnedFile(state.table, rel, pj);
        } catch (e) {
          throw refusal(e, pj, how);
        }
      } else {
        bytes = fs.readFileSync(pj);
      }
      let imports = null;
      try {
        imports = JSON.parse(Buffer.from(bytes).toString('utf8')).imports;
      } catch {
        // Node refuses it too
      }
      return { dir: d, pkg: requester.kind === 'package' ? requester.pkg : null, imports };
    }
    return null;
  }

  /**
   * Checks `file` (a real absolute path) before it loads and returns the verified bytes to
   * compile (a Buffer; with `asText` ('require' or 'import'), when the engine can give one, a
   * string as plain Node would read the file for that kind of load), or null for a file that
   * loads as it is (the app's own files, omega-verify's, an unpinned package under
   * OMEGA_UNPINNED=warn). Throws an OmegaError that
   * names the package and the file when it must not load. One engine call (omega-core's
   * layout::Layout::load, then the read against the table) unless a package must be opened.
   */
  beforeLoad(file, asText = false) {
    const text = asText !== false && typeof this.engine.layoutLoadText === 'function';
    for (let i = 0; i < MAX_STEPS; i++) {
      let r;
      try {
        r = text ? this.engine.layoutLoadText(this.layout, file, asText === 'require') : this.engine.layoutLoad(this.layout, file);
      } catch (e) {
        this.taint(e);
        throw refusal(e, file, '');
      }
      if (typeof r !== 'number') return r;
      switch (r) {
        case PASS:
          return null;
        case OPEN: {
          const d = this.engine.layoutDetail(this.layout);
          this.openPackage({ dir: d[0], name: d[1] }, file, '');
          break;
        }
        case OUTSIDE:
          this.outside(file, '');
          return null;
        case LOOSE:
          throw refusal(new OmegaError('NOT_FOUND', `${file} lies directly in a node_modules folder, in no package directory, and is not pinned`), file, '');
        default:
          throw new Error(`omega-verify: unknown layout step ${r}`);
      }
    }
    throw new Error(`omega-verify: the checks of ${file} took more than ${MAX_STEPS} steps`);
  }

  /**
   * The requesting package `requester` ({dir, name}) is signed and its manifest pins `name`
   * (`dependencies`): the package found at `entry` must also verify against that pin (once
   * per directory and pin; refusals kept).
   */
  checkDependencyPin(requester, name, entry, file, how) {
    const state = this.packages.get(requester.dir);
    const deps = state && state.dependencies;
    if (deps && Object.prototype.hasOwnProperty.call(deps, name)) {
      const pin = deps[name];
      const key = `${entry}\0${pin}`;
      let verdict = this.dependencyPins.get(key);
      if (verdict === undefined) {
        verdict = null;
        try {
          this.engine.openTable(entry, { digest: pin }, name, this.config.mode === 'tree');
        } catch (e) {
          verdict = e instanceof OmegaError
            ? refusal(new OmegaError(e.code, `package ${requester.name}'s signed manifest pins its dependency ${name} to ${pin}: ${e.detail}`, e.report), file, how)
            : e;
        }
        this.dependencyPins.set(key, verdict);
      }
      if (verdict) throw verdict;
    }
    this.engine.layoutPinChecked(this.layout, requester.dir, name, entry);
  }

  /** Verifies the package `pkg` once (cached, refusals too); returns its state. */
  openPackage(pkg, file, how = '') {
    const key = pkg.dir || file;
    let state = this.packages.get(key);
    if (state === undefined) {
      state = this.verify(pkg, file, how);
      this.packages.set(key, state);
      // The layout's checks go on past this package now (a refusal is never kept there: the
      // package's next check asks to open it again, and the kept refusal is thrown).
      if (!state.error) this.engine.layoutOpened(this.layout, key, state.table ?? -1, Object.keys(state.dependencies || {}));
    }
    if (state.error) throw state.error;
    return state;
  }

  /**
   * A check refused a file of an opened package, or a package.json Node reads for one (the
   * refusal's report names the package's table): Node may have read and kept that package.json
   * meanwhile, so the package stays refused for the process, as a refused open does (its
   * verdict is dropped: the next check opens it again, and `failed` refuses).
   */
  taint(e) {
    const label = e instanceof OmegaError && e.report ? e.report.package : undefined;
    const dir = label === undefined ? undefined : this.labels.get(label);
    if (dir === undefined) return;
    this.failed.set(dir, e);
    this.forget(dir);
  }

  /** Drops the verdict on the package at `dir` (it is opened again when next asked). */
  forget(dir) {
    this.packages.delete(dir);
    this.engine.layoutForget(this.layout, dir);
  }

  verify(pkg, file, how) {
    // The layout's verdict (omega-core's Layout::real_entry, kept per folder for the process,
    // the one the bare-name checks use), not a realpath of every component per package.
    if (!this.engine.layoutIsReal(this.layout, pkg.dir)) {
      // Only with --preserve-symlinks: Node otherwise hands out real paths.
      return {
        error: refusal(new OmegaError('UNSUPPORTED_FILE_TYPE', `package ${pkg.name}: ${pkg.dir} is or passes through a symbolic link`), file, how),
      };
    }
    const key = this.lock ? this.lock.keyOf(pkg.dir) : null;
    if (key === null) {
      const where = `package ${pkg.name} (${pkg.dir})`;
      const lockName = this.lock ? this.lock.file : lockfile.LOCK_FILE;
      if (this.config.unpinned === 'warn') {
        warn(`omega-verify: ${where} is not pinned in ${lockName}; loading it anyway (OMEGA_UNPINNED=warn)`);
        return {};
      }
      return {
        error: refusal(new OmegaError('NOT_FOUND', `${where} is not pinned in ${lockName} (run omega lock, or OMEGA_UNPINNED=warn)`), file, how),
      };
    }
    const rel = this.lock.rel(pkg.dir);
    // A package refused once stays refused, even when the verdict is dropped to name the file
    // Node resolves (beforeResolve) and the files are put back: Node may have read and kept a
    // tampered package.json during the refused attempt (threat model N22, session 11).
    const failed = this.failed.get(pkg.dir);
    if (failed !== undefined) return { error: refusal(failed, file, how) };
    try {
      // Against omega-core's audit pins of the entry (LockEntry::audit_pins), or its refusal
      // (KEY_REVOKED: a signed entry whose signers were all revoked).
      // Tree mode: the whole directory is checked (or was, by the native engine's thread
      // ahead), and its files as read are the table that every file is compared with when it
      // loads. Files mode: the signed manifest is the table. In both, package.json (which
      // steers resolution before any file loads, and which Node reads next) is compared with
      // the table in the same call, each time a package is opened here (threat model N19).
      const { id, dependencies } = this.engine.openLockedTable(this.lock.handle, rel, pkg.dir, this.config.mode === 'tree');
      this.labels.set(key, pkg.dir);
      return { table: id, dependencies };
    } catch (e) {
      this.failed.set(pkg.dir, e);
      return { error: refusal(e, file, how) };
    }
  }
}

/**
 * `, the resolution of "<request>" from <dir>`, the end of a refusal's message: made into text
 * only when a refusal is (most resolutions pass).
 */
class How {
  constructor(request, fromDir) {
    this.request = request;
    this.fromDir = fromDir;
  }

  toString() {
    return `, the resolution of ${JSON.stringify(this.request)} from ${this.fromDir}`;
  }
}

/** The package name of a bare specifier, or null when it is not one. */
function bareName(spec) {
  let name = bareNames.get(spec);
  if (name === undefined) {
    try {
      name = splitSpecifier(spec).name;
    } catch {
      name = null;
    }
    if (bareNames.size < CACHE_LIMIT) bareNames.set(spec, name);
  }
  return name;
}

/** isBare(), decided once per specifier (it depends on the text alone). */
function isBareSpec(spec) {
  let bare = bareSpecs.get(spec);
  if (bare === undefined) {
    bare = isBare(spec);
    if (bareSpecs.size < CACHE_LIMIT) bareSpecs.set(spec, bare);
  }
  return bare;
}

// Caches of decisions that depend on a specifier's text alone (bounded: a program that
// resolves ever new names computes the rest again).
const CACHE_LIMIT = 1 << 16;
const bareNames = new Map(); // specifier -> its package name, or null
const bareSpecs = new Map(); // specifier -> isBare

/**
 * `dir`/`name` for a plain file or folder name (`package.json`, `_`): string concatenation for
 * a normalized absolute POSIX `dir` (what Node's resolution, real paths and this file's lookups
 * give), else path.join.
 */
function join(dir, name) {
  if (path.sep === '/' && normalAbsolute(dir)) return dir.length === 1 ? `/${name}` : `${dir}/${name}`;
  return path.join(dir, name);
}

/**
 * Whether Node may open `file` without blocking: a regular file, or nothing there (or nothing
 * Node could open: a name too long, a folder that cannot be searched).
 */
function readableByNode(file) {
  try {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    return st === undefined || st.isFile();
  } catch (e) {
    return e.code === 'ENOTDIR' || e.code === 'ENAMETOOLONG' || e.code === 'EACCES';
  }
}

function linkRefusal(name, entry, file, how) {
  return refusal(new OmegaError('UNSUPPORTED_FILE_TYPE', `package ${name}: ${entry} is or passes through a symbolic link; enforcing mode loads packages only from their real directories`), file, how);
}

/**
 * The targets `request` (a `#…` specifier) may stand for in an `imports` map, as Node matches
 * it (an exact key, else the pattern key with the longest prefix; `*` substituted): every
 * string under the match's conditions, so whichever condition Node chose is among them.
 */
function importTargets(imports, request) {
  if (!imports || typeof imports !== 'object' || Array.isArray(imports)) return [];
  let target;
  let subst = null;
  if (Object.prototype.hasOwnProperty.call(imports, request) && !request.includes('*')) {
    target = imports[request];
  } else {
    let best = null;
    for (const key of Object.keys(imports)) {
      const star = key.indexOf('*');
      if (star < 0 || key.indexOf('*', star + 1) >= 0) continue;
      const prefix = key.slice(0, star);
      const suffix = key.slice(star + 1);
      if (request.length < key.length || !request.startsWith(prefix) || !request.endsWith(suffix)) continue;
      if (best === null || prefix.length > best.prefix.length || (prefix.length === best.prefix.length && key.length > best.key.length)) {
        best = { key, prefix, sub: request.slice(prefix.length, request.length - suffix.length) };
      }
    }
    if (!best) return [];
    target = imports[best.key];
    subst = best.sub;
  }
  const out = [];
  const flatten = (t) => {
    if (typeof t === 'string') out.push(subst === null ? t : t.split('*').join(subst));
    else if (Array.isArray(t)) t.forEach(flatten);
    else if (t && typeof t === 'object') Object.values(t).forEach(flatten);
  };
  flatten(target);
  return out;
}

/**
 * The error to throw for a refused load: the check's error, naming the file refused (and,
 * through `how`, the resolution that found it).
 */
function refusal(err, file, how = '') {
  if (!(err instanceof OmegaError)) return err;
  const e = new OmegaError(err.code, `${err.detail} (omega-verify refused to load ${file}${how})`, err.report);
  e.file = file;
  return e;
}

/**
 * The path an ES resolution looked up before links were followed: the specifier's own path for
 * a relative, absolute or file: specifier; null for a bare one (checkResolved finds the
 * package the name stands for).
 */
function esmLookedUp(specifier, parentURL) {
  if (specifier.startsWith('file:')) return fileURLToPath(new URL(specifier));
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('/')) {
    const base = parentURL && parentURL.startsWith('file:') ? parentURL : pathToFileURL(`${process.cwd()}${path.sep}`).href;
    return fileURLToPath(new URL(specifier, base));
  }
  return null;
}

module.exports = { configFromEnv, Enforcer, refusal, esmLookedUp };
