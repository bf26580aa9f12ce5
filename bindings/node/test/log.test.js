'use strict';
// Log verification through the Node API (lib/log.js) on the engine under test (OMEGA_ENGINE):
// the log vectors whole (log-vectors.js), then the API's own shapes: the tile form end to end,
// leaf bytes for verifyInclusion, offline checkpoints, the registry error codes, type errors.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, ENGINE, loadOmega } = require('./helpers.js');
const { runAll } = require('./log-vectors.js');

const Ω = loadOmega();
const vec = (f) => JSON.parse(fs.readFileSync(path.join(REPO, 'tests', 'vectors', f), 'utf8')).cases;
const byName = (f, n) => vec(f).find((c) => c.name === n);

test(`log vectors, whole (engine ${Ω.engine}, asked ${ENGINE})`, () => {
  const counts = runAll(Ω);
  assert.equal(counts.notes.note + counts.notes.checkpoint + counts.notes.policy + counts.notes.index, 70);
});

test('the tile form: fetch what tilesFor* name, prove, read the entry', () => {
  const c = byName('log_proofs.json', 'tile_log_300');
  const all = new Map(Object.entries(c.tiles).map(([p, h]) => [p, Buffer.from(h, 'hex')]));
  const want = Ω.tilesForInclusion(299, c.size);
  const bundle = Ω.bundleForEntry(299, c.size);
  assert.equal(bundle, 'tile/entries/001.p/44');
  // A host that fetches exactly what core names.
  const fetched = Object.fromEntries([...want, bundle].map((p) => [p, all.get(p)]));
  const { leafHash, proof } = Ω.proveInclusion(299, c.size, c.root, fetched);
  const entry = Ω.readEntry(299, c.size, c.root, fetched);
  assert.ok(Buffer.isBuffer(entry));
  assert.equal(Ω.leafHash(entry), leafHash);
  // The proof verifies from the leaf hash and from the entry's bytes alike.
  assert.equal(Ω.verifyInclusion(299, c.size, leafHash, proof, c.root), true);
  assert.equal(Ω.verifyInclusion(299, c.size, entry, proof, c.root), true);
  assert.throws(() => Ω.verifyInclusion(298, c.size, entry, proof, c.root), { code: 'NOT_IN_LOG' });
  // Consistency from 200 with the tiles tilesForConsistency names.
  const req = c.requests.find((r) => r.proof === 'consistency' && r.size1 === 200 && r.expect.proof);
  const ctiles = Object.fromEntries(Ω.tilesForConsistency(200, c.size).map((p) => [p, all.get(p) ?? all.get(p.replace(/\.p\/\d+$/, ''))]));
  const cons = Ω.proveConsistency(200, c.size, req.root1, c.root, ctiles);
  assert.equal(Ω.verifyConsistency(200, c.size, req.root1, c.root, cons.proof), true);
  assert.throws(() => Ω.verifyConsistency(c.size, 200, c.root, req.root1, []), { code: 'LOG_INCONSISTENT' });
  // A tile the host did not fetch.
  assert.throws(() => Ω.proveInclusion(299, c.size, c.root, {}), { code: 'NOT_FOUND' });
});

test('checkpoints: offline, fresh, stale, quorum', () => {
  const fresh = byName('notes.json', 'quorum-2-of-3-met-fresh');
  const v = Ω.verifyCheckpoint(fresh.note, fresh.policy, { now: fresh.now, maxAge: fresh.max_age });
  assert.equal(v.freshness.state, 'fresh');
  assert.equal(v.root, '09'.repeat(32));
  assert.match(v.logKey, /^registry\.example\/log\+/);
  assert.equal(v.note, fresh.note);
  const offline = Ω.verifyCheckpoint(fresh.note, fresh.policy);
  assert.deepEqual(offline.freshness, { state: 'not_checked', asOf: null });
  // Far in the future: the same cosignatures are too old.
  assert.throws(() => Ω.verifyCheckpoint(fresh.note, fresh.policy, { now: fresh.now + 10 * 86400 }), { code: 'STALE' });
  const q = vec('notes.json').find((c) => c.kind === 'checkpoint' && c.expect.error === 'QUORUM_NOT_MET');
  assert.throws(() => Ω.verifyCheckpoint(q.note, q.policy, { now: q.now }), (e) => e instanceof Ω.OmegaError && e.code === 'QUORUM_NOT_MET');
});

test('replayLog stops when asked; parseStatement and parseEntry', () => {
  const c = vec('statements.json').find((x) => x.kind === 'log' && x.expect.verdicts.includes('ok') && x.expect.verdicts.some((v) => v !== 'ok') && x.expect.verdicts[0] === 'ok');
  const first = c.expect.verdicts.findIndex((v) => v !== 'ok');
  const r = Ω.replayLog(c.entries.map((e) => Buffer.from(e)), { stop: true });
  assert.equal(r.verdicts.length, first + 1);
  assert.equal(r.errors[0].index, first);
  const e = Ω.parseEntry(c.entries[0]);
  assert.equal(e.type, 'registry');
  assert.equal(Ω.parseStatement(e.statement).type, 'registry');
});

test('type errors carry MALFORMED', () => {
  assert.throws(() => Ω.verifyNote(42, []), { name: 'TypeError', code: 'MALFORMED' });
  assert.throws(() => Ω.verifyInclusion(-1, 1, '00'.repeat(32), [], '00'.repeat(32)), { code: 'MALFORMED' });
  assert.throws(() => Ω.verifyInclusion(0, 2 ** 53, '00'.repeat(32), [], '00'.repeat(32)), { code: 'MALFORMED' });
  assert.throws(() => Ω.verifyCheckpoint('x', 'y', { when: 1 }), { code: 'MALFORMED' });
  assert.throws(() => Ω.proveInclusion(0, 1, '00'.repeat(32), [1]), { code: 'MALFORMED' });
  assert.throws(() => Ω.verifyInclusion(0, 1, 'AB'.repeat(32), [], '00'.repeat(32)), { code: 'MALFORMED' });
});
