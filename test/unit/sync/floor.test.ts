/**
 * Finding 8 (docs/reliability.md): in sync.mode git each node has its own JENKINS_HOME, so the
 * lock's floor is the last epoch THIS node held. After a loss of ZooKeeper state a standby whose
 * lock names 5 took epoch 6 while the old leader held 6. The floor now also reads the newest epoch
 * on the local refs of the sync branch (real git, no network): the take goes above it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EpochStore } from '../../../src/fencing/epoch';
import { silentLogger, type LogFields, type Logger } from '../../../src/logging/logger';
import { branchFloor, combineFloors, highestEpoch } from '../../../src/sync/floor';
import { Git } from '../../../src/sync/git';
import { commitMessage } from '../../../src/sync/repo';
import { FakeZk } from '../../helpers/fake-coordinator';

describe('highestEpoch / combineFloors (pure)', () => {
  it('is the highest epoch any message names, 0 when none does', () => {
    expect(highestEpoch([])).toBe(0);
    expect(highestEpoch(['no trailer here'])).toBe(0);
    expect(highestEpoch([commitMessage({ epoch: 4, nodeId: 'a', reason: 'r' }), commitMessage({ epoch: 9, nodeId: 'b', reason: 'r' })])).toBe(9);
  });

  it('takes the higher floor and names its source (the lock wins a tie)', () => {
    expect(combineFloors(5, 6)).toEqual({ epoch: 6, source: 'sync-branch' });
    expect(combineFloors(6, 6)).toEqual({ epoch: 6, source: 'lock' });
    expect(combineFloors(7, 0)).toEqual({ epoch: 7, source: 'lock' });
  });
});

describe('branchFloor (a real clone)', () => {
  let dir: string;
  let git: Git;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-floor-'));
    fs.mkdirSync(path.join(dir, 'home'));
    git = new Git({ gitDir: path.join(dir, 'repo.git'), workTree: path.join(dir, 'home'), timeoutMs: 20000, identity: { name: 't', email: 't@x' }, secrets: { envNames: [], values: [] } });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A commit naming `epoch` at `ref` (an empty tree; the floor reads only the message). */
  async function commitAt(ref: string, epoch: number, nodeId: string): Promise<void> {
    const tree = (await git.run(['mktree'], { input: '' })).stdout.trim();
    const sha = (await git.run(['commit-tree', tree, '-F', '-'], { input: commitMessage({ epoch, nodeId, reason: 'periodic' }) })).stdout.trim();
    await git.run(['update-ref', ref, sha]);
  }

  it('is 0 when the clone does not exist yet (first start)', async () => {
    expect(await branchFloor(git, 'main')).toBe(0);
  });

  it('is the newest epoch of the local branch and the fetched one', async () => {
    execFileSync('git', ['init', '--quiet', '--bare', path.join(dir, 'repo.git')]);
    await commitAt('refs/heads/main', 5, 'b');
    expect(await branchFloor(git, 'main')).toBe(5);
    await commitAt('refs/remotes/jha/main', 6, 'c');
    expect(await branchFloor(git, 'main')).toBe(6);
    await commitAt('refs/remotes/jha/other', 99, 'x'); // another branch is not ours
    expect(await branchFloor(git, 'main')).toBe(6);
  });

  it('after a state loss, a standby whose lock names 5 takes 7, not the old leader\'s 6', async () => {
    execFileSync('git', ['init', '--quiet', '--bare', path.join(dir, 'repo.git')]);
    await commitAt('refs/heads/main', 5, 'b'); // b's own last term
    await commitAt('refs/remotes/jha/main', 6, 'c'); // c's pushes under epoch 6, fetched by standby b
    const events: Array<LogFields | undefined> = [];
    const log: Logger = { ...silentLogger, warn: (_m: string, f?: LogFields) => void events.push(f), child: () => log };
    const coord = new FakeZk().client('b');
    coord.start();
    const lockEpoch = 5;
    const store = new EpochStore(coord, '/ha/c', { floor: async () => combineFloors(lockEpoch, await branchFloor(git, 'main')), logger: log });
    const t = await store.take({ nodeId: 'b', host: 'h', pid: 1 });
    expect(t.epoch).toBe(7);
    expect(events).toEqual([expect.objectContaining({ event: 'epoch.floor_raised', epoch: 7, floor: 6, source: 'sync-branch' })]);
  });
});
