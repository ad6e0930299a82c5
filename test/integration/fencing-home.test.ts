/**
 * The controller refuses a JENKINS_HOME it cannot write, or that anyone can write, at start-up:
 * exit 2 (configuration error) naming jenkins.home, before it joins the election. Real processes:
 * dist/cli.js run, as root and as the unprivileged user `nobody` (root ignores file modes).
 *
 * `nobody` may not be able to reach this checkout at all (a clone in /root, or in a 0700
 * `mktemp -d` folder), so it runs a copy of what `run` needs (dist/, scripts/, package.json and
 * the production packages) made in a temp directory anyone can traverse.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, REPO } from '../helpers/ha-node';
import { waitFor } from '../helpers/wait';

const NOBODY = 65534;

/** A copy of the controller that `nobody` can run wherever this checkout lies. */
let app = '';
let NOBODY_CLI = '';
beforeAll(() => {
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-app-'));
  fs.chmodSync(app, 0o755);
  for (const d of ['dist', 'scripts', 'package.json']) fs.cpSync(path.join(REPO, d), path.join(app, d), { recursive: true });
  const modules = fs.realpathSync(path.join(REPO, 'node_modules'));
  const lock = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  for (const [key, info] of Object.entries(lock.packages)) {
    // Top-level production packages (their nested node_modules come along).
    if (info.dev || !/^node_modules\/(@[^/]+\/)?[^/]+$/.test(key)) continue;
    const name = key.slice('node_modules/'.length);
    if (fs.existsSync(path.join(modules, name))) fs.cpSync(path.join(modules, name), path.join(app, 'node_modules', name), { recursive: true, dereference: true });
  }
  NOBODY_CLI = path.join(app, 'dist', 'cli.js');
});
afterAll(() => {
  if (app) fs.rmSync(app, { recursive: true, force: true });
});

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-home-perms-'));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  // An unreachable ZooKeeper: a controller that passed the checks would wait for it, not exit.
  return { PATH: process.env.PATH, JENKINS_HOME: home, JHA_ZK_CONNECT: '127.0.0.1:9', JHA_API_PORT: '0', JHA_LOG_FORMAT: 'json' };
}

function run(asNobody: boolean): { status: number | null; stderr: string } {
  const argv = asNobody
    ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, NOBODY_CLI, 'run']]
    : [process.execPath, [CLI, 'run']];
  const r = spawnSync(argv[0] as string, argv[1] as string[], { env: env(), encoding: 'utf8', timeout: 30000 });
  return { status: r.status, stderr: r.stderr };
}

test('refuses a world-writable JENKINS_HOME with exit 2, naming jenkins.home', () => {
  fs.chmodSync(home, 0o777);
  const r = run(false);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('configuration error');
  expect(r.stderr).toContain('jenkins.home');
  expect(r.stderr).toContain('world-writable (mode 0777)');
  expect(fs.readdirSync(home)).toEqual([]);
});

test('refuses a JENKINS_HOME this controller cannot write (run as nobody) with exit 2', () => {
  fs.chmodSync(home, 0o755); // root's, readable but not writable by nobody
  const r = run(true);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('jenkins.home');
  expect(r.stderr).toContain('not writable by this controller');
  expect(r.stderr).toContain('EACCES');
});

test('accepts the same home once nobody owns it, with a 0600 flock file (control case)', async () => {
  fs.chownSync(home, NOBODY, NOBODY);
  fs.chmodSync(home, 0o700);
  const p = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, NOBODY_CLI, 'run'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await waitFor(() => out.includes('"event":"started"'), { timeoutMs: 20000, what: 'the controller to pass the checks and start' });
    const flock = path.join(home, '.jenkins-ha.flock');
    expect(fs.statSync(flock).mode & 0o777).toBe(0o600);
    expect(fs.statSync(flock).uid).toBe(NOBODY);
  } finally {
    p.kill('SIGKILL');
  }
});
