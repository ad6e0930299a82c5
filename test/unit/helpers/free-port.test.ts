/**
 * The tests' free ports stay out of the kernel's ephemeral range. A port picked there can become
 * the local port of an outgoing connection (the controller's own ZooKeeper session, opened before
 * its API listens) in the moment between the pick and the listen: the controller then dies of
 * EADDRINUSE and the test waits in vain for a leader (CI of 2026-12-07, bench.test.ts).
 */
import { FREE_PORT_LO, ephemeralPortRange, freePortBlock } from '../../helpers/zk';

test('freePortBlock hands out whole blocks below the ephemeral range, never inside it', async () => {
  const { lo } = ephemeralPortRange();
  const picks: number[] = [];
  for (let i = 0; i < 100; i++) picks.push(await freePortBlock(i % 2 === 0 ? 1 : 8));
  const outside = picks.map((base, i) => ({ base, last: base + (i % 2 === 0 ? 1 : 8) - 1 })).filter((b) => b.base < FREE_PORT_LO || b.last >= lo);
  expect(outside).toEqual([]);
});

test('the ephemeral range is read from the kernel', () => {
  const r = ephemeralPortRange();
  expect(r.lo).toBeGreaterThan(1023);
  expect(r.hi).toBeGreaterThanOrEqual(r.lo);
});
