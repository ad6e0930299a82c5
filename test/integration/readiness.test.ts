/**
 * Readiness that knows Jenkins: with jenkins.user/apiToken configured, Jenkins is ready only when
 * an authenticated /whoAmI names that user (not merely when /login answers); a Jenkins that never
 * gets there is restarted only after jenkins.startupGraceMs; a live pid whose web server stops
 * answering after it was ready counts as unhealthy. Real ZooKeeper, the stand-in over HTTP.
 */
import { assertNeverTwoAlive } from '../helpers/journal';
import { api, standinAuthEnv } from '../helpers/jenkins-api';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const suite = haSuite();
const STANDIN_AUTH = standinAuthEnv('admin', 'right-token');

test('readiness waits for an authenticated whoAmI; a wrong token keeps Jenkins unready until the start-up grace ends', async () => {
  const a = suite.fx.start('a', {
    env: { ...STANDIN_AUTH, JHA_JENKINS_USER: 'admin', JHA_JENKINS_API_TOKEN: 'wrong-token', JHA_JENKINS_STARTUP_GRACE_MS: '4000', JHA_LOCK_FLOCK_WAIT_MS: '2000', JHA_JENKINS_MAX_RESTARTS: '10' },
  });
  // /login answers with X-Jenkins, but whoAmI refuses the token: not ready.
  const s = await waitFor(
    async () => {
      const st = await a.status();
      return st && st.jenkins.state === 'starting' && /whoAmI/.test(st.jenkins.lastProbeError ?? '') ? st : null;
    },
    { timeoutMs: 20000, what: 'a starting Jenkins whose whoAmI fails' },
  );
  expect(s.jenkins.lastProbeError).toMatch(/^whoAmI: GET \/whoAmI\/api\/json: HTTP 401 for user admin/);
  expect(s.jenkins.ready).toBe(false);
  expect((await api(a, 'GET', '/leader')).status).toBe(503);
  const login = await fetch(`http://127.0.0.1:${suite.fx.jenkinsPort}/login`);
  expect(login.headers.get('x-jenkins')).toBe('2.999-standin');
  // Not a failure within the grace; past it, the start counts as failed and Jenkins is restarted.
  const started = a.events('jenkins.started')[0]!;
  const timeout = await a.waitForEvent('jenkins.start_timeout', { timeoutMs: 20000 });
  expect(timeout.seenAt - started.seenAt).toBeGreaterThanOrEqual(4000);
  expect(a.events('jenkins.ready')).toHaveLength(0);
  await a.waitForEvent('jenkins.stopped', { timeoutMs: 20000, where: (l) => /start-up grace/.test(String(l.reason)) });
  await waitFor(async () => ((await a.status())?.jenkins.restarts ?? 0) >= 1, { timeoutMs: 10000, what: 'the failed start to be counted' });
  assertNeverTwoAlive(suite.fx.home);
});

test('with the right token Jenkins is ready once whoAmI names the user', async () => {
  const a = suite.fx.start('a', { env: { ...STANDIN_AUTH, JHA_JENKINS_USER: 'admin', JHA_JENKINS_API_TOKEN: 'right-token' } });
  const s = await a.waitLeaderReady();
  expect(s.jenkins.version).toBe('2.999-standin');
  expect(s.jenkins.lastProbeError).toBeNull();
});

test('a live Jenkins whose web server stops answering after it was ready is restarted', async () => {
  const a = suite.fx.start('a', { env: { STANDIN_HANG_AFTER_MS: '3000', JHA_JENKINS_LIVENESS_FAILURES: '2' } });
  const s = await a.waitLeaderReady();
  const pid = s.jenkins.pid;
  const unhealthy = await a.waitForEvent('jenkins.unready', { timeoutMs: 20000 });
  expect(unhealthy.error).toMatch(/no answer within/);
  await a.waitForEvent('jenkins.stopping', { where: (l) => /unhealthy/.test(String(l.reason)), timeoutMs: 20000 });
  const again = await waitFor(async () => {
    const st = await a.status();
    return st && st.jenkins.pid !== pid && st.jenkins.state !== 'stopped' ? st : null;
  }, { timeoutMs: 30000, what: 'a restarted Jenkins' });
  expect(again.jenkins.restarts).toBeGreaterThanOrEqual(1);
  assertNeverTwoAlive(suite.fx.home);
});
