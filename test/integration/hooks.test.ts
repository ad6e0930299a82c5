/**
 * Role-change hooks with real shell commands, a real ZooKeeper and real controller processes:
 * the leader runs onLeader, the standby onStandby, a graceful stop onStopped (before the process
 * exits); a hanging hook is killed at its timeout and never delays a failover. Every test ends
 * with the journal check (haSuite): never two Jenkins alive.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mono, type HaNode } from '../helpers/ha-node';
import { isAlive, waitForExit } from '../helpers/procs';
import { lives, readJournal } from '../helpers/journal';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const T = 2000; // session timeout of every node (ha-node default)

let dir: string;
const suite = haSuite({
  afterEach: () => fs.rmSync(dir, { recursive: true, force: true }),
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-hooks-it-'));
});

interface HookLine {
  hook: string;
  role: string;
  previousRole: string;
  node: string;
  cluster: string;
  epoch: string;
  leader: string;
  previousLeader: string;
  token: string;
}

/** A hook script that appends its JHA_* environment as one JSON line to $HOOK_LOG. */
function recorder(): string {
  const script = path.join(dir, 'record.sh');
  fs.writeFileSync(
    script,
    [
      '#!/bin/sh',
      'printf \'{"hook":"%s","role":"%s","previousRole":"%s","node":"%s","cluster":"%s","epoch":"%s","leader":"%s","previousLeader":"%s","token":"%s"}\\n\' \\',
      '  "$JHA_HOOK" "$JHA_ROLE" "$JHA_PREVIOUS_ROLE" "$JHA_NODE_ID" "$JHA_CLUSTER" "$JHA_EPOCH" "$JHA_LEADER" "$JHA_PREVIOUS_LEADER" "${JHA_API_TOKEN:-}" >> "$HOOK_LOG"',
      'echo "hook $JHA_HOOK ran on $JHA_NODE_ID"',
      '',
    ].join('\n'),
  );
  return script;
}

function hookLines(): HookLine[] {
  const file = path.join(dir, 'hooks.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as HookLine);
}

function waitHook(node: string, hook: string, timeoutMs = 20000): Promise<HookLine> {
  return waitFor(() => hookLines().find((l) => l.node === node && l.hook === hook), { timeoutMs, what: `hook ${hook} on ${node}` });
}

async function metric(n: HaNode, series: string): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${n.opts.apiPort}/metrics`, { signal: AbortSignal.timeout(5000) });
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('the leader runs onLeader, the standby onStandby, a graceful stop onStopped; then the new leader runs onLeader', async () => {
  const script = recorder();
  const env = {
    HOOK_LOG: path.join(dir, 'hooks.jsonl'),
    JHA_HOOKS_ON_LEADER: `sh ${script}`,
    JHA_HOOKS_ON_STANDBY: `sh ${script}`,
    // Slow on purpose: the controller must wait for it before exiting.
    JHA_HOOKS_ON_STOPPED: `sleep 1; sh ${script}`,
    JHA_API_TOKEN: 'secret-not-for-hooks',
  };
  const a = suite.fx.start('a', { env });
  await a.waitLeaderReady();
  const leaderHook = await waitHook('a', 'onLeader');
  expect(leaderHook).toMatchObject({ role: 'leader', epoch: '1', leader: 'a', token: '' });
  expect(leaderHook.cluster).toBe(a.opts.cluster);

  const b = suite.fx.start('b', { env });
  await b.waitRole('standby');
  const standbyHook = await waitHook('b', 'onStandby');
  expect(standbyHook).toMatchObject({ role: 'standby', previousRole: 'joining', epoch: '', token: '' });
  // The hook's output is in the controller's log, line by line.
  await b.waitForEvent('hook.output', { where: (l) => l.message === 'hook onStandby ran on b' });
  await b.waitForEvent('hook.finished', { where: (l) => l.hook === 'onStandby' });

  // Graceful stop of the leader: onStopped runs as the shutdown begins (beside Jenkins stopping,
  // never holding it up) and the process waits for it before exiting.
  a.signal('SIGTERM');
  const exit = await a.exited;
  expect(exit.code).toBe(0);
  const stoppedHook = hookLines().find((l) => l.node === 'a' && l.hook === 'onStopped');
  expect(stoppedHook).toMatchObject({ role: 'stopped', previousRole: 'leader', epoch: '1', token: '' });
  const started = a.events('hook.started').find((l) => l.hook === 'onStopped');
  expect(Number(started!.mono)).toBeGreaterThanOrEqual(Number(a.events('shutdown')[0]!.mono));
  expect(a.events('hook.finished').find((l) => l.hook === 'onStopped')).toBeDefined();

  await b.waitLeaderReady();
  const newLeader = await waitHook('b', 'onLeader');
  expect(newLeader).toMatchObject({ role: 'leader', previousRole: 'standby', epoch: '2', leader: 'b' });
  // Each node ran each hook once, in the order of its own transitions.
  const of = (node: string): string[] => hookLines().filter((l) => l.node === node).map((l) => l.hook);
  expect(of('a')).toEqual(['onLeader', 'onStopped']);
  expect(of('b')).toEqual(['onStandby', 'onLeader']);
  expect(await metric(b, 'jenkins_ha_hook_runs_total{hook="onStandby"}')).toBe(1);
  expect(await metric(b, 'jenkins_ha_hook_runs_total{hook="onLeader"}')).toBe(1);
  expect(await metric(b, 'jenkins_ha_hook_failures_total{hook="onLeader"}')).toBe(0);
});

test('a hanging hook is killed at its timeout and does not delay the failover', async () => {
  const script = recorder();
  const pidFile = path.join(dir, 'hang.pid');
  const hang = path.join(dir, 'hang.sh');
  // onStandby starts a long sleep (a grandchild in the hook's process group) and waits for it.
  fs.writeFileSync(hang, `#!/bin/sh\nsleep 600 &\necho $! > "${pidFile}"\nwait\n`);
  const HOOK_TIMEOUT = 8000;
  const env = {
    HOOK_LOG: path.join(dir, 'hooks.jsonl'),
    JHA_HOOKS_ON_LEADER: `sh ${script}`,
    JHA_HOOKS_ON_STANDBY: `sh ${hang}`,
    JHA_HOOKS_TIMEOUT_MS: String(HOOK_TIMEOUT),
  };
  const a = suite.fx.start('a', { env });
  const s = await a.waitLeaderReady();
  const b = suite.fx.start('b', { env });
  await b.waitRole('standby');
  const hookStarted = await b.waitForEvent('hook.started', { where: (l) => l.hook === 'onStandby' });
  const sleeper = await waitFor(() => (fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').trim()) || null : null), {
    timeoutMs: 10000,
    what: 'the hanging hook to start its sleep',
  });

  // Crash the leader: controller and Jenkins.
  const standin = lives(readJournal(suite.fx.home)).find((l) => l.endedBy === 'running')!;
  const t0 = mono();
  a.signal('SIGKILL');
  process.kill(-s.jenkins.pid!, 'SIGKILL');
  expect(await waitForExit(standin.pid, 3000)).toBe(true);

  await b.waitLeaderReady();
  const started = b.events('jenkins.started')[0]!;
  // The same bound as the failover tests: session timeout + start-up; the hook is irrelevant.
  expect(started.seenAt - t0).toBeLessThan(T + 3000);
  // ...and it happened while the onStandby hook was still hanging.
  expect(b.events('hook.timeout')).toHaveLength(0);
  expect(isAlive(sleeper)).toBe(true);

  // The hook is killed at its timeout, with everything it started; then onLeader runs.
  const timedOut = await b.waitForEvent('hook.timeout', { timeoutMs: HOOK_TIMEOUT + 15000 });
  expect(timedOut.hook).toBe('onStandby');
  // By the controller's own clock (the log line's mono), not by when this test read the lines.
  expect(Number(timedOut.mono) - Number(hookStarted.mono)).toBeGreaterThanOrEqual(HOOK_TIMEOUT - 5);
  const failed = await b.waitForEvent('hook.failed');
  expect(failed).toMatchObject({ hook: 'onStandby', error: 'HOOK_TIMEOUT' });
  await waitFor(() => !isAlive(sleeper), { timeoutMs: 5000, what: `the hook's grandchild ${sleeper} to die` });
  const leaderHook = await waitHook('b', 'onLeader');
  expect(leaderHook).toMatchObject({ role: 'leader', previousRole: 'standby', epoch: '2' });
  // The hook's own output can reach us before the controller's log line about starting it.
  await b.waitForEvent('hook.started', { where: (l) => l.hook === 'onLeader' });
  expect(b.events('hook.started').map((l) => l.hook)).toEqual(['onStandby', 'onLeader']);
  expect(await metric(b, 'jenkins_ha_hook_failures_total{hook="onStandby"}')).toBe(1);
});
