/**
 * lock.ioTimeoutMs: the deadline of every call on JENKINS_HOME, derived from the storage lease
 * when 0, and held to the rule heartbeatMs + ioTimeoutMs + fencing.marginMs <= leaseMs (a leader
 * whose home hangs kills Jenkins before the lease it last wrote runs out elsewhere).
 */
import { loadConfig, resolveIoTimeoutMs } from '../../../src/config/load';
import { configError } from '../../helpers/config-error';

const load = (env: Record<string, string>) => loadConfig({ env, args: [] });

describe('lock.ioTimeoutMs', () => {
  it('derives min(2000, lease - heartbeat - margin) from 0 (the default)', () => {
    expect(resolveIoTimeoutMs(load({}))).toBe(2000); // 5000 - 1250 - 200 = 3550 -> 2000
    expect(resolveIoTimeoutMs(load({ JHA_ZK_SESSION_TIMEOUT_MS: '2000', JHA_ZK_TICK_TIME_MS: '200', JHA_ZK_PING_INTERVAL_MS: '250' }))).toBe(550); // 1000 - 250 - 200
    expect(resolveIoTimeoutMs(load({ JHA_ZK_SESSION_TIMEOUT_MS: '4000' }))).toBe(1300); // 2000 - 500 - 200
  });

  it('keeps a configured value that fits the rule, up to the edge', () => {
    expect(resolveIoTimeoutMs(load({ JHA_LOCK_IO_TIMEOUT_MS: '3550' }))).toBe(3550);
    expect(load({ JHA_LOCK_IO_TIMEOUT_MS: '100' }).lock.ioTimeoutMs).toBe(100);
  });

  it('refuses a deadline the storage lease cannot cover, showing the arithmetic and the fix', () => {
    const err = configError(() => load({ JHA_LOCK_IO_TIMEOUT_MS: '3551' }));
    expect(err.key).toBe('lock.ioTimeoutMs');
    expect(err.message).toContain('1250 + 3551 + 200 = 5001 ms > 5000 ms');
    expect(err.message).toContain('set lock.ioTimeoutMs to at most 3550, or raise lock.leaseMs');
  });

  it('refuses a derived deadline that leaves nothing, naming the derivation', () => {
    const err = configError(() => load({ JHA_LOCK_LEASE_MS: '400', JHA_LOCK_HEARTBEAT_MS: '200', JHA_FENCING_MARGIN_MS: '200' }));
    expect(err.key).toBe('lock.ioTimeoutMs');
    expect(err.message).toContain('0 = min(2000, lock.leaseMs - lock.heartbeatMs - fencing.marginMs)');
  });

  it.each(['-1', '600001', '1.5', 'soon'])('rejects %j by format', (v) => {
    expect(configError(() => load({ JHA_LOCK_IO_TIMEOUT_MS: v })).message).toContain('lock.ioTimeoutMs');
  });
});
