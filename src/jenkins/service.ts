/**
 * Service mode: Jenkins is a service of the host's service manager (systemd), reached through
 * jenkins.startCommand / stopCommand / servicePidCommand / statusCommand. This part runs the
 * status, pid and stop commands itself (bounded, without the secrets): is the service running,
 * stop a service that runs outside jenkins-ha, SIGKILL a main pid. Starting it is the service
 * shim's job (./shim.ts).
 */
import type { Logger } from '../logging/logger';
import { isProcessAlive, killMainPid } from '../util/proc';
import { childEnv, type SecretScrub } from '../util/secrets';
import { runCommand } from './command';

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
