// Ωpm whole-app integrity: a service worker that serves the files of a web app (its scripts
// above all) only when every file matches the app's signed manifest, as pinned by the page.
// SOURCE of omega-sw.js: build-worker.mjs inlines the WASM glue and pins the module's digest.
//
// Registered by the page (boot.js) as a module worker:
//   omega-sw.js?root=app/&pins={"keys":["RW…"],"threshold":1}      (pins may also hold "digest")
// It fetches ROOT/.omega/manifest.json and its .minisig, then every file the manifest lists,
// and hands them all to omega-core (WebAssembly, checkPackageFiles): signatures, then each
// file, then the digest. Then:
//  - the verifier itself is pinned: the glue is inlined below and omega_bg.wasm is instantiated
//    only if its SHA-384 is the one written in here at build time (threat model B1);
//  - no release older than one already verified for these pins is accepted: the highest
//    sequence and its tree are kept per pin in IndexedDB (ROLLBACK, B5);
//  - each page load is bound to one verified snapshot (tree), kept in IndexedDB, and every app
//    request of that page is answered from exactly those bytes, also after the browser stopped
//    and restarted this worker (B5);
//  - every request that maps under ROOT after percent-decoding and path normalisation is
//    answered from the snapshot or refused: FILE_EXTRA if not listed, the check's code if the
//    app failed (B6). Fail closed: a refused script never reaches the page;
//  - every same-origin request in the worker's scope is handled here, never passed through
//    unhandled; a response that would clear the site's storage is refused (B4);
//  - no skipWaiting() on install, no clients.claim(): a changed worker script waits until the
//    page (which pins this script's SHA-384) lets it in (B2, B3).

const OMEGA_WASM_URL = new URL('../../../bindings/wasm/pkg/omega_bg.wasm', self.location.href);
const OMEGA_WASM_SHA384 = '@WASM_SHA384@';

// The wasm-bindgen glue of bindings/wasm/pkg/omega.js, inlined (exports → this object).
const omega = (() => {
/* @OMEGA_GLUE@ */
})();

const params = new URL(self.location.href).searchParams;
const ROOT = new URL(params.get('root') || 'app/', self.location.href);
const SCOPE = new URL('./', self.location.href);
const PINS_TEXT = params.get('pins') || 'null';
let PINS = null;
try {
  PINS = JSON.parse(PINS_TEXT);
} catch {
  PINS = null; // omega-core refuses: nothing pinned
}
// The floor of each pin set: the pins and the root, as the page gave them.
const FLOOR_KEY = `${ROOT.href}\n${PINS_TEXT}`;

// Content types come from the file name, never from the server: the server is not trusted.
const TYPES = {
  js: 'text/javascript', mjs: 'text/javascript', css: 'text/css', json: 'application/json',
  html: 'text/html', wasm: 'application/wasm', svg: 'image/svg+xml', png: 'image/png',
  txt: 'text/plain', map: 'application/json',
};
const typeOf = (path) => TYPES[path.split('.').pop().toLowerCase()] || 'application/octet-stream';
const charset = (t) => (t.startsWith('text/') || t === 'application/json' ? `${t}; charset=utf-8` : t);

const refusals = [];

// ---------------------------------------------------------------------------------------------
// The verifier, checked before it is instantiated.

let verifierReady = null;
const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));

function loadVerifier() {
  verifierReady ??= (async () => {
    const res = await fetch(OMEGA_WASM_URL, { cache: 'no-store', credentials: 'same-origin', redirect: 'error' });
    if (!res.ok) throw Object.assign(new Error(`the verifier omega_bg.wasm: HTTP ${res.status}`), { code: 'NOT_FOUND' });
    const bytes = await res.arrayBuffer();
    const got = `sha384-${b64(await crypto.subtle.digest('SHA-384', bytes))}`;
    if (got !== OMEGA_WASM_SHA384) {
      throw Object.assign(new Error(
        `the verifier omega_bg.wasm served is ${got}, not the ${OMEGA_WASM_SHA384} this worker pins; it was not run`,
      ), { code: 'FILE_CHANGED' });
    }
    await omega.default({ module_or_path: bytes });
  })();
  verifierReady.catch(() => { verifierReady = null; });
  return verifierReady;
}

// ---------------------------------------------------------------------------------------------
// IndexedDB: floors (pin set → highest verified {sequence, tree}), snapshots (tree → the
// verified manifest, signature and files) and bindings (page client id → tree).

let dbPromise = null;
function db() {
  dbPromise ??= new Promise((resolve, reject) => {
    const req = indexedDB.open('omega-sw', 1);
    req.onupgradeneeded = () => {
      for (const s of ['floors', 'snapshots', 'bindings']) req.result.createObjectStore(s);
    };
    req.onsuccess = () => {
      req.result.onversionchange = () => { req.result.close(); dbPromise = null; };
      resolve(req.result);
    };
    req.onerror = () => reject(req.error);
  });
  dbPromise.catch(() => { dbPromise = null; });
  return dbPromise;
}
async function tx(stores, mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(stores, mode);
    let out;
    Promise.resolve(fn((s) => t.objectStore(s))).then((v) => { out = v; }, reject);
    t.oncomplete = () => resolve(out);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
  });
}
const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });

// ---------------------------------------------------------------------------------------------
// Verification.

async function bytes(url) {
  const res = await fetch(url, { cache: 'no-store', credentials: 'same-origin', redirect: 'error' });
  if (!res.ok) throw Object.assign(new Error(`${url.pathname}: HTTP ${res.status}`), { status: res.status });
  return new Uint8Array(await res.arrayBuffer());
}

const failed = (code, message, report = null) => ({ ok: false, code, message, report, files: new Map(), tree: null });

function check(files, manifest, signature) {
  try {
    const report = omega.checkPackageFiles(files, manifest, signature, PINS ?? {});
    return { ok: true, code: null, message: null, report, tree: report.tree, files: new Map(files.map((f) => [f.path, f.data])) };
  } catch (e) {
    const code = e.code ?? 'MALFORMED';
    const message = String(e.message ?? e);
    return failed(code, message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message, e.report ?? null);
  }
}

/** Fetches the app as the server has it now, checks it, then holds it to the pin's floor. */
async function verifyServed() {
  try {
    await loadVerifier();
  } catch (e) {
    return failed(e.code ?? 'IO', e.message);
  }
  let manifest;
  let signature;
  try {
    manifest = await bytes(new URL('.omega/manifest.json', ROOT));
    signature = await bytes(new URL('.omega/manifest.json.minisig', ROOT));
  } catch (e) {
    return failed('NOT_FOUND', `the app's signed manifest: ${e.message}`);
  }
  // Which files to fetch: the paths the manifest lists. Reading them here decides nothing; the
  // check below (omega-core) judges the manifest, its signatures and every file. HTTP has no
  // execute bit, so each file's kind is taken as the manifest states it.
  let listed = [];
  try {
    listed = JSON.parse(new TextDecoder().decode(manifest)).files ?? [];
  } catch {
    listed = []; // unparseable: omega-core says MALFORMED
  }
  const files = [];
  for (const f of Array.isArray(listed) ? listed : []) {
    if (typeof f?.path !== 'string') continue;
    const url = new URL(f.path, ROOT);
    if (url.origin !== ROOT.origin || !url.href.startsWith(ROOT.href)) continue; // omega-core refuses the path
    try {
      files.push({ path: f.path, data: await bytes(url), executable: f.kind === 'x' });
    } catch {
      // Missing on the server: omega-core reports FILE_MISSING.
    }
  }
  const v = check(files, manifest, signature);
  if (!v.ok) return v;
  // The floor: never a lower sequence than one verified before under these pins, and the same
  // sequence only with the same tree (the lock's rule, DESIGN §3.5). Kept in IndexedDB, so a
  // restarted worker keeps it. The snapshot is stored in the same transaction.
  const r = v.report;
  const floor = await tx(['floors', 'snapshots'], 'readwrite', async (store) => {
    const f = await req(store('floors').get(FLOOR_KEY));
    if (f && (r.sequence < f.sequence || (r.sequence === f.sequence && r.tree !== f.tree))) return f;
    store('snapshots').put({ tree: r.tree, manifest, signature, files }, r.tree);
    if (!f || r.sequence > f.sequence) store('floors').put({ sequence: r.sequence, tree: r.tree, version: r.version }, FLOOR_KEY);
    return null;
  });
  if (floor) {
    return failed('ROLLBACK',
      `${r.package}: release ${r.version} has sequence ${r.sequence}${r.sequence === floor.sequence ? ' and another tree' : ''}; ` +
      `this browser already verified release ${floor.version} (sequence ${floor.sequence}, ${floor.tree}) for these pins`, r);
  }
  snapshots.set(v.tree, Promise.resolve(v));
  return v;
}

// tree → Promise of a verified verdict, loaded (and checked again) from IndexedDB after a restart.
const snapshots = new Map();
function snapshot(tree) {
  if (!snapshots.has(tree)) {
    const p = (async () => {
      const s = await tx(['snapshots'], 'readonly', (store) => req(store('snapshots').get(tree)));
      if (!s) return failed('NOT_FOUND', `the verified snapshot ${tree} of this page load is gone (site data cleared?); reload the page`);
      await loadVerifier();
      const v = check(s.files, s.manifest, s.signature);
      if (v.ok && v.tree !== tree) return failed('DIGEST_MISMATCH', `the stored snapshot ${tree} checks as ${v.tree}`);
      return v;
    })().catch((e) => failed(e.code ?? 'IO', `the snapshot of this page load: ${e.message ?? e}`));
    snapshots.set(tree, p);
    p.then((v) => { if (!v.ok) snapshots.delete(tree); });
  }
  return snapshots.get(tree);
}

// The verdict of the app as served now: one verification at a time, shared by its askers.
let current = null;
function verifyNow() {
  current ??= verifyServed().catch((e) => failed('IO', String(e?.message ?? e))).finally(() => { current = null; });
  return current;
}

// page client id → Promise of the verdict that page load is bound to (memory; IndexedDB holds the
// tree of each bound page for after a restart).
const bound = new Map();

/** The verdict a page load runs on: bound once, at its first question or request. */
function verdictFor(clientId) {
  if (!clientId) return verifyNow();
  if (!bound.has(clientId)) {
    const p = (async () => {
      const b = await tx(['bindings'], 'readonly', (store) => req(store('bindings').get(clientId))).catch(() => null);
      if (b) return snapshot(b.tree);
      const v = await verifyNow();
      if (v.ok) await tx(['bindings'], 'readwrite', (store) => store('bindings').put({ tree: v.tree, at: Date.now() }, clientId));
      return v;
    })();
    bound.set(clientId, p);
    p.then((v) => { if (!v.ok) bound.delete(clientId); }, () => bound.delete(clientId));
    forgetGoneClients();
  }
  return bound.get(clientId);
}

/** Drops the bindings of closed pages and the snapshots nothing needs any more. */
async function forgetGoneClients() {
  try {
    const live = new Set((await self.clients.matchAll({ includeUncontrolled: true, type: 'all' })).map((c) => c.id));
    await tx(['bindings', 'snapshots', 'floors'], 'readwrite', async (store) => {
      const ids = await req(store('bindings').getAllKeys());
      const keep = new Set();
      for (const id of ids) {
        const b = await req(store('bindings').get(id));
        if (live.has(id) || bound.has(id)) keep.add(b.tree);
        else store('bindings').delete(id);
      }
      for (const f of await req(store('floors').getAll())) keep.add(f.tree);
      for (const tree of await req(store('snapshots').getAllKeys())) if (!keep.has(tree)) store('snapshots').delete(tree);
    });
  } catch {
    // housekeeping only
  }
}

function summary(v) {
  return { ok: v.ok, code: v.code, message: v.message, report: v.report, tree: v.tree, root: ROOT.pathname, served: [...v.files.keys()] };
}

async function notify(refusal) {
  refusals.push(refusal);
  if (refusals.length > 200) refusals.splice(0, refusals.length - 200); // the latest ones
  for (const client of await self.clients.matchAll({ includeUncontrolled: true })) {
    client.postMessage({ type: 'omega-refused', refusal });
  }
}

// ---------------------------------------------------------------------------------------------
// Which requests are the app's: every spelling a server could map under ROOT.

/** The spellings of a path a server might map to a file: as sent, then percent-decoded up to 3
 * times (a server may decode once, or more), each with `\\` as `/`, `//` collapsed and `.`/`..`
 * resolved. `bad`: a level that is not valid %-encoding (a lenient server might still map it). */
function spellings(pathname) {
  const list = [];
  let p = pathname;
  for (let i = 0; i < 4; i++) {
    const parts = [];
    for (const seg of p.replace(/\\/g, '/').split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') parts.pop();
      else parts.push(seg);
    }
    list.push(`/${parts.join('/')}${parts.length && /[/\\]$/.test(p) ? '/' : ''}`);
    if (!p.includes('%')) return { list, bad: false };
    try {
      p = decodeURIComponent(p);
    } catch {
      return { list, bad: true };
    }
  }
  return { list, bad: p.includes('%') };
}

const ROOT_PATH = spellings(ROOT.pathname).list.pop();
const SCOPE_PATH = spellings(SCOPE.pathname).list.pop();
const lower = (s) => s.toLowerCase();
const isUnder = (p, dir) => lower(p).startsWith(lower(dir)) || lower(`${p}/`) === lower(dir);

/** For a request whose path maps under ROOT in any spelling (case-insensitively, as on a
 * case-insensitive file system): {path}, the file it names relative to ROOT as a server decoding
 * once sees it, or {path: null} when it names no file exactly. Null for any other request. */
function appPath(url) {
  const { list, bad } = spellings(url.pathname);
  if (!list.some((p) => isUnder(p, ROOT_PATH))) {
    return bad && list.some((p) => isUnder(p, SCOPE_PATH)) ? { path: null } : null;
  }
  const once = list[Math.min(1, list.length - 1)];
  return { path: !bad && once.startsWith(ROOT_PATH) && once.length > ROOT_PATH.length ? once.slice(ROOT_PATH.length) : null };
}

// ---------------------------------------------------------------------------------------------
// Serving.

async function refuse(url, request, code, reason) {
  await notify({ url: url.pathname, destination: request.destination, code, reason, at: Date.now() });
  return new Response(`Refused by the Ωpm service worker: ${code}: ${reason}\n`, {
    status: 403,
    statusText: 'Refused by Omega', // a reason phrase must be Latin-1
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-omega-refused': code, 'cache-control': 'no-store' },
  });
}

async function serveApp(event, url, at) {
  const request = event.request;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return refuse(url, request, 'MALFORMED', `${request.method}: the app's files are read-only`);
  }
  if (at.path === null) return refuse(url, request, 'UNSAFE_PATH', `${url.pathname} does not name one file of the app`);
  const v = await verdictFor(event.clientId || event.resultingClientId);
  if (!v.ok) return refuse(url, request, v.code, `the app failed verification: ${v.message}`);
  if (!v.files.has(at.path)) return refuse(url, request, 'FILE_EXTRA', `${at.path} is not listed in the app's signed manifest`);
  return new Response(request.method === 'HEAD' ? null : v.files.get(at.path), {
    status: 200,
    headers: { 'content-type': charset(typeOf(at.path)), 'x-omega-verified': v.tree, 'cache-control': 'no-store' },
  });
}

/** A request in scope that is not the app's (the page itself, boot.js): fetched here, and refused
 * when the response would clear the site's data (which would unregister this worker). */
async function passThrough(event, url) {
  const res = await fetch(event.request);
  if (res.headers.has('clear-site-data')) {
    return refuse(url, event.request, 'MALFORMED',
      `the response carries Clear-Site-Data: ${res.headers.get('clear-site-data')} (it would unregister the Ωpm worker)`);
  }
  return res;
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== ROOT.origin) return; // another origin: not this app's files
  const at = appPath(url);
  if (at) {
    event.respondWith(serveApp(event, url, at));
  } else if (spellings(url.pathname).list.some((p) => isUnder(p, SCOPE_PATH))) {
    event.respondWith(passThrough(event, url));
  }
  // Same origin, outside the scope (../style.css, pinned by SRI in the page): not the app's.
});

// The page talks to the worker over a MessageChannel:
//   omega-hello     → which worker this is: its script URL, pins and root, and the pinned verifier
//   omega-verdict   → the verdict this page load is bound to (fresh: verify the server's app again
//                     and report that, without moving the page to it), plus the refusals so far
//   omega-activate  → sent by the page to a WAITING worker whose script it has checked against its pin
self.addEventListener('message', (event) => {
  const port = event.ports[0];
  const type = event.data?.type;
  if (type === 'omega-activate') {
    event.waitUntil(self.skipWaiting());
    return;
  }
  if (!port) return;
  if (type === 'omega-hello') {
    port.postMessage({ scriptURL: self.location.href, pins: PINS, root: ROOT.pathname, verifier: OMEGA_WASM_SHA384 });
    return;
  }
  if (type !== 'omega-verdict') return;
  const clientId = event.source?.id ?? null;
  event.waitUntil(
    (event.data.fresh ? verifyNow() : verdictFor(clientId)).then(
      (v) => port.postMessage({ ...summary(v), refusals }),
      (e) => port.postMessage({ ok: false, code: 'IO', message: String(e), report: null, tree: null, refusals }),
    ),
  );
});
