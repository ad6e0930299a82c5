/**
 * ZooKeeper digest auth and ACLs with a real ZooKeeper and real controllers: with zk.auth set,
 * a client without the credentials (or with wrong ones) can neither change nor delete the
 * cluster's znodes, can read them only when zk.worldRead is true; a fresh client after a session
 * expiry authenticates again; a cluster created without auth is secured when auth is turned on;
 * and the cluster elects, switches over and fails over as usual. Every test ends with the
 * journal check (haSuite): never two Jenkins alive at once.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { aclFor, sharedAclFor } from '../../src/coordination/acl';
import type { HaNode } from '../helpers/ha-node';
import { runCli } from '../helpers/cli-run';
import { api } from '../helpers/jenkins-api';
import { assertNeverTwoAlive } from '../helpers/journal';
import { outcome, type RawZk } from '../helpers/raw-zk';
import { expectCloserHandsOver, securedZk, sortAcl } from '../helpers/secured-zk';
import { waitFor } from '../helpers/wait';

const AUTH = 'jenkins-ha:zk-s3cret';
const TOKEN = 'auth-test-token';
const ENV = { JHA_ZK_AUTH: AUTH, JHA_API_TOKEN: TOKEN };
const ROGUE_NAME = `n_${'0'.repeat(32)}_rogue_0000000000`;

const zk = securedZk();
const { suite } = zk;

function connect(auth?: string): Promise<RawZk> {
  return zk.connect(auth === undefined ? {} : { auth });
}

function base(node: HaNode): string {
  return `/jenkins-ha/${node.opts.cluster}`;
}

/** POST with the API token; the answer's status (the response is checked against docs/openapi.yaml). */
async function post(node: HaNode, p: string, body: unknown): Promise<number> {
  return (await api(node, 'POST', p, { token: TOKEN, body })).status;
}

/** What a client gets for trying to change, delete or re-ACL each path. */
async function attacks(c: RawZk, paths: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const p of paths) {
    out[p] = [
      await outcome(c.setData(p, 'rogue')),
      await outcome(c.remove(p)),
      await outcome(c.setACL(p, [{ perms: 31, scheme: 'world', id: 'anyone' }])),
    ];
  }
  return out;
}

function all(paths: string[], value: string[]): Record<string, string[]> {
  return Object.fromEntries(paths.map((p) => [p, value]));
}

test('without the credentials (or with wrong ones) the znodes can be read but not changed or deleted; the cluster switches and fails over as usual', async () => {
  const a = suite.fx.start('a', { env: ENV });
  await a.waitLeaderReady();
  // b's Jenkins takes 3 s to start: the switchover intent stays in ZooKeeper that long.
  const b = suite.fx.start('b', { env: { ...ENV, STANDIN_START_DELAY_MS: '3000' } });
  await b.waitRole('standby');
  expect(await post(a, '/pause', { ttlSeconds: 600, reason: 'acl test' })).toBe(200);

  const root = base(a);
  const anon = await connect();
  const wrong = await connect('jenkins-ha:wrong');
  const good = await connect(AUTH);
  const election = (await good.getChildren(`${root}/election`)).map((n) => `${root}/election/${n}`);
  expect(election).toHaveLength(2);
  const records = [`${root}/epoch`, `${root}/active`, `${root}/paused`];
  const protectedPaths = [...election, ...records];

  // Exactly our ACL on everything the controllers created, containers included.
  const ours = sortAcl(aclFor({ auth: AUTH, worldRead: true }));
  // zk.root may be shared with clusters of other credentials: they may add children, no more.
  expect(sortAcl(await good.getACL('/jenkins-ha'))).toEqual(sortAcl(sharedAclFor({ auth: AUTH, worldRead: true })));
  for (const p of [root, `${root}/election`, `${root}/history`, ...protectedPaths]) {
    expect({ p, acl: sortAcl(await good.getACL(p)) }).toEqual({ p, acl: ours });
  }
  for (const c of [anon, wrong]) {
    expect(await attacks(c, protectedPaths)).toEqual(all(protectedPaths, ['NO_AUTH', 'NO_AUTH', 'NO_AUTH']));
    // No fake contender, no new records.
    expect(await outcome(c.create(`${root}/election/${ROGUE_NAME}`, '{}'))).toBe('NO_AUTH');
    expect(await outcome(c.create(`${root}/switchover`, '{}'))).toBe('NO_AUTH');
    // World read is on (the default).
    for (const p of protectedPaths) expect({ p, read: await outcome(c.getData(p)) }).toEqual({ p, read: 'OK' });
  }
  expect(await outcome(good.getData(`${root}/paused`))).toBe('OK');
  expect(await post(a, '/resume', {})).toBe(200);
  await waitFor(async () => !(await good.exists(`${root}/paused`)), { timeoutMs: 5000, what: 'the pause znode to go' });

  // The switchover intent, created through a's API, is protected while it lasts.
  expect(await post(a, '/switchover', { reason: 'acl test' })).toBe(202);
  const intent = `${root}/switchover`;
  expect(sortAcl(await good.getACL(intent))).toEqual(ours);
  for (const c of [anon, wrong]) {
    expect(await attacks(c, [intent])).toEqual(all([intent], ['NO_AUTH', 'NO_AUTH', 'NO_AUTH']));
    expect(await outcome(c.getData(intent))).toBe('OK');
  }
  expect((await b.waitLeaderReady()).epoch).toBe(2);
  await a.waitRole('standby');

  // History entries too.
  const history = (await good.getChildren(`${root}/history`)).map((n) => `${root}/history/${n}`);
  expect(history.length).toBeGreaterThan(0);
  expect(sortAcl(await good.getACL(history[0]!))).toEqual(ours);
  expect(await attacks(anon, history.slice(0, 1))).toEqual(all(history.slice(0, 1), ['NO_AUTH', 'NO_AUTH', 'NO_AUTH']));

  // And an unplanned failover.
  b.signal('SIGKILL');
  expect((await a.waitLeaderReady()).epoch).toBe(3);
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2', '3']);
});

test("with zk.auth, a crashed controller's session is closed by its shim's closer: at T = 10 s the standby spawns Jenkins well under T", async () => {
  const { a, b } = await expectCloserHandsOver(suite, ENV);
  // zk.auth (a secret) went to the shim on its stdin only: in no log line.
  expect([...a.logs, ...b.logs].map((l) => JSON.stringify(l)).join('\n')).not.toContain(AUTH.split(':')[1]!);
}, 60000);

test('with zk.worldRead false nothing can be read without the credentials; the CLI reads with them; a fresh client after expiry authenticates again', async () => {
  const env = { ...ENV, JHA_ZK_WORLD_READ: 'false' };
  const a = suite.fx.start('a', { env });
  await a.waitLeaderReady();
  const root = base(a);
  const anon = await connect();
  const wrong = await connect('jenkins-ha:wrong');
  const good = await connect(AUTH);
  const [znode] = await good.getChildren(`${root}/election`);
  const paths = [`${root}/election/${znode}`, `${root}/epoch`, `${root}/active`];
  expect(sortAcl(await good.getACL(`${root}/epoch`))).toEqual(sortAcl(aclFor({ auth: AUTH, worldRead: false })));
  for (const c of [anon, wrong]) {
    for (const p of paths) expect({ p, read: await outcome(c.getData(p)) }).toEqual({ p, read: 'NO_AUTH' });
    expect(await outcome(c.getChildren(`${root}/election`))).toBe('NO_AUTH');
    expect(await attacks(c, paths)).toEqual(all(paths, ['NO_AUTH', 'NO_AUTH', 'NO_AUTH']));
    // exists() still answers (ZooKeeper does not protect it).
    expect(await c.exists(`${root}/epoch`)).toBe(true);
  }

  // The CLI reads with the same credentials, and says what is wrong without them.
  const cliEnv = { JHA_ZK_CONNECT: suite.zk.connect, JHA_CLUSTER: a.opts.cluster, JHA_API_PORT: String(a.opts.apiPort), JHA_ZK_WORLD_READ: 'false' };
  const withAuth = await runCli(['status', '--json'], { ...cliEnv, JHA_ZK_AUTH: AUTH });
  expect(withAuth.stderr).toBe('');
  expect(withAuth.code).toBe(0);
  expect(JSON.parse(withAuth.stdout)).toMatchObject({ leader: { id: 'a' }, epoch: 1 });
  const without = await runCli(['status'], cliEnv);
  expect(without.code).toBe(1);
  expect(without.stderr).toMatch(/not allowed by the znode's ACL.*zk\.auth/);
  expect(without.stderr).not.toMatch(/\n\s+at /); // no stack trace

  // Freeze a until the server expires its session (its election znode goes), then thaw it: the
  // fresh client must authenticate again, or it could not even create its election znode.
  a.signal('SIGSTOP');
  try {
    await waitFor(async () => !(await good.exists(paths[0]!)), { timeoutMs: 20000, what: "a's session to expire" });
  } finally {
    a.signal('SIGCONT');
  }
  const s = await a.waitLeaderReady(30000);
  expect(s.epoch).toBe(2);
  expect(a.events('zk.session').length).toBeGreaterThanOrEqual(2);
  const [again] = await good.getChildren(`${root}/election`);
  expect(again).not.toBe(znode);
  expect(await outcome(anon.remove(`${root}/election/${again}`))).toBe('NO_AUTH');
  expect(await outcome(anon.getData(`${root}/election/${again}`))).toBe('NO_AUTH');
  expect(a.events('zk.auth_failed')).toHaveLength(0);
});

test('a cluster created without auth is secured when zk.auth is turned on; a foreign ACL is reported, not fought', async () => {
  // zk.root as a cluster with credentials leaves it: shared, others may add their cluster.
  const good = await connect(AUTH);
  const shared = sharedAclFor({ auth: AUTH, worldRead: true }).map((e) => ({ ...e }));
  if (await good.exists('/jenkins-ha')) await good.setACL('/jenkins-ha', shared);
  else await good.create('/jenkins-ha', '', 'persistent', shared);
  const a = suite.fx.start('a', { env: { JHA_API_TOKEN: TOKEN } });
  await a.waitLeaderReady();
  expect(a.events('zk.acl_open')).toHaveLength(1);
  await a.stop();
  const root = base(a);
  const anon = await connect();
  expect(await anon.getACL(`${root}/epoch`)).toEqual([{ perms: 31, scheme: 'world', id: 'anyone' }]);
  // A rogue's record, with an ACL of its own identity.
  const rogue = aclFor({ auth: 'rogue:x', worldRead: true }).map((e) => ({ ...e }));
  expect(await outcome(anon.create(`${root}/paused`, 'not json', 'persistent', rogue))).toBe('OK');

  const a2 = suite.fx.start('a', { env: ENV });
  await a2.waitLeaderReady();
  const secured = await waitFor(() => (a2.events('zk.acl_secured').length >= 4 ? a2.events('zk.acl_secured') : null), {
    timeoutMs: 10000,
    what: 'the open znodes to be secured',
  });
  expect(secured.map((l) => l.znode)).toEqual(expect.arrayContaining([root, `${root}/election`, `${root}/epoch`, `${root}/history`]));
  const foreign = await a2.waitForEvent('zk.acl_foreign');
  expect(foreign.znode).toBe(`${root}/paused`);
  const ours = sortAcl(aclFor({ auth: AUTH, worldRead: true }));
  for (const p of [root, `${root}/election`, `${root}/epoch`]) expect({ p, acl: sortAcl(await good.getACL(p)) }).toEqual({ p, acl: ours });
  expect(await outcome(anon.remove(`${root}/epoch`))).toBe('NO_AUTH');
  expect(await outcome(anon.setData(`${root}/epoch`, 'x'))).toBe('NO_AUTH');
  expect((await a2.status())?.epoch).toBe(2);
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2']);
});

/** Every znode under `root` (root included), walked with a raw client. */
async function walk(c: RawZk, root: string): Promise<string[]> {
  const out: string[] = [];
  const queue = [root];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    out.push(p);
    for (const child of await c.getChildren(p).catch(() => [])) queue.push(`${p}/${child}`);
  }
  return out;
}

test('every znode of a git-mode cluster created without auth, the sync record and history entries included, gets the ACL when zk.auth is turned on', async () => {
  const good = await connect(AUTH);
  const shared = sharedAclFor({ auth: AUTH, worldRead: true }).map((e) => ({ ...e }));
  if (await good.exists('/jenkins-ha')) await good.setACL('/jenkins-ha', shared);
  else await good.create('/jenkins-ha', '', 'persistent', shared);
  const repoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-acl-repo-'));
  try {
    const remote = path.join(repoDir, 'config.git');
    execFileSync('git', ['init', '--quiet', '--bare', remote]);
    const gitEnv = { JHA_SYNC_MODE: 'git', JHA_SYNC_REPO: remote, JHA_SYNC_INTERVAL_MS: '300', JHA_SYNC_GIT_TIMEOUT_MS: '15000' };
    const job = path.join(suite.fx.nodeHome('a'), 'jobs', 'x', 'config.xml');
    fs.mkdirSync(path.dirname(job), { recursive: true });
    fs.writeFileSync(job, '<project/>');
    const a = suite.fx.start('a', { ownHome: true, env: { JHA_API_TOKEN: TOKEN, ...gitEnv } });
    await a.waitLeaderReady();
    const root = base(a);
    // The first publish creates <base>/sync, open like everything else of this cluster.
    await waitFor(() => good.exists(`${root}/sync`).then((e) => e || null), { timeoutMs: 15000, what: 'the sync record' });
    await a.stop();
    const open = await walk(good, root);
    expect(open).toEqual(expect.arrayContaining([`${root}/sync`, `${root}/epoch`]));
    expect(open.filter((p) => p.startsWith(`${root}/history/`)).length).toBeGreaterThan(0);

    const a2 = suite.fx.start('a', { ownHome: true, env: { ...ENV, ...gitEnv } });
    await a2.waitLeaderReady();
    const ours = sortAcl(aclFor({ auth: AUTH, worldRead: true }));
    const uncovered = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const p of await walk(good, root)) {
        const acl = await good.getACL(p).catch(() => null);
        if (acl !== null && JSON.stringify(sortAcl(acl)) !== JSON.stringify(ours)) out.push(p);
      }
      return out;
    };
    // The guard runs in the background: give it the time a pass takes, then judge.
    await waitFor(async () => ((await uncovered()).length === 0 ? true : null), { timeoutMs: 10000, what: 'every znode to carry the ACL' }).catch(() => undefined);
    expect(await uncovered()).toEqual([]);
    expect(a2.events('zk.acl_secured').map((l) => l.znode)).toContain(`${root}/sync`);
    const anon = await connect();
    expect(await outcome(anon.setData(`${root}/sync`, '{"commit":"rogue"}'))).toBe('NO_AUTH');
  } finally {
    fs.rmSync(repoDir, { recursive: true, force: true });
  }
});
