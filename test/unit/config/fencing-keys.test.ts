/**
 * The fencing-layer keys: fencing.methods (a list from a file, an env var or a flag), the fencing
 * retry backoff, and the storage lease rule lock.heartbeatMs < lock.leaseMs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, resolveLockTimings } from '../../../src/config/load';
import { configError } from '../../helpers/config-error';


describe('fencing.methods', () => {
  it('reads a JSON array of commands from a config file, in order', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-fencing-keys-'));
    try {
      const file = path.join(dir, 'c.json');
      fs.writeFileSync(file, JSON.stringify({ fencing: { methods: ['ssh old kill -9 $JHA_PREV_PID', 'ipmitool power off'] } }));
      expect(loadConfig({ file, env: {}, args: [] }).fencing.methods).toEqual(['ssh old kill -9 $JHA_PREV_PID', 'ipmitool power off']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each<[string, string, string[]]>([
    ['a JSON array', '["a --x=1,2", "b"]', ['a --x=1,2', 'b']],
    ['one command line (commas kept)', 'fence.sh --hosts a,b', ['fence.sh --hosts a,b']],
    ['empty (no fencing command)', '', []],
    ['blank', '   ', []],
  ])('reads %s from the env var', (_what, value, expected) => {
    expect(loadConfig({ env: { JHA_FENCING_METHODS: value }, args: [] }).fencing.methods).toEqual(expected);
  });

  it('reads the flag verbatim as one command or a JSON array', () => {
    expect(loadConfig({ env: {}, args: ['--fencing-methods', 'true'] }).fencing.methods).toEqual(['true']);
    expect(loadConfig({ env: {}, args: ['--fencing-methods=["false","true"]'] }).fencing.methods).toEqual(['false', 'true']);
  });

  it.each<[string, unknown]>([
    ['a list with an empty command', ['ok', ' ']],
    ['a list with a number', ['ok', 3]],
    ['an object', { cmd: 'kill it' }],
  ])('rejects %s, naming the key', (_what, methods) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-fencing-keys-'));
    try {
      const file = path.join(dir, 'c.json');
      fs.writeFileSync(file, JSON.stringify({ fencing: { methods } }));
      const err = configError(() => loadConfig({ file, env: {}, args: [] }));
      expect(err.key).toBe('fencing.methods');
      expect(err.message).toMatch(/fencing\.methods.*(list of non-empty shell command lines|must be a list)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a broken JSON array from the env var', () => {
    expect(configError(() => loadConfig({ env: { JHA_FENCING_METHODS: '["a", ' }, args: [] })).key).toBe('fencing.methods');
  });
});

describe('fencing retry backoff', () => {
  it('must not exceed its maximum', () => {
    const err = configError(() => loadConfig({ env: { JHA_FENCING_RETRY_BACKOFF_MS: '7000', JHA_FENCING_RETRY_BACKOFF_MAX_MS: '6000' }, args: [] }));
    expect(err.key).toBe('fencing.retryBackoffMs');
    expect(err.message).toContain('fencing.retryBackoffMaxMs');
  });
});

describe('storage lease: lock.heartbeatMs < lock.leaseMs', () => {
  it.each([
    ['1000', '1000'],
    ['3000', '2000'],
  ])('refuses heartbeat %s with lease %s', (hb, lease) => {
    const err = configError(() => loadConfig({ env: { JHA_LOCK_HEARTBEAT_MS: hb, JHA_LOCK_LEASE_MS: lease }, args: [] }));
    expect(err.key).toBe('lock.heartbeatMs');
    expect(err.message).toContain('lock.leaseMs');
  });

  it('derives lease = session timeout / 2 and heartbeat = lease / 4 from 0 (the defaults)', () => {
    expect(resolveLockTimings(loadConfig({ env: {}, args: [] }))).toEqual({ leaseMs: 5000, heartbeatMs: 1250 });
    expect(resolveLockTimings(loadConfig({ env: { JHA_ZK_SESSION_TIMEOUT_MS: '2000', JHA_ZK_TICK_TIME_MS: '200', JHA_ZK_PING_INTERVAL_MS: '250' }, args: [] }))).toEqual({ leaseMs: 1000, heartbeatMs: 250 });
    expect(resolveLockTimings(loadConfig({ env: { JHA_LOCK_LEASE_MS: '800' }, args: [] }))).toEqual({ leaseMs: 800, heartbeatMs: 200 });
  });

  it('checks the rule on the effective values', () => {
    const err = configError(() => loadConfig({ env: { JHA_ZK_SESSION_TIMEOUT_MS: '2000', JHA_ZK_TICK_TIME_MS: '200', JHA_ZK_PING_INTERVAL_MS: '250', JHA_LOCK_HEARTBEAT_MS: '1000' }, args: [] }));
    expect(err.key).toBe('lock.heartbeatMs');
    expect(err.message).toContain('0 = zk.sessionTimeoutMs / 2');
  });

  it('accepts a heartbeat shorter than the lease', () => {
    expect(loadConfig({ env: { JHA_LOCK_HEARTBEAT_MS: '200', JHA_LOCK_LEASE_MS: '1000' }, args: [] }).lock).toMatchObject({ heartbeatMs: 200, leaseMs: 1000 });
  });
});

describe('lock.flockWaitMs < jenkins.startupGraceMs', () => {
  it('refuses a flock wait that does not fit in the start-up time', () => {
    const err = configError(() => loadConfig({ env: { JHA_LOCK_FLOCK_WAIT_MS: '20000', JHA_JENKINS_STARTUP_GRACE_MS: '20000' }, args: [] }));
    expect(err.key).toBe('lock.flockWaitMs');
    expect(err.message).toContain('jenkins.startupGraceMs');
    expect(loadConfig({ env: { JHA_LOCK_FLOCK_WAIT_MS: '19999', JHA_JENKINS_STARTUP_GRACE_MS: '20000' }, args: [] }).lock.flockWaitMs).toBe(19999);
  });
});

describe('lock.flockTimeoutAction', () => {
  it('is refuse or proceed', () => {
    expect(loadConfig({ env: { JHA_LOCK_FLOCK_TIMEOUT_ACTION: 'proceed' }, args: [] }).lock.flockTimeoutAction).toBe('proceed');
    const err = configError(() => loadConfig({ env: { JHA_LOCK_FLOCK_TIMEOUT_ACTION: 'ignore' }, args: [] }));
    expect(err.key).toBe('lock.flockTimeoutAction');
  });
});
