// A tiny static server for the browser examples (and their tests): serves the repository on
// 127.0.0.1 only, GET/HEAD only, files below the root only, no directory listings, no caching.
//   node examples/browser/serve.mjs [--port 8080] [--tamper FILE]... [--mount /URL/PREFIX/=DIR/]...
// --tamper FILE (relative to the repository) appends a line of JavaScript to that file as it
// is served: a compromised server or CDN, for trying the service-worker example.
// --mount /examples/browser/sw/app/=examples/browser/samples/sw-app-1.0.0/ serves another
// directory under a URL prefix: here the app's previous signed release (a rollback).
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.tgz': 'application/gzip',
  '.pub': 'text/plain; charset=utf-8',
  '.minisig': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
export const TAMPER_LINE = '\n;globalThis.__tampered = true; /* added by a compromised server */\n';

/**
 * Starts the server. `tamper`: repository-relative paths whose bodies get TAMPER_LINE appended.
 * The other options stand for a compromised server or mirror, for the attack tests; they are
 * read at each request from `options`, which the caller may change while the server runs:
 *   append:  {"repo/relative/file": text}       text appended to that file's body
 *   replace: {"repo/relative/file": [[from, to], …]}   text replaced in that file's body
 *   headers: {"/url/path": {name: value}}       extra response headers for that URL path
 *   delay:   {"/url/path": ms}                  answer that URL path only after ms
 *   mount:   {"/url/prefix/": "repo/relative/dir/"}   serve another directory under a prefix
 * and, when `requests: []` is given, `options.requests` lists the URL paths asked for, in order.
 * Resolves to {url, server, options, close()}; `port` 0 picks a free port.
 */
export function startServer({ root = REPO, port = 0, tamper = [], ...attacks } = {}) {
  const options = { append: {}, replace: {}, headers: {}, delay: {}, mount: {}, requests: null, ...attacks };
  for (const t of tamper) options.append[t] = (options.append[t] ?? '') + TAMPER_LINE;
  const server = createServer(async (req, res) => {
    let url;
    try {
      url = new URL(req.url, 'http://127.0.0.1');
    } catch {
      url = new URL('http://127.0.0.1/.bad-request');
    }
    const send = (status, body, type = 'text/plain; charset=utf-8', extra = {}) => {
      res.writeHead(status, {
        'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
        ...extra, ...(options.headers[url.pathname] ?? {}),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    options.requests?.push(url.pathname);
    try {
      if (options.delay[url.pathname]) await new Promise((r) => setTimeout(r, options.delay[url.pathname]));
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
      if (url.pathname === '/') return send(302, '', undefined, { location: '/examples/browser/' });
      let rel;
      try {
        rel = decodeURIComponent(url.pathname);
      } catch {
        return send(400, 'bad path\n');
      }
      if (rel.includes('\0') || rel.split('/').some((c) => c === '..')) return send(400, 'bad path\n');
      for (const [prefix, dir] of Object.entries(options.mount)) {
        if (rel.startsWith(prefix)) {
          rel = `/${dir.replace(/\/?$/, '/')}${rel.slice(prefix.length)}`;
          break;
        }
      }
      let file = resolve(root, '.' + rel);
      if (file !== root && !file.startsWith(root + sep)) return send(403, 'outside the root\n');
      let info = await stat(file).catch(() => null);
      if (info?.isDirectory()) {
        if (!url.pathname.endsWith('/')) return send(301, '', undefined, { location: url.pathname + '/' });
        file = join(file, 'index.html');
        info = await stat(file).catch(() => null);
      }
      if (!info?.isFile()) return send(404, 'not found\n');
      if (info.size > MAX_FILE_BYTES) return send(413, 'too large\n');
      let body = await readFile(file);
      const key = relative(REPO, file).split(sep).join('/');
      for (const [from, to] of options.replace[key] ?? []) body = Buffer.from(body.toString('utf8').split(from).join(to));
      if (options.append[key] !== undefined) body = Buffer.concat([body, Buffer.from(options.append[key])]);
      return send(200, body, TYPES[extname(file)] ?? 'application/octet-stream');
    } catch (e) {
      return send(500, `error: ${e.message}\n`);
    }
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 1_000;
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: p } = server.address();
      resolvePromise({
        url: `http://127.0.0.1:${p}`,
        server,
        options,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let port = 8080;
  const tamper = [];
  const mount = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--port') port = Number(args[++i]);
    else if (args[i] === '--tamper') tamper.push(args[++i]);
    else if (args[i] === '--mount' && /^\/.+=.+/.test(args[i + 1] ?? '')) {
      const [prefix, dir] = args[++i].split('=');
      mount[prefix] = dir;
    } else {
      console.error('usage: node examples/browser/serve.mjs [--port 8080] [--tamper FILE]... [--mount /URL/PREFIX/=DIR/]...');
      process.exit(2);
    }
  }
  const { url } = await startServer({ port, tamper, mount });
  console.log(`Ωpm browser examples on ${url}/examples/browser/ (Ctrl-C to stop)`);
  console.log(`  package check:        ${url}/examples/browser/index.html`);
  console.log(`  service-worker app:   ${url}/examples/browser/sw/index.html`);
  for (const t of tamper) console.log(`  tampering with:       ${t}`);
  for (const [prefix, dir] of Object.entries(mount)) console.log(`  serving ${dir} as ${prefix}`);
  if (!process.env.OMEGA_NO_BUILD_CHECK) {
    const pkg = join(REPO, 'bindings', 'wasm', 'pkg', 'omega_bg.wasm');
    if (!(await stat(pkg).catch(() => null))) console.log('  (bindings/wasm/pkg/ is missing: run `make build-wasm` first)');
  }
}
