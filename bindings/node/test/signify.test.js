'use strict';
// Ω.verifySignify on the current engine (OMEGA_ENGINE=native|wasm): detached signify signatures
// from tests/signify/vectors.json (made by signify-openbsd, checked against it by
// core/tests/signify_interop.rs).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { loadOmega } = require('./helpers.js');

const Ω = loadOmega();

const doc = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'tests', 'signify', 'vectors.json'), 'utf8'));

test('verifySignify: every vector, strings and bytes', () => {
  assert.ok(doc.cases.length >= 10);
  for (const c of doc.cases) {
    const key = doc.keys[c.key];
    for (const [msg, sig] of [[c.message, c.signature], [Buffer.from(c.message), new TextEncoder().encode(c.signature)]]) {
      if (c.expect === null) {
        assert.equal(Ω.verifySignify(msg, sig, key), undefined, c.name);
      } else {
        assert.throws(() => Ω.verifySignify(msg, sig, key), (e) => e instanceof Ω.OmegaError && e.code === c.expect, c.name);
      }
    }
  }
});

test('verifySignify: a bad key is MALFORMED, a non-string key a TypeError', () => {
  const c = doc.cases[0];
  assert.throws(() => Ω.verifySignify(c.message, c.signature, 'RWnot-a-key'), (e) => e.code === 'MALFORMED');
  assert.throws(() => Ω.verifySignify(c.message, c.signature, 42), TypeError);
});
