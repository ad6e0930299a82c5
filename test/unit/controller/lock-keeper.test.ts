/**
 * The lock keeper's side of the storage lease: beats that land keep it; when none has landed for
 * heartbeatMs + ioTimeoutMs while Jenkins runs (a hung home), it reports the lease lost once, so
 * the controller kills Jenkins before the lease runs out at a reader. Real helper processes.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { LockKeeper } from '../../../src/controller/lock-keeper';
import { HomeIo } from '../../../src/fencing/home-io';
import { lockPath } from '../../../src/fencing/home-lock';
import { silentLogger, type LogFields, type Logger } from '../../../src/logging/logger';
import { waitFor } from '../../helpers/wait';

const NEVER = [process.execPath, '-e', `process.stdout.write('{"id":0,"ok":true}\\n'); process.stdin.resume(); setInterval(() => {}, 1e9)`];
let home: string;
let io: HomeIo;
let keeper: LockKeeper | null = null;
const events: string[] = [];
const log: Logger = {
  ...silentLogger,
  error: (_m: string, f?: LogFields) => void events.push(String(f?.event)),
  warn: (_m: string, f?: LogFields) => void events.push(String(f?.event)),
  info: (_m: string, f?: LogFields) => void events.push(String(f?.event)),
  child: () => log,
};
const self = { epoch: 3, nodeId: 'a', host: 'h', pid: 1, cluster: 'c', time: '' };

beforeEach(async () => {
  home = await fs.mkdtemp(path.join(tmpdir(), 'jenkins-ha-keeper-'));
  events.length = 0;
});

afterEach(async () => {
  keeper?.stop();
  io.close();
  await fs.rm(home, { recursive: true, force: true });
});

async function start(o: { hung: boolean; running: () => boolean; onLost?: (r: string) => void }): Promise<LockKeeper> {
  io = new HomeIo({ timeoutMs: 150, logger: log, ...(o.hung ? { command: NEVER } : {}) });
  // As main.ts does at start-up: the helper is up before the first beat.
  io.warm();
  await waitFor(() => io.pids().ready, { timeoutMs: 10_000, what: 'the helper to start' });
  keeper = new LockKeeper({
    home,
    heartbeatMs: 100,
    holder: () => (o.running() ? self : null),
    wallNow: Date.now,
    logger: log,
    onNewer: () => undefined,
    io,
    ...(o.onLost ? { onLost: o.onLost } : {}),
  });
  keeper.start();
  return keeper;
}

it('reports the lease lost once, heartbeatMs + ioTimeoutMs after Jenkins started, when the home never answers', async () => {
  const lost: string[] = [];
  const k = await start({ hung: true, running: () => true, onLost: (r) => lost.push(r) });
  const t0 = performance.now();
  expect(k.lossAfterMs()).toBe(250);
  await waitFor(() => k.lost(), { timeoutMs: 5000, what: 'the lease is reported lost' });
  const at = performance.now() - t0;
  // The first beat starts one period in; the loss counts from it: 100 + 250 ms, give or take the timers.
  expect(at).toBeGreaterThanOrEqual(330);
  expect(at).toBeLessThan(1500);
  expect(lost).toHaveLength(1);
  expect(lost[0]).toContain('no JENKINS_HOME lock heartbeat landed for');
  expect(events).toContain('lock.lease_lost');
  expect(events).toContain('home.hung');
  await new Promise((r) => setTimeout(r, 400));
  expect(lost).toHaveLength(1);
});

it('keeps the lease while beats land', async () => {
  const lost: string[] = [];
  const k = await start({ hung: false, running: () => true, onLost: (r) => lost.push(r) });
  await waitFor(async () => (await fs.readFile(lockPath(home), 'utf8').catch(() => '')).includes('"heartbeatAt"'), { timeoutMs: 5000, what: 'a heartbeat' });
  const first = JSON.parse(await fs.readFile(lockPath(home), 'utf8')) as { heartbeatAt: number };
  await waitFor(async () => (JSON.parse(await fs.readFile(lockPath(home), 'utf8')) as { heartbeatAt: number }).heartbeatAt > first.heartbeatAt + 500, {
    timeoutMs: 5000,
    what: 'heartbeats for 500 ms',
  });
  expect(k.lost()).toBeNull();
  expect(lost).toEqual([]);
});

it('forgets a lost lease when Jenkins has stopped (nothing to fence any more)', async () => {
  let running = true;
  const k = await start({ hung: true, running: () => running });
  await waitFor(() => k.lost(), { timeoutMs: 5000, what: 'the lease is reported lost' });
  running = false;
  await waitFor(() => k.lost() === null, { timeoutMs: 5000, what: 'the loss is forgotten' });
});
