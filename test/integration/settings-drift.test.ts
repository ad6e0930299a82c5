/**
 * One cluster-wide view of the safety settings (issue 16 item 3) with real controllers and a real
 * ZooKeeper: a node with a longer zk.sessionTimeoutMs (so a longer storage lease, heartbeat and
 * I/O timeout) than its peers. Every node says the drift in its /status notes, the gauge counts it,
 * the event is logged once, `jenkins-ha status` shows it; when its turn to lead comes, the
 * mismatched node refuses, naming the key and both values, and steps aside for a node that fits.
 * Every test ends with the journal check (haSuite).
 */
import { runCli } from '../helpers/cli-run';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const suite = haSuite();

test('a node whose session timeout breaks the rule against its peers is shown everywhere and refuses to lead', async () => {
  const a = suite.fx.start('a');
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { sessionTimeoutMs: 4000 });
  await b.waitRole('standby');
  const c = suite.fx.start('c');
  await c.waitRole('standby');

  // Every node notes the drift; the mismatched one also says it would refuse.
  const drifted = (n: typeof a) => waitFor(async () => {
    const s = await n.status();
    return s?.notes?.find((x) => x.startsWith('safety settings differ between members: zk.sessionTimeoutMs')) ? s : null;
  }, { timeoutMs: 8000, what: `${n.id} to note the drift` });
  const [sa, sb] = [await drifted(a), await drifted(b)];
  await drifted(c);
  expect(sa.notes).toContainEqual(expect.stringMatching(/zk\.sessionTimeoutMs 2000 here, 4000 on b/));
  expect(sb.settings?.refusal[0]).toMatch(/^zk\.sessionTimeoutMs: this node 4000, node [ac] 2000 \(lock\.leaseMs = 0: half of it\): .* = \d+ ms after the last heartbeat, later than node [ac] stops waiting for it \(its lease 1000 ms\)/);
  expect(sb.notes).toContainEqual(expect.stringMatching(/^refusing to lead: zk\.sessionTimeoutMs: this node 4000, node a 2000/));
  expect(sa.settings?.refusal).toEqual([]);
  // The members list carries each member's published settings.
  expect(sa.members.find((m) => m.id === 'b')?.settings?.sessionTimeoutMs).toBe(4000);

  // The gauge, the event (once), the CLI.
  const metrics = await (await fetch(`http://127.0.0.1:${a.opts.apiPort}/metrics`)).text();
  expect(metrics).toMatch(/^jenkins_ha_settings_drift [1-9]\d*$/m);
  expect(metrics).toMatch(/^jenkins_ha_settings_refused 0$/m);
  await a.waitForEvent('settings.drift');
  await b.waitForEvent('settings.refused');
  const st = await runCli(['status'], { JHA_ZK_CONNECT: suite.zk.connect, JHA_CLUSTER: a.opts.cluster });
  expect(st.stdout).toMatch(/^settings drift: zk\.sessionTimeoutMs: a 2000, b 4000, c 2000;/m);

  // a leaves: b is next in line but refuses and steps aside; c takes over.
  await a.stop();
  const stepped = await b.waitForEvent('settings.stepped_aside', { timeoutMs: 15000 });
  // The peer named is c, or a when b decides before its watch has removed a (milliseconds): both fit.
  expect(stepped.message).toMatch(/^lowest sequence, but refusing to lead: zk\.sessionTimeoutMs: this node 4000, node [ac] 2000/);
  await c.waitLeaderReady();
  expect(await b.waitRole('standby')).toBeTruthy();
  expect(b.events('decision').some((l) => /taking the next fencing epoch/.test(String(l.message)))).toBe(false);
  expect(a.events('settings.drift')).toHaveLength(1);
});
