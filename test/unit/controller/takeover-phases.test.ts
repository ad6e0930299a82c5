/** The split of a takeover into decision, launch and readiness (what /metrics and the logs show). */
import { takeoverPhases } from '../../../src/controller/takeover-phases';

test('splits woke -> epoch -> spawned -> ready into three consecutive phases', () => {
  expect(takeoverPhases({ wokeAt: 1000, epochAt: 1012.5, spawnedAt: 1020, readyAt: 1520.25 })).toEqual({
    decisionMs: 12.5,
    launchMs: 7.5,
    readinessMs: 500.25,
  });
});

test('the phases add up to woke -> ready', () => {
  const m = { wokeAt: 10.001, epochAt: 23.456, spawnedAt: 31.789, readyAt: 1042.003 };
  const p = takeoverPhases(m);
  expect(p.decisionMs + p.launchMs + p.readinessMs).toBeCloseTo(m.readyAt - m.wokeAt, 2);
});

test('keeps microseconds at most (3 decimals)', () => {
  expect(takeoverPhases({ wokeAt: 0, epochAt: 1.23456, spawnedAt: 2, readyAt: 3 }).decisionMs).toBe(1.235);
});

test('a moment out of order gives 0, never a negative duration', () => {
  expect(takeoverPhases({ wokeAt: 50, epochAt: 40, spawnedAt: 30, readyAt: 20 })).toEqual({ decisionMs: 0, launchMs: 0, readinessMs: 0 });
});
