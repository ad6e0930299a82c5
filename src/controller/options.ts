/**
 * How a Controller is built: its options (typed config slices from main) and its dependencies.
 * The parts it only calls are named by what it uses of them (the *Port types), so a test can
 * hand it a stub; the real classes fit as they are. Re-exported by controller.ts.
 */
import type { SafetySettings } from '../util/safety-settings';
import type { Coordinator } from '../coordination/types';
import type { Election } from '../election/election';
import type { EpochStore } from '../fencing/epoch';
import type { HomeIo } from '../fencing/home-io';
import type { HostWatchdog } from '../fencing/watchdog';
import type { EligibilityMonitor } from '../jenkins/eligibility';
import type { PortProbe } from '../jenkins/port-probe';
import type { JenkinsSupervisor } from '../jenkins/supervisor';
import type { SupervisorEvents } from '../jenkins/supervisor-options';
import type { Logger } from '../logging/logger';
import type { SyncGate } from '../sync/types';
import type { ClusterView } from './cluster-view';
import type { DrainTracker } from './drain';
import type { FenceGateOptions } from './fence-gate';

export interface ControllerOptions {
  clusterName: string;
  nodeId: string;
  host: string;
  home: string;
  apiUrl: string;
  jenkinsUrl: string;
  /** This node's effective safety settings, as published in its member record (issue 16 item 3). */
  safetySettings?: SafetySettings;
  /** Self-fencing delay for a (negotiated) session timeout; see config resolveTimings. */
  fenceAfterFor: (sessionTimeoutMs: number) => number;
  stopTimeoutMs: number;
  fenceKillAfterMs: number;
  maxRestarts: number;
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
  restartWindowMs: number;
  resignCooldownMs: number;
  switchoverTimeoutMs: number;
  /** election.priority (default 0) and election.noFailover (default false): see decide/priority.ts. */
  priority?: number;
  noFailover?: boolean;
  requestedSessionTimeoutMs: number;
  /** Longest drain before a planned stop; 0 = no drain (default). */
  drainTimeoutMs?: number;
  /** Drain before stopping Jenkins on shutdown. */
  drainOnShutdown?: boolean;
  /** Fencing layer 3: the operator's fencing methods (see fence-gate.ts). */
  fencing: { methods: readonly string[]; timeoutMs: number; retryBackoffMs: number; retryBackoffMaxMs: number };
  /** Fencing layer 4: the storage lease in the JENKINS_HOME lock file. */
  lock: { heartbeatMs: number; leaseMs: number };
}

/** What the controller uses of the Jenkins supervisor. */
export interface SupervisorPort
  extends Pick<JenkinsSupervisor, 'status' | 'arm' | 'disarm' | 'launch' | 'renewLease' | 'stop'>,
    Partial<Pick<JenkinsSupervisor, 'survivors'>> {
  on<E extends keyof SupervisorEvents>(event: E, listener: SupervisorEvents[E]): unknown;
}
/** What the controller uses of the eligibility monitor. */
export interface EligibilityPort extends Pick<EligibilityMonitor, 'result' | 'start' | 'stop'> {
  on(event: 'change', listener: () => void): unknown;
}
/** What the controller uses of the host watchdog. */
export type WatchdogPort = Pick<HostWatchdog, 'mode' | 'arm' | 'keepalive' | 'disarm' | 'status'>;

export interface ControllerDeps {
  coordinator: Coordinator;
  election: Election;
  supervisor: SupervisorPort;
  epochs: EpochStore;
  cluster: ClusterView;
  logger: Logger;
  now: () => number;
  /** Drains Jenkins (quiet-down) before planned stops; without it planned stops do not drain. */
  drain?: DrainTracker;
  /** Checks whether this node could take over; without it the node always counts as eligible. */
  eligibility?: EligibilityPort;
  /** sync.mode git: the configuration gate and publisher; absent in shared mode. */
  sync?: SyncGate;
  /** Wall clock for the lock heartbeats, history times and intents (default Date.now). */
  wallNow?: () => number;
  /** Runs the fencing methods (default: src/fencing/methods.ts). */
  runFencing?: FenceGateOptions['run'];
  /** Probes the Jenkins port before a launch (default: a TCP connect). */
  probePort?: (url: string, timeoutMs: number) => Promise<PortProbe>;
  /** The host watchdog (fencing.watchdog): armed for a launch, kept alive with the shim's lease. */
  watchdog?: WatchdogPort;
  /** Bounded I/O on JENKINS_HOME (lock.ioTimeoutMs) and its health (default: the shared instance main.ts configures). */
  homeIo?: HomeIo;
}
