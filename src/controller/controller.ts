/**
 * The control loop: observe coordination, election and Jenkins; decide (pure, ./decide/); act.
 * Each action is short (ZooKeeper calls carry timeouts; stopping Jenkins is started, not
 * awaited), so the loop stays responsive and re-decides on every event. The work is done in
 * rooms beside it: the term (./term.ts), what it sees (./observe.ts), what it tells
 * (./recorder.ts) and the operator's intents (./commands.ts); `act` is a table with one handler
 * per action kind.
 */
import { errorCode, errorMessage } from '../errors';
import type { Coordinator } from '../coordination/types';
import type { Election } from '../election/election';
import type { JenkinsExit } from '../jenkins/supervisor';
import type { Logger } from '../logging/logger';
import type { SyncGate } from '../sync/types';
import { Signal } from '../util/timers';
import { gateActs, type ActionHandlers } from './acts';
import type { ClusterView } from './cluster-view';
import { bindStore, FenceConfirmStore } from './fence-confirm';
import { operatorActs } from './operator-acts';
import { Commands } from './commands';
import { canProveLeadership, decide, nodeRole, type Action, type Decision, type Observed } from './decide';
import type { DrainTracker } from './drain';
import { initialLoopState, type LoopState } from './loop-state';
import { nextWakeMs, Observer } from './observe';
import type { ControllerDeps, ControllerOptions, EligibilityPort, SupervisorPort } from './options';
import { Recorder } from './recorder';
import { RestartTracker } from './restarts';
import { scheduledSwitchoverAction } from './scheduled-switchover';
import { settingsStepAsideAction, watchSettings } from './settings-drift';
import { finishShutdownAction } from './shutdown-act';
import { switchoverActs } from './switchover-acts';
import type { ControlCommands, ControllerEvent, FenceConfirmation, HistoryEntry, PauseState, StatusSnapshot, SwitchoverIntent } from './status';
import { TermKeeper } from './term';
import { JOIN_FIRST_MS, joinedOrAfter } from './join-first';

export type { ControllerDeps, ControllerOptions, EligibilityPort, SupervisorPort, WatchdogPort } from './options';

/** How soon a launch held back by a foreign listener, the flock or the watchdog is tried again. */
const GATE_RETRY_MS = 1000;

export class Controller implements ControlCommands {
  private readonly coord: Coordinator;
  private readonly election: Election;
  private readonly jenkins: SupervisorPort;
  private readonly cluster: ClusterView;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly drain: DrainTracker | null;
  private readonly eligibility: EligibilityPort | null;
  private readonly sync: SyncGate | null;
  private readonly wake = new Signal();
  private readonly restarts: RestartTracker;
  private readonly recorder: Recorder;
  private readonly term: TermKeeper;
  private readonly observer: Observer;
  private readonly commands: Commands;
  private readonly state: LoopState = initialLoopState();
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly opts: ControllerOptions,
    deps: ControllerDeps,
  ) {
    this.coord = deps.coordinator;
    this.election = deps.election;
    this.jenkins = deps.supervisor;
    this.cluster = deps.cluster;
    this.log = deps.logger;
    this.now = deps.now;
    this.drain = deps.drain ?? null;
    this.eligibility = deps.eligibility ?? null;
    this.sync = deps.sync ?? null;
    const wallNow = deps.wallNow ?? Date.now;
    const watchdog = deps.watchdog ?? null;
    const kick = (): void => this.wake.notify();
    const fence = new FenceConfirmStore({ coordinator: this.coord, basePath: this.cluster.basePath, logger: this.log, onChange: kick });
    this.restarts = new RestartTracker({ backoffMs: opts.restartBackoffMs, backoffMaxMs: opts.restartBackoffMaxMs, windowMs: opts.restartWindowMs });
    this.recorder = new Recorder({
      nodeId: opts.nodeId,
      logger: this.log,
      now: this.now,
      wallNow,
      cluster: this.cluster,
      connected: () => this.coord.state === 'connected',
      epoch: () => this.term.epoch(),
      drain: this.drain,
      onUnsent: kick,
    });
    this.term = new TermKeeper({
      opts,
      coordinator: this.coord,
      election: this.election,
      supervisor: this.jenkins,
      epochs: deps.epochs,
      cluster: this.cluster,
      sync: this.sync,
      watchdog,
      logger: this.log,
      now: this.now,
      wallNow,
      recorder: this.recorder,
      ...(deps.homeIo ? { homeIo: deps.homeIo } : {}),
      ...(deps.runFencing ? { runFencing: deps.runFencing } : {}),
      fenceConfirmations: { ...bindStore(fence), isMember: (id) => this.cluster.members().some((m) => m.id === id) },
      ...(deps.probePort ? { probePort: deps.probePort } : {}),
      retryMs: GATE_RETRY_MS,
      observe: () => this.observer.observe(),
      kick,
    });
    this.observer = new Observer({
      opts,
      coordinator: this.coord,
      election: this.election,
      supervisor: this.jenkins,
      cluster: this.cluster,
      restarts: this.restarts,
      drain: this.drain,
      eligibility: this.eligibility,
      sync: this.sync,
      watchdog,
      term: this.term,
      recorder: this.recorder,
      loop: this.state,
      now: this.now,
      wallNow,
    });
    this.commands = new Commands({
      clusterName: opts.clusterName,
      zkState: () => this.coord.state,
      cluster: this.cluster,
      logger: this.log,
      wallNow,
      record: (event, reason) => this.recorder.record(event, reason),
      fence,
    });
    this.coord.on('state', kick);
    this.coord.on('session', kick);
    this.coord.on('heard', () => {
      if (!this.state.killingForFence) this.term.renewLease();
      kick();
    });
    this.election.on('change', kick);
    this.election.on('woken', () => {
      if (!this.state.shuttingDown) this.term.prefetchEpoch();
    });
    this.election.on('change', (st, prev) => {
      if (st.role !== 'leader' || prev.role === 'leader') return;
      const w = this.election.lastWakeAt();
      this.recorder.wokeIntoLead(w !== null && w >= prev.since ? w : st.since);
    });
    if (this.election.isLeader()) this.recorder.wokeIntoLead(this.election.status().since); // led before we were built (joins first)
    this.cluster.on('change', kick);
    watchSettings({ cluster: this.cluster, verdict: () => this.observer.settingsVerdict(), log: this.log, record: (e, r) => this.recorder.record(e, r),
      leaving: () => this.state.shuttingDown });
    this.sync?.on('change', kick);
    this.jenkins.on('change', (js) => {
      this.recorder.jenkinsChanged(js);
      kick();
    });
    this.jenkins.on('unhealthy', (reason) => {
      this.state.unhealthy = reason;
      kick();
    });
    this.drain?.on('change', kick);
    this.eligibility?.on('change', kick);
    this.jenkins.on('exit', (exit) => {
      this.jenkinsExited(exit);
      kick();
    });
  }

  /**
   * Connect, join and run the loop until shutdown completes. The rest (shim, eligibility, term, loop)
   * starts once the election placed us or after JOIN_FIRST_MS: it cannot act before (join-first.ts).
   */
  start(): Promise<void> {
    this.coord.start();
    this.election.join();
    this.done = joinedOrAfter(this.election, JOIN_FIRST_MS).then(() => {
      this.jenkins.arm();
      this.eligibility?.start();
      this.sync?.start((epoch) => this.term.epoch() === epoch && canProveLeadership(this.observer.observe()));
      this.term.start();
      return this.loop();
    });
    return this.done;
  }

  /** Graceful shutdown: stop Jenkins, release the lock, leave the election, close the session. */
  async shutdown(reason: string): Promise<void> {
    if (!this.state.shuttingDown) {
      this.state.shuttingDown = true;
      this.log.info(`shutting down: ${reason}`, { event: 'shutdown', reason });
      this.wake.notify();
    }
    await this.done;
  }

  status(): StatusSnapshot {
    return this.observer.status();
  }

  /** Milliseconds since the loop last completed a cycle (liveness of the controller itself). */
  msSinceLastCycle(): number {
    return this.observer.msSinceLastCycle();
  }

  onEvent(listener: (e: ControllerEvent) => void): void {
    this.recorder.onEvent(listener);
  }

  // ---- commands (intents recorded in ZooKeeper; the loop acts on them) ------------------------

  requestSwitchover(req: { candidate?: string; reason?: string; by: string }): Promise<SwitchoverIntent> {
    return this.commands.requestSwitchover(req);
  }
  cancelSwitchover(by: string): Promise<SwitchoverIntent> {
    return this.commands.cancelSwitchover(by);
  }
  pause(req: { ttlSeconds?: number; reason?: string; drain?: boolean; by: string }): Promise<PauseState> {
    return this.commands.pause(req);
  }
  resume(by: string): Promise<PauseState> {
    return this.commands.resume(by);
  }
  history(limit: number): Promise<HistoryEntry[]> {
    return this.commands.history(limit);
  }
  confirmFenced(req: { node: string; reason: string; by: string }): Promise<FenceConfirmation> {
    return this.commands.confirmFenced(req);
  }

  private async loop(): Promise<void> {
    const st = this.state;
    while (!st.finished) {
      const obs = this.observer.observe();
      const d = decide(obs);
      this.recorder.updateRole(nodeRole(obs));
      // Log a decision when its sentence changes, ignoring the numbers that tick in it.
      const shape = d.reason.replace(/\d+/g, '#');
      if (shape !== st.lastReasonShape) {
        this.log[d.action.kind === 'none' ? 'debug' : 'info'](d.reason, { event: 'decision', action: d.action.kind });
        st.lastReasonShape = shape;
      }
      st.lastReason = d.reason;
      this.recorder.noteGate(d);
      try {
        await this.act(d, obs);
      } catch (err) {
        this.log.warn(`action ${d.action.kind} failed: ${errorMessage(err)}`, { event: 'action.failed', action: d.action.kind, code: errorCode(err) });
        await this.wake.wait(100);
      }
      st.lastCycleAt = this.now();
      if (d.action.kind === 'none' && !st.finished) {
        // Nothing to do: now the history recorded on the way goes to ZooKeeper (off the handover path).
        void this.recorder.flushHistory();
        await this.wake.wait(nextWakeMs(obs));
      }
    }
  }

  /** What the handlers beside the loop (./acts.ts) may touch. */
  private parts(): { state: LoopState; now: () => number; log: Logger; recorder: Recorder; term: TermKeeper } {
    return { state: this.state, now: this.now, log: this.log, recorder: this.recorder, term: this.term };
  }

  private act(d: Decision, o: Observed): Promise<void> | void {
    const handler = this.handlers[d.action.kind] as (a: Action, d: Decision, o: Observed) => Promise<void> | void;
    return handler(d.action, d, o);
  }

  /** Jenkins exited (step-down, fence done, shutdown, crash, or the shim refused to start it). */
  private jenkinsExited(exit: JenkinsExit): void {
    this.drain?.reset();
    this.state.killingForFence = false;
    this.state.fencingSince = null;
    this.state.unhealthy = null;
    this.term.jenkinsExited(exit);
    if (exit.refused) {
      this.recorder.record('jenkins.refused', exit.reason);
      return;
    }
    if (!exit.expected || this.state.failNextExit) {
      this.restarts.recordFailure(this.now());
      this.recorder.emit({ type: 'jenkins_restart' });
    }
    this.state.failNextExit = false;
    this.recorder.record(exit.expected ? 'jenkins.stopped' : 'jenkins.crashed', exit.reason);
  }

  private readonly handlers: ActionHandlers = {
    ...gateActs(() => ({ ...this.parts(), restarts: this.restarts, sync: this.sync, resignCooldownMs: this.opts.resignCooldownMs })),
    ...operatorActs(() => ({ ...this.parts(), election: this.election })),
    ...switchoverActs(() => ({ ...this.parts(), election: this.election, cluster: this.cluster, jenkins: this.jenkins, drain: this.drain,
      stopTimeoutMs: this.opts.stopTimeoutMs, drainTimeoutMs: this.opts.drainTimeoutMs })),
    none: () => undefined,
    'stop-jenkins': (a, d) => {
      const grace = a.killNow ? 0 : a.mode === 'fence' ? this.opts.fenceKillAfterMs : this.opts.stopTimeoutMs;
      if (a.mode === 'fence') {
        this.state.killingForFence = true;
        this.state.fencingSince = this.now();
        this.log.warn(d.reason, { event: 'fenced', graceMs: grace });
        this.recorder.emit({ type: 'fenced' });
        this.recorder.record('fenced', d.reason);
      }
      if (a.countAsFailure) this.state.failNextExit = true;
      this.state.unhealthy = null;
      if (a.drain) this.recorder.reportDrain(a.drain);
      else if (a.mode === 'fence') this.drain?.reset();
      void this.jenkins.stop(grace, d.reason);
    },
    'leave-ineligible': async (_a, d) => {
      await this.term.leaveCleanly('not eligible to run Jenkins');
      this.log.warn(d.reason, { event: 'eligibility.left_election' });
      this.recorder.record('eligibility.left', d.reason);
    },
    acquire: (_a, _d, o) => this.term.acquire(o.zk.generation),
    'fence-previous': () => this.term.fencePrevious(),
    launch: () => this.term.launch(),
    resign: async (_a, d) => {
      this.state.resignedUntil = this.now() + this.opts.resignCooldownMs;
      this.restarts.reset();
      await this.term.leaveCleanly('resigned: Jenkins keeps failing');
      this.log.warn(d.reason, { event: 'resigned', cooldownMs: this.opts.resignCooldownMs });
      this.recorder.record('resigned', d.reason);
    },
    rejoin: () => {
      this.state.resignedUntil = null;
      this.election.join();
    },
    'scheduled-switchover': scheduledSwitchoverAction(() => ({ cluster: this.cluster, recorder: this.recorder, log: this.log, nodeId: this.opts.nodeId })),
    'settings-step-aside': settingsStepAsideAction(() => ({ term: this.term, election: this.election, recorder: this.recorder, log: this.log })),
    'expire-pause': async () => {
      if (await this.cluster.clearPause()) this.recorder.record('resumed', 'pause expired');
    },
    'drop-term': (_a, d) => {
      this.log.info(d.reason, { event: 'term.ended', epoch: this.term.epoch() ?? undefined });
      this.recorder.record('demoted', d.reason);
      this.term.drop();
    },
    'finish-shutdown': finishShutdownAction(() => ({ jenkins: this.jenkins, term: this.term, eligibility: this.eligibility, recorder: this.recorder,
      sync: this.sync, coord: this.coord, state: this.state, log: this.log })),
  };
}
