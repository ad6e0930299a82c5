/**
 * RestartTracker: exponential backoff between restarts of a crashing Jenkins, and the count of
 * failures inside a sliding window that makes the leader resign. Time is passed in.
 */
import { RestartTracker, type RestartPolicy } from '../../../src/controller/restarts';

const POLICY: RestartPolicy = { backoffMs: 1000, backoffMaxMs: 10_000, windowMs: 60_000 };
const T0 = 500_000;

describe('RestartTracker', () => {
  it('allows an immediate first start (nothing recorded yet)', () => {
    const r = new RestartTracker(POLICY);
    expect(r.nextAttemptAt()).toBe(0);
    expect(r.recentFailures(T0)).toBe(0);
    expect(r.total()).toBe(0);
  });

  it('doubles the backoff with every failure inside the window', () => {
    const r = new RestartTracker(POLICY);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const now = T0 + i * 100;
      r.recordFailure(now);
      delays.push(r.nextAttemptAt() - now);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000]);
  });

  it('caps the backoff at backoffMaxMs instead of waiting ever longer', () => {
    const r = new RestartTracker(POLICY);
    for (let i = 0; i < 10; i++) r.recordFailure(T0 + i);
    expect(r.nextAttemptAt() - (T0 + 9)).toBe(10_000);
  });

  it('does not overflow into Infinity or NaN after very many failures', () => {
    const r = new RestartTracker({ backoffMs: 1000, backoffMaxMs: 30_000, windowMs: Number.MAX_SAFE_INTEGER });
    for (let i = 0; i < 2000; i++) r.recordFailure(T0 + i);
    expect(r.nextAttemptAt()).toBe(T0 + 1999 + 30_000);
  });

  it('counts only failures inside the sliding window', () => {
    const r = new RestartTracker(POLICY);
    r.recordFailure(T0);
    r.recordFailure(T0 + 20_000);
    r.recordFailure(T0 + 40_000);
    expect(r.recentFailures(T0 + 40_000)).toBe(3);
    expect(r.recentFailures(T0 + 59_999)).toBe(3);
    // A failure exactly windowMs old has left the window.
    expect(r.recentFailures(T0 + 60_000)).toBe(2);
    expect(r.recentFailures(T0 + 100_000)).toBe(0);
  });

  it('starts the backoff over once old failures have left the window', () => {
    const r = new RestartTracker(POLICY);
    r.recordFailure(T0);
    r.recordFailure(T0 + 1);
    r.recordFailure(T0 + 2);
    const later = T0 + POLICY.windowMs + 10;
    r.recordFailure(later);
    expect(r.nextAttemptAt()).toBe(later + POLICY.backoffMs);
    expect(r.recentFailures(later)).toBe(1);
  });

  it('reset() forgets the window and the backoff so a new term starts clean', () => {
    const r = new RestartTracker(POLICY);
    for (let i = 0; i < 5; i++) r.recordFailure(T0 + i);
    r.reset();
    expect(r.recentFailures(T0 + 5)).toBe(0);
    expect(r.nextAttemptAt()).toBe(0);
    r.recordFailure(T0 + 10);
    expect(r.nextAttemptAt()).toBe(T0 + 10 + POLICY.backoffMs);
  });

  it('keeps the total count of failures across windows and resets', () => {
    const r = new RestartTracker(POLICY);
    r.recordFailure(T0);
    r.recordFailure(T0 + 1);
    r.reset();
    r.recordFailure(T0 + 10 * POLICY.windowMs);
    expect(r.total()).toBe(3);
    expect(r.recentFailures(T0 + 10 * POLICY.windowMs)).toBe(1);
  });
});
