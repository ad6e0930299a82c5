/**
 * Start-up order: a controller's shim, eligibility checks, term and loop wait for the election's
 * first answer (or a bound), so their first CPU does not delay the join (src/controller/join-first.ts).
 */
import { EventEmitter } from 'node:events';
import { joinedOrAfter } from '../../../src/controller/join-first';
import type { ElectionRole } from '../../../src/election/types';

class FakeElection extends EventEmitter {
  role: ElectionRole = 'joining';
  status(): { role: ElectionRole } {
    return { role: this.role };
  }
  set(role: ElectionRole): void {
    this.role = role;
    this.emit('change');
  }
}

afterEach(() => jest.useRealTimers());

test('resolves when the election holds a znode (candidate), not on an earlier change', async () => {
  jest.useFakeTimers();
  const e = new FakeElection();
  let done = false;
  void joinedOrAfter(e, 1000).then(() => (done = true));
  e.set('idle');
  e.set('joining');
  await Promise.resolve();
  expect(done).toBe(false);
  e.set('candidate');
  await Promise.resolve();
  expect(done).toBe(true);
  expect(e.listenerCount('change')).toBe(0);
  expect(jest.getTimerCount()).toBe(0);
});

test('resolves at once when already leader', async () => {
  const e = new FakeElection();
  e.role = 'leader';
  await expect(joinedOrAfter(e, 1_000_000)).resolves.toBeUndefined();
});

test('resolves after the bound when ZooKeeper does not answer, and stops listening', async () => {
  jest.useFakeTimers();
  const e = new FakeElection();
  let done = false;
  void joinedOrAfter(e, 1000).then(() => (done = true));
  jest.advanceTimersByTime(999);
  await Promise.resolve();
  expect(done).toBe(false);
  jest.advanceTimersByTime(1);
  await Promise.resolve();
  expect(done).toBe(true);
  expect(e.listenerCount('change')).toBe(0);
});
