/**
 * The fencing methods runner with real /bin/sh commands: order, first success wins, the env it
 * passes (and the secrets it withholds), output logged, and a method past its time limit killed
 * with its whole process group (a grandchild included).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runFencingMethods } from '../../../src/fencing/methods';
import { isAlive } from '../../helpers/procs';
import { waitFor } from '../../helpers/wait';
import { MemoryLogger as RecordingLogger } from '../../helpers/memory-logger';


let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-fence-methods-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('tries the methods in order and stops at the first that exits 0', async () => {
  const trace = path.join(dir, 'trace');
  const log = new RecordingLogger();
  const run = await runFencingMethods({
    methods: [`echo one >> ${trace}; exit 3`, `echo two >> ${trace}`, `echo three >> ${trace}`],
    env: {},
    timeoutMs: 10_000,
    logger: log,
  });
  expect(fs.readFileSync(trace, 'utf8')).toBe('one\ntwo\n');
  expect(run.fencedBy?.index).toBe(2);
  expect(run.results.map((r) => r.code)).toEqual([3, 0]);
  expect(log.entries.filter((e) => e.fields.event === 'fence.method_failed')).toHaveLength(1);
  expect(log.entries.filter((e) => e.fields.event === 'fence.method_succeeded')).toHaveLength(1);
});

test('passes the given env, withholds the controller secrets, and logs the output line by line', async () => {
  const log = new RecordingLogger();
  const saved = { ...process.env };
  process.env.JHA_API_TOKEN = 'sekrit-token';
  process.env.JHA_ZK_AUTH = 'user:sekrit';
  try {
    const run = await runFencingMethods({
      methods: ['echo "prev=$JHA_PREV_NODE_ID pid=$JHA_PREV_PID token=${JHA_API_TOKEN:-none} auth=${JHA_ZK_AUTH:-none}"; echo err >&2'],
      env: { JHA_PREV_NODE_ID: 'node-b', JHA_PREV_PID: '99' },
      timeoutMs: 10_000,
      logger: log,
    });
    expect(run.fencedBy).not.toBeNull();
  } finally {
    process.env = saved;
  }
  await waitFor(() => log.entries.filter((e) => e.fields.event === 'fence.output').length === 2, { timeoutMs: 5000, what: 'two output lines' });
  const out = log.entries.filter((e) => e.fields.event === 'fence.output');
  expect(out.find((e) => e.fields.stream === 'stdout')?.message).toBe('prev=node-b pid=99 token=none auth=none');
  expect(out.find((e) => e.fields.stream === 'stderr')?.message).toBe('err');
});

test('kills a method that overruns its time limit, with its whole process group, and goes on to the next', async () => {
  const pidFile = path.join(dir, 'grandchild.pid');
  const log = new RecordingLogger();
  const t0 = Date.now();
  const run = await runFencingMethods({
    // The grandchild ignores SIGTERM and would outlive a plain kill of the shell.
    methods: [`sh -c 'trap "" TERM; echo $$ > ${pidFile}; exec sleep 60' & wait`, 'exit 0'],
    env: {},
    timeoutMs: 1000,
    logger: log,
  });
  const took = Date.now() - t0;
  expect(run.results[0]).toMatchObject({ timedOut: true, code: null, signal: 'SIGKILL' });
  expect(run.fencedBy?.index).toBe(2);
  expect(took).toBeGreaterThanOrEqual(1000);
  expect(took).toBeLessThan(10_000);
  const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
  await waitFor(() => !isAlive(grandchild), { timeoutMs: 5000, what: `grandchild ${grandchild} to die with the group` });
  expect(log.entries.find((e) => e.fields.event === 'fence.method_failed')?.message).toContain('timed out after 1000 ms');
});

test('reports every failure when no method succeeds', async () => {
  const run = await runFencingMethods({ methods: ['exit 1', 'kill -9 $$'], env: {}, timeoutMs: 10_000, logger: new RecordingLogger() });
  expect(run.fencedBy).toBeNull();
  expect(run.results.map((r) => [r.code, r.signal])).toEqual([
    [1, null],
    [null, 'SIGKILL'],
  ]);
});

test('an abort kills the running method and stops the run', async () => {
  const ac = new AbortController();
  const p = runFencingMethods({ methods: ['sleep 60', 'exit 0'], env: {}, timeoutMs: 60_000, logger: new RecordingLogger(), signal: ac.signal });
  setImmediate(() => ac.abort());
  const run = await p;
  expect(run.aborted).toBe(true);
  expect(run.fencedBy).toBeNull();
  expect(run.results).toHaveLength(1);
});
