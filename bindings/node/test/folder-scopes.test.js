'use strict';
// The package.json files Node reads below a package's top (threat model N22): the nearest one
// above a file decides whether it is CommonJS or an ES module (`type`), and a folder's decides
// what a request naming the folder loads (`main`). Each must be the signed one, or absent when
// none is signed; a signed top-level package.json must be there. Both modes, both engines
// (OMEGA_ENGINE), through `--require` of the loader.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { PKG_DIR, omega, tmpdir, write, runNode } = require('./helpers.js');

const REGISTER = path.join(PKG_DIR, 'register.js');

// kappa: a CommonJS package with a folder `lib/` (index.js and other.js), a folder `cjs/`
// of CommonJS, a folder `esm/` whose signed package.json says `"type": "module"`, and x.js.
function kappaProject() {
  const root = tmpdir('omega-node-scopes-');
  omega('keygen', '-W', '-s', path.join(root, 'k.key'), '-p', path.join(root, 'k.pub'));
  const dir = path.join(root, 'node_modules', 'kappa');
  write(path.join(dir, 'package.json'), JSON.stringify({ name: 'kappa', version: '1.0.0', main: 'index.js' }) + '\n');
  write(path.join(dir, 'index.js'), "module.exports = 'kappa';\n");
  write(path.join(dir, 'x.js'), "module.exports = 'x';\n");
  write(path.join(dir, 'lib', 'index.js'), "module.exports = 'lib/index';\n");
  write(path.join(dir, 'lib', 'other.js'), "module.exports = 'lib/other';\n");
  write(path.join(dir, 'lib', 'up.js'), "module.exports = require('../lib2');\n");
  write(path.join(dir, 'cjs', 'a.js'), "module.exports = 'cjs/a';\n");
  write(path.join(dir, 'esm', 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
  write(path.join(dir, 'esm', 'm.js'), "export default 'esm/m';\n");
  omega('pack', dir, '--name', 'kappa', '--version', '1.0.0', '--sequence', '1', '-s', path.join(root, 'k.key'));
  omega('lock', root);
  // Each request in turn (argv: JSON [how, specifier] pairs): LOADED with its value, or
  // REFUSED with the error's code.
  write(path.join(root, 'main.js'), `(async () => {
  for (const [how, spec] of JSON.parse(process.argv[2])) {
    try {
      const v = how === 'import' ? (await import(spec)).default : require(spec);
      console.log('LOADED ' + spec + ' ' + JSON.stringify(v));
    } catch (e) {
      console.log('REFUSED ' + spec + ' ' + e.code);
    }
  }
})();
`);
  return { root, dir };
}

function run(root, mode, requests) {
  const r = runNode(root, ['--require', REGISTER, 'main.js', JSON.stringify(requests)], { OMEGA_VERIFY: mode });
  assert.equal(r.status, 0, `stdout: ${r.stdout} stderr: ${r.stderr}`);
  return r.stdout;
}

const UNTOUCHED = [
  ['require', 'kappa/lib'],
  ['require', 'kappa/cjs/a.js'],
  ['import', 'kappa/esm/m.js'],
  ['require', 'kappa/x.js'],
];

for (const mode of ['files', 'tree']) {
  test(`N22: ${mode} mode: untouched, each folder loads as signed`, () => {
    const { root } = kappaProject();
    const out = run(root, mode, UNTOUCHED);
    assert.match(out, /LOADED kappa\/lib "lib\/index"/);
    assert.match(out, /LOADED kappa\/cjs\/a.js "cjs\/a"/);
    assert.match(out, /LOADED kappa\/esm\/m.js "esm\/m"/);
    assert.match(out, /LOADED kappa\/x.js "x"/);
  });

  test(`N22: ${mode} mode: an unsigned lib/package.json whose main picks another verified file is refused`, () => {
    const { root, dir } = kappaProject();
    write(path.join(dir, 'lib', 'package.json'), JSON.stringify({ main: 'other.js' }) + '\n');
    const out = run(root, mode, [['require', 'kappa/lib']]);
    assert.match(out, /REFUSED kappa\/lib FILE_EXTRA/, out);
  });

  test(`N22: ${mode} mode: an unsigned cjs/package.json that makes a verified CommonJS file an ES module is refused`, () => {
    const { root, dir } = kappaProject();
    write(path.join(dir, 'cjs', 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
    const out = run(root, mode, [['require', 'kappa/cjs/a.js'], ['import', 'kappa/cjs/a.js']]);
    assert.match(out, /REFUSED kappa\/cjs\/a.js FILE_EXTRA\n.*REFUSED kappa\/cjs\/a.js FILE_EXTRA/, out);
  });

  test(`N22: ${mode} mode: a signed esm/package.json that was deleted or changed is refused`, () => {
    const { root, dir } = kappaProject();
    fs.unlinkSync(path.join(dir, 'esm', 'package.json'));
    let out = run(root, mode, [['import', 'kappa/esm/m.js']]);
    assert.match(out, /REFUSED kappa\/esm\/m.js FILE_MISSING/, out);
    write(path.join(dir, 'esm', 'package.json'), JSON.stringify({ type: 'commonjs' }) + '\n');
    out = run(root, mode, [['import', 'kappa/esm/m.js']]);
    assert.match(out, /REFUSED kappa\/esm\/m.js FILE_CHANGED/, out);
  });

  test(`N22: ${mode} mode: a folder holding only an unsigned package.json whose main leads out of it is refused`, () => {
    const { root, dir } = kappaProject();
    write(path.join(dir, 'lib2', 'package.json'), JSON.stringify({ main: '../x.js' }) + '\n');
    const out = run(root, mode, [['require', 'kappa/lib2'], ['require', 'kappa/lib/up.js']]);
    assert.match(out, /REFUSED kappa\/lib2 FILE_EXTRA/, out);
    assert.match(out, /REFUSED kappa\/lib\/up.js FILE_EXTRA/, out);
  });

  test(`N22: ${mode} mode: a signed top-level package.json that was deleted is refused`, () => {
    const { root, dir } = kappaProject();
    fs.unlinkSync(path.join(dir, 'package.json'));
    const out = run(root, mode, [['require', 'kappa'], ['require', 'kappa/x.js']]);
    assert.match(out, /REFUSED kappa FILE_MISSING\n.*REFUSED kappa\/x.js FILE_MISSING/, out);
  });
}
