/**
 * The optional Linux host watchdog (softdog or a hardware driver), as Patroni uses it: the device
 * is opened (armed) just before this node launches Jenkins, written to (a keepalive) only at the
 * moments the controller renews the shim's lease (it can prove its leadership), and closed with
 * the magic 'V' (disarmed) once Jenkins is stopped. If the controller and the shim both stall, the
 * kernel resets the host `timeout` after the last keepalive, before the ZooKeeper session can
 * expire; the device and that rule are checked (watchdog-check.ts) at start-up and before each
 * arming. Node has no ioctl: a keepalive is a write(2) of one byte.
 *
 * I/O is synchronous on purpose: sysfs reads and device writes do not block, and a keepalive must
 * never queue behind libuv's thread pool (which a hung NFS JENKINS_HOME can fill). The device is
 * opened O_NONBLOCK (a FIFO without a reader fails instead of blocking the loop) and, as every fd
 * libuv opens, close-on-exec: Jenkins and the shim never inherit it.
 */
import * as fs from 'node:fs';
import { ConfigError, WatchdogError, errorMessage } from '../errors';
import type { Logger } from '../logging/logger';
import { WATCHDOG_KEYS, checkDeviceNode, readDeviceFacts, timingProblem, type WatchdogBudget } from './watchdog-check';

export type WatchdogMode = 'off' | 'automatic' | 'required';

export interface WatchdogOptions {
  mode: WatchdogMode;
  device: string;
  /** '' = derived from the device name (sysfsDirFor). */
  sysfsDir: string;
  safetyMarginMs: number;
  /** The budget for a session timeout (throws when that timeout leaves no time to fence). */
  budget: (sessionTimeoutMs: number) => WatchdogBudget;
  logger: Logger;
}

/** What /status shows (`watchdog`). */
export interface WatchdogStatus {
  mode: WatchdogMode;
  device: string;
  /** The device is open: the host resets unless keepalives keep coming. */
  armed: boolean;
  /** The device's timeout as last read from sysfs; null = not read (yet). */
  timeoutMs: number | null;
  /** Keepalive (and disarm) writes that failed since start. */
  errors: number;
  /** Why the watchdog cannot be used (automatic: running without it; required: no launch), or the last write error. */
  lastError: string | null;
}

export type ArmResult = { ok: true; armed: boolean } | { ok: false; reason: string };

/** What one keepalive writes (any byte but 'V'; watchdog(8) writes NUL too). */
const KEEPALIVE = Buffer.from([0]);
/** The magic close: after it, closing the device stops the timer (when nowayout is 0). */
const MAGIC_CLOSE = Buffer.from('V');


export class HostWatchdog {
  private fd: number | null = null;
  private timeoutMs: number | null = null;
  private errors = 0;
  private lastError: string | null = null;
  /** automatic mode: the start-up check failed, the watchdog stays off for this process. */
  private disabled = false;
  /** The last reason logged as unavailable (each reason is logged once in a row). */
  private reported: string | null = null;
  /** A keepalive error was logged during this arming (logged once per arming). */
  private keepaliveReported = false;
  private readonly log: Logger;

  constructor(private readonly o: WatchdogOptions) {
    this.log = o.logger;
  }

  get mode(): WatchdogMode {
    return this.o.mode;
  }

  isArmed(): boolean {
    return this.fd !== null;
  }

  status(): WatchdogStatus {
    return { mode: this.o.mode, device: this.o.device, armed: this.fd !== null, timeoutMs: this.timeoutMs, errors: this.errors, lastError: this.lastError };
  }

  /**
   * Start-up check, without opening the device (opening arms it). required: a problem is a
   * ConfigError naming the fencing.watchdog key to fix (exit 2). automatic: one warning
   * (`watchdog.unavailable`) and the watchdog stays off. Returns the problem, or null.
   */
  checkAtStart(sessionTimeoutMs: number): string | null {
    if (this.o.mode === 'off') return null;
    const problem = this.validate(sessionTimeoutMs);
    if (problem === null) {
      this.noteEarlyReset(sessionTimeoutMs);
      return null;
    }
    if (this.o.mode === 'required') throw new ConfigError(`${problem.key}: ${problem.reason} (${WATCHDOG_KEYS.mode} is required)`, problem.key);
    this.disabled = true;
    this.lastError = problem.reason;
    this.log.warn(`host watchdog unavailable, running without it: ${problem.key}: ${problem.reason}`, {
      event: 'watchdog.unavailable',
      mode: this.o.mode,
      device: this.o.device,
      key: problem.key,
    });
    return problem.reason;
  }

  /**
   * Open the device before Jenkins is launched, after checking the device's timeout against the
   * (negotiated) session timeout again. No-op when off, already armed, or automatic mode gave up at
   * start-up. `{ ok: false }` when it cannot be armed: automatic mode launches anyway (warned),
   * required mode must not.
   */
  arm(sessionTimeoutMs: number): ArmResult {
    if (this.o.mode === 'off' || this.disabled) return { ok: true, armed: false };
    if (this.fd !== null) return { ok: true, armed: true };
    const problem = this.validate(sessionTimeoutMs);
    let reason = problem ? `${problem.key}: ${problem.reason}` : null;
    if (reason === null) {
      // Opening starts the timer; no write is needed yet. (O_APPEND: a regular file standing in
      // for the device in tests keeps every byte; the driver ignores it.)
      try {
        this.fd = fs.openSync(this.o.device, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK | fs.constants.O_APPEND);
      } catch (err) {
        reason = `cannot open ${this.o.device}: ${errorMessage(err)}${openHint(err)}`;
      }
    }
    if (reason !== null) {
      this.lastError = reason;
      if (this.reported !== reason) {
        this.reported = reason;
        const required = this.o.mode === 'required';
        this.log[required ? 'error' : 'warn'](
          required
            ? `host watchdog required but unavailable; not starting Jenkins: ${reason}`
            : `host watchdog unavailable; starting Jenkins without it: ${reason}`,
          { event: 'watchdog.unavailable', mode: this.o.mode, device: this.o.device },
        );
      }
      return { ok: false, reason };
    }
    this.reported = null;
    this.lastError = null;
    this.keepaliveReported = false;
    this.log.info(`host watchdog armed: ${this.o.device} resets this host ${this.timeoutMs} ms after the last keepalive`, {
      event: 'watchdog.armed',
      device: this.o.device,
      timeoutMs: this.timeoutMs,
    });
    return { ok: true, armed: true };
  }

  /** One keepalive (at a lease renewal). Errors are counted; the first of an arming is logged. */
  keepalive(): void {
    const fd = this.fd;
    if (fd === null) return;
    try {
      fs.writeSync(fd, KEEPALIVE);
    } catch (err) {
      this.errors += 1;
      this.lastError = `keepalive to ${this.o.device} failed: ${errorMessage(err)}`;
      if (!this.keepaliveReported) {
        this.keepaliveReported = true;
        this.log.error(`${this.lastError}; the host resets ${this.timeoutMs ?? '?'} ms after the last good keepalive unless Jenkins stops first`, {
          event: 'watchdog.error',
          op: 'keepalive',
          device: this.o.device,
        });
      }
    }
  }

  /** Jenkins is stopped: write the magic 'V' and close, which stops the timer. No-op when not armed. */
  disarm(reason: string): void {
    const fd = this.fd;
    if (fd === null) return;
    this.fd = null;
    let failed: string | null = null;
    try {
      fs.writeSync(fd, MAGIC_CLOSE);
    } catch (err) {
      failed = errorMessage(err);
    }
    try {
      fs.closeSync(fd);
    } catch (err) {
      failed ??= errorMessage(err);
    }
    if (failed !== null) {
      this.errors += 1;
      this.lastError = `disarming ${this.o.device} failed: ${failed}`;
      this.log.error(`${this.lastError}; the host may reset within ${this.timeoutMs ?? '?'} ms`, {
        event: 'watchdog.error',
        op: 'disarm',
        device: this.o.device,
      });
      return;
    }
    this.log.info(`host watchdog disarmed: ${reason}`, { event: 'watchdog.disarmed', device: this.o.device, reason });
  }

  /** The device and its sysfs facts against the budget of this session timeout; the problem or null. */
  private validate(sessionTimeoutMs: number): { key: string; reason: string } | null {
    try {
      checkDeviceNode(this.o.device);
      const facts = readDeviceFacts(this.o.device, this.o.sysfsDir);
      this.timeoutMs = facts.timeoutS * 1000;
      return timingProblem(this.o.device, facts, this.o.budget(sessionTimeoutMs), this.o.safetyMarginMs);
    } catch (err) {
      if (err instanceof WatchdogError) return { key: err.key, reason: err.message };
      // budget() refused the session timeout (a ConfigError names zk.sessionTimeoutMs).
      return { key: err instanceof ConfigError && err.key !== undefined ? err.key : WATCHDOG_KEYS.device, reason: errorMessage(err) };
    }
  }

  /** A valid device still resets the host on a ZooKeeper silence shorter than the controller's own fence: say so once. */
  private noteEarlyReset(sessionTimeoutMs: number): void {
    const t = this.timeoutMs;
    if (t === null) return;
    let b: WatchdogBudget;
    try {
      b = this.o.budget(sessionTimeoutMs);
    } catch {
      return;
    }
    if (t > b.fenceAfterMs + b.fenceKillAfterMs) return;
    this.log.warn(
      `host watchdog timeout ${t} ms is not longer than the fence deadline + kill grace (${b.fenceAfterMs} + ${b.fenceKillAfterMs} ms): ` +
        `a ZooKeeper silence of about ${t} ms resets this host before the controller stops Jenkins itself; lower fencing.deadlineRatio ` +
        `(with zk.pingIntervalMs) until fence deadline + jenkins.fenceKillAfterMs < device timeout if a reset should be the last resort only`,
      { event: 'watchdog.early_reset', device: this.o.device, timeoutMs: t, fenceAfterMs: b.fenceAfterMs },
    );
  }
}

function openHint(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'EBUSY':
      return ' (another process holds it: a watchdog daemon, or systemd with RuntimeWatchdogSec= set)';
    case 'EACCES':
    case 'EPERM':
      return ' (the service user needs write access: udev rule; under systemd see docs/safety.md for PrivateDevices/DeviceAllow)';
    case 'ENXIO':
      return ' (a FIFO without a reader)';
    default:
      return '';
  }
}
