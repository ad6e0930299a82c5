/**
 * The notes of `jenkins-ha status`: worded from each member's own GET /status (the words of
 * controller/notes.ts), listed under the table (healthy members add nothing), carried raw in
 * --json; and this host's controller shown when it is out of the election. The members' APIs are
 * one small HTTP server on loopback (a path per member); no ZooKeeper (the state is given).
 */
import * as http from 'node:http';
import { buildStatusReport, renderStatus, type MemberRow, type StatusReport } from '../../../src/cli/status';
import type { ZkClusterState, ZkMember } from '../../../src/cli/zk';
import { loadConfig, type Config } from '../../../src/config/load';
import type { StatusSnapshot } from '../../../src/controller/status';
import { snapshot } from '../api/fakes';

const SINCE = '2024-01-01T10:00:00.000Z';

function snap(id: string, role: StatusSnapshot['node']['role'], over: Partial<StatusSnapshot> = {}): StatusSnapshot {
  const base = snapshot();
  const running = role === 'leader';
  return snapshot({
    cluster: 'prod',
    node: { ...base.node, id, host: `host-${id}`, role, since: SINCE, sinceMs: 300_000 },
    jenkins: { ...base.jenkins, state: running ? 'running' : 'stopped', ready: running, pid: running ? 4242 : null },
    ...over,
  });
}

const INELIGIBLE = { eligible: false, reasons: ['preflight command failed: exit 1'], checkedAt: SINCE, versions: { local: null, leader: null } };
const DRAIN = { purpose: 'switchover' as const, since: '2024-01-01T10:04:25.000Z', quietDown: true, running: 2, builds: [], lastError: null };
const INTENT = { id: 's1', candidate: 'b', from: 'a', reason: '', requestedAt: SINCE, state: 'draining' as const };

/** GET <path>/status answers the snapshot registered for <path> ('' = the root); else 404. */
class Members {
  readonly served = new Map<string, StatusSnapshot>();
  readonly asked: string[] = [];
  private server = http.createServer((req, res) => {
    const url = req.url ?? '';
    this.asked.push(url);
    const s = url.endsWith('/status') ? this.served.get(url.slice(0, -'/status'.length)) : undefined;
    if (!s) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND","message":"no"}}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(s));
  });
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }
}

let members: Members;

beforeEach(async () => {
  members = new Members();
  await members.start();
});

afterEach(async () => {
  await members.close();
});

/** The CLI's config on this host: its own API is the server's root. */
function cfg(): Config {
  return loadConfig({ env: { JHA_CLUSTER: 'prod', JHA_API_HOST: '127.0.0.1', JHA_API_PORT: String(members.port) }, args: [] });
}

function zkMember(id: string, seq: number, apiUrl: string): ZkMember {
  return {
    id,
    znode: `n_g${seq}_${id}_000000000${seq}`,
    sequence: seq,
    electionRole: seq === 1 ? 'leader' : 'standby',
    info: { id, host: `host-${id}`, pid: 100 + seq, apiUrl, jenkinsUrl: '', version: '0.1.0', startedAt: SINCE },
  };
}

function state(list: ZkMember[]): ZkClusterState {
  return { cluster: 'prod', basePath: '/jenkins-ha/prod', members: list, epoch: 7, pause: null, switchover: null };
}

test('each member carries the notes of its own snapshot and the raw blocks they come from; a healthy one has none', async () => {
  members.served.set('/a', snap('a', 'leader', { drain: DRAIN, switchover: INTENT }));
  members.served.set('/b', snap('b', 'standby', { switchover: INTENT }));
  const r = await buildStatusReport(cfg(), state([zkMember('a', 1, members.url('/a')), zkMember('b', 2, members.url('/b')), zkMember('c', 3, members.url('/gone'))]));
  const [a, b, c] = r.members;
  expect(a).toMatchObject({ id: 'a', notes: ['draining (switchover to b, 35s): 2 builds running'], drain: DRAIN, launchBlocked: null, eligibility: null, watchdog: null });
  expect(b).toMatchObject({ id: 'b', notes: [], drain: null });
  expect(c).toMatchObject({ id: 'c', reachable: false, notes: [], launchBlocked: null, eligibility: null, drain: null, watchdog: null });
  // --json is the report as it is: the raw blocks and the notes survive it.
  expect((JSON.parse(JSON.stringify(r)) as StatusReport).members[0]).toMatchObject({ notes: a?.notes, drain: DRAIN });
});

test("this host's controller, out of the election, is shown from its own API with why", async () => {
  members.served.set('/a', snap('a', 'leader'));
  members.served.set('', snap('c', 'stopped', { eligibility: INELIGIBLE, decision: 'not eligible to run Jenkins (...); staying out of the election' }));
  const r = await buildStatusReport(cfg(), state([zkMember('a', 1, members.url('/a'))]));
  expect(r.members.map((m) => [m.id, m.electionRole, m.role, m.znode, m.sequence])).toEqual([
    ['a', 'leader', 'leader', 'n_g1_a_0000000001', 1],
    ['c', 'out', 'stopped', null, null],
  ]);
  expect(r.members[1]).toMatchObject({ apiUrl: members.url(''), host: 'host-c', eligibility: INELIGIBLE });
  expect(r.members[1]?.notes).toEqual(["not in the election (this host's controller)", 'not eligible: preflight command failed: exit 1']);
  expect(r.leader).toEqual({ id: 'a', source: 'status', jenkinsReady: true });
  expect(renderStatus(r)).toContain("notes:\n  c: not in the election (this host's controller)\n  c: not eligible: preflight command failed: exit 1\n");
});

test("this host's API is not shown twice, nor when it belongs to another cluster or does not answer", async () => {
  // It is a member already (same URL): not asked at all.
  members.served.set('', snap('a', 'leader'));
  let r = await buildStatusReport(cfg(), state([zkMember('a', 1, members.url(''))]));
  expect(r.members.map((m) => m.id)).toEqual(['a']);
  expect(members.asked.filter((u) => u === '/status')).toHaveLength(1);
  // Same id under another URL: not shown twice.
  members.served.set('/a', snap('a', 'leader'));
  r = await buildStatusReport(cfg(), state([zkMember('a', 1, members.url('/a'))]));
  expect(r.members.map((m) => m.id)).toEqual(['a']);
  // Another cluster's controller.
  members.served.set('', { ...snap('x', 'stopped'), cluster: 'staging' });
  r = await buildStatusReport(cfg(), state([zkMember('a', 1, members.url('/a'))]));
  expect(r.members.map((m) => m.id)).toEqual(['a']);
  // Nothing answers there.
  members.served.delete('');
  r = await buildStatusReport(cfg(), state([zkMember('a', 1, members.url('/a'))]));
  expect(r.members.map((m) => m.id)).toEqual(['a']);
});

test('a snapshot too odd to word gives a note saying so instead of failing status', async () => {
  members.served.set('/a', snap('a', 'leader', { eligibility: { eligible: false, reasons: 'full' as unknown as string[], checkedAt: null, versions: { local: null, leader: null } } }));
  const r = await buildStatusReport(cfg(), state([zkMember('a', 1, members.url('/a'))]));
  expect(r.members[0]?.notes).toEqual([]);
  const stopped = snap('a', 'stopped', { eligibility: { eligible: false, reasons: 'full' as unknown as string[], checkedAt: null, versions: { local: null, leader: null } } });
  members.served.set('/a', stopped);
  const r2 = await buildStatusReport(cfg(), state([zkMember('a', 1, members.url('/a'))]));
  expect(r2.members[0]?.notes).toEqual([expect.stringMatching(/^its status could not be read for notes: /)]);
});

describe('renderStatus', () => {
  const row = (over: Partial<MemberRow>): MemberRow => ({
    id: 'a', znode: 'n_x_a_0000000001', sequence: 1, host: 'h1', apiUrl: 'http://h1:8090', electionRole: 'leader', reachable: true,
    role: 'leader', jenkins: { state: 'running', ready: true, pid: 42 }, since: '2024-01-01T00:00:00.123Z', sinceMs: 65_000, epoch: 7, error: null,
    notes: [], launchBlocked: null, eligibility: null, drain: null, watchdog: null,
    ...over,
  });
  const report = (rows: MemberRow[]): StatusReport => ({
    cluster: 'prod',
    zookeeper: 'zk1:2181',
    basePath: '/jenkins-ha/prod',
    leader: { id: 'a', source: 'status', jenkinsReady: false },
    epoch: 7,
    paused: { paused: false },
    switchover: null,
    at: '2024-01-01T00:01:05.000Z',
    members: rows,
  });

  it('a healthy cluster: the table alone, as before', () => {
    const text = renderStatus(report([row({}), row({ id: 'b', electionRole: 'standby', role: 'standby', jenkins: { state: 'stopped', ready: false, pid: null }, apiUrl: 'http://h2:8090' })]));
    expect(text).toBe(
      'cluster prod  zookeeper zk1:2181\n' +
        'leader: a (Jenkins not ready)  epoch: 7  paused: no  switchover: none\n' +
        '\n' +
        'ID  ROLE     JENKINS  READY  API URL         SINCE\n' +
        'a   leader   running  yes    http://h1:8090  2024-01-01T00:00:00Z (1m05s)\n' +
        'b   standby  stopped  no     http://h2:8090  2024-01-01T00:00:00Z (1m05s)\n',
    );
  });

  it('notes under the table, a line each, in member order; then the unreachable members', () => {
    const text = renderStatus(
      report([
        row({ jenkins: { state: 'stopped', ready: false, pid: null }, notes: ['held (fencing, 1m02s): fencing failed (ipmi: exit 1)', 'watchdog armed (/dev/watchdog, 10s)'] }),
        row({ id: 'b', electionRole: 'standby', role: 'unreachable', jenkins: null, since: null, sinceMs: null, epoch: null, error: 'http://h2:8090/status: ECONNREFUSED', apiUrl: 'http://h2:8090' }),
        row({ id: 'c', znode: null, sequence: null, electionRole: 'out', role: 'stopped', jenkins: { state: 'stopped', ready: false, pid: null }, apiUrl: 'http://127.0.0.1:8090', notes: ["not in the election (this host's controller)", 'not eligible: free disk 812 MiB below 1024 MiB'] }),
      ]),
    );
    expect(text).toBe(
      'cluster prod  zookeeper zk1:2181\n' +
        'leader: a (Jenkins not ready)  epoch: 7  paused: no  switchover: none\n' +
        '\n' +
        'ID  ROLE         JENKINS  READY  API URL                SINCE\n' +
        'a   leader       stopped  no     http://h1:8090         2024-01-01T00:00:00Z (1m05s)\n' +
        'b   unreachable  -        -      http://h2:8090         -\n' +
        'c   stopped      stopped  no     http://127.0.0.1:8090  2024-01-01T00:00:00Z (1m05s)\n' +
        '\n' +
        'notes:\n' +
        '  a: held (fencing, 1m02s): fencing failed (ipmi: exit 1)\n' +
        '  a: watchdog armed (/dev/watchdog, 10s)\n' +
        "  c: not in the election (this host's controller)\n" +
        '  c: not eligible: free disk 812 MiB below 1024 MiB\n' +
        '\n' +
        'unreachable:\n' +
        '  b: http://h2:8090/status: ECONNREFUSED\n',
    );
  });
});
