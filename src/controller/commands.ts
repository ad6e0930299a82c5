/**
 * The operator's intents (API and CLI): switchover, cancel, pause, resume, history. Each is
 * validated against the cluster view, recorded in ZooKeeper and in the history; the control loop
 * acts on it later. Each throws CommandError (UNAVAILABLE, CONFLICT, NOT_FOUND) when it cannot.
 */
import { randomUUID } from 'node:crypto';
import { CommandError } from '../errors';
import type { ConnState } from '../coordination/types';
import type { Logger } from '../logging/logger';
import type { ClusterView } from './cluster-view';
import type { FenceConfirmation, FenceConfirmStore } from './fence-confirm';
import { parseScheduleAt } from './schedule';
import type { ControlCommands, HistoryEntry, MemberView, PauseState, SwitchoverIntent } from './status';

export interface CommandsOptions {
  clusterName: string;
  /** The ZooKeeper connection state: intents need a connected session. */
  zkState: () => ConnState;
  cluster: ClusterView;
  logger: Logger;
  /** Wall clock for the times written into the intents. */
  wallNow: () => number;
  record: (event: string, reason: string) => void;
  /** Forced failover (fence-confirm.ts); absent: the command is unavailable. */
  fence?: Pick<FenceConfirmStore, 'readWait' | 'confirm'>;
}

/**
 * A switchover without a named candidate goes to the next in line, which yields before taking the
 * epoch to a standby of higher election.priority, and a noFailover node always yields
 * (decide/priority.ts): so it needs one standby that is not noFailover. CONFLICT when none is.
 */
export function mayTakeOver(standbys: readonly MemberView[], cluster: string): void {
  if (standbys.some((m) => !m.noFailover)) return;
  if (standbys.length === 0) throw new CommandError('CONFLICT', 'there is no standby to take over');
  throw new CommandError('CONFLICT', `no standby of cluster ${cluster} may take over: ${standbys.map((m) => m.id).join(', ')} ${standbys.length === 1 ? 'is' : 'are'} noFailover`);
}

export class Commands implements ControlCommands {
  constructor(private readonly o: CommandsOptions) {}

  async requestSwitchover(req: { candidate?: string; reason?: string; at?: string; by: string }): Promise<SwitchoverIntent> {
    // A bad time is the caller's mistake whatever the cluster's state: say so first (400).
    const at = req.at !== undefined ? new Date(parseScheduleAt(req.at, this.o.wallNow())).toISOString() : null;
    this.requireConnected();
    const cluster = this.o.cluster;
    if (cluster.pauseState().paused) throw new CommandError('CONFLICT', 'the cluster is paused; resume it before a switchover');
    const members = cluster.members();
    const leader = members[0];
    if (!leader) throw new CommandError('CONFLICT', 'there is no leader to switch over from');
    const standbys = members.slice(1);
    if (req.candidate === undefined) mayTakeOver(standbys, this.o.clusterName);
    else {
      if (req.candidate === leader.id) throw new CommandError('CONFLICT', `candidate ${req.candidate} already leads`);
      const m = standbys.find((x) => x.id === req.candidate);
      if (!m) throw new CommandError('CONFLICT', `candidate ${req.candidate} is not a standby of cluster ${this.o.clusterName}`);
      if (m.noFailover) throw new CommandError('CONFLICT', `candidate ${req.candidate} is a noFailover node (election.noFailover): it never leads`);
    }
    const intent: SwitchoverIntent = {
      id: randomUUID(),
      candidate: req.candidate ?? null,
      from: leader.id,
      reason: req.reason ?? '',
      requestedAt: new Date(this.o.wallNow()).toISOString(),
      state: at !== null ? 'scheduled' : 'pending',
      ...(at !== null ? { at } : {}),
      by: req.by,
    };
    if (!(await cluster.createSwitchover(intent))) {
      const existing = cluster.switchover();
      const what = existing?.state === 'scheduled' ? `one is scheduled for ${existing.at ?? '?'}; cancel it first (DELETE /switchover)` : 'already in progress';
      throw new CommandError('CONFLICT', `a switchover is ${what} (${existing?.id ?? 'unknown'})`);
    }
    const to = `${intent.candidate ?? 'next in line'} by ${req.by}${intent.reason ? `: ${intent.reason}` : ''}`;
    if (at !== null) {
      this.o.logger.info(`switchover ${intent.id} scheduled for ${at} by ${req.by}`, { event: 'switchover.scheduled', id: intent.id, at, candidate: intent.candidate });
      this.o.record('switchover.scheduled', `${intent.id} at ${at}: the leader then -> ${to}`);
      return intent;
    }
    this.o.logger.info(`switchover ${intent.id} requested by ${req.by}`, { event: 'switchover.requested', id: intent.id, candidate: intent.candidate, from: intent.from });
    this.o.record('switchover.requested', `${intent.from} -> ${to}`);
    return intent;
  }

  async cancelSwitchover(by: string): Promise<SwitchoverIntent> {
    this.requireConnected();
    const intent = this.o.cluster.switchover();
    const version = this.o.cluster.switchoverVersion();
    if (!intent || version === null) throw new CommandError('NOT_FOUND', 'there is no switchover to cancel');
    if (intent.state === 'running') throw new CommandError('CONFLICT', `switchover ${intent.id} has started; it cannot be cancelled`);
    if (!(await this.o.cluster.deleteSwitchover(version))) {
      throw new CommandError('CONFLICT', `switchover ${intent.id} changed meanwhile (it may have started)`);
    }
    this.o.record('switchover.cancelled', `${intent.id}${intent.state === 'scheduled' ? ` (scheduled for ${intent.at ?? '?'})` : ''} by ${by}`);
    return intent;
  }

  /**
   * Forced failover: a person confirms that `node`, the previous active the leader waits on at
   * the fencing gate, is gone (its host is powered off). Refused while the node holds a live
   * session (its election znode exists) or when no leader waits on it.
   */
  async confirmFenced(req: { node: string; reason: string; by: string }): Promise<FenceConfirmation> {
    this.requireConnected();
    const store = this.o.fence;
    if (!store) throw new CommandError('UNAVAILABLE', 'forced failover is not available on this node');
    const live = this.o.cluster.members().find((m) => m.id === req.node);
    if (live) {
      throw new CommandError(
        'CONFLICT',
        `${req.node} still holds a live ZooKeeper session (election znode ${live.znode}): it is not gone; a forced failover is only for a node whose session is over (its host is off). Stop it, or let the fencing methods fence it`,
      );
    }
    const wait = await store.readWait();
    if (!wait) throw new CommandError('CONFLICT', `nothing is waiting on ${req.node}: no leader is held at the fencing gate (see jenkins-ha status)`);
    if (wait.node !== req.node) {
      throw new CommandError('CONFLICT', `nothing is waiting on ${req.node}: leader ${wait.waiter} (epoch ${wait.epoch}) waits at the fencing gate for ${wait.node} (epoch ${wait.nodeEpoch})`);
    }
    const c: FenceConfirmation = { node: wait.node, nodeEpoch: wait.nodeEpoch, waiter: wait.waiter, by: req.by, reason: req.reason, at: new Date(this.o.wallNow()).toISOString() };
    await store.confirm(c);
    const what = `${c.node}@${wait.host} (epoch ${c.nodeEpoch}) confirmed fenced by ${req.by}: ${req.reason}; ${c.waiter} may pass the fencing gate`;
    this.o.logger.warn(`forced failover: ${what}`, { event: 'fence.confirmation_recorded', node: c.node, nodeEpoch: c.nodeEpoch, waiter: c.waiter, by: req.by });
    this.o.record('fence.confirmation_recorded', what);
    return c;
  }

  async pause(req: { ttlSeconds?: number; reason?: string; drain?: boolean; by: string }): Promise<PauseState> {
    this.requireConnected();
    const since = new Date(this.o.wallNow());
    const until = req.ttlSeconds !== undefined ? new Date(since.getTime() + req.ttlSeconds * 1000).toISOString() : null;
    await this.o.cluster.writePause({ by: req.by, reason: req.reason ?? '', since: since.toISOString(), until, ...(req.drain ? { drain: true } : {}) });
    this.o.record('paused', `by ${req.by}${req.drain ? ' (drain and stop Jenkins)' : ''}${until ? ` until ${until}` : ''}${req.reason ? `: ${req.reason}` : ''}`);
    return this.o.cluster.pauseState();
  }

  async resume(by: string): Promise<PauseState> {
    this.requireConnected();
    if (await this.o.cluster.clearPause()) this.o.record('resumed', `by ${by}`);
    return this.o.cluster.pauseState();
  }

  async history(limit: number): Promise<HistoryEntry[]> {
    this.requireConnected();
    return this.o.cluster.readHistory(limit);
  }

  private requireConnected(): void {
    const state = this.o.zkState();
    if (state !== 'connected') {
      throw new CommandError('UNAVAILABLE', `this node is not connected to ZooKeeper (${state}); try another node`);
    }
  }
}
