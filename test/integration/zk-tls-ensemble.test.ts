/**
 * A 3-node ZooKeeper ensemble that serves clients over TLS only (zk.sh start --ensemble --tls):
 * controllers spread over the servers elect one leader and hand over; killing the ZooKeeper leader
 * server (every client reconnects, with a new TLS handshake) never yields two Jenkins, and a
 * Jenkins serves again. One test, one ensemble (CI budget); the journal check ends it (haSuite).
 */
import { assertNeverTwoAlive } from '../helpers/journal';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const suite = haSuite({ ensemble: true, tls: true });

function tlsEnv(): Record<string, string> {
  const pki = suite.zk.pki;
  if (!pki) throw new Error('no PKI');
  return { JHA_ZK_TLS_ENABLED: 'true', JHA_ZK_TLS_CA_FILE: `${pki}/ca.pem`, JHA_ZK_TLS_CERT_FILE: `${pki}/client.pem`, JHA_ZK_TLS_KEY_FILE: `${pki}/client-key.pem` };
}

test('a TLS ensemble: election across servers, a handover, the ZooKeeper leader server killed', async () => {
  const ports = suite.zk.ports;
  const env = tlsEnv();
  const a = suite.fx.start('a', { env, zk: ports.map((p) => `127.0.0.1:${p}`).join(',') });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env, zk: [ports[1], ports[2], ports[0]].map((p) => `127.0.0.1:${p}`).join(',') });
  await b.waitRole('standby');
  const c = suite.fx.start('c', { env, zk: [ports[2], ports[0], ports[1]].map((p) => `127.0.0.1:${p}`).join(',') });
  await c.waitRole('standby');
  await a.stop();
  expect((await b.waitLeaderReady()).epoch).toBe(2);

  const zkLeader = await suite.zk.leaderServer();
  expect(zkLeader).not.toBeNull();
  await suite.zk.killServer(zkLeader!);
  try {
    const leader = await waitFor(
      async () => {
        const all = await Promise.all([b.status(), c.status()]);
        return all.find((s) => s?.node.role === 'leader' && s.jenkins.ready && s.zookeeper.state === 'connected') ?? null;
      },
      { timeoutMs: 30000, what: 'a leader with a ready Jenkins after the ZooKeeper leader server died' },
    );
    expect(['b', 'c']).toContain(leader.node.id);
    // Both kept (or re-made) their TLS sessions: neither logged a handshake failure.
    expect([...b.events('zk.tls_failed'), ...c.events('zk.tls_failed')]).toEqual([]);
  } finally {
    await suite.zk.startServer(zkLeader!);
  }
  expect(assertNeverTwoAlive(suite.fx.home).length).toBeGreaterThanOrEqual(2);
});
