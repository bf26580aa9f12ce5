'use strict';
// Test fixtures: projects with node_modules packages packed and signed by the real `omega`
// command line, and pinned with `omega lock`. The engine under test is chosen by OMEGA_ENGINE
// (the suite runs once with `native` and once with `wasm`; see mk/node.mk).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');

const PKG_DIR = path.resolve(__dirname, '..');
const REPO = path.resolve(PKG_DIR, '..', '..');
const ENGINE = process.env.OMEGA_ENGINE || 'auto';

/** The `omega` binary: OMEGA_BIN, else the workspace's release or debug build. */
function omegaBin() {
  const candidates = [
    process.env.OMEGA_BIN,
    path.join(REPO, 'target', 'release', 'omega'),
    path.join(REPO, 'target', 'debug', 'omega'),
  ].filter(Boolean);
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(`no omega binary (looked at ${candidates.join(', ')}): run cargo build --release -p omega-cli`);
}

function omega(...args) {
  return execFileSync(omegaBin(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// Every folder a test makes is inside one folder per test process, removed when the process
// exits: a suite leaves nothing behind in the temp folder (a run of the six suites made about
// 5,000 folders, 1.3 GB, and the CI machine's disk filled). mk/node.mk checks that it is empty.
let scratch;
function tmpdir(prefix = 'omega-node-') {
  if (!scratch) {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'omega-test-'));
    process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 }));
  }
  return fs.mkdtempSync(path.join(scratch, prefix));
}

function write(file, text, mode) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  if (mode) fs.chmodSync(file, mode);
}

/** A package's index.js that records in $OMEGA_TEST_MARKER (and globalThis) that it ran. */
function recorder(id, body) {
  return `'use strict';
require('node:fs').appendFileSync(process.env.OMEGA_TEST_MARKER || '/dev/null', ${JSON.stringify(`${id}\n`)});
(globalThis.__omegaRan = globalThis.__omegaRan || []).push(${JSON.stringify(id)});
${body}
`;
}

/**
 * The fixture project (packages in node_modules, all pinned in omega.lock):
 *   alpha@1.0.0           signed; index.js requires ./lib/util.js
 *   @scope/beta@2.0.0     signed; requires alpha, and gets its own nested alpha@2.0.0
 *   …/beta/node_modules/alpha@2.0.0  signed (a nested duplicate: keyed by its path in the lock)
 *   gamma@0.3.0           unsigned (pinned by digest only)
 *   delta@1.0.0           signed ES module package ("type": "module")
 * and, not pinned (installed after `omega lock`): stray@1.0.0.
 * Returns {root, key, pub, digests: {alpha, beta, nestedAlpha, gamma, delta}}.
 */
function makeProject() {
  const root = tmpdir();
  const nm = path.join(root, 'node_modules');
  omega('keygen', '-W', '-s', path.join(root, 'author.key'), '-p', path.join(root, 'author.pub'));
  const pub = fs.readFileSync(path.join(root, 'author.pub'), 'utf8').split('\n')[1].trim();

  const alpha = (dir, version) => {
    write(path.join(dir, 'package.json'), JSON.stringify({ name: 'alpha', version, main: 'index.js' }) + '\n');
    write(path.join(dir, 'index.js'), recorder(`alpha@${version}`, `module.exports = { name: 'alpha', version: ${JSON.stringify(version)}, util: require('./lib/util.js') };`));
    write(path.join(dir, 'lib', 'util.js'), `module.exports = 'util of alpha@${version}';\n`);
    write(path.join(dir, 'README.md'), `# alpha ${version}\n`);
    write(path.join(dir, 'bin', 'alpha'), '#!/bin/sh\necho alpha\n', 0o755);
  };
  alpha(path.join(nm, 'alpha'), '1.0.0');
  const beta = path.join(nm, '@scope', 'beta');
  write(path.join(beta, 'package.json'), JSON.stringify({ name: '@scope/beta', version: '2.0.0' }) + '\n');
  write(path.join(beta, 'index.js'), recorder('@scope/beta', "const alpha = require('alpha');\nmodule.exports = { name: '@scope/beta', alpha: alpha.version };"));
  const nested = path.join(beta, 'node_modules', 'alpha');
  const gamma = path.join(nm, 'gamma');
  write(path.join(gamma, 'package.json'), JSON.stringify({ name: 'gamma', version: '0.3.0' }) + '\n');
  write(path.join(gamma, 'index.js'), recorder('gamma', "module.exports = 'gamma';"));
  const delta = path.join(nm, 'delta');
  write(path.join(delta, 'package.json'), JSON.stringify({ name: 'delta', version: '1.0.0', type: 'module', exports: './index.js' }) + '\n');
  write(path.join(delta, 'index.js'), `import { appendFileSync } from 'node:fs';
appendFileSync(process.env.OMEGA_TEST_MARKER || '/dev/null', 'delta\\n');
export default 'delta';
`);

  const key = path.join(root, 'author.key');
  omega('pack', path.join(nm, 'alpha'), '--name', 'alpha', '--version', '1.0.0', '--sequence', '1', '-s', key);
  omega('pack', beta, '--name', '@scope/beta', '--version', '2.0.0', '--sequence', '1', '-s', key);
  alpha(nested, '2.0.0'); // installed into beta after beta was packed, as npm nests it
  omega('pack', nested, '--name', 'alpha', '--version', '2.0.0', '--sequence', '2', '-s', key);
  omega('pack', delta, '--name', 'delta', '--version', '1.0.0', '--sequence', '1', '-s', key);
  omega('lock', root);

  const stray = path.join(nm, 'stray');
  write(path.join(stray, 'package.json'), JSON.stringify({ name: 'stray', version: '1.0.0' }) + '\n');
  write(path.join(stray, 'index.js'), recorder('stray', "module.exports = 'stray';"));

  write(path.join(root, 'package.json'), JSON.stringify({ name: 'fixture-app', private: true }) + '\n');
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'omega.lock'), 'utf8'));
  const tree = (k) => lock.packages[k].tree;
  return {
    root,
    key,
    pub,
    lock,
    digests: {
      alpha: tree('alpha'),
      beta: tree('@scope/beta'),
      nestedAlpha: tree('node_modules/@scope/beta/node_modules/alpha'),
      gamma: tree('gamma'),
      delta: tree('delta'),
    },
  };
}

let pristine = null;

/** A fresh copy of the fixture project (built once per test file). */
function project() {
  if (!pristine) pristine = makeProject();
  const root = tmpdir();
  fs.cpSync(pristine.root, root, { recursive: true, verbatimSymlinks: true });
  return { ...pristine, root, key: path.join(root, 'author.key') };
}

/** Runs node with `args` in `cwd`; returns {status, stdout, stderr, ran: [ids of packages whose code ran]}. */
function runNode(cwd, args, env = {}) {
  const marker = path.join(tmpdir('omega-marker-'), 'ran');
  fs.writeFileSync(marker, '');
  const r = spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, OMEGA_TEST_MARKER: marker, ...env },
    timeout: 60_000,
  });
  const ran = fs.readFileSync(marker, 'utf8').split('\n').filter(Boolean);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ran };
}

/** A fresh require of omega-verify with the engine under test. */
function loadOmega() {
  return require(PKG_DIR);
}

module.exports = { PKG_DIR, REPO, ENGINE, omega, omegaBin, tmpdir, write, project, makeProject, runNode, loadOmega };
