'use strict';
// The cross-language vectors (tests/vectors/, README there) that every binding runs, here
// through the Node API on real files: tree.json (digestDir), minisign.json (verifyFile),
// package.json (checkPackage). Cases whose paths cannot exist on a filesystem ("..", empty
// components, over-long names) are skipped and counted.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, tmpdir, loadOmega } = require('./helpers.js');

const Ω = loadOmega();
const VECTORS = path.join(REPO, 'tests', 'vectors');

function cases(name) {
  return JSON.parse(fs.readFileSync(path.join(VECTORS, name), 'utf8')).cases;
}

function representable(p) {
  return p.split('/').every((c) => c !== '' && c !== '.' && c !== '..' && Buffer.byteLength(c) <= 255 && !c.includes('\0'))
    && Buffer.byteLength(p) < 4000;
}

/** Writes the files of a case into a fresh directory; null when one cannot exist on disk. */
function materialize(files) {
  if (!files.every((f) => representable(f.path))) return null;
  const dir = tmpdir('omega-vec-');
  for (const f of files) {
    const file = path.join(dir, ...f.path.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) return null;
    fs.writeFileSync(file, f.hex !== undefined ? Buffer.from(f.hex, 'hex') : f.text);
    fs.chmodSync(file, f.executable ? 0o755 : 0o644);
  }
  // A case-insensitive filesystem would merge names that differ only in case.
  const names = new Set();
  for (const f of files) names.add(f.path);
  if (names.size !== files.length) return null;
  return dir;
}

test('tree.json: digestDir', () => {
  let ran = 0;
  let skipped = 0;
  for (const c of cases('tree.json')) {
    const dir = materialize(c.files);
    if (!dir) {
      skipped++;
      continue;
    }
    ran++;
    if (c.expect.error) {
      assert.throws(() => Ω.digestDirSync(dir), { code: c.expect.error }, c.name);
    } else {
      assert.equal(Ω.digestDirSync(dir), c.expect.digest, c.name);
    }
  }
  assert.ok(ran >= 10, `ran ${ran}, skipped ${skipped}`);
});

test('minisign.json: verifyFile', () => {
  let ran = 0;
  for (const c of cases('minisign.json')) {
    const file = path.join(tmpdir('omega-vec-'), 'message');
    fs.writeFileSync(file, Buffer.from(c.message_hex, 'hex'));
    const opts = { publicKey: c.public_key, signature: Buffer.from(c.signature), legacy: c.legacy };
    if (c.expect.error) {
      assert.throws(() => Ω.verifyFile(file, opts), { code: c.expect.error }, c.name);
    } else {
      assert.equal(Ω.verifyFile(file, opts).trustedComment, c.expect.trusted_comment, c.name);
    }
    ran++;
  }
  assert.equal(ran, cases('minisign.json').length);
});

test('package.json: checkPackage', async () => {
  let ran = 0;
  for (const c of cases('package.json')) {
    const dir = materialize(c.files);
    if (!dir) continue;
    ran++;
    const pins = {
      digest: c.pins.digest,
      keys: c.pins.keys,
      threshold: c.pins.threshold,
      legacy: c.pins.legacy,
    };
    if (c.expect.error) {
      await assert.rejects(Ω.checkPackage(dir, pins), (e) => {
        assert.equal(e.code, c.expect.error, c.name);
        if (c.expect.problems) {
          assert.deepEqual(e.report.problems.map((p) => ({ code: p.code, path: p.path })), c.expect.problems, c.name);
        }
        return true;
      });
    } else {
      const r = await Ω.checkPackage(dir, pins);
      assert.equal(r.ok, c.expect.ok, c.name);
      assert.equal(r.tree, c.expect.tree, c.name);
      assert.deepEqual(r.signed_by, c.expect.signed_by, c.name);
    }
  }
  assert.ok(ran >= 10, `ran ${ran}`);
});
