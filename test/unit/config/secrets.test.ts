import { loadConfig } from '../../../src/config/load';
import { configSecrets, secretEnvNames } from '../../../src/config/secrets';
import { buildSchema, listKeys, sensitiveKeys } from '../../../src/config/schema';

test('the secret env names are those of every sensitive key of the schema, in their JHA_* form too', () => {
  const names = secretEnvNames();
  expect(names).toEqual(expect.arrayContaining(['JHA_ZK_AUTH', 'JHA_JENKINS_API_TOKEN', 'JHA_API_TOKEN', 'JHA_API_READ_TOKEN']));
  for (const k of listKeys().filter((x) => x.sensitive === true)) expect(names).toContain(k.env);
  // No non-sensitive key is scrubbed.
  for (const k of listKeys().filter((x) => x.sensitive !== true)) expect(names).not.toContain(k.env);
});

test('configSecrets: the non-empty values of the sensitive keys, and the password of user:password credentials', () => {
  const cfg = loadConfig({ env: { JHA_ZK_AUTH: 'jha:zk-pw-1', JHA_API_TOKEN: 'api-tok-1', JHA_JENKINS_USER: 'u', JHA_JENKINS_API_TOKEN: 'j-tok-1' }, args: [] });
  const s = configSecrets(cfg);
  expect([...s.values].sort()).toEqual(['api-tok-1', 'j-tok-1', 'jha:zk-pw-1', 'zk-pw-1']);
  expect(s.envNames).toEqual(secretEnvNames());
});

test('sensitiveKeys: listed once per process, and the same keys a fresh schema marks sensitive, whatever the host name', () => {
  const fresh = listKeys(buildSchema({ hostname: 'another-host' })).filter((k) => k.sensitive === true);
  expect(sensitiveKeys().map((k) => [k.path, k.env])).toEqual(fresh.map((k) => [k.path, k.env]));
  expect(sensitiveKeys().map((k) => k.path)).toEqual(expect.arrayContaining(['zk.auth', 'zk.sasl.password', 'jenkins.apiToken', 'api.token', 'api.readToken']));
  expect(sensitiveKeys()).toBe(sensitiveKeys()); // kept, not rebuilt
  expect(Object.isFrozen(sensitiveKeys())).toBe(true); // no caller can change the list the next one gets
  expect(Object.isFrozen(sensitiveKeys()[0])).toBe(true);
});

test('the kept list cannot go stale: secrets by default are those of a fresh schema, in a process whose first schema had another host name', () => {
  jest.isolateModules(() => {
    /* eslint-disable @typescript-eslint/no-require-imports -- a fresh module registry: nothing listed yet */
    const schema = require('../../../src/config/schema') as typeof import('../../../src/config/schema');
    const secrets = require('../../../src/config/secrets') as typeof import('../../../src/config/secrets');
    const load = require('../../../src/config/load') as typeof import('../../../src/config/load');
    /* eslint-enable @typescript-eslint/no-require-imports */
    schema.listKeys(schema.buildSchema({ hostname: 'first-host' })); // the first list of this registry: it is kept
    const env = { JHA_ZK_AUTH: 'jha:zk-pw-2', JHA_ZK_SASL_USER: 'sasl-user', JHA_ZK_SASL_PASSWORD: 'sasl-pw-2', JHA_API_TOKEN: 'api-tok-2', JHA_API_READ_TOKEN: 'read-tok-2', JHA_JENKINS_USER: 'u', JHA_JENKINS_API_TOKEN: 'j-tok-2' };
    const cfg = load.loadConfig({ env, args: [] });
    const byFreshSchema = secrets.configSecrets(cfg, schema.listKeys(schema.buildSchema()));
    expect(secrets.configSecrets(cfg)).toEqual(byFreshSchema);
    expect([...byFreshSchema.values].sort()).toEqual(['api-tok-2', 'j-tok-2', 'jha:zk-pw-2', 'read-tok-2', 'sasl-pw-2', 'zk-pw-2']);
  });
});
