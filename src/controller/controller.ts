/**
 * The control loop: observe coordination, election and Jenkins; decide (pure); act. Each action is
 * short (ZooKeeper calls carry timeouts; stopping Jenkins is started, not awaited), so the loop
 * stays responsive and re-decides on every event. It owns the status snapshot and history that
 * the API reads, and renews the watchdog shim's lease from the time ZooKeeper last answered.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { CommandError, errorCode, errorMessage } from '../errors';
import type { Coordinator } from '../coordination/types';
import type { Election } from '../election/election';
import type { EpochStore } from '../fencing/epoch';
import { acquireHomeLock, releaseHomeLock } from '../fencing/home-lock';
import type { JenkinsStatus, JenkinsSupervisor } from '../jenkins/supervisor';
import { describeHolder } from '../fencing/storage-lease';
import { runFencingMethods } from '../fencer/run-methods';
import type { HostWatchdog } from '../fencing/watchdog';
import { probePort, type PortProbe } from '../jenkins/port-probe';
import type { Logger } from '../logging/logger';
import type { SyncGate } from '../sync/types';
import { Signal } from '../util/timers';
import { canProveLeadership, decide, isLeaderNow, type Decision, type Observed } from './decide';
import { FenceGate, type FenceGateOptions } from './fence-gate';
import { LaunchGuard } from './launch-guard';
import { LockKeeper } from './lock-keeper';
import { statusNotes } from './notes';
import { RestartTracker } from './restarts';
import { takeoverPhases } from './takeover-phases';
import type { DrainTracker } from './drain';
import type { EligibilityMonitor } from '../jenkins/eligibility';
import type { ClusterView } from './cluster-view';
import type { ControlCommands, ControllerEvent, DrainReport, EligibilityStatus, HistoryEntry, NodeRole, PauseState, StatusSnapshot, SwitchoverIntent } from './status';
import type { DrainEnd } from './decide';

export interface ControllerOptions {
  clusterName: string;
  nodeId: string;
  host: string;
  home: string;
  apiUrl: string;
  jenkinsUrl: string;
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

export interface ControllerDeps {
  coordinator: Coordinator;
  election: Election;
  supervisor: JenkinsSupervisor;
  epochs: EpochStore;
  cluster: ClusterView;
  logger: Logger;
  now: () => number;
  /** Drains Jenkins (quiet-down) before planned stops; without it planned stops do not drain. */
  drain?: DrainTracker;
  /** Checks whether this node could take over; without it the node always counts as eligible. */
  eligibility?: EligibilityMonitor;
  /** sync.mode git: the configuration gate and publisher; absent in shared mode. */
  sync?: SyncGate;
  /** Wall clock for the lock heartbeats (default Date.now). */
  wallNow?: () => number;
  /** Runs the fencing methods (default: src/fencer). */
  runFencing?: FenceGateOptions['run'];
  /** Probes the Jenkins port before a launch (default: a TCP connect). */
  probePort?: (url: string, timeoutMs: number) => Promise<PortProbe>;
  /** The host watchdog (fencing.watchdog): armed for a launch, kept alive with the shim's lease. */
  watchdog?: HostWatchdog;
}

const MAX_HISTORY = 100;
const TICK_MS = 250;
/** How soon a launch held back by a foreign listener or the flock is tried again. */
const GATE_RETRY_MS = 1000;

export class Controller implements ControlCommands {
  private readonly coord: Coordinator;
  private readonly election: Election;
  private readonly jenkins: JenkinsSupervisor;
  private readonly epochs: EpochStore;
  private readonly cluster: ClusterView;
  private readonly events = new EventEmitter();
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly restarts: RestartTracker;
  private readonly wake = new Signal();
  private readonly drain: DrainTracker | null;
  private readonly eligibility: EligibilityMonitor | null;
  private readonly sync: SyncGate | undefined;

  private term: { epoch: number; generation: number; breadcrumbVersion: number } | null = null;
  private shuttingDown = false;
  private finished = false;
  private resignedUntil: number | null = null;
  private blocked: Observed['blocked'] = null;
  private unhealthy: string | null = null;
  private fencing = false;
  private failNextExit = false;
  private lastReason = '';
  private lastReasonShape = '';
  private lastCycleAt = 0;
  private role: NodeRole = 'candidate';
  private roleSince: number;
  private readonly recent: HistoryEntry[] = [];
  private done: Promise<void> = Promise.resolve();
  private leaderChanges = 0;
  private handingOver = false;
  private roleSinceWall = new Date().toISOString();
  private electedAt: number | null = null;
  /** When the election woke us into the lead (predecessor watch), for the takeover phases. */
  private wokeAt: number | null = null;
  /** What the current term's election was: the first term of the cluster, or a takeover. */
  private termKind: 'initial' | 'planned' | 'unplanned' = 'initial';
  // Fencing layers 3-6 on the launch path (docs/safety.md).
  private readonly fenceGate: FenceGate;
  private readonly lockKeeper: LockKeeper;
  private readonly wallNow: () => number;
  private readonly guard: LaunchGuard;
  private splitBrain: string | null = null;
  private launchBlocked: StatusSnapshot['launchBlocked'] = null;
  /** The pending "released" mark of the lock after Jenkins exited; a launch waits for it. */
  private lockRelease: Promise<void> = Promise.resolve();
  private readonly watchdog: HostWatchdog | null;
  /** fencing.watchdog.mode required: arming failed; no launch before retryAt (decide() sees it). */
  private watchdogHold: { reason: string; retryAt: number } | null = null;

  constructor(
    private readonly opts: ControllerOptions,
    deps: ControllerDeps,
  ) {
    this.coord = deps.coordinator;
    this.election = deps.election;
    this.jenkins = deps.supervisor;
    this.epochs = deps.epochs;
    this.cluster = deps.cluster;
    this.log = deps.logger;
    this.now = deps.now;
    this.drain = deps.drain ?? null;
    this.eligibility = deps.eligibility ?? null;
    this.sync = deps.sync;
    this.watchdog = deps.watchdog ?? null;
    this.roleSince = this.now();
    this.restarts = new RestartTracker({
      backoffMs: opts.restartBackoffMs,
      backoffMaxMs: opts.restartBackoffMaxMs,
      windowMs: opts.restartWindowMs,
    });
    const kick = (): void => this.wake.notify();
    this.wallNow = deps.wallNow ?? Date.now;
    this.guard = new LaunchGuard({
      home: opts.home,
      jenkinsUrl: opts.jenkinsUrl,
      ...opts.lock,
      retryMs: GATE_RETRY_MS,
      now: this.now,
      wallNow: this.wallNow,
      logger: this.log,
      probePort: deps.probePort ?? probePort,
      record: (event, reason) => this.record(event, reason),
      alarm: (reason) => this.alarmSplitBrain(reason),
    });
    this.fenceGate = new FenceGate({
      ...opts.fencing,
      nodeId: opts.nodeId,
      cluster: opts.clusterName,
      home: opts.home,
      logger: this.log,
      now: this.now,
      run: deps.runFencing ?? runFencingMethods,
      onChange: kick,
      record: (event, reason) => this.record(event, reason),
    });
    this.lockKeeper = new LockKeeper({
      home: opts.home,
      heartbeatMs: opts.lock.heartbeatMs,
      wallNow: this.wallNow,
      idle: () => this.guard.watch(), // issue 13 item 3: a standby counts the holder's heartbeat unchanged
      logger: this.log,
      holder: () => {
        const term = this.term;
        if (!term || this.jenkins.status().state === 'stopped') return null;
        return this.lockIdentity(term.epoch);
      },
      onNewer: (holder) => {
        const term = this.term;
        if (!term || this.splitBrain) return;
        this.splitBrain = `the JENKINS_HOME lock names ${describeHolder(holder)}, newer than our epoch ${term.epoch}`;
        this.alarmSplitBrain(this.splitBrain);
        kick();
      },
    });
    this.coord.on('state', kick);
    this.coord.on('session', kick);
    this.coord.on('heard', () => {
      this.renewLease();
      kick();
    });
    this.election.on('change', kick);
    this.election.on('change', (st, prev) => {
      if (st.role !== 'leader' || prev.role === 'leader') return;
      const w = this.election.lastWakeAt();
      this.wokeAt = w !== null && w >= prev.since ? w : st.since;
    });
    this.cluster.on('change', kick);
    this.sync?.on('change', kick);
    this.jenkins.on('change', (js) => {
      if (js.ready && this.electedAt !== null) {
        const durationMs = Math.round(this.now() - this.electedAt);
        this.reportTakeoverPhases(this.electedAt, js);
        this.electedAt = null;
        // The cluster's first term is no failover; a takeover from an earlier term is.
        if (this.termKind !== 'initial') this.emitEvent({ type: 'failover', kind: this.termKind, durationMs });
        this.record('jenkins.ready', `Jenkins ready ${durationMs} ms after this node was elected`, durationMs);
      }
      kick();
    });
    this.jenkins.on('unhealthy', (reason) => {
      this.unhealthy = reason;
      kick();
    });
    this.drain?.on('change', kick);
    this.eligibility?.on('change', kick);
    this.jenkins.on('exit', (exit) => {
      // Jenkins is stopped (step-down, fence done, shutdown, crash): no host reset is needed now.
      this.watchdog?.disarm(`Jenkins stopped (${exit.reason})`);
      this.drain?.reset();
      this.fencing = false;
      this.unhealthy = null;
      this.splitBrain = null;
      this.markLockStopped();
      if (exit.refused) {
        // Fencing layer 5: the shim could not take the flock; nothing ran. Not a Jenkins failure.
        this.blocked = { until: this.now() + GATE_RETRY_MS, reason: exit.reason, gate: 'flock' };
        this.record('jenkins.refused', exit.reason);
        kick();
        return;
      }
      if (!exit.expected || this.failNextExit) {
        this.restarts.recordFailure(this.now());
        this.emitEvent({ type: 'jenkins_restart' });
      }
      this.failNextExit = false;
      this.record(exit.expected ? 'jenkins.stopped' : 'jenkins.crashed', exit.reason);
      kick();
    });
  }

  /** Connect, join the election and run the loop until shutdown completes. */
  start(): Promise<void> {
    this.coord.start();
    this.election.join();
    this.jenkins.arm();
    this.eligibility?.start();
    this.sync?.start((epoch) => this.term?.epoch === epoch && canProveLeadership(this.observe()));
    this.lockKeeper.start();
    this.done = this.loop();
    return this.done;
  }

  /** Graceful shutdown: stop Jenkins, release the lock, leave the election, close the session. */
  async shutdown(reason: string): Promise<void> {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      this.log.info(`shutting down: ${reason}`, { event: 'shutdown', reason });
      this.wake.notify();
    }
    await this.done;
  }

  /** Effective self-fencing delay for the negotiated session timeout. */
  fenceAfterMs(): number {
    const t = this.coord.session()?.timeoutMs ?? this.opts.requestedSessionTimeoutMs;
    return this.opts.fenceAfterFor(t);
  }

  observe(): Observed {
    const now = this.now();
    const heard = this.coord.lastHeardAt();
    const es = this.election.status();
    const js = this.jenkins.status();
    return {
      now,
      shuttingDown: this.shuttingDown,
      zk: { state: this.coord.state, generation: this.coord.generation, msSinceHeard: heard === null ? null : now - heard },
      fenceAfterMs: this.fenceAfterMs(),
      election: { role: es.role, generation: es.generation, joined: es.role !== 'idle' },
      term: this.term,
      jenkins: { state: js.state, epoch: js.epoch, unhealthy: this.unhealthy, fencing: this.fencing },
      restarts: { recentFailures: this.restarts.recentFailures(now), nextAttemptAt: this.restarts.nextAttemptAt() },
      maxRestarts: this.opts.maxRestarts,
      resignedUntil: this.resignedUntil,
      blocked: this.blocked,
      self: this.opts.nodeId,
      paused: this.cluster.pauseState().paused,
      pauseExpired: this.cluster.pauseExpired(), // issue 13 item 4: judged on this node's monotonic clock
      switchover: this.observeSwitchover(),
      handingOver: this.handingOver,
      drain: this.drain?.observed() ?? null,
      drainTimeoutMs: this.drain ? (this.opts.drainTimeoutMs ?? 0) : 0,
      drainOnShutdown: this.opts.drainOnShutdown ?? false,
      pauseDrain: this.cluster.pauseState().drain === true,
      eligibility: this.observeEligibility(),
      ...(this.sync ? { sync: this.observeSync(this.sync) } : {}),
      fence: this.fenceGate.observed(),
      storageLease: this.guard.storageLease(),
      splitBrain: this.splitBrain,
      watchdog: this.watchdogHold,
    };
  }

  private observeSync(sync: SyncGate): NonNullable<Observed['sync']> {
    const gate = this.term ? sync.gateFor(this.term.epoch) : { state: 'needed' as const, reason: 'no term' };
    return { ...gate, allowStale: sync.allowStale };
  }

  private observeEligibility(): Observed['eligibility'] {
    const r = this.eligibility?.result();
    return r ? { eligible: r.eligible, reason: r.reasons.join('; ') } : null;
  }

  private eligibilityStatus(): EligibilityStatus {
    const r = this.eligibility?.result();
    return r
      ? { eligible: r.eligible, reasons: [...r.reasons], checkedAt: r.checkedAt, versions: { ...r.versions } }
      : { eligible: true, reasons: [], checkedAt: null, versions: { local: null, leader: null } };
  }

  private observeSwitchover(): Observed['switchover'] {
    const so = this.cluster.switchover();
    if (!so) return null;
    const ageMs = this.cluster.switchoverAgeMs() ?? 0; // issue 13 item 4: since this node first saw it (monotonic)
    return {
      id: so.id,
      from: so.from,
      candidate: so.candidate,
      state: so.state,
      ageMs,
      candidateIsMember: so.candidate !== null && this.cluster.members().some((m) => m.id === so.candidate),
      // A drain may take up to drainTimeoutMs on top of the switchover's own budget.
      expired: !(ageMs < this.opts.switchoverTimeoutMs + (this.drain ? (this.opts.drainTimeoutMs ?? 0) : 0)),
    };
  }

  status(): StatusSnapshot {
    const snapshot = this.snapshot();
    return { ...snapshot, notes: statusNotes(snapshot) };
  }

  private snapshot(): StatusSnapshot {
    const es = this.election.status();
    const js = this.jenkins.status();
    const s = this.coord.session();
    const heard = this.coord.lastHeardAt();
    const now = this.now();
    return {
      cluster: this.opts.clusterName,
      node: {
        id: this.opts.nodeId,
        host: this.opts.host,
        role: this.role,
        since: this.roleSinceWall,
        sinceMs: Math.round(now - this.roleSince),
        apiUrl: this.opts.apiUrl,
      },
      leader: this.leaderView(),
      members: this.cluster.members(),
      election: { role: es.role, znode: es.znode, sequence: es.sequence, predecessor: es.predecessor },
      jenkins: {
        state: js.state,
        pid: js.pid,
        ready: js.ready,
        url: this.opts.jenkinsUrl,
        epoch: js.epoch,
        version: js.version,
        restarts: this.restarts.total(),
        lastProbeError: js.lastProbeError,
        lastExit: js.lastExit ? { code: js.lastExit.code, signal: js.lastExit.signal, expected: js.lastExit.expected, reason: js.lastExit.reason } : null,
      },
      zookeeper: {
        state: this.coord.state,
        sessionId: s?.sessionId ?? null,
        sessionTimeoutMs: s?.timeoutMs ?? this.opts.requestedSessionTimeoutMs,
        msSinceHeard: heard === null ? null : Math.round(now - heard),
        fenceAfterMs: this.fenceAfterMs(),
      },
      epoch: this.term?.epoch ?? null,
      paused: this.cluster.pauseState(),
      switchover: this.cluster.switchover(),
      leaderChanges: this.leaderChanges,
      decision: this.lastReason,
      launchBlocked: this.launchBlocked,
      loopLagMs: this.lastCycleAt === 0 ? 0 : Math.max(0, Math.round(now - this.lastCycleAt)),
      history: [...this.recent],
      drain: this.drainStatus(),
      eligibility: this.eligibilityStatus(),
      ...(this.sync ? { sync: this.sync.status() } : {}),
      ...(this.watchdog ? { watchdog: this.watchdog.status() } : {}),
    };
  }

  private drainStatus(): StatusSnapshot['drain'] {
    const d = this.drain?.state();
    if (!d) return null;
    return { purpose: d.purpose, since: d.since, quietDown: d.quietDown, running: d.running, builds: d.builds, lastError: d.lastError };
  }

  private leaderView(): StatusSnapshot['leader'] {
    const first = this.cluster.members()[0];
    return first ? { id: first.id, apiUrl: first.apiUrl } : null;
  }

  onEvent(listener: (e: ControllerEvent) => void): void {
    this.events.on('event', listener);
  }

  private emitEvent(e: ControllerEvent): void {
    this.events.emit('event', e);
  }

  // ---- commands (intents recorded in ZooKeeper; the loops act on them) -----------------------

  private requireConnected(): void {
    if (this.coord.state !== 'connected') {
      throw new CommandError('UNAVAILABLE', `this node is not connected to ZooKeeper (${this.coord.state}); try another node`);
    }
  }

  async requestSwitchover(req: { candidate?: string; reason?: string; by: string }): Promise<SwitchoverIntent> {
    this.requireConnected();
    if (this.cluster.pauseState().paused) throw new CommandError('CONFLICT', 'the cluster is paused; resume it before a switchover');
    const members = this.cluster.members();
    const leader = members[0];
    if (!leader) throw new CommandError('CONFLICT', 'there is no leader to switch over from');
    const standbys = members.slice(1);
    if (req.candidate !== undefined) {
      if (req.candidate === leader.id) throw new CommandError('CONFLICT', `candidate ${req.candidate} already leads`);
      if (!standbys.some((m) => m.id === req.candidate)) {
        throw new CommandError('CONFLICT', `candidate ${req.candidate} is not a standby of cluster ${this.opts.clusterName}`);
      }
    } else if (standbys.length === 0) {
      throw new CommandError('CONFLICT', 'there is no standby to take over');
    }
    const intent: SwitchoverIntent = {
      id: randomUUID(),
      candidate: req.candidate ?? null,
      from: leader.id,
      reason: req.reason ?? '',
      requestedAt: new Date().toISOString(),
      state: 'pending',
    };
    if (!(await this.cluster.createSwitchover(intent))) {
      throw new CommandError('CONFLICT', `a switchover is already in progress (${this.cluster.switchover()?.id ?? 'unknown'})`);
    }
    this.log.info(`switchover ${intent.id} requested by ${req.by}`, { event: 'switchover.requested', id: intent.id, candidate: intent.candidate, from: intent.from });
    this.record('switchover.requested', `${intent.from} -> ${intent.candidate ?? 'next in line'} by ${req.by}${intent.reason ? `: ${intent.reason}` : ''}`);
    return intent;
  }

  async cancelSwitchover(by: string): Promise<SwitchoverIntent> {
    this.requireConnected();
    const intent = this.cluster.switchover();
    const version = this.cluster.switchoverVersion();
    if (!intent || version === null) throw new CommandError('NOT_FOUND', 'there is no switchover to cancel');
    if (intent.state === 'running') throw new CommandError('CONFLICT', `switchover ${intent.id} has started; it cannot be cancelled`);
    if (!(await this.cluster.deleteSwitchover(version))) {
      throw new CommandError('CONFLICT', `switchover ${intent.id} changed meanwhile (it may have started)`);
    }
    this.record('switchover.cancelled', `${intent.id} by ${by}`);
    return intent;
  }

  async pause(req: { ttlSeconds?: number; reason?: string; drain?: boolean; by: string }): Promise<PauseState> {
    this.requireConnected();
    const since = new Date();
    const until = req.ttlSeconds !== undefined ? new Date(since.getTime() + req.ttlSeconds * 1000).toISOString() : null;
    await this.cluster.writePause({ by: req.by, reason: req.reason ?? '', since: since.toISOString(), until, ...(req.drain ? { drain: true } : {}) });
    this.record('paused', `by ${req.by}${req.drain ? ' (drain and stop Jenkins)' : ''}${until ? ` until ${until}` : ''}${req.reason ? `: ${req.reason}` : ''}`);
    return this.cluster.pauseState();
  }

  async resume(by: string): Promise<PauseState> {
    this.requireConnected();
    if (await this.cluster.clearPause()) this.record('resumed', `by ${by}`);
    return this.cluster.pauseState();
  }

  async history(limit: number): Promise<HistoryEntry[]> {
    this.requireConnected();
    return this.cluster.readHistory(limit);
  }

  /** Milliseconds since the loop last completed a cycle (liveness of the controller itself). */
  msSinceLastCycle(): number {
    return this.lastCycleAt === 0 ? 0 : this.now() - this.lastCycleAt;
  }

  private async loop(): Promise<void> {
    while (!this.finished) {
      const obs = this.observe();
      const d = decide(obs);
      this.updateRole(obs);
      // Log a decision when its sentence changes, ignoring the numbers that tick in it.
      const shape = d.reason.replace(/\d+/g, '#');
      if (shape !== this.lastReasonShape) {
        this.log[d.action.kind === 'none' ? 'debug' : 'info'](d.reason, { event: 'decision', action: d.action.kind });
        this.lastReasonShape = shape;
      }
      this.lastReason = d.reason;
      this.noteGate(d);
      try {
        await this.act(d, obs);
      } catch (err) {
        this.log.warn(`action ${d.action.kind} failed: ${errorMessage(err)}`, { event: 'action.failed', action: d.action.kind, code: errorCode(err) });
        await this.wake.wait(100);
      }
      this.lastCycleAt = this.now();
      if (d.action.kind === 'none' && !this.finished) await this.wake.wait(this.nextWakeMs(obs));
    }
  }

  /** Sleep until the next event, but never past the moment the fence deadline could pass. */
  private nextWakeMs(o: Observed): number {
    if (o.jenkins.state !== 'stopped' && o.zk.msSinceHeard !== null) {
      const untilFence = o.fenceAfterMs - o.zk.msSinceHeard;
      return Math.max(1, Math.min(TICK_MS, Math.ceil(untilFence) + 1));
    }
    return TICK_MS;
  }

  private async act(d: Decision, o: Observed): Promise<void> {
    const a = d.action;
    switch (a.kind) {
      case 'none':
        return;
      case 'stop-jenkins': {
        const grace = a.mode === 'fence' ? this.opts.fenceKillAfterMs : this.opts.stopTimeoutMs;
        if (a.mode === 'fence') {
          this.fencing = true;
          this.log.warn(d.reason, { event: 'fenced', graceMs: grace });
          this.emitEvent({ type: 'fenced' });
          this.record('fenced', d.reason);
        }
        if (a.countAsFailure) this.failNextExit = true;
        this.unhealthy = null;
        if (a.drain) this.reportDrain(a.drain);
        else if (a.mode === 'fence') this.drain?.reset();
        void this.jenkins.stop(grace, d.reason);
        return;
      }
      case 'start-drain': {
        if (!this.drain) return;
        let switchoverId: string | null = null;
        if (a.purpose === 'switchover') {
          const intent = this.cluster.switchover();
          const version = this.cluster.switchoverVersion();
          if (!intent || version === null) return;
          if (intent.state === 'pending' && !(await this.cluster.setSwitchoverState({ ...intent, state: 'draining' }, version))) return;
          switchoverId = intent.id;
        }
        this.drain.start(a.purpose, switchoverId);
        this.log.info(d.reason, { event: 'drain.started', purpose: a.purpose, timeoutMs: this.opts.drainTimeoutMs ?? 0 });
        this.record('drain.started', d.reason);
        return;
      }
      case 'cancel-drain': {
        const st = this.drain?.state();
        try {
          await this.drain?.cancel();
          this.log.info(d.reason, { event: 'drain.cancelled', purpose: st?.purpose });
        } catch (err) {
          this.log.warn(`${d.reason}; but cancelQuietDown failed: ${errorMessage(err)}`, { event: 'drain.cancel_failed', code: errorCode(err) });
        }
        this.record('drain.cancelled', d.reason);
        return;
      }
      case 'leave-ineligible': {
        await this.leaveCleanly('not eligible to run Jenkins', this.term);
        this.log.warn(d.reason, { event: 'eligibility.left_election' });
        this.record('eligibility.left', d.reason);
        return;
      }
      case 'acquire': {
        const generation = o.zk.generation;
        const taken = await this.epochs.take({ nodeId: this.opts.nodeId, host: this.opts.host, pid: process.pid });
        if (this.coord.generation !== generation || !isLeaderNow(this.observe())) {
          this.log.warn('leadership changed while taking the epoch; discarding it', { event: 'acquire.discarded', epoch: taken.epoch });
          return;
        }
        this.term = { epoch: taken.epoch, generation, breadcrumbVersion: taken.breadcrumbVersion };
        this.leaderChanges += 1;
        this.electedAt = this.now();
        this.termKind = taken.epoch <= 1 ? 'initial' : this.cluster.switchover()?.state === 'running' ? 'planned' : 'unplanned';
        this.emitEvent({ type: 'leader_change' });
        this.log.info(`took fencing epoch ${taken.epoch}`, {
          event: 'epoch.taken',
          epoch: taken.epoch,
          previousActive: taken.previous ? `${taken.previous.nodeId}@${taken.previous.host} (epoch ${taken.previous.epoch})` : null,
          previousExitedCleanly: taken.previous === null && !taken.previousMalformed,
        });
        this.record('elected', `epoch ${taken.epoch}`);
        this.guard.reset();
        this.watchdogHold = null;
        this.fenceGate.beginTerm(taken.epoch, taken.previous, taken.previousMalformed);
        return;
      }
      case 'fence-previous':
        this.fenceGate.start();
        return;
      case 'launch': {
        const term = this.term;
        if (!term) return;
        await this.lockRelease; // never let a late "released" land on the lock of a new launch
        const pre = await this.guard.check(term.epoch);
        if (!pre.ok) {
          if (pre.blocked) this.blocked = pre.blocked;
          return;
        }
        if (this.term !== term) return;
        try {
          const before = await acquireHomeLock(this.opts.home, { ...this.lockIdentity(term.epoch), state: 'held', heartbeatAt: this.wallNow() });
          if (before.kind === 'malformed') this.log.warn('replaced a malformed JENKINS_HOME lock file', { event: 'lock.malformed' });
        } catch (err) {
          if (errorCode(err) === 'LOCK_HIGHER_EPOCH' || errorCode(err) === 'LOCK_IO') {
            this.blocked = { until: this.now() + 5000, reason: errorMessage(err), gate: 'lock' };
            this.log.error(errorMessage(err), { event: 'lock.refused', epoch: term.epoch });
            return;
          }
          throw err;
        }
        this.blocked = null;
        // Re-observe: the lock write took time; launch only if leadership is still provable.
        const now = this.observe();
        if (!canProveLeadership(now) || this.term !== term) return;
        // The host watchdog is armed last, right before the spawn: from now on only lease
        // renewals keep the host alive.
        if (!this.armWatchdog()) {
          this.markLockStopped(); // no Jenkins of ours: a successor need not wait for our lease
          return;
        }
        const leaseMs = now.fenceAfterMs - (now.zk.msSinceHeard ?? now.fenceAfterMs);
        try {
          this.jenkins.launch({ epoch: term.epoch, leaseMs });
        } catch (err) {
          this.watchdog?.disarm(`the launch failed: ${errorMessage(err)}`);
          throw err;
        }
        return;
      }
      case 'resign': {
        this.resignedUntil = this.now() + this.opts.resignCooldownMs;
        this.restarts.reset();
        await this.leaveCleanly('resigned: Jenkins keeps failing', this.term);
        this.log.warn(d.reason, { event: 'resigned', cooldownMs: this.opts.resignCooldownMs });
        this.record('resigned', d.reason);
        return;
      }
      case 'rejoin':
        this.resignedUntil = null;
        this.election.join();
        return;
      case 'hand-over': {
        const version = this.cluster.switchoverVersion();
        const intent = this.cluster.switchover();
        const report = a.drain ? this.drainReport(a.drain) : undefined;
        if (!intent || version === null || !(await this.cluster.markSwitchoverRunning(intent, version, report))) return;
        if (a.drain) this.reportDrain(a.drain);
        this.handingOver = true;
        this.log.info(d.reason, { event: 'switchover.started', id: intent.id });
        this.record('switchover.started', d.reason);
        void this.jenkins.stop(this.opts.stopTimeoutMs, d.reason);
        return;
      }
      case 'leave-and-rejoin': {
        this.handingOver = false;
        await this.leaveCleanly(a.why === 'switchover' ? 'switchover: handing over' : 'switchover: stepping aside', this.term);
        this.record(a.why === 'switchover' ? 'switchover.left' : 'switchover.stepped_aside', d.reason);
        this.election.join();
        return;
      }
      case 'complete-switchover': {
        const intent = this.cluster.switchover();
        if (intent && (await this.cluster.deleteSwitchover(-1))) {
          this.log.info(d.reason, { event: 'switchover.completed', id: intent.id });
          this.record('switchover.completed', d.reason);
        }
        return;
      }
      case 'expire-switchover': {
        const version = this.cluster.switchoverVersion();
        if (version !== null && (await this.cluster.deleteSwitchover(version))) {
          this.log.warn(d.reason, { event: 'switchover.abandoned' });
          this.record('switchover.abandoned', d.reason);
        }
        return;
      }
      case 'expire-pause':
        if (await this.cluster.clearPause()) this.record('resumed', 'pause expired');
        return;
      case 'sync-restore': {
        if (!this.term || !this.sync) return;
        if (a.stale) {
          this.log.error(d.reason, { event: 'sync.blocked', epoch: this.term.epoch, allowStale: true });
          this.record('sync.stale_accepted', d.reason);
        }
        this.sync.restore(this.term.epoch, a.stale);
        return;
      }
      case 'sync-yield': {
        this.resignedUntil = this.now() + this.opts.resignCooldownMs;
        this.log.error(d.reason, { event: 'sync.blocked', epoch: this.term?.epoch, cooldownMs: this.opts.resignCooldownMs });
        this.record('sync.blocked', d.reason);
        await this.leaveCleanly('sync: the recorded configuration cannot be restored here', this.term);
        return;
      }
      case 'drop-term':
        this.log.info(d.reason, { event: 'term.ended', epoch: this.term?.epoch });
        this.record('demoted', d.reason);
        this.term = null;
        this.fenceGate.endTerm();
        this.guard.reset();
        return;
      case 'finish-shutdown': {
        this.jenkins.disarm();
        this.watchdog?.disarm('shutdown');
        this.eligibility?.stop();
        this.lockKeeper.stop();
        this.fenceGate.endTerm();
        await this.leaveCleanly('shutdown', this.term).catch((err: unknown) =>
          this.log.warn(`could not leave cleanly: ${errorMessage(err)}`, { event: 'shutdown.leave_failed' }),
        );
        await this.sync?.close();
        await this.coord.close();
        this.finished = true;
        this.log.info('controller stopped', { event: 'stopped' });
        return;
      }
    }
  }

  /**
   * A clean exit of a term: mark the lock released (before anyone else can take it), then delete
   * our breadcrumb and our election znode in one transaction, so the next contender's watch fires
   * at once and it knows no fencing is needed.
   */
  private async leaveCleanly(reason: string, term: { epoch: number; generation: number; breadcrumbVersion: number } | null): Promise<void> {
    this.term = null;
    // git mode: commit, push and record the last configuration before the term is released.
    if (term && this.sync) await this.sync.publishFinal(term.epoch);
    this.fenceGate.endTerm();
    this.guard.reset();
    if (term) {
      await releaseHomeLock(this.opts.home, term.epoch, this.opts.nodeId).catch((err: unknown) =>
        this.log.warn(`could not release the JENKINS_HOME lock: ${errorMessage(err)}`, { event: 'lock.release_failed' }),
      );
    }
    const ops = term && term.generation === this.coord.generation ? this.epochs.releaseOps(term) : [];
    await this.election.leave(reason, ops);
  }

  /** What a drain ended with (the builds from its last poll). */
  private drainReport(end: DrainEnd): DrainReport | undefined {
    const st = this.drain?.state();
    if (!st) return undefined;
    return { result: end, durationMs: Math.round(this.now() - st.startedAt), runningBuilds: end === 'timeout' ? st.builds : [] };
  }

  /** Log and record how the drain ended, then stop following it (Jenkins is being stopped). */
  private reportDrain(end: DrainEnd): void {
    const r = this.drainReport(end);
    const st = this.drain?.finish();
    if (!r || !st) return;
    const names = r.runningBuilds.map((b) => b.name).join(', ');
    const reason =
      end === 'finished'
        ? `${st.purpose}: no build running after ${r.durationMs} ms; stopping Jenkins`
        : `${st.purpose}: drain timed out after ${r.durationMs} ms; stopping Jenkins with ${st.running ?? 'an unknown number of'} build(s) still running${names ? `: ${names}` : ''}`;
    const fields = { purpose: st.purpose, durationMs: r.durationMs, runningBuilds: r.runningBuilds };
    if (end === 'finished') this.log.info(reason, { event: 'drain.finished', ...fields });
    else this.log.warn(reason, { event: 'drain.timeout', ...fields });
    this.record(end === 'finished' ? 'drain.finished' : 'drain.timeout', reason, r.durationMs);
  }

  private lockIdentity(epoch: number): { epoch: number; nodeId: string; host: string; pid: number; cluster: string; time: string } {
    return { epoch, nodeId: this.opts.nodeId, host: this.opts.host, pid: process.pid, cluster: this.opts.clusterName, time: new Date().toISOString() };
  }

  private alarmSplitBrain(reason: string): void {
    this.log.error(`split brain detected: ${reason}`, { event: 'split_brain_detected', epoch: this.term?.epoch ?? null });
    this.emitEvent({ type: 'split_brain' });
    this.record('split_brain_detected', reason);
  }

  /** Our Jenkins is gone: mark our lock released so a successor need not wait for the lease. */
  private markLockStopped(): void {
    const term = this.term;
    if (!term) return;
    this.lockRelease = releaseHomeLock(this.opts.home, term.epoch, this.opts.nodeId).then(
      () => undefined,
      (err: unknown) => this.log.warn(`could not mark the JENKINS_HOME lock released: ${errorMessage(err)}`, { event: 'lock.release_failed' }),
    );
  }

  /** Why a leader holds Jenkins back, for /status (changes only; the decision log says it too). */
  private noteGate(d: Decision): void {
    if (!d.gate) {
      // A launch or a fencing round is the step that may clear a gate or meet it again: keep
      // reporting the gate through it; anything else means no gate holds Jenkins back.
      if (d.action.kind !== 'launch' && d.action.kind !== 'fence-previous') this.launchBlocked = null;
      return;
    }
    if (this.launchBlocked?.gate === d.gate) {
      this.launchBlocked = { ...this.launchBlocked, reason: d.reason };
      return;
    }
    this.launchBlocked = { gate: d.gate, reason: d.reason, since: new Date().toISOString() };
  }

  private renewLease(): void {
    const js = this.jenkins.status();
    if (js.state === 'stopped' || this.fencing) return;
    const o = this.observe();
    if (!canProveLeadership(o)) return;
    this.jenkins.renewLease(o.fenceAfterMs - (o.zk.msSinceHeard ?? o.fenceAfterMs));
    // The host watchdog is kept alive at exactly these moments, never from a timer of its own.
    this.watchdog?.keepalive();
  }

  /**
   * Arm the host watchdog for a launch (against the negotiated session timeout). False when
   * fencing.watchdog.mode is required and it cannot be armed: the launch is held back (gate
   * `watchdog`) and tried again after GATE_RETRY_MS. automatic mode launches without it.
   */
  private armWatchdog(): boolean {
    const wd = this.watchdog;
    if (!wd) return true;
    const r = wd.arm(this.coord.session()?.timeoutMs ?? this.opts.requestedSessionTimeoutMs);
    if (r.ok) {
      if (this.watchdogHold) this.log.info('host watchdog armed after all; starting Jenkins', { event: 'watchdog.gate_cleared' });
      this.watchdogHold = null;
      return true;
    }
    if (wd.mode !== 'required') return true;
    if (this.watchdogHold?.reason !== r.reason) this.record('watchdog.unavailable', r.reason);
    this.watchdogHold = { reason: r.reason, retryAt: this.now() + GATE_RETRY_MS };
    return false;
  }

  /** Where this takeover's time went (election woke us -> epoch -> spawned -> ready): log + event. */
  private reportTakeoverPhases(epochAt: number, js: JenkinsStatus): void {
    const wokeAt = this.wokeAt !== null && this.wokeAt <= epochAt ? this.wokeAt : epochAt;
    this.wokeAt = null;
    const spawnedAt = js.startedAt ?? epochAt;
    const readyAt = js.readyAt ?? this.now();
    const p = takeoverPhases({ wokeAt, epochAt, spawnedAt, readyAt });
    this.log.info(`takeover phases: decision ${p.decisionMs} ms, launch ${p.launchMs} ms, readiness ${p.readinessMs} ms`, {
      event: 'takeover.phases',
      kind: this.termKind,
      wokeAt,
      epochAt,
      spawnedAt,
      readyAt,
      ...p,
    });
    if (this.termKind !== 'initial') this.emitEvent({ type: 'takeover_phases', kind: this.termKind, ...p });
  }

  private updateRole(o: Observed): void {
    let role: NodeRole;
    const outIneligible = !o.election.joined && o.eligibility !== null && !o.eligibility.eligible;
    if (this.shuttingDown || o.resignedUntil !== null || outIneligible) role = 'stopped';
    else if (isLeaderNow(o) && canProveLeadership(o)) role = 'leader';
    else if (o.zk.state !== 'connected' || (o.zk.msSinceHeard !== null && o.zk.msSinceHeard >= o.fenceAfterMs)) role = 'neutral';
    else if (o.election.role === 'candidate') role = 'standby';
    else role = 'candidate';
    if (role === this.role) return;
    this.log.info(`role ${this.role} -> ${role}`, { event: 'role', from: this.role, to: role });
    this.role = role;
    this.roleSince = this.now();
    this.roleSinceWall = new Date().toISOString();
    this.emitEvent({ type: 'role', role });
  }

  private record(event: string, reason: string, durationMs?: number): void {
    const entry: HistoryEntry = {
      at: new Date().toISOString(),
      event,
      node: this.opts.nodeId,
      reason,
      epoch: this.term?.epoch ?? null,
      ...(durationMs !== undefined ? { durationMs } : {}),
    };
    this.recent.push(entry);
    if (this.recent.length > MAX_HISTORY) this.recent.shift();
    // Cluster-wide history in ZooKeeper: best effort, never on the decision path.
    if (this.coord.state === 'connected') {
      void this.cluster.appendHistory(entry).catch((err: unknown) =>
        this.log.debug(`could not append to the cluster history: ${errorMessage(err)}`, { event: 'history.append_failed' }),
      );
    }
  }

}
