// Preload for bench/idle-breakdown.ts --instrument --preload bench/idle-count-preload.js: counts timer callbacks fired by creation site
// (first dist/ or node_modules frame) and ZooKeeper requests by op and path (node-zookeeper-client ConnectionManager.queue);
// on SIGUSR2 it writes both to $COUNT_TIMERS_OUT.<pid>.<ms>.json and $COUNT_TIMERS_OUT.zk.<pid>.<ms>.json. A hand tool: it costs CPU.
'use strict';
const fs = require('fs');
const counts = new Map();
function site() {
  const s = new Error().stack.split('\n').slice(3);
  const f = s.find((l) => /\/(dist|node_modules)\//.test(l) && !l.includes('count-timers')) || s[0] || '?';
  return f.trim().replace(/^at /, '').replace(/\/work\/wt\/[^/]+\//, '').replace(/\/work\/main\//, '');
}
function wrap(name) {
  const orig = globalThis[name];
  globalThis[name] = function (cb, ...rest) {
    if (typeof cb !== 'function') return orig.call(this, cb, ...rest);
    const k = name + ' ' + site();
    return orig.call(this, function (...a) { counts.set(k, (counts.get(k) || 0) + 1); return cb.apply(this, a); }, ...rest);
  };
}
wrap('setTimeout'); wrap('setInterval'); wrap('setImmediate');
process.on('SIGUSR2', () => {
  fs.writeFileSync(`${process.env.COUNT_TIMERS_OUT}.${process.pid}.${Date.now()}.json`, JSON.stringify(Object.fromEntries(counts)));
});
// ZooKeeper requests by op code and path (node-zookeeper-client's ConnectionManager.queue)
const zkCounts = new Map();
try {
  const cmPath = require.resolve('node-zookeeper-client/lib/ConnectionManager.js', { paths: [process.cwd()] });
  const CM = require(cmPath);
  const jute = require(require.resolve('node-zookeeper-client/lib/jute/index.js', { paths: [process.cwd()] }));
  const names = Object.fromEntries(Object.entries(jute.OP_CODES).map(([k, v]) => [v, k]));
  const q = CM.prototype.queue;
  CM.prototype.queue = function (request, cb) {
    const t = request && request.header ? names[request.header.type] || request.header.type : '?';
    const p = request && request.payload && request.payload.path ? String(request.payload.path).replace(/\d{6,}/g, 'N') : '';
    const k = `${t} ${p}`;
    zkCounts.set(k, (zkCounts.get(k) || 0) + 1);
    return q.call(this, request, cb);
  };
} catch (e) { process.stderr.write('count-timers: no zk hook: ' + e.message + '\n'); }
process.on('SIGUSR2', () => {
  fs.writeFileSync(`${process.env.COUNT_TIMERS_OUT}.zk.${process.pid}.${Date.now()}.json`, JSON.stringify(Object.fromEntries(zkCounts)));
});
