/**
 * The git wrapper (src/sync/git.ts) against the real git binary and a local bare repository:
 * typed errors, timeouts that kill git, compare-and-set pushes.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { errorCode } from '../../src/errors';
import { Git } from '../../src/sync/git';

let dir: string;
let remote: string;
let git: Git;

function newGit(over: Partial<ConstructorParameters<typeof Git>[0]> = {}): Git {
  return new Git({ gitDir: path.join(dir, 'repo.git'), workTree: path.join(dir, 'home'), timeoutMs: 20000, identity: { name: 't', email: 't@x' }, secrets: { envNames: [], values: [] }, ...over });
}

async function commitFile(name: string, content: string, parent: string | null): Promise<string> {
  fs.writeFileSync(path.join(dir, 'home', name), content);
  await git.run(['add', '--', name]);
  const tree = (await git.run(['write-tree'])).stdout.trim();
  const args = ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', `add ${name}`];
  return (await git.run(args)).stdout.trim();
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-git-'));
  remote = path.join(dir, 'remote.git');
  fs.mkdirSync(path.join(dir, 'home'));
  execFileSync('git', ['init', '--quiet', '--bare', remote]);
  git = newGit();
  await git.runBare(['init', '--quiet', '--bare', git.gitDir]);
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a push with a lease on the wrong commit is refused, and the branch keeps its commit', async () => {
  const c1 = await commitFile('a.xml', '1', null);
  expect(await git.pushWithLease(remote, 'main', c1, null)).toEqual({ ok: true });
  const c2 = await commitFile('a.xml', '2', c1);
  const c3 = await commitFile('a.xml', '3', c1);
  expect(await git.pushWithLease(remote, 'main', c2, c1)).toEqual({ ok: true });
  // c3 expects the branch at c1, but it moved to c2: compare-and-set fails.
  const refused = await git.pushWithLease(remote, 'main', c3, c1);
  expect(refused).toMatchObject({ ok: false, stale: true });
  expect(execFileSync('git', ['--git-dir', remote, 'rev-parse', 'refs/heads/main']).toString().trim()).toBe(c2);
  // "the branch must not exist" is refused too once it exists.
  expect(await git.pushWithLease(remote, 'main', c3, null)).toMatchObject({ ok: false, stale: true });
});

test('fetchBranch: the tip, null for a branch that does not exist yet, GIT_FAILED for a missing repository', async () => {
  expect(await git.fetchBranch(remote, 'main')).toBeNull();
  const c1 = await commitFile('a.xml', '1', null);
  await git.pushWithLease(remote, 'main', c1, null);
  const other = newGit({ gitDir: path.join(dir, 'other.git') });
  await other.runBare(['init', '--quiet', '--bare', other.gitDir]);
  expect(await other.hasCommit(c1)).toBe(false);
  expect(await other.fetchBranch(remote, 'main')).toBe(c1);
  expect(await other.hasCommit(c1)).toBe(true);
  await expect(other.fetchBranch(path.join(dir, 'missing.git'), 'main')).rejects.toMatchObject({ code: 'GIT_FAILED' });
});

test('a git command that does not finish in time is killed and reported as GIT_TIMEOUT', async () => {
  // Reading a fifo that nobody writes blocks git forever.
  const fifo = path.join(dir, 'never');
  execFileSync('mkfifo', [fifo]);
  const t0 = Date.now();
  const err = await git.run(['hash-object', fifo], { timeoutMs: 300 }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(errorCode(err)).toBe('GIT_TIMEOUT');
  expect(Date.now() - t0).toBeLessThan(10000);
});

test('a missing git binary is GIT_NOT_FOUND, and a failing command carries git\'s message', async () => {
  const none = newGit({ binary: path.join(dir, 'no-such-git') });
  await expect(none.run(['status'])).rejects.toMatchObject({ code: 'GIT_NOT_FOUND' });
  await expect(git.run(['cat-file', '-p', 'deadbeef'])).rejects.toMatchObject({ code: 'GIT_FAILED', message: expect.stringMatching(/git cat-file/) });
  expect(await git.resolve('refs/heads/nope')).toBeNull();
  expect(await git.hasCommit('not-a-sha')).toBe(false);
});
