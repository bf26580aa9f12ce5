// Public conformance vectors through the WASM API: Wycheproof Ed25519 (all 151, one by one
// and in one batch), RFC 8032 §7.1, and BLAKE2b-256 against GNU `b2sum -l 256` computed live
// (the BLAKE2 KAT files hold only BLAKE2b-512, a different function). Missing vector files or
// a missing b2sum FAIL: nothing is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { loadOmega, sharedVector, fromHex, toHex } from './helpers.mjs';

const omega = loadOmega();

function wycheproof() {
  const doc = JSON.parse(sharedVector('wycheproof/ed25519_test.json'));
  const cases = [];
  for (const g of doc.testGroups) {
    for (const t of g.tests) {
      cases.push({
        id: t.tcId,
        flags: t.flags,
        publicKey: fromHex(g.publicKey.pk),
        message: fromHex(t.msg),
        signature: fromHex(t.sig),
        valid: t.result === 'valid',
        result: t.result,
      });
    }
  }
  assert.equal(cases.length, doc.numberOfTests);
  return cases;
}

test('Wycheproof ed25519_test.json: all 151 verdicts via verifyEd25519', () => {
  const cases = wycheproof();
  assert.equal(cases.length, 151);
  assert.ok(cases.every((c) => c.result === 'valid' || c.result === 'invalid'), 'no "acceptable" results');
  let valid = 0;
  for (const c of cases) {
    const got = omega.verifyEd25519(c.publicKey, c.message, c.signature);
    assert.equal(got, c.valid, `tcId ${c.id} (${c.flags.join(', ')})`);
    valid += got ? 1 : 0;
  }
  assert.equal(valid, 88);
});

test('Wycheproof: verifyEd25519Batch gives exactly the one-by-one verdicts', () => {
  const cases = wycheproof();
  const verdicts = omega.verifyEd25519Batch(cases);
  assert.equal(verdicts.length, 151);
  cases.forEach((c, i) => assert.equal(verdicts[i], c.valid, `tcId ${c.id} in the batch`));
  // The valid ones alone (the batch equation decides), and each invalid one among them.
  const good = cases.filter((c) => c.valid);
  assert.ok(omega.verifyEd25519Batch(good).every(Boolean));
  for (const bad of cases.filter((c) => !c.valid)) {
    const mixed = [...good.slice(0, 10), bad, ...good.slice(10, 20)];
    const v = omega.verifyEd25519Batch(mixed);
    assert.deepEqual(v, mixed.map((c) => c.valid), `tcId ${bad.id} amid valid ones`);
  }
  assert.deepEqual(omega.verifyEd25519Batch([]), []);
});

test('RFC 8032 §7.1 vectors verify, and fail with one bit flipped', () => {
  const doc = JSON.parse(sharedVector('rfc8032/ed25519_rfc8032_section7_1.json'));
  assert.equal(doc.vectors.length, 5);
  for (const v of doc.vectors) {
    const pk = fromHex(v.public_key);
    const msg = fromHex(v.message);
    const sig = fromHex(v.signature);
    assert.equal(omega.verifyEd25519(pk, msg, sig), true, v.name);
    const bad = sig.slice();
    bad[0] ^= 1;
    assert.equal(omega.verifyEd25519(pk, msg, bad), false, `${v.name} tampered`);
  }
});

test('verifyEd25519: wrong lengths are false, wrong types throw TypeError with a code', () => {
  const doc = JSON.parse(sharedVector('rfc8032/ed25519_rfc8032_section7_1.json'));
  const v = doc.vectors[0];
  const pk = fromHex(v.public_key);
  const sig = fromHex(v.signature);
  const msg = fromHex(v.message);
  assert.equal(omega.verifyEd25519(pk.subarray(1), msg, sig), false);
  assert.equal(omega.verifyEd25519(pk, msg, sig.subarray(1)), false);
  assert.equal(omega.verifyEd25519(pk, msg, new Uint8Array(65)), false);
  // Any view or ArrayBuffer holds the same bytes; a Buffer is a Uint8Array.
  assert.equal(omega.verifyEd25519(Buffer.from(pk), Buffer.from(msg), Buffer.from(sig)), true);
  assert.equal(omega.verifyEd25519(pk.slice().buffer, new DataView(msg.slice().buffer), sig), true);
  const padded = new Uint8Array(100);
  padded.set(sig, 7);
  assert.equal(omega.verifyEd25519(pk, msg, padded.subarray(7, 71)), true, 'a subarray view');
  for (const bad of ['RWQ…', 42, null, undefined, [1, 2, 3]]) {
    assert.throws(
      () => omega.verifyEd25519(bad, msg, sig),
      (e) => e instanceof TypeError && e.code === 'MALFORMED',
    );
  }
});

test('blake2b256 equals `b2sum -l 256` on every size class', () => {
  let b2sum;
  try {
    b2sum = (data) =>
      execFileSync('b2sum', ['-l', '256'], { input: data }).toString().split(' ')[0];
    b2sum(Buffer.alloc(0));
  } catch (e) {
    throw new Error(`b2sum (GNU coreutils) is needed for this test and failed: ${e.message}`);
  }
  const pattern = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
  // Around the 128-byte block, and around the 64 KiB pieces blake2b256 copies large inputs in.
  const sizes = [0, 1, 3, 63, 64, 127, 128, 129, 255, 256, 1000, 65535, 65536, 65537, 131072, 1 << 20];
  for (const n of sizes) {
    const data = pattern(n);
    const got = omega.blake2b256(data);
    assert.ok(got instanceof Uint8Array);
    assert.equal(got.length, 32);
    assert.equal(toHex(got), b2sum(data), `${n} bytes`);
  }
  // Known answers, independent of b2sum.
  assert.equal(
    toHex(omega.blake2b256(new Uint8Array(0))),
    '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8',
  );
  assert.equal(
    toHex(omega.blake2b256('abc')),
    'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319',
  );
  // Strings hash as UTF-8; views and ArrayBuffers as their bytes.
  assert.equal(toHex(omega.blake2b256('Ωpm')), b2sum(Buffer.from('Ωpm')));
  const big = pattern(200000);
  assert.equal(toHex(omega.blake2b256(big.buffer)), b2sum(big));
  assert.equal(toHex(omega.blake2b256(big.subarray(5, 150005))), b2sum(big.subarray(5, 150005)));
  assert.equal(toHex(omega.blake2b256(new DataView(big.buffer, 10, 70000))), b2sum(big.subarray(10, 70010)));
  assert.throws(() => omega.blake2b256(12), (e) => e instanceof TypeError && e.code === 'MALFORMED');
});
