// ESM hooks of enforcing mode on Node < 22.15 (registered by lib/register.js through
// module.register; they run on Node's hooks thread). Newer Nodes use module.registerHooks
// (lib/register.js, lib/compile.js) instead. `resolve` checks every resolution (lib/enforce.js checkResolved):
// the path looked up is the specifier's own path for a relative or file: specifier, and the
// package the name stands for for a bare one. `load` returns the verified bytes as the
// module's source (ES modules, JSON); CommonJS files keep Node's own loading, where the
// CommonJS hooks (compile.js, on the main thread) compile the verified bytes.

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
let enforcer = null;
let lookedUpPath = null;
let sameSource = null;

export async function initialize(data) {
  const engine = require('./engine.js');
  const { Enforcer, esmLookedUp } = require('./enforce.js');
  enforcer = new Enforcer(data.config, engine);
  lookedUpPath = esmLookedUp;
  ({ sameSource } = require('./compile.js'));
}

function fromDirOf(context) {
  const parent = context.parentURL && context.parentURL.startsWith('file:') ? fileURLToPath(context.parentURL) : null;
  return parent ? path.dirname(parent) : process.cwd();
}

export async function resolve(specifier, context, nextResolve) {
  // A bare name's package is verified before Node reads its package.json (a FIFO never blocks).
  if (enforcer) enforcer.beforeResolve(specifier, fromDirOf(context));
  const result = await nextResolve(specifier, context);
  if (enforcer && result.url.startsWith('file:')) {
    const from = fromDirOf(context);
    enforcer.checkResolved(specifier, from, fileURLToPath(result.url), lookedUpPath(specifier, context.parentURL));
  }
  return result;
}

export async function load(url, context, nextLoad) {
  if (!enforcer || !url.startsWith('file:')) return nextLoad(url, context);
  const bytes = enforcer.beforeLoad(fileURLToPath(url));
  const result = await nextLoad(url, context);
  if (bytes === null || result.format === 'builtin') return result;
  // CommonJS on Node 20: no source here; Node's CommonJS loader reads the file, and the
  // CommonJS hooks compile the verified bytes. Where a source is given (newer Nodes), it is
  // the verified one.
  if (result.format === 'commonjs' && (result.source === null || result.source === undefined)) return result;
  // Node chose the format from the bytes it read: they must be the verified ones.
  if (result.source !== null && result.source !== undefined) sameSource(fileURLToPath(url), result.source, bytes);
  return { ...result, source: bytes };
}
