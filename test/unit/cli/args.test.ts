import { BadValueError, DEFAULT_WATCH_MS, DEFAULT_HISTORY_LIMIT, DEFAULT_SWITCHOVER_TIMEOUT_MS, isOpsCommand, parseOpsArgs, UsageError } from '../../../src/cli/args';
import { localApiUrl } from '../../../src/cli/commands';
import { loadConfig } from '../../../src/config/load';
import { flagName, listKeys } from '../../../src/config/schema';

const CONFIG_FLAGS = new Set(listKeys().map((k) => flagName(k.path)));

test('commands are recognised', () => {
  expect(['status', 'switchover', 'pause', 'resume', 'history'].every(isOpsCommand)).toBe(true);
  expect(isOpsCommand('run')).toBe(false);
});

test('status and history options, with defaults', () => {
  expect(parseOpsArgs('status', [], CONFIG_FLAGS)).toEqual({ parsed: { command: 'status', opts: { json: false } }, configArgs: [] });
  expect(parseOpsArgs('status', ['--json'], CONFIG_FLAGS).parsed).toEqual({ command: 'status', opts: { json: true } });
  expect(parseOpsArgs('history', [], CONFIG_FLAGS).parsed).toEqual({ command: 'history', opts: { limit: DEFAULT_HISTORY_LIMIT, json: false } });
  expect(parseOpsArgs('history', ['--limit=5', '--json'], CONFIG_FLAGS).parsed).toEqual({ command: 'history', opts: { limit: 5, json: true } });
});

test('switchover and pause options', () => {
  expect(parseOpsArgs('switchover', ['--candidate', 'b', '--reason', 'patch night', '--wait', '--timeout', '2m'], CONFIG_FLAGS).parsed).toEqual({
    command: 'switchover',
    opts: { candidate: 'b', reason: 'patch night', wait: true, timeoutMs: 120_000 },
  });
  expect(parseOpsArgs('switchover', [], CONFIG_FLAGS).parsed).toEqual({
    command: 'switchover',
    opts: { wait: false, timeoutMs: DEFAULT_SWITCHOVER_TIMEOUT_MS },
  });
  expect(parseOpsArgs('pause', ['--ttl', '90s', '--reason', 'x'], CONFIG_FLAGS).parsed).toEqual({ command: 'pause', opts: { ttlSeconds: 90, reason: 'x' } });
  expect(parseOpsArgs('pause', ['--ttl=3600'], CONFIG_FLAGS).parsed).toEqual({ command: 'pause', opts: { ttlSeconds: 3600 } });
  expect(parseOpsArgs('pause', ['--drain', '--reason', 'upgrade'], CONFIG_FLAGS).parsed).toEqual({ command: 'pause', opts: { reason: 'upgrade', drain: true } });
  expect(parseOpsArgs('resume', [], CONFIG_FLAGS).parsed).toEqual({ command: 'resume', opts: {} });
});

test('configuration flags pass through to loadConfig, with their values', () => {
  const r = parseOpsArgs('status', ['--zk-connect', 'zk1:2181', '--json', '--cluster-name=prod'], CONFIG_FLAGS);
  expect(r.configArgs).toEqual(['--zk-connect', 'zk1:2181', '--cluster-name=prod']);
  const cfg = loadConfig({ args: r.configArgs, env: {} });
  expect(cfg.zk.connect).toBe('zk1:2181');
  expect(cfg.cluster.name).toBe('prod');
});

test.each([
  ['status', ['--bogus'], 'unknown option --bogus'],
  ['status', ['extra'], 'unexpected argument "extra"'],
  ['status', ['--json=yes'], '--json takes no value'],
  ['status', ['--json', '--json'], 'given more than once'],
  ['resume', ['--ttl', '1h'], 'unknown option --ttl'],
  ['switchover', ['--candidate'], '--candidate needs a value'],
  ['switchover', ['--candidate', ''], '--candidate must not be empty'],
  ['switchover', ['--timeout', '10s'], '--timeout only applies with --wait'],
  ['switchover', ['--wait', '--timeout', 'forever'], 'not a duration'],
  ['pause', ['--ttl', '0'], 'must be positive'],
  ['pause', ['--ttl', '1500ms'], 'whole seconds'],
  ['history', ['--limit', '0'], '--limit must be a whole number from 1 to 200'],
  ['history', ['--limit', '201'], '--limit must be'],
  ['history', ['--limit', 'ten'], '--limit must be'],
] as const)('%s %j is a usage error (%s)', (command, args, message) => {
  const run = (): unknown => parseOpsArgs(command, args, CONFIG_FLAGS);
  expect(run).toThrow(UsageError);
  expect(run).toThrow(message);
});

test('localApiUrl: the configured API, loopback for a wildcard listen address', () => {
  expect(localApiUrl(loadConfig({ env: {} }))).toBe('http://127.0.0.1:8090');
  expect(localApiUrl(loadConfig({ env: { JHA_API_HOST: '0.0.0.0', JHA_API_PORT: '9000' } }))).toBe('http://127.0.0.1:9000');
  expect(localApiUrl(loadConfig({ env: { JHA_API_HOST: '::' } }))).toBe('http://[::1]:8090');
});

test('status --watch takes an optional interval; a bad one is a BadValueError (exit 2) that says what to give', () => {
  const watch = (args: string[]): unknown => parseOpsArgs('status', args, CONFIG_FLAGS).parsed;
  expect(watch(['--watch'])).toEqual({ command: 'status', opts: { json: false, watchMs: DEFAULT_WATCH_MS } });
  expect(watch(['--watch', '5s'])).toEqual({ command: 'status', opts: { json: false, watchMs: 5000 } });
  expect(watch(['--watch=500ms'])).toEqual({ command: 'status', opts: { json: false, watchMs: 500 } });
  expect(watch(['--watch', '1'])).toEqual({ command: 'status', opts: { json: false, watchMs: 1000 } });
  // The next token is a flag, not an interval.
  const r = parseOpsArgs('status', ['--watch', '--zk-connect', 'zk1:2181'], CONFIG_FLAGS);
  expect(r).toEqual({ parsed: { command: 'status', opts: { json: false, watchMs: DEFAULT_WATCH_MS } }, configArgs: ['--zk-connect', 'zk1:2181'] });
  expect(() => watch(['--watch', 'soon'])).toThrow(BadValueError);
  expect(() => watch(['--watch', 'soon'])).toThrow(/--watch "soon": not a duration.*give an interval such as 2s/);
  expect(() => watch(['--watch', '10ms'])).toThrow(/is 10 ms; the interval must be from 200 ms to 1h/);
  expect(() => watch(['--watch', '2h'])).toThrow(BadValueError);
  expect(() => watch(['--watch=0'])).toThrow(BadValueError);
  // Not a value error: a usage error (exit 64).
  const both = (): unknown => watch(['--watch', '--json']);
  expect(both).toThrow(UsageError);
  expect(both).not.toThrow(BadValueError);
});

test('failover: --confirm-fenced NODE is required, --reason is optional', () => {
  expect(isOpsCommand('failover')).toBe(true);
  expect(parseOpsArgs('failover', ['--confirm-fenced', 'a', '--reason', 'host a is off'], CONFIG_FLAGS).parsed).toEqual({
    command: 'failover',
    opts: { confirmFenced: 'a', reason: 'host a is off' },
  });
  expect(parseOpsArgs('failover', ['--confirm-fenced=a'], CONFIG_FLAGS).parsed).toEqual({ command: 'failover', opts: { confirmFenced: 'a' } });
  expect(() => parseOpsArgs('failover', ['--reason', 'x'], CONFIG_FLAGS)).toThrow(/--confirm-fenced NODE is required/);
  expect(() => parseOpsArgs('failover', ['--confirm-fenced', ''], CONFIG_FLAGS)).toThrow(UsageError);
  expect(() => parseOpsArgs('failover', ['--force'], CONFIG_FLAGS)).toThrow(/unknown option --force/);
});
