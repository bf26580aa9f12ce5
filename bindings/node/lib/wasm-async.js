'use strict';
// Promise forms of the WASM engine: the work runs in one worker thread (wasm-worker.js),
// started on first use and unref'd while idle, so it never keeps the process alive.

const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { OmegaError } = require('./errors.js');

let worker = null;
let seq = 0;
const pending = new Map();

function rebuild(error) {
  if (error.type === 'OmegaError') return new OmegaError(error.code, error.message, error.report);
  const e = error.type === 'TypeError' ? new TypeError(error.message) : new Error(error.message);
  if (error.code !== undefined) e.code = error.code;
  return e;
}

function start() {
  // execArgv: [] so that `--require omega-verify/register` does not run again in the worker.
  worker = new Worker(path.join(__dirname, 'wasm-worker.js'), { execArgv: [] });
  worker.unref();
  worker.on('message', ({ id, ok, value, error }) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    if (ok) p.resolve(value);
    else p.reject(rebuild(error));
  });
  const fail = (err) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    worker = null;
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`omega-verify: the WASM worker exited with code ${code}`)));
}

/** Runs `op` (a synchronous engine function name) with `args` in the worker. */
function run(op, args) {
  if (!worker) start();
  const id = ++seq;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.ref();
    worker.postMessage({ id, op, args });
  });
}

module.exports = { run };
