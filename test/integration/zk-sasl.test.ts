/**
 * SASL DIGEST-MD5 with a real ZooKeeper that requires it (zk.sh start --sasl: JAAS Server section,
 * SASLAuthenticationProvider, sessionRequireClientSASLAuth=true) and real controllers and CLI:
 * election, switchover and takeover after kill -9 over SASL; the cluster's znodes carry the
 * sasl:<user> ACL, so another SASL user cannot change them; a wrong password and a node without
 * SASL are refused with a clear message (log, /status, CLI); the password is in no log line and
 * no child's environment. Every test ends with the journal check (haSuite).
 */
import * as fs from 'node:fs';
import { aclFor } from '../../src/coordination/acl';
import { runCli } from '../helpers/cli-run';
import { api } from '../helpers/jenkins-api';
import { assertNeverTwoAlive } from '../helpers/journal';
import type { RawZk } from '../helpers/raw-zk';
import { expectOursAlone, securedZk, sortAcl } from '../helpers/secured-zk';
import { waitFor } from '../helpers/wait';
import { SASL_USERS } from '../helpers/zk';

const TOKEN = 'sasl-test-token';
const NODE = SASL_USERS.node;

const zk = securedZk({ sasl: true });
const { suite } = zk;

function saslEnv(creds: { user: string; password: string } = NODE): Record<string, string> {
  return { JHA_ZK_SASL_USER: creds.user, JHA_ZK_SASL_PASSWORD: creds.password };
}

function connect(creds: { user: string; password: string }): Promise<RawZk> {
  return zk.connect({ sasl: creds });
}

/** The environment of a live process, NUL-separated (empty if it is gone). */
function environOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return '';
  }
}

/** The process and its descendants (the shim's group: the shim and Jenkins under it). */
function withDescendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((x) => x !== '').map(Number);
  } catch {
    // gone
  }
  return [pid, ...children.flatMap(withDescendants)];
}

test('over SASL: election, sasl:<user> ACLs refuse another SASL user, CLI status, switchover, takeover after kill -9; the password nowhere', async () => {
  const env = { ...saslEnv(), JHA_API_TOKEN: TOKEN };
  const a = suite.fx.start('a', { env });
  const st = await a.waitLeaderReady();
  const b = suite.fx.start('b', { env });
  await b.waitRole('standby');
  expect(st.zookeeper.saslError).toBeNull();

  // The cluster's znodes carry ALL for sasl:jenkins-ha (and world READ).
  const root = `/jenkins-ha/${a.opts.cluster}`;
  const good = await connect(NODE);
  const other = await connect(SASL_USERS.other);
  await expectOursAlone(root, sortAcl(aclFor({ auth: '', worldRead: true, sasl: NODE.user })), good, other);

  // The CLI speaks SASL with the same keys; without them the server closes its session.
  const cliEnv = { JHA_ZK_CONNECT: suite.zk.connect, JHA_CLUSTER: a.opts.cluster, JHA_API_PORT: String(a.opts.apiPort), JHA_API_TOKEN: TOKEN };
  const cli = await runCli(['status', '--json'], { ...cliEnv, ...saslEnv() });
  expect(cli.stderr).toBe('');
  expect(cli.code).toBe(0);
  expect(JSON.parse(cli.stdout)).toMatchObject({ leader: { id: 'a' }, epoch: 1 });
  const plain = await runCli(['status'], cliEnv);
  expect(plain.code).toBe(1);
  expect(plain.stderr).toContain('requires SASL authentication');
  expect(plain.stderr).toContain('set zk.sasl.user / zk.sasl.password');
  expect(plain.stderr).not.toMatch(/\n\s+at /);

  // Jenkins (the stand-in) and the shim with it do not inherit the password nor its variable.
  const jpid = (await a.status())?.jenkins.pid;
  expect(typeof jpid).toBe('number');
  const pids = withDescendants(jpid as number);
  expect(pids.length).toBeGreaterThanOrEqual(2); // the shim and the stand-in at least
  for (const pid of pids) {
    const environ = environOf(pid);
    expect(environ).not.toBe('');
    expect(environ).not.toContain(NODE.password);
    expect(environ).not.toContain('JHA_ZK_SASL_PASSWORD');
  }

  // Switchover, then an unplanned takeover after kill -9 (b reconnects and authenticates anew).
  expect((await api(a, 'POST', '/switchover', { token: TOKEN, body: { reason: 'sasl test' } })).status).toBe(202);
  expect((await b.waitLeaderReady()).epoch).toBe(2);
  await a.waitRole('standby');
  b.signal('SIGKILL');
  expect((await a.waitLeaderReady()).epoch).toBe(3);
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2', '3']);

  // The password is in no log line of either node (the JSON lines as written, every field).
  for (const n of [a, b]) expect(JSON.stringify(n.logs)).not.toContain(NODE.password);
  const zkLog = fs.readFileSync(`${suite.zk.dir}/zk1/zk.log`, 'utf8');
  expect(zkLog).toContain('adding SASL authorization for authorizationID: jenkins-ha');
});

test('a wrong password is refused with a message naming zk.sasl.user and the server\'s answer, in the log and /status; the node never leads', async () => {
  const wrong = 'not-the-password-5c1e';
  const a = suite.fx.start('a', { env: { ...saslEnv({ user: NODE.user, password: wrong }), JHA_API_TOKEN: TOKEN } });
  const failed = await a.waitForEvent('zk.sasl_failed', { timeoutMs: 15000 });
  expect(failed).toMatchObject({ reason: 'refused', user: NODE.user, code: -124, peer: suite.zk.connect });
  expect(failed.message).toContain(`refused SASL DIGEST-MD5 for zk.sasl.user "${NODE.user}"`);
  expect(failed.message).toContain('SESSIONCLOSEDREQUIRESASLAUTH (-124)');
  const authFailed = await a.waitForEvent('zk.auth_failed');
  expect(authFailed.message).toContain('zk.sasl.user');
  const st = await waitFor(() => a.status(), { timeoutMs: 15000, what: "a's /status" });
  expect(st.zookeeper.saslError).toMatchObject({ reason: 'refused', user: NODE.user, code: -124 });
  expect(st.node.role).not.toBe('leader');
  expect(a.events('zk.session')).toEqual([]);
  expect(JSON.stringify(a.logs)).not.toContain(wrong);

  // The CLI with the wrong password: exit 1 and the same reason, no stack trace.
  const cli = await runCli(['status'], { JHA_ZK_CONNECT: suite.zk.connect, JHA_CLUSTER: a.opts.cluster, JHA_API_PORT: String(a.opts.apiPort), ...saslEnv({ user: NODE.user, password: wrong }) });
  expect(cli.code).toBe(1);
  expect(cli.stderr).toContain(`for zk.sasl.user "${NODE.user}"`);
  expect(cli.stderr).not.toContain(wrong);
});

test('a node without SASL is refused by the server (sessionRequireClientSASLAuth) and says to set zk.sasl, instead of crashing', async () => {
  const a = suite.fx.start('a', { env: { JHA_API_TOKEN: TOKEN } });
  const failed = await a.waitForEvent('zk.sasl_failed', { timeoutMs: 15000 });
  expect(failed).toMatchObject({ reason: 'sasl-required', user: '', code: -124 });
  expect(failed.message).toContain('requires SASL authentication');
  expect(failed.message).toContain('set zk.sasl.user / zk.sasl.password (env JHA_ZK_SASL_USER / JHA_ZK_SASL_PASSWORD)');
  await a.waitForEvent('zk.auth_failed');
  // Still running (before the guard, the library's "Unknown code: -124" was an uncaught exception).
  const st = await waitFor(() => a.status(), { timeoutMs: 15000, what: "a's /status" });
  expect(a.isRunning()).toBe(true);
  expect(st.zookeeper.saslError).toMatchObject({ reason: 'sasl-required' });
  expect(st.node.role).not.toBe('leader');
});

test('zk.sasl.user without zk.sasl.password is a config error naming the key (exit 2)', async () => {
  const a = suite.fx.start('a', { env: { JHA_ZK_SASL_USER: NODE.user } });
  expect((await a.exited).code).toBe(2);
  expect(a.dumpLogs()).toContain('zk.sasl.password must be set when zk.sasl.user is set');
});
