/**
 * What the controller sees: observe() builds the record decide() reads, and status() the
 * snapshot the API and the CLI read, both from memory (no ZooKeeper round trip) and from the
 * injected clocks only (`now` monotonic, `wallNow` for the times of records written by people
 * and other hosts: pause expiry, switchover age).
 */
import type { Coordinator } from '../coordination/types';
import type { Election } from '../election/election';
import type { SyncGate } from '../sync/types';
import type { ClusterView } from './cluster-view';
import { homeAdviceFor } from './decide/home';
import type { Observed } from './decide/types';
import { settingsVerdict, type SettingsVerdict } from './decide/settings';
import type { HomeStatus } from './home-policy';
import type { DrainTracker } from './drain';
import type { LoopState } from './loop-state';
import { statusNotes } from './notes';
import type { ControllerOptions, EligibilityPort, SupervisorPort, WatchdogPort } from './options';
import type { Recorder } from './recorder';
import type { RestartTracker } from './restarts';
import type { EligibilityStatus, StatusSnapshot } from './status';
import type { TermKeeper } from './term';

export interface ObserverOptions {
  opts: ControllerOptions;
  coordinator: Coordinator;
  election: Election;
  supervisor: SupervisorPort;
  cluster: ClusterView;
  restarts: RestartTracker;
  drain: DrainTracker | null;
  eligibility: EligibilityPort | null;
  sync: SyncGate | null;
  watchdog: WatchdogPort | null;
  term: TermKeeper;
  recorder: Recorder;
  /** The loop's flags (read only here). */
  loop: Readonly<LoopState>;
  now: () => number;
  wallNow: () => number;
}

/** The loop's longest sleep between cycles without an event. */
const TICK_MS = 250;

/** How long the loop may sleep: until the next event, never past the moment the fence deadline could pass. */
export function nextWakeMs(o: Observed): number {
  if (o.jenkins.state !== 'stopped' && o.zk.msSinceHeard !== null) {
    const untilFence = o.fenceAfterMs - o.zk.msSinceHeard;
    return Math.max(1, Math.min(TICK_MS, Math.ceil(untilFence) + 1));
  }
  return TICK_MS;
}

export class Observer {
  constructor(private readonly o: ObserverOptions) {}

  /** Effective self-fencing delay for the negotiated session timeout. */
  fenceAfterMs(): number {
    const t = this.o.coordinator.session()?.timeoutMs ?? this.o.opts.requestedSessionTimeoutMs;
    return this.o.opts.fenceAfterFor(t);
  }

  observe(): Observed {
    const { coordinator: coord, cluster, loop, opts } = this.o;
    const now = this.o.now();
    const heard = coord.lastHeardAt();
    const es = this.o.election.status();
    const js = this.o.supervisor.status();
    const pause = cluster.pauseState();
    return {
      now,
      shuttingDown: loop.shuttingDown,
      zk: { state: coord.state, generation: coord.generation, msSinceHeard: heard === null ? null : now - heard },
      fenceAfterMs: this.fenceAfterMs(),
      election: { role: es.role, generation: es.generation, joined: es.role !== 'idle' },
      jenkins: { state: js.state, epoch: js.epoch, unhealthy: loop.unhealthy, fencing: loop.killingForFence, survivors: this.o.supervisor.survivors?.() ?? null },
      restarts: { recentFailures: this.o.restarts.recentFailures(now), nextAttemptAt: this.o.restarts.nextAttemptAt() },
      maxRestarts: opts.maxRestarts,
      resignedUntil: loop.resignedUntil,
      self: opts.nodeId,
      paused: pause.paused,
      // Judged on this node's monotonic clock from when it first saw the record (expiry.ts).
      pauseExpired: cluster.pauseExpired(),
      switchover: this.observeSwitchover(),
      scheduledSwitchover: this.observeScheduled(),
      settings: this.settingsVerdict(),
      handingOver: loop.handingOver,
      drain: this.o.drain?.observed() ?? null,
      drainTimeoutMs: this.drainTimeoutMs(),
      drainOnShutdown: opts.drainOnShutdown ?? false,
      pauseDrain: pause.drain === true,
      eligibility: this.observeEligibility(),
      priority: this.observePriority(),
      sync: this.observeSync(),
      ...this.o.term.observed(),
      homePolicy: {
        fencingSince: loop.fencingSince,
        stuckAfterMs: opts.fenceKillAfterMs + 2 * this.o.term.homeIoTimeoutMs(),
        fencingMethods: opts.fencing.methods.length > 0,
      },
    };
  }

  status(): StatusSnapshot {
    const snapshot = this.snapshot();
    return { ...snapshot, notes: statusNotes(snapshot) };
  }

  /** Milliseconds since the loop last completed a cycle (liveness of the controller itself). */
  msSinceLastCycle(): number {
    const at = this.o.loop.lastCycleAt;
    return at === 0 ? 0 : this.o.now() - at;
  }

  /** Longest drain before a planned stop; 0 without a drain tracker. */
  private drainTimeoutMs(): number {
    return this.o.drain ? (this.o.opts.drainTimeoutMs ?? 0) : 0;
  }

  private observeSync(): Observed['sync'] {
    const sync = this.o.sync;
    if (!sync) return null;
    const epoch = this.o.term.epoch();
    const gate = epoch !== null ? sync.gateFor(epoch) : { state: 'needed' as const, reason: 'no term' };
    return { ...gate, allowStale: sync.allowStale };
  }

  /** Ours from the config; the other members' from their election znodes (in line order). */
  private observePriority(): Observed['priority'] {
    const { opts, cluster } = this.o;
    const others = cluster
      .members()
      .filter((m) => m.id !== opts.nodeId)
      .map((m) => ({ id: m.id, priority: m.priority, noFailover: m.noFailover }));
    return { self: opts.priority ?? 0, noFailover: opts.noFailover ?? false, others };
  }

  /** The last answer; `pending` until the first (a leader holds its epoch: decide/eligibility.ts); null: no checks. */
  private observeEligibility(): Observed['eligibility'] {
    if (!this.o.eligibility) return null;
    const r = this.o.eligibility.result();
    return r ? { eligible: r.eligible, reason: r.reasons.join('; ') } : { pending: true };
  }

  private observeSwitchover(): Observed['switchover'] {
    const { cluster, opts } = this.o;
    const so = cluster.switchover();
    // A scheduled switchover is nobody's business until the leader starts it (observeScheduled).
    if (!so || so.state === 'scheduled') return null;
    const ageMs = cluster.switchoverAgeMs() ?? 0;
    return {
      id: so.id,
      from: so.from,
      candidate: so.candidate,
      state: so.state,
      ageMs,
      candidateIsMember: so.candidate !== null && cluster.members().some((m) => m.id === so.candidate),
      // A drain may take up to drainTimeoutMs on top of the switchover's own budget.
      expired: !(ageMs < opts.switchoverTimeoutMs + this.drainTimeoutMs()),
    };
  }

  /** This node's safety settings against the members that published theirs (null: not known). */
  settingsVerdict(): SettingsVerdict | null {
    const self = this.o.opts.safetySettings;
    if (!self) return null;
    const peers = this.o.cluster.members().flatMap((m) => (m.id !== this.o.opts.nodeId && m.settings ? [{ id: m.id, settings: m.settings }] : []));
    return settingsVerdict({ id: this.o.opts.nodeId, settings: self }, peers);
  }

  private observeScheduled(): Observed['scheduledSwitchover'] {
    const { cluster, opts } = this.o;
    const so = cluster.switchover();
    const dueInMs = cluster.switchoverDueInMs();
    if (!so || dueInMs === null) return null;
    const others = cluster.members().filter((m) => m.id !== opts.nodeId);
    const candidateReady = so.candidate === null ? others.length > 0 : others.some((m) => m.id === so.candidate);
    return { id: so.id, at: so.at ?? '', by: so.by ?? '', candidate: so.candidate, dueInMs, candidateReady };
  }

  private snapshot(): StatusSnapshot {
    const { coordinator: coord, cluster, opts, loop } = this.o;
    const es = this.o.election.status();
    const js = this.o.supervisor.status();
    const s = coord.session();
    const heard = coord.lastHeardAt();
    const now = this.o.now();
    const rec = this.o.recorder.view();
    const first = cluster.members()[0];
    return {
      cluster: opts.clusterName,
      node: { id: opts.nodeId, host: opts.host, role: rec.role, since: rec.roleSinceWall, sinceMs: Math.round(now - rec.roleSince), apiUrl: opts.apiUrl },
      leader: first ? { id: first.id, apiUrl: first.apiUrl } : null,
      members: cluster.members(),
      election: { role: es.role, znode: es.znode, sequence: es.sequence, predecessor: es.predecessor },
      jenkins: {
        state: js.state,
        pid: js.pid,
        ready: js.ready,
        url: opts.jenkinsUrl,
        epoch: js.epoch,
        version: js.version,
        restarts: this.o.restarts.total(),
        lastProbeError: js.lastProbeError,
        lastExit: js.lastExit ? { code: js.lastExit.code, signal: js.lastExit.signal, expected: js.lastExit.expected, reason: js.lastExit.reason } : null,
        serviceProof: js.serviceProof ?? null,
      },
      zookeeper: {
        state: coord.state,
        sessionId: s?.sessionId ?? null,
        sessionTimeoutMs: s?.timeoutMs ?? opts.requestedSessionTimeoutMs,
        msSinceHeard: heard === null ? null : Math.round(now - heard),
        fenceAfterMs: this.fenceAfterMs(),
        ...(coord.tlsStatus ? { tlsError: coord.tlsStatus() } : {}),
        ...(coord.saslStatus ? { saslError: coord.saslStatus() } : {}),
      },
      epoch: this.o.term.epoch(),
      clusterEpoch: cluster.clusterEpoch(),
      paused: cluster.pauseState(),
      switchover: cluster.switchover(),
      leaderChanges: rec.leaderChanges,
      decision: loop.lastReason,
      launchBlocked: rec.launchBlocked,
      loopLagMs: loop.lastCycleAt === 0 ? 0 : Math.max(0, Math.round(now - loop.lastCycleAt)),
      history: rec.history,
      drain: this.drainStatus(),
      eligibility: this.eligibilityStatus(),
      home: this.homeStatus(now),
      ...(this.o.sync ? { sync: this.o.sync.status() } : {}),
      ...(this.o.watchdog ? { watchdog: this.o.watchdog.status() } : {}),
      ...this.settingsStatus(),
    };
  }

  private settingsStatus(): Pick<StatusSnapshot, 'settings'> {
    const self = this.o.opts.safetySettings;
    const v = this.settingsVerdict();
    return self && v ? { settings: { self, drift: v.drift, refusal: v.violations } } : {};
  }

  private homeStatus(now: number): HomeStatus {
    const o = this.observe();
    const h = o.home ?? this.o.term.home();
    return {
      state: h.state,
      since: new Date(this.o.wallNow() - Math.max(0, now - h.since)).toISOString(),
      reason: h.reason,
      leaseLost: h.leaseLost,
      jenkinsStuck: homeAdviceFor(o).kind === 'stuck',
    };
  }

  private drainStatus(): StatusSnapshot['drain'] {
    const d = this.o.drain?.state();
    if (!d) return null;
    return { purpose: d.purpose, since: d.since, quietDown: d.quietDown, running: d.running, builds: d.builds, lastError: d.lastError };
  }

  private eligibilityStatus(): EligibilityStatus {
    const r = this.o.eligibility?.result();
    return r
      ? { eligible: r.eligible, reasons: [...r.reasons], checkedAt: r.checkedAt, versions: { ...r.versions } }
      : { eligible: true, reasons: [], checkedAt: null, versions: { local: null, leader: null } };
  }
}
