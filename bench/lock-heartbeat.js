#!/usr/bin/env node
/*
 * Cost of one storage-lease heartbeat (fencing layer 4): read the JENKINS_HOME lock, write it
 * again atomically (temp file + rename, no fsync), as the leader does every lock.heartbeatMs.
 * For comparison, the same write with fsync (what the launch does once).
 *
 *   node bench/lock-heartbeat.js [--dir DIR] [--n 2000]     (npm run build first)
 *
 * Point --dir at the shared storage (an NFS mount) to measure there; the default is a temp dir.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { beatHomeLock } = require('../dist/fencing/storage-lease');
const { writeLockAtomic } = require('../dist/fencing/home-lock');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const n = Number(arg('n', '2000'));
const base = arg('dir', os.tmpdir());
const dir = fs.mkdtempSync(path.join(base, 'jha-lock-bench-'));
const self = { epoch: 7, nodeId: 'bench', host: os.hostname(), pid: process.pid, cluster: 'bench', time: new Date().toISOString() };

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: +q(0.5).toFixed(3), p95: +q(0.95).toFixed(3), p99: +q(0.99).toFixed(3), max: +s[s.length - 1].toFixed(3) };
}

async function main() {
  const beat = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = await beatHomeLock(dir, self, Date.now);
    if (r.kind === 'error' || r.kind === 'newer') throw new Error(JSON.stringify(r));
    beat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const durable = [];
  for (let i = 0; i < Math.min(n, 200); i++) {
    const t0 = process.hrtime.bigint();
    await writeLockAtomic(dir, { ...self, state: 'held', heartbeatAt: Date.now() }, true);
    durable.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const cpu = process.cpuUsage();
  console.log(JSON.stringify({ dir: base, heartbeatMs: stats(beat), durableWriteMs: stats(durable), cpuUserMsPerBeat: +(cpu.user / 1000 / (n + durable.length)).toFixed(3), node: process.version, cpus: os.cpus().length }));
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
