'use strict';
// The log vectors (tests/vectors/notes.json, log_proofs.json, statements.json; README there)
// run WHOLE through a binding's log API: the Node package (either engine; log.test.js) and
// the WASM module itself (bindings/wasm/test/log.test.mjs), which take the same arguments.
// Returns per-kind counts; the callers assert them so that a shrunk file fails.
//
// Skipped, by kind, and counted: log_proofs `publish` (the publisher writes tiles; the
// bindings verify, they do not publish). Tile-path round trips (fields -> path) are core's
// (core/tests/tiles.rs); here the parse direction is checked.

const fs = require('node:fs');
const path = require('node:path');
const assert = require('node:assert/strict');

const VECTORS = path.join(__dirname, '..', '..', '..', 'tests', 'vectors');
const SKIPPED_KINDS = { log_proofs: ['publish'] };

function cases(name) {
  return JSON.parse(fs.readFileSync(path.join(VECTORS, name), 'utf8')).cases;
}

const hex = (b) => Buffer.from(b).toString('hex');
const unhex = (h) => Buffer.from(h, 'hex');

/** The outcome of fn(): its value mapped by `ok`, or {error: code} (a code is required). */
function outcome(fn, ok) {
  let v;
  try {
    v = fn();
  } catch (e) {
    if (typeof e.code !== 'string' || !/^[A-Z_]+$/.test(e.code)) throw e;
    return { error: e.code };
  }
  return ok(v);
}

function noteBytes(c) {
  return c.note_base64 !== undefined ? Buffer.from(c.note_base64, 'base64') : Buffer.from(c.note, 'utf8');
}

function runNotes(api) {
  const counts = {};
  for (const c of cases('notes.json')) {
    counts[c.kind] = (counts[c.kind] || 0) + 1;
    let got;
    switch (c.kind) {
      case 'note':
        got = outcome(() => api.verifyNote(noteBytes(c), c.keys), (v) => ({
          verified: v.verified.map((s) => ({ name: s.name, key_id: s.keyId, type: s.type, timestamp: s.timestamp })),
        }));
        break;
      case 'checkpoint':
        got = outcome(() => api.verifyCheckpoint(noteBytes(c), c.policy, { now: c.now, maxAge: c.max_age }), (v) => ({
          origin: v.origin,
          size: v.size,
          root: v.root,
          witnesses: v.witnesses.map((w) => [w.name, w.time]),
          freshness: v.freshness.state === 'fresh' ? { fresh: v.freshness.asOf } : v.freshness.state,
        }));
        break;
      case 'policy':
        got = outcome(() => api.parsePolicy(c.policy), (v) => ({ text: v.text }));
        break;
      case 'index':
        got = outcome(
          () => api.verifyIndex(noteBytes(c), c.index_key, { origin: c.origin, name: c.package, checkpointSize: c.checkpoint_size, now: c.now }),
          (v) => ({ text: v.text, lines: v.lines.length }),
        );
        break;
      default:
        assert.fail(`${c.name}: unknown kind ${c.kind}`);
    }
    assert.deepEqual(got, c.expect, c.name);
  }
  return counts;
}

function tileRequest(api, c, req) {
  const tiles = new Map(Object.entries(c.tiles).map(([p, h]) => [p, unhex(h)]));
  switch (req.proof) {
    case 'inclusion':
      return outcome(() => api.proveInclusion(req.index, c.size, c.root, tiles), (v) => ({ leaf_hash: v.leafHash, proof: v.proof }));
    case 'consistency':
      return outcome(() => api.proveConsistency(req.size1, c.size, req.root1, c.root, tiles), (v) => ({ proof: v.proof }));
    case 'bundle': {
      // The bundle's entries, each read (and proven) through readEntry.
      const p = api.parseTilePath(req.path);
      return outcome(() => {
        const out = [];
        for (let i = p.index * 256; i < p.index * 256 + p.width; i++) out.push(hex(api.readEntry(i, c.size, c.root, tiles)));
        return out;
      }, (entries) => ({ entries }));
    }
    default:
      return assert.fail(`${c.name}: unknown request ${req.proof}`);
  }
}

function runLogProofs(api) {
  const counts = { requests: 0, skipped: 0 };
  for (const c of cases('log_proofs.json')) {
    counts[c.kind] = (counts[c.kind] || 0) + 1;
    if (SKIPPED_KINDS.log_proofs.includes(c.kind)) {
      counts.skipped++;
      continue;
    }
    let got;
    switch (c.kind) {
      case 'leaf_hash':
        got = { hash: api.leafHash(unhex(c.entry)) };
        break;
      case 'root':
        got = { root: api.merkleRoot(c.entries.map(unhex)) };
        break;
      case 'inclusion':
        got = outcome(() => api.verifyInclusion(c.index, c.size, c.leaf_hash, c.proof, c.root), (v) => ({ valid: v }));
        break;
      case 'consistency':
        got = outcome(() => api.verifyConsistency(c.size1, c.size2, c.root1, c.root2, c.proof), (v) => ({ valid: v }));
        break;
      case 'tile_path':
        got = outcome(() => api.parseTilePath(c.path), (v) => {
          const o = { kind: v.kind, index: v.index, width: v.width };
          if (v.kind === 'hashes') o.level = v.level;
          else assert.equal(v.level, null, c.name);
          return o;
        });
        break;
      case 'tiles_for_root':
        got = outcome(() => api.tilesForRoot(c.size), (paths) => ({ paths }));
        break;
      case 'tiles_for_inclusion':
        got = outcome(() => api.tilesForInclusion(c.index, c.size), (paths) => ({ paths }));
        break;
      case 'tiles_for_consistency':
        got = outcome(() => api.tilesForConsistency(c.size1, c.size2), (paths) => ({ paths }));
        break;
      case 'bundle':
        got = outcome(() => api.parseBundle(unhex(c.bundle), c.width), (es) => ({ entries: es.map(hex) }));
        break;
      case 'tile_log':
        for (const req of c.requests) {
          counts.requests++;
          assert.deepEqual(tileRequest(api, c, req), req.expect, `${c.name}: ${JSON.stringify(req).slice(0, 120)}`);
        }
        got = c.expect;
        break;
      default:
        assert.fail(`${c.name}: unknown kind ${c.kind}`);
    }
    assert.deepEqual(got, c.expect, c.name);
  }
  return counts;
}

function runStatements(api) {
  const counts = {};
  for (const c of cases('statements.json')) {
    counts[c.kind] = (counts[c.kind] || 0) + 1;
    switch (c.kind) {
      case 'statement': {
        const got = outcome(() => api.parseStatement(c.statement), (v) => {
          assert.equal(v.text, c.statement, `${c.name}: canonical`);
          return { type: v.type };
        });
        assert.deepEqual(got, c.expect, c.name);
        break;
      }
      case 'entry': {
        const got = outcome(() => api.parseEntry(c.entry), (v) => {
          assert.equal(v.text, c.entry, `${c.name}: canonical`);
          return { type: v.type, signatures: v.signatures.length };
        });
        assert.deepEqual(got, c.expect, c.name);
        break;
      }
      case 'log': {
        const r = api.replayLog(c.entries);
        assert.deepEqual(r.verdicts, c.expect.verdicts, c.name);
        for (const e of r.errors) {
          assert.equal(r.verdicts[e.index], e.code, c.name);
          assert.ok(e.message.includes(`entry ${e.index}`), `${c.name}: ${e.message}`);
        }
        assert.equal(r.errors.length, r.verdicts.filter((v) => v !== 'ok').length, c.name);
        assert.equal(r.genesis, c.expect.genesis, c.name);
        assert.deepEqual(r.state, c.expect.state, c.name);
        break;
      }
      default:
        assert.fail(`${c.name}: unknown kind ${c.kind}`);
    }
  }
  return counts;
}

/** Runs the three files and asserts the case counts. */
function runAll(api) {
  const notes = runNotes(api);
  assert.deepEqual(notes, { note: 27, checkpoint: 20, policy: 12, index: 11 }, 'notes.json changed: update the counts');
  const proofs = runLogProofs(api);
  assert.deepEqual(
    proofs,
    {
      requests: 15, skipped: 1, leaf_hash: 4, root: 7, inclusion: 14, consistency: 13, tile_path: 23,
      tiles_for_root: 6, tiles_for_inclusion: 3, tiles_for_consistency: 3, tile_log: 6, bundle: 9, publish: 1,
    },
    'log_proofs.json changed: update the counts',
  );
  const statements = runStatements(api);
  assert.deepEqual(statements, { statement: 37, entry: 11, log: 9 }, 'statements.json changed: update the counts');
  return { notes, proofs, statements };
}

module.exports = { runAll, SKIPPED_KINDS };
