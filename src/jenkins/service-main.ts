/**
 * Service mode: the service's main process as the supervisor (./supervisor.ts) knows it. The
 * service shim reports its main pid (`PID <n>`); that pid gets SIGKILL when Jenkins is killed or
 * when it outlives its shim, so that "stopped" is true. A shim that exited before it reported the
 * pid leaves proof rounds (./service.ts proveStopped) until the service is proven stopped, each
 * failed round logged once per reason. In child mode no pid is ever reported: nothing to kill.
 */
import type { ChildProcess } from 'node:child_process';
import type { Logger } from '../logging/logger';
import { isProcessAlive, killMainPid } from '../util/proc';
import type { ServiceControl } from './service';

export interface ServiceMainOptions {
  logger: Logger;
  /** Monotonic ms. */
  now: () => number;
}

export class ServiceMain {
  /** The service's main pid, as the service shim reported it. */
  private pid: number | null = null;

  constructor(private readonly o: ServiceMainOptions) {}

  /** A new run: its main pid is not known yet. */
  reset(): void {
    this.pid = null;
  }

  /** The `PID <n>` line of a service shim; from a shim that is not the current one it is only its output. */
  reported(child: ChildProcess, pid: number, current: boolean): void {
    if (!current) return this.o.logger.info(`PID ${pid}`, { stream: 'stdout', jenkinsPid: child.pid });
    this.pid = pid;
    this.o.logger.info(`the Jenkins service runs with main pid ${pid}`, { event: 'jenkins.service_pid', pid, shimPid: child.pid });
  }

  /** SIGKILL the service's main pid, and its process group when it leads one. */
  kill(): void {
    if (this.pid !== null) killMainPid(this.pid);
  }

  /**
   * The shim exited: it exits once the main pid is gone; if the shim itself died first, the
   * service must not outlive it ("stopped" has to be true). Whether the main pid was known; it is
   * forgotten.
   */
  shimExited(): boolean {
    if (this.pid !== null && isProcessAlive(this.pid)) {
      this.o.logger.error('the service shim exited while the Jenkins service still ran; SIGKILL to its main pid', {
        event: 'jenkins.service_survivor',
        pid: this.pid,
      });
      this.kill();
    }
    const known = this.pid !== null;
    this.pid = null;
    return known;
  }

  /**
   * The shim `pgid` exited before it reported the main pid: proof rounds until the service is
   * proven stopped. `unproven` gets the reason of a failed round when it differs from the last.
   */
  async proveStopped(
    service: ServiceControl,
    pgid: number,
    code: number | null,
    signal: NodeJS.Signals | null,
    unproven: (reason: string) => void,
  ): Promise<void> {
    const log = this.o.logger;
    const t0 = this.o.now();
    log.warn(
      "the service shim exited before it knew the Jenkins service's main pid; " +
        'making sure the service is stopped before Jenkins counts as stopped',
      { event: 'jenkins.service_unknown', pid: pgid, code, signal },
    );
    let last = '';
    for (;;) {
      const proof = await service.proveStopped();
      if (proof.proven) {
        const ms = Math.round(this.o.now() - t0);
        log.info('the Jenkins service is proven stopped', { event: 'jenkins.service_proven_stopped', killed: proof.killed, ms });
        break;
      }
      if (proof.reason !== last) {
        last = proof.reason;
        unproven(proof.reason);
        log.error(
          `cannot prove the Jenkins service stopped (${proof.reason}); Jenkins stays "stopping" and the check is repeated. ` +
            'Check jenkins.servicePidCommand and jenkins.statusCommand, and stop the service by hand',
          { event: 'jenkins.service_unproven', reason: proof.reason },
        );
      }
    }
  }
}
