// The JS surface of the WASM binding: tarballs (good, tampered, hostile), the report and error
// shapes, argument and option checking, and the browser (ES module) build loaded in Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadOmega, projectCases, vectorFile, makeTgz, codeOf, wasmDir, toHex } from './helpers.mjs';

const omega = loadOmega();

// A package signed by vector key 1 (tests/vectors/package.json, case digest_and_key).
const signedCase = projectCases('package.json').find((c) => c.name === 'digest_and_key');
const FILES = signedCase.files.map(vectorFile);
const KEY = signedCase.pins.keys[0];
const TREE = signedCase.expect.tree;
const OTHER_KEY = projectCases('package.json').find((c) => c.name === 'threshold_two_of_two').pins.keys[1];
const withData = (path, data) => FILES.map((f) => (f.path === path ? { ...f, data } : f));

const REPORT_KEYS = [
  'ok', 'code', 'message', 'package', 'version', 'sequence', 'files', 'tree', 'manifest_tree',
  'pinned_digest', 'threshold', 'signed_by', 'signatures', 'problems',
].sort();

test('checkTarball: a signed npm-style tarball verifies, with the full report', () => {
  const r = omega.checkTarball(makeTgz(FILES), { keys: [KEY], digest: TREE });
  assert.deepEqual(Object.keys(r).sort(), REPORT_KEYS);
  assert.equal(r.ok, true);
  assert.equal(r.code, null);
  assert.equal(r.package, 'left-pad');
  assert.equal(r.version, '1.3.0');
  assert.equal(r.sequence, 7);
  assert.equal(r.tree, TREE);
  assert.equal(r.manifest_tree, TREE);
  assert.equal(r.pinned_digest, TREE);
  assert.equal(r.threshold, 1);
  assert.equal(r.files, 4);
  assert.deepEqual(r.signed_by, [KEY]);
  assert.equal(r.signatures.length, 1);
  assert.equal(r.signatures[0].key, KEY);
  assert.equal(r.signatures[0].error, null);
  assert.deepEqual(r.problems, []);
  // Keys as a minisign key file, one string for one key, digest alone.
  const keyFile = `untrusted comment: minisign public key\n${KEY}\n`;
  assert.equal(omega.checkTarball(makeTgz(FILES), { keys: [keyFile] }).ok, true);
  assert.equal(omega.checkTarball(makeTgz(FILES), { keys: KEY }).ok, true);
  assert.equal(omega.checkTarball(makeTgz(FILES), { digest: TREE }).ok, true);
  // Any folder name leads, as npm's own tarballs of some packages do.
  assert.equal(omega.checkTarball(makeTgz(FILES, 'left-pad/'), { keys: [KEY] }).ok, true);
});

test('checkTarball: tampering is refused with the code of the first problem and the report', () => {
  const cases = [
    [withData('lib/a.js', 'tampered\n'), 'FILE_CHANGED', 'lib/a.js'],
    [[...FILES, { path: 'evil.js', data: 'pwn()' }], 'FILE_EXTRA', 'evil.js'],
    [FILES.filter((f) => f.path !== 'index.js'), 'FILE_MISSING', 'index.js'],
    [FILES.map((f) => (f.path === 'bin/pad' ? { ...f, executable: false } : f)), 'FILE_CHANGED', 'bin/pad'],
  ];
  for (const [files, code, path] of cases) {
    const e = codeOf(() => omega.checkTarball(makeTgz(files), { keys: [KEY] }));
    assert.ok(e instanceof Error, code);
    assert.equal(e.code, code);
    assert.match(e.message, new RegExp(`^${code}: left-pad: file "${path}"`));
    assert.deepEqual(Object.keys(e.report).sort(), REPORT_KEYS);
    assert.equal(e.report.ok, false);
    assert.equal(e.report.code, code);
    assert.deepEqual(e.report.signed_by, [KEY], 'the signature itself is fine');
    assert.deepEqual(e.report.problems.map((p) => [p.code, p.path]), [[code, path]]);
    // The report is plain data: it survives JSON and structured cloning (postMessage).
    assert.deepEqual(JSON.parse(JSON.stringify(e.report)), e.report);
    assert.deepEqual(structuredClone(e.report), e.report);
  }
  // Wrong key, wrong digest, a signature file made for other bytes.
  assert.equal(codeOf(() => omega.checkTarball(makeTgz(FILES), { keys: [OTHER_KEY] })).code, 'KEY_NOT_TRUSTED');
  const wrong = 'b2tree:' + 'ab'.repeat(32);
  assert.equal(codeOf(() => omega.checkTarball(makeTgz(FILES), { digest: wrong })).code, 'DIGEST_MISMATCH');
  const sig = FILES.find((f) => f.path === '.omega/manifest.json.minisig');
  const bent = new TextDecoder().decode(sig.data).replace(/^(trusted comment: .*)$/m, '$1 (edited)');
  const e = codeOf(() => omega.checkTarball(makeTgz(withData(sig.path, bent)), { keys: [KEY] }));
  assert.equal(e.code, 'SIGNATURE_INVALID');
  assert.equal(e.report.signatures[0].error, 'SIGNATURE_INVALID');
});

test('checkTarball: hostile archives are refused before any check', () => {
  const ok = FILES.slice(0, 1);
  const cases = [
    [[...ok, { path: 'link', type: '2', linkname: '/etc/passwd' }], 'UNSUPPORTED_FILE_TYPE'],
    [[...ok, { path: 'hard', type: '1', linkname: 'package/index.js' }], 'UNSUPPORTED_FILE_TYPE'],
    [[...ok, { path: 'fifo', type: '6' }], 'UNSUPPORTED_FILE_TYPE'],
    [[...ok, { path: '../evil.js', data: 'x' }], 'UNSAFE_PATH'],
    [[...ok, { path: '/etc/cron.d/x', data: 'x', raw: true }], 'UNSAFE_PATH'],
    [[...ok, { path: 'other/x.js', data: 'x', raw: true }], 'UNSAFE_PATH'],
    [[...ok, { path: 'a\\b.js', data: 'x' }], 'UNSAFE_PATH'],
    [[...ok, { path: 'README', data: 'x' }, { path: 'readme', data: 'y' }], 'UNSAFE_PATH'],
  ];
  for (const [entries, code] of cases) {
    const e = codeOf(() => omega.checkTarball(makeTgz(entries), { keys: [KEY] }));
    assert.equal(e?.code, code, JSON.stringify(entries.at(-1)));
    assert.equal(e.report, undefined, 'no report: nothing was checked');
  }
  const good = makeTgz(FILES);
  assert.equal(codeOf(() => omega.checkTarball(new TextEncoder().encode('not gzip'), { keys: [KEY] })).code, 'MALFORMED');
  assert.equal(codeOf(() => omega.checkTarball(good.subarray(0, good.length - 9), { keys: [KEY] })).code, 'MALFORMED');
  const trailing = new Uint8Array(good.length + 1);
  trailing.set(good);
  assert.equal(codeOf(() => omega.checkTarball(trailing, { keys: [KEY] })).code, 'MALFORMED');
});

test('listTarball shows what a tarball holds, without a verdict', () => {
  const l = omega.listTarball(makeTgz(FILES));
  assert.equal(l.tree, TREE);
  assert.equal(l.tree, omega.digestFiles(FILES));
  assert.deepEqual(l.files.map((f) => f.path), ['bin/pad', 'index.js', 'lib/a.js', 'package.json']);
  const pad = l.files[0];
  assert.equal(pad.kind, 'x');
  assert.equal(pad.size, 10);
  assert.equal(pad.blake2b256, toHex(omega.blake2b256('#!/bin/sh\n')));
  assert.ok(l.manifest instanceof Uint8Array);
  assert.deepEqual(l.manifest, FILES.find((f) => f.path === '.omega/manifest.json').data);
  assert.ok(l.signature instanceof Uint8Array);
  const bare = omega.listTarball(makeTgz(FILES.filter((f) => !f.path.startsWith('.omega/'))));
  assert.equal(bare.manifest, null);
  assert.equal(bare.signature, null);
});

test('checkPackageFiles: metadata inside files or as arguments, not both', () => {
  const manifest = FILES.find((f) => f.path === '.omega/manifest.json').data;
  const e = codeOf(() => omega.checkPackageFiles(FILES, manifest, null, { keys: [KEY] }));
  assert.equal(e.code, 'UNSAFE_PATH');
  // `undefined` works like `null`; data may be a string (UTF-8).
  const asText = FILES.map((f) => ({ ...f, data: new TextDecoder().decode(f.data) }));
  assert.equal(omega.checkPackageFiles(asText, undefined, undefined, { keys: [KEY] }).ok, true);
  // Files without manifest, pinned by digest only: the label names the package.
  const plain = FILES.filter((f) => !f.path.startsWith('.omega/'));
  const r = omega.checkPackageFiles(plain, null, null, { digest: TREE, label: 'left-pad@1.3.0' });
  assert.equal(r.ok, true);
  assert.equal(r.package, 'left-pad@1.3.0');
  assert.equal(r.threshold, 0);
  // Key pinned, no manifest at all.
  assert.equal(codeOf(() => omega.checkPackageFiles(plain, null, null, { keys: [KEY] })).code, omega_noManifestCode());
});

/** What core says when keys are pinned and a package has no manifest. */
function omega_noManifestCode() {
  const c = projectCases('package.json').find((x) => x.name === 'fail_no_manifest_with_key_pin');
  return c ? c.expect.error : 'NOT_FOUND';
}

test('pins are checked strictly: unknown options and wrong types throw TypeError(MALFORMED)', () => {
  const tgz = makeTgz(FILES);
  const typeErrors = [
    { key: KEY }, // misspelt `keys`: must not leave the package unpinned
    { keys: [KEY], treshold: 1 },
    { keys: [KEY], threshold: -1 },
    { keys: [KEY], threshold: 1.5 },
    { keys: [KEY], threshold: '1' },
    { keys: 42 },
    { keys: [42] },
    { digest: 42 },
    { keys: [KEY], legacy: 'yes' },
    { keys: [KEY], label: 7 },
    [KEY],
    'RW…',
  ];
  for (const pins of typeErrors) {
    const e = codeOf(() => omega.checkTarball(tgz, pins));
    assert.ok(e instanceof TypeError, `${JSON.stringify(pins)}: ${e}`);
    assert.equal(e.code, 'MALFORMED');
  }
  // Values of the right type are judged by omega-core.
  const core = [
    [{ keys: ['RWnot-a-key'] }, 'MALFORMED'],
    [{ digest: 'sha256:abc' }, 'MALFORMED'],
    [{ digest: 'b2tree:' + 'AB'.repeat(32) }, 'MALFORMED'],
    [{ keys: [KEY], threshold: 2 }, 'MALFORMED'],
    [{ keys: [KEY], threshold: 0 }, 'MALFORMED'],
    [{}, 'KEY_NOT_TRUSTED'],
    [null, 'KEY_NOT_TRUSTED'],
    [undefined, 'KEY_NOT_TRUSTED'],
  ];
  for (const [pins, code] of core) {
    const e = codeOf(() => omega.checkTarball(tgz, pins));
    assert.ok(e && !(e instanceof TypeError), `${JSON.stringify(pins)}: ${e}`);
    assert.equal(e.code, code, `${JSON.stringify(pins)}: ${e.message}`);
  }
  assert.equal(omega.checkTarball(tgz, { keys: [KEY, OTHER_KEY] }).threshold, 1, 'default threshold 1');
  assert.equal(codeOf(() => omega.checkTarball(tgz, { keys: [KEY, OTHER_KEY], threshold: 2 })).code, 'THRESHOLD_NOT_MET');
});

test('files arguments are type-checked', () => {
  const bad = [
    'index.js',
    [{ data: 'x' }],
    [{ path: 'a', data: 42 }],
    [{ path: 'a', data: 'x', executable: 'yes' }],
    [null],
  ];
  for (const files of bad) {
    const e = codeOf(() => omega.digestFiles(files));
    assert.ok(e instanceof TypeError, JSON.stringify(files));
    assert.equal(e.code, 'MALFORMED');
  }
  const a = omega.digestFiles([{ path: 'a', data: 'x' }]);
  assert.equal(omega.digestFiles([{ path: 'a', data: new TextEncoder().encode('x') }]), a);
  assert.equal(omega.digestFiles([{ path: 'a', data: Buffer.from('x'), executable: false }]), a);
  assert.notEqual(omega.digestFiles([{ path: 'a', data: 'x', executable: true }]), a);
  // Top-level .omega/ files are metadata and never part of the digest.
  assert.equal(omega.digestFiles([{ path: 'a', data: 'x' }, { path: '.omega/notes', data: 'y' }]), a);
});

test('verifyMinisign: options and key forms', () => {
  const c = projectCases('minisign.json').find((x) => x.name === 'prehashed_key_file');
  const msg = Buffer.from(c.message_hex, 'hex');
  assert.equal(omega.verifyMinisign(msg, c.signature, c.public_key), c.expect.trusted_comment);
  assert.equal(omega.verifyMinisign(msg, new TextEncoder().encode(c.signature), c.public_key), c.expect.trusted_comment);
  assert.equal(omega.verifyMinisign(msg, c.signature, c.public_key, { legacy: false }), c.expect.trusted_comment);
  for (const options of [{ legacy: 1 }, { legasy: true }, 'legacy']) {
    const e = codeOf(() => omega.verifyMinisign(msg, c.signature, c.public_key, options));
    assert.ok(e instanceof TypeError && e.code === 'MALFORMED', JSON.stringify(options));
  }
  const tampered = Buffer.concat([msg, Buffer.from('!')]);
  const e = codeOf(() => omega.verifyMinisign(tampered, c.signature, c.public_key));
  assert.equal(e.code, 'SIGNATURE_INVALID');
  assert.equal(e.report, undefined);
});

test('the browser build (pkg/, ES module) loads in Node and agrees with pkg-node', async () => {
  const mod = await import(pathToFileURL(join(wasmDir, 'pkg', 'omega.js')).href);
  assert.equal(typeof mod.default, 'function', 'default export init');
  mod.initSync({ module: readFileSync(join(wasmDir, 'pkg', 'omega_bg.wasm')) });
  assert.equal(mod.digestFiles(FILES), TREE);
  assert.equal(mod.checkTarball(makeTgz(FILES), { keys: [KEY] }).ok, true);
  const e = codeOf(() => mod.checkTarball(makeTgz(withData('index.js', 'x')), { keys: [KEY] }));
  assert.equal(e.code, 'FILE_CHANGED');
  const pkgJson = JSON.parse(readFileSync(join(wasmDir, 'pkg', 'package.json'), 'utf8'));
  assert.equal(pkgJson.type, 'module');
  const nodeJson = JSON.parse(readFileSync(join(wasmDir, 'pkg-node', 'package.json'), 'utf8'));
  assert.equal(nodeJson.type, 'commonjs');
  // The verifier module: packages, tarballs, signatures, digests (issue 11: ≤ 250 KiB).
  const verifier = [
    'blake2b256', 'checkPackageFiles', 'checkPath', 'checkTarball', 'digestFiles', 'initSync', 'listTarball',
    'treeListing', 'verifyEd25519', 'verifyMinisign', 'verifySignify',
  ];
  const exported = (name) => readFileSync(join(wasmDir, 'pkg', name), 'utf8').match(/export function \w+/g).sort();
  assert.deepEqual(exported('omega.d.ts'), verifier.sort().map((n) => `export function ${n}`));
  assert.ok(statSync(join(wasmDir, 'pkg', 'omega_bg.wasm')).size <= 250 * 1024, 'pkg/omega_bg.wasm ≤ 250 KiB');
  // The full module: the same and everything else.
  assert.deepEqual(
    exported('omega_full.d.ts'),
    [
      ...verifier,
      // Lock files (lock.test.mjs, revoke.test.mjs), batches.
      'lockEntries', 'revokeLock', 'verifyEd25519Batch',
      // Log verification (src/log.rs, log.test.mjs).
      'bundleForEntry', 'leafHash', 'merkleRoot', 'parseBundle', 'parseEntry', 'parsePolicy', 'parseStatement',
      'parseTilePath', 'proveConsistency', 'proveInclusion', 'readEntry', 'replayLog', 'tilesForConsistency',
      'tilesForInclusion', 'tilesForRoot', 'verifyCheckpoint', 'verifyConsistency', 'verifyInclusion', 'verifyIndex',
      'verifyNote',
      // The registry reader's re-open rule (src/registry.rs: core's driver::REFRESH_SECONDS).
      'refreshSeconds',
    ].sort().map((n) => `export function ${n}`),
  );
});

test('checkPath: omega-core\'s rule for a file or folder path (the Node engine\'s walk hands it every folder)', () => {
  for (const ok of ['lib', 'lib/x.js', '.github', 'a b/é']) assert.equal(omega.checkPath(ok), undefined);
  for (const bad of ['a\\b', 'x\x01y', 'x\x7fy', '', 'a//b', 'a/./b', '../x', 'x'.repeat(256)]) {
    assert.equal(codeOf(() => omega.checkPath(bad)).code, 'UNSAFE_PATH', JSON.stringify(bad));
  }
});

test('reports keep core\'s key order (the CLI\'s), and errors carry core\'s kind', () => {
  const ORDER = [
    'ok', 'code', 'message', 'package', 'version', 'sequence', 'files', 'tree', 'manifest_tree',
    'pinned_digest', 'threshold', 'signed_by', 'signatures', 'problems',
  ];
  const r = omega.checkTarball(makeTgz(FILES), { keys: [KEY], digest: TREE });
  assert.deepEqual(Object.keys(r), ORDER);
  assert.deepEqual(Object.keys(r.signatures[0]), ['key_id', 'key', 'trusted_comment', 'error']);
  const e = codeOf(() => omega.checkTarball(makeTgz(withData('lib/a.js', 'x')), { keys: [KEY] }));
  assert.deepEqual(Object.keys(e.report), ORDER);
  assert.deepEqual(Object.keys(e.report.problems[0]), ['code', 'path', 'key', 'message']);
  // ErrorCode::kind: FILE_CHANGED is a verification failure, a bad key text malformed input.
  assert.equal(e.kind, 'verification');
  assert.equal(codeOf(() => omega.checkTarball(makeTgz(FILES), { keys: ['RWnot-a-key'] })).kind, 'malformed');
  assert.equal(codeOf(() => omega.checkTarball(makeTgz(FILES), { threshold: 'x' })).kind, 'malformed');
  // Without a threshold, core's default: 1 with keys.
  assert.equal(omega.checkTarball(makeTgz(FILES), { keys: [KEY] }).threshold, 1);
  assert.equal(omega.checkTarball(makeTgz(FILES), { digest: TREE }).threshold, 0);
});
