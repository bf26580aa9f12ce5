// Real-browser tests of the WASM binding: headless Debian chromium (/usr/bin/chromium) driven
// by playwright-core, against the examples in examples/browser/ served on 127.0.0.1 by
// examples/browser/serve.mjs. Installs nothing: it fails loudly when chromium or the build is
// missing (scripts/setup-browser.sh and `make build-wasm` provide them).
//   1. the package-check page: the signed sample verifies; a tampered one is refused
//      (FILE_CHANGED), an injected file too (FILE_EXTRA); a typed-in digest pin works
//   2. the service worker: the signed app runs; with a server that tampers a script, the
//      worker refuses it (FILE_CHANGED) and the app does not run; an unlisted script is
//      refused (FILE_EXTRA)
// Screenshots go to test-artifacts/ (git-ignored). Run: node bindings/wasm/test/browser.mjs
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { repo, wasmDir } from './helpers.mjs';

const CHROMIUM = process.env.OMEGA_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = join(repo, 'test-artifacts');
const DEADLINE_MS = 180_000;

function die(msg) {
  console.error(`\nbrowser tests: FAILED: ${msg}\n`);
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  die(`${CHROMIUM} is missing. These tests need Debian's chromium: run scripts/setup-browser.sh ` +
    '(apt-get install chromium), or set OMEGA_CHROMIUM to a Chromium binary. Nothing is installed here.');
}
if (!existsSync(join(wasmDir, 'pkg', 'omega_bg.wasm'))) die('bindings/wasm/pkg/ is missing: run `make build-wasm` first');
let chromium;
try {
  ({ chromium } = createRequire(import.meta.url)('playwright-core'));
} catch (e) {
  die(`playwright-core is missing (${e.message}): run \`npm ci\` in bindings/wasm (make build-wasm does)`);
}
const { startServer } = await import(join(repo, 'examples', 'browser', 'serve.mjs'));

const watchdog = setTimeout(() => die(`still running after ${DEADLINE_MS / 1000} s`), DEADLINE_MS);
mkdirSync(ARTIFACTS, { recursive: true });

const results = [];
async function scenario(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push([name, 'ok', Date.now() - t0]);
    console.log(`ok - ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push([name, 'FAIL', Date.now() - t0]);
    console.log(`not ok - ${name}\n  ${String(e.stack ?? e).split('\n').join('\n  ')}`);
  }
}

const good = await startServer();
const evil = await startServer({ tamper: ['examples/browser/sw/app/lib/greet.js'] });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});

/** A fresh context (its own profile: no service worker, cache or storage carried over). */
async function page(name) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const p = await context.newPage();
  const log = [];
  p.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
  p.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  p.shot = (file) => p.screenshot({ path: join(ARTIFACTS, file), fullPage: true });
  p.done = async () => {
    if (log.length) console.log(`  (${name} console)\n  ${log.join('\n  ')}`);
    await context.close();
  };
  return p;
}

const samples = join(repo, 'examples', 'browser', 'samples');
const authorPub = readFileSync(join(samples, 'author.pub'), 'utf8');

async function checkTarballPage(file, shot) {
  const p = await page(file);
  try {
    await p.goto(`${good.url}/examples/browser/index.html`);
    await p.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    await p.setInputFiles('#file', join(samples, file));
    await p.fill('#keys', authorPub);
    await p.click('#verify');
    await p.waitForSelector('#result:not([hidden])', { timeout: 20_000 });
    await p.shot(shot);
    return {
      verdict: await p.getAttribute('#result', 'data-verdict'),
      title: await p.textContent('.verdict-title'),
      text: await p.textContent('#result'),
      badRows: await p.$$eval('#files tr.row-bad td:first-child', (tds) => tds.map((t) => t.textContent)),
      p,
    };
  } catch (e) {
    await p.done();
    throw e;
  }
}

await scenario('package page: a signed tarball verifies', async () => {
  const r = await checkTarballPage('left-pad-1.3.0.tgz', 'browser-1-package-verified.png');
  try {
    assert.equal(r.verdict, 'ok');
    assert.match(r.title, /^Verified: left-pad@1\.3\.0/);
    assert.ok(r.text.includes(authorPub.split('\n')[1]), 'the signing key is shown');
    assert.match(r.text, /b2tree:[0-9a-f]{64}/);
    assert.deepEqual(r.badRows, []);
    // Pin the shown digest, check again with the digest alone.
    await r.p.click('#facts button');
    await r.p.fill('#keys', '');
    await r.p.click('#verify');
    await r.p.waitForFunction(() => document.querySelector('#facts').textContent.includes('Pinned digest'));
    assert.equal(await r.p.getAttribute('#result', 'data-verdict'), 'ok');
  } finally {
    await r.p.done();
  }
});

await scenario('package page: a changed file is refused with FILE_CHANGED', async () => {
  const r = await checkTarballPage('left-pad-1.3.0-tampered.tgz', 'browser-2-package-tampered.png');
  try {
    assert.equal(r.verdict, 'FILE_CHANGED');
    assert.equal(r.title, 'Refused: FILE_CHANGED');
    assert.deepEqual(r.badRows, ['index.js']);
  } finally {
    await r.p.done();
  }
});

await scenario('package page: an injected file is refused with FILE_EXTRA', async () => {
  const r = await checkTarballPage('left-pad-1.3.0-injected.tgz', 'browser-3-package-injected.png');
  try {
    assert.equal(r.verdict, 'FILE_EXTRA');
    assert.deepEqual(r.badRows, ['postinstall.js']);
  } finally {
    await r.p.done();
  }
});

async function swPage(server, name) {
  const p = await page(name);
  await p.goto(`${server.url}/examples/browser/sw/index.html`);
  await p.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return p;
}

await scenario('service worker: the signed app is verified and runs', async () => {
  const p = await swPage(good, 'sw-good');
  try {
    assert.equal(await p.getAttribute('body', 'data-verdict'), 'ok');
    await p.waitForSelector('#app[data-state="running"]', { timeout: 10_000 });
    assert.match(await p.textContent('#app'), /matched its signed manifest/);
    // The worker answered from verified bytes.
    const h = await p.evaluate(async () => {
      const r = await fetch('app/lib/greet.js');
      return { status: r.status, verified: r.headers.get('x-omega-verified') };
    });
    assert.equal(h.status, 200);
    assert.match(h.verified, /^b2tree:/);
    await p.shot('browser-4-sw-verified.png');
  } finally {
    await p.done();
  }
});

await scenario('service worker: an unlisted script is refused with FILE_EXTRA', async () => {
  const p = await swPage(good, 'sw-unlisted');
  try {
    await p.click('#load-injected');
    await p.waitForSelector('body[data-injected]', { timeout: 10_000 });
    assert.equal(await p.getAttribute('body', 'data-injected'), 'refused');
    assert.equal(await p.evaluate(() => window.__omegaInjected ?? false), false, 'the script did not run');
    await p.waitForFunction(() => document.querySelector('#refusals tbody')?.textContent.includes('FILE_EXTRA'));
    assert.match(await p.textContent('#refusals'), /injected\.js/);
    assert.equal(await p.getAttribute('#app', 'data-state'), 'running', 'the verified app still runs');
    await p.shot('browser-5-sw-unlisted-refused.png');
  } finally {
    await p.done();
  }
});

await scenario('service worker: a tampered script is refused and the app does not run', async () => {
  // Sanity: the tampering server really serves different bytes.
  const served = await (await fetch(`${evil.url}/examples/browser/sw/app/lib/greet.js`)).text();
  assert.match(served, /compromised server/);
  const p = await swPage(evil, 'sw-tampered');
  try {
    assert.equal(await p.getAttribute('body', 'data-verdict'), 'FILE_CHANGED');
    await p.waitForSelector('#app[data-state="blocked"]', { timeout: 10_000 });
    assert.equal(await p.evaluate(() => globalThis.__tampered ?? false), false, 'the tampered script did not run');
    assert.match(await p.textContent('#verdict'), /Refused: FILE_CHANGED/);
    assert.match(await p.textContent('#facts'), /lib\/greet\.js/);
    const refused = await p.evaluate(async () => {
      const r = await fetch('app/lib/greet.js');
      return { status: r.status, code: r.headers.get('x-omega-refused') };
    });
    assert.deepEqual(refused, { status: 403, code: 'FILE_CHANGED' });
    await p.waitForFunction(() => document.querySelector('#refusals tbody')?.textContent.includes('main.js'));
    await p.shot('browser-6-sw-tampered-refused.png');
  } finally {
    await p.done();
  }
});

await browser.close();
await good.close();
await evil.close();
clearTimeout(watchdog);
const failed = results.filter((r) => r[1] !== 'ok').length;
console.log(`\nbrowser tests: ${results.length - failed} passed, ${failed} failed; screenshots in ${ARTIFACTS}`);
process.exit(failed ? 1 : 0);
