/**
 * What the controller sees of configuration sync: the takeover gate of a term, and the status
 * shown in /status. Plain types, no behaviour.
 */
import type { SyncRecord } from './record';

export type { SyncRecord } from './record';

/**
 * The gate of one leadership term (epoch): `needed` until a restore ran for it, `running` while
 * it does, `ready` once JENKINS_HOME holds the recorded commit, `failed` when the commit cannot
 * be obtained, `superseded` when the branch names an epoch >= this term's (the term's epoch was
 * handed out again after a loss of ZooKeeper state: never launched, see sync/floor.ts).
 */
export type SyncGateState = 'needed' | 'running' | 'ready' | 'failed' | 'superseded';

export interface SyncStatus {
  mode: 'git';
  repo: string;
  branch: string;
  /** The gate of the last term this node restored for (null epoch: none yet). */
  gate: { epoch: number | null; state: SyncGateState; reason: string | null; stale: boolean };
  /** The record in ZooKeeper, as this node last read or wrote it. */
  recorded: SyncRecord | null;
  /** This node's last successful push and record (as leader). */
  lastPush: { commit: string; epoch: number; at: string } | null;
  local: {
    /** The commit JENKINS_HOME holds (restored or committed here). */
    checkedOut: string | null;
    /** The newest branch tip fetched from the repository, and when. */
    fetched: string | null;
    fetchedAt: string | null;
    /** The recorded commit is in this node's object store: a takeover needs no repository. */
    haveRecorded: boolean;
    /** Commits of the recorded one that JENKINS_HOME here lacks (null: not computable, e.g. not fetched). */
    commitsBehind: number | null;
    /** Committer time of the recorded commit minus that of the checked-out one, seconds. */
    secondsBehind: number | null;
  };
  lastError: string | null;
}

/** The controller's handle on git sync. */
export interface SyncGate {
  readonly allowStale: boolean;
  /** The gate of this term. */
  gateFor(epoch: number): { state: SyncGateState; reason: string };
  /** Restore the recorded commit for this term (or, stale, the newest one this node has); not awaited. */
  restore(epoch: number, stale: boolean): void;
  /** Commit, push and record what changed, before a clean stop releases the term. Never throws. */
  publishFinal(epoch: number): Promise<void>;
  status(): SyncStatus;
  /** Begin the periodic publish (leader) / fetch (standby); canPublish says whether epoch still leads. */
  start(canPublish: (epoch: number) => boolean): void;
  close(): Promise<void>;
  on(event: 'change', listener: () => void): this;
}
