// Shared helpers of the WASM binding's tests: loading the built module, the vector files, and
// a small npm-style tarball writer (test-only: it lets the tests build good and hostile .tgz
// files independently of omega-core's own writer).
import { createRequire } from 'node:module';
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

export const here = dirname(fileURLToPath(import.meta.url));
export const wasmDir = resolve(here, '..');
export const repo = resolve(wasmDir, '..', '..');

/** The Node build (pkg-node/, CommonJS), as the native addon's fallback loads it. */
export function loadOmega() {
  const path = join(wasmDir, 'pkg-node', 'omega.js');
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`make build-wasm\` before the tests`);
  }
  return createRequire(import.meta.url)(path);
}

/** The project's cross-language vectors (tests/vectors/NAME.json): its `cases`. */
export function projectCases(name) {
  const doc = JSON.parse(readFileSync(join(repo, 'tests', 'vectors', name), 'utf8'));
  if (!Array.isArray(doc.cases) || doc.cases.length === 0) throw new Error(`${name}: no cases`);
  return doc.cases;
}

/** The shared public vectors directory: $OMEGA_SHARED_VECTORS, else shared/vectors beside the
 * repository. A missing file fails the test; it is never skipped. */
export function sharedVector(rel) {
  const dir = process.env.OMEGA_SHARED_VECTORS || resolve(repo, '..', 'shared', 'vectors');
  const path = join(dir, rel);
  if (!existsSync(path)) {
    throw new Error(
      `public vector file ${path} is missing (set OMEGA_SHARED_VECTORS to the shared/vectors ` +
        'directory). Missing vectors fail, they are never skipped.',
    );
  }
  return readFileSync(path, 'utf8');
}

export const fromHex = (h) => Uint8Array.from(Buffer.from(h, 'hex'));
export const toHex = (u) => Buffer.from(u).toString('hex');

/** A vector file entry `{path, executable, text | hex}` as a WASM `files` entry. */
export function vectorFile(f) {
  const data = f.hex !== undefined ? fromHex(f.hex) : new TextEncoder().encode(f.text);
  return { path: f.path, data, executable: f.executable };
}

// ---- tar ----------------------------------------------------------------------------------

function octal(n, width) {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** One 512-byte ustar header. */
function header(name, { size = 0, mode = 0o644, type = '0', linkname = '' }) {
  const h = Buffer.alloc(512);
  const put = (s, off, len) => Buffer.from(s, 'utf8').copy(h, off, 0, len);
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(499162500, 12), 136, 12);
  h.fill(0x20, 148, 156);
  put(type, 156, 1);
  put(linkname, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(octal(sum, 7) + ' ', 148, 8);
  return h;
}

/**
 * An npm-style .tgz: every entry under `prefix` (default `package/`). Entries are
 * `{path, data?, executable?, type?, linkname?, raw?}`; `raw: true` writes `path` as is
 * (no prefix), for hostile archives.
 */
export function makeTgz(entries, prefix = 'package/') {
  const parts = [];
  for (const e of entries) {
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    const name = e.raw ? e.path : prefix + e.path;
    const type = e.type ?? '0';
    const size = type === '0' ? data.length : 0;
    parts.push(header(name, { size, mode: e.executable ? 0o755 : 0o644, type, linkname: e.linkname }));
    if (size) {
      parts.push(data);
      const pad = (512 - (size % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024));
  return new Uint8Array(gzipSync(Buffer.concat(parts), { level: 9 }));
}

/** Expects `fn` to throw an omega error with `code`; returns the error. */
export function codeOf(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return null;
}
