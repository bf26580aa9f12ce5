'use strict';
// The WASM engine's worker thread: runs the synchronous engine functions that the promise
// forms ask for (reading and hashing happen here, not on the event loop), and sends back the
// value or the error's code, message and report.

const { parentPort } = require('node:worker_threads');
const engine = require('./wasm.js');

const OPS = new Set(['digestDirSync', 'checkDirSync', 'verifyFileSync', 'tableListingSync']);

parentPort.on('message', ({ id, op, args }) => {
  try {
    if (!OPS.has(op)) throw new Error(`unknown operation ${op}`);
    parentPort.postMessage({ id, ok: true, value: engine[op](...args) });
  } catch (e) {
    parentPort.postMessage({
      id,
      ok: false,
      error: {
        type: e instanceof TypeError ? 'TypeError' : e && e.name === 'OmegaError' ? 'OmegaError' : 'Error',
        code: e && e.code,
        message: e && e.name === 'OmegaError' ? e.detail : String(e && e.message),
        report: e && e.report,
      },
    });
  }
});
