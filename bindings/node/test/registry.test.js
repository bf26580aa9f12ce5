'use strict';
// Ω.registry (lib/registry.js, issue 15) on the engine under test (OMEGA_ENGINE), against a
// registry served over HTTP on 127.0.0.1 (a Node http server on a free port, started and
// stopped here): every scenario of tests/vectors/client.json (the registry's files as served,
// one checkpoint per case; good, notices, yank, not in log, stale, quorum, forward from a
// stored checkpoint, stale mirror, fork, tampered object) with its exact code, then the API's
// own behaviour: bytes and hashes, the checkpoint to store and reopen with, notices, the
// fetch option, 404s, caps, HTTP errors, type errors.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { REPO, ENGINE, loadOmega } = require('./helpers.js');

const Ω = loadOmega();
const doc = JSON.parse(fs.readFileSync(path.join(REPO, 'tests', 'vectors', 'client.json'), 'utf8'));
const b64 = (o) => new Map(Object.entries(o || {}).map(([p, v]) => [p, Buffer.from(v, 'base64')]));

/** A server of `served` (a Map path -> Buffer, swapped per case); records requested paths. */
let served = new Map();
const requested = [];
let server;
let base;

test.before(async () => {
  server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url, 'http://x').pathname.slice(1));
    requested.push(p);
    if (p === 'http-500') {
      res.writeHead(500).end('no');
      return;
    }
    const body = served.get(p);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${server.address().port}`;
});

test.after(() => new Promise((ok) => server.close(ok)));

function serve(c) {
  served = b64(doc.files);
  for (const [p, b] of b64(c.replace)) served.set(p, b);
  served.set('checkpoint', Buffer.from(c.checkpoint));
}

function open(c, extra = {}) {
  return Ω.registry(`${base}/`, {
    policy: doc.policy,
    checkpoint: c.pinned ?? null,
    genesis: doc.genesis,
    ...(c.now === null ? { offline: true } : { now: c.now }),
    maxAge: c.max_age,
    ...extra,
  });
}

const keptSize = (note) => Number(note.split('\n')[1]);

test(`client vectors through Ω.registry over HTTP (engine ${Ω.engine}, asked ${ENGINE})`, async () => {
  let n = 0;
  for (const c of doc.cases) {
    serve(c);
    const reg = open(c);
    let got;
    try {
      const rel = await reg.release(c.package, c.version ?? null, { acceptNotices: c.accept_notices || [] });
      got = {
        version: rel.version,
        sequence: rel.sequence,
        entry: rel.entry,
        signed_by: rel.report.signed_by,
        checkpoint_size: keptSize(rel.checkpoint.keep),
        notices: rel.advisories.notices.map((x) => x.id),
      };
      assert.equal(Ω.blake2b256(rel.tarball).toString('hex'), rel.tarballHash, c.name);
      assert.equal(Ω.blake2b256(rel.manifest).toString('hex'), rel.manifestHash, c.name);
      assert.equal(rel.tarball.length, rel.size, c.name);
      assert.equal(rel.report.ok, true, c.name);
    } catch (e) {
      assert.ok(e instanceof Ω.OmegaError, `${c.name}: ${e && e.stack}`);
      assert.ok(e.message.startsWith(`${e.code}: `), e.message);
      got = { error: e.code };
    }
    assert.deepEqual(got, c.expect, c.name);
    n++;
  }
  assert.equal(n, 14);
});

test('a fork against the stored checkpoint: LOG_INCONSISTENT, with evidence, and final', async () => {
  const c = doc.cases.find((x) => x.name === 'fail-fork-against-pinned');
  serve(c);
  const reg = open(c);
  await assert.rejects(reg.release('left-pad'), { code: 'LOG_INCONSISTENT' });
  assert.match(reg.evidence(), /omega log inconsistency evidence/);
  assert.ok(reg.evidence().includes(c.pinned));
  await assert.rejects(reg.checkpoint(), { code: 'LOG_INCONSISTENT' });
  await assert.rejects(reg.notices('left-pad'), { code: 'LOG_INCONSISTENT' });
});

test('the checkpoint to store reopens the registry; notices; a refused release keeps it usable', async () => {
  const c = doc.cases.find((x) => x.name === 'latest-release');
  serve(c);
  const reg = open(c, { checkpoint: null, genesis: null });
  const cp = await reg.checkpoint();
  assert.equal(cp.keep, c.checkpoint);
  assert.equal(cp.genesis, doc.genesis);
  assert.equal(cp.size, 9);
  assert.equal(cp.freshness.state, 'fresh');
  assert.deepEqual(cp.witnesses.map((w) => w.name), ['w1']);
  // Notices from the verified log.
  const all = await reg.notices('left-pad');
  assert.deepEqual(all.map((x) => [x.id, x.severity]), [['OMEGA-1', 'critical']]);
  assert.deepEqual(await reg.notices('left-pad', 2), []);
  await assert.rejects(reg.notices('no-such-name'), { code: 'NOT_IN_LOG' });
  // A refused release (critical notice) leaves the registry usable; accepted, it is read.
  await assert.rejects(reg.release('left-pad', '1.0.0'), { code: 'KEY_NOT_TRUSTED' });
  const old = await reg.release('left-pad', '1.0.0', { acceptNotices: ['OMEGA-1'] });
  assert.equal(old.sequence, 1);
  // Reopened with the stored note and genesis: the same checkpoint, nothing re-pinned.
  const again = open(c, { checkpoint: cp.keep, genesis: cp.genesis });
  assert.equal((await again.release('left-pad')).version, '1.1.0');
  // Another genesis is refused (not this registry).
  const other = open(c, { checkpoint: null, genesis: '00'.repeat(32) });
  await assert.rejects(other.release('left-pad'), { code: 'LOG_INCONSISTENT' });
});

test('the fetch option, 404s, HTTP errors and caps', async () => {
  const c = doc.cases.find((x) => x.name === 'latest-release');
  serve(c);
  // A host fetch that counts; the paths are those core asks for.
  const seen = [];
  const reg = open(c, {
    fetch: (u) => {
      seen.push(u.slice(base.length + 1));
      return fetch(u);
    },
  });
  await reg.release('left-pad');
  assert.equal(seen[0], 'checkpoint');
  assert.ok(seen.includes('index/left-pad'));
  assert.ok(seen.some((p) => p.startsWith('objects/')));
  assert.ok(!seen.includes('policy'));
  // No checkpoint served: NOT_FOUND naming it.
  served.delete('checkpoint');
  await assert.rejects(open(c).release('left-pad'), (e) => e.code === 'NOT_FOUND' && /checkpoint/.test(e.message));
  // A server error is IO, naming the URL.
  const failing = open(c, { fetch: (u) => fetch(u.replace(/checkpoint$/, 'http-500')) });
  await assert.rejects(failing.checkpoint(), (e) => e.code === 'IO' && /HTTP 500/.test(e.message));
  // A network failure is IO.
  const down = open(c, { fetch: () => Promise.reject(new Error('connection refused')) });
  await assert.rejects(down.checkpoint(), { code: 'IO' });
  // An oversize checkpoint is refused at its cap without reading it all.
  serve(c);
  served.set('checkpoint', Buffer.alloc(70 * 1024, 0x61));
  await assert.rejects(open(c).checkpoint(), { code: 'TOO_LARGE' });
  // A tarball longer than the logged size.
  serve(c);
  const first = open(c);
  const rel = await first.release('left-pad');
  const tgzPath = `objects/${rel.tarballHash.slice(0, 2)}/${rel.tarballHash}`;
  served.set(tgzPath, Buffer.concat([served.get(tgzPath), Buffer.from([0])]));
  await assert.rejects(open(c).release('left-pad'), { code: 'TOO_LARGE' });
});

test('type errors', () => {
  assert.equal(Ω.openRegistry, Ω.registry);
  assert.throws(() => Ω.registry(base, {}), { name: 'TypeError', code: 'MALFORMED' });
  assert.throws(() => Ω.registry(base, { policy: doc.policy, polcy: 1 }), { name: 'TypeError', code: 'MALFORMED' });
  assert.throws(() => Ω.registry(base, { policy: doc.policy, now: -1 }), { code: 'MALFORMED' });
  // RD18: one rule for the clock in every binding: offline is said, now: null is refused.
  assert.throws(() => Ω.registry(base, { policy: doc.policy, now: null }), { name: 'TypeError', code: 'MALFORMED' });
  assert.throws(() => Ω.registry(base, { policy: doc.policy, now: 1, offline: true }), { code: 'MALFORMED' });
  assert.throws(() => Ω.registry(base, { policy: doc.policy, offline: 'yes' }), { code: 'MALFORMED' });
  assert.throws(() => Ω.registry(base, { policy: doc.policy, fetch: 3 }), { code: 'MALFORMED' });
  const reg = Ω.registry(base, { policy: doc.policy });
  assert.throws(() => reg.release(3), { code: 'MALFORMED' });
  assert.throws(() => reg.release('x', null, { acceptNotices: 'OMEGA-1' }), { code: 'MALFORMED' });
});

test('a policy naming two logs, or a stored note it does not accept, is refused on first use', async () => {
  const two = `${doc.policy}${doc.policy.split('\n')[0].replace('registry.example/log', 'other.example/log')}\n`;
  await assert.rejects(Ω.registry(base, { policy: two }).checkpoint(), { code: 'MALFORMED' });
  const c = doc.cases.find((x) => x.name === 'fail-quorum-not-met');
  await assert.rejects(Ω.registry(base, { policy: doc.policy, checkpoint: c.checkpoint }).checkpoint(), { code: 'QUORUM_NOT_MET' });
});

/** An in-memory fetch over the served map (the attacker's PoC harness), recording paths. */
function memFetch(log = []) {
  return async (u) => {
    const p = u.slice(base.length + 1);
    log.push(p);
    const b = served.get(p);
    return b ? new Response(b, { status: 200 }) : new Response(null, { status: 404 });
  };
}

test('RD10: the clock is read at each call; a long-lived object re-opens and refuses a stale checkpoint', async () => {
  const c = doc.cases.find((x) => x.name === 'latest-release');
  serve(c);
  const real = Date.now;
  try {
    // Built at T0, first used 10 days later: the checkpoint (fresh at T0) is STALE.
    Date.now = () => c.now * 1000;
    const lazy = Ω.registry(base, { policy: doc.policy, genesis: doc.genesis, maxAge: c.max_age, fetch: memFetch() });
    Date.now = () => (c.now + 10 * 86400) * 1000;
    await assert.rejects(lazy.checkpoint(), { code: 'STALE' });
    await assert.rejects(lazy.release('left-pad'), { code: 'STALE' });
    // Used at T0, then again: within the refresh interval nothing is fetched again; past it,
    // the registry is opened again (checkpoint fetched anew); past max_age it is STALE.
    const log = [];
    Date.now = () => c.now * 1000;
    const reg = Ω.registry(base, { policy: doc.policy, genesis: doc.genesis, maxAge: c.max_age, fetch: memFetch(log) });
    assert.equal((await reg.release('left-pad')).version, '1.1.0');
    const checkpoints = () => log.filter((p) => p === 'checkpoint').length;
    assert.equal(checkpoints(), 1);
    Date.now = () => (c.now + 30) * 1000;
    await reg.notices('left-pad');
    assert.equal(checkpoints(), 1);
    Date.now = () => (c.now + 61) * 1000;
    await reg.notices('left-pad');
    assert.equal(checkpoints(), 2, 'opened again after REFRESH_SECONDS');
    // The rule is core's (Reader::needs_reopen): 59 s after the last open, not again; the
    // clock going back, again.
    Date.now = () => (c.now + 61 + 59) * 1000;
    await reg.notices('left-pad');
    assert.equal(checkpoints(), 2, '59 s after the last open');
    Date.now = () => (c.now + 30) * 1000;
    await reg.notices('left-pad');
    assert.equal(checkpoints(), 3, 'the clock went back');
    assert.equal(require('../lib/registry.js').REFRESH_SECONDS, 60, "core's REFRESH_SECONDS");
    Date.now = () => (c.now + c.max_age + 1) * 1000;
    await assert.rejects(reg.release('left-pad'), { code: 'STALE' });
    await assert.rejects(reg.notices('left-pad'), { code: 'STALE' });
    // A fresh checkpoint served again: the same object reads again.
    Date.now = () => (c.now + 10) * 1000;
    assert.equal((await reg.release('left-pad')).version, '1.1.0');
  } finally {
    Date.now = real;
  }
});

test('RD11: a failed fetch mid-release does not jam the object', async () => {
  const c = doc.cases.find((x) => x.name === 'latest-release');
  serve(c);
  let failObjects = true;
  const inner = memFetch();
  const fetchFn = async (u) => {
    if (failObjects && u.includes('/objects/')) throw new Error('ECONNRESET (transient)');
    return inner(u);
  };
  const reg = open(c, { fetch: fetchFn });
  await assert.rejects(reg.release('left-pad'), { code: 'IO' });
  failObjects = false;
  assert.equal((await reg.release('left-pad')).version, '1.1.0');
  assert.equal((await reg.release('left-pad', '1.0.0', { acceptNotices: ['OMEGA-1'] })).sequence, 1);
  // A 404 on an object, then the object served: the next call reads.
  const tgz = [...served.keys()].find((p) => p.startsWith('objects/'));
  const saved = served.get(tgz);
  served.delete(tgz);
  await assert.rejects(reg.release('left-pad'));
  served.set(tgz, saved);
  assert.equal((await reg.release('left-pad')).version, '1.1.0');
});

test('RD12, RD17: bodies are streamed under their cap, partial files capped by width, no allocation from Content-Length', async () => {
  const c = doc.cases.find((x) => x.name === 'latest-release');
  serve(c);
  // A partial bundle (width 9) of 1 MiB: refused at it.
  const bundle = 'tile/entries/000.p/9'; // the latest checkpoint's (size 9) partial bundle
  assert.ok(bundle, 'a partial bundle is served');
  served.set(bundle, Buffer.alloc(1 << 20, 1));
  await assert.rejects(open(c, { fetch: memFetch() }).checkpoint(), (e) => e.code === 'TOO_LARGE' && e.message.includes(bundle));
  serve(c);
  // A Content-Length of a petabyte: refused before reading or allocating.
  const huge = async (u) =>
    u.endsWith('/checkpoint')
      ? new Response(new ReadableStream({ pull() {} }), { status: 200, headers: { 'content-length': '1000000000000000' } })
      : memFetch()(u);
  await assert.rejects(open(c, { fetch: huge }).checkpoint(), (e) => e.code === 'TOO_LARGE' && /checkpoint/.test(e.message));
  // An endless body without Content-Length: stopped at the cap.
  let pulled = 0;
  const endless = async (u) =>
    u.endsWith('/checkpoint')
      ? new Response(
          new ReadableStream({
            pull(ctl) {
              pulled += 1;
              ctl.enqueue(new Uint8Array(4096).fill(0x61));
            },
          }),
          { status: 200 },
        )
      : memFetch()(u);
  await assert.rejects(open(c, { fetch: endless }).checkpoint(), { code: 'TOO_LARGE' });
  assert.ok(pulled <= 20, `read ${pulled} chunks of 4 KiB for a 64 KiB cap`);
  // A body that is not a stream is refused (no unbounded arrayBuffer()).
  const plain = async (u) => (u.endsWith('/checkpoint') ? { ok: true, status: 200, headers: new Headers(), body: {}, arrayBuffer: async () => new ArrayBuffer(1 << 30) } : memFetch()(u));
  await assert.rejects(open(c, { fetch: plain }).checkpoint(), { code: 'IO' });
});

test('L6: an AbortSignal ends the reading', async () => {
  const c = doc.cases.find((x) => x.name === 'latest-release');
  serve(c);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(open(c, { signal: ac.signal }).checkpoint(), (e) => e.code === 'IO' && /abort/i.test(e.message));
  assert.throws(() => open(c, { signal: 3 }), { code: 'MALFORMED' });
});

test('RD20: the owners entry and keys come with a release; pinned owner keys refuse another owner', async () => {
  const c = doc.cases.find((x) => x.name === 'latest-release');
  serve(c);
  const reg = open(c);
  const rel = await reg.release('left-pad');
  assert.ok(Number.isSafeInteger(rel.owners.entry) && Number.isSafeInteger(rel.owners.serial));
  assert.deepEqual(rel.owners.keys, rel.report.signed_by);
  assert.equal((await reg.release('left-pad', null, { ownerKeys: rel.owners.keys })).version, '1.1.0');
  // Another key pinned (a fresh Ed25519 key): the current owners are not the pinned ones.
  const b = Buffer.from(rel.owners.keys[0], 'base64');
  const der = require('node:crypto').generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  der.subarray(der.length - 32).copy(b, 10);
  await assert.rejects(reg.release('left-pad', null, { ownerKeys: [b.toString('base64')] }), { code: 'KEY_NOT_TRUSTED' });
  await assert.rejects(reg.release('left-pad', null, { ownerKeys: ['not a key'] }), { code: 'MALFORMED' });
  assert.throws(() => reg.release('left-pad', null, { ownerKeys: 'x' }), { code: 'MALFORMED' });
});
