/**
 * sync.mode git end to end: real ZooKeeper, real controllers each with its OWN JENKINS_HOME,
 * real git with a local bare repository. The stand-ins share one journal (in the fixture's
 * shared home), so every test still ends with the never-two-alive check.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HaNode } from '../helpers/ha-node';
import { readJournal, type JournalEntry } from '../helpers/journal';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const JOB = 'jobs/x/config.xml';
let repoDir = '';
let remote = '';

const suite = haSuite({
  afterEach: () => {
    fs.rmSync(repoDir, { recursive: true, force: true });
  },
});

beforeEach(() => {
  repoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-sync-repo-'));
  remote = path.join(repoDir, 'config.git');
  execFileSync('git', ['init', '--quiet', '--bare', remote]);
});

function start(id: string, env: Record<string, string> = {}): HaNode {
  return suite.fx.start(id, {
    ownHome: true,
    env: {
      JHA_SYNC_MODE: 'git',
      JHA_SYNC_REPO: remote,
      JHA_SYNC_INTERVAL_MS: '500',
      JHA_SYNC_GIT_TIMEOUT_MS: '15000',
      STANDIN_RECORD_FILES: JOB,
      ...env,
    },
  });
}

function write(id: string, rel: string, content: string): void {
  const p = path.join(suite.fx.nodeHome(id), rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
}

const read = (id: string, rel: string): string | null => {
  const p = path.join(suite.fx.nodeHome(id), rel);
  return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null;
};

/** The content of a file at the tip of the bare repository's main branch (null: no branch or no file). */
function remoteFile(rel: string, rev = 'refs/heads/main'): string | null {
  try {
    return execFileSync('git', ['--git-dir', remote, 'show', `${rev}:${rel}`], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return null;
  }
}

/** Wait until the repository's tip has `content` at JOB and `node` recorded that tip in ZooKeeper. */
async function waitRecorded(node: HaNode, content: string): Promise<string> {
  return waitFor(
    async () => {
      if (remoteFile(JOB) !== content) return null;
      const tip = execFileSync('git', ['--git-dir', remote, 'rev-parse', 'refs/heads/main']).toString().trim();
      return (await node.status())?.sync?.recorded?.commit === tip ? tip : null;
    },
    { timeoutMs: 15000, what: `${content} pushed and recorded by ${node.id}` },
  );
}

const startsOf = (): JournalEntry[] => readJournal(suite.fx.home).filter((e) => e.ev === 'start');

test('a configuration change on the leader reaches the repository within the interval, and is recorded', async () => {
  const a = start('a');
  await a.waitLeaderReady();
  const t0 = Date.now();
  write('a', JOB, '<project>v1</project>');
  await waitFor(() => remoteFile(JOB) === '<project>v1</project>', { timeoutMs: 15000, what: 'the change in the bare repository' });
  const tookMs = Date.now() - t0;
  // The interval is 500 ms; the bound is generous for a machine shared with other test runs.
  expect(tookMs).toBeLessThan(500 + 8000);
  // The first push (the home as it was) may precede this one: wait for the push of the change.
  const tip = execFileSync('git', ['--git-dir', remote, 'rev-parse', 'refs/heads/main']).toString().trim();
  const s = await waitFor(async () => {
    const st = await a.status();
    return st?.sync?.lastPush?.commit === tip && st.sync.recorded?.commit === tip ? st : null;
  }, { timeoutMs: 10000, what: `the push of ${tip} in /status` });
  expect(s.sync?.recorded).toMatchObject({ epoch: 1, nodeId: 'a' });
  const message = execFileSync('git', ['--git-dir', remote, 'log', '-1', '--format=%B', 'refs/heads/main']).toString();
  expect(message).toContain('Jenkins-HA-Epoch: 1');
  expect(message).toContain('Jenkins-HA-Node: a');
  // A standby fetches on the same interval and reports how far its own home is behind.
  const b = start('b');
  const sb = await waitFor(async () => {
    const st = await b.status();
    return st?.node.role === 'standby' && st.sync?.recorded?.commit === tip && st.sync.local.haveRecorded ? st : null;
  }, { timeoutMs: 15000, what: 'the standby to fetch the recorded commit' });
  expect(sb.sync?.local.fetched).toBe(tip);
  expect(sb.sync?.local.checkedOut).toBeNull();
  expect(sb.sync?.local.commitsBehind).toBeGreaterThanOrEqual(1);
  expect(read('b', JOB)).toBeNull(); // a standby does not touch its home
  // The git directory is a sibling of the home: Jenkins never sees a .git.
  expect(fs.readdirSync(suite.fx.nodeHome('a')).filter((f) => f.includes('git'))).toEqual([]);
});

test('after a kill -9 the standby restores exactly the recorded commit before its Jenkins starts, leaving excluded paths alone', async () => {
  const a = start('a');
  await a.waitLeaderReady();
  // b's own history: builds, a workspace, an old copy of the job.
  write('b', 'jobs/x/builds/1/log', 'build 1 on b');
  write('b', 'workspace/x/out.txt', 'b workspace');
  write('b', JOB, '<project>old on b</project>');
  const b = start('b');
  await b.waitRole('standby');
  write('a', JOB, '<project>v1</project>');
  await waitRecorded(a, '<project>v1</project>');
  // A change that may or may not make it before the kill: either way b must start on the recorded commit.
  write('a', JOB, '<project>v2</project>');
  a.signal('SIGKILL');
  const s = await b.waitLeaderReady(30000);
  const recorded = s.sync?.recorded;
  expect(recorded).toBeDefined();
  expect(recorded?.epoch).toBe(1);
  const expected = remoteFile(JOB, recorded!.commit);
  expect(['<project>v1</project>', '<project>v2</project>']).toContain(expected);
  // What b's Jenkins saw when it started (the stand-in journals the file at its start).
  const bStart = startsOf().find((e) => e.epoch === '2');
  expect(bStart).toBeDefined();
  expect((bStart!['files'] as Record<string, string | null>)[JOB]).toBe(expected);
  expect(read('b', JOB)).toBe(expected);
  // The restore came first.
  const restored = b.events('sync.restored')[0];
  expect(restored?.commit).toBe(recorded!.commit);
  expect(restored!.seenAt).toBeLessThanOrEqual(b.events('jenkins.started')[0]!.seenAt);
  // Excluded paths untouched.
  expect(read('b', 'jobs/x/builds/1/log')).toBe('build 1 on b');
  expect(read('b', 'workspace/x/out.txt')).toBe('b workspace');
});

test('a clean stop pushes the last change before the standby takes over', async () => {
  // An interval far longer than the test: only the final publish can carry the change.
  const a = start('a', { JHA_SYNC_INTERVAL_MS: '600000' });
  await a.waitLeaderReady();
  const b = start('b', { JHA_SYNC_INTERVAL_MS: '600000' });
  await b.waitRole('standby');
  write('a', JOB, '<project>at shutdown</project>');
  a.signal('SIGTERM');
  await a.exited;
  await b.waitLeaderReady(30000);
  expect(a.events('sync.pushed').map((l) => l.reason)).toContain('clean stop');
  expect(read('b', JOB)).toBe('<project>at shutdown</project>');
  expect((startsOf().find((e) => e.epoch === '2')!['files'] as Record<string, string | null>)[JOB]).toBe('<project>at shutdown</project>');
});

test('a standby that cannot reach the repository does not launch; the next one does', async () => {
  const a = start('a');
  await a.waitLeaderReady();
  const b = start('b', { JHA_SYNC_REPO: path.join(repoDir, 'missing.git'), JHA_ELECTION_RESIGN_COOLDOWN_MS: '600000' });
  await b.waitRole('standby');
  const c = start('c');
  await c.waitRole('standby');
  write('a', JOB, '<project>v1</project>');
  // Pushed AND recorded: a kill between the two would (rightly) leave the older commit recorded.
  await waitRecorded(a, '<project>v1</project>');
  a.signal('SIGKILL');
  const blocked = await b.waitForEvent('sync.blocked', { timeoutMs: 30000 });
  expect(String(blocked.message)).toMatch(/cannot be obtained/);
  const s = await c.waitLeaderReady(30000);
  expect(s.epoch).toBe(3);
  expect(read('c', JOB)).toBe('<project>v1</project>');
  expect(b.events('jenkins.started')).toHaveLength(0);
  const sb = await b.status();
  expect(sb?.node.role).toBe('stopped');
  expect(sb?.sync?.gate.state).toBe('failed');
  // Only a's and c's Jenkins ever started.
  expect(startsOf().map((e) => e.epoch)).toEqual(['1', '3']);
});

test('with sync.allowStale a node that cannot obtain the recorded commit starts anyway, on what it has, and says so loudly', async () => {
  const a = start('a');
  await a.waitLeaderReady();
  write('b', JOB, '<project>old on b</project>');
  const b = start('b', { JHA_SYNC_REPO: path.join(repoDir, 'missing.git'), JHA_SYNC_ALLOW_STALE: 'true' });
  await b.waitRole('standby');
  write('a', JOB, '<project>v1</project>');
  await waitRecorded(a, '<project>v1</project>');
  a.signal('SIGKILL');
  const s = await b.waitLeaderReady(30000);
  expect(s.sync?.gate).toMatchObject({ state: 'ready', stale: true });
  const accepted = b.events('sync.stale_accepted');
  expect(accepted).toHaveLength(1);
  expect(accepted[0]!.level).toBe('error');
  expect(b.events('sync.blocked')).toHaveLength(1);
  // It never had a commit: its home stays as it was, and its Jenkins started on that.
  expect(read('b', JOB)).toBe('<project>old on b</project>');
  expect((startsOf().find((e) => e.epoch === '2')!['files'] as Record<string, string | null>)[JOB]).toBe('<project>old on b</project>');
});

test('with no sync record, a node that cannot read the repository does not start its stale home: it yields to one that can', async () => {
  write('a', JOB, '<project>stale on a</project>');
  const a = start('a', { JHA_SYNC_REPO: path.join(repoDir, 'missing.git'), JHA_ELECTION_RESIGN_COOLDOWN_MS: '600000' });
  const blocked = await a.waitForEvent('sync.blocked', { timeoutMs: 30000 });
  expect(String(blocked.message)).toMatch(/cannot be read/);
  const b = start('b');
  const s = await b.waitLeaderReady(30000);
  expect(s.epoch).toBe(2);
  expect(a.events('jenkins.started')).toHaveLength(0);
  const sa = await a.status();
  expect(sa?.sync?.gate.state).toBe('failed');
  expect(startsOf().map((e) => e.epoch)).toEqual(['2']);
});

test('with no sync record and sync.allowStale, a node that cannot read the repository starts its home as it is, and says so loudly', async () => {
  write('a', JOB, '<project>stale on a</project>');
  const a = start('a', { JHA_SYNC_REPO: path.join(repoDir, 'missing.git'), JHA_SYNC_ALLOW_STALE: 'true' });
  const s = await a.waitLeaderReady(30000);
  expect(s.sync?.gate).toMatchObject({ state: 'ready', stale: true });
  const accepted = a.events('sync.stale_accepted');
  expect(accepted).toHaveLength(1);
  expect(accepted[0]!.level).toBe('error');
  expect(read('a', JOB)).toBe('<project>stale on a</project>');
});
