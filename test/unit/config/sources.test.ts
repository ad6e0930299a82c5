/**
 * `jenkins-ha config --sources`: the layer each value comes from, by loadConfig's own layering
 * (flag > env > file > default); the container entrypoint fills in its defaults only where this
 * says `default`, so they never override a config file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listKeys } from '../../../src/config/schema';
import { configSources, renderSources, type KeySource } from '../../../src/config/sources';
import { configError } from '../../helpers/config-error';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-sources-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(content: unknown): string {
  const f = path.join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(f, JSON.stringify(content));
  return f;
}

function byKey(rows: KeySource[]): Map<string, KeySource> {
  return new Map(rows.map((r) => [r.key, r]));
}

test('every key once, in schema order; untouched keys are default', () => {
  const rows = configSources({ env: {}, args: [] });
  expect(rows.map((r) => r.key)).toEqual(listKeys().map((k) => k.path));
  expect(new Set(rows.map((r) => r.source))).toEqual(new Set(['default']));
  expect(byKey(rows).get('zk.connect')).toEqual({ key: 'zk.connect', source: 'default', value: '"127.0.0.1:2181"' });
});

test('flag beats env beats file beats default, key by key, with the effective value', () => {
  const f = file({ zk: { connect: 'zkf:2181', sessionTimeoutMs: 4000 }, node: { id: 'file-id' }, election: { priority: 3 } });
  const rows = byKey(
    configSources({ file: f, env: { JHA_ZK_CONNECT: 'zke:2181', JHA_NODE_ID: 'env-id', JHA_CLUSTER: 'prod' }, args: ['--node-id', 'flag-id'] }),
  );
  expect(rows.get('node.id')).toMatchObject({ source: 'flag', value: '"flag-id"' });
  expect(rows.get('zk.connect')).toMatchObject({ source: 'env', value: '"zke:2181"' });
  expect(rows.get('cluster.name')).toMatchObject({ source: 'env', value: '"prod"' });
  expect(rows.get('zk.sessionTimeoutMs')).toMatchObject({ source: 'file', value: '4000' });
  expect(rows.get('election.priority')).toMatchObject({ source: 'file', value: '3' });
  expect(rows.get('node.host')?.source).toBe('default');
});

test('the file named by JHA_CONFIG counts as the file; an empty env value still counts as set (as convict reads it)', () => {
  const f = file({ zk: { connect: 'zkf:2181' } });
  const rows = byKey(configSources({ env: { JHA_CONFIG: f, JHA_LOG_LEVEL: 'debug' }, args: [] }));
  expect(rows.get('zk.connect')).toMatchObject({ source: 'file', value: '"zkf:2181"' });
  expect(rows.get('log.level')?.source).toBe('env');
  expect(byKey(configSources({ env: { JHA_ZK_AUTH: '' }, args: [] })).get('zk.auth')).toMatchObject({ source: 'env', value: '""' });
});

test('sensitive values are masked; one line per key for the shell', () => {
  const rows = configSources({ env: { JHA_API_TOKEN: 's3cret-token', JHA_ZK_SASL_USER: 'jha', JHA_ZK_SASL_PASSWORD: 'pw' }, args: [] });
  const text = renderSources(rows);
  expect(text).not.toMatch(/s3cret|"pw"/);
  expect(text).toMatch(/^api\.token env "\*\*\*"$/m);
  expect(text).toMatch(/^zk\.sasl\.password env "\*\*\*"$/m);
  expect(text.split('\n').filter((l) => l !== '')).toHaveLength(rows.length);
  for (const line of text.split('\n').filter((l) => l !== '')) expect(line).toMatch(/^[a-zA-Z.]+ (default|file|env|flag) \S/);
});

test('a bad configuration is the same ConfigError naming the key as loadConfig', () => {
  expect(configError(() => configSources({ file: file({ zk: { sessionTimeoutMs: 'ten' } }), env: {}, args: [] })).key).toBe('zk.sessionTimeoutMs');
});
