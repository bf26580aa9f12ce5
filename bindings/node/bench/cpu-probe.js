'use strict';
// Loaded first (`--require`) by interleaved.js with CPU=1: at exit, writes the CPU time of the
// main thread (process.threadCpuUsage, Node >= 23.9; else -1) and of the whole process (user +
// system, ms) to stderr as `omega-cpu <main> <process>`. On a machine shared with other work,
// CPU time moves far less than wall time, and the main thread's is the start's critical path.
process.on('exit', () => {
  const t = typeof process.threadCpuUsage === 'function' ? process.threadCpuUsage() : null;
  const p = process.cpuUsage();
  const main = t ? (t.user + t.system) / 1000 : -1;
  require('node:fs').writeSync(2, `omega-cpu ${main.toFixed(2)} ${((p.user + p.system) / 1000).toFixed(2)}\n`);
});
