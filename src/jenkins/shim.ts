/**
 * Spawns the watchdog shim that Jenkins runs under: scripts/jenkins-ha-shim (child mode: the shim
 * leads Jenkins' process group) or scripts/jenkins-ha-service-shim (service mode: it starts the
 * service and reports its main pid). The shim is spawned armed: it waits for the go line on stdin
 * (`G <lease-ms> <epoch>`), then takes `L <ms>` renewals. Its output becomes log lines; the
 * service shim's `PID <n>` line is handed to `onServicePid`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../logging/logger';
import { childEnv, type SecretScrub } from '../util/secrets';
import { SERVICE_PID_WAIT_MS, type ServiceCommands } from './service';

export const DEFAULT_SHIM = path.resolve(__dirname, '..', '..', 'scripts', 'jenkins-ha-shim');
export const SERVICE_SHIM = path.resolve(__dirname, '..', '..', 'scripts', 'jenkins-ha-service-shim');
/** The closer a child-mode shim starts when its controller died (dist/session-closer.js). */
export const SESSION_CLOSER = path.resolve(__dirname, '..', 'session-closer.js');

/** Exit status of the shim when it refused to start Jenkins (EX_TEMPFAIL). */
export const SHIM_REFUSED_EXIT = 75;

/**
 * Inherited variables dropped before the shim's own are set (an inherited JHA_SHIM_COMMAND must not
 * reach Jenkins). The secrets, which Jenkins' /systemInfo page would show, are opts.secrets.
 */
const SHIM_ENV = ['JHA_SHIM_COMMAND', 'JHA_SHIM_CLOSER', 'JHA_SHIM_CLOSER_NODE'];

export interface ShimOptions {
  command: string;
  home: string;
  /** Grace the shim gives Jenkins between SIGTERM and SIGKILL when it fences on its own. */
  fenceGraceMs: number;
  /** Default: the child-mode or service-mode shim of scripts/. */
  shimPath?: string;
  /** Service mode: the service shim gets these commands. */
  service?: ServiceCommands;
  /** Fencing layer 5: the shim holds an exclusive flock on `file` for Jenkins' whole life. */
  flock?: { file: string; waitMs: number; timeoutAction: 'refuse' | 'proceed' };
  /**
   * Crash hand-off (docs/safety.md): the node binary and closer script the shim runs when its
   * controller's pipe closes. Only paths: the session itself comes on stdin (handoffLine).
   */
  closer?: { node: string; script: string };
  /** Scrubbed from the environment of the shim and so of Jenkins and the service commands. */
  secrets: SecretScrub;
  logger: Logger;
  /** Service mode: the shim `child` reported the service's main pid. */
  onServicePid: (child: ChildProcess, pid: number) => void;
}

/** The go line that starts Jenkins under an armed shim. */
export function goLine(leaseMs: number, epoch: number): string {
  return `G ${Math.max(0, Math.floor(leaseMs))} ${epoch}\n`;
}

/** The crash hand-off: the session the shim's closer may close once the controller is dead. */
export function handoffLine(payload: string): string {
  return `S ${payload}\n`;
}

/** A lease renewal: Jenkins may live `ms` more from now. */
export function renewLine(ms: number): string {
  return `L ${Math.max(0, Math.floor(ms))}\n`;
}

export class ShimSpawner {
  constructor(private readonly o: ShimOptions) {}

  /** Spawn an armed shim in a session of its own (its pid is the process group id). */
  spawn(): ChildProcess {
    const o = this.o;
    const env = childEnv(o.secrets);
    for (const k of SHIM_ENV) delete env[k];
    env.JENKINS_HOME = o.home;
    env.JHA_SHIM_COMMAND = o.command;
    const svc = o.service;
    if (svc) {
      env.JHA_SERVICE_START = svc.start;
      env.JHA_SERVICE_STOP = svc.stop;
      env.JHA_SERVICE_PID = svc.pid;
      env.JHA_SERVICE_PID_WAIT_MS = String(SERVICE_PID_WAIT_MS);
    }
    if (o.flock) {
      env.JHA_FLOCK_FILE = o.flock.file;
      env.JHA_FLOCK_WAIT_MS = String(o.flock.waitMs);
      env.JHA_FLOCK_TIMEOUT_ACTION = o.flock.timeoutAction;
    }
    if (o.closer && !svc) {
      env.JHA_SHIM_CLOSER_NODE = o.closer.node;
      env.JHA_SHIM_CLOSER = o.closer.script;
    }
    const shim = o.shimPath ?? (svc ? SERVICE_SHIM : DEFAULT_SHIM);
    const child = spawn('bash', [shim, String(o.fenceGraceMs)], {
      detached: true, // new session: the shim's pid is the process group id
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
      // Not the home: node's spawn blocks its event loop until the child's chdir and exec are
      // done, and a chdir on a hung mount never is. The shim enters JENKINS_HOME itself.
      cwd: '/',
    });
    child.stdin?.on('error', () => undefined); // EPIPE when it exits between renewals
    child.on('error', () => undefined); // reported by the supervisor's launch() when it matters
    for (const [name, stream] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        const m = name === 'stdout' && svc ? /^PID (\d+)$/.exec(line) : null;
        if (m) return o.onServicePid(child, Number(m[1]));
        this.logLine(line, name, child.pid);
      });
    }
    return child;
  }

  /** Jenkins' output, and the shim's own lines; its flock lines are events (a proceed is loud). */
  private logLine(line: string, stream: string, jenkinsPid: number | undefined): void {
    const m = /^jenkins-ha-shim: flock (acquired|proceed|refused)/.exec(line);
    if (!m) return this.o.logger.info(line, { stream, jenkinsPid });
    const fields = { stream, jenkinsPid, event: `lock.flock_${m[1]}`, file: this.o.flock?.file };
    if (m[1] === 'acquired') this.o.logger.info(line, fields);
    else this.o.logger.error(line, fields);
  }
}
