/**
 * The git-mode chaos run's reader of the sync branch (real git, a bare repository): the chain a
 * takeover is judged against, the commits it read before a later leader replaced them, and a
 * commit read by id (the recorded ones the controllers logged). Fault 12 of the 2026-12-06 run
 * (docs/reliability.md, finding 8): a pushed, unrecorded tip that the successor replaces.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commitMessage } from '../../../src/sync/repo';
import { BranchReader } from '../../chaos/branch';

const FILE = 'standin-writes.jsonl';
let dir: string;
let bare: string;

function git(args: string[], input?: string): string {
  return execFileSync('git', ['--git-dir', bare, ...args], { input, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } })
    .toString()
    .trim();
}

/** A commit of epoch `epoch` whose writes file holds records 1..lastSeq, on `parent`. */
function commit(epoch: number, lastSeq: number, parent: string | null): string {
  const text = Array.from({ length: lastSeq }, (_v, i) => JSON.stringify({ seq: i + 1, pid: 1, epoch: String(epoch), mono: i })).join('\n') + '\n';
  const blob = git(['hash-object', '-w', '--stdin'], text);
  const tree = git(['mktree'], `100644 blob ${blob}\t${FILE}\n`);
  return git(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-F', '-'], commitMessage({ epoch, nodeId: 'n', reason: 'interval' }));
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-chaos-branch-'));
  bare = path.join(dir, 'config.git');
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('keeps a commit it read on the chain after a later leader replaced it, and reads a commit by id', async () => {
  const reader = new BranchReader(bare, 'main', FILE);
  expect(await reader.chain()).toEqual([]);
  const recorded = commit(8, 663, null);
  const unrecorded = commit(8, 679, recorded);
  git(['update-ref', 'refs/heads/main', unrecorded]);
  expect((await reader.chain()).map((c) => [c.commit, c.epoch, c.lastSeq])).toEqual([
    [recorded, 8, 663],
    [unrecorded, 8, 679],
  ]);
  // The successor (epoch 9) restored the record and its first push replaced the unrecorded tip.
  const successor = commit(9, 670, recorded);
  git(['update-ref', 'refs/heads/main', successor]);
  expect((await reader.chain()).map((c) => c.commit)).toEqual([recorded, successor]);
  expect(reader.seen().map((c) => c.commit).sort()).toEqual([recorded, unrecorded, successor].sort());
  // A commit never seen on the chain, by id: still in the object store.
  const other = commit(7, 12, null);
  expect(await reader.describe(other)).toEqual({ commit: other, epoch: 7, lastSeq: 12 });
  expect(await reader.describe('0'.repeat(40))).toBeNull();
});
