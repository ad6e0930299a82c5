/**
 * The REST API against real ZooKeeper and real controller processes: planned switchover (zero
 * overlap, named candidate, 409s, cancel), maintenance pause (a crashed Jenkins stays down and
 * nobody takes over), history that survives a controller restart, and the role probes. Every
 * response is checked against docs/openapi.yaml; every test ends with the journal check (haSuite).
 */
import { assertNeverTwoAlive, lives, monoNow, readJournal } from '../helpers/journal';
import type { HaNode } from '../helpers/ha-node';
import { api, checker, type Answer } from '../helpers/jenkins-api';
import { waitForExit } from '../helpers/procs';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const TOKEN = 'integration-token';
const ENV = { JHA_API_TOKEN: TOKEN };
const suite = haSuite();

function errorCodeOf(a: Answer): string | undefined {
  return (a.body as { error?: { code?: string } }).error?.code;
}

async function probes(node: HaNode): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of ['/leader', '/standby', '/readiness', '/health']) {
    out[p] = (await api(node, 'GET', p)).status;
    expect({ p, head: (await api(node, 'HEAD', p)).status }).toEqual({ p, head: out[p] });
  }
  return out;
}

async function pair(): Promise<{ a: HaNode; b: HaNode }> {
  const a = suite.fx.start('a', { env: ENV });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env: ENV });
  await b.waitRole('standby');
  return { a, b };
}

function events(entries: unknown): string[] {
  return (entries as { event: string }[]).map((e) => e.event);
}

test('a switchover moves leadership to the standby with zero overlap and the old leader comes back as standby', async () => {
  const { a, b } = await pair();
  expect(await probes(a)).toEqual({ '/leader': 200, '/standby': 503, '/readiness': 200, '/health': 200 });
  expect(await probes(b)).toEqual({ '/leader': 503, '/standby': 200, '/readiness': 200, '/health': 200 });
  // A standby holds no term (epoch null) but shows the cluster's, from its watch of the epoch znode.
  const standbyView = (await api(b, 'GET', '/status')).body as { epoch: number | null; clusterEpoch: number | null };
  expect({ epoch: standbyView.epoch, clusterEpoch: standbyView.clusterEpoch }).toEqual({ epoch: null, clusterEpoch: 1 });

  expect((await api(a, 'POST', '/switchover', { body: {} })).status).toBe(401);
  expect((await api(a, 'POST', '/switchover', { token: 'wrong', body: {} })).status).toBe(401);
  const res = await api(a, 'POST', '/switchover', { token: TOKEN, body: { reason: 'planned maintenance' } });
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ from: 'a', candidate: null, reason: 'planned maintenance', state: 'pending' });
  const id = (res.body as { id: string }).id;

  const sb = await b.waitLeaderReady();
  expect(sb.epoch).toBe(2);
  await a.waitRole('standby');
  // The old leader, now standby, sees the new term through the watch (no restart, no poll).
  await waitFor(async () => ((await api(a, 'GET', '/status')).body as { clusterEpoch?: number | null }).clusterEpoch === 2, {
    timeoutMs: 5000,
    what: "a's /status clusterEpoch to follow the epoch znode to 2",
  });
  expect(((await api(a, 'GET', '/status')).body as { epoch: number | null }).epoch).toBeNull();
  // b's takeover counts as a planned failover; a's first term counted as none.
  const metric = async (n: HaNode, name: string): Promise<number> => {
    const text = String((await api(n, 'GET', '/metrics')).body);
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? Number.NaN : Number(line.split(' ')[1]);
  };
  await waitFor(async () => (await metric(b, 'jenkins_ha_failovers_total{kind="planned"}')) === 1, { timeoutMs: 5000, what: "b's planned failover in /metrics" });
  expect(await metric(b, 'jenkins_ha_failovers_total{kind="unplanned"}')).toBe(0);
  expect(await metric(a, 'jenkins_ha_failovers_total{kind="planned"}')).toBe(0);
  expect(await metric(a, 'jenkins_ha_failovers_total{kind="unplanned"}')).toBe(0);
  // The intent is removed once the new leader's Jenkins runs.
  await waitFor(async () => (await a.status())?.switchover === null && (await b.status())?.switchover === null, {
    timeoutMs: 10000,
    what: 'the switchover intent to be completed',
  });
  expect(await probes(b)).toEqual({ '/leader': 200, '/standby': 503, '/readiness': 200, '/health': 200 });
  expect(await probes(a)).toEqual({ '/leader': 503, '/standby': 200, '/readiness': 200, '/health': 200 });

  const ls = assertNeverTwoAlive(suite.fx.home);
  expect(ls.map((l) => l.epoch)).toEqual(['1', '2']);
  expect(ls[0]!.endedBy).toBe('stop');
  // The handover was clean: b found no breadcrumb to fence.
  expect(b.events('epoch.taken')[0]!.previousExitedCleanly).toBe(true);

  // Cluster-wide history, from either node.
  const h = await waitFor(
    async () => {
      const r = await api(b, 'GET', '/history');
      const evs = events(r.body);
      return evs.includes('switchover.completed') ? evs : null;
    },
    { timeoutMs: 5000, what: 'switchover.completed in /history' },
  );
  expect(h).toEqual(expect.arrayContaining(['elected', 'switchover.requested', 'switchover.started', 'switchover.left', 'switchover.completed']));
  expect(h.indexOf('switchover.requested')).toBeLessThan(h.indexOf('switchover.completed'));
  const requested = ((await api(a, 'GET', '/history?limit=200')).body as { event: string; reason: string }[]).find((e) => e.event === 'switchover.requested');
  expect(requested?.reason).toMatch(/by api@(::ffff:)?127\.0\.0\.1: planned maintenance/);
  expect(((await api(a, 'GET', '/history?limit=1')).body as unknown[]).length).toBe(1);
  expect((await api(a, 'GET', '/history?limit=0')).status).toBe(400);
  expect(id).toMatch(/^[0-9a-f-]{36}$/);

  // Nothing left to cancel.
  const cancel = await api(b, 'DELETE', '/switchover', { token: TOKEN });
  expect(cancel.status).toBe(404);
  expect(errorCodeOf(cancel)).toBe('NOT_FOUND');
});

test('DELETE /switchover cancels a switchover the leader has not started: nothing moves', async () => {
  // A long session, so the brief freeze below stays far from the leader's lease.
  const a = suite.fx.start('a', { env: ENV, sessionTimeoutMs: 8000 });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env: ENV, sessionTimeoutMs: 8000 });
  await b.waitRole('standby');
  // Frozen, the leader cannot pick the intent up: it stays pending until it is cancelled.
  a.signal('SIGSTOP');
  let id = '';
  let cancelled: Answer;
  try {
    const res = await api(b, 'POST', '/switchover', { token: TOKEN, body: { reason: 'to be cancelled' } });
    expect(res.status).toBe(202);
    id = (res.body as { id: string }).id;
    await waitFor(async () => (await b.status())?.switchover?.id === id, { timeoutMs: 5000, what: 'b to see the pending switchover' });
    expect((await api(b, 'DELETE', '/switchover')).status).toBe(401);
    cancelled = await api(b, 'DELETE', '/switchover', { token: TOKEN });
  } finally {
    a.signal('SIGCONT');
  }
  expect(cancelled.status).toBe(200);
  expect(cancelled.body).toMatchObject({ id, state: 'pending', from: 'a', reason: 'to be cancelled' });
  expect(errorCodeOf(await api(b, 'DELETE', '/switchover', { token: TOKEN }))).toBe('NOT_FOUND');

  // The thawed leader finds no intent and keeps leading; its Jenkins was never stopped.
  await waitFor(async () => (await a.status())?.switchover === null, { timeoutMs: 5000, what: 'a to see no switchover' });
  expect((await a.waitLeaderReady()).epoch).toBe(1);
  expect((await api(b, 'POST', '/switchover', { token: TOKEN, body: {} })).status).toBe(202); // the slot is free again
  await b.waitLeaderReady();
  const h = events((await api(b, 'GET', '/history?limit=200')).body);
  expect(h.indexOf('switchover.cancelled')).toBeGreaterThan(h.indexOf('switchover.requested'));
  const ls = assertNeverTwoAlive(suite.fx.home);
  expect(ls.map((l) => l.epoch)).toEqual(['1', '2']); // only the second switchover moved Jenkins
});

test('a switchover naming a candidate among three nodes lands on that candidate; unknown candidates are a 409', async () => {
  const a = suite.fx.start('a', { env: ENV });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env: ENV });
  await b.waitRole('standby');
  const c = suite.fx.start('c', { env: ENV });
  await c.waitRole('standby');
  await waitFor(async () => ((await api(a, 'GET', '/members')).body as unknown[]).length === 3, { timeoutMs: 5000, what: 'three members' });

  const unknown = await api(a, 'POST', '/switchover', { token: TOKEN, body: { candidate: 'zz' } });
  expect(unknown.status).toBe(409);
  expect(errorCodeOf(unknown)).toBe('CONFLICT');
  const self = await api(b, 'POST', '/switchover', { token: TOKEN, body: { candidate: 'a' } });
  expect(self.status).toBe(409);
  const bad = await api(a, 'POST', '/switchover', { token: TOKEN, body: { candidate: 'c', force: true } });
  expect(bad.status).toBe(400);

  // Asked of a standby: the intent is cluster-wide.
  const res = await api(b, 'POST', '/switchover', { token: TOKEN, body: { candidate: 'c' } });
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ from: 'a', candidate: 'c' });
  const sc = await c.waitLeaderReady();
  expect(sc.epoch).toBe(2);
  await a.waitRole('standby');
  await b.waitRole('standby');
  expect(b.events('jenkins.started')).toHaveLength(0);
  const members = (await api(c, 'GET', '/members')).body as { id: string; role: string }[];
  expect(members[0]).toMatchObject({ id: 'c', role: 'leader' });
  expect(members.map((m) => m.id).sort()).toEqual(['a', 'b', 'c']);
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2']);
});

test('a switchover with no standby is a 409; a node without api.token refuses commands with 403', async () => {
  const a = suite.fx.start('a', { env: ENV });
  await a.waitLeaderReady();
  const res = await api(a, 'POST', '/switchover', { token: TOKEN });
  expect(res.status).toBe(409);
  expect((res.body as { error: { message: string } }).error.message).toMatch(/no standby/);
  const b = suite.fx.start('b');
  await b.waitRole('standby');
  for (const [m, p] of [['POST', '/switchover'], ['DELETE', '/switchover'], ['POST', '/pause'], ['POST', '/resume']] as const) {
    const r = await api(b, m, p, { token: TOKEN });
    expect({ m, p, status: r.status }).toEqual({ m, p, status: 403 });
    expect((r.body as { error: { message: string } }).error.message).toMatch(/^no api\.token configured/);
  }
  expect((await a.status())?.switchover).toBeNull();
  expect((await a.status())?.paused.paused).toBe(false);
});

test('while paused a crashed Jenkins stays down and no standby takes over; resume starts it again', async () => {
  const { a, b } = await pair();
  const running = lives(readJournal(suite.fx.home)).filter((l) => l.endedBy === 'running');
  expect(running).toHaveLength(1);
  const standinPid = running[0]!.pid;

  const p = await api(b, 'POST', '/pause', { token: TOKEN, body: { reason: 'upgrade', ttlSeconds: 600 } });
  expect(p.status).toBe(200);
  expect(p.body).toMatchObject({ paused: true, reason: 'upgrade', by: expect.stringMatching(/^api@/) });
  await waitFor(async () => (await a.status())?.paused.paused === true, { timeoutMs: 5000, what: 'node a to see the pause' });

  const t0 = monoNow();
  const kill = await fetch(`http://127.0.0.1:${suite.fx.jenkinsPort}/standin/exit?code=3`, { method: 'POST' });
  expect(kill.status).toBeLessThan(500);
  expect(await waitForExit(standinPid, 3000)).toBe(true);
  await a.waitForEvent('jenkins.crashed', { after: t0 - 1 });

  // Quiet window: 3 s in which nothing may start a Jenkins (restart backoff here is 100-400 ms,
  // so an unpaused leader would have restarted it several times over).
  const QUIET_MS = 3000;
  await new Promise((r) => setTimeout(r, QUIET_MS));
  expect(lives(readJournal(suite.fx.home)).filter((l) => l.start > t0)).toEqual([]);
  expect(a.events('jenkins.started').filter((l) => l.seenAt > t0)).toEqual([]);
  expect(b.events('jenkins.started')).toEqual([]);
  expect(b.events('elected')).toEqual([]);
  const sa = await a.status();
  expect(sa?.jenkins.state).toBe('stopped');
  expect(sa?.paused.paused).toBe(true);
  expect((await api(a, 'GET', '/leader')).status).toBe(503);
  expect((await api(b, 'GET', '/standby')).status).toBe(200);

  const r = await api(a, 'POST', '/resume', { token: TOKEN });
  expect(r.status).toBe(200);
  expect(r.body).toEqual({ paused: false });
  const s = await a.waitLeaderReady();
  expect(s.epoch).toBe(1);
  expect(b.events('jenkins.started')).toEqual([]);
  const ls = assertNeverTwoAlive(suite.fx.home);
  expect(ls).toHaveLength(2);
  expect(ls[0]!.code).toBe(3);
  const evs = events((await api(b, 'GET', '/history')).body);
  expect(evs).toEqual(expect.arrayContaining(['paused', 'jenkins.crashed', 'resumed']));
});

test('history is kept in ZooKeeper: a restarted controller still answers with the old entries', async () => {
  const a1 = suite.fx.start('a', { env: ENV });
  await a1.waitLeaderReady();
  const before = await waitFor(
    async () => {
      const h = (await api(a1, 'GET', '/history')).body as { event: string; at: string }[];
      return h.some((e) => e.event === 'jenkins.ready') ? h : null;
    },
    { timeoutMs: 5000, what: 'elected and jenkins.ready in /history' },
  );
  const elected = before.find((e) => e.event === 'elected');
  expect(elected).toBeDefined();
  await a1.stop();
  expect((await a1.exited).code).toBe(0);

  const a2 = suite.fx.start('a', { env: ENV });
  await a2.waitLeaderReady();
  const after = await waitFor(
    async () => {
      const h = (await api(a2, 'GET', '/history')).body as { event: string; at: string }[];
      return h.filter((e) => e.event === 'elected').length >= 2 ? h : null;
    },
    { timeoutMs: 5000, what: 'a second elected entry in /history' },
  );
  expect(after).toContainEqual(elected);
  expect(after.findIndex((e) => e.at === elected!.at && e.event === 'elected')).toBeLessThan(after.length - 1);
  // The restarted node's own in-memory history starts empty of the old term.
  const s = await a2.status();
  expect(s?.history.some((e) => e.at === elected!.at && e.event === 'elected')).toBe(false);
});

test('every documented probe and read answered the integration tests as the document says', () => {
  for (const k of ['GET /leader 200', 'GET /leader 503', 'GET /standby 200', 'GET /standby 503', 'GET /readiness 200', 'GET /health 200', 'POST /switchover 202', 'POST /switchover 409', 'POST /switchover 401', 'POST /switchover 403', 'DELETE /switchover 404', 'POST /pause 200', 'POST /resume 200', 'GET /history 200', 'GET /members 200']) {
    expect({ k, seen: checker.seen.has(k) }).toEqual({ k, seen: true });
  }
});
