// The project's cross-language vectors (tests/vectors/*.json, see its README) through the
// WASM API. Mapped: tree.json (digestFiles, treeListing), package.json (checkPackageFiles, the
// `.omega/` files passed inside `files` AND split out into the manifest/signature arguments),
// minisign.json (verifyMinisign), manifest.json (checkPackageFiles with the manifest alone).
// Not mapped here: lock.json (admission is not part of the WASM API); revocation.json runs in
// revoke.test.mjs (revokeLock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadOmega, projectCases, vectorFile, fromHex, codeOf } from './helpers.mjs';

const omega = loadOmega();
const MANIFEST = '.omega/manifest.json';
// How many cases each file holds (as core/tests/vectors.rs asserts): a trimmed file is noticed.
const COUNTS = { tree: 20, package: 19, minisign: 22, manifest: 22 };
const SIGNATURE = '.omega/manifest.json.minisig';

test('tree.json: digestFiles and treeListing, all cases including fail_*', () => {
  const cases = projectCases('tree.json');
  assert.equal(cases.length, COUNTS.tree);
  for (const c of cases) {
    const files = c.files.map(vectorFile);
    if (c.expect.error) {
      const e = codeOf(() => omega.digestFiles(files));
      assert.ok(e, `${c.name}: expected ${c.expect.error}, got a digest`);
      assert.ok(e instanceof Error, `${c.name}: not an Error`);
      assert.equal(e.code, c.expect.error, `${c.name}: ${e.message}`);
      assert.equal(e.report, undefined, `${c.name}: a digest error carries no report`);
      assert.equal(codeOf(() => omega.treeListing(files))?.code, c.expect.error, c.name);
    } else {
      assert.equal(omega.digestFiles(files), c.expect.digest, c.name);
      assert.equal(omega.treeListing(files), c.expect.listing, c.name);
    }
  }
});

/** Runs one package.json case; `split` passes the .omega/ files as separate arguments. */
function runPackageCase(c, split) {
  let files = c.files.map(vectorFile);
  let manifest = null;
  let signature = null;
  if (split) {
    const meta = new Map(files.filter((f) => f.path.startsWith('.omega/')).map((f) => [f.path, f]));
    files = files.filter((f) => !f.path.startsWith('.omega/'));
    manifest = meta.get(MANIFEST)?.data ?? null;
    // The signature as text, the way a page holds a fetched .minisig.
    const sig = meta.get(SIGNATURE);
    signature = sig ? new TextDecoder().decode(sig.data) : null;
  }
  const pins = {
    digest: c.pins.digest,
    keys: c.pins.keys,
    threshold: c.pins.threshold,
    legacy: c.pins.legacy,
  };
  const what = `${c.name} (${split ? 'split' : 'inside files'})`;
  if (c.expect.error) {
    const e = codeOf(() => omega.checkPackageFiles(files, manifest, signature, pins));
    assert.ok(e, `${what}: expected ${c.expect.error}, but the check passed`);
    assert.ok(e instanceof Error, what);
    assert.equal(e.code, c.expect.error, `${what}: ${e.message}`);
    assert.ok(e.message.startsWith(`${c.expect.error}: `), `${what}: message ${e.message}`);
    if (c.expect.problems) {
      assert.ok(e.report, `${what}: no report`);
      assert.equal(e.report.ok, false, what);
      assert.equal(e.report.code, c.expect.error, what);
      assert.deepEqual(
        e.report.problems.map((p) => ({ code: p.code, path: p.path })),
        c.expect.problems,
        what,
      );
    }
  } else {
    const r = omega.checkPackageFiles(files, manifest, signature, pins);
    assert.equal(r.ok, c.expect.ok, what);
    assert.equal(r.code, null, what);
    assert.equal(r.tree, c.expect.tree, what);
    assert.deepEqual(r.signed_by, c.expect.signed_by, what);
    assert.deepEqual(r.problems, [], what);
  }
}

test('package.json: checkPackageFiles, all cases, .omega/ inside files', () => {
  const cases = projectCases('package.json');
  assert.equal(cases.length, COUNTS.package);
  for (const c of cases) runPackageCase(c, false);
});

test('package.json: checkPackageFiles, all cases, .omega/ split into the arguments', () => {
  const cases = projectCases('package.json');
  assert.equal(cases.length, COUNTS.package);
  for (const c of cases) runPackageCase(c, true);
});

test('minisign.json: verifyMinisign, all cases', () => {
  const cases = projectCases('minisign.json');
  assert.equal(cases.length, COUNTS.minisign);
  for (const c of cases) {
    const run = () =>
      omega.verifyMinisign(fromHex(c.message_hex), c.signature, c.public_key, { legacy: c.legacy });
    if (c.expect.error) {
      const e = codeOf(run);
      assert.ok(e, `${c.name}: expected ${c.expect.error}, but it verified`);
      assert.equal(e.code, c.expect.error, `${c.name}: ${e.message}`);
    } else {
      assert.equal(run(), c.expect.trusted_comment, c.name);
    }
  }
});

test('manifest.json: every case through checkPackageFiles (manifest alone, digest pinned)', () => {
  const cases = projectCases('manifest.json');
  assert.equal(cases.length, COUNTS.manifest);
  // Any well-formed digest: no file is given, so a valid manifest fails on its missing files
  // and its report shows what was parsed; an invalid one fails before any report exists.
  const pins = { digest: 'b2tree:' + '0'.repeat(64) };
  for (const c of cases) {
    const e = codeOf(() => omega.checkPackageFiles([], c.manifest, null, pins));
    assert.ok(e, `${c.name}: a package without files passed`);
    if (c.expect.error) {
      assert.equal(e.code, c.expect.error, `${c.name}: ${e.message}`);
      assert.equal(e.report, undefined, `${c.name}: an unparseable manifest has no report`);
    } else {
      assert.equal(c.expect.valid, true);
      assert.equal(e.code, 'FILE_MISSING', `${c.name}: ${e.message}`);
      const r = e.report;
      assert.equal(r.package, c.expect.name);
      assert.equal(r.version, c.expect.version);
      assert.equal(r.sequence, c.expect.sequence);
      assert.equal(r.manifest_tree, c.expect.tree);
      assert.equal(r.problems.length, c.expect.files, 'one FILE_MISSING per listed file');
      assert.ok(r.problems.every((p) => p.code === 'FILE_MISSING'));
    }
  }
});
