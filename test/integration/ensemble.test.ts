/**
 * The same promise on a 3-node ZooKeeper ensemble on loopback: election across servers, and the
 * loss of the ZooKeeper leader server. Every test ends by checking the journal.
 */
import { assertNeverTwoAlive } from '../helpers/journal';
import { mono } from '../helpers/ha-node';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const suite = haSuite({ ensemble: true });

test('three controllers on an ensemble: one Jenkins, and a graceful handover down the line', async () => {
  // Each controller talks to a different server first, so watches cross servers.
  const ports = suite.zk.ports;
  const a = suite.fx.start('a', { zk: ports.map((p) => `127.0.0.1:${p}`).join(',') });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { zk: [ports[1], ports[2], ports[0]].map((p) => `127.0.0.1:${p}`).join(',') });
  // b queues before c: c starts only once b stands in line.
  await b.waitRole('standby');
  const c = suite.fx.start('c', { zk: [ports[2], ports[0], ports[1]].map((p) => `127.0.0.1:${p}`).join(',') });
  await c.waitRole('standby');
  await a.stop();
  const sb = await b.waitLeaderReady();
  expect(sb.epoch).toBe(2);
  expect(c.events('jenkins.started')).toHaveLength(0);
  expect((await c.status())?.election.predecessor).toMatch(/_b_\d{10}$/);
  await b.stop();
  const sc = await c.waitLeaderReady();
  expect(sc.epoch).toBe(3);
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2', '3']);
});

test('killing the ZooKeeper leader server never yields two Jenkins, and a Jenkins serves again', async () => {
  const a = suite.fx.start('a');
  await a.waitLeaderReady();
  const b = suite.fx.start('b');
  await b.waitRole('standby');
  const zkLeader = await suite.zk.leaderServer();
  expect(zkLeader).not.toBeNull();
  const t0 = mono();
  await suite.zk.killServer(zkLeader!);
  try {
    // The ensemble elects a new server leader; sessions survive; a Jenkins serves again.
    const leader = await waitFor(
      async () => {
        const [sa, sb] = await Promise.all([a.status(), b.status()]);
        const l = [sa, sb].find((s) => s?.node.role === 'leader' && s.jenkins.ready && s.zookeeper.state === 'connected');
        return l ?? null;
      },
      { timeoutMs: 30000, what: 'a leader with a ready Jenkins after the ZooKeeper leader died' },
    );
    expect(['a', 'b']).toContain(leader.node.id);
    expect(mono() - t0).toBeLessThan(30000);
  } finally {
    await suite.zk.startServer(zkLeader!);
  }
});
