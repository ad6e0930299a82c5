/**
 * fencing.watchdog.*: off by default, read from file, env and flags under the generated names, and
 * refused values name their key. With mode required, a device that cannot be validated stops
 * `run` at start-up with a ConfigError naming fencing.watchdog.* (exit 2), before ZooKeeper.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config/load';
import { ConfigError } from '../../../src/errors';
import { silentLogger } from '../../../src/logging/logger';
import { startNode } from '../../../src/main';
import { configError } from '../../helpers/config-error';


describe('fencing.watchdog keys', () => {
  it('is off by default, on /dev/watchdog with a derived sysfs directory and a 1 s margin', () => {
    expect(loadConfig({ env: {}, args: [] }).fencing.watchdog).toEqual({ mode: 'off', device: '/dev/watchdog', sysfsDir: '', safetyMarginMs: 1000 });
  });

  it('reads env vars JHA_FENCING_WATCHDOG_* and flags --fencing-watchdog-*', () => {
    const env = { JHA_FENCING_WATCHDOG_MODE: 'required', JHA_FENCING_WATCHDOG_DEVICE: '/dev/watchdog1', JHA_FENCING_WATCHDOG_SYSFS_DIR: '/sys/class/watchdog/watchdog1', JHA_FENCING_WATCHDOG_SAFETY_MARGIN_MS: '500' };
    expect(loadConfig({ env, args: [] }).fencing.watchdog).toEqual({ mode: 'required', device: '/dev/watchdog1', sysfsDir: '/sys/class/watchdog/watchdog1', safetyMarginMs: 500 });
    const flags = ['--fencing-watchdog-mode', 'automatic', '--fencing-watchdog-safety-margin-ms', '0'];
    expect(loadConfig({ env, args: flags }).fencing.watchdog).toMatchObject({ mode: 'automatic', safetyMarginMs: 0 });
  });

  it('reads a nested section from a config file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-watchdog-keys-'));
    try {
      const file = path.join(dir, 'c.json');
      fs.writeFileSync(file, JSON.stringify({ fencing: { watchdog: { mode: 'automatic', device: '/dev/watchdog0' } } }));
      expect(loadConfig({ file, env: {}, args: [] }).fencing.watchdog).toEqual({ mode: 'automatic', device: '/dev/watchdog0', sysfsDir: '', safetyMarginMs: 1000 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['fencing.watchdog.mode', { JHA_FENCING_WATCHDOG_MODE: 'on' }, /must be one of the possible values: \["off","automatic","required"\]/],
    ['fencing.watchdog.device', { JHA_FENCING_WATCHDOG_DEVICE: 'watchdog' }, /must be an absolute path/],
    ['fencing.watchdog.device', { JHA_FENCING_WATCHDOG_DEVICE: '' }, /must be an absolute path/],
    ['fencing.watchdog.sysfsDir', { JHA_FENCING_WATCHDOG_SYSFS_DIR: 'sys/class/watchdog' }, /absolute path or empty/],
    ['fencing.watchdog.safetyMarginMs', { JHA_FENCING_WATCHDOG_SAFETY_MARGIN_MS: '1s' }, /integer between 0 and 600000/],
  ])('refuses a bad %s, naming it', (key, env, re) => {
    const err = configError(() => loadConfig({ env, args: [] }));
    expect(err.key).toBe(key);
    expect(err.message).toContain(key);
    expect(err.message).toMatch(re);
  });
});

describe('run with fencing.watchdog.mode required', () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-watchdog-home-'));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('refuses to start with a missing device: a ConfigError naming fencing.watchdog.device (exit 2)', async () => {
    const cfg = loadConfig({
      env: { JENKINS_HOME: home, JHA_FENCING_WATCHDOG_MODE: 'required', JHA_FENCING_WATCHDOG_DEVICE: path.join(home, 'no-such-watchdog') },
      args: [],
    });
    const err = await startNode(cfg, silentLogger).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('fencing.watchdog.device');
    expect((err as ConfigError).message).toMatch(/^fencing\.watchdog\.device: .*no-such-watchdog cannot be used.*\(fencing\.watchdog\.mode is required\)$/);
  });

  function watchdogFiles(timeoutS: number): { device: string; sysfs: string } {
    const device = path.join(home, 'watchdog');
    const sysfs = path.join(home, 'sys');
    fs.writeFileSync(device, '');
    fs.mkdirSync(sysfs, { recursive: true });
    fs.writeFileSync(path.join(sysfs, 'timeout'), `${timeoutS}\n`);
    fs.writeFileSync(path.join(sysfs, 'nowayout'), '0\n');
    return { device, sysfs };
  }

  async function startError(env: Record<string, string>): Promise<ConfigError> {
    const cfg = loadConfig({ env: { JENKINS_HOME: home, JHA_FENCING_WATCHDOG_MODE: 'required', ...env }, args: [] });
    const err = (await startNode(cfg, silentLogger).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.key).toBe('fencing.watchdog.device');
    return err;
  }

  // The configuration docs/safety.md recommends for the watchdog: fence after 3 s, ping 1 s.
  const roomy = { JHA_FENCING_DEADLINE_RATIO: '0.3', JHA_ZK_PING_INTERVAL_MS: '1000', JHA_ZK_REQUEST_TIMEOUT_MS: '3000' };

  it('refuses a device whose timeout breaks the rule for the configured session timeout, the follower refresh lag included', async () => {
    const { device, sysfs } = watchdogFiles(60);
    const err = await startError({ ...roomy, JHA_FENCING_WATCHDOG_DEVICE: device, JHA_FENCING_WATCHDOG_SYSFS_DIR: sysfs });
    // T = 10 s, fence after 3 s, margin 1 s, lag max(1000, tickTime 2000 / 2) = 1 s: at most 5 s.
    expect(err.message).toContain(
      'fence deadline 3000 ms + device timeout 60000 ms + fencing.watchdog.safetyMarginMs 1000 ms + ' +
        'follower refresh lag 1000 ms (max(zk.pingIntervalMs, zk.tickTimeMs / 2)) = 65000 ms > session timeout 10000 ms',
    );
    expect(err.message).toContain('set it to 2..5 s (modprobe -r softdog && modprobe softdog soft_margin=5)');
    expect(fs.readFileSync(device).length).toBe(0); // never opened for writing
  });

  it('the lag follows zk.tickTimeMs: with tickTime 4 s a 5 s timeout (fine at 2 s) is refused', async () => {
    const { device, sysfs } = watchdogFiles(5);
    const err = await startError({ ...roomy, JHA_FENCING_WATCHDOG_DEVICE: device, JHA_FENCING_WATCHDOG_SYSFS_DIR: sysfs, JHA_ZK_TICK_TIME_MS: '4000' });
    expect(err.message).toContain('+ follower refresh lag 2000 ms (max(zk.pingIntervalMs, zk.tickTimeMs / 2)) = 11000 ms > session timeout 10000 ms');
    expect(err.message).toContain('set it to 2..4 s');
  });

  it('with the defaults no whole-second timeout fits (docs/safety.md says so)', async () => {
    const { device, sysfs } = watchdogFiles(4);
    const err = await startError({ JHA_FENCING_WATCHDOG_DEVICE: device, JHA_FENCING_WATCHDOG_SYSFS_DIR: sysfs });
    // T = 10 s, fence after 5 s, margin 1 s, lag max(1666, 1000): at most 2334 ms; the ping interval wants at least 4 s.
    expect(err.message).toContain('no whole-second watchdog timeout fits session timeout 10000 ms: it must be at least 4 s');
    expect(err.message).toContain('at most 2334 ms');
  });
});
