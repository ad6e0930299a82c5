import fs from 'node:fs';
import path from 'node:path';
import {
  argName,
  buildSchema,
  envName,
  flagName,
  listKeys,
  sanitizeNodeId,
} from '../../../src/config/schema';
import { DOC_BEGIN, DOC_END, generatedSection, renderConfigDoc, spliceGenerated, typeOf } from '../../../src/config/doc';

const ROOT = path.resolve(__dirname, '../../..');

/** The naming rules, restated independently of the implementation. */
const EXPECTED_ENV_EXCEPTIONS: Record<string, string> = {
  'cluster.name': 'JHA_CLUSTER',
  'jenkins.home': 'JENKINS_HOME',
};
function expectedEnv(p: string): string {
  return EXPECTED_ENV_EXCEPTIONS[p] ?? `JHA_${p.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}
function expectedArg(p: string): string {
  return p.replace(/\./g, '-').replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

interface Leaf {
  path: string;
  node: Record<string, unknown>;
}

/** Walks the raw convict schema object: a node with a `default` is a key, anything else a group. */
function walkSchema(tree: Record<string, unknown>, prefix = ''): Leaf[] {
  const out: Leaf[] = [];
  for (const [k, v] of Object.entries(tree)) {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    expect(typeof v).toBe('object');
    const node = v as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(node, 'default')) out.push({ path: p, node });
    else out.push(...walkSchema(node, p));
  }
  return out;
}

const ALL_KEYS = [
  'cluster.name',
  'node.id',
  'node.host',
  'zk.connect',
  'zk.root',
  'zk.sessionTimeoutMs',
  'zk.spinDelayMs',
  'zk.pingIntervalMs',
  'zk.requestTimeoutMs',
  'zk.tickTimeMs',
  'zk.auth',
  'zk.worldRead',
  'zk.tls.enabled',
  'zk.tls.caFile',
  'zk.tls.certFile',
  'zk.tls.keyFile',
  'zk.tls.serverName',
  'zk.tls.minVersion',
  'zk.tls.aclIdentities',
  'zk.sasl.user',
  'zk.sasl.password',
  'fencing.deadlineRatio',
  'fencing.marginMs',
  'fencing.methods',
  'fencing.timeoutMs',
  'fencing.retryBackoffMs',
  'fencing.retryBackoffMaxMs',
  'fencing.watchdog.mode',
  'fencing.watchdog.device',
  'fencing.watchdog.sysfsDir',
  'fencing.watchdog.safetyMarginMs',
  'lock.heartbeatMs',
  'lock.leaseMs',
  'lock.ioTimeoutMs',
  'lock.flockWaitMs',
  'lock.flockTimeoutAction',
  'jenkins.home',
  'jenkins.command',
  'jenkins.url',
  'jenkins.startupGraceMs',
  'jenkins.healthIntervalMs',
  'jenkins.healthTimeoutMs',
  'jenkins.livenessFailures',
  'jenkins.stopTimeoutMs',
  'jenkins.fenceKillAfterMs',
  'jenkins.restartBackoffMs',
  'jenkins.restartBackoffMaxMs',
  'jenkins.maxRestarts',
  'jenkins.restartWindowMs',
  'jenkins.mode',
  'jenkins.startCommand',
  'jenkins.stopCommand',
  'jenkins.statusCommand',
  'jenkins.servicePidCommand',
  'jenkins.user',
  'jenkins.apiToken',
  'jenkins.drainTimeoutMs',
  'jenkins.drainOnShutdown',
  'election.resignCooldownMs',
  'election.switchoverTimeoutMs',
  'election.priority',
  'election.noFailover',
  'eligibility.intervalMs',
  'eligibility.maxWriteLatencyMs',
  'eligibility.minFreeDiskMb',
  'eligibility.preflightCommand',
  'eligibility.preflightTimeoutMs',
  'api.host',
  'api.port',
  'api.token',
  'api.readToken',
  'api.bodyLimit',
  'api.tls.cert',
  'api.tls.key',
  'log.level',
  'log.format',
  'hooks.onLeader',
  'hooks.onStandby',
  'hooks.onStopped',
  'hooks.timeoutMs',
  'sync.mode',
  'sync.repo',
  'sync.branch',
  'sync.intervalMs',
  'sync.include',
  'sync.exclude',
  'sync.includeSecrets',
  'sync.allowStale',
  'sync.gitDir',
  'sync.gitTimeoutMs',
];

describe('envName / argName', () => {
  it('follow the documented examples', () => {
    expect(envName('zk.sessionTimeoutMs')).toBe('JHA_ZK_SESSION_TIMEOUT_MS');
    expect(envName('jenkins.command')).toBe('JHA_JENKINS_COMMAND');
    expect(envName('api.token')).toBe('JHA_API_TOKEN');
    expect(argName('zk.sessionTimeoutMs')).toBe('zk-session-timeout-ms');
    expect(flagName('zk.sessionTimeoutMs')).toBe('--zk-session-timeout-ms');
    expect(argName('jenkins.home')).toBe('jenkins-home');
  });

  it('apply the two env exceptions', () => {
    expect(envName('jenkins.home')).toBe('JENKINS_HOME');
    expect(envName('cluster.name')).toBe('JHA_CLUSTER');
  });

  it('follow the rule for keys that do not exist yet', () => {
    expect(envName('foo.barBazQux')).toBe('JHA_FOO_BAR_BAZ_QUX');
    expect(argName('foo.barBazQux')).toBe('foo-bar-baz-qux');
    expect(envName('constructor')).toBe('JHA_CONSTRUCTOR');
  });
});

describe('schema', () => {
  const leaves = walkSchema(buildSchema());

  it('has exactly the specified keys', () => {
    expect(leaves.map((l) => l.path).sort()).toEqual([...ALL_KEYS].sort());
  });

  it('gives every key a doc, format, default, env and arg following the naming rules', () => {
    for (const { path: p, node } of leaves) {
      expect({ p, doc: typeof node['doc'] }).toEqual({ p, doc: 'string' });
      expect((node['doc'] as string).length).toBeGreaterThan(10);
      expect({ p, hasFormat: node['format'] !== undefined }).toEqual({ p, hasFormat: true });
      expect({ p, env: node['env'] }).toEqual({ p, env: expectedEnv(p) });
      expect({ p, env: node['env'] }).toEqual({ p, env: envName(p) });
      expect({ p, arg: node['arg'] }).toEqual({ p, arg: expectedArg(p) });
      expect({ p, arg: node['arg'] }).toEqual({ p, arg: argName(p) });
    }
  });

  it('uses every env var and flag once', () => {
    const envs = leaves.map((l) => l.node['env']);
    const args = leaves.map((l) => l.node['arg']);
    expect(new Set(envs).size).toBe(envs.length);
    expect(new Set(args).size).toBe(args.length);
  });

  it('marks only the secrets sensitive: zk.auth, zk.sasl.password, the Jenkins API token and the API tokens', () => {
    expect(leaves.filter((l) => l.node['sensitive'] === true).map((l) => l.path)).toEqual(['zk.auth', 'zk.sasl.password', 'jenkins.apiToken', 'api.token', 'api.readToken']);
  });

  it('listKeys agrees with the raw schema', () => {
    const keys = listKeys(buildSchema());
    expect(keys.map((k) => k.path)).toEqual(leaves.map((l) => l.path));
  });

  it('defaults node.id (sanitized) and node.host to the host name', () => {
    const keys = listKeys(buildSchema({ hostname: 'ci_01.example.com' }));
    expect(keys.find((k) => k.path === 'node.id')?.default).toBe('ci_01.example.com');
    expect(keys.find((k) => k.path === 'node.host')?.default).toBe('ci_01.example.com');
    const odd = listKeys(buildSchema({ hostname: '-my host/é' }));
    expect(odd.find((k) => k.path === 'node.id')?.default).toBe('my-host--');
    expect(odd.find((k) => k.path === 'node.host')?.default).toBe('-my host/é');
  });
});

describe('sanitizeNodeId', () => {
  it('keeps valid names', () => {
    expect(sanitizeNodeId('jenkins-a.example.com')).toBe('jenkins-a.example.com');
  });
  it('replaces invalid characters, drops a bad first character and truncates', () => {
    expect(sanitizeNodeId('_a b:c')).toBe('a-b-c');
    expect(sanitizeNodeId('x'.repeat(80))).toBe('x'.repeat(63));
    expect(sanitizeNodeId('')).toBe('node');
    expect(sanitizeNodeId('---')).toBe('node');
  });
  it('always yields a valid node id', () => {
    for (const h of ['', '...', 'UPPER', 'a'.repeat(200), '.x', 'ü', 'host_1']) {
      expect(sanitizeNodeId(h)).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/);
    }
  });
});

// ---------------------------------------------------------------------------------------
// docs/configuration.md holds the output of `jenkins-ha config --doc` (generated from the schema).
// ---------------------------------------------------------------------------------------

describe('configuration reference (config --doc)', () => {
  const keys = listKeys(buildSchema());
  const doc = renderConfigDoc();
  const rows = new Map(
    doc
      .split('\n')
      .map((l) => [/^\| `([A-Za-z0-9_.]+)` \| /.exec(l)?.[1], l] as const)
      .filter((e): e is readonly [string, string] => e[0] !== undefined),
  );

  it('docs/configuration.md contains exactly the generated reference', () => {
    const page = fs.readFileSync(path.join(ROOT, 'docs/configuration.md'), 'utf8');
    const section = generatedSection(page);
    if (section === null) throw new Error(`docs/configuration.md lacks the markers ${DOC_BEGIN} ... ${DOC_END}`);
    if (section !== doc) {
      throw new Error('docs/configuration.md differs from `jenkins-ha config --doc`: run `npm run docs:config` and commit the page');
    }
  });

  it('has one row per key, in schema order, with type, default, env, flag and doc', () => {
    expect([...rows.keys()]).toEqual(keys.map((k) => k.path));
    for (const k of keys) {
      const row = rows.get(k.path) ?? '';
      expect({ k: k.path, env: row.includes(`| \`${k.env}\` |`), flag: row.includes(`| \`${flagName(k.path)}\` |`) }).toEqual({ k: k.path, env: true, flag: true });
      expect({ k: k.path, doc: row.includes(k.doc.replace(/\|/g, '\\|')) }).toEqual({ k: k.path, doc: true });
      // Every format has a readable type (no internal format names leak).
      expect({ k: k.path, type: typeOf(k) }).not.toEqual({ k: k.path, type: expect.stringMatching(/^jha-/) });
    }
    expect(typeOf(keys.find((k) => k.path === 'zk.sessionTimeoutMs')!)).toBe('integer 400..600000');
    expect(typeOf(keys.find((k) => k.path === 'fencing.marginMs')!)).toBe('integer >= 0');
    expect(typeOf(keys.find((k) => k.path === 'fencing.deadlineRatio')!)).toBe('number in (0,1)');
    expect(typeOf(keys.find((k) => k.path === 'log.level')!)).toBe('one of error, warn, info, debug');
    expect(typeOf(keys.find((k) => k.path === 'zk.connect')!)).toBe('host:port list');
  });

  it('marks the sensitive keys and only them', () => {
    const marked = [...rows].filter(([, row]) => row.includes('**sensitive.**')).map(([p]) => p);
    expect(marked).toEqual(keys.filter((k) => k.sensitive === true).map((k) => k.path));
    expect(marked.length).toBeGreaterThan(0);
  });

  it('does not depend on the machine (host-name defaults are described, not printed)', () => {
    expect(renderConfigDoc(listKeys(buildSchema({ hostname: 'other-host' })))).toBe(doc);
    expect(rows.get('node.id')).toContain('_host name (sanitized)_');
  });

  it('splices into a page: replaces the section between the markers, or appends it', () => {
    const page = `# T\n\nintro\n\n${DOC_BEGIN}\nold\n${DOC_END}\n\nafter\n`;
    const spliced = spliceGenerated(page, 'new\n');
    expect(spliced).toBe(`# T\n\nintro\n\n${DOC_BEGIN}\nnew\n${DOC_END}\n\nafter\n`);
    expect(generatedSection(spliced)).toBe('new\n');
    expect(generatedSection(spliceGenerated('# T\n', 'x\n'))).toBe('x\n');
    expect(generatedSection('# no markers')).toBeNull();
  });
});

describe('conf/default.json', () => {
  const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'conf/default.json'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;

  it('lists every key except node.id / node.host with its schema default', () => {
    const expected: Record<string, Record<string, unknown>> = {};
    for (const k of listKeys(buildSchema())) {
      if (k.path.startsWith('node.')) continue;
      // Nested key paths (api.tls.cert) become nested objects.
      const parts = k.path.split('.');
      const name = parts.pop() as string;
      let obj: Record<string, unknown> = expected;
      for (const part of parts) obj = (obj[part] ??= {}) as Record<string, unknown>;
      obj[name] = k.default;
    }
    expect(json).toEqual(expected);
  });
});
