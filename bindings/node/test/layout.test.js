'use strict';
// The loader's layout checks are omega-core's (layout::Layout), one engine call per resolution
// and per load once the packages involved are open: where a file stands, the package a bare
// name finds, links, then the file compared with its verified table, all in that call. Run in
// this process on the fixture project, with the engine under test (OMEGA_ENGINE), counting the
// engine calls the loader (lib/enforce.js) makes.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { project, write } = require('./helpers.js');

process.env.OMEGA_PREFETCH = '0';
const engine = require('../lib/engine.js');
const { Enforcer } = require('../lib/enforce.js');

/** An Enforcer on a fresh fixture project, and the count of its engine calls by name. */
function enforcer(mode) {
  const p = project();
  const root = fs.realpathSync(p.root);
  const calls = {};
  const counted = new Proxy(engine, {
    get(target, prop) {
      const v = target[prop];
      if (typeof v !== 'function') return v;
      return (...args) => {
        calls[prop] = (calls[prop] || 0) + 1;
        return v.apply(target, args);
      };
    },
  });
  const e = new Enforcer({ mode, unpinned: 'refuse', lock: path.join(root, 'omega.lock'), cwd: root }, counted);
  const reset = () => {
    for (const k of Object.keys(calls)) delete calls[k];
  };
  return { e, root, calls, reset };
}

for (const mode of ['tree', 'files']) {
  test(`${mode} mode: a resolution whose packages are open is one engine call`, () => {
    const { e, root, calls, reset } = enforcer(mode);
    const alpha = path.join(root, 'node_modules', 'alpha', 'index.js');
    e.beforeResolve('alpha', root);
    e.checkResolved('alpha', root, alpha, null);
    assert.ok(calls.openLockedTable >= 1, 'the package was opened');
    reset();
    // Another bare resolution of the same package, from another folder of the app.
    const src = path.join(root, 'src');
    e.checkResolved('alpha', src, alpha, null);
    assert.deepEqual(calls, { layoutResolve: 1 });
    reset();
    // A relative one inside the package.
    e.checkResolved('./lib/util.js', path.dirname(alpha), path.join(root, 'node_modules', 'alpha', 'lib', 'util.js'), null);
    assert.deepEqual(calls, { layoutResolve: 1 });
    reset();
    // Its load: the verified bytes, in the same one call.
    const bytes = e.beforeLoad(alpha);
    assert.deepEqual(calls, { layoutLoad: 1 });
    assert.equal(Buffer.from(bytes).toString('utf8'), fs.readFileSync(alpha, 'utf8'));
    reset();
    // The app's own file: one call, loads as it is.
    assert.equal(e.beforeLoad(path.join(root, 'app.js')), null);
    assert.deepEqual(calls, { layoutLoad: 1 });
  });

  test(`${mode} mode: fail a changed file is refused by the one call, naming the package and the file`, () => {
    const { e, root } = enforcer(mode);
    const util = path.join(root, 'node_modules', 'alpha', 'lib', 'util.js');
    e.beforeResolve('alpha', root);
    e.checkResolved('alpha', root, path.join(root, 'node_modules', 'alpha', 'index.js'), null);
    fs.appendFileSync(util, 'evil();\n');
    assert.throws(() => e.checkResolved('./lib/util.js', path.dirname(util), util, null), (err) => {
      assert.equal(err.code, 'FILE_CHANGED');
      assert.ok(err.message.includes(`refused to load ${util}, the resolution of "./lib/util.js"`), err.message);
      return true;
    });
    assert.throws(() => e.beforeLoad(util), /FILE_CHANGED/);
  });
}

test('where files stand is omega-core\'s answer (layout::Place)', () => {
  const { e, root } = enforcer('files');
  assert.deepEqual(e.place(path.join(root, 'app.js')), { kind: 'app' });
  assert.deepEqual(e.place(path.join(root, 'node_modules', 'x.js')), { kind: 'loose' });
  assert.deepEqual(e.place(path.join(path.dirname(root), 'elsewhere.js')), { kind: 'outside' });
  assert.deepEqual(e.place(path.join(root, 'node_modules', '@scope', 'beta', 'node_modules', 'alpha', 'lib', 'util.js')), {
    kind: 'package',
    pkg: { dir: path.join(root, 'node_modules', '@scope', 'beta', 'node_modules', 'alpha'), name: 'alpha', rel: 'lib/util.js' },
  });
  assert.deepEqual(e.place(path.join(__dirname, 'x.js')), { kind: 'own' });
});

test('fail a bare name that resolves outside its package, and a loose file, are refused', () => {
  const { e, root } = enforcer('files');
  const gamma = path.join(root, 'node_modules', 'gamma', 'index.js');
  e.beforeResolve('alpha', root);
  assert.throws(() => e.checkResolved('alpha', root, gamma, null), (err) => {
    assert.equal(err.code, 'UNSAFE_PATH');
    assert.ok(err.message.includes(`package alpha (${path.join(root, 'node_modules', 'alpha')}): "alpha" resolves to ${gamma}, outside the package`), err.message);
    return true;
  });
  const loose = path.join(root, 'node_modules', 'loose.js');
  write(loose, 'evil();\n');
  assert.throws(() => e.beforeLoad(loose), /NOT_FOUND: .*lies directly in a node_modules folder/);
});
