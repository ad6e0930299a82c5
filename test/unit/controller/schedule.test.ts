/**
 * Scheduled switchovers (issue 16 item 2), the pure parts: the requested time is refused when it
 * cannot be read, lies in the past or more than 7 days ahead (400 naming "at"); each node turns it
 * into a monotonic deadline at first sight, so a wall clock hours off or stepped later changes
 * nothing once seen; the leader starts it only when due, and drops it when it cannot run.
 */
import { scheduledSwitchoverCheck } from '../../../src/controller/decide/scheduled';
import { decide } from '../../../src/controller/decide';
import { RecordExpiry } from '../../../src/controller/expiry';
import { MAX_SCHEDULE_AHEAD_MS, dueAtMono, parseScheduleAt } from '../../../src/controller/schedule';
import type { SwitchoverIntent } from '../../../src/controller/status';
import { hasCode } from '../../../src/errors';
import { leaderObserved } from './observed';

const T0 = Date.parse('2026-12-06T21:00:00.000Z');
const HOUR = 3_600_000;

function refused(at: string, now = T0): string {
  try {
    parseScheduleAt(at, now);
  } catch (err) {
    expect(hasCode(err, 'BAD_REQUEST')).toBe(true);
    return (err as Error).message;
  }
  throw new Error(`${at} was accepted`);
}

describe('parseScheduleAt', () => {
  it('takes ISO times with a zone, in any offset', () => {
    expect(parseScheduleAt('2026-12-07T02:00:00Z', T0)).toBe(Date.parse('2026-12-07T02:00:00Z'));
    expect(parseScheduleAt('2026-12-07T03:00+01:00', T0)).toBe(Date.parse('2026-12-07T02:00:00Z'));
    expect(parseScheduleAt('2026-12-06T21:00:00.5Z', T0)).toBe(T0 + 500);
  });
  it('refuses what it cannot read, and a time without a zone (each host would read it in its own)', () => {
    expect(refused('tomorrow')).toMatch(/^field "at": "tomorrow" is not an ISO 8601 time with a zone/);
    expect(refused('2026-12-07T02:00:00')).toMatch(/field "at".*not an ISO 8601 time with a zone/);
    expect(refused('2026-13-40T02:00:00Z')).toMatch(/field "at"/);
  });
  it('refuses the past and now, by this node\'s clock, and says the clock', () => {
    expect(refused('2026-12-06T20:59:59Z')).toBe('field "at": 2026-12-06T20:59:59.000Z is in the past (this node\'s clock says 2026-12-06T21:00:00.000Z)');
    expect(refused('2026-12-06T21:00:00Z')).toMatch(/in the past/);
  });
  it('refuses more than 7 days ahead, and takes exactly 7 days', () => {
    expect(parseScheduleAt(new Date(T0 + MAX_SCHEDULE_AHEAD_MS).toISOString(), T0)).toBe(T0 + MAX_SCHEDULE_AHEAD_MS);
    expect(refused(new Date(T0 + MAX_SCHEDULE_AHEAD_MS + 1000).toISOString())).toMatch(/^field "at": .* is more than 7 days ahead \(latest 2026-12-13T21:00:00.000Z/);
  });
});

describe('due on each node\'s own clocks', () => {
  const intent = (extra: Partial<SwitchoverIntent> = {}): SwitchoverIntent => ({
    id: 's1', from: 'a', candidate: null, reason: '', requestedAt: new Date(T0).toISOString(), state: 'scheduled', at: new Date(T0 + 60_000).toISOString(), by: 'api@x', ...extra,
  });

  it('dueAtMono converts at first sight', () => {
    expect(dueAtMono(new Date(T0 + 60_000).toISOString(), T0, 5_000)).toBe(65_000);
    expect(dueAtMono('garbage', T0, 5_000)).toBe(5_000);
  });

  it('a wall clock stepped after first sight moves nothing; an hour-ahead node judges by its own clock', () => {
    let mono = 1_000;
    let wall = T0;
    const e = new RecordExpiry(() => mono, () => wall);
    expect(e.scheduledDueInMs(intent())).toBe(60_000);
    wall += 2 * HOUR; // NTP steps the clock: the deadline was fixed at first sight
    mono += 30_000;
    expect(e.scheduledDueInMs(intent())).toBe(30_000);
    mono += 30_000;
    expect(e.scheduledDueInMs(intent())).toBe(0);
    // A node an hour ahead sees it long overdue: that is why only the leader acts on it.
    const ahead = new RecordExpiry(() => 0, () => T0 + HOUR);
    expect(ahead.scheduledDueInMs(intent())).toBe(60_000 - HOUR);
  });

  it('its age (the switchover timeout) counts from when it started, not from when it was scheduled', () => {
    let mono = 0;
    const e = new RecordExpiry(() => mono, () => T0);
    e.seeSwitchover(intent());
    mono = 50_000;
    expect(e.switchoverAgeMs(intent({ state: 'pending' }))).toBe(0);
    mono = 51_000;
    expect(e.switchoverAgeMs(intent({ state: 'pending' }))).toBe(1_000);
    expect(e.scheduledDueInMs(intent({ state: 'pending' }))).toBeNull();
  });
});

describe('the leader and a scheduled switchover', () => {
  const scheduled = (dueInMs: number, extra: Partial<NonNullable<ReturnType<typeof leaderObserved>['scheduledSwitchover']>> = {}) =>
    leaderObserved({ scheduledSwitchover: { id: 's1', at: '2026-12-07T02:00:00.000Z', by: 'api@x', candidate: null, dueInMs, candidateReady: true, ...extra } });

  it('does nothing before it is due', () => {
    expect(scheduledSwitchoverCheck(scheduled(1))).toBeNull();
    expect(decide(scheduled(1)).action.kind).toBe('none');
  });
  it('starts it when due, saying when and who asked', () => {
    const d = decide(scheduled(0, { candidate: 'node-b' }));
    expect(d.action).toEqual({ kind: 'scheduled-switchover', run: true });
    expect(d.reason).toBe('scheduled switchover s1 (at 2026-12-07T02:00:00.000Z, by api@x) is due; starting it: node-a -> node-b');
  });
  it('also when its Jenkins is stopped (a leader without Jenkins)', () => {
    const o = scheduled(-5, {});
    expect(decide({ ...o, jenkins: { ...o.jenkins, state: 'stopped', epoch: null } }).action).toEqual({ kind: 'scheduled-switchover', run: true });
  });
  it('keeps it while paused: neither runs nor drops it, and the paused leader\'s decision says it waits for resume', () => {
    const paused = { ...scheduled(-2 * HOUR), paused: true };
    expect(scheduledSwitchoverCheck(paused)).toBeNull();
    const running = decide(paused);
    expect(running.action.kind).toBe('none');
    expect(running.reason).toMatch(/; paused \(no restarts\); scheduled switchover s1 \(at 2026-12-07T02:00:00\.000Z\) is due and waits for resume$/);
    const stopped = decide({ ...paused, jenkins: { ...paused.jenkins, state: 'stopped', epoch: null } });
    expect(stopped).toEqual({
      action: { kind: 'none' },
      reason: 'leader but paused: not starting Jenkins until resumed; scheduled switchover s1 (at 2026-12-07T02:00:00.000Z) is due and waits for resume',
    });
    // Not due yet: the paused decision is the plain one.
    expect(decide({ ...scheduled(1000), paused: true }).reason).toMatch(/paused \(no restarts\)$/);
    // Resumed: it runs at once, and says how late.
    expect(decide({ ...paused, paused: false })).toEqual({
      action: { kind: 'scheduled-switchover', run: true },
      reason: 'scheduled switchover s1 (at 2026-12-07T02:00:00.000Z, by api@x) is due (2h00m late); starting it: node-a -> the next in line',
    });
  });
  it('drops it when the candidate leads already or is not a standby, when no standby is left', () => {
    expect(decide(scheduled(0, { candidate: 'node-a' })).reason).toMatch(/its candidate node-a already leads; dropping it$/);
    expect(decide(scheduled(0, { candidate: 'node-c', candidateReady: false })).reason).toMatch(/its candidate node-c is not a standby now; dropping it$/);
    expect(decide(scheduled(0, { candidateReady: false })).reason).toMatch(/there is no standby to take over; dropping it$/);
  });
  it('a standby never acts on it, however overdue on its clock', () => {
    const o = scheduled(-HOUR);
    const standby = { ...o, term: null, election: { ...o.election, role: 'candidate' as const }, jenkins: { ...o.jenkins, state: 'stopped' as const, epoch: null } };
    expect(decide(standby).action.kind).toBe('none');
  });
  it('fencing comes first: a leader that cannot prove its lead fences instead', () => {
    const o = scheduled(0);
    expect(decide({ ...o, zk: { ...o.zk, msSinceHeard: 9_000 } }).action.kind).toBe('stop-jenkins');
  });
});
