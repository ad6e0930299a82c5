/**
 * Secrets never leak: a controller runs with api.token, api.readToken and zk.auth set, and none
 * of the three strings may appear in its log (debug level), in any API answer (with and without
 * the right token), in `jenkins-ha config` or `jenkins-ha status` output, in the errors of
 * failed config loads, or in the environment of its Jenkins and the watchdog shim.
 * The suite's journal check (never two Jenkins alive) runs after the test as everywhere.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli-run';
import { lives, readJournal } from '../helpers/journal';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const API_TOKEN = 'tok-WRITE-5f1c9a';
const READ_TOKEN = 'tok-READ-8e27d4';
const ZK_PASSWORD = 'zkpw-SECRET-3b90c1';
const ZK_AUTH = `jenkins-ha:${ZK_PASSWORD}`;
const SECRETS = [API_TOKEN, READ_TOKEN, ZK_PASSWORD];
const ENV = { JHA_API_TOKEN: API_TOKEN, JHA_API_READ_TOKEN: READ_TOKEN, JHA_ZK_AUTH: ZK_AUTH };

const suite = haSuite();

/** The secrets found in `text` (should be none). */
function leaked(text: string): string[] {
  return SECRETS.filter((s) => text.includes(s));
}

async function get(url: string, token?: string): Promise<string> {
  const res = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
  return `${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`;
}

async function post(url: string, body: string, token?: string): Promise<string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) });
  return `${res.status} ${await res.text()}`;
}

test('tokens and zk.auth appear in no log line, API answer, CLI output, config error or Jenkins environment', async () => {
  const a = suite.fx.start('a', { env: ENV });
  const api = `http://127.0.0.1:${a.opts.apiPort}`;
  // /status needs the read token here (HaNode.waitLeaderReady sends none).
  const status0 = await waitFor(
    async () => {
      const res = await fetch(`${api}/status`, { headers: { authorization: `Bearer ${READ_TOKEN}` }, signal: AbortSignal.timeout(1000) }).catch(() => null);
      const s = res?.status === 200 ? ((await res.json()) as { node: { role: string }; jenkins: { ready: boolean; pid: number } }) : null;
      return s && s.node.role === 'leader' && s.jenkins.ready ? s : null;
    },
    { timeoutMs: 20000, what: 'a to lead with a ready Jenkins' },
  );

  // API answers, authorized and not, including errors that might echo what they were sent.
  const answers: string[] = [];
  for (const p of ['/', '/status', '/members', '/history', '/metrics', '/leader', '/health', '/readiness', '/standby', '/nope']) {
    answers.push(await get(`${api}${p}`, READ_TOKEN), await get(`${api}${p}`), await get(`${api}${p}`, `${API_TOKEN}x`));
  }
  answers.push(
    await post(`${api}/pause`, JSON.stringify({ reason: 'secrets test', ttlSeconds: 60 }), API_TOKEN),
    await post(`${api}/resume`, '{}', API_TOKEN),
    await post(`${api}/pause`, JSON.stringify({ ttlSeconds: READ_TOKEN }), API_TOKEN),
    await post(`${api}/pause`, `{"reason": ${ZK_PASSWORD}}`, API_TOKEN),
    await post(`${api}/switchover`, '{}', READ_TOKEN),
    await get(`${api}/history?limit=${API_TOKEN}`, READ_TOKEN),
  );
  expect(answers.join('\n')).toContain('secrets test'); // the answers were really collected
  expect(answers.filter((x) => leaked(x).length > 0)).toEqual([]);

  // The CLI, with the same environment.
  const cliEnv = { ...ENV, JHA_ZK_CONNECT: suite.zk.connect, JHA_CLUSTER: a.opts.cluster, JHA_API_PORT: String(a.opts.apiPort) };
  const config = await runCli(['config'], cliEnv);
  expect(config.code).toBe(0);
  expect(JSON.parse(config.stdout)).toMatchObject({ zk: { auth: '***' }, api: { token: '***', readToken: '***' } });
  const status = await runCli(['status', '--json'], cliEnv);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ leader: { id: 'a' } });
  const history = await runCli(['history', '--json'], cliEnv);
  expect(history.code).toBe(0);
  expect(leaked([config, status, history].map((r) => r.stdout + r.stderr).join('\n'))).toEqual([]);

  // Failed config loads: bad values of the secret keys, a file that is not JSON around them.
  const dir = fs.mkdtempSync(path.join(suite.fx.home, 'conf-'));
  const file = (name: string, text: string): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const failures = [
    await runCli(['config'], { JHA_ZK_AUTH: `no-colon-${ZK_PASSWORD}` }),
    await runCli(['config'], { JHA_ZK_AUTH: `bad user:${ZK_PASSWORD}` }),
    await runCli(['config', '-c', file('unquoted.json', `{"api": {"token": ${API_TOKEN}}}`)], {}),
    await runCli(['config', '-c', file('bare.json', `${ZK_PASSWORD}\n`)], {}),
    await runCli(['config', '-c', file('trailing.json', `{"api": {"readToken": "${READ_TOKEN}"} ${ZK_PASSWORD}}`)], {}),
    await runCli(['config', '-c', file('object.json', JSON.stringify({ zk: { auth: { user: 'u', password: ZK_PASSWORD } } }))], {}),
    await runCli(['config', '-c', file('number.json', '{"api": {"token": 4242424242}}')], {}),
    await runCli(['config', '-c', file('typo.json', JSON.stringify({ api: { tokn: API_TOKEN } }))], {}),
    await runCli(['run', '-c', file('run.json', `{"zk": {"auth": "${ZK_AUTH}"}, "api": {"token": "${API_TOKEN}", "readToken": "${READ_TOKEN}", "port": "not-a-port"}}`)], {}),
  ];
  for (const f of failures) {
    expect({ code: f.code, stdout: f.stdout }).toEqual({ code: 2, stdout: '' });
    expect(f.stderr).toMatch(/^jenkins-ha: configuration error: /);
    expect(f.stderr).not.toMatch(/\n\s+at /);
  }
  expect(failures[6]!.stderr).not.toContain('4242424242');
  expect(failures.map((f) => f.stderr).filter((x) => leaked(x).length > 0)).toEqual([]);

  // Jenkins (and the shim that leads its process group) do not inherit them.
  const running = lives(readJournal(suite.fx.home)).filter((l) => l.endedBy === 'running');
  expect(running).toHaveLength(1);
  const pids = [running[0]!.pid, status0.jenkins.pid];
  for (const pid of pids) {
    const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
    expect(environ).toContain('JENKINS_HOME=');
    expect({ pid, leaked: leaked(environ) }).toEqual({ pid, leaked: [] });
  }

  // And the controller's own log, at debug level, after all of the above.
  const log = a.logs.map((l) => JSON.stringify(l)).join('\n');
  expect(log).toContain('"event":"epoch.taken"');
  expect(leaked(log)).toEqual([]);
});
