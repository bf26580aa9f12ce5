'use strict';
// The attacks of the loader review (docs/threat-model.md, "Review fixes: the Node loader",
// rows N1–N13), each performed against enforcing mode (`--require`/`--import
// omega-verify/register`) or Ω, in child processes on the fixture project. The attacker
// controls bytes under node_modules (files, links, package.json, a planted omega.lock), not the
// pinned keys and not the app's own files. Every refusal is checked for its code, the package
// or file it names, and for the attacker's code never having run.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { PKG_DIR, REPO, project, write, runNode, tmpdir, omega, loadOmega } = require('./helpers.js');

const Ω = loadOmega();
const ENGINE = Ω.engine;
const REGISTER_CJS = path.join(PKG_DIR, 'register.js');
const REGISTER_ESM = path.join(PKG_DIR, 'register.mjs');
const MODES = ['tree', 'files'];

/** Code that records in the marker file that the attacker's code ran. */
const EVIL = "require('node:fs').appendFileSync(process.env.OMEGA_TEST_MARKER, 'evil\\n');\nmodule.exports = { version: 'evil', util: 'evil' };\n";
const EVIL_ESM = "import { appendFileSync } from 'node:fs';\nappendFileSync(process.env.OMEGA_TEST_MARKER, 'evil\\n');\nexport default 'evil';\n";

function app() {
  const p = project();
  write(path.join(p.root, 'app.js'), "require('node:fs').appendFileSync(process.env.OMEGA_TEST_MARKER, 'app\\n');\nconsole.log(require('alpha').version);\n");
  write(path.join(p.root, 'app.mjs'), "import { appendFileSync } from 'node:fs';\nappendFileSync(process.env.OMEGA_TEST_MARKER, 'app\\n');\nconst { default: a } = await import('alpha');\nconsole.log(a.version);\n");
  write(path.join(p.root, 'delta.mjs'), "const { default: d } = await import('delta');\nconsole.log(d);\n");
  return p;
}

const nm = (p, ...rest) => path.join(p.root, 'node_modules', ...rest);

function run(p, args, env = {}, mode = 'tree') {
  return runNode(p.root, args, { OMEGA_VERIFY: mode, ...env });
}

function refused(r, { code, names = [], notRan = ['evil'], load = true }) {
  assert.equal(r.status, 1, `expected a refusal, got status ${r.status}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`${code}: `), r.stderr);
  for (const n of names) assert.ok(r.stderr.includes(n), `stderr should name ${n}:\n${r.stderr}`);
  if (load) assert.match(r.stderr, /omega-verify refused to load /, r.stderr);
  for (const id of notRan) assert.ok(!r.ran.includes(id), `${id} ran: ${r.ran}`);
}

const CJS = ['--require', REGISTER_CJS, 'app.js'];
const ESM = ['--import', REGISTER_ESM, 'app.mjs'];

// N1 ---------------------------------------------------------------------------------------

test('N1: node_modules/<pkg> replaced by a link to a folder elsewhere is refused (CommonJS and ESM)', () => {
  for (const mode of MODES) {
    for (const args of [CJS, ESM]) {
      // A faithful copy of alpha outside the project, and an evil one: both refused.
      for (const evil of [false, true]) {
        const p = app();
        const elsewhere = path.join(tmpdir(), 'alpha');
        fs.cpSync(nm(p, 'alpha'), elsewhere, { recursive: true });
        if (evil) fs.writeFileSync(path.join(elsewhere, 'index.js'), EVIL);
        fs.rmSync(nm(p, 'alpha'), { recursive: true });
        fs.symlinkSync(elsewhere, nm(p, 'alpha'));
        refused(run(p, args, {}, mode), { code: 'UNSUPPORTED_FILE_TYPE', names: ['alpha', 'symbolic link'] });
      }
    }
  }
});

test('N1: with --preserve-symlinks, a linked package is refused too', () => {
  const p = app();
  const elsewhere = path.join(tmpdir(), 'alpha');
  fs.cpSync(nm(p, 'alpha'), elsewhere, { recursive: true });
  fs.rmSync(nm(p, 'alpha'), { recursive: true });
  fs.symlinkSync(elsewhere, nm(p, 'alpha'));
  for (const mode of MODES) {
    refused(run(p, ['--preserve-symlinks', ...CJS], {}, mode), { code: 'UNSUPPORTED_FILE_TYPE', names: ['alpha', 'symbolic link'], notRan: ['alpha@1.0.0'] });
  }
});

test('N1: node_modules/<pkg> linked to another pinned package is refused', () => {
  for (const args of [CJS, ESM]) {
    const p = app();
    fs.rmSync(nm(p, 'alpha'), { recursive: true });
    fs.symlinkSync(nm(p, 'gamma'), nm(p, 'alpha'));
    refused(run(p, args), { code: 'UNSUPPORTED_FILE_TYPE', names: ['alpha'], notRan: ['gamma'] });
  }
});

test('N1: a link node_modules/<pkg>.js next to the genuine package is refused', () => {
  for (const mode of MODES) {
    const p = app();
    const evil = path.join(tmpdir(), 'evil.js');
    write(evil, EVIL);
    fs.symlinkSync(evil, nm(p, 'alpha.js'));
    refused(run(p, CJS, {}, mode), { code: 'UNSUPPORTED_FILE_TYPE', names: [nm(p, 'alpha.js')] });
    // The same file copied in (no link): outside the package the name stands for.
    fs.rmSync(nm(p, 'alpha.js'));
    fs.copyFileSync(evil, nm(p, 'alpha.js'));
    refused(run(p, CJS, {}, mode), { code: 'UNSAFE_PATH', names: [nm(p, 'alpha.js'), 'outside the package'] });
  }
});

test('N1: files mode: one file of a pinned package replaced by a link is refused', () => {
  for (const target of ['outside', 'inside']) {
    const p = app();
    const util = nm(p, 'alpha', 'lib', 'util.js');
    let to;
    if (target === 'outside') {
      to = path.join(tmpdir(), 'util.js');
      write(to, EVIL);
    } else {
      to = nm(p, 'alpha', 'README.md'); // another verified file of the same package
    }
    fs.rmSync(util);
    fs.symlinkSync(to, util);
    // Both engines open a signed package from its manifest (omega-core's loader::Table) and
    // meet the link when the file loads.
    refused(run(p, CJS, {}, 'files'), { code: 'UNSUPPORTED_FILE_TYPE', names: ['alpha', util] });
  }
  // ESM: delta's entry point replaced by a link to code outside the package.
  const p = app();
  const idx = nm(p, 'delta', 'index.js');
  const to = path.join(tmpdir(), 'index.js');
  write(to, EVIL_ESM);
  fs.rmSync(idx);
  fs.symlinkSync(to, idx);
  const r = run(p, ['--import', REGISTER_ESM, 'delta.mjs'], {}, 'files');
  // Both engines: the resolution leaves the package (the WASM engine no longer reads every
  // file when it opens a signed package in files mode: issue 11, core's rule on both).
  refused(r, { code: 'UNSAFE_PATH', names: ['delta', to] });
});

test('N1: packages from global folders (NODE_PATH, $HOME/.node_modules, $HOME/.node_libraries) are refused', () => {
  const p = app();
  write(path.join(p.root, 'global.js'), "require('globalpkg');\n");
  const home = tmpdir();
  for (const [env, dir] of [
    [{ NODE_PATH: path.join(home, 'np') }, path.join(home, 'np')],
    [{ HOME: home }, path.join(home, '.node_modules')],
    [{ HOME: home }, path.join(home, '.node_libraries')],
  ]) {
    fs.rmSync(path.join(home, 'np'), { recursive: true, force: true });
    fs.rmSync(path.join(home, '.node_modules'), { recursive: true, force: true });
    fs.rmSync(path.join(home, '.node_libraries'), { recursive: true, force: true });
    write(path.join(dir, 'globalpkg', 'index.js'), EVIL);
    for (const mode of MODES) {
      refused(run(p, ['--require', REGISTER_CJS, 'global.js'], env, mode), {
        code: 'NOT_FOUND', names: [path.join(fs.realpathSync(dir), 'globalpkg', 'index.js'), 'outside the project'],
      });
    }
  }
});

test('N1: a package whose main steers out of it is refused even when the package verifies', () => {
  const p = project();
  const dir = nm(p, 'steer');
  write(path.join(dir, 'package.json'), JSON.stringify({ name: 'steer', version: '1.0.0', main: '../gamma/index.js' }));
  omega('lock', p.root); // pinned as it is: it verifies
  write(path.join(p.root, 'steer.js'), "require('steer');\n");
  for (const mode of MODES) {
    refused(run(p, ['--require', REGISTER_CJS, 'steer.js'], {}, mode), { code: 'UNSAFE_PATH', names: ['steer', 'outside the package'], notRan: ['gamma'] });
  }
});

test('N1: the pinned packages still load, and app files may link among themselves', () => {
  const p = app();
  fs.mkdirSync(path.join(p.root, 'src'));
  write(path.join(p.root, 'src', 'real.js'), "module.exports = require('alpha').version;\n");
  fs.symlinkSync(path.join(p.root, 'src', 'real.js'), path.join(p.root, 'linked.js'));
  write(path.join(p.root, 'main.js'), "console.log(require('./linked.js'));\n");
  for (const mode of MODES) {
    const r = run(p, ['--require', REGISTER_CJS, 'main.js'], {}, mode);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '1.0.0\n');
    for (const args of [CJS, ESM]) {
      const a = run(p, args, {}, mode);
      assert.equal(a.status, 0, a.stderr);
      assert.equal(a.stdout, '1.0.0\n');
    }
  }
});

// N2 ---------------------------------------------------------------------------------------

test('N2: a file changed after its package was checked never loads (tree and files mode, CommonJS)', () => {
  for (const mode of MODES) {
    const p = app();
    const util = nm(p, 'alpha', 'lib', 'util.js');
    write(path.join(p.root, 'swap.js'), `const fs = require('node:fs');
require('alpha/package.json'); // the package is checked here
fs.writeFileSync(${JSON.stringify(util)}, ${JSON.stringify(EVIL)});
require('alpha');
`);
    refused(run(p, ['--require', REGISTER_CJS, 'swap.js'], {}, mode), { code: 'FILE_CHANGED', names: ['alpha', util] });
  }
});

test('N2: an ES module changed after its package was checked and loaded never loads again', () => {
  for (const mode of MODES) {
    const p = app();
    const idx = nm(p, 'delta', 'index.js');
    write(path.join(p.root, 'swap.mjs'), `import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
await import('delta'); // the package is checked and its entry point runs
fs.writeFileSync(${JSON.stringify(idx)}, ${JSON.stringify(EVIL_ESM)});
await import(pathToFileURL(${JSON.stringify(idx)}).href + '?again');
`);
    const r = run(p, ['--import', REGISTER_ESM, 'swap.mjs'], {}, mode);
    refused(r, { code: 'FILE_CHANGED', names: ['delta', idx] });
    assert.ok(r.ran.includes('delta'), 'the genuine delta ran first');
  }
});

test('N2: CommonJS imported from an ES module compiles the verified bytes too', () => {
  for (const mode of MODES) {
    const p = app();
    const util = nm(p, 'alpha', 'lib', 'util.js');
    write(path.join(p.root, 'swap.mjs'), `import fs from 'node:fs';
import { createRequire } from 'node:module';
createRequire(import.meta.url).resolve('alpha'); // the package is checked here
fs.writeFileSync(${JSON.stringify(util)}, ${JSON.stringify(EVIL)});
await import('alpha');
`);
    refused(run(p, ['--import', REGISTER_ESM, 'swap.mjs'], {}, mode), { code: 'FILE_CHANGED', names: ['alpha', 'lib/util.js'] });
  }
});

test('N2: Ω after require.cache is cleared loads no changed file', () => {
  const p = project();
  const idx = nm(p, 'alpha', 'index.js');
  write(path.join(p.root, 'again.js'), `const fs = require('node:fs');
const Ω = require(${JSON.stringify(PKG_DIR)});
const digest = ${JSON.stringify(p.digests.alpha)};
console.log(Ω.sync('alpha', digest).version);
for (const k of Object.keys(require.cache)) if (k.includes('node_modules')) delete require.cache[k];
fs.writeFileSync(${JSON.stringify(idx)}, ${JSON.stringify(EVIL)});
Ω('alpha', digest).then(() => console.log('loaded'), (e) => { console.log(e.code, e.message); process.exitCode = 3; });
`);
  const r = runNode(p.root, ['again.js']);
  assert.equal(r.status, 3, r.stderr + r.stdout);
  assert.match(r.stdout, /^1\.0\.0\nFILE_CHANGED FILE_CHANGED: alpha: file "index\.js" has changed contents/);
  assert.ok(!r.ran.includes('evil'), r.ran);
});

// N3 ---------------------------------------------------------------------------------------

test('N3: require.resolve and import.meta.resolve check the package of the resolved file', () => {
  for (const mode of MODES) {
    const p = app();
    const tool = nm(p, 'alpha', 'bin', 'alpha');
    fs.writeFileSync(tool, '#!/bin/sh\necho evil\n');
    write(path.join(p.root, 'tool.js'), "console.log(require.resolve('alpha/bin/alpha'));\n");
    write(path.join(p.root, 'tool.mjs'), "console.log(import.meta.resolve('alpha/bin/alpha'));\n");
    refused(run(p, ['--require', REGISTER_CJS, 'tool.js'], {}, mode), { code: 'FILE_CHANGED', names: ['alpha', tool] });
    refused(run(p, ['--import', REGISTER_ESM, 'tool.mjs'], {}, mode), { code: 'FILE_CHANGED', names: ['alpha', tool] });
    // Untampered, the path comes back.
    fs.writeFileSync(tool, '#!/bin/sh\necho alpha\n');
    const ok = run(p, ['--require', REGISTER_CJS, 'tool.js'], {}, mode);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, `${tool}\n`);
  }
});

test('N3: a .node addon of an unpinned or tampered package never reaches dlopen', () => {
  const p = app();
  // A real addon (omega-verify's own) in an unpinned package, and in a pinned one after locking.
  write(path.join(p.root, 'addon.js'), "require('stray/addon.node');\n");
  fs.copyFileSync(path.join(PKG_DIR, 'omega.node'), nm(p, 'stray', 'addon.node'));
  refused(run(p, ['--require', REGISTER_CJS, 'addon.js']), { code: 'NOT_FOUND', names: ['stray'] });
  omega('lock', p.root);
  const ok = run(p, ['--require', REGISTER_CJS, 'addon.js']);
  assert.equal(ok.status, 0, ok.stderr);
  fs.appendFileSync(nm(p, 'stray', 'addon.node'), 'x');
  for (const mode of MODES) {
    // stray is unsigned: pinned by its digest alone.
    refused(run(p, ['--require', REGISTER_CJS, 'addon.js'], {}, mode), { code: 'DIGEST_MISMATCH', names: ['stray', 'addon.node'] });
  }
});

// N4 ---------------------------------------------------------------------------------------

test('N4: files under a package\'s .omega/ folder do not load', () => {
  const p = app();
  write(path.join(p.root, 'meta.js'), "require('alpha/.omega/manifest.json');\n");
  write(path.join(p.root, 'meta.mjs'), "await import('alpha/.omega/manifest.json', { with: { type: 'json' } });\n");
  for (const mode of MODES) {
    refused(run(p, ['--require', REGISTER_CJS, 'meta.js'], {}, mode), { code: 'FILE_EXTRA', names: ['alpha', '.omega/'] });
    refused(run(p, ['--import', REGISTER_ESM, 'meta.mjs'], {}, mode), { code: 'FILE_EXTRA', names: ['alpha', '.omega/'] });
  }
});

// N5 ---------------------------------------------------------------------------------------

/** The project with a copy of omega-verify in node_modules/omega-verify. */
function withOwnCopy(pin) {
  const p = app();
  const own = nm(p, 'omega-verify');
  for (const f of ['package.json', 'index.js', 'index.mjs', 'register.js', 'register.mjs', 'omega.node', 'lib']) {
    fs.cpSync(path.join(PKG_DIR, f), path.join(own, f), { recursive: true });
  }
  fs.cpSync(path.join(REPO, 'bindings', 'wasm', 'pkg-node'), path.join(own, 'wasm'), { recursive: true });
  if (pin) omega('lock', p.root);
  return { p, own, args: ['--require', './node_modules/omega-verify/register.js', 'app.js'] };
}

test('N5: a copy of omega-verify inside node_modules starts only when it verifies against the lock', () => {
  const { p, own, args } = withOwnCopy(true);
  const ok = run(p, args);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, '1.0.0\n');
  // Tampered (a changed hook file; the copy is unsigned, pinned by its digest): refused
  // before the app runs, with --require and --import.
  fs.appendFileSync(path.join(own, 'lib', 'resolve.js'), '\n// changed\n');
  refused(run(p, args), { code: 'DIGEST_MISMATCH', names: ['omega-verify', own], notRan: ['app', 'alpha@1.0.0'] });
  const esm = run(p, ['--import', './node_modules/omega-verify/register.mjs', 'app.mjs']);
  refused(esm, { code: 'DIGEST_MISMATCH', names: ['omega-verify'], notRan: ['app'] });
});

test('N5: an unpinned copy of omega-verify inside node_modules refuses to start', () => {
  const { p, args } = withOwnCopy(false);
  const r = run(p, args, { OMEGA_UNPINNED: 'warn' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /NOT_FOUND: omega-verify itself .* lies in the node_modules tree it guards/);
  assert.ok(!r.ran.includes('app'));
});

test('N5: the native addon\'s platform package inside node_modules is held to the same rule (docs/dist.md)', () => {
  const { p, own, args } = withOwnCopy(false);
  // The layout npm installs: the addon in its own platform package, none in omega-verify.
  const name = `linux-${process.arch}-gnu`;
  const platform = nm(p, `omega-verify-${name}`);
  fs.mkdirSync(platform, { recursive: true });
  fs.renameSync(path.join(own, 'omega.node'), path.join(platform, `omega.${name}.node`));
  const version = JSON.parse(fs.readFileSync(path.join(own, 'package.json'), 'utf8')).version;
  fs.writeFileSync(path.join(platform, 'package.json'), JSON.stringify({ name: `omega-verify-${name}`, version }) + '\n');
  const env = { OMEGA_ENGINE: 'native' };
  omega('lock', p.root);
  const ok = run(p, args, env);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, '1.0.0\n');
  // A changed platform package (its addon is native code): refused before the app runs.
  const pj = path.join(platform, 'package.json');
  fs.writeFileSync(pj, JSON.stringify({ name: `omega-verify-${name}`, version, description: 'changed' }) + '\n');
  refused(run(p, args, env), { code: 'DIGEST_MISMATCH', names: [`omega-verify-${name}`], notRan: ['app', 'alpha@1.0.0'] });
  // Not pinned at all: refused too, naming the addon.
  const lock = JSON.parse(fs.readFileSync(path.join(p.root, 'omega.lock'), 'utf8'));
  delete lock.packages[`omega-verify-${name}`];
  fs.writeFileSync(path.join(p.root, 'omega.lock'), JSON.stringify(lock, null, 2));
  const r = run(p, args, { ...env, OMEGA_UNPINNED: 'warn' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /NOT_FOUND: omega-verify's native addon .* lies in the node_modules tree it guards/);
  assert.ok(!r.ran.includes('app'));
});

// N6 ---------------------------------------------------------------------------------------

/** A lock planted in node_modules that pins a tampered alpha (paths relative to node_modules). */
function plantLock(p) {
  fs.writeFileSync(nm(p, 'alpha', 'index.js'), EVIL);
  const tampered = Ω.digestDirSync(nm(p, 'alpha'), { installed: true });
  const entry = { ...p.lock.packages.alpha, tree: tampered, keys: null, signed_by: [], path: 'alpha' };
  delete entry.keys;
  const planted = nm(p, 'omega.lock');
  fs.writeFileSync(planted, JSON.stringify({ 'omega-lock': 1, packages: { alpha: entry } }, null, 2));
  return planted;
}

test('N6: a planted node_modules/omega.lock does not steer Ω(name, null, {lock: true}) from a library', () => {
  const p = project();
  const planted = plantLock(p);
  // A library (a file in node_modules) loads alpha by the project's lock.
  write(nm(p, 'lib-caller.js'), `const Ω = require(${JSON.stringify(PKG_DIR)});
Ω('alpha', null, { lock: true }).then((a) => console.log(a.version), (e) => { console.log(e.code); process.exitCode = 3; });
`);
  const r = runNode(p.root, [nm(p, 'lib-caller.js')]);
  assert.equal(r.status, 3, r.stdout + r.stderr);
  assert.equal(r.stdout, 'FILE_CHANGED\n', 'the tampered package is checked against the app root\'s lock');
  assert.ok(!r.ran.includes('evil'));
  // Named explicitly (an option or OMEGA_LOCK), a lock inside node_modules is refused too.
  write(path.join(p.root, 'explicit.js'), `const Ω = require(${JSON.stringify(PKG_DIR)});
try { Ω.sync('alpha', null, { lock: ${JSON.stringify(planted)} }); } catch (e) { console.log(e.code, e.message); }
try { Ω.sync('alpha', null, { lock: true }); } catch (e) { console.log(e.code); }
`);
  const e = runNode(p.root, ['explicit.js'], { OMEGA_LOCK: planted });
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /^UNSAFE_PATH UNSAFE_PATH: .*node_modules\/omega\.lock: a lock file inside node_modules is refused/);
  assert.match(e.stdout, /\nUNSAFE_PATH\n$/);
  assert.ok(!e.ran.includes('evil'));
});

test('N6: the register hook refuses a lock inside node_modules', () => {
  const p = app();
  const planted = plantLock(p);
  refused(run(p, CJS, { OMEGA_LOCK: planted }), { code: 'UNSAFE_PATH', names: [planted], notRan: ['evil', 'app'], load: false });
  // Started from inside node_modules, the search skips the planted lock and finds the app's.
  const r = runNode(nm(p), ['--require', REGISTER_CJS, path.join(p.root, 'app.js')]);
  refused(r, { code: 'FILE_CHANGED', names: ['alpha'], notRan: ['evil'] });
});

// N7, N8 -----------------------------------------------------------------------------------

test('N7: a file name starting with U+FEFF digests as omega-core reads it (both engines)', () => {
  const dir = tmpdir();
  write(path.join(dir, '\uFEFFbom.js'), 'bom\n');
  write(path.join(dir, 'plain.js'), 'plain\n');
  const want = omega('digest', dir).trim();
  assert.equal(Ω.digestDirSync(dir), want);
  const d = Ω.checkPackageSync(dir, { digest: want });
  assert.equal(d.ok, true);
});

test('N8: the WASM engine\'s walk compares a file\'s size with the listing before reading it', () => {
  const walk = require('../lib/walk.js');
  const dir = tmpdir();
  const f = path.join(dir, 'big.js');
  write(f, 'x'.repeat(1000));
  assert.deepEqual(walk.readListedSync(f, 'big.js', 10), { size: 1000 }, 'a size mismatch reads nothing');
  const got = walk.readListedSync(f, 'big.js', 1000);
  assert.equal(got.data.length, 1000);
  assert.equal(got.executable, false);
});

test('N8: a file that grew after its package was opened is refused when it loads (files mode)', () => {
  const p = app();
  const util = nm(p, 'alpha', 'lib', 'util.js');
  write(path.join(p.root, 'grow.js'), `const fs = require('node:fs');
require('alpha/package.json');
fs.appendFileSync(${JSON.stringify(util)}, '/'.repeat(4 << 20));
require('alpha');
`);
  refused(run(p, ['--require', REGISTER_CJS, 'grow.js'], {}, 'files'), { code: 'FILE_CHANGED', names: ['alpha', 'lib/util.js'] });
});

// N9 ---------------------------------------------------------------------------------------

test('N9: a dependency that matches the lock but not its dependent\'s signed pin is refused', () => {
  const p = app();
  // Two signed packages that require alpha: one pins alpha's real digest, one another digest
  // (as if alpha had been swapped for another release, and the lock re-made to match it).
  for (const [name, pin] of [['honest', p.digests.alpha], ['pinned-elsewhere', p.digests.gamma]]) {
    const dir = nm(p, name);
    write(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
    write(path.join(dir, 'index.js'), "module.exports = require('alpha').version;\n");
    omega('pack', dir, '--name', name, '--version', '1.0.0', '--sequence', '1', '-s', p.key, '--dep', `alpha=${pin}`);
  }
  omega('lock', p.root);
  write(path.join(p.root, 'honest.js'), "console.log(require('honest'));\n");
  write(path.join(p.root, 'other.js'), "console.log(require('pinned-elsewhere'));\n");
  write(path.join(p.root, 'other.mjs'), "const { default: v } = await import('pinned-elsewhere');\nconsole.log(v);\n");
  for (const mode of MODES) {
    const ok = run(p, ['--require', REGISTER_CJS, 'honest.js'], {}, mode);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, '1.0.0\n');
    for (const args of [['--require', REGISTER_CJS, 'other.js'], ['--import', REGISTER_ESM, 'other.mjs']]) {
      refused(run(p, args, {}, mode), {
        code: 'DIGEST_MISMATCH', names: ["pinned-elsewhere's signed manifest pins its dependency alpha"], notRan: ['alpha@1.0.0'],
      });
    }
  }
});

// N10: "#imports" specifiers ---------------------------------------------------------------

/** Packages (not pinned yet) whose package.json maps `#…` names: [name, type, imports, index.js]. */
function importsPackages(p, list) {
  for (const [name, type, imports, index, deps] of list) {
    const dir = nm(p, name);
    write(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type, main: 'index.js', imports }));
    write(path.join(dir, 'index.js'), index);
    if (type === 'module' && !index.includes('util')) write(path.join(dir, 'util.js'), "export default 'genuine util';\n");
    if (type === 'commonjs' && !index.includes('util')) write(path.join(dir, 'util.js'), "module.exports = 'genuine util';\n");
    const args = ['pack', dir, '--name', name, '--version', '1.0.0', '--sequence', '1', '-s', p.key];
    if (deps) args.push('--dep', deps);
    omega(...args);
  }
  omega('lock', p.root);
}

test('N10: a package\'s own "#imports" file replaced by a link to another pinned package\'s file is refused (CommonJS and ESM)', () => {
  const p = app();
  for (const [name, type] of [['esmint', 'module'], ['cjsint', 'commonjs']]) {
    const dir = nm(p, name);
    write(path.join(dir, 'util.js'), type === 'module' ? "export default 'genuine util';\n" : "module.exports = 'genuine util';\n");
  }
  importsPackages(p, [
    ['esmint', 'module', { '#util': './util.js' }, "import u from '#util';\nexport default u;\n"],
    ['cjsint', 'commonjs', { '#util': './util.js' }, "module.exports = require('#util');\n"],
  ]);
  write(path.join(p.root, 'int.mjs'), "const { default: v } = await import('esmint');\nconsole.log(v);\n");
  write(path.join(p.root, 'int.js'), "console.log(require('cjsint'));\n");
  const runs = [['--import', REGISTER_ESM, 'int.mjs'], ['--require', REGISTER_CJS, 'int.js']];
  for (const mode of MODES) {
    for (const args of runs) {
      const ok = run(p, args, {}, mode);
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(ok.stdout, 'genuine util\n');
    }
  }
  fs.unlinkSync(nm(p, 'esmint', 'util.js'));
  fs.symlinkSync('../delta/index.js', nm(p, 'esmint', 'util.js'));
  fs.unlinkSync(nm(p, 'cjsint', 'util.js'));
  fs.symlinkSync('../gamma/index.js', nm(p, 'cjsint', 'util.js'));
  for (const mode of MODES) {
    refused(run(p, runs[0], {}, mode), { code: 'UNSUPPORTED_FILE_TYPE', names: ['esmint', 'util.js'], notRan: ['delta'] });
    refused(run(p, runs[1], {}, mode), { code: 'UNSUPPORTED_FILE_TYPE', names: ['cjsint', 'util.js'], notRan: ['gamma'] });
  }
});

test('N10: node_modules/<dep> reached through "#imports" and replaced by a link is refused (CommonJS and ESM)', () => {
  const p = app();
  importsPackages(p, [
    ['esmuser', 'module', { '#dep': 'alpha' }, "import a from '#dep';\nexport default a.version;\n"],
    ['cjsuser', 'commonjs', { '#dep': { node: 'alpha', default: './util.js' } }, "module.exports = require('#dep').version;\n"],
  ]);
  write(path.join(p.root, 'dep.mjs'), "const { default: v } = await import('esmuser');\nconsole.log(v);\n");
  write(path.join(p.root, 'dep.js'), "console.log(require('cjsuser'));\n");
  const runs = [['--import', REGISTER_ESM, 'dep.mjs'], ['--require', REGISTER_CJS, 'dep.js']];
  for (const args of runs) {
    const ok = run(p, args);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, '1.0.0\n');
  }
  fs.renameSync(nm(p, 'alpha'), path.join(p.root, 'alpha.orig'));
  for (const [target, victim] of [['gamma', 'gamma'], [path.join('@scope', 'beta', 'node_modules', 'alpha'), 'alpha@2.0.0']]) {
    fs.rmSync(nm(p, 'alpha'), { force: true });
    fs.symlinkSync(target, nm(p, 'alpha'));
    for (const mode of MODES) {
      for (const args of runs) {
        refused(run(p, args, {}, mode), { code: 'UNSUPPORTED_FILE_TYPE', names: ['package alpha', 'symbolic link', '"#dep"'], notRan: [victim] });
      }
    }
  }
});

test('N10: a signed package reaching its dependency through "#imports" is held to its signed dependency pin (N9)', () => {
  const p = app();
  importsPackages(p, [
    ['viaimports', 'commonjs', { '#alpha': 'alpha' }, "module.exports = require('#alpha').version;\n", `alpha=${p.digests.gamma}`],
    ['esmimports', 'module', { '#alpha': 'alpha' }, "import a from '#alpha';\nexport default a.version;\n", `alpha=${p.digests.gamma}`],
    ['honestimports', 'module', { '#alpha': 'alpha' }, "import a from '#alpha';\nexport default a.version;\n", `alpha=${p.digests.alpha}`],
  ]);
  write(path.join(p.root, 'imp.js'), "console.log(require('viaimports'));\n");
  write(path.join(p.root, 'imp.mjs'), "const { default: v } = await import('esmimports');\nconsole.log(v);\n");
  write(path.join(p.root, 'honest.mjs'), "const { default: v } = await import('honestimports');\nconsole.log(v);\n");
  for (const mode of MODES) {
    const ok = run(p, ['--import', REGISTER_ESM, 'honest.mjs'], {}, mode);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, '1.0.0\n');
    for (const [name, args] of [['viaimports', ['--require', REGISTER_CJS, 'imp.js']], ['esmimports', ['--import', REGISTER_ESM, 'imp.mjs']]]) {
      refused(run(p, args, {}, mode), {
        code: 'DIGEST_MISMATCH', names: [`${name}'s signed manifest pins its dependency alpha`], notRan: ['alpha@1.0.0'],
      });
    }
  }
});

test('N10: "#imports" patterns and conditions still load; the app\'s own "#imports" to a linked package is refused (ESM and CommonJS)', () => {
  const p = app();
  const dir = nm(p, 'pat');
  write(path.join(dir, 'lib', 'a.js'), "export default 'a';\n");
  write(path.join(dir, 'lib', 'sub', 'b.js'), "export default 'b';\n");
  write(path.join(dir, 'lib', 'b.js'), "export default 'bb';\n");
  importsPackages(p, [
    ['pat', 'module', { '#lib/*': './lib/*.js', '#cond': { import: './lib/a.js', require: './lib/b.js' }, '#g': { node: 'gamma' } },
      "import a from '#lib/a';\nimport b from '#lib/sub/b';\nimport c from '#cond';\nimport g from '#g';\nexport default [a, b, c, g].join(',');\n"],
  ]);
  write(path.join(p.root, 'package.json'), JSON.stringify({ name: 'fixture-app', private: true, imports: { '#a': 'alpha' } }));
  write(path.join(p.root, 'pat.mjs'), "const { default: v } = await import('pat');\nconsole.log(v);\n");
  write(path.join(p.root, 'own.mjs'), "import a from '#a';\nconsole.log(a.version);\n");
  write(path.join(p.root, 'own.js'), "console.log(require('#a').version);\n");
  const runs = [['--import', REGISTER_ESM, 'own.mjs'], ['--require', REGISTER_CJS, 'own.js']];
  for (const mode of MODES) {
    const ok = run(p, ['--import', REGISTER_ESM, 'pat.mjs'], {}, mode);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, 'a,b,a,gamma\n');
    for (const args of runs) {
      const own = run(p, args, {}, mode);
      assert.equal(own.status, 0, own.stderr);
      assert.equal(own.stdout, '1.0.0\n');
    }
  }
  fs.renameSync(nm(p, 'alpha'), path.join(p.root, 'alpha.orig'));
  fs.symlinkSync('gamma', nm(p, 'alpha'));
  for (const mode of MODES) {
    for (const args of runs) {
      refused(run(p, args, {}, mode), { code: 'UNSUPPORTED_FILE_TYPE', names: ['package alpha', 'symbolic link'], notRan: ['gamma'] });
    }
  }
});

// N11: Ω(name, null, {lock: true}) and links ---------------------------------------------

test('N11: Ω(name, null, {lock: true}) refuses node_modules/<name> linked to another pinned package', () => {
  const p = project();
  fs.renameSync(nm(p, 'alpha'), path.join(p.root, 'alpha.orig'));
  fs.symlinkSync('gamma', nm(p, 'alpha'));
  write(path.join(p.root, 'api.js'), `
const Ω = require(${JSON.stringify(PKG_DIR)});
try { console.log('sync', JSON.stringify(Ω.sync('alpha', null, { lock: true }))); } catch (e) { console.log('sync refused', e.code, e.message); }
Ω('alpha', null, { lock: true }).then((v) => console.log('async', JSON.stringify(v)), (e) => console.log('async refused', e.code));
`);
  const r = runNode(p.root, ['api.js']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^sync refused UNSUPPORTED_FILE_TYPE .*package alpha: .*node_modules\/alpha is or passes through a symbolic link/m, r.stdout);
  assert.match(r.stdout, /^async refused UNSUPPORTED_FILE_TYPE$/m, r.stdout);
  assert.deepEqual(r.ran, []);
  // A lock entry of another name at alpha's folder: core refuses such a lock outright (an
  // entry's path is an install folder of its own name: threat model RR1), so the loader never
  // matches gamma's entry to alpha's folder.
  fs.rmSync(nm(p, 'alpha'));
  fs.renameSync(path.join(p.root, 'alpha.orig'), nm(p, 'alpha'));
  const lockFile = path.join(p.root, 'omega.lock');
  const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
  lock.packages.gamma = { ...lock.packages.alpha, path: 'node_modules/alpha' };
  delete lock.packages.alpha;
  fs.writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
  const named = runNode(p.root, ['api.js']);
  assert.match(named.stdout, /^sync refused MALFORMED .*package gamma: path "node_modules\/alpha" is not an install folder of it/m, named.stdout);
  assert.match(named.stdout, /^async refused MALFORMED$/m, named.stdout);
  assert.deepEqual(named.ran, []);
});

// N12: a FIFO package.json -----------------------------------------------------------------

test('N12: a FIFO as a package\'s package.json is refused, and the process does not hang (CommonJS and ESM)', () => {
  const p = app();
  const foo = nm(p, 'foo');
  write(path.join(foo, 'package.json'), JSON.stringify({ name: 'foo', version: '1.0.0' }));
  write(path.join(foo, 'index.js'), "require('node:fs').appendFileSync(process.env.OMEGA_TEST_MARKER, 'foo\\n');\nmodule.exports = 1;\n");
  omega('lock', p.root);
  fs.rmSync(path.join(foo, 'package.json'));
  require('node:child_process').execFileSync('mkfifo', [path.join(foo, 'package.json')]);
  write(path.join(p.root, 'fifo.js'), "require('foo');\n");
  write(path.join(p.root, 'fifo.mjs'), "await import('foo');\n");
  const { spawnSync } = require('node:child_process');
  for (const mode of MODES) {
    for (const args of [['--require', REGISTER_CJS, 'fifo.js'], ['--import', REGISTER_ESM, 'fifo.mjs']]) {
      const marker = path.join(tmpdir('omega-marker-'), 'ran');
      fs.writeFileSync(marker, '');
      const r = spawnSync(process.execPath, args, {
        cwd: p.root, encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL', env: { ...process.env, OMEGA_VERIFY: mode, OMEGA_TEST_MARKER: marker },
      });
      assert.equal(r.signal, null, `the process hung (killed after 20 s): ${args.join(' ')} ${mode}`);
      refused({ ...r, ran: fs.readFileSync(marker, 'utf8').split('\n').filter(Boolean) }, {
        code: 'UNSUPPORTED_FILE_TYPE', names: ['foo', 'package.json'], notRan: ['foo'],
      });
    }
  }
});

// N13: empty folders with unsafe names ----------------------------------------------------

const UNSAFE_FOLDERS = ['a\\b', 'x\x01y', 'x\x1fy', 'x\x7fy', 'ok\nno', path.join('lib', 'c\\d')];

test('N13: both engines refuse an empty folder with an unsafe name alike (omega-core\'s validate_path)', () => {
  const native = require('../lib/native.js');
  const wasm = require('../lib/wasm.js');
  const p = project();
  const pins = { digest: p.digests.alpha };
  for (const name of UNSAFE_FOLDERS) {
    const dir = path.join(tmpdir(), 'alpha');
    fs.cpSync(nm(p, 'alpha'), dir, { recursive: true });
    fs.mkdirSync(path.join(dir, name), { recursive: true });
    const verdicts = [native, wasm].map((engine) => {
      try {
        engine.checkDirSync(dir, pins, { installed: true, label: 'alpha' });
        return 'accepted';
      } catch (e) {
        return `${e.code}: ${e.message}`;
      }
    });
    assert.match(verdicts[0], /^UNSAFE_PATH: /, `${JSON.stringify(name)}: ${verdicts[0]}`);
    assert.equal(verdicts[1], verdicts[0], `${JSON.stringify(name)}: the engines disagree`);
  }
  // Performed through the loader, on each engine: the same refusal.
  fs.mkdirSync(nm(p, 'alpha', 'a\\b'));
  fs.mkdirSync(nm(p, 'gamma', 'x\x01y'));
  write(path.join(p.root, 'empty.js'), "console.log(require('alpha').name, require('gamma'));\n");
  const out = ['native', 'wasm'].map((engine) => {
    const r = run(p, ['--require', REGISTER_CJS, 'empty.js'], { OMEGA_ENGINE: engine });
    refused(r, { code: 'UNSAFE_PATH', names: ['alpha', 'a\\\\b', 'backslash'], notRan: ['alpha@1.0.0', 'gamma'] });
    return r.stderr.split('\n').find((l) => l.includes('UNSAFE_PATH'));
  });
  assert.equal(out[1], out[0]);
});

test('engine under test', () => {
  assert.ok(['native', 'wasm'].includes(ENGINE));
});
