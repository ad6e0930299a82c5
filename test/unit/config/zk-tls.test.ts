import { loadConfig } from '../../../src/config/load';
import { configError } from '../../helpers/config-error';

describe('zk.tls keys', () => {
  it('come from env by the naming scheme', () => {
    const cfg = loadConfig({
      env: {
        JHA_ZK_TLS_ENABLED: 'true',
        JHA_ZK_TLS_CA_FILE: '/etc/jha/ca.pem',
        JHA_ZK_TLS_CERT_FILE: '/etc/jha/node.pem',
        JHA_ZK_TLS_KEY_FILE: '/etc/jha/node-key.pem',
        JHA_ZK_TLS_SERVER_NAME: 'zk.internal',
        JHA_ZK_TLS_MIN_VERSION: 'TLSv1.3',
        JHA_ZK_TLS_ACL_IDENTITIES: '["CN=a,O=x","CN=b,O=x"]',
      },
      args: [],
    });
    expect(cfg.zk.tls).toEqual({
      enabled: true,
      caFile: '/etc/jha/ca.pem',
      certFile: '/etc/jha/node.pem',
      keyFile: '/etc/jha/node-key.pem',
      serverName: 'zk.internal',
      minVersion: 'TLSv1.3',
      aclIdentities: ['CN=a,O=x', 'CN=b,O=x'],
    });
    // One subject (it contains commas) is a list of one.
    expect(loadConfig({ env: { JHA_ZK_TLS_ENABLED: 'true', JHA_ZK_TLS_CERT_FILE: '/c', JHA_ZK_TLS_KEY_FILE: '/k', JHA_ZK_TLS_ACL_IDENTITIES: 'CN=a,O=x' }, args: [] }).zk.tls.aclIdentities).toEqual(['CN=a,O=x']);
  });

  it('refuse files while TLS is off (that would be plain TCP), a certificate without its key, identities without a certificate', () => {
    expect(configError(() => loadConfig({ env: { JHA_ZK_TLS_CA_FILE: '/ca.pem' }, args: [] })).key).toBe('zk.tls.enabled');
    expect(configError(() => loadConfig({ env: { JHA_ZK_TLS_ENABLED: 'true', JHA_ZK_TLS_CERT_FILE: '/c' }, args: [] })).key).toBe('zk.tls.keyFile');
    expect(configError(() => loadConfig({ env: { JHA_ZK_TLS_ENABLED: 'true', JHA_ZK_TLS_KEY_FILE: '/k' }, args: [] })).key).toBe('zk.tls.certFile');
    expect(configError(() => loadConfig({ env: { JHA_ZK_TLS_ENABLED: 'true', JHA_ZK_TLS_ACL_IDENTITIES: 'CN=a' }, args: [] })).key).toBe('zk.tls.aclIdentities');
    expect(configError(() => loadConfig({ env: { JHA_ZK_TLS_MIN_VERSION: 'TLSv1.1' }, args: [] })).key).toBe('zk.tls.minVersion');
  });
});
