// node --import omega-verify/register app.mjs
// Enforcing mode for ES modules and CommonJS alike (docs/node.md): the same as register.js.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
require('./lib/register.js').install();
