'use strict';
// Engine choice: the native addon by default; the WASM build when the addon cannot load (here:
// a copy of the package without omega.node) or when OMEGA_ENGINE=wasm; OMEGA_ENGINE=native
// makes a missing addon an error. Both engines give the same digests and reports.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { PKG_DIR, REPO, tmpdir, project } = require('./helpers.js');

/** A copy of the package without the native addon, next to a link to the WASM build. */
function withoutAddon() {
  const root = tmpdir('omega-noaddon-');
  const pkg = path.join(root, 'bindings', 'node');
  fs.mkdirSync(pkg, { recursive: true });
  for (const f of ['index.js', 'index.mjs', 'register.js', 'register.mjs', 'package.json', 'lib']) {
    fs.cpSync(path.join(PKG_DIR, f), path.join(pkg, f), { recursive: true });
  }
  fs.symlinkSync(path.join(REPO, 'bindings', 'wasm'), path.join(root, 'bindings', 'wasm'));
  return pkg;
}

function node(code, env) {
  const e = { ...process.env, ...env };
  if (env.OMEGA_ENGINE === undefined) delete e.OMEGA_ENGINE;
  return spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: e });
}

test('without the addon, the WASM engine takes over', () => {
  const pkg = withoutAddon();
  const p = project();
  const dir = path.join(p.root, 'node_modules', 'alpha');
  const r = node(`const Ω = require(${JSON.stringify(pkg)}); console.log(Ω.engine, Ω.digestDirSync(${JSON.stringify(dir)}))`, { OMEGA_ENGINE: undefined });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `wasm ${p.digests.alpha}\n`);
  const strict = node(`require(${JSON.stringify(pkg)})`, { OMEGA_ENGINE: 'native' });
  assert.notEqual(strict.status, 0);
  assert.match(strict.stderr, /omega\.node/);
});

test('OMEGA_ENGINE selects the engine; both agree', () => {
  const p = project();
  const dir = path.join(p.root, 'node_modules', '@scope', 'beta');
  const code = `const Ω = require(${JSON.stringify(PKG_DIR)});
Ω.checkPackage(${JSON.stringify(dir)}, { digest: ${JSON.stringify(p.digests.beta)}, keys: ${JSON.stringify(p.pub)}, installed: true })
  .then((r) => console.log(JSON.stringify([Ω.engine, r])));`;
  const native = JSON.parse(node(code, { OMEGA_ENGINE: 'native' }).stdout);
  const wasm = JSON.parse(node(code, { OMEGA_ENGINE: 'wasm' }).stdout);
  assert.equal(native[0], 'native');
  assert.equal(wasm[0], 'wasm');
  assert.deepEqual(native[1], wasm[1]);
  const bad = node(`require(${JSON.stringify(PKG_DIR)})`, { OMEGA_ENGINE: 'turbo' });
  assert.match(bad.stderr, /OMEGA_ENGINE=turbo: must be native, wasm or auto/);
});

test("core's limits hold on both engines before contents are read: a manifest past 32 MiB is TOO_LARGE", () => {
  const p = project();
  const dir = path.join(p.root, 'node_modules', 'alpha');
  fs.writeFileSync(path.join(dir, '.omega', 'manifest.json'), Buffer.alloc(32 * 1024 * 1024 + 1, 0x20));
  const code = `const Ω = require(${JSON.stringify(PKG_DIR)});
try { Ω.checkPackageSync(${JSON.stringify(dir)}, { digest: ${JSON.stringify(p.digests.alpha)}, installed: true }); console.log('accepted'); }
catch (e) { console.log(e.code); }`;
  for (const engine of ['native', 'wasm']) {
    const r = node(code, { OMEGA_ENGINE: engine });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'TOO_LARGE\n', `${engine}: ${r.stdout}${r.stderr}`);
  }
});
