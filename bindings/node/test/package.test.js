'use strict';
// Packaging: `npm pack` of bindings/node gives a tarball that carries the native addon and the
// WebAssembly fallback, installs into a fresh app with `npm install ./omega-verify-*.tgz`, and
// enforces there (node --require/--import omega-verify/register) on both engines, with the
// Node under test (the suites run on each pinned version, mk/node.mk). The package is staged
// in a temporary copy, so packing never touches the working tree.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { PKG_DIR, REPO, omega, tmpdir, write, runNode } = require('./helpers.js');

const WASM_PKG = path.join(REPO, 'bindings', 'wasm', 'pkg-node');

function npm(cwd, ...args) {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' },
  });
}

/** npm pack of a staged copy of bindings/node (with ../wasm/pkg-node for its prepack step). */
function pack() {
  for (const need of [path.join(PKG_DIR, 'omega.node'), path.join(WASM_PKG, 'package.json')]) {
    assert.ok(fs.existsSync(need), `${need} is missing: make build-node build-wasm first`);
  }
  const stage = tmpdir('omega-pack-');
  const pkg = path.join(stage, 'bindings', 'node');
  fs.mkdirSync(pkg, { recursive: true });
  const { files } = JSON.parse(fs.readFileSync(path.join(PKG_DIR, 'package.json'), 'utf8'));
  for (const f of ['package.json', ...files.map((x) => x.replace(/\/$/, ''))]) {
    if (f === 'wasm') continue; // made by prepack from ../wasm/pkg-node
    fs.cpSync(path.join(PKG_DIR, f), path.join(pkg, f), { recursive: true });
  }
  fs.cpSync(WASM_PKG, path.join(stage, 'bindings', 'wasm', 'pkg-node'), { recursive: true });
  const out = path.join(stage, 'out');
  fs.mkdirSync(out);
  npm(pkg, 'pack', '--pack-destination', out);
  const tgz = fs.readdirSync(out).filter((f) => /^omega-verify-.*\.tgz$/.test(f));
  assert.equal(tgz.length, 1, `npm pack made ${tgz}`);
  return path.join(out, tgz[0]);
}

test(`npm pack: the tarball installs into a fresh app and enforces there on Node ${process.versions.node}, both engines`, () => {
  const tgz = pack();
  const listing = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n');
  for (const f of ['package/omega.node', 'package/register.js', 'package/lib/hooks.mjs', 'package/wasm/package.json', 'package/wasm/omega_bg.wasm']) {
    assert.ok(listing.includes(f), `${f} is not in the tarball:\n${listing.join('\n')}`);
  }

  const app = tmpdir('omega-app-');
  write(path.join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }) + '\n');
  npm(app, 'install', '--offline', tgz);
  assert.ok(fs.existsSync(path.join(app, 'node_modules', 'omega-verify', 'omega.node')));
  const hello = path.join(app, 'node_modules', 'hello');
  write(path.join(hello, 'package.json'), JSON.stringify({ name: 'hello', version: '1.0.0' }) + '\n');
  write(path.join(hello, 'index.js'), "require('node:fs').appendFileSync(process.env.OMEGA_TEST_MARKER, 'hello\\n');\nmodule.exports = 'hello';\n");
  omega('keygen', '-W', '-s', path.join(app, 'k.key'), '-p', path.join(app, 'k.pub'));
  omega('pack', hello, '--name', 'hello', '--version', '1.0.0', '--sequence', '1', '-s', path.join(app, 'k.key'));
  omega('lock', app); // pins hello (signed) and omega-verify itself (its own copy is checked, N5)
  write(path.join(app, 'app.js'), "console.log(require('hello'), globalThis[Symbol.for('omega-verify.register')].engine);\n");
  write(path.join(app, 'app.mjs'), "const { default: h } = await import('hello');\nconsole.log(h, globalThis[Symbol.for('omega-verify.register')].engine);\n");

  const flavours = [['--require', 'omega-verify/register', 'app.js'], ['--import', 'omega-verify/register', 'app.mjs']];
  for (const engine of ['native', 'wasm']) {
    for (const args of flavours) {
      const r = runNode(app, args, { OMEGA_ENGINE: engine });
      assert.equal(r.status, 0, `${engine} ${args.join(' ')}\n${r.stderr}`);
      assert.equal(r.stdout, `hello ${engine}\n`);
      assert.deepEqual(r.ran, ['hello']);
    }
  }
  fs.appendFileSync(path.join(hello, 'index.js'), '// changed\n');
  for (const engine of ['native', 'wasm']) {
    for (const args of flavours) {
      const r = runNode(app, args, { OMEGA_ENGINE: engine });
      assert.equal(r.status, 1, `${engine} ${args.join(' ')}: expected a refusal\n${r.stderr}`);
      assert.match(r.stderr, /FILE_CHANGED: /);
      assert.ok(r.stderr.includes('hello'), r.stderr);
      assert.deepEqual(r.ran, []);
    }
  }
});

test('only lib/native.js finds the addon: no module loads ../omega.node by a fixed path', () => {
  // A published omega-verify carries no omega.node (the addon is in the platform package):
  // a module that required '../omega.node' itself broke every installed copy (make dist-test).
  const lib = path.join(PKG_DIR, 'lib');
  const offenders = fs.readdirSync(lib)
    .filter((f) => /\.(c|m)?js$/.test(f) && f !== 'native.js')
    .filter((f) => /omega\.node['"]/.test(fs.readFileSync(path.join(lib, f), 'utf8')));
  assert.deepEqual(offenders, []);
});
