'use strict';
// Ω.registry(url, {policy, checkpoint?, genesis?, fetch?, now?, offline?, maxAge?, signal?}) (issue 15, REGISTRY.md
// R6/R8): reads verified releases from a static Ωpm registry with the host's `fetch` (Node's
// global fetch by default). The order of the steps and every check are omega-core's
// (`omega_core::driver::Reader`, run by the chosen engine: src/registry.rs or the WASM build's
// bindings/wasm/src/registry.rs, whose class has the same methods); this file only fetches the
// paths the reader asks for, bounded by the caps it gives, and hands the bytes back.
//
//   const reg = Ω.registry('https://registry.example', { policy, checkpoint: saved?.keep, genesis: saved?.genesis });
//   const rel = await reg.release('left-pad');          // {tarball, manifest, report, entry, checkpoint, …}
//   const saved = await reg.checkpoint();               // store saved.keep and saved.genesis
//
// Freshness (threat model RD10): the clock is read at every call (unless `now` fixes it) and
// given to core, which refuses (STALE) a checkpoint older than maxAge at it. A call opens the
// registry again — the checkpoint fetched anew, consistency with the last one kept, the log
// replayed — when core says so (`needsReopen`: the last open is REFRESH_SECONDS = 60 s old or
// more, or the clock went back; `reopenAfter`: once on STALE): a long-lived object sees new
// notices, revocations and yanks within a minute. The rule is core's
// (`omega_core::driver::Reader::needs_reopen`); this file acts on it.

const { OmegaError, typeError, fromWasm } = require('./errors.js');
const opt = require('./options.js');

const MAX_AGE = 86400; // REGISTRY.md R6's default max_age (seconds)
const PARALLEL = 8; // fetches in flight at once

const rawEngine = require('./raw.js');
let raw;

function unwrap(result) {
  if (typeof result !== 'string') return result;
  const env = JSON.parse(result);
  if (env.ok) return env.value;
  throw new OmegaError(env.error.code, env.error.message);
}

/** A call on the engine's reader: native methods return envelopes, WASM ones throw. */
function call(f) {
  try {
    return unwrap(f());
  } catch (e) {
    throw fromWasm(e);
  }
}

function num(v, what) {
  if (!Number.isSafeInteger(v) || v < 0) throw typeError(`${what} must be a non-negative safe integer`);
  return v;
}

/** `code` error naming `where`. */
function tooLarge(where, cap) {
  return new OmegaError('TOO_LARGE', `${where}: more than ${cap} bytes, over the limit for it`);
}

/**
 * The body of `res`, streamed and refused (TOO_LARGE) as soon as it passes `cap` bytes: a
 * Content-Length over `cap` is refused before reading or allocating anything (RD17).
 */
async function readCapped(res, cap, where) {
  const len = Number(res.headers && res.headers.get ? res.headers.get('content-length') : NaN);
  const body = res.body;
  if (Number.isFinite(len) && len > cap) {
    if (body && body.cancel) await body.cancel().catch(() => {});
    throw tooLarge(where, cap);
  }
  if (body === null || body === undefined) return Buffer.alloc(0);
  const chunks = [];
  let total = 0;
  const add = (value) => {
    const chunk = value instanceof Uint8Array ? value : new Uint8Array(value);
    total += chunk.byteLength;
    if (total > cap) return false;
    chunks.push(chunk);
    return true;
  };
  if (body.getReader) {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!add(value)) {
        await reader.cancel().catch(() => {});
        throw tooLarge(where, cap);
      }
    }
  } else if (body[Symbol.asyncIterator]) {
    for await (const value of body) {
      if (!add(value)) {
        if (body.destroy) body.destroy();
        throw tooLarge(where, cap);
      }
    }
  } else {
    throw new OmegaError('IO', `${where}: the response body is not a stream`);
  }
  return Buffer.concat(chunks, total);
}

function clock() {
  return Math.floor(Date.now() / 1000);
}

class Registry {
  #url;
  #fetch;
  #Raw;
  #policy;
  #maxAge;
  #held;
  #genesis;
  #fixedNow; // a number: the caller's fixed clock; undefined: the clock (or offline)
  #offline;
  #signal;
  #reader = null; // the reader of the last open (a failed one is kept for evidence())
  #queue = Promise.resolve();

  constructor(url, options) {
    const o = opt.options(options, ['policy', 'checkpoint', 'genesis', 'fetch', 'now', 'offline', 'maxAge', 'signal']);
    this.#url = opt.string(url, 'url').replace(/\/+$/, '');
    this.#policy = opt.string(o.policy, 'options.policy');
    this.#held = o.checkpoint === undefined || o.checkpoint === null ? undefined : opt.string(o.checkpoint, 'options.checkpoint');
    this.#genesis = o.genesis === undefined || o.genesis === null ? undefined : opt.string(o.genesis, 'options.genesis');
    this.#maxAge = o.maxAge === undefined || o.maxAge === null ? MAX_AGE : num(o.maxAge, 'options.maxAge');
    // One rule in every binding (RD18): `offline: true` skips freshness; `now` (Unix seconds)
    // fixes the clock; neither: the clock, read at each call. `now: null` is refused.
    this.#offline = opt.bool(o.offline, 'options.offline');
    if (o.now === null) throw typeError('options.now must be a number of Unix seconds (use offline: true to skip freshness)');
    if (o.now !== undefined) {
      if (this.#offline) throw typeError('options.now and options.offline: give one of them');
      this.#fixedNow = num(o.now, 'options.now');
    }
    if (o.signal !== undefined && o.signal !== null && typeof o.signal.aborted !== 'boolean') {
      throw typeError('options.signal must be an AbortSignal');
    }
    this.#signal = o.signal ?? undefined;
    this.#fetch = o.fetch === undefined || o.fetch === null ? globalThis.fetch : o.fetch;
    if (typeof this.#fetch !== 'function') throw typeError('options.fetch must be a function (no global fetch: Node 18+)');
    if (!raw) raw = rawEngine();
    this.#Raw = raw.native ? raw.native.RegistryReader : raw.wasm.RegistryReader;
  }

  /** The registry's URL (no trailing slash). */
  get url() {
    return this.#url;
  }

  /** The clock for this call: undefined offline. */
  #now() {
    if (this.#offline) return undefined;
    return this.#fixedNow ?? clock();
  }

  async #get(p, cap, signal) {
    const where = `${this.#url}/${p}`;
    if (signal && signal.aborted) throw new OmegaError('IO', `${where}: aborted`);
    let res;
    try {
      res = await this.#fetch(where, signal ? { signal } : undefined);
    } catch (e) {
      throw new OmegaError('IO', `${where}: ${e && e.message ? e.message : e}`);
    }
    if (res.status === 404 || res.status === 410) {
      if (res.body && res.body.cancel) await res.body.cancel().catch(() => {});
      return null;
    }
    if (!res.ok) {
      if (res.body && res.body.cancel) await res.body.cancel().catch(() => {});
      throw new OmegaError('IO', `${where}: HTTP ${res.status}`);
    }
    try {
      return await readCapped(res, cap, where);
    } catch (e) {
      if (e instanceof OmegaError) throw e;
      throw new OmegaError('IO', `${where}: ${e && e.message ? e.message : e}`);
    }
  }

  /** Hands one fetched file to core (native: on the libuv thread pool). */
  async #provide(reader, p, bytes) {
    if (raw.native) return unwrap(await reader.provideAll([p], [bytes]));
    return call(() => reader.provide(p, bytes));
  }

  /**
   * Fetches what `reader` needs until it needs nothing (the host loop of docs/registry.md):
   * rounds of at most 64 paths (core's limit), PARALLEL fetches in flight, each file handed
   * to core as it arrives (nothing buffered for the round, RD12); the first error stops the
   * loop. In a release, a failed fetch drops the release (core's abandonRelease, RD11).
   */
  async #drive(reader, state) {
    let needs = state.needs;
    while (needs.length > 0) {
      let next = 0;
      let failed = null;
      const worker = async () => {
        while (next < needs.length && !failed) {
          const n = needs[next++];
          try {
            const bytes = await this.#get(n.path, n.maxBytes, this.#signal);
            if (!failed) await this.#provide(reader, n.path, bytes);
          } catch (e) {
            failed = failed || e;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, needs.length) }, worker));
      if (failed) {
        call(() => reader.abandonRelease());
        throw failed;
      }
      needs = call(() => reader.needs()).needs;
    }
  }

  /** Calls run one after another (the reader is one state machine). */
  #serial(f) {
    const run = this.#queue.then(f, f);
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * Opens the registry (again) when core says so (`needsReopen(now)`: never opened, the open
   * failed, or the last open is REFRESH_SECONDS old or the clock went back) or when `force`:
   * a new core reader from the policy and the last checkpoint kept (consistency with it),
   * the log replayed. Else gives the reader the clock. Returns whether it opened now.
   */
  async #ensureOpen(now, force) {
    const reader0 = this.#reader;
    if (!force && reader0 !== null && !call(() => reader0.needsReopen(now))) {
      call(() => reader0.setNow(now));
      return false;
    }
    const reader = new this.#Raw(this.#url, this.#policy, this.#maxAge, this.#held, this.#genesis, now);
    this.#reader = reader;
    await this.#drive(reader, call(() => reader.needs()));
    const cp = call(() => reader.checkpoint());
    this.#held = cp.keep;
    this.#genesis = cp.genesis;
    return true;
  }

  /** Runs `f(reader)` on an open registry; opens again once when core says so (`reopenAfter`: STALE). */
  #withOpen(f) {
    return this.#serial(async () => {
      const now = this.#now();
      const opened = await this.#ensureOpen(now, false);
      try {
        return await f(this.#reader);
      } catch (e) {
        if (!(e instanceof OmegaError) || !this.#reader.reopenAfter(e.code, opened)) throw e;
        await this.#ensureOpen(now, true);
        return f(this.#reader);
      }
    });
  }

  /**
   * The verified release of `name` (`version`, else the latest unyanked): {name, version,
   * sequence, entry, tree, size, manifestHash, tarballHash, report, advisories, tarball
   * (Buffer), manifest (Buffer), checkpoint, owners {entry, serial, keys}}. Options:
   * acceptNotices (ids of critical notices accepted), allowYanked, ownerKeys (the owners.keys
   * pinned from an earlier release: KEY_NOT_TRUSTED after an owner change).
   */
  release(name, version, options) {
    opt.string(name, 'name');
    if (version !== undefined && version !== null) opt.string(version, 'version');
    const o = opt.options(options, ['acceptNotices', 'allowYanked', 'ownerKeys']);
    const accept = o.acceptNotices === undefined || o.acceptNotices === null ? [] : o.acceptNotices;
    if (!Array.isArray(accept) || accept.some((s) => typeof s !== 'string')) {
      throw typeError('options.acceptNotices must be an array of strings');
    }
    const owners = o.ownerKeys === undefined || o.ownerKeys === null ? [] : o.ownerKeys;
    if (!Array.isArray(owners) || owners.some((s) => typeof s !== 'string')) {
      throw typeError('options.ownerKeys must be an array of strings');
    }
    const allow = opt.bool(o.allowYanked, 'options.allowYanked');
    return this.#withOpen(async (reader) => {
      const state = call(() => reader.wantRelease(name, version ?? undefined, accept, allow, owners));
      await this.#drive(reader, state);
      const info = call(() => reader.takeRelease());
      const tarball = Buffer.from(reader.tarball());
      const manifest = Buffer.from(reader.manifest());
      const checkpoint = call(() => reader.checkpoint());
      return { ...info, tarball, manifest, checkpoint };
    });
  }

  /** The notices of `name` (those affecting `sequence` when given), from the verified log. */
  notices(name, sequence) {
    opt.string(name, 'name');
    const seq = sequence === undefined || sequence === null ? undefined : num(sequence, 'sequence');
    return this.#withOpen(async (reader) => call(() => reader.notices(name, seq)));
  }

  /**
   * The verified checkpoint: {origin, size, root, extensions, witnesses, freshness, logKey,
   * note, keep, genesis, proven}. Store `keep` (the note; never older than the one given) and
   * `genesis`, and pass them as options.checkpoint / options.genesis next time. `proven`
   * ({size, root}) is the tree releases are proven against (the stored one when a mirror is
   * behind).
   */
  checkpoint() {
    return this.#withOpen(async (reader) => call(() => reader.checkpoint()));
  }

  /** The evidence text of a LOG_INCONSISTENT verdict (both notes and the proof), or null. */
  evidence() {
    return (this.#reader && this.#reader.evidence()) ?? null;
  }
}

/** Ω.registry(url, options): a Registry (nothing is fetched until the first call). */
function registry(url, options) {
  return new Registry(url, options);
}

module.exports = { registry, Registry };
/** Core's driver::REFRESH_SECONDS (60): a call re-opens the registry when its last open is this old. */
Object.defineProperty(module.exports, 'REFRESH_SECONDS', {
  enumerable: true,
  get() {
    if (!raw) raw = rawEngine();
    return raw.native ? raw.native.registryRefreshSeconds() : raw.wasm.refreshSeconds();
  },
});
