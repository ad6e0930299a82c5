/**
 * Whether a host watchdog device may be used (fencing.watchdog; fencing/watchdog.ts opens it): the
 * device node, its facts in sysfs, and the rule its timeout must keep. The kernel resets the host
 * `timeout` after the last keepalive, and that must happen before the ZooKeeper session can
 * expire:
 *
 *   fenceAfterMs + device timeout + fencing.watchdog.safetyMarginMs + refresh lag <= session timeout
 *   (the lag, max(zk.pingIntervalMs, zk.tickTimeMs / 2): a follower-served session can expire that
 *   much before lastHeard + T; `sessionRefreshLagMs`, subtracted by the fencing rule too)
 *
 * Node has no ioctl, so the timeout is not set but read from sysfs
 * (`/sys/class/watchdog/watchdogN/timeout`, seconds; `nowayout` beside it), and a device whose
 * `nowayout` is 1 is refused (closing would not stop it: every demotion would reset the host).
 * Reads are synchronous (sysfs does not block). Each refusal names the key to fix.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WatchdogError, errorMessage } from '../errors';

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

export interface DeviceFacts {
  sysfsDir: string;
  timeoutS: number;
  nowayout: boolean;
}

/** The configuration keys a refusal names. */
export const WATCHDOG_KEYS = {
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
      `cannot tell the sysfs directory of ${device} (its name is not watchdog or watchdogN): ` +
        `set ${WATCHDOG_KEYS.sysfsDir} to the /sys/class/watchdog/watchdogN directory of that device`,
      WATCHDOG_KEYS.sysfsDir,
    );
  }
  const key = sysfsDir !== '' ? WATCHDOG_KEYS.sysfsDir : WATCHDOG_KEYS.device;
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
    throw new WatchdogError('WATCHDOG_UNAVAILABLE', `${device} cannot be used: ${errorMessage(err)}${hint}`, WATCHDOG_KEYS.device);
  }
  if (!st.isCharacterDevice() && !st.isFIFO() && !st.isFile()) {
    throw new WatchdogError('WATCHDOG_UNAVAILABLE', `${device} is not a character device`, WATCHDOG_KEYS.device);
  }
  try {
    fs.accessSync(device, fs.constants.W_OK);
  } catch {
    const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
    throw new WatchdogError(
      'WATCHDOG_UNAVAILABLE',
      `${device} is not writable by this controller (uid ${uid}): ` +
        `let the service user write it, e.g. a udev rule KERNEL=="watchdog*", GROUP="jenkins", MODE="0660"`,
      WATCHDOG_KEYS.device,
    );
  }
}

/**
 * Pure: what is wrong with a device of these facts under this budget, or null. Each message says
 * which number is wrong and what to set.
 */
export function timingProblem(
  device: string,
  facts: DeviceFacts,
  b: WatchdogBudget,
  safetyMarginMs: number,
): { key: string; reason: string } | null {
  if (facts.nowayout) {
    return {
      key: WATCHDOG_KEYS.device,
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
  const budget =
    `fence deadline ${b.fenceAfterMs} ms + device timeout ${timeoutMs} ms + ${WATCHDOG_KEYS.margin} ${safetyMarginMs} ms + ${lagTerm} ` +
    `= ${b.fenceAfterMs + timeoutMs + safetyMarginMs + lag} ms`;
  if (maxS < minS) {
    return {
      key: WATCHDOG_KEYS.device,
      reason:
        `no whole-second watchdog timeout fits session timeout ${b.sessionTimeoutMs} ms: ` +
        `it must be at least ${minS} s (2 x zk.pingIntervalMs ${b.pingIntervalMs} ms, keepalives come with ZooKeeper's answers) ` +
        `and at most ${Math.max(0, room)} ms (session timeout ${b.sessionTimeoutMs} - fence deadline ${b.fenceAfterMs} - ` +
        `${WATCHDOG_KEYS.margin} ${safetyMarginMs} - ${lagTerm}); ` +
        `raise zk.sessionTimeoutMs, or lower fencing.deadlineRatio, zk.pingIntervalMs or ${WATCHDOG_KEYS.margin}`,
    };
  }
  if (timeoutMs > room) {
    return {
      key: WATCHDOG_KEYS.device,
      reason:
        `the timeout of ${device} is ${facts.timeoutS} s (${path.join(facts.sysfsDir, 'timeout')}), too long: ` +
        `${budget} > session timeout ${b.sessionTimeoutMs} ms, ` +
        `so the session could expire (and a standby start Jenkins) before this host resets; ` +
        `set it to ${minS === maxS ? `${maxS} s` : `${minS}..${maxS} s`} (modprobe -r softdog && modprobe softdog soft_margin=${maxS})`,
    };
  }
  if (facts.timeoutS < minS) {
    return {
      key: WATCHDOG_KEYS.device,
      reason:
        `the timeout of ${device} is ${facts.timeoutS} s (${path.join(facts.sysfsDir, 'timeout')}), too short: ` +
        `keepalives come with ZooKeeper's answers, one liveness request every ${b.pingIntervalMs} ms (zk.pingIntervalMs), ` +
        `and it must outlast two of them (${2 * b.pingIntervalMs} ms) or one late answer resets a healthy host; ` +
        `set it to ${minS === maxS ? `${maxS} s` : `${minS}..${maxS} s`} (modprobe -r softdog && modprobe softdog soft_margin=${maxS})`,
    };
  }
  return null;
}
