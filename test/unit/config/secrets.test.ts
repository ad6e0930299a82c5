import { loadConfig } from '../../../src/config/load';
import { configSecrets, secretEnvNames } from '../../../src/config/secrets';
import { listKeys } from '../../../src/config/schema';

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
