// The registry reader for browsers (issue 15, REGISTRY.md R8), shipped in pkg/ next to
// omega_full.js (the full module; pkg/omega.js is the small verifier without the reader): `openRegistry(url, {policy, checkpoint?, genesis?, fetch?, now?, offline?, maxAge?, signal?})` reads
// verified releases from a static Ωpm registry with the page's `fetch`. The order of the steps
// and every check are omega-core's (`omega_core::driver::Reader`, the `RegistryReader` class
// of src/registry.rs); this file fetches the paths the reader asks for, bounded by the caps it
// gives, and hands the bytes back. The same loop as the Node package's lib/registry.js.
//
//   import init from './omega_full.js';
//   import { openRegistry } from './registry.js';
//   await init();
//   const reg = openRegistry('https://registry.example', { policy, checkpoint: saved?.keep, genesis: saved?.genesis });
//   const rel = await reg.release('left-pad');   // {tarball, manifest, report, entry, checkpoint, …}
//   localStorage.setItem('omega-checkpoint', JSON.stringify(await reg.checkpoint()));
//
// Freshness (threat model RD10): the clock is read at every call (unless `now` fixes it) and
// given to core, which refuses (STALE) a checkpoint older than maxAge at it. A call opens the
// registry again — the checkpoint fetched anew, consistency with the last one kept, the log
// replayed — when core says so: `needsReopen` (the last open is REFRESH_SECONDS = 60 s old or
// more, or the clock went back) or `reopenAfter` (once on STALE). The rule is core's
// (`omega_core::driver::Reader::needs_reopen`); this file acts on it.
import { RegistryReader } from './omega_full.js';

const MAX_AGE = 86400; // REGISTRY.md R6's default max_age (seconds)
const PARALLEL = 8; // fetches in flight at once
// core's driver::REFRESH_SECONDS, for callers (module-level: usable before init(); the
// tests check it against the module's refreshSeconds()). The rule itself is core's.
export const REFRESH_SECONDS = 60;

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

function tooLarge(where, cap) {
  return omegaError('TOO_LARGE', `${where}: more than ${cap} bytes, over the limit for it`);
}

/**
 * The body of `res`, streamed and refused (TOO_LARGE) as soon as it passes `cap` bytes: a
 * Content-Length over `cap` is refused before reading or allocating anything (RD17).
 */
export async function readCapped(res, cap, where) {
  const len = Number(res.headers && res.headers.get ? res.headers.get('content-length') : NaN);
  const body = res.body;
  if (Number.isFinite(len) && len > cap) {
    if (body && body.cancel) await body.cancel().catch(() => {});
    throw tooLarge(where, cap);
  }
  if (body === null || body === undefined) return new Uint8Array(0);
  if (!body.getReader) throw omegaError('IO', `${where}: the response body is not a stream`);
  const reader = body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel().catch(() => {});
      throw tooLarge(where, cap);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

const KNOWN = ['policy', 'checkpoint', 'genesis', 'fetch', 'now', 'offline', 'maxAge', 'signal'];

/**
 * A reader of the static Ωpm registry at `url` (nothing is fetched until the first call).
 * options: policy (the registry's tlog-policy text, obtained another way than plain http),
 * checkpoint and genesis (stored from an earlier `checkpoint()`: its `keep` and `genesis`),
 * fetch (default: the global fetch), now (Unix seconds: a fixed clock; default: the clock,
 * read at each call), offline (true: freshness not checked; `now: null` is refused),
 * maxAge (seconds, default 86400), signal (an AbortSignal ending every fetch).
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
  const policy = o.policy;
  let held = optString(o.checkpoint, 'options.checkpoint');
  let genesis = optString(o.genesis, 'options.genesis');
  const maxAge = o.maxAge === undefined || o.maxAge === null ? MAX_AGE : num(o.maxAge, 'options.maxAge');
  if (o.offline !== undefined && o.offline !== null && typeof o.offline !== 'boolean') throw typeError('options.offline must be a boolean');
  const offline = o.offline === true;
  if (o.now === null) throw typeError('options.now must be a number of Unix seconds (use offline: true to skip freshness)');
  let fixedNow;
  if (o.now !== undefined) {
    if (offline) throw typeError('options.now and options.offline: give one of them');
    fixedNow = num(o.now, 'options.now');
  }
  if (o.signal !== undefined && o.signal !== null && typeof o.signal.aborted !== 'boolean') {
    throw typeError('options.signal must be an AbortSignal');
  }
  const signal = o.signal ?? undefined;
  const fetchFn = o.fetch ?? globalThis.fetch;
  if (typeof fetchFn !== 'function') throw typeError('options.fetch must be a function');
  const clock = () => (offline ? undefined : fixedNow ?? Math.floor(Date.now() / 1000));

  let reader = null; // the reader of the last open (a failed one is kept for evidence())

  async function get(p, cap) {
    const where = `${base}/${p}`;
    if (signal && signal.aborted) throw omegaError('IO', `${where}: aborted`);
    let res;
    try {
      res = await fetchFn(where, signal ? { signal } : undefined);
    } catch (e) {
      throw omegaError('IO', `${where}: ${e && e.message ? e.message : e}`);
    }
    if (res.status === 404 || res.status === 410) {
      if (res.body && res.body.cancel) await res.body.cancel().catch(() => {});
      return null;
    }
    if (!res.ok) {
      if (res.body && res.body.cancel) await res.body.cancel().catch(() => {});
      throw omegaError('IO', `${where}: HTTP ${res.status}`);
    }
    try {
      return await readCapped(res, cap, where);
    } catch (e) {
      if (e && typeof e.code === 'string') throw e;
      throw omegaError('IO', `${where}: ${e && e.message ? e.message : e}`);
    }
  }

  // Rounds of at most 64 paths (core's limit), PARALLEL fetches in flight, each file handed
  // to core as it arrives (RD12); the first error stops the loop; in a release, a failed
  // fetch drops the release (core's abandonRelease, RD11).
  async function drive(r, state) {
    let needs = state.needs;
    while (needs.length > 0) {
      let next = 0;
      let failed = null;
      const worker = async () => {
        while (next < needs.length && !failed) {
          const n = needs[next++];
          try {
            const bytes = await get(n.path, n.maxBytes);
            if (!failed) r.provide(n.path, bytes);
          } catch (e) {
            failed = failed || e;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, needs.length) }, worker));
      if (failed) {
        r.abandonRelease();
        throw failed;
      }
      needs = r.needs().needs;
    }
  }

  // Opens the registry (again) when core says so (needsReopen(now): never opened, the open
  // failed, or the last open is REFRESH_SECONDS old or the clock went back) or when `force`:
  // a new core reader from the policy and the last checkpoint kept (consistency with it),
  // the log replayed. Else gives the reader the clock. Returns whether it opened now.
  async function ensureOpen(now, force) {
    if (!force && reader !== null && !reader.needsReopen(now)) {
      reader.setNow(now);
      return false;
    }
    const r = new RegistryReader(base, policy, maxAge, held, genesis, now);
    reader = r;
    await drive(r, r.needs());
    const cp = r.checkpoint();
    held = cp.keep;
    genesis = cp.genesis;
    return true;
  }

  let queue = Promise.resolve();
  const serial = (f) => {
    const run = queue.then(f, f);
    queue = run.catch(() => {});
    return run;
  };
  // Runs f(reader) on an open registry; opens again once when core says so (reopenAfter: STALE).
  const withOpen = (f) =>
    serial(async () => {
      const now = clock();
      const opened = await ensureOpen(now, false);
      try {
        return await f(reader);
      } catch (e) {
        if (!e || typeof e.code !== 'string' || !reader.reopenAfter(e.code, opened)) throw e;
        await ensureOpen(now, true);
        return f(reader);
      }
    });

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
      const owners = r.ownerKeys ?? [];
      if (!Array.isArray(owners) || owners.some((s) => typeof s !== 'string')) {
        throw typeError('options.ownerKeys must be an array of strings');
      }
      return withOpen(async (rd) => {
        await drive(rd, rd.wantRelease(name, version ?? undefined, accept, r.allowYanked === true, owners));
        const info = rd.takeRelease();
        return { ...info, tarball: rd.tarball(), manifest: rd.manifest(), checkpoint: rd.checkpoint() };
      });
    },
    /** The notices of `name` (those affecting `sequence` when given). */
    notices(name, sequence) {
      if (typeof name !== 'string') throw typeError('name must be a string');
      const seq = sequence === undefined || sequence === null ? undefined : num(sequence, 'sequence');
      return withOpen(async (rd) => rd.notices(name, seq));
    },
    /** The verified checkpoint; store `keep` and `genesis` for the next openRegistry; `proven`
     * ({size, root}) is the tree releases are proven against. */
    checkpoint() {
      return withOpen(async (rd) => rd.checkpoint());
    },
    /** The replayed registry state (omega-core's RegistryState JSON: janitors, and per name
     * its owners, releases, revoked keys and notices), once the registry is verified. */
    state() {
      return withOpen(async (rd) => rd.state());
    },
    /** The evidence text of a LOG_INCONSISTENT verdict, or null. */
    evidence() {
      return (reader && reader.evidence()) ?? null;
    },
  };
}
