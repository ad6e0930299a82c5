/**
 * The decision: a pure function of what the controller observed. It returns one action and a
 * sentence saying why (Patroni's run_cycle style); the controller logs the sentence when it
 * changes and the tests assert on it.
 *
 * The one promise: Jenkins runs only while this node can PROVE its leadership, i.e. its znode is
 * lowest in the current session AND ZooKeeper answered a request sent less than fenceAfterMs ago.
 * The server cannot expire the session before lastHeard + T, and fenceAfterMs + the fence kill
 * grace + a margin <= T (checked at start-up), so our Jenkins is dead before any standby can win.
 */
import type { ConnState } from '../coordination/types';
import type { ElectionRole } from '../election/election';
import type { JenkinsState } from '../jenkins/supervisor';
import type { SyncGateState } from '../sync/types';
import { syncGate } from './decide-sync';

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
  jenkins: { state: JenkinsState; epoch: number | null; unhealthy: string | null; fencing: boolean };
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
  /** Whether this node could run Jenkins (eligibility check); null = not checked yet. */
  eligibility: { eligible: boolean; reason: string } | null;
  /** sync.mode git only: the configuration gate of the current term (see decide-sync.ts). */
  sync?: { state: SyncGateState; reason: string; allowStale: boolean };
  /**
   * Fencing layer 3, for the current term: the previous active did not exit cleanly and the
   * fencing methods must fence it before Jenkins starts. Absent/null: nothing to fence.
   */
  fence?: { state: FenceState; retryAt: number; reason: string } | null;
  /**
   * Fencing layer 4: the JENKINS_HOME lock carries a live heartbeat of another epoch; do not start
   * Jenkins before `until` (the controller reads the lock again then).
   */
  storageLease?: { until: number; reason: string } | null;
  /** Fencing layer 6: while our Jenkins runs, evidence that a newer leader exists (e.g. the lock names a newer epoch). */
  splitBrain?: string | null;
  /**
   * fencing.watchdog.mode required: the host watchdog could not be armed for a launch (why); no
   * launch before `retryAt`, when arming is tried again. Absent/null: nothing holds the launch.
   */
  watchdog?: { reason: string; retryAt: number } | null;
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

/** Pure: whether a drain is over. Unknown build counts wait for the timeout. */
export function drainEnd(d: DrainObserved, timeoutMs: number): DrainEnd | null {
  if (d.running === 0) return 'finished';
  if (d.ageMs >= timeoutMs) return 'timeout';
  return null;
}

/** Whether the reason for a drain still holds (else it is cancelled: Jenkins leaves quiet-down). */
export function drainStillWanted(o: Observed, d: DrainObserved): boolean {
  switch (d.purpose) {
    case 'shutdown':
      return o.shuttingDown;
    case 'pause':
      return o.paused && o.pauseDrain;
    case 'switchover': {
      const so = o.switchover;
      return so !== null && so.id === d.switchoverId && so.from === o.self && !so.expired;
    }
  }
}

function buildsText(d: DrainObserved): string {
  return d.running === null ? 'running builds not known yet' : `${d.running} build${d.running === 1 ? '' : 's'} running`;
}

export type FenceState = 'needed' | 'running' | 'done' | 'failed';

/** Why a leader does not start Jenkins (reported in /status). */
export type LaunchGate = 'fencing' | 'storage-lease' | 'split-brain' | 'flock' | 'lock' | 'watchdog';

export type Action =
  | { kind: 'none' }
  | { kind: 'hand-over'; drain: DrainEnd | null }
  | { kind: 'start-drain'; purpose: DrainPurpose }
  | { kind: 'cancel-drain' }
  | { kind: 'leave-ineligible' }
  | { kind: 'leave-and-rejoin'; why: 'switchover' | 'step-aside' }
  | { kind: 'complete-switchover' }
  | { kind: 'expire-switchover' }
  | { kind: 'expire-pause' }
  | { kind: 'stop-jenkins'; mode: 'fence' | 'graceful'; countAsFailure: boolean; drain?: DrainEnd }
  | { kind: 'acquire' }
  | { kind: 'launch'; leaseMs: number }
  | { kind: 'fence-previous' }
  | { kind: 'resign' }
  | { kind: 'rejoin' }
  | { kind: 'drop-term' }
  | { kind: 'finish-shutdown' }
  | { kind: 'sync-restore'; stale: boolean }
  | { kind: 'sync-yield' };

export interface Decision {
  action: Action;
  reason: string;
  /** Set when a leader holds back Jenkins because of a fencing gate. */
  gate?: LaunchGate;
}

const none = (reason: string): Decision => ({ action: { kind: 'none' }, reason });
const held = (gate: LaunchGate, reason: string): Decision => ({ action: { kind: 'none' }, reason, gate });

function seqOf(o: Observed): string {
  return `epoch ${o.term?.epoch ?? '-'}`;
}

/** Leader in the current session (our znode is lowest). */
export function isLeaderNow(o: Observed): boolean {
  return o.election.role === 'leader' && o.election.generation === o.zk.generation;
}

/** Leadership that can be proven right now. */
export function canProveLeadership(o: Observed): boolean {
  return (
    isLeaderNow(o) &&
    (o.zk.state === 'connected' || o.zk.state === 'disconnected') &&
    o.zk.msSinceHeard !== null &&
    o.zk.msSinceHeard < o.fenceAfterMs
  );
}

function whyNotProvable(o: Observed): string {
  if (!isLeaderNow(o)) return `not the leader (election ${o.election.role}, zookeeper ${o.zk.state})`;
  if (o.zk.msSinceHeard === null) return `zookeeper ${o.zk.state}, nothing heard in this session`;
  return `no reply from ZooKeeper for ${Math.round(o.zk.msSinceHeard)} ms (fence after ${o.fenceAfterMs} ms; zookeeper ${o.zk.state})`;
}

export function decide(o: Observed): Decision {
  const provable = canProveLeadership(o);
  const j = o.jenkins;

  if (o.shuttingDown) {
    if (j.state === 'stopped') return { action: { kind: 'finish-shutdown' }, reason: 'shutting down; Jenkins is stopped; leaving' };
    if (!provable && !j.fencing) {
      return { action: { kind: 'stop-jenkins', mode: 'fence', countAsFailure: false }, reason: `shutting down and ${whyNotProvable(o)}; fencing Jenkins` };
    }
    if (j.state === 'stopping') return none('shutting down; waiting for Jenkins to stop');
    const dr = o.drain;
    if (o.drainOnShutdown && o.drainTimeoutMs > 0 && (j.state === 'running' || dr)) {
      if (!dr) return { action: { kind: 'start-drain', purpose: 'shutdown' }, reason: 'shutting down; draining Jenkins (quiet-down) before stopping it' };
      const end = drainEnd(dr, o.drainTimeoutMs);
      if (!end) return none(`shutting down; draining Jenkins: ${buildsText(dr)}`);
      return {
        action: { kind: 'stop-jenkins', mode: 'graceful', countAsFailure: false, drain: end },
        reason: end === 'finished' ? 'shutting down; no build running; stopping Jenkins' : `shutting down; drain timed out with ${buildsText(dr)}; stopping Jenkins`,
      };
    }
    return { action: { kind: 'stop-jenkins', mode: 'graceful', countAsFailure: false }, reason: 'shutting down; stopping Jenkins' };
  }

  if (j.state !== 'stopped') {
    if (!provable) {
      if (j.fencing) return none(`fencing Jenkins: ${whyNotProvable(o)}`);
      return { action: { kind: 'stop-jenkins', mode: 'fence', countAsFailure: false }, reason: `${whyNotProvable(o)}; fencing Jenkins` };
    }
    if (!o.term || o.term.generation !== o.zk.generation || j.epoch !== o.term.epoch) {
      if (j.fencing) return none('fencing Jenkins of another term');
      return {
        action: { kind: 'stop-jenkins', mode: 'fence', countAsFailure: false },
        reason: `Jenkins runs with epoch ${j.epoch ?? '-'} but our term is ${o.term ? `epoch ${o.term.epoch}` : 'not taken'}; fencing it`,
      };
    }
    if (o.splitBrain) {
      if (j.fencing) return none(`fencing Jenkins: split brain: ${o.splitBrain}`);
      return { action: { kind: 'stop-jenkins', mode: 'fence', countAsFailure: false }, reason: `split brain: ${o.splitBrain}; fencing Jenkins at once` };
    }
    if (j.state === 'stopping') return none(`leader with ${seqOf(o)}; waiting for Jenkins to stop`);
    const so = o.switchover;
    const dr = o.drain;
    if (so && so.expired) {
      return { action: { kind: 'expire-switchover' }, reason: `switchover ${so.id} did not complete within its timeout; abandoning it` };
    }
    if (dr && !drainStillWanted(o, dr)) {
      return { action: { kind: 'cancel-drain' }, reason: `the ${dr.purpose} that Jenkins was drained for is gone; cancelling the quiet-down` };
    }
    if (so && (so.state === 'pending' || so.state === 'draining') && so.from === o.self) {
      const to = so.candidate ?? 'the next in line';
      if (o.drainTimeoutMs > 0 && (j.state === 'running' || dr)) {
        if (!dr) {
          return { action: { kind: 'start-drain', purpose: 'switchover' }, reason: `switchover ${so.id} to ${to}: draining Jenkins (quiet-down) before handing over` };
        }
        const end = drainEnd(dr, o.drainTimeoutMs);
        if (!end) return none(`switchover ${so.id} to ${to}: draining Jenkins, ${buildsText(dr)}`);
        return {
          action: { kind: 'hand-over', drain: end },
          reason:
            end === 'finished'
              ? `switchover ${so.id} to ${to}: no build running; stopping Jenkins cleanly to hand over`
              : `switchover ${so.id} to ${to}: drain timed out with ${buildsText(dr)}; stopping Jenkins to hand over anyway`,
        };
      }
      return {
        action: { kind: 'hand-over', drain: null },
        reason: `switchover ${so.id} to ${to}: stopping Jenkins cleanly to hand over`,
      };
    }
    if (so && so.from !== o.self && j.state === 'running') {
      return { action: { kind: 'complete-switchover' }, reason: `switchover ${so.id} from ${so.from} done: Jenkins runs here` };
    }
    if (o.paused && o.pauseDrain) {
      if (o.drainTimeoutMs > 0 && (j.state === 'running' || dr)) {
        if (!dr) return { action: { kind: 'start-drain', purpose: 'pause' }, reason: 'paused with drain: draining Jenkins (quiet-down) before stopping it' };
        const end = drainEnd(dr, o.drainTimeoutMs);
        if (!end) return none(`paused with drain: draining Jenkins, ${buildsText(dr)}`);
        return {
          action: { kind: 'stop-jenkins', mode: 'graceful', countAsFailure: false, drain: end },
          reason: end === 'finished' ? 'paused with drain: no build running; stopping Jenkins' : `paused with drain: drain timed out with ${buildsText(dr)}; stopping Jenkins anyway`,
        };
      }
      return { action: { kind: 'stop-jenkins', mode: 'graceful', countAsFailure: false }, reason: 'paused with drain: stopping Jenkins' };
    }
    if (o.paused) return none(`leader with ${seqOf(o)}; Jenkins ${j.state}; paused (no restarts)`);
    if (j.unhealthy) {
      return { action: { kind: 'stop-jenkins', mode: 'graceful', countAsFailure: true }, reason: `Jenkins unhealthy (${j.unhealthy}); restarting it` };
    }
    return none(`leader with ${seqOf(o)}; Jenkins ${j.state}`);
  }

  // Jenkins is stopped.
  if (o.handingOver) {
    return { action: { kind: 'leave-and-rejoin', why: 'switchover' }, reason: 'Jenkins stopped for the switchover; leaving the election and rejoining at the back' };
  }
  if (o.resignedUntil !== null) {
    if (o.now >= o.resignedUntil) return { action: { kind: 'rejoin' }, reason: 'resign cool-down over; rejoining the election at the back' };
    return none(`resigned; rejoining in ${Math.ceil(o.resignedUntil - o.now)} ms`);
  }
  const ineligible = o.eligibility !== null && !o.eligibility.eligible && !o.term;
  if (!o.election.joined) {
    if (ineligible) return none(`not eligible to run Jenkins (${o.eligibility?.reason ?? '?'}); staying out of the election`);
    return { action: { kind: 'rejoin' }, reason: 'not in the election; joining' };
  }
  if (ineligible) {
    return {
      action: { kind: 'leave-ineligible' },
      reason: `not eligible to run Jenkins (${o.eligibility?.reason ?? '?'}); leaving the election so an eligible node takes over`,
    };
  }

  if (!provable) {
    if (o.term && (o.term.generation !== o.zk.generation || !isLeaderNow(o))) {
      return { action: { kind: 'drop-term' }, reason: `leadership term of ${seqOf(o)} is over: ${whyNotProvable(o)}` };
    }
    if (isLeaderNow(o)) return none(`leader but ${whyNotProvable(o)}; waiting to hear from ZooKeeper before starting Jenkins`);
    return none(`standing by (election ${o.election.role}, zookeeper ${o.zk.state})`);
  }

  const so = o.switchover;
  if (so && so.expired) {
    return { action: { kind: 'expire-switchover' }, reason: `switchover ${so.id} did not complete within its timeout; abandoning it` };
  }
  if (o.pauseExpired) return { action: { kind: 'expire-pause' }, reason: 'the maintenance pause expired; resuming' };
  if (so && so.from !== o.self && so.candidate !== null && so.candidate !== o.self && so.candidateIsMember) {
    return {
      action: { kind: 'leave-and-rejoin', why: 'step-aside' },
      reason: `lowest sequence, but switchover ${so.id} names ${so.candidate}; stepping aside to the back of the line`,
    };
  }
  if (o.paused) return none('leader but paused: not starting Jenkins until resumed');
  if (o.blocked && o.now < o.blocked.until) {
    const reason = `leader but blocked: ${o.blocked.reason}`;
    return o.blocked.gate ? held(o.blocked.gate, reason) : none(reason);
  }
  if (!o.term || o.term.generation !== o.zk.generation) {
    return { action: { kind: 'acquire' }, reason: 'lowest sequence and ZooKeeper answering; taking the next fencing epoch' };
  }
  const fenced = fenceGate(o);
  if (fenced) return fenced;
  if (o.storageLease && o.now < o.storageLease.until) {
    return held('storage-lease', `leader with ${seqOf(o)}; not starting Jenkins: ${o.storageLease.reason}`);
  }
  if (o.watchdog && o.now < o.watchdog.retryAt) {
    return held(
      'watchdog',
      `leader with ${seqOf(o)}; not starting Jenkins: the host watchdog is required but cannot be armed (${o.watchdog.reason}); retrying in ${Math.ceil(o.watchdog.retryAt - o.now)} ms`,
    );
  }
  if (o.restarts.recentFailures > o.maxRestarts) {
    return {
      action: { kind: 'resign' },
      reason: `Jenkins failed ${o.restarts.recentFailures} times (more than ${o.maxRestarts}) within the restart window; resigning so a standby takes over`,
    };
  }
  if (o.now < o.restarts.nextAttemptAt) {
    return none(`leader with ${seqOf(o)}; restarting Jenkins in ${Math.ceil(o.restarts.nextAttemptAt - o.now)} ms`);
  }
  const gate = syncGate(o);
  if (gate) return gate;
  const leaseMs = o.fenceAfterMs - (o.zk.msSinceHeard ?? o.fenceAfterMs);
  return {
    action: { kind: 'launch', leaseMs },
    reason: `lowest sequence; ${seqOf(o)} taken; ${o.restarts.recentFailures > 0 ? 'restarting' : 'starting'} Jenkins`,
  };
}

/** Layer 3: the previous active must be fenced before this term starts Jenkins. */
function fenceGate(o: Observed): Decision | null {
  const f = o.fence;
  if (!f || f.state === 'done') return null;
  if (f.state === 'running') return held('fencing', `leader with ${seqOf(o)}; fencing the previous active (${f.reason}) before starting Jenkins`);
  if (f.state === 'failed' && o.now < f.retryAt) {
    return held('fencing', `leader with ${seqOf(o)}; not starting Jenkins: fencing failed (${f.reason}); retrying in ${Math.ceil(f.retryAt - o.now)} ms`);
  }
  return {
    action: { kind: 'fence-previous' },
    reason: `leader with ${seqOf(o)}; ${f.state === 'failed' ? 'retrying the fencing methods' : 'running the fencing methods'}: ${f.reason}`,
  };
}
