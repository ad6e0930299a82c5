/** Wiring of git sync from its config slice (called by main in sync.mode git). */
import type { Coordinator } from '../coordination/types';
import type { Logger } from '../logging/logger';
import type { SecretScrub } from '../util/secrets';
import { Git } from './git';
import { SyncRecordStore, type EpochSource } from './record';
import { ConfigRepo } from './repo';
import { GitSync } from './service';

export interface GitSyncConfig {
  readonly repo: string;
  readonly branch: string;
  readonly intervalMs: number;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly includeSecrets: boolean;
  readonly allowStale: boolean;
  readonly gitTimeoutMs: number;
}

export function createGitSync(
  cfg: GitSyncConfig,
  ctx: { coordinator: Coordinator; basePath: string; epochs: EpochSource; home: string; gitDir: string; nodeId: string; logger: Logger; secrets: SecretScrub },
): GitSync {
  const git = new Git({ gitDir: ctx.gitDir, workTree: ctx.home, timeoutMs: cfg.gitTimeoutMs, identity: { name: 'jenkins-ha', email: `jenkins-ha@${ctx.nodeId}` }, secrets: ctx.secrets });
  const repo = new ConfigRepo(git, ctx.home, cfg.branch, { include: cfg.include, exclude: cfg.exclude, includeSecrets: cfg.includeSecrets });
  return new GitSync(
    { nodeId: ctx.nodeId, repo: cfg.repo, branch: cfg.branch, intervalMs: cfg.intervalMs, allowStale: cfg.allowStale },
    { git, repo, records: new SyncRecordStore(ctx.coordinator, ctx.basePath, ctx.epochs), logger: ctx.logger },
  );
}
