// The WASM crate, built alone (no serde_json `preserve_order` in its build), prints the same
// JSON as the CLI: for every package.json vector case, the report (or error) of
// checkPackageFiles, as JSON text, is byte for byte what `omega check --json` prints for the
// same files written to a directory — key order included (omega-core's ReportJson).
// Needs the CLI: $OMEGA_CLI, else target/debug/omega (mk/wasm.mk builds it first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadOmega, projectCases, vectorFile, codeOf, repo } from './helpers.mjs';

const omega = loadOmega();
const cli = process.env.OMEGA_CLI || join(repo, 'target', 'debug', 'omega');

function runCli(dir, pins) {
  const args = ['check', dir, '--json'];
  if (pins.digest) args.push('--digest', pins.digest);
  for (const k of pins.keys ?? []) args.push('-P', k);
  if ((pins.keys ?? []).length > 0 && pins.threshold !== undefined && pins.threshold !== null) args.push('--threshold', String(pins.threshold));
  try {
    return { status: 0, stdout: execFileSync(cli, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    return { status: e.status, stdout: e.stdout };
  }
}

test('package.json: checkPackageFiles JSON equals omega check --json, byte for byte', () => {
  assert.ok(existsSync(cli), `${cli} is missing: run cargo build -p omega-cli (or set OMEGA_CLI)`);
  const root = mkdtempSync(join(tmpdir(), 'omega-wasm-cli-'));
  let compared = 0;
  try {
    for (const c of projectCases('package.json')) {
      if (c.pins.legacy) continue; // omega check has no legacy switch (omega verify does)
      const dir = join(root, c.name);
      const files = c.files.map(vectorFile);
      for (const f of files) {
        const path = join(dir, f.path);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, f.data, { mode: f.executable ? 0o755 : 0o644 });
      }
      mkdirSync(dir, { recursive: true });
      const pins = { digest: c.pins.digest, keys: c.pins.keys, threshold: c.pins.threshold, label: dir };
      const out = runCli(dir, c.pins);
      let wasmJson;
      const e = codeOf(() => { wasmJson = omega.checkPackageFiles(files, null, null, pins); });
      if (e) {
        assert.equal(out.status, e.kind === 'verification' ? 1 : 2, `${c.name}: exit status follows the kind`);
        if (e.report) {
          wasmJson = e.report;
        } else {
          const cliJson = JSON.parse(out.stdout);
          assert.equal(`${cliJson.code}: ${cliJson.message}`, e.message, c.name);
          compared += 1;
          continue;
        }
      } else {
        assert.equal(out.status, 0, `${c.name}: ${out.stdout}`);
      }
      assert.equal(JSON.stringify(wasmJson, null, 2) + '\n', out.stdout, c.name);
      compared += 1;
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  assert.ok(compared >= 15, `only ${compared} cases compared`);
});
