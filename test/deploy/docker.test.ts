/**
 * docker/: what can be validated without a Docker engine (docker/README.md says what cannot).
 * compose.yml's structure and its env against the config schema, haproxy.cfg with `haproxy -c`,
 * the Dockerfile's shape, and entrypoint.sh at the shell level with a stub jenkins-ha on PATH.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load';
import { buildSchema, listKeys } from '../../src/config/schema';
import { checkConfig, HAPROXY } from '../helpers/haproxy';

const ROOT = path.resolve(__dirname, '..', '..');
const DOCKER = path.join(ROOT, 'docker');
const ENTRYPOINT = path.join(DOCKER, 'entrypoint.sh');
const CLI = path.join(ROOT, 'dist', 'cli.js');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  hostname?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const compose = parse(fs.readFileSync(path.join(DOCKER, 'compose.yml'), 'utf8'), { merge: true }) as Compose;
const services = compose.services;
const zks = ['zk1', 'zk2', 'zk3'];
const nodes = Object.keys(services).filter((n) => services[n]!.build !== undefined);
const ENV_NAMES = new Set(listKeys(buildSchema()).map((k) => k.env));

/** compose's ${VAR:?msg} / ${VAR:-default}: substitute a test value. */
function substitute(value: string): string {
  return String(value).replace(/\$\{([A-Z_]+)(?::[?-][^}]*)?\}/g, (_m, name: string) => `test-${name.toLowerCase()}`);
}

describe('compose.yml', () => {
  it('runs a 3-node ZooKeeper ensemble from the official image', () => {
    const ids = zks.map((z) => services[z]?.environment?.ZOO_MY_ID);
    expect(ids).toEqual(['1', '2', '3']);
    for (const z of zks) {
      const s = services[z]!;
      expect(s.image).toMatch(/^zookeeper:3\.\d+$/);
      expect(s.hostname).toBe(z);
      // Every server knows all three, by the service names, with the client port.
      const servers = s.environment!.ZOO_SERVERS!.split(/\s+/);
      expect(servers).toEqual(zks.map((h, i) => `server.${i + 1}=${h}:2888:3888;2181`));
      expect(s.healthcheck?.test.length).toBeGreaterThan(0);
      expect(s.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
    }
  });

  it('runs two jenkins-ha nodes built from docker/Dockerfile that share one JENKINS_HOME volume', () => {
    expect(nodes.sort()).toEqual(['jha-a', 'jha-b']);
    const homes = nodes.map((n) => services[n]!.volumes!.find((v) => v.endsWith(':/var/jenkins_home')));
    expect(homes).toEqual(['jenkins-home:/var/jenkins_home', 'jenkins-home:/var/jenkins_home']);
    expect(Object.keys(compose.volumes)).toContain('jenkins-home');
    for (const n of nodes) {
      const s = services[n]!;
      expect(s.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
      expect(fs.existsSync(path.resolve(DOCKER, s.build!.context, s.build!.dockerfile))).toBe(true);
      expect(s.healthcheck!.test.join(' ')).toContain('http://127.0.0.1:8090/health');
      for (const z of zks) expect(s.depends_on?.[z]?.condition).toBe('service_healthy');
      // Longer than jenkins.stopTimeoutMs: docker must not SIGKILL a Jenkins that is stopping cleanly.
      const grace = Number(/^(\d+)s$/.exec(s.stop_grace_period ?? '')?.[1]);
      expect(grace * 1000).toBeGreaterThan(Number(s.environment!.JHA_JENKINS_STOP_TIMEOUT_MS));
    }
    const env = nodes.map((n) => services[n]!.environment!);
    expect(new Set(env.map((e) => e.JHA_NODE_ID)).size).toBe(2);
    expect(new Set(env.map((e) => e.JHA_CLUSTER)).size).toBe(1);
    expect(env[0]!.JHA_ZK_CONNECT).toBe(zks.map((z) => `${z}:2181`).join(','));
  });

  it('sets only JHA_* variables that exist in the config schema, with values jenkins-ha accepts', () => {
    for (const n of nodes) {
      const env = services[n]!.environment!;
      const unknown = Object.keys(env).filter((k) => k.startsWith('JHA_') && !ENV_NAMES.has(k));
      expect({ n, unknown }).toEqual({ n, unknown: [] });
      const values = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, substitute(v)]));
      // The image's ENV and the entrypoint's defaults, as the container would see them.
      const cfg = loadConfig({ env: { JHA_API_HOST: '0.0.0.0', JHA_API_PORT: '8090', JENKINS_HOME: '/var/jenkins_home', ...values }, args: [] });
      expect(cfg.node.id).toBe(n);
      expect(cfg.api.token).toBe('test-jha_api_token');
    }
  });

  it('puts HAProxy in front with docker/haproxy.cfg, routing to exactly the jenkins-ha services on /leader', () => {
    const h = services.haproxy!;
    expect(h.image).toMatch(/^haproxy:\d/);
    expect(h.volumes).toContain('./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    expect(h.ports?.some((p) => /^(\S+:)?8080:8080$/.test(p))).toBe(true);
    const cfg = fs.readFileSync(path.join(DOCKER, 'haproxy.cfg'), 'utf8');
    const backend = cfg.slice(cfg.indexOf('backend jenkins_active'), cfg.indexOf('frontend agents'));
    expect(backend).toMatch(/^\s*option httpchk GET \/leader$/m);
    expect(backend).toMatch(/^\s*http-check expect status 200$/m);
    const servers = [...backend.matchAll(/^\s*server (\S+) (\S+):(\d+) check port (\d+)$/gm)].map((m) => [m[1], m[2], m[3], m[4]]);
    expect(servers).toEqual(nodes.map((n) => [n, n, '8080', '8090']));
  });
});

describe('docker/haproxy.cfg', () => {
  const installed = fs.existsSync(HAPROXY);
  it('passes haproxy -c (only the Docker service names do not resolve here)', () => {
    if (!installed) throw new Error(`${HAPROXY} is missing: run scripts/dev/install-haproxy.sh (npm test's pretest does)`);
    const r = checkConfig(path.join(DOCKER, 'haproxy.cfg'));
    expect({ status: r.status, output: r.output }).toEqual({ status: 0, output: expect.stringContaining('Configuration file is valid') });
    const warnings = r.output.split('\n').filter((l) => l.includes('[WARNING]') || l.includes('[ALERT]'));
    expect(warnings.filter((l) => !/could not resolve address 'jha-[ab]'/.test(l))).toEqual([]);
  });
});

describe('docker/Dockerfile', () => {
  const text = fs.readFileSync(path.join(DOCKER, 'Dockerfile'), 'utf8');
  // Instructions, with continuation lines joined and comments dropped.
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const args = Object.fromEntries(lines.filter((l) => l.startsWith('ARG ')).map((l) => l.slice(4).split('=') as [string, string]));
  const froms = lines.filter((l) => l.startsWith('FROM ')).map((l) => l.slice(5).replace(/\$\{(\w+)\}/g, (_m, a: string) => args[a] ?? ''));

  it('builds on node:20-bookworm and runs on jenkins/jenkins:lts-jdk17', () => {
    expect(froms).toEqual(['node:20-bookworm AS build', 'jenkins/jenkins:lts-jdk17']);
    const at = lines.flatMap((l, i) => (l.startsWith('FROM ') ? [i] : []));
    const build = lines.slice(at[0], at[1]).join('\n');
    expect(build).toMatch(/^RUN npm ci/m);
    expect(build).toMatch(/^RUN npm run build && npm prune --omit=dev$/m);
  });

  it('copies only files that exist, including the watchdog shim the supervisor needs', () => {
    const sources = lines
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.slice(5).trim().split(/\s+/).slice(0, -1));
    expect(sources).toContain('scripts/jenkins-ha-shim');
    for (const s of sources) expect({ s, exists: fs.existsSync(path.join(ROOT, s)) }).toEqual({ s, exists: true });
    // .dockerignore must not hide them.
    const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    for (const s of sources) expect(ignored.some((i) => s === i || s.startsWith(`${i}/`))).toBe(false);
  });

  it('runs as jenkins, with tini as PID 1 and a HEALTHCHECK on /health', () => {
    const users = lines.filter((l) => l.startsWith('USER '));
    expect(users[users.length - 1]).toBe('USER jenkins');
    expect(lines.find((l) => l.startsWith('ENTRYPOINT '))).toBe('ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/jenkins-ha-entrypoint"]');
    expect(lines.find((l) => l.startsWith('HEALTHCHECK '))).toMatch(/CMD curl .*\/health/);
    expect(lines.filter((l) => l.startsWith('HEALTHCHECK '))).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// entrypoint.sh with a stub jenkins-ha (its `config` subcommands are the real CLI) and stub java.
// ---------------------------------------------------------------------------------------------

describe('docker/entrypoint.sh', () => {
  let dir: string;
  let bin: string;
  let home: string;
  let war: string;
  let out: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-entrypoint-'));
    bin = path.join(dir, 'bin');
    home = path.join(dir, 'home');
    war = path.join(dir, 'jenkins.war');
    out = path.join(dir, 'out');
    fs.mkdirSync(bin);
    fs.mkdirSync(home);
    fs.writeFileSync(war, '');
    fs.writeFileSync(
      path.join(bin, 'jenkins-ha'),
      [
        '#!/bin/sh',
        `if [ "$1" = config ]; then exec "${process.execPath}" "${CLI}" "$@"; fi`,
        `{ printf 'ARGS'; for a in "$@"; do printf ' [%s]' "$a"; done; echo; env | grep -E '^(JHA_|JENKINS_)' | sort; } > "${out}"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(bin, 'java'), `#!/bin/sh\nfor a in "$@"; do printf '[%s]\\n' "$a"; done > "${out}.java"\n`, { mode: 0o755 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => fs.rmSync(out, { force: true }));

  function run(env: Record<string, string | undefined>, args: string[] = []): { status: number | null; stderr: string; record: string } {
    const base: Record<string, string> = {
      PATH: `${bin}:/usr/bin:/bin`,
      HOSTNAME: 'jha-test',
      JENKINS_HOME: home,
      JENKINS_WAR: war,
      JHA_ZK_CONNECT: 'zk1:2181,zk2:2181,zk3:2181',
    };
    const merged: Record<string, string> = { ...base };
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete merged[k];
      else merged[k] = v;
    }
    const r = spawnSync('bash', [ENTRYPOINT, ...args], { env: merged, encoding: 'utf8', timeout: 30000 });
    return { status: r.status, stderr: r.stderr, record: fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '' };
  }

  it('is valid bash (and shellcheck-clean when shellcheck is installed)', () => {
    expect(spawnSync('bash', ['-n', ENTRYPOINT]).status).toBe(0);
    const sc = spawnSync('shellcheck', [ENTRYPOINT], { encoding: 'utf8' });
    if (sc.error === undefined) expect({ status: sc.status, out: sc.stdout }).toEqual({ status: 0, out: '' });
  });

  it('execs `jenkins-ha run` with its flags and the container defaults filled in', () => {
    const r = run({ JAVA_OPTS: '-Xmx1g -Dhudson.x=y' }, ['--log-level', 'debug']);
    expect(r.stderr).toContain('node jha-test');
    expect(r.status).toBe(0);
    const lines = r.record.split('\n');
    expect(lines[0]).toBe('ARGS [run] [--log-level] [debug]');
    expect(lines).toContain('JHA_NODE_ID=jha-test');
    expect(lines).toContain('JHA_NODE_HOST=jha-test');
    expect(lines).toContain('JHA_JENKINS_URL=http://127.0.0.1:8080');
    expect(lines).toContain(`JHA_JENKINS_COMMAND=exec java \${JAVA_OPTS:-} -jar '${war}' \${JENKINS_OPTS:-} --httpPort=8080`);
    expect(lines).toContain(`JENKINS_HOME=${home}`);
  });

  it('builds a Jenkins command that splits JAVA_OPTS and JENKINS_OPTS into arguments', () => {
    const r = run({ JENKINS_HTTP_PORT: '9090' }, ['run']);
    expect(r.status).toBe(0);
    const cmd = /^JHA_JENKINS_COMMAND=(.*)$/m.exec(r.record)![1]!;
    const sh = spawnSync('/bin/sh', ['-c', cmd], {
      env: { PATH: `${bin}:/usr/bin:/bin`, JAVA_OPTS: '-Xmx2g -Dfoo=bar', JENKINS_OPTS: '--prefix=/ci' },
      encoding: 'utf8',
    });
    expect(sh.status).toBe(0);
    expect(fs.readFileSync(`${out}.java`, 'utf8').trim().split('\n')).toEqual(['[-Xmx2g]', '[-Dfoo=bar]', '[-jar]', `[${war}]`, '[--prefix=/ci]', '[--httpPort=9090]']);
  });

  it('keeps what the operator set', () => {
    const r = run({ JHA_NODE_ID: 'custom', JHA_JENKINS_COMMAND: 'exec /opt/jenkins.sh', JHA_JENKINS_URL: 'http://127.0.0.1:1234', JENKINS_WAR: '/nonexistent.war' });
    expect(r.status).toBe(0);
    expect(r.record).toContain('JHA_NODE_ID=custom\n');
    expect(r.record).toContain('JHA_JENKINS_COMMAND=exec /opt/jenkins.sh\n');
    expect(r.record).toContain('JHA_JENKINS_URL=http://127.0.0.1:1234\n');
  });

  it('passes other commands through to jenkins-ha without the Jenkins checks', () => {
    const r = run({ JENKINS_HOME: undefined }, ['status', '--json']);
    expect(r.status).toBe(0);
    expect(r.record.split('\n')[0]).toBe('ARGS [status] [--json]');
  });

  /** A config file in the test's folder. */
  function configFile(name: string, content: unknown): string {
    const f = path.join(dir, name);
    fs.writeFileSync(f, JSON.stringify(content));
    return f;
  }

  /** The configuration `jenkins-ha run` would load: the real CLI with the environment the stub recorded. */
  function effective(record: string, args: string[]): { node: { id: string; host: string }; zk: { connect: string }; jenkins: { url: string; command: string; home: string } } {
    const env = Object.fromEntries(record.split('\n').slice(1).filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const r = spawnSync(process.execPath, [CLI, 'config', ...args], { env: { PATH: '/usr/bin:/bin', ...env }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as ReturnType<typeof effective>;
  }

  it('takes zk.connect and the rest from one config file (-c FILE or JHA_CONFIG) and fills in container defaults only where it sets nothing', () => {
    const file = configFile('node.json', {
      zk: { connect: 'zkf1:2181,zkf2:2181' },
      node: { id: 'from-file' },
      jenkins: { url: 'http://127.0.0.1:9999', command: 'exec /opt/file-jenkins.sh' },
    });
    for (const [env, args] of [
      [{ JHA_ZK_CONNECT: undefined }, ['-c', file]],
      [{ JHA_ZK_CONNECT: undefined, JHA_CONFIG: file }, []],
    ] as const) {
      const r = run(env, [...args]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: `jenkins-ha-entrypoint: node from-file, ZooKeeper zkf1:2181,zkf2:2181, JENKINS_HOME ${home}\n` });
      expect(r.record.split('\n')[0]).toBe(['ARGS [run]', ...args.map((a) => `[${a}]`)].join(' '));
      // No default exported over what the file says (env beats the file); node.host it does not set.
      expect(r.record).not.toMatch(/^JHA_(NODE_ID|JENKINS_URL|JENKINS_COMMAND|ZK_CONNECT)=/m);
      expect(r.record).toContain('JHA_NODE_HOST=jha-test\n');
      const cfg = effective(r.record, [...args]);
      expect(cfg.node).toEqual({ id: 'from-file', host: 'jha-test' });
      expect(cfg.zk.connect).toBe('zkf1:2181,zkf2:2181');
      expect(cfg.jenkins).toMatchObject({ url: 'http://127.0.0.1:9999', command: 'exec /opt/file-jenkins.sh', home });
    }
  });

  it('env overrides the file, as everywhere else', () => {
    const file = configFile('env-over-file.json', { zk: { connect: 'zkf:2181' }, node: { id: 'from-file' } });
    const r = run({ JHA_ZK_CONNECT: 'zke:2181', JHA_NODE_ID: 'from-env' }, ['-c', file]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('node from-env, ZooKeeper zke:2181,');
    const cfg = effective(r.record, ['-c', file]);
    expect([cfg.node.id, cfg.zk.connect]).toEqual(['from-env', 'zke:2181']);
  });

  it('jenkins.home from the file when JENKINS_HOME is unset; a file that contradicts JENKINS_HOME is exit 2 naming jenkins.home', () => {
    const same = configFile('home.json', { zk: { connect: 'zkf:2181' }, jenkins: { home } });
    const r = run({ JENKINS_HOME: undefined }, ['-c', same]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.stringContaining(`JENKINS_HOME ${home}`) as unknown });
    expect(effective(r.record, ['-c', same]).jenkins.home).toBe(home);

    const other = configFile('other-home.json', { zk: { connect: 'zkf:2181' }, jenkins: { home: '/srv/elsewhere' } });
    fs.rmSync(out, { force: true }); // the record of the run above
    const bad = run({}, ['-c', other]);
    expect({ status: bad.status, stderr: bad.stderr }).toEqual({
      status: 2,
      stderr: `jenkins-ha-entrypoint: jenkins.home: the config file says /srv/elsewhere but JENKINS_HOME says ${home}, and the environment wins: set JENKINS_HOME=/srv/elsewhere (or mount the shared volume at ${home} and drop jenkins.home from the file)\n`,
    });
    expect(bad.record).toBe('');
  });

  it('exits 2 on a bad value or an unknown key in the config file, naming the key, without running jenkins-ha', () => {
    for (const [content, key] of [
      [{ zk: { connect: 'zkf:2181', sessionTimeoutMs: 'ten' } }, 'zk.sessionTimeoutMs'],
      [{ zk: { connect: 'zkf:2181', sessionTimeout: 5000 } }, 'zk.sessionTimeout'],
    ] as const) {
      const r = run({ JHA_ZK_CONNECT: undefined }, ['-c', configFile('bad.json', content)]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr: expect.stringContaining(key) as unknown });
      expect(r.record).toBe('');
    }
  });

  type Case = [what: string, env: Record<string, string | undefined>, message: string, args?: string[]];
  it.each<Case>([
    ['zk.connect set nowhere (no JHA_ZK_CONNECT, no file)', { JHA_ZK_CONNECT: undefined }, 'zk.connect is not set: set JHA_ZK_CONNECT'],
    ['a misspelt JHA_* variable', { JHA_ZK_SESSION_TIMEOUT: '5000' }, 'JHA_ZK_SESSION_TIMEOUT is not a jenkins-ha setting'],
    ['a missing JENKINS_HOME', { JENKINS_HOME: undefined }, 'JENKINS_HOME is required'],
    ['a relative JENKINS_HOME', { JENKINS_HOME: 'home' }, 'JENKINS_HOME must be an absolute path'],
    ['a JENKINS_HOME that is not a directory', { JENKINS_HOME: '/nonexistent/home' }, 'is not a directory'],
    ['a missing war', { JENKINS_WAR: '/nonexistent/jenkins.war' }, 'JENKINS_WAR /nonexistent/jenkins.war does not exist'],
    ['a bad JENKINS_HTTP_PORT', { JENKINS_HTTP_PORT: '80a' }, 'JENKINS_HTTP_PORT must be a port number'],
    ['a value the config schema rejects', { JHA_ZK_SESSION_TIMEOUT_MS: 'ten' }, 'zk.sessionTimeoutMs'],
    ['a bad flag value', {}, 'api.port', ['--api-port', '99999']],
  ])('exits 2 on %s, naming it, without running jenkins-ha', (_what, env, message, args = []) => {
    const r = run(env, [...args]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr: expect.stringContaining(message) });
    expect(r.record).toBe('');
  });
});
