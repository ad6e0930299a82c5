/**
 * Git sync's compare-and-set rules with a real ZooKeeper and real git (a local bare repository),
 * without controllers: the record only moves for the current epoch, a former leader's late push
 * is refused (or replaced when it was never recorded), and a restore makes the selected paths
 * exactly the recorded commit while leaving everything else in JENKINS_HOME alone.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ZkCoordinator } from '../../src/coordination/zookeeper';
import { errorCode } from '../../src/errors';
import { EpochStore } from '../../src/fencing/epoch';
import { createGitSync } from '../../src/sync/create';
import { Git } from '../../src/sync/git';
import { SyncRecordStore } from '../../src/sync/record';
import { ConfigRepo } from '../../src/sync/repo';
import type { GitSync } from '../../src/sync/service';
import { DEFAULT_INCLUDE } from '../../src/sync/patterns';
import { waitFor } from '../helpers/wait';
import { startZk, type ZkCluster } from '../helpers/zk';
import { MemoryLogger } from '../helpers/memory-logger';



let zk: ZkCluster;
let coord: ZkCoordinator;
let dir: string;
let remote: string;
let base: string;
let epochs: EpochStore;
let records: SyncRecordStore;
const logs = new MemoryLogger();

beforeAll(async () => {
  zk = await startZk();
  coord = new ZkCoordinator({
    connect: zk.connect,
    sessionTimeoutMs: 4000,
    spinDelayMs: 100,
    timings: () => ({ pingIntervalMs: 600, requestTimeoutMs: 1500 }),
    logger: logs.child({ component: 'zookeeper' }),
  });
  coord.start();
  await waitFor(() => coord.state === 'connected', { timeoutMs: 20000, what: 'ZooKeeper connection' });
}, 60000);

afterAll(async () => {
  await coord.close();
  await zk.stop();
});

let n = 0;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-sync-cas-'));
  remote = path.join(dir, 'remote.git');
  execFileSync('git', ['init', '--quiet', '--bare', remote]);
  base = `/jha-sync-cas/c${++n}`;
  await coord.mkdirp(base);
  epochs = new EpochStore(coord, base);
  records = new SyncRecordStore(coord, base, epochs);
  logs.entries.length = 0;
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function node(id: string, over: { includeSecrets?: boolean } = {}): { sync: GitSync; home: string; git: Git; repo: ConfigRepo } {
  const home = path.join(dir, `home-${id}`);
  const gitDir = path.join(dir, `.home-${id}.jenkins-ha.git`);
  fs.mkdirSync(home, { recursive: true });
  const cfg = { repo: remote, branch: 'main', intervalMs: 3_600_000, include: DEFAULT_INCLUDE, exclude: [], includeSecrets: over.includeSecrets ?? false, allowStale: false, gitTimeoutMs: 20000 };
  const sync = createGitSync(cfg, { coordinator: coord, basePath: base, epochs, home, gitDir, nodeId: id, logger: logs.child({ node: id }), secrets: { envNames: [], values: [] } });
  const git = new Git({ gitDir, workTree: home, timeoutMs: 20000, identity: { name: 't', email: 't@x' }, secrets: { envNames: [], values: [] } });
  return { sync, home, git, repo: new ConfigRepo(git, home, 'main', { include: DEFAULT_INCLUDE, exclude: [], includeSecrets: cfg.includeSecrets }) };
}

function write(home: string, rel: string, content: string, mode?: number): void {
  fs.mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
  fs.writeFileSync(path.join(home, rel), content);
  if (mode !== undefined) fs.chmodSync(path.join(home, rel), mode);
}

const read = (home: string, rel: string): string | null => (fs.existsSync(path.join(home, rel)) ? fs.readFileSync(path.join(home, rel), 'utf8') : null);
const remoteTip = (): string => execFileSync('git', ['--git-dir', remote, 'rev-parse', 'refs/heads/main']).toString().trim();

async function take(id: string): Promise<number> {
  return (await epochs.take({ nodeId: id, host: 'localhost', pid: process.pid })).epoch;
}

/**
 * Node `id`, still holding `epoch` in its own eyes, commits `content` to config.xml and pushes it
 * with the lease on `base` (a leader frozen between its epoch check and its push, or one whose
 * record then fails): the commit and what the push answered.
 */
async function lateCommit(n: ReturnType<typeof node>, id: string, epoch: number, content: string, base: string): Promise<{ commit: string; push: unknown }> {
  write(n.home, 'config.xml', content);
  const { commit } = await n.repo.snapshot({ epoch, nodeId: id, reason: 'interval' });
  return { commit, push: await n.git.pushWithLease(remote, 'main', commit, base) };
}

/** The first parent of a commit on the remote branch. */
function parentOf(commit: string): string {
  return execFileSync('git', ['--git-dir', remote, 'rev-parse', `${commit}^`]).toString().trim();
}

async function gateReady(sync: GitSync, epoch: number): Promise<void> {
  sync.restore(epoch, false);
  await waitFor(() => sync.gateFor(epoch).state !== 'running' && sync.gateFor(epoch).state !== 'needed', { timeoutMs: 30000, what: `gate of epoch ${epoch}` });
  expect(sync.gateFor(epoch)).toMatchObject({ state: 'ready' });
}

test('a record with an old epoch is rejected and the record keeps the newer one', async () => {
  const e1 = await take('a');
  const c1 = 'a'.repeat(40);
  await records.write({ commit: c1, epoch: e1, nodeId: 'a', at: new Date().toISOString() });
  const e2 = await take('b');
  expect(e2).toBe(e1 + 1);
  const err = await records.write({ commit: 'b'.repeat(40), epoch: e1, nodeId: 'a', at: new Date().toISOString() }).catch((e: unknown) => e);
  expect(errorCode(err)).toBe('SYNC_REJECTED');
  expect((await records.read()).record).toMatchObject({ commit: c1, epoch: e1 });
  await records.write({ commit: 'c'.repeat(40), epoch: e2, nodeId: 'b', at: new Date().toISOString() });
  expect((await records.read()).record).toMatchObject({ commit: 'c'.repeat(40), epoch: e2 });
});

test('a former leader that publishes after losing leadership is refused: nothing pushed, nothing recorded', async () => {
  const a = node('a');
  const b = node('b');
  const e1 = await take('a');
  await gateReady(a.sync, e1);
  write(a.home, 'jobs/x/config.xml', '<v1/>');
  await a.sync.publishFinal(e1);
  const c1 = (await records.read()).record?.commit;
  expect(c1).toBe(remoteTip());

  const e2 = await take('b');
  await gateReady(b.sync, e2);
  expect(read(b.home, 'jobs/x/config.xml')).toBe('<v1/>');
  write(b.home, 'jobs/x/config.xml', '<v2/>');
  await b.sync.publishFinal(e2);
  const c2 = remoteTip();
  expect((await records.read()).record).toMatchObject({ commit: c2, epoch: e2, nodeId: 'b' });

  write(a.home, 'jobs/x/config.xml', '<late/>');
  await a.sync.publishFinal(e1);
  expect(remoteTip()).toBe(c2);
  expect((await records.read()).record).toMatchObject({ commit: c2, epoch: e2 });
  expect(logs.events('sync.rejected').map((l) => l.fields['node'])).toEqual(['a']);
  await a.sync.close();
  await b.sync.close();
});

test('a late push that passed the epoch check is refused by the lease on the recorded commit', async () => {
  const a = node('a');
  const b = node('b');
  const e1 = await take('a');
  await gateReady(a.sync, e1);
  write(a.home, 'config.xml', '<one/>');
  await a.sync.publishFinal(e1);
  const c1 = remoteTip();
  const e2 = await take('b');
  await gateReady(b.sync, e2);
  write(b.home, 'config.xml', '<two/>');
  await b.sync.publishFinal(e2);
  const c2 = remoteTip();
  // Node a, frozen between its epoch check and its push, wakes up and pushes on top of c1.
  const late = await lateCommit(a, 'a', e1, '<late/>', c1);
  expect(late.push).toMatchObject({ ok: false, stale: true });
  expect(remoteTip()).toBe(c2);
  await expect(records.write({ commit: late.commit, epoch: e1, nodeId: 'a', at: new Date().toISOString() })).rejects.toMatchObject({ code: 'SYNC_REJECTED' });
  await a.sync.close();
  await b.sync.close();
});

test('a new leader replaces a commit a former leader pushed but never recorded, and builds on the recorded one', async () => {
  const a = node('a');
  const b = node('b');
  const e1 = await take('a');
  await gateReady(a.sync, e1);
  write(a.home, 'config.xml', '<recorded/>');
  await a.sync.publishFinal(e1);
  const c1 = remoteTip();
  const e2 = await take('b');
  await gateReady(b.sync, e2);
  // a pushes late, before b's first push: the lease (c1) still holds, but a cannot record it.
  const late = await lateCommit(a, 'a', e1, '<unrecorded/>', c1);
  expect(late.push).toEqual({ ok: true });
  await expect(records.write({ commit: late.commit, epoch: e1, nodeId: 'a', at: new Date().toISOString() })).rejects.toMatchObject({ code: 'SYNC_REJECTED' });
  // b restored c1 (the record), not the late commit; its push replaces the unrecorded one.
  expect(read(b.home, 'config.xml')).toBe('<recorded/>');
  write(b.home, 'config.xml', '<b/>');
  await b.sync.publishFinal(e2);
  const c2 = remoteTip();
  expect(c2).not.toBe(late.commit);
  expect(parentOf(c2)).toBe(c1);
  expect((await records.read()).record).toMatchObject({ commit: c2, epoch: e2 });
  expect(logs.events('sync.overwrote_stale')).toHaveLength(1);
  await a.sync.close();
  await b.sync.close();
});

test('a push of the leader whose record failed stays unrestored: the next leader opens the record, not the newer tip, and replaces the tip', async () => {
  // Fault 12 of the 2026-12-06 git-mode chaos run (docs/reliability.md, finding 8): the quorum went
  // away between a's push and its record. Unlike the late push above, the unrecorded commit names
  // the epoch that still held and is on the branch before b takes over and restores.
  const a = node('a');
  const b = node('b');
  const e1 = await take('a');
  await gateReady(a.sync, e1);
  write(a.home, 'config.xml', '<recorded/>');
  await a.sync.publishFinal(e1);
  const c1 = remoteTip();
  expect((await records.read()).record).toMatchObject({ commit: c1, epoch: e1 });
  // a's next publish: commit and push (the repository answers), then the record fails (no quorum).
  const unrecorded = await lateCommit(a, 'a', e1, '<pushed, never recorded/>', c1);
  expect(unrecorded.push).toEqual({ ok: true });
  // a's term is dropped; b takes the next epoch with the unrecorded commit as the branch tip.
  const e2 = await take('b');
  await gateReady(b.sync, e2);
  expect(read(b.home, 'config.xml')).toBe('<recorded/>');
  expect(b.sync.status().local.fetched).toBe(unrecorded.commit);
  write(b.home, 'config.xml', '<b/>');
  await b.sync.publishFinal(e2);
  const c2 = remoteTip();
  expect(parentOf(c2)).toBe(c1);
  expect((await records.read()).record).toMatchObject({ commit: c2, epoch: e2 });
  expect(logs.events('sync.overwrote_stale').map((l) => l.fields['commit'])).toEqual([unrecorded.commit]);
  await a.sync.close();
  await b.sync.close();
});

test('a restore writes exactly the selected paths of the commit, keeps their modes and leaves the rest of the home alone', async () => {
  const a = node('a', { includeSecrets: true });
  const b = node('b', { includeSecrets: true });
  const e1 = await take('a');
  await gateReady(a.sync, e1);
  write(a.home, 'config.xml', '<jenkins/>');
  write(a.home, 'jobs/x/config.xml', '<job/>');
  write(a.home, 'jobs/f/jobs/y/config.xml', '<nested/>');
  write(a.home, 'users/admin/config.xml', '<user/>', 0o640);
  write(a.home, 'secrets/master.key', 'k', 0o600);
  write(a.home, 'jobs/x/builds/1/log', 'a build of a');
  write(a.home, 'plugins/git.jpi', 'binary');
  write(a.home, 'plugins/git/META-INF/MANIFEST.MF', 'Plugin-Version: 5.2.1\n');
  await a.sync.publishFinal(e1);
  const c1 = remoteTip();
  const files = execFileSync('git', ['--git-dir', remote, 'ls-tree', '-r', '--name-only', c1]).toString().trim().split('\n').sort();
  expect(files).toEqual(['.jenkins-ha/modes.json', '.jenkins-ha/plugins.txt', 'config.xml', 'jobs/f/jobs/y/config.xml', 'jobs/x/config.xml', 'secrets/master.key', 'users/admin/config.xml']);
  expect(execFileSync('git', ['--git-dir', remote, 'show', `${c1}:.jenkins-ha/plugins.txt`]).toString()).toBe('git:5.2.1\n');

  // b's home: its own builds and workspace, a job deleted on a, an edited global config.
  write(b.home, 'jobs/x/builds/7/log', 'a build of b');
  write(b.home, 'workspace/x/file', 'ws');
  write(b.home, 'jobs/gone/config.xml', '<deleted on a/>');
  write(b.home, 'config.xml', '<old/>');
  const e2 = await take('b');
  await gateReady(b.sync, e2);
  expect(read(b.home, 'config.xml')).toBe('<jenkins/>');
  expect(read(b.home, 'jobs/f/jobs/y/config.xml')).toBe('<nested/>');
  expect(read(b.home, 'jobs/gone/config.xml')).toBeNull();
  expect(read(b.home, 'jobs/x/builds/7/log')).toBe('a build of b');
  expect(read(b.home, 'workspace/x/file')).toBe('ws');
  expect(read(b.home, 'jobs/x/builds/1/log')).toBeNull();
  expect(fs.statSync(path.join(b.home, 'users/admin/config.xml')).mode & 0o777).toBe(0o640);
  expect(fs.statSync(path.join(b.home, 'secrets/master.key')).mode & 0o777).toBe(0o600);
  expect(fs.existsSync(path.join(b.home, '.jenkins-ha'))).toBe(false);
  expect(logs.events('sync.plugins_differ').map((l) => l.fields['diff'])).toEqual([['git: 5.2.1 -> -']]);
  await a.sync.close();
  await b.sync.close();
});

test('secrets stay out of the repository unless sync.includeSecrets is set', async () => {
  const a = node('a');
  const e1 = await take('a');
  await gateReady(a.sync, e1);
  write(a.home, 'config.xml', '<jenkins/>');
  write(a.home, 'secrets/master.key', 'k', 0o600);
  write(a.home, 'secret.key', 'k2', 0o600);
  await a.sync.publishFinal(e1);
  const files = execFileSync('git', ['--git-dir', remote, 'ls-tree', '-r', '--name-only', remoteTip()]).toString().trim().split('\n');
  expect(files).toContain('config.xml');
  expect(files.filter((f) => f.startsWith('secret'))).toEqual([]);
  await a.sync.close();
});
