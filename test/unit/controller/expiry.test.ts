/**
 * Pause and switchover expiry on each node's own monotonic clock (issue 13 item 4): a pause lasts
 * `until - since` (both from its writer's clock) from the moment this node first saw it; a
 * switchover lasts the timeout from the moment this node first saw its id. Wall clocks of other
 * nodes, an hour ahead or behind, change nothing. Then the same through ClusterView and the
 * in-memory ZooKeeper.
 */
import { ClusterView } from '../../../src/controller/cluster-view';
import { RecordExpiry, pauseTtlMs } from '../../../src/controller/expiry';
import type { PauseRecord } from '../../../src/controller/records';
import type { SwitchoverIntent } from '../../../src/controller/status';
import { silentLogger } from '../../../src/logging/logger';
import { FakeZk } from '../../helpers/fake-coordinator';
import { waitFor } from '../../helpers/wait';

const HOUR = 3_600_000;
const T0 = Date.parse('2024-05-01T12:00:00.000Z');

function pause(sinceMs: number, ttlMs: number | null, extra: Partial<PauseRecord> = {}): PauseRecord {
  return { by: 'ops', reason: 'upgrade', since: new Date(sinceMs).toISOString(), until: ttlMs === null ? null : new Date(sinceMs + ttlMs).toISOString(), ...extra };
}

const intent = (id: string, requestedAtMs: number): SwitchoverIntent => ({ id, from: 'a', candidate: null, reason: '', requestedAt: new Date(requestedAtMs).toISOString(), state: 'pending' });

describe('pauseTtlMs', () => {
  it("is until - since, both from the writer's clock (its offset cancels out)", () => {
    expect(pauseTtlMs(pause(T0, 600_000))).toBe(600_000);
    expect(pauseTtlMs(pause(T0 + HOUR, 600_000))).toBe(600_000);
  });
  it('is null until resumed, and 0 for unreadable times', () => {
    expect(pauseTtlMs(pause(T0, null))).toBeNull();
    expect(pauseTtlMs({ ...pause(T0, 1000), until: 'garbage' })).toBe(0);
    expect(pauseTtlMs({ ...pause(T0, 1000), since: 'garbage' })).toBe(0);
  });
});

describe('RecordExpiry', () => {
  let mono: number;
  let e: RecordExpiry;
  beforeEach(() => {
    mono = 50_000;
    e = new RecordExpiry(() => mono);
  });

  it.each([
    ['written by a node an hour ahead', T0 + HOUR],
    ['written by a node an hour behind', T0 - HOUR],
    ['written by a node in step', T0],
  ])('a 10-minute pause %s lasts 10 minutes from when this node saw it', (_why, since) => {
    const p = pause(since, 600_000);
    e.seePause(p);
    mono += 599_999;
    expect(e.pauseExpired(p)).toBe(false);
    mono += 1;
    expect(e.pauseExpired(p)).toBe(true);
  });

  it('never expires a pause until resumed', () => {
    const p = pause(T0 - 100 * HOUR, null);
    e.seePause(p);
    mono += 100 * HOUR;
    expect(e.pauseExpired(p)).toBe(false);
  });

  it('counts a new pause (another since/until) afresh, and forgets a removed one', () => {
    const p1 = pause(T0, 1000);
    e.seePause(p1);
    mono += 900;
    const p2 = pause(T0 + 900, 1000);
    e.seePause(p2);
    mono += 900;
    expect(e.pauseExpired(p2)).toBe(false);
    e.seePause(null);
    mono += 900;
    expect(e.pauseExpired(p1)).toBe(false); // seen again just now
  });

  it("ages a switchover from when this node first saw its id, whatever requestedAt says", () => {
    e.seeSwitchover(intent('s1', T0 - HOUR));
    mono += 1500;
    expect(e.switchoverAgeMs({ ...intent('s1', T0 - HOUR), state: 'running' })).toBe(1500);
    expect(e.switchoverAgeMs(intent('s2', T0 + HOUR))).toBe(0);
    mono += 10;
    expect(e.switchoverAgeMs(intent('s2', T0 + HOUR))).toBe(10);
  });
});

describe('ClusterView', () => {
  it('judges a pause written by a node an hour ahead on its own clock', async () => {
    const zk = new FakeZk();
    const mono = { now: 1000 };
    const coord = zk.client('reader');
    const view = new ClusterView(coord, '/ha/c', silentLogger, () => mono.now);
    coord.start();
    const writer = zk.client('writer');
    writer.start();
    await writer.mkdirp('/ha/c');
    // Set on a node an hour ahead, for 10 minutes: by this node's wall clock it ended 50 min ago.
    const now = Date.now();
    await writer.create('/ha/c/paused', Buffer.from(JSON.stringify(pause(now + HOUR, 600_000))), 'persistent');
    await waitFor(async () => {
      await zk.settle();
      return view.pauseRecord() !== null;
    }, { timeoutMs: 2000, what: 'the view to see the pause' });
    expect(view.pauseState().paused).toBe(true);
    expect(view.pauseExpired()).toBe(false);
    mono.now += 600_000;
    expect(view.pauseState().paused).toBe(false);
    expect(view.pauseExpired()).toBe(true);

    await writer.create('/ha/c/switchover', Buffer.from(JSON.stringify(intent('s1', now - HOUR))), 'persistent');
    await waitFor(async () => {
      await zk.settle();
      return view.switchover() !== null;
    }, { timeoutMs: 2000, what: 'the view to see the switchover' });
    expect(view.switchoverAgeMs()).toBe(0);
    mono.now += 250;
    expect(view.switchoverAgeMs()).toBe(250);
    await coord.close();
    await writer.close();
  });
});
