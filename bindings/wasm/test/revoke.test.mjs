// revokeLock: a signed revocation statement applied to the bytes of an omega.lock (omega-core's
// lock::revoke), with the project's revocation vectors (tests/vectors/revocation.json), including
// the forged ones (fail_*), and over a lock that pins the package at two install paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadOmega, projectCases, codeOf } from './helpers.mjs';

const omega = loadOmega();
const enc = (s) => new TextEncoder().encode(s);
const lockOf = (packages) => enc(JSON.stringify({ 'omega-lock': 1, packages }));

test('revocation.json: revokeLock, all cases including fail_*', () => {
  const cases = projectCases('revocation.json');
  assert.ok(cases.length >= 8, 'revocation.json trimmed?');
  for (const c of cases) {
    const lock = lockOf({ [c.package]: c.pinned });
    // A statement for another package: over a whole lock, that package has no entry.
    const otherPackage = JSON.parse(c.statement).name !== c.package;
    const error = otherPackage ? 'NOT_FOUND' : c.expect.error;
    if (error) {
      const e = codeOf(() => omega.revokeLock(lock, enc(c.statement), c.signature));
      assert.ok(e instanceof Error, `${c.name}: expected ${error}, got a new lock`);
      assert.equal(e.code, error, `${c.name}: ${e.message}`);
    } else {
      const out = omega.revokeLock(lock, c.statement, c.signature);
      assert.ok(out instanceof Uint8Array, c.name);
      const doc = JSON.parse(new TextDecoder().decode(out));
      assert.deepEqual(doc.packages[c.package], c.expect.entry, c.name);
    }
  }
});

test('revokeLock applies to every install of the name, all or nothing', () => {
  const ok = projectCases('revocation.json').find((c) => c.name === 'self_signed');
  const forged = projectCases('revocation.json').find((c) => c.name === 'fail_signed_by_outsider');
  const nested = `node_modules/x/node_modules/${ok.package}`;
  const packages = { [ok.package]: ok.pinned, [nested]: { ...ok.pinned, path: nested } };
  const doc = JSON.parse(new TextDecoder().decode(omega.revokeLock(lockOf(packages), ok.statement, ok.signature)));
  assert.deepEqual(doc.packages[ok.package].revoked, [ok.expect.revoked]);
  assert.deepEqual(doc.packages[nested].revoked, [ok.expect.revoked]);
  // A forged statement (outsider's signature) changes nothing: it throws.
  const e = codeOf(() => omega.revokeLock(lockOf(packages), forged.statement, forged.signature));
  assert.equal(e?.code, forged.expect.error);
  // Malformed lock, unknown package.
  assert.equal(codeOf(() => omega.revokeLock(enc('{'), ok.statement, ok.signature))?.code, 'MALFORMED');
  assert.equal(codeOf(() => omega.revokeLock(lockOf({}), ok.statement, ok.signature))?.code, 'NOT_FOUND');
});
