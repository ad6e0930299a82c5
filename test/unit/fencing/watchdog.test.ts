/**
 * The host watchdog module against a temp file (or FIFO) as the device and a temp dir as its sysfs
 * directory: what arming, keepalives and disarming write, and the refusals that keep a watchdog
 * from resetting a healthy host or from resetting it too late (after the session could expire).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../../src/errors';
import { HostWatchdog, type WatchdogMode, type WatchdogOptions } from '../../../src/fencing/watchdog';
import { readDeviceFacts, sysfsDirFor, timingProblem, type WatchdogBudget } from '../../../src/fencing/watchdog-check';
import { silentLogger, type LogFields, type Logger } from '../../../src/logging/logger';

let dir: string;
let device: string;
let sysfs: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-watchdog-'));
  device = path.join(dir, 'watchdog');
  sysfs = path.join(dir, 'sys');
  fs.writeFileSync(device, '');
  fs.mkdirSync(sysfs);
  setFacts(4, 0);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function setFacts(timeoutS: number | string, nowayout: number | string): void {
  fs.writeFileSync(path.join(sysfs, 'timeout'), `${timeoutS}\n`);
  fs.writeFileSync(path.join(sysfs, 'nowayout'), `${nowayout}\n`);
}

/**
 * T = 10 s, fence after 3 s, a liveness request every 1 s, SIGKILL 0.5 s after SIGTERM, follower
 * refresh lag max(1000, tickTime 2000 / 2) = 1 s: timeouts of 2..5 s fit (3 + 5 + 1 + 1 <= 10).
 */
const budget = (t: number): WatchdogBudget => ({
  sessionTimeoutMs: t,
  fenceAfterMs: Math.floor(t * 0.3),
  pingIntervalMs: 1000,
  fenceKillAfterMs: 500,
  refreshLagMs: 1000,
});
const T = 10000;

interface Logged {
  level: string;
  message: string;
  fields: LogFields;
}

function make(mode: WatchdogMode, over: Partial<WatchdogOptions> = {}): { wd: HostWatchdog; logs: Logged[] } {
  const logs: Logged[] = [];
  const at =
    (level: string) =>
    (message: string, fields: LogFields = {}): void =>
      void logs.push({ level, message, fields });
  const log: Logger = { ...silentLogger, error: at('error'), warn: at('warn'), info: at('info'), child: () => log };
  const wd = new HostWatchdog({ mode, device, sysfsDir: sysfs, safetyMarginMs: 1000, budget, logger: log, ...over });
  return { wd, logs };
}

const events = (logs: Logged[]): string[] => logs.map((l) => String(l.fields.event));
const written = (): Buffer => fs.readFileSync(device);

describe('arming, keepalives and disarming', () => {
  it('writes nothing until armed, one byte (never V) per keepalive, and the magic V on disarm', () => {
    const { wd, logs } = make('required');
    expect(wd.checkAtStart(T)).toBeNull();
    wd.keepalive(); // not armed: nothing to keep alive
    expect(written().length).toBe(0);
    expect(wd.status()).toEqual({ mode: 'required', device, armed: false, timeoutMs: 4000, errors: 0, lastError: null });

    expect(wd.arm(T)).toEqual({ ok: true, armed: true });
    expect(wd.isArmed()).toBe(true);
    expect(written().length).toBe(0); // opening arms it; no write needed
    wd.keepalive();
    wd.keepalive();
    wd.keepalive();
    expect([...written()]).toEqual([0, 0, 0]);
    expect(wd.arm(T)).toEqual({ ok: true, armed: true }); // already armed: no second open

    wd.disarm('Jenkins stopped (switchover)');
    expect(written().toString('latin1')).toBe('\0\0\0V');
    expect(wd.isArmed()).toBe(false);
    wd.disarm('again'); // no-op
    wd.keepalive(); // no-op
    expect(written().toString('latin1')).toBe('\0\0\0V');
    expect(events(logs)).toEqual(['watchdog.armed', 'watchdog.disarmed']);
    expect(logs[0]?.message).toContain('4000 ms after the last keepalive');
    expect(logs[1]?.fields.reason).toBe('Jenkins stopped (switchover)');
    expect(wd.status()).toMatchObject({ armed: false, errors: 0, lastError: null });
  });

  it('can be armed again after a disarm (the next launch)', () => {
    const { wd } = make('automatic');
    wd.arm(T);
    wd.keepalive();
    wd.disarm('stopped');
    wd.arm(T);
    wd.keepalive();
    wd.disarm('stopped');
    expect(written().toString('latin1')).toBe('\0V\0V');
  });

  it('does nothing at all in mode off', () => {
    fs.rmSync(device);
    const { wd, logs } = make('off');
    expect(wd.checkAtStart(T)).toBeNull();
    expect(wd.arm(T)).toEqual({ ok: true, armed: false });
    wd.keepalive();
    wd.disarm('x');
    expect(fs.existsSync(device)).toBe(false);
    expect(logs).toEqual([]);
    expect(wd.status()).toEqual({ mode: 'off', device, armed: false, timeoutMs: null, errors: 0, lastError: null });
  });

  it('counts keepalive errors and logs only the first of an arming; a failed disarm is an error too', () => {
    const fifo = path.join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // A reader, so that the non-blocking open for writing succeeds.
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const { wd, logs } = make('required', { device: fifo });
    expect(wd.arm(T)).toEqual({ ok: true, armed: true });
    wd.keepalive();
    const got = Buffer.alloc(16);
    expect(fs.readSync(reader, got)).toBe(1);
    fs.closeSync(reader); // the device "breaks": writes now fail with EPIPE
    wd.keepalive();
    wd.keepalive();
    expect(wd.status().errors).toBe(2);
    expect(wd.status().lastError).toMatch(/keepalive to .*fifo failed: .*EPIPE/);
    const errs = logs.filter((l) => l.fields.event === 'watchdog.error');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ level: 'error', fields: { op: 'keepalive' } });
    expect(errs[0]?.message).toContain('resets 4000 ms after the last good keepalive');

    wd.disarm('stopped');
    expect(wd.isArmed()).toBe(false);
    expect(wd.status().errors).toBe(3);
    expect(logs.filter((l) => l.fields.event === 'watchdog.error').map((l) => l.fields.op)).toEqual(['keepalive', 'disarm']);
    expect(events(logs)).not.toContain('watchdog.disarmed');
  });

  it('does not block on a FIFO without a reader: the open fails and says why', () => {
    const fifo = path.join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const { wd, logs } = make('required', { device: fifo });
    const r = wd.arm(T);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/cannot open .*fifo: .*ENXIO.*without a reader/);
    expect(wd.isArmed()).toBe(false);
    expect(logs.map((l) => [l.level, l.fields.event])).toEqual([['error', 'watchdog.unavailable']]);
  });
});

describe('the sysfs directory of a device', () => {
  it.each([
    ['/dev/watchdog', '/sys/class/watchdog/watchdog0'],
    ['/dev/watchdog0', '/sys/class/watchdog/watchdog0'],
    ['/dev/watchdog1', '/sys/class/watchdog/watchdog1'],
    ['/dev/watchdog12', '/sys/class/watchdog/watchdog12'],
  ])('%s -> %s', (dev, expected) => {
    expect(sysfsDirFor(dev)).toBe(expected);
  });

  it('follows a symlink to a watchdog name, and gives up on other names', () => {
    const real = path.join(dir, 'watchdog3');
    fs.writeFileSync(real, '');
    const link = path.join(dir, 'hw-wdt');
    fs.symlinkSync(real, link);
    expect(sysfsDirFor(link)).toBe('/sys/class/watchdog/watchdog3');
    expect(sysfsDirFor('/dev/misc-thing')).toBeNull();
    expect(sysfsDirFor('/dev/watchdogs')).toBeNull();
  });

  it('asks for fencing.watchdog.sysfsDir when the name says nothing', () => {
    const odd = path.join(dir, 'wdt');
    fs.writeFileSync(odd, '');
    const { wd } = make('required', { device: odd, sysfsDir: '' });
    expect(() => wd.checkAtStart(T)).toThrow(/set fencing\.watchdog\.sysfsDir/);
  });

  it('reads timeout and nowayout as whole numbers', () => {
    setFacts(7, 1);
    expect(readDeviceFacts(device, sysfs)).toEqual({ sysfsDir: sysfs, timeoutS: 7, nowayout: true });
  });
});

describe('validation: what is refused, and the message says which number and what to set', () => {
  function startError(mode: WatchdogMode = 'required', over: Partial<WatchdogOptions> = {}): ConfigError {
    const { wd } = make(mode, over);
    try {
      wd.checkAtStart(T);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return err as ConfigError;
    }
    throw new Error('expected a ConfigError');
  }

  it('a timeout too long for the session: the host could reset after the session expired', () => {
    setFacts(60, 0); // softdog's default soft_margin
    const err = startError();
    expect(err.key).toBe('fencing.watchdog.device');
    expect(err.message).toContain('is 60 s');
    expect(err.message).toContain(
      'too long: fence deadline 3000 ms + device timeout 60000 ms + fencing.watchdog.safetyMarginMs 1000 ms + ' +
        'follower refresh lag 1000 ms (max(zk.pingIntervalMs, zk.tickTimeMs / 2)) = 65000 ms > session timeout 10000 ms',
    );
    expect(err.message).toContain('set it to 2..5 s');
    expect(err.message).toContain('modprobe softdog soft_margin=5');
    expect(err.message).toContain('fencing.watchdog.mode is required');
  });

  it('the largest timeout that fits is accepted, one second more is not', () => {
    setFacts(5, 0);
    expect(make('required').wd.checkAtStart(T)).toBeNull();
    setFacts(6, 0);
    expect(startError().message).toContain('6000 ms + fencing.watchdog.safetyMarginMs 1000 ms + follower refresh lag 1000 ms');
    expect(startError().message).toContain('= 11000 ms > session timeout 10000 ms');
  });

  it('the follower refresh lag counts: a timeout that fits without it is refused with it', () => {
    // 3 + 6 + 1 = 10 s fitted before the lag was in the rule; the session can expire 1 s before lastHeard + T.
    const facts = { sysfsDir: '/sys/x', timeoutS: 6, nowayout: false };
    expect(timingProblem('/dev/watchdog', facts, { ...budget(T), refreshLagMs: 0 }, 1000)).toBeNull();
    expect(timingProblem('/dev/watchdog', facts, budget(T), 1000)?.reason).toContain('too long');
    // a tickTime of 4 s makes the lag 2 s (tickTime / 2 > zk.pingIntervalMs): 5 s no longer fits either
    const five = { ...facts, timeoutS: 5 };
    expect(timingProblem('/dev/watchdog', five, { ...budget(T), refreshLagMs: 2000 }, 1000)?.reason).toContain('set it to 2..4 s');
  });

  it('a timeout shorter than two liveness intervals: one late answer would reset a healthy host', () => {
    setFacts(1, 0);
    const err = startError();
    expect(err.message).toContain('is 1 s');
    expect(err.message).toContain('too short');
    expect(err.message).toContain('every 1000 ms (zk.pingIntervalMs)');
    expect(err.message).toContain('set it to 2..5 s');
  });

  it('nowayout=1: closing would not disarm, so a demotion would reset the host', () => {
    setFacts(4, 1);
    const err = startError();
    expect(err.key).toBe('fencing.watchdog.device');
    expect(err.message).toContain('nowayout=1');
    expect(err.message).toContain('modprobe softdog nowayout=0');
  });

  it('a missing device', () => {
    fs.rmSync(device);
    const err = startError();
    expect(err.key).toBe('fencing.watchdog.device');
    expect(err.message).toMatch(/watchdog cannot be used: .*ENOENT.*modprobe softdog/);
  });

  it('a directory is no device', () => {
    expect(startError('required', { device: sysfs }).message).toContain('is not a character device');
  });

  it.each([
    ['missing', () => fs.rmSync(path.join(sysfs, 'timeout')), /cannot read .*timeout: .*ENOENT/],
    ['garbage', () => setFacts('sixty', 0), /timeout holds "sixty", not a whole number/],
    ['zero', () => setFacts(0, 0), /says 0 s: not a usable timeout/],
    ['nowayout missing', () => fs.rmSync(path.join(sysfs, 'nowayout')), /cannot read .*nowayout/],
  ])('an unreadable timeout or nowayout (%s), naming fencing.watchdog.sysfsDir when it was set', (_what, spoil, re) => {
    spoil();
    const err = startError();
    expect(err.key).toBe('fencing.watchdog.sysfsDir');
    expect(err.message).toMatch(re);
  });

  it('a session timeout too short for any whole-second timeout', () => {
    const err = startError('required', { budget: (t) => ({ ...budget(t), sessionTimeoutMs: 4000, fenceAfterMs: 2000 }) });
    expect(err.message).toContain('no whole-second watchdog timeout fits session timeout 4000 ms');
    expect(err.message).toContain('at least 2 s');
    expect(err.message).toContain('at most 0 ms (session timeout 4000 - fence deadline 2000 - fencing.watchdog.safetyMarginMs 1000 - follower refresh lag 1000 ms');
  });

  it('timingProblem is pure and reports null for a fitting device', () => {
    const facts = { sysfsDir: '/sys/x', timeoutS: 4, nowayout: false };
    expect(timingProblem('/dev/watchdog', facts, budget(T), 1000)).toBeNull();
    expect(timingProblem('/dev/watchdog', facts, budget(T), 3001)?.reason).toContain('too long');
  });
});

describe('automatic mode: warn once and run without it', () => {
  it('a static problem at start-up is one warning; the watchdog stays off (the device is never opened)', () => {
    setFacts(60, 0);
    const { wd, logs } = make('automatic');
    const reason = wd.checkAtStart(T);
    expect(reason).toContain('too long');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ level: 'warn', fields: { event: 'watchdog.unavailable', key: 'fencing.watchdog.device', mode: 'automatic' } });
    setFacts(4, 0); // even if it becomes valid later: off for this process
    expect(wd.arm(T)).toEqual({ ok: true, armed: false });
    wd.keepalive();
    wd.disarm('x');
    expect(written().length).toBe(0);
    expect(wd.status()).toMatchObject({ mode: 'automatic', armed: false, lastError: reason });
    expect(logs).toHaveLength(1);
  });

  it('a problem when arming (device gone) is warned once per reason, and the launch goes on', () => {
    const { wd, logs } = make('automatic');
    expect(wd.checkAtStart(T)).toBeNull();
    fs.rmSync(device);
    const r1 = wd.arm(T);
    const r2 = wd.arm(T);
    expect(r1.ok).toBe(false);
    expect(r2).toEqual(r1);
    expect(logs.map((l) => [l.level, l.fields.event])).toEqual([['warn', 'watchdog.unavailable']]);
    expect(logs[0]?.message).toContain('starting Jenkins without it');
    fs.writeFileSync(device, '');
    expect(wd.arm(T)).toEqual({ ok: true, armed: true });
    expect(wd.status().lastError).toBeNull();
  });
});

describe('required mode at run time', () => {
  it('checks the device again against the negotiated session timeout when arming', () => {
    const { wd, logs } = make('required');
    expect(wd.checkAtStart(T)).toBeNull();
    // The server granted 6 s instead of 10 s: 1.8 s deadline + 4 s + 1 s > 6 s.
    const r = wd.arm(6000);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain('> session timeout 6000 ms');
    expect(wd.isArmed()).toBe(false);
    expect(logs.at(-1)).toMatchObject({ level: 'error', fields: { event: 'watchdog.unavailable' } });
    expect(logs.at(-1)?.message).toContain('not starting Jenkins');
    expect(written().length).toBe(0);
  });
});

describe('the early-reset notice', () => {
  it('warns at start-up when a ZooKeeper silence resets the host before the controller fences', () => {
    // fence after 5 s (ratio 0.5) + 0.5 s kill > 4 s timeout
    const { wd, logs } = make('required', { budget: (t) => ({ ...budget(t), fenceAfterMs: 5000 }), safetyMarginMs: 0 });
    setFacts(4, 0);
    expect(wd.checkAtStart(T)).toBeNull();
    expect(logs.map((l) => l.fields.event)).toEqual(['watchdog.early_reset']);
    expect(logs[0]?.message).toContain('lower fencing.deadlineRatio');
  });

  it("says nothing when the controller's own fence comes first", () => {
    setFacts(4, 0); // fence after 3 s + 0.5 s < 4 s
    const { wd, logs } = make('required');
    expect(wd.checkAtStart(T)).toBeNull();
    expect(logs).toEqual([]);
  });
});
