/**
 * The hook runner with real /bin/sh commands: environment, order, coalescing, timeout (the whole
 * process group dies), output logging, failures and counters.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HookRunner, type HookContext, type HookName, type HookRunnerOptions } from '../../../src/hooks/runner';
import { isProcessAlive } from '../../../src/util/proc';
import { waitFor } from '../../helpers/wait';
import { MemoryLogger as RecordingLogger } from '../../helpers/memory-logger';



let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-hooks-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const now = (): number => performance.now();

function runner(commands: Partial<Record<HookName, string>>, extra: Partial<HookRunnerOptions> = {}): { r: HookRunner; log: RecordingLogger } {
  const log = new RecordingLogger();
  const r = new HookRunner({
    commands: { onLeader: '', onStandby: '', onStopped: '', ...commands },
    timeoutMs: 20000,
    nodeId: 'node-a',
    cluster: 'ci',
    baseEnv: { PATH: process.env.PATH, OUT: path.join(dir, 'out') },
    secrets: { envNames: [], values: [] },
    logger: log,
    now,
    ...extra,
  });
  return { r, log };
}

const ctx = (role: string, previousRole: string, epoch: number | null = null): HookContext => ({
  role,
  previousRole,
  epoch,
  leader: role === 'leader' ? 'node-a' : 'node-b',
  previousLeader: 'node-b',
});

/** Appends "<JHA_HOOK> <JHA_ROLE>" to $OUT. */
const APPEND = 'echo "$JHA_HOOK $JHA_ROLE" >> "$OUT"';
const lines = (): string[] => (fs.existsSync(path.join(dir, 'out')) ? fs.readFileSync(path.join(dir, 'out'), 'utf8').trim().split('\n') : []);

test('a hook gets the JHA_* environment and the base environment', async () => {
  const { r, log } = runner({ onLeader: 'env > "$OUT"' });
  r.request('onLeader', ctx('leader', 'standby', 12));
  await r.idle();
  const env = Object.fromEntries(
    fs
      .readFileSync(path.join(dir, 'out'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  expect(env).toMatchObject({
    JHA_HOOK: 'onLeader',
    JHA_ROLE: 'leader',
    JHA_PREVIOUS_ROLE: 'standby',
    JHA_NODE_ID: 'node-a',
    JHA_CLUSTER: 'ci',
    JHA_EPOCH: '12',
    JHA_LEADER: 'node-a',
    JHA_PREVIOUS_LEADER: 'node-b',
    OUT: path.join(dir, 'out'),
  });
  expect(log.events('hook.started')).toHaveLength(1);
  expect(log.events('hook.finished')[0]!.fields).toMatchObject({ hook: 'onLeader', code: 0 });
  expect(r.snapshot()).toEqual([
    { hook: 'onLeader', runs: 1, failures: 0, coalesced: 0 },
    { hook: 'onStandby', runs: 0, failures: 0, coalesced: 0 },
    { hook: 'onStopped', runs: 0, failures: 0, coalesced: 0 },
  ]);
});

test('an empty epoch and unknown leaders are empty strings', async () => {
  const { r } = runner({ onStandby: 'echo "[$JHA_EPOCH][$JHA_LEADER][$JHA_PREVIOUS_LEADER]" > "$OUT"' });
  r.request('onStandby', { role: 'standby', previousRole: 'joining', epoch: null, leader: null, previousLeader: null });
  await r.idle();
  expect(lines()).toEqual(['[][][]']);
});

test('hooks run one at a time, in order; a backlog is coalesced to the newest transition', async () => {
  const gate = path.join(dir, 'gate');
  // onLeader blocks until the test opens the gate.
  const { r, log } = runner({
    onLeader: `${APPEND}; while [ ! -e "${gate}" ]; do sleep 0.02; done; echo "onLeader done" >> "$OUT"`,
    onStandby: APPEND,
    onStopped: APPEND,
  });
  r.request('onLeader', ctx('leader', 'standby', 1));
  await waitFor(() => lines().length === 1, { timeoutMs: 10000, what: 'onLeader to start' });
  r.request('onStandby', ctx('standby', 'leader')); // waits behind onLeader
  expect(log.events('hook.queued')).toHaveLength(1);
  r.request('onStopped', ctx('stopped', 'standby')); // replaces the waiting onStandby
  expect(log.events('hook.coalesced')[0]!.fields).toMatchObject({ hook: 'onStandby', replacedBy: 'onStopped' });
  expect(lines()).toEqual(['onLeader leader']); // nothing ran beside the running hook
  fs.writeFileSync(gate, '');
  await r.idle();
  expect(lines()).toEqual(['onLeader leader', 'onLeader done', 'onStopped stopped']);
  expect(r.snapshot().map((s) => [s.hook, s.runs, s.coalesced])).toEqual([
    ['onLeader', 1, 0],
    ['onStandby', 0, 1],
    ['onStopped', 1, 0],
  ]);
});

test('a transition to a role without a hook drops the waiting run', async () => {
  const gate = path.join(dir, 'gate');
  const { r } = runner({ onStandby: `${APPEND}; while [ ! -e "${gate}" ]; do sleep 0.02; done`, onLeader: APPEND });
  r.request('onStandby', ctx('standby', 'joining'));
  await waitFor(() => lines().length === 1, { timeoutMs: 10000, what: 'onStandby to start' });
  r.request('onLeader', ctx('leader', 'standby', 2));
  r.request(null, ctx('neutral', 'leader')); // no longer leader: onLeader is stale
  fs.writeFileSync(gate, '');
  await r.idle();
  expect(lines()).toEqual(['onStandby standby']);
  expect(r.snapshot().find((s) => s.hook === 'onLeader')).toMatchObject({ runs: 0, coalesced: 1 });
});

test('a hook without a command does not run', async () => {
  const { r, log } = runner({ onLeader: APPEND });
  r.request('onStandby', ctx('standby', 'joining'));
  await r.idle();
  expect(lines()).toEqual([]);
  expect(log.events('hook.started')).toHaveLength(0);
  expect(r.enabled).toBe(true);
  expect(runner({}).r.enabled).toBe(false);
});

test('a hook that outlives its timeout is killed with its whole process group, and counts as failed', async () => {
  const pidFile = path.join(dir, 'child.pid');
  // The hook starts a grandchild that would run for a minute, then waits for it.
  const { r, log } = runner({ onLeader: `sleep 60 & echo $! > "${pidFile}"; wait` }, { timeoutMs: 500, killGraceMs: 300 });
  const t0 = now();
  r.request('onLeader', ctx('leader', 'standby', 3));
  await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '', { timeoutMs: 10000, what: 'the grandchild pid' });
  const grandchild = Number(fs.readFileSync(pidFile, 'utf8').trim());
  expect(isProcessAlive(grandchild)).toBe(true);
  await r.idle();
  const took = now() - t0;
  expect(took).toBeGreaterThanOrEqual(500);
  expect(took).toBeLessThan(500 + 300 + 5000); // generous: a busy machine
  // The group was signalled before the hook's shell exited; on a busy machine the grandchild may
  // not have been scheduled to die yet when the shell's exit is reported.
  await waitFor(() => !isProcessAlive(grandchild), { timeoutMs: 2000, what: `grandchild ${grandchild} to die` });
  expect(log.events('hook.timeout')).toHaveLength(1);
  expect(log.events('hook.failed')[0]!.fields).toMatchObject({ hook: 'onLeader', error: 'HOOK_TIMEOUT' });
  expect(r.snapshot()[0]).toMatchObject({ runs: 1, failures: 1 });
});

test('a hook that ignores SIGTERM is SIGKILLed after the grace', async () => {
  const ready = path.join(dir, 'ready');
  const { r, log } = runner({ onStopped: `trap '' TERM; touch "${ready}"; while :; do sleep 0.05; done` }, { timeoutMs: 300, killGraceMs: 300 });
  r.request('onStopped', ctx('stopped', 'leader', 4));
  await waitFor(() => fs.existsSync(ready), { timeoutMs: 10000, what: 'the hook to trap TERM' });
  await r.idle();
  expect(log.events('hook.failed')[0]!.fields).toMatchObject({ hook: 'onStopped', error: 'HOOK_TIMEOUT', signal: 'SIGKILL' });
});

test('output is logged line by line with its stream', async () => {
  const { r, log } = runner({ onStandby: 'echo one; echo two >&2; printf three' });
  r.request('onStandby', ctx('standby', 'joining'));
  await r.idle();
  const out = log.events('hook.output').map((e) => [e.fields.stream, e.message]);
  expect(out).toHaveLength(3);
  expect(out).toContainEqual(['stdout', 'one']);
  expect(out).toContainEqual(['stderr', 'two']);
  expect(out).toContainEqual(['stdout', 'three']); // the last line without a newline too
  expect(log.events('hook.output_truncated')).toHaveLength(0);
});

test('output beyond maxOutputLines is dropped, once said', async () => {
  const { r, log } = runner({ onStandby: 'i=0; while [ $i -lt 20 ]; do echo "line $i"; i=$((i+1)); done' }, { maxOutputLines: 5 });
  r.request('onStandby', ctx('standby', 'joining'));
  await r.idle();
  expect(log.events('hook.output').map((e) => e.message)).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
  expect(log.events('hook.output_truncated')).toHaveLength(1);
});

test('a non-zero exit is a failure with its code; the next hook still runs', async () => {
  const { r, log } = runner({ onLeader: 'exit 3', onStopped: APPEND });
  r.request('onLeader', ctx('leader', 'standby', 5));
  r.request('onStopped', ctx('stopped', 'leader', 5));
  await r.idle();
  expect(log.events('hook.failed')[0]!.fields).toMatchObject({ hook: 'onLeader', code: 3, error: 'HOOK_FAILED' });
  expect(lines()).toEqual(['onStopped stopped']);
  expect(r.snapshot().map((s) => s.failures)).toEqual([1, 0, 0]);
});

test('a background process holding the output pipe does not block the queue', async () => {
  const pidFile = path.join(dir, 'bg.pid');
  const { r } = runner({ onLeader: `sleep 30 & echo $! > "${pidFile}"; exit 0`, onStopped: APPEND });
  r.request('onLeader', ctx('leader', 'standby', 6));
  r.request('onStopped', ctx('stopped', 'leader', 6));
  await r.idle();
  expect(lines()).toEqual(['onStopped stopped']);
  process.kill(Number(fs.readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
});

test('close() kills a running hook and forgets the waiting one', async () => {
  const pidFile = path.join(dir, 'hook.pid');
  const { r } = runner({ onLeader: `echo $$ > "${pidFile}"; exec sleep 60`, onStopped: APPEND });
  r.request('onLeader', ctx('leader', 'standby', 7));
  r.request('onStopped', ctx('stopped', 'leader', 7));
  await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '', { timeoutMs: 10000, what: 'the hook pid' });
  r.close();
  await r.idle();
  expect(isProcessAlive(Number(fs.readFileSync(pidFile, 'utf8').trim()))).toBe(false);
  expect(lines()).toEqual([]);
});
