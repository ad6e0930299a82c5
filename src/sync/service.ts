/**
 * Git sync of JENKINS_HOME's configuration (sync.mode git): the takeover gate, the leader's
 * periodic publish, a standby's periodic fetch, and the status of all three.
 *
 * Gate (per term, before Jenkins starts): read the record in ZooKeeper, obtain exactly that
 * commit (local objects, else fetch the branch, else fetch the commit by id) and restore it into
 * JENKINS_HOME (restore.ts; here the gate's state and when it runs). Cannot obtain it -> `failed`
 * (the decision yields, or with sync.allowStale restores the newest commit this node has).
 *
 * Publish (leader, every intervalMs and on a clean stop): commit what changed, push with a lease
 * on the commit we last knew the branch at, record the commit in ZooKeeper with a multi that
 * checks our epoch. A lease refused because a former leader pushed late (its commit names an
 * older epoch and was never recorded) is overwritten; anything else refused, or a record refused
 * because the epoch moved on, is `sync.rejected` and publishing stops for this term. Every git
 * operation runs under one lock (git's own index/ref locks would otherwise collide).
 */
import { EventEmitter } from 'node:events';
import { SyncError, errorCode, errorMessage, hasCode } from '../errors';
import type { Logger } from '../logging/logger';
import { redactRepo, short, type Git } from './git';
import type { SyncRecordStore } from './record';
import type { ConfigRepo, RestoreReport } from './repo';
import { GateRestore, logRestored, type RestoreOutcome } from './restore';
import type { SyncGate, SyncGateState, SyncRecord, SyncStatus } from './types';

export interface GitSyncOptions {
  nodeId: string;
  repo: string;
  branch: string;
  intervalMs: number;
  allowStale: boolean;
}

export interface GitSyncDeps {
  git: Git;
  repo: ConfigRepo;
  records: SyncRecordStore;
  logger: Logger;
}

export class GitSync extends EventEmitter implements SyncGate {
  readonly allowStale: boolean;
  private readonly git: Git;
  private readonly repo: ConfigRepo;
  private readonly records: SyncRecordStore;
  private readonly log: Logger;
  /** The gate's restore (restore.ts): what it learns goes into the status at once. */
  private readonly restorer: GateRestore;

  private gate: { epoch: number | null; state: SyncGateState; reason: string | null; stale: boolean } =
    { epoch: null, state: 'needed', reason: null, stale: false };
  /** What we believe the repository's branch is at (the lease of our next push). */
  private base: string | null = null;
  /** Publishing stopped for this epoch (a compare-and-set refused us). */
  private rejectedEpoch: number | null = null;
  private recorded: SyncRecord | null = null;
  private lastPush: SyncStatus['lastPush'] = null;
  private local: SyncStatus['local'] = {
    checkedOut: null,
    fetched: null,
    fetchedAt: null,
    haveRecorded: false,
    commitsBehind: null,
    secondsBehind: null,
  };
  private lastError: string | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private canPublish: (epoch: number) => boolean = () => false;
  private closed = false;
  private initialized: Promise<void> | null = null;

  constructor(
    private readonly opts: GitSyncOptions,
    deps: GitSyncDeps,
  ) {
    super();
    this.allowStale = opts.allowStale;
    this.git = deps.git;
    this.repo = deps.repo;
    this.records = deps.records;
    this.log = deps.logger;
    this.restorer = new GateRestore(opts, deps, {
      record: (rec) => {
        this.recorded = rec;
      },
      fetched: (tip) => {
        this.local.fetched = tip;
        this.local.fetchedAt = new Date().toISOString();
      },
    });
  }

  // ---- SyncGate ----------------------------------------------------------------------------

  gateFor(epoch: number): { state: SyncGateState; reason: string } {
    if (this.gate.epoch !== epoch) return { state: 'needed', reason: `no restore yet for epoch ${epoch}` };
    return { state: this.gate.state, reason: this.gate.reason ?? '' };
  }

  start(canPublish: (epoch: number) => boolean): void {
    this.canPublish = canPublish;
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.lock.catch(() => undefined);
  }

  restore(epoch: number, stale: boolean): void {
    if (this.gate.epoch === epoch && this.gate.state === 'running') return;
    this.setGate({ epoch, state: 'running', reason: stale ? 'restoring the newest commit this node has' : 'restoring the recorded commit', stale });
    const run = (): Promise<RestoreOutcome> => (stale ? this.restorer.restoreStale(epoch, this.recorded) : this.restorer.restoreRecorded(epoch));
    void this.exclusive(async () => this.settle(epoch, await run())).catch((err: unknown) => {
      // git itself failed here (init, checkout, disk): this node cannot restore; let another try.
      if (hasCode(err, 'GIT_FAILED', 'GIT_TIMEOUT', 'GIT_NOT_FOUND')) {
        this.fail(epoch, `git failed while restoring: ${errorMessage(err)}`);
        return;
      }
      // ZooKeeper failed: try again on a later cycle, not a reason to give the term up.
      const message = this.redact(errorMessage(err));
      this.lastError = message;
      this.log.warn(`could not run the sync gate: ${message}`, { event: 'sync.gate_error', epoch, code: errorCode(err) });
      setTimeout(() => {
        if (this.gate.epoch === epoch && this.gate.state === 'running') {
          this.setGate({ epoch, state: 'needed', reason: `retrying: ${message}`, stale });
        }
      }, 500);
    });
  }

  async publishFinal(epoch: number): Promise<void> {
    try {
      await this.exclusive(() => this.publish(epoch, 'clean stop', true));
    } catch (err) {
      this.log.warn(`final publish failed: ${this.redact(errorMessage(err))}`, { event: 'sync.publish_failed', epoch, code: errorCode(err) });
    }
  }

  status(): SyncStatus {
    return {
      mode: 'git',
      repo: redactRepo(this.opts.repo),
      branch: this.opts.branch,
      gate: { ...this.gate },
      recorded: this.recorded,
      lastPush: this.lastPush,
      local: { ...this.local },
      lastError: this.lastError,
    };
  }

  // ---- internals ---------------------------------------------------------------------------

  private setGate(g: GitSync['gate']): void {
    this.gate = g;
    this.emit('change');
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(async () => {
      if (!this.initialized) this.initialized = this.repo.init();
      await this.initialized.catch((err: unknown) => {
        this.initialized = null;
        throw err;
      });
      return fn();
    });
    this.lock = run.catch(() => undefined);
    return run;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick().finally(() => this.schedule());
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const epoch = this.gate.epoch;
    // Decided once: the failure below is named after what ran, not after a second look.
    const publishing = epoch !== null && this.gate.state === 'ready' && this.canPublish(epoch);
    try {
      if (publishing) {
        await this.exclusive(() => this.publish(epoch, 'interval', false));
      } else {
        await this.exclusive(() => this.refresh());
      }
    } catch (err) {
      this.lastError = this.redact(errorMessage(err));
      this.log.warn(`sync ${publishing ? 'publish' : 'fetch'} failed: ${this.lastError}`, {
        event: publishing ? 'sync.publish_failed' : 'sync.fetch_failed',
        code: errorCode(err),
      });
      this.emit('change');
    }
  }

  /** Fetch the branch and the record; compute how far JENKINS_HOME here is behind it. */
  private async refresh(): Promise<void> {
    const { record } = await this.records.read();
    let fetchError: string | null = null;
    try {
      const fetched = await this.git.fetchBranch(this.opts.repo, this.opts.branch);
      this.local = { ...this.local, fetched, fetchedAt: new Date().toISOString() };
    } catch (err) {
      fetchError = this.redact(errorMessage(err));
    }
    await this.updateLag(record);
    this.lastError = fetchError;
    this.emit('change');
  }

  /** Recompute the lag view; assigned at once so /status never shows a half-updated view. */
  private async updateLag(rec: SyncRecord | null): Promise<void> {
    const checkedOut = await this.repo.checkedOut();
    const haveRecorded = rec !== null && (await this.git.hasCommit(rec.commit));
    let commitsBehind: number | null = rec ? null : 0;
    let secondsBehind: number | null = rec ? null : 0;
    if (rec && haveRecorded && checkedOut === null) {
      commitsBehind = Number((await this.git.run(['rev-list', '--count', rec.commit])).stdout.trim());
    } else if (rec && haveRecorded && checkedOut !== null) {
      commitsBehind = await this.git.countBetween(checkedOut, rec.commit);
      secondsBehind = Math.max(0, Math.round((await this.git.commitTime(rec.commit)) - (await this.git.commitTime(checkedOut))) / 1000);
    }
    this.recorded = rec;
    this.local = { ...this.local, checkedOut, haveRecorded, commitsBehind, secondsBehind };
  }

  /** The end of a restore: ready from the commit it restored (`base`: the lease of our first push), or failed. */
  private settle(epoch: number, o: RestoreOutcome): void {
    if (!o.ok) return this.fail(epoch, o.why, o.state);
    this.base = o.base;
    this.ready(epoch, o.reason, o.stale, o.report);
  }

  private ready(epoch: number, reason: string, stale: boolean, r: RestoreReport | null): void {
    this.rejectedEpoch = null;
    this.local.checkedOut = r?.commit ?? this.local.checkedOut;
    this.local.haveRecorded = this.recorded !== null && r?.commit === this.recorded.commit;
    this.local.commitsBehind = this.local.haveRecorded || this.recorded === null ? 0 : null;
    this.local.secondsBehind = this.local.haveRecorded || this.recorded === null ? 0 : null;
    this.lastError = null;
    if (r) logRestored(this.log, epoch, r);
    this.setGate({ epoch, state: 'ready', reason, stale });
  }

  private fail(epoch: number, why: string, state: 'failed' | 'superseded' = 'failed'): void {
    const reason = this.redact(why);
    this.lastError = reason;
    this.log.warn(`cannot restore the recorded configuration: ${reason}`, {
      event: state === 'failed' ? 'sync.restore_failed' : 'sync.epoch_superseded',
      epoch,
    });
    this.setGate({ epoch, state, reason, stale: false });
  }

  /** Error texts may quote the repository URL: never with its credentials. */
  private redact(text: string): string {
    return this.opts.repo === redactRepo(this.opts.repo) ? text : text.split(this.opts.repo).join(redactRepo(this.opts.repo));
  }

  private rejected(epoch: number, reason: string): void {
    this.rejectedEpoch = epoch;
    this.lastError = reason;
    this.log.error(`sync rejected: ${reason}`, { event: 'sync.rejected', epoch });
    this.emit('change');
  }

  /** Commit, push (compare-and-set) and record, as the leader of `epoch`. */
  private async publish(epoch: number, reason: string, final: boolean): Promise<void> {
    if (this.gate.epoch !== epoch || this.gate.state !== 'ready' || this.rejectedEpoch === epoch) return;
    if (!final && !this.canPublish(epoch)) return;
    const current = await this.records.currentEpoch();
    if (current !== epoch) {
      this.rejected(epoch, `epoch ${epoch} is over (the cluster is at epoch ${current}); not pushing`);
      return;
    }
    const snap = await this.repo.snapshot({ epoch, nodeId: this.opts.nodeId, reason });
    this.local.checkedOut = snap.commit;
    if (this.recorded?.commit === snap.commit && this.base === snap.commit) return; // nothing new
    let pushed = await this.git.pushWithLease(this.opts.repo, this.opts.branch, snap.commit, this.base);
    if (!pushed.ok && pushed.stale) {
      const tip = await this.git.fetchBranch(this.opts.repo, this.opts.branch);
      const tipEpoch = tip === null ? null : await this.repo.epochOf(tip);
      if (tip !== null && tipEpoch === epoch && (await this.git.isAncestor(tip, snap.commit))) {
        // Our own earlier push whose answer we never got (e.g. a timeout): carry on from it.
        pushed = await this.git.pushWithLease(this.opts.repo, this.opts.branch, snap.commit, tip);
      } else if (tip !== null && tipEpoch !== null && tipEpoch < epoch && tip !== this.recorded?.commit) {
        this.log.warn(`the branch holds ${short(tip)} of epoch ${tipEpoch}, pushed but never recorded by a former leader; replacing it`, {
          event: 'sync.overwrote_stale',
          epoch,
          commit: tip,
          commitEpoch: tipEpoch,
        });
        pushed = await this.git.pushWithLease(this.opts.repo, this.opts.branch, snap.commit, tip);
      } else {
        const moved = `the branch moved to ${short(tip)} (epoch ${tipEpoch ?? 'unknown'}), not the ${short(this.base)} we expected`;
        this.rejected(epoch, `push of ${short(snap.commit)} refused: ${moved}`);
        return;
      }
    }
    if (!pushed.ok) throw new SyncError('GIT_FAILED', `push of ${short(snap.commit)} to ${this.opts.repo} failed: ${pushed.detail}`);
    this.base = snap.commit;
    const rec: SyncRecord = { commit: snap.commit, epoch, nodeId: this.opts.nodeId, at: new Date().toISOString() };
    try {
      await this.records.write(rec);
    } catch (err) {
      if (hasCode(err, 'SYNC_REJECTED')) {
        this.rejected(epoch, errorMessage(err));
        return;
      }
      throw err;
    }
    this.recorded = rec;
    this.lastPush = { commit: rec.commit, epoch, at: rec.at };
    this.local = { ...this.local, checkedOut: rec.commit, haveRecorded: true, commitsBehind: 0, secondsBehind: 0 };
    this.lastError = null;
    this.log.info(`pushed and recorded commit ${short(rec.commit)} (${reason})`, {
      event: 'sync.pushed',
      epoch,
      commit: rec.commit,
      changed: snap.changed,
      reason,
    });
    this.emit('change');
  }
}
