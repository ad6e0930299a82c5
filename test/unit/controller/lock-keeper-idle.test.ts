/**
 * LockKeeper against a real lock file in a temp dir: while this node runs Jenkins each beat
 * refreshes the heartbeat; while it runs none, each beat is a look at the lock instead (the
 * `idle` hook: a standby counting the holder's heartbeat unchanged, issue 13 item 3), and a
 * failing look never becomes an unhandled rejection.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LockKeeper } from '../../../src/controller/lock-keeper';
import { readLock } from '../../../src/fencing/home-lock';
import { silentLogger } from '../../../src/logging/logger';

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-keeper-'));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

const me = { epoch: 3, nodeId: 'a', host: 'h', pid: 1, cluster: 'c', time: '' };

test('looks at the lock (idle) while running no Jenkins, and beats instead while it does', async () => {
  let running = false;
  let looks = 0;
  const keeper = new LockKeeper({
    home,
    heartbeatMs: 1000,
    holder: () => (running ? me : null),
    wallNow: () => 12345,
    logger: silentLogger,
    onNewer: () => undefined,
    idle: async () => {
      looks += 1;
    },
  });
  await keeper.beat();
  await keeper.beat();
  expect(looks).toBe(2);
  expect(await readLock(home)).toEqual({ kind: 'none' });
  running = true;
  await keeper.beat();
  expect(looks).toBe(2);
  expect(await readLock(home)).toMatchObject({ kind: 'ok', record: { epoch: 3, nodeId: 'a', heartbeatAt: 12345 } });
});

test('a look that fails is swallowed (the launch reads the lock again) and the next one runs', async () => {
  let calls = 0;
  const keeper = new LockKeeper({
    home,
    heartbeatMs: 1000,
    holder: () => null,
    wallNow: () => 0,
    logger: silentLogger,
    onNewer: () => undefined,
    idle: async () => {
      calls += 1;
      throw new Error('home hung');
    },
  });
  await expect(keeper.beat()).resolves.toBeUndefined();
  await expect(keeper.beat()).resolves.toBeUndefined();
  expect(calls).toBe(2);
});
