/**
 * The frame of the hung-home suites: two nodes, a and b, each seeing the shared JENKINS_HOME
 * through its own bindfs mount of one backing directory, like two NFS clients of one server
 * (bindfs.ts), and the lock timings those suites share. Per test: a scratch folder `root` with
 * `back/` (the backing directory, 0700), `a/` and `b/` (the mounts); after the test (once the
 * nodes are stopped, see suite.ts) every mount is healed and unmounted and `root` removed.
 *
 * The stand-ins journal in the fixture's home, off the mounts (STANDIN_STATE_DIR in env()), so
 * the never-two-alive check reads every life even while a mount hangs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BindMount } from './bindfs';
import type { HaNode } from './ha-node';
import { assertNeverTwoAlive } from './journal';
import { haSuite, type HaSuite } from './suite';
import { waitFor } from './wait';

export const HB = 200; // lock.heartbeatMs
export const IO = 1000; // lock.ioTimeoutMs (generous: a helper not scheduled for 500 ms on a loaded host read as hung)
export const LEASE = 1500; // lock.leaseMs (>= HB + IO + fencing.marginMs)
export const COOL = 2000; // election.resignCooldownMs
/** Launching the stand-in and its first readiness answer (health probes every 300 ms), on a loaded 2-core machine. */
export const START_MS = 4000;
/**
 * The takeover bound: the leader notices within HB + IO (its next heartbeat or watch read misses
 * the deadline) and kills Jenkins at once; the successor waits for the last heartbeat, written
 * before the hang, to be LEASE old; then the launch and the first readiness answer.
 */
export const BOUND = HB + IO + LEASE + START_MS;

export interface MountedHomes {
  readonly suite: HaSuite;
  /** This test's scratch folder. */
  readonly root: string;
  /** a's and b's views of `root/back` (mounts[0] at `root/a`, mounts[1] at `root/b`). */
  readonly mounts: readonly [BindMount, BindMount];
  /** Mount another view (e.g. a mount inside `back`); it is unmounted after the test, after a's and b's. */
  mount(backing: string, mountpoint: string): Promise<BindMount>;
  /** A node's environment: the stand-in journals in the fixture's home; the lock timings above. */
  env(): Record<string, string>;
  /**
   * After the first Jenkins is gone and the homes healed at `healedAt`: waits until one of `nodes`
   * leads with Jenkins ready (within a cool-down and a takeover), then checks the journal: two
   * lives, never two alive, the second started after `healedAt`.
   */
  expectJenkinsBack(nodes: readonly HaNode[], healedAt: number, what: string): Promise<void>;
}

/** Call once at the top of a test file (it registers the suite's hooks); `prefix` names the scratch folders. */
export function mountedHomes(prefix: string): MountedHomes {
  let root: string | null = null;
  let mounts: BindMount[] = [];
  const suite = haSuite({
    afterEach: async () => {
      for (const m of mounts) await m.unmount();
      mounts = [];
      if (root) fs.rmSync(root, { recursive: true, force: true });
      root = null;
    },
  });
  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.mkdirSync(path.join(root, 'back'), { mode: 0o700 });
    for (const n of ['a', 'b']) mounts.push(await BindMount.mount(path.join(root, 'back'), path.join(root, n)));
  });
  const inTest = (): string => {
    if (!root) throw new Error('no mounted homes outside a test');
    return root;
  };
  return {
    suite,
    get root(): string {
      return inTest();
    },
    get mounts(): readonly [BindMount, BindMount] {
      inTest();
      return [mounts[0]!, mounts[1]!];
    },
    async mount(backing: string, mountpoint: string): Promise<BindMount> {
      inTest();
      const m = await BindMount.mount(backing, mountpoint);
      mounts.push(m);
      return m;
    },
    env(): Record<string, string> {
      return {
        STANDIN_STATE_DIR: suite.fx.home,
        JHA_LOCK_HEARTBEAT_MS: String(HB),
        JHA_LOCK_LEASE_MS: String(LEASE),
        JHA_LOCK_IO_TIMEOUT_MS: String(IO),
        JHA_ELECTION_RESIGN_COOLDOWN_MS: String(COOL),
      };
    },
    async expectJenkinsBack(nodes: readonly HaNode[], healedAt: number, what: string): Promise<void> {
      await waitFor(
        async () => {
          for (const n of nodes) {
            const s = await n.status();
            if (s?.node.role === 'leader' && s.jenkins.ready) return true;
          }
          return false;
        },
        { timeoutMs: COOL + BOUND + 10_000, what },
      );
      const ls = assertNeverTwoAlive(suite.fx.home);
      expect(ls).toHaveLength(2);
      expect(ls[1]!.start).toBeGreaterThan(healedAt);
    },
  };
}
