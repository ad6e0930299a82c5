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
 * - `joining`:   connected and joining the election (no position yet; the election's own role
 *                for this is `joining` too, while its `candidate` is our `standby`).
 * - `stopped`:   shutting down, or resigned and cooling down outside the election.
 */
import type { ConnState, SaslFailure, TlsFailure } from '../coordination/types';
import type { ElectionRole } from '../election/types';
import type { JenkinsState } from '../jenkins/supervisor';
import type { SyncStatus } from '../sync/types';
import type { WatchdogStatus } from '../fencing/watchdog';
import type { HomeStatus } from './home-policy';

export type { SyncStatus } from '../sync/types';
export type { WatchdogStatus } from '../fencing/watchdog';
export type { HomeStatus } from './home-policy';
import type { LaunchGate } from './decide/types';
import type { SafetySettings } from '../util/safety-settings';

export type { SafetySettings } from '../util/safety-settings';

export type { LaunchGate } from './decide/types';

export type NodeRole = 'leader' | 'standby' | 'neutral' | 'joining' | 'stopped';

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
  /** election.priority of the member (0 for members of older versions). */
  priority: number;
  /** election.noFailover: the member never leads and is no switchover target. */
  noFailover: boolean;
  /** `leader` = lowest sequence; the rest stand in line. */
  role: 'leader' | 'standby';
  /** Its effective safety settings as it published them (absent from older versions). */
  settings?: SafetySettings;
  /** Its status notes as it last published them (absent from older versions). */
  notes?: string[];
}

/** One safety setting that differs between this node and another member. */
export interface SettingDriftView {
  node: string;
  key: string;
  here: number | string | boolean;
  there: number | string | boolean;
}

export interface PauseState {
  paused: boolean;
  by?: string;
  reason?: string;
  /** ISO times. */
  since?: string;
  until?: string | null;
  /** The leader drains and stops Jenkins for the pause (e.g. for an upgrade) instead of leaving it running. */
  drain?: boolean;
}

export interface SwitchoverIntent {
  id: string;
  /** Node id that should take over; null = the next in line. */
  candidate: string | null;
  /** Node id that led when the switchover was requested. */
  from: string;
  reason: string;
  requestedAt: string;
  /**
   * scheduled: waits for `at` (judged by the leader on its own clock, schedule.ts); pending:
   * recorded, the leader has not started; draining: the leader's Jenkins is in quiet-down,
   * waiting for builds (still cancellable); running: the leader is handing over.
   */
  state: 'scheduled' | 'pending' | 'draining' | 'running';
  /** Scheduled switchovers: the ISO time (UTC) it was requested for; it stays once the leader starts it. */
  at?: string;
  /** Who asked (e.g. `api@10.0.0.5`); absent from records of older versions. */
  by?: string;
  /** How the drain ended, once the leader stops Jenkins (state running). */
  drain?: DrainReport;
}

/** Forced failover (fence-confirm.ts): a person's confirmation that `node` (its term `nodeEpoch`) is gone. */
export interface FenceConfirmation {
  node: string;
  nodeEpoch: number;
  /** The leader that waited when it was confirmed. */
  waiter: string;
  by: string;
  reason: string;
  /** ISO time. */
  at: string;
}

export interface BuildRef {
  name: string;
  url: string;
}

/** How a drain ended: `finished` (no build left) or `timeout` (these builds were still running). */
export interface DrainReport {
  result: 'finished' | 'timeout';
  durationMs: number;
  runningBuilds: BuildRef[];
}

/** A drain in progress on this node. */
export interface DrainStatus {
  purpose: 'switchover' | 'pause' | 'shutdown';
  /** ISO time. */
  since: string;
  /** Whether Jenkins accepted the quiet-down; null until it answered. */
  quietDown: boolean | null;
  /** Builds running at the last poll; null until Jenkins answered. */
  running: number | null;
  builds: BuildRef[];
  lastError: string | null;
}

export interface EligibilityStatus {
  /** false: this node could not run Jenkins now and stays out of the election. */
  eligible: boolean;
  reasons: string[];
  /** ISO time of the last check; null before the first. */
  checkedAt: string | null;
  versions: { local: string | null; leader: string | null };
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
    /** Service mode: why the Jenkins service is not proven stopped (Jenkins stays "stopping"); null when nothing is pending. */
    serviceProof: string | null;
  };
  zookeeper: {
    state: ConnState;
    sessionId: string | null;
    sessionTimeoutMs: number;
    msSinceHeard: number | null;
    fenceAfterMs: number;
    /** zk.tls (issue 14): the last failed TLS handshake (file, peer, reason), null once one succeeds. */
    tlsError?: TlsFailure | null;
    /** zk.sasl (issue 14): the last failed SASL authentication (or a server requiring it), null once one succeeds. */
    saslError?: SaslFailure | null;
  };
  epoch: number | null;
  /**
   * The cluster's current fencing epoch (the epoch znode, as this node's watch last saw it): on a
   * standby the term in force elsewhere; null before the first read or when no epoch was taken.
   */
  clusterEpoch?: number | null;
  paused: PauseState;
  switchover: SwitchoverIntent | null;
  leaderChanges: number;
  /** The sentence of the last decision cycle. */
  decision: string;
  /**
   * Why this leader does not start Jenkins, while a fencing gate holds it back: `fencing` (the
   * previous active is being fenced, or every fencing method failed), `storage-lease` (another
   * epoch's heartbeat in the lock is live), `split-brain` (something answers on the Jenkins port),
   * `flock` (the shim could not take the flock), `lock` (the lock names a newer epoch), `watchdog`
   * (fencing.watchdog.mode is required and the host watchdog cannot be armed), `home` (the killed
   * Jenkins does not exit: the home hangs and nothing can prove it gone, or processes of the
   * last Jenkins group survive SIGKILL), `settings` (this node's safety settings break the rule
   * against a peer), `eligibility` (the first eligibility check has not answered: no epoch is
   * taken before it). Else null.
   */
  launchBlocked: { gate: LaunchGate; reason: string; since: string } | null;
  loopLagMs: number;
  /** This node's recent transitions (the cluster-wide history is GET /history). */
  history: HistoryEntry[];
  /** The drain in progress here, null when none. */
  drain?: DrainStatus | null;
  /** Whether this node could take over (checked while its Jenkins does not run). */
  eligibility?: EligibilityStatus;
  /** sync.mode git only: configuration sync (gate, record, last push, lag). */
  sync?: SyncStatus;
  /** The host watchdog (fencing.watchdog): mode, whether it is armed, the device's timeout, errors. */
  watchdog?: WatchdogStatus;
  /**
   * This node's JENKINS_HOME as its bounded I/O sees it (lock.ioTimeoutMs): `ok`, `hung` (a call
   * missed its deadline) or `failing` (a mount-level error), since when, why; whether the storage
   * lease is lost, and whether the killed Jenkins is stuck in I/O. Absent from older versions.
   */
  home?: HomeStatus;
  /**
   * Why this node is not doing what one would expect, in short sentences worded from the fields
   * above (controller/notes.ts): held back, not eligible, draining, handing over, ZooKeeper in
   * doubt, stopped, the host watchdog. Empty when nothing needs explaining.
   */
  notes?: string[];
  /**
   * The cluster-wide view of the safety settings: this node's, what differs on the other members
   * (drift), and why this node refuses to lead (empty: it does not). Absent when not known.
   */
  settings?: { self: SafetySettings; drift: SettingDriftView[]; refusal: string[] };
}

export type ControllerEvent =
  | { type: 'role'; role: NodeRole }
  | { type: 'leader_change' }
  | { type: 'failover'; kind: 'planned' | 'unplanned'; durationMs: number }
  /** Where a takeover's time went on this node (see takeover-phases.ts); the first term is none. */
  | { type: 'takeover_phases'; kind: 'planned' | 'unplanned'; decisionMs: number; launchMs: number; readinessMs: number }
  | { type: 'jenkins_restart' }
  | { type: 'fenced' }
  | { type: 'split_brain' }
  /** This node's home went from answering to hung (a call missed lock.ioTimeoutMs). */
  | { type: 'home_hung' }
  /** This node left the election because its home is bad (breadcrumb kept). */
  | { type: 'home_yield' }
  /** The head of the line stepped to the back before taking an epoch (election.priority / election.noFailover). */
  | { type: 'priority_yield'; why: 'priority' | 'no-failover' }
  /** A leader held at the fencing gate acted on a person's confirmation (`jenkins-ha failover --confirm-fenced`). */
  | { type: 'forced_failover'; result: 'accepted' | 'refused' };

/** What the API needs from the controller: read-only. */
export interface StatusSource {
  status(): StatusSnapshot;
  msSinceLastCycle(): number;
  onEvent(listener: (e: ControllerEvent) => void): void;
}

/** Intents the API and CLI may record. Each throws CommandError (see errors.ts) when it cannot. */
export interface ControlCommands {
  /** `at`: an ISO 8601 time with a zone, to schedule it (CommandError BAD_REQUEST naming `at` when unusable). */
  requestSwitchover(req: { candidate?: string; reason?: string; at?: string; by: string }): Promise<SwitchoverIntent>;
  /** Cancels a switchover that is scheduled, pending or draining; CommandError NOT_FOUND / CONFLICT otherwise. */
  cancelSwitchover(by: string): Promise<SwitchoverIntent>;
  pause(req: { ttlSeconds?: number; reason?: string; drain?: boolean; by: string }): Promise<PauseState>;
  resume(by: string): Promise<PauseState>;
  /** Cluster-wide history, newest last, from ZooKeeper. */
  history(limit: number): Promise<HistoryEntry[]>;
  /** Forced failover: confirm the previous active the leader waits on is gone (CONFLICT when it is live or nothing waits on it). */
  confirmFenced(req: { node: string; reason: string; by: string }): Promise<FenceConfirmation>;
}
