/**
 * Real tests of scripts/zk.sh (through test/helpers/zk.ts): Debian's ZooKeeper on loopback.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zookeeper from 'node-zookeeper-client';
import { runZkScript, startZk, zkMode, ZkCluster } from '../helpers/zk';
import { waitFor } from '../helpers/wait';

// --- a minimal promise wrapper of node-zookeeper-client, local to this test -------------------

const CALL_TIMEOUT_MS = 3000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms}ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** A failed call; code is ZooKeeper's error code (e.g. Exception.NODE_EXISTS) when there is one. */
class ZkCallError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
  }
}

function toError(err: Error | zookeeper.Exception): ZkCallError {
  return err instanceof zookeeper.Exception
    ? new ZkCallError(err.toString(), err.getCode())
    : new ZkCallError(err.message, undefined);
}

function errorCode(e: unknown): number | undefined {
  return e instanceof ZkCallError ? e.code : undefined;
}

class TestClient {
  private constructor(private readonly client: zookeeper.Client) {}

  static async connect(connect: string, timeoutMs = 10_000): Promise<TestClient> {
    // retries: 0 (no duplicate creates after CONNECTION_LOSS), short spinDelay (see NOTES.md).
    const client = zookeeper.createClient(connect, { sessionTimeout: 10_000, spinDelay: 100, retries: 0 });
    const connected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
    client.connect();
    try {
      await withTimeout(connected, timeoutMs, `connect to ${connect}`);
    } catch (e) {
      client.close();
      throw e;
    }
    return new TestClient(client);
  }

  create(p: string, data: string): Promise<string> {
    return withTimeout(
      new Promise<string>((resolve, reject) => {
        this.client.create(p, Buffer.from(data), zookeeper.CreateMode.PERSISTENT, (err, created) =>
          err ? reject(toError(err)) : resolve(created),
        );
      }),
      CALL_TIMEOUT_MS,
      `create ${p}`,
    );
  }

  getData(p: string): Promise<string> {
    return withTimeout(
      new Promise<string>((resolve, reject) => {
        this.client.getData(p, (err, data) => (err ? reject(toError(err)) : resolve(data.toString())));
      }),
      CALL_TIMEOUT_MS,
      `getData ${p}`,
    );
  }

  close(): void {
    this.client.close();
  }
}

/** Create p (persistent) with retries across connection loss; NODE_EXISTS after a lost reply is fine. */
async function createEventually(client: TestClient, p: string, data: string, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      try {
        await client.create(p, data);
        return true;
      } catch (e) {
        if (errorCode(e) === zookeeper.Exception.NODE_EXISTS) return true;
        throw e;
      }
    },
    { timeoutMs, intervalMs: 100, what: `create ${p}` },
  );
}

// --- tests -------------------------------------------------------------------------------------

function statusLines(stdout: string): string[][] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/));
}

describe('scripts/zk.sh standalone', () => {
  let zk: ZkCluster;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    zk = await startZk();
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await zk?.stop();
  });

  test('serves: connect string, status, srvr mode', async () => {
    expect(zk.ports).toHaveLength(1);
    expect(zk.connect).toBe(`127.0.0.1:${zk.ports[0]}`);
    expect(await zkMode(zk.ports[0])).toBe('standalone');
    expect(await zk.leaderServer()).toBeNull();
    const st = await runZkScript(['status', '--dir', zk.dir]);
    expect(st.code).toBe(0);
    const lines = statusLines(st.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0][0]).toBe('1');
    expect(lines[0][1]).toBe(String(zk.ports[0]));
    expect(lines[0][2]).toMatch(/^\d+$/);
    expect(lines[0][3]).toBe('standalone');
  });

  test('a client can create and read a znode', async () => {
    const c = await TestClient.connect(zk.connect);
    clients.push(c);
    await c.create('/hello', 'world');
    expect(await c.getData('/hello')).toBe('world');
  });

  test('stopServer/startServer keeps persistent znodes; status exits 3 while down', async () => {
    const c = await TestClient.connect(zk.connect);
    await c.create('/persist', 'kept');
    c.close();

    await zk.stopServer(1);
    expect(await zkMode(zk.ports[0])).toBe('down');
    const down = await runZkScript(['status', '--dir', zk.dir]);
    expect(down.code).toBe(3);
    expect(statusLines(down.stdout)[0]).toEqual(['1', String(zk.ports[0]), '-', 'down']);
    await zk.stopServer(1); // idempotent

    await zk.startServer(1);
    expect(await zkMode(zk.ports[0])).toBe('standalone');
    const c2 = await TestClient.connect(zk.connect);
    clients.push(c2);
    expect(await c2.getData('/persist')).toBe('kept');
    expect((await runZkScript(['status', '--dir', zk.dir])).code).toBe(0);
  });
});

describe('scripts/zk.sh ensemble', () => {
  let zk: ZkCluster;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    zk = await startZk({ ensemble: true, forceSync: false });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await zk?.stop();
  });

  test('all 3 serve with exactly one leader', async () => {
    expect(zk.ports).toHaveLength(3);
    expect(zk.ports[1]).toBe(zk.ports[0] + 1);
    expect(zk.ports[2]).toBe(zk.ports[0] + 2);
    expect(zk.connect).toBe(zk.ports.map((p) => `127.0.0.1:${p}`).join(','));
    const modes = await Promise.all(zk.ports.map((p) => zkMode(p)));
    expect(modes.filter((m) => m === 'leader')).toHaveLength(1);
    expect(modes.filter((m) => m === 'follower')).toHaveLength(2);
    const leader = await zk.leaderServer();
    expect(leader).toBe(modes.indexOf('leader') + 1);
    const st = await runZkScript(['status', '--dir', zk.dir]);
    expect(st.code).toBe(0);
    expect(statusLines(st.stdout).map((l) => l[3])).toEqual(modes);
  });

  test('killing the leader elects a new one, the client can still write, the old leader rejoins', async () => {
    const c = await TestClient.connect(zk.connect);
    clients.push(c);
    await c.create('/before', 'x');

    const old = await zk.leaderServer();
    expect(old).not.toBeNull();
    const oldLeader = old as number;
    await zk.killServer(oldLeader);

    const next = await waitFor(
      async () => {
        const l = await zk.leaderServer();
        return l !== null && l !== oldLeader ? l : null;
      },
      { timeoutMs: 15_000, intervalMs: 50, what: 'a new ZooKeeper leader' },
    );
    expect(next).not.toBe(oldLeader);

    await createEventually(c, '/after', 'y', 15_000);
    expect(await c.getData('/after')).toBe('y');
    expect(await c.getData('/before')).toBe('x');

    const st = await runZkScript(['status', '--dir', zk.dir]);
    expect(st.code).toBe(3);
    expect(statusLines(st.stdout)[oldLeader - 1]).toEqual([String(oldLeader), String(zk.ports[oldLeader - 1]), '-', 'down']);

    await zk.startServer(oldLeader);
    expect(await zkMode(zk.ports[oldLeader - 1])).toBe('follower');
    expect((await runZkScript(['status', '--dir', zk.dir])).code).toBe(0);
    expect(await zk.leaderServer()).toBe(next);
  });

  test('start --server times out with an error when no quorum can form', async () => {
    await zk.stopServer(1);
    await zk.stopServer(2);
    await zk.stopServer(3);
    const r = await runZkScript(['start', '--dir', zk.dir, '--server', '1'], { env: { ZK_START_TIMEOUT: '2' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not serving after 2s/);
    expect(r.stderr).toContain(path.join(zk.dir, 'zk1', 'zk.log'));
    // Server 1 was left running: starting a second one forms a quorum.
    await zk.startServer(2);
    await zk.startServer(1); // already running: waits until it serves too
    const st = await runZkScript(['status', '--dir', zk.dir]);
    expect(statusLines(st.stdout).map((l) => l[3]).sort()).toEqual(['down', 'follower', 'leader']);
    expect(st.code).toBe(3);
  });
});

describe('scripts/zk.sh errors', () => {
  test('start fails with exit 4 and a clear message when a port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'jenkins-ha-zk-'));
    try {
      const r = await runZkScript(['start', '--dir', dir, '--port', String(port)]);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(new RegExp(`port\\(s\\) in use on 127\\.0\\.0\\.1: ${port}`));
      expect(r.stdout).toBe('');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
      await runZkScript(['kill', '--dir', dir]);
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  });

  test('stop and status on a dir without a cluster', async () => {
    const dir = path.join(os.tmpdir(), `jenkins-ha-zk-none-${process.pid}`);
    expect((await runZkScript(['stop', '--dir', dir])).code).toBe(0);
    expect((await runZkScript(['status', '--dir', dir])).code).toBe(3);
    expect(fs.existsSync(dir)).toBe(false);
  });
});
