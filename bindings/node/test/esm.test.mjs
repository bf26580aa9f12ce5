// The ESM entry (index.mjs): default and named exports, and Ω called from an ES module resolves
// packages from that module's location (its file: URL on the stack).

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import Ω, { Ω as named, omega, sync, digestDir, digestDirSync, checkPackage, checkPackageSync, verifyFile, verifyFileAsync, blake2b256, verifyEd25519, engine, OmegaError } from '../index.mjs';

const require = createRequire(import.meta.url);
const { project, write, runNode, PKG_DIR } = require('./helpers.js');

test('default and named exports are the CommonJS API', () => {
  const cjs = require('../index.js');
  assert.equal(Ω, cjs);
  assert.equal(named, cjs);
  assert.equal(omega, cjs);
  for (const [name, fn] of Object.entries({ sync, digestDir, digestDirSync, checkPackage, checkPackageSync, verifyFile, verifyFileAsync, blake2b256, verifyEd25519 })) {
    assert.equal(fn, cjs[name], name);
  }
  assert.equal(engine, cjs.engine);
  assert.equal(OmegaError, cjs.OmegaError);
});

test('Ω from an ES module resolves from that module', async () => {
  const p = project();
  const caller = path.join(p.root, 'node_modules', '@scope', 'beta', 'caller.mjs');
  write(caller, `export const load = (Ω, ...a) => Ω(...a);\nexport const loadSync = (Ω, ...a) => Ω.sync(...a);\n`);
  const m = await import(pathToFileURL(caller).href);
  assert.equal((await m.load(Ω, 'alpha', p.digests.nestedAlpha)).version, '2.0.0');
  assert.equal(m.loadSync(Ω, 'alpha', p.digests.nestedAlpha).version, '2.0.0');
  await assert.rejects(m.load(Ω, 'alpha', p.digests.alpha), { code: 'DIGEST_MISMATCH' });
});

test('the exports map: import and require conditions of omega-verify and omega-verify/register', async () => {
  // A package may import itself by name (self-reference through "exports").
  assert.equal(import.meta.resolve('omega-verify'), pathToFileURL(path.join(PKG_DIR, 'index.mjs')).href);
  assert.equal(import.meta.resolve('omega-verify/register'), pathToFileURL(path.join(PKG_DIR, 'register.mjs')).href);
  assert.equal(require.resolve('omega-verify'), path.join(PKG_DIR, 'index.js'));
  assert.equal(require.resolve('omega-verify/register'), path.join(PKG_DIR, 'register.js'));
  assert.equal((await import('omega-verify')).default, Ω);
});

test('node --require omega-verify/register, by name, from a project', () => {
  const p = project();
  // omega-verify on the project's lookup path through NODE_PATH (a folder outside node_modules).
  const holder = path.join(p.root, 'tools');
  write(path.join(holder, 'README'), 'tools\n');
  require('node:fs').symlinkSync(PKG_DIR, path.join(holder, 'omega-verify'));
  write(path.join(p.root, 'by-name.js'), `const Ω = require('omega-verify');
console.log(Ω.sync('alpha', ${JSON.stringify(p.digests.alpha)}).version);
`);
  const r = runNode(p.root, ['--require', 'omega-verify/register', 'by-name.js'], { NODE_PATH: holder });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '1.0.0\n');
});
