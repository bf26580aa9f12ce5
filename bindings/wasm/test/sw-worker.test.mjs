// The service-worker example's build step (examples/browser/sw/build-worker.mjs): the worker it
// writes carries the wasm-bindgen glue inlined (and working), pins this build's omega_bg.wasm
// by SHA-384, loads no code, and the page pins the worker's own SHA-384 (threat model B1, B2).
// The attacks themselves run in Chromium: test/browser.mjs, scenarios B1–B6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repo, wasmDir } from './helpers.mjs';

const { buildWorker, glueAsFunctionBody, sri } = await import(join(repo, 'examples', 'browser', 'sw', 'build-worker.mjs'));
const pkg = join(wasmDir, 'pkg');
const sw = join(repo, 'examples', 'browser', 'sw');
const glue = readFileSync(join(pkg, 'omega.js'), 'utf8');
const wasm = readFileSync(join(pkg, 'omega_bg.wasm'));

test('the inlined glue instantiates the checked bytes and verifies', async () => {
  const omega = new Function(glueAsFunctionBody(glue))();
  await omega.default({ module_or_path: wasm });
  assert.match(omega.digestFiles([{ path: 'a.js', data: 'x' }]), /^b2tree:[0-9a-f]{64}$/);
  assert.equal(typeof omega.checkPackageFiles, 'function');
});

test('the inlined glue never fetches the module itself', async () => {
  const omega = new Function(glueAsFunctionBody(glue))();
  await assert.rejects(omega.default(), /must be passed in, checked/);
});

test('glue that would load code is refused at build time', () => {
  assert.throws(() => glueAsFunctionBody(`${glue}\nimport evil from './evil.js';\n`), /still has "import"/);
  assert.throws(() => glueAsFunctionBody(`${glue}\nconst e = import('./evil.js');\n`), /still has/);
});

test('the worker pins this build of omega_bg.wasm, and the page pins the worker', () => {
  const r = buildWorker();
  assert.equal(r.verifier, sri(wasm));
  const worker = readFileSync(join(sw, 'omega-sw.js'));
  assert.ok(worker.toString().includes(`const OMEGA_WASM_SHA384 = ${JSON.stringify(r.verifier)};`));
  assert.equal(sri(worker), r.worker);
  assert.doesNotMatch(worker.toString(), /^\s*import\b|\bimportScripts\s*\(/m);
  const page = readFileSync(join(sw, 'index.html'), 'utf8');
  const pin = JSON.parse(/<script type="application\/json" id="omega-worker">([\s\S]*?)<\/script>/.exec(page)[1]);
  assert.deepEqual(pin, { script: 'omega-sw.js', sha384: r.worker, verifier: r.verifier });
  assert.ok(page.includes(`src="boot.js" integrity="${sri(readFileSync(join(sw, 'boot.js')))}"`));
});
