// The registry reader for browsers (issue 15, REGISTRY.md R8), shipped in pkg/ next to
// omega.js: `openRegistry(url, {policy, checkpoint?, genesis?, fetch?, now?, maxAge?})` reads
// verified releases from a static Ωpm registry with the page's `fetch`. The order of the steps
// and every check are omega-core's (`omega_core::driver::Reader`, the `RegistryReader` class
// of src/registry.rs); this file fetches the paths the reader asks for, bounded by the caps it
// gives, and hands the bytes back. The same loop as the Node package's lib/registry.js.
//
//   import init from './omega.js';
//   import { openRegistry } from './registry.js';
//   await init();
//   const reg = openRegistry('https://registry.example', { policy, checkpoint: saved?.keep, genesis: saved?.genesis });
//   const rel = await reg.release('left-pad');   // {tarball, manifest, report, entry, checkpoint, …}
//   localStorage.setItem('omega-checkpoint', JSON.stringify(await reg.checkpoint()));
import { RegistryReader } from './omega.js';

const MAX_AGE = 86400; // REGISTRY.md R6's default max_age (seconds)
const PARALLEL = 8; // fetches in flight at once

function typeError(message) {
  const e = new TypeError(message);
  e.code = 'MALFORMED';
  return e;
}

function omegaError(code, message) {
  const e = new Error(`${code}: ${message}`);
  e.code = code;
  e.kind = code === 'IO' || code === 'NOT_FOUND' ? 'io' : 'verification';
  return e;
}

function num(v, what) {
  if (!Number.isSafeInteger(v) || v < 0) throw typeError(`${what} must be a non-negative safe integer`);
  return v;
}

function optString(v, what) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw typeError(`${what} must be a string`);
  return v;
}

/** The body of `res`, at most `cap` + 1 bytes read (core refuses anything over `cap`). */
async function readCapped(res, cap) {
  const len = Number(res.headers && res.headers.get ? res.headers.get('content-length') : NaN);
  if (Number.isFinite(len) && len > cap) {
    if (res.body && res.body.cancel) await res.body.cancel().catch(() => {});
    return new Uint8Array(cap + 1);
  }
  if (!res.body || !res.body.getReader) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

const KNOWN = ['policy', 'checkpoint', 'genesis', 'fetch', 'now', 'maxAge'];

/**
 * A reader of the static Ωpm registry at `url` (nothing is fetched until the first call).
 * options: policy (the registry's tlog-policy text, obtained another way than plain http),
 * checkpoint and genesis (stored from an earlier `checkpoint()`: its `keep` and `genesis`),
 * fetch (default: the global fetch), now (Unix seconds; null: offline; default: the clock),
 * maxAge (seconds, default 86400).
 */
export function openRegistry(url, options) {
  if (typeof url !== 'string') throw typeError('url must be a string');
  const o = options ?? {};
  if (typeof o !== 'object' || Array.isArray(o)) throw typeError('options must be an object');
  for (const k of Object.keys(o)) {
    if (!KNOWN.includes(k)) throw typeError(`options: unknown option ${JSON.stringify(k)} (known: ${KNOWN.join(', ')})`);
  }
  if (typeof o.policy !== 'string') throw typeError('options.policy must be a string');
  const base = url.replace(/\/+$/, '');
  const held = optString(o.checkpoint, 'options.checkpoint');
  const genesis = optString(o.genesis, 'options.genesis');
  const maxAge = o.maxAge === undefined || o.maxAge === null ? MAX_AGE : num(o.maxAge, 'options.maxAge');
  let now;
  if (o.now === undefined) now = Math.floor(Date.now() / 1000);
  else if (o.now === null) now = undefined;
  else now = num(o.now, 'options.now');
  const fetchFn = o.fetch ?? globalThis.fetch;
  if (typeof fetchFn !== 'function') throw typeError('options.fetch must be a function');
  const reader = new RegistryReader(base, o.policy, maxAge, held, genesis, now);

  async function get(p, cap) {
    const where = `${base}/${p}`;
    let res;
    try {
      res = await fetchFn(where);
    } catch (e) {
      throw omegaError('IO', `${where}: ${e && e.message ? e.message : e}`);
    }
    if (res.status === 404 || res.status === 410) {
      if (res.body && res.body.cancel) await res.body.cancel().catch(() => {});
      return null;
    }
    if (!res.ok) throw omegaError('IO', `${where}: HTTP ${res.status}`);
    return readCapped(res, cap);
  }

  async function drive(state) {
    let needs = state.needs;
    while (needs.length > 0) {
      const got = new Array(needs.length);
      let next = 0;
      const worker = async () => {
        while (next < needs.length) {
          const i = next++;
          got[i] = await get(needs[i].path, needs[i].maxBytes);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, needs.length) }, worker));
      let last = null;
      for (let i = 0; i < needs.length; i++) last = reader.provide(needs[i].path, got[i]);
      needs = last.needs;
    }
  }

  let queue = Promise.resolve();
  const serial = (f) => {
    const run = queue.then(f, f);
    queue = run.catch(() => {});
    return run;
  };
  let opening;
  const open = () => {
    if (!opening) {
      opening = Promise.resolve().then(() => drive(reader.needs()));
      opening.catch(() => {});
    }
    return opening;
  };

  return {
    url: base,
    /** The verified release (`version`, else the latest unyanked): info, tarball, manifest, checkpoint. */
    release(name, version, opts) {
      if (typeof name !== 'string') throw typeError('name must be a string');
      optString(version, 'version');
      const r = opts ?? {};
      const accept = r.acceptNotices ?? [];
      if (!Array.isArray(accept) || accept.some((s) => typeof s !== 'string')) {
        throw typeError('options.acceptNotices must be an array of strings');
      }
      if (r.allowYanked !== undefined && typeof r.allowYanked !== 'boolean') throw typeError('options.allowYanked must be a boolean');
      return serial(async () => {
        await open();
        await drive(reader.wantRelease(name, version ?? undefined, accept, r.allowYanked === true));
        const info = reader.takeRelease();
        return { ...info, tarball: reader.tarball(), manifest: reader.manifest(), checkpoint: reader.checkpoint() };
      });
    },
    /** The notices of `name` (those affecting `sequence` when given). */
    notices(name, sequence) {
      if (typeof name !== 'string') throw typeError('name must be a string');
      const seq = sequence === undefined || sequence === null ? undefined : num(sequence, 'sequence');
      return serial(async () => {
        await open();
        return reader.notices(name, seq);
      });
    },
    /** The verified checkpoint; store `keep` and `genesis` for the next openRegistry. */
    checkpoint() {
      return serial(async () => {
        await open();
        return reader.checkpoint();
      });
    },
    /** The replayed registry state (omega-core's RegistryState JSON: janitors, and per name
     * its owners, releases, revoked keys and notices), once the registry is verified. */
    state() {
      return serial(async () => {
        await open();
        return reader.state();
      });
    },
    /** The evidence text of a LOG_INCONSISTENT verdict, or null. */
    evidence() {
      return reader.evidence() ?? null;
    },
  };
}
