/**
 * Start-up logging (src/logging/early.ts, docs/benchmarks.md): a node loads winston only after it
 * has joined the election, and the lines it logged before are written then, in order, with the
 * time they were logged; a node that fails before its join (exit 2) still writes them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli-run';
import { REPO } from '../helpers/ha-node';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const PROBE = path.join(REPO, 'test', 'fixtures', 'winston-load-probe.js');
const suite = haSuite();

test('winston loads after election.joined; the earlier lines come then, in order, with the time they were logged', async () => {
  const a = suite.fx.start('a', { env: { NODE_OPTIONS: `--require ${PROBE}` } });
  await a.waitLeaderReady(30000);
  const loaded = await waitFor(() => a.logs.find((l) => l.level === 'raw' && l.message.startsWith('WINSTON_LOADED ')), { timeoutMs: 5000, what: 'the probe line' });
  const winstonAt = (JSON.parse(loaded.message.slice('WINSTON_LOADED '.length)) as { mono: number }).mono;
  const lines = a.logs.filter((l) => l.level !== 'raw');
  const at = (event: string): number => {
    const l = lines.find((x) => x.event === event);
    if (l === undefined) throw new Error(`no ${event} line`);
    return l.mono as number;
  };
  // Before the join: the started line, the session, the znode; winston after all three.
  expect(at('started')).toBeLessThan(at('zk.session'));
  expect(at('zk.session')).toBeLessThan(at('election.joined'));
  expect(winstonAt).toBeGreaterThan(at('election.joined'));
  // Written in the order they were logged, each line with its own time (mono and timestamp agree).
  const monos = lines.map((l) => l.mono as number);
  expect(monos).toEqual([...monos].sort((x, y) => x - y));
  const stamps = lines.map((l) => Date.parse(String(l.timestamp)));
  expect(stamps).toEqual([...stamps].sort((x, y) => x - y));
  expect(lines.filter((l) => (l.mono as number) < winstonAt).map((l) => l.event)).toEqual(expect.arrayContaining(['started', 'zk.session', 'election.joined']));
  expect(lines.every((l) => typeof l.level === 'string' && typeof l.timestamp === 'string' && l.node === 'a')).toBe(true);
});

test('a node started from the build compiles and resolves its start-up modules from the code cache (src/code-cache.ts)', async () => {
  const a = suite.fx.start('a');
  await a.waitLeaderReady(30000);
  const line = await waitFor(() => a.logs.find((l) => l.event === 'startup.code_cache'), { timeoutMs: 5000, what: 'the startup.code_cache line' });
  // main.js's pre-join graph is ~60 of our files plus the packages' (dist/code-cache.bin lists them).
  expect(line.served).toBeGreaterThan(40);
  expect(line.rejected).toBe(0);
  // ~100 of those files' relative requires at least (the packages' too when node_modules is the tree's own).
  expect(line.resolved).toBeGreaterThan(50);
});

test('a node that fails before its join (a config error, exit 2) still writes what it logged, then the error', async () => {
  const home = suite.fx.home;
  fs.writeFileSync(path.join(home, '.jenkins-ha.flock'), '', { mode: 0o644 });
  fs.chmodSync(path.join(home, '.jenkins-ha.flock'), 0o644);
  const res = await runCli(['run'], {
    JHA_NODE_ID: 'a',
    JHA_CLUSTER: 'exit2',
    JHA_ZK_CONNECT: suite.zk.connect,
    JENKINS_HOME: home,
    JHA_LOG_FORMAT: 'json',
    JHA_FENCING_WATCHDOG_MODE: 'required',
    JHA_FENCING_WATCHDOG_DEVICE: path.join(home, 'no-such-watchdog'),
  });
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(/^jenkins-ha: configuration error: fencing\.watchdog\.\w+: /);
  const lines = res.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.map((l) => l.event)).toEqual(['home.mode_fixed']);
  expect(lines[0]).toMatchObject({ level: 'warn', node: 'a', cluster: 'exit2', message: expect.stringContaining('.jenkins-ha.flock') });
  expect(typeof lines[0]?.mono).toBe('number');
});
