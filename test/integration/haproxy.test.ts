/**
 * HAProxy for real: Debian's haproxy on loopback in front of two nodes' Jenkins stand-ins, with
 * `option httpchk GET /leader` against each node's API port (as docker/haproxy.cfg does).
 * Requests reach the active Jenkins only; after kill -9 of the leader's controller and Jenkins
 * they reach the new one within the failover bound; never both (each answer comes from the one
 * live Jenkins, by the stand-in's journal; haSuite checks the journal after the test).
 */
import { mono } from '../helpers/ha-node';
import { startHaproxy, type Haproxy } from '../helpers/haproxy';
import { lives, readJournal, type Life } from '../helpers/journal';
import { waitForExit } from '../helpers/procs';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const T = 2000; // session timeout (ha-node default)
const INTER = 200; // HAProxy check interval
/** A SIGKILLed stand-in's journal ends at its last heartbeat (every 100 ms), not at its death. */
const HEARTBEAT_SLACK = 150;

let hap: Haproxy | null = null;
const suite = haSuite({
  afterEach: async () => {
    await hap?.stop();
    hap = null;
  },
});

interface Answer {
  status: number;
  node: string | null;
  pid: number | null;
  sentAt: number;
  at: number;
}

async function viaHaproxy(): Promise<Answer> {
  const sentAt = mono();
  try {
    const res = await fetch(`http://127.0.0.1:${hap!.port}/standin/info`, { signal: AbortSignal.timeout(3000) });
    const text = await res.text();
    if (res.status !== 200) return { status: res.status, node: null, pid: null, sentAt, at: mono() };
    const info = JSON.parse(text) as { node: string | null; pid: number };
    return { status: 200, node: info.node, pid: info.pid, sentAt, at: mono() };
  } catch {
    return { status: 0, node: null, pid: null, sentAt, at: mono() };
  }
}

/** The answer came from a Jenkins that was alive while the request was in flight. */
function servedWithinLife(a: Answer, ls: readonly Life[]): boolean {
  const life = ls.find((l) => l.pid === a.pid);
  return life !== undefined && life.start <= a.at && life.end + HEARTBEAT_SLACK >= a.sentAt;
}

test('requests reach the active Jenkins only, and the new one within the failover bound after kill -9 of the leader', async () => {
  const fx = suite.fx;
  // Each node's Jenkins on its own port (fixture block: base = Jenkins, base+1.. = APIs).
  const a = fx.start('a', { jenkinsPort: fx.jenkinsPort });
  const sa = await a.waitLeaderReady();
  const b = fx.start('b', { jenkinsPort: fx.jenkinsPort + 7 });
  await b.waitRole('standby');
  hap = await startHaproxy(
    [
      { name: 'a', port: a.opts.jenkinsPort, checkPort: a.opts.apiPort },
      { name: 'b', port: b.opts.jenkinsPort, checkPort: b.opts.apiPort },
    ],
    INTER,
  );

  // HAProxy starts with both servers up until their first check: wait for that round to pass
  // (three answers in a row from a; round robin would send one of them to b while it counts up).
  let streak = 0;
  await waitFor(async () => ((await viaHaproxy()).node === 'a' ? ++streak : (streak = 0)) >= 3, {
    timeoutMs: 10000,
    what: 'HAProxy to route to node a only',
  });
  // Before: every answer comes from a's Jenkins.
  const before: Answer[] = [];
  for (let i = 0; i < 20; i++) before.push(await viaHaproxy());
  const running = lives(readJournal(fx.home)).filter((l) => l.endedBy === 'running');
  expect(running).toHaveLength(1);
  expect(before.map((x) => [x.status, x.node, x.pid])).toEqual(before.map(() => [200, 'a', running[0]!.pid]));
  // b's probe says no: HAProxy has no second server to send anything to.
  expect((await fetch(`http://127.0.0.1:${b.opts.apiPort}/leader`)).status).toBe(503);

  // Crash the leader: controller and Jenkins.
  const t0 = mono();
  a.signal('SIGKILL');
  process.kill(-sa.jenkins.pid!, 'SIGKILL');
  expect(await waitForExit(running[0]!.pid, 3000)).toBe(true);

  const after: Answer[] = [];
  await waitFor(
    async () => {
      const x = await viaHaproxy();
      after.push(x);
      return x.node === 'b';
    },
    { timeoutMs: T + 15000, intervalMs: 20, what: 'HAProxy to route to node b' },
  );
  const firstB = after.find((x) => x.node === 'b')!;
  // The failover tests' bound (session timeout + 3 s for a busy machine) plus what HAProxy adds:
  // the new Jenkins' readiness probe behind /leader and one check interval. Measured: 2.3-2.8 s.
  expect(firstB.at - t0).toBeLessThan(T + 3000 + 1000 + INTER);
  for (let i = 0; i < 20; i++) after.push(await viaHaproxy());
  const sinceB = after.slice(after.indexOf(firstB));
  expect(sinceB.every((x) => x.status === 200 && x.node === 'b')).toBe(true);
  // Nothing from a once b answered, nor anything that is neither a's nor b's Jenkins.
  expect(after.filter((x) => x.status === 200).map((x) => x.node)).toEqual(
    after.filter((x) => x.status === 200).map((x) => (x.at < firstB.at ? 'a' : 'b')),
  );

  // Never both: each answer came from the Jenkins that the journal shows alive at that time.
  const ls = lives(readJournal(fx.home));
  expect(ls.map((l) => l.epoch)).toEqual(['1', '2']);
  for (const x of [...before, ...after].filter((y) => y.status === 200)) {
    expect({ x, ok: servedWithinLife(x, ls) }).toEqual({ x, ok: true });
  }
  expect(new Set(sinceB.map((x) => x.pid))).toEqual(new Set([ls[1]!.pid]));
});
