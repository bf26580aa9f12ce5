// The trusted bootstrap of the service-worker example: registers the Ωpm service worker with
// this page's pin, waits until it controls the page, shows its verdict, then starts the app
// (app/main.js), whose every script now comes through the worker.
const $ = (id) => document.getElementById(id);
const PINS = JSON.parse($('omega-pins').textContent);
const SW_URL = `omega-sw.js?root=app/&pins=${encodeURIComponent(JSON.stringify(PINS))}`;

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
  const r = v.report;
  add('App', r ? `${r.package}@${r.version} (release ${r.sequence})` : null);
  add('Pinned key', PINS.keys?.join('\n'), true);
  add('Signed by', r?.signed_by?.length ? r.signed_by.join('\n') : r ? 'no pinned key' : null, true);
  add('Digest of app/', r?.tree, true);
  add('Files verified', v.ok ? `${v.served.length}: ${v.served.join(', ')}` : null);
  if (r && !v.ok) {
    add('Problems', r.problems.map((p) => `${p.code}: ${p.message}`).join('\n'));
  }
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

async function controlled() {
  const reg = await navigator.serviceWorker.register(SW_URL, { type: 'module', scope: './' });
  await navigator.serviceWorker.ready;
  const ours = () => navigator.serviceWorker.controller?.scriptURL === reg.active?.scriptURL;
  while (!ours()) {
    await new Promise((resolve) => {
      navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true });
      setTimeout(resolve, 200);
    });
  }
  return navigator.serviceWorker.controller;
}

function ask(worker, fresh = false) {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = (e) => resolve(e.data);
    worker.postMessage({ type: 'omega-verdict', fresh }, [ch.port2]);
  });
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
    await import('./app/main.js');
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
  render(await ask(worker));
  await startApp();
  render(await ask(worker)); // picks up refusals made while the app loaded

  $('reverify').addEventListener('click', async () => {
    setVerdict('pending', 'Verifying the app again…');
    render(await ask(navigator.serviceWorker.controller, true));
  });
  $('load-injected').addEventListener('click', async () => {
    const s = document.createElement('script');
    s.src = `app/injected.js?t=${Date.now()}`;
    const done = new Promise((resolve) => { s.onload = () => resolve('loaded'); s.onerror = () => resolve('refused'); });
    document.head.append(s);
    document.body.dataset.injected = await done;
    render(await ask(navigator.serviceWorker.controller));
  });
  document.body.dataset.ready = 'true';
}

main().catch((e) => setVerdict('bad', 'The bootstrap failed', String(e?.message ?? e)));
