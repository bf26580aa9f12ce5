// The registry reader of the WASM build (src/registry.rs, issue 15): every case of
// tests/vectors/client.json through (1) the browser build's openRegistry (pkg/registry.js over
// pkg/omega_full.js, initialised from its bytes as a page would, with a `fetch` that serves the
// vector's files as Responses) and (2) a bare synchronous loop over the Node build's
// RegistryReader (needs/provide), with the same verdicts and codes as core's own runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOmega, repo, wasmDir } from './helpers.mjs';

const doc = JSON.parse(readFileSync(join(repo, 'tests', 'vectors', 'client.json'), 'utf8'));
const fromB64 = (s) => Uint8Array.from(Buffer.from(s, 'base64'));

function files(c) {
  const m = new Map(Object.entries(doc.files).map(([p, v]) => [p, fromB64(v)]));
  for (const [p, v] of Object.entries(c.replace || {})) m.set(p, fromB64(v));
  m.set('checkpoint', new TextEncoder().encode(c.checkpoint));
  return m;
}

const keptSize = (note) => Number(note.split('\n')[1]);

function summary(info, keep) {
  return {
    version: info.version,
    sequence: info.sequence,
    entry: info.entry,
    signed_by: info.report.signed_by,
    checkpoint_size: keptSize(keep),
    notices: info.advisories.notices.map((n) => n.id),
  };
}

test('client vectors through the browser build: openRegistry with a fetch', async () => {
  const web = await import(join(wasmDir, 'pkg', 'omega_full.js'));
  await web.default({ module_or_path: readFileSync(join(wasmDir, 'pkg', 'omega_full_bg.wasm')) });
  const { openRegistry } = await import(join(wasmDir, 'pkg', 'registry.js'));
  let n = 0;
  for (const c of doc.cases) {
    const served = files(c);
    const asked = [];
    const fetch = async (u) => {
      const p = u.slice('https://registry.example/'.length);
      asked.push(p);
      const b = served.get(p);
      return b ? new Response(b, { status: 200 }) : new Response(null, { status: 404 });
    };
    const reg = openRegistry('https://registry.example/', {
      policy: doc.policy, checkpoint: c.pinned ?? null, genesis: doc.genesis, maxAge: c.max_age, fetch,
      ...(c.now === null ? { offline: true } : { now: c.now }),
    });
    let got;
    try {
      const rel = await reg.release(c.package, c.version ?? null, { acceptNotices: c.accept_notices || [] });
      assert.ok(rel.tarball instanceof Uint8Array && rel.manifest instanceof Uint8Array, c.name);
      assert.equal(rel.tarball.length, rel.size, c.name);
      got = summary(rel, rel.checkpoint.keep);
    } catch (e) {
      assert.ok(typeof e.code === 'string' && e.message.startsWith(`${e.code}: `), `${c.name}: ${e && e.stack}`);
      got = { error: e.code };
    }
    assert.deepEqual(got, c.expect, c.name);
    assert.equal(asked[0], 'checkpoint', c.name);
    assert.ok(!asked.includes('policy'), c.name);
    n++;
  }
  assert.equal(n, 14);
});

test('client vectors through a bare loop over RegistryReader (the Node build)', () => {
  const { RegistryReader } = loadOmega();
  let n = 0;
  for (const c of doc.cases) {
    const served = files(c);
    const r = new RegistryReader('vectors', doc.policy, c.max_age, c.pinned ?? undefined, doc.genesis, c.now ?? undefined);
    const drive = (state) => {
      let needs = state.needs;
      while (needs.length > 0) {
        let last;
        for (const { path, maxBytes } of needs) {
          const b = served.get(path);
          assert.ok(!b || typeof maxBytes === 'number');
          last = r.provide(path, b ?? null);
        }
        needs = last.needs;
      }
    };
    let got;
    try {
      drive(r.needs());
      drive(r.wantRelease(c.package, c.version ?? undefined, c.accept_notices || [], false));
      const info = r.takeRelease();
      got = summary(info, r.checkpoint().keep);
      assert.equal(r.tarball().length, info.size);
    } catch (e) {
      assert.equal(e.kind === 'verification' || e.kind === 'io' || typeof e.kind === 'string', true, `${c.name}: ${e.stack}`);
      got = { error: e.code };
    }
    assert.deepEqual(got, c.expect, c.name);
    n++;
  }
  assert.equal(n, 14);
});

test('a path not asked for, a bad genesis, and type errors', () => {
  const { RegistryReader } = loadOmega();
  const r = new RegistryReader('u', doc.policy, 3600, undefined, undefined, undefined);
  assert.throws(() => r.provide('objects/00/00', new Uint8Array(1)), { code: 'MALFORMED' });
  const bad = new RegistryReader('u', doc.policy, 3600, undefined, 'zz', undefined);
  assert.throws(() => bad.needs(), { code: 'MALFORMED' });
  assert.throws(() => r.provide('checkpoint', 7), { name: 'TypeError' });
  assert.throws(() => r.wantRelease('x', undefined, 'OMEGA-1', false), { name: 'TypeError' });
});

/** The browser build's openRegistry, initialised once. */
let web;
async function browserBuild() {
  if (!web) {
    const m = await import(join(wasmDir, 'pkg', 'omega_full.js'));
    await m.default({ module_or_path: readFileSync(join(wasmDir, 'pkg', 'omega_full_bg.wasm')) });
    web = await import(join(wasmDir, 'pkg', 'registry.js'));
  }
  return web;
}

const latest = doc.cases.find((x) => x.name === 'latest-release');
const URL0 = 'https://registry.example';
function memFetch(served, log = [], hook = null) {
  return async (u) => {
    const p = u.slice(URL0.length + 1);
    log.push(p);
    if (hook) {
      const r = await hook(p);
      if (r) return r;
    }
    const b = served.get(p);
    return b ? new Response(b, { status: 200 }) : new Response(null, { status: 404 });
  };
}
const base = { policy: doc.policy, genesis: doc.genesis, maxAge: latest.max_age };

test('RD10: the clock is read at each call; a long-lived reader re-opens and refuses a stale checkpoint', async () => {
  const { openRegistry, REFRESH_SECONDS } = await browserBuild();
  const served = files(latest);
  const real = Date.now;
  try {
    Date.now = () => latest.now * 1000;
    const lazy = openRegistry(URL0, { ...base, fetch: memFetch(served) });
    Date.now = () => (latest.now + 10 * 86400) * 1000;
    await assert.rejects(lazy.release('left-pad'), { code: 'STALE' });
    const log = [];
    Date.now = () => latest.now * 1000;
    const reg = openRegistry(URL0, { ...base, fetch: memFetch(served, log) });
    assert.equal((await reg.release('left-pad')).version, '1.1.0');
    const checkpoints = () => log.filter((p) => p === 'checkpoint').length;
    Date.now = () => (latest.now + 30) * 1000;
    await reg.notices('left-pad');
    assert.equal(checkpoints(), 1);
    Date.now = () => (latest.now + 61) * 1000;
    await reg.notices('left-pad');
    assert.equal(checkpoints(), 2, 'opened again after REFRESH_SECONDS');
    // The rule is core's (Reader::needs_reopen): 59 s after the last open, not again; the
    // clock going back, again. registry.js's REFRESH_SECONDS is core's.
    Date.now = () => (latest.now + 61 + 59) * 1000;
    await reg.notices('left-pad');
    assert.equal(checkpoints(), 2, '59 s after the last open');
    Date.now = () => (latest.now + 30) * 1000;
    await reg.notices('left-pad');
    assert.equal(checkpoints(), 3, 'the clock went back');
    const pkg = await import(join(wasmDir, 'pkg', 'omega_full.js'));
    assert.equal(REFRESH_SECONDS, pkg.refreshSeconds(), "registry.js's REFRESH_SECONDS is core's");
    Date.now = () => (latest.now + latest.max_age + 1) * 1000;
    await assert.rejects(reg.release('left-pad'), { code: 'STALE' });
    await assert.rejects(reg.notices('left-pad'), { code: 'STALE' });
  } finally {
    Date.now = real;
  }
});

test('RD10 (bare reader): setNow past max_age refuses; abandonRelease unjams (RD11)', () => {
  const { RegistryReader } = loadOmega();
  const served = files(latest);
  const r = new RegistryReader('u', doc.policy, latest.max_age, undefined, doc.genesis, latest.now);
  let needs = r.needs().needs;
  while (needs.length) for (const { path } of needs) needs = r.provide(path, served.get(path) ?? null).needs;
  r.setNow(latest.now + latest.max_age + 1);
  assert.throws(() => r.wantRelease('left-pad', undefined, [], false), { code: 'STALE' });
  assert.throws(() => r.notices('left-pad'), { code: 'STALE' });
  r.setNow(latest.now);
  r.wantRelease('left-pad', undefined, [], false);
  assert.equal(r.abandonRelease().phase, 'Ready');
  assert.throws(() => r.setNow(-1), { code: 'MALFORMED' });
  // Core's re-open rule, from the clock the reader was opened with.
  assert.equal(r.needsReopen(latest.now + 59), false);
  assert.equal(r.needsReopen(latest.now + 60), true);
  assert.equal(r.needsReopen(latest.now - 1), true);
  assert.equal(r.needsReopen(null), false);
  assert.equal(r.reopenAfter('STALE', false), true);
  assert.equal(r.reopenAfter('STALE', true), false);
  assert.equal(r.reopenAfter('NOT_IN_LOG', false), false);
  const fresh = new RegistryReader('u', doc.policy, latest.max_age, undefined, doc.genesis, latest.now);
  assert.equal(fresh.needsReopen(latest.now), true, 'not opened yet');
});

test('RD11: a failed fetch mid-release does not jam the reader', async () => {
  const { openRegistry } = await browserBuild();
  const served = files(latest);
  let fail = true;
  const hook = async (p) => {
    if (fail && p.startsWith('objects/')) throw new Error('ECONNRESET (transient)');
    return null;
  };
  const reg = openRegistry(URL0, { ...base, now: latest.now, fetch: memFetch(served, [], hook) });
  await assert.rejects(reg.release('left-pad'), { code: 'IO' });
  fail = false;
  assert.equal((await reg.release('left-pad')).version, '1.1.0');
});

test('RD12, RD17, RD18: caps while streaming, partial files by width, one rule for offline', async () => {
  const { openRegistry } = await browserBuild();
  const served = files(latest);
  const bundle = 'tile/entries/000.p/9'; // the latest checkpoint's (size 9) partial bundle
  const big = new Map(served);
  big.set(bundle, new Uint8Array(1 << 20));
  const open = (fetch) => openRegistry(URL0, { ...base, now: latest.now, fetch });
  await assert.rejects(open(memFetch(big)).checkpoint(), (e) => e.code === 'TOO_LARGE' && e.message.includes(bundle));
  const huge = async (p) =>
    p === 'checkpoint' ? new Response(new ReadableStream({ pull() {} }), { status: 200, headers: { 'content-length': '1000000000000000' } }) : null;
  await assert.rejects(open(memFetch(served, [], huge)).checkpoint(), { code: 'TOO_LARGE' });
  let pulled = 0;
  const endless = async (p) =>
    p === 'checkpoint'
      ? new Response(new ReadableStream({ pull(ctl) { pulled += 1; ctl.enqueue(new Uint8Array(4096)); } }), { status: 200 })
      : null;
  await assert.rejects(open(memFetch(served, [], endless)).checkpoint(), { code: 'TOO_LARGE' });
  assert.ok(pulled <= 20, `${pulled} chunks read`);
  assert.throws(() => openRegistry(URL0, { ...base, now: null }), { name: 'TypeError', code: 'MALFORMED' });
  assert.throws(() => openRegistry(URL0, { ...base, now: 1, offline: true }), { code: 'MALFORMED' });
  const off = openRegistry(URL0, { ...base, offline: true, fetch: memFetch(served) });
  assert.equal((await off.checkpoint()).freshness.state, 'not_checked');
  const cp = await open(memFetch(served)).checkpoint();
  assert.deepEqual(cp.proven, { size: cp.size, root: cp.root });
});
