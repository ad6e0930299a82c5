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

  it('refuses a device whose timeout breaks the rule for the configured session timeout', async () => {
    const device = path.join(home, 'watchdog');
    const sysfs = path.join(home, 'sys');
    fs.writeFileSync(device, '');
    fs.mkdirSync(sysfs);
    fs.writeFileSync(path.join(sysfs, 'timeout'), '60\n');
    fs.writeFileSync(path.join(sysfs, 'nowayout'), '0\n');
    const cfg = loadConfig({
      env: { JENKINS_HOME: home, JHA_FENCING_WATCHDOG_MODE: 'required', JHA_FENCING_WATCHDOG_DEVICE: device, JHA_FENCING_WATCHDOG_SYSFS_DIR: sysfs },
      args: [],
    });
    const err = (await startNode(cfg, silentLogger).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.key).toBe('fencing.watchdog.device');
    // Defaults: T = 10 s, fence after 5 s, margin 1 s: at most 4 s; the ping interval (1666 ms) wants at least 4 s.
    expect(err.message).toContain('fence deadline 5000 ms + device timeout 60000 ms + fencing.watchdog.safetyMarginMs 1000 ms = 66000 ms > session timeout 10000 ms');
    expect(err.message).toContain('set it to 4 s (modprobe -r softdog && modprobe softdog soft_margin=4)');
    expect(fs.readFileSync(device).length).toBe(0); // never opened for writing
  });
});
