import { configSecrets } from '../../../src/config/secrets';
import { loadConfig, redactedConfig } from '../../../src/config/load';
import { configError } from '../../helpers/config-error';

describe('zk.sasl keys', () => {
  const env = { JHA_ZK_SASL_USER: 'jenkins-ha', JHA_ZK_SASL_PASSWORD: 'pw that is secret' };

  it('come from env by the naming scheme', () => {
    expect(loadConfig({ env, args: [] }).zk.sasl).toEqual({ user: 'jenkins-ha', password: 'pw that is secret' });
  });

  it('come in pairs: a user without a password (or the reverse) is a config error naming the missing key', () => {
    const noPassword = configError(() => loadConfig({ env: { JHA_ZK_SASL_USER: 'jenkins-ha' }, args: [] }));
    expect(noPassword.key).toBe('zk.sasl.password');
    expect(noPassword.message).toContain('JHA_ZK_SASL_PASSWORD');
    expect(configError(() => loadConfig({ env: { JHA_ZK_SASL_PASSWORD: 'x' }, args: [] })).key).toBe('zk.sasl.user');
  });

  it('refuse a user name with whitespace or quotes', () => {
    expect(configError(() => loadConfig({ env: { ...env, JHA_ZK_SASL_USER: 'a b' }, args: [] })).key).toBe('zk.sasl.user');
    expect(configError(() => loadConfig({ env: { ...env, JHA_ZK_SASL_USER: 'a"b' }, args: [] })).key).toBe('zk.sasl.user');
  });

  it('the password is a secret: masked, kept from children, its env name scrubbed', () => {
    const cfg = loadConfig({ env, args: [] });
    expect(JSON.stringify(redactedConfig(cfg))).not.toContain('pw that is secret');
    const secrets = configSecrets(cfg);
    expect(secrets.values).toContain('pw that is secret');
    expect(secrets.envNames).toContain('JHA_ZK_SASL_PASSWORD');
  });
});
