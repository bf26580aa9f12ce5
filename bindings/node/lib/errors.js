'use strict';
// Errors of omega-verify: every refusal is an `OmegaError` (an `Error`) whose `code` is a
// DESIGN §4 code and whose message reads `CODE: message`, as Node's own `ENOENT: …` errors and
// the WASM binding's errors do. A failed package check also carries `.report`, the one report
// shape of every binding and of `omega check --json` (omega-core's `Error::to_json`).
// Arguments of the wrong JavaScript type throw a `TypeError` with `code` "MALFORMED".

/** The DESIGN §4 codes. */
const CODES = Object.freeze([
  'MALFORMED', 'UNSUPPORTED_VERSION', 'SIGNATURE_INVALID', 'KEY_NOT_TRUSTED', 'KEY_REVOKED',
  'THRESHOLD_NOT_MET', 'LEGACY_SIGNATURE_REFUSED', 'DIGEST_MISMATCH', 'FILE_MISSING',
  'FILE_EXTRA', 'FILE_CHANGED', 'UNSAFE_PATH', 'UNSUPPORTED_FILE_TYPE', 'ROLLBACK',
  'NOT_FOUND', 'IO', 'TOO_LARGE', 'LOG_INCONSISTENT', 'NOT_IN_LOG', 'QUORUM_NOT_MET', 'STALE',
]);

class OmegaError extends Error {
  /**
   * @param {string} code a DESIGN §4 code
   * @param {string} message what was refused, naming the package, file or key
   * @param {object} [report] the report of a failed check
   */
  constructor(code, message, report) {
    super(`${code}: ${message}`);
    this.code = code;
    if (report !== undefined && report !== null) this.report = report;
  }

  /** The message without the `CODE: ` prefix. */
  get detail() {
    const prefix = `${this.code}: `;
    return this.message.startsWith(prefix) ? this.message.slice(prefix.length) : this.message;
  }
}
Object.defineProperty(OmegaError.prototype, 'name', {
  value: 'OmegaError', writable: true, configurable: true,
});

/** A `TypeError` for an argument of the wrong type, with `code` "MALFORMED". */
function typeError(message) {
  const e = new TypeError(message);
  e.code = 'MALFORMED';
  return e;
}

/** The same error with `context: ` put before its message (code and report kept). */
function withContext(err, context) {
  if (!(err instanceof OmegaError)) return err;
  const e = new OmegaError(err.code, `${context}: ${err.detail}`, err.report);
  return e;
}

/** A Node `fs` error as an OmegaError: `NOT_FOUND` for ENOENT/ENOTDIR, else `IO`. */
function fromFs(err, path) {
  if (err instanceof OmegaError || !err || typeof err.code !== 'string') return err;
  const code = err.code === 'ENOENT' || err.code === 'ENOTDIR' ? 'NOT_FOUND' : 'IO';
  return new OmegaError(code, `${path}: ${err.message}`);
}

/**
 * An error from the WASM module (`Error` with `.code`, `.report`, message `CODE: …`) as an
 * OmegaError; TypeErrors and anything without a DESIGN §4 code are returned unchanged.
 */
function fromWasm(err) {
  if (err instanceof OmegaError || err instanceof TypeError || !err || !CODES.includes(err.code)) {
    return err;
  }
  const prefix = `${err.code}: `;
  const msg = String(err.message);
  return new OmegaError(err.code, msg.startsWith(prefix) ? msg.slice(prefix.length) : msg, err.report);
}

module.exports = { CODES, OmegaError, typeError, withContext, fromFs, fromWasm };
