/**
 * The sync branch's part of the epoch floor (sync.mode git): the newest epoch this node's clone
 * has seen on the branch, read from local refs only (no network before a take).
 *
 * In git mode each node has its own JENKINS_HOME, so the lock's floor (fencing/home-lock.ts
 * lockFloor) is the last epoch THIS node held, not the cluster's last. After a loss of ZooKeeper
 * state a standby whose lock names N-1 would take N again while the old leader held N. Every
 * commit on the branch names its epoch (repo.ts epochOfMessage), and a standby fetches the branch
 * every sync.intervalMs, so the epoch of its remote-tracking tip is at most one interval behind
 * the cluster's. What the fetch missed the takeover gate catches (restore.ts bootstrap: a branch
 * tip naming an epoch >= ours supersedes the term; docs/safety.md, "Epochs after a loss of
 * ZooKeeper state").
 */
import type { SecretScrub } from '../util/secrets';
import { Git } from './git';
import { epochOfMessage } from './repo';

/** The refs whose tips name epochs this node has seen: its own branch and the fetched one. */
export function floorRefs(branch: string): string[] {
  return [`refs/heads/${branch}`, `refs/remotes/jha/${branch}`];
}

/** Pure: the highest epoch named by these commit messages (0: none names one). */
export function highestEpoch(messages: readonly string[]): number {
  let top = 0;
  for (const m of messages) {
    const e = epochOfMessage(m);
    if (e !== null && Number.isSafeInteger(e) && e > top) top = e;
  }
  return top;
}

/**
 * The newest epoch on the local refs of the sync branch (0 when there is no repository or no
 * commit yet). A git failure is thrown: no epoch is taken without knowing the floor.
 */
export async function branchFloor(git: Git, branch: string): Promise<number> {
  const messages: string[] = [];
  for (const ref of floorRefs(branch)) {
    const sha = await git.resolve(ref);
    if (sha !== null) messages.push(await git.message(sha));
  }
  return highestEpoch(messages);
}

/** main: the floor function of sync.mode git (a Git of its own over the node's clone). */
export function createBranchFloor(
  cfg: { readonly branch: string; readonly gitTimeoutMs: number },
  ctx: { home: string; gitDir: string; nodeId: string; secrets: SecretScrub },
): () => Promise<number> {
  const git = new Git({
    gitDir: ctx.gitDir,
    workTree: ctx.home,
    timeoutMs: cfg.gitTimeoutMs,
    identity: { name: 'jenkins-ha', email: `jenkins-ha@${ctx.nodeId}` },
    secrets: ctx.secrets,
  });
  return () => branchFloor(git, cfg.branch);
}

/** Pure: the higher of the lock's floor and the branch's, named by its source (the lock wins a tie). */
export function combineFloors(lock: number, branch: number): { epoch: number; source: 'lock' | 'sync-branch' } {
  return branch > lock ? { epoch: branch, source: 'sync-branch' } : { epoch: lock, source: 'lock' };
}
