/**
 * FenceConfirmStore (the forced-failover records in ZooKeeper) reads the confirmation on every
 * connect; a store built while the session is already up (a node joins before its controller is
 * built: start-up) must read it at once, not wait for the next reconnect.
 */
import { FenceConfirmStore } from '../../../src/controller/fence-confirm';
import { silentLogger } from '../../../src/logging/logger';
import { FakeZk } from '../../helpers/fake-coordinator';
import { waitFor } from '../../helpers/wait';

const BASE = '/jenkins-ha/unit';
const confirmation = { node: 'node-a', nodeEpoch: 4, waiter: 'node-b', by: 'api@10.0.0.1', reason: 'host off', at: '2026-01-01T00:00:00.000Z' };

test('a store built on a connected session reads the confirmation at once', async () => {
  const zk = new FakeZk();
  const admin = zk.client('admin');
  admin.start();
  await admin.mkdirp(BASE);
  await admin.create(`${BASE}/fence-confirmed`, Buffer.from(JSON.stringify(confirmation)), 'persistent');
  const coord = zk.client('node-b');
  coord.start();
  await waitFor(() => coord.state === 'connected', { timeoutMs: 2000, what: 'the session' });

  let changes = 0;
  const store = new FenceConfirmStore({ coordinator: coord, basePath: BASE, logger: silentLogger, onChange: () => (changes += 1) });

  await waitFor(() => store.current() !== null, { timeoutMs: 2000, what: 'the confirmation read' });
  expect(store.current()).toEqual(confirmation);
  expect(changes).toBeGreaterThan(0);
  await coord.close();
  await admin.close();
  await zk.settle();
});
