'use strict';
// Enforcing mode: `node --require omega-verify/register` (CommonJS) and `node --import
// omega-verify/register` (ESM), in both OMEGA_VERIFY modes, run as child processes on the
// fixture project. Every refusal is checked for its code, for naming the package and the file,
// and for the refused package's code never having run.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { PKG_DIR, project, write, runNode, tmpdir, loadOmega } = require('./helpers.js');

// The child processes use the same engine as this one (OMEGA_ENGINE is inherited).
const ENGINE = loadOmega().engine;

const REGISTER_CJS = path.join(PKG_DIR, 'register.js');
const REGISTER_ESM = path.join(PKG_DIR, 'register.mjs');

const APP_CJS = `'use strict';
require('node:fs').appendFileSync(process.env.OMEGA_TEST_MARKER, 'app\\n');
const alpha = require('alpha');
const beta = require('@scope/beta');
const gamma = require('gamma');
console.log(JSON.stringify({ alpha: alpha.version, util: alpha.util, beta: beta.alpha, gamma }));
`;
const APP_ESM = `import { appendFileSync } from 'node:fs';
appendFileSync(process.env.OMEGA_TEST_MARKER, 'app\\n');
const { default: alpha } = await import('alpha');
const { default: beta } = await import('@scope/beta');
const { default: gamma } = await import('gamma');
const { default: delta } = await import('delta');
console.log(JSON.stringify({ alpha: alpha.version, util: alpha.util, beta: beta.alpha, gamma, delta }));
`;

/** The fixture project with the apps written into it. */
function app() {
  const p = project();
  write(path.join(p.root, 'app.js'), APP_CJS);
  write(path.join(p.root, 'app.mjs'), APP_ESM);
  write(path.join(p.root, 'stray.js'), "require('stray');\n");
  write(path.join(p.root, 'extra.js'), "require('alpha');\nrequire('alpha/lib/evil.js');\n");
  return p;
}

const FLAVOURS = [
  { name: 'CommonJS --require', args: ['--require', REGISTER_CJS, 'app.js'] },
  { name: 'ESM --import', args: ['--import', REGISTER_ESM, 'app.mjs'] },
];
const MODES = ['tree', 'files'];

function run(p, args, env = {}, mode = 'tree') {
  return runNode(p.root, args, { OMEGA_VERIFY: mode, ...env });
}

/** Asserts a refusal: exit status 1, the code, the package, the file, and what ran. */
function refused(r, { code, pkg, file, notRan }) {
  assert.equal(r.status, 1, `expected a refusal, got status ${r.status}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`${code}: `), r.stderr);
  if (pkg) assert.ok(r.stderr.includes(pkg), `stderr should name ${pkg}:\n${r.stderr}`);
  if (file) assert.ok(r.stderr.includes(`refused to load ${file}`), `stderr should name ${file}:\n${r.stderr}`);
  for (const id of notRan || []) assert.ok(!r.ran.includes(id), `${id} ran: ${r.ran}`);
}

for (const f of FLAVOURS) {
  for (const mode of MODES) {
    test(`${f.name}, OMEGA_VERIFY=${mode}: pinned packages load`, () => {
      const p = app();
      const r = run(p, f.args, {}, mode);
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.alpha, '1.0.0');
      assert.equal(out.util, 'util of alpha@1.0.0');
      assert.equal(out.beta, '2.0.0', 'the nested alpha of @scope/beta');
      assert.equal(out.gamma, 'gamma');
      assert.ok(r.ran.includes('alpha@2.0.0') && r.ran.includes('@scope/beta'));
      assert.equal(r.stderr, '');
    });

    test(`${f.name}, OMEGA_VERIFY=${mode}: a changed file is refused before the package runs`, () => {
      const p = app();
      const idx = path.join(p.root, 'node_modules', 'alpha', 'index.js');
      fs.appendFileSync(idx, '\n// changed\n');
      refused(run(p, f.args, {}, mode), { code: 'FILE_CHANGED', pkg: 'alpha', file: idx, notRan: ['alpha@1.0.0', '@scope/beta'] });
    });

    test(`${f.name}, OMEGA_VERIFY=${mode}: a wrong pinned digest is refused`, () => {
      const p = app();
      const lockFile = path.join(p.root, 'omega.lock');
      const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
      lock.packages.gamma.tree = `b2tree:${'1'.repeat(64)}`;
      lock.packages.alpha.tree = p.digests.gamma;
      fs.writeFileSync(lockFile, JSON.stringify(lock, null, 2));
      const r = run(p, f.args, {}, mode);
      refused(r, { code: 'DIGEST_MISMATCH', pkg: 'alpha', notRan: ['alpha@1.0.0'] });
    });

    test(`${f.name}, OMEGA_VERIFY=${mode}: a forged signature is refused`, () => {
      const p = app();
      const sig = path.join(p.root, 'node_modules', '@scope', 'beta', '.omega', 'manifest.json.minisig');
      const lines = fs.readFileSync(sig, 'utf8').split('\n');
      lines[2] = 'trusted comment: forged';
      fs.writeFileSync(sig, lines.join('\n'));
      refused(run(p, f.args, {}, mode), { code: 'SIGNATURE_INVALID', pkg: '@scope/beta', notRan: ['@scope/beta'] });
    });

    test(`${f.name}, OMEGA_VERIFY=${mode}: a tampered nested install is refused by its own entry`, () => {
      const p = app();
      const nested = path.join(p.root, 'node_modules', '@scope', 'beta', 'node_modules', 'alpha', 'index.js');
      fs.appendFileSync(nested, '\n// changed\n');
      refused(run(p, f.args, {}, mode), {
        code: 'FILE_CHANGED', pkg: 'node_modules/@scope/beta/node_modules/alpha', file: nested, notRan: ['alpha@2.0.0'],
      });
    });
  }
}

test('tree mode: an extra file and a missing file are refused even when never loaded', () => {
  for (const [code, tamper, file] of [
    ['FILE_EXTRA', (d) => write(path.join(d, 'lib', 'evil.js'), 'evil\n'), 'lib/evil.js'],
    ['FILE_MISSING', (d) => fs.rmSync(path.join(d, 'README.md')), 'README.md'],
  ]) {
    for (const f of FLAVOURS) {
      const p = app();
      tamper(path.join(p.root, 'node_modules', 'alpha'));
      const r = run(p, f.args, {}, 'tree');
      refused(r, { code, pkg: 'alpha', notRan: ['alpha@1.0.0'] });
      assert.ok(r.stderr.includes(JSON.stringify(file)), r.stderr);
    }
  }
});

test('files mode: files are checked as they load (an extra file when loaded; unloaded files are not read)', () => {
  const p = app();
  const dir = path.join(p.root, 'node_modules', 'alpha');
  write(path.join(dir, 'lib', 'evil.js'), "require('node:fs').appendFileSync(process.env.OMEGA_TEST_MARKER, 'evil\\n');\n");
  fs.rmSync(path.join(dir, 'README.md'));
  const unloaded = run(p, ['--require', REGISTER_CJS, 'app.js'], {}, 'files');
  // Both engines (omega-core's loader::Table; the WASM engine used to read every file).
  assert.equal(unloaded.status, 0, 'a signed package opens from its manifest: unloaded files are not read');
  const r = run(p, ['--require', REGISTER_CJS, 'extra.js'], {}, 'files');
  refused(r, { code: 'FILE_EXTRA', pkg: 'alpha', notRan: ['evil'] });
  assert.ok(r.stderr.includes(`refused to load ${path.join(dir, 'lib', 'evil.js')}`), r.stderr);
  assert.ok(r.ran.includes('alpha@1.0.0'), 'alpha itself verified and ran');
});

test('files mode: a changed file deeper in the package is refused when it loads', () => {
  for (const f of FLAVOURS) {
    const p = app();
    const util = path.join(p.root, 'node_modules', 'alpha', 'lib', 'util.js');
    fs.writeFileSync(util, "require('node:fs').appendFileSync(process.env.OMEGA_TEST_MARKER, 'evil\\n');\n");
    const r = run(p, f.args, {}, 'files');
    // native: index.js loads, then util.js is refused; WASM: the whole package at its first file.
    refused(r, { code: 'FILE_CHANGED', pkg: 'alpha', file: ENGINE === 'native' ? util : undefined, notRan: ['evil'] });
  }
});

test('files mode: a file swapped after its package was opened is refused when it loads', () => {
  const p = app();
  const util = path.join(p.root, 'node_modules', 'alpha', 'lib', 'util.js');
  write(path.join(p.root, 'swap.js'), `const fs = require('node:fs');
require('alpha/package.json');
fs.writeFileSync(${JSON.stringify(util)}, "require('node:fs').appendFileSync(process.env.OMEGA_TEST_MARKER, 'evil\\n');\\n");
require('alpha');
`);
  refused(run(p, ['--require', REGISTER_CJS, 'swap.js'], {}, 'files'), { code: 'FILE_CHANGED', pkg: 'alpha', file: util, notRan: ['evil'] });
});

test('a package.json that steers resolution out of its package is checked before the target loads', () => {
  for (const mode of MODES) {
    const p = app();
    const pj = path.join(p.root, 'node_modules', 'alpha', 'package.json');
    fs.writeFileSync(pj, JSON.stringify({ name: 'alpha', version: '1.0.0', main: '../gamma/index.js' }));
    refused(run(p, ['--require', REGISTER_CJS, 'app.js'], {}, mode), { code: 'FILE_CHANGED', pkg: 'alpha', notRan: ['gamma'] });
  }
});

test('an unpinned package is refused; OMEGA_UNPINNED=warn loads it with a warning', () => {
  for (const mode of MODES) {
    const p = app();
    const r = run(p, ['--require', REGISTER_CJS, 'stray.js'], {}, mode);
    refused(r, { code: 'NOT_FOUND', pkg: 'stray', file: path.join(p.root, 'node_modules', 'stray', 'index.js'), notRan: ['stray'] });
    assert.match(r.stderr, /not pinned in .*omega\.lock/);
    const w = run(p, ['--require', REGISTER_CJS, 'stray.js'], { OMEGA_UNPINNED: 'warn' }, mode);
    assert.equal(w.status, 0, w.stderr);
    assert.ok(w.ran.includes('stray'));
    assert.match(w.stderr, /OmegaWarning: omega-verify: package stray .* is not pinned/);
  }
  const p = app();
  write(path.join(p.root, 'stray.mjs'), "import 'stray';\n");
  refused(run(p, ['--import', REGISTER_ESM, 'stray.mjs']), { code: 'NOT_FOUND', pkg: 'stray', notRan: ['stray'] });
});

test('a corrupt lock stops the process before any code runs', () => {
  for (const f of FLAVOURS) {
    const p = app();
    fs.writeFileSync(path.join(p.root, 'omega.lock'), '{"omega-lock": 1, "packages": ');
    const r = run(p, f.args);
    refused(r, { code: 'MALFORMED', pkg: 'omega.lock', notRan: ['app', 'alpha@1.0.0'] });
  }
  // A lock whose pin does not parse: refused by omega-core (at startup or at the first load).
  const p = app();
  const lockFile = path.join(p.root, 'omega.lock');
  fs.writeFileSync(lockFile, fs.readFileSync(lockFile, 'utf8').replace(p.digests.alpha, 'b2tree:not-a-digest'));
  refused(run(p, ['--require', REGISTER_CJS, 'app.js']), { code: 'MALFORMED', notRan: ['alpha@1.0.0'] });
});

test('no lock file: refused at startup; OMEGA_LOCK points to one elsewhere', () => {
  const p = app();
  const elsewhere = tmpdir();
  fs.renameSync(path.join(p.root, 'omega.lock'), path.join(elsewhere, 'omega.lock'));
  const r = run(p, ['--require', REGISTER_CJS, 'app.js']);
  refused(r, { code: 'NOT_FOUND', notRan: ['app'] });
  assert.match(r.stderr, /no omega\.lock in /);
  // A lock file elsewhere pins paths relative to its own directory: point it at the project.
  const moved = path.join(p.root, 'pins.lock');
  fs.renameSync(path.join(elsewhere, 'omega.lock'), moved);
  const ok = run(p, ['--require', REGISTER_CJS, 'app.js'], { OMEGA_LOCK: moved });
  assert.equal(ok.status, 0, ok.stderr);
});

test('the nearest omega.lock above the working directory is used', () => {
  const p = app();
  const sub = path.join(p.root, 'src', 'deep');
  fs.mkdirSync(sub, { recursive: true });
  const r = runNode(sub, ['--require', REGISTER_CJS, path.join(p.root, 'app.js')]);
  assert.equal(r.status, 0, r.stderr);
});

test('bad settings are refused at startup', () => {
  const p = app();
  for (const env of [{ OMEGA_VERIFY: 'some' }, { OMEGA_UNPINNED: 'allow' }, { OMEGA_ENGINE: 'fast' }]) {
    const r = runNode(p.root, ['--require', REGISTER_CJS, 'app.js'], env);
    assert.equal(r.status, 1);
    assert.ok(!r.ran.includes('app'));
    assert.match(r.stderr, /TypeError/);
  }
});

test('Ω under the register hook: both checks pass, the lock check is cached', () => {
  const p = app();
  write(path.join(p.root, 'omega-app.js'), `const Ω = require(${JSON.stringify(PKG_DIR)});
const alpha = Ω.sync('alpha', ${JSON.stringify(p.digests.alpha)});
Ω('@scope/beta', ${JSON.stringify(p.digests.beta)}).then((b) => console.log(alpha.version, b.alpha, Ω.engine));
`);
  const r = run(p, ['--require', REGISTER_CJS, 'omega-app.js']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^1\.0\.0 2\.0\.0 (native|wasm)\n$/);
});
