/**
 * Supervises one Jenkins process. Jenkins runs as `/bin/sh -c <command>` under the watchdog shim
 * (scripts/jenkins-ha-shim), which leads a process group of its own and kills it when the
 * controller stops renewing its lease or dies. This module spawns, probes readiness and liveness,
 * stops (SIGTERM to the group, SIGKILL after a grace), and reports exits; whether to restart is the
 * controller's decision. The only importer of child_process in src/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../logging/logger';
import { liveGroupMembers } from '../util/proc';
import { probeJenkins, type ProbeResult } from './health';

export type JenkinsState = 'stopped' | 'starting' | 'running' | 'stopping';

export interface JenkinsExit {
  code: number | null;
  signal: string | null;
  /** Monotonic ms. */
  at: number;
  /** True when we asked it to stop. */
  expected: boolean;
  reason: string;
}

export interface JenkinsStatus {
  state: JenkinsState;
  /** Pid of the shim = process group id of Jenkins. */
  pid: number | null;
  ready: boolean;
  epoch: number | null;
  startedAt: number | null;
  readyAt: number | null;
  version: string | null;
  lastProbeError: string | null;
  lastExit: JenkinsExit | null;
}

export interface SupervisorOptions {
  command: string;
  home: string;
  url: string;
  startTimeoutMs: number;
  healthIntervalMs: number;
  healthTimeoutMs: number;
  livenessFailures: number;
  /** Grace the shim gives Jenkins between SIGTERM and SIGKILL when it fences on its own. */
  fenceGraceMs: number;
  logger: Logger;
  now: () => number;
  shimPath?: string;
}

export interface LaunchOptions {
  epoch: number;
  /** Initial shim lease: how long Jenkins may live without a renewal. */
  leaseMs: number;
}

export interface SupervisorEvents {
  change: (status: JenkinsStatus) => void;
  exit: (exit: JenkinsExit) => void;
  unhealthy: (reason: string) => void;
}

/** Environment variables of the controller that Jenkins must not inherit (its /systemInfo page shows its environment). */
const PRIVATE_ENV = ['JHA_API_TOKEN', 'JHA_API_READ_TOKEN', 'JHA_ZK_AUTH', 'JHA_SHIM_COMMAND'];

export const DEFAULT_SHIM = path.resolve(__dirname, '..', '..', 'scripts', 'jenkins-ha-shim');

export class JenkinsSupervisor extends EventEmitter {
  private child: ChildProcess | null = null;
  private run = 0;
  private st: JenkinsStatus = {
    state: 'stopped',
    pid: null,
    ready: false,
    epoch: null,
    startedAt: null,
    readyAt: null,
    version: null,
    lastProbeError: null,
    lastExit: null,
  };
  private stopReason = '';
  private warm: ChildProcess | null = null;
  private disarmed = false;
  private killTimer: NodeJS.Timeout | null = null;
  private killAt = Infinity;
  private probeTimer: NodeJS.Timeout | null = null;
  private probeFailures = 0;
  private exitWaiters: Array<(e: JenkinsExit) => void> = [];
  private readonly log: Logger;

  constructor(private readonly opts: SupervisorOptions) {
    super();
    this.log = opts.logger;
  }

  status(): JenkinsStatus {
    return { ...this.st };
  }

  /**
   * Spawn an armed shim ahead of time (it waits for the go line), so that a takeover costs one
   * write on a pipe instead of a ~5 ms fork that blocks the event loop plus a bash start-up.
   */
  arm(): void {
    if (this.child || this.disarmed) return;
    if (this.warm && this.warm.exitCode === null && this.warm.signalCode === null) return;
    this.warm = this.spawnShim();
  }

  /** Drop the armed shim (shutdown, resign): it exits on EOF. */
  disarm(): void {
    this.disarmed = true;
    const w = this.warm;
    this.warm = null;
    w?.stdin?.end();
  }

  /** Start Jenkins under the shim (the armed one if there is one). Only valid when stopped. */
  launch(o: LaunchOptions): void {
    if (this.child) throw new Error(`cannot launch Jenkins while it is ${this.st.state}`);
    this.disarmed = false;
    const run = ++this.run;
    let child = this.warm;
    this.warm = null;
    if (!child || child.exitCode !== null || child.signalCode !== null || !child.stdin?.writable) child = this.spawnShim();
    this.child = child;
    this.stopReason = '';
    this.killAt = Infinity;
    this.probeFailures = 0;
    child.stdin?.write(`G ${Math.max(0, Math.floor(o.leaseMs))} ${o.epoch}\n`);
    child.on('error', (err) => {
      // spawn failure (no bash, no shim): there will be no 'exit' when pid is undefined
      if (child.pid === undefined) this.onExit(run, child, null, null, `spawn failed: ${err.message}`);
    });
    child.on('exit', (code, signal) => this.onExit(run, child, code, signal, ''));
    this.update({
      state: 'starting',
      pid: child.pid ?? null,
      ready: false,
      epoch: o.epoch,
      startedAt: this.opts.now(),
      readyAt: null,
      version: null,
      lastProbeError: null,
    });
    this.log.info('Jenkins spawned', {
      event: 'jenkins.started',
      pid: child.pid,
      epoch: o.epoch,
      command: this.opts.command,
      leaseMs: Math.floor(o.leaseMs),
    });
    this.scheduleProbe(run, 0);
  }

  private spawnShim(): ChildProcess {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of PRIVATE_ENV) delete env[k];
    env.JENKINS_HOME = this.opts.home;
    env.JHA_SHIM_COMMAND = this.opts.command;
    const shim = this.opts.shimPath ?? DEFAULT_SHIM;
    const child = spawn('bash', [shim, String(this.opts.fenceGraceMs)], {
      detached: true, // new session: the shim's pid is the process group id
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
      cwd: this.opts.home,
    });
    child.stdin?.on('error', () => undefined); // EPIPE when it exits between renewals
    child.on('error', () => undefined); // reported by launch() when it matters
    for (const [name, stream] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => this.log.info(line, { stream: name, jenkinsPid: child.pid }));
    }
    return child;
  }

  /** Extend the shim's lease to `ms` from now. */
  renewLease(ms: number): void {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) return;
    stdin.write(`L ${Math.max(0, Math.floor(ms))}\n`);
  }

  /**
   * Stop Jenkins: SIGTERM to its process group, SIGKILL after `graceMs`. Calling again with a
   * shorter grace brings the SIGKILL forward. Resolves with the exit (null if nothing ran).
   */
  stop(graceMs: number, reason: string): Promise<JenkinsExit | null> {
    const child = this.child;
    if (!child || child.pid === undefined) return Promise.resolve(null);
    const pgid = child.pid;
    const p = new Promise<JenkinsExit>((resolve) => this.exitWaiters.push(resolve));
    if (this.st.state !== 'stopping') {
      this.stopReason = reason;
      this.update({ state: 'stopping' });
      this.log.info(`stopping Jenkins: ${reason}`, { event: 'jenkins.stopping', pid: pgid, graceMs, reason });
      this.signalGroup(pgid, graceMs <= 0 ? 'SIGKILL' : 'SIGTERM');
    }
    const at = this.opts.now() + graceMs;
    if (at < this.killAt) {
      this.killAt = at;
      if (this.killTimer) clearTimeout(this.killTimer);
      this.killTimer = setTimeout(
        () => {
          if (this.child !== child) return;
          this.log.warn('Jenkins did not stop in time; SIGKILL to its process group', { event: 'jenkins.kill', pid: pgid, graceMs });
          this.signalGroup(pgid, 'SIGKILL');
        },
        Math.max(0, graceMs),
      );
    }
    return p;
  }

  private signalGroup(pgid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(-pgid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  private onExit(run: number, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, why: string): void {
    if (run !== this.run || this.child !== child) return;
    this.child = null;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = null;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    // Sweep anything Jenkins left in its group (build processes), then check the facts.
    const pgid = child.pid;
    if (pgid !== undefined) {
      this.signalGroup(pgid, 'SIGKILL');
      // Scanning /proc takes milliseconds: do it after the exit has been reported, off the
      // takeover path.
      setTimeout(() => {
        const left = liveGroupMembers(pgid);
        if (left.length > 0) {
          this.log.error('processes of the Jenkins group survive SIGKILL', { event: 'jenkins.group_survivors', pgid, pids: left });
        }
      }, 50);
    }
    const expected = this.st.state === 'stopping';
    const exit: JenkinsExit = {
      code,
      signal,
      at: this.opts.now(),
      expected,
      reason: why || (expected ? this.stopReason : 'exited unexpectedly'),
    };
    this.update({ state: 'stopped', pid: null, ready: false, lastExit: exit });
    this.log[expected ? 'info' : 'warn'](expected ? 'Jenkins stopped' : 'Jenkins exited unexpectedly', {
      event: expected ? 'jenkins.stopped' : 'jenkins.crashed',
      pid: pgid,
      code,
      signal,
      reason: exit.reason,
    });
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w(exit);
    this.emit('exit', exit);
    this.arm();
  }

  private scheduleProbe(run: number, inMs: number): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => void this.probe(run), inMs);
  }

  private async probe(run: number): Promise<void> {
    this.probeTimer = null;
    if (run !== this.run || !this.child) return;
    const state = this.st.state;
    if (state !== 'starting' && state !== 'running') return;
    const r: ProbeResult = await probeJenkins(this.opts.url, this.opts.healthTimeoutMs);
    if (run !== this.run || !this.child || (this.st.state !== 'starting' && this.st.state !== 'running')) return;
    const now = this.opts.now();
    if (this.st.state === 'starting') {
      if (r.ok) {
        this.update({ state: 'running', ready: true, readyAt: now, version: r.version ?? null, lastProbeError: null });
        this.log.info('Jenkins is ready', {
          event: 'jenkins.ready',
          pid: this.st.pid,
          version: r.version,
          startupMs: Math.round(now - (this.st.startedAt ?? now)),
        });
        this.scheduleProbe(run, this.opts.healthIntervalMs);
        return;
      }
      if (r.error !== this.st.lastProbeError) this.update({ lastProbeError: r.error ?? null });
      if (now - (this.st.startedAt ?? now) > this.opts.startTimeoutMs) {
        this.log.warn('Jenkins did not become ready in time', {
          event: 'jenkins.start_timeout',
          startTimeoutMs: this.opts.startTimeoutMs,
          lastError: r.error,
        });
        this.emit('unhealthy', `not ready within ${this.opts.startTimeoutMs} ms (${r.error ?? 'no answer'})`);
        return;
      }
      this.scheduleProbe(run, Math.min(250, this.opts.healthIntervalMs));
      return;
    }
    // running: liveness
    if (r.ok) {
      if (!this.st.ready || this.probeFailures > 0) {
        this.log.info('Jenkins answers again', { event: 'jenkins.ready', pid: this.st.pid });
      }
      this.probeFailures = 0;
      if (!this.st.ready || this.st.lastProbeError) this.update({ ready: true, lastProbeError: null });
    } else {
      this.probeFailures += 1;
      if (this.st.ready) {
        this.log.warn('Jenkins liveness probe failed', { event: 'jenkins.unready', pid: this.st.pid, error: r.error });
      }
      this.update({ ready: false, lastProbeError: r.error ?? null });
      if (this.probeFailures >= this.opts.livenessFailures) {
        this.emit('unhealthy', `${this.probeFailures} liveness probes failed (${r.error ?? 'no answer'})`);
        return;
      }
    }
    this.scheduleProbe(run, this.opts.healthIntervalMs);
  }

  private update(patch: Partial<JenkinsStatus>): void {
    this.st = { ...this.st, ...patch };
    this.emit('change', this.status());
  }

  override on<E extends keyof SupervisorEvents>(event: E, listener: SupervisorEvents[E]): this {
    return super.on(event, listener);
  }
}
