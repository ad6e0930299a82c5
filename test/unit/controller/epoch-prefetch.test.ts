/**
 * The reads of an epoch take made at the wake (src/controller/epoch-prefetch.ts): used once, in
 * their session, within the age bound; stale ones can only make the take's transaction fail
 * (docs/safety.md, "The graceful handover path", step 4).
 */
import { EpochConflictError, EpochStore, type EpochReads } from '../../../src/fencing/epoch';
import { EpochPrefetch, PREFETCH_MAX_AGE_MS } from '../../../src/controller/epoch-prefetch';
import { FakeZk } from '../../helpers/fake-coordinator';

const self = (nodeId: string): { nodeId: string; host: string; pid: number } => ({ nodeId, host: `host-${nodeId}`, pid: 1 });
const READS: EpochReads = { floor: 0, epochNode: { version: 3, offset: 0, epoch: 3 }, active: { exists: false, version: -1, crumb: null } };

function prefetch(read: () => Promise<EpochReads>): { p: EpochPrefetch; clock: { t: number; gen: number }; reads: () => number } {
  const clock = { t: 1000, gen: 1 };
  let n = 0;
  const p = new EpochPrefetch({
    epochs: {
      read: () => {
        n += 1;
        return read();
      },
    },
    generation: () => clock.gen,
    now: () => clock.t,
  });
  return { p, clock, reads: () => n };
}

test('serves the reads made at the wake to the next take in the same session, once', async () => {
  const { p, reads } = prefetch(() => Promise.resolve(READS));
  p.start();
  expect(reads()).toBe(1);
  expect(await p.take(1)).toBe(READS);
  expect(await p.take(1)).toBeNull();
});

test('serves nothing without a wake, to a take in another session, or past the age bound', async () => {
  const { p, clock } = prefetch(() => Promise.resolve(READS));
  expect(await p.take(1)).toBeNull();
  p.start();
  expect(await p.take(2)).toBeNull();
  p.start();
  clock.t += PREFETCH_MAX_AGE_MS + 1;
  expect(await p.take(1)).toBeNull();
});

test('reads that answer only after the age bound are not used', async () => {
  let answer: (r: EpochReads) => void = () => undefined;
  const { p, clock } = prefetch(() => new Promise<EpochReads>((r) => (answer = r)));
  p.start();
  const taken = p.take(1);
  clock.t += PREFETCH_MAX_AGE_MS + 1;
  answer(READS);
  expect(await taken).toBeNull();
});

test('a failed read serves nothing (the take reads again) and is no unhandled rejection', async () => {
  const { p } = prefetch(() => Promise.reject(new Error('helper died')));
  p.start();
  expect(await p.take(1)).toBeNull();
});

test('reads gone stale before the transaction make the take fail with EPOCH_CONFLICT, never a second holder of the epoch', async () => {
  const zk = new FakeZk();
  const a = zk.client('a');
  const b = zk.client('b');
  a.start();
  b.start();
  const storeA = new EpochStore(a, '/ha/c');
  const storeB = new EpochStore(b, '/ha/c');
  expect((await storeA.take(self('a'))).epoch).toBe(1);
  const early = await storeB.read();
  // Someone takes the next epoch between our reads and our transaction.
  expect((await storeA.take(self('a'))).epoch).toBe(2);
  await expect(storeB.take(self('b'), early)).rejects.toBeInstanceOf(EpochConflictError);
  // Fresh reads: the next epoch above it.
  expect((await storeB.take(self('b'))).epoch).toBe(3);
});
