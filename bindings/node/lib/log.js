'use strict';
// Log verification (REGISTRY.md R8; docs/registry.md "Bindings: log verification"): signed
// notes, checkpoints under a tlog-policy, index notes, RFC 6962 proofs (given, or built from
// tile bytes the host fetched), entry bundles, registry statements and entries, and the
// replay of a log. Every rule is omega-core's, run by the chosen engine: the native addon
// (src/log.rs) or the WASM build (bindings/wasm/src/log.rs, whose exports have these very
// names and arguments). This file checks JavaScript types and converts; errors are
// OmegaErrors with core's codes (NOT_IN_LOG, LOG_INCONSISTENT, QUORUM_NOT_MET, STALE, …).
//
// Hashes (roots, leaf hashes, proof hashes) are lowercase hex strings in and out; sizes and
// indexes are numbers (non-negative safe integers); bytes are Buffers (Uint8Array, ArrayBuffer
// or a string's UTF-8 accepted); `tiles` is an object or a Map from tile path to bytes.

const { OmegaError, typeError, fromWasm } = require('./errors.js');
const opt = require('./options.js');

const MAX_AGE = 86400; // REGISTRY.md R6's default max_age (seconds)

const raw = require('./raw.js')();

function unwrap(result) {
  if (typeof result !== 'string') return result;
  const env = JSON.parse(result);
  if (env.ok) return env.value;
  throw new OmegaError(env.error.code, env.error.message);
}

/** Native: the envelope's value; WASM: the call's value, its thrown errors as OmegaErrors. */
function call(native, wasm) {
  if (raw.native) return unwrap(native(raw.native));
  try {
    return wasm(raw.wasm);
  } catch (e) {
    throw fromWasm(e);
  }
}

function num(v, what) {
  if (!Number.isSafeInteger(v) || v < 0) throw typeError(`${what} must be a non-negative safe integer`);
  return v;
}

function strings(v, what) {
  if (!Array.isArray(v)) throw typeError(`${what} must be an array of strings`);
  v.forEach((s, i) => opt.string(s, `${what}[${i}]`));
  return v;
}

function byteList(v, what) {
  if (!Array.isArray(v)) throw typeError(`${what} must be an array of byte arrays`);
  return v.map((b, i) => opt.bytes(b, `${what}[${i}]`));
}

/** tiles (object or Map, path -> bytes) as [paths, buffers]. */
function tileArgs(tiles) {
  let entries;
  if (tiles instanceof Map) entries = [...tiles.entries()];
  else if (opt.isPlainObject(tiles)) entries = Object.entries(tiles);
  else throw typeError('tiles must be an object or a Map from tile path to bytes');
  return [entries.map(([p]) => opt.string(p, 'tiles key')), entries.map(([p, b]) => opt.bytes(b, `tiles[${p}]`))];
}

function tileObject(tiles) {
  const [paths, bufs] = tileArgs(tiles);
  const out = new Map();
  paths.forEach((p, i) => out.set(p, bufs[i]));
  return out;
}

const log = {
  /** {verified: [{name, keyId, type, timestamp}]}: the trusted keys (vkeys) that signed `note`. */
  verifyNote(note, vkeys) {
    const n = opt.bytes(note, 'note');
    const k = strings(vkeys, 'vkeys');
    return call((a) => a.logVerifyNote(n, k), (w) => w.verifyNote(n, k));
  },

  /** {origin, size, root, extensions, witnesses: [{name, time}], freshness: {state, asOf}, logKey, note}. */
  verifyCheckpoint(note, policy, options) {
    const o = opt.options(options, ['now', 'maxAge']);
    const n = opt.bytes(note, 'note');
    const p = opt.string(policy, 'policy');
    const now = o.now === undefined || o.now === null ? undefined : num(o.now, 'options.now');
    const maxAge = o.maxAge === undefined || o.maxAge === null ? MAX_AGE : num(o.maxAge, 'options.maxAge');
    return call((a) => a.logVerifyCheckpoint(n, p, now, maxAge), (w) => w.verifyCheckpoint(n, p, { now, maxAge }));
  },

  /** {text (canonical), logs: [vkey], witnesses: [{name, vkey}]}. */
  parsePolicy(policy) {
    const p = opt.string(policy, 'policy');
    return call((a) => a.logParsePolicy(p), (w) => w.parsePolicy(p));
  },

  /** {origin, name, asOf, expires, lines, text}: an index note verified (options: origin, name, checkpointSize, now). */
  verifyIndex(note, indexKey, options) {
    const o = opt.options(options, ['origin', 'name', 'checkpointSize', 'now']);
    const n = opt.bytes(note, 'note');
    const k = opt.string(indexKey, 'indexKey');
    const origin = opt.string(o.origin, 'options.origin');
    const name = opt.string(o.name, 'options.name');
    const size = num(o.checkpointSize, 'options.checkpointSize');
    const now = o.now === undefined || o.now === null ? undefined : num(o.now, 'options.now');
    return call(
      (a) => a.logVerifyIndex(n, k, origin, name, size, now),
      (w) => w.verifyIndex(n, k, { origin, name, checkpointSize: size, now }),
    );
  },

  /** SHA-256(0x00 ‖ entry), hex. */
  leafHash(entry) {
    const e = opt.bytes(entry, 'entry');
    return call((a) => a.logLeafHash(e), (w) => w.leafHash(e));
  },

  /** The RFC 6962 root of the tree of these entries, hex. */
  merkleRoot(entries) {
    const es = byteList(entries, 'entries');
    return call((a) => a.logMerkleRoot(es), (w) => w.merkleRoot(es));
  },

  /** true, or throws NOT_IN_LOG / MALFORMED. `leaf`: a leaf hash (hex string) or the entry's bytes. */
  verifyInclusion(index, size, leaf, proof, root) {
    num(index, 'index');
    num(size, 'size');
    const l = typeof leaf === 'string' ? leaf : log.leafHash(opt.bytes(leaf, 'leaf'));
    strings(proof, 'proof');
    opt.string(root, 'root');
    return call((a) => a.logVerifyInclusion(index, size, l, proof, root), (w) => w.verifyInclusion(index, size, l, proof, root));
  },

  /** true, or throws LOG_INCONSISTENT / MALFORMED. */
  verifyConsistency(size1, size2, root1, root2, proof) {
    num(size1, 'size1');
    num(size2, 'size2');
    opt.string(root1, 'root1');
    opt.string(root2, 'root2');
    strings(proof, 'proof');
    return call(
      (a) => a.logVerifyConsistency(size1, size2, root1, root2, proof),
      (w) => w.verifyConsistency(size1, size2, root1, root2, proof),
    );
  },

  tilesForRoot(size) {
    num(size, 'size');
    return call((a) => a.logTilesForRoot(size), (w) => w.tilesForRoot(size));
  },
  tilesForInclusion(index, size) {
    num(index, 'index');
    num(size, 'size');
    return call((a) => a.logTilesForInclusion(index, size), (w) => w.tilesForInclusion(index, size));
  },
  tilesForConsistency(size1, size2) {
    num(size1, 'size1');
    num(size2, 'size2');
    return call((a) => a.logTilesForConsistency(size1, size2), (w) => w.tilesForConsistency(size1, size2));
  },
  bundleForEntry(index, size) {
    num(index, 'index');
    num(size, 'size');
    return call((a) => a.logBundleForEntry(index, size), (w) => w.bundleForEntry(index, size));
  },

  /** {leafHash, proof}: entry `index`'s leaf hash and inclusion proof, from tiles verified against `root`. */
  proveInclusion(index, size, root, tiles) {
    num(index, 'index');
    num(size, 'size');
    opt.string(root, 'root');
    const [p, b] = tileArgs(tiles);
    return call((a) => a.logProveInclusion(index, size, root, p, b), (w) => w.proveInclusion(index, size, root, tileObject(tiles)));
  },

  /** {proof}: the consistency proof from size1, from tiles of the tree of size2 (checked against both roots). */
  proveConsistency(size1, size2, root1, root2, tiles) {
    num(size1, 'size1');
    num(size2, 'size2');
    opt.string(root1, 'root1');
    opt.string(root2, 'root2');
    const [p, b] = tileArgs(tiles);
    return call(
      (a) => a.logProveConsistency(size1, size2, root1, root2, p, b),
      (w) => w.proveConsistency(size1, size2, root1, root2, tileObject(tiles)),
    );
  },

  /** The bytes (Buffer) of entry `index`, proven by its bundle and the tiles. */
  readEntry(index, size, root, tiles) {
    num(index, 'index');
    num(size, 'size');
    opt.string(root, 'root');
    const [p, b] = tileArgs(tiles);
    return Buffer.from(call((a) => a.logReadEntry(index, size, root, p, b), (w) => w.readEntry(index, size, root, tileObject(tiles))));
  },

  /** {kind: "hashes" | "entries", level (null for entries), index, width (256 = full)}. */
  parseTilePath(tilePath) {
    const p = opt.string(tilePath, 'path');
    return call((a) => a.logParseTilePath(p), (w) => w.parseTilePath(p));
  },

  /** The entries (Buffers) of an entry bundle of exactly `width` entries. */
  parseBundle(bytes, width) {
    const b = opt.bytes(bytes, 'bundle');
    num(width, 'width');
    return call((a) => a.logParseBundle(b, width), (w) => w.parseBundle(b, width)).map((e) => Buffer.from(e));
  },

  /** {type, name, text (canonical)}. */
  parseStatement(bytes) {
    const b = opt.bytes(bytes, 'statement');
    return call((a) => a.logParseStatement(b), (w) => w.parseStatement(b));
  },

  /** {type, name, statement, signatures: [key id], text (canonical)}. */
  parseEntry(bytes) {
    const b = opt.bytes(bytes, 'entry');
    return call((a) => a.logParseEntry(b), (w) => w.parseEntry(b));
  },

  /**
   * {verdicts: ["ok" | CODE], errors: [{index, code, message}], genesis, state}: the entries
   * replayed from the genesis. Invalid entries are skipped (a monitor's view) unless
   * options.stop; state is omega-core's RegistryState JSON (null without a valid genesis).
   */
  replayLog(entries, options) {
    const o = opt.options(options, ['stop']);
    const es = byteList(entries, 'entries');
    const stop = opt.bool(o.stop, 'options.stop');
    return call((a) => a.logReplay(es, stop), (w) => w.replayLog(es, { stop }));
  },
};

module.exports = log;
