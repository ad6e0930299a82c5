/**
 * The shim reports Jenkins' exit on a pipe of its own (fd 4) the moment its wait returned, ahead of
 * its own way out, and the supervisor takes that report as the exit (docs/safety.md, "The graceful
 * handover path", step 1). Real shim (scripts/jenkins-ha-shim) and tiny Jenkins commands.
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_SHIM, JenkinsSupervisor, type JenkinsExit } from '../../../src/jenkins/supervisor';
import * as proc from '../../../src/util/proc';
import { isProcessAlive } from '../../../src/util/proc';
import { MemoryLogger } from '../../helpers/memory-logger';
import { waitFor } from '../../helpers/wait';

let home: string;
let sup: JenkinsSupervisor | null = null;
let log: MemoryLogger;

beforeEach(() => {
  home = fs.mkdtempSync(path.join(tmpdir(), 'jenkins-ha-exit-report-'));
  log = new MemoryLogger();
});

afterEach(async () => {
  if (sup) {
    await sup.stop(0, 'test over');
    sup.disarm();
  }
  sup = null;
  fs.rmSync(home, { recursive: true, force: true });
});

function supervisor(command: string, shimPath?: string): JenkinsSupervisor {
  sup = new JenkinsSupervisor({
    command,
    home,
    url: 'http://127.0.0.1:9', // nothing listens: the readiness probe only fails
    startupGraceMs: 60_000,
    healthIntervalMs: 60_000,
    healthTimeoutMs: 1000,
    livenessFailures: 3,
    fenceGraceMs: 500,
    logger: log,
    now: () => performance.now(),
    secrets: { envNames: [], values: [] },
    ...(shimPath ? { shimPath } : {}),
  });
  return sup;
}

/** The real shim, made to linger 5 s after Jenkins exited (as if reaping its watchdog took that long). */
function lingeringShim(): string {
  const text = fs.readFileSync(DEFAULT_SHIM, 'utf8');
  const end = 'exit "$rc"\n';
  expect(text.endsWith(end)).toBe(true);
  const file = path.join(home, 'lingering-shim');
  fs.writeFileSync(file, `${text.slice(0, -end.length)}sleep 5\n${end}`);
  return file;
}

it('reports Jenkins stopped when its wait returned, not when the shim has exited', async () => {
  const s = supervisor('echo started; exec sleep 30', lingeringShim());
  s.launch({ epoch: 1, leaseMs: 60_000 });
  await waitFor(() => log.entries.some((e) => e.message === 'started'), { timeoutMs: 5000, what: 'Jenkins running' });
  const shimPid = s.status().pid;
  expect(shimPid).not.toBeNull();
  const t0 = performance.now();
  // A grace longer than the shim lingers: without the report the exit comes with the shim's, 5 s on.
  const exit = (await s.stop(10_000, 'test')) as JenkinsExit;
  expect(performance.now() - t0).toBeLessThan(2500);
  expect(exit.code).toBe(143); // sleep's SIGTERM, as the shim's own exit status said before
  expect(exit.expected).toBe(true);
  expect(s.status().state).toBe('stopped');
  // The group was SIGKILLed at the report: the lingering shim does not outlive it.
  await waitFor(() => !isProcessAlive(shimPid as number), { timeoutMs: 2000, what: 'the shim killed with its group' });
});

it('counts the reporting shim as a survivor until its own exit, without a /proc scan on the way', async () => {
  const s = supervisor('echo started; exec sleep 30', lingeringShim());
  s.launch({ epoch: 1, leaseMs: 60_000 });
  await waitFor(() => log.entries.some((e) => e.message === 'started'), { timeoutMs: 5000, what: 'Jenkins running' });
  const shimPid = s.status().pid as number;
  const scans = jest.spyOn(proc, 'liveGroupMembers');
  let atExit: ReturnType<JenkinsSupervisor['survivors']> | undefined;
  s.on('exit', () => (atExit = s.survivors()));
  await s.stop(10_000, 'test');
  expect(atExit).toEqual({ pgid: shimPid, pids: [shimPid], killedAt: expect.any(Number) });
  expect(scans).not.toHaveBeenCalled();
  // Once the shim's own exit is seen, the group is watched as before: nothing of it is left.
  await waitFor(() => s.survivors() === null, { timeoutMs: 2000, what: 'the group gone' });
  scans.mockRestore();
});

it('Jenkins cannot write the report: fd 4 is closed for it', async () => {
  const s = supervisor(`if { echo 'X 0' >&4; } 2>/dev/null; then echo fd4-open; else echo fd4-closed; fi; exec sleep 30`);
  s.launch({ epoch: 1, leaseMs: 60_000 });
  await waitFor(() => log.entries.some((e) => /^fd4-/.test(e.message)), { timeoutMs: 5000, what: "Jenkins' line about fd 4" });
  expect(log.entries.map((e) => e.message)).toContain('fd4-closed');
  expect(s.status().state).not.toBe('stopped');
});

it('a shim without the report (JHA_SHIM_EXIT_FD ignored) is still reported by its exit', async () => {
  const plain = path.join(home, 'plain-shim');
  fs.writeFileSync(plain, fs.readFileSync(DEFAULT_SHIM, 'utf8').replace(/^\[ "\$\{JHA_SHIM_EXIT_FD:-\}" = 4 \].*$/m, ''));
  expect(fs.readFileSync(plain, 'utf8')).not.toContain('>&4');
  const s = supervisor('echo started; exec sleep 30', plain);
  s.launch({ epoch: 1, leaseMs: 60_000 });
  await waitFor(() => log.entries.some((e) => e.message === 'started'), { timeoutMs: 5000, what: 'Jenkins running' });
  const exit = (await s.stop(10_000, 'test')) as JenkinsExit;
  expect(exit.code).toBe(143);
  expect(s.status().state).toBe('stopped');
});
