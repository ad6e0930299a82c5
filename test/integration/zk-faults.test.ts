/**
 * ZooKeeper faults against a standalone server: restart, a silent partition (a TCP proxy that
 * drops bytes without closing), and a frozen controller. Every test ends by checking the journal:
 * never two Jenkins alive at once on the home.
 */
import { assertNeverTwoAlive, runningStandin } from '../helpers/journal';
import { mono, type HaNode } from '../helpers/ha-node';
import { waitForExit } from '../helpers/procs';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { expectFrozenLeaderLosesJenkins } from '../helpers/frozen-leader';
import { haSuite } from '../helpers/suite';

const T = 2000;

let proxy: TcpProxy | null = null;
const suite = haSuite({
  afterEach: async () => {
    await proxy?.close();
    proxy = null;
  },
});

/** a leads with a ready Jenkins (reaching ZooKeeper at `aZk` when given), b stands by; the pid of a's stand-in. */
async function pair(aZk?: string): Promise<{ a: HaNode; b: HaNode; pid: number }> {
  const a = suite.fx.start('a', aZk === undefined ? {} : { zk: aZk });
  await a.waitLeaderReady();
  const b = suite.fx.start('b');
  await b.waitRole('standby');
  return { a, b, pid: runningStandin(suite.fx.home) };
}

test('a ZooKeeper restart never yields two Jenkins, and the service comes back', async () => {
  const { a, b, pid } = await pair();
  const t0 = mono();
  await suite.zk.stopServer(1);
  // Silent ZooKeeper: the leader fences its Jenkins before the session could expire.
  await a.waitForEvent('fenced', { after: t0 });
  expect(await waitForExit(pid, 3000)).toBe(true);
  expect(mono() - t0).toBeLessThan(T);
  await suite.zk.startServer(1);
  // A restarted standalone server restores sessions: one of the nodes leads again.
  const leader = await Promise.race([a.waitLeaderReady(30000), b.waitLeaderReady(30000)]);
  expect(['a', 'b']).toContain(leader.node.id);
  const ls = assertNeverTwoAlive(suite.fx.home);
  expect(ls.length).toBeGreaterThanOrEqual(2);
});

test('a silent partition stops the old Jenkins before the standby starts its own', async () => {
  const [host, port] = suite.zk.connect.split(':');
  proxy = await startProxy({ host: host!, port: Number(port) });
  const { a, b, pid } = await pair(`127.0.0.1:${proxy.port}`);
  const t0 = mono();
  proxy.blackhole();
  // a hears nothing: it fences within fenceAfter (T/2) + kill grace, before its session can expire.
  const fenced = await a.waitForEvent('fenced', { after: t0 });
  expect(fenced.message).toMatch(/no reply from ZooKeeper/);
  expect(await waitForExit(pid, 3000)).toBe(true);
  const oldGone = mono();
  expect(oldGone - t0).toBeLessThan(T);
  // The server expires a's session and b takes over - after the old Jenkins is gone.
  await b.waitLeaderReady();
  const ls = assertNeverTwoAlive(suite.fx.home);
  expect(ls.map((l) => l.epoch)).toEqual(['1', '2']);
  expect(ls[1]!.start).toBeGreaterThan(ls[0]!.end);
  // When the network heals, a learns its session expired and rejoins as a standby.
  proxy.heal();
  await a.waitRole('standby', 30000);
  expect(a.events('jenkins.started')).toHaveLength(1);
});

test('a frozen controller (SIGSTOP) loses its Jenkins to the watchdog before the standby starts one', async () => {
  const { a, b, pid } = await pair();
  // Nobody renews the shim's lease: it fences Jenkins on its own; thawed, a stands by.
  await expectFrozenLeaderLosesJenkins(suite.fx.home, a, b, pid, T);
});
