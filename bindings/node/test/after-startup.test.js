'use strict';
// Changes to node_modules made while the app runs, after the loader's startup work (the native
// engine's thread ahead opens every pinned package at startup): threat model N19 and N21.
// Found by the attacker review of session 9's loader change (tests adapted from it).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { PKG_DIR, omega, tmpdir, project, write, runNode } = require('./helpers.js');

const REGISTER = path.join(PKG_DIR, 'register.js');

// N19: the app waits until the thread ahead is done, then (as a concurrent writer to
// node_modules would) rewrites alpha's package.json so that `main` names another file of the
// package, and requires alpha: the loader compares package.json when it opens alpha, just
// before Node reads it, not only when the thread ahead made alpha's table.
const MAIN = `const fs = require('node:fs'), path = require('node:path');
setTimeout(() => {
  const pj = path.join(__dirname, 'node_modules', 'alpha', 'package.json');
  fs.writeFileSync(pj, JSON.stringify({ name: 'alpha', version: '1.0.0', main: 'lib/util.js' }) + '\\n');
  try { console.log('LOADED ' + JSON.stringify(require('alpha'))); } catch (e) { console.log('REFUSED ' + e.code); }
}, 300);
`;

// A worker started after the main thread used alpha: its own loader opens alpha again (the
// addon's table is shared) and compares the package.json it resolves through.
const WORKER_MAIN = `const fs = require('node:fs'), path = require('node:path');
const { Worker } = require('node:worker_threads');
require('alpha');
const pj = path.join(__dirname, 'node_modules', 'alpha', 'package.json');
fs.writeFileSync(pj, JSON.stringify({ name: 'alpha', version: '1.0.0', main: 'lib/util.js' }) + '\\n');
new Worker("try { console.log('WORKER LOADED ' + JSON.stringify(require('alpha'))); } catch (e) { console.log('WORKER REFUSED ' + e.code); }", { eval: true });
`;

for (const mode of ['tree', 'files']) {
  for (const prefetch of ['1', '0']) {
    test(`N19: ${mode} mode, OMEGA_PREFETCH=${prefetch}: a package.json rewritten after startup, before the package's first resolution, is refused`, () => {
      const p = project();
      write(path.join(p.root, 'main.js'), MAIN);
      const r = runNode(p.root, ['--require', REGISTER, 'main.js'], { OMEGA_VERIFY: mode, OMEGA_PREFETCH: prefetch });
      assert.match(r.stdout, /REFUSED FILE_CHANGED/, `stdout: ${r.stdout} stderr: ${r.stderr}`);
    });
  }
}

test('N19: files mode: a worker\'s loader compares the package.json it resolves through', () => {
  const p = project();
  write(path.join(p.root, 'main.js'), WORKER_MAIN);
  const r = runNode(p.root, ['--require', REGISTER, 'main.js'], { OMEGA_VERIFY: 'files' });
  assert.match(r.stdout, /WORKER REFUSED FILE_CHANGED/, `stdout: ${r.stdout} stderr: ${r.stderr}`);
});

// N21: @s/a and @s/b are pinned and signed. The app requires @s/a; then node_modules/@s is
// moved elsewhere and replaced by a link to it, and the app requires @s/b under
// --preserve-symlinks (Node then hands out the path through the link). The scope folder is
// below the project: its verdict is not kept from @s/a's check, so @s/b is refused as a path
// through a link, on both engines.
function scopedProject() {
  const root = tmpdir('omega-node-real-');
  omega('keygen', '-W', '-s', path.join(root, 'a.key'), '-p', path.join(root, 'a.pub'));
  for (const n of ['a', 'b']) {
    const dir = path.join(root, 'node_modules', '@s', n);
    write(path.join(dir, 'package.json'), JSON.stringify({ name: `@s/${n}`, version: '1.0.0' }) + '\n');
    write(path.join(dir, 'index.js'), `module.exports = '@s/${n}';\n`);
    omega('pack', dir, '--name', `@s/${n}`, '--version', '1.0.0', '--sequence', '1', '-s', path.join(root, 'a.key'));
  }
  omega('lock', root);
  write(path.join(root, 'main.js'), `const fs = require('node:fs'), path = require('node:path');
console.log(require('@s/a'));
const nm = path.join(__dirname, 'node_modules');
fs.mkdirSync(path.join(__dirname, 'elsewhere'));
fs.renameSync(path.join(nm, '@s'), path.join(__dirname, 'elsewhere', '@s'));
fs.symlinkSync(path.join(__dirname, 'elsewhere', '@s'), path.join(nm, '@s'));
try { console.log('LOADED ' + require('@s/b')); } catch (e) { console.log('REFUSED ' + e.code); }
`);
  return root;
}

for (const mode of ['files', 'tree']) {
  test(`N21: ${mode} mode: a scope folder made a link after a first package of it loaded is seen for the next package`, () => {
    const root = scopedProject();
    const r = runNode(root, ['--preserve-symlinks', '--require', REGISTER, 'main.js'], { OMEGA_VERIFY: mode });
    assert.match(r.stdout, /REFUSED UNSUPPORTED_FILE_TYPE/, `stdout: ${r.stdout} stderr: ${r.stderr}`);
  });
}
