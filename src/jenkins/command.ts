/**
 * Run one shell command line (`/bin/sh -c`) in a process group of its own, bounded by a timeout
 * (SIGKILL to the whole group when it runs out). Used for the service-mode commands and the
 * eligibility preflight. The command runs in `cwd`, entered by the shell, never by the spawn.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  /** Exit code; null when it was killed (timeout) or could not start. */
  code: number | null;
  timedOut: boolean;
  /** stdout + stderr, the last 2000 characters. */
  output: string;
}

/** `env` is the child's whole environment: callers pass one without the secrets (util/secrets childEnv). */
export function runCommand(command: string, o: { timeoutMs: number; cwd?: string; env: NodeJS.ProcessEnv }): Promise<CommandResult> {
  return new Promise((resolve) => {
    // The shell enters `cwd` itself: node's spawn stops the event loop until the child's chdir and
    // exec are done, and a chdir into a hung JENKINS_HOME never is (the timeout below ends it).
    const args = o.cwd === undefined ? ['-c', command] : ['-c', 'cd -- "$1" || exit 1; exec /bin/sh -c "$2"', 'jenkins-ha', o.cwd, command];
    const child = spawn('/bin/sh', args, {
      ...(o.cwd !== undefined ? { cwd: '/' } : {}),
      env: o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    const add = (c: Buffer): void => {
      out = (out + c.toString('utf8')).slice(-2000);
    };
    child.stdout?.on('data', add);
    child.stderr?.on('data', add);
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, o.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(t);
      resolve({ code: null, timedOut: false, output: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: timedOut ? null : code, timedOut, output: out });
    });
  });
}
