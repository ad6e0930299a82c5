/**
 * Fencing layers 4-6 with a real ZooKeeper, real controllers, the real shim and the stand-in:
 * the storage lease (a live foreign heartbeat holds the launch back until it is leaseMs stale),
 * the shim's flock (another holder blocks or refuses the launch; proceed starts anyway), and the
 * split-brain alarm (a listener on the Jenkins port blocks the launch; a newer epoch in the lock
 * fences a running Jenkins at once). Every test ends with the journal check (haSuite).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { lockPath, readLock, writeLockAtomic, type LockRecord } from '../../src/fencing/home-lock';
import { FLOCK_FILE } from '../../src/fencing/home-perms';
import { mono, type HaNode } from '../helpers/ha-node';
import { assertNeverTwoAlive, lives, readJournal } from '../helpers/journal';
import { groupMembers, readStat, waitForExit } from '../helpers/procs';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

let cleanups: Array<() => Promise<void> | void> = [];
const suite = haSuite({
  afterEach: async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  },
});

function journalLives(): ReturnType<typeof lives> {
  return lives(readJournal(suite.fx.home));
}

async function waitGate(n: HaNode, gate: string, timeoutMs = 15000) {
  return waitFor(
    async () => {
      const s = await n.status();
      return s && s.node.role === 'leader' && s.launchBlocked?.gate === gate ? s : null;
    },
    { timeoutMs, what: `node ${n.id} to lead with the launch held back by ${gate}` },
  );
}

async function metric(n: HaNode, series: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${n.opts.apiPort}/metrics`);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

/** Holds an exclusive flock on the home's flock file until released (kills its group). */
async function holdFlock(): Promise<{ release(): Promise<void>; releasedAt(): number }> {
  const file = path.join(suite.fx.home, FLOCK_FILE);
  const p: ChildProcess = spawn('flock', ['-x', file, 'sh', '-c', 'echo locked; exec sleep 600'], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    p.once('exit', (code) => reject(new Error(`flock holder exited with ${code}`)));
    createInterface({ input: p.stdout! }).once('line', () => resolve());
  });
  let at = 0;
  const release = async (): Promise<void> => {
    if (at !== 0) return;
    // From this moment on the flock may be free: nothing may have started before it.
    at = mono();
    try {
      process.kill(-p.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
    await waitFor(() => groupMembers(p.pid!).length === 0, { timeoutMs: 5000, what: 'the flock holder to die' });
  };
  cleanups.push(release);
  return { release, releasedAt: () => at };
}

/** Whether anyone holds the flock right now (a non-blocking try from a separate process). */
function flockIsFree(): boolean {
  return spawnSync('flock', ['-x', '-n', path.join(suite.fx.home, FLOCK_FILE), 'true']).status === 0;
}

describe('layer 4: the storage lease', () => {
  test('a leader waits while a foreign epoch keeps its heartbeat fresh, and launches leaseMs after it stops', async () => {
    const LEASE = 1500;
    const foreign: LockRecord = { epoch: 0, nodeId: 'ghost', host: 'elsewhere', pid: 1, cluster: 'other', state: 'held', time: new Date().toISOString() };
    let lastBeat = { wall: 0, mono: 0 };
    const beat = async (): Promise<void> => {
      const wall = Date.now();
      await writeLockAtomic(suite.fx.home, { ...foreign, heartbeatAt: wall }, false);
      lastBeat = { wall, mono: mono() };
    };
    await beat();
    let beats = 0;
    const timer = setInterval(() => void beat().then(() => (beats += 1)), 200);
    cleanups.push(() => clearInterval(timer));

    const a = suite.fx.start('a', { env: { JHA_LOCK_LEASE_MS: String(LEASE), JHA_LOCK_HEARTBEAT_MS: '300' } });
    const waiting = await a.waitForEvent('lock.waiting');
    expect(waiting.level).toBe('warn');
    expect(waiting.holder).toBe('epoch 0 (node ghost@elsewhere)');
    const s = await waitGate(a, 'storage-lease');
    expect(s.jenkins.state).toBe('stopped');
    expect(s.launchBlocked?.reason).toContain('live heartbeat');
    // Keep it fresh for well over two leases: the leader keeps waiting.
    const from = beats;
    await waitFor(() => beats - from >= Math.ceil((2 * LEASE) / 200) + 2, { timeoutMs: 30000, what: 'the test to refresh the foreign heartbeat for two leases' });
    expect(a.events('jenkins.started')).toHaveLength(0);
    expect((await a.status())?.launchBlocked?.gate).toBe('storage-lease');

    clearInterval(timer);
    await new Promise((r) => setImmediate(r));
    const stoppedAt = lastBeat;
    const ready = await a.waitLeaderReady();
    expect(ready.launchBlocked).toBeNull();
    const started = a.events('jenkins.started')[0]!;
    // Not before the heartbeat was leaseMs old (same host: the controller's wall clock is ours).
    expect(Date.parse(String(started.timestamp))).toBeGreaterThanOrEqual(stoppedAt.wall + LEASE);
    expect(started.seenAt - stoppedAt.mono).toBeLessThan(LEASE + 5000);
    expect(a.events('lock.wait_over')).toHaveLength(1);
    // The launch replaced the lock with ours, heartbeating.
    const lock = await readLock(suite.fx.home);
    expect(lock.kind === 'ok' && lock.record).toMatchObject({ epoch: 1, nodeId: 'a', state: 'held' });
    await waitFor(async () => {
      const l = await readLock(suite.fx.home);
      return l.kind === 'ok' && (l.record.heartbeatAt ?? 0) > Date.parse(String(started.timestamp)) + 300;
    }, { timeoutMs: 5000, what: "a's heartbeat to advance" });
  });

  // Issue 13 item 3: staleness was judged by comparing the writer's heartbeatAt with the reader's
  // wall clock. A holder on a host whose clock runs an hour ahead, or behind, beating every 200 ms.
  // stop() waits for a beat in flight, and returns when the last beat began and when it was written.
  async function skewedHolder(skewMs: number): Promise<{ stop(): Promise<{ began: number; written: number }> }> {
    const foreign: LockRecord = { epoch: 0, nodeId: 'skewed', host: 'elsewhere', pid: 1, cluster: 'other', state: 'held', time: new Date().toISOString() };
    let last = { began: 0, written: 0 };
    let inFlight: Promise<void> = Promise.resolve();
    const beat = async (): Promise<void> => {
      const began = mono();
      await writeLockAtomic(suite.fx.home, { ...foreign, heartbeatAt: Date.now() + skewMs }, false);
      last = { began, written: mono() };
    };
    await beat();
    const timer = setInterval(() => (inFlight = beat()), 200);
    cleanups.push(() => clearInterval(timer));
    return {
      stop: async () => {
        clearInterval(timer);
        await inFlight;
        return last;
      },
    };
  }

  test('a dead holder whose clock ran an hour ahead holds the launch back one lease, not an hour', async () => {
    // The holder beats until the node leads and waits on it, and dies only then: the node has
    // certainly looked at the lock and logged lock.waiting, however long its start-up took (a
    // holder dead before the node started may already be a lease stale by the node's first look
    // on a loaded machine, and then there is no wait to see). The lease of the LAST beat is then
    // counted from the node's first sight of it, which is after the beat began. A lease of 15 beat
    // periods: a loaded machine that delays a beat or two does not kill the holder early.
    const LEASE = 3000;
    const holder = await skewedHolder(3_600_000);
    const a = suite.fx.start('a', { env: { JHA_LOCK_LEASE_MS: String(LEASE), JHA_LOCK_HEARTBEAT_MS: '300' } });
    const s = await waitGate(a, 'storage-lease');
    expect(s.launchBlocked?.reason).toContain('live heartbeat');
    expect(a.events('lock.waiting')).toHaveLength(1);
    expect(a.events('lock.waiting')[0]!.holder).toBe('epoch 0 (node skewed@elsewhere)');
    expect(a.events('jenkins.started')).toHaveLength(0);
    const last = await holder.stop();
    // Judged by the wall clock (the old bug), heartbeatAt is an hour in the future: an hour's wait.
    await a.waitLeaderReady(15000);
    const started = a.events('jenkins.started')[0]!;
    expect(started.seenAt - last.began).toBeGreaterThanOrEqual(LEASE);
    // One lease plus a few checks (heartbeatMs apart) and the launch, generously bounded for a
    // loaded machine; nowhere near an hour.
    expect(started.seenAt - last.written).toBeLessThan(LEASE + 8000);
    expect(a.events('lock.wait_over')).toHaveLength(1);
  });

  test('a live holder whose clock runs an hour behind keeps the launch back while it beats', async () => {
    const LEASE = 1500;
    const holder = await skewedHolder(-3_600_000);
    const a = suite.fx.start('a', { env: { JHA_LOCK_LEASE_MS: String(LEASE), JHA_LOCK_HEARTBEAT_MS: '300' } });
    const s = await waitGate(a, 'storage-lease');
    expect(s.launchBlocked?.reason).toContain('live heartbeat');
    // Three leases of beats: still held back.
    const t0 = mono();
    await waitFor(() => mono() - t0 >= 3 * LEASE, { timeoutMs: 10000, what: 'three leases to pass' });
    expect(a.events('jenkins.started')).toHaveLength(0);
    expect((await a.status())?.launchBlocked?.gate).toBe('storage-lease');
    const last = await holder.stop();
    await a.waitLeaderReady(15000);
    expect(a.events('jenkins.started')[0]!.seenAt - last.began).toBeGreaterThanOrEqual(LEASE);
  });

  test('a released foreign lock needs no wait, and a graceful stop releases ours', async () => {
    await writeLockAtomic(suite.fx.home, { epoch: 0, nodeId: 'ghost', host: 'x', pid: 1, cluster: 'c', state: 'released', time: '', heartbeatAt: Date.now() });
    const a = suite.fx.start('a', { env: { JHA_LOCK_LEASE_MS: '60000', JHA_LOCK_HEARTBEAT_MS: '300' } });
    await a.waitLeaderReady();
    expect(a.events('lock.waiting')).toHaveLength(0);
    await a.stop();
    const lock = await readLock(suite.fx.home);
    expect(lock.kind === 'ok' && lock.record).toMatchObject({ epoch: 1, nodeId: 'a', state: 'released' });
    expect(fs.statSync(lockPath(suite.fx.home)).mode & 0o777).toBe(0o600);
  });
});

describe('layer 5: the flock held by the shim', () => {
  test('a process holding the flock blocks the launch until it releases it; Jenkins then holds it for its whole life', async () => {
    const holder = await holdFlock();
    const a = suite.fx.start('a', { env: { JHA_LOCK_FLOCK_WAIT_MS: '15000' } });
    const started = await a.waitForEvent('jenkins.started');
    const shim = Number(started.pid);
    // The shim is waiting in flock(1), inside Jenkins' process group: nothing has started.
    await waitFor(() => groupMembers(shim).some((p) => readStat(p)?.comm === 'flock'), { timeoutMs: 10000, what: 'the shim to wait in flock' });
    expect(journalLives()).toHaveLength(0);
    expect((await a.status())?.jenkins.ready).toBe(false);

    await holder.release();
    await a.waitLeaderReady();
    const [life] = journalLives();
    expect(life!.start).toBeGreaterThan(holder.releasedAt());
    expect(a.events('lock.flock_acquired')).toHaveLength(1);
    // Held while Jenkins runs; free again once it stopped.
    expect(flockIsFree()).toBe(false);
    await a.stop();
    expect(flockIsFree()).toBe(true);
    expect(fs.statSync(path.join(suite.fx.home, FLOCK_FILE)).mode & 0o777).toBe(0o600);
  });

  test('refuse: the launch is refused after flockWaitMs, reported, not counted as a crash, and retried until the flock is free', async () => {
    const holder = await holdFlock();
    const a = suite.fx.start('a', { env: { JHA_LOCK_FLOCK_WAIT_MS: '500', JHA_LOCK_FLOCK_TIMEOUT_ACTION: 'refuse' } });
    const refused = await a.waitForEvent('lock.flock_refused');
    expect(refused.level).toBe('error');
    await a.waitForEvent('jenkins.refused');
    const s = await waitGate(a, 'flock');
    expect(s.launchBlocked?.reason).toContain('locked by another process');
    expect(s.jenkins.restarts).toBe(0);
    await waitFor(() => a.events('jenkins.refused').length >= 2, { timeoutMs: 15000, what: 'a retried, refused launch' });
    expect(journalLives()).toHaveLength(0);

    await holder.release();
    const ready = await a.waitLeaderReady();
    expect(ready.jenkins.restarts).toBe(0);
    expect(ready.launchBlocked).toBeNull();
    expect(journalLives()[0]!.start).toBeGreaterThan(holder.releasedAt());
  });

  test('proceed: Jenkins starts anyway after flockWaitMs, logged as an error', async () => {
    await holdFlock();
    const a = suite.fx.start('a', { env: { JHA_LOCK_FLOCK_WAIT_MS: '500', JHA_LOCK_FLOCK_TIMEOUT_ACTION: 'proceed' } });
    await a.waitLeaderReady();
    const loud = a.events('lock.flock_proceed');
    expect(loud).toHaveLength(1);
    expect(loud[0]!.level).toBe('error');
    expect(loud[0]!.message).toContain('STARTING JENKINS ANYWAY');
    expect(a.events('jenkins.refused')).toHaveLength(0);
  });
});

describe('layer 6: the split-brain alarm', () => {
  test('a foreign server on the Jenkins port blocks the launch (reported and counted) until it goes away', async () => {
    const server = http.createServer((_req, res) => res.writeHead(200, { 'X-Jenkins': '2.0-rogue' }).end('rogue'));
    await new Promise<void>((r) => server.listen(suite.fx.jenkinsPort, '127.0.0.1', r));
    let open = true;
    const close = async (): Promise<void> => {
      if (!open) return;
      open = false;
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    };
    cleanups.push(close);

    const a = suite.fx.start('a');
    const alarm = await a.waitForEvent('split_brain_detected');
    expect(alarm.level).toBe('error');
    expect(alarm.message).toContain(`127.0.0.1:${suite.fx.jenkinsPort}`);
    const s = await waitGate(a, 'split-brain');
    expect(s.jenkins.state).toBe('stopped');
    expect(await metric(a, 'jenkins_ha_split_brain_detected_total')).toBe(1);
    // It keeps looking, and keeps refusing, without counting the same listener again.
    await waitFor(() => a.logs.filter((l) => l.event === 'decision' && String(l.message).includes('blocked')).length >= 1, { timeoutMs: 5000, what: 'a blocked decision' });
    expect(a.events('jenkins.started')).toHaveLength(0);

    await close();
    await a.waitLeaderReady();
    expect(a.events('split_brain.cleared')).toHaveLength(1);
    expect(await metric(a, 'jenkins_ha_split_brain_detected_total')).toBe(1);
  });

  test('a newer epoch in the lock under a running Jenkins fences it at once, and the node does not start it again', async () => {
    const a = suite.fx.start('a', { env: { JHA_LOCK_HEARTBEAT_MS: '200', JHA_LOCK_LEASE_MS: '1000' } });
    await a.waitLeaderReady();
    const [life] = journalLives();
    const intruder: LockRecord = { epoch: 99, nodeId: 'intruder', host: 'elsewhere', pid: 1, cluster: 'x', state: 'held', time: new Date().toISOString() };
    // A real newer leader heartbeats its lock too (and so wins any write race with our heartbeat).
    const t0 = mono();
    const write = (): Promise<void> => writeLockAtomic(suite.fx.home, { ...intruder, heartbeatAt: Date.now() }, false);
    await write();
    const timer = setInterval(() => void write(), 100);
    cleanups.push(() => clearInterval(timer));

    const alarm = await a.waitForEvent('split_brain_detected', { after: t0 });
    expect(alarm.message).toContain('epoch 99');
    const fenced = await a.waitForEvent('fenced', { after: t0 });
    expect(fenced.message).toContain('split brain');
    expect(await waitForExit(life!.pid, 5000)).toBe(true);
    // Within a heartbeat or two plus the fence grace, generously bounded for a loaded machine.
    expect(mono() - t0).toBeLessThan(5000);
    expect(await metric(a, 'jenkins_ha_split_brain_detected_total')).toBe(1);
    const s = await waitGate(a, 'lock');
    expect(s.launchBlocked?.reason).toContain('epoch 99');
    expect(a.events('jenkins.started')).toHaveLength(1);
    const ls = assertNeverTwoAlive(suite.fx.home);
    expect(ls).toHaveLength(1);
  });
});
