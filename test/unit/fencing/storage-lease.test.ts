/**
 * The storage lease (fencing layer 4): what a lock means for a launch (pure, judged by how long
 * the reader saw the heartbeat unchanged on its own monotonic clock), and the heartbeat that
 * refreshes it against a real temp dir (atomic, 0600, never over a newer epoch).
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LOCK_FILE, lockPath, readLock, writeLockAtomic, type LockRecord, type ReadLock } from '../../../src/fencing/home-lock';
import { HeartbeatClock, beatHomeLock, leaseVerdict } from '../../../src/fencing/storage-lease';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');
const LEASE = 5000;

function rec(epoch: number, extra: Partial<LockRecord> = {}): LockRecord {
  return { epoch, nodeId: 'node-b', host: 'host-b', pid: 77, cluster: 'ci', state: 'held', time: new Date(NOW - 60_000).toISOString(), ...extra };
}
const ok = (r: LockRecord): ReadLock => ({ kind: 'ok', record: r });

describe('leaseVerdict', () => {
  it('is free without a lock or with a malformed one', () => {
    expect(leaseVerdict({ kind: 'none' }, 5, 0, LEASE)).toMatchObject({ kind: 'free', why: 'no-lock' });
    expect(leaseVerdict({ kind: 'malformed', text: '{' }, 5, 0, LEASE)).toMatchObject({ kind: 'free', why: 'malformed' });
  });

  it('waits for a heartbeat of another (older) epoch seen unchanged for less than the lease, for the rest of it', () => {
    const v = leaseVerdict(ok(rec(4, { heartbeatAt: NOW })), 5, 1200, LEASE);
    expect(v).toMatchObject({ kind: 'wait', waitMs: 3800, ageMs: 1200 });
  });

  it('is free once the heartbeat was seen unchanged for leaseMs (the boundary is stale)', () => {
    expect(leaseVerdict(ok(rec(4, { heartbeatAt: NOW })), 5, LEASE - 1, LEASE)).toMatchObject({ kind: 'wait', waitMs: 1 });
    expect(leaseVerdict(ok(rec(4, { heartbeatAt: NOW })), 5, LEASE, LEASE)).toMatchObject({ kind: 'free', why: 'stale', ageMs: LEASE });
  });

  it('needs no wait for a released lock, however fresh', () => {
    expect(leaseVerdict(ok(rec(4, { heartbeatAt: NOW, state: 'released' })), 5, 0, LEASE)).toMatchObject({ kind: 'free', why: 'released' });
  });

  it('needs no wait for our own epoch (a restart in the same term)', () => {
    expect(leaseVerdict(ok(rec(5, { heartbeatAt: NOW })), 5, 0, LEASE)).toMatchObject({ kind: 'free', why: 'ours' });
  });

  it('reports a newer epoch, released or not, instead of a wait', () => {
    expect(leaseVerdict(ok(rec(6, { heartbeatAt: NOW - 100_000 })), 5, LEASE * 10, LEASE)).toMatchObject({ kind: 'newer' });
    expect(leaseVerdict(ok(rec(6, { state: 'released' })), 5, 0, LEASE)).toMatchObject({ kind: 'newer' });
  });
});

describe('HeartbeatClock: staleness on the reader\'s monotonic clock', () => {
  it('counts from the first look, whatever heartbeatAt says (an hour in the future or the past)', () => {
    for (const heartbeatAt of [NOW + 3_600_000, NOW - 3_600_000, NOW]) {
      const c = new HeartbeatClock();
      const r = rec(4, { heartbeatAt });
      expect(c.unchangedFor(r, 10_000)).toBe(0);
      expect(leaseVerdict(ok(r), 5, c.unchangedFor(r, 10_000 + LEASE - 1), LEASE).kind).toBe('wait');
      expect(leaseVerdict(ok(r), 5, c.unchangedFor(r, 10_000 + LEASE), LEASE)).toMatchObject({ kind: 'free', why: 'stale' });
    }
  });

  it('starts again at every beat: a holder that keeps beating (with a clock an hour behind) is never stale', () => {
    const c = new HeartbeatClock();
    let t = 0;
    for (let beat = 0; beat < 20; beat++, t += 1000) {
      const r = rec(4, { heartbeatAt: NOW - 3_600_000 + t });
      expect(leaseVerdict(ok(r), 5, c.unchangedFor(r, t), LEASE).kind).toBe('wait');
    }
  });

  it('treats any other change (release, new holder, a lock of an older version rewritten) as a new heartbeat', () => {
    const c = new HeartbeatClock();
    c.unchangedFor(rec(4, { time: 'a' }), 0);
    expect(c.unchangedFor(rec(4, { time: 'a' }), 4000)).toBe(4000);
    expect(c.unchangedFor(rec(4, { time: 'b' }), 4500)).toBe(0);
    expect(c.unchangedFor(rec(4, { time: 'b', pid: 78 }), 4600)).toBe(0);
    c.forget();
    expect(c.unchangedFor(rec(4, { time: 'b', pid: 78 }), 9000)).toBe(0);
  });
});

describe('beatHomeLock', () => {
  let home: string;
  beforeEach(async () => {
    home = await fs.mkdtemp(path.join(tmpdir(), 'jha-lease-'));
  });
  afterEach(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });
  const self = { epoch: 5, nodeId: 'node-a', host: 'host-a', pid: 42, cluster: 'ci', time: '2024-05-01T11:00:00.000Z' };

  it('refreshes only the heartbeat of our own lock, atomically and 0600', async () => {
    await writeLockAtomic(home, { ...self, state: 'held', heartbeatAt: NOW - 900 });
    const r = await beatHomeLock(home, { ...self, time: 'later' }, () => NOW);
    expect(r.kind).toBe('refreshed');
    const lock = await readLock(home);
    expect(lock).toEqual({ kind: 'ok', record: { ...self, state: 'held', heartbeatAt: NOW } });
    expect((await fs.stat(lockPath(home))).mode & 0o777).toBe(0o600);
    expect(await fs.readdir(home)).toEqual([LOCK_FILE]);
  });

  it('a successor reading the beaten lock waits until it saw the last beat unchanged for leaseMs', async () => {
    const seen = new HeartbeatClock();
    const look = async (mono: number) => {
      const lock = await readLock(home);
      if (lock.kind !== 'ok') throw new Error('no lock');
      return leaseVerdict(lock, 6, seen.unchangedFor(lock.record, mono), LEASE);
    };
    await beatHomeLock(home, self, () => NOW);
    expect(await look(0)).toMatchObject({ kind: 'wait', waitMs: LEASE });
    expect(await look(1000)).toMatchObject({ kind: 'wait', waitMs: 4000 });
    // Another beat (its wall time going BACKWARDS: the writer's clock was stepped back) is a beat.
    await beatHomeLock(home, self, () => NOW - 3_600_000);
    expect(await look(4500)).toMatchObject({ kind: 'wait', waitMs: LEASE });
    expect((await look(4500 + LEASE)).kind).toBe('free');
  });

  it('never overwrites a newer epoch: it reports it (the split-brain alarm)', async () => {
    const newer = { ...self, epoch: 6, nodeId: 'node-c', state: 'held' as const, heartbeatAt: NOW - 10 };
    await writeLockAtomic(home, newer);
    const r = await beatHomeLock(home, self, () => NOW);
    expect(r).toEqual({ kind: 'newer', holder: newer });
    expect(await readLock(home)).toEqual({ kind: 'ok', record: newer });
  });

  it("reports our epoch in another node's name instead of overwriting it (epochs handed out twice)", async () => {
    const twin = { ...self, nodeId: 'node-z', state: 'held' as const, heartbeatAt: NOW - 10 };
    await writeLockAtomic(home, twin);
    expect(await beatHomeLock(home, self, () => NOW)).toEqual({ kind: 'newer', holder: twin });
    expect(await readLock(home)).toEqual({ kind: 'ok', record: twin });
  });

  it('writes our lock again when it is missing, malformed or an older epoch, and says what it found', async () => {
    expect(await beatHomeLock(home, self, () => NOW)).toMatchObject({ kind: 'rewritten', found: 'no lock file' });
    await fs.writeFile(lockPath(home), '{"epo');
    expect(await beatHomeLock(home, self, () => NOW + 1)).toMatchObject({ kind: 'rewritten', found: 'a malformed lock file' });
    await writeLockAtomic(home, { ...self, epoch: 4, nodeId: 'node-b', state: 'held' });
    expect(await beatHomeLock(home, self, () => NOW + 2)).toMatchObject({ kind: 'rewritten', found: 'epoch 4 (node node-b@host-a)' });
    expect(await readLock(home)).toEqual({ kind: 'ok', record: { ...self, state: 'held', heartbeatAt: NOW + 2 } });
  });

  it('marks a released lock of ours held again (Jenkins was restarted)', async () => {
    await writeLockAtomic(home, { ...self, state: 'released' });
    await beatHomeLock(home, self, () => NOW);
    expect(await readLock(home)).toMatchObject({ kind: 'ok', record: { state: 'held', heartbeatAt: NOW } });
  });

  it('reports an error instead of throwing when the home is gone', async () => {
    const r = await beatHomeLock(path.join(home, 'missing'), self, () => NOW);
    expect(r.kind).toBe('error');
  });
});
