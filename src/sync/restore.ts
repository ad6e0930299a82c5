/**
 * The takeover gate's restore (sync.mode git): which commit a new term starts from, and getting
 * it. The commit recorded in ZooKeeper: from local objects, else by fetching the branch, else by
 * fetching the commit by id. No record yet: the branch tip (one that names an epoch >= this
 * term's supersedes the term, sync/floor.ts), or the local JENKINS_HOME as it is when the branch
 * is empty. sync.allowStale: the newest commit this node has. repo.ts writes the commit into
 * JENKINS_HOME; the outcome goes back to GitSync (service.ts), which keeps the gate and the status.
 */
import { errorMessage } from '../errors';
import type { Logger } from '../logging/logger';
import { short, type Git } from './git';
import type { SyncRecordStore } from './record';
import type { ConfigRepo, RestoreReport } from './repo';
import type { SyncRecord } from './types';

export interface GateRestoreOptions {
  repo: string;
  branch: string;
}

export interface GateRestoreDeps {
  git: Git;
  repo: ConfigRepo;
  records: SyncRecordStore;
  logger: Logger;
}

/** What the restore learns on its way, passed on at once (/status shows it while the restore runs). */
export interface RestoreSeen {
  /** The record just read from ZooKeeper. */
  record(rec: SyncRecord | null): void;
  /** The branch tip a fetch just answered. */
  fetched(tip: string | null): void;
}

/**
 * How a restore ended: ready (with the commit our first push leases on, and what was written;
 * null: the home as it is), or the reason the gate fails (`superseded`: the term's epoch is spent).
 */
export type RestoreOutcome =
  | { ok: true; reason: string; stale: boolean; base: string | null; report: RestoreReport | null }
  | { ok: false; why: string; state: 'failed' | 'superseded' };

/** What a restore wrote, as `sync.restored` (and `sync.plugins_differ` when the plugins differ). */
export function logRestored(log: Logger, epoch: number, r: RestoreReport): void {
  log.info(`JENKINS_HOME restored to commit ${short(r.commit)}: ${r.written} files written, ${r.removed.length} removed`, {
    event: 'sync.restored',
    epoch,
    commit: r.commit,
    written: r.written,
    removed: r.removed.length,
    modesApplied: r.modesApplied,
  });
  if (r.pluginDiff.length > 0) {
    log.warn(`plugins here differ from the recorded set: ${r.pluginDiff.join('; ')}`, { event: 'sync.plugins_differ', epoch, diff: r.pluginDiff });
  }
}

export class GateRestore {
  private readonly git: Git;
  private readonly repo: ConfigRepo;
  private readonly records: SyncRecordStore;
  private readonly log: Logger;

  constructor(
    private readonly opts: GateRestoreOptions,
    deps: GateRestoreDeps,
    private readonly seen: RestoreSeen,
  ) {
    this.git = deps.git;
    this.repo = deps.repo;
    this.records = deps.records;
    this.log = deps.logger;
  }

  /** The commit recorded in ZooKeeper (none yet: bootstrap). */
  async restoreRecorded(epoch: number): Promise<RestoreOutcome> {
    const { record, malformed } = await this.records.read();
    this.seen.record(record);
    if (malformed) return { ok: false, why: 'the sync record in ZooKeeper is malformed', state: 'failed' };
    if (record === null) return this.bootstrap(epoch);
    const got = await this.obtain(record.commit);
    if (!got.ok) {
      const why = `commit ${short(record.commit)} (epoch ${record.epoch}, ${record.nodeId}) recorded in ZooKeeper cannot be obtained: ${got.why}`;
      return { ok: false, why, state: 'failed' };
    }
    const r = await this.repo.restore(record.commit);
    const reason = `restored commit ${short(record.commit)} (epoch ${record.epoch}, ${record.nodeId})`;
    return { ok: true, reason, stale: false, base: record.commit, report: r };
  }

  /**
   * sync.allowStale: the newest commit this node has (fetched tip or its own branch), else the home
   * as it is. `known`: the record as last read, when ZooKeeper cannot be read now.
   */
  async restoreStale(epoch: number, known: SyncRecord | null): Promise<RestoreOutcome> {
    const { record } = await this.records.read().catch(() => ({ record: known }));
    const candidates = [await this.repo.fetched(), await this.repo.checkedOut()].filter((c): c is string => c !== null);
    let newest: string | null = null;
    let newestAt = -Infinity;
    for (const c of candidates) {
      const at = await this.git.commitTime(c);
      if (at > newestAt) {
        newest = c;
        newestAt = at;
      }
    }
    const r = newest ? await this.repo.restore(newest) : null;
    const restored = newest ? `commit ${short(newest)}` : 'nothing (the local JENKINS_HOME as it is)';
    this.log.error(`STALE CONFIGURATION ACCEPTED (sync.allowStale): restored ${restored} instead of the recorded ${short(record?.commit)}`, {
      event: 'sync.stale_accepted',
      epoch,
      commit: newest,
      recorded: record?.commit ?? null,
    });
    const reason = `stale: ${newest ? `commit ${short(newest)}` : 'the local JENKINS_HOME'} instead of the recorded ${short(record?.commit)}`;
    // The lease of the first push: the recorded commit (we replace it knowingly), else what we restored.
    return { ok: true, reason, stale: true, base: record?.commit ?? newest, report: r };
  }

  /** Obtain the commit: local objects, else fetch the branch, else fetch it by id. Null + why when impossible. */
  private async obtain(commit: string): Promise<{ ok: true } | { ok: false; why: string }> {
    if (await this.git.hasCommit(commit)) return { ok: true };
    let why = '';
    try {
      this.seen.fetched(await this.git.fetchBranch(this.opts.repo, this.opts.branch));
    } catch (err) {
      why = errorMessage(err);
    }
    if (await this.git.hasCommit(commit)) return { ok: true };
    if (why === '') {
      try {
        await this.git.fetchCommit(this.opts.repo, commit);
      } catch (err) {
        why = `the branch ${this.opts.branch} does not contain it and fetching it by id failed: ${errorMessage(err)}`;
      }
    }
    if (await this.git.hasCommit(commit)) return { ok: true };
    return { ok: false, why: why || 'the repository does not have it' };
  }

  /**
   * No record yet (a new cluster, or ZooKeeper was wiped): start from the branch tip, or from the
   * local home when the branch does not exist yet. A repository that cannot be read fails the gate.
   */
  private async bootstrap(epoch: number): Promise<RestoreOutcome> {
    let tip: string | null = null;
    try {
      tip = await this.git.fetchBranch(this.opts.repo, this.opts.branch);
      this.seen.fetched(tip);
    } catch (err) {
      // Never launch a possibly stale home unseen: fail (yield, or with sync.allowStale restore loudly).
      const why = `no commit recorded yet and the repository cannot be read to find the branch tip: ${errorMessage(err)}`;
      return { ok: false, why, state: 'failed' };
    }
    if (tip === null) {
      this.log.info('no sync record and an empty repository: starting from the local JENKINS_HOME', { event: 'sync.bootstrap', epoch });
      return { ok: true, reason: 'no commit recorded yet; the local JENKINS_HOME as it is', stale: false, base: null, report: null };
    }
    const tipEpoch = await this.repo.epochOf(tip); // no record: ZooKeeper's state may have been lost (sync/floor.ts)
    if (tipEpoch !== null && tipEpoch >= epoch) {
      const why =
        `the branch tip ${short(tip)} names epoch ${tipEpoch}, not below this term's ${epoch}: ` +
        `the epoch was handed out again after a loss of ZooKeeper state; taking a new one above it`;
      return { ok: false, why, state: 'superseded' };
    }
    const r = await this.repo.restore(tip);
    this.log.info(`no sync record yet: restored the tip ${short(tip)} of ${this.opts.branch}`, { event: 'sync.bootstrap', epoch, commit: tip });
    return { ok: true, reason: `no commit recorded yet; restored the branch tip ${short(tip)}`, stale: false, base: tip, report: r };
  }
}
