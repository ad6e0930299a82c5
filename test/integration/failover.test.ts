/**
 * Crashes of the controller and of Jenkins, with a real ZooKeeper and real processes.
 * Every test ends by checking the journal: never two Jenkins alive at once on the home.
 */
import { assertNeverTwoAlive, lives, readJournal } from '../helpers/journal';
import { mono, type HaNode } from '../helpers/ha-node';
import { groupMembers, waitForExit } from '../helpers/procs';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const T = 2000; // session timeout of every node in these tests

const suite = haSuite();

async function pair(envA: Record<string, string> = {}): Promise<{ a: HaNode; b: HaNode; standinPid: number; pgid: number }> {
  const a = suite.fx.start('a', { env: envA });
  const s = await a.waitLeaderReady();
  const b = suite.fx.start('b');
  await b.waitRole('standby');
  const running = lives(readJournal(suite.fx.home)).filter((l) => l.endedBy === 'running');
  expect(running).toHaveLength(1);
  return { a, b, standinPid: running[0]!.pid, pgid: s.jenkins.pid! };
}

test('kills orphaned Jenkins when the controller is SIGKILLed, and the standby takes over after it', async () => {
  const { a, b, standinPid, pgid } = await pair();
  const t0 = mono();
  a.signal('SIGKILL');
  // The shim sees its pipe close and takes the whole group down.
  expect(await waitForExit(standinPid, 3000)).toBe(true);
  const orphanGoneAfter = mono() - t0;
  expect(orphanGoneAfter).toBeLessThan(1500);
  // ...and nothing of its process group (shim, watchdog) is left behind.
  await waitFor(() => groupMembers(pgid).length === 0, { timeoutMs: 2000, what: `process group ${pgid} to be empty` });
  // The shim's closer closes the dead session once the group is gone (crash-takeover.test.ts
  // measures it at T = 10 s); the journal shows the new Jenkins started after the old one died.
  await b.waitLeaderReady();
  const ls = assertNeverTwoAlive(suite.fx.home);
  expect(ls.map((l) => l.epoch)).toEqual(['1', '2']);
  expect(b.events('epoch.taken')[0]!.previousExitedCleanly).toBe(false);
});

test('a standby takes over when the controller and its Jenkins are both SIGKILLed', async () => {
  const { a, b, standinPid, pgid } = await pair();
  const t0 = mono();
  a.signal('SIGKILL');
  process.kill(-pgid, 'SIGKILL');
  expect(await waitForExit(standinPid, 2000)).toBe(true);
  const s = await b.waitLeaderReady();
  expect(s.epoch).toBe(2);
  expect(b.events('elected')[0]!.seenAt - t0).toBeGreaterThan(T / 2);
  // Generous bound (the benchmark measures the real number): session timeout + start-up.
  expect(b.events('jenkins.started')[0]!.seenAt - t0).toBeLessThan(T + 3000);
  // The takeover is counted as an unplanned failover in b's metrics.
  const metrics = await waitFor(
    async () => {
      const text = await (await fetch(`http://127.0.0.1:${b.opts.apiPort}/metrics`)).text();
      return text.includes('jenkins_ha_failovers_total{kind="unplanned"} 1') ? text : null;
    },
    { timeoutMs: 5000, what: "b's unplanned failover in /metrics" },
  );
  expect(metrics).toContain('jenkins_ha_failovers_total{kind="planned"} 0');
  expect(metrics).toMatch(/jenkins_ha_failover_duration_seconds_count\{kind="unplanned"\} 1/);
});

test('a crashed Jenkins is restarted by the same leader with the same epoch', async () => {
  const { a, b, standinPid } = await pair();
  const t0 = mono();
  const res = await fetch(`http://127.0.0.1:${suite.fx.jenkinsPort}/standin/exit?code=3`, { method: 'POST' });
  expect(res.status).toBeLessThan(500);
  expect(await waitForExit(standinPid, 3000)).toBe(true);
  await a.waitForEvent('jenkins.crashed', { after: t0 });
  await a.waitForEvent('jenkins.started', { after: t0 });
  const s = await a.waitLeaderReady();
  expect(s.epoch).toBe(1);
  expect(s.jenkins.restarts).toBe(1);
  expect(b.events('jenkins.started')).toHaveLength(0);
  const ls = assertNeverTwoAlive(suite.fx.home);
  expect(ls).toHaveLength(2);
  expect(ls[0]!.code).toBe(3);
});

test('a leader whose Jenkins keeps crashing resigns and the standby takes over', async () => {
  // Node a's Jenkins dies 400 ms after every start; b's is healthy.
  const a = suite.fx.start('a', {
    env: { STANDIN_CRASH_AFTER_MS: '400', JHA_JENKINS_MAX_RESTARTS: '2', JHA_ELECTION_RESIGN_COOLDOWN_MS: '60000' },
  });
  await a.waitForEvent('elected');
  const b = suite.fx.start('b');
  await a.waitForEvent('resigned', { timeoutMs: 20000 });
  const s = await b.waitLeaderReady();
  expect(s.epoch).toBe(2);
  expect(a.events('jenkins.crashed').length).toBe(3);
  const sa = await a.status();
  expect(sa?.node.role).toBe('stopped');
  expect(sa?.election.role).toBe('idle');
  // The resigning leader left cleanly: lock released, breadcrumb gone.
  expect(b.events('epoch.taken')[0]!.previousExitedCleanly).toBe(true);
});
