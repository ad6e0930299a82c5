/**
 * The frame of every integration suite: a real ZooKeeper for the file, a fresh shared
 * JENKINS_HOME (fixture) per test, and after each test the one invariant: the stand-in's journal
 * never shows two Jenkins alive at once.
 */
import { makeFixture, type Fixture } from './ha-node';
import { assertNeverTwoAlive } from './journal';
import { startZk, type StartZkOptions, type ZkCluster } from './zk';

export interface HaSuite {
  readonly zk: ZkCluster;
  readonly fx: Fixture;
}

export function haSuite(opts: StartZkOptions & { afterEach?: () => Promise<void> | void } = {}): HaSuite {
  let zk: ZkCluster | null = null;
  let fx: Fixture | null = null;
  beforeAll(async () => {
    zk = await startZk(opts);
  }, 60000);
  afterAll(async () => {
    await zk?.stop();
  });
  beforeEach(async () => {
    if (!zk) throw new Error('ZooKeeper did not start');
    fx = await makeFixture(zk.connect);
  });
  afterEach(async () => {
    try {
      if (fx) assertNeverTwoAlive(fx.home);
    } finally {
      await fx?.cleanup();
      await opts.afterEach?.();
    }
  });
  return {
    get zk(): ZkCluster {
      if (!zk) throw new Error('ZooKeeper is not running');
      return zk;
    },
    get fx(): Fixture {
      if (!fx) throw new Error('no fixture outside a test');
      return fx;
    },
  };
}
