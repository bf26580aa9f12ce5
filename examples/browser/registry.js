// The registry page (issue 15): reads a release from a static Ωpm registry with the page's own
// fetch and shows its chain of evidence as a person reads it: checkpoint, witnesses,
// consistency with the checkpoint this browser saw last (localStorage, per policy: keyed by the
// SHA-256 of the whole policy text, so a link with a weaker policy for the same log cannot
// spoil what the genuine policy stored; threat model RD15), inclusion
// of the release's entry, the owners entry and who signed it, the release's signers, notices
// and files; then offers the verified tarball. Every check is omega-core's (openRegistry over
// the core reader, and the proof functions of the WASM binding); this file fetches, draws and
// remembers the checkpoint. All registry-controlled text is drawn with textContent, with
// invisible and direction-changing characters made visible (see `ext`).
import init, {
  bundleForEntry, listTarball, parseEntry, parsePolicy, proveConsistency, proveInclusion,
  readEntry, tilesForConsistency, tilesForInclusion, verifyInclusion,
} from '../../bindings/wasm/pkg/omega_full.js';
import { openRegistry, readCapped } from '../../bindings/wasm/pkg/registry.js';

const ready = init();
const $ = (id) => document.getElementById(id);
const STORE_PREFIX = 'omega-registry-checkpoint:'; // + SHA-256 (hex) of the whole policy text
const TILE_CAP = 8192; // a full hash tile (FULL_TILE_BYTES); entry bundles get the reader's own cap
const BUNDLE_CAP = 16 * 1024 * 1024;

// ---- drawing -------------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else e[k] = v;
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

// Characters that are invisible or change the direction of the text around them (C0/C1
// controls, line and paragraph separators, bidi embeddings, overrides and isolates, marks,
// zero-width and format characters).
// A registry-controlled string may carry them to make a summary, a reason or a file name read
// as something else (U+202E turns "gnp.exe" into "exe.png").
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\ufff9-\ufffb]/gu;

/** Registry-controlled text as a node: textContent only, isolated from its neighbours'
 * direction, each hidden character shown as ⟨U+XXXX⟩ and the span marked. */
function ext(text, className = '') {
  const s = String(text ?? '');
  let marked = false;
  const shown = s.replace(HIDDEN, (c) => {
    marked = true;
    return `⟨U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`;
  });
  const span = el('span', { className: `ext ${className}`.trim(), textContent: shown });
  span.dir = 'ltr';
  if (marked) {
    span.classList.add('suspicious');
    span.title = 'This text contains invisible or direction-changing characters, shown as ⟨U+…⟩.';
    span.dataset.hidden = 'true';
  }
  return span;
}

const codeBadge = (code, ok = false) => el('span', { className: `code ${ok ? 'ok' : 'bad'}`, textContent: code });
const withoutCode = (e) => {
  const m = String(e?.message ?? e);
  return e?.code && m.startsWith(`${e.code}: `) ? m.slice(e.code.length + 2) : m;
};

function humanSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function ago(seconds) {
  const s = Math.round(seconds);
  if (s < 0) return `${-s} s in the future`;
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}
const isoTime = (t) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

function setVerdict(box, kind, title, detail, code) {
  const v = $(box);
  v.className = `verdict ${kind}`;
  v.querySelector('.verdict-icon').textContent = kind === 'ok' ? '✓' : kind === 'pending' ? '…' : '✗';
  v.querySelector('.verdict-title').textContent = title;
  v.querySelector('.verdict-detail').replaceChildren(detail instanceof Node ? detail : ext(detail ?? ''));
  v.dataset.code = code ?? kind;
}

/** A definition list filler: add(label, value node or text). */
function facts(id) {
  const dl = $(id);
  dl.replaceChildren();
  return (label, ...value) => {
    dl.append(el('dt', { textContent: label }), el('dd', {}, ...value.map((v) => (typeof v === 'string' ? el('span', { textContent: v }) : v))));
  };
}
const mono = (t) => el('span', { className: 'mono', textContent: t });

// ---- fetching ------------------------------------------------------------------------------

/** A fetch for the reader that records each request (path, status, bytes, time) and keeps the
 * bytes the reader read (only what it read: the body is copied as it streams through, so the
 * reader's byte caps still stop an oversized body). The checkpoint, index notes and partial
 * tiles change as the log grows: they are revalidated; full tiles and objects are immutable. */
function recorder(base) {
  const kept = new Map();
  const requests = [];
  const fetchFn = async (url, init) => {
    const path = url.startsWith(`${base}/`) ? url.slice(base.length + 1) : url;
    const mutable = path === 'checkpoint' || path.startsWith('index/') || path.includes('.p/');
    const t0 = performance.now();
    const row = { path, status: 0, bytes: 0, ms: 0 };
    requests.push(row);
    const res = await fetch(url, { ...init, cache: mutable ? 'no-cache' : 'default', credentials: 'omit', referrerPolicy: 'no-referrer' });
    row.status = res.status;
    row.ms = performance.now() - t0;
    if (!res.ok || !res.body) return res;
    const chunks = [];
    const copy = new TransformStream({
      transform(chunk, ctl) {
        chunks.push(chunk);
        row.bytes += chunk.byteLength;
        ctl.enqueue(chunk);
      },
      flush() {
        const all = new Uint8Array(row.bytes);
        let at = 0;
        for (const c of chunks) {
          all.set(c, at);
          at += c.byteLength;
        }
        kept.set(path, all);
        row.ms = performance.now() - t0;
      },
    });
    return new Response(res.body.pipeThrough(copy), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  /** The bytes at `paths` (relative), from what was read, else fetched now (capped). */
  const get = async (paths, cap) => {
    const out = {};
    for (const p of paths) {
      if (!kept.has(p)) {
        const res = await fetchFn(`${base}/${p}`);
        if (!res.ok) throw Object.assign(new Error(`NOT_FOUND: ${base}/${p}: HTTP ${res.status}`), { code: 'NOT_FOUND' });
        // Streamed and stopped at the cap (TOO_LARGE), never read whole (RD17).
        await readCapped(res, cap, `${base}/${p}`);
      }
      out[p] = kept.get(p);
    }
    return out;
  };
  return { fetch: fetchFn, get, requests };
}

// ---- the stored checkpoint -----------------------------------------------------------------

/** The storage key of a policy: the SHA-256 of its whole text (RD15). */
async function storeKey(policy) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(policy)));
  return STORE_PREFIX + [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function loadStored(key) {
  try {
    const s = JSON.parse(localStorage.getItem(key) ?? 'null');
    if (s && typeof s.keep === 'string' && typeof s.genesis === 'string' && Number.isSafeInteger(s.size) && typeof s.root === 'string') return s;
  } catch {
    // a damaged entry is ignored (and replaced after the next verified read)
  }
  return null;
}

function saveStored(key, cp, previous, url) {
  // `keep` is never older than the one given: when the registry served an older checkpoint,
  // the reader keeps ours, and so do its size and root.
  const fetchedIsKept = cp.keep === cp.note;
  const s = fetchedIsKept || !previous
    ? { keep: cp.keep, genesis: cp.genesis, size: cp.size, root: cp.root, url, savedAt: Math.floor(Date.now() / 1000) }
    : { ...previous, keep: cp.keep, genesis: cp.genesis };
  localStorage.setItem(key, JSON.stringify(s));
  return s;
}

async function showStored() {
  const key = await currentStoreKey();
  const s = key ? loadStored(key) : null;
  $('stored').textContent = s ? `stored checkpoint for this log: size ${s.size}, saved ${ago(Date.now() / 1000 - s.savedAt)}` : '';
  $('forget').disabled = !s;
}

async function currentStoreKey() {
  const policy = $('policy').value;
  try {
    if (!parsePolicy(policy).logs[0]) return null;
  } catch {
    return null;
  }
  return storeKey(policy);
}

// ---- reading -------------------------------------------------------------------------------

let session = null; // {reg, rec, cp, state, logKey, previous, url, name, openMs}
let blobUrl = null;

function fail(box, e) {
  const code = e?.code ?? 'ERROR';
  setVerdict(box, 'bad', `Refused: ${code}`, withoutCode(e), code);
}

function resetRelease() {
  $('release').hidden = true;
  $('release-details').hidden = true;
  $('accept-block').hidden = true;
  const a = $('download');
  a.hidden = true;
  a.removeAttribute('href');
  if (blobUrl) URL.revokeObjectURL(blobUrl);
  blobUrl = null;
}

/** Opens the registry (checkpoint, consistency, replay), shows it, then reads the release. */
async function openAndRead(args) {
  document.body.dataset.state = 'busy';
  try {
    await openAndReadInner(args);
  } finally {
    document.body.dataset.runs = String(Number(document.body.dataset.runs ?? 0) + 1);
    document.body.dataset.state = 'done';
  }
}

async function openAndReadInner({ url, policy, name, version, accept = [] }) {
  await ready;
  resetRelease();
  for (const id of ['checkpoint-block', 'releases-block', 'evidence-block']) $(id).hidden = true;
  $('result').hidden = false;
  $('timing').textContent = '';
  $('timing').removeAttribute('data-ms');
  $('requests').tBodies[0].replaceChildren();
  setVerdict('verdict', 'pending', 'Reading the registry…', url, 'pending');
  const base = url.trim().replace(/\/+$/, '');
  let logKey;
  try {
    if (!/^https?:\/\//i.test(base)) throw Object.assign(new Error('MALFORMED: the registry URL must start with https:// (or http:// for a local test)'), { code: 'MALFORMED' });
    logKey = parsePolicy(policy).logs[0];
    if (!logKey) throw Object.assign(new Error('MALFORMED: the policy names no log key'), { code: 'MALFORMED' });
  } catch (e) {
    fail('verdict', e);
    return;
  }
  // Stored per policy text: the note was verified by exactly this policy (RD15).
  const key = await storeKey(policy);
  const previous = loadStored(key);
  const rec = recorder(base);
  const t0 = performance.now();
  const reg = openRegistry(base, { policy, checkpoint: previous?.keep ?? null, genesis: previous?.genesis ?? null, fetch: rec.fetch });
  let cp;
  let state;
  try {
    cp = await reg.checkpoint();
    state = await reg.state();
  } catch (e) {
    fail('verdict', e);
    const ev = reg.evidence();
    if (ev) {
      $('evidence').replaceChildren(ext(ev));
      $('evidence-block').hidden = false;
    }
    renderRequests(rec.requests);
    return;
  }
  const openMs = performance.now() - t0;
  const stored = saveStored(key, cp, previous, base);
  session = { reg, rec, cp, state, logKey, previous, stored, url: base, name, openMs };
  await showStored();
  const n = state.names?.[name];
  setVerdict('verdict', 'ok', `Registry verified: ${cp.origin}, ${cp.size} entries`,
    `Checkpoint signed by the log key and cosigned by ${cp.witnesses.length} witness${cp.witnesses.length === 1 ? '' : 'es'}; the whole log was replayed.`, 'ok');
  await renderCheckpoint(session);
  renderReleases(session, n);
  if (!n) {
    $('release').hidden = false;
    $('release-verdict').hidden = false;
    setVerdict('release-verdict', 'bad', 'Refused: NOT_IN_LOG', `${name}: no such package in ${base}'s log`, 'NOT_IN_LOG');
    return;
  }
  await readReleaseInner(name, version || null, accept, openMs);
}

async function readRelease(name, version, accept) {
  document.body.dataset.state = 'busy';
  try {
    await readReleaseInner(name, version, accept, null);
  } finally {
    document.body.dataset.runs = String(Number(document.body.dataset.runs ?? 0) + 1);
    document.body.dataset.state = 'done';
  }
}

async function readReleaseInner(name, version, accept, openMs) {
  const s = session;
  resetRelease();
  $('release').hidden = false;
  $('release-verdict').hidden = false;
  setVerdict('release-verdict', 'pending', `Reading ${name}${version ? `@${version}` : ''}…`, '', 'pending');
  if (openMs === null) {
    $('timing').textContent = '';
    $('timing').removeAttribute('data-ms');
  }
  const startRelease = performance.now();
  let rel;
  try {
    rel = await s.reg.release(name, version, { acceptNotices: accept });
  } catch (e) {
    fail('release-verdict', e);
    if (e?.code === 'KEY_NOT_TRUSTED') offerAccept(s, name, version, accept);
    renderRequests(s.rec.requests);
    return;
  }
  const end = performance.now();
  // The fetch and its checks only: drawing the registry part in between is not counted.
  const total = (openMs ?? 0) + (end - startRelease);
  const split = openMs === null ? '' : ` (checkpoint, consistency and log ${openMs.toFixed(1)} ms, release ${(end - startRelease).toFixed(1)} ms)`;
  $('timing').textContent = `Fetched and verified in ${total.toFixed(1)} ms${split}; ` +
    `${s.rec.requests.length} requests so far, ${humanSize(s.rec.requests.reduce((a, r) => a + r.bytes, 0))}.`;
  $('timing').dataset.ms = total.toFixed(2);
  $('timing').dataset.requests = String(s.rec.requests.length);
  setVerdict('release-verdict', 'ok', `Verified: ${rel.name}@${rel.version} (sequence ${rel.sequence})`,
    `Entry ${rel.entry} of the log, authorised by its owners, its tarball is the one the entry names and every file matches its signed manifest.`, 'ok');
  await renderRelease(s, rel);
  renderRequests(s.rec.requests);
}

function offerAccept(s, name, version, accept) {
  const ns = s.state.names?.[name];
  const box = $('accept');
  box.replaceChildren();
  for (const [id, n] of Object.entries(ns?.notices ?? {})) {
    if (n.severity !== 'critical' || accept.includes(id)) continue;
    const b = el('button', { type: 'button', className: 'secondary' }, 'Accept notice ', ext(id, 'mono'), ' and read it anyway');
    b.dataset.accept = id;
    b.addEventListener('click', () => readRelease(name, version, [...accept, id]));
    box.append(b);
  }
  $('accept-block').hidden = box.childElementCount === 0;
}

// ---- the registry part ---------------------------------------------------------------------

async function renderCheckpoint(s) {
  const { cp, previous, rec } = s;
  const now = Date.now() / 1000;
  const add = facts('checkpoint');
  add('Origin', ext(cp.origin, 'mono'));
  add('Size', `${cp.size} entries`);
  add('Root hash', mono(cp.root));
  add('Signed by', mono(cp.logKey));
  const asOf = cp.freshness?.asOf;
  if (cp.freshness?.state === 'fresh' && asOf) add('Age', `${ago(now - asOf)} (the witnesses' quorum cosigned it at ${isoTime(asOf)})`);
  else if (cp.freshness?.state === 'not_witnessed') add('Age', 'unknown: the policy asks for no witnesses');
  else add('Age', 'not checked');

  const body = $('witnesses').tBodies[0];
  body.replaceChildren();
  for (const w of cp.witnesses) {
    body.append(el('tr', {}, el('td', {}, ext(w.name, 'mono')), el('td', { className: 'mono', textContent: isoTime(w.time) }), el('td', { textContent: ago(now - w.time) })));
  }
  if (!cp.witnesses.length) body.append(el('tr', {}, el('td', { colSpan: 3, className: 'hint', textContent: 'No witness cosigned (the policy asks for none).' })));

  const c = facts('consistency');
  const con = $('consistency');
  if (!previous) {
    con.dataset.state = 'first';
    c('Verdict', 'First visit for this log: nothing to compare with. This checkpoint is stored now (trust on first use); the next visit must be consistent with it.');
  } else if (previous.size === cp.size && previous.root === cp.root) {
    con.dataset.state = 'same';
    c('Verdict', el('span', { className: 'okay', textContent: '✓ the same checkpoint as last time' }));
    c('Stored', `size ${previous.size}, root ${previous.root}, saved ${ago(now - previous.savedAt)}`);
  } else if (previous.size < cp.size) {
    con.dataset.state = 'grew';
    c('Verdict', el('span', { className: 'okay', textContent: `✓ the log grew from ${previous.size} to ${cp.size} entries without changing its past` }));
    c('Stored', `size ${previous.size}, root ${previous.root}, saved ${ago(now - previous.savedAt)}`);
    try {
      // The proof the reader checked, built again from the same tiles and shown.
      const tiles = await rec.get(tilesForConsistency(previous.size, cp.size), TILE_CAP);
      const p = proveConsistency(previous.size, cp.size, previous.root, cp.root, tiles);
      c('Consistency proof', `${p.proof.length} hash${p.proof.length === 1 ? '' : 'es'}`);
      c('Proof hashes', mono(p.proof.join('\n')));
    } catch (e) {
      c('Consistency proof', `(not redrawn: ${e.code ?? ''} ${withoutCode(e)})`);
    }
  } else if (previous.size > cp.size) {
    con.dataset.state = 'older';
    c('Verdict', el('span', { className: 'okay', textContent: `✓ the registry served an older checkpoint (size ${cp.size}); it is part of the one stored (size ${previous.size}), which is kept` }));
  } else {
    // Same size, another root: the reader refuses this (LOG_INCONSISTENT) before we get here.
    con.dataset.state = 'unexpected';
    c('Verdict', codeBadge('LOG_INCONSISTENT'), ' ', ext(`the stored checkpoint has size ${previous.size} and root ${previous.root}; this one ${cp.root}`));
  }
  $('checkpoint-block').hidden = false;
}

function noticesFor(ns, sequence) {
  return Object.entries(ns.notices ?? {})
    .filter(([, n]) => n.affected.some((r) => r.from <= sequence && sequence <= r.to))
    .map(([id, n]) => ({ id, ...n }));
}

function renderReleases(s, ns) {
  $('releases-name').replaceChildren(ext(s.name));
  const body = $('releases').tBodies[0];
  body.replaceChildren();
  const rows = Object.entries(ns?.releases ?? {}).sort((a, b) => b[1].sequence - a[1].sequence);
  for (const [version, r] of rows) {
    const status = el('span');
    if (r.yanked) status.append(codeBadge('yanked'), ' ', ext(r.yanked.reason));
    for (const n of noticesFor(ns, r.sequence)) status.append(el('span', { className: `sev sev-${n.severity}`, textContent: n.severity }), ' ', ext(n.id, 'mono'), ' ');
    const show = el('button', { type: 'button', className: 'linkish', textContent: 'show' });
    show.dataset.version = version;
    show.addEventListener('click', () => readRelease(s.name, version, []));
    const tr = el('tr', {}, el('td', {}, ext(version, 'mono')), el('td', { className: 'num', textContent: String(r.sequence) }),
      el('td', { className: 'num', textContent: String(r.entry) }), el('td', {}, status), el('td', {}, show));
    tr.dataset.version = version;
    body.append(tr);
  }
  $('releases-block').hidden = false;
}

// ---- the release part ----------------------------------------------------------------------

/** A minisign key id as omega prints it (`{:016X}` of the little-endian u64 after "Ed"). */
function keyIdOf(b64) {
  try {
    const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    if (raw.length !== 42) return null;
    let hex = '';
    for (let i = 9; i >= 2; i--) hex += raw[i].toString(16).padStart(2, '0');
    return hex.toUpperCase();
  } catch {
    return null;
  }
}

async function renderRelease(s, rel) {
  const { cp, state, rec, name } = s;
  const ns = state.names[rel.name] ?? state.names[name];
  // Download: the verified bytes, never the server's URL.
  blobUrl = URL.createObjectURL(new Blob([rel.tarball], { type: 'application/gzip' }));
  const a = $('download');
  a.href = blobUrl;
  a.download = `${rel.name.replace(/^@/, '').replace(/[^A-Za-z0-9._-]+/g, '-')}-${rel.version.replace(/[^A-Za-z0-9._+-]+/g, '-')}.tgz`;
  a.hidden = false;
  $('download-note').textContent = `${humanSize(rel.tarball.length)} · BLAKE2b-256 ${rel.tarballHash}`;

  // Inclusion: the proof from the tiles the reader checked against the root, checked again.
  const inc = facts('inclusion');
  // The tree the reader proved the release against: the stored one when the registry (a
  // mirror) served an older checkpoint (RD19).
  const tree = cp.proven ?? { size: cp.size, root: cp.root };
  inc('Entry', `index ${rel.entry} in a log of ${tree.size} entries`);
  try {
    const tiles = await rec.get(tilesForInclusion(rel.entry, tree.size), TILE_CAP);
    const p = proveInclusion(rel.entry, tree.size, tree.root, tiles);
    verifyInclusion(rel.entry, tree.size, p.leafHash, p.proof, tree.root);
    inc('Leaf hash', mono(p.leafHash));
    inc('Audit path', mono(p.proof.length ? p.proof.join('\n') : '(none: the entry is the whole tree)'));
    inc('Verdict', el('span', { className: 'okay', textContent: `✓ included in the tree of ${tree.size} entries with root ${tree.root.slice(0, 16)}…` }));
    $('inclusion').dataset.verified = 'true';
  } catch (e) {
    inc('Verdict', codeBadge(e.code ?? 'ERROR'), ' ', ext(withoutCode(e)));
  }

  // Owners: the current owners entry, read from the log and proven, and who signed it.
  const own = facts('owners');
  const keyName = new Map();
  for (const k of state.janitors?.signers ?? []) keyName.set(keyIdOf(k), `janitor ${k}`);
  for (const k of ns?.owners?.signers ?? []) if (!keyName.has(keyIdOf(k))) keyName.set(keyIdOf(k), `owner ${k}`);
  own('Owners', mono((ns?.owners?.signers ?? []).join('\n') || '(none)'));
  own('Threshold', `${ns?.owners?.threshold ?? '?'} of them sign a release`);
  if (ns?.owners?.next?.length) own('Next keys', mono(ns.owners.next.join('\n')));
  own('Owners entry', `${ns?.owners_entry} (serial ${ns?.owners_serial}); registry mode: ${state.mode}`);
  try {
    const e = ns.owners_entry;
    const paths = [...tilesForInclusion(e, tree.size), bundleForEntry(e, tree.size)];
    const bytes = readEntry(e, tree.size, tree.root, await rec.get(paths, BUNDLE_CAP));
    const entry = parseEntry(bytes);
    const by = el('span');
    for (const id of entry.signatures) {
      by.append(mono(id), ' ', el('span', { className: 'hint', textContent: keyName.get(id) ?? '(key id not among the janitors or owners)' }), el('br'));
    }
    own('Authorised by', by);
    own('Statement', el('pre', { className: 'statement' }, ext(entry.statement)));
    $('owners').dataset.signatures = String(entry.signatures.length);
  } catch (e) {
    own('Authorised by', codeBadge(e.code ?? 'ERROR'), ' ', ext(withoutCode(e)));
  }

  // Signers of the release (the part-1 report over its manifest).
  const sb = $('signers').tBodies[0];
  sb.replaceChildren();
  for (const sig of rel.report.signatures) {
    sb.append(el('tr', {}, el('td', { className: 'mono', textContent: sig.key_id }), el('td', { className: 'mono wrap', textContent: sig.key ?? 'not an owner key' }),
      el('td', { className: 'wrap' }, ext(sig.trusted_comment)), el('td', {}, sig.error ? codeBadge(sig.error) : codeBadge('valid', true))));
  }
  if (rel.advisories.revokedSigners.length) {
    for (const r of rel.advisories.revokedSigners) {
      sb.append(el('tr', { className: 'row-bad' }, el('td', {}, codeBadge('revoked')), el('td', { className: 'mono wrap', textContent: r.key }),
        el('td', { className: 'wrap' }, ext(r.reason)), el('td', { textContent: `entry ${r.entry}` })));
    }
  }

  // Notices affecting this release (critical ones first and highlighted).
  const list = $('notices');
  list.replaceChildren();
  const order = { critical: 0, high: 1, moderate: 2, medium: 2, low: 3 };
  const notices = [...rel.advisories.notices].sort((x, y) => (order[x.severity] ?? 9) - (order[y.severity] ?? 9));
  for (const n of notices) {
    const li = el('li', { className: `notice sev-${n.severity}` },
      el('span', { className: `sev sev-${n.severity}`, textContent: n.severity }), ' ', ext(n.id, 'mono'), ' ', ext(n.summary),
      el('span', { className: 'hint', textContent: ` · entry ${n.entry} · sequences ${n.affected.map((r) => `${r.from}–${r.to}`).join(', ')}${n.fixed !== null ? ` · fixed in ${n.fixed}` : ''}` }));
    if (n.url) li.append(' · ', ext(n.url, 'mono')); // shown, never a link: the registry chose it
    li.dataset.id = n.id;
    list.append(li);
  }
  if (rel.advisories.yanked) list.append(el('li', { className: 'notice sev-high' }, codeBadge('yanked'), ' ', ext(rel.advisories.yanked.reason)));
  if (!list.childElementCount) list.append(el('li', { className: 'hint', textContent: 'None.' }));

  // Files: the verified tarball's listing (the report says they all match the manifest).
  const fb = $('files').tBodies[0];
  fb.replaceChildren();
  const listing = listTarball(rel.tarball);
  for (const f of listing.files) {
    fb.append(el('tr', {}, el('td', { className: 'wrap' }, ext(f.path, 'mono')), el('td', { textContent: f.kind === 'x' ? 'executable' : 'file' }),
      el('td', { className: 'num', textContent: humanSize(f.size) }), el('td', { className: 'mono', title: f.blake2b256, textContent: `${f.blake2b256.slice(0, 16)}…` })));
  }
  $('files-count').textContent = `(${listing.files.length}, every one as signed; tree ${rel.tree})`;

  const raw = { ...rel, tarball: `(${rel.tarball.length} bytes)`, manifest: `(${rel.manifest.length} bytes)` };
  $('raw').replaceChildren(ext(JSON.stringify(raw, null, 2)));
  $('release-details').hidden = false;
}

function renderRequests(requests) {
  const body = $('requests').tBodies[0];
  body.replaceChildren();
  for (const r of requests) {
    body.append(el('tr', {}, el('td', { className: 'mono', textContent: r.path }), el('td', { textContent: String(r.status) }),
      el('td', { className: 'num', textContent: String(r.bytes) }), el('td', { className: 'num', textContent: r.ms.toFixed(1) })));
  }
}

// ---- input ---------------------------------------------------------------------------------

function formValues() {
  return { url: $('registry-url').value, policy: $('policy').value, name: $('name').value.trim(), version: $('version').value.trim() };
}

$('form').addEventListener('submit', (e) => {
  e.preventDefault();
  openAndRead(formValues());
});
$('forget').addEventListener('click', async () => {
  const k = await currentStoreKey();
  if (k) localStorage.removeItem(k);
  await showStored();
});
$('policy').addEventListener('input', () => {
  $('policy-from-link').hidden = true;
  ready.then(showStored);
});

ready.then(
  () => {
    $('open').disabled = false;
    const q = new URLSearchParams(location.search);
    if (q.has('registry')) $('registry-url').value = q.get('registry');
    if (q.has('policy')) {
      $('policy').value = q.get('policy');
      $('policy-from-link').hidden = false;
    }
    if (q.has('name')) $('name').value = q.get('name');
    if (q.has('version')) $('version').value = q.get('version');
    // A link never accepts a critical notice (only the button does: RD14), and a policy that
    // came with the link is shown and read only after a click (RD15).
    showStored().then(() => {
      document.body.dataset.ready = 'true';
      if (q.has('registry') && q.has('name') && !q.has('policy') && $('policy').value) openAndRead(formValues());
    });
  },
  (e) => {
    $('result').hidden = false;
    setVerdict('verdict', 'bad', 'The verifier failed to load', String(e?.message ?? e), 'LOAD');
  },
);
