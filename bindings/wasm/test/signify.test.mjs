// verifySignify: detached signify signatures (tests/signify/vectors.json, made by
// signify-openbsd and checked against it by core/tests/signify_interop.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOmega, codeOf } from './helpers.mjs';

const omega = loadOmega();
const here = dirname(fileURLToPath(import.meta.url));
const doc = JSON.parse(readFileSync(join(here, '..', '..', '..', 'tests', 'signify', 'vectors.json'), 'utf8'));

test('verifySignify: every vector, as strings and as bytes', () => {
  assert.ok(doc.cases.length >= 10);
  for (const c of doc.cases) {
    const key = doc.keys[c.key];
    for (const [msg, sig] of [
      [c.message, c.signature],
      [new TextEncoder().encode(c.message), new TextEncoder().encode(c.signature)],
    ]) {
      if (c.expect === null) {
        assert.equal(omega.verifySignify(msg, sig, key), undefined, c.name);
      } else {
        assert.equal(codeOf(() => omega.verifySignify(msg, sig, key))?.code, c.expect, c.name);
      }
    }
  }
});

test('verifySignify: a bad public key is MALFORMED', () => {
  const c = doc.cases[0];
  assert.equal(codeOf(() => omega.verifySignify(c.message, c.signature, 'RWnot-a-key'))?.code, 'MALFORMED');
});
