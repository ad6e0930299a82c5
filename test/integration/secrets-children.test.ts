/**
 * No child process inherits a secret (issue 13 item 5), and quoted command output never shows
 * one. Real controllers run with every sensitive key set through its env var (JHA_ZK_AUTH,
 * JHA_API_TOKEN, JHA_API_READ_TOKEN, JHA_JENKINS_API_TOKEN); every kind of child they start
 * writes its environment to a file (or is read through /proc/<pid>/environ): Jenkins (the
 * stand-in), the watchdog and service shims, the service start/stop/status/pid commands, the
 * eligibility preflight, the fencing methods, the hooks and git (through a `git` wrapper first on
 * PATH). The preflight and the fencing method also print the secret values (as a site script
 * that cats a config file would): /status, /history, /standby and the log show "[redacted]"
 * instead. The suite's journal check (never two Jenkins alive) runs after each test.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, STANDIN, type HaNode } from '../helpers/ha-node';
import { runningStandin } from '../helpers/journal';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const API_TOKEN = 'tok-WRITE-c41d7e';
const READ_TOKEN = 'tok-READ-9a03b2';
const ZK_PASSWORD = 'zkpw-CHILD-77e1f0';
const JENKINS_TOKEN = 'jtok-CHILD-2b8d55';
const SECRET_VALUES = [API_TOKEN, READ_TOKEN, ZK_PASSWORD, JENKINS_TOKEN];
const SECRET_NAMES = ['JHA_API_TOKEN', 'JHA_API_READ_TOKEN', 'JHA_ZK_AUTH', 'JHA_JENKINS_API_TOKEN'];
const FAKE = path.join(REPO, 'test', 'fixtures', 'fake-service.sh');

let dump = '';
const suite = haSuite({
  afterEach: () => {
    fs.rmSync(dump, { recursive: true, force: true });
  },
});

beforeEach(() => {
  dump = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-secret-children-'));
  // What a careless site script would print: the secrets, read from a file.
  fs.writeFileSync(path.join(dump, 'leak.txt'), `${SECRET_VALUES.join(' ')} jenkins-ha:${ZK_PASSWORD}\n`);
  fs.writeFileSync(path.join(dump, 'token'), `${JENKINS_TOKEN}\n`);
  // `dump.sh KIND`: the caller's environment into KIND.<pid>.env.
  fs.writeFileSync(path.join(dump, 'dump.sh'), `env > "${dump}/$1.$$.env"\n`);
  // git, wrapped: every git the controller runs records its environment first.
  fs.mkdirSync(path.join(dump, 'bin'));
  const realGit = execFileSync('sh', ['-c', 'command -v git']).toString().trim();
  fs.writeFileSync(path.join(dump, 'bin', 'git'), `#!/bin/sh\nsh "${dump}/dump.sh" git\nexec ${realGit} "$@"\n`, { mode: 0o755 });
});

/** Every sensitive key set through its env var, plus what the stand-in needs to check the Jenkins token. */
function secretEnv(): Record<string, string> {
  return {
    JHA_API_TOKEN: API_TOKEN,
    JHA_API_READ_TOKEN: READ_TOKEN,
    JHA_ZK_AUTH: `jenkins-ha:${ZK_PASSWORD}`,
    JHA_JENKINS_USER: 'jha',
    JHA_JENKINS_API_TOKEN: JENKINS_TOKEN,
    STANDIN_USER: 'jha',
    STANDIN_TOKEN_FILE: path.join(dump, 'token'),
    JHA_ELIGIBILITY_INTERVAL_MS: '300',
  };
}

/** The env dumps of one kind of child: file name -> content. */
function dumps(kind: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(dump)) if (f.startsWith(`${kind}.`) && f.endsWith('.env')) out.set(f, fs.readFileSync(path.join(dump, f), 'utf8'));
  return out;
}

/** The secret variables and values an environment (`NAME=value` lines or NUL-separated) holds. */
function leakedIn(environ: string): string[] {
  const vars = environ.split(/[\n\0]/);
  return [...SECRET_NAMES.filter((n) => vars.some((v) => v.startsWith(`${n}=`))), ...SECRET_VALUES.filter((s) => environ.includes(s))];
}

/** For each kind: how many environments were seen, and what leaked in any of them. */
function checkKinds(kinds: string[]): Record<string, { seen: boolean; leaked: string[] }> {
  const out: Record<string, { seen: boolean; leaked: string[] }> = {};
  for (const k of kinds) {
    const d = [...dumps(k).values()];
    out[k] = { seen: d.length > 0, leaked: [...new Set(d.flatMap(leakedIn))] };
  }
  return out;
}

function procEnv(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
}

async function get(node: HaNode, p: string, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${node.opts.apiPort}${p}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, text: await res.text() };
}

test('Jenkins, its shim, the preflight, the fencing methods, the hooks and git inherit no secret; quoted output is redacted', async () => {
  const repoDir = path.join(dump, 'repo');
  const remote = path.join(repoDir, 'config.git');
  fs.mkdirSync(repoDir);
  execFileSync('git', ['init', '--quiet', '--bare', remote]);
  const hold = path.join(dump, 'hold-b');
  const common = {
    ...secretEnv(),
    PATH: `${path.join(dump, 'bin')}:${process.env.PATH ?? ''}`,
    JHA_SYNC_MODE: 'git',
    JHA_SYNC_REPO: remote,
    JHA_SYNC_INTERVAL_MS: '500',
    JHA_SYNC_GIT_TIMEOUT_MS: '15000',
    JHA_HOOKS_ON_LEADER: `sh ${dump}/dump.sh hook; cat ${dump}/leak.txt`,
    JHA_FENCING_METHODS: JSON.stringify([`sh ${dump}/dump.sh fence; cat ${dump}/leak.txt`]),
    JHA_FENCING_TIMEOUT_MS: '5000',
  };
  const a = suite.fx.start('a', { ownHome: true, readToken: READ_TOKEN, env: { ...common, JHA_ELIGIBILITY_PREFLIGHT_COMMAND: `sh ${dump}/dump.sh preflight` } });
  const sa = await a.waitLeaderReady();
  const b = suite.fx.start('b', {
    ownHome: true,
    readToken: READ_TOKEN,
    env: { ...common, JHA_ELIGIBILITY_PREFLIGHT_COMMAND: `sh ${dump}/dump.sh preflight; test ! -e ${hold} || { cat ${dump}/leak.txt; exit 1; }` },
  });
  await b.waitRole('standby');

  // Jenkins and the watchdog shim that leads its process group. Everything is judged at the end,
  // so one run shows every kind of child that leaks.
  const jenkinsEnv = { shim: procEnv(sa.jenkins.pid ?? -1), jenkins: procEnv(runningStandin(suite.fx.home)) };
  expect(jenkinsEnv.jenkins).toContain('JENKINS_HOME=');

  // b's preflight fails and prints the secrets: b leaves, and says why everywhere.
  fs.writeFileSync(hold, '');
  await b.waitForEvent('eligibility.ineligible', { timeoutMs: 15000 });
  const standby = await waitFor(
    async () => {
      const r = await get(b, '/standby');
      return r.status === 503 && r.text.includes('preflight command failed') ? r : null;
    },
    { timeoutMs: 10000, what: 'b to answer 503 on /standby with the preflight reason' },
  );
  const history = await waitFor(
    async () => {
      const r = await get(a, '/history', READ_TOKEN);
      return r.text.includes('eligibility.left') ? r : null;
    },
    { timeoutMs: 10000, what: "b's leaving in /history" },
  );
  const quoted = { standby, history, statusB: await get(b, '/status', READ_TOKEN), historyB: await get(b, '/history', READ_TOKEN), statusA: await get(a, '/status', READ_TOKEN) };

  // b is eligible again; a's controller dies: b fences a (the method prints the secrets too) and leads.
  fs.rmSync(hold);
  await b.waitRole('standby');
  a.signal('SIGKILL');
  await b.waitLeaderReady(30000);
  await b.waitForEvent('hook.finished');
  const fenceOut = b.events('fence.output').map((l) => l.message);
  const hookOut = [a, b].flatMap((n) => n.events('hook.output').map((l) => l.message));
  const logs = [a, b].flatMap((n) => n.logs.map((l) => JSON.stringify(l))).join('\n');

  const none = { seen: true, leaked: [] };
  expect({
    shim: leakedIn(jenkinsEnv.shim),
    jenkins: leakedIn(jenkinsEnv.jenkins),
    ...checkKinds(['preflight', 'fence', 'hook', 'git']),
    quoted: Object.fromEntries(Object.entries(quoted).map(([k, r]) => [k, SECRET_VALUES.filter((v) => r.text.includes(v))])),
    fenceOutput: SECRET_VALUES.filter((v) => fenceOut.join('\n').includes(v)),
    hookOutput: SECRET_VALUES.filter((v) => hookOut.join('\n').includes(v)),
    logs: SECRET_VALUES.filter((v) => logs.includes(v)),
  }).toEqual({
    shim: [],
    jenkins: [],
    preflight: none,
    fence: none,
    hook: none,
    git: none,
    quoted: { standby: [], history: [], statusB: [], historyB: [], statusA: [] },
    fenceOutput: [],
    hookOutput: [],
    logs: [],
  });
  // The secrets were there to leak: the redacted output says so.
  expect(standby.text).toContain('[redacted]');
  expect(fenceOut.join('\n')).toContain('[redacted]');
  expect(hookOut.join('\n')).toContain('[redacted]');
});

test('service mode: the service shim, the service it starts and the start/stop/status/pid commands inherit no secret', async () => {
  const svcDir = path.join(dump, 'svc');
  // Each service command records its environment, then does what fake-service.sh does.
  const cmd = (verb: string): string => `sh ${dump}/dump.sh service-${verb}; exec bash ${FAKE} ${verb}`;
  const a = suite.fx.start('a', {
    readToken: READ_TOKEN,
    env: {
      ...secretEnv(),
      JHA_JENKINS_MODE: 'service',
      JHA_JENKINS_START_COMMAND: cmd('start'),
      JHA_JENKINS_STOP_COMMAND: cmd('stop'),
      JHA_JENKINS_STATUS_COMMAND: cmd('status'),
      JHA_JENKINS_SERVICE_PID_COMMAND: cmd('pid'),
      FAKE_SERVICE_DIR: svcDir,
      FAKE_SERVICE_CMD: `exec node ${STANDIN} --httpPort=${suite.fx.jenkinsPort}`,
    },
  });
  const s = await a.waitLeaderReady();
  const env = { shim: procEnv(s.jenkins.pid ?? -1), service: procEnv(runningStandin(suite.fx.home)) };
  expect(env.service).toContain('JENKINS_HOME=');
  // A clean stop runs the stop command (and the pid query around it). The status command ran
  // from the controller itself (the eligibility check for a stray service, before the launch).
  await a.stop();
  const none = { seen: true, leaked: [] };
  // How Jenkins was stopped is part of the check: only a graceful stop runs the stop command
  // (a fence SIGKILLs the main pid), so a failure here says which path was taken.
  const stops = a.events('jenkins.stopping').map((l) => String(l.reason));
  const kills = a.events('jenkins.kill').length;
  expect({ stops, kills, shim: leakedIn(env.shim), service: leakedIn(env.service), ...checkKinds(['service-start', 'service-stop', 'service-pid', 'service-status']) }).toEqual({
    stops: ['shutting down; stopping Jenkins'],
    kills: 0,
    shim: [],
    service: [],
    'service-start': none,
    'service-stop': none,
    'service-pid': none,
    'service-status': none,
  });
});
