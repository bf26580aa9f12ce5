// Log verification through the WASM module itself (src/log.rs): the log vectors (notes.json,
// log_proofs.json, statements.json) run WHOLE with the runner the Node package uses
// (bindings/node/test/log-vectors.js: same export names, same arguments, per-kind counts
// asserted, `publish` skipped by kind and counted), then what is specific to this build:
// Uint8Array results, plain-object tiles, and the errors' `.code`/`.kind`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { loadOmega, projectCases } from './helpers.mjs';

const omega = loadOmega();
const { runAll } = createRequire(import.meta.url)('../../node/test/log-vectors.js');

test('log vectors, whole, through the WASM exports', () => {
  const counts = runAll(omega);
  assert.equal(counts.statements.log, 9);
});

test('readEntry and parseBundle give Uint8Arrays; tiles as a plain object', () => {
  const c = projectCases('log_proofs.json').find((x) => x.name === 'tile_log_300');
  const tiles = Object.fromEntries(Object.entries(c.tiles).map(([p, h]) => [p, Uint8Array.from(Buffer.from(h, 'hex'))]));
  const e = omega.readEntry(0, c.size, c.root, tiles);
  assert.ok(e instanceof Uint8Array);
  assert.equal(omega.verifyInclusion(0, c.size, e, omega.proveInclusion(0, c.size, c.root, tiles).proof, c.root), true);
  const b = omega.parseBundle(Uint8Array.from([0, 1, 0x61]), 1);
  assert.ok(b[0] instanceof Uint8Array);
});

test('errors carry .code and .kind; wrong types are TypeErrors with MALFORMED', () => {
  const c = projectCases('log_proofs.json').find((x) => x.name === 'fail_inclusion_wrong_leaf');
  let err;
  try {
    omega.verifyInclusion(c.index, c.size, c.leaf_hash, c.proof, c.root);
  } catch (e) {
    err = e;
  }
  assert.equal(err.code, 'NOT_IN_LOG');
  assert.equal(err.kind, 'verification');
  assert.throws(() => omega.tilesForRoot(-1), { name: 'TypeError', code: 'MALFORMED' });
  assert.throws(() => omega.proveInclusion(0, 1, '00'.repeat(32), 7), { name: 'TypeError', code: 'MALFORMED' });
});
