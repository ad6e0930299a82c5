/**
 * The storage lease (fencing layer 4): what a lock means for a launch (pure, with an injected wall
 * clock), and the heartbeat that refreshes it against a real temp dir (atomic, 0600, never over a
 * newer epoch).
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LOCK_FILE, lockPath, readLock, writeLockAtomic, type LockRecord, type ReadLock } from '../../../src/fencing/home-lock';
import { beatHomeLock, leaseVerdict } from '../../../src/fencing/storage-lease';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');
const LEASE = 5000;

function rec(epoch: number, extra: Partial<LockRecord> = {}): LockRecord {
  return { epoch, nodeId: 'node-b', host: 'host-b', pid: 77, cluster: 'ci', state: 'held', time: new Date(NOW - 60_000).toISOString(), ...extra };
}
const ok = (r: LockRecord): ReadLock => ({ kind: 'ok', record: r });

describe('leaseVerdict', () => {
  it('is free without a lock or with a malformed one', () => {
    expect(leaseVerdict({ kind: 'none' }, 5, NOW, LEASE)).toMatchObject({ kind: 'free', why: 'no-lock' });
    expect(leaseVerdict({ kind: 'malformed', text: '{' }, 5, NOW, LEASE)).toMatchObject({ kind: 'free', why: 'malformed' });
  });

  it('waits for a live heartbeat of another (older) epoch, for the rest of the lease', () => {
    const v = leaseVerdict(ok(rec(4, { heartbeatAt: NOW - 1200 })), 5, NOW, LEASE);
    expect(v).toMatchObject({ kind: 'wait', waitMs: 3800, ageMs: 1200 });
  });

  it('is free once the heartbeat is leaseMs old (the boundary is stale)', () => {
    expect(leaseVerdict(ok(rec(4, { heartbeatAt: NOW - LEASE + 1 })), 5, NOW, LEASE)).toMatchObject({ kind: 'wait', waitMs: 1 });
    expect(leaseVerdict(ok(rec(4, { heartbeatAt: NOW - LEASE })), 5, NOW, LEASE)).toMatchObject({ kind: 'free', why: 'stale', ageMs: LEASE });
  });

  it('goes stale as the injected clock moves on, without any new write', () => {
    const lock = ok(rec(4, { heartbeatAt: NOW }));
    expect(leaseVerdict(lock, 5, NOW + 4999, LEASE).kind).toBe('wait');
    expect(leaseVerdict(lock, 5, NOW + 5000, LEASE).kind).toBe('free');
  });

  it('needs no wait for a released lock, however fresh', () => {
    expect(leaseVerdict(ok(rec(4, { heartbeatAt: NOW, state: 'released' })), 5, NOW, LEASE)).toMatchObject({ kind: 'free', why: 'released' });
  });

  it('needs no wait for our own epoch (a restart in the same term)', () => {
    expect(leaseVerdict(ok(rec(5, { heartbeatAt: NOW })), 5, NOW, LEASE)).toMatchObject({ kind: 'free', why: 'ours' });
  });

  it('reports a newer epoch, released or not, instead of a wait', () => {
    expect(leaseVerdict(ok(rec(6, { heartbeatAt: NOW - 100_000 })), 5, NOW, LEASE)).toMatchObject({ kind: 'newer' });
    expect(leaseVerdict(ok(rec(6, { state: 'released' })), 5, NOW, LEASE)).toMatchObject({ kind: 'newer' });
  });

  it('treats a heartbeat from the future (a clock ahead of ours) as live, one lease at a time', () => {
    expect(leaseVerdict(ok(rec(4, { heartbeatAt: NOW + 60_000 })), 5, NOW, LEASE)).toMatchObject({ kind: 'wait', waitMs: LEASE, ageMs: -60_000 });
  });

  it('falls back to the acquire time of a lock without heartbeats (an older version)', () => {
    expect(leaseVerdict(ok(rec(4, { time: new Date(NOW - 1000).toISOString() })), 5, NOW, LEASE)).toMatchObject({ kind: 'wait', ageMs: 1000 });
    expect(leaseVerdict(ok(rec(4, { time: 'garbage' })), 5, NOW, LEASE)).toMatchObject({ kind: 'free', why: 'stale', ageMs: null });
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

  it('a successor reading the beaten lock waits until leaseMs after the last beat', async () => {
    await beatHomeLock(home, self, () => NOW);
    expect(leaseVerdict(await readLock(home), 6, NOW + 1000, LEASE)).toMatchObject({ kind: 'wait', waitMs: 4000 });
    expect(leaseVerdict(await readLock(home), 6, NOW + LEASE, LEASE).kind).toBe('free');
  });

  it('never overwrites a newer epoch: it reports it (the split-brain alarm)', async () => {
    const newer = { ...self, epoch: 6, nodeId: 'node-c', state: 'held' as const, heartbeatAt: NOW - 10 };
    await writeLockAtomic(home, newer);
    const r = await beatHomeLock(home, self, () => NOW);
    expect(r).toEqual({ kind: 'newer', holder: newer });
    expect(await readLock(home)).toEqual({ kind: 'ok', record: newer });
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
