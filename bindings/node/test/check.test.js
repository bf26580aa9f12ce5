'use strict';
// Ω.checkPackage / Ω.checkPackageSync: a package directory against a digest, keys and a
// threshold (DESIGN §3.4); the report is omega-core's Report::to_json, as `omega check --json`.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { omegaBin, project, write, loadOmega } = require('./helpers.js');

const Ω = loadOmega();

function cliCheck(args) {
  try {
    return JSON.parse(execFileSync(omegaBin(), ['check', ...args, '--json'], { encoding: 'utf8' }));
  } catch (e) {
    return JSON.parse(e.stdout);
  }
}

test('a passing check returns the report (the same object as omega check --json)', async () => {
  const p = project();
  const dir = path.join(p.root, 'node_modules', 'alpha');
  const report = await Ω.checkPackage(dir, { digest: p.digests.alpha, keys: [p.pub], threshold: 1 });
  assert.equal(report.ok, true);
  assert.equal(report.code, null);
  assert.equal(report.package, 'alpha');
  assert.equal(report.version, '1.0.0');
  assert.equal(report.sequence, 1);
  assert.equal(report.tree, p.digests.alpha);
  assert.deepEqual(report.signed_by, [p.pub]);
  assert.equal(report.signatures.length, 1);
  assert.equal(report.signatures[0].error, null);
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report, cliCheck([dir, '--digest', p.digests.alpha, '-P', p.pub, '--threshold', '1']));
  assert.deepEqual(Ω.checkPackageSync(dir, { digest: p.digests.alpha, keys: [p.pub] }), report);
});

test('a failed check rejects with the code of the first problem and the whole report', async () => {
  const p = project();
  const dir = path.join(p.root, 'node_modules', 'alpha');
  fs.appendFileSync(path.join(dir, 'lib', 'util.js'), '//\n');
  write(path.join(dir, 'new.js'), 'x');
  const args = { digest: p.digests.alpha, keys: p.pub };
  await assert.rejects(Ω.checkPackage(dir, args), (e) => {
    assert.equal(e.code, 'FILE_CHANGED');
    assert.deepEqual(e.report, cliCheck([dir, '--digest', p.digests.alpha, '-P', p.pub]));
    assert.deepEqual(e.report.problems.map((x) => x.code), ['FILE_CHANGED', 'FILE_EXTRA']);
    return true;
  });
  assert.throws(() => Ω.checkPackageSync(dir, args), { code: 'FILE_CHANGED' });
});

test('installed leaves out the nested node_modules/; a label names the package', async () => {
  const p = project();
  const beta = path.join(p.root, 'node_modules', '@scope', 'beta');
  await assert.rejects(Ω.checkPackage(beta, { digest: p.digests.beta }), { code: 'FILE_EXTRA' });
  const r = await Ω.checkPackage(beta, { digest: p.digests.beta, installed: true });
  assert.equal(r.ok, true);
  const gamma = path.join(p.root, 'node_modules', 'gamma');
  await assert.rejects(Ω.checkPackage(gamma, { digest: p.digests.alpha, label: 'my-gamma' }), (e) => {
    assert.match(e.message, /^DIGEST_MISMATCH: my-gamma: /);
    assert.equal(e.report.package, 'my-gamma');
    return true;
  });
});

test('signature verdicts: untrusted key, threshold, nothing pinned', async () => {
  const p = project();
  const dir = path.join(p.root, 'node_modules', 'alpha');
  const other = 'RWSiB7bbkQVvnls/lalIky/D3JGFmpSsCJmBBfk4WxhTBxLvp8aZBjqH';
  await assert.rejects(Ω.checkPackage(dir, { keys: [other] }), { code: 'KEY_NOT_TRUSTED' });
  await assert.rejects(Ω.checkPackage(dir, { keys: [p.pub, other], threshold: 2 }), (e) => {
    assert.equal(e.code, 'THRESHOLD_NOT_MET');
    assert.deepEqual(e.report.signed_by, [p.pub]);
    return true;
  });
  await assert.rejects(Ω.checkPackage(dir, {}), { code: 'KEY_NOT_TRUSTED' }, 'nothing pinned');
  await assert.rejects(Ω.checkPackage(dir, { keys: [p.pub], threshold: 3 }), { code: 'MALFORMED' });
  await assert.rejects(Ω.checkPackage(dir, { keys: ['RWnotakey'] }), { code: 'MALFORMED' });
  await assert.rejects(Ω.checkPackage(dir, { digest: 'b2tree:xyz' }), { code: 'MALFORMED' });
});

test('a key file text works as a key', async () => {
  const p = project();
  const text = fs.readFileSync(path.join(p.root, 'author.pub'), 'utf8');
  const r = await Ω.checkPackage(path.join(p.root, 'node_modules', 'delta'), { keys: text });
  assert.deepEqual(r.signed_by, [p.pub]);
});

test('a missing directory is NOT_FOUND, bad options are TypeErrors', async () => {
  const p = project();
  await assert.rejects(Ω.checkPackage(path.join(p.root, 'nope'), { digest: p.digests.alpha }), { code: 'NOT_FOUND' });
  await assert.rejects(Ω.checkPackage(p.root, { digest: p.digests.alpha, threshhold: 1 }), { name: 'TypeError', code: 'MALFORMED' });
  await assert.rejects(Ω.checkPackage(p.root, { keys: [1] }), { name: 'TypeError' });
  await assert.rejects(Ω.checkPackage(p.root, { threshold: -1, keys: [p.pub] }), { name: 'TypeError' });
  assert.throws(() => Ω.checkPackageSync(p.root, 'b2tree:'), { name: 'TypeError' });
});
