import { childEnv, redactSecrets, REDACTED } from '../../../src/util/secrets';

const secrets = { envNames: ['JHA_API_TOKEN', 'JHA_ZK_AUTH'], values: ['s3cret-token', 'u:pw-long', 'pw-long'] };

test('childEnv drops the secret variables and any variable holding a secret value, keeps the rest, adds extra', () => {
  const base = { PATH: '/bin', JHA_API_TOKEN: 's3cret-token', JHA_ZK_AUTH: 'u:pw-long', COPY: 's3cret-token', HAS_PART: 'x-s3cret-token', EMPTY: '' };
  expect(childEnv(secrets, { JENKINS_HOME: '/h' }, base)).toEqual({ PATH: '/bin', HAS_PART: 'x-s3cret-token', EMPTY: '', JENKINS_HOME: '/h' });
  // The base is not changed.
  expect(base.JHA_API_TOKEN).toBe('s3cret-token');
});

test('redactSecrets replaces every occurrence, the longest value first', () => {
  expect(redactSecrets('a s3cret-token b u:pw-long c pw-long s3cret-token', secrets)).toBe(`a ${REDACTED} b ${REDACTED} c ${REDACTED} ${REDACTED}`);
  expect(redactSecrets('nothing here', secrets)).toBe('nothing here');
  expect(redactSecrets('x', { envNames: [], values: [''] })).toBe('x');
});
