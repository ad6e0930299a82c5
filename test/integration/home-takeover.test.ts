/**
 * The hung-home takeover end to end (issue 13, item 1): two real controllers and a real
 * ZooKeeper, each node seeing the shared home through its own bindfs mount of one backing
 * directory, like two NFS clients of one server. kill -STOP of a node's bindfs hangs its mount.
 *
 * - The leader's mount hangs: its Jenkins is killed, it leaves the election keeping its
 *   breadcrumb, and the standby (whose mount works) has Jenkins ready within a bound computed
 *   from the configuration; after the heal the old leader rejoins as standby.
 * - Both mounts hang (the storage server is down): no Jenkins runs while they hang, even past the
 *   cool-down; after the heal a Jenkins is back.
 *
 * Measured before the wiring: the leader kept its Jenkins and the lead for as long as the mount
 * hung (no takeover). The stand-ins journal in the fixture's home, off the mounts, so the
 * never-two-alive check (suite.ts, after each test) reads every life even while a mount hangs.
 */
import { mono, type HaNode } from '../helpers/ha-node';
import { assertNeverTwoAlive, lives, readJournal } from '../helpers/journal';
import { BOUND, COOL, mountedHomes } from '../helpers/mounted-homes';
import { waitFor } from '../helpers/wait';

const homes = mountedHomes('jha-home-takeover-');
const { suite } = homes;

/** a leads with a ready Jenkins on mount a; b stands by on mount b. */
async function pair(): Promise<{ a: HaNode; b: HaNode }> {
  const a = suite.fx.start('a', { home: homes.mounts[0].mountpoint, env: homes.env() });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { home: homes.mounts[1].mountpoint, env: homes.env() });
  await b.waitRole('standby');
  return { a, b };
}

async function metrics(n: HaNode): Promise<string> {
  return (await fetch(`http://127.0.0.1:${n.opts.apiPort}/metrics`)).text();
}

test("the leader's mount hangs: its Jenkins is killed, it yields keeping its breadcrumb, the standby takes over within the bound; after the heal it rejoins as standby", async () => {
  const { a, b } = await pair();
  const [ma] = homes.mounts;
  const t0 = mono();
  ma.hang();
  try {
    const fenced = await a.waitForEvent('fenced', { after: t0, timeoutMs: BOUND });
    expect(fenced.message).toMatch(/JENKINS_HOME does not answer|storage lease is lost/);
    const yielded = await a.waitForEvent('home.yielded', { after: t0, timeoutMs: BOUND });
    expect(yielded.level).toBe('warn');
    await b.waitLeaderReady(BOUND + 10_000);
    const ls = assertNeverTwoAlive(suite.fx.home);
    expect(ls.map((l) => l.epoch)).toEqual(['1', '2']);
    const [old, next] = ls;
    expect(old!.endedBy).not.toBe('running');
    expect(next!.ready).toBeDefined();
    expect(next!.ready! - t0).toBeLessThan(BOUND);
    // The breadcrumb was kept: the successor saw an active that did not exit cleanly.
    expect(b.events('epoch.taken')[0]!.previousExitedCleanly).toBe(false);
    // a says so itself while its mount hangs.
    const s = await a.status();
    expect(s?.home).toMatchObject({ state: 'hung', jenkinsStuck: false });
    expect(s?.node.role).not.toBe('leader');
    expect(s?.notes?.join('\n')).toContain('JENKINS_HOME does not answer');
    const m = await metrics(a);
    expect(m).toContain('jenkins_ha_home_ok 0');
    expect(m).toContain('jenkins_ha_home_hung_total 1');
    expect(m).toContain('jenkins_ha_home_yields_total 1');
  } finally {
    ma.heal();
  }
  await a.waitForEvent('home.recovered', { after: t0, timeoutMs: 10_000 });
  await a.waitRole('standby', COOL + 10_000);
  expect((await a.status())?.home?.state).toBe('ok');
  expect(await metrics(a)).toContain('jenkins_ha_home_ok 1');
  // b keeps Jenkins: the rejoin caused no second failover.
  expect((await b.status())?.node.role).toBe('leader');
  expect(lives(readJournal(suite.fx.home)).map((l) => l.epoch)).toEqual(['1', '2']);
});

test('both mounts hang: no Jenkins runs while they hang, even past the cool-down; after the heal a Jenkins is back', async () => {
  const { a, b } = await pair();
  const t0 = mono();
  for (const m of homes.mounts) m.hang();
  try {
    await a.waitForEvent('home.yielded', { after: t0, timeoutMs: BOUND });
    // b leaves as a standby (home.left_election), or yields if it won the lead before its own hang showed.
    await waitFor(() => b.logs.some((l) => (l.event === 'home.left_election' || l.event === 'home.yielded') && l.seenAt >= t0), {
      timeoutMs: BOUND,
      what: 'b out of the election',
    });
    // Nobody is in the election and the first Jenkins is gone.
    await waitFor(() => lives(readJournal(suite.fx.home)).every((l) => l.endedBy !== 'running'), { timeoutMs: BOUND, what: 'the killed Jenkins to be gone' });
    const outAt = mono();
    // Past the resign cool-down neither node rejoins nor starts Jenkins while its home hangs.
    await expect(
      waitFor(() => lives(readJournal(suite.fx.home)).some((l) => l.start > outAt), { timeoutMs: COOL + 1500, what: 'a Jenkins started while both homes hang' }),
    ).rejects.toThrow();
    for (const n of [a, b]) {
      const s = await n.status();
      expect(s?.node.role).not.toBe('leader');
      expect(s?.jenkins.state).toBe('stopped');
      expect(s?.home?.state).toBe('hung');
    }
  } finally {
    for (const m of homes.mounts) m.heal();
  }
  const healedAt = mono();
  await homes.expectJenkinsBack([a, b], healedAt, 'a Jenkins back after the heal');
});

test("a standby's mount hangs: the standby says so (home.hung, /status) and stays out while the leader keeps Jenkins; after the heal it is back in line", async () => {
  // A standby makes no call on its home but the lock keeper's look at the lock each heartbeat:
  // that look alone must notice the hang and the recovery.
  const { a, b } = await pair();
  const [, mb] = homes.mounts;
  const t0 = mono();
  mb.hang();
  try {
    await b.waitForEvent('home.hung', { after: t0, timeoutMs: BOUND });
    await waitFor(async () => (await b.status())?.home?.state === 'hung', { timeoutMs: BOUND, what: "b's /status to say its home hangs" });
    expect((await a.status())?.node.role).toBe('leader');
    expect(a.events('home.hung')).toHaveLength(0);
  } finally {
    mb.heal();
  }
  await b.waitForEvent('home.recovered', { after: t0, timeoutMs: 10_000 });
  await b.waitRole('standby', COOL + 10_000);
  expect(lives(readJournal(suite.fx.home)).map((l) => l.epoch)).toEqual(['1']);
});
