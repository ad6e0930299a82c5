/**
 * The I/O half of the launch gates, run just before a launch: the storage lease (fencing layer 4:
 * another epoch's live heartbeat in the JENKINS_HOME lock) and a foreign listener on the Jenkins
 * port (layer 6: the split-brain alarm). It keeps the state decide() sees (`storageLease`) and
 * tells the controller when to block and why.
 */
import type { HomeIo } from '../fencing/home-io';
import { readLock, type ReadLock } from '../fencing/home-lock';
import { HeartbeatClock, describeHolder, leaseVerdict } from '../fencing/storage-lease';
import type { PortProbe } from '../jenkins/port-probe';
import type { Logger } from '../logging/logger';
import type { LaunchGate } from './decide';

export interface LaunchGuardOptions {
  home: string;
  jenkinsUrl: string;
  leaseMs: number;
  heartbeatMs: number;
  /** How soon a launch held back by a foreign listener is tried again. */
  retryMs: number;
  /** Monotonic ms: the storage lease is judged on it (how long this node saw the heartbeat unchanged). */
  now: () => number;
  /** Wall clock: only to show the holder's heartbeatAt in the wait's reason, never to judge it. */
  wallNow: () => number;
  logger: Logger;
  probePort: (url: string, timeoutMs: number) => Promise<PortProbe>;
  record: (event: string, reason: string) => void;
  /** Log, count and record a split-brain alarm. */
  alarm: (reason: string) => void;
  /** Bounded I/O on JENKINS_HOME (default: the shared instance, lock.ioTimeoutMs). */
  io?: HomeIo;
}

/** ok: the lock as read, which the lock write checks instead of reading it again (docs/safety.md). */
export type Preflight = { ok: true; lock: ReadLock } | { ok: false; blocked: { until: number; reason: string; gate: LaunchGate } | null };

export class LaunchGuard {
  private lease: { until: number; reason: string; holder: string } | null = null;
  private foreign: string | null = null;
  private readonly beats = new HeartbeatClock();

  constructor(private readonly o: LaunchGuardOptions) {}

  /**
   * Look at the lock without deciding anything, so that the heartbeat's unchanged time is already
   * counted when this node becomes leader (a standby calls it every heartbeat period). Errors are
   * left to the launch's own read.
   */
  async watch(): Promise<void> {
    this.see(await readLock(this.o.home, this.o.io ? { io: this.o.io } : undefined).catch(() => ({ kind: 'none' }) as const));
  }

  private see(lock: ReadLock): number {
    if (lock.kind !== 'ok') {
      this.beats.forget();
      return 0;
    }
    return this.beats.unchangedFor(lock.record, this.o.now());
  }

  /** What decide() sees: wait for the storage lease until `until`. */
  storageLease(): { until: number; reason: string } | null {
    return this.lease ? { until: this.lease.until, reason: this.lease.reason } : null;
  }

  /** A new term (or none): forget the wait. */
  reset(): void {
    this.lease = null;
  }

  async check(epoch: number): Promise<Preflight> {
    const o = this.o;
    // The port probe first: the lock read below is the one the lock write is checked against,
    // so nothing may come between them.
    const port = await o.probePort(o.jenkinsUrl, 500);
    const lock = await readLock(o.home, o.io ? { io: o.io } : undefined);
    const verdict = leaseVerdict(lock, epoch, this.see(lock), o.leaseMs);
    if (verdict.kind === 'wait') {
      const holder = describeHolder(verdict.holder);
      const wall = verdict.holder.heartbeatAt !== undefined ? `; its heartbeatAt is ${Math.round(o.wallNow() - verdict.holder.heartbeatAt)} ms ago by this host's wall clock, not used` : '';
      const reason = `the JENKINS_HOME lock of ${holder} has a live heartbeat (unchanged for ${Math.round(verdict.ageMs)} ms on this node's clock, lease ${o.leaseMs} ms${wall}); waiting for it to go stale`;
      if (this.lease?.holder !== holder) {
        o.logger.warn(`not starting Jenkins: ${reason}`, { event: 'lock.waiting', holder, ageMs: Math.round(verdict.ageMs), leaseMs: o.leaseMs });
        o.record('lock.waiting', reason);
      }
      // Look again at the lease's end, or after a heartbeat period (the holder may release it).
      this.lease = { until: o.now() + Math.min(verdict.waitMs, o.heartbeatMs), reason, holder };
      return { ok: false, blocked: null };
    }
    if (this.lease) {
      o.logger.info(`the JENKINS_HOME lock of ${this.lease.holder} is ${verdict.kind === 'free' ? verdict.why : verdict.kind} now; going on`, { event: 'lock.wait_over' });
      this.lease = null;
    }
    if (verdict.kind === 'newer') return { ok: true, lock }; // the lock write refuses it, with its own report

    if (port.kind === 'listening') {
      const reason = `something already answers on ${port.address} (jenkins.url) though this node runs no Jenkins: another Jenkins? not starting ours`;
      if (this.foreign === null) o.alarm(reason);
      this.foreign = reason;
      return { ok: false, blocked: { until: o.now() + o.retryMs, reason, gate: 'split-brain' } };
    }
    if (port.kind === 'unknown') o.logger.debug(`Jenkins port probe inconclusive (${port.error}); going on`, { event: 'jenkins.port_unknown' });
    if (this.foreign !== null) {
      o.logger.info('the foreign listener on the Jenkins port is gone', { event: 'split_brain.cleared' });
      this.foreign = null;
    }
    return { ok: true, lock };
  }
}
