// The trusted bootstrap of the service-worker example (loaded by index.html with SRI). It
//  1. checks that the server serves the worker script this page pins (omega-worker block: its
//     SHA-384) and refuses to start the app otherwise, also when a changed worker shows up later
//     (threat model B2);
//  2. registers the Ωpm service worker with this page's pins and waits until THAT worker, with
//     THESE pins, controls the page: a worker left from earlier pins is never asked (B3);
//  3. asks it for the verdict this page load is bound to, shows it, then starts the app
//     (app/main.js), whose every file now comes through the worker;
//  4. guards every later code load (globalThis.omegaImport, used by the app for lazy imports):
//     refused once the pinned worker no longer controls the page, e.g. after a response with
//     Clear-Site-Data unregistered it (B4). Losing the worker stops the app visibly.
const $ = (id) => document.getElementById(id);
const PINS = JSON.parse($('omega-pins').textContent);
const WORKER = JSON.parse($('omega-worker').textContent);
const SW_URL = new URL(`${WORKER.script}?root=app/&pins=${encodeURIComponent(JSON.stringify(PINS))}`, location.href).href;

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...children);
  return e;
}

function setVerdict(kind, title, detail) {
  const v = $('verdict');
  v.className = `verdict ${kind}`;
  v.querySelector('.verdict-icon').textContent = { ok: '✓', bad: '✗', pending: '…' }[kind];
  v.querySelector('.verdict-title').textContent = title;
  v.querySelector('.verdict-detail').textContent = detail ?? '';
}

function showFacts(v) {
  const facts = $('facts');
  facts.replaceChildren();
  const add = (k, value, mono = false) => {
    if (value === null || value === undefined || value === '') return;
    facts.append(el('dt', { textContent: k }), el('dd', { textContent: value, className: mono ? 'mono' : '' }));
  };
  const r = v?.report;
  add('App', r ? `${r.package}@${r.version} (release ${r.sequence})` : null);
  add('Pinned key', PINS.keys?.join('\n'), true);
  add('Signed by', r?.signed_by?.length ? r.signed_by.join('\n') : r ? 'no pinned key' : null, true);
  add('Digest of app/', r?.tree, true);
  add('Files verified', v?.ok ? `${v.served.length}: ${v.served.join(', ')}` : null);
  if (r && !v.ok) add('Problems', r.problems.map((p) => `${p.code}: ${p.message}`).join('\n'));
  add('Worker script (pinned)', WORKER.sha384, true);
  add('Verifier omega_bg.wasm (pinned in the worker)', WORKER.verifier, true);
  facts.hidden = facts.childElementCount === 0;
}

const shown = new Set();
function addRefusal(f) {
  const key = `${f.at}:${f.url}`;
  if (shown.has(key)) return;
  shown.add(key);
  $('no-refusals').hidden = true;
  $('refusals').hidden = false;
  $('refusals').tBodies[0].append(
    el('tr', {},
      el('td', { className: 'mono', textContent: f.url }),
      el('td', {}, el('span', { className: 'code bad', textContent: f.code })),
      el('td', { textContent: f.reason })),
  );
}

// ---------------------------------------------------------------------------------------------
// The guard: once lost, nothing more is loaded, and the page says why.

let lost = null;
class Refused extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Stops the app: shows the warning, marks the page, refuses every later load. */
function lose(code, title, detail) {
  if (!lost) {
    lost = new Refused(code, `${title}: ${detail}`);
    $('guard-title').textContent = title;
    $('guard-detail').textContent = detail;
    $('guard-warning').hidden = false;
    document.body.dataset.guard = code;
    if ($('app').dataset.state !== 'blocked') {
      $('app').dataset.state = 'stopped';
      $('app').prepend(el('p', { className: 'blocked', textContent: `The app was stopped: ${title}.` }));
    }
  }
  throw lost;
}

const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));

/** The SHA-384 of the worker script as the server serves it now. */
async function servedWorkerDigest() {
  const res = await fetch(SW_URL, { cache: 'no-store', credentials: 'same-origin', redirect: 'error' });
  if (!res.ok) return `HTTP ${res.status}`;
  return `sha384-${b64(await crypto.subtle.digest('SHA-384', await res.arrayBuffer()))}`;
}

async function checkWorkerScript(when) {
  const got = await servedWorkerDigest();
  if (got !== WORKER.sha384) {
    // Unregister: a changed worker waiting behind the pinned one would otherwise take over once
    // every page of the app is closed. The next visit checks the script before registering.
    await navigator.serviceWorker.getRegistration(location.href).then((r) => r?.unregister()).catch(() => {});
    lose('WORKER_CHANGED', 'The service-worker script changed',
      `${when}, the server serves ${WORKER.script} as ${got}, not the ${WORKER.sha384} this page pins. ` +
      'A changed worker could pass anything, so the app is not started and the worker is unregistered. ' +
      '(A server that controls this origin ' +
      'can also change this page; see the threat model.)');
  }
}

/** Asks a worker over a MessageChannel; rejects after `ms`. */
function ask(worker, message, ms = 30_000) {
  return new Promise((resolve, reject) => {
    const ch = new MessageChannel();
    const timer = setTimeout(() => reject(new Refused('WORKER_UNAVAILABLE', `the worker did not answer ${message.type}`)), ms);
    ch.port1.onmessage = (e) => { clearTimeout(timer); resolve(e.data); };
    worker.postMessage(message, [ch.port2]);
  });
}

const samePins = (a) => JSON.stringify(a) === JSON.stringify(PINS);

/** Throws unless this page's own worker (script URL and pins) controls it, registered and alive. */
async function guard(what) {
  if (lost) throw lost;
  const c = navigator.serviceWorker.controller;
  if (!c || c.scriptURL !== SW_URL) {
    lose('WORKER_LOST', 'The Ωpm service worker no longer controls this page',
      `${what} is refused: ${c ? `the controller is ${c.scriptURL}` : 'the page has no controller (was the site data cleared?)'}. Reload the page.`);
  }
  const reg = await navigator.serviceWorker.getRegistration(location.href);
  if (reg?.active?.scriptURL !== SW_URL) {
    lose('WORKER_LOST', 'The Ωpm service worker was unregistered', `${what} is refused. Reload the page.`);
  }
  const hello = await ask(c, { type: 'omega-hello' }, 10_000).catch((e) => lose('WORKER_LOST', 'The Ωpm service worker does not answer', `${what} is refused: ${e.message}`));
  if (hello.scriptURL !== SW_URL || !samePins(hello.pins)) {
    lose('WORKER_LOST', 'Another service worker answers', `${what} is refused: it reports ${hello.scriptURL}`);
  }
  if (lost) throw lost;
}

/** The app's way to load code later: only through the pinned worker, checked at each call. */
async function omegaImport(specifier) {
  await guard(`import(${specifier})`);
  return import(specifier);
}
Object.defineProperty(globalThis, 'omegaImport', { value: omegaImport, writable: false, configurable: false });

// ---------------------------------------------------------------------------------------------
// Getting this page's own worker in control.

const RELOADS = 'omega-sw-boot-reloads';

async function controlled() {
  await checkWorkerScript('Before registering');
  const reg = await navigator.serviceWorker.register(SW_URL, { type: 'module', scope: './', updateViaCache: 'none' });
  // A worker found later (navigation update checks, register()) must be the pinned one too.
  const watch = (w) => {
    if (w && w.scriptURL === SW_URL) checkWorkerScript('A new worker is installing:').catch(() => {});
  };
  reg.addEventListener('updatefound', () => watch(reg.installing));
  watch(reg.installing);
  watch(reg.waiting);

  const activated = new WeakSet();
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (lost) throw lost;
    // A worker with this page's URL waiting behind another: its bytes are the server's current
    // ones, which match the pin (checked above). Let it in; it takes over this page.
    const waiting = reg.waiting;
    if (waiting && waiting.scriptURL === SW_URL && !activated.has(waiting)) {
      activated.add(waiting);
      await checkWorkerScript('Before activating a waiting worker');
      waiting.postMessage({ type: 'omega-activate' });
    }
    const c = navigator.serviceWorker.controller;
    if (c && c.scriptURL === SW_URL && !reg.waiting && !reg.installing) {
      const hello = await ask(c, { type: 'omega-hello' }, 10_000);
      if (hello.scriptURL === SW_URL && samePins(hello.pins)) {
        sessionStorage.removeItem(RELOADS);
        return c;
      }
    }
    if (!c && reg.active?.scriptURL === SW_URL && !reg.waiting && !reg.installing) {
      // First visit (the worker does not claim pages): load the page again, under it. A
      // hard reload (Shift) bypasses workers; after two tries, say so instead of looping.
      const n = Number(sessionStorage.getItem(RELOADS) ?? 0);
      if (n < 2) {
        sessionStorage.setItem(RELOADS, String(n + 1));
        location.reload();
        await new Promise(() => {}); // the page goes away
      }
      sessionStorage.removeItem(RELOADS);
      lose('WORKER_LOST', 'The Ωpm service worker does not control this page',
        'The page was loaded without it (a hard reload bypasses service workers). Reload the page normally.');
    }
    if (Date.now() > deadline) {
      lose('WORKER_UNAVAILABLE', 'The Ωpm service worker did not take control',
        `After 30 s this page is controlled by ${c?.scriptURL ?? 'no worker'}, not by its own pinned worker.`);
    }
    await new Promise((resolve) => {
      navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true });
      setTimeout(resolve, 100);
    });
  }
}

function render(v) {
  if (v.ok) {
    const r = v.report;
    setVerdict('ok', `Verified: ${r.package}@${r.version}`, `Signed by ${r.signed_by.length} pinned key(s); ${v.served.length} files match the manifest.`);
  } else {
    setVerdict('bad', `Refused: ${v.code}`, v.message);
  }
  showFacts(v);
  for (const f of v.refusals ?? []) addRefusal(f);
  document.body.dataset.verdict = v.ok ? 'ok' : v.code;
}

async function startApp() {
  try {
    await omegaImport(new URL('app/main.js', location.href).href);
  } catch (e) {
    $('app').dataset.state = 'blocked';
    $('app').replaceChildren(
      el('p', { className: 'blocked', textContent: 'The app did not start: the service worker refused its scripts.' }),
      el('p', { className: 'muted', textContent: String(e.message ?? e) }),
    );
  }
}

async function main() {
  if (!('serviceWorker' in navigator)) {
    setVerdict('bad', 'Service workers are unavailable here', 'Open this page over http://127.0.0.1 or https, in a browser with service workers.');
    return;
  }
  navigator.serviceWorker.addEventListener('message', (e) => {
    if (e.data?.type === 'omega-refused') addRefusal(e.data.refusal);
  });
  setVerdict('pending', 'Verifying the app…', 'Fetching the signed manifest and every file of app/.');
  const worker = await controlled();
  // From now on, any change of controller (a new worker, or none after Clear-Site-Data) stops the app.
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    guard('Any further app code').catch(() => {});
  });
  const v = await ask(worker, { type: 'omega-verdict' });
  render(v);
  await startApp(); // a refused app's scripts are refused by the worker, and the page shows it
  render(await ask(worker, { type: 'omega-verdict' })); // picks up refusals made while the app loaded

  $('reverify').addEventListener('click', async () => {
    setVerdict('pending', 'Verifying the app again…');
    try {
      await guard('Verifying again');
      render(await ask(navigator.serviceWorker.controller, { type: 'omega-verdict', fresh: true }));
    } catch (e) {
      setVerdict('bad', `Refused: ${e.code ?? 'IO'}`, e.message);
    }
  });
  $('load-injected').addEventListener('click', async () => {
    if (lost) return; // the worker is gone: nothing more is loaded
    const s = document.createElement('script');
    s.src = `app/injected.js?t=${Date.now()}`;
    const done = new Promise((resolve) => { s.onload = () => resolve('loaded'); s.onerror = () => resolve('refused'); });
    document.head.append(s);
    document.body.dataset.injected = await done;
    await guard('Asking the worker').then(() => ask(navigator.serviceWorker.controller, { type: 'omega-verdict' })).then(render, () => {});
  });
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  if (e instanceof Refused) {
    setVerdict('bad', `Refused: ${e.code}`, e.message);
    document.body.dataset.verdict = e.code;
    if ($('app').dataset.state === 'waiting') $('app').dataset.state = 'blocked';
  } else {
    setVerdict('bad', 'The bootstrap failed', String(e?.message ?? e));
  }
  document.body.dataset.ready = 'true';
});
