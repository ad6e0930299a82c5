/**
 * sync.mode git's parts (git, the manifest, the branch floor), loaded only in that mode: in
 * shared mode they are about 10 ms of CPU before the join for nothing (docs/benchmarks.md, start-up).
 */
export type GitSyncParts = typeof import('./floor') & typeof import('./create') & typeof import('./git');

export async function loadGitSync(): Promise<GitSyncParts> {
  const [floor, create, git] = await Promise.all([import('./floor'), import('./create'), import('./git')]);
  return { ...floor, ...create, ...git };
}
