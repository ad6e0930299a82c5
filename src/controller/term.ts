/**
 * The leadership term of this node and everything that guards Jenkins within it: taking the
 * fencing epoch, the launch (launch guard, JENKINS_HOME lock, host watchdog, spawn), the lease
 * renewals of the watchdog shim, the lock keeper, the fencing gate, and leaving cleanly. It owns
 * the term, what holds a launch back (`blocked`, the watchdog hold), the split-brain evidence and
 * the pending release of the lock; observed() is its part of what decide() sees.
 */
import { errorMessage, hasCode } from '../errors';
import type { Coordinator } from '../coordination/types';
import type { Election } from '../election/election';
import type { EpochStore } from '../fencing/epoch';
import { sharedHomeIo, type HomeIo } from '../fencing/home-io';
import { acquireHomeLock } from '../fencing/home-lock';
import { describeHolder } from '../fencing/storage-lease';
import { probePort } from '../jenkins/port-probe';
import type { JenkinsExit } from '../jenkins/supervisor';
import type { Logger } from '../logging/logger';
import type { SyncGate } from '../sync/types';
import type { ClusterView } from './cluster-view';
import { canProveLeadership, isLeaderNow, leaseMsOf } from './decide/leadership';
import type { Observed } from './decide/types';
import type { HomeObserved } from './home-policy';
import { FenceGate, type FenceConfirmPort } from './fence-gate';
import { EpochPrefetch } from './epoch-prefetch';
import { LaunchGuard } from './launch-guard';
import { LockKeeper } from './lock-keeper';
import { LockRelease } from './lock-release';
import type { ControllerDeps, ControllerOptions, SupervisorPort, WatchdogPort } from './options';
import type { Recorder } from './recorder';

/** A term: the epoch taken in session `generation`, and the version of our breadcrumb. */
export interface TermRecord {
  epoch: number;
  generation: number;
  breadcrumbVersion: number;
}

/** How long a launch refused by the lock (newer epoch, I/O error) waits before it is tried again. */
const LOCK_RETRY_MS = 5000;

export interface TermKeeperOptions {
  opts: Pick<ControllerOptions, 'nodeId' | 'host' | 'clusterName' | 'home' | 'jenkinsUrl' | 'requestedSessionTimeoutMs' | 'fencing' | 'lock'>;
  coordinator: Coordinator;
  election: Election;
  supervisor: SupervisorPort;
  epochs: EpochStore;
  cluster: Pick<ClusterView, 'switchover'>;
  sync: SyncGate | null;
  watchdog: WatchdogPort | null;
  logger: Logger;
  now: () => number;
  wallNow: () => number;
  recorder: Recorder;
  /** Bounded I/O on JENKINS_HOME: every lock read and write of the term goes through it (default: the shared instance). */
  homeIo?: HomeIo;
  runFencing?: ControllerDeps['runFencing'];
  /** Forced failover (fence-confirm.ts): absent = no confirmation passes the fencing gate. */
  fenceConfirmations?: FenceConfirmPort;
  probePort?: ControllerDeps['probePort'];
  /** How soon a launch held back by a foreign listener, the flock or the watchdog is tried again. */
  retryMs: number;
  /** A fresh observation (the launch and the lease renewals look again before they act). */
  observe: () => Observed;
  /** Wake the control loop. */
  kick: () => void;
}

export class TermKeeper {
  private term: TermRecord | null = null;
  private blocked: Observed['blocked'] = null;
  private splitBrain: string | null = null;
  /** fencing.watchdog.mode required: arming failed; no launch before retryAt (decide() sees it). */
  private watchdogHold: { reason: string; retryAt: number } | null = null;
  /** The "released" mark of the lock after Jenkins exited; a launch waits for it, the leave reuses it. */
  private readonly lockRelease: LockRelease;
  // Fencing layers 3-6 on the launch path (docs/safety.md).
  private readonly guard: LaunchGuard;
  private readonly fenceGate: FenceGate;
  private readonly lockKeeper: LockKeeper;
  private readonly homeIo: HomeIo;
  /** The reads of the next take, made at the wake (docs/safety.md, the graceful handover path). */
  private readonly prefetch: EpochPrefetch;

  constructor(private readonly o: TermKeeperOptions) {
    const { opts, recorder } = o;
    const record = (event: string, reason: string): void => recorder.record(event, reason);
    this.homeIo = o.homeIo ?? sharedHomeIo();
    this.prefetch = new EpochPrefetch({ epochs: o.epochs, generation: () => o.coordinator.generation, now: o.now });
    this.guard = new LaunchGuard({
      home: opts.home,
      jenkinsUrl: opts.jenkinsUrl,
      ...opts.lock,
      retryMs: o.retryMs,
      now: o.now,
      wallNow: o.wallNow,
      logger: o.logger,
      probePort: o.probePort ?? probePort,
      record,
      alarm: (reason) => recorder.alarmSplitBrain(reason),
      io: this.homeIo,
    });
    this.fenceGate = new FenceGate({
      ...opts.fencing,
      nodeId: opts.nodeId,
      cluster: opts.clusterName,
      home: opts.home,
      logger: o.logger,
      now: o.now,
      // Loaded at the first fencing run, not before the join (start-up; the methods are commands anyway).
      run: o.runFencing ?? (async (r) => (await import('../fencing/methods')).runFencingMethods(r)),
      onChange: o.kick,
      record,
      wallNow: o.wallNow,
      ...(o.fenceConfirmations ? { confirmations: o.fenceConfirmations } : {}),
    });
    this.lockKeeper = new LockKeeper({
      home: opts.home,
      heartbeatMs: opts.lock.heartbeatMs,
      wallNow: o.wallNow,
      // While no Jenkins of ours runs, look at the lock every beat: a standby has then already
      // counted the holder's heartbeat unchanged on its own clock when it becomes leader.
      idle: () => this.guard.watch(),
      logger: o.logger,
      io: this.homeIo,
      now: o.now,
      onLost: o.kick,
      holder: () => {
        const term = this.term;
        if (!term || o.supervisor.status().state === 'stopped') return null;
        return this.lockIdentity(term.epoch);
      },
      onNewer: (holder) => {
        const term = this.term;
        if (!term || this.splitBrain) return;
        this.splitBrain = `the JENKINS_HOME lock names ${describeHolder(holder)}, newer than our epoch ${term.epoch}`;
        recorder.alarmSplitBrain(this.splitBrain);
        o.kick();
      },
    });
    this.lockRelease = new LockRelease({ home: opts.home, nodeId: opts.nodeId, io: this.homeIo, logger: o.logger, settled: () => this.lockKeeper.settled() });
    // Every change of the home's health is a reason to decide again; a new hang is counted.
    let was = this.homeIo.health().state;
    this.homeIo.onChange((h) => {
      if (h.state === 'hung' && was !== 'hung') recorder.emit({ type: 'home_hung' });
      was = h.state;
      o.kick();
    });
  }

  /** The epoch of the term we hold, else null. */
  epoch(): number | null {
    return this.term?.epoch ?? null;
  }

  /** The term's part of what decide() sees. */
  observed(): Pick<Observed, 'term' | 'blocked' | 'fence' | 'storageLease' | 'splitBrain' | 'watchdog' | 'home'> {
    return {
      term: this.term,
      blocked: this.blocked,
      fence: this.fenceGate.observed(),
      storageLease: this.guard.storageLease(),
      splitBrain: this.splitBrain,
      watchdog: this.watchdogHold,
      home: this.home(),
    };
  }

  /** The deadline of one call on JENKINS_HOME (lock.ioTimeoutMs). */
  homeIoTimeoutMs(): number {
    return this.homeIo.timeoutMs;
  }

  /**
   * This node's JENKINS_HOME: the health of its bounded I/O, and whether the storage lease is lost
   * while our Jenkins runs. Once Jenkins is stopped a lost lease says nothing about the home (a
   * frozen controller loses it too): only `hung`/`failing` then keep the node out.
   */
  home(): HomeObserved {
    const running = this.o.supervisor.status().state !== 'stopped';
    return { ...this.homeIo.health(), leaseLost: running && this.lockKeeper.lost() !== null };
  }

  /** Begin keeping the lock's heartbeat (it beats only while our Jenkins runs). */
  start(): void {
    this.lockKeeper.start();
  }

  /** The predecessor watch woke this standby: read what the next take needs now, beside the election's list. */
  prefetchEpoch(): void {
    if (!this.term) this.prefetch.start();
  }

  /** Take the next fencing epoch; discard it when the session or the leadership changed meanwhile. */
  async acquire(generation: number): Promise<void> {
    const { opts, recorder, logger } = this.o;
    const reads = await this.prefetch.take(generation);
    const taken = await this.o.epochs.take({ nodeId: opts.nodeId, host: opts.host, pid: process.pid }, reads ?? undefined);
    if (this.o.coordinator.generation !== generation || !isLeaderNow(this.o.observe())) {
      logger.warn('leadership changed while taking the epoch; discarding it', { event: 'acquire.discarded', epoch: taken.epoch });
      return;
    }
    this.term = { epoch: taken.epoch, generation, breadcrumbVersion: taken.breadcrumbVersion };
    recorder.termStarted(taken.epoch <= 1 ? 'initial' : this.o.cluster.switchover()?.state === 'running' ? 'planned' : 'unplanned');
    logger.info(`took fencing epoch ${taken.epoch}`, {
      event: 'epoch.taken',
      epoch: taken.epoch,
      previousActive: taken.previous ? `${taken.previous.nodeId}@${taken.previous.host} (epoch ${taken.previous.epoch})` : null,
      previousExitedCleanly: taken.previous === null && !taken.previousMalformed,
    });
    recorder.record('elected', `epoch ${taken.epoch}`);
    this.guard.reset();
    this.watchdogHold = null;
    this.fenceGate.beginTerm(taken.epoch, taken.previous, taken.previousMalformed);
  }

  /** Run the fencing methods against the previous active (off the loop). */
  fencePrevious(): void {
    this.fenceGate.start();
  }

  /**
   * Forced failover: decide() accepted (or refused) a person's confirmation that the previous
   * active is gone. True when the gate acted on a matching confirmation (false: none matched).
   */
  settleFenceConfirmation(accept: boolean): boolean {
    return accept ? this.fenceGate.accept() : this.fenceGate.refuse();
  }

  /** Launch Jenkins for this term, unless a launch gate of the I/O path holds it back. */
  async launch(): Promise<void> {
    const term = this.term;
    if (!term) return;
    const { opts, logger, now } = this.o;
    await this.lockRelease.pending(); // never let a late "released" land on the lock of a new launch
    const pre = await this.guard.check(term.epoch);
    if (!pre.ok) {
      if (pre.blocked) this.blocked = pre.blocked;
      return;
    }
    if (this.term !== term) return;
    try {
      const before = await acquireHomeLock(opts.home, { ...this.lockIdentity(term.epoch), state: 'held', heartbeatAt: this.o.wallNow() }, { io: this.homeIo }, pre.lock);
      this.lockRelease.heldAgain();
      if (before.kind === 'malformed') logger.warn('replaced a malformed JENKINS_HOME lock file', { event: 'lock.malformed' });
    } catch (err) {
      if (hasCode(err, 'LOCK_HIGHER_EPOCH', 'LOCK_IO', 'LOCK_TIMEOUT', 'LOCK_REFUSED')) {
        this.blocked = { until: now() + LOCK_RETRY_MS, reason: errorMessage(err), gate: 'lock' };
        logger.error(errorMessage(err), { event: 'lock.refused', epoch: term.epoch });
        return;
      }
      throw err;
    }
    this.blocked = null;
    // Re-observe: the lock write took time; launch only if leadership is still provable, in the
    // session the term's epoch was taken in (a new session may lead again, but under a new term).
    const seen = this.o.observe();
    if (!canProveLeadership(seen) || this.term !== term) return;
    if (this.o.coordinator.generation !== term.generation) {
      logger.warn(`the ZooKeeper session changed while the lock was written; not starting Jenkins with epoch ${term.epoch}`, {
        event: 'launch.discarded',
        epoch: term.epoch,
      });
      this.markLockStopped(); // no Jenkins of ours: a successor need not wait for our lease
      return;
    }
    // The host watchdog is armed last, right before the spawn: from now on only lease
    // renewals keep the host alive.
    if (!this.armWatchdog()) {
      this.markLockStopped(); // no Jenkins of ours: a successor need not wait for our lease
      return;
    }
    try {
      this.o.supervisor.launch({ epoch: term.epoch, leaseMs: leaseMsOf(seen) });
    } catch (err) {
      this.o.watchdog?.disarm(`the launch failed: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** ZooKeeper answered: extend the shim's lease (and keep the host watchdog alive) if we still lead provably. */
  renewLease(): void {
    if (this.o.supervisor.status().state === 'stopped') return;
    const seen = this.o.observe();
    if (!canProveLeadership(seen)) return;
    this.o.supervisor.renewLease(leaseMsOf(seen));
    // The host watchdog is kept alive at exactly these moments, never from a timer of its own.
    this.o.watchdog?.keepalive();
  }

  /** Our Jenkins exited: disarm the host watchdog, forget the split brain, mark the lock released. */
  jenkinsExited(exit: JenkinsExit): void {
    // Jenkins is stopped (step-down, fence done, shutdown, crash): no host reset is needed now.
    this.o.watchdog?.disarm(`Jenkins stopped (${exit.reason})`);
    this.splitBrain = null;
    this.markLockStopped();
    // Fencing layer 5: the shim could not take the flock; nothing ran. Not a Jenkins failure.
    if (exit.refused) this.blocked = { until: this.o.now() + this.o.retryMs, reason: exit.reason, gate: 'flock' };
  }

  /** The term is over (leadership lost): forget it. */
  drop(): void {
    this.term = null;
    this.fenceGate.endTerm();
    this.guard.reset();
  }

  /** Shutdown: disarm the host watchdog (Jenkins is stopped). */
  disarmWatchdog(reason: string): void {
    this.o.watchdog?.disarm(reason);
  }

  /** Shutdown: stop the lock heartbeat and any fencing round. */
  stopKeeping(): void {
    this.lockKeeper.stop();
    this.fenceGate.endTerm();
  }

  /**
   * A clean exit of a term: mark the lock released (before anyone else can take it), then delete
   * our breadcrumb and our election znode in one transaction, so the next contender's watch fires
   * at once and it knows no fencing is needed.
   */
  async leaveCleanly(reason: string): Promise<void> {
    const term = this.term;
    this.term = null;
    // git mode: commit, push and record the last configuration before the term is released.
    if (term && this.o.sync) await this.o.sync.publishFinal(term.epoch);
    this.fenceGate.endTerm();
    this.guard.reset();
    // Released before anyone else can be woken; the mark made when Jenkins exited is reused.
    if (term) await this.lockRelease.ensureReleased(term.epoch);
    const ops = term && term.generation === this.o.coordinator.generation ? this.o.epochs.releaseOps(term) : [];
    await this.o.election.leave(reason, ops);
  }

  /**
   * The home is bad: end the term and leave the election WITHOUT the clean-exit steps. No lock
   * release and no final publish (both would wait on the hung home), and the breadcrumb stays in
   * ZooKeeper, so the successor runs the fencing methods before it starts Jenkins: writes of our
   * killed Jenkins may still sit in this host's mount.
   */
  async yieldForHome(reason: string, cooldownMs: number): Promise<void> {
    this.o.logger.warn(reason, { event: 'home.yielded', epoch: this.term?.epoch, cooldownMs });
    this.o.recorder.emit({ type: 'home_yield' });
    this.o.recorder.record('home.yielded', reason);
    this.term = null;
    this.fenceGate.endTerm();
    this.guard.reset();
    await this.o.election.leave('JENKINS_HOME does not answer', []);
  }

  /** The home is bad on a node without a term: leave the election (nothing to release) until it answers. */
  async leaveForHome(reason: string): Promise<void> {
    this.o.logger.warn(reason, { event: 'home.left_election' });
    this.o.recorder.record('home.left_election', reason);
    await this.o.election.leave('JENKINS_HOME does not answer', []);
  }

  private lockIdentity(epoch: number): { epoch: number; nodeId: string; host: string; pid: number; cluster: string; time: string } {
    const { opts } = this.o;
    return { epoch, nodeId: opts.nodeId, host: opts.host, pid: process.pid, cluster: opts.clusterName, time: new Date(this.o.wallNow()).toISOString() };
  }

  /** Our Jenkins is gone: mark our lock released so a successor need not wait for the lease. */
  private markLockStopped(): void {
    if (this.term) this.lockRelease.markStopped(this.term.epoch);
  }

  /**
   * Arm the host watchdog for a launch (against the negotiated session timeout). False when
   * fencing.watchdog.mode is required and it cannot be armed: the launch is held back (gate
   * `watchdog`) and tried again after retryMs. automatic mode launches without it.
   */
  private armWatchdog(): boolean {
    const wd = this.o.watchdog;
    if (!wd) return true;
    const r = wd.arm(this.o.coordinator.session()?.timeoutMs ?? this.o.opts.requestedSessionTimeoutMs);
    if (r.ok) {
      if (this.watchdogHold) this.o.logger.info('host watchdog armed after all; starting Jenkins', { event: 'watchdog.gate_cleared' });
      this.watchdogHold = null;
      return true;
    }
    if (wd.mode !== 'required') return true;
    if (this.watchdogHold?.reason !== r.reason) this.o.recorder.record('watchdog.unavailable', r.reason);
    this.watchdogHold = { reason: r.reason, retryAt: this.o.now() + this.o.retryMs };
    return false;
  }
}
