'use strict';
// Ω(name, digest, cb), await Ω(name, digest), Ω.sync(name, digest): resolution from the
// caller (scoped and nested packages), verification before loading, refusals, caching.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { project, write, ENGINE, loadOmega, tmpdir } = require('./helpers.js');

const Ω = loadOmega();

/** A module in `dir` that calls Ω from there (Ω resolves packages from its caller's file). */
function callerIn(dir, name = `caller-${Math.random().toString(36).slice(2)}.js`) {
  const file = path.join(dir, name);
  write(file, `'use strict';
module.exports = (Ω) => ({
  cb: (...a) => Ω(...a),
  promise: (...a) => Ω(...a),
  sync: (...a) => Ω.sync(...a),
});
`);
  return require(file)(Ω);
}

function ran() {
  return globalThis.__omegaRan || [];
}

function cb(from, ...args) {
  return new Promise((resolve, reject) => {
    from.cb(...args, (err, exports) => (err ? reject(err) : resolve(exports)));
  });
}

test('engine is the one asked for', () => {
  if (ENGINE === 'native' || ENGINE === 'wasm') assert.equal(Ω.engine, ENGINE);
  else assert.ok(['native', 'wasm'].includes(Ω.engine));
});

test('the three forms verify, then load the package', async () => {
  const p = project();
  const from = callerIn(p.root);
  const viaCb = await cb(from, 'alpha', p.digests.alpha);
  assert.equal(viaCb.version, '1.0.0');
  assert.equal(viaCb.util, 'util of alpha@1.0.0');
  assert.equal(from.cb('gamma', p.digests.gamma, () => {}), undefined, 'callback form returns nothing');
  const viaPromise = from.promise('alpha', p.digests.alpha);
  assert.ok(viaPromise instanceof Promise);
  assert.equal(await viaPromise, viaCb, 'the same module instance');
  assert.equal(from.sync('alpha', p.digests.alpha), viaCb);
});

test('scoped packages, and nested installs resolve as require does from the caller', async () => {
  const p = project();
  const top = callerIn(p.root);
  const beta = await top.promise('@scope/beta', p.digests.beta);
  assert.equal(beta.name, '@scope/beta');
  assert.equal(beta.alpha, '2.0.0', 'beta requires its nested alpha');
  // From inside beta, "alpha" is beta's nested copy (2.0.0), pinned by its own digest.
  // A caller in beta's own node_modules folder resolves as beta does (a file in beta itself
  // would be a file its verified listing lacks).
  const inBeta = callerIn(path.join(p.root, 'node_modules', '@scope', 'beta', 'node_modules'));
  assert.equal(inBeta.sync('alpha', p.digests.nestedAlpha).version, '2.0.0');
  await assert.rejects(inBeta.promise('alpha', p.digests.alpha), { code: 'DIGEST_MISMATCH' });
  assert.equal(top.sync('alpha', p.digests.alpha).version, '1.0.0');
});

test('subpaths load from the verified package', () => {
  const p = project();
  const from = callerIn(p.root);
  assert.equal(from.sync('alpha/lib/util.js', p.digests.alpha), 'util of alpha@1.0.0');
});

test('a wrong digest is refused with DIGEST_MISMATCH and a report, and the code never runs', async () => {
  const p = project();
  const from = callerIn(p.root);
  const wrong = `b2tree:${'0'.repeat(64)}`;
  const before = ran().filter((x) => x === 'gamma').length;
  for (const attempt of [() => from.sync('gamma', wrong), () => from.promise('gamma', wrong), () => cb(from, 'gamma', wrong)]) {
    await assert.rejects(async () => attempt(), (e) => {
      assert.ok(e instanceof Error);
      assert.ok(e instanceof Ω.OmegaError);
      assert.equal(e.code, 'DIGEST_MISMATCH');
      assert.match(e.message, /^DIGEST_MISMATCH: gamma: files hash to b2tree:[0-9a-f]{64}, but b2tree:0{64} is pinned/);
      assert.equal(e.report.ok, false);
      assert.equal(e.report.package, 'gamma');
      assert.equal(e.report.tree, p.digests.gamma);
      assert.equal(e.report.pinned_digest, wrong);
      assert.deepEqual(e.report.problems.map((x) => x.code), ['DIGEST_MISMATCH']);
      return true;
    });
  }
  assert.equal(ran().filter((x) => x === 'gamma').length, before, "gamma's code did not run");
});

test('tampering: a changed, an extra and a missing file are each refused, naming package and file', async () => {
  const cases = [
    ['FILE_CHANGED', (d) => fs.appendFileSync(path.join(d, 'lib', 'util.js'), '// changed\n'), 'lib/util.js'],
    ['FILE_EXTRA', (d) => write(path.join(d, 'lib', 'evil.js'), 'evil\n'), 'lib/evil.js'],
    ['FILE_MISSING', (d) => fs.rmSync(path.join(d, 'README.md')), 'README.md'],
  ];
  for (const [code, tamper, file] of cases) {
    const p = project();
    const dir = path.join(p.root, 'node_modules', 'alpha');
    tamper(dir);
    const from = callerIn(p.root);
    for (const attempt of [() => from.sync('alpha', p.digests.alpha), () => from.promise('alpha', p.digests.alpha)]) {
      await assert.rejects(async () => attempt(), (e) => {
        assert.equal(e.code, code);
        assert.ok(e.message.includes('alpha') && e.message.includes(JSON.stringify(file)), e.message);
        assert.deepEqual(e.report.problems.map((x) => [x.code, x.path]), [[code, file]]);
        return true;
      });
    }
  }
});

test('several problems are all in the report; the first is the code', async () => {
  const p = project();
  const dir = path.join(p.root, 'node_modules', 'alpha');
  fs.appendFileSync(path.join(dir, 'index.js'), '//x\n');
  write(path.join(dir, 'zzz.js'), 'x\n');
  fs.rmSync(path.join(dir, 'README.md'));
  const from = callerIn(p.root);
  await assert.rejects(from.promise('alpha', p.digests.alpha), (e) => {
    assert.equal(e.code, 'FILE_MISSING');
    assert.deepEqual(e.report.problems.map((x) => [x.code, x.path]), [
      ['FILE_MISSING', 'README.md'], ['FILE_CHANGED', 'index.js'], ['FILE_EXTRA', 'zzz.js'],
    ]);
    assert.match(e.message, /\(and 2 more problems\)/);
    return true;
  });
});

test('keys: signatures are checked when keys are given', async () => {
  const p = project();
  const from = callerIn(p.root);
  assert.equal((await from.promise('alpha', p.digests.alpha, { keys: [p.pub] })).version, '1.0.0');
  assert.equal(from.sync('alpha', null, { keys: p.pub, threshold: 1 }).version, '1.0.0', 'keys only');
  const other = 'RWSiB7bbkQVvnls/lalIky/D3JGFmpSsCJmBBfk4WxhTBxLvp8aZBjqH';
  await assert.rejects(from.promise('alpha', p.digests.alpha, { keys: [other] }), { code: 'KEY_NOT_TRUSTED' });
  // An unsigned package with a key pin: THRESHOLD_NOT_MET.
  assert.throws(() => from.sync('gamma', p.digests.gamma, { keys: [p.pub] }), { code: 'THRESHOLD_NOT_MET' });
  // A forged signature file: the global signature over the trusted comment fails.
  const sig = path.join(p.root, 'node_modules', 'alpha', '.omega', 'manifest.json.minisig');
  const lines = fs.readFileSync(sig, 'utf8').split('\n');
  lines[2] = 'trusted comment: forged';
  fs.writeFileSync(sig, lines.join('\n'));
  const forged = callerIn(p.root);
  await assert.rejects(forged.promise('alpha', null, { keys: [p.pub] }), (e) => {
    assert.equal(e.code, 'SIGNATURE_INVALID');
    assert.equal(e.report.signatures[0].error, 'SIGNATURE_INVALID');
    return true;
  });
});

test('lock: the entry of the package gives the digest and the signing keys', async () => {
  const p = project();
  const from = callerIn(p.root);
  const lock = path.join(p.root, 'omega.lock');
  assert.equal(from.sync('alpha', p.digests.alpha, { lock }).version, '1.0.0');
  assert.equal((await from.promise('@scope/beta', null, { lock: true })).name, '@scope/beta');
  // A caller in beta's own node_modules folder resolves as beta does (a file in beta itself
  // would be a file its verified listing lacks).
  const inBeta = callerIn(path.join(p.root, 'node_modules', '@scope', 'beta', 'node_modules'));
  assert.equal(inBeta.sync('alpha', null, { lock }).version, '2.0.0', 'nested entry, keyed by its path');
  assert.throws(() => from.sync('alpha', p.digests.gamma, { lock }), { code: 'DIGEST_MISMATCH' });
  assert.throws(() => from.sync('stray', null, { lock }), (e) => e.code === 'NOT_FOUND' && /stray: not pinned in/.test(e.message));
});

test('a package that is not installed is NOT_FOUND', async () => {
  const p = project();
  const from = callerIn(p.root);
  await assert.rejects(from.promise('nope', p.digests.alpha), (e) => e.code === 'NOT_FOUND' && /nope/.test(e.message));
  assert.throws(() => from.sync('@scope/nope', p.digests.alpha), { code: 'NOT_FOUND' });
});

test('arguments of the wrong type are TypeErrors with code MALFORMED', async () => {
  const p = project();
  const from = callerIn(p.root);
  assert.throws(() => from.sync('./alpha', p.digests.alpha), { name: 'TypeError', code: 'MALFORMED' });
  assert.throws(() => from.sync('fs', p.digests.alpha), { name: 'TypeError' });
  assert.throws(() => from.sync('alpha', 42), { name: 'TypeError' });
  assert.throws(() => from.sync('alpha', p.digests.alpha, { key: [p.pub] }), /unknown option "key"/);
  await assert.rejects(from.promise(42, p.digests.alpha), { name: 'TypeError' });
  assert.throws(() => from.cb('alpha', p.digests.alpha, {}, 'not a function'), { name: 'TypeError' });
  assert.throws(() => from.sync('alpha', 'sha256:abc'), { code: 'MALFORMED' });
});

test('results are cached per process by directory and digest', async () => {
  const p = project();
  const from = callerIn(p.root);
  const dir = path.join(p.root, 'node_modules', 'gamma');
  from.sync('gamma', p.digests.gamma);
  fs.appendFileSync(path.join(dir, 'index.js'), '// changed after the check\n');
  assert.equal(from.sync('gamma', p.digests.gamma), 'gamma', 'the earlier success is reused');
  // A check outside the loader is never cached, and sees the change.
  await assert.rejects(Ω.checkPackage(dir, { digest: p.digests.gamma }), { code: 'DIGEST_MISMATCH' });
});

test('the promise form does not block the event loop while hashing', async () => {
  const p = project();
  const dir = path.join(p.root, 'node_modules', 'gamma');
  const big = Buffer.alloc(48 * 1024 * 1024, 7);
  fs.writeFileSync(path.join(dir, 'big.bin'), big);
  const from = callerIn(p.root);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const t0 = process.hrtime.bigint();
  await assert.rejects(from.promise('gamma', p.digests.gamma), { code: 'DIGEST_MISMATCH' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  clearInterval(timer);
  // Hashing 48 MiB takes tens of milliseconds or more; the 1 ms timer kept firing meanwhile.
  assert.ok(ticks >= Math.min(5, ms / 10), `only ${ticks} timer ticks in ${ms.toFixed(1)} ms`);
});

// Threat model N22: a scoped package with no package.json of its own; Node's scope lookup
// reads its scope folder's (node_modules/@sc/package.json), which no package lists: a loose one
// with "type": "module" would run the verified CommonJS file as an ES module. Refused.
test('a loose scope folder package.json, read for a scoped package without one, is refused', async () => {
  const root = tmpdir('omega-node-omega-scope-');
  const np = path.join(root, 'node_modules', '@sc', 'np');
  write(path.join(np, 'index.js'), "var how = this === undefined ? 'esm' : 'cjs';\nif (how === 'cjs') module.exports = how;\n");
  const digest = Ω.digestDirSync(np);
  const loose = path.join(root, 'node_modules', '@sc', 'package.json');
  write(loose, JSON.stringify({ type: 'module' }) + '\n');
  const from = callerIn(root);
  assert.throws(() => from.sync('@sc/np', digest), (e) => e.code === 'FILE_EXTRA' && e.message.includes('@sc/package.json'));
  await assert.rejects(from.promise('@sc/np', digest), (e) => e.code === 'FILE_EXTRA');
  await assert.rejects(cb(from, '@sc/np', digest), (e) => e.code === 'FILE_EXTRA');
  fs.unlinkSync(loose);
  assert.equal(from.sync('@sc/np', digest), 'cjs');
});

// Review of session 11: the same file written after Ω checked and loaded the package: the
// package's later require of one of its files runs as Node now reads it, so it is refused.
test('a loose scope folder package.json written after Ω loaded the package is refused at its next load', async () => {
  const root = tmpdir('omega-node-omega-scope-later-');
  const np = path.join(root, 'node_modules', '@sc', 'np');
  write(path.join(np, 'index.js'), "module.exports = () => require('./lazy.js');\n");
  write(path.join(np, 'lazy.js'), "var how = this === undefined ? 'esm' : 'cjs';\nif (how === 'cjs') module.exports = how;\n");
  const digest = Ω.digestDirSync(np);
  const from = callerIn(root);
  const lazy = from.sync('@sc/np', digest);
  write(path.join(root, 'node_modules', '@sc', 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
  assert.throws(lazy, (e) => e.code === 'FILE_EXTRA' && e.message.includes('@sc/package.json'));
});

// Second review of session 11 (A4): a load refused for a folder's package.json, which is then
// removed: Node had read and kept it, so Ω's package stays refused.
test('an Ω package whose folder package.json was refused at a load stays refused after it is removed', () => {
  const root = tmpdir('omega-node-omega-refused-');
  const k = path.join(root, 'node_modules', 'k');
  write(path.join(k, 'package.json'), JSON.stringify({ name: 'k', version: '1.0.0' }) + '\n');
  write(path.join(k, 'index.js'), 'module.exports = (x) => require(x);\n');
  write(path.join(k, 'lib', 'index.js'), "module.exports = 'lib/index';\n");
  write(path.join(k, 'lib', 'other.js'), "module.exports = 'lib/other';\n");
  const req = callerIn(root).sync('k', Ω.digestDirSync(k));
  write(path.join(k, 'lib', 'package.json'), JSON.stringify({ main: 'other.js' }) + '\n');
  assert.throws(() => req('./lib'), (e) => e.code === 'FILE_EXTRA');
  fs.unlinkSync(path.join(k, 'lib', 'package.json'));
  assert.throws(() => req('./lib'), (e) => e.code === 'FILE_EXTRA');
});
