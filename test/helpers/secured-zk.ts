/**
 * The frame of the suites against a ZooKeeper that secures its znodes (zk-auth: digest ACLs,
 * zk-sasl: SASL, zk-tls: x509): the haSuite, raw clients (RawZk: an outside tool, an intruder)
 * that are closed after each test, ACLs in a comparable order, and the checks these suites make
 * alike whatever the identity.
 */
import { mono, type HaNode } from './ha-node';
import { assertNeverTwoAlive } from './journal';
import { outcome, RawZk, type RawAcl } from './raw-zk';
import { haSuite, type HaSuite } from './suite';
import type { StartZkOptions } from './zk';

export type RawZkOptions = NonNullable<Parameters<typeof RawZk.connect>[1]>;

export interface SecuredZk {
  readonly suite: HaSuite;
  /** A raw client of the suite's ZooKeeper with these credentials (none: anonymous), closed after the test. */
  connect(opts?: RawZkOptions): Promise<RawZk>;
}

/** Call once at the top of a test file (it registers the suite's hooks). */
export function securedZk(opts: StartZkOptions = {}): SecuredZk {
  const clients: RawZk[] = [];
  const suite = haSuite({
    ...opts,
    afterEach: () => {
      for (const c of clients.splice(0)) c.close();
    },
  });
  return {
    suite,
    async connect(o: RawZkOptions = {}): Promise<RawZk> {
      const c = await RawZk.connect(suite.zk.connect, o);
      clients.push(c);
      return c;
    },
  };
}

/** An ACL sorted by scheme and id, so that two can be compared. */
export function sortAcl(acl: readonly RawAcl[]): RawAcl[] {
  return [...acl].sort((x, y) => `${x.scheme}${x.id}`.localeCompare(`${y.scheme}${y.id}`));
}

/**
 * The cluster's znodes under `root` (itself, history, epoch, active and every election znode) carry
 * exactly `ours` (sorted); `other`, of another identity, can read them but neither change nor
 * delete them, nor create a switchover intent.
 */
export async function expectOursAlone(root: string, ours: readonly RawAcl[], good: RawZk, other: RawZk): Promise<void> {
  const election = (await good.getChildren(`${root}/election`)).map((n) => `${root}/election/${n}`);
  const paths = [root, `${root}/history`, `${root}/epoch`, `${root}/active`, ...election];
  for (const p of paths) expect({ p, acl: sortAcl(await good.getACL(p)) }).toEqual({ p, acl: ours });
  for (const p of paths) {
    expect({ p, set: await outcome(other.setData(p, 'x')), rm: await outcome(other.remove(p)), read: await outcome(other.getData(p)) }).toEqual({
      p,
      set: 'NO_AUTH',
      rm: 'NO_AUTH',
      read: 'OK',
    });
  }
  expect(await outcome(other.create(`${root}/switchover`, '{}'))).toBe('NO_AUTH');
}

/**
 * A crashed controller's session is closed by its shim's closer, whatever secures the session: at
 * T = 10 s, a leads, b stands by, a is SIGKILLed and b spawns Jenkins within 5 s (expiry would take
 * 0.67-1.08 T), then leads with Jenkins ready; never two alive. Returns both nodes.
 */
export async function expectCloserHandsOver(suite: HaSuite, env: Record<string, string>): Promise<{ a: HaNode; b: HaNode }> {
  const a = suite.fx.start('a', { env, sessionTimeoutMs: 10000 });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env, sessionTimeoutMs: 10000 });
  await b.waitRole('standby');
  const t0 = mono();
  a.signal('SIGKILL');
  const started = await b.waitForEvent('jenkins.started', { timeoutMs: 20000 });
  expect(started.seenAt - t0).toBeLessThan(5000);
  await b.waitLeaderReady();
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2']);
  return { a, b };
}
