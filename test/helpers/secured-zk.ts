/**
 * The frame of the suites against a ZooKeeper that secures its znodes (zk-auth: digest ACLs,
 * zk-sasl: SASL, zk-tls: x509): the haSuite, raw clients (RawZk: an outside tool, an intruder)
 * that are closed after each test, and ACLs in a comparable order.
 */
import { RawZk, type RawAcl } from './raw-zk';
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
