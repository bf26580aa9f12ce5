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
const { execFileSync } = require('node:child_process');
const { PKG_DIR, omega, tmpdir, write, runNode } = require('./helpers.js');

const REGISTER = path.join(PKG_DIR, 'register.js');

/**
 * main.js of a test project: each request in turn (argv: JSON [how, specifier] pairs), LOADED
 * with its value or REFUSED with the error's code; ['write', path, text] writes a file and
 * ['remove', path] removes one (the attacker, while the app runs).
 */
function writeMain(root) {
  write(path.join(root, 'main.js'), `(async () => {
  for (const [how, spec, text] of JSON.parse(process.argv[2])) {
    if (how === 'write') {
      require('node:fs').writeFileSync(require('node:path').join(__dirname, spec), text);
      continue;
    }
    if (how === 'remove') {
      require('node:fs').rmSync(require('node:path').join(__dirname, spec));
      continue;
    }
    try {
      const kappa = require('node:path').join(__dirname, 'node_modules', 'kappa');
      const np = require('node:path').join(__dirname, 'node_modules', 'np');
      const v = how === 'import' ? (await import(spec)).default
        : how === 'resolve-in-kappa' ? require(require.resolve(spec, { paths: [kappa] }))
        : how === 'resolve-in-both' ? require(require.resolve(spec, { paths: [kappa, np] }))
        : how === 'from-np' ? require('np/req.js')(spec)
        : require(spec);
      console.log('LOADED ' + spec + ' ' + JSON.stringify(v));
    } catch (e) {
      console.log('REFUSED ' + spec + ' ' + e.code);
    }
  }
})();
`);
}

// kappa: a CommonJS package with a folder `lib/` (index.js and other.js), a folder `cjs/`
// of CommonJS, a folder `esm/` whose signed package.json says `"type": "module"`, and x.js.
function kappaProject() {
  const root = tmpdir('omega-node-scopes-');
  omega('keygen', '-W', '-s', path.join(root, 'k.key'), '-p', path.join(root, 'k.pub'));
  const dir = path.join(root, 'node_modules', 'kappa');
  write(path.join(dir, 'package.json'), JSON.stringify({ name: 'kappa', version: '1.0.0', main: 'index.js' }) + '\n');
  write(path.join(dir, 'index.js'), "module.exports = 'kappa';\n");
  write(path.join(dir, 'x.js'), "module.exports = 'x';\n");
  write(path.join(dir, 'first.cjs'), "module.exports = 'first';\n");
  write(path.join(dir, 'lib', 'index.js'), "module.exports = 'lib/index';\n");
  write(path.join(dir, 'lib', 'other.js'), "module.exports = 'lib/other';\n");
  write(path.join(dir, 'lib', 'up.js'), "module.exports = require('../lib2');\n");
  write(path.join(dir, 'cjs', 'a.js'), "module.exports = 'cjs/a';\n");
  write(path.join(dir, 'cjs', 'b.js'), "var how = this === undefined ? 'esm' : 'cjs';\nif (how === 'cjs') module.exports = how;\n");
  write(path.join(dir, 'esm', 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
  write(path.join(dir, 'esm', 'm.js'), "export default 'esm/m';\n");
  // A folder beside a file of its name, and a folder beside a minified copy.
  write(path.join(dir, 't', 'index.js'), "module.exports = 't/index';\n");
  write(path.join(dir, 't.js'), "module.exports = 't.js';\n");
  write(path.join(dir, 'dist', 'index.js'), "module.exports = 'dist/index';\n");
  write(path.join(dir, 'dist.min.js'), "module.exports = 'dist.min.js';\n");
  omega('pack', dir, '--name', 'kappa', '--version', '1.0.0', '--sequence', '1', '-s', path.join(root, 'k.key'));
  // np: signed, with no package.json; m.js says how Node ran it.
  const np = path.join(root, 'node_modules', 'np');
  write(path.join(np, 'm.js'), "var how = this === undefined ? 'esm' : 'cjs';\nif (how === 'cjs') module.exports = how;\n");
  write(path.join(np, 'lib.js'), "module.exports = 'np lib.js';\n");
  write(path.join(np, 'req.js'), 'module.exports = (x) => require(x);\n');
  omega('pack', np, '--name', 'np', '--version', '1.0.0', '--sequence', '1', '-s', path.join(root, 'k.key'));
  // np's own copy of kappa: no lib/ in it.
  const nested = path.join(np, 'node_modules', 'kappa');
  write(path.join(nested, 'package.json'), JSON.stringify({ name: 'kappa', version: '0.9.0' }) + '\n');
  write(path.join(nested, 'index.js'), "module.exports = 'nested kappa';\n");
  omega('pack', nested, '--name', 'kappa', '--version', '0.9.0', '--sequence', '1', '-s', path.join(root, 'k.key'));
  omega('lock', root);
  writeMain(root);
  return { root, dir };
}

function run(root, mode, requests) {
  const r = runNode(root, ['--require', REGISTER, 'main.js', JSON.stringify(requests)], { OMEGA_VERIFY: mode });
  assert.equal(r.status, 0, `stdout: ${r.stdout} stderr: ${r.stderr}`);
  return r.stdout;
}

/** `run` without the loader: what plain Node does. */
function plain(root, requests) {
  const r = runNode(root, ['main.js', JSON.stringify(requests)]);
  assert.equal(r.status, 0, `stdout: ${r.stdout} stderr: ${r.stderr}`);
  return r.stdout;
}

const UNTOUCHED = [
  ['require', 'kappa/lib'],
  ['require', 'kappa/cjs/a.js'],
  ['import', 'kappa/esm/m.js'],
  ['require', 'kappa/x.js'],
  ['require', 'kappa/t/'],
  ['require', 'kappa/dist'],
  ['require', './node_modules/kappa'],
  ['resolve-in-kappa', './lib'],
  ['resolve-in-both', './lib'],
  ['from-np', 'kappa'],
  ['from-np', 'kappa/lib'],
  ['import', 'np/m.js'],
];

for (const mode of ['files', 'tree']) {
  test(`N22: ${mode} mode: untouched, each folder loads as signed`, () => {
    const { root } = kappaProject();
    const out = run(root, mode, UNTOUCHED);
    assert.match(out, /LOADED kappa\/lib "lib\/index"/);
    assert.match(out, /LOADED kappa\/cjs\/a.js "cjs\/a"/);
    assert.match(out, /LOADED kappa\/esm\/m.js "esm\/m"/);
    assert.match(out, /LOADED kappa\/x.js "x"/);
    assert.match(out, /LOADED kappa\/t\/ "t\/index"/);
    assert.match(out, /LOADED kappa\/dist "dist\/index"/);
    assert.match(out, /LOADED .\/node_modules\/kappa "kappa"/);
    assert.match(out, /LOADED .\/lib "lib\/index"/);
    assert.match(out, /LOADED np\/m.js "cjs"/);
    assert.match(out, /LOADED .\/lib "lib\/index"\n.*LOADED .\/lib "lib\/index"/);
    assert.match(out, /LOADED kappa "nested kappa"/);
    // np's own kappa has no lib/: Node goes on to the top-level kappa, which is another
    // package than the one the name finds from np (refused as ever, after the resolution).
    assert.match(out, /REFUSED kappa\/lib UNSAFE_PATH/);
  });

  // Review of session 10 (F1): a request ending in `/` goes to the folder's package.json
  // first, and a `main` may name a file beside the folder that Node would not try itself.
  test(`N22: ${mode} mode: an unsigned folder package.json whose main names a file beside the folder is refused`, () => {
    const { root, dir } = kappaProject();
    write(path.join(dir, 't', 'package.json'), JSON.stringify({ main: '../t.js' }) + '\n');
    write(path.join(dir, 'dist', 'package.json'), JSON.stringify({ main: '../dist.min.js' }) + '\n');
    const out = run(root, mode, [['require', 'kappa/t/'], ['require', 'kappa/dist']]);
    assert.match(out, /REFUSED kappa\/t\/ FILE_EXTRA/, out);
    assert.match(out, /REFUSED kappa\/dist FILE_EXTRA/, out);
  });

  // F2: a path request naming another package's folder: that package is opened (its
  // package.json compared) even though the file it led to is in another package.
  test(`N22: ${mode} mode: a path request naming a package whose package.json main was changed is refused`, () => {
    const { root, dir } = kappaProject();
    write(path.join(dir, 'package.json'), JSON.stringify({ name: 'kappa', version: '1.0.0', main: '../np/m.js' }) + '\n');
    const out = run(root, mode, [['require', './node_modules/kappa'], ['require', path.join(root, 'node_modules', 'kappa')]]);
    assert.match(out, /REFUSED .\/node_modules\/kappa FILE_CHANGED/, out);
    assert.match(out, /REFUSED \/.*\/node_modules\/kappa FILE_CHANGED/, out);
  });

  // F4: require.resolve('./lib', {paths}) resolves against the given folders.
  test(`N22: ${mode} mode: require.resolve of a folder with paths checks the folder under those paths`, () => {
    const { root, dir } = kappaProject();
    write(path.join(dir, 'lib', 'package.json'), JSON.stringify({ main: '../x.js' }) + '\n');
    const out = run(root, mode, [['resolve-in-kappa', './lib']]);
    assert.match(out, /REFUSED .\/lib FILE_EXTRA/, out);
  });

  // Second review, P1: with `paths`, the file found under a later folder (np/lib.js, as the
  // path with `.js`) does not excuse the earlier folder's package.json whose main led there.
  test(`N22: ${mode} mode: require.resolve with two paths checks the first folder when its main led into the second`, () => {
    const { root, dir } = kappaProject();
    write(path.join(dir, 'lib', 'package.json'), JSON.stringify({ main: '../../np/lib.js' }) + '\n');
    const out = run(root, mode, [['resolve-in-both', './lib']]);
    assert.match(out, /REFUSED .\/lib FILE_EXTRA/, out);
  });

  // Second review, P8 and P8b: np's own kappa has no lib/, so Node goes on to the top-level
  // kappa, reading its package.json and lib/package.json: a FIFO at either is refused first.
  for (const fifo of ['lib/package.json', 'package.json']) {
    test(`N22: ${mode} mode: a FIFO as ${fifo} of a later copy of a bare name is refused, not waited on`, () => {
      const { root, dir } = kappaProject();
      fs.rmSync(path.join(dir, fifo), { force: true });
      execFileSync('mkfifo', [path.join(dir, fifo)]);
      const out = run(root, mode, [['from-np', 'kappa/lib']]);
      assert.match(out, /REFUSED kappa\/lib UNSUPPORTED_FILE_TYPE/, out);
    });
  }

  // Review of session 11: a package.json written after a first check was never looked at
  // again, while Node looks for a missing one again at a later load (Node 22 at every one).
  test(`N22: ${mode} mode: a folder package.json written after the folder's first load is refused at the next`, () => {
    const { root } = kappaProject();
    const out = run(root, mode, [
      ['require', 'kappa/cjs/a.js'],
      ['write', 'node_modules/kappa/cjs/package.json', '{"type":"module"}\n'],
      ['require', 'kappa/cjs/b.js'],
      ['import', 'kappa/cjs/b.js'],
      ['require', 'kappa/lib/other.js'],
      ['write', 'node_modules/kappa/lib/package.json', '{"main":"other.js"}\n'],
      ['require', 'kappa/lib'],
    ]);
    // After a refusal the package stays refused (lib/other.js too), in the thread that refused.
    assert.equal(out, 'LOADED kappa/cjs/a.js "cjs/a"\nREFUSED kappa/cjs/b.js FILE_EXTRA\nREFUSED kappa/cjs/b.js FILE_EXTRA\nREFUSED kappa/lib/other.js FILE_EXTRA\nREFUSED kappa/lib FILE_EXTRA\n');
    const main = run(kappaProject().root, mode, [
      ['require', 'kappa/lib/other.js'],
      ['write', 'node_modules/kappa/lib/package.json', '{"main":"other.js"}\n'],
      ['require', 'kappa/lib'],
    ]);
    assert.equal(main, 'LOADED kappa/lib/other.js "lib/other"\nREFUSED kappa/lib FILE_EXTRA\n');
  });

  // Review of session 11: a refused attempt let Node read and keep a tampered package.json;
  // with the signed one put back, a second attempt passed the checks and Node used its copy.
  test(`N22: ${mode} mode: a package refused once stays refused after its files are put back`, () => {
    const { root, dir } = kappaProject();
    const signed = fs.readFileSync(path.join(dir, 'package.json'), 'utf8');
    const out = run(root, mode, [
      ['write', 'node_modules/kappa/package.json', signed.replace('index.js', 'x.js')],
      ['require', 'kappa'],
      ['write', 'node_modules/kappa/package.json', signed],
      ['require', 'kappa'],
      ['import', 'kappa'],
    ]);
    assert.equal(out, 'REFUSED kappa FILE_CHANGED\nREFUSED kappa FILE_CHANGED\nREFUSED kappa FILE_CHANGED\n');
  });

  // Second review of session 11 (A1): the package opened by a load that makes Node read no
  // package.json (a .cjs file); its signed package.json changed after: Node reads it for the
  // first time at the next bare request, so it is compared at every check, not only at open.
  test(`N22: ${mode} mode: the package's own package.json changed after it opened, before Node read it, is refused`, () => {
    const { root, dir } = kappaProject();
    const signed = fs.readFileSync(path.join(dir, 'package.json'), 'utf8');
    const out = run(root, mode, [
      ['require', './node_modules/kappa/first.cjs'],
      ['write', 'node_modules/kappa/package.json', signed.replace('index.js', 'x.js')],
      ['require', 'kappa'],
    ]);
    assert.equal(out, 'LOADED ./node_modules/kappa/first.cjs "first"\nREFUSED kappa FILE_CHANGED\n');
  });

  // Second review of session 11 (A2): a folder's package.json refused by a check, then
  // removed: Node had read and kept it during the refused attempt, so the package stays refused.
  test(`N22: ${mode} mode: a package whose folder package.json was refused stays refused after it is removed`, () => {
    const { root } = kappaProject();
    const out = run(root, mode, [
      ['require', 'kappa/lib/other.js'],
      ['write', 'node_modules/kappa/cjs/package.json', '{"type":"module"}\n'],
      ['import', 'kappa/cjs/b.js'],
      ['remove', 'node_modules/kappa/cjs/package.json'],
      ['import', 'kappa/cjs/b.js'],
      ['import', 'kappa/x.js'],
    ]);
    // On Node 20 imports are checked on the hooks thread, which keeps its own verdicts.
    assert.equal(out, 'LOADED kappa/lib/other.js "lib/other"\nREFUSED kappa/cjs/b.js FILE_EXTRA\nREFUSED kappa/cjs/b.js FILE_EXTRA\nREFUSED kappa/x.js FILE_EXTRA\n');
    const steered = run(kappaProject().root, mode, [
      ['require', 'kappa/lib/other.js'],
      ['write', 'node_modules/kappa/lib/package.json', '{"main":"other.js"}\n'],
      ['require', 'kappa/lib'],
      ['remove', 'node_modules/kappa/lib/package.json'],
      ['require', 'kappa/lib'],
    ]);
    assert.equal(steered, 'LOADED kappa/lib/other.js "lib/other"\nREFUSED kappa/lib FILE_EXTRA\nREFUSED kappa/lib FILE_EXTRA\n');
  });

  // F3: the loader decides a file's format with Node's lookup, which stops at node_modules:
  // a loose node_modules/package.json does not make np/m.js an ES module.
  test(`N22: ${mode} mode: a loose node_modules/package.json does not change how a package without one loads`, () => {
    const { root } = kappaProject();
    write(path.join(root, 'node_modules', 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
    const requests = [['import', 'np/m.js'], ['require', 'np/m.js']];
    const out = run(root, mode, requests);
    assert.equal(out, plain(root, requests));
    assert.match(out, /LOADED np\/m.js "cjs"\n.*LOADED np\/m.js "cjs"/, out);
  });

  // F5: a FIFO as a folder's package.json: refused before Node's resolver reads it.
  test(`N22: ${mode} mode: a FIFO as a folder's package.json is refused, not waited on`, () => {
    const { root, dir } = kappaProject();
    execFileSync('mkfifo', [path.join(dir, 'lib', 'package.json')]);
    const out = run(root, mode, [['require', 'kappa/lib'], ['require', './node_modules/kappa/lib/']]);
    assert.match(out, /REFUSED kappa\/lib UNSUPPORTED_FILE_TYPE/, out);
    assert.match(out, /REFUSED .\/node_modules\/kappa\/lib\/ UNSUPPORTED_FILE_TYPE/, out);
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

// F6: a folder whose package.json path is longer than PATH_MAX, while its file's is not: the
// loader counts it as absent and does what plain Node does (Node 20 and 22 load the file, Node
// 24 refuses with its own ERR_INVALID_PACKAGE_CONFIG), on both engines.
test('N22: files mode: a folder package.json path longer than PATH_MAX counts as absent', () => {
  const root = tmpdir('omega-node-long-');
  omega('keygen', '-W', '-s', path.join(root, 'k.key'), '-p', path.join(root, 'k.pub'));
  const dir = path.join(root, 'node_modules', 'deep');
  const want = 4085 - dir.length - 1;
  const parts = [];
  for (let n = 0; n < want; ) {
    const c = Math.min(200, want - n - (parts.length ? 1 : 0));
    parts.push('d'.repeat(c));
    n += c + (parts.length > 1 ? 1 : 0);
  }
  const rel = parts.join('/');
  write(path.join(dir, 'package.json'), JSON.stringify({ name: 'deep', version: '1.0.0' }) + '\n');
  write(path.join(dir, rel, 'x.js'), "module.exports = 'deep x';\n");
  assert.ok(path.join(dir, rel, 'package.json').length > 4096);
  omega('pack', dir, '--name', 'deep', '--version', '1.0.0', '--sequence', '1', '-s', path.join(root, 'k.key'));
  omega('lock', root);
  write(path.join(root, 'main.js'), `try { console.log(require('deep/${rel}/x.js')); } catch (e) { console.log('ERR ' + e.code); }\n`);
  const r = runNode(root, ['--require', REGISTER, 'main.js'], { OMEGA_VERIFY: 'files' });
  const p = runNode(root, ['main.js']);
  assert.match(p.stdout, /^(deep x|ERR ERR_INVALID_PACKAGE_CONFIG)\n$/);
  assert.equal(r.stdout, p.stdout, r.stderr);
});

// A scoped package with no package.json of its own: Node's scope lookup goes on to its scope
// folder's (node_modules/@sc/package.json; it stops only at a folder named node_modules), which
// no package lists: a loose one there with "type": "module" made a verified CommonJS file an
// ES module. It must be absent (Table::scope_above), in both modes.
for (const mode of ['files', 'tree']) {
  test(`N22: ${mode} mode: a loose scope folder package.json read for a scoped package without one is refused`, () => {
    const root = tmpdir('omega-node-scope-above-');
    omega('keygen', '-W', '-s', path.join(root, 'k.key'), '-p', path.join(root, 'k.pub'));
    const np = path.join(root, 'node_modules', '@sc', 'np');
    write(path.join(np, 'm.js'), "var how = this === undefined ? 'esm' : 'cjs';\nif (how === 'cjs') module.exports = how;\n");
    write(path.join(np, 'first.cjs'), "module.exports = 'first';\n");
    omega('pack', np, '--name', '@sc/np', '--version', '1.0.0', '--sequence', '1', '-s', path.join(root, 'k.key'));
    omega('lock', root);
    writeMain(root);
    const requests = [['import', '@sc/np/m.js'], ['require', '@sc/np/m.js']];
    assert.equal(run(root, mode, requests), 'LOADED @sc/np/m.js "cjs"\nLOADED @sc/np/m.js "cjs"\n');
    // Written while the app runs, after the package's first load (review of session 11).
    assert.equal(run(root, mode, [
      ['require', '@sc/np/first.cjs'],
      ['write', 'node_modules/@sc/package.json', '{"type":"module"}\n'],
      ['import', '@sc/np/m.js'],
      ['require', '@sc/np/m.js'],
    ]), 'LOADED @sc/np/first.cjs "first"\nREFUSED @sc/np/m.js FILE_EXTRA\nREFUSED @sc/np/m.js FILE_EXTRA\n');
    write(path.join(root, 'node_modules', '@sc', 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
    // Plain Node runs the verified CommonJS file as an ES module.
    assert.match(plain(root, [['import', '@sc/np/m.js']]), /^LOADED @sc\/np\/m.js undefined\n$/);
    assert.equal(run(root, mode, requests), 'REFUSED @sc/np/m.js FILE_EXTRA\nREFUSED @sc/np/m.js FILE_EXTRA\n');
  });
}
