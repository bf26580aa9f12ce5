// Ωpm whole-app integrity: a service worker that serves the files of a web app (its scripts
// above all) only when every file matches the app's signed manifest, as pinned by the page.
//
// Registered by the page as a module worker:
//   omega-sw.js?root=app/&pins={"keys":["RW…"],"threshold":1}      (pins may also hold "digest")
// On first use it fetches ROOT/.omega/manifest.json and its .minisig, then every file the
// manifest lists, and hands them all to omega-core (WebAssembly, checkPackageFiles): signatures,
// then each file, then the digest. If the app verifies, every request below ROOT is answered
// from exactly the bytes that were verified; anything the manifest does not list is refused
// (FILE_EXTRA). If it does not verify, every request below ROOT is refused with the check's
// code. Fail closed: a refused script never reaches the page. Requests outside ROOT pass
// through untouched.
import init, { checkPackageFiles } from '../../../bindings/wasm/pkg/omega.js';

const params = new URL(self.location.href).searchParams;
const ROOT = new URL(params.get('root') || 'app/', self.location.href);
let PINS = null;
try {
  PINS = JSON.parse(params.get('pins') || 'null');
} catch {
  PINS = null; // the check below refuses: nothing pinned
}

// Content types come from the file name, never from the server: the server is not trusted.
const TYPES = {
  js: 'text/javascript', mjs: 'text/javascript', css: 'text/css', json: 'application/json',
  html: 'text/html', wasm: 'application/wasm', svg: 'image/svg+xml', png: 'image/png',
  txt: 'text/plain', map: 'application/json',
};
const typeOf = (path) => TYPES[path.split('.').pop().toLowerCase()] || 'application/octet-stream';
const charset = (t) => (t.startsWith('text/') || t === 'application/json' ? `${t}; charset=utf-8` : t);

let verdict = null; // Promise of {ok, code, message, report, files: Map(path → bytes)}
const refusals = [];

async function bytes(url) {
  const res = await fetch(url, { cache: 'no-store', credentials: 'same-origin', redirect: 'error' });
  if (!res.ok) throw Object.assign(new Error(`${url.pathname}: HTTP ${res.status}`), { status: res.status });
  return new Uint8Array(await res.arrayBuffer());
}

async function verify() {
  await init();
  let manifest = null;
  let signature = null;
  try {
    manifest = await bytes(new URL('.omega/manifest.json', ROOT));
    signature = await bytes(new URL('.omega/manifest.json.minisig', ROOT));
  } catch (e) {
    return { ok: false, code: 'NOT_FOUND', message: `the app's signed manifest: ${e.message}`, report: null, files: new Map() };
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
  try {
    const report = checkPackageFiles(files, manifest, signature, PINS ?? {});
    return { ok: true, code: null, message: null, report, files: new Map(files.map((f) => [f.path, f.data])) };
  } catch (e) {
    const code = e.code ?? 'MALFORMED';
    const message = e.message.startsWith(`${code}: `) ? e.message.slice(code.length + 2) : e.message;
    return { ok: false, code, message, report: e.report ?? null, files: new Map() };
  }
}

const getVerdict = (fresh = false) => {
  if (fresh || !verdict) verdict = verify();
  return verdict;
};

function summary(v) {
  return { ok: v.ok, code: v.code, message: v.message, report: v.report, root: ROOT.pathname, served: [...v.files.keys()] };
}

async function notify(refusal) {
  refusals.push(refusal);
  for (const client of await self.clients.matchAll({ includeUncontrolled: true })) {
    client.postMessage({ type: 'omega-refused', refusal });
  }
}

async function serve(request) {
  const url = new URL(request.url);
  let path;
  try {
    path = decodeURIComponent(url.pathname.slice(ROOT.pathname.length));
  } catch {
    path = url.pathname; // not valid percent-encoding: listed nowhere
  }
  const v = await getVerdict();
  let code;
  let reason;
  if (!v.ok) {
    code = v.code;
    reason = `the app failed verification: ${v.message}`;
  } else if (!v.files.has(path)) {
    code = 'FILE_EXTRA';
    reason = `${path} is not listed in the app's signed manifest`;
  } else {
    const type = typeOf(path);
    return new Response(v.files.get(path), {
      status: 200,
      headers: { 'content-type': charset(type), 'x-omega-verified': v.report.tree, 'cache-control': 'no-store' },
    });
  }
  await notify({ url: url.pathname, destination: request.destination, code, reason, at: Date.now() });
  return new Response(`Refused by the Ωpm service worker: ${code}: ${reason}\n`, {
    status: 403,
    statusText: 'Refused by Omega', // a reason phrase must be Latin-1
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-omega-refused': code, 'cache-control': 'no-store' },
  });
}

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== ROOT.origin || !url.href.startsWith(ROOT.href)) return; // not the app's
  if (event.request.method !== 'GET' && event.request.method !== 'HEAD') {
    event.respondWith(new Response('Refused by the Ωpm service worker: read-only app files\n', { status: 405 }));
    return;
  }
  event.respondWith(serve(event.request));
});

// The page asks for the verdict (and the refusals so far) over a MessageChannel.
self.addEventListener('message', (event) => {
  const port = event.ports[0];
  if (!port || event.data?.type !== 'omega-verdict') return;
  event.waitUntil(
    getVerdict(Boolean(event.data.fresh)).then(
      (v) => port.postMessage({ ...summary(v), refusals }),
      (e) => port.postMessage({ ok: false, code: 'IO', message: String(e), report: null, refusals }),
    ),
  );
});
