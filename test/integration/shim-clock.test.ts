/**
 * The watchdog shims (scripts/jenkins-ha-shim, scripts/jenkins-ha-service-shim) hold the
 * controller's lease on the monotonic clock: an NTP step of the wall clock, forward or back, must
 * neither fence a healthy Jenkins nor stretch the lease of a frozen controller.
 *
 * The real bash shims run under Debian's libfaketime, whose wall clock this test steps mid-run
 * (FAKETIME_TIMESTAMP_FILE re-read on every call); CLOCK_MONOTONIC and /proc/uptime are left
 * alone, as under a real NTP step. The test plays the controller on the shim's stdin: the go line,
 * then a renewal every 200 ms, as the supervisor does.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mono, REPO } from '../helpers/ha-node';
import { isAlive, waitForExit } from '../helpers/procs';
import { waitFor } from '../helpers/wait';

const LEASE = 1500;
const GRACE = 200;
const RENEW_EVERY = 200;

function libfaketime(): string {
  const base = '/usr/lib';
  for (const arch of fs.readdirSync(base)) {
    const p = path.join(base, arch, 'faketime', 'libfaketime.so.1');
    if (fs.existsSync(p)) return p;
  }
  throw new Error('libfaketime.so.1 not found under /usr/lib/*/faketime (apt-get install faketime)');
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Run {
  shim: ChildProcess;
  stderr: () => string;
  stepClock: (offset: string) => void;
  stopRenewing: () => number;
  jenkinsPid: () => Promise<number>;
  cleanup: () => Promise<void>;
}

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-shim-clock-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function startShim(kind: 'child' | 'service'): Run {
  const stamp = path.join(dir, 'faketime');
  fs.writeFileSync(stamp, '+0\n');
  const pidFile = path.join(dir, 'jenkins.pid');
  // The stand-in Jenkins keeps the real clock (a faked sleep(1) may end early on a step).
  const standin = `echo $$ >'${pidFile}'; exec env -u LD_PRELOAD sleep 600`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LD_PRELOAD: libfaketime(),
    FAKETIME_TIMESTAMP_FILE: stamp,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
    TMPDIR: dir,
    // The supervisor always sets it; the shims enter it themselves (the spawn runs in /).
    JENKINS_HOME: dir,
  };
  let script: string;
  if (kind === 'child') {
    script = 'jenkins-ha-shim';
    env.JHA_SHIM_COMMAND = standin;
  } else {
    script = 'jenkins-ha-service-shim';
    const svc = path.join(REPO, 'test', 'fixtures', 'fake-service.sh');
    env.FAKE_SERVICE_DIR = path.join(dir, 'service');
    env.FAKE_SERVICE_CMD = standin;
    env.JHA_SERVICE_START = `bash '${svc}' start`;
    env.JHA_SERVICE_STOP = `bash '${svc}' stop`;
    env.JHA_SERVICE_PID = `bash '${svc}' pid`;
  }
  // Through a preloaded env(1): libfaketime leaves a bash started directly (without the
  // FAKETIME_SHARED its first preloaded process exports) on the real clock, measured here.
  const shim = spawn('/usr/bin/env', ['bash', path.join(REPO, 'scripts', script), String(GRACE)], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
    cwd: dir,
  });
  shim.stdin?.on('error', () => undefined);
  let err = '';
  shim.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  shim.stdout?.resume();
  shim.stdin?.write(`G ${LEASE} 1\n`);
  let lastRenewal = mono();
  const timer = setInterval(() => {
    shim.stdin?.write(`L ${LEASE}\n`);
    lastRenewal = mono();
  }, RENEW_EVERY);
  const exited = new Promise<void>((r) => shim.once('exit', () => r()));
  return {
    shim,
    stderr: () => err,
    stepClock: (offset) => fs.writeFileSync(stamp, `${offset}\n`),
    stopRenewing: () => {
      clearInterval(timer);
      return lastRenewal;
    },
    jenkinsPid: () =>
      waitFor(
        () => {
          const n = Number(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : '');
          return n > 0 && isAlive(n) ? n : null;
        },
        { timeoutMs: 5000, what: `the Jenkins stand-in of the ${kind} shim` },
      ),
    cleanup: async () => {
      clearInterval(timer);
      const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').trim()) : 0;
      if (shim.exitCode === null && shim.signalCode === null) {
        try {
          process.kill(-shim.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
        await exited;
      }
      if (pid > 0 && isAlive(pid)) process.kill(pid, 'SIGKILL');
    },
  };
}

test('the harness moves the wall clock of a bash started as the shims are', () => {
  const stamp = path.join(dir, 'faketime');
  fs.writeFileSync(stamp, '+1h\n');
  const env = { PATH: process.env.PATH, LD_PRELOAD: libfaketime(), FAKETIME_TIMESTAMP_FILE: stamp, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
  const out = execFileSync('/usr/bin/env', ['bash', '-c', 'echo $EPOCHSECONDS; read -r up _ </proc/uptime; echo $up'], { env }).toString().split('\n');
  expect(Number(out[0]) - Date.now() / 1000).toBeGreaterThan(3500);
  // ...and leaves the monotonic clock the shims use alone.
  expect(Math.abs(Number(out[1]) - os.uptime())).toBeLessThan(5);
});

describe.each(['child', 'service'] as const)('the %s-mode shim', (kind) => {
  test('a wall-clock step of +1 h, then of -2 h, fences nothing; the lease still runs out on time', async () => {
    const run = startShim(kind);
    try {
      const pid = await run.jenkinsPid();
      // Forward: today's bash `read -t` judged its deadline on the wall clock and fenced at the
      // next renewal. Each observation window spans several renewals and most of a lease.
      run.stepClock('+1h');
      await pause(LEASE);
      expect(run.stderr()).not.toMatch(/shim: .*(lease|renewal|pipe closed)/);
      expect(isAlive(pid)).toBe(true);
      // Back two hours (to one hour behind): still healthy.
      run.stepClock('-1h');
      await pause(LEASE);
      expect(run.stderr()).not.toMatch(/shim: .*(lease|renewal|pipe closed)/);
      expect(isAlive(pid)).toBe(true);
      // The controller freezes right after a backward step: the watchdog ends Jenkins when the
      // lease runs out, neither earlier nor an hour later.
      const last = run.stopRenewing();
      expect(await waitForExit(pid, LEASE + GRACE + 2000)).toBe(true);
      const after = mono() - last;
      expect(after).toBeGreaterThanOrEqual(LEASE - 50);
      expect(after).toBeLessThan(LEASE + GRACE + 1500);
      // (Its report of why may be lost: the shim exits as soon as its Jenkins is gone.)
    } finally {
      await run.cleanup();
    }
  });
});
