/**
 * The basic promise, end to end: real ZooKeeper, real controller processes, the Jenkins stand-in.
 * Every test ends by checking the journal: never two Jenkins alive at once on the home.
 */
import { assertNeverTwoAlive, readJournal } from '../helpers/journal';
import { mono } from '../helpers/ha-node';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const suite = haSuite();

async function leaders(): Promise<string[]> {
  const all = await Promise.all(suite.fx.nodes.map((n) => n.status()));
  return all.filter((s) => s?.node.role === 'leader').map((s) => s!.node.id);
}

test.each([2, 3])('nodes started together elect one leader that launches exactly one Jenkins (%i nodes)', async (count) => {
  const nodes = Array.from({ length: count }, (_, i) => suite.fx.start(`n${i}`));
  const leader = await waitFor(
    async () => {
      for (const n of nodes) {
        const s = await n.status();
        if (s?.node.role === 'leader' && s.jenkins.ready) return n;
      }
      return null;
    },
    { timeoutMs: 20000, what: 'a leader with a ready Jenkins' },
  );
  const others = nodes.filter((n) => n !== leader);
  for (const n of others) await n.waitRole('standby');
  expect(await leaders()).toEqual([leader.id]);
  expect(readJournal(suite.fx.home).filter((e) => e.ev === 'start')).toHaveLength(1);
  for (const n of others) expect(n.events('jenkins.started')).toHaveLength(0);
  // Each standby watches exactly one predecessor, and they form a chain ending at the leader.
  const preds = await Promise.all(others.map(async (n) => (await n.status())?.election.predecessor));
  expect(new Set(preds).size).toBe(others.length);
  expect(leader.events('decision').map((l) => l.message)).toContain('lowest sequence; epoch 1 taken; starting Jenkins');
});

test('graceful handover: the standby starts Jenkins at once after the leader stops, never before', async () => {
  const a = suite.fx.start('a');
  await a.waitLeaderReady();
  const b = suite.fx.start('b');
  await b.waitRole('standby');
  const t0 = mono();
  a.signal('SIGTERM');
  expect((await a.exited).code).toBe(0);
  const sB = await b.waitLeaderReady();
  const stoppedA = a.events('jenkins.stopped')[0]!;
  const startedB = b.events('jenkins.started')[0]!;
  expect(startedB.seenAt).toBeGreaterThanOrEqual(stoppedA.seenAt);
  // Not after a session timeout: the old leader deleted its znode on the way out.
  expect(startedB.seenAt - t0).toBeLessThan(1500);
  expect(sB.epoch).toBe(2);
  const lifes = assertNeverTwoAlive(suite.fx.home);
  expect(lifes.map((l) => l.epoch)).toEqual(['1', '2']);
  expect(lifes[0]!.endedBy).toBe('stop');
  // A clean exit released the lock and removed the breadcrumb: the successor needs no fencing.
  const taken = b.events('epoch.taken')[0]!;
  expect(taken.previousExitedCleanly).toBe(true);
});

test('a restarted controller rejoins as standby behind the new leader', async () => {
  const a = suite.fx.start('a');
  await a.waitLeaderReady();
  const b = suite.fx.start('b');
  await b.waitRole('standby');
  await a.stop();
  await b.waitLeaderReady();
  const a2 = suite.fx.start('a');
  const s = await a2.waitRole('standby');
  expect(s.election.predecessor).toMatch(/_b_\d{10}$/);
  expect(a2.events('jenkins.started')).toHaveLength(0);
  await waitFor(async () => (await leaders()).join() === 'b', { timeoutMs: 5000, what: 'b alone to lead' });
});
