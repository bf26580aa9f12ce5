// The registry reader of the WASM build (src/registry.rs, issue 15): every case of
// tests/vectors/client.json through (1) the browser build's openRegistry (pkg/registry.js over
// pkg/omega.js, initialised from its bytes as a page would, with a `fetch` that serves the
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
  const web = await import(join(wasmDir, 'pkg', 'omega.js'));
  await web.default({ module_or_path: readFileSync(join(wasmDir, 'pkg', 'omega_bg.wasm')) });
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
      policy: doc.policy, checkpoint: c.pinned ?? null, genesis: doc.genesis, now: c.now, maxAge: c.max_age, fetch,
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
