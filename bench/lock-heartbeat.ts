/*
 * Cost of one storage-lease heartbeat (fencing layer 4): read the JENKINS_HOME lock, write it
 * again atomically (temp file + rename, no fsync), as the leader does every lock.heartbeatMs.
 * For comparison, the same write with fsync (what the launch does once).
 *
 *   node -r ./scripts/dev/register-ts.js bench/lock-heartbeat.ts [--dir DIR] [--n 2000]     (npm run build first)
 *
 * Point --dir at the shared storage (an NFS mount) to measure there; the default is a temp dir.
 * Not part of `npm run bench` (docs/safety.md quotes its figures).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { arg, dist, runMain } from './lib';

const { beatHomeLock } = dist<typeof import('../src/fencing/storage-lease')>('fencing/storage-lease');
const { writeLockAtomic } = dist<typeof import('../src/fencing/home-lock')>('fencing/home-lock');

const n = Number(arg('n', '2000'));
const base = String(arg('dir', os.tmpdir()));

/** This script's summary (p50/p99 and 3 decimals, as docs/safety.md quotes it). */
function stats(xs: readonly number[]): { n: number; p50: number; p95: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { n: s.length, p50: +q(0.5).toFixed(3), p95: +q(0.95).toFixed(3), p99: +q(0.99).toFixed(3), max: +(s[s.length - 1] ?? NaN).toFixed(3) };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(base, 'jha-lock-bench-'));
  const self = { epoch: 7, nodeId: 'bench', host: os.hostname(), pid: process.pid, cluster: 'bench', time: new Date().toISOString() };
  // CPU of the measured loops only (not of loading this script and its TypeScript loader).
  const cpu0 = process.cpuUsage();
  const beat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = await beatHomeLock(dir, self, Date.now);
    if (r.kind === 'error' || r.kind === 'newer') throw new Error(JSON.stringify(r));
    beat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const durable: number[] = [];
  for (let i = 0; i < Math.min(n, 200); i++) {
    const t0 = process.hrtime.bigint();
    await writeLockAtomic(dir, { ...self, state: 'held', heartbeatAt: Date.now() }, true);
    durable.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ dir: base, heartbeatMs: stats(beat), durableWriteMs: stats(durable), cpuUserMsPerBeat: +(cpu.user / 1000 / (n + durable.length)).toFixed(3), node: process.version, cpus: os.cpus().length }));
}

runMain(main);
