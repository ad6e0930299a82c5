/**
 * Keeps the storage lease (fencing layer 4) while this node's Jenkins runs: every
 * lock.heartbeatMs it refreshes `heartbeatAt` in the JENKINS_HOME lock file, and reports a lock
 * that names a newer epoch (the split-brain alarm, layer 6) instead of overwriting it.
 *
 * Every beat goes through HomeIo with one budget (lock.ioTimeoutMs), so a hung home costs a
 * timeout, not a beat that never returns. And the keeper holds its side of the lease: when no
 * heartbeat has landed for lock.heartbeatMs + lock.ioTimeoutMs (measured on the monotonic clock
 * from the start of the last one that did) while our Jenkins runs, it reports the lease lost
 * (`onLost`, event lock.lease_lost): the controller must kill Jenkins at once, before the lease it
 * last gave runs out at a reader (rule in docs/safety.md).
 */
import { sharedHomeIo, type HomeIo } from '../fencing/home-io';
import { beatHomeLock } from '../fencing/storage-lease';
import type { LockRecord } from '../fencing/home-lock';
import type { Logger } from '../logging/logger';
import { monoNow } from '../util/clock';

export interface LockKeeperOptions {
  home: string;
  heartbeatMs: number;
  /** Our lock record while our Jenkins runs (the heartbeat is due), else null. */
  holder: () => Omit<LockRecord, 'heartbeatAt' | 'state'> | null;
  wallNow: () => number;
  logger: Logger;
  /** The lock names a newer epoch than ours while our Jenkins runs. */
  onNewer: (holder: LockRecord) => void;
  /** Bounded I/O on JENKINS_HOME (default: the shared instance); its timeoutMs is a beat's budget. */
  io?: HomeIo;
  /** Monotonic ms (default monoNow, the controller's clock). */
  now?: () => number;
  /** No heartbeat landed for heartbeatMs + io.timeoutMs while our Jenkins runs: fence it now. */
  onLost?: (reason: string) => void;
  /**
   * Called instead of a heartbeat while this node runs no Jenkins (e.g. LaunchGuard.watch, so a
   * standby has counted the holder's heartbeat unchanged before it becomes leader).
   */
  idle?: () => Promise<void>;
}

export class LockKeeper {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  /** The beat in flight while busy. */
  private inflight: Promise<void> = Promise.resolve();
  private failing = false;
  /** Slowest heartbeat write seen (ms), for the log. */
  private slowestMs = 0;
  /** Monotonic start of the last beat that landed (or of the first beat of this run of Jenkins). */
  private anchor: number | null = null;
  private lostTimer: NodeJS.Timeout | null = null;
  private lostState: { since: number; reason: string } | null = null;
  private lastError = '';
  private readonly io: HomeIo;
  private readonly now: () => number;

  constructor(private readonly o: LockKeeperOptions) {
    this.io = o.io ?? sharedHomeIo();
    this.now = o.now ?? monoNow;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.o.heartbeatMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.disarm();
  }

  /** Since when and why the lease counts as lost (our Jenkins runs, no heartbeat lands); else null. */
  lost(): { since: number; reason: string } | null {
    return this.lostState ? { ...this.lostState } : null;
  }

  /** How long a heartbeat may take to land before the lease counts as lost. */
  lossAfterMs(): number {
    return this.o.heartbeatMs + this.io.timeoutMs;
  }

  /** One heartbeat now (also called by the timer); while one is in flight, that one. */
  beat(): Promise<void> {
    if (this.busy) return this.inflight;
    this.inflight = this.beatNow().catch(() => undefined);
    return this.inflight;
  }

  /**
   * Resolves once the heartbeat in flight has landed or failed; null when none is in flight. The
   * release mark of the lock waits for it, so no `held` written by a beat can land after the mark
   * (docs/safety.md).
   */
  settled(): Promise<void> | null {
    return this.busy ? this.inflight : null;
  }

  private async beatNow(): Promise<void> {
    const self = this.o.holder();
    if (!self) {
      this.disarm();
      if (!this.o.idle) return;
      this.busy = true;
      try {
        await this.o.idle();
      } catch {
        // a look only; the launch reads the lock again and reports its errors
      } finally {
        this.busy = false;
      }
      return;
    }
    if (this.anchor === null) this.arm(this.now());
    if (this.busy) return;
    this.busy = true;
    const started = this.now();
    try {
      const r = await beatHomeLock(this.o.home, self, this.o.wallNow, this.io);
      const log = this.o.logger;
      if (r.kind === 'error') {
        this.lastError = r.message;
        if (!this.failing) log.warn(`cannot refresh the JENKINS_HOME lock heartbeat: ${r.message}`, { event: 'lock.heartbeat_failed', code: r.code });
        this.failing = true;
        return;
      }
      if (r.kind === 'newer') {
        // The holder may have changed while we wrote; act only if we are still the one running.
        if (this.o.holder()?.epoch === self.epoch) this.o.onNewer(r.holder);
        return;
      }
      if (this.failing) log.info('JENKINS_HOME lock heartbeat refreshed again', { event: 'lock.heartbeat_ok' });
      this.failing = false;
      if (this.o.holder() !== null) this.arm(started);
      if (r.writeMs > this.slowestMs * 2 && r.writeMs > 50) {
        log.warn(`slow JENKINS_HOME lock heartbeat write: ${r.writeMs.toFixed(1)} ms`, { event: 'lock.heartbeat_slow', writeMs: r.writeMs });
      }
      this.slowestMs = Math.max(this.slowestMs, r.writeMs);
      if (r.kind === 'rewritten') {
        log.warn(`the JENKINS_HOME lock held ${r.found} instead of our epoch ${self.epoch}; wrote ours again`, { event: 'lock.rewritten', epoch: self.epoch });
      }
    } finally {
      this.busy = false;
    }
  }

  /** A heartbeat landed (or Jenkins just started) at `at`: the lease is ours until at + lossAfterMs. */
  private arm(at: number): void {
    if (this.lostTimer) clearTimeout(this.lostTimer);
    if (this.lostState) {
      this.o.logger.info('JENKINS_HOME lock heartbeat lands again; the storage lease is kept', { event: 'lock.lease_regained' });
      this.lostState = null;
    }
    this.anchor = at;
    const due = Math.max(1, at + this.lossAfterMs() - this.now());
    this.lostTimer = setTimeout(() => this.expire(at), due);
    this.lostTimer.unref();
  }

  private disarm(): void {
    if (this.lostTimer) clearTimeout(this.lostTimer);
    this.lostTimer = null;
    this.anchor = null;
    this.lostState = null;
  }

  private expire(at: number): void {
    this.lostTimer = null;
    if (this.anchor !== at || this.o.holder() === null) return;
    const ms = Math.round(this.now() - at);
    const reason =
      `no JENKINS_HOME lock heartbeat landed for ${ms} ms (lock.heartbeatMs ${this.o.heartbeatMs} + lock.ioTimeoutMs ${this.io.timeoutMs})` +
      `${this.lastError ? `: ${this.lastError}` : ''}`;
    this.lostState = { since: this.now(), reason };
    this.o.logger.error(`storage lease lost: ${reason}; Jenkins must be fenced now`, { event: 'lock.lease_lost', sinceLandedMs: ms });
    this.o.onLost?.(reason);
  }
}
