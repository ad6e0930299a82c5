/**
 * Drain before a planned handover, for real: the Jenkins stand-in runs builds that finish after a
 * delay and protects POST /quietDown with basic auth and a session-bound crumb; the controllers
 * talk to it over HTTP with jenkins.user + jenkins.apiToken; real ZooKeeper. Every test ends with
 * the journal check (haSuite): never two Jenkins alive at once.
 */
import { assertNeverTwoAlive, readJournal, type JournalEntry } from '../helpers/journal';
import type { HaNode } from '../helpers/ha-node';
import { api, standinAuthEnv, startBuild, standinInfo } from '../helpers/jenkins-api';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const TOKEN = 'integration-token';
const ENV = {
  JHA_API_TOKEN: TOKEN,
  JHA_JENKINS_USER: 'admin',
  JHA_JENKINS_API_TOKEN: 'jenkins-secret',
  ...standinAuthEnv('admin', 'jenkins-secret'),
  STANDIN_CRUMB: '1',
};
const suite = haSuite();

async function pair(env: Record<string, string> = {}): Promise<{ a: HaNode; b: HaNode }> {
  const a = suite.fx.start('a', { env: { ...ENV, ...env } });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env: { ...ENV, ...env } });
  await b.waitRole('standby');
  return { a, b };
}

function journalEvents(ev: string): JournalEntry[] {
  return readJournal(suite.fx.home).filter((e) => e.ev === ev);
}

test('a switchover waits for a running build, then hands over with zero overlap', async () => {
  const { a, b } = await pair();
  const port = suite.fx.jenkinsPort;
  expect(await startBuild(port, 3000, 'deploy #7')).toBe(201);

  const res = await api(a, 'POST', '/switchover', { token: TOKEN, body: { reason: 'drain test' } });
  expect(res.status).toBe(202);
  // The intent goes pending -> draining; the leader's status shows the build it waits for.
  const s = await waitFor(
    async () => {
      const st = (await api(a, 'GET', '/status')).body as { switchover: { state: string } | null; drain: { running: number | null; builds: { name: string }[] } | null };
      return st.switchover?.state === 'draining' && st.drain?.running === 1 ? st : null;
    },
    { timeoutMs: 10000, what: 'the switchover to be draining with one build' },
  );
  expect(s.drain?.builds.map((x) => x.name)).toEqual(['deploy #7']);
  // Jenkins is quiet: it accepts no new build; the quiet-down passed auth and the crumb check.
  expect((await standinInfo(port))?.quietingDown).toBe(true);
  expect(await startBuild(port, 100, 'late #1')).toBe(409);
  expect(journalEvents('quiet_down')[0]).toMatchObject({ user: 'admin', running: 1 });
  expect(b.events('elected')).toHaveLength(0);

  const sb = await b.waitLeaderReady(30000);
  expect(sb.epoch).toBe(2);
  const finished = a.events('drain.finished')[0]!;
  expect(finished).toMatchObject({ purpose: 'switchover', runningBuilds: [] });
  expect(a.events('drain.timeout')).toHaveLength(0);

  // The old Jenkins got its stop signal only after the build had ended, and the new one started
  // after the old one was gone; the drain happened before the stop, so the gap is the usual one.
  const ls = assertNeverTwoAlive(suite.fx.home);
  expect(ls.map((l) => l.epoch)).toEqual(['1', '2']);
  const buildEnd = journalEvents('build_end').find((e) => e.name === 'deploy #7')!;
  const term = journalEvents('term').find((e) => e.pid === ls[0]!.pid)!;
  expect(buildEnd.mono).toBeLessThan(term.mono);
  expect(ls[1]!.start).toBeGreaterThan(ls[0]!.end);
  expect(ls[1]!.start - ls[0]!.end).toBeLessThan(5000); // generous on this shared machine; bench measures it
  // The new leader appends switchover.completed once its Jenkins runs: wait for it, do not race it.
  const h = await waitFor(
    async () => {
      const evs = ((await api(b, 'GET', '/history?limit=200')).body as { event: string }[]).map((e) => e.event);
      return evs.includes('switchover.completed') ? evs : null;
    },
    { timeoutMs: 10000, what: 'switchover.completed in the cluster history' },
  );
  expect(h).toEqual(expect.arrayContaining(['switchover.requested', 'drain.started', 'drain.finished', 'switchover.started', 'switchover.completed']));
  expect(h.indexOf('drain.finished')).toBeLessThan(h.indexOf('switchover.started'));
});

test('a drain that times out stops Jenkins anyway and reports the build still running', async () => {
  const { a, b } = await pair({ JHA_JENKINS_DRAIN_TIMEOUT_MS: '2000' });
  expect(await startBuild(suite.fx.jenkinsPort, 120000, 'nightly #42')).toBe(201);
  expect((await api(a, 'POST', '/switchover', { token: TOKEN })).status).toBe(202);
  // While the intent is running, its record carries the drain report (checked against openapi).
  const report = await waitFor(
    async () => {
      const so = ((await api(b, 'GET', '/status')).body as { switchover: { state: string; drain?: unknown } | null }).switchover;
      return so?.state === 'running' && so.drain ? so.drain : null;
    },
    { timeoutMs: 15000, intervalMs: 5, what: 'the running intent with its drain report' },
  ).catch(() => null); // the window can be shorter than a poll; the log and history below are the record
  await b.waitLeaderReady(30000);
  const timeout = await a.waitForEvent('drain.timeout');
  expect(timeout).toMatchObject({ purpose: 'switchover', runningBuilds: [{ name: 'nightly #42', url: expect.stringMatching(/\/job\/test\/1\/$/) }] });
  expect(timeout.durationMs as number).toBeGreaterThanOrEqual(2000);
  if (report !== null) expect(report).toMatchObject({ result: 'timeout', runningBuilds: [{ name: 'nightly #42' }] });
  const entry = await waitFor(
    async () => ((await api(b, 'GET', '/history?limit=200')).body as { event: string; reason: string }[]).find((e) => e.event === 'drain.timeout'),
    { timeoutMs: 5000, what: 'drain.timeout in /history' },
  );
  expect(entry.reason).toMatch(/1 build\(s\) still running: nightly #42/);
  // The build never ended: Jenkins was stopped under it.
  expect(journalEvents('build_end')).toHaveLength(0);
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2']);
});

test('cancelling a switchover during the drain cancels the quiet-down and keeps the leader', async () => {
  const { a, b } = await pair();
  const port = suite.fx.jenkinsPort;
  expect(await startBuild(port, 120000, 'release #3')).toBe(201);
  expect((await api(a, 'POST', '/switchover', { token: TOKEN })).status).toBe(202);
  await waitFor(async () => (await standinInfo(port))?.quietingDown === true, { timeoutMs: 10000, what: 'Jenkins to quiet down' });
  const st = (await api(b, 'GET', '/status')).body as { switchover: { state: string } | null };
  expect(st.switchover?.state).toBe('draining');

  const cancel = await api(b, 'DELETE', '/switchover', { token: TOKEN });
  expect(cancel.status).toBe(200);
  expect(cancel.body).toMatchObject({ state: 'draining', from: 'a' });
  await waitFor(async () => (await standinInfo(port))?.quietingDown === false, { timeoutMs: 10000, what: 'Jenkins to leave quiet-down' });
  expect(journalEvents('cancel_quiet_down')[0]).toMatchObject({ user: 'admin' });
  await a.waitForEvent('drain.cancelled');
  // Jenkins takes builds again, the same Jenkins keeps running, nobody took over.
  expect(await startBuild(port, 100, 'after #1')).toBe(201);
  const sa = await a.waitLeaderReady();
  expect(sa.epoch).toBe(1);
  expect(sa.drain).toBeNull();
  expect(b.events('elected')).toHaveLength(0);
  expect((await api(a, 'GET', '/standby')).status).toBe(503);
  expect((await api(b, 'GET', '/standby')).status).toBe(200);
  expect(assertNeverTwoAlive(suite.fx.home)).toHaveLength(1);
});

test('a pause with drain waits for the build and stops Jenkins; resume starts it again', async () => {
  const { a, b } = await pair();
  const port = suite.fx.jenkinsPort;
  expect(await startBuild(port, 2500, 'upgrade-check #1')).toBe(201);
  const p = await api(b, 'POST', '/pause', { token: TOKEN, body: { drain: true, reason: 'Jenkins upgrade' } });
  expect(p.status).toBe(200);
  expect(p.body).toMatchObject({ paused: true, drain: true });
  await a.waitForEvent('drain.finished', { timeoutMs: 20000 });
  await waitFor(async () => (await a.status())?.jenkins.state === 'stopped', { timeoutMs: 15000, what: 'Jenkins to be stopped for the pause' });
  const stopped = assertNeverTwoAlive(suite.fx.home);
  expect(stopped).toHaveLength(1);
  expect(stopped[0]!.endedBy).toBe('stop');
  const buildEnd = journalEvents('build_end')[0]!;
  expect(buildEnd.mono).toBeLessThan(stopped[0]!.end);
  // Paused: the leader keeps its term and does not restart Jenkins; the standby does not take over.
  const sa = await a.status();
  expect(sa?.node.role).toBe('leader');
  expect(sa?.jenkins.restarts).toBe(0);
  expect(b.events('elected')).toHaveLength(0);

  expect((await api(a, 'POST', '/resume', { token: TOKEN })).status).toBe(200);
  const s = await a.waitLeaderReady();
  expect(s.epoch).toBe(1);
  expect(assertNeverTwoAlive(suite.fx.home)).toHaveLength(2);
});

test('a controller shut down with drain lets the build finish before stopping Jenkins; the standby takes over', async () => {
  const { a, b } = await pair({ JHA_JENKINS_DRAIN_ON_SHUTDOWN: 'true' });
  expect(await startBuild(suite.fx.jenkinsPort, 2500, 'tests #9')).toBe(201);
  a.signal('SIGTERM');
  await a.waitForEvent('drain.started');
  expect(b.events('elected')).toHaveLength(0);
  expect((await a.exited).code).toBe(0);
  await b.waitLeaderReady(30000);
  expect(a.events('drain.finished')[0]).toMatchObject({ purpose: 'shutdown' });
  const ls = assertNeverTwoAlive(suite.fx.home);
  expect(journalEvents('build_end')[0]!.mono).toBeLessThan(journalEvents('term').find((e) => e.pid === ls[0]!.pid)!.mono);
});
