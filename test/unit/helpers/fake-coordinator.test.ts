/**
 * The in-memory ZooKeeper behaves like the real one where the election depends on it; if it did
 * not, the election tests built on it would prove nothing.
 */
import { ZkError, errorCode } from '../../../src/errors';
import type { ConnState, SessionInfo, WatchEvent } from '../../../src/coordination/types';
import { FakeCoordinator, FakeZk, PERSISTENT_OWNER } from '../../helpers/fake-coordinator';

const buf = (s: string): Buffer => Buffer.from(s);

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function started(zk: FakeZk, name?: string): FakeCoordinator {
  const c = zk.client(name);
  c.start();
  return c;
}

describe('FakeZk / FakeCoordinator', () => {
  let zk: FakeZk;
  let a: FakeCoordinator;
  let b: FakeCoordinator;

  beforeEach(async () => {
    let t = 1000;
    zk = new FakeZk(() => t++);
    a = started(zk, 'a');
    b = started(zk, 'b');
    await a.mkdirp('/ha/election');
  });

  it('numbers sequential children with a 10-digit zero-padded counter per parent', async () => {
    await a.mkdirp('/other');
    const p1 = await a.create('/ha/election/n_', buf('1'), 'ephemeral_sequential');
    const p2 = await b.create('/ha/election/n_', buf('2'), 'ephemeral_sequential');
    const q1 = await a.create('/other/x_', buf(''), 'ephemeral_sequential');
    expect([p1, p2, q1]).toEqual(['/ha/election/n_0000000000', '/ha/election/n_0000000001', '/other/x_0000000000']);
  });

  it('records the owning session of ephemerals and a zero owner for persistent znodes', async () => {
    const p = await a.create('/ha/election/n_', buf('x'), 'ephemeral_sequential');
    expect((await b.exists(p))?.ephemeralOwner).toBe(a.sessionId());
    expect((await b.exists('/ha'))?.ephemeralOwner).toBe(PERSISTENT_OWNER);
    expect(a.sessionId()).toMatch(/^[0-9a-f]{16}$/);
    expect(a.sessionId()).not.toBe(b.sessionId());
  });

  it('bumps versions on setData and refuses a stale version', async () => {
    await a.create('/ha/epoch', buf('0'), 'persistent');
    expect((await a.setData('/ha/epoch', buf('1'), 0)).version).toBe(1);
    expect(errorCode(await rejection(a.setData('/ha/epoch', buf('2'), 0)))).toBe('ZK_BAD_VERSION');
    expect(zk.data('/ha/epoch')?.toString()).toBe('1');
  });

  it('reports NO_NODE, NODE_EXISTS and NOT_EMPTY like ZooKeeper', async () => {
    expect(errorCode(await rejection(a.getData('/nope')))).toBe('ZK_NO_NODE');
    expect(errorCode(await rejection(a.create('/nope/child', buf(''), 'persistent')))).toBe('ZK_NO_NODE');
    expect(errorCode(await rejection(a.create('/ha', buf(''), 'persistent')))).toBe('ZK_NODE_EXISTS');
    expect(errorCode(await rejection(a.remove('/ha')))).toBe('ZK_NOT_EMPTY');
    await expect(a.mkdirp('/ha/election')).resolves.toBeUndefined();
  });

  it('fires an exists watch once, on the first change only', async () => {
    const p = await a.create('/ha/election/n_', buf('x'), 'ephemeral_sequential');
    const seen: WatchEvent[] = [];
    await b.exists(p, (e) => seen.push(e));
    await a.setData(p, buf('y'));
    await a.remove(p);
    await zk.settle();
    expect(seen).toEqual([{ type: 'dataChanged', path: p }]);
  });

  it('fires an exists watch on a missing znode when it is created', async () => {
    const seen: WatchEvent[] = [];
    expect(await b.exists('/ha/flag', (e) => seen.push(e))).toBeNull();
    await a.create('/ha/flag', buf(''), 'persistent');
    await zk.settle();
    expect(seen).toEqual([{ type: 'created', path: '/ha/flag' }]);
  });

  it('fires getChildren watches on child creation and getData watches on deletion', async () => {
    const children: WatchEvent[] = [];
    const data: WatchEvent[] = [];
    await b.getChildren('/ha/election', (e) => children.push(e));
    const p = await a.create('/ha/election/n_', buf('x'), 'ephemeral_sequential');
    await b.getData(p, (e) => data.push(e));
    await a.remove(p);
    await zk.settle();
    expect(children).toEqual([{ type: 'childrenChanged', path: '/ha/election' }]);
    expect(data).toEqual([{ type: 'deleted', path: p }]);
  });

  it('applies a multi atomically: a failing op leaves everything untouched', async () => {
    await a.create('/ha/active', buf('old'), 'persistent');
    const err = await rejection(
      a.multi([
        { op: 'setData', path: '/ha/active', data: buf('new'), version: 0 },
        { op: 'create', path: '/ha/made', data: buf(''), mode: 'persistent' },
        { op: 'check', path: '/ha/active', version: 7 },
      ]),
    );
    expect(errorCode(err)).toBe('ZK_BAD_VERSION');
    expect(zk.data('/ha/active')?.toString()).toBe('old');
    expect(zk.stat('/ha/made')).toBeNull();

    await a.multi([
      { op: 'setData', path: '/ha/active', data: buf('new'), version: 0 },
      { op: 'create', path: '/ha/made', data: buf(''), mode: 'persistent' },
    ]);
    expect(zk.data('/ha/active')?.toString()).toBe('new');
    expect(zk.stat('/ha/made')).not.toBeNull();
    expect(zk.multiLog.map((m) => m.ops.length)).toEqual([3, 2]);
  });

  it('on expiry deletes the session ephemerals, fires their watches, then opens generation + 1', async () => {
    const p = await a.create('/ha/election/n_', buf('x'), 'ephemeral_sequential');
    const oldSession = a.sessionId();
    const seen: WatchEvent[] = [];
    await b.exists(p, (e) => seen.push(e));
    const events: string[] = [];
    a.on('state', (s: ConnState, g: number) => events.push(`state:${s}:${g}`));
    a.on('session', (i: SessionInfo) => events.push(`session:${i.generation}`));

    a.expireSession();

    expect(events).toEqual(['state:expired:1', 'state:connecting:2', 'state:connected:2', 'session:2']);
    expect(a.generation).toBe(2);
    expect(a.sessionId()).not.toBe(oldSession);
    expect(zk.isLive(oldSession)).toBe(false);
    expect(zk.stat(p)).toBeNull();
    await zk.settle();
    expect(seen).toEqual([{ type: 'deleted', path: p }]);
  });

  it('drops the watches of an expired session instead of delivering them to the new one', async () => {
    await b.create('/ha/x', buf(''), 'persistent');
    const seen: WatchEvent[] = [];
    await a.exists('/ha/x', (e) => seen.push(e));
    a.expireSession();
    await b.remove('/ha/x');
    await zk.settle();
    expect(seen).toEqual([]);
  });

  it('rejects a request of the old session that was in flight when it expired', async () => {
    const pending = rejection(a.getChildren('/ha/election'));
    a.expireSession();
    expect(errorCode(await pending)).toBe('ZK_SESSION_EXPIRED');
  });

  it('applies a create whose reply is lost and rejects it with ZK_CONNECTION_LOSS', async () => {
    a.loseNextCreateReply();
    const err = await rejection(a.create('/ha/election/n_', buf('x'), 'ephemeral_sequential'));
    expect(err).toBeInstanceOf(ZkError);
    expect(errorCode(err)).toBe('ZK_CONNECTION_LOSS');
    expect(zk.children('/ha/election')).toEqual(['n_0000000000']);
    // Only the next create is affected.
    await expect(a.create('/ha/election/n_', buf('x'), 'ephemeral_sequential')).resolves.toBe('/ha/election/n_0000000001');
  });

  it('can lose a create before it is applied', async () => {
    a.loseNextCreateReply({ applied: false });
    expect(errorCode(await rejection(a.create('/ha/election/n_', buf('x'), 'ephemeral_sequential')))).toBe('ZK_CONNECTION_LOSS');
    expect(zk.children('/ha/election')).toEqual([]);
  });

  it('fails requests while disconnected and holds watch notifications until reconnect', async () => {
    await b.create('/ha/x', buf(''), 'persistent');
    const seen: WatchEvent[] = [];
    await a.exists('/ha/x', (e) => seen.push(e));
    a.disconnect();
    expect(a.state).toBe('disconnected');
    expect(errorCode(await rejection(a.exists('/ha/x')))).toBe('ZK_CONNECTION_LOSS');
    await b.remove('/ha/x');
    await zk.settle();
    expect(seen).toEqual([]);
    a.reconnect();
    await zk.settle();
    expect(seen).toEqual([{ type: 'deleted', path: '/ha/x' }]);
    expect(a.generation).toBe(1);
  });

  it('reports the send time of the newest answered request as lastHeardAt', async () => {
    const c = started(zk, 'c');
    const heard: number[] = [];
    c.on('heard', (sentAt: number) => heard.push(sentAt));
    expect(c.lastHeardAt()).toBeNull();
    await c.exists('/');
    const first = c.lastHeardAt();
    expect(first).not.toBeNull();
    await c.exists('/');
    expect(c.lastHeardAt()).toBeGreaterThan(first ?? Infinity);
    expect(heard).toHaveLength(2);
    c.expireSession();
    expect(c.lastHeardAt()).toBeNull(); // nothing heard in the new session yet
  });

  it('runs a beforeNext hook just before the matching request is applied', async () => {
    await b.create('/ha/x', buf(''), 'persistent');
    a.beforeNext('exists', (path) => zk.removeNow(path));
    expect(await a.exists('/ha/x')).toBeNull();
    expect(await a.exists('/ha')).not.toBeNull(); // only the next one
  });

  it('deletes the ephemerals of a closed client and refuses further requests', async () => {
    const p = await a.create('/ha/election/n_', buf('x'), 'ephemeral_sequential');
    await a.close();
    expect(a.state).toBe('closed');
    expect(zk.stat(p)).toBeNull();
    expect(errorCode(await rejection(a.exists('/')))).toBe('ZK_CLOSED');
  });
});
