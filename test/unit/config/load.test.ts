import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  clientTimings,
  loadConfig,
  redactedConfig,
  requireRunnable,
  resolveTimings,
  sessionRefreshLagMs,
  type Config,
} from '../../../src/config/load';
import { sanitizeNodeId } from '../../../src/config/schema';
import { configError } from '../../helpers/config-error';

const ROOT = path.resolve(__dirname, '../../..');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-config-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

let fileCounter = 0;
/** Writes a config file (an object as JSON, or raw text) and returns its path. */
function writeConf(content: object | string): string {
  const file = path.join(dir, `conf-${++fileCounter}.json`);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}


/** Loads with a config file built from `content` and nothing else from the environment. */
function loadWith(content: object): Config {
  return loadConfig({ file: writeConf(content), env: {}, args: [] });
}

describe('defaults', () => {
  it('load with an empty environment', () => {
    const cfg = loadConfig({ env: {}, args: [] });
    expect(cfg.cluster.name).toBe('jenkins');
    expect(cfg.node.id).toBe(sanitizeNodeId(os.hostname()));
    expect(cfg.node.host).toBe(os.hostname());
    expect(cfg.zk).toEqual({
      connect: '127.0.0.1:2181',
      root: '/jenkins-ha',
      sessionTimeoutMs: 10000,
      spinDelayMs: 100,
      pingIntervalMs: 0,
      requestTimeoutMs: 0,
      tickTimeMs: 2000,
      auth: '',
      worldRead: true,
      tls: { enabled: false, caFile: '', certFile: '', keyFile: '', serverName: '', minVersion: 'TLSv1.2', aclIdentities: [] },
      sasl: { user: '', password: '' },
    });
    expect(cfg.fencing).toEqual({
      deadlineRatio: 0.5,
      marginMs: 200,
      methods: [],
      timeoutMs: 30000,
      retryBackoffMs: 5000,
      retryBackoffMaxMs: 60000,
      watchdog: { mode: 'off', device: '/dev/watchdog', sysfsDir: '', safetyMarginMs: 1000 },
    });
    expect(cfg.lock).toEqual({ heartbeatMs: 0, leaseMs: 0, ioTimeoutMs: 0, flockWaitMs: 10000, flockTimeoutAction: 'refuse' });
    expect(cfg.jenkins.home).toBe('');
    expect(cfg.jenkins.command).toBe('java -jar /usr/share/java/jenkins.war --httpPort=8080');
    expect(cfg.api).toEqual({ host: '127.0.0.1', port: 8090, token: '', readToken: '', bodyLimit: '16kb', tls: { cert: '', key: '' } });
    expect(cfg.log).toEqual({ level: 'info', format: 'auto' });
  });

  it('returns a deeply frozen plain object', () => {
    const cfg = loadConfig({ env: {}, args: [] });
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.zk)).toBe(true);
    expect(Object.getPrototypeOf(cfg)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(cfg))).toEqual(cfg);
  });

  it('does not read process.argv implicitly', () => {
    const argv = process.argv;
    process.argv = [...argv, '--zk-session-timeout-ms', '20000'];
    try {
      expect(loadConfig({ env: {} }).zk.sessionTimeoutMs).toBe(10000);
    } finally {
      process.argv = argv;
    }
  });
});

describe('layers', () => {
  it('file beats default', () => {
    const cfg = loadWith({ zk: { sessionTimeoutMs: 20000 }, log: { level: 'debug' } });
    expect(cfg.zk.sessionTimeoutMs).toBe(20000);
    expect(cfg.log.level).toBe('debug');
    expect(cfg.zk.spinDelayMs).toBe(100); // untouched keys keep their default
  });

  it('env beats file', () => {
    const file = writeConf({ zk: { sessionTimeoutMs: 20000 } });
    const cfg = loadConfig({ file, env: { JHA_ZK_SESSION_TIMEOUT_MS: '30000' }, args: [] });
    expect(cfg.zk.sessionTimeoutMs).toBe(30000);
  });

  it('flag beats env', () => {
    const file = writeConf({ zk: { sessionTimeoutMs: 20000 } });
    const env = { JHA_ZK_SESSION_TIMEOUT_MS: '30000' };
    expect(loadConfig({ file, env, args: ['--zk-session-timeout-ms', '40000'] }).zk.sessionTimeoutMs).toBe(40000);
    expect(loadConfig({ file, env, args: ['--zk-session-timeout-ms=50000'] }).zk.sessionTimeoutMs).toBe(50000);
  });

  it('applies env and flags to string, number and enum keys', () => {
    const cfg = loadConfig({
      env: { JHA_ZK_CONNECT: 'zk1:2181,zk2:2181/chroot', JHA_FENCING_DEADLINE_RATIO: '0.4', JHA_LOG_LEVEL: 'warn' },
      args: ['--api-port', '9000', '--jenkins-command', 'java -Xmx2g -jar /opt/jenkins.war', '--log-format', 'json'],
    });
    expect(cfg.zk.connect).toBe('zk1:2181,zk2:2181/chroot');
    expect(cfg.fencing.deadlineRatio).toBe(0.4);
    expect(cfg.log.level).toBe('warn');
    expect(cfg.api.port).toBe(9000);
    expect(cfg.jenkins.command).toBe('java -Xmx2g -jar /opt/jenkins.war');
    expect(cfg.log.format).toBe('json');
  });

  it('takes flag values verbatim (no yargs number parsing)', () => {
    const cfg = loadConfig({
      env: {},
      args: ['--api-token', '0x1f', '--node-id', '1e3', '--cluster-name=007', '--fencing-deadline-ratio', '.25',
        '--zk-ping-interval-ms', '1000', '--zk-request-timeout-ms', '2000'],
    });
    expect(cfg.api.token).toBe('0x1f');
    expect(cfg.node.id).toBe('1e3');
    expect(cfg.cluster.name).toBe('007');
    expect(cfg.fencing.deadlineRatio).toBe(0.25);
  });

  it('rejects a flag without a value, a repeated flag and a negated flag', () => {
    const bare = configError(() => loadConfig({ env: {}, args: ['--jenkins-home', '--api-port', '1'] }));
    expect(bare.key).toBe('jenkins.home');
    expect(bare.message).toContain('--jenkins-home needs a value');
    expect(configError(() => loadConfig({ env: {}, args: ['--api-token'] })).key).toBe('api.token');
    const twice = configError(() => loadConfig({ env: {}, args: ['--api-token', 'a', '--api-token=b'] }));
    expect(twice.key).toBe('api.token');
    expect(twice.message).toContain('more than once');
    expect(configError(() => loadConfig({ env: {}, args: ['--no-api-token'] })).key).toBe('api.token');
  });

  it('stops reading flags at --', () => {
    const cfg = loadConfig({ env: {}, args: ['--api-port', '9002', '--', '--api-port', '9003'] });
    expect(cfg.api.port).toBe(9002);
  });

  it('ignores flags it does not know (the CLI has its own)', () => {
    const cfg = loadConfig({ env: {}, args: ['run', '--config', '/x.json', '--verbose', '--api-port', '9001'] });
    expect(cfg.api.port).toBe(9001);
  });
});

describe('JHA_CONFIG', () => {
  it('names the file when opts.file is not given', () => {
    const file = writeConf({ cluster: { name: 'from-env-file' } });
    expect(loadConfig({ env: { JHA_CONFIG: file }, args: [] }).cluster.name).toBe('from-env-file');
  });

  it('is overridden by opts.file', () => {
    const envFile = writeConf({ cluster: { name: 'from-env-file' } });
    const file = writeConf({ cluster: { name: 'from-opts-file' } });
    expect(loadConfig({ file, env: { JHA_CONFIG: envFile }, args: [] }).cluster.name).toBe('from-opts-file');
  });

  it('is ignored when empty', () => {
    expect(loadConfig({ env: { JHA_CONFIG: '' }, args: [] }).cluster.name).toBe('jenkins');
  });

  it('pointing to a missing file is an error naming the path', () => {
    const missing = path.join(dir, 'nope.json');
    const err = configError(() => loadConfig({ env: { JHA_CONFIG: missing }, args: [] }));
    expect(err.message).toContain(missing);
    expect(err.key).toBe('(file)');
  });
});

describe('env exceptions', () => {
  it('JENKINS_HOME sets jenkins.home and JHA_CLUSTER sets cluster.name', () => {
    const cfg = loadConfig({ env: { JENKINS_HOME: '/srv/jenkins', JHA_CLUSTER: 'prod' }, args: [] });
    expect(cfg.jenkins.home).toBe('/srv/jenkins');
    expect(cfg.cluster.name).toBe('prod');
  });

  it('the rule-derived names do not apply to them', () => {
    const cfg = loadConfig({ env: { JHA_JENKINS_HOME: '/srv/jenkins', JHA_CLUSTER_NAME: 'prod' }, args: [] });
    expect(cfg.jenkins.home).toBe('');
    expect(cfg.cluster.name).toBe('jenkins');
  });

  it('their flags follow the normal rule', () => {
    const cfg = loadConfig({
      env: { JENKINS_HOME: '/env/home', JHA_CLUSTER: 'env' },
      args: ['--jenkins-home', '/flag/home', '--cluster-name', 'flag'],
    });
    expect(cfg.jenkins.home).toBe('/flag/home');
    expect(cfg.cluster.name).toBe('flag');
  });
});

describe('validation errors name the key', () => {
  it('unknown key in the file', () => {
    const err = configError(() => loadWith({ zk: { sesionTimeoutMs: 5000 } }));
    expect(err.key).toBe('zk.sesionTimeoutMs');
    expect(err.message).toContain("unknown configuration key 'zk.sesionTimeoutMs'");
    expect(err.message).toContain("did you mean 'zk.sessionTimeoutMs'");
  });

  it('unknown top-level section', () => {
    const err = configError(() => loadWith({ zookeeper: { connect: 'a:1' } }));
    expect(err.key).toBe('zookeeper.connect');
    expect(err.message).toContain('zookeeper.connect');
  });

  it('a value where a section is expected is reported once, as the section', () => {
    const err = configError(() => loadWith({ api: 8080 }));
    expect(err.key).toBe('api');
    expect(err.message).toBe('invalid configuration: api: must be an object (a section of keys), not a single value');
  });

  it('bad value from env: not an integer', () => {
    const err = configError(() => loadConfig({ env: { JHA_ZK_SESSION_TIMEOUT_MS: 'abc' }, args: [] }));
    expect(err.key).toBe('zk.sessionTimeoutMs');
    expect(err.message).toContain('zk.sessionTimeoutMs');
    expect(err.message).toContain('JHA_ZK_SESSION_TIMEOUT_MS');
    expect(err.message).toContain('--zk-session-timeout-ms');
    expect(err.message).toContain('must be an integer');
    expect(err.message).toContain('"abc"');
  });

  it('numbers from env/flags are parsed strictly ("10s" is not 10)', () => {
    const err = configError(() => loadConfig({ env: { JHA_ZK_SESSION_TIMEOUT_MS: '10000ms' }, args: [] }));
    expect(err.key).toBe('zk.sessionTimeoutMs');
    const ratio = configError(() => loadConfig({ env: { JHA_FENCING_DEADLINE_RATIO: '0.5x' }, args: [] }));
    expect(ratio.key).toBe('fencing.deadlineRatio');
  });

  it('bad value from a flag: out of range', () => {
    const err = configError(() => loadConfig({ env: {}, args: ['--zk-session-timeout-ms', '100'] }));
    expect(err.key).toBe('zk.sessionTimeoutMs');
    expect(err.message).toContain('between 400 and 600000');
  });

  it('bad value from the file', () => {
    const err = configError(() => loadWith({ fencing: { deadlineRatio: 1 } }));
    expect(err.key).toBe('fencing.deadlineRatio');
    expect(err.message).toContain('fencing.deadlineRatio');
    const err2 = configError(() => loadWith({ jenkins: { maxRestarts: 2.5 } }));
    expect(err2.key).toBe('jenkins.maxRestarts');
    const err3 = configError(() => loadWith({ api: { port: 70000 } }));
    expect(err3.key).toBe('api.port');
  });

  it('enum values', () => {
    const err = configError(() => loadConfig({ env: { JHA_LOG_LEVEL: 'verbose' }, args: [] }));
    expect(err.key).toBe('log.level');
    expect(err.message).toContain('error');
    const err2 = configError(() => loadWith({ log: { format: 'xml' } }));
    expect(err2.key).toBe('log.format');
  });

  it('names: cluster.name and node.id', () => {
    expect(configError(() => loadConfig({ env: { JHA_CLUSTER: '-bad' }, args: [] })).key).toBe('cluster.name');
    expect(configError(() => loadConfig({ env: { JHA_NODE_ID: 'a/b' }, args: [] })).key).toBe('node.id');
    expect(configError(() => loadConfig({ env: { JHA_NODE_ID: 'x'.repeat(64) }, args: [] })).key).toBe('node.id');
    expect(loadConfig({ env: { JHA_NODE_ID: 'A_1.b-2' }, args: [] }).node.id).toBe('A_1.b-2');
  });

  it.each([
    ['zk1:2181'],
    ['zk1.example.com:2181,zk2.example.com:2182,10.0.0.3:2181'],
    ['zk1:2181,zk2:2181/apps/jenkins'],
  ])('zk.connect accepts %s', (connect) => {
    expect(loadConfig({ env: { JHA_ZK_CONNECT: connect }, args: [] }).zk.connect).toBe(connect);
  });

  it.each([[''], ['zk1'], ['zk1:'], ['zk1:99999'], ['zk1:2181,'], ['zk1:2181/'], ['zk1:2181/a/'], ['zk 1:2181']])(
    'zk.connect rejects %j',
    (connect) => {
      expect(configError(() => loadConfig({ env: { JHA_ZK_CONNECT: connect }, args: [] })).key).toBe('zk.connect');
    },
  );

  it.each([['/jenkins-ha'], ['/a/b']])('zk.root accepts %s', (root) => {
    expect(loadConfig({ env: { JHA_ZK_ROOT: root }, args: [] }).zk.root).toBe(root);
  });

  it.each([['jenkins-ha'], ['/'], ['/a/'], ['//a'], ['/a//b'], ['/a/../b'], ['/zookeeper/x']])(
    'zk.root rejects %j',
    (root) => {
      expect(configError(() => loadConfig({ env: { JHA_ZK_ROOT: root }, args: [] })).key).toBe('zk.root');
    },
  );

  it('does not echo a sensitive value', () => {
    const err = configError(() => loadWith({ api: { token: 12345678 } }));
    expect(err.key).toBe('api.token');
    expect(err.message).not.toContain('12345678');
  });

  it('reports several problems at once, keyed by the first', () => {
    const err = configError(() => loadWith({ zk: { sessionTimeoutMs: 'x', spinDelayMs: 1 } }));
    expect(err.key).toBe('zk.sessionTimeoutMs');
    expect(err.message).toContain('zk.spinDelayMs');
  });
});

describe('config file', () => {
  it('strips full-line // comments, indented or not', () => {
    const file = writeConf(
      [
        '// top comment',
        '{',
        '  // section comment',
        '  "jenkins": {',
        '      // "url": "ftp://commented-out",',
        '    "url": "https://ci.example.com/jenkins"',
        '  }',
        '\t// trailing comment with a tab',
        '}',
        '',
      ].join('\n'),
    );
    expect(loadConfig({ file, env: {}, args: [] }).jenkins.url).toBe('https://ci.example.com/jenkins');
  });

  it('keeps "//" inside values and handles CRLF line ends', () => {
    const file = writeConf('{\r\n  // c\r\n  "zk": { "connect": "a:1//" }\r\n}\r\n');
    // "a:1//" is an invalid connect string: proves the value reached validation unchanged.
    expect(configError(() => loadConfig({ file, env: {}, args: [] })).key).toBe('zk.connect');
    const ok = writeConf('{\r\n  // c\r\n  "jenkins": { "url": "http://x:8080" }\r\n}\r\n');
    expect(loadConfig({ file: ok, env: {}, args: [] }).jenkins.url).toBe('http://x:8080');
  });

  it('a file with only comments is empty', () => {
    const file = writeConf('// nothing here\n');
    expect(loadConfig({ file, env: {}, args: [] }).cluster.name).toBe('jenkins');
  });

  it('a JSON syntax error names the file, with key "(file)"', () => {
    const file = writeConf('{\n  // comment\n  "zk": { "connect": "a:1" },\n}\n');
    const err = configError(() => loadConfig({ file, env: {}, args: [] }));
    expect(err.key).toBe('(file)');
    expect(err.message).toContain(file);
    expect(err.message).toContain('invalid JSON');
  });

  it('a syntax error never quotes the file (it may hold secrets)', () => {
    for (const text of ['{"api": {"token": s3cret}}', 's3cret', '{"zk": {"auth": "u:s3cret" x}}', '{"a": s3cret, "b": 1}', '"s3cret']) {
      const err = configError(() => loadConfig({ file: writeConf(text), env: {}, args: [] }));
      expect(err.key).toBe('(file)');
      expect(err.message).toMatch(/invalid JSON/);
      expect(err.message).not.toContain('s3cret');
    }
  });

  it('an object two levels deep where a value belongs names the key (convict threw a TypeError)', () => {
    const err = configError(() => loadWith({ jenkins: { restartBackoffMs: { a: { b: 1 } } } }));
    expect(err.key).toBe('jenkins.restartBackoffMs');
    expect(err.message).toBe('invalid configuration: jenkins.restartBackoffMs: must be a single value, not an object');
    expect(configError(() => loadWith({ api: { tls: { cert: [['x']] } } })).key).toBe('api.tls.cert');
  });

  it('deep nesting is refused at once, naming where', () => {
    const text = '{"zk":'.repeat(5000) + '1' + '}'.repeat(5000);
    const t0 = Date.now();
    const err = configError(() => loadConfig({ file: writeConf(text), env: {}, args: [] }));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(err.key).toBe('zk.zk.zk.zk.zk.zk.zk.zk');
    expect(err.message).toMatch(/nested too deeply/);
  });

  it('key names with dots or control characters are refused, JSON-quoted', () => {
    const err = configError(() => loadConfig({ file: writeConf('{"zk": {"a.b": 1, "c\\u0007": 2}}'), env: {}, args: [] }));
    expect(err.message).toMatch(/unknown configuration key "zk\.a\.b"/);
    const ctl = configError(() => loadConfig({ file: writeConf('{"zk\\n": 1}'), env: {}, args: [] }));
    expect(ctl.message).toContain('"zk\\n"');
    expect(ctl.message).not.toContain('\n');
  });

  it('quotes at most 80 characters of a bad value and at most 10 problems', () => {
    const err = configError(() => loadWith({ cluster: { name: 'n'.repeat(300_000) } }));
    expect(err.key).toBe('cluster.name');
    expect(err.message.length).toBeLessThan(400);
    expect(err.message).toContain('(300002 characters)');
    const many = configError(() => loadWith({ zk: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i])) }));
    expect(many.message).toMatch(/^invalid configuration \(50 problems\): .*; and 40 more$/);
  });

  it('a file over 1 MB is refused without being parsed', () => {
    const err = configError(() => loadConfig({ file: writeConf(`{"jenkins": {"command": "${'c'.repeat(1024 * 1024)}"}}`), env: {}, args: [] }));
    expect(err.key).toBe('(file)');
    expect(err.message).toMatch(/at most 1048576/);
  });

  it('a control character in the syntax error is escaped', () => {
    const err = configError(() => loadConfig({ file: writeConf('{"a": \u0010}'), env: {}, args: [] }));
    expect(err.message).toContain('\\u0010');
    // eslint-disable-next-line no-control-regex
    expect(err.message).not.toMatch(/[\u0000-\u001f]/);
  });

  it('an inline comment is a syntax error', () => {
    const file = writeConf('{ "zk": { "connect": "a:1" } // no\n}');
    expect(configError(() => loadConfig({ file, env: {}, args: [] })).key).toBe('(file)');
  });

  it('the top level must be an object', () => {
    const file = writeConf('[1, 2]');
    const err = configError(() => loadConfig({ file, env: {}, args: [] }));
    expect(err.key).toBe('(file)');
    expect(err.message).toContain(file);
  });

  it('a missing file is an error naming the path', () => {
    const missing = path.join(dir, 'does-not-exist.json');
    const err = configError(() => loadConfig({ file: missing, env: {}, args: [] }));
    expect(err.key).toBe('(file)');
    expect(err.message).toContain(missing);
  });
});

describe('cross-field rules', () => {
  describe('fencing budget: T * ratio + fenceKillAfterMs + marginMs + max(pingInterval, tickTime / 2) <= T', () => {
    it('passes at the boundary', () => {
      // 10000 * 0.5 + 3134 + 200 + max(1666, 1000) = 10000
      const cfg = loadWith({ fencing: { deadlineRatio: 0.5, marginMs: 200 }, jenkins: { fenceKillAfterMs: 3134 } });
      expect(cfg.jenkins.fenceKillAfterMs).toBe(3134);
    });

    it('fails one millisecond over, naming the keys and the numbers', () => {
      const err = configError(() =>
        loadWith({ fencing: { deadlineRatio: 0.5, marginMs: 201 }, jenkins: { fenceKillAfterMs: 3134 } }),
      );
      expect(err.key).toBe('fencing.deadlineRatio');
      for (const s of [
        'zk.sessionTimeoutMs',
        'fencing.deadlineRatio',
        'jenkins.fenceKillAfterMs',
        'fencing.marginMs',
        'zk.tickTimeMs',
        '10000 * 0.5 + 3134 + 201 + max(1666 (0 = 10000 / 6), 2000 / 2) = 10001',
        'before its ZooKeeper session can expire',
        'set fencing.deadlineRatio to at most 0.499',
      ]) {
        expect(err.message).toContain(s);
      }
    });

    // Issue 13 item 10: accepted before, though a session served by a follower can expire
    // max(pingInterval, tickTime / 2) before lastHeard + T, while Jenkins still runs.
    it('refuses deadlineRatio 0.9 with the defaults: the follower refresh lag does not fit', () => {
      const err = configError(() => loadWith({ fencing: { deadlineRatio: 0.9 } }));
      expect(err.key).toBe('fencing.deadlineRatio');
      expect(err.message).toContain('10000 * 0.9 + 500 + 200 + max(1666 (0 = 10000 / 6), 2000 / 2) = 11366 ms > zk.sessionTimeoutMs = 10000 ms');
      expect(err.message).toContain('set fencing.deadlineRatio to at most 0.763');
      expect(err.message).toContain("zk.tickTimeMs must be the servers' tickTime");
    });

    it('counts tickTime / 2 when it exceeds the liveness interval', () => {
      // 10000 * 0.6 + 500 + 200 + max(1666, 6000 / 2) = 9700: fits; tickTime 7000 makes it 10200
      expect(loadWith({ fencing: { deadlineRatio: 0.6 }, zk: { tickTimeMs: 6000 } }).zk.tickTimeMs).toBe(6000);
      const err = configError(() => loadWith({ fencing: { deadlineRatio: 0.6 }, zk: { tickTimeMs: 7000 } }));
      expect(err.key).toBe('fencing.deadlineRatio');
      expect(err.message).toContain('max(1666 (0 = 10000 / 6), 7000 / 2) = 10200 ms');
    });

    it('counts an explicit liveness interval when it exceeds tickTime / 2', () => {
      // 10000 * 0.6 + 500 + 200 + max(3000, 1000) = 9700 fits; 3400 makes it 10100
      expect(loadWith({ fencing: { deadlineRatio: 0.6 }, zk: { pingIntervalMs: 3000 } }).zk.pingIntervalMs).toBe(3000);
      const err = configError(() => loadWith({ fencing: { deadlineRatio: 0.6 }, zk: { pingIntervalMs: 3400 } }));
      expect(err.key).toBe('fencing.deadlineRatio');
      expect(err.message).toContain('max(3400, 2000 / 2) = 10100');
    });

    it('suggests a longer session when nothing is left for the deadline', () => {
      const err = configError(() => loadWith({ zk: { sessionTimeoutMs: 2000 } }));
      expect(err.key).toBe('fencing.deadlineRatio');
      expect(err.message).toContain('2000 * 0.5 + 500 + 200 + max(333 (0 = 2000 / 6), 2000 / 2) = 2700 ms');
      expect(err.message).toContain('raise zk.sessionTimeoutMs');
      // (a ratio of 0.15 would fit the sum, but not two liveness probes: not suggested)
      expect(err.message).not.toContain('set fencing.deadlineRatio');
    });

    it('fails with a high ratio', () => {
      expect(configError(() => loadWith({ fencing: { deadlineRatio: 0.95 } })).key).toBe('fencing.deadlineRatio');
    });
  });

  describe('liveness: effective pingIntervalMs * 2 <= T * ratio', () => {
    it('fails with the derived T/6 when the ratio is below 1/3', () => {
      const err = configError(() => loadWith({ fencing: { deadlineRatio: 0.3 } }));
      expect(err.key).toBe('zk.pingIntervalMs');
      expect(err.message).toContain('1666');
      expect(err.message).toContain('at most 1500');
    });

    it('passes when set explicitly', () => {
      const cfg = loadWith({ fencing: { deadlineRatio: 0.3 }, zk: { pingIntervalMs: 1500, requestTimeoutMs: 3000 } });
      expect(cfg.zk.pingIntervalMs).toBe(1500);
    });

    it('fails when set explicitly too high', () => {
      expect(configError(() => loadWith({ zk: { pingIntervalMs: 2501 } })).key).toBe('zk.pingIntervalMs');
      expect(loadWith({ zk: { pingIntervalMs: 2500 } }).zk.pingIntervalMs).toBe(2500);
    });
  });

  describe('requests: effective requestTimeoutMs <= T * ratio', () => {
    it('fails when set above the deadline', () => {
      const err = configError(() => loadWith({ zk: { requestTimeoutMs: 5001 } }));
      expect(err.key).toBe('zk.requestTimeoutMs');
      expect(err.message).toContain('5000');
    });

    it('passes at the deadline', () => {
      expect(loadWith({ zk: { requestTimeoutMs: 5000 } }).zk.requestTimeoutMs).toBe(5000);
    });

    it('fails with the derived T/3 when the ratio is below 1/3', () => {
      const err = configError(() => loadWith({ fencing: { deadlineRatio: 0.3 }, zk: { pingIntervalMs: 1000 } }));
      expect(err.key).toBe('zk.requestTimeoutMs');
      expect(err.message).toContain('3333');
    });
  });

  describe('restartBackoffMs <= restartBackoffMaxMs', () => {
    it('fails when above', () => {
      const err = configError(() => loadWith({ jenkins: { restartBackoffMs: 2000, restartBackoffMaxMs: 1000 } }));
      expect(err.key).toBe('jenkins.restartBackoffMs');
      expect(err.message).toContain('jenkins.restartBackoffMaxMs');
    });

    it('passes when equal', () => {
      expect(loadWith({ jenkins: { restartBackoffMs: 1000, restartBackoffMaxMs: 1000 } }).jenkins.restartBackoffMs).toBe(1000);
    });
  });

  describe('jenkins.url is an http(s) URL', () => {
    it.each([['http://127.0.0.1:8080'], ['https://ci.example.com/jenkins/']])('accepts %s', (url) => {
      expect(loadConfig({ env: { JHA_JENKINS_URL: url }, args: [] }).jenkins.url).toBe(url);
    });

    it.each([['ftp://ci.example.com'], ['not a url'], ['127.0.0.1:8080'], ['']])('rejects %j', (url) => {
      const err = configError(() => loadConfig({ env: { JHA_JENKINS_URL: url }, args: [] }));
      expect(err.key).toBe('jenkins.url');
      expect(err.message).toContain('jenkins.url');
    });
  });
});

describe('resolveTimings', () => {
  const defaults = (): Config => loadConfig({ env: {}, args: [] });

  it('derives the defaults from the configured session timeout', () => {
    expect(resolveTimings(defaults())).toEqual({
      sessionTimeoutMs: 10000,
      pingIntervalMs: 1666,
      requestTimeoutMs: 3333,
      fenceAfterMs: 5000,
    });
  });

  it('recomputes everything from a negotiated timeout', () => {
    expect(resolveTimings(defaults(), 4000)).toEqual({
      sessionTimeoutMs: 4000,
      pingIntervalMs: 666,
      requestTimeoutMs: 1333,
      fenceAfterMs: 2000,
    });
    expect(resolveTimings(defaults(), 40000)).toEqual({
      sessionTimeoutMs: 40000,
      pingIntervalMs: 6666,
      requestTimeoutMs: 13333,
      fenceAfterMs: 20000,
    });
  });

  it('keeps explicit intervals but caps them to the negotiated deadline', () => {
    const cfg = loadWith({ zk: { pingIntervalMs: 2000, requestTimeoutMs: 4000 } });
    expect(resolveTimings(cfg)).toMatchObject({ pingIntervalMs: 2000, requestTimeoutMs: 4000, fenceAfterMs: 5000 });
    // 4000 - 500 - 200 - max(2000, 1000) = 1300
    expect(resolveTimings(cfg, 4000)).toMatchObject({ pingIntervalMs: 650, requestTimeoutMs: 1300, fenceAfterMs: 1300 });
  });

  it('keeps the fencing budget, follower refresh lag included, under a shorter negotiated timeout', () => {
    const cfg = loadWith({ fencing: { deadlineRatio: 0.75 } });
    expect(resolveTimings(cfg).fenceAfterMs).toBe(7500);
    const t = resolveTimings(cfg, 4000);
    expect(t.fenceAfterMs).toBe(4000 - 500 - 200 - 1000);
    expect(t.fenceAfterMs + cfg.jenkins.fenceKillAfterMs + cfg.fencing.marginMs + sessionRefreshLagMs(cfg, 4000)).toBeLessThanOrEqual(4000);
    expect(t.pingIntervalMs * 2).toBeLessThanOrEqual(t.fenceAfterMs);
    expect(t.requestTimeoutMs).toBeLessThanOrEqual(t.fenceAfterMs);
  });

  it('throws when the negotiated timeout leaves no time to fence', () => {
    const err = configError(() => resolveTimings(defaults(), 700));
    expect(err.key).toBe('zk.sessionTimeoutMs');
    expect(err.message).toContain('negotiated');
  });
});

describe('clientTimings (the ZooKeeper client of main.ts)', () => {
  const defaults = (): Config => loadConfig({ env: {}, args: [] });

  it('are the resolved timings when the session leaves time to fence', () => {
    expect(clientTimings(defaults(), 4000)).toEqual({ pingIntervalMs: 666, requestTimeoutMs: 1333 });
    const cfg = loadWith({ zk: { pingIntervalMs: 2000, requestTimeoutMs: 4000 } });
    // fenceAfter = min(4000 * 0.5, 4000 - 500 - 200 - max(2000, 1000)) = 1300: ping <= 650, timeout <= 1300
    expect(clientTimings(cfg, 4000)).toEqual({ pingIntervalMs: 650, requestTimeoutMs: 1300 });
  });

  it('fall back to t/6 and t/3, at least 20 and 50 ms, when it does not', () => {
    expect(clientTimings(defaults(), 700)).toEqual({ pingIntervalMs: 116, requestTimeoutMs: 233 });
    expect(clientTimings(defaults(), 90)).toEqual({ pingIntervalMs: 20, requestTimeoutMs: 50 });
  });
});

describe('redactedConfig', () => {
  it('replaces a set token with ***', () => {
    const cfg = loadConfig({ env: { JHA_API_TOKEN: 's3cret' }, args: [] });
    const red = redactedConfig(cfg);
    expect(red.api.token).toBe('***');
    expect(JSON.stringify(red)).not.toContain('s3cret');
    expect(cfg.api.token).toBe('s3cret');
    expect({ ...red, api: { ...red.api, token: 's3cret' } }).toEqual(cfg);
  });

  it('leaves an empty token empty', () => {
    expect(redactedConfig(loadConfig({ env: {}, args: [] })).api.token).toBe('');
  });

  it('masks zk.auth and api.readToken too, and only them', () => {
    const cfg = loadConfig({ env: { JHA_ZK_AUTH: 'ha:pw-s3cret', JHA_API_READ_TOKEN: 'r3ad-s3cret' }, args: [] });
    const red = redactedConfig(cfg);
    expect(red.zk.auth).toBe('***');
    expect(red.api.readToken).toBe('***');
    expect(JSON.stringify(red)).not.toMatch(/s3cret/);
    expect({ ...red, zk: { ...red.zk, auth: cfg.zk.auth }, api: { ...red.api, readToken: cfg.api.readToken } }).toEqual(cfg);
    expect(redactedConfig(loadConfig({ env: {}, args: [] })).zk.auth).toBe('');
  });
});

describe('zk.auth and zk.worldRead', () => {
  it('take user:password and a boolean from the file, env and flags', () => {
    expect(loadWith({ zk: { auth: 'ha:p:w d', worldRead: false } }).zk).toMatchObject({ auth: 'ha:p:w d', worldRead: false });
    expect(loadConfig({ env: { JHA_ZK_AUTH: 'ha:pw', JHA_ZK_WORLD_READ: 'false' }, args: [] }).zk).toMatchObject({ auth: 'ha:pw', worldRead: false });
    expect(loadConfig({ env: { JHA_ZK_WORLD_READ: 'false' }, args: ['--zk-world-read', 'true', '--zk-auth=u:x'] }).zk).toMatchObject({
      auth: 'u:x',
      worldRead: true,
    });
  });

  it.each([['nocolon-s3cret'], [':s3cret'], ['us er:s3cret'], ['user:'], ['user:s3cret\nmore']])('zk.auth rejects %j without echoing it', (v) => {
    const err = configError(() => loadConfig({ env: { JHA_ZK_AUTH: v }, args: [] }));
    expect(err.key).toBe('zk.auth');
    expect(err.message).toContain('user:password');
    expect(err.message).not.toContain('s3cret');
  });

  it.each([['yes'], ['1'], ['TRUE'], ['']])('zk.worldRead rejects %j', (v) => {
    expect(configError(() => loadConfig({ env: { JHA_ZK_WORLD_READ: v }, args: [] })).key).toBe('zk.worldRead');
  });

  it('a number or an object as zk.auth is refused without echoing it', () => {
    const err = configError(() => loadWith({ zk: { auth: 987654321 } }));
    expect(err.key).toBe('zk.auth');
    expect(err.message).not.toContain('987654321');
    const obj = configError(() => loadWith({ zk: { auth: { user: 'u', password: 's3cret' } } }));
    expect(obj.key).toBe('zk.auth');
    expect(obj.message).toBe('invalid configuration: zk.auth: must be a single value, not an object');
  });
});

describe('requireRunnable', () => {
  it('requires jenkins.home', () => {
    const err = configError(() => requireRunnable(loadConfig({ env: {}, args: [] })));
    expect(err.key).toBe('jenkins.home');
    expect(err.message).toContain('JENKINS_HOME');
  });

  it('requires an absolute path', () => {
    const err = configError(() => requireRunnable(loadConfig({ env: { JENKINS_HOME: 'var/lib/jenkins' }, args: [] })));
    expect(err.key).toBe('jenkins.home');
  });

  it('accepts an absolute path', () => {
    expect(() => requireRunnable(loadConfig({ env: { JENKINS_HOME: '/var/lib/jenkins' }, args: [] }))).not.toThrow();
  });
});

describe('shipped config files', () => {
  it('conf/default.json loads cleanly and changes nothing', () => {
    const cfg = loadConfig({ file: path.join(ROOT, 'conf/default.json'), env: {}, args: [] });
    expect(cfg).toEqual(loadConfig({ env: {}, args: [] }));
  });

  it.each([['node-a.json'], ['node-b.json']])('conf/examples/%s loads, is runnable and has comments', (name) => {
    const file = path.join(ROOT, 'conf/examples', name);
    const cfg = loadConfig({ file, env: {}, args: [] });
    expect(() => requireRunnable(cfg)).not.toThrow();
    expect(cfg.jenkins.home).toBe('/var/lib/jenkins');
    expect(cfg.jenkins.command).toBe('java -jar /usr/share/java/jenkins.war --httpPort=8080');
    expect(cfg.zk.connect.split(',')).toHaveLength(3);
    expect(cfg.zk.sessionTimeoutMs).toBe(10000);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^\s*\/\/ /m);
  });

  it('the example pair differs only in the node section', () => {
    const load = (name: string): Config =>
      loadConfig({ file: path.join(ROOT, 'conf/examples', name), env: {}, args: [] });
    const a = load('node-a.json');
    const b = load('node-b.json');
    expect(a.node.id).not.toBe(b.node.id);
    expect(a.node.host).not.toBe(b.node.host);
    expect({ ...a, node: null }).toEqual({ ...b, node: null });
  });
});
