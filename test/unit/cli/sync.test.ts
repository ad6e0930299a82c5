/** The SYNC cell of `jenkins-ha status` (git mode) and the column itself. */
import type { SyncStatus } from '../../../src/controller/status';
import { renderStatus, type StatusReport } from '../../../src/cli/status';
import { syncSummary } from '../../../src/cli/sync';

const C1 = '1111111111111111111111111111111111111111';
const C2 = '2222222222222222222222222222222222222222';
const NOW = Date.parse('2024-01-01T00:01:00.000Z');

function sync(over: Partial<SyncStatus> = {}, local: Partial<SyncStatus['local']> = {}): SyncStatus {
  return {
    mode: 'git',
    repo: '/srv/config.git',
    branch: 'main',
    gate: { epoch: 3, state: 'ready', reason: null, stale: false },
    recorded: { commit: C2, epoch: 3, nodeId: 'a', at: '2024-01-01T00:00:30.000Z' },
    lastPush: { commit: C2, epoch: 3, at: '2024-01-01T00:00:30.000Z' },
    lastError: null,
    ...over,
    local: { checkedOut: C1, fetched: C2, fetchedAt: '2024-01-01T00:00:50.000Z', haveRecorded: true, commitsBehind: 2, secondsBehind: 95, ...local },
  };
}

describe('syncSummary', () => {
  it('says what the leader pushed and when', () => {
    expect(syncSummary(sync(), 'leader', NOW)).toBe('pushed 22222222 30s ago');
    expect(syncSummary(sync({ lastPush: null }), 'leader', NOW)).toBe('not pushed yet');
    expect(syncSummary(sync({ gate: { epoch: 3, state: 'ready', reason: null, stale: true } }), 'leader', NOW)).toContain('STALE');
  });

  it('says how far a standby home is behind the recorded commit', () => {
    expect(syncSummary(sync(), 'standby', NOW)).toBe('home 2 commits / 1m35s behind 22222222 (fetched)');
    expect(syncSummary(sync({}, { commitsBehind: 0, secondsBehind: 0 }), 'standby', NOW)).toBe('up to date (22222222)');
    expect(syncSummary(sync({ lastError: 'git fetch /x: not a repository' }, { haveRecorded: false, commitsBehind: null, secondsBehind: null }), 'standby', NOW)).toBe(
      'recorded 22222222 not fetched: git fetch /x: not a repository',
    );
    expect(syncSummary(sync({ recorded: null }), 'standby', NOW)).toBe('no commit recorded');
  });

  it('shows a blocked gate with its reason', () => {
    expect(syncSummary(sync({ gate: { epoch: 4, state: 'failed', reason: 'repository unreachable', stale: false } }), 'stopped', NOW)).toBe('blocked: repository unreachable');
  });
});

test('renderStatus adds a SYNC column only when members report sync', () => {
  const base: StatusReport = {
    cluster: 'prod',
    zookeeper: 'zk1:2181',
    basePath: '/jenkins-ha/prod',
    leader: { id: 'a', source: 'status', jenkinsReady: true },
    epoch: 3,
    paused: { paused: false },
    switchover: null,
    at: '2024-01-01T00:01:00.000Z',
    members: [
      {
        id: 'a', znode: 'n_x_a_0000000001', sequence: 1, host: 'h1', apiUrl: 'http://h1:8090', electionRole: 'leader', reachable: true,
        role: 'leader', jenkins: { state: 'running', ready: true, pid: 42 }, since: null, sinceMs: null, epoch: 3, error: null,
      notes: [], launchBlocked: null, eligibility: null, drain: null, watchdog: null,
      },
    ],
  };
  expect(renderStatus(base)).not.toContain('SYNC');
  const text = renderStatus({ ...base, members: [{ ...base.members[0]!, sync: 'pushed 22222222 30s ago' }] });
  expect(text).toMatch(/SINCE +SYNC/);
  expect(text).toContain('pushed 22222222 30s ago');
});
