/**
 * The optional Linux host watchdog (softdog or a hardware driver), as Patroni uses it: the device
 * is opened (armed) just before this node launches Jenkins, written to (a keepalive) only at the
 * moments the controller renews the shim's lease (it can prove its leadership), and closed with
 * the magic 'V' (disarmed) once Jenkins is stopped. If the controller and the shim both stall, the
 * kernel resets the host `timeout` after the last keepalive, before the ZooKeeper session can
 * expire; that is the rule checked here:
 *
 *   fenceAfterMs + device timeout + fencing.watchdog.safetyMarginMs + refresh lag <= session timeout
 *   (the lag, max(zk.pingIntervalMs, zk.tickTimeMs / 2): a follower-served session can expire that
 *   much before lastHeard + T; `sessionRefreshLagMs`, subtracted by the fencing rule too)
 *
 * Node has no ioctl, so the timeout is not set but read from sysfs
 * (`/sys/class/watchdog/watchdogN/timeout`, seconds; `nowayout` beside it), a keepalive is a
 * write(2) of one byte, and a device whose `nowayout` is 1 is refused (closing would not stop it:
 * every demotion would reset the host).
 *
 * I/O is synchronous on purpose: sysfs reads and device writes do not block, and a keepalive must
 * never queue behind libuv's thread pool (which a hung NFS JENKINS_HOME can fill). The device is
 * opened O_NONBLOCK (a FIFO without a reader fails instead of blocking the loop) and, as every fd
 * libuv opens, close-on-exec: Jenkins and the shim never inherit it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, WatchdogError, errorMessage } from '../errors';
import type { Logger } from '../logging/logger';

export type WatchdogMode = 'off' | 'automatic' | 'required';

/** The timings the rule is checked against, for one (possibly negotiated) session timeout. */
export interface WatchdogBudget {
  sessionTimeoutMs: number;
  /** The self-fencing deadline (resolveTimings' fenceAfterMs). */
  fenceAfterMs: number;
  /** Effective zk.pingIntervalMs: keepalives come with ZooKeeper's answers, about this often. */
  pingIntervalMs: number;
  /** jenkins.fenceKillAfterMs (only for the early-reset notice). */
  fenceKillAfterMs: number;
  /** max(zk.pingIntervalMs, zk.tickTimeMs / 2): the session can expire this much before lastHeard + T (sessionRefreshLagMs). */
  refreshLagMs: number;
}

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

export interface DeviceFacts {
  sysfsDir: string;
  timeoutS: number;
  nowayout: boolean;
}

export type ArmResult = { ok: true; armed: boolean } | { ok: false; reason: string };

/** What one keepalive writes (any byte but 'V'; watchdog(8) writes NUL too). */
const KEEPALIVE = Buffer.from([0]);
/** The magic close: after it, closing the device stops the timer (when nowayout is 0). */
const MAGIC_CLOSE = Buffer.from('V');

const KEY = {
  mode: 'fencing.watchdog.mode',
  device: 'fencing.watchdog.device',
  sysfsDir: 'fencing.watchdog.sysfsDir',
  margin: 'fencing.watchdog.safetyMarginMs',
} as const;

/**
 * The sysfs directory of a watchdog device: `/dev/watchdog` is the legacy node of watchdog0,
 * `/dev/watchdogN` is watchdogN (a symlink is followed to such a name). Null when the name says
 * nothing (set fencing.watchdog.sysfsDir).
 */
export function sysfsDirFor(device: string): string | null {
  const names = [path.basename(device)];
  try {
    names.push(path.basename(fs.realpathSync(device)));
  } catch {
    // missing: reported by the device check
  }
  for (const name of names) {
    const m = /^watchdog(\d*)$/.exec(name);
    if (m) return `/sys/class/watchdog/watchdog${m[1] === '' ? '0' : m[1]}`;
  }
  return null;
}

function readSysfsInt(dir: string, file: string, key: string): number {
  const p = path.join(dir, file);
  let text: string;
  try {
    text = fs.readFileSync(p, 'utf8');
  } catch (err) {
    throw new WatchdogError('WATCHDOG_UNAVAILABLE', `cannot read ${p}: ${errorMessage(err)}`, key);
  }
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new WatchdogError('WATCHDOG_UNAVAILABLE', `${p} holds ${JSON.stringify(t.slice(0, 40))}, not a whole number`, key);
  return Number(t);
}

/** Reads the device's timeout and nowayout from sysfs; WatchdogError (with the key to blame) when it cannot. */
export function readDeviceFacts(device: string, sysfsDir: string): DeviceFacts {
  const dir = sysfsDir !== '' ? sysfsDir : sysfsDirFor(device);
  if (dir === null) {
    throw new WatchdogError(
      'WATCHDOG_UNAVAILABLE',
      `cannot tell the sysfs directory of ${device} (its name is not watchdog or watchdogN): set ${KEY.sysfsDir} to the /sys/class/watchdog/watchdogN directory of that device`,
      KEY.sysfsDir,
    );
  }
  const key = sysfsDir !== '' ? KEY.sysfsDir : KEY.device;
  const timeoutS = readSysfsInt(dir, 'timeout', key);
  if (timeoutS < 1) throw new WatchdogError('WATCHDOG_UNAVAILABLE', `${path.join(dir, 'timeout')} says ${timeoutS} s: not a usable timeout`, key);
  const nowayout = readSysfsInt(dir, 'nowayout', key);
  return { sysfsDir: dir, timeoutS, nowayout: nowayout !== 0 };
}

/** The device node itself: present, a character device (a FIFO or regular file only in tests), writable. */
export function checkDeviceNode(device: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(device);
  } catch (err) {
    const hint = (err as NodeJS.ErrnoException).code === 'ENOENT' ? ' (no watchdog driver loaded? modprobe softdog)' : '';
    throw new WatchdogError('WATCHDOG_UNAVAILABLE', `${device} cannot be used: ${errorMessage(err)}${hint}`, KEY.device);
  }
  if (!st.isCharacterDevice() && !st.isFIFO() && !st.isFile()) {
    throw new WatchdogError('WATCHDOG_UNAVAILABLE', `${device} is not a character device`, KEY.device);
  }
  try {
    fs.accessSync(device, fs.constants.W_OK);
  } catch {
    const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
    throw new WatchdogError(
      'WATCHDOG_UNAVAILABLE',
      `${device} is not writable by this controller (uid ${uid}): let the service user write it, e.g. a udev rule KERNEL=="watchdog*", GROUP="jenkins", MODE="0660"`,
      KEY.device,
    );
  }
}

/**
 * Pure: what is wrong with a device of these facts under this budget, or null. Each message says
 * which number is wrong and what to set.
 */
export function timingProblem(device: string, facts: DeviceFacts, b: WatchdogBudget, safetyMarginMs: number): { key: string; reason: string } | null {
  if (facts.nowayout) {
    return {
      key: KEY.device,
      reason:
        `${device} has nowayout=1 (${path.join(facts.sysfsDir, 'nowayout')}): closing it would not stop it, so every step-down or clean stop ` +
        `would reset this host; load the driver with nowayout=0 (modprobe -r softdog && modprobe softdog nowayout=0 soft_margin=N; ` +
        `a kernel built with CONFIG_WATCHDOG_NOWAYOUT=y needs the option)`,
    };
  }
  const timeoutMs = facts.timeoutS * 1000;
  const lag = b.refreshLagMs;
  const room = b.sessionTimeoutMs - b.fenceAfterMs - safetyMarginMs - lag;
  const maxS = Math.floor(room / 1000);
  const minS = Math.max(1, Math.ceil((2 * b.pingIntervalMs) / 1000));
  const lagTerm = `follower refresh lag ${lag} ms (max(zk.pingIntervalMs, zk.tickTimeMs / 2))`;
  const budget = `fence deadline ${b.fenceAfterMs} ms + device timeout ${timeoutMs} ms + ${KEY.margin} ${safetyMarginMs} ms + ${lagTerm} = ${b.fenceAfterMs + timeoutMs + safetyMarginMs + lag} ms`;
  if (maxS < minS) {
    return {
      key: KEY.device,
      reason:
        `no whole-second watchdog timeout fits session timeout ${b.sessionTimeoutMs} ms: it must be at least ${minS} s (2 x zk.pingIntervalMs ${b.pingIntervalMs} ms, ` +
        `keepalives come with ZooKeeper's answers) and at most ${Math.max(0, room)} ms (session timeout ${b.sessionTimeoutMs} - fence deadline ${b.fenceAfterMs} - ` +
        `${KEY.margin} ${safetyMarginMs} - ${lagTerm}); raise zk.sessionTimeoutMs, or lower fencing.deadlineRatio, zk.pingIntervalMs or ${KEY.margin}`,
    };
  }
  if (timeoutMs > room) {
    return {
      key: KEY.device,
      reason:
        `the timeout of ${device} is ${facts.timeoutS} s (${path.join(facts.sysfsDir, 'timeout')}), too long: ${budget} > session timeout ${b.sessionTimeoutMs} ms, ` +
        `so the session could expire (and a standby start Jenkins) before this host resets; set it to ${minS === maxS ? `${maxS} s` : `${minS}..${maxS} s`} ` +
        `(modprobe -r softdog && modprobe softdog soft_margin=${maxS})`,
    };
  }
  if (facts.timeoutS < minS) {
    return {
      key: KEY.device,
      reason:
        `the timeout of ${device} is ${facts.timeoutS} s (${path.join(facts.sysfsDir, 'timeout')}), too short: keepalives come with ZooKeeper's answers, ` +
        `one liveness request every ${b.pingIntervalMs} ms (zk.pingIntervalMs), and it must outlast two of them (${2 * b.pingIntervalMs} ms) or one late answer ` +
        `resets a healthy host; set it to ${minS === maxS ? `${maxS} s` : `${minS}..${maxS} s`} (modprobe -r softdog && modprobe softdog soft_margin=${maxS})`,
    };
  }
  return null;
}

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
    if (this.o.mode === 'required') throw new ConfigError(`${problem.key}: ${problem.reason} (${KEY.mode} is required)`, problem.key);
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
          required ? `host watchdog required but unavailable; not starting Jenkins: ${reason}` : `host watchdog unavailable; starting Jenkins without it: ${reason}`,
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
      this.log.error(`${this.lastError}; the host may reset within ${this.timeoutMs ?? '?'} ms`, { event: 'watchdog.error', op: 'disarm', device: this.o.device });
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
      return { key: err instanceof ConfigError && err.key !== undefined ? err.key : KEY.device, reason: errorMessage(err) };
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
