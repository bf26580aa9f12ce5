'use strict';
// Ω.registry(url, {policy, checkpoint?, genesis?, fetch?, now?, maxAge?}) (issue 15, REGISTRY.md
// R6/R8): reads verified releases from a static Ωpm registry with the host's `fetch` (Node's
// global fetch by default). The order of the steps and every check are omega-core's
// (`omega_core::driver::Reader`, run by the chosen engine: src/registry.rs or the WASM build's
// bindings/wasm/src/registry.rs, whose class has the same methods); this file only fetches the
// paths the reader asks for, bounded by the caps it gives, and hands the bytes back.
//
//   const reg = Ω.registry('https://registry.example', { policy, checkpoint: saved?.keep, genesis: saved?.genesis });
//   const rel = await reg.release('left-pad');          // {tarball, manifest, report, entry, checkpoint, …}
//   const saved = await reg.checkpoint();               // store saved.keep and saved.genesis

const fs = require('node:fs');
const path = require('node:path');
const engine = require('./engine.js');
const { OmegaError, typeError, fromWasm } = require('./errors.js');
const opt = require('./options.js');

const MAX_AGE = 86400; // REGISTRY.md R6's default max_age (seconds)
const PARALLEL = 8; // fetches in flight at once

function loadRaw() {
  if (engine.name === 'native') return { native: require(path.join(__dirname, '..', 'omega.node')) };
  for (const dir of [path.join(__dirname, '..', 'wasm'), path.join(__dirname, '..', '..', 'wasm', 'pkg-node')]) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return { wasm: require(dir) };
  }
  throw new Error('omega-verify: the WebAssembly build is missing (run make build-wasm)');
}
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

/** The body of `res`, at most `cap` + 1 bytes read (core refuses anything over `cap`). */
async function readCapped(res, cap) {
  const len = Number(res.headers && res.headers.get ? res.headers.get('content-length') : NaN);
  if (Number.isFinite(len) && len > cap) {
    if (res.body && res.body.cancel) await res.body.cancel().catch(() => {});
    return Buffer.alloc(cap + 1);
  }
  if (!res.body || !res.body.getReader) return Buffer.from(await res.arrayBuffer());
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
  return Buffer.concat(chunks, total);
}

class Registry {
  #url;
  #fetch;
  #reader;
  #opening;
  #queue = Promise.resolve();

  constructor(url, options) {
    const o = opt.options(options, ['policy', 'checkpoint', 'genesis', 'fetch', 'now', 'maxAge']);
    this.#url = opt.string(url, 'url').replace(/\/+$/, '');
    const policy = opt.string(o.policy, 'options.policy');
    const held = o.checkpoint === undefined || o.checkpoint === null ? undefined : opt.string(o.checkpoint, 'options.checkpoint');
    const genesis = o.genesis === undefined || o.genesis === null ? undefined : opt.string(o.genesis, 'options.genesis');
    const maxAge = o.maxAge === undefined || o.maxAge === null ? MAX_AGE : num(o.maxAge, 'options.maxAge');
    // now: undefined = the clock; null = offline (freshness not checked); a number = Unix seconds.
    let now;
    if (o.now === undefined) now = Math.floor(Date.now() / 1000);
    else if (o.now === null) now = undefined;
    else now = num(o.now, 'options.now');
    this.#fetch = o.fetch === undefined || o.fetch === null ? globalThis.fetch : o.fetch;
    if (typeof this.#fetch !== 'function') throw typeError('options.fetch must be a function (no global fetch: Node 18+)');
    if (!raw) raw = loadRaw();
    const Raw = raw.native ? raw.native.RegistryReader : raw.wasm.RegistryReader;
    this.#reader = new Raw(this.#url, policy, maxAge, held, genesis, now);
  }

  /** The registry's URL (no trailing slash). */
  get url() {
    return this.#url;
  }

  async #get(p, cap) {
    const where = `${this.#url}/${p}`;
    let res;
    try {
      res = await this.#fetch(where);
    } catch (e) {
      throw new OmegaError('IO', `${where}: ${e && e.message ? e.message : e}`);
    }
    if (res.status === 404 || res.status === 410) {
      if (res.body && res.body.cancel) await res.body.cancel().catch(() => {});
      return null;
    }
    if (!res.ok) throw new OmegaError('IO', `${where}: HTTP ${res.status}`);
    return readCapped(res, cap);
  }

  /** Fetches what the reader needs until it needs nothing (the host loop of docs/registry.md). */
  async #drive(state) {
    let needs = state.needs;
    while (needs.length > 0) {
      const got = new Array(needs.length);
      let next = 0;
      const worker = async () => {
        while (next < needs.length) {
          const i = next++;
          got[i] = await this.#get(needs[i].path, needs[i].maxBytes);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, needs.length) }, worker));
      let last = null;
      if (raw.native) {
        // One call per round, checked on the libuv thread pool (the replay and the tarball
        // checks do not block the event loop).
        last = unwrap(await this.#reader.provideAll(needs.map((n) => n.path), got));
      } else {
        for (let i = 0; i < needs.length; i++) {
          last = call(() => this.#reader.provide(needs[i].path, got[i]));
        }
      }
      needs = last.needs;
    }
  }

  /** Calls run one after another (the reader is one state machine). */
  #serial(f) {
    const run = this.#queue.then(f, f);
    this.#queue = run.catch(() => {});
    return run;
  }

  #open() {
    if (!this.#opening) {
      this.#opening = this.#drive(call(() => this.#reader.needs()));
      this.#opening.catch(() => {});
    }
    return this.#opening;
  }

  /**
   * The verified release of `name` (`version`, else the latest unyanked): {name, version,
   * sequence, entry, tree, size, manifestHash, tarballHash, report, advisories, tarball
   * (Buffer), manifest (Buffer), checkpoint}. Options: acceptNotices (ids of critical notices
   * accepted), allowYanked.
   */
  release(name, version, options) {
    opt.string(name, 'name');
    if (version !== undefined && version !== null) opt.string(version, 'version');
    const o = opt.options(options, ['acceptNotices', 'allowYanked']);
    const accept = o.acceptNotices === undefined || o.acceptNotices === null ? [] : o.acceptNotices;
    if (!Array.isArray(accept) || accept.some((s) => typeof s !== 'string')) {
      throw typeError('options.acceptNotices must be an array of strings');
    }
    const allow = opt.bool(o.allowYanked, 'options.allowYanked');
    return this.#serial(async () => {
      await this.#open();
      const state = call(() => this.#reader.wantRelease(name, version ?? undefined, accept, allow));
      await this.#drive(state);
      const info = call(() => this.#reader.takeRelease());
      const tarball = Buffer.from(this.#reader.tarball());
      const manifest = Buffer.from(this.#reader.manifest());
      const checkpoint = call(() => this.#reader.checkpoint());
      return { ...info, tarball, manifest, checkpoint };
    });
  }

  /** The notices of `name` (those affecting `sequence` when given), from the verified log. */
  notices(name, sequence) {
    opt.string(name, 'name');
    const seq = sequence === undefined || sequence === null ? undefined : num(sequence, 'sequence');
    return this.#serial(async () => {
      await this.#open();
      return call(() => this.#reader.notices(name, seq));
    });
  }

  /**
   * The verified checkpoint: {origin, size, root, extensions, witnesses, freshness, logKey,
   * note, keep, genesis}. Store `keep` (the note; never older than the one given) and
   * `genesis`, and pass them as options.checkpoint / options.genesis next time.
   */
  checkpoint() {
    return this.#serial(async () => {
      await this.#open();
      return call(() => this.#reader.checkpoint());
    });
  }

  /** The evidence text of a LOG_INCONSISTENT verdict (both notes and the proof), or null. */
  evidence() {
    return this.#reader.evidence() ?? null;
  }
}

/** Ω.registry(url, options): a Registry (nothing is fetched until the first call). */
function registry(url, options) {
  return new Registry(url, options);
}

module.exports = { registry, Registry };
