'use strict';
// Type checks of the JS arguments (TypeError with code MALFORMED); what the values mean —
// whether a digest or key parses, whether a threshold fits — is omega-core's call.

const { typeError } = require('./errors.js');

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `options` (undefined, null or an object) with only `known` keys; a misspelt `keys` must
 * not silently leave a package unpinned. */
function options(value, known, what = 'options') {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw typeError(`${what} must be an object`);
  for (const k of Object.keys(value)) {
    if (!known.includes(k)) throw typeError(`${what}: unknown option ${JSON.stringify(k)} (known: ${known.join(', ')})`);
  }
  return value;
}

function string(value, what) {
  if (typeof value !== 'string') throw typeError(`${what} must be a string`);
  return value;
}

function bool(value, what) {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw typeError(`${what} must be a boolean`);
  return value;
}

/** Pins {digest, keys, threshold, legacy} from a digest argument and options. */
function pins(digest, opts, what = 'options') {
  const out = {};
  if (digest !== undefined && digest !== null) out.digest = string(digest, 'digest');
  if (opts.keys !== undefined && opts.keys !== null) {
    const keys = typeof opts.keys === 'string' ? [opts.keys] : opts.keys;
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
      throw typeError(`${what}.keys must be a public key (RW… or key file text) or an array of them`);
    }
    out.keys = keys;
  }
  if (opts.threshold !== undefined && opts.threshold !== null) {
    if (!Number.isInteger(opts.threshold) || opts.threshold < 0 || opts.threshold > 0xffffffff) {
      throw typeError(`${what}.threshold must be a non-negative integer`);
    }
    out.threshold = opts.threshold;
  }
  if (opts.legacy !== undefined && opts.legacy !== null) out.legacy = bool(opts.legacy, `${what}.legacy`);
  return out;
}

function bytes(value, what) {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  throw typeError(`${what} must be a Buffer, a Uint8Array or a string`);
}

module.exports = { options, string, bool, pins, bytes, isPlainObject };
