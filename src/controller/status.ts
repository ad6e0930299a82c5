/**
 * What the controller exposes to the API and the CLI: a read-only status snapshot (from memory,
 * never a ZooKeeper round trip), commands that record intents in ZooKeeper for the loop to act on,
 * and a stream of events for metrics. Plain types, no behaviour.
 *
 * Roles:
 * - `leader`:    our znode is lowest in the current session and ZooKeeper answered recently
 *                enough to prove it; Jenkins runs (or is being started) here.
 * - `standby`:   connected and waiting behind a predecessor; ready to take over.
 * - `neutral`:   the connection to ZooKeeper is in doubt (disconnected, expired, or silent past
 *                the fencing deadline): this node neither runs Jenkins nor counts as a standby.
 * - `candidate`: connected and joining the election (no position yet).
 * - `stopped`:   shutting down, or resigned and cooling down outside the election.
 */
import type { ConnState } from '../coordination/types';
import type { ElectionRole } from '../election/election';
import type { JenkinsState } from '../jenkins/supervisor';
import type { LaunchGate } from './decide';

export type { LaunchGate } from './decide';

export type NodeRole = 'leader' | 'standby' | 'neutral' | 'candidate' | 'stopped';

export interface HistoryEntry {
  /** ISO time. */
  at: string;
  /** elected, demoted, fenced, resigned, jenkins.crashed, jenkins.stopped, switchover.*, pause, resume, ... */
  event: string;
  node: string;
  reason: string;
  epoch: number | null;
  /** For transitions with a duration (e.g. elected -> Jenkins ready). */
  durationMs?: number;
}

/** A member of the cluster as ZooKeeper sees it (from the election znodes). */
export interface MemberView {
  id: string;
  znode: string;
  sequence: number;
  host: string;
  apiUrl: string;
  jenkinsUrl: string;
  version: string;
  /** `leader` = lowest sequence; the rest stand in line. */
  role: 'leader' | 'standby';
}

export interface PauseState {
  paused: boolean;
  by?: string;
  reason?: string;
  /** ISO times. */
  since?: string;
  until?: string | null;
}

export interface SwitchoverIntent {
  id: string;
  /** Node id that should take over; null = the next in line. */
  candidate: string | null;
  /** Node id that led when the switchover was requested. */
  from: string;
  reason: string;
  requestedAt: string;
  /** pending: recorded, the leader has not started; running: the leader is handing over. */
  state: 'pending' | 'running';
}

export interface StatusSnapshot {
  cluster: string;
  node: { id: string; host: string; role: NodeRole; since: string; sinceMs: number; apiUrl: string };
  leader: { id: string; apiUrl: string } | null;
  members: MemberView[];
  election: { role: ElectionRole; znode: string | null; sequence: number | null; predecessor: string | null };
  jenkins: {
    state: JenkinsState;
    pid: number | null;
    ready: boolean;
    url: string;
    epoch: number | null;
    version: string | null;
    restarts: number;
    lastProbeError: string | null;
    lastExit: { code: number | null; signal: string | null; expected: boolean; reason: string } | null;
  };
  zookeeper: {
    state: ConnState;
    sessionId: string | null;
    sessionTimeoutMs: number;
    msSinceHeard: number | null;
    fenceAfterMs: number;
  };
  epoch: number | null;
  paused: PauseState;
  switchover: SwitchoverIntent | null;
  leaderChanges: number;
  /** The sentence of the last decision cycle. */
  decision: string;
  /**
   * Why this leader does not start Jenkins, while a fencing gate holds it back: `fencing` (the
   * previous active is being fenced, or every fencing method failed), `storage-lease` (another
   * epoch's heartbeat in the lock is live), `split-brain` (something answers on the Jenkins port),
   * `flock` (the shim could not take the flock), `lock` (the lock names a newer epoch). Else null.
   */
  launchBlocked: { gate: LaunchGate; reason: string; since: string } | null;
  loopLagMs: number;
  /** This node's recent transitions (the cluster-wide history is GET /history). */
  history: HistoryEntry[];
}

export type ControllerEvent =
  | { type: 'role'; role: NodeRole }
  | { type: 'leader_change' }
  | { type: 'failover'; kind: 'planned' | 'unplanned'; durationMs: number }
  | { type: 'jenkins_restart' }
  | { type: 'fenced' }
  | { type: 'split_brain' };

/** What the API needs from the controller: read-only. */
export interface StatusSource {
  status(): StatusSnapshot;
  msSinceLastCycle(): number;
  onEvent(listener: (e: ControllerEvent) => void): void;
}

/** Intents the API and CLI may record. Each throws CommandError (see errors.ts) when it cannot. */
export interface ControlCommands {
  requestSwitchover(req: { candidate?: string; reason?: string; by: string }): Promise<SwitchoverIntent>;
  /** Cancels a switchover that has not started; CommandError NOT_FOUND / CONFLICT otherwise. */
  cancelSwitchover(by: string): Promise<SwitchoverIntent>;
  pause(req: { ttlSeconds?: number; reason?: string; by: string }): Promise<PauseState>;
  resume(by: string): Promise<PauseState>;
  /** Cluster-wide history, newest last, from ZooKeeper. */
  history(limit: number): Promise<HistoryEntry[]>;
}
