/**
 * ZooKeeper over TLS with a real ZooKeeper (zk.sh start --tls: secureClientPort only, Netty,
 * ssl.clientAuth=need, the x509 auth provider) and real controllers and CLI: election, x509 ACLs
 * that refuse a client with another certificate, CLI status, switchover and takeover after
 * kill -9; a certificate from another CA or an expired one refused with a clear message naming the
 * file; a rotated certificate picked up without a restart; a missing file a config error (exit 2).
 * One PKI and one server for the file. Every test ends with the journal check (haSuite).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { aclFor, sharedAclFor } from '../../src/coordination/acl';
import type { ZkTlsSettings } from '../../src/coordination/zk-tls';
import { runCli } from '../helpers/cli-run';
import { api } from '../helpers/jenkins-api';
import { assertNeverTwoAlive } from '../helpers/journal';
import { outcome, type RawZk } from '../helpers/raw-zk';
import { expectCloserHandsOver, expectOursAlone, securedZk, sortAcl } from '../helpers/secured-zk';
import { waitFor } from '../helpers/wait';
import { zkMode } from '../helpers/zk';

const PKI_SCRIPT = path.resolve(__dirname, '../../scripts/zk-pki.sh');
const TOKEN = 'tls-test-token';
/** The subject of the PKI's client.pem, as ZooKeeper's x509 provider reports it (RFC 2253). */
const IDENTITY = 'CN=jenkins-ha,O=jenkins-ha test';

const zk = securedZk({ tls: true });
const { suite } = zk;

function pki(): string {
  if (!suite.zk.pki) throw new Error('no PKI');
  return suite.zk.pki;
}

/** Extra certificates for this file: an intruder of the same CA, a rogue CA's, an expired one. */
beforeAll(() => {
  const dir = pki();
  execFileSync('bash', [PKI_SCRIPT, 'cert', dir, 'ca', 'intruder', '/O=jenkins-ha test/CN=intruder']);
  execFileSync('bash', [PKI_SCRIPT, 'ca', dir, 'rogue-ca']);
  execFileSync('bash', [PKI_SCRIPT, 'cert', dir, 'rogue-ca', 'rogue', '/O=jenkins-ha test/CN=jenkins-ha']);
  execFileSync('bash', [PKI_SCRIPT, 'cert', dir, 'ca', 'expired', '/O=jenkins-ha test/CN=jenkins-ha', '--expired']);
});

function settings(cert = 'client'): ZkTlsSettings {
  return { caFile: `${pki()}/ca.pem`, certFile: `${pki()}/${cert}.pem`, keyFile: `${pki()}/${cert}-key.pem`, serverName: '', minVersion: 'TLSv1.2' };
}

/** The zk.tls env of a node or the CLI. */
function tlsEnv(s: ZkTlsSettings = settings()): Record<string, string> {
  return { JHA_ZK_TLS_ENABLED: 'true', JHA_ZK_TLS_CA_FILE: s.caFile, JHA_ZK_TLS_CERT_FILE: s.certFile, JHA_ZK_TLS_KEY_FILE: s.keyFile };
}

function connect(cert: string): Promise<RawZk> {
  return zk.connect({ tls: settings(cert) });
}

test('over TLS: election, x509 ACLs refuse another certificate, CLI status, switchover, takeover after kill -9', async () => {
  // A cluster base made before certificate identity was in use (open ACL): secured on start.
  const good = await connect('client');
  const cluster = `it-${path.basename(suite.fx.home).slice('jha-home-'.length)}`;
  // (zk.root with its proper shared ACL: the guard secures the cluster's tree, not zk.root.)
  const access = { auth: '', worldRead: true, x509: [IDENTITY] };
  expect(await outcome(good.create('/jenkins-ha', '', 'persistent', [...sharedAclFor(access)]))).toMatch(/^(OK|NODE_EXISTS)$/);
  await good.mkdirp(`/jenkins-ha/${cluster}/history`);
  const env = { ...tlsEnv(), JHA_API_TOKEN: TOKEN };
  const a = suite.fx.start('a', { env });
  expect(a.opts.cluster).toBe(cluster);
  await a.waitLeaderReady();
  await a.waitForEvent('zk.acl_secured', { where: (l) => l.znode === `/jenkins-ha/${cluster}/history` });
  const b = suite.fx.start('b', { env });
  await b.waitRole('standby');

  // The cluster's znodes carry the x509 ACL of the shared certificate identity.
  const root = `/jenkins-ha/${a.opts.cluster}`;
  const intruder = await connect('intruder');
  await expectOursAlone(root, sortAcl(aclFor({ auth: '', worldRead: true, x509: [IDENTITY] })), good, intruder);

  // The CLI speaks TLS with the same keys (also with zk.tls.serverName, a DNS SAN of the server).
  const cliEnv = { JHA_ZK_CONNECT: suite.zk.connect, JHA_CLUSTER: a.opts.cluster, JHA_API_PORT: String(a.opts.apiPort), JHA_API_TOKEN: TOKEN };
  const st = await runCli(['status', '--json'], { ...cliEnv, ...tlsEnv(), JHA_ZK_TLS_SERVER_NAME: 'localhost' });
  expect(st.stderr).toBe('');
  expect(st.code).toBe(0);
  expect(JSON.parse(st.stdout)).toMatchObject({ leader: { id: 'a' }, epoch: 1 });
  const plain = await runCli(['status'], cliEnv);
  expect(plain.code).toBe(1);

  // Switchover, then an unplanned takeover after kill -9.
  expect((await api(a, 'POST', '/switchover', { token: TOKEN, body: { reason: 'tls test' } })).status).toBe(202);
  expect((await b.waitLeaderReady()).epoch).toBe(2);
  await a.waitRole('standby');
  b.signal('SIGKILL');
  expect((await a.waitLeaderReady()).epoch).toBe(3);
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2', '3']);
});

test("a certificate of another CA, then an expired one, are refused naming the file; the rotated good one is used without a restart", async () => {
  // The node reads its certificate from one path, rotated in place (as cert-manager or an
  // operator would): first a certificate the servers do not trust.
  const dir = path.join(suite.fx.home, '..', `${path.basename(suite.fx.home)}-certs`);
  fs.mkdirSync(dir, { recursive: true });
  const cert = path.join(dir, 'node.pem');
  const key = path.join(dir, 'node-key.pem');
  const install = (name: string): void => {
    // Key first, then the certificate, each by rename: a connection attempt in between fails and is retried.
    fs.copyFileSync(`${pki()}/${name}-key.pem`, `${key}.tmp`);
    fs.renameSync(`${key}.tmp`, key);
    fs.copyFileSync(`${pki()}/${name}.pem`, `${cert}.tmp`);
    fs.renameSync(`${cert}.tmp`, cert);
  };
  try {
    install('rogue');
    const a = suite.fx.start('a', { env: { ...tlsEnv({ ...settings(), certFile: cert, keyFile: key }), JHA_API_TOKEN: TOKEN } });
    const refused = await a.waitForEvent('zk.tls_failed', { timeoutMs: 15000 });
    expect(refused).toMatchObject({ reason: 'client-cert-refused', file: cert, peer: suite.zk.connect });
    expect(refused.message).toContain(`does not accept the client certificate zk.tls.certFile ${cert}`);
    expect(a.events('zk.session')).toEqual([]);
    // /status shows it too (zookeeper.tlsError), and so does the node's note.
    const st = await waitFor(() => a.status(), { timeoutMs: 15000, what: "a's /status" });
    expect(st.zookeeper.tlsError).toMatchObject({ reason: 'client-cert-refused', file: cert, peer: suite.zk.connect });

    install('expired');
    const expired = await a.waitForEvent('zk.tls_failed', { timeoutMs: 15000, where: (l) => l.reason === 'expired' });
    expect(expired.message).toMatch(new RegExp(`client certificate zk.tls.certFile ${cert} expired at`));
    expect(expired.file).toBe(cert);

    // The CLI says the same, and exits 1 (not a hang, not a stack trace).
    const cliEnv = { JHA_ZK_CONNECT: suite.zk.connect, JHA_CLUSTER: a.opts.cluster, JHA_API_PORT: String(a.opts.apiPort) };
    const cli = await runCli(['status'], { ...cliEnv, ...tlsEnv({ ...settings('rogue') }) });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`TLS to ZooKeeper ${suite.zk.connect} failed: the server refused the handshake`);
    expect(cli.stderr).not.toMatch(/\n\s+at /);
    const mismatch = await runCli(['status'], { ...cliEnv, ...tlsEnv(), JHA_ZK_TLS_SERVER_NAME: 'zk.wrong.example' });
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain("the server's certificate does not name zk.wrong.example");
    const wrongCa = await runCli(['status'], { ...cliEnv, ...tlsEnv({ ...settings(), caFile: `${pki()}/rogue-ca.pem` }) });
    expect(wrongCa.stderr).toContain(`not signed by a CA in zk.tls.caFile ${pki()}/rogue-ca.pem`);

    // Rotation to a good certificate: the next connection attempt uses it; no restart.
    install('client');
    await a.waitLeaderReady();
    expect(a.events('zk.tls_ok').length).toBeGreaterThan(0);
    expect((await a.status())?.zookeeper.tlsError).toBeNull();
    expect(a.isRunning()).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("over TLS, a crashed controller's session is closed by its shim's closer: at T = 10 s the standby spawns Jenkins well under T", async () => {
  // Expiry would take 0.67-1.08 T: the close over TLS is what makes it this fast.
  await expectCloserHandsOver(suite, tlsEnv());
}, 60000);

test('zk.sh --tls serves TLS only: no plain answer on the client port, srvr over TLS with the client certificate', async () => {
  const port = suite.zk.ports[0] as number;
  expect(await zkMode(port)).toBe('down');
  expect(await zkMode(port, pki())).toBe('standalone');
  const log = fs.readFileSync(path.join(suite.zk.dir, 'zk1', 'zk.log'), 'utf8');
  expect(log).toContain("Authenticated Id 'CN=jenkins-ha,O=jenkins-ha test' for Scheme 'x509'");
  expect(log).not.toContain('NoClassDefFoundError');
});

test('a missing TLS file at start-up is a config error naming the key (exit 2)', async () => {
  const a = suite.fx.start('a', { env: { ...tlsEnv({ ...settings(), caFile: `${pki()}/missing-ca.pem` }) } });
  expect((await a.exited).code).toBe(2);
  expect(a.dumpLogs()).toContain(`zk.tls.caFile: cannot read "${pki()}/missing-ca.pem"`);
});
