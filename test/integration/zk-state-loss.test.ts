/**
 * ZooKeeper's state lost (an ensemble rebuilt, a restore from an older snapshot, a changed zk.root,
 * a deleted znode): the epoch counter starts again near 0 while the JENKINS_HOME lock names a
 * higher epoch. The cluster must recover a Jenkins by itself, with an epoch above the lock's, and
 * never two Jenkins alive (haSuite checks the journal after each test). The election re-creating
 * a deleted path is a unit test (election.test.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readLock, writeLockAtomic } from '../../src/fencing/home-lock';
import { mono, type HaNode } from '../helpers/ha-node';
import { lives, readJournal } from '../helpers/journal';
import { RawZk } from '../helpers/raw-zk';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const clients: RawZk[] = [];
const suite = haSuite({
  afterEach: () => {
    for (const c of clients.splice(0)) c.close();
  },
});

async function lockEpoch(): Promise<number> {
  const l = await readLock(suite.fx.home);
  if (l.kind !== 'ok') throw new Error(`no lock: ${l.kind}`);
  return l.record.epoch;
}

/** A leader of `nodes` with a ready Jenkins and an epoch above `above`. */
async function leaderAbove(nodes: HaNode[], above: number): Promise<{ node: HaNode; epoch: number }> {
  return waitFor(
    async () => {
      for (const n of nodes) {
        const s = await n.status();
        if (s?.node.role === 'leader' && s.jenkins.ready && s.epoch !== null && s.epoch > above) return { node: n, epoch: s.epoch };
      }
      return null;
    },
    { timeoutMs: 30000, what: `a leader with a ready Jenkins above epoch ${above}` },
  );
}

/** A pair on a cluster whose epoch counter is at 4 (written as versions before the offset did). */
async function pairAtEpoch5(zk: RawZk): Promise<{ a: HaNode; b: HaNode; root: string }> {
  const root = `/jenkins-ha/it-${path.basename(suite.fx.home).slice('jha-home-'.length)}`;
  await zk.mkdirp(root);
  await zk.create(`${root}/epoch`, '{"epoch":0}');
  for (let v = 1; v <= 4; v++) await zk.setData(`${root}/epoch`, JSON.stringify({ epoch: v, nodeId: 'old', at: '' }));
  const a = suite.fx.start('a');
  expect(a.opts.cluster).toBe(path.basename(root));
  expect((await a.waitLeaderReady()).epoch).toBe(5);
  const b = suite.fx.start('b');
  await b.waitRole('standby');
  expect(await lockEpoch()).toBe(5);
  return { a, b, root };
}

test('after the epoch znode is deleted under a running pair, the next takeover takes an epoch above the lock\'s', async () => {
  const zk = await RawZk.connect(suite.zk.connect);
  clients.push(zk);
  const { a, b, root } = await pairAtEpoch5(zk);

  // The counter is lost (deleted by hand, or a restore that lacks it) while a runs Jenkins with
  // epoch 5 and the lock says 5. The breadcrumb goes with it.
  const t0 = mono();
  await zk.remove(`${root}/epoch`);
  await zk.remove(`${root}/active`);
  await a.stop();
  const next = await leaderAbove([b], 5);
  expect(next.epoch).toBe(6);
  expect(await b.waitForEvent('epoch.floor_raised', { after: t0 })).toMatchObject({ floor: 5, counter: 1, epoch: 6 });
  expect(await lockEpoch()).toBe(6);
  expect(b.events('lock.refused')).toHaveLength(0);
  // The epoch and its offset are in the znode: the next term goes on from there, without a raise.
  expect(JSON.parse((await zk.getData(`${root}/epoch`)).toString())).toMatchObject({ epoch: 6, offset: 5 });
  const a2 = suite.fx.start('a2');
  await a2.waitRole('standby');
  await b.stop();
  expect((await leaderAbove([a2], 6)).epoch).toBe(7);
  expect(a2.events('epoch.floor_raised')).toHaveLength(0);
  expect(lives(readJournal(suite.fx.home)).filter((l) => l.endedBy === 'running')).toHaveLength(1);
});

test('a lock restored with a higher epoch than a fresh ZooKeeper: the first leader takes the epoch above it', async () => {
  // The whole ensemble was rebuilt; the shared home kept its lock (released by a clean stop).
  await writeLockAtomic(suite.fx.home, { epoch: 17, nodeId: 'gone', host: 'old-host', pid: 1, cluster: 'c', state: 'released', time: new Date().toISOString() });
  const a = suite.fx.start('a');
  const s = await a.waitLeaderReady();
  expect(s.epoch).toBe(18);
  expect(a.events('lock.refused')).toHaveLength(0);
  expect(await lockEpoch()).toBe(18);
  // A failover after it goes on counting from there.
  const b = suite.fx.start('b');
  await b.waitRole('standby');
  await a.stop();
  expect((await b.waitLeaderReady()).epoch).toBe(19);
});

test('the ensemble restarted on empty data under a running pair: fresh sessions, and a leader above the lock\'s epoch', async () => {
  const a = suite.fx.start('a');
  const first = await a.waitLeaderReady();
  const b = suite.fx.start('b');
  await b.waitRole('standby');
  expect(await lockEpoch()).toBe(first.epoch);

  // Every transaction gone: the server's zxid starts again below what both clients have seen, so
  // it closes their reconnect handshakes at once (the library would retry that session for ever).
  const t0 = mono();
  await suite.zk.stopServer(1);
  fs.rmSync(path.join(suite.zk.dir, 'zk1', 'data', 'version-2'), { recursive: true, force: true });
  await suite.zk.startServer(1);

  const next = await leaderAbove([a, b], first.epoch ?? 0);
  for (const n of [a, b]) {
    expect(await n.waitForEvent('zk.session_abandoned', { after: t0 })).toMatchObject({ refusals: expect.any(Number) as number });
  }
  expect(await lockEpoch()).toBe(next.epoch);
  expect(next.node.events('lock.refused')).toHaveLength(0);
});
