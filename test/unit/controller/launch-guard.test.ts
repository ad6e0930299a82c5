/**
 * The launch guard against a real lock file in a temp dir, with injected clocks and port probe:
 * it holds a launch back while another epoch's heartbeat is live (saying so once per holder),
 * judged by how long this node saw it unchanged on its monotonic clock (never the wall clocks),
 * lets it go when the heartbeat is stale or released, and blocks on a foreign listener with one
 * alarm per episode.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LaunchGuard, type LaunchGuardOptions } from '../../../src/controller/launch-guard';
import { writeLockAtomic, type LockRecord } from '../../../src/fencing/home-lock';
import type { PortProbe } from '../../../src/jenkins/port-probe';
import { silentLogger, type LogFields, type Logger } from '../../../src/logging/logger';

const WALL = Date.parse('2024-05-01T12:00:00.000Z');
let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-guard-'));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

function setup(over: Partial<LaunchGuardOptions> = {}) {
  const clock = { mono: 1000, wall: WALL };
  let port: PortProbe = { kind: 'free' };
  const events: string[] = [];
  const alarms: string[] = [];
  const log: Logger = {
    ...silentLogger,
    warn: (_m: string, f?: LogFields) => void events.push(String(f?.event)),
    info: (_m: string, f?: LogFields) => void events.push(String(f?.event)),
    child: () => log,
  };
  const guard = new LaunchGuard({
    home,
    jenkinsUrl: 'http://127.0.0.1:8080',
    leaseMs: 5000,
    heartbeatMs: 1000,
    retryMs: 1000,
    now: () => clock.mono,
    wallNow: () => clock.wall,
    logger: log,
    probePort: async () => port,
    record: () => undefined,
    alarm: (r) => void alarms.push(r),
    ...over,
  });
  return { guard, clock, events, alarms, setPort: (p: PortProbe) => (port = p) };
}

const foreign = (extra: Partial<LockRecord> = {}): LockRecord => ({
  epoch: 3, nodeId: 'node-b', host: 'host-b', pid: 9, cluster: 'ci', state: 'held', time: '', heartbeatAt: WALL - 1000, ...extra,
});

test('launches at once when there is no lock, or our own', async () => {
  const t = setup();
  expect(await t.guard.check(4)).toMatchObject({ ok: true });
  await writeLockAtomic(home, foreign({ epoch: 4 }));
  expect(await t.guard.check(4)).toMatchObject({ ok: true });
  expect(t.guard.storageLease()).toBeNull();
});

test('waits while another epoch holds a live heartbeat, re-reading each heartbeat period, then goes on when it is stale', async () => {
  const t = setup();
  await writeLockAtomic(home, foreign());
  expect(await t.guard.check(4)).toEqual({ ok: false, blocked: null });
  // First look: the heartbeat counts as just written, whatever its wall time says.
  expect(t.guard.storageLease()).toEqual({ until: 2000, reason: expect.stringContaining("epoch 3 (node node-b@host-b) has a live heartbeat (unchanged for 0 ms on this node's clock, lease 5000 ms") });
  // Still live at the next look: one warning per holder, not per look.
  t.clock.mono += 1000;
  t.clock.wall += 1000;
  expect((await t.guard.check(4)).ok).toBe(false);
  expect(t.events.filter((e) => e === 'lock.waiting')).toHaveLength(1);
  // Near the end of the lease the wait is cut to what is left.
  t.clock.mono += 3500;
  t.clock.wall += 3500;
  await t.guard.check(4);
  expect(t.guard.storageLease()?.until).toBe(t.clock.mono + 500);
  t.clock.mono += 500;
  t.clock.wall += 500;
  expect(await t.guard.check(4)).toMatchObject({ ok: true });
  expect(t.guard.storageLease()).toBeNull();
  expect(t.events).toContain('lock.wait_over');
});

// Issue 13 item 3: the lease compared the writer's wall clock with ours.
test("a dead holder's heartbeat from an hour in the future holds the launch back one lease, not an hour", async () => {
  const t = setup();
  await writeLockAtomic(home, foreign({ heartbeatAt: WALL + 3_600_000 }));
  expect((await t.guard.check(4)).ok).toBe(false);
  t.clock.mono += 5000;
  t.clock.wall += 5000;
  expect(await t.guard.check(4)).toMatchObject({ ok: true });
});

test('a live holder whose clock is an hour behind keeps the launch back while it beats', async () => {
  const t = setup();
  for (let beat = 0; beat < 12; beat++) {
    await writeLockAtomic(home, foreign({ heartbeatAt: t.clock.wall - 3_600_000 }));
    expect((await t.guard.check(4)).ok).toBe(false);
    t.clock.mono += 1000;
    t.clock.wall += 1000;
  }
  expect(t.guard.storageLease()?.reason).toContain('by this host\'s wall clock, not used');
  // It stops beating: stale one lease after its last beat was first seen.
  t.clock.mono += 4000;
  expect(await t.guard.check(4)).toMatchObject({ ok: true });
});

test('a standby that watched the lock unchanged for a lease launches at once when it leads', async () => {
  const t = setup();
  await writeLockAtomic(home, foreign());
  await t.guard.watch();
  t.clock.mono += 5000;
  await t.guard.watch();
  expect(await t.guard.check(4)).toMatchObject({ ok: true });
  expect(t.events).not.toContain('lock.waiting');
});

test('watching a lock that changes meanwhile counts from the change', async () => {
  const t = setup();
  await writeLockAtomic(home, foreign());
  await t.guard.watch();
  t.clock.mono += 4000;
  await writeLockAtomic(home, foreign({ heartbeatAt: WALL + 4000 }));
  await t.guard.watch();
  t.clock.mono += 1000;
  expect((await t.guard.check(4)).ok).toBe(false);
  expect(t.guard.storageLease()?.until).toBe(t.clock.mono + 1000);
});

test('goes on as soon as the holder marks the lock released', async () => {
  const t = setup();
  await writeLockAtomic(home, foreign());
  expect((await t.guard.check(4)).ok).toBe(false);
  await writeLockAtomic(home, foreign({ state: 'released' }));
  expect(await t.guard.check(4)).toMatchObject({ ok: true });
});

test('leaves a newer epoch to the lock write (which refuses it) instead of waiting', async () => {
  const t = setup();
  await writeLockAtomic(home, foreign({ epoch: 9, heartbeatAt: WALL }));
  expect(await t.guard.check(4)).toMatchObject({ ok: true });
});

test('blocks on a foreign listener with one alarm per episode, and lets go when it is gone', async () => {
  const t = setup();
  t.setPort({ kind: 'listening', address: '127.0.0.1:8080' });
  const first = await t.guard.check(4);
  expect(first).toEqual({ ok: false, blocked: { until: 2000, gate: 'split-brain', reason: expect.stringContaining('127.0.0.1:8080') } });
  await t.guard.check(4);
  expect(t.alarms).toHaveLength(1);
  t.setPort({ kind: 'free' });
  expect(await t.guard.check(4)).toMatchObject({ ok: true });
  expect(t.events).toContain('split_brain.cleared');
  t.setPort({ kind: 'listening', address: '127.0.0.1:8080' });
  await t.guard.check(4);
  expect(t.alarms).toHaveLength(2);
});

test('an inconclusive probe does not block', async () => {
  const t = setup();
  t.setPort({ kind: 'unknown', error: 'timeout' });
  expect(await t.guard.check(4)).toMatchObject({ ok: true });
});

test('probes the port first, then reads the lock once and hands that read to the lock write', async () => {
  // The probe writes a lock: a read made before the probe would not see it.
  const record = foreign({ state: 'released' });
  const t = setup({
    probePort: async () => {
      await writeLockAtomic(home, record, false);
      return { kind: 'free' } as PortProbe;
    },
  });
  expect(await t.guard.check(4)).toEqual({ ok: true, lock: { kind: 'ok', record } });
});

