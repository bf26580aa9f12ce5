// The package-check page: reads a .tgz in memory, checks it with the Ωpm verifier
// (omega-core compiled to WebAssembly) against the keys and digest the user pins, and shows
// the report. All judgement is the verifier's; this file only collects input and draws.
import init, { checkTarball, listTarball } from '../../bindings/wasm/pkg/omega.js';

const ready = init();
const $ = (id) => document.getElementById(id);
let tarball = null; // {name, bytes}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else e[k] = v;
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

const codeBadge = (code, ok = false) => el('span', { className: `code ${ok ? 'ok' : 'bad'}`, textContent: code });

function humanSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The keys in the text box: each `RW…` line is a key; a minisign `.pub` file (comment line
 * plus key line) is passed whole, and the verifier parses it. */
function keysFromText(text) {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const keys = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('untrusted comment:') && i + 1 < lines.length) {
      keys.push(`${lines[i]}\n${lines[i + 1]}\n`);
      i++;
    } else {
      keys.push(lines[i]);
    }
  }
  return keys;
}

function setTarball(name, bytes) {
  tarball = { name, bytes };
  $('file-name').textContent = `${name} · ${humanSize(bytes.length)}`;
  $('drop').classList.add('has-file');
  $('verify').disabled = false;
}

async function readFile(file) {
  setTarball(file.name, new Uint8Array(await file.arrayBuffer()));
}

function setVerdict(kind, title, detail) {
  const v = $('verdict');
  v.className = `verdict ${kind}`;
  v.querySelector('.verdict-icon').textContent = kind === 'ok' ? '✓' : '✗';
  v.querySelector('.verdict-title').textContent = title;
  v.querySelector('.verdict-detail').textContent = detail ?? '';
}

const withoutCode = (e) => (e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2) : e.message);

function renderFacts(r, verified) {
  const facts = $('facts');
  facts.replaceChildren();
  const add = (label, value, extra) => {
    if (value === null || value === undefined || value === '') return;
    facts.append(el('dt', { textContent: label }), el('dd', {}, el('span', { className: 'mono', textContent: value }), extra));
  };
  if (!r) return;
  add('Package', r.version ? `${r.package}@${r.version}` : r.package);
  add('Release sequence', r.sequence === null ? null : String(r.sequence));
  add('Files', String(r.files));
  const pin = el('button', { type: 'button', className: 'linkish small', textContent: 'pin this digest' });
  pin.addEventListener('click', () => {
    $('digest').value = r.tree;
    $('digest').focus();
  });
  // Offer to pin a digest only for content that just verified.
  add('Digest of the files', r.tree, verified ? pin : null);
  add('Manifest declares', r.manifest_tree ?? '(no manifest in the tarball)');
  add('Pinned digest', r.pinned_digest);
  if (r.threshold) add('Signatures required', `${r.threshold} distinct pinned key${r.threshold > 1 ? 's' : ''}`);
  add('Signed by', r.signed_by.length ? r.signed_by.join('\n') : r.threshold ? 'no pinned key' : null);
}

function renderSignatures(r) {
  const body = $('signatures').tBodies[0];
  body.replaceChildren();
  for (const s of r?.signatures ?? []) {
    body.append(
      el('tr', {},
        el('td', { className: 'mono', textContent: s.key_id }),
        el('td', { className: 'mono wrap', textContent: s.key ?? 'not pinned' }),
        el('td', { className: 'wrap', textContent: s.trusted_comment }),
        el('td', {}, s.error ? codeBadge(s.error) : codeBadge('valid', true))),
    );
  }
  $('signatures-block').hidden = body.childElementCount === 0;
}

function renderProblems(r) {
  const list = $('problems');
  list.replaceChildren();
  for (const p of r?.problems ?? []) list.append(el('li', {}, codeBadge(p.code), ' ', p.message));
  $('problems-block').hidden = list.childElementCount === 0;
}

function renderFiles(r, listing) {
  const body = $('files').tBodies[0];
  body.replaceChildren();
  const byPath = new Map();
  for (const p of r?.problems ?? []) if (p.path && !p.path.startsWith('.omega/')) byPath.set(p.path, p);
  const compared = Boolean(r && r.manifest_tree);
  const status = (path) => {
    const p = byPath.get(path);
    if (p) return el('span', {}, codeBadge(p.code), ' ', el('span', { className: 'hint', textContent: p.message.replace(/^.*?: file "[^"]*" /, '') }));
    if (compared) return el('span', { className: 'okay', textContent: '✓ as signed' });
    return el('span', { className: 'hint', textContent: r ? '— (no manifest)' : '—' });
  };
  const rows = (listing?.files ?? []).map((f) => ({ ...f, present: true }));
  for (const p of byPath.values()) {
    if (p.code === 'FILE_MISSING') rows.push({ path: p.path, present: false });
  }
  rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const f of rows) {
    const bad = byPath.has(f.path);
    body.append(
      el('tr', { className: bad ? 'row-bad' : '' },
        el('td', { className: 'mono wrap', textContent: f.path }),
        el('td', { textContent: f.present ? (f.kind === 'x' ? 'executable' : 'file') : '—' }),
        el('td', { className: 'num', textContent: f.present ? humanSize(f.size) : '—' }),
        el('td', { className: 'mono', title: f.blake2b256 ?? '', textContent: f.present ? `${f.blake2b256.slice(0, 16)}…` : '(absent)' }),
        el('td', {}, status(f.path))),
    );
  }
  $('files-count').textContent = rows.length ? `(${listing?.files.length ?? 0} in the tarball)` : '';
  $('files-block').hidden = rows.length === 0;
}

async function check() {
  if (!tarball) return;
  await ready;
  const pins = { label: tarball.name };
  const keys = keysFromText($('keys').value);
  if (keys.length) {
    pins.keys = keys;
    pins.threshold = Number($('threshold').value);
  }
  const digest = $('digest').value.trim();
  if (digest) pins.digest = digest;

  let report = null;
  let error = null;
  try {
    report = checkTarball(tarball.bytes, pins);
  } catch (e) {
    error = e;
    report = e.report ?? null;
  }
  let listing = null;
  try {
    listing = listTarball(tarball.bytes);
  } catch {
    listing = null; // the check's error already says why
  }

  if (!error) {
    const how = [];
    if (report.signed_by.length) how.push(`signed by ${report.signed_by.length} of the pinned keys (${report.threshold} required)`);
    if (report.pinned_digest) how.push('its files hash to the pinned digest');
    setVerdict('ok', `Verified: ${report.package}${report.version ? '@' + report.version : ''} is what its author released`,
      `Every file matches${report.manifest_tree ? ' the signed manifest' : ''}; ${how.join(', and ')}.`);
  } else if (report) {
    setVerdict('bad', `Refused: ${error.code}`, withoutCode(error));
  } else {
    setVerdict('bad', `Could not check this tarball: ${error.code}`, withoutCode(error));
  }
  renderFacts(report, !error);
  renderSignatures(report);
  renderProblems(report);
  renderFiles(report, listing);
  $('raw').textContent = JSON.stringify(report ?? { ok: false, code: error?.code, message: error?.message }, null, 2);
  $('result').hidden = false;
  $('result').dataset.verdict = error ? error.code : 'ok';
  $('result').scrollIntoView({ behavior: 'smooth', block: 'start' });
}

// ---- input ---------------------------------------------------------------------------------

const drop = $('drop');
drop.addEventListener('click', () => $('file').click());
drop.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    $('file').click();
  }
});
$('file').addEventListener('change', async () => {
  if ($('file').files[0]) await readFile($('file').files[0]);
});
for (const ev of ['dragenter', 'dragover']) {
  drop.addEventListener(ev, (e) => {
    e.preventDefault();
    drop.classList.add('dragging');
  });
}
for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('dragging'));
drop.addEventListener('drop', async (e) => {
  e.preventDefault();
  const f = e.dataTransfer?.files?.[0];
  if (f) await readFile(f);
});
$('form').addEventListener('submit', (e) => {
  e.preventDefault();
  check();
});
for (const b of document.querySelectorAll('[data-sample]')) {
  b.addEventListener('click', async () => {
    const [tgz, pub] = await Promise.all([
      fetch(`samples/${b.dataset.sample}`).then((r) => r.arrayBuffer()),
      fetch('samples/author.pub').then((r) => r.text()),
    ]);
    setTarball(b.dataset.sample, new Uint8Array(tgz));
    $('keys').value = pub.trim();
    $('threshold').value = '1';
    $('digest').value = '';
    await check();
  });
}
ready.then(
  () => {
    document.body.dataset.ready = 'true';
  },
  (e) => {
    setVerdict('bad', 'The verifier failed to load', String(e?.message ?? e));
    $('result').hidden = false;
  },
);
