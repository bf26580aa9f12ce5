'use strict';
// Ω.verifyFile / Ω.verifyFileAsync: minisign signatures of files (made here by `omega sign`),
// and the raw primitives Ω.blake2b256 and Ω.verifyEd25519.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { omega, project, tmpdir, write, loadOmega } = require('./helpers.js');

const Ω = loadOmega();

function signed() {
  const p = project();
  const file = path.join(tmpdir(), 'release.tgz');
  write(file, 'the release\n');
  omega('sign', file, '-s', p.key, '-t', 'release 1.0');
  return { ...p, file };
}

test('verifyFile returns the trusted comment (signature next to the file)', () => {
  const s = signed();
  assert.deepEqual(Ω.verifyFile(s.file, { publicKey: s.pub }), { trustedComment: 'release 1.0' });
  const keyFile = fs.readFileSync(path.join(s.root, 'author.pub'), 'utf8');
  assert.equal(Ω.verifyFile(s.file, { publicKey: keyFile }).trustedComment, 'release 1.0');
});

test('the signature may be a path, a Buffer or the text', async () => {
  const s = signed();
  const moved = path.join(tmpdir(), 'sig.minisig');
  fs.copyFileSync(`${s.file}.minisig`, moved);
  const text = fs.readFileSync(moved, 'utf8');
  assert.equal(Ω.verifyFile(s.file, { publicKey: s.pub, signature: moved }).trustedComment, 'release 1.0');
  assert.equal(Ω.verifyFile(s.file, { publicKey: s.pub, signature: Buffer.from(text) }).trustedComment, 'release 1.0');
  assert.equal(Ω.verifyFile(s.file, { publicKey: s.pub, signature: text }).trustedComment, 'release 1.0');
  assert.deepEqual(await Ω.verifyFileAsync(s.file, { publicKey: s.pub, signature: text }), { trustedComment: 'release 1.0' });
});

test('a changed file, another key, a missing signature are refused', async () => {
  const s = signed();
  const other = 'RWSiB7bbkQVvnls/lalIky/D3JGFmpSsCJmBBfk4WxhTBxLvp8aZBjqH';
  assert.throws(() => Ω.verifyFile(s.file, { publicKey: other }), (e) => e.code === 'KEY_NOT_TRUSTED' && e.message.includes(s.file));
  fs.appendFileSync(s.file, 'x');
  assert.throws(() => Ω.verifyFile(s.file, { publicKey: s.pub }), (e) => e.code === 'SIGNATURE_INVALID' && e.message.includes(s.file));
  await assert.rejects(Ω.verifyFileAsync(s.file, { publicKey: s.pub }), { code: 'SIGNATURE_INVALID' });
  assert.throws(() => Ω.verifyFile(s.file, { publicKey: s.pub, signature: '/nonexistent.minisig' }), (e) => e.code === 'NOT_FOUND' && /nonexistent/.test(e.message));
  assert.throws(() => Ω.verifyFile('/nonexistent', { publicKey: s.pub, signature: Buffer.from(fs.readFileSync(`${s.file}.minisig`)) }), { code: 'NOT_FOUND' });
  assert.throws(() => Ω.verifyFile(s.file, { publicKey: 'RWbad' }), { code: 'MALFORMED' });
  assert.throws(() => Ω.verifyFile(s.file, {}), { name: 'TypeError' });
  assert.throws(() => Ω.verifyFile(s.file, { publicKey: s.pub, sig: 'x' }), { name: 'TypeError' });
});

test('blake2b256 and verifyEd25519 (RFC 8032 test 1)', () => {
  assert.equal(Ω.blake2b256('abc').toString('hex'), 'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319');
  assert.equal(Ω.blake2b256(new Uint8Array([97, 98, 99])).toString('hex'), Ω.blake2b256(Buffer.from('abc')).toString('hex'));
  const pk = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
  const sig = Buffer.from('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b', 'hex');
  assert.equal(Ω.verifyEd25519(pk, Buffer.alloc(0), sig), true);
  assert.equal(Ω.verifyEd25519(pk, Buffer.from('x'), sig), false);
  assert.equal(Ω.verifyEd25519(pk.subarray(1), Buffer.alloc(0), sig), false);
  assert.throws(() => Ω.blake2b256(42), { name: 'TypeError' });
});
