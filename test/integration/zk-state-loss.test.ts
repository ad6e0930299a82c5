/**
 * ZooKeeper's state lost while a pair runs (an ensemble rebuilt, a restore from an older snapshot,
 * a changed zk.root, a deleted znode): the epoch counter starts again near 0 while the JENKINS_HOME
 * lock names a higher epoch. The cluster must recover a Jenkins by itself, with an epoch above the
 * lock's, and never two Jenkins alive (haSuite checks the journal after each test).
 */
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

/** Delete `path` and everything under it (children first; ephemeral ones may come back: retry). */
async function removeTree(zk: RawZk, path: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      for (const c of await zk.getChildren(path)) await removeTree(zk, `${path}/${c}`);
      await zk.remove(path);
      return;
    } catch (err) {
      const msg = `${String(err)} ${err instanceof Error ? err.message : ''}`;
      if (/NO_NODE/.test(msg)) return;
      if (!/NOT_EMPTY/.test(msg)) throw err;
    }
  }
  throw new Error(`could not remove ${path}`);
}

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

test("after the cluster's znodes are deleted, the next takeover takes an epoch above the lock's", async () => {
  const zk = await RawZk.connect(suite.zk.connect);
  clients.push(zk);
  const { a, b, root } = await pairAtEpoch5(zk);

  // The cluster's state is lost under the running pair. The leader may keep its term (its session
  // lives, it creates its election znode again and is first) or a new term starts.
  const t0 = mono();
  await removeTree(zk, root);
  const first = await leaderAbove([a, b], 4);
  // Whichever it is, a takeover now must not go back below the lock's epoch.
  const floor = await lockEpoch();
  expect(floor).toBeGreaterThanOrEqual(5);
  const other = first.node === a ? b : a;
  await first.node.stop();
  const next = await leaderAbove([other], floor);
  expect(next.epoch).toBe(floor + 1);
  const raised = await other.waitForEvent('epoch.floor_raised', { after: t0 });
  expect(raised).toMatchObject({ floor, epoch: floor + 1 });
  expect(await lockEpoch()).toBe(floor + 1);
  expect([a, b].flatMap((n) => n.events('lock.refused'))).toHaveLength(0);
  // The new epoch is in the znode: a later term goes on from it.
  expect(JSON.parse((await zk.getData(`${root}/epoch`)).toString())).toMatchObject({ epoch: floor + 1 });
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
