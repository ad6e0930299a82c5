/**
 * GhostSweeper (src/election/ghosts.ts): the znodes of a failed leave() are removed until gone,
 * retried while connected, and forgotten once their session is over.
 */
import type { Coordinator } from '../../../src/coordination/types';
import { GhostSweeper } from '../../../src/election/ghosts';
import type { Logger } from '../../../src/logging/logger';
import { waitFor } from '../../helpers/wait';

const quiet: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, child: () => quiet };

function setup(failures: number): { coord: { state: string; generation: number }; removed: string[]; sweeper: GhostSweeper } {
  const coord = { state: 'connected', generation: 1 };
  const removed: string[] = [];
  let left = failures;
  const sweeper = new GhostSweeper({
    coordinator: coord as unknown as Coordinator,
    remove: (guid) => {
      if (left-- > 0) return Promise.reject(new Error('timeout'));
      removed.push(guid);
      return Promise.resolve();
    },
    logger: quiet,
    retryDelayMs: 5,
  });
  return { coord, removed, sweeper };
}

test('retries a failing removal while connected until it succeeds', async () => {
  const { removed, sweeper } = setup(3);
  sweeper.add('g1', 1);
  await waitFor(() => sweeper.pending() === 0, { timeoutMs: 2000, what: 'the ghost to be removed' });
  expect(removed).toEqual(['g1']);
});

test('waits for the reconnect while disconnected', async () => {
  const { coord, removed, sweeper } = setup(0);
  coord.state = 'disconnected';
  sweeper.add('g1', 1);
  await new Promise((r) => setImmediate(r));
  expect(sweeper.pending()).toBe(1);
  coord.state = 'connected';
  sweeper.sweep();
  await waitFor(() => sweeper.pending() === 0, { timeoutMs: 2000, what: 'the ghost to be removed' });
  expect(removed).toEqual(['g1']);
});

test('forgets the ghosts of a session that is over (its ephemerals went with it)', async () => {
  const { coord, removed, sweeper } = setup(0);
  coord.state = 'disconnected';
  sweeper.add('g1', 1);
  sweeper.sessionOver(1);
  expect(sweeper.pending()).toBe(0);
  // ...and of an older generation found on the next sweep.
  sweeper.add('g2', 1);
  coord.generation = 2;
  coord.state = 'connected';
  sweeper.sweep();
  await waitFor(() => sweeper.pending() === 0, { timeoutMs: 2000, what: 'the old ghost to be dropped' });
  expect(removed).toEqual([]);
});
