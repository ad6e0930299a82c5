/**
 * The controller loop's wake-up (src/util/timers.ts Signal): a notify that arrives while nobody
 * waits (the loop is between its observation and its wait) is kept for the next wait. Without the
 * latch a graceful handover's "elected" change waited for the loop's 250 ms tick in ~1 of 3 rounds.
 */
import { Signal } from '../../../src/util/timers';

test('a notify with a waiter wakes it before the timeout', async () => {
  const s = new Signal();
  const t0 = Date.now();
  const w = s.wait(10_000);
  s.notify();
  await w;
  expect(Date.now() - t0).toBeLessThan(5_000);
});

test('a notify while nobody waits makes the next wait return at once, and only that one', async () => {
  const s = new Signal();
  s.notify();
  const first = await Promise.race([s.wait(10_000).then(() => 'woken'), new Promise((r) => setTimeout(() => r('timed out'), 2_000))]);
  expect(first).toBe('woken');
  const second = await Promise.race([s.wait(10_000).then(() => 'woken'), new Promise((r) => setTimeout(() => r('still waiting'), 200))]);
  expect(second).toBe('still waiting');
  s.notify(); // release the second wait's timer
});

test('several notifies while nobody waits are one wake-up, not a queue', async () => {
  const s = new Signal();
  s.notify();
  s.notify();
  await s.wait(10_000);
  const next = await Promise.race([s.wait(10_000).then(() => 'woken'), new Promise((r) => setTimeout(() => r('still waiting'), 200))]);
  expect(next).toBe('still waiting');
  s.notify();
});
