/**
 * election.priority and election.noFailover (issue 16): defaults, the env vars and flags named by
 * the scheme, negative priorities, and bad values refused with the key named.
 */
import { loadConfig } from '../../../src/config/load';
import { configError } from '../../helpers/config-error';

describe('election.priority / election.noFailover', () => {
  it('default to 0 and false', () => {
    const e = loadConfig({ env: {}, args: [] }).election;
    expect([e.priority, e.noFailover]).toEqual([0, false]);
  });

  it('come from JHA_ELECTION_PRIORITY / JHA_ELECTION_NO_FAILOVER and from flags, negatives included', () => {
    const e = loadConfig({ env: { JHA_ELECTION_PRIORITY: '-5', JHA_ELECTION_NO_FAILOVER: 'true' }, args: [] }).election;
    expect([e.priority, e.noFailover]).toEqual([-5, true]);
    const f = loadConfig({ env: {}, args: ['--election-priority', '100', '--election-no-failover', 'false'] }).election;
    expect([f.priority, f.noFailover]).toEqual([100, false]);
  });

  it.each([
    ['JHA_ELECTION_PRIORITY', '1.5', 'election.priority'],
    ['JHA_ELECTION_PRIORITY', 'high', 'election.priority'],
    ['JHA_ELECTION_PRIORITY', '1000001', 'election.priority'],
    ['JHA_ELECTION_NO_FAILOVER', 'yes', 'election.noFailover'],
  ])('%s=%s is a configuration error naming %s', (env, value, key) => {
    expect(configError(() => loadConfig({ env: { [env]: value }, args: [] })).key).toBe(key);
  });
});
