import { MIN_REFUSALS, RefusalTracker, shouldAbandon } from '../../../src/coordination/refusals';

const T = 2000;

describe('shouldAbandon', () => {
  test('a session refused for its whole timeout is given up', () => {
    expect(shouldAbandon({ refusals: MIN_REFUSALS, unconnectedSince: 0 }, T, T)).toBe(true);
  });
  test('not before the session timeout has passed without a connection', () => {
    expect(shouldAbandon({ refusals: 50, unconnectedSince: 0 }, T - 1, T)).toBe(false);
  });
  test('not on a single refusal (a lagging follower refuses once; the next server takes it)', () => {
    expect(shouldAbandon({ refusals: MIN_REFUSALS - 1, unconnectedSince: 0 }, 10 * T, T)).toBe(false);
  });
  test('never for a session that has not lost a connection', () => {
    expect(shouldAbandon({ refusals: 10, unconnectedSince: null }, 10 * T, T)).toBe(false);
  });
});

describe('RefusalTracker', () => {
  test('counts refusals from the loss of the connection, and a reconnect starts over', () => {
    const r = new RefusalTracker();
    expect(r.refused(100, T)).toBe(false); // no lost connection yet: not counted
    r.lost(1000);
    r.lost(1500); // the first loss counts
    expect(r.refused(2000, T)).toBe(false);
    expect(r.refused(2999, T)).toBe(false);
    expect(r.summary(2999)).toEqual({ refusals: 2, unconnectedMs: 1999 });
    expect(r.refused(3000, T)).toBe(true);
    r.connected();
    expect(r.summary(5000)).toEqual({ refusals: 0, unconnectedMs: 0 });
    expect(r.refused(9000, T)).toBe(false);
  });
});
