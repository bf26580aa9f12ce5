'use strict';
// Which hooks enforcing mode uses on this Node, and refusals on every way into a package:
// require(esm), worker threads and child processes started with the same NODE_OPTIONS. The
// suites run on each pinned Node (mk/node.mk NODE_VERSIONS): the expectations below follow
// the version under test, so every version asserts something real.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { PKG_DIR, project, write, runNode } = require('./helpers.js');

const REGISTER_CJS = path.join(PKG_DIR, 'register.js');
const REGISTER_ESM = path.join(PKG_DIR, 'register.mjs');
const [MAJOR, MINOR] = process.versions.node.split('.').map(Number);
/** module.registerHooks: Node >= 22.15 (and 23.5+). */
const SYNC = MAJOR > 23 || (MAJOR === 23 && MINOR >= 5) || (MAJOR === 22 && MINOR >= 15);
/** require(esm) without a flag: Node >= 22.12 (and 20.19). */
const REQUIRE_ESM = MAJOR >= 23 || (MAJOR === 22 && MINOR >= 12) || (MAJOR === 20 && MINOR >= 19);

function refused(r, { code, names, notRan }) {
  assert.notEqual(r.status, 0, `expected a refusal, got status ${r.status}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`${code}: `), r.stderr);
  for (const n of names) assert.ok(r.stderr.includes(n), `stderr should name ${n}:\n${r.stderr}`);
  for (const id of notRan) assert.ok(!r.ran.includes(id), `${id} ran: ${r.ran}`);
}

test(`Node ${process.versions.node}: enforcing mode uses ${SYNC ? 'module.registerHooks' : 'module.register'}`, () => {
  assert.equal(typeof Module.registerHooks === 'function', SYNC, 'the version table above matches this Node');
  const p = project();
  write(path.join(p.root, 'which.js'), `require('alpha');
console.log(JSON.stringify(globalThis[Symbol.for('omega-verify.register')].hooks));\n`);
  write(path.join(p.root, 'which.mjs'), `await import('alpha');
console.log(JSON.stringify(globalThis[Symbol.for('omega-verify.register')].hooks));\n`);
  for (const args of [['--require', REGISTER_CJS, 'which.js'], ['--import', REGISTER_ESM, 'which.mjs']]) {
    const r = runNode(p.root, args);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout), SYNC ? 'registerHooks' : 'register');
  }
});

for (const mode of ['tree', 'files']) {
  test(`OMEGA_VERIFY=${mode}: require(esm) of a changed ES module package is refused before it runs`, () => {
    const p = project();
    const idx = path.join(p.root, 'node_modules', 'delta', 'index.js');
    write(path.join(p.root, 'req-esm.js'), "const d = require('delta');\nconsole.log(JSON.stringify(d.default));\n");
    const ok = runNode(p.root, ['--require', REGISTER_CJS, 'req-esm.js'], { OMEGA_VERIFY: mode });
    if (!REQUIRE_ESM) {
      // This Node cannot require an ES module at all: delta never runs either way.
      assert.notEqual(ok.status, 0);
      assert.match(ok.stderr, /ERR_REQUIRE_ESM/);
      assert.ok(!ok.ran.includes('delta'));
      return;
    }
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout), 'delta');
    assert.ok(ok.ran.includes('delta'));
    fs.appendFileSync(idx, '\n// changed\n');
    refused(runNode(p.root, ['--require', REGISTER_CJS, 'req-esm.js'], { OMEGA_VERIFY: mode }), {
      code: 'FILE_CHANGED', names: ['delta', idx], notRan: ['delta'],
    });
  });

  test(`OMEGA_VERIFY=${mode}: worker threads and child processes with the same NODE_OPTIONS are enforced`, () => {
    const p = project();
    const util = path.join(p.root, 'node_modules', 'alpha', 'lib', 'util.js');
    fs.appendFileSync(util, '\nrequire("node:fs").appendFileSync(process.env.OMEGA_TEST_MARKER, "evil\\n");\n');
    write(path.join(p.root, 'worker.js'), `const { Worker } = require('node:worker_threads');
const w = new Worker("require('alpha')", { eval: true });
w.on('error', (e) => { console.error('worker: ' + e.code + ': ' + e.message); process.exitCode = 3; });
w.on('exit', (c) => { if (c === 0 && !process.exitCode) console.log('worker loaded alpha'); });\n`);
    write(path.join(p.root, 'child.js'), `const { spawnSync } = require('node:child_process');
const r = spawnSync(process.execPath, ['-e', "require('alpha')"], { encoding: 'utf8' });
process.stderr.write(r.stderr);
process.exitCode = r.status === 0 ? 0 : 4;\n`);
    const env = { OMEGA_VERIFY: mode, NODE_OPTIONS: `--require ${REGISTER_CJS}` };
    const w = runNode(p.root, ['worker.js'], env);
    assert.equal(w.status, 3, `the worker must fail to load alpha\n${w.stdout}\n${w.stderr}`);
    // Tree mode refuses alpha as a whole (its index.js never runs); files mode refuses the
    // changed file when index.js requires it.
    const notRan = mode === 'tree' ? ['evil', 'alpha@1.0.0'] : ['evil'];
    refused(w, { code: 'FILE_CHANGED', names: ['alpha', 'lib/util.js'], notRan });
    const c = runNode(p.root, ['child.js'], env);
    assert.equal(c.status, 4, `the child must fail to load alpha\n${c.stdout}\n${c.stderr}`);
    refused(c, { code: 'FILE_CHANGED', names: ['alpha', 'lib/util.js'], notRan });
  });
}
