// Real-browser tests of the WASM binding: headless Debian chromium (/usr/bin/chromium) driven
// by playwright-core, against the examples in examples/browser/ served on 127.0.0.1 by
// examples/browser/serve.mjs. Installs nothing: it fails loudly when chromium or the build is
// missing (scripts/setup-browser.sh and `make build-wasm` provide them).
//   1. the package-check page: the signed sample verifies; a tampered one is refused
//      (FILE_CHANGED), an injected file too (FILE_EXTRA); a typed-in digest pin works
//   2. the service worker: the signed app runs; with a server that tampers a script, the
//      worker refuses it (FILE_CHANGED) and the app does not run; an unlisted script is
//      refused (FILE_EXTRA)
//   3. attacks on the service worker itself (docs/threat-model.md, B1–B6), each performed by a
//      server that misbehaves: it changes the verifier's glue or module, changes the worker
//      script, serves a page with new pins while delaying the new worker, clears the site's
//      storage, serves an older signed release (also after a forced worker stop, over CDP), or
//      answers other spellings of app URLs
//   4. the registry page (browser-registry.mjs): registries made by the omega CLI, served by
//      nginx; the chain of a good release and its download, a critical notice, a tampered
//      object (NOT_IN_LOG), a grown then forked log (LOG_INCONSISTENT); a timing is printed
// Screenshots go to test-artifacts/ (git-ignored). Run: node bindings/wasm/test/browser.mjs
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { repo, wasmDir } from './helpers.mjs';

const CHROMIUM = process.env.OMEGA_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = join(repo, 'test-artifacts');
const DEADLINE_MS = 480_000;

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
const { startServer, TAMPER_LINE } = await import(join(repo, 'examples', 'browser', 'serve.mjs'));
// The worker and its page are build products pinned to pkg/: make sure they are this build's.
const { buildWorker } = await import(join(repo, 'examples', 'browser', 'sw', 'build-worker.mjs'));
let PINNED;
try {
  PINNED = buildWorker();
} catch (e) {
  die(e.message);
}

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
    assert.equal(await p.isVisible('#guard-warning'), false, 'no worker warning');
    assert.equal(await p.getAttribute('body', 'data-guard'), null);
    // The lazy import goes through the guard and the worker.
    await p.click('#app-details');
    await p.waitForSelector('#app[data-details]', { timeout: 10_000 });
    assert.equal(await p.getAttribute('#app', 'data-details'), '1.1.0');
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


// ---------------------------------------------------------------------------------------------
// 3. Attacks on the service worker (docs/threat-model.md, "Review fixes: the browser service
// worker"). Each runs against its own server (a fresh one per scenario), in a fresh profile.

const SW = '/examples/browser/sw';
const APP_FILES = 'examples/browser/sw/app';
const OLD_RELEASE = 'examples/browser/samples/sw-app-1.0.0/';
const OTHER_TREE = 'examples/browser/samples/sw-app-1.1.0-other/';

async function withServer(opts, fn) {
  const srv = await startServer({ requests: [], ...opts });
  try {
    return await fn(srv);
  } finally {
    await srv.close();
  }
}

/** Stops every service worker of the browser (CDP ServiceWorker.stopAllWorkers) and waits until
 * CDP reports each running version stopped: its memory (any verdict it held) is gone. */
async function stopWorkers(p) {
  const cdp = await p.context().newCDPSession(p);
  const running = new Map();
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    for (const v of versions) running.set(v.versionId, v.runningStatus);
  });
  await cdp.send('ServiceWorker.enable');
  await new Promise((r) => setTimeout(r, 200));
  assert.ok([...running.values()].includes('running'), `a worker was running before the stop: ${JSON.stringify([...running])}`);
  await cdp.send('ServiceWorker.stopAllWorkers');
  const until = Date.now() + 10_000;
  while ([...running.values()].some((s) => s !== 'stopped')) {
    if (Date.now() > until) throw new Error(`workers still running: ${JSON.stringify([...running])}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await cdp.detach();
}

async function appRunning(p) {
  await p.waitForSelector('#app[data-state="running"]', { timeout: 10_000 });
  assert.equal(await p.getAttribute('body', 'data-verdict'), 'ok');
}

// A line that, appended to the wasm-bindgen glue, makes every check pass: the glue's exports are
// live bindings of its function declarations, so reassigning one changes what importers call.
const FORGE_GLUE = `
;checkPackageFiles = (files) => ({ ok: true, code: null, message: null, package: 'omega-sw-example-app',
  version: '6.6.6', sequence: 666, files: files.length, tree: 'b2tree:${'0'.repeat(64)}', manifest_tree: null,
  pinned_digest: null, threshold: 1, signed_by: ['forged'], signatures: [], problems: [] });
`;

await scenario('B1 service worker: a server that changes the verifier glue (omega.js) cannot pass a tampered app', async () => {
  await withServer({ tamper: [`${APP_FILES}/lib/greet.js`], append: { 'bindings/wasm/pkg/omega.js': FORGE_GLUE } }, async (srv) => {
    const glue = await (await fetch(`${srv.url}/bindings/wasm/pkg/omega.js`)).text();
    assert.ok(glue.includes('forged'), 'the server really serves the forged glue');
    srv.options.requests.length = 0;
    const p = await swPage(srv, 'sw-b1-glue');
    try {
      assert.equal(await p.getAttribute('body', 'data-verdict'), 'FILE_CHANGED');
      await p.waitForSelector('#app[data-state="blocked"]', { timeout: 10_000 });
      assert.equal(await p.evaluate(() => globalThis.__tampered ?? false), false, 'the tampered script did not run');
      assert.ok(!srv.options.requests.some((r) => r.endsWith('/omega.js')), 'the worker never fetched the glue');
      await p.shot('browser-b1-glue-forged.png');
    } finally {
      await p.done();
    }
  });
});

await scenario('B1 service worker: a changed verifier module (omega_bg.wasm) is refused before it is instantiated', async () => {
  // A custom section appended: still a valid module that behaves the same; the unpinned worker ran it.
  const section = Buffer.from([0x00, 0x06, 0x01, 0x78, 0x65, 0x76, 0x69, 0x6c]); // id 0, size 6, name "x", "evil"
  await withServer({ append: { 'bindings/wasm/pkg/omega_bg.wasm': section } }, async (srv) => {
    const p = await swPage(srv, 'sw-b1-wasm');
    try {
      assert.equal(await p.getAttribute('body', 'data-verdict'), 'FILE_CHANGED');
      assert.match(await p.textContent('#verdict'), /omega_bg\.wasm served is sha384-.*not the sha384-/);
      assert.match(await p.textContent('#verdict'), new RegExp(PINNED.verifier.replace(/[+/]/g, '\\$&')));
      await p.waitForSelector('#app[data-state="blocked"]', { timeout: 10_000 });
      await p.shot('browser-b1-wasm-changed.png');
    } finally {
      await p.done();
    }
  });
});

await scenario('B2 service worker: a changed worker script is not let in; the page warns and stops the app', async () => {
  await withServer({}, async (srv) => {
    const p = await swPage(srv, 'sw-b2-update');
    try {
      await appRunning(p);
      // The server now serves another worker script (one line added), as a compromised origin file would.
      srv.options.append['examples/browser/sw/omega-sw.js'] = '\n;self.__evil = true;\n';
      await p.reload();
      await p.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      assert.equal(await p.getAttribute('body', 'data-guard'), 'WORKER_CHANGED');
      assert.equal(await p.isVisible('#guard-warning'), true, 'the warning is shown');
      assert.match(await p.textContent('#guard-warning'), /service-worker script changed/);
      assert.notEqual(await p.getAttribute('#app', 'data-state'), 'running', 'the app did not start');
      assert.equal(await p.$('.app-greeting'), null, 'no app code ran');
      // The changed worker is not left waiting to take over once the page closes.
      await p.waitForFunction(async () => (await navigator.serviceWorker.getRegistrations()).length === 0, null, { timeout: 10_000 });
      await p.shot('browser-b2-worker-changed.png');
    } finally {
      await p.done();
    }
  });
});

await scenario('B2 service worker: a changed worker found while the app runs stops the app and is never let in', async () => {
  await withServer({}, async (srv) => {
    const p = await swPage(srv, 'sw-b2-running');
    try {
      await appRunning(p);
      srv.options.append['examples/browser/sw/omega-sw.js'] = '\n;self.__evil = true;\n';
      // The browser's own update check (it runs one on navigations and at least daily).
      await p.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update().catch(() => null));
      await p.waitForSelector('body[data-guard="WORKER_CHANGED"]', { timeout: 15_000 });
      assert.equal(await p.isVisible('#guard-warning'), true, 'the warning is shown');
      assert.equal(await p.getAttribute('#app', 'data-state'), 'stopped');
      srv.options.append[`${APP_FILES}/lib/details.js`] = TAMPER_LINE;
      await p.click('#app-details');
      await p.waitForSelector('#app[data-details]', { timeout: 10_000 });
      assert.equal(await p.getAttribute('#app', 'data-details'), 'refused', 'no code is loaded any more');
      assert.equal(await p.evaluate(() => globalThis.__tampered ?? false), false);
      await p.waitForFunction(async () => (await navigator.serviceWorker.getRegistrations()).length === 0, null, { timeout: 10_000 });
    } finally {
      await p.done();
    }
  });
});

await scenario('B2 service worker: on a first visit, a changed worker script is never registered', async () => {
  await withServer({ append: { 'examples/browser/sw/omega-sw.js': '\n;self.__evil = true;\n' } }, async (srv) => {
    const p = await swPage(srv, 'sw-b2-first');
    try {
      assert.equal(await p.getAttribute('body', 'data-guard'), 'WORKER_CHANGED');
      assert.equal(await p.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length), 0, 'nothing registered');
      assert.notEqual(await p.getAttribute('#app', 'data-state'), 'running');
    } finally {
      await p.done();
    }
  });
});

await scenario('B3 service worker: a page with new pins never runs under the worker of its previous pins', async () => {
  await withServer({}, async (srv) => {
    const p = await swPage(srv, 'sw-b3-pins');
    try {
      await appRunning(p);
      // The page now pins a digest the app does not have (as after pinning a new key), and the
      // server delays the new worker so that the old one is still the active controller.
      const digest = `b2tree:${'0'.repeat(64)}`;
      srv.options.replace['examples/browser/sw/index.html'] = [['"threshold": 1', `"threshold": 1, "digest": "${digest}"`]];
      srv.options.delay[`${SW}/omega-sw.js`] = 2_500;
      await p.reload();
      await p.waitForSelector('body[data-ready="true"]', { timeout: 40_000 });
      assert.ok((await p.textContent('#omega-pins')).includes(digest), 'the page pins the digest');
      assert.equal(await p.getAttribute('body', 'data-verdict'), 'DIGEST_MISMATCH');
      await p.waitForSelector('#app[data-state="blocked"]', { timeout: 10_000 });
      const ctl = await p.evaluate(() => decodeURIComponent(navigator.serviceWorker.controller.scriptURL));
      assert.ok(ctl.includes(digest), `the controller is the worker of the new pins: ${ctl}`);
      await p.shot('browser-b3-new-pins.png');
    } finally {
      await p.done();
    }
  });
});

await scenario('B4 service worker: after Clear-Site-Data unregisters the worker, a tampered lazy import does not run', async () => {
  await withServer({}, async (srv) => {
    const p = await swPage(srv, 'sw-b4-clear');
    try {
      await appRunning(p);
      srv.options.headers[`${SW}/ping.txt`] = { 'clear-site-data': '"storage"' };
      srv.options.append[`${APP_FILES}/lib/details.js`] = TAMPER_LINE;
      await p.evaluate(() => fetch('ping.txt').catch(() => null));
      await p.waitForFunction(() => !navigator.serviceWorker.controller, null, { timeout: 10_000 });
      const before = srv.options.requests.length;
      await p.click('#app-details');
      await p.waitForSelector('#app[data-details]', { timeout: 10_000 });
      assert.equal(await p.getAttribute('#app', 'data-details'), 'refused');
      assert.equal(await p.evaluate(() => globalThis.__tampered ?? false), false, 'the tampered module did not run');
      assert.equal(await p.getAttribute('body', 'data-guard'), 'WORKER_LOST');
      assert.equal(await p.isVisible('#guard-warning'), true, 'the warning is shown');
      assert.ok(!srv.options.requests.slice(before).some((r) => r.endsWith('/lib/details.js')), 'details.js was not requested after the worker was gone');
      await p.shot('browser-b4-clear-site-data.png');
    } finally {
      await p.done();
    }
  });
});

await scenario('B5 service worker: an older signed release is refused with ROLLBACK, also after the worker restarts', async () => {
  await withServer({}, async (srv) => {
    const p = await swPage(srv, 'sw-b5-rollback');
    try {
      await appRunning(p);
      assert.match(await p.textContent('#verdict'), /@1\.1\.0/);
      srv.options.mount[`${SW}/app/`] = OLD_RELEASE;
      const old = await (await fetch(`${srv.url}${SW}/app/.omega/manifest.json`)).json();
      assert.equal(old.sequence, 1, 'the server really serves the older release');
      await stopWorkers(p);
      await p.reload();
      await p.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      assert.equal(await p.getAttribute('body', 'data-verdict'), 'ROLLBACK');
      assert.match(await p.textContent('#verdict'), /sequence 1.*already verified release 1\.1\.0 \(sequence 2/);
      await p.waitForSelector('#app[data-state="blocked"]', { timeout: 10_000 });
      await p.shot('browser-b5-rollback.png');
    } finally {
      await p.done();
    }
  });
});

await scenario('B5 service worker: the same sequence with another tree is refused with ROLLBACK', async () => {
  await withServer({}, async (srv) => {
    const p = await swPage(srv, 'sw-b5-same-seq');
    try {
      await appRunning(p);
      srv.options.mount[`${SW}/app/`] = OTHER_TREE;
      const other = await (await fetch(`${srv.url}${SW}/app/.omega/manifest.json`)).json();
      assert.equal(other.sequence, 2, 'the server really serves another tree with sequence 2');
      await stopWorkers(p);
      await p.reload();
      await p.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      assert.equal(await p.getAttribute('body', 'data-verdict'), 'ROLLBACK');
      assert.match(await p.textContent('#verdict'), /sequence 2 and another tree/);
      await p.waitForSelector('#app[data-state="blocked"]', { timeout: 10_000 });
    } finally {
      await p.done();
    }
  });
});

await scenario('B5 service worker: a running page keeps to its release: after a worker stop, a lazy import comes from the verified snapshot', async () => {
  await withServer({}, async (srv) => {
    const p = await swPage(srv, 'sw-b5-mix');
    try {
      await appRunning(p);
      srv.options.mount[`${SW}/app/`] = OLD_RELEASE;
      await stopWorkers(p);
      await p.click('#app-details');
      await p.waitForSelector('#app[data-details]', { timeout: 10_000 });
      assert.equal(await p.getAttribute('#app', 'data-details'), '1.1.0', 'served from the release the page started with');
      assert.match(await p.textContent('.app-details'), /Release 1\.1\.0/);
      await p.shot('browser-b5-snapshot.png');
    } finally {
      await p.done();
    }
  });
});

await scenario('B6 service worker: other spellings of app URLs cannot skip the worker', async () => {
  await withServer({}, async (srv) => {
    const p = await swPage(srv, 'sw-b6-spelling');
    try {
      await appRunning(p);
      const spellings = ['%61pp/injected.js', 'app%2Finjected.js', 'app%2F..%2Fapp/injected.js', '%2561pp/injected.js', 'app/lib%2F..%2Finjected.js', 'app\\injected.js'];
      for (const s of spellings) {
        const r = await p.evaluate((src) => new Promise((resolve) => {
          const el = document.createElement('script');
          el.src = src;
          el.onload = () => resolve('loaded');
          el.onerror = () => resolve('refused');
          document.head.append(el);
        }), s);
        assert.equal(r, 'refused', `${s} was refused`);
        assert.equal(await p.evaluate(() => window.__omegaInjected ?? false), false, `${s} did not run`);
      }
      // A listed file under another spelling is served from the verified bytes.
      const h = await p.evaluate(async () => {
        const r = await fetch('%61pp/lib/greet.js');
        return { status: r.status, verified: r.headers.get('x-omega-verified') };
      });
      assert.equal(h.status, 200);
      assert.match(h.verified ?? '', /^b2tree:/);
      await p.shot('browser-b6-spellings.png');
    } finally {
      await p.done();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 4. The registry page (examples/browser/registry.html): see browser-registry.mjs.
const { registryPageScenarios } = await import('./browser-registry.mjs');
await registryPageScenarios({ browser, scenario, artifacts: ARTIFACTS });

await browser.close();
await good.close();
await evil.close();
clearTimeout(watchdog);
const failed = results.filter((r) => r[1] !== 'ok').length;
console.log(`\nbrowser tests: ${results.length - failed} passed, ${failed} failed; screenshots in ${ARTIFACTS}`);
process.exit(failed ? 1 : 0);
