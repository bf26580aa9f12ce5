'use strict';
// Ω.registry against a registry the `omega` command line made (registry init, publish, witness
// cosign), served over HTTP on 127.0.0.1 (a Node http server on a free port, started and
// stopped here): Ω and `omega install` agree on every scenario (good, tampered object, not in
// log, quorum not met, stale, forked log), with the same codes. The engine under test is
// OMEGA_ENGINE's; the CLI is OMEGA_BIN (see helpers.js).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { ENGINE, omegaBin, tmpdir, write, loadOmega } = require('./helpers.js');

const Ω = loadOmega();
const ORIGIN = 'registry.example/omega';
const root = tmpdir('omega-node-registry-');
const reg = path.join(root, 'reg');
let serveDir = reg;
let server;
let url;

function omega(args, env = {}) {
  const r = spawnSync(omegaBin(), args, {
    encoding: 'utf8',
    env: { ...process.env, XDG_CACHE_HOME: path.join(root, 'cache'), ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function ok(args, env) {
  const r = omega(args, env);
  assert.equal(r.status, 0, `omega ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}
/** The DESIGN code of a refused command (`omega: CODE: …` on stderr). */
function code(r) {
  for (const l of r.stderr.split('\n')) {
    const m = /^omega: (?:\S*error:\S* )?([A-Z_]+):/.exec(l.replace(/\x1b\[[0-9;]*m/g, ''));
    if (m) return m[1];
  }
  return null;
}

function keygen(name) {
  const sec = path.join(root, `${name}.key`);
  const pub = path.join(root, `${name}.pub`);
  ok(['keygen', '-W', '-s', sec, '-p', pub]);
  return { sec, key: fs.readFileSync(pub, 'utf8').split('\n')[1] };
}
const keys = {};

function publish(into, name, version, seq, body) {
  const pkg = path.join(root, `pkg-${name}-${version}-${path.basename(into)}`);
  fs.rmSync(pkg, { recursive: true, force: true });
  write(path.join(pkg, 'index.js'), body ?? `module.exports = ${JSON.stringify(`${name}@${version}`)};\n`);
  write(path.join(pkg, 'package.json'), '{}\n');
  ok(['pack', pkg, '--name', name, '--version', version, '--sequence', String(seq), '-s', keys.owner.sec]);
  ok(['publish', pkg, '--registry', into, '-s', keys.owner.sec]);
}

function cosign(into, wstate) {
  const logKey = fs.readFileSync(path.join(into, 'policy'), 'utf8').split('\n').find((l) => l.startsWith('log ')).slice(4);
  // A witness's first sight of a log needs --new-log (threat model RR12).
  const first = fs.existsSync(path.join(root, wstate)) ? [] : ['--new-log'];
  const line = ok(['witness', 'cosign', path.join(into, 'checkpoint'), '--log-key', logKey, '--state', path.join(root, wstate),
    '--name', 'w1', '-s', keys.witness.sec, ...first]).trim();
  ok(['registry', 'cosign', into, line]);
}

function copyDir(from, to) {
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
}

/** `omega install ARGS --root app` (an app folder per name, made on first use), run without
 * blocking this process's event loop (the server of the registry runs in it). */
function install(app, args, env = {}) {
  const dir = path.join(root, app);
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  return new Promise((done, fail) => {
    const c = spawn(omegaBin(), ['install', ...args, '--root', dir], {
      env: { ...process.env, XDG_CACHE_HOME: path.join(root, 'cache'), ...env },
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => { stdout += d; });
    c.stderr.on('data', (d) => { stderr += d; });
    c.on('error', fail);
    c.on('close', (status) => done({ status, stdout, stderr }));
  });
}

const policy = () => fs.readFileSync(path.join(reg, 'policy'), 'utf8');

test.before(async () => {
  for (const k of ['janitor', 'owner', 'witness']) keys[k] = keygen(k);
  const vkey = ok(['witness', 'key', keys.witness.sec, '--name', 'w1']).trim();
  ok(['registry', 'init', reg, '--origin', ORIGIN, '--mode', 'open', '--janitor', keys.janitor.key, '-s', keys.janitor.sec, '--witness', vkey]);
  publish(reg, 'left-pad', '1.0.0', 1);
  cosign(reg, 'wstate');
  server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = path.resolve(serveDir, `.${rel}`);
    if (!file.startsWith(serveDir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200).end(fs.readFileSync(file));
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${server.address().port}`;
});

test.after(async () => {
  await new Promise((done) => server.close(done));
  fs.rmSync(root, { recursive: true, force: true });
});

test(`good: Ω.registry and omega install read the same release (engine ${Ω.engine}, asked ${ENGINE})`, async () => {
  serveDir = reg;
  const r = Ω.registry(url, { policy: policy() });
  const rel = await r.release('left-pad');
  assert.equal(rel.version, '1.0.0');
  assert.equal(rel.report.ok, true);
  assert.deepEqual(rel.report.signed_by, [keys.owner.key]);
  assert.equal(Ω.blake2b256(rel.tarball).toString('hex'), rel.tarballHash);
  assert.ok(fs.existsSync(path.join(reg, 'objects', rel.tarballHash.slice(0, 2), rel.tarballHash)));
  assert.equal(rel.checkpoint.keep, fs.readFileSync(path.join(reg, 'checkpoint'), 'utf8'));
  assert.deepEqual(rel.checkpoint.witnesses.map((w) => w.name), ['w1']);
  const run = await install('app-good', ['left-pad', '--registry', url]);
  assert.equal(run.status, 0, run.stderr);
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'app-good', 'omega.lock'), 'utf8'));
  const e = lock.packages['left-pad'];
  assert.equal(e.tree, rel.tree);
  assert.equal(e.entry, rel.entry);
  assert.equal(lock.registries[ORIGIN].checkpoint, rel.checkpoint.keep);
  assert.equal(lock.registries[ORIGIN].genesis, rel.checkpoint.genesis);
});

test('tampered object, not in log: the same codes', async () => {
  const tampered = path.join(root, 'serve-tampered');
  copyDir(reg, tampered);
  const first = await Ω.registry(url, { policy: policy() }).release('left-pad');
  const object = path.join(tampered, 'objects', first.tarballHash.slice(0, 2), first.tarballHash);
  const bytes = fs.readFileSync(object);
  bytes[bytes.length - 5] ^= 1;
  fs.writeFileSync(object, bytes);
  serveDir = tampered;
  await assert.rejects(Ω.registry(url, { policy: policy() }).release('left-pad'), { code: 'NOT_IN_LOG' });
  const run = await install('app-tampered', ['left-pad', '--registry', url], { XDG_CACHE_HOME: path.join(root, 'cache-tampered') });
  assert.equal(run.status, 1, run.stderr);
  assert.equal(code(run), 'NOT_IN_LOG', run.stderr);
  serveDir = reg;
  await assert.rejects(Ω.registry(url, { policy: policy() }).release('no-such-pad'), { code: 'NOT_IN_LOG' });
  const nil = await install('app-nil', ['no-such-pad', '--registry', url]);
  assert.equal(code(nil), 'NOT_IN_LOG', nil.stderr);
});

test('quorum not met, then stale: the same codes', async () => {
  const noCosign = path.join(root, 'reg-uncosigned');
  copyDir(reg, noCosign);
  publish(noCosign, 'right-pad', '1.0.0', 1);
  serveDir = noCosign;
  await assert.rejects(Ω.registry(url, { policy: policy() }).release('right-pad'), { code: 'QUORUM_NOT_MET' });
  const q = await install('app-quorum', ['right-pad', '--registry', url], { XDG_CACHE_HOME: path.join(root, 'cache-quorum') });
  assert.equal(code(q), 'QUORUM_NOT_MET', q.stderr);
  // Stale: max_age 1 s, two seconds after the witness's cosignature.
  serveDir = reg;
  const app = path.join(root, 'app-stale');
  assert.equal((await install('app-stale', ['left-pad', '--registry', url])).status, 0);
  const lockPath = path.join(app, 'omega.lock');
  fs.writeFileSync(lockPath, fs.readFileSync(lockPath, 'utf8').replace('"max_age": 86400', '"max_age": 1'));
  const cosigned = Math.max(...(await Ω.registry(url, { policy: policy() }).checkpoint()).witnesses.map((w) => w.time));
  const wait = cosigned + 2.1 - Date.now() / 1000;
  if (wait > 0) await new Promise((done) => setTimeout(done, wait * 1000));
  await assert.rejects(Ω.registry(url, { policy: policy(), maxAge: 1 }).release('left-pad'), { code: 'STALE' });
  const s = await install('app-stale', ['left-pad']);
  assert.equal(code(s), 'STALE', s.stderr);
  // Offline, freshness is not checked (both).
  assert.equal((await Ω.registry(url, { policy: policy(), maxAge: 1, offline: true }).release('left-pad')).version, '1.0.0');
});

test('forked log against the stored checkpoint: LOG_INCONSISTENT from both', async () => {
  // Two registries from one log key and one witness state: a fork at the same size.
  const a = path.join(root, 'reg-a');
  const b = path.join(root, 'reg-b');
  copyDir(reg, a);
  copyDir(reg, b);
  fs.cpSync(path.join(root, 'wstate'), path.join(root, 'wstate-b'), { recursive: true });
  publish(a, 'right-pad', '1.0.0', 1);
  cosign(a, 'wstate');
  publish(b, 'evil-pad', '1.0.0', 1);
  cosign(b, 'wstate-b');
  serveDir = a;
  const seen = await Ω.registry(url, { policy: policy() }).checkpoint();
  assert.equal((await install('app-fork', ['right-pad', '--registry', url], { XDG_CACHE_HOME: path.join(root, 'cache-fork') })).status, 0);
  serveDir = b;
  const r = Ω.registry(url, { policy: policy(), checkpoint: seen.keep, genesis: seen.genesis });
  await assert.rejects(r.release('evil-pad'), { code: 'LOG_INCONSISTENT' });
  assert.ok(r.evidence().includes(seen.keep));
  const run = await install('app-fork', ['evil-pad'], { XDG_CACHE_HOME: path.join(root, 'cache-fork') });
  assert.equal(code(run), 'LOG_INCONSISTENT', run.stderr);
  // Without the stored checkpoint the fork alone is a valid log: first use reads it.
  assert.equal((await Ω.registry(url, { policy: policy() }).release('evil-pad')).version, '1.0.0');
});
