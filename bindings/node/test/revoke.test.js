'use strict';
// Ω.applyRevocation: a signed revocation statement (DESIGN §3.5) applied to the bytes of an
// omega.lock by omega-core's `revoke` (every entry of the package, all or nothing). The shared
// vectors (tests/vectors/revocation.json), the same bytes as `omega revoke`, and the attacks
// of docs/threat-model.md L7/L8 (an outsider's statement, an edited statement). Also: both
// engines parse omega.lock with omega-core (a duplicate key is MALFORMED on each).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, omega, project, tmpdir, write, runNode, loadOmega, PKG_DIR } = require('./helpers.js');

const Ω = loadOmega();

function cases(name) {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'tests', 'vectors', name), 'utf8')).cases;
}

function lockOf(packages) {
  return Buffer.from(JSON.stringify({ 'omega-lock': 1, packages }, null, 2) + '\n');
}

test('revocation vectors (tests/vectors/revocation.json)', () => {
  const all = cases('revocation.json');
  assert.ok(all.length > 0);
  for (const c of all) {
    const lock = lockOf({ [c.package]: c.pinned });
    let want = c.expect;
    // A statement for another package: over a whole lock, that package has no entry.
    if (JSON.parse(c.statement).name !== c.package) want = { error: 'NOT_FOUND' };
    if (want.error) {
      assert.throws(() => Ω.applyRevocation(lock, c.statement, c.signature), (e) => {
        assert.ok(e instanceof Ω.OmegaError, `${c.name}: ${e}`);
        assert.equal(e.code, want.error, c.name);
        return true;
      });
    } else {
      const out = JSON.parse(Ω.applyRevocation(lock, c.statement, c.signature).toString('utf8'));
      assert.deepEqual(out.packages[c.package], want.entry, c.name);
    }
  }
});

/** The fixture project with a statement revoking its author's key from `alpha`, signed by `signer`. */
function revocation(signer) {
  const p = project();
  const stmt = path.join(p.root, 'revoke.json');
  write(stmt, JSON.stringify({ 'omega-revoke': 1, name: 'alpha', key: p.pub, reason: 'key stolen' }, null, 2) + '\n');
  omega('sign', stmt, '-s', signer || p.key);
  return { p, stmt, lock: path.join(p.root, 'omega.lock') };
}

test('applyRevocation gives the same lock bytes as omega revoke, for every install of the name', () => {
  const { p, stmt, lock } = revocation();
  const before = fs.readFileSync(lock);
  const out = Ω.applyRevocation(before, fs.readFileSync(stmt), fs.readFileSync(`${stmt}.minisig`));
  assert.ok(Buffer.isBuffer(out));
  const parsed = JSON.parse(out.toString('utf8'));
  for (const k of ['alpha', 'node_modules/@scope/beta/node_modules/alpha']) {
    assert.deepEqual(parsed.packages[k].revoked, [p.pub], k);
    assert.deepEqual(parsed.packages[k].keys.signers, [], k);
  }
  // The lock given in was not touched; the command writes the same bytes.
  assert.deepEqual(fs.readFileSync(lock), before);
  omega('revoke', stmt, p.root);
  assert.deepEqual(fs.readFileSync(lock), out);
  // Applying it again: the key is already revoked.
  assert.throws(() => Ω.applyRevocation(out, fs.readFileSync(stmt), fs.readFileSync(`${stmt}.minisig`)), { code: 'KEY_REVOKED' });
});

test("an outsider's revocation statement is refused", () => {
  const dir = tmpdir();
  omega('keygen', '-W', '-s', path.join(dir, 'mallory.key'), '-p', path.join(dir, 'mallory.pub'));
  const { stmt, lock } = revocation(path.join(dir, 'mallory.key'));
  assert.throws(
    () => Ω.applyRevocation(fs.readFileSync(lock), fs.readFileSync(stmt), fs.readFileSync(`${stmt}.minisig`)),
    (e) => e instanceof Ω.OmegaError && ['KEY_NOT_TRUSTED', 'THRESHOLD_NOT_MET'].includes(e.code) && /alpha/.test(e.message),
  );
});

test('a statement edited after it was signed is refused', () => {
  const { stmt, lock } = revocation();
  const edited = fs.readFileSync(stmt, 'utf8').replace('key stolen', 'key stolen!');
  assert.throws(
    () => Ω.applyRevocation(fs.readFileSync(lock), edited, fs.readFileSync(`${stmt}.minisig`)),
    { code: 'SIGNATURE_INVALID' },
  );
});

test('bad arguments are TypeErrors, malformed inputs MALFORMED', () => {
  const { stmt, lock } = revocation();
  assert.throws(() => Ω.applyRevocation(42, 'x', 'y'), TypeError);
  assert.throws(() => Ω.applyRevocation(fs.readFileSync(lock), '{"omega-revoke": 1}', fs.readFileSync(`${stmt}.minisig`)), { code: 'MALFORMED' });
  assert.throws(() => Ω.applyRevocation('{"omega-lock": 1, "packages": {}, "x": 1}', fs.readFileSync(stmt), fs.readFileSync(`${stmt}.minisig`)), { code: 'MALFORMED' });
});

test('the register hook parses omega.lock with omega-core on each engine: a duplicate key is MALFORMED', () => {
  const p = project();
  const lock = path.join(p.root, 'omega.lock');
  const text = fs.readFileSync(lock, 'utf8');
  // JSON.parse would let the second "packages" win (an empty set of pins, or another one).
  fs.writeFileSync(lock, text.replace('{\n', '{\n  "packages": {},\n'));
  const r = runNode(p.root, ['--require', path.join(PKG_DIR, 'register.js'), '-e', "require('alpha')"]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /MALFORMED/);
  assert.match(r.stderr, /duplicate|packages/i);
});

// L13 (docs/threat-model.md): after the only key that signed the pinned release is revoked,
// that release is refused by the enforcing loader (KEY_REVOKED), never checked by digest only;
// the rule is omega-core's (Lockfile::entries_json "audit"), so both engines agree.
for (const how of ['omega revoke', 'Ω.applyRevocation']) {
  test(`after ${how} of its only signer, enforcing mode refuses the package with KEY_REVOKED on both engines`, () => {
    const { p, stmt, lock } = revocation();
    // Loads before the revocation.
    const before = runNode(p.root, ['--require', path.join(PKG_DIR, 'register.js'), '-e', "require('alpha')"]);
    assert.equal(before.status, 0, before.stderr);
    if (how === 'omega revoke') {
      omega('revoke', stmt, p.root);
    } else {
      fs.writeFileSync(lock, Ω.applyRevocation(fs.readFileSync(lock), fs.readFileSync(stmt), fs.readFileSync(`${stmt}.minisig`)));
    }
    for (const engine of ['native', 'wasm']) {
      for (const mode of ['files', 'tree']) {
        const r = runNode(p.root, ['--require', path.join(PKG_DIR, 'register.js'), '-e', "require('alpha')"], { OMEGA_ENGINE: engine, OMEGA_VERIFY: mode });
        assert.notEqual(r.status, 0, `${engine}/${mode}: ${r.stderr}`);
        assert.match(r.stderr, /KEY_REVOKED/, `${engine}/${mode}`);
        assert.match(r.stderr, /alpha/, `${engine}/${mode}`);
        assert.ok(!r.ran.includes('alpha@1.0.0'), `${engine}/${mode}: alpha ran`);
        // An unsigned package of the same lock still loads.
        const g = runNode(p.root, ['--require', path.join(PKG_DIR, 'register.js'), '-e', "require('gamma')"], { OMEGA_ENGINE: engine, OMEGA_VERIFY: mode });
        assert.equal(g.status, 0, `${engine}/${mode}: ${g.stderr}`);
      }
    }
    // The API with the project's lock refuses it too.
    const api = `require(${JSON.stringify(PKG_DIR)})('alpha', null, { lock: true }).then(() => console.log('loaded'), (e) => console.log(e.code))`;
    for (const engine of ['native', 'wasm']) {
      const r = runNode(p.root, ['-e', api], { OMEGA_ENGINE: engine });
      assert.equal(r.stdout.trim(), 'KEY_REVOKED', `${engine}: ${r.stdout}${r.stderr}`);
    }
  });
}
