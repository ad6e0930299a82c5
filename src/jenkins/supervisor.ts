/**
 * Supervises one Jenkins process. Jenkins runs as `/bin/sh -c <command>` under the watchdog shim
 * (scripts/jenkins-ha-shim), which leads a process group of its own and kills it when the
 * controller stops renewing its lease or dies. This module spawns, probes readiness and liveness,
 * stops (SIGTERM to the group, SIGKILL after a grace), and reports exits; whether to restart is the
 * controller's decision.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../logging/logger';
import { isProcessAlive, liveGroupMembers, readProcStat } from '../util/proc';
import { childEnv, type SecretScrub } from '../util/secrets';
import type { JenkinsClient } from './client';
import { runCommand } from './command';
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
  /** Set when the shim refused to start Jenkins (fencing layer 5: the flock was not free in time). */
  refused?: 'flock';
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
  /** A starting Jenkins that is not ready yet is no failure for this long. */
  startupGraceMs: number;
  healthIntervalMs: number;
  healthTimeoutMs: number;
  livenessFailures: number;
  /** Grace the shim gives Jenkins between SIGTERM and SIGKILL when it fences on its own. */
  fenceGraceMs: number;
  logger: Logger;
  now: () => number;
  shimPath?: string;
  /** Authenticated readiness (whoAmI) when the client has credentials. */
  client?: JenkinsClient;
  /** The user whoAmI must name. */
  user?: string;
  /**
   * Service mode: Jenkins is a service of a service manager, started and stopped by these
   * commands under the service watchdog shim (scripts/jenkins-ha-service-shim). Absent: child mode.
   */
  service?: ServiceCommands;
  /** Fencing layer 5: the shim holds an exclusive flock on `file` for Jenkins' whole life. */
  flock?: { file: string; waitMs: number; timeoutAction: 'refuse' | 'proceed' };
  /** Scrubbed from the environment of the shims, Jenkins and the service commands. */
  secrets: SecretScrub;
}

export interface ServiceCommands {
  start: string;
  stop: string;
  /** Prints the main pid (0 or nothing when the service does not run). */
  pid: string;
  /** Exits 0 while the service runs; empty = judge by the main pid. */
  status: string;
}

/** Exit status of the shim when it refused to start Jenkins (EX_TEMPFAIL). */
export const SHIM_REFUSED_EXIT = 75;

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

/**
 * Inherited variables dropped before the shim's own are set (an inherited JHA_SHIM_COMMAND must not
 * reach Jenkins). The secrets, which Jenkins' /systemInfo page would show, are opts.secrets.
 */
const SHIM_ENV = ['JHA_SHIM_COMMAND'];

export const DEFAULT_SHIM = path.resolve(__dirname, '..', '..', 'scripts', 'jenkins-ha-shim');
export const SERVICE_SHIM = path.resolve(__dirname, '..', '..', 'scripts', 'jenkins-ha-service-shim');

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
  /** Service mode: the service's main pid, as the service shim reported it. */
  private servicePid: number | null = null;
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
    this.servicePid = null;
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
      command: this.opts.service ? this.opts.service.start : this.opts.command,
      mode: this.opts.service ? 'service' : 'child',
      leaseMs: Math.floor(o.leaseMs),
    });
    this.scheduleProbe(run, 0);
  }

  private spawnShim(): ChildProcess {
    const env = childEnv(this.opts.secrets);
    for (const k of SHIM_ENV) delete env[k];
    env.JENKINS_HOME = this.opts.home;
    env.JHA_SHIM_COMMAND = this.opts.command;
    const svc = this.opts.service;
    if (svc) {
      env.JHA_SERVICE_START = svc.start;
      env.JHA_SERVICE_STOP = svc.stop;
      env.JHA_SERVICE_PID = svc.pid;
    }
    if (this.opts.flock) {
      env.JHA_FLOCK_FILE = this.opts.flock.file;
      env.JHA_FLOCK_WAIT_MS = String(this.opts.flock.waitMs);
      env.JHA_FLOCK_TIMEOUT_ACTION = this.opts.flock.timeoutAction;
    }
    const shim = this.opts.shimPath ?? (svc ? SERVICE_SHIM : DEFAULT_SHIM);
    const child = spawn('bash', [shim, String(this.opts.fenceGraceMs)], {
      detached: true, // new session: the shim's pid is the process group id
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
      // Not the home: node's spawn blocks its event loop until the child's chdir and exec are
      // done, and a chdir on a hung mount never is. The shim enters JENKINS_HOME itself.
      cwd: '/',
    });
    child.stdin?.on('error', () => undefined); // EPIPE when it exits between renewals
    child.on('error', () => undefined); // reported by launch() when it matters
    for (const [name, stream] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        const m = name === 'stdout' && svc ? /^PID (\d+)$/.exec(line) : null;
        if (m && child === this.child) {
          this.servicePid = Number(m[1]);
          this.log.info(`the Jenkins service runs with main pid ${this.servicePid}`, { event: 'jenkins.service_pid', pid: this.servicePid, shimPid: child.pid });
          return;
        }
        this.logShimLine(line, name, child.pid);
      });
    }
    return child;
  }

  /** Jenkins' output, and the shim's own lines; its flock lines are events (a proceed is loud). */
  private logShimLine(line: string, stream: string, jenkinsPid: number | undefined): void {
    const m = /^jenkins-ha-shim: flock (acquired|proceed|refused)/.exec(line);
    if (!m) return this.log.info(line, { stream, jenkinsPid });
    const fields = { stream, jenkinsPid, event: `lock.flock_${m[1]}`, file: this.opts.flock?.file };
    if (m[1] === 'acquired') this.log.info(line, fields);
    else this.log.error(line, fields);
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
      // Service mode: SIGTERM makes the service shim run the stop command.
      if (graceMs <= 0) this.killServiceMain();
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
          this.killServiceMain();
          this.signalGroup(pgid, 'SIGKILL');
        },
        Math.max(0, graceMs),
      );
    }
    return p;
  }

  /**
   * Service mode: whether the service runs (statusCommand exits 0, or without one a live main pid
   * from servicePidCommand). Null in child mode or when the command could not tell.
   */
  async serviceRunning(timeoutMs: number): Promise<boolean | null> {
    const svc = this.opts.service;
    if (!svc) return null;
    if (svc.status !== '') {
      const r = await runCommand(svc.status, { timeoutMs, cwd: this.opts.home, env: childEnv(this.opts.secrets) });
      return r.timedOut || r.code === null ? null : r.code === 0;
    }
    const pid = await this.queryServicePid(timeoutMs);
    return pid === null ? null : pid > 0 && isProcessAlive(pid);
  }

  /**
   * Service mode: stop a service that runs although this node does not run Jenkins (e.g. the
   * unit is enabled at boot): the stop command bounded by `timeoutMs`, then SIGKILL its main pid.
   * Only while no Jenkins of ours runs here.
   */
  async stopStrayService(timeoutMs: number): Promise<void> {
    const svc = this.opts.service;
    if (!svc || this.child) return;
    const before = await this.queryServicePid(Math.min(timeoutMs, 2000));
    const r = await runCommand(svc.stop, { timeoutMs, cwd: this.opts.home, env: childEnv(this.opts.secrets) });
    if (this.child) return;
    for (const pid of [before, await this.queryServicePid(Math.min(timeoutMs, 2000))]) {
      if (pid !== null && pid > 0 && isProcessAlive(pid)) {
        if (readProcStat(pid)?.pgid === pid) this.signalGroup(pid, 'SIGKILL');
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    this.log.warn('stopped a Jenkins service that ran outside jenkins-ha', { event: 'jenkins.stray_service_stopped', pid: before, stopExit: r.code, stopTimedOut: r.timedOut });
  }

  private async queryServicePid(timeoutMs: number): Promise<number | null> {
    const svc = this.opts.service;
    if (!svc) return null;
    const r = await runCommand(svc.pid, { timeoutMs, cwd: this.opts.home, env: childEnv(this.opts.secrets) });
    if (r.code !== 0) return null;
    const n = Number(r.output.trim().split(/\s+/)[0] ?? '');
    return Number.isInteger(n) && n >= 0 ? n : null;
  }

  /** Service mode: SIGKILL the service's main pid, and its process group when it leads one. */
  private killServiceMain(): void {
    const pid = this.servicePid;
    if (pid === null || !isProcessAlive(pid)) return;
    if (readProcStat(pid)?.pgid === pid) this.signalGroup(pid, 'SIGKILL');
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
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
    // Service mode: the shim exits once the main pid is gone; if the shim itself died first, the
    // service must not outlive it ("stopped" has to be true).
    if (this.servicePid !== null && isProcessAlive(this.servicePid)) {
      this.log.error('the service shim exited while the Jenkins service still ran; SIGKILL to its main pid', { event: 'jenkins.service_survivor', pid: this.servicePid });
      this.killServiceMain();
    }
    this.servicePid = null;
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
    const refused = !expected && this.opts.flock !== undefined && code === SHIM_REFUSED_EXIT;
    const exit: JenkinsExit = {
      code,
      signal,
      at: this.opts.now(),
      expected,
      reason:
        why ||
        (refused
          ? `not started: ${this.opts.flock?.file ?? 'the flock file'} is locked by another process (waited ${this.opts.flock?.waitMs ?? 0} ms)`
          : expected
            ? this.stopReason
            : 'exited unexpectedly'),
      ...(refused ? { refused: 'flock' as const } : {}),
    };
    this.update({ state: 'stopped', pid: null, ready: false, lastExit: exit });
    this.log[expected ? 'info' : 'warn'](expected ? 'Jenkins stopped' : refused ? 'Jenkins not started: the shim could not take the flock' : 'Jenkins exited unexpectedly', {
      event: expected ? 'jenkins.stopped' : refused ? 'jenkins.refused' : 'jenkins.crashed',
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
    const r: ProbeResult = await probeJenkins(this.opts.url, this.opts.healthTimeoutMs, this.opts.client, this.opts.user);
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
      if (now - (this.st.startedAt ?? now) > this.opts.startupGraceMs) {
        this.log.warn('Jenkins did not become ready within its start-up grace', {
          event: 'jenkins.start_timeout',
          startupGraceMs: this.opts.startupGraceMs,
          lastError: r.error,
        });
        this.emit('unhealthy', `not ready within the start-up grace of ${this.opts.startupGraceMs} ms (${r.error ?? 'no answer'})`);
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
