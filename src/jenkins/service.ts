/**
 * Service mode: Jenkins is a service of the host's service manager (systemd), reached through
 * jenkins.startCommand / stopCommand / servicePidCommand / statusCommand. This part runs the
 * status, pid and stop commands itself (bounded, without the secrets): is the service running,
 * stop a service that runs outside jenkins-ha, prove it stopped after its shim exited without
 * knowing its main pid. Starting it is the service shim's job (./shim.ts).
 */
import type { Logger } from '../logging/logger';
import { isProcessAlive, killMainPid } from '../util/proc';
import { childEnv, type SecretScrub } from '../util/secrets';
import { runCommand } from './command';

/**
 * How long after its start command the service manager may take to report the main pid. The
 * service shim gives up on a start after this; a proof that the service is stopped watches the
 * pid command this long when the main pid was never reported.
 */
export const SERVICE_PID_WAIT_MS = 10000;
/** Bound of one pid or status command in a proof, and the pause between two looks. */
const STEP_MS = 2000;
const POLL_MS = 200;

/** A proof that the service is stopped; `killed`: the main pids it had to SIGKILL. */
export type StopProof = { proven: true; killed: number[] } | { proven: false; killed: number[]; reason: string };

export interface ServiceCommands {
  start: string;
  stop: string;
  /** Prints the main pid (0 or nothing when the service does not run). */
  pid: string;
  /** Exits 0 while the service runs; empty = judge by the main pid. */
  status: string;
}

export interface ServiceControlOptions {
  service: ServiceCommands;
  /** The commands' working directory (JENKINS_HOME). */
  home: string;
  /** Scrubbed from the commands' environment. */
  secrets: SecretScrub;
  logger: Logger;
  /** Monotonic ms. */
  now: () => number;
}

export class ServiceControl {
  constructor(private readonly o: ServiceControlOptions) {}

  /**
   * Whether the service runs (statusCommand exits 0, or without one a live main pid from
   * servicePidCommand). Null when the command could not tell.
   */
  async running(timeoutMs: number): Promise<boolean | null> {
    const svc = this.o.service;
    if (svc.status !== '') {
      const r = await this.run(svc.status, timeoutMs);
      return r.timedOut || r.code === null ? null : r.code === 0;
    }
    const pid = await this.mainPid(timeoutMs);
    return pid === null ? null : pid > 0 && isProcessAlive(pid);
  }

  /**
   * Stop a service that runs although this node does not run Jenkins (e.g. the unit is enabled at
   * boot): the stop command bounded by `timeoutMs`, then SIGKILL of its main pid. `idle` says
   * whether that is still true; when it stops being true the kill is skipped.
   */
  async stopStray(timeoutMs: number, idle: () => boolean): Promise<void> {
    const before = await this.mainPid(Math.min(timeoutMs, 2000));
    const r = await this.run(this.o.service.stop, timeoutMs);
    if (!idle()) return;
    for (const pid of [before, await this.mainPid(Math.min(timeoutMs, 2000))]) {
      if (pid !== null && pid > 0) killMainPid(pid);
    }
    this.o.logger.warn('stopped a Jenkins service that ran outside jenkins-ha', { event: 'jenkins.stray_service_stopped', pid: before, stopExit: r.code, stopTimedOut: r.timedOut });
  }

  /**
   * Make sure the service is stopped when its shim is gone and never knew the main pid (a fence
   * before the manager reported it: the shim and its stop command died in the group kill, the
   * service runs outside the group). Runs the stop command, and watches servicePidCommand for
   * SERVICE_PID_WAIT_MS, SIGKILLing every main pid it reports. Proven when the pid command reports
   * none (and statusCommand, if set, says not running) after a main pid was seen and killed, or at
   * the end of the watch; else not proven (call again).
   */
  async proveStopped(): Promise<StopProof> {
    const o = this.o;
    const deadline = o.now() + SERVICE_PID_WAIT_MS;
    const stopping = this.run(o.service.stop, SERVICE_PID_WAIT_MS);
    const killed: number[] = [];
    let why = 'the pid command failed';
    for (;;) {
      const pid = await this.mainPid(STEP_MS);
      if (pid !== null && pid > 0 && isProcessAlive(pid)) {
        killMainPid(pid);
        killed.push(pid);
        o.logger.warn(`the Jenkins service's main pid ${pid} became known after its shim was gone; SIGKILL`, { event: 'jenkins.service_late_pid_killed', pid });
        why = `main pid ${pid} was alive`;
      } else if (pid !== null) {
        const over = o.now() >= deadline;
        if (killed.length > 0 || over) {
          const running = o.service.status === '' ? false : await this.running(STEP_MS);
          if (running === false) {
            await stopping;
            return { proven: true, killed };
          }
          why = running === null ? 'the status command could not tell' : 'the status command says it runs';
        } else {
          why = `no main pid reported yet (watching ${SERVICE_PID_WAIT_MS} ms for a late one)`;
        }
      }
      if (o.now() >= deadline) {
        const r = await stopping;
        return { proven: false, killed, reason: `${why}; stop command ${r.timedOut ? 'timed out' : `exited ${r.code ?? 'abnormally'}`}` };
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** The main pid servicePidCommand prints (0: none); null when it failed or printed no number. */
  async mainPid(timeoutMs: number): Promise<number | null> {
    const r = await this.run(this.o.service.pid, timeoutMs);
    if (r.code !== 0) return null;
    const n = Number(r.output.trim().split(/\s+/)[0] ?? '');
    return Number.isInteger(n) && n >= 0 ? n : null;
  }

  private run(command: string, timeoutMs: number): ReturnType<typeof runCommand> {
    return runCommand(command, { timeoutMs, cwd: this.o.home, env: childEnv(this.o.secrets) });
  }
}
