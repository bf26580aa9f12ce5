// ESM hooks of enforcing mode (registered by lib/register.js through module.register; they run
// on Node's hooks thread). `resolve` checks the package that steered a bare specifier when the
// resolved file lies outside it; `load` checks every file's package before its source is read.
// The checks are lib/enforce.js's, with this thread's engine.

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
let enforcer = null;
let checkSteering = null;

export async function initialize(data) {
  const engine = require('./engine.js');
  const { Enforcer } = require('./enforce.js');
  ({ checkSteering } = require('./register.js'));
  enforcer = new Enforcer(data.config, engine);
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (enforcer && result.url.startsWith('file:')) {
    const from = context.parentURL && context.parentURL.startsWith('file:')
      ? path.dirname(fileURLToPath(context.parentURL))
      : process.cwd();
    checkSteering(enforcer, specifier, from, fileURLToPath(result.url));
  }
  return result;
}

export async function load(url, context, nextLoad) {
  if (enforcer && url.startsWith('file:')) enforcer.beforeLoad(fileURLToPath(url));
  return nextLoad(url, context);
}
