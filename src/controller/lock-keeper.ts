/**
 * Keeps the storage lease (fencing layer 4) while this node's Jenkins runs: every
 * lock.heartbeatMs it refreshes `heartbeatAt` in the JENKINS_HOME lock file, and reports a lock
 * that names a newer epoch (the split-brain alarm, layer 6) instead of overwriting it.
 */
import { beatHomeLock } from '../fencing/storage-lease';
import type { LockRecord } from '../fencing/home-lock';
import type { Logger } from '../logging/logger';

export interface LockKeeperOptions {
  home: string;
  heartbeatMs: number;
  /** Our lock record while our Jenkins runs (the heartbeat is due), else null. */
  holder: () => Omit<LockRecord, 'heartbeatAt' | 'state'> | null;
  wallNow: () => number;
  logger: Logger;
  /** The lock names a newer epoch than ours while our Jenkins runs. */
  onNewer: (holder: LockRecord) => void;
  /**
   * Called instead of a heartbeat while this node runs no Jenkins (e.g. LaunchGuard.watch, so a
   * standby has counted the holder's heartbeat unchanged before it becomes leader).
   */
  idle?: () => Promise<void>;
}

export class LockKeeper {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private failing = false;
  /** Slowest heartbeat write seen (ms), for the log. */
  private slowestMs = 0;

  constructor(private readonly o: LockKeeperOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.o.heartbeatMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One heartbeat now (also called by the timer). */
  async beat(): Promise<void> {
    if (this.busy) return;
    const self = this.o.holder();
    if (!self) {
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
    this.busy = true;
    try {
      const r = await beatHomeLock(this.o.home, self, this.o.wallNow);
      const log = this.o.logger;
      if (r.kind === 'error') {
        if (!this.failing) log.warn(`cannot refresh the JENKINS_HOME lock heartbeat: ${r.message}`, { event: 'lock.heartbeat_failed' });
        this.failing = true;
        return;
      }
      if (this.failing) log.info('JENKINS_HOME lock heartbeat refreshed again', { event: 'lock.heartbeat_ok' });
      this.failing = false;
      if (r.kind === 'newer') {
        // The holder may have changed while we wrote; act only if we are still the one running.
        if (this.o.holder()?.epoch === self.epoch) this.o.onNewer(r.holder);
        return;
      }
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
}

