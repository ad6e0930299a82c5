/**
 * What happened on this node, told to people and to metrics: the history entries (a ring of the
 * recent ones, and the cluster-wide history in ZooKeeper, best effort), the controller's events,
 * the split-brain alarm, how a drain ended, where a takeover's time went, the node's role and
 * the gate that holds a leader's Jenkins back. It decides nothing.
 */
import { EventEmitter } from 'node:events';
import { errorMessage } from '../errors';
import type { JenkinsStatus } from '../jenkins/supervisor';
import type { Logger } from '../logging/logger';
import type { ClusterView } from './cluster-view';
import type { Decision, DrainEnd } from './decide/types';
import type { DrainTracker } from './drain';
import type { ControllerEvent, DrainReport, HistoryEntry, NodeRole, StatusSnapshot } from './status';
import { takeoverPhases } from './takeover-phases';

const MAX_HISTORY = 100;

export type TermKind = 'initial' | 'planned' | 'unplanned';

export interface RecorderOptions {
  nodeId: string;
  logger: Logger;
  now: () => number;
  wallNow: () => number;
  /** Where the cluster-wide history goes (appended by flushHistory, while connected). */
  cluster: Pick<ClusterView, 'appendHistory'>;
  /** An entry waits to be appended (the controller wakes its loop, which flushes when idle). */
  onUnsent?: () => void;
  connected: () => boolean;
  /** The epoch of the term we hold (history entries carry it), else null. */
  epoch: () => number | null;
  /** The drain tracker whose drains are reported. */
  drain: DrainTracker | null;
}

/** The recorder's part of the status snapshot. */
export interface RecordedView {
  role: NodeRole;
  roleSince: number;
  roleSinceWall: string;
  launchBlocked: StatusSnapshot['launchBlocked'];
  leaderChanges: number;
  history: HistoryEntry[];
}

export class Recorder {
  private readonly recent: HistoryEntry[] = [];
  /** Recorded, not yet appended to the cluster-wide history (see flushHistory). */
  private unsent: HistoryEntry[] = [];
  private readonly events = new EventEmitter();
  private role: NodeRole = 'joining';
  private roleSince: number;
  private roleSinceWall: string;
  private launchBlocked: StatusSnapshot['launchBlocked'] = null;
  private leaderChanges = 0;
  /** When this term's epoch was taken, until Jenkins is ready (for the failover duration). */
  private electedAt: number | null = null;
  /** When the election woke us into the lead (predecessor watch), for the takeover phases. */
  private wokeAt: number | null = null;
  /** What the current term's election was: the first term of the cluster, or a takeover. */
  private termKind: TermKind = 'initial';

  constructor(private readonly o: RecorderOptions) {
    this.roleSince = o.now();
    this.roleSinceWall = new Date(o.wallNow()).toISOString();
  }

  view(): RecordedView {
    return {
      role: this.role,
      roleSince: this.roleSince,
      roleSinceWall: this.roleSinceWall,
      launchBlocked: this.launchBlocked,
      leaderChanges: this.leaderChanges,
      history: [...this.recent],
    };
  }

  onEvent(listener: (e: ControllerEvent) => void): void {
    this.events.on('event', listener);
  }

  emit(e: ControllerEvent): void {
    this.events.emit('event', e);
  }

  record(event: string, reason: string, durationMs?: number): void {
    const entry: HistoryEntry = {
      at: new Date(this.o.wallNow()).toISOString(),
      event,
      node: this.o.nodeId,
      reason,
      epoch: this.o.epoch(),
      ...(durationMs !== undefined ? { durationMs } : {}),
    };
    this.recent.push(entry);
    if (this.recent.length > MAX_HISTORY) this.recent.shift();
    // Cluster-wide history in ZooKeeper: best effort, and never on the decision path. An append
    // is a write (fsynced) plus a trim on the session's one ordered pipeline: sent at once it would
    // queue ahead of a leave or an epoch transaction and share their CPU, so it waits for the
    // loop's next idle moment (docs/safety.md, "The graceful handover path").
    if (this.unsent.length >= MAX_HISTORY) this.unsent.shift();
    this.unsent.push(entry);
    this.o.onUnsent?.();
  }

  /**
   * Append the entries recorded since the last flush to the cluster-wide history, in order of
   * recording (dropped when not connected, as before). The controller calls it when its loop has
   * nothing to do, and after the leave of a shutdown; resolves when every append is answered.
   */
  flushHistory(): Promise<void> {
    const entries = this.unsent;
    if (entries.length === 0) return Promise.resolve();
    this.unsent = [];
    if (!this.o.connected()) return Promise.resolve();
    return Promise.all(
      entries.map((entry) =>
        this.o.cluster.appendHistory(entry).catch((err: unknown) =>
          this.o.logger.debug(`could not append to the cluster history: ${errorMessage(err)}`, { event: 'history.append_failed' }),
        ),
      ),
    ).then(() => undefined);
  }

  alarmSplitBrain(reason: string): void {
    this.o.logger.error(`split brain detected: ${reason}`, { event: 'split_brain_detected', epoch: this.o.epoch() });
    this.emit({ type: 'split_brain' });
    this.record('split_brain_detected', reason);
  }

  /** What a drain ended with (the builds from its last poll). */
  drainReport(end: DrainEnd): DrainReport | undefined {
    const st = this.o.drain?.state();
    if (!st) return undefined;
    return { result: end, durationMs: Math.round(this.o.now() - st.startedAt), runningBuilds: end === 'timeout' ? st.builds : [] };
  }

  /** Log and record how the drain ended, then stop following it (Jenkins is being stopped). */
  reportDrain(end: DrainEnd): void {
    const r = this.drainReport(end);
    const st = this.o.drain?.finish();
    if (!r || !st) return;
    const names = r.runningBuilds.map((b) => b.name).join(', ');
    const reason =
      end === 'finished'
        ? `${st.purpose}: no build running after ${r.durationMs} ms; stopping Jenkins`
        : `${st.purpose}: drain timed out after ${r.durationMs} ms; stopping Jenkins with ${st.running ?? 'an unknown number of'} build(s) still running${names ? `: ${names}` : ''}`;
    const fields = { purpose: st.purpose, durationMs: r.durationMs, runningBuilds: r.runningBuilds };
    if (end === 'finished') this.o.logger.info(reason, { event: 'drain.finished', ...fields });
    else this.o.logger.warn(reason, { event: 'drain.timeout', ...fields });
    this.record(end === 'finished' ? 'drain.finished' : 'drain.timeout', reason, r.durationMs);
  }

  /** The election woke us into the lead at `at` (where a takeover starts). */
  wokeIntoLead(at: number): void {
    this.wokeAt = at;
  }

  /** A term began (its epoch is taken): count it and time the takeover from here. */
  termStarted(kind: TermKind): void {
    this.leaderChanges += 1;
    this.electedAt = this.o.now();
    this.termKind = kind;
    this.emit({ type: 'leader_change' });
  }

  /** Jenkins changed; the first ready of a term reports the failover and its phases. */
  jenkinsChanged(js: JenkinsStatus): void {
    if (!js.ready || this.electedAt === null) return;
    const durationMs = Math.round(this.o.now() - this.electedAt);
    this.reportTakeoverPhases(this.electedAt, js);
    this.electedAt = null;
    // The cluster's first term is no failover; a takeover from an earlier term is.
    if (this.termKind !== 'initial') this.emit({ type: 'failover', kind: this.termKind, durationMs });
    this.record('jenkins.ready', `Jenkins ready ${durationMs} ms after this node was elected`, durationMs);
  }

  /** Where this takeover's time went (election woke us -> epoch -> spawned -> ready): log + event. */
  private reportTakeoverPhases(epochAt: number, js: JenkinsStatus): void {
    const wokeAt = this.wokeAt !== null && this.wokeAt <= epochAt ? this.wokeAt : epochAt;
    this.wokeAt = null;
    const spawnedAt = js.startedAt ?? epochAt;
    const readyAt = js.readyAt ?? this.o.now();
    const p = takeoverPhases({ wokeAt, epochAt, spawnedAt, readyAt });
    this.o.logger.info(`takeover phases: decision ${p.decisionMs} ms, launch ${p.launchMs} ms, readiness ${p.readinessMs} ms`, {
      event: 'takeover.phases',
      kind: this.termKind,
      wokeAt,
      epochAt,
      spawnedAt,
      readyAt,
      ...p,
    });
    if (this.termKind !== 'initial') this.emit({ type: 'takeover_phases', kind: this.termKind, ...p });
  }

  /** The role of this cycle; a change is logged and emitted. */
  updateRole(role: NodeRole): void {
    if (role === this.role) return;
    this.o.logger.info(`role ${this.role} -> ${role}`, { event: 'role', from: this.role, to: role });
    this.role = role;
    this.roleSince = this.o.now();
    this.roleSinceWall = new Date(this.o.wallNow()).toISOString();
    this.emit({ type: 'role', role });
  }

  /**
   * Why a leader holds Jenkins back, for /status; a gate that starts holding it is logged
   * (`launch.held`, with the gate), one that stops too (`launch.held_cleared`).
   */
  noteGate(d: Decision): void {
    if (!d.gate) {
      // A launch or a fencing round is the step that may clear a gate or meet it again: keep
      // reporting the gate through it; anything else means no gate holds Jenkins back.
      if (d.action.kind !== 'launch' && d.action.kind !== 'fence-previous' && this.launchBlocked) {
        this.o.logger.info(`no longer held at gate ${this.launchBlocked.gate}: ${d.reason}`, { event: 'launch.held_cleared', gate: this.launchBlocked.gate });
        this.launchBlocked = null;
      }
      return;
    }
    if (this.launchBlocked?.gate === d.gate) {
      this.launchBlocked = { ...this.launchBlocked, reason: d.reason };
      return;
    }
    this.o.logger.info(d.reason, { event: 'launch.held', gate: d.gate });
    this.launchBlocked = { gate: d.gate, reason: d.reason, since: new Date(this.o.wallNow()).toISOString() };
  }
}
