/**
 * A leave() whose delete is lost (the link to ZooKeeper goes silent during it) must not leave a
 * ghost election znode owned by our live session: the election keeps removing it until it is
 * gone or the session is over. Real ZooKeeper; the election's client reaches it through a TCP
 * proxy that blackholes (no FIN, no RST) during the delete, then heals within the session
 * timeout, so the session survives and only the retry can remove the znode.
 */
import { ZkCoordinator } from '../../src/coordination/zookeeper';
import { Election } from '../../src/election/election';
import { RawZk } from '../helpers/raw-zk';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { waitFor } from '../helpers/wait';
import { startZk, type ZkCluster } from '../helpers/zk';
import { MemoryLogger } from '../helpers/memory-logger';



const T = 8000; // long enough for the session to outlive the blackhole and the reconnect
const PATH = '/jha-leave/election';

let zk: ZkCluster;
let proxy: TcpProxy;
let coord: ZkCoordinator;
let raw: RawZk;
const logs = new MemoryLogger();

beforeAll(async () => {
  zk = await startZk();
  const [host, port] = zk.connect.split(':');
  proxy = await startProxy({ host: host ?? '127.0.0.1', port: Number(port) });
  raw = await RawZk.connect(zk.connect);
}, 60000);

afterAll(async () => {
  await coord?.close();
  raw?.close();
  await proxy?.close();
  await zk?.stop();
});

test('a leave whose delete is lost keeps removing the znode while the session lives', async () => {
  coord = new ZkCoordinator({
    connect: `127.0.0.1:${proxy.port}`,
    sessionTimeoutMs: T,
    spinDelayMs: 100,
    timings: () => ({ pingIntervalMs: 500, requestTimeoutMs: 700 }),
    logger: logs.child({ component: 'zookeeper' }),
  });
  coord.start();
  await waitFor(() => coord.state === 'connected', { timeoutMs: 20000, what: 'ZooKeeper connection' });
  const election = new Election({
    coordinator: coord,
    path: PATH,
    nodeId: 'a',
    host: 'test',
    member: () => ({ id: 'a', host: 'test', pid: process.pid, apiUrl: '', jenkinsUrl: '', version: 'test', startedAt: new Date().toISOString() }),
    logger: logs.child({ component: 'election' }),
    now: () => performance.now(),
  });
  election.join();
  await waitFor(() => election.isLeader(), { timeoutMs: 10000, what: 'leadership' });
  expect(await raw.getChildren(PATH)).toHaveLength(1);
  const session = coord.session()?.sessionId;

  // The delete goes into the void: leave() gives up on it after the call timeout.
  proxy.blackhole();
  await election.leave('not eligible');
  expect(logs.events('election.leave_failed')).toHaveLength(1);
  expect(await raw.getChildren(PATH)).toHaveLength(1);

  // The link heals well within T: the same session reconnects, and its znode must go.
  proxy.heal();
  await waitFor(async () => (await raw.getChildren(PATH)).length === 0, { timeoutMs: T / 2, what: 'the ghost election znode to be removed' });
  // The server applied the delete; our client hears its answer a moment later.
  await waitFor(() => logs.events('election.leave_completed').length > 0, { timeoutMs: T / 2, what: 'election.leave_completed' });
  expect(coord.session()?.sessionId).toBe(session);
  expect(coord.state).toBe('connected');
  expect(logs.events('election.leave_completed')).toHaveLength(1);
  expect(election.status().role).toBe('idle');
});
