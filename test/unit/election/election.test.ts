/**
 * The election state machine against the in-memory ZooKeeper: lowest sequence leads, each
 * candidate watches only its predecessor, facts (the znodes and their owners) are re-checked on
 * every wake-up, and nothing of an old session is trusted.
 */
import { waitFor } from '../../helpers/wait';
import { readFileSync } from 'node:fs';
import type * as NodeCrypto from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { Election } from '../../../src/election/election';
import type { ElectionStatus } from '../../../src/election/types';
import { encodeMember, type MemberInfo } from '../../../src/election/member';
import { parseContender } from '../../../src/election/sequence';
import type { MultiOp } from '../../../src/coordination/types';
import { FakeZk, type FakeCoordinator } from '../../helpers/fake-coordinator';
import { MemoryLogger as RecordingLogger } from '../../helpers/memory-logger';

jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof NodeCrypto>('node:crypto');
  return { ...actual, randomUUID: jest.fn(() => actual.randomUUID()) };
});
const mockedUuid = jest.mocked(randomUUID);

const PATH = '/jenkins-ha/test/election';
const HOST = 'host-1';
/** A pid above pid_max can never belong to a live process. */
const DEAD_PID = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()) + 1;



function memberInfo(id: string, host = HOST, pid = process.pid): MemberInfo {
  return { id, host, pid, apiUrl: `http://${id}:8081`, jenkinsUrl: `http://${id}:8080`, version: 'test', startedAt: '2024-01-01T00:00:00Z' };
}

interface Node {
  id: string;
  coord: FakeCoordinator;
  election: Election;
  log: RecordingLogger;
  /** Every status the election emitted, in order. */
  changes: ElectionStatus[];
}

let zk: FakeZk;
let clock: number;
let nodes: Node[];

function makeNode(id: string): Node {
  const coord = zk.client(id);
  const log = new RecordingLogger();
  const election = new Election({
    coordinator: coord,
    path: PATH,
    nodeId: id,
    host: HOST,
    member: () => memberInfo(id),
    logger: log,
    retryDelayMs: 1,
    now: () => clock,
  });
  const node: Node = { id, coord, election, log, changes: [] };
  election.on('change', (s) => node.changes.push(s));
  coord.start();
  nodes.push(node);
  return node;
}

/** Start and join the nodes one after another, so their sequence follows the given order. */
async function joinInOrder(...ids: string[]): Promise<Node[]> {
  const out: Node[] = [];
  for (const id of ids) {
    const n = makeNode(id);
    n.election.join();
    await zk.settle();
    out.push(n);
  }
  return out;
}

const znodePath = (n: Node): string => `${PATH}/${n.election.status().znode ?? '<none>'}`;

function leaders(): string[] {
  return nodes.filter((n) => n.election.isLeader()).map((n) => n.id);
}

/** Another live session (e.g. a crashed controller whose session has not expired yet). */
async function otherSession(name: string): Promise<FakeCoordinator> {
  const c = zk.client(name);
  c.start();
  await c.mkdirp(PATH);
  return c;
}

beforeEach(() => {
  clock = 1000;
  zk = new FakeZk(() => clock);
  nodes = [];
  mockedUuid.mockClear();
});

afterEach(async () => {
  for (const n of nodes) await n.coord.close();
  await zk.settle();
});

describe('Election: who leads', () => {
  it('still hears of its predecessor leaving after that member rewrote its record (notes: a data change consumes the one-shot watch)', async () => {
    const [a, b] = await joinInOrder('node-a', 'node-b');
    // node-a publishes new notes twice, then leaves: node-b must take the lead.
    await a!.coord.setData(znodePath(a!), encodeMember({ ...memberInfo('node-a'), notes: ['held'] }), -1);
    await zk.settle();
    await a!.coord.setData(znodePath(a!), encodeMember({ ...memberInfo('node-a'), notes: [] }), -1);
    await zk.settle();
    await a!.election.leave('test');
    await waitFor(() => b!.election.isLeader(), { timeoutMs: 2000, what: 'node-b to lead' });
    // Its own record rewritten, it still notices its znode deleted (by an operator) and rejoins.
    await b!.coord.setData(znodePath(b!), encodeMember({ ...memberInfo('node-b'), notes: ['x'] }), -1);
    await zk.settle();
    const before = b!.election.status().znode;
    await a!.coord.remove(`${PATH}/${before ?? ''}`);
    await waitFor(() => b!.election.status().znode !== before && b!.election.isLeader(), { timeoutMs: 2000, what: 'node-b to rejoin with a new znode' });
  });

  it('makes the lowest sequence the leader and everyone else a candidate behind its predecessor', async () => {
    const [a, b, c] = await joinInOrder('node-a', 'node-b', 'node-c');

    expect(leaders()).toEqual(['node-a']);
    expect(a!.election.status()).toMatchObject({ role: 'leader', sequence: 0, predecessor: null, generation: 1 });
    expect(b!.election.status()).toMatchObject({ role: 'candidate', sequence: 1, predecessor: a!.election.status().znode });
    expect(c!.election.status()).toMatchObject({ role: 'candidate', sequence: 2, predecessor: b!.election.status().znode });
    expect(zk.stat(znodePath(a!))?.ephemeralOwner).toBe(a!.coord.sessionId());
    expect(parseContender(a!.election.status().znode ?? '')?.nodeId).toBe('node-a');
  });

  it('stores the member info in the znode so others can see who leads', async () => {
    const [a] = await joinInOrder('node-a');
    const data = zk.data(znodePath(a!));
    expect(JSON.parse(data?.toString() ?? '{}')).toMatchObject({ id: 'node-a', host: HOST, pid: process.pid });
  });

  it('does not herd: with 5 contenders each candidate watches only its predecessor', async () => {
    const all = await joinInOrder('n1', 'n2', 'n3', 'n4', 'n5');
    expect(leaders()).toEqual(['n1']);

    for (let i = 0; i < all.length; i++) {
      const n = all[i]!;
      const watched = zk.watchLog.filter((w) => w.sessionId === n.coord.sessionId()).map((w) => w.path);
      // Each watches its own znode (to notice a deletion); of the others, candidate i watches
      // only the znode of candidate i - 1 and the leader none.
      const others = watched.filter((p) => p !== znodePath(n));
      expect(watched).toContain(znodePath(n));
      expect([...new Set(others)]).toEqual(i === 0 ? [] : [znodePath(all[i - 1]!)]);
    }
    // No znode is watched by more than one other session.
    for (const n of all) {
      const watchers = new Set(zk.watchLog.filter((w) => w.path === znodePath(n) && w.sessionId !== n.coord.sessionId()).map((w) => w.sessionId));
      expect(watchers.size).toBeLessThanOrEqual(1);
    }
  });

  it('wakes only the next contender when the leader leaves, and exactly it becomes leader', async () => {
    const all = await joinInOrder('n1', 'n2', 'n3', 'n4', 'n5');
    const deliveriesBefore = zk.deliveries.length;
    const changesBefore = all.map((n) => n.changes.length);

    await all[0]!.election.leave('test: leader leaves');
    await zk.settle();

    expect(leaders()).toEqual(['n2']);
    expect(all[1]!.election.status()).toMatchObject({ role: 'leader', predecessor: null });
    // Only n2 is woken (n1's watch on its own znode fires too, but n1 has left).
    const woken = zk.deliveries.slice(deliveriesBefore).map((d) => d.client).filter((c) => c !== 'n1');
    expect(woken).toEqual(['n2']);
    // n3..n5 did not even re-check: no status change at all.
    for (let i = 2; i < all.length; i++) expect(all[i]!.changes.length).toBe(changesBefore[i]);
    expect(all[2]!.election.status().predecessor).toBe(all[1]!.election.status().znode);
  });

  it('records when the predecessor watch woke it, for the takeover phases, and not before', async () => {
    const [a, b] = await joinInOrder('n1', 'n2');
    expect(b!.election.lastWakeAt()).toBeNull();
    expect(a!.election.lastWakeAt()).toBeNull();

    clock = 5000;
    await a!.election.leave('test: leader leaves');
    await zk.settle();

    expect(b!.election.isLeader()).toBe(true);
    expect(b!.election.lastWakeAt()).toBe(5000);
    // Woken first, then elected: the wake is no later than the transition.
    expect(b!.election.lastWakeAt()!).toBeLessThanOrEqual(b!.election.status().since);
  });

  it('reports one wake per deleted predecessor, though every re-check watched it again', async () => {
    const [a, b] = await joinInOrder('n1', 'n2');
    const wakes: number[] = [];
    b!.election.on('woken', (at) => wakes.push(at));
    // Each reconnect re-checks and registers another watcher on the same predecessor.
    for (let i = 0; i < 2; i++) {
      b!.coord.emit('state', 'connected', b!.coord.generation);
      await zk.settle();
    }
    clock = 7000;
    await a!.election.leave('test: leader leaves');
    await zk.settle();
    expect(b!.election.isLeader()).toBe(true);
    expect(wakes).toEqual([7000]);
  });

  it.each([
    ['leaves the election', (n: Node): Promise<void> => n.election.leave('test: middle leaves')],
    ['loses its session', (n: Node): Promise<void> => n.coord.close()],
  ])('re-points the successor to the new predecessor, without leadership, when a middle contender %s', async (_what, go) => {
    const [a, b, c] = await joinInOrder('node-a', 'node-b', 'node-c');
    const watchesBefore = zk.watchLog.length;

    await go(b!);
    await zk.settle();

    expect(c!.election.status()).toMatchObject({ role: 'candidate', predecessor: a!.election.status().znode });
    expect(c!.changes.some((s) => s.role === 'leader')).toBe(false);
    const newWatches = zk.watchLog.slice(watchesBefore).filter((w) => w.sessionId === c!.coord.sessionId());
    expect(newWatches.map((w) => w.path)).toEqual([znodePath(a!)]);
    expect(leaders()).toEqual(['node-a']);
  });

  it('lists again when its predecessor vanishes between the listing and the watch, instead of waiting on nothing', async () => {
    const [a, b] = await joinInOrder('node-a', 'node-b');
    const c = makeNode('node-c');
    // node-b's session dies right before node-c's exists(predecessor) reaches the server.
    c.coord.beforeNext('exists', () => {
      void b!.coord.close();
    });
    c.election.join();
    await zk.settle();

    expect(c.election.status()).toMatchObject({ role: 'candidate', predecessor: a!.election.status().znode });
    // (An exists() on the vanished znode leaves a creation watch, as in ZooKeeper; that name never returns.)
    const armedOnLiveZnodes = zk.armedWatches().filter((w) => w.sessionId === c.coord.sessionId() && zk.stat(w.path) !== null);
    expect(armedOnLiveZnodes.map((w) => w.path).filter((p) => p !== znodePath(c)).sort()).toEqual([znodePath(a!)]);
  });

  it('ignores znodes that are not contenders and warns about each only once', async () => {
    const other = await otherSession('other');
    await other.create(`${PATH}/lock`, Buffer.from(''), 'persistent');
    await other.create(`${PATH}/n_not-a-guid_x_0000000001`, Buffer.from(''), 'persistent');
    const [a, b] = await joinInOrder('node-a', 'node-b');

    expect(leaders()).toEqual(['node-a']);
    expect(b!.election.status().predecessor).toBe(a!.election.status().znode);
    const invalid = a!.log.entries.filter((e) => e.fields.event === 'election.invalid_znode').map((e) => e.fields.znode);
    expect(invalid.sort()).toEqual(['lock', 'n_not-a-guid_x_0000000001']);
  });

  it('does not let a persistent znode named like the lowest contender keep the lead from the real one', async () => {
    // A rogue (or a tool) creates a contender-looking znode that sorts first but no session owns.
    const rogue = await otherSession('rogue');
    await rogue.create(`${PATH}/n_${'0'.repeat(32)}_rogue_0000000000`, Buffer.from('{}'), 'persistent');
    const [a, b] = await joinInOrder('node-a', 'node-b');

    expect(leaders()).toEqual(['node-a']);
    expect(b!.election.status().predecessor).toBe(a!.election.status().znode);
    const warned = a!.log.entries.filter((e) => e.fields.event === 'election.invalid_znode').map((e) => e.fields.znode);
    expect(warned).toEqual([`n_${'0'.repeat(32)}_rogue_0000000000`]);
    // An ephemeral one of a live session is a real contender and does keep the lead.
    const [c] = await joinInOrder('node-c');
    expect(c!.election.status().role).toBe('candidate');
  });

  it('does not create a second znode when join() is called twice', async () => {
    const a = makeNode('node-a');
    a.election.join();
    a.election.join();
    await zk.settle();
    a.election.join();
    await zk.settle();
    expect(zk.children(PATH)).toHaveLength(1);
    expect(a.election.isLeader()).toBe(true);
  });
});

describe('Election: the way in (start-up round trips)', () => {
  it('joins an existing election with one create and one list: no mkdirp, whose failing creates are writes', async () => {
    await otherSession('earlier-member');
    const a = makeNode('node-a');
    const mkdirp = jest.spyOn(a.coord, 'mkdirp');
    const create = jest.spyOn(a.coord, 'create');
    const list = jest.spyOn(a.coord, 'getChildren');
    a.election.join();
    await zk.settle();

    expect(a.election.isLeader()).toBe(true);
    expect(mkdirp).not.toHaveBeenCalled();
    expect(create).toHaveBeenCalledTimes(1);
    expect(list).toHaveBeenCalledTimes(1);
    expect(create.mock.invocationCallOrder[0]).toBeLessThan(list.mock.invocationCallOrder[0]!);
  });

  it('makes a missing election path when its create answers NO_NODE, then joins', async () => {
    const a = makeNode('node-a');
    const mkdirp = jest.spyOn(a.coord, 'mkdirp');
    a.election.join();
    await zk.settle();

    expect(mkdirp).toHaveBeenCalledTimes(1);
    expect(zk.children(PATH)).toHaveLength(1);
    expect(a.election.status()).toMatchObject({ role: 'leader', znode: zk.children(PATH)[0] });
    expect(a.log.eventNames()).not.toContain('election.check_failed');
  });

  it('makes the election path again when it was deleted under a member, and joins behind nobody', async () => {
    const [a] = await joinInOrder('node-a');
    await a!.election.leave('test');
    await zk.settle();
    const admin = await otherSession('admin');
    await admin.remove(PATH);
    a!.election.join();
    await zk.settle();

    expect(zk.children(PATH)).toHaveLength(1);
    expect(a!.election.isLeader()).toBe(true);
  });
});

describe('Election: checking facts, not memory', () => {
  it('recovers its znode by GUID after a lost create reply, without a duplicate znode', async () => {
    const a = makeNode('node-a');
    await a.coord.mkdirp(PATH); // a running cluster: the create reaches the server (a missing path answers NO_NODE)
    a.coord.loseNextCreateReply();
    a.election.join();
    await zk.settle();

    const children = zk.children(PATH);
    expect(children).toHaveLength(1);
    expect(a.election.status()).toMatchObject({ role: 'leader', znode: children[0] });
    expect(a.log.eventNames()).toContain('election.create_lost');
  });

  it('creates its znode again when the lost create was never applied', async () => {
    const [b] = await joinInOrder('node-b');
    const a = makeNode('node-a');
    a.coord.loseNextCreateReply({ applied: false });
    a.election.join();
    await zk.settle();

    expect(zk.children(PATH)).toHaveLength(2);
    expect(a.election.status()).toMatchObject({ role: 'candidate', predecessor: b!.election.status().znode });
  });

  it('removes a leftover znode of its node id whose owner, a process on this host, is dead', async () => {
    const crashed = await otherSession('crashed-controller');
    const leftover = await crashed.create(
      `${PATH}/n_${'0'.repeat(32)}_node-a_`,
      encodeMember(memberInfo('node-a', HOST, DEAD_PID)),
      'ephemeral_sequential',
    );

    const [a] = await joinInOrder('node-a');

    expect(zk.stat(leftover)).toBeNull();
    expect(a!.election.isLeader()).toBe(true);
    expect(zk.stat(znodePath(a!))?.ephemeralOwner).toBe(a!.coord.sessionId());
    expect(a!.log.eventNames()).toContain('election.stale_removed');
  });

  it.each([
    ['a live process on this host', HOST, process.ppid],
    ['a process on another host', 'host-2', DEAD_PID],
  ])('keeps and reports a znode of its node id held by %s', async (_what, host, pid) => {
    const other = await otherSession('twin');
    const theirs = await other.create(`${PATH}/n_${'0'.repeat(32)}_node-a_`, encodeMember(memberInfo('node-a', host, pid)), 'ephemeral_sequential');

    const [a] = await joinInOrder('node-a');

    expect(zk.stat(theirs)).not.toBeNull();
    expect(a!.election.status()).toMatchObject({ role: 'candidate', predecessor: theirs.slice(PATH.length + 1) });
    expect(a!.log.entries.some((e) => e.level === 'error' && e.fields.event === 'election.duplicate_id')).toBe(true);
  });

  it('never claims leadership on a lowest znode with its GUID that another session owns', async () => {
    const guid = 'abcdef0123456789abcdef0123456789';
    mockedUuid.mockReturnValueOnce('abcdef01-2345-6789-abcd-ef0123456789');
    const other = await otherSession('other');
    const foreign = await other.create(`${PATH}/n_${guid}_node-a_`, encodeMember(memberInfo('node-a')), 'ephemeral_sequential');
    const foreignName = foreign.slice(PATH.length + 1);

    const a = makeNode('node-a');
    a.election.join();
    // The mismatch is an error the election retries after retryDelayMs (1 ms here).
    await waitFor(() => a.election.isLeader(), { timeoutMs: 2000, what: 'node-a to lead on a znode of its own' });
    await zk.settle();

    expect(a.changes.some((s) => s.role === 'leader' && s.znode === foreignName)).toBe(false);
    expect(a.log.eventNames()).toContain('election.owner_mismatch');
    // It ended up leading on a znode of its own session, never on the foreign one.
    expect(a.election.status().znode).not.toBe(foreignName);
    expect(a.election.isLeader()).toBe(true);
    expect(zk.stat(znodePath(a))?.ephemeralOwner).toBe(a.coord.sessionId());
  });

  it('removes duplicate znodes of its own GUID and keeps the lowest', async () => {
    mockedUuid.mockReturnValueOnce('00000000-0000-0000-0000-0000000000aa');
    const a = makeNode('node-a');
    await a.coord.mkdirp(PATH);
    const prefix = `${PATH}/n_${'0'.repeat(30)}aa_node-a_`;
    const first = await a.coord.create(prefix, encodeMember(memberInfo('node-a')), 'ephemeral_sequential');
    await a.coord.create(prefix, encodeMember(memberInfo('node-a')), 'ephemeral_sequential');

    a.election.join();
    await zk.settle();

    expect(zk.children(PATH)).toEqual([first.slice(PATH.length + 1)]);
    expect(a.election.status()).toMatchObject({ role: 'leader', znode: first.slice(PATH.length + 1) });
  });
});

describe('Election: sessions', () => {
  it('drops the leader role at once on session expiry and rejoins with a new znode in the new session', async () => {
    const [a, b] = await joinInOrder('node-a', 'node-b');
    const oldZnode = a!.election.status().znode;
    const oldSession = a!.coord.sessionId();

    a!.coord.expireSession();
    // Synchronously, before any request of the new session got an answer.
    expect(a!.election.isLeader()).toBe(false);
    expect(a!.election.status()).toMatchObject({ role: 'joining', znode: null });

    await zk.settle();

    expect(leaders()).toEqual(['node-b']);
    const st = a!.election.status();
    expect(st).toMatchObject({ role: 'candidate', generation: 2, predecessor: b!.election.status().znode });
    expect(st.znode).not.toBe(oldZnode);
    expect(parseContender(st.znode ?? '')?.guid).not.toBe(parseContender(oldZnode ?? '')?.guid);
    expect(zk.stat(znodePath(a!))?.ephemeralOwner).toBe(a!.coord.sessionId());
    expect(a!.coord.sessionId()).not.toBe(oldSession);
    // After the expiry it never claimed leadership again.
    const afterExpiry = a!.changes.slice(a!.changes.findIndex((s) => s.role === 'joining' && s.generation === 1));
    expect(afterExpiry.some((s) => s.role === 'leader')).toBe(false);
  });

  it('leads again after expiry only with a znode owned by the new session', async () => {
    const [a] = await joinInOrder('node-a');
    a!.coord.expireSession();
    await zk.settle();

    expect(a!.election.isLeader()).toBe(true);
    expect(a!.election.status().generation).toBe(2);
    expect(zk.children(PATH)).toHaveLength(1);
    expect(zk.stat(znodePath(a!))?.ephemeralOwner).toBe(a!.coord.sessionId());
  });

  it('keeps its role through a disconnection of the same session (the controller judges provability)', async () => {
    const [a] = await joinInOrder('node-a');
    a!.coord.disconnect();
    await zk.settle();
    expect(a!.election.status()).toMatchObject({ role: 'leader', generation: 1 });
    a!.coord.reconnect();
    await zk.settle();
    expect(a!.election.isLeader()).toBe(true);
    expect(zk.children(PATH)).toHaveLength(1);
  });

  it('takes over after reconnecting when its predecessor left while it was disconnected', async () => {
    const [a, b] = await joinInOrder('node-a', 'node-b');
    b!.coord.disconnect();
    await a!.election.leave('test: leader leaves');
    await zk.settle();
    expect(b!.election.status().role).toBe('candidate');

    b!.coord.reconnect();
    await zk.settle();
    expect(leaders()).toEqual(['node-b']);
  });
});

describe('Election: leave()', () => {
  it('deletes its znode together with the extra ops in one multi', async () => {
    const [a, b] = await joinInOrder('node-a', 'node-b');
    const other = await otherSession('writer');
    await other.create(`${PATH}-active`, Buffer.from('{"epoch":3}'), 'persistent');
    const ours = znodePath(a!);
    const extra: MultiOp[] = [{ op: 'remove', path: `${PATH}-active`, version: 0 }];

    await a!.election.leave('shutdown', extra);
    await zk.settle();

    const multis = zk.multiLog.filter((m) => m.client === 'node-a');
    expect(multis).toHaveLength(1);
    expect(multis[0]!.ops).toEqual([...extra, { op: 'remove', path: ours, version: -1 }]);
    expect(zk.stat(ours)).toBeNull();
    expect(zk.stat(`${PATH}-active`)).toBeNull();
    expect(a!.election.status()).toMatchObject({ role: 'idle', znode: null });
    expect(leaders()).toEqual(['node-b']);
    expect(b!.election.status().role).toBe('leader');
  });

  it('still deletes its znode when an extra op fails, leaving the rest untouched', async () => {
    const [a] = await joinInOrder('node-a');
    const other = await otherSession('writer');
    await other.create(`${PATH}-active`, Buffer.from('{"epoch":3}'), 'persistent');
    const ours = znodePath(a!);

    await a!.election.leave('shutdown', [{ op: 'remove', path: `${PATH}-active`, version: 5 }]);
    await zk.settle();

    expect(zk.stat(ours)).toBeNull();
    expect(zk.stat(`${PATH}-active`)).not.toBeNull();
  });

  it('rejoins at the back after leaving', async () => {
    const [a, b] = await joinInOrder('node-a', 'node-b');
    await a!.election.leave('resign');
    await zk.settle();
    a!.election.join();
    await zk.settle();

    expect(leaders()).toEqual(['node-b']);
    expect(a!.election.status()).toMatchObject({ role: 'candidate', predecessor: b!.election.status().znode });
  });

  // leave() can overtake a check() that is about to create our znode: that znode must not
  // linger as an orphan blocking every contender behind it.
  it('does not block the election with an orphan znode when leave() overtakes the first check', async () => {
    const a = makeNode('node-a');
    a.election.join();
    await a.election.leave('changed its mind');
    await zk.settle();
    const [b] = await joinInOrder('node-b');

    expect(a.election.status().role).toBe('idle');
    expect(zk.children(PATH)).toEqual([b!.election.status().znode]);
    expect(leaders()).toEqual(['node-b']);
  });
  // ZooKeeper's state lost (or the cluster's znodes deleted by hand): the election path itself
  // is gone. The contenders must create it again and elect someone, not retry a NO_NODE forever.
  it('re-creates a deleted election path and elects again', async () => {
    const [a, b] = await joinInOrder('node-a', 'node-b');
    expect(leaders()).toEqual(['node-a']);
    for (const n of [a!, b!]) zk.removeNow(znodePath(n));
    zk.removeNow(PATH);
    // The first check after the delete fails (NO_NODE) and is retried after retryDelayMs.
    await waitFor(async () => {
      await zk.settle();
      return zk.stat(PATH) !== null && zk.children(PATH).length === 2 && leaders().length === 1;
    }, { timeoutMs: 2000, what: 'the election path to be re-created with both contenders and one leader' });
  });
});
