/**
 * The node's logger before its join (src/logging/early.ts): records kept without winston, then
 * written through winston in order with the time they were logged, or written synchronously when
 * the process ends first. The lines must be exactly createLogger's (winston's) lines.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { createEarlyLogger, flushEarlyLogsSync, MAX_KEPT } from '../../../src/logging/early';
import { createLogger, type Logger, type LoggerOptions } from '../../../src/logging/logger';
import { waitFor } from '../../helpers/wait';

const REPO = path.resolve(__dirname, '..', '..', '..');

function sink(): { stream: PassThrough; lines: () => string[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
  return { stream, lines: () => text.split('\n').filter((l) => l !== '') };
}

/** The same calls on any Logger: children, fields winston treats specially, levels. */
function script(log: Logger, format: 'json' | 'text'): void {
  const zk = log.child({ component: 'zookeeper' });
  const el = log.child({ component: 'election', node: 'shadowed' }).child({ part: 'record' });
  log.info('jenkins-ha started', { event: 'started', zk: '127.0.0.1:2181', nested: { a: [1, 2], b: null } });
  zk.debug('connecting', { event: 'zk.connecting', attempt: 1 });
  log.info('no fields at all');
  zk.warn('with a message field', { event: 'w', message: 'appended' });
  el.info('joined', { event: 'election.joined', znode: 'n_1', stack: 'a stack field', cause: 'a cause' });
  log.info('100%s of the %d tokens: winston drops the fields', { event: 'dropped' });
  // (the text format cannot print a bigint: its JSON.stringify throws, before and after early.ts)
  log.error('a big number', { event: 'big', n: format === 'json' ? 12n : 12, when: new Date(0), err: new Error('not enumerable') });
  log.info('its own timestamp', { timestamp: 'caller-set', event: 'ts' });
  log.info('an exception flag', { exception: true, event: 'exc' });
  log.info('', { event: 'empty message' });
}

/** Lines with the time of writing blanked: what must be identical between the two loggers. */
function shape(lines: string[]): string[] {
  return lines.map((l) => l.replace(/"timestamp":"[^"]*"/, '"timestamp":T').replace(/"mono":[0-9.]+/, '"mono":M').replace(/^\S+Z /, 'T '));
}

const BASE = { node: 'a', cluster: 'c1' };

describe.each(['json', 'text'] as const)('format %s', (format) => {
  for (const level of ['debug', 'info'] as const) {
    test(`level ${level}: kept then live, and kept then written synchronously, give winston's lines`, async () => {
      const opts = (stream: PassThrough): LoggerOptions => ({ level, format, base: BASE, stream });
      const today = sink();
      script(createLogger(opts(today.stream)), format);
      const later = sink();
      const early = createEarlyLogger(opts(later.stream));
      script(early.logger, format);
      expect(later.lines()).toEqual([]); // nothing written before live()
      await early.live();
      const ending = sink();
      script(createEarlyLogger(opts(ending.stream)).logger, format);
      flushEarlyLogsSync();
      await waitFor(() => today.lines().length > 0 && later.lines().length === today.lines().length, { timeoutMs: 2000, what: 'the lines' });
      expect(today.lines().length).toBeGreaterThan(level === 'debug' ? 8 : 7);
      expect(shape(later.lines())).toEqual(shape(today.lines()));
      expect(shape(ending.lines())).toEqual(shape(today.lines()));
    });
  }
});

test('a kept line carries the timestamp and mono of its call, and the fields as they were then', async () => {
  const out = sink();
  const early = createEarlyLogger({ level: 'info', format: 'json', base: BASE, stream: out.stream });
  const fields: Record<string, unknown> = { event: 'first', value: 'as logged' };
  const before = { ms: Date.now(), mono: Number(process.hrtime.bigint() / 1000n) / 1000 };
  early.logger.child({ component: 'x' }).info('first', fields);
  const after = { ms: Date.now(), mono: Number(process.hrtime.bigint() / 1000n) / 1000 };
  fields.value = 'changed later';
  await waitFor(() => Date.now() > after.ms + 30, { timeoutMs: 1000, intervalMs: 5, what: '30 ms to pass' });
  early.logger.info('second', { event: 'second' });
  await early.live();
  early.logger.info('third', { event: 'third' });
  await waitFor(() => out.lines().length === 3, { timeoutMs: 2000, what: 'three lines' });
  const [first, second, third] = out.lines().map((l) => JSON.parse(l) as { event: string; timestamp: string; mono: number; value?: string; component?: string });
  expect([first?.event, second?.event, third?.event]).toEqual(['first', 'second', 'third']);
  expect(first?.value).toBe('as logged');
  expect(first?.component).toBe('x');
  const t = Date.parse(first?.timestamp ?? '');
  expect(t).toBeGreaterThanOrEqual(before.ms);
  expect(t).toBeLessThanOrEqual(after.ms);
  expect(first?.mono).toBeGreaterThanOrEqual(Math.floor(before.mono));
  expect(first?.mono).toBeLessThanOrEqual(Math.ceil(after.mono * 1000) / 1000);
  expect((second?.mono ?? 0) - (first?.mono ?? 0)).toBeGreaterThanOrEqual(30);
  expect(third?.mono).toBeGreaterThanOrEqual(second?.mono ?? Infinity);
});

test('children made after live() log through winston at once', async () => {
  const out = sink();
  const early = createEarlyLogger({ level: 'info', format: 'json', base: BASE, stream: out.stream });
  const before = early.logger.child({ component: 'made-before' });
  await early.live();
  before.info('one', { event: 'one' });
  early.logger.child({ component: 'made-after' }).info('two', { event: 'two' });
  await waitFor(() => out.lines().length === 2, { timeoutMs: 2000, what: 'two lines' });
  expect(out.lines().map((l) => (JSON.parse(l) as { component: string }).component)).toEqual(['made-before', 'made-after']);
});

/** A child node process that logs through an early logger and ends as `how` says, before live(). */
function endBeforeLive(how: string): { status: number | null; signal: NodeJS.Signals | null; lines: string[]; stderr: string } {
  const program = `
    const { createEarlyLogger } = require('./src/logging/early');
    const early = createEarlyLogger({ level: 'info', format: 'json', base: { node: 'a', cluster: 'c1' } });
    early.logger.info('jenkins-ha started', { event: 'started' });
    early.logger.child({ component: 'election' }).info('joined', { event: 'election.joined' });
    early.logger.debug('below the level', { event: 'debug' });
    ${how}
  `;
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const r = spawnSync(process.execPath, ['-r', './scripts/dev/register-ts.js', '-e', program], { cwd: REPO, env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, signal: r.signal, lines: r.stdout.split('\n').filter((l) => l !== ''), stderr: r.stderr };
}

const ENDINGS: [string, string, { status: number | null; signal: NodeJS.Signals | null }][] = [
  ['process.exit(2)', 'process.exit(2);', { status: 2, signal: null }],
  ['an uncaught exception', "setImmediate(() => { throw new Error('boom'); });", { status: 1, signal: null }],
  ['SIGTERM', "process.kill(process.pid, 'SIGTERM'); setTimeout(() => undefined, 5000);", { status: null, signal: 'SIGTERM' }],
  ['SIGHUP', "process.kill(process.pid, 'SIGHUP'); setTimeout(() => undefined, 5000);", { status: null, signal: 'SIGHUP' }],
  ['the end of the program', '', { status: 0, signal: null }],
];

test.each(ENDINGS)('a process that ends by %s before live() still writes its lines, as winston would', (_name, how, ending) => {
  const r = endBeforeLive(how);
  expect({ status: r.status, signal: r.signal }).toEqual(ending);
  const lines = r.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  // winston's json format sorts the keys (safe-stable-stringify).
  expect(lines.map((l) => Object.keys(l))).toEqual([
    ['cluster', 'event', 'level', 'message', 'mono', 'node', 'timestamp'],
    ['cluster', 'component', 'event', 'level', 'message', 'mono', 'node', 'timestamp'],
  ]);
  expect(lines.map((l) => l.event)).toEqual(['started', 'election.joined']);
  if (how.includes('boom')) expect(r.stderr).toMatch(/Error: boom/);
});

test('a signal another listener handles does not end the process: the lines are written, the listener runs', () => {
  const r = endBeforeLive("process.on('SIGINT', () => { process.stderr.write('handled\\n'); process.exit(7); }); process.kill(process.pid, 'SIGINT'); setTimeout(() => undefined, 5000);");
  expect(r.status).toBe(7);
  expect(r.stderr).toContain('handled');
  expect(r.lines).toHaveLength(2);
});

test('a process that goes live writes each line once and leaves no exit or signal listener behind', async () => {
  const counts = (): number[] => ['exit', 'SIGTERM', 'SIGINT', 'SIGHUP'].map((e) => process.listenerCount(e));
  const before = counts();
  const out = sink();
  const early = createEarlyLogger({ level: 'info', format: 'json', base: BASE, stream: out.stream });
  expect(counts()).toEqual(before.map((n) => n + 1));
  early.logger.info('x', { event: 'x' });
  await early.live();
  expect(counts()).toEqual(before);
  flushEarlyLogsSync(); // nothing left to write
  await waitFor(() => out.lines().length >= 1, { timeoutMs: 2000, what: 'the line' });
  expect(out.lines()).toHaveLength(1);
});

test('a record winston throws on (a bigint in text) costs neither live() nor the records after it', async () => {
  const today = sink();
  expect(() => createLogger({ level: 'info', format: 'text', stream: today.stream }).info('x', { n: 1n })).toThrow(/BigInt/);
  for (const end of ['live', 'sync'] as const) {
    const out = sink();
    const early = createEarlyLogger({ level: 'info', format: 'text', base: BASE, stream: out.stream });
    early.logger.info('cannot print', { n: 1n });
    early.logger.info('after it', { event: 'after' });
    if (end === 'live') await early.live();
    else flushEarlyLogsSync();
    await waitFor(() => out.lines().length === 1, { timeoutMs: 2000, what: `the line after it (${end})` });
    expect(out.lines()[0]).toContain('[after] after it');
  }
});

test(`at most ${MAX_KEPT} records are kept: one more and they are all written at once, in order, and later ones too`, async () => {
  const out = sink();
  const early = createEarlyLogger({ level: 'info', format: 'json', base: BASE, stream: out.stream });
  for (let i = 0; i < MAX_KEPT; i++) early.logger.info('storm', { i });
  await new Promise((r) => setImmediate(r));
  expect(out.lines()).toHaveLength(0);
  early.logger.info('one more', { i: MAX_KEPT });
  await waitFor(() => out.lines().length === MAX_KEPT + 1, { timeoutMs: 2000, what: 'every kept line' });
  early.logger.info('after', { i: MAX_KEPT + 1 });
  await early.live();
  early.logger.info('live', { i: MAX_KEPT + 2 });
  await waitFor(() => out.lines().length === MAX_KEPT + 3, { timeoutMs: 2000, what: 'the later lines' });
  expect(out.lines().map((l) => (JSON.parse(l) as { i: number }).i)).toEqual([...Array(MAX_KEPT + 3).keys()]);
});
