/** The api.* configuration keys: readToken, bodyLimit, and the TLS pair rule. */
import { loadConfig, redactedConfig } from '../../../src/config/load';
import { ConfigError } from '../../../src/errors';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

test('api defaults: no read token, 16kb bodies, plain HTTP', () => {
  const cfg = loadConfig({ env: {}, args: [] });
  expect(cfg.api.readToken).toBe('');
  expect(cfg.api.bodyLimit).toBe('16kb');
  expect(cfg.api.tls).toEqual({ cert: '', key: '' });
});

test('a TLS certificate without its key is refused, naming api.tls.key (and the other way round)', () => {
  const noKey = configError(() => loadConfig({ env: { JHA_API_TLS_CERT: '/etc/jha/cert.pem' }, args: [] }));
  expect(noKey.key).toBe('api.tls.key');
  expect(noKey.message).toMatch(/api\.tls\.key must be set when api\.tls\.cert is set/);
  const noCert = configError(() => loadConfig({ env: {}, args: ['--api-tls-key', '/etc/jha/key.pem'] }));
  expect(noCert.key).toBe('api.tls.cert');
  const both = loadConfig({ env: { JHA_API_TLS_CERT: '/c.pem', JHA_API_TLS_KEY: '/k.pem' }, args: [] });
  expect(both.api.tls).toEqual({ cert: '/c.pem', key: '/k.pem' });
});

test('api.bodyLimit accepts sizes and refuses nonsense', () => {
  expect(loadConfig({ env: { JHA_API_BODY_LIMIT: '64kb' }, args: [] }).api.bodyLimit).toBe('64kb');
  expect(loadConfig({ env: { JHA_API_BODY_LIMIT: '4096' }, args: [] }).api.bodyLimit).toBe('4096');
  for (const bad of ['lots', '0', '11mb', '16 kb', '-1kb']) {
    expect({ bad, key: configError(() => loadConfig({ env: { JHA_API_BODY_LIMIT: bad }, args: [] })).key }).toEqual({ bad, key: 'api.bodyLimit' });
  }
});

test('api.readToken is read from JHA_API_READ_TOKEN and redacted', () => {
  const cfg = loadConfig({ env: { JHA_API_READ_TOKEN: 'r34d', JHA_API_TOKEN: 'wr1te' }, args: [] });
  expect(cfg.api.readToken).toBe('r34d');
  const red = redactedConfig(cfg);
  expect(red.api.readToken).toBe('***');
  expect(red.api.token).toBe('***');
  expect(JSON.stringify(red)).not.toMatch(/r34d|wr1te/);
});
