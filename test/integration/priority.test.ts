/**
 * election.priority and election.noFailover with a real ZooKeeper and real controllers: the next
 * in line steps to the back before taking an epoch when a standby of higher priority is in line
 * (it never takes an epoch, so it never runs Jenkins), a noFailover node never takes an epoch even
 * alone and says so in /status notes, a switchover never targets it, and `jenkins-ha status` shows
 * each member's priority. Every test ends with the journal check (haSuite): never two Jenkins alive.
 */
import { runCli } from '../helpers/cli-run';
import type { HaNode } from '../helpers/ha-node';
import { assertNeverTwoAlive } from '../helpers/journal';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const suite = haSuite();
const TOKEN = 'priority-test-token';

async function post(n: HaNode, path: string, body: unknown): Promise<{ status: number; body: { error?: { code: string; message: string } } }> {
  const res = await fetch(`http://127.0.0.1:${n.opts.apiPort}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

/** One series of n's GET /metrics (undefined when absent). */
async function metric(n: HaNode, series: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${n.opts.apiPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function start(id: string, env: Record<string, string> = {}): HaNode {
  return suite.fx.start(id, { env: { JHA_API_TOKEN: TOKEN, ...env } });
}

test('the next in line yields to a standby of higher priority before taking an epoch, once, and that standby takes over', async () => {
  const a = start('a');
  await a.waitLeaderReady();
  const b = start('b', { JHA_ELECTION_PRIORITY: '0' });
  await b.waitRole('standby');
  const c = start('c', { JHA_ELECTION_PRIORITY: '10' });
  await c.waitRole('standby');
  // /status members carry each member's priority (what the head of the line decides on).
  const seen = await waitFor(
    async () => {
      const s = await a.status();
      return s && s.members.length === 3 ? s : null;
    },
    { timeoutMs: 5000, what: 'three members in a /status' },
  );
  expect(seen.members.map((m) => [m.id, m.priority, m.noFailover])).toEqual([
    ['a', 0, false],
    ['b', 0, false],
    ['c', 10, false],
  ]);
  // A healthy leader is never moved for priority: a still leads.
  expect(c.events('epoch.taken')).toHaveLength(0);

  await a.stop(); // a clean exit: b is the next in line
  const sc = await c.waitLeaderReady();
  expect(sc.epoch).toBe(2);
  const yielded = b.events('priority.yielded');
  expect(yielded).toHaveLength(1);
  expect(yielded[0]?.message).toBe('lowest sequence, but c has a higher priority (10 > 0); stepping to the back of the line before taking an epoch');
  // b never took an epoch, so it never started Jenkins; it stands behind c and stays there.
  expect(b.events('epoch.taken')).toHaveLength(0);
  expect(b.events('jenkins.started')).toHaveLength(0);
  await b.waitRole('standby');
  expect(b.events('priority.yielded')).toHaveLength(1);
  expect((await c.status())?.members.map((m) => m.id)).toEqual(['c', 'b']);
  // Counted where it happened: once on b, never on c (which took the epoch).
  expect(await metric(b, 'jenkins_ha_priority_yields_total{why="priority"}')).toBe(1);
  expect(await metric(b, 'jenkins_ha_priority_yields_total{why="no-failover"}')).toBe(0);
  expect(await metric(c, 'jenkins_ha_priority_yields_total{why="priority"}')).toBe(0);
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2']);
});

test('a switchover without a candidate goes to the standby of highest priority, not the next in line', async () => {
  const a = start('a');
  await a.waitLeaderReady();
  const b = start('b');
  await b.waitRole('standby');
  const c = start('c', { JHA_ELECTION_PRIORITY: '3' });
  await c.waitRole('standby');
  await waitFor(async () => ((await a.status())?.members.length === 3 ? true : null), { timeoutMs: 5000, what: 'three members seen by a' });
  const res = await post(a, '/switchover', { reason: 'patch a' });
  expect(res.status).toBe(202);
  const sc = await c.waitLeaderReady();
  expect(sc.epoch).toBe(2);
  expect(b.events('priority.yielded')).toHaveLength(1);
  expect(b.events('epoch.taken')).toHaveLength(0);
  await waitFor(async () => ((await c.status())?.switchover === null ? true : null), { timeoutMs: 10000, what: 'the switchover to complete' });
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2']);
});

test('a noFailover node never takes an epoch even alone, says so in its notes, yields to a node that may lead, and is no switchover target', async () => {
  const dr = start('dr', { JHA_ELECTION_NO_FAILOVER: 'true' });
  const alone = await waitFor(
    async () => {
      const s = await dr.status();
      // The note is worded from the members as the cluster view read them, which follows the
      // election by a read: wait for both, not for the decision alone.
      const note = 'noFailover: this node never leads; no other member is eligible';
      return s && s.decision === note && s.notes?.includes(note) ? s : null;
    },
    { timeoutMs: 15000, what: 'dr to hold without taking an epoch, and to say so in its notes' },
  );
  expect(alone.node.role).toBe('standby');
  expect(alone.notes).toContain('noFailover: this node never leads; no other member is eligible');
  expect(alone.epoch).toBeNull();
  expect(alone.jenkins.state).toBe('stopped');
  expect(dr.events('epoch.taken')).toHaveLength(0);

  // A node that may lead joins behind dr: dr steps to the back, a takes the first epoch.
  const a = start('a');
  const sa = await a.waitLeaderReady();
  expect(sa.epoch).toBe(1);
  expect(dr.events('priority.yielded')[0]?.message).toBe('noFailover: this node never leads; stepping to the back of the line so a leads');
  const standing = await waitFor(
    async () => {
      const s = await dr.status();
      return s && s.node.role === 'standby' && s.notes?.includes('noFailover: this node stands by and never leads') ? s : null;
    },
    { timeoutMs: 5000, what: 'dr to stand by behind a, with its note' },
  );
  expect(standing.members.find((m) => m.id === 'dr')?.noFailover).toBe(true);
  expect(await metric(dr, 'jenkins_ha_priority_yields_total{why="no-failover"}')).toBe(1);
  expect(await metric(dr, 'jenkins_ha_priority_yields_total{why="priority"}')).toBe(0);

  // No switchover to it: named, or as the only standby.
  const named = await post(a, '/switchover', { candidate: 'dr' });
  expect(named.status).toBe(409);
  expect(named.body.error?.message).toBe('candidate dr is a noFailover node (election.noFailover): it never leads');
  const any = await post(a, '/switchover', {});
  expect(any.status).toBe(409);
  expect(any.body.error?.message).toMatch(/no standby of cluster .* may take over: dr is noFailover/);

  // The leader leaves: dr is alone again and still takes no epoch.
  await a.stop();
  await waitFor(
    async () => {
      const s = await dr.status();
      return s && s.notes?.includes('noFailover: this node never leads; no other member is eligible') ? s : null;
    },
    { timeoutMs: 15000, what: 'dr alone again, holding' },
  );
  expect(dr.events('epoch.taken')).toHaveLength(0);
  expect(dr.events('jenkins.started')).toHaveLength(0);
});

test('jenkins-ha status shows each member\'s priority and noFailover', async () => {
  const a = start('a', { JHA_ELECTION_PRIORITY: '5' });
  await a.waitLeaderReady();
  const dr = start('dr', { JHA_ELECTION_NO_FAILOVER: 'true' });
  await dr.waitRole('standby');
  const env = { JHA_ZK_CONNECT: suite.zk.connect, JHA_CLUSTER: a.opts.cluster, JHA_API_HOST: '127.0.0.1', JHA_API_PORT: String(a.opts.apiPort), JHA_API_TOKEN: TOKEN };
  const json = await runCli(['status', '--json'], env);
  expect(json.code).toBe(0);
  const report = JSON.parse(json.stdout) as { members: { id: string; priority: number | null; noFailover: boolean | null }[] };
  expect(report.members.map((m) => [m.id, m.priority, m.noFailover])).toEqual([
    ['a', 5, false],
    ['dr', 0, true],
  ]);
  const table = await runCli(['status'], env);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/PRIO/);
  expect(table.stdout).toMatch(/\bdr\b.*\bnoFailover\b/);
});
