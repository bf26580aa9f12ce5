'use strict';
// make dist-check (part of make test): the npm platform package skeletons in bindings/node/npm/
// are what their names say (os, cpu, libc, the addon file), at the workspace's version, and
// cover the four Linux platforms that lib/native.js looks for. Fast: no build.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const version = /^version = "(.*)"/m.exec(fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8'))[1];
const dir = path.join(root, 'bindings', 'node', 'npm');
const want = ['linux-arm64-gnu', 'linux-arm64-musl', 'linux-x64-gnu', 'linux-x64-musl'];
const got = fs.readdirSync(dir).sort();
const problems = [];
if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${dir} holds ${got}, expected ${want}`);
let checked = 0;
for (const name of got) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, name, 'package.json'), 'utf8'));
  const [os, cpu, abi] = name.split('-');
  const libc = abi === 'gnu' ? 'glibc' : 'musl';
  const expect = {
    name: `omega-verify-${name}`, version, main: `omega.${name}.node`,
    files: [`omega.${name}.node`], os: [os], cpu: [cpu], libc: [libc],
  };
  for (const [k, v] of Object.entries(expect)) {
    if (JSON.stringify(pkg[k]) !== JSON.stringify(v)) problems.push(`${name}/package.json: ${k} is ${JSON.stringify(pkg[k])}, expected ${JSON.stringify(v)}`);
  }
  if (!fs.existsSync(path.join(dir, name, 'README.md'))) problems.push(`${name}: no README.md`);
  checked++;
}
const main = JSON.parse(fs.readFileSync(path.join(root, 'bindings', 'node', 'package.json'), 'utf8'));
if (main.version !== version) problems.push(`bindings/node/package.json: version ${main.version}, the workspace ${version}`);
if (problems.length) {
  console.error(`dist-check: ${problems.length} problems:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`dist-check: ${checked} npm platform packages agree with their names and version ${version}`);
