/**
 * HomeIo against a really hung mount: a bindfs view of a backing directory, hung with kill -STOP
 * of bindfs (every I/O on it blocks, like a hard NFS mount whose server vanished) and healed with
 * kill -CONT. A call answers `timeout` within its bound, the event loop keeps ticking, the
 * process's own fs calls keep working (the libuv pool is not touched), the killed helpers die (no
 * pile-up), and calls succeed again after the heal. A FIFO planted at the lock path is refused.
 * The control case shows why: plain fs.promises calls on the hung mount starve the pool.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { HomeIo } from '../../src/fencing/home-io';
import { acquireHomeLock, lockPath, readLock, type LockRecord } from '../../src/fencing/home-lock';
import { runCommand } from '../../src/jenkins/command';
import { BindMount } from '../helpers/bindfs';
import { eligibilityMonitor } from '../helpers/eligibility';
import { MemoryLogger } from '../helpers/memory-logger';
import { readStat } from '../helpers/procs';
import { waitFor } from '../helpers/wait';

const BOUND = 500;
let root: string;
let back: string;
let mnt: string;
let mount: BindMount;
const ios: HomeIo[] = [];
/** HomeIo's lines (its health changes: home.hung, home.recovered, ...). */
const log = new MemoryLogger();
const record: LockRecord = { epoch: 7, nodeId: 'a', host: 'h', pid: 1, cluster: 'c', state: 'held', time: '' };

const gone = (pid: number): boolean => {
  const st = readStat(pid);
  return st === undefined || st.state === 'Z' || st.state === 'X';
};

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'jenkins-ha-home-io-'));
  back = path.join(root, 'back');
  mnt = path.join(root, 'mnt');
  fs.mkdirSync(back, { mode: 0o700 });
  mount = await BindMount.mount(back, mnt);
});

afterEach(() => {
  mount.heal();
  for (const io of ios.splice(0)) io.close();
  log.entries.length = 0;
});

afterAll(async () => {
  await mount?.unmount();
  fs.rmSync(root, { recursive: true, force: true });
});

function make(): HomeIo {
  const io = new HomeIo({ timeoutMs: BOUND, logger: log });
  ios.push(io);
  return io;
}

it('answers timeout within the bound on a hung mount while the loop ticks and other fs calls work; recovers after -CONT', async () => {
  fs.writeFileSync(path.join(back, '.jenkins-ha.lock'), `${JSON.stringify(record)}\n`);
  const io = make();
  expect(await readLock(mnt, { io })).toEqual({ kind: 'ok', record });

  mount.hang();
  let last = performance.now();
  let worstGap = 0;
  let ticks = 0;
  const ticker = setInterval(() => {
    const t = performance.now();
    worstGap = Math.max(worstGap, t - last);
    last = t;
    ticks += 1;
  }, 10);
  try {
    const killed: number[] = [];
    // Four calls one after another: four helpers hang and are killed, more than libuv's pool size.
    for (const call of [
      () => io.read(lockPath(mnt)),
      () => io.probeWrite(path.join(mnt, '.probe')),
      () => io.writeAtomic(lockPath(mnt), `${lockPath(mnt)}.tmp`, 'x', { mode: 0o600, durable: true }),
      () => io.ensureFile(path.join(mnt, '.jenkins-ha.flock'), 0o600),
    ]) {
      await waitFor(() => io.pids().stuck === null && io.pids().ready, { timeoutMs: 10_000, what: 'the previous killed helper to exit and a new one to start' });
      const t0 = performance.now();
      const pending = call();
      await waitFor(() => io.pids().helper, { timeoutMs: 5000, what: 'a helper serving the call' });
      const pid = io.pids().helper as number;
      const r = await pending;
      const ms = performance.now() - t0;
      expect(r).toMatchObject({ kind: 'timeout', message: expect.stringContaining(`no answer within ${BOUND} ms`) });
      expect(ms).toBeGreaterThanOrEqual(BOUND - 10);
      expect(ms).toBeLessThan(BOUND + 1000);
      killed.push(pid);
      // Meanwhile this process's own fs calls (libuv's pool) are served at once.
      const f0 = performance.now();
      await Promise.all(Array.from({ length: 8 }, () => fs.promises.readFile(__filename)));
      expect(performance.now() - f0).toBeLessThan(1000);
    }
    // SIGKILL ended every helper blocked on the hung mount: nothing piles up.
    await waitFor(() => killed.every(gone), { timeoutMs: 5000, what: `killed helpers ${killed.join(', ')} to be gone` });
    expect(io.health()).toMatchObject({ state: 'hung' });
    expect(ticks).toBeGreaterThan(50);
    expect(worstGap).toBeLessThan(300);
    expect(log.eventNames()).toEqual(['home.hung']);
  } finally {
    clearInterval(ticker);
    mount.heal();
  }

  await waitFor(() => io.pids().stuck === null, { timeoutMs: 5000, what: 'the last killed helper to exit' });
  expect(await readLock(mnt, { io })).toEqual({ kind: 'ok', record });
  expect(io.health().state).toBe('ok');
  expect(log.eventNames()).toEqual(['home.hung', 'home.recovered']);
});

it('a command run in the hung home (service commands, the preflight) times out without stopping the event loop', async () => {
  // A directory the mount has not looked up yet (made in the backing directory): entering it must ask bindfs.
  const name = `cmd-${process.pid}`;
  fs.mkdirSync(path.join(back, name));
  const home = path.join(mnt, name);
  mount.hang();
  // Safety valve: were the spawn to chdir into the hung mount itself, this process's event loop
  // would stop and nothing in it could heal the mount; this outside process heals it after 3 s.
  const valve = spawn('/bin/sh', ['-c', `sleep 3; kill -CONT ${mount.pid}`], { stdio: 'ignore' });
  let last = performance.now();
  let worstGap = 0;
  const ticker = setInterval(() => {
    const t = performance.now();
    worstGap = Math.max(worstGap, t - last);
    last = t;
  }, 10);
  try {
    const r = await runCommand('echo never', { timeoutMs: BOUND, cwd: home, env: {} });
    expect(r).toMatchObject({ code: null, timedOut: true });
    expect(worstGap).toBeLessThan(300);
  } finally {
    clearInterval(ticker);
    valve.kill('SIGKILL');
    mount.heal();
  }
  // Healed: the command runs in the home, as before.
  expect(await runCommand('pwd; exit 3', { timeoutMs: 5000, cwd: home, env: {} })).toMatchObject({ code: 3, timedOut: false, output: `${home}\n` });
});

it('refuses a FIFO planted at the lock path on the mount at once, and the next lock write replaces it', async () => {
  fs.rmSync(path.join(back, '.jenkins-ha.lock'), { force: true });
  execFileSync('mkfifo', [lockPath(mnt)]);
  const io = make();
  const t0 = performance.now();
  expect(await readLock(mnt, { io })).toEqual({ kind: 'refused', what: expect.stringContaining('is a FIFO') });
  expect(performance.now() - t0).toBeLessThan(BOUND);
  expect(await acquireHomeLock(mnt, record, { io })).toMatchObject({ kind: 'refused' });
  expect(fs.lstatSync(path.join(back, '.jenkins-ha.lock')).isFile()).toBe(true);
  expect(JSON.parse(fs.readFileSync(path.join(back, '.jenkins-ha.lock'), 'utf8'))).toEqual(record);
  expect(io.health().state).toBe('ok');
});

it('the eligibility check on a hung home: ineligible within the bound naming the home, without blocking the loop; eligible after -CONT', async () => {
  const io = make();
  const elig = eligibilityMonitor(mnt, io);
  io.warm();
  await waitFor(() => io.pids().ready, { timeoutMs: 10_000, what: 'a ready helper' });
  expect((await elig.check())?.eligible).toBe(true);
  // Its probe, free-disk and stat calls went to the helper: nothing is left in the backing directory.
  expect(fs.readdirSync(back).filter((f) => f.startsWith('.jenkins-ha-probe'))).toEqual([]);

  mount.hang();
  try {
    for (let round = 0; round < 3; round++) {
      // Rounds after the first meet the stuck helper (or a new one on the still hung mount).
      const t0 = performance.now();
      const r = await elig.check();
      expect(performance.now() - t0).toBeLessThan(BOUND + 1000);
      expect(r?.eligible).toBe(false);
      expect(r?.reasons).toHaveLength(1);
      expect(r?.reasons[0]?.startsWith(`JENKINS_HOME: ${mnt} does not answer: `)).toBe(true);
      // Node's own pool is free: the check holds none of its threads.
      const f0 = performance.now();
      await Promise.all(Array.from({ length: 8 }, () => fs.promises.readFile(__filename)));
      expect(performance.now() - f0).toBeLessThan(1000);
    }
  } finally {
    mount.heal();
  }
  await waitFor(() => io.pids().stuck === null && io.pids().ready, { timeoutMs: 10_000, what: 'the killed helper to exit and a new one to start' });
  expect((await elig.check())?.eligible).toBe(true);
});

it('control: plain fs.promises calls on the hung mount starve every fs call of their process', async () => {
  fs.writeFileSync(path.join(back, 'f'), 'x');
  mount.hang();
  // Four reads park libuv's four pool threads on the hung mount; a read of a healthy file queues behind them.
  const script = `
    const fs = require('fs');
    for (let i = 0; i < 4; i++) fs.promises.readFile(${JSON.stringify(path.join(mnt, 'f'))}).catch(() => {});
    setTimeout(() => {
      const t = setTimeout(() => { console.log('starved'); process.exit(0); }, 1500);
      fs.promises.readFile(${JSON.stringify(__filename)}).then(() => { clearTimeout(t); console.log('served'); process.exit(0); });
    }, 200);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  try {
    await waitFor(() => /\w/.test(out), { timeoutMs: 10_000, what: 'the control process to report' });
    expect(out.trim()).toBe('starved');
  } finally {
    child.kill('SIGKILL');
    mount.heal();
  }
});
