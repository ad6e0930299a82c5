/**
 * Eligibility, for real: a standby whose site preflight fails (or whose disk is "too full") says
 * why on /standby (503) and /status, stays out of the election, and so does not take over when
 * the leader dies while an eligible standby exists; it comes back once eligible. Real ZooKeeper,
 * real controllers, the journal check after each test (haSuite).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertNeverTwoAlive, readJournal } from '../helpers/journal';
import { api } from '../helpers/jenkins-api';
import { RawZk } from '../helpers/raw-zk';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const suite = haSuite();
const FAST = { JHA_ELIGIBILITY_INTERVAL_MS: '300' };

interface Eligibility {
  eligible: boolean;
  reasons: string[];
  checkedAt: string | null;
  versions: { local: string | null; leader: string | null };
}

test('an ineligible standby answers 503 on /standby with the reason and does not take over; it rejoins once eligible', async () => {
  const flag = path.join(suite.fx.home, '..', `${path.basename(suite.fx.home)}-not-ready`);
  fs.writeFileSync(flag, '');
  try {
    const a = suite.fx.start('a', { env: FAST });
    await a.waitLeaderReady();
    const b = suite.fx.start('b', { env: { ...FAST, JHA_ELIGIBILITY_PREFLIGHT_COMMAND: `test ! -e ${flag} || { echo "storage check failed"; exit 1; }` } });
    const c = suite.fx.start('c', { env: FAST });
    await c.waitRole('standby');

    const probe = await waitFor(
      async () => {
        const r = await api(b, 'GET', '/standby');
        return r.status === 503 && (r.body as { reasons?: string[] }).reasons ? r : null;
      },
      { timeoutMs: 10000, what: 'b to answer 503 on /standby with reasons' },
    );
    expect((probe.body as { reasons: string[] }).reasons).toEqual([expect.stringMatching(/^preflight command failed: exit 1; storage check failed$/)]);
    // b joins first (start-up order, docs/safety.md) and leaves once its first check says no: wait for the leave.
    type Sb = { node: { role: string }; election: { role: string }; eligibility: Eligibility };
    const sb = await waitFor(
      async () => {
        const s = (await api(b, 'GET', '/status')).body as Sb;
        return s.node.role === 'stopped' ? s : null;
      },
      { timeoutMs: 10000, what: 'b to leave the election as ineligible' },
    );
    expect(sb.eligibility.eligible).toBe(false);
    expect(sb.eligibility.checkedAt).not.toBeNull();
    expect(sb.node.role).toBe('stopped');
    expect(sb.election.role).toBe('idle');
    await b.waitForEvent('eligibility.ineligible');
    // The standby that can take over says so; the leader's version is seen, the local war is unknown.
    const sc = (await api(c, 'GET', '/status')).body as { eligibility: Eligibility };
    expect((await api(c, 'GET', '/standby')).status).toBe(200);
    expect(sc.eligibility).toMatchObject({ eligible: true, reasons: [] });
    await waitFor(async () => ((await api(c, 'GET', '/status')).body as { eligibility: Eligibility }).eligibility.versions.leader === '2.999-standin', {
      timeoutMs: 10000,
      what: "c to see the leader's Jenkins version",
    });

    // The leader dies: c takes over, b (out of the election) does not.
    a.signal('SIGKILL');
    const s = await c.waitLeaderReady(30000);
    expect(s.epoch).toBe(2);
    expect(b.events('elected')).toHaveLength(0);
    expect(b.events('jenkins.started')).toHaveLength(0);

    // Eligible again: b rejoins and stands by.
    fs.rmSync(flag);
    await b.waitRole('standby');
    expect((await api(b, 'GET', '/standby')).status).toBe(200);
    await b.waitForEvent('eligibility.eligible');
    expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2']);
  } finally {
    fs.rmSync(flag, { force: true });
  }
});

test('too little free disk makes a standby ineligible, naming the floor', async () => {
  const a = suite.fx.start('a', { env: FAST });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env: { ...FAST, JHA_ELIGIBILITY_MIN_FREE_DISK_MB: String(1024 * 1024 * 1024) } });
  const r = await waitFor(
    async () => {
      const x = await api(b, 'GET', '/standby');
      return x.status === 503 && (x.body as { reasons?: string[] }).reasons ? x : null;
    },
    { timeoutMs: 10000, what: 'b to be ineligible' },
  );
  expect((r.body as { reasons: string[] }).reasons[0]).toMatch(/^free disk \d+ MiB below 1073741824 MiB$/);
  // The leader (its Jenkins runs) is not affected.
  expect((await api(a, 'GET', '/leader')).status).toBe(200);
});

test('a fresh node that leads before its first eligibility check answers starts no Jenkins and takes no epoch; it leaves when the check says no', async () => {
  // Join first: the node is in the line (here: alone, so leader) while its first check runs for 4 s.
  const a = suite.fx.start('a', { env: { ...FAST, JHA_ELIGIBILITY_PREFLIGHT_COMMAND: 'sleep 4; exit 1', JHA_ELIGIBILITY_PREFLIGHT_TIMEOUT_MS: '10000' } });
  const held = await a.waitRole('leader');
  expect(held.launchBlocked).toMatchObject({ gate: 'eligibility' });
  expect(held.epoch).toBeNull();
  expect(held.notes).toEqual(expect.arrayContaining([expect.stringMatching(/^held \(eligibility, [^)]*\): waiting for the first answer of this node's eligibility checks/)]));
  expect((await a.waitForEvent('launch.held')).gate).toBe('eligibility');
  // The note is published in a's election znode too (every member and the status page read it there).
  await waitFor(
    async () => (await a.status())?.members.find((m) => m.id === 'a')?.notes?.some((n) => n.startsWith('held (eligibility, ')) ?? false,
    { timeoutMs: 3000, what: "the eligibility hold in a's published notes" },
  );

  const out = await a.waitRole('stopped', 15000);
  expect(out.election.role).toBe('idle');
  expect(out.eligibility?.reasons).toEqual([expect.stringMatching(/^preflight command failed: exit 1/)]);
  await a.waitForEvent('eligibility.left_election');
  expect(a.events('launch.held').map((l) => l.gate)).toEqual(['eligibility']);
  expect(a.events('epoch.taken')).toHaveLength(0);
  expect(a.events('jenkins.started')).toHaveLength(0);
  // No Jenkins ever started on the home, no epoch was taken, no znode of ours is left in the line.
  expect(readJournal(suite.fx.home).filter((e) => e.ev === 'start')).toEqual([]);
  const zk = await RawZk.connect(suite.zk.connect);
  try {
    const base = `/jenkins-ha/${a.opts.cluster}`;
    expect(await zk.exists(`${base}/epoch`)).toBe(false);
    expect(await zk.getChildren(`${base}/election`)).toEqual([]);
  } finally {
    zk.close();
  }
});
