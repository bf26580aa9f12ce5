'use strict';
// Ω.digestDir / Ω.digestDirSync: the b2tree: digest of a directory (DESIGN §3.2), the same as
// `omega digest`; `installed` leaves out a package's own node_modules/ (as `omega lock` pins it).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { omega, project, tmpdir, write, loadOmega } = require('./helpers.js');

const Ω = loadOmega();

test('digestDir and digestDirSync agree with omega digest', async () => {
  const p = project();
  for (const rel of ['node_modules/alpha', 'node_modules/gamma', 'node_modules/@scope/beta/node_modules/alpha']) {
    const dir = path.join(p.root, rel);
    const cli = omega('digest', dir).trim();
    const promise = Ω.digestDir(dir);
    assert.ok(promise instanceof Promise);
    assert.equal(await promise, cli);
    assert.equal(Ω.digestDirSync(dir), cli);
  }
  assert.equal(Ω.digestDirSync(path.join(p.root, 'node_modules', 'alpha')), p.digests.alpha);
});

test('the empty directory has the digest of the empty listing', async () => {
  const d = tmpdir();
  const empty = 'b2tree:49fb03e0ce1f219ec679c306b5d822af7a2a3ad9b74a5928549d3e83c858e7f2';
  assert.equal(await Ω.digestDir(d), empty);
  write(path.join(d, '.omega', 'manifest.json'), '{}');
  fs.mkdirSync(path.join(d, 'empty', 'dirs'), { recursive: true });
  assert.equal(Ω.digestDirSync(d), empty, '.omega/ and empty directories do not count');
});

test('installed: a package with nested node_modules digests as its lock entry pins it', async () => {
  const p = project();
  const beta = path.join(p.root, 'node_modules', '@scope', 'beta');
  assert.notEqual(Ω.digestDirSync(beta), p.digests.beta, 'the plain digest includes node_modules/');
  assert.equal(Ω.digestDirSync(beta, { installed: true }), p.digests.beta);
  assert.equal(await Ω.digestDir(beta, { installed: true }), p.digests.beta);
});

test('the executable bit is part of the digest', () => {
  const d = tmpdir();
  write(path.join(d, 'run'), '#!/bin/sh\n');
  const plain = Ω.digestDirSync(d);
  fs.chmodSync(path.join(d, 'run'), 0o755);
  assert.notEqual(Ω.digestDirSync(d), plain);
});

test('links, FIFOs and missing directories are refused with their codes', async () => {
  const d = tmpdir();
  write(path.join(d, 'a.js'), 'a');
  fs.symlinkSync('a.js', path.join(d, 'link.js'));
  await assert.rejects(Ω.digestDir(d), (e) => e.code === 'UNSUPPORTED_FILE_TYPE' && /link\.js/.test(e.message));
  assert.throws(() => Ω.digestDirSync(d), { code: 'UNSUPPORTED_FILE_TYPE' });
  const f = tmpdir();
  require('node:child_process').execFileSync('mkfifo', [path.join(f, 'pipe')]);
  assert.throws(() => Ω.digestDirSync(f), (e) => e.code === 'UNSUPPORTED_FILE_TYPE' && /pipe/.test(e.message));
  const missing = path.join(d, 'nope');
  await assert.rejects(Ω.digestDir(missing), (e) => e.code === 'NOT_FOUND' && e.message.includes(missing));
  assert.throws(() => Ω.digestDirSync(path.join(d, 'a.js')), { code: 'NOT_FOUND' });
});

test('unsafe names are refused (UNSAFE_PATH)', () => {
  for (const name of ['back\\slash', 'ctl\u0001', 'Case', 'case']) {
    const d = tmpdir();
    write(path.join(d, name), 'x');
    if (name === 'Case' || name === 'case') write(path.join(d, name === 'Case' ? 'case' : 'Case'), 'y');
    if (name === 'case') continue;
    assert.throws(() => Ω.digestDirSync(d), { code: 'UNSAFE_PATH' }, name);
  }
});

test('bad arguments are TypeErrors', async () => {
  assert.throws(() => Ω.digestDirSync(42), { name: 'TypeError', code: 'MALFORMED' });
  await assert.rejects(Ω.digestDir(null), { name: 'TypeError' });
  assert.throws(() => Ω.digestDirSync('.', { instaled: true }), /unknown option/);
});
