import { renderHistory } from '../../../src/cli/commands';
import { renderStatus, type StatusReport } from '../../../src/cli/status';
import { renderTable } from '../../../src/cli/table';

test('renderTable pads columns to the widest cell and trims line ends', () => {
  expect(renderTable(['ID', 'ROLE', 'X'], [['a', 'leader', ''], ['node-b', 'standby', 'z']])).toBe(
    'ID      ROLE     X\n' + 'a       leader\n' + 'node-b  standby  z\n',
  );
  expect(renderTable(['A'], [])).toBe('A\n');
});

const report: StatusReport = {
  cluster: 'prod',
  zookeeper: 'zk1:2181',
  basePath: '/jenkins-ha/prod',
  leader: { id: 'a', source: 'status', jenkinsReady: true },
  epoch: 7,
  paused: { paused: true, by: 'ops', reason: 'upgrade', since: '2024-01-01T00:00:00.000Z', until: '2024-01-01T01:00:00.000Z' },
  switchover: null,
  at: '2024-01-01T00:00:01.000Z',
  members: [
    {
      id: 'a', znode: 'n_x_a_0000000001', sequence: 1, host: 'h1', apiUrl: 'http://h1:8090', electionRole: 'leader', reachable: true,
      role: 'leader', jenkins: { state: 'running', ready: true, pid: 42 }, since: '2024-01-01T00:00:00.123Z', sinceMs: 65_000, epoch: 7, error: null,
      notes: [], launchBlocked: null, eligibility: null, drain: null, watchdog: null,
    },
    {
      id: 'b', znode: 'n_y_b_0000000002', sequence: 2, host: 'h2', apiUrl: 'http://h2:8090', electionRole: 'standby', reachable: false,
      role: 'unreachable', jenkins: null, since: null, sinceMs: null, epoch: null, error: 'http://h2:8090/status: ECONNREFUSED',
      notes: [], launchBlocked: null, eligibility: null, drain: null, watchdog: null,
    },
  ],
};

test('renderStatus: header with leader, epoch, pause; a row per member; why a member is unreachable', () => {
  expect(renderStatus(report)).toBe(
    'cluster prod  zookeeper zk1:2181\n' +
      'leader: a  epoch: 7  paused: yes, until 2024-01-01T01:00:00.000Z (by ops: upgrade)  switchover: none\n' +
      '\n' +
      'ID  ROLE         JENKINS  READY  API URL         SINCE\n' +
      'a   leader       running  yes    http://h1:8090  2024-01-01T00:00:00Z (1m05s)\n' +
      'b   unreachable  -        -      http://h2:8090  -\n' +
      '\n' +
      'unreachable:\n' +
      '  b: http://h2:8090/status: ECONNREFUSED\n',
  );
});

test('renderStatus: no leader that says so, a switchover in progress, no members', () => {
  const r: StatusReport = {
    ...report,
    leader: { id: 'b', source: 'election', jenkinsReady: null },
    paused: { paused: false },
    switchover: { id: 's1', candidate: null, from: 'a', reason: 'patch', requestedAt: '2024-01-01T00:00:00Z', state: 'running' },
  };
  const text = renderStatus(r);
  expect(text).toContain('leader: b (first in the election; its API did not say it leads)');
  expect(text).toContain('paused: no');
  expect(text).toContain('switchover: s1 running: a -> next in line (patch), requested 2024-01-01T00:00:00Z');
  expect(renderStatus({ ...report, leader: null, members: [] })).toContain('no members in ZooKeeper');
});

test('renderHistory: time, node, event, epoch, reason (with the duration when there is one)', () => {
  expect(renderHistory([])).toBe('no history yet\n');
  expect(
    renderHistory([
      { at: '2024-01-01T00:00:00.000Z', event: 'elected', node: 'a', reason: 'epoch 1', epoch: 1 },
      { at: '2024-01-01T00:00:02.000Z', event: 'jenkins.ready', node: 'a', reason: 'ready', epoch: 1, durationMs: 1500 },
      { at: '2024-01-01T00:00:03.000Z', event: 'paused', node: '', reason: 'by x', epoch: null },
    ]),
  ).toBe(
    'TIME                      NODE  EVENT          EPOCH  REASON\n' +
      '2024-01-01T00:00:00.000Z  a     elected        1      epoch 1\n' +
      '2024-01-01T00:00:02.000Z  a     jenkins.ready  1      ready (1s)\n' +
      '2024-01-01T00:00:03.000Z  -     paused         -      by x\n',
  );
});

test('renderStatus: a PRIO column once any member sets election.priority or noFailover', () => {
  const [a, b] = report.members as [StatusReport['members'][number], StatusReport['members'][number]];
  const text = renderStatus({ ...report, members: [{ ...a, priority: 10, noFailover: false }, { ...b, priority: 0, noFailover: true }] });
  expect(text).toContain('ID  ROLE         JENKINS  READY  API URL         SINCE                         PRIO\n');
  expect(text).toContain('a   leader       running  yes    http://h1:8090  2024-01-01T00:00:00Z (1m05s)  10\n');
  expect(text).toContain('b   unreachable  -        -      http://h2:8090  -                             0 noFailover\n');
  // All at the defaults: no column, the table as before.
  expect(renderStatus({ ...report, members: [{ ...a, priority: 0, noFailover: false }, b] })).not.toContain('PRIO');
});
