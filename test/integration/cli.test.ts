/**
 * The operator commands (status, switchover, pause, resume, history) as real processes
 * (dist/cli.js) against a real ZooKeeper and real controllers. Every test ends by checking the
 * journal: never two Jenkins alive at once on the home.
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, type HaNode } from '../helpers/ha-node';
import { assertNeverTwoAlive, lives, readJournal } from '../helpers/journal';
import { selfSignedCert } from '../helpers/self-signed';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';
import { startZk } from '../helpers/zk';

const suite = haSuite();
const TOKEN = 'cli-test-token';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js <args>` with the fixture's ZooKeeper and cluster; env wins. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const a = suite.fx.nodes[0];
  const base: Record<string, string> = {
    JHA_ZK_CONNECT: suite.zk.connect,
    JHA_CLUSTER: a?.opts.cluster ?? 'none',
    JHA_API_HOST: '127.0.0.1',
    JHA_API_PORT: String(a?.opts.apiPort ?? suite.fx.apiBase),
    JHA_API_TOKEN: TOKEN,
    JHA_LOG_FORMAT: 'json',
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', ...base, ...env }, timeout: 90_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** a leads with a ready Jenkins, b stands by; both accept TOKEN. */
async function pair(): Promise<{ a: HaNode; b: HaNode }> {
  const a = suite.fx.start('a', { env: { JHA_API_TOKEN: TOKEN } });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env: { JHA_API_TOKEN: TOKEN } });
  await b.waitRole('standby');
  return { a, b };
}

interface StatusJson {
  cluster: string;
  leader: { id: string; source: string; jenkinsReady: boolean | null } | null;
  epoch: number | null;
  paused: { paused: boolean; by?: string; reason?: string; until?: string | null };
  switchover: unknown;
  members: {
    id: string;
    role: string;
    electionRole: string;
    reachable: boolean;
    jenkins: { state: string; ready: boolean } | null;
    apiUrl: string;
    notes: string[];
    eligibility: { eligible: boolean; reasons: string[] } | null;
  }[];
}

async function statusJson(env: Record<string, string> = {}): Promise<StatusJson> {
  const r = await cli(['status', '--json'], env);
  expect(r).toMatchObject({ code: 0 });
  return JSON.parse(r.stdout) as StatusJson;
}

test('status shows the leader and the standby, as a table and as JSON', async () => {
  const { a, b } = await pair();
  const t = await cli(['status']);
  expect(t.stderr).toBe('');
  expect(t.code).toBe(0);
  expect(t.stdout).toContain(`cluster ${a.opts.cluster}`);
  expect(t.stdout).toMatch(/leader: a\s+epoch: 1\s+paused: no\s+switchover: none/);
  expect(t.stdout).toMatch(/^ID\s+ROLE\s+JENKINS\s+READY\s+API URL\s+SINCE$/m);
  expect(t.stdout).toMatch(new RegExp(`^a\\s+leader\\s+running\\s+yes\\s+http://127\\.0\\.0\\.1:${a.opts.apiPort}\\s+\\d{4}-`, 'm'));
  expect(t.stdout).toMatch(new RegExp(`^b\\s+standby\\s+stopped\\s+no\\s+http://127\\.0\\.0\\.1:${b.opts.apiPort}\\s+\\d{4}-`, 'm'));
  // A healthy pair has nothing to explain: no notes under the table.
  expect(t.stdout).not.toContain('notes:');

  const j = await statusJson();
  expect(j.cluster).toBe(a.opts.cluster);
  expect(j.leader).toEqual({ id: 'a', source: 'status', jenkinsReady: true });
  expect(j.epoch).toBe(1);
  expect(j.paused).toEqual({ paused: false });
  expect(j.switchover).toBeNull();
  expect(j.members.map((m) => [m.id, m.role, m.electionRole, m.reachable, m.jenkins?.ready])).toEqual([
    ['a', 'leader', 'leader', true, true],
    ['b', 'standby', 'standby', true, false],
  ]);
  expect(j.members.map((m) => m.notes)).toEqual([[], []]);
});

test("status says why a node does not stand by: this host's ineligible controller, out of the election, with its note", async () => {
  const { a } = await pair();
  // eligibility.preflightCommand `false`: the site check fails, c leaves (or never joins) the election.
  const c = suite.fx.start('c', { env: { JHA_API_TOKEN: TOKEN, JHA_ELIGIBILITY_PREFLIGHT_COMMAND: 'false' } });
  await c.waitRole('stopped');
  // Run on c's host: its config names c's API. ZooKeeper does not list c; its API does.
  const onC = { JHA_API_PORT: String(c.opts.apiPort) };
  const t = await cli(['status'], onC);
  expect(t.stderr).toBe('');
  expect(t.code).toBe(0);
  expect(t.stdout).toMatch(new RegExp(`^c\\s+stopped\\s+stopped\\s+no\\s+http://127\\.0\\.0\\.1:${c.opts.apiPort}\\s+\\d{4}-`, 'm'));
  expect(t.stdout).toContain("\nnotes:\n  c: not in the election (this host's controller)\n  c: not eligible: preflight command failed: exit 1\n");
  const j = await statusJson(onC);
  expect(j.leader?.id).toBe(a.id);
  expect(j.members.map((m) => [m.id, m.electionRole, m.role])).toEqual([
    ['a', 'leader', 'leader'],
    ['b', 'standby', 'standby'],
    ['c', 'out', 'stopped'],
  ]);
  const rowC = j.members[2];
  expect(rowC?.eligibility).toMatchObject({ eligible: false, reasons: ['preflight command failed: exit 1'] });
  expect(rowC?.notes).toEqual(["not in the election (this host's controller)", 'not eligible: preflight command failed: exit 1']);
  // The same words as c's own GET /status (and so its status page).
  expect((await c.status())?.notes).toEqual(['not eligible: preflight command failed: exit 1']);
  // From a's host c is not seen (ZooKeeper does not list it, a's API is a member's).
  expect((await statusJson()).members.map((m) => m.id)).toEqual(['a', 'b']);
});

test('status still answers (exit 0) when a controller was SIGKILLed', async () => {
  const { b } = await pair();
  b.signal('SIGKILL');
  await b.exited;
  const r = await cli(['status', '--json']);
  expect(r.code).toBe(0);
  const j = JSON.parse(r.stdout) as StatusJson;
  expect(j.leader?.id).toBe('a');
  const rowB = j.members.find((m) => m.id === 'b');
  // Its znode lives until the server expires the session (2 s): unreachable meanwhile, then gone.
  if (rowB) expect(rowB).toMatchObject({ role: 'unreachable', reachable: false, jenkins: null });
  const t = await cli(['status']);
  expect(t.code).toBe(0);
  expect(t.stdout).toMatch(/^a\s+leader\s+running\s+yes/m);
  if (t.stdout.match(/^b\s/m)) expect(t.stdout).toMatch(/^b\s+unreachable\s+-\s+-/m);
});

test('status exits 1 with a clear message when ZooKeeper is unreachable', async () => {
  const zk = await startZk();
  const connect = zk.connect;
  await zk.stop();
  const t0 = Date.now();
  const r = await cli(['status'], { JHA_ZK_CONNECT: connect, JHA_CLUSTER: 'gone' });
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain(`cannot reach ZooKeeper at ${connect} within 5 s`);
  expect(Date.now() - t0).toBeLessThan(15_000);
});

test('switchover --wait moves leadership to the standby, never two Jenkins', async () => {
  const { a, b } = await pair();
  const r = await cli(['switchover', '--reason', 'cli test', '--wait', '--timeout', '45s']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^switchover [0-9a-f-]{36} requested: a -> next in line \(via http:\/\/127\.0\.0\.1:\d+\)$/m);
  expect(r.stdout).toMatch(/^switchover [0-9a-f-]{36} done: b leads with a ready Jenkins \(epoch 2\)/m);
  const sb = await b.status();
  expect(sb?.node.role).toBe('leader');
  expect(sb?.jenkins.ready).toBe(true);
  expect(sb?.switchover).toBeNull();
  await a.waitRole('standby');
  const ls = assertNeverTwoAlive(suite.fx.home);
  expect(ls.map((l) => l.epoch)).toEqual(['1', '2']);
  const h = await cli(['history', '--json']);
  const events = (JSON.parse(h.stdout) as { entries: { event: string }[] }).entries.map((e) => e.event);
  expect(events).toEqual(expect.arrayContaining(['switchover.requested', 'switchover.started', 'switchover.completed']));
}, 90_000);

test('pause then resume shows in status; with the local API down the CLI uses a member API from ZooKeeper', async () => {
  const { a } = await pair();
  // Nothing listens on this port: the CLI falls back to the members' APIs found in ZooKeeper.
  const away = { JHA_API_PORT: String(suite.fx.apiBase + 6) };
  const before = Date.now();
  const p = await cli(['pause', '--ttl', '1h', '--reason', 'upgrade'], away);
  expect(p.stderr).toBe('');
  expect(p.code).toBe(0);
  expect(p.stdout).toMatch(new RegExp(`^cluster ${a.opts.cluster} paused until \\S+ .*\\(via http://127\\.0\\.0\\.1:${a.opts.apiPort}\\)$`, 'm'));

  const j = await statusJson();
  expect(j.paused).toMatchObject({ paused: true, reason: 'upgrade' });
  const until = Date.parse(j.paused.until ?? '');
  expect(until).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
  expect(until).toBeLessThanOrEqual(Date.now() + 3600_000 + 1000);
  expect((await cli(['status'])).stdout).toMatch(/paused: yes, until \S+ \(by .*: upgrade\)/);

  const r = await cli(['resume']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`cluster ${a.opts.cluster} resumed`);
  expect((await statusJson()).paused).toEqual({ paused: false });
  expect((await cli(['status'])).stdout).toMatch(/paused: no/);
});

test('history lists the cluster transitions, as a table and as JSON', async () => {
  await pair();
  expect((await cli(['pause', '--reason', 'look'])).code).toBe(0);
  expect((await cli(['resume'])).code).toBe(0);
  const j = await cli(['history', '--json', '--limit', '50']);
  expect(j.code).toBe(0);
  const entries = (JSON.parse(j.stdout) as { entries: { event: string; node: string; epoch: number | null; at: string }[] }).entries;
  expect(entries.find((e) => e.event === 'elected')).toMatchObject({ node: 'a', epoch: 1 });
  const events = entries.map((e) => e.event);
  expect(events.indexOf('paused')).toBeGreaterThan(events.indexOf('elected'));
  expect(events.indexOf('resumed')).toBeGreaterThan(events.indexOf('paused'));
  // Oldest first.
  expect([...entries].sort((x, y) => x.at.localeCompare(y.at)).map((e) => e.at)).toEqual(entries.map((e) => e.at));

  const t = await cli(['history', '--limit', '2']);
  expect(t.code).toBe(0);
  const lines = t.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^TIME\s+NODE\s+EVENT\s+EPOCH\s+REASON$/);
  expect(lines).toHaveLength(3);
  expect(lines[2]).toMatch(/^\d{4}-\S+\s+a\s+resumed\s+1\s+by /);
});

test('API errors: a wrong token exits 1 with the 401 message, a switchover without standby with the 409 one', async () => {
  const a = suite.fx.start('a', { env: { JHA_API_TOKEN: TOKEN } });
  await a.waitLeaderReady();
  const bad = await cli(['pause'], { JHA_API_TOKEN: 'wrong' });
  expect(bad.code).toBe(1);
  expect(bad.stdout).toBe('');
  expect(bad.stderr).toMatch(/^jenkins-ha pause: 401 UNAUTHORIZED: .*token/m);
  const none = await cli(['resume'], { JHA_API_TOKEN: '' });
  expect(none.code).toBe(1);
  expect(none.stderr).toMatch(/^jenkins-ha resume: 401 UNAUTHORIZED: missing bearer token/m);
  const so = await cli(['switchover']);
  expect(so.code).toBe(1);
  expect(so.stderr).toContain('jenkins-ha switchover: 409 CONFLICT: there is no standby to take over');
  const unknown = await cli(['switchover', '--candidate', 'zz']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/409 CONFLICT: candidate zz is not a standby/);
  // Nothing happened: still one Jenkins, not paused.
  expect(lives(readJournal(suite.fx.home))).toHaveLength(1);
  expect((await statusJson()).paused).toEqual({ paused: false });
});

test('status --watch prints frame after frame, marks the role change of a switchover with *, and stops on SIGTERM with exit 0', async () => {
  const { a } = await pair();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    JHA_ZK_CONNECT: suite.zk.connect,
    JHA_CLUSTER: a.opts.cluster,
    JHA_API_HOST: '127.0.0.1',
    JHA_API_PORT: String(a.opts.apiPort),
    JHA_API_TOKEN: TOKEN,
    JHA_LOG_FORMAT: 'json',
  };
  // stdout is a pipe, not a terminal: plain frames, one after another, each under a header.
  const watcher = spawn(process.execPath, [CLI, 'status', '--watch', '300ms'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  watcher.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  watcher.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => watcher.on('exit', (code) => resolve(code)));
  const frames = (): string[] => out.split(/^Every 300ms: jenkins-ha status {4}\S+Z$/m).slice(1);
  try {
    await waitFor(() => frames().length >= 3, { timeoutMs: 15_000, what: 'three frames of status --watch' });
    const steady = frames()[1]!;
    expect(steady).toMatch(/^ {2}a\s+leader\s+running\s+yes/m);
    expect(steady).toMatch(/^ {2}b\s+standby\s+stopped\s+no/m);
    // Nothing changed between the first two frames of a steady pair: nothing is marked.
    expect(steady).not.toMatch(/^\*/m);

    const r = await cli(['switchover', '--reason', 'watch test', '--wait', '--timeout', '45s']);
    expect(r.code).toBe(0);
    // The frame where b became leader marks b's row (and the leader line).
    const marked = await waitFor(() => frames().find((f) => /^\* b\s+leader/m.test(f)), { timeoutMs: 15_000, what: "a frame marking b's new role" });
    expect(marked).toMatch(/^\* leader: b/m);
  } finally {
    watcher.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(err).toBe('');
  await waitFor(async () => (await a.status())?.node.role === 'standby', { timeoutMs: 15_000, what: 'a to stand by' });
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2']);
}, 90_000);

test('status --watch with a bad interval exits 2 and says what to give', async () => {
  const r = await cli(['status', '--watch', 'soon']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--watch "soon": not a duration');
  expect(r.stderr).toContain('give an interval such as 2s');
  const t = await cli(['status', '--watch', '10ms']);
  expect(t.code).toBe(2);
  expect(t.stderr).toContain('the interval must be from 200 ms to 1h');
});

test('usage and configuration errors exit 64 and 2 without touching ZooKeeper', async () => {
  const u = await cli(['switchover', '--timeout', '10s']);
  expect(u.code).toBe(64);
  expect(u.stderr).toContain('--timeout only applies with --wait');
  const d = await cli(['pause', '--ttl', 'soon']);
  expect(d.code).toBe(64);
  expect(d.stderr).toContain('not a duration');
  const c = await cli(['status', '--zk-session-timeout-ms', 'abc']);
  expect(c.code).toBe(2);
  expect(c.stderr).toContain('zk.sessionTimeoutMs');
});

test('over HTTPS with a read token: the CLI reaches members when it trusts their CA, and says why when it does not', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-tls-'));
  const { cert, key } = selfSignedCert(dir);
  const READ = 'tls-read-token';
  const env = { JHA_API_TOKEN: TOKEN, JHA_API_READ_TOKEN: READ, JHA_API_TLS_CERT: cert, JHA_API_TLS_KEY: key };
  const tlsCa = fs.readFileSync(cert, 'utf8');
  const a = suite.fx.start('a', { env, tlsCa, readToken: READ });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env, tlsCa, readToken: READ });
  await b.waitRole('standby');

  // Trusting the certificate (Node's NODE_EXTRA_CA_CERTS), with the read token from the config.
  const trusted = { ...env, NODE_EXTRA_CA_CERTS: cert };
  const st = await statusJson(trusted);
  expect(st.members.map((m) => [m.id, m.role, m.reachable, m.apiUrl.startsWith('https://127.0.0.1:')])).toEqual([
    ['a', 'leader', true, true],
    ['b', 'standby', true, true],
  ]);
  expect(st.leader).toMatchObject({ id: 'a', jenkinsReady: true });
  const p = await cli(['pause', '--ttl', '1h'], trusted);
  expect(p).toMatchObject({ code: 0 });
  expect((await statusJson(trusted)).paused).toMatchObject({ paused: true });
  expect(await cli(['resume'], trusted)).toMatchObject({ code: 0 });
  expect((await statusJson(trusted)).paused).toEqual({ paused: false });

  // Without the read token the members refuse the reads (the CLI still answers from ZooKeeper).
  const noRead = await statusJson({ ...trusted, JHA_API_READ_TOKEN: '', JHA_API_TOKEN: '' });
  expect(noRead.members.map((m) => m.reachable)).toEqual([false, false]);
  // Not trusting the certificate: members unreachable with a certificate error, commands fail.
  const untrusted = await cli(['status'], env);
  expect(untrusted.code).toBe(0);
  expect(untrusted.stdout).toMatch(/SELF_SIGNED|self[- ]signed|certificate/i);
  const cmd = await cli(['pause'], env);
  expect(cmd.code).toBe(1);
  expect(cmd.stderr).toMatch(/^jenkins-ha pause: .*(SELF_SIGNED|self[- ]signed|certificate)/im);
  expect(lives(readJournal(suite.fx.home))).toHaveLength(1);
  fs.rmSync(dir, { recursive: true, force: true });
});
