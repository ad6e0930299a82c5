/**
 * scripts/jenkins-ha.service and scripts/install.sh: the unit's choices (checked against the
 * config defaults they depend on), `systemd-analyze verify` on the installed unit, and real
 * installs into temp dirs (prefix and DESTDIR), twice (idempotent), and a dry run.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSchema, listKeys } from '../../src/config/schema';

// Each install copies the app and runs `npm ls` (~5 s idle, 25 s on a busy shared machine).
jest.setTimeout(180000);

const ROOT = path.resolve(__dirname, '..', '..');
const INSTALL = path.join(ROOT, 'scripts', 'install.sh');
const UNIT = fs.readFileSync(path.join(ROOT, 'scripts', 'jenkins-ha.service'), 'utf8');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The unit's settings: key -> values (a key may repeat). */
function settings(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}
const one = (s: Map<string, string[]>, k: string): string | undefined => s.get(k)?.[0];

function defaultOf(key: string): number {
  return Number(listKeys(buildSchema()).find((k) => k.path === key)!.default);
}

describe('scripts/jenkins-ha.service', () => {
  const s = settings(UNIT);

  it('runs jenkins-ha in the foreground as jenkins, with its config and environment file', () => {
    expect(one(s, 'Type')).toBe('simple');
    expect(one(s, 'User')).toBe('jenkins');
    expect(one(s, 'ExecStart')).toBe('/usr/local/bin/jenkins-ha run');
    expect(one(s, 'EnvironmentFile')).toBe('-/etc/default/jenkins-ha');
    expect(one(s, 'Environment')).toContain('JHA_CONFIG=/etc/jenkins-ha/jenkins-ha.json');
    expect(one(s, 'RequiresMountsFor')).toBe('/var/lib/jenkins');
  });

  it('restarts on failure but not on a configuration or usage error', () => {
    expect(one(s, 'Restart')).toBe('on-failure');
    expect(one(s, 'RestartPreventExitStatus')?.split(/\s+/).sort()).toEqual(['2', '64']);
  });

  it('stops with KillMode=mixed and waits longer than a clean Jenkins stop plus the onStopped hook', () => {
    expect(one(s, 'KillMode')).toBe('mixed');
    const stopSec = Number(/^(\d+)s$/.exec(one(s, 'TimeoutStopSec') ?? '')?.[1]);
    expect(stopSec * 1000).toBeGreaterThan(defaultOf('jenkins.stopTimeoutMs') + defaultOf('hooks.timeoutMs'));
  });

  it('is hardened, with JENKINS_HOME the one writable path', () => {
    for (const [k, v] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['PrivateDevices', 'yes'],
      ['RestrictSUIDSGID', 'yes'],
      ['ReadWritePaths', '/var/lib/jenkins'],
    ] as const) {
      expect({ k, v: one(s, k) }).toEqual({ k, v });
    }
    // The JVM's and Node's JIT need W+X memory.
    expect(s.has('MemoryDenyWriteExecute')).toBe(false);
  });
});

describe('scripts/install.sh', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-install-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function install(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('bash', [INSTALL, ...args], { encoding: 'utf8', env: { ...process.env, DESTDIR: '', ...env }, timeout: 120000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  const paths = (): string[] => [
    '--prefix', `${dir}/opt/jenkins-ha`,
    '--bindir', `${dir}/bin`,
    '--unitdir', `${dir}/systemd`,
    '--confdir', `${dir}/etc/jenkins-ha`,
    '--envfile', `${dir}/etc/default/jenkins-ha`,
    '--jenkins-home', `${dir}/home`,
  ];
  function tree(root: string): string[] {
    const out: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        out.push(path.relative(root, p));
        if (e.isDirectory()) walk(p);
      }
    };
    walk(root);
    return out.sort();
  }
  const mode = (p: string): string => (fs.statSync(p).mode & 0o777).toString(8);

  it('installs a working CLI, the unit and a valid starting config under a prefix', () => {
    const r = install(paths());
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.stringContaining('install.sh: done') });
    const cli = `${dir}/bin/jenkins-ha`;
    expect(mode(cli)).toBe('755');
    expect(spawnSync(cli, ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe(VERSION);
    // Production dependencies only, and enough for every part (express is loaded after the election).
    const app = `${dir}/opt/jenkins-ha`;
    expect(fs.existsSync(`${app}/node_modules/express`)).toBe(true);
    expect(fs.existsSync(`${app}/node_modules/jest`)).toBe(false);
    const load = spawnSync(process.execPath, ['-e', `require('${app}/dist/api/app.js'); require('${app}/dist/coordination/zookeeper.js')`], { encoding: 'utf8' });
    expect({ status: load.status, stderr: load.stderr }).toEqual({ status: 0, stderr: '' });
    expect(mode(`${app}/scripts/jenkins-ha-shim`)).toBe('755');
    // jenkins.mode service runs Jenkins through the service shim (src/jenkins/shim.ts SERVICE_SHIM).
    expect(mode(`${app}/scripts/jenkins-ha-service-shim`)).toBe('755');
    // The starting config is valid as written.
    const conf = `${dir}/etc/jenkins-ha/jenkins-ha.json`;
    expect(mode(conf)).toBe('640');
    const checked = spawnSync(cli, ['config'], { encoding: 'utf8', env: { ...process.env, JHA_CONFIG: conf } });
    expect({ status: checked.status, stderr: checked.stderr }).toEqual({ status: 0, stderr: '' });
    expect((JSON.parse(checked.stdout) as { jenkins: { home: string } }).jenkins.home).toBe(`${dir}/home`);
    expect(mode(`${dir}/etc/default/jenkins-ha`)).toBe('600');
    // The unit points at this installation.
    const unit = settings(fs.readFileSync(`${dir}/systemd/jenkins-ha.service`, 'utf8'));
    expect(one(unit, 'ExecStart')).toBe(`${cli} run`);
    expect(one(unit, 'ReadWritePaths')).toBe(`${dir}/home`);
    expect(one(unit, 'EnvironmentFile')).toBe(`-${dir}/etc/default/jenkins-ha`);
    expect(one(unit, 'Environment')).toContain(`JHA_CONFIG=${conf}`);
  });

  it('installs a unit that systemd-analyze verify accepts (when systemd-analyze is installed)', () => {
    expect(install(paths()).status).toBe(0);
    const v = spawnSync('systemd-analyze', ['verify', `${dir}/systemd/jenkins-ha.service`], { encoding: 'utf8' });
    if (v.error !== undefined) return; // not installed: nothing to verify with
    // The jenkins user need not exist here; any other complaint is a defect of the unit.
    const complaints = `${v.stdout}${v.stderr}`.split('\n').filter((l) => l.trim() !== '' && !/user.*jenkins|jenkins.*user/i.test(l));
    expect({ status: v.status, complaints }).toEqual({ status: 0, complaints: [] });
  });

  it('is idempotent: a second run replaces the app and keeps the edited config and environment file', () => {
    expect(install(paths()).status).toBe(0);
    const before = tree(dir);
    const conf = `${dir}/etc/jenkins-ha/jenkins-ha.json`;
    fs.writeFileSync(conf, '{ "cluster": { "name": "edited" } }\n');
    fs.writeFileSync(`${dir}/etc/default/jenkins-ha`, 'JHA_API_TOKEN=kept\n');
    fs.writeFileSync(`${dir}/opt/jenkins-ha/stale-file`, 'from an older version');
    const r = install(paths());
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`keeping the existing ${conf}`);
    expect(fs.readFileSync(conf, 'utf8')).toBe('{ "cluster": { "name": "edited" } }\n');
    expect(fs.readFileSync(`${dir}/etc/default/jenkins-ha`, 'utf8')).toBe('JHA_API_TOKEN=kept\n');
    // Same files as after the first run: the stale one is gone, no staging leftovers.
    expect(tree(dir)).toEqual(before);
  });

  it('stages everything under DESTDIR with the final paths inside the files', () => {
    const r = install(['--destdir', dir]);
    expect(r.status).toBe(0);
    for (const p of ['opt/jenkins-ha/dist/cli.js', 'usr/local/bin/jenkins-ha', 'etc/systemd/system/jenkins-ha.service', 'etc/jenkins-ha/jenkins-ha.json', 'etc/default/jenkins-ha']) {
      expect({ p, exists: fs.existsSync(path.join(dir, p)) }).toEqual({ p, exists: true });
    }
    expect(fs.readFileSync(`${dir}/usr/local/bin/jenkins-ha`, 'utf8')).toContain("'/opt/jenkins-ha/dist/cli.js'");
    expect(fs.readFileSync(`${dir}/etc/systemd/system/jenkins-ha.service`, 'utf8')).toBe(UNIT);
    // The environment variable works too.
    const dir2 = path.join(dir, 'env');
    expect(install([], { DESTDIR: dir2 }).status).toBe(0);
    expect(fs.existsSync(`${dir2}/usr/local/bin/jenkins-ha`)).toBe(true);
  });

  it('--dry-run says what it would do and changes nothing', () => {
    const r = install([...paths(), '--dry-run']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`would install dist/`);
    expect(r.stdout).toContain(`would write ${dir}/bin/jenkins-ha (mode 0755)`);
    expect(r.stdout).toContain(`would write ${dir}/systemd/jenkins-ha.service (mode 0644)`);
    expect(r.stdout).toContain(`would write ${dir}/etc/jenkins-ha/jenkins-ha.json (mode 0640)`);
    expect(tree(dir)).toEqual([]);
  });

  it('rejects relative paths and unknown arguments with exit 64', () => {
    expect(install(['--prefix', 'opt/jenkins-ha', '--dry-run']).status).toBe(64);
    expect(install(['--frobnicate']).status).toBe(64);
    expect(tree(dir)).toEqual([]);
  });
});
