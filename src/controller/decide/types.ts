/**
 * What decide() reads and returns: the observed state of one cycle, the actions, the decision.
 * Plain types, no behaviour; every file of the decision imports them from here.
 */
import type { ConnState } from '../../coordination/types';
import type { ElectionRole } from '../../election/types';
import type { GroupSurvivors, JenkinsState } from '../../jenkins/supervisor';
import type { SyncGateState } from '../../sync/types';
import type { HomeObserved } from '../home-policy';
import type { SafetySettings } from '../../util/safety-settings';

/** A member's published safety settings (decide/settings.ts). */
export interface PeerSettings {
  id: string;
  settings: SafetySettings;
}

/** One setting that differs between this node and a member. */
export interface SettingDrift {
  node: string;
  key: string;
  here: number | string | boolean;
  there: number | string | boolean;
}

/** This node's settings against the other members'. */
export interface SettingsVerdict {
  drift: SettingDrift[];
  /** Why this node must not lead (empty: it may). */
  violations: string[];
  /** Some peer could lead without breaking the rule against any other member (this node included). */
  peerCanLead: boolean;
}

export type DrainPurpose = 'switchover' | 'pause' | 'shutdown';

export interface DrainObserved {
  purpose: DrainPurpose;
  /** The switchover the drain serves (purpose switchover). */
  switchoverId: string | null;
  ageMs: number;
  /** Builds running at the last poll; null = not known yet (no answer so far). */
  running: number | null;
}

/** How a drain ended: no build left, or its time ran out (builds still running). */
export type DrainEnd = 'finished' | 'timeout';

export type FenceState = 'needed' | 'running' | 'done' | 'failed';

/** election.priority / election.noFailover of one member, as its election znode says. */
export interface MemberPriority {
  id: string;
  priority: number;
  noFailover: boolean;
}

/** Why a leader does not start Jenkins (reported in /status). */
export type LaunchGate = 'fencing' | 'storage-lease' | 'split-brain' | 'flock' | 'lock' | 'watchdog' | 'home' | 'settings' | 'eligibility';

export interface Observed {
  now: number;
  shuttingDown: boolean;
  zk: {
    state: ConnState;
    generation: number;
    /** ms since the send time of the last answered request; null = nothing heard this session */
    msSinceHeard: number | null;
  };
  fenceAfterMs: number;
  election: { role: ElectionRole; generation: number; joined: boolean };
  /** The leadership term we hold: epoch taken in session `generation`. */
  term: { epoch: number; generation: number } | null;
  /** `fencing`: we are killing our own Jenkins to fence it (until it exits); do not order it again. */
  jenkins: {
    state: JenkinsState;
    epoch: number | null;
    unhealthy: string | null;
    fencing: boolean;
    /** Processes of the last Jenkins group alive after its SIGKILL (the shim exited); null/absent: none. */
    survivors?: GroupSurvivors | null;
  };
  restarts: { recentFailures: number; nextAttemptAt: number };
  maxRestarts: number;
  resignedUntil: number | null;
  /** Set when acquiring failed in a way worth waiting for (e.g. the lock names a newer epoch). */
  blocked: { until: number; reason: string; gate?: LaunchGate } | null;
  /** This node's id. */
  self: string;
  /** Maintenance pause in force: no start, no restart, no failover (fencing still applies). */
  paused: boolean;
  /** A pause record whose expiry has passed (to be removed). */
  pauseExpired: boolean;
  /** The planned switchover, if one is recorded. */
  switchover: {
    id: string;
    from: string;
    candidate: string | null;
    state: 'pending' | 'draining' | 'running';
    ageMs: number;
    /** The candidate is a member of the election right now. */
    candidateIsMember: boolean;
    /** Older than the switchover timeout: abandoned. */
    expired: boolean;
  } | null;
  /**
   * A switchover scheduled for later (issue 16 item 2; `switchover` is null meanwhile): ms until it
   * is due on this node's clock (<= 0: due), the candidate, and whether it could run now.
   */
  scheduledSwitchover?: {
    id: string;
    at: string;
    by: string;
    candidate: string | null;
    dueInMs: number;
    /** The candidate is a standby member now (candidate null: some other member is). */
    candidateReady: boolean;
  } | null;
  /** This node's safety settings against the other members' (decide/settings.ts); absent: not known. */
  settings?: SettingsVerdict | null;
  /** We stopped Jenkins to hand over (switchover): leave the election when it has stopped. */
  handingOver: boolean;
  /** The drain in progress here (Jenkins in quiet-down, waiting for builds), if any. */
  drain: DrainObserved | null;
  /** Longest drain before a planned stop; 0 = planned stops do not drain. */
  drainTimeoutMs: number;
  /** Drain before stopping Jenkins on shutdown (jenkins.drainOnShutdown / run --drain). */
  drainOnShutdown: boolean;
  /** The pause in force asks the leader to drain and stop Jenkins (pause for an upgrade). */
  pauseDrain: boolean;
  /**
   * election.priority / election.noFailover of this node, and of the other members of the
   * election in line order (priority.ts). null: no priority rules (tests of other rules).
   */
  priority: { self: number; noFailover: boolean; others: readonly MemberPriority[] } | null;
  /**
   * Whether this node could run Jenkins: the last answer of its eligibility checks, `pending`
   * while configured checks have not answered yet (a leader then holds before its epoch:
   * eligibility.ts), null = no checks configured (no objection).
   */
  eligibility: { eligible: boolean; reason: string } | { pending: true } | null;
  /** sync.mode git only: the configuration gate of the current term (see sync-gate.ts); null = shared mode. */
  sync: { state: SyncGateState; reason: string; allowStale: boolean } | null;
  /**
   * Fencing layer 3, for the current term: the previous active did not exit cleanly and the
   * fencing methods must fence it before Jenkins starts. null: nothing to fence.
   */
  fence: {
    state: FenceState;
    retryAt: number;
    reason: string;
    /**
     * Forced failover: a person confirmed exactly this previous active fenced (who, why), and
     * whether that node still holds a live session (then the confirmation is refused).
     */
    confirmed?: { by: string; reason: string; holderIsMember: boolean } | null;
  } | null;
  /**
   * Fencing layer 4: the JENKINS_HOME lock carries a live heartbeat of another epoch; do not start
   * Jenkins before `until` (the controller reads the lock again then). null: no live foreign heartbeat.
   */
  storageLease: { until: number; reason: string } | null;
  /** Fencing layer 6: while our Jenkins runs, evidence that a newer leader exists (e.g. the lock names a newer epoch). */
  splitBrain: string | null;
  /**
   * fencing.watchdog.mode required: the host watchdog could not be armed for a launch (why); no
   * launch before `retryAt`, when arming is tried again. null: nothing holds the launch.
   */
  watchdog: { reason: string; retryAt: number } | null;
  /**
   * This node's JENKINS_HOME (bounded I/O health and the storage lease kept by the lock keeper;
   * see home-policy.ts). null: no home I/O is watched (not configured).
   */
  home: HomeObserved | null;
  /**
   * What the hung-home policy needs besides `home`; null when `home` is null. `fencingSince`:
   * monotonic ms when the current fence of our Jenkins was ordered (null: none running);
   * `stuckAfterMs`: how long a killed Jenkins may take to exit before it counts as stuck
   * (fenceKillAfterMs + 2 x lock.ioTimeoutMs); `fencingMethods`: fencing.methods are configured.
   */
  homePolicy: { fencingSince: number | null; stuckAfterMs: number; fencingMethods: boolean } | null;
}

export type Action =
  | { kind: 'none' }
  | { kind: 'hand-over'; drain: DrainEnd | null }
  | { kind: 'start-drain'; purpose: DrainPurpose }
  | { kind: 'cancel-drain' }
  | { kind: 'leave-ineligible' }
  /** Before taking an epoch: re-queue at the back of the line (priority.ts says why). */
  | { kind: 'yield-lead'; why: 'priority' | 'no-failover'; to: string }
  | { kind: 'leave-and-rejoin'; why: 'switchover' | 'step-aside' }
  | { kind: 'complete-switchover' }
  | { kind: 'expire-switchover' }
  /** This node's safety settings break the rule against a peer that could lead: leave, rejoin at the back. */
  | { kind: 'settings-step-aside' }
  /** A scheduled switchover is due: start it (the intent becomes pending, from this leader), or drop it. */
  | { kind: 'scheduled-switchover'; run: boolean }
  | { kind: 'expire-pause' }
  /** killNow: no SIGTERM grace (a Jenkins on a hung home cannot shut down cleanly). */
  | { kind: 'stop-jenkins'; mode: 'fence' | 'graceful'; countAsFailure: boolean; drain?: DrainEnd; killNow?: boolean }
  | { kind: 'acquire' }
  | { kind: 'launch'; leaseMs: number }
  | { kind: 'fence-previous' }
  /** Forced failover: pass the fencing gate on a person's confirmation, or refuse it (live session). */
  | { kind: 'accept-fence-confirmation' }
  | { kind: 'refuse-fence-confirmation' }
  | { kind: 'resign' }
  | { kind: 'rejoin' }
  | { kind: 'drop-term' }
  | { kind: 'finish-shutdown' }
  | { kind: 'sync-restore'; stale: boolean }
  | { kind: 'sync-yield' }
  /** The home is bad: leave the election keeping the breadcrumb (no lock release), cool down. */
  | { kind: 'home-yield' }
  /** The home is bad on a node without a term: leave the election until it answers. */
  | { kind: 'home-leave' };

export interface Decision {
  action: Action;
  reason: string;
  /** Set when a leader holds back Jenkins because of a fencing gate. */
  gate?: LaunchGate;
}

/** Nothing to do this cycle, and why. */
export const none = (reason: string): Decision => ({ action: { kind: 'none' }, reason });

/** A leader holds Jenkins back because of a fencing gate. */
export const held = (gate: LaunchGate, reason: string): Decision => ({ action: { kind: 'none' }, reason, gate });

/** Stop Jenkins: `fence` = at once (SIGKILL after the fence grace), `graceful` = stopTimeoutMs. */
export function stopJenkins(reason: string, mode: 'fence' | 'graceful', o: { countAsFailure?: boolean; drain?: DrainEnd | null } = {}): Decision {
  return {
    action: { kind: 'stop-jenkins', mode, countAsFailure: o.countAsFailure ?? false, ...(o.drain ? { drain: o.drain } : {}) },
    reason,
  };
}
