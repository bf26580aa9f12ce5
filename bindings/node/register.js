'use strict';
// node --require omega-verify/register app.js
// Enforcing mode: every package in node_modules is checked against omega.lock before its first
// file loads (docs/node.md). Also covers import and import() (module.register hooks).
require('./lib/register.js').install();
