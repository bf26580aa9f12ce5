// Test helpers for the browser registry page (examples/browser/registry.html, issue 15):
//   - buildRegistries(): registry folders made by the `omega` command line (registry init,
//     statement owners signed by two janitors, pack, publish, notices, witness cosign), the way
//     scripts/demo-registry.sh makes one: `good`, `tampered` (an object changed), `huge` (an object
//     replaced by 8 MiB), `moving` (served as cacheable for an hour), and a fork
//     (`fork-a`, `fork-b`: one log key, one witness, two different histories of the same size);
//   - startNginx(): Debian's nginx serving a folder on 127.0.0.1 on a free port, configured as
//     cli/tests/common/nginx.rs does (non-daemon, single process, its own prefix, pid, logs and
//     temp folders), plus CORS headers (the page is served from another origin) and no dot
//     paths (a registry's .keys/ is never served). Stopped by close(); a missing nginx throws.
// The CLI is $OMEGA_BIN, else target/debug/omega, else target/release/omega (cargo build -j 1
// -p omega-cli); a missing one throws with the fix.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repo } from './helpers.mjs';

export const ORIGIN = 'registry.example/omega';
export const PACKAGE = 'left-pad';
/** The summary of the low notice: markup and a right-to-left override, as an owner could write it. */
export const HOSTILE_SUMMARY = 'padding <img src=x onerror=globalThis.__xss=1> off by one \u202Egnp.exe';

export function omegaBin() {
  const candidates = [process.env.OMEGA_BIN, join(repo, 'target', 'debug', 'omega'), join(repo, 'target', 'release', 'omega')]
    .filter(Boolean);
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`no omega binary (looked at ${candidates.join(', ')}): run \`cargo build -j 1 -p omega-cli\` or set OMEGA_BIN`);
}

/** Builds the registries under a new temporary folder; returns their paths and facts. */
export function buildRegistries() {
  const bin = omegaBin();
  const root = mkdtempSync(join(tmpdir(), 'omega-page-'));
  const serve = join(root, 'serve');
  mkdirSync(serve);
  const env = { ...process.env, XDG_CACHE_HOME: join(root, 'cache') };
  const run = (args) => {
    const r = spawnSync(bin, args, { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`omega ${args.join(' ')} exited ${r.status}\n${r.stderr}`);
    return r.stdout;
  };
  const keys = {};
  for (const k of ['j1', 'j2', 'owner', 'witness']) {
    const sec = join(root, `${k}.key`);
    const pub = join(root, `${k}.pub`);
    run(['keygen', '-W', '-s', sec, '-p', pub]);
    keys[k] = { sec, key: readFileSync(pub, 'utf8').split('\n')[1] };
  }
  const witnessName = 'witness.example';
  const vkey = run(['witness', 'key', keys.witness.sec, '--name', witnessName]).trim();

  const good = join(serve, 'good');
  run(['registry', 'init', good, '--origin', ORIGIN, '--janitor', keys.j1.key, '--janitor', keys.j2.key,
    '--threshold', '2', '-s', keys.j1.sec, '-s', keys.j2.sec, '--witness', vkey]);
  const owners = join(root, 'owners.json');
  run(['statement', 'owners', PACKAGE, '--registry', good, '--owner', keys.owner.key, '--reason', 'the author of left-pad', '-o', owners]);
  run(['sign', owners, '-s', keys.j1.sec, '--append']);
  run(['sign', owners, '-s', keys.j2.sec, '--append']);
  run(['registry', 'submit', good, owners]);

  const publish = (into, name, version, seq, extra = {}) => {
    const pkg = join(root, `pkg-${name}-${version}-${into.split('/').pop()}`);
    rmSync(pkg, { recursive: true, force: true });
    mkdirSync(join(pkg, 'lib'), { recursive: true });
    writeFileSync(join(pkg, 'index.js'), `module.exports = require('./lib/pad.js');\n`);
    writeFileSync(join(pkg, 'lib', 'pad.js'), `module.exports = (s, n, c = ' ') => String(s).padStart(n, c); // ${version}\n`);
    writeFileSync(join(pkg, 'package.json'), `${JSON.stringify({ name, version, main: 'index.js' })}\n`);
    for (const [f, bytes] of Object.entries(extra)) writeFileSync(join(pkg, f), bytes);
    run(['pack', pkg, '--name', name, '--version', version, '--sequence', String(seq), '-s', keys.owner.sec]);
    run(['publish', pkg, '--registry', into, '-s', keys.owner.sec]);
  };
  const notice = (into, id, severity, affected, summary) => {
    const f = join(root, `notice-${id}.json`);
    run(['statement', 'notice', PACKAGE, '--registry', into, '--id', id, '--severity', severity, '--affected', affected,
      '--summary', summary, '--url', `https://advisories.example/${id}`, '-o', f]);
    run(['sign', f, '-s', keys.owner.sec, '--append']);
    run(['registry', 'submit', into, f]);
  };
  // A witness's first cosignature of a log is trust on first use: newer CLIs ask for
  // --new-log then (older ones do not know the flag).
  const newLog = spawnSync(bin, ['witness', 'cosign', '--help'], { encoding: 'utf8' }).stdout.includes('--new-log');
  const cosign = (into, state) => {
    const logKey = readFileSync(join(into, 'policy'), 'utf8').split('\n').find((l) => l.startsWith('log ')).slice(4);
    const first = newLog && !existsSync(join(root, state)) ? ['--new-log'] : [];
    const line = run(['witness', 'cosign', join(into, 'checkpoint'), '--log-key', logKey, '--state', join(root, state),
      '--name', witnessName, '-s', keys.witness.sec, ...first]).trim();
    run(['registry', 'cosign', into, line]);
  };

  publish(good, PACKAGE, '1.0.0', 1);
  // ~100 KiB of incompressible data: the tarball of 1.1.0 is about 100 KiB (the benchmark's size).
  publish(good, PACKAGE, '1.1.0', 2, { 'data.bin': randomBytes(100 * 1024) });
  notice(good, 'OMEGA-CRIT-1', 'critical', '1-1', 'left-pad 1.0.0 pads with the wrong character');
  notice(good, 'OMEGA-LOW-2', 'low', '1-2', HOSTILE_SUMMARY);
  cosign(good, 'wstate');

  const index = readFileSync(join(good, 'index', PACKAGE), 'utf8');
  const tgzOf = (version) => {
    const line = index.split('\n').find((l) => l.startsWith('release ') && l.split(' ')[2] === version);
    if (!line) throw new Error(`no release ${version} in index/${PACKAGE}:\n${index}`);
    return line.split(' ')[4];
  };
  const objectPath = (dir, hash) => join(dir, 'objects', hash.slice(0, 2), hash);

  // tampered: 1.1.0's tarball object with one byte changed.
  const tampered = join(serve, 'tampered');
  cpSync(good, tampered, { recursive: true });
  const latestTgz = tgzOf('1.1.0');
  const bytes = readFileSync(objectPath(tampered, latestTgz));
  bytes[bytes.length - 7] ^= 1;
  writeFileSync(objectPath(tampered, latestTgz), bytes);

  // huge: 1.1.0's tarball object replaced by 8 MiB (the reader's cap is the logged size).
  const huge = join(serve, 'huge');
  cpSync(good, huge, { recursive: true });
  writeFileSync(objectPath(huge, latestTgz), Buffer.alloc(8 * 1024 * 1024, 0x41));

  // moving: a copy of good that the test replaces by fork-a (the log grows) while nginx says
  // every file of it may be cached for an hour (as a careless CDN would).
  const moving = join(serve, 'moving');
  cpSync(good, moving, { recursive: true });

  // A fork: two copies of good with the same log key and witness (two copies of its state)
  // extended differently, each cosigned: both sizes equal, the roots differ.
  const forkA = join(serve, 'fork-a');
  const forkB = join(serve, 'fork-b');
  cpSync(good, forkA, { recursive: true });
  cpSync(good, forkB, { recursive: true });
  cpSync(join(root, 'wstate'), join(root, 'wstate-b'), { recursive: true });
  publish(forkA, PACKAGE, '1.2.0', 3);
  cosign(forkA, 'wstate');
  publish(forkB, PACKAGE, '1.2.0', 3, { 'evil.js': 'globalThis.__evil = true;\n' });
  cosign(forkB, 'wstate-b');

  return {
    root,
    serve,
    keys,
    witnessName,
    policy: readFileSync(join(good, 'policy'), 'utf8'),
    dirs: { good, tampered, huge, moving, forkA, forkB },
    /** Replaces the contents of `to` by a copy of `from` (both under serve/). */
    replace: (to, from) => {
      rmSync(to, { recursive: true, force: true });
      cpSync(from, to, { recursive: true });
    },
    tgzOf,
    object: (dir, hash) => readFileSync(objectPath(dir, hash)),
    close: () => rmSync(root, { recursive: true, force: true }),
  };
}

function nginxBinary() {
  for (const c of ['/usr/sbin/nginx', ...(process.env.PATH ?? '').split(':').map((d) => join(d, 'nginx'))]) {
    if (c && existsSync(c)) return c;
  }
  throw new Error('nginx is required by the browser registry tests and was not found in /usr/sbin or on PATH: run scripts/setup.sh (it installs Debian\'s nginx-light)');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function answers(port) {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.setTimeout(200);
    c.on('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
    c.on('timeout', () => {
      c.destroy();
      resolve(false);
    });
  });
}

/** nginx serving `root` on 127.0.0.1 (see the module comment): {url, port, close(), errorLog()}. */
export async function startNginx(root) {
  const binary = nginxBinary();
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'omega-page-nginx-'));
    const port = await freePort();
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  default_type application/octet-stream;
  etag on;
  server_tokens off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    # The page runs on another origin: let it read the registry (also its 404s, which the
    # reader needs to see as 404s).
    add_header Access-Control-Allow-Origin "*" always;
    location ~ /\\. { return 404; }
    location /moving/ {
      add_header Access-Control-Allow-Origin "*" always;
      add_header Cache-Control "max-age=3600" always;
    }
  }
}
`);
    const child = spawn(binary, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    let exited = null;
    child.on('exit', (code, signal) => { exited = `${code ?? signal}`; });
    const t0 = Date.now();
    while (exited === null && !(await answers(port))) {
      if (Date.now() - t0 > 10_000) {
        child.kill('SIGKILL');
        throw new Error(`nginx did not answer on 127.0.0.1:${port} within 10 s:\n${readLog(dir)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    if (exited === null) {
      return {
        url: `http://127.0.0.1:${port}`,
        port,
        errorLog: () => readLog(dir),
        close: () => new Promise((resolve) => {
          if (exited !== null) {
            rmSync(dir, { recursive: true, force: true });
            resolve();
            return;
          }
          child.once('exit', () => {
            rmSync(dir, { recursive: true, force: true });
            resolve();
          });
          child.kill('SIGTERM');
        }),
      };
    }
    last = `nginx exited with ${exited}\n${stderr}\n${readLog(dir)}`;
    rmSync(dir, { recursive: true, force: true });
    if (!last.includes('Address already in use')) break;
  }
  throw new Error(`nginx failed to start:\n${last}`);
}

function readLog(dir) {
  try {
    return readFileSync(join(dir, 'error.log'), 'utf8');
  } catch {
    return '';
  }
}
