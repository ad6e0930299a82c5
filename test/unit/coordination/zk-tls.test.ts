import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { aclFor, mayAdminister, PERM, sharedAclFor } from '../../../src/coordination/acl';
import { checkTlsFiles, describeTlsFailure, rfc2253Subject, tlsOptions, zkTlsSetup, type ZkTlsSettings } from '../../../src/coordination/zk-tls';
import { configError } from '../../helpers/config-error';

const PKI_SCRIPT = path.resolve(__dirname, '../../../scripts/zk-pki.sh');
let dir: string;
let s: ZkTlsSettings;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-zk-tls-'));
  execFileSync('bash', [PKI_SCRIPT, 'ca', dir, 'ca']);
  execFileSync('bash', [PKI_SCRIPT, 'cert', dir, 'ca', 'client', '/O=Example, Inc./OU=ops/CN=node a']);
  execFileSync('bash', [PKI_SCRIPT, 'cert', dir, 'ca', 'old', '/CN=old', '--expired']);
  s = { caFile: `${dir}/ca.pem`, certFile: `${dir}/client.pem`, keyFile: `${dir}/client-key.pem`, serverName: '', minVersion: 'TLSv1.2' };
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('rfc2253Subject', () => {
  it("reverses Node's RDN lines (values come escaped) into Java X500Principal.getName()'s order", () => {
    expect(rfc2253Subject('O=Example\\, Inc.\nOU=ops\nCN=node a', 'k')).toBe('CN=node a,OU=ops,O=Example\\, Inc.');
  });
  it('refuses attributes ZooKeeper writes as OIDs, pointing at zk.tls.aclIdentities', () => {
    expect(configError(() => rfc2253Subject('emailAddress=a@b\nCN=x', 'zk.tls.certFile')).key).toBe('zk.tls.aclIdentities');
  });
});

describe('checkTlsFiles / zkTlsSetup', () => {
  it("returns the certificate's RFC 2253 subject, used as the x509 ACL identity by default", () => {
    expect(checkTlsFiles(s)).toBe('CN=node a,OU=ops,O=Example\\, Inc.');
    const keys = { ...s, enabled: true, aclIdentities: [] as string[] };
    expect(zkTlsSetup(keys).x509).toEqual(['CN=node a,OU=ops,O=Example\\, Inc.']);
    expect(zkTlsSetup({ ...keys, aclIdentities: ['CN=a', 'CN=b'] }).x509).toEqual(['CN=a', 'CN=b']);
    expect(zkTlsSetup({ ...keys, certFile: '', keyFile: '' })).toEqual({ tls: expect.objectContaining({ certFile: '' }), x509: [] });
    expect(zkTlsSetup({ ...keys, enabled: false })).toEqual({ tls: undefined, x509: [] });
  });
  it.each([
    ['caFile', 'zk.tls.caFile'],
    ['certFile', 'zk.tls.certFile'],
    ['keyFile', 'zk.tls.keyFile'],
  ] as const)('a missing %s is a ConfigError naming %s and the file', (field, key) => {
    const err = configError(() => checkTlsFiles({ ...s, [field]: `${dir}/missing.pem` }));
    expect(err.key).toBe(key);
    expect(err.message).toContain(`${dir}/missing.pem`);
  });
  it('a file that is no certificate is a ConfigError', () => {
    expect(configError(() => checkTlsFiles({ ...s, caFile: `${dir}/client-key.pem` })).key).toBe('zk.tls.caFile');
    expect(configError(() => checkTlsFiles({ ...s, certFile: `${dir}/client-key.pem` })).key).toBe('zk.tls.certFile');
  });
});

describe('tlsOptions', () => {
  it('reads the files at every call (rotation) and verifies the host, or zk.tls.serverName', () => {
    const o = tlsOptions(s, '127.0.0.1');
    expect(o.rejectUnauthorized).toBe(true);
    expect(o.servername).toBeUndefined(); // an IP: checked against the IP SANs by Node
    expect(String(o.cert)).toBe(fs.readFileSync(s.certFile, 'utf8'));
    expect(tlsOptions(s, 'zk1.example').servername).toBe('zk1.example');
    expect(tlsOptions({ ...s, serverName: 'zk.internal' }, '127.0.0.1').servername).toBe('zk.internal');
    const copy = { ...s, certFile: `${dir}/rot.pem` };
    fs.copyFileSync(`${dir}/old.pem`, copy.certFile);
    expect(String(tlsOptions(copy, 'h').cert)).toBe(fs.readFileSync(`${dir}/old.pem`, 'utf8'));
    fs.copyFileSync(s.certFile, copy.certFile);
    expect(String(tlsOptions(copy, 'h').cert)).toBe(fs.readFileSync(s.certFile, 'utf8'));
  });
});

describe('describeTlsFailure', () => {
  const err = (code: string, message = code): Error => Object.assign(new Error(message), { code });
  it('names the CA file for an unknown CA', () => {
    const f = describeTlsFailure(err('SELF_SIGNED_CERT_IN_CHAIN'), '10.0.0.1:2281', s, true);
    expect(f).toMatchObject({ reason: 'unknown-ca', file: s.caFile, peer: '10.0.0.1:2281' });
    expect(f.message).toContain(`not signed by a CA in zk.tls.caFile ${s.caFile}`);
  });
  it('says name mismatch and how to fix it', () => {
    const f = describeTlsFailure(err('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), 'zk1:2281', s, true);
    expect(f.reason).toBe('name-mismatch');
    expect(f.message).toContain('does not name zk1');
    expect(f.message).toContain('zk.tls.serverName');
  });
  it("an expired server certificate, and the server refusing our expired one (read from zk.tls.certFile)", () => {
    expect(describeTlsFailure(err('CERT_HAS_EXPIRED'), 'zk1:2281', s, true).reason).toBe('expired');
    const ours = describeTlsFailure(err('ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN'), 'zk1:2281', { ...s, certFile: `${dir}/old.pem` }, true);
    expect(ours).toMatchObject({ reason: 'expired', file: `${dir}/old.pem` });
    expect(ours.message).toMatch(/client certificate zk.tls.certFile .*old.pem expired at/);
  });
  it('a refused valid client certificate names zk.tls.certFile; none at all says to set one', () => {
    const f = describeTlsFailure(err('ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN'), 'zk1:2281', s, true);
    expect(f).toMatchObject({ reason: 'client-cert-refused', file: s.certFile });
    const none = describeTlsFailure(err('ECONNRESET'), 'zk1:2281', { ...s, certFile: '', keyFile: '' }, true);
    expect(none.message).toContain('set zk.tls.certFile and zk.tls.keyFile');
  });
  it('an unreadable file before the handshake names it', () => {
    const e = Object.assign(new Error('zk.tls.keyFile: cannot read "/k": ENOENT'), { file: '/k' });
    expect(describeTlsFailure(e, 'zk1:2281', s, false)).toMatchObject({ reason: 'file-unreadable', file: '/k' });
  });
});

describe('x509 ACLs', () => {
  const access = { auth: '', worldRead: true, x509: ['CN=a,O=x', 'CN=b,O=x'] };
  it('give every cluster identity ALL (world READ), and digest credentials win', () => {
    expect(aclFor(access)).toEqual([
      { perms: PERM.ALL, scheme: 'x509', id: 'CN=a,O=x' },
      { perms: PERM.ALL, scheme: 'x509', id: 'CN=b,O=x' },
      { perms: PERM.READ, scheme: 'world', id: 'anyone' },
    ]);
    expect(sharedAclFor({ ...access, worldRead: false })).toContainEqual({ perms: PERM.CREATE, scheme: 'world', id: 'anyone' });
    expect(aclFor({ ...access, auth: 'u:p' }).map((e) => e.scheme)).toEqual(['digest', 'world']);
  });
  it('let us administer only our own identities', () => {
    expect(mayAdminister([{ perms: PERM.ALL, scheme: 'x509', id: 'CN=b,O=x' }], access)).toBe(true);
    expect(mayAdminister([{ perms: PERM.ALL, scheme: 'x509', id: 'CN=c,O=x' }], access)).toBe(false);
  });
});
