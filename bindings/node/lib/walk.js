'use strict';
// Reading a package directory with Node's fs, for the WASM engine (WebAssembly has no
// filesystem). It mirrors omega-core's `fs` module (core/src/fs.rs) in what it reads: every
// regular file below the directory except the top-level `.omega/` (and, for an installed
// package, the top-level `node_modules/`), opened without following links. It decides nothing
// about validity except what only the filesystem can show (a link, device, socket or FIFO is
// UNSUPPORTED_FILE_TYPE; a name that is not UTF-8 is UNSAFE_PATH): paths, sizes, kinds and
// digests are judged by omega-core inside the WASM module.

const fs = require('node:fs');
const path = require('node:path');
const { OmegaError, fromFs } = require('./errors.js');

const METADATA_DIR = '.omega';
const NESTED_MODULES_DIR = 'node_modules';
const MANIFEST_PATH = '.omega/manifest.json';
const SIGNATURE_PATH = '.omega/manifest.json.minisig';
const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
const OPEN_FLAGS = O_RDONLY | (O_NOFOLLOW || 0) | (O_NONBLOCK || 0);
// ignoreBOM: a name that starts with U+FEFF keeps it, as omega-core reads it (a decoder that
// strips it would list, and open, another file).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// omega-core's limits (core/src/limits.rs) are applied before any file's contents are read, as
// omega_core::fs applies them on the native engine: the WASM engine passes them in from its
// build (`loaderLimits()`), so they are not repeated here. Without them, nothing is limited.
const NO_LIMITS = {
  maxFiles: Infinity, maxFileBytes: Infinity, maxManifestBytes: Infinity, maxSignatureFileBytes: Infinity,
};

function typeError(rel, isLink) {
  const what = isLink ? 'a symbolic link' : 'not a regular file or directory (device, socket or FIFO)';
  return new OmegaError('UNSUPPORTED_FILE_TYPE', `${JSON.stringify(rel)} is ${what}`);
}

/** Opens a regular file without following a final link: {fd, st}; the caller closes fd. */
function openRegular(abs, rel) {
  let fd;
  try {
    fd = fs.openSync(abs, OPEN_FLAGS);
  } catch (e) {
    if (e.code === 'ELOOP') throw typeError(rel, true);
    throw fromFs(e, abs);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw typeError(rel, false);
    return { fd, st };
  } catch (e) {
    fs.closeSync(fd);
    throw fromFs(e, abs);
  }
}

/** Reads one file without following a final link: {data, executable}; TOO_LARGE past `limit`. */
function readFileSync(abs, rel, limit = Infinity) {
  const { fd, st } = openRegular(abs, rel);
  try {
    if (st.size > limit) throw new OmegaError('TOO_LARGE', `${abs}: larger than ${limit} bytes`);
    const data = fs.readFileSync(fd);
    if (data.length > limit) throw new OmegaError('TOO_LARGE', `${abs}: larger than ${limit} bytes`);
    return { data, executable: (st.mode & 0o100) !== 0 };
  } catch (e) {
    throw fromFs(e, abs);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads one file of a verified listing for loading, without following a final link:
 * {data, executable}, or {size} (the size found) without reading a byte when its size is not
 * `size`. Reads at most `size` + 1 bytes, so a file that grows meanwhile shows as changed.
 */
function readListedSync(abs, rel, size) {
  const { fd, st } = openRegular(abs, rel);
  try {
    if (st.size !== size) return { size: st.size };
    const data = Buffer.allocUnsafe(size + 1);
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, data, n, data.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === data.length) break;
    }
    return { data: data.subarray(0, n), executable: (st.mode & 0o100) !== 0 };
  } catch (e) {
    throw fromFs(e, abs);
  } finally {
    fs.closeSync(fd);
  }
}

/** As readFileSync, or null when the file does not exist. */
function readOptionalSync(abs, rel, limit) {
  try {
    return readFileSync(abs, rel, limit).data;
  } catch (e) {
    if (e.code === 'NOT_FOUND') return null;
    throw e;
  }
}

function nameOf(dirent, dir) {
  try {
    return utf8.decode(dirent.name);
  } catch {
    throw new OmegaError('UNSAFE_PATH', `${dir}: a file name is not valid UTF-8`);
  }
}

/**
 * Lists the regular files below `root` as [{rel, abs}], sorted, skipping the top-level
 * `.omega/` and, with `installed`, the top-level `node_modules/` directories. `checkDir(rel)`
 * judges each folder's path before it is entered (the WASM engine hands it to omega-core's
 * validate_path, as core's walk does: an empty folder lists no file, so its name would
 * otherwise never reach core).
 */
function listSync(root, installed, checkDir = () => {}, maxFiles = Infinity) {
  let st;
  try {
    st = fs.statSync(root);
  } catch (e) {
    throw fromFs(e, root);
  }
  if (!st.isDirectory()) throw new OmegaError('NOT_FOUND', `${root}: not a directory`);
  const out = [];
  const stack = [['', root]];
  while (stack.length) {
    const [prefix, dir] = stack.pop();
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (e) {
      throw fromFs(e, dir);
    }
    for (const ent of entries) {
      const name = nameOf(ent, dir);
      const rel = prefix ? `${prefix}/${name}` : name;
      const abs = path.join(dir, name);
      let isDir = ent.isDirectory();
      let isFile = ent.isFile();
      let isLink = ent.isSymbolicLink();
      if (!isDir && !isFile && !isLink && !ent.isFIFO() && !ent.isSocket() && !ent.isBlockDevice() && !ent.isCharacterDevice()) {
        const l = fs.lstatSync(abs); // file system without d_type
        isDir = l.isDirectory();
        isFile = l.isFile();
        isLink = l.isSymbolicLink();
      }
      if (isDir) {
        if (!prefix && (name === METADATA_DIR || (installed && name === NESTED_MODULES_DIR))) continue;
        checkDir(rel);
        stack.push([rel, abs]);
      } else if (isFile) {
        out.push({ rel, abs });
        if (out.length > maxFiles) throw new OmegaError('TOO_LARGE', `${root}: more than ${maxFiles} files`);
      } else {
        throw typeError(rel, isLink);
      }
    }
  }
  out.sort((a, b) => Buffer.compare(Buffer.from(a.rel), Buffer.from(b.rel)));
  return out;
}

/**
 * Reads a package directory (`checkDir`: as listSync): `files` = [{path, data, executable}] (`.omega/` left out),
 * `manifest` and `signature` = the bytes of `.omega/manifest.json` and its `.minisig`, or null.
 */
function readPackageSync(root, installed, checkDir, limits = NO_LIMITS) {
  // The metadata first (bounded), then the listing (bounded), then the contents (each file's
  // size, from fstat on the open file, against omega-core's limit before it is read).
  const manifest = readOptionalSync(path.join(root, MANIFEST_PATH), MANIFEST_PATH, limits.maxManifestBytes);
  const signature = readOptionalSync(path.join(root, SIGNATURE_PATH), SIGNATURE_PATH, limits.maxSignatureFileBytes);
  const files = listSync(root, installed, checkDir, limits.maxFiles).map(({ rel, abs }) => {
    const { data, executable } = readFileSync(abs, rel, limits.maxFileBytes);
    return { path: rel, data, executable };
  });
  return {
    files,
    manifest,
    signature,
  };
}

module.exports = {
  listSync, readFileSync, readListedSync, readOptionalSync, readPackageSync, MANIFEST_PATH, SIGNATURE_PATH,
};
