/**
 * Supervises one Jenkins process. Jenkins runs as `/bin/sh -c <command>` under the watchdog shim
 * (./shim.ts), which leads a process group of its own and kills it when the controller stops
 * renewing its lease or dies. This module launches, stops (SIGTERM to the group, SIGKILL after a
 * grace), and reports the state and exits; the shim spawned ahead of a launch is ./armed-shim.ts,
 * the probes ./readiness.ts, the service-mode commands ./service.ts. Whether to restart is the
 * controller's decision. "stopped" is a fact: in service mode a shim that exited without knowing
 * the service's main pid leaves Jenkins "stopping" until the service is proven stopped
 * (./service-main.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Logger } from '../logging/logger';
import { signalGroup } from '../util/proc';
import { ArmedShim } from './armed-shim';
import { ReadinessProbe } from './readiness';
import { ServiceControl } from './service';
import { ServiceMain } from './service-main';
import { goLine, handoffLine, renewLine, ShimSpawner, SHIM_REFUSED_EXIT } from './shim';
import type { GroupSurvivors, JenkinsExit, JenkinsStatus, LaunchOptions } from './status';
import type { SupervisorEvents, SupervisorOptions } from './supervisor-options';
import { SurvivorWatch } from './survivors';

export type { GroupSurvivors, JenkinsExit, JenkinsState, JenkinsStatus, LaunchOptions } from './status';
export type { ServiceCommands } from './service';
export { DEFAULT_SHIM, SERVICE_SHIM, SESSION_CLOSER, SHIM_REFUSED_EXIT } from './shim';

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
    serviceProof: null,
  };
  private stopReason = '';
  private killTimer: NodeJS.Timeout | null = null;
  private killAt = Infinity;
  private exitWaiters: Array<(e: JenkinsExit) => void> = [];
  /** Service mode: the shim is gone but the service is not proven stopped yet. */
  private proving = false;
  private readonly log: Logger;
  private readonly armed: ArmedShim;
  private readonly probe: ReadinessProbe;
  private readonly service: ServiceControl | null;
  /** Service mode: the service's main pid (never reported in child mode). */
  private readonly main: ServiceMain;
  private readonly left: SurvivorWatch;

  constructor(private readonly opts: SupervisorOptions) {
    super();
    this.log = opts.logger;
    const shims = new ShimSpawner({
      command: opts.command,
      home: opts.home,
      fenceGraceMs: opts.fenceGraceMs,
      secrets: opts.secrets,
      logger: opts.logger,
      ...(opts.shimPath !== undefined ? { shimPath: opts.shimPath } : {}),
      ...(opts.service ? { service: opts.service } : {}),
      ...(opts.flock ? { flock: opts.flock } : {}),
      ...(opts.handoff ? { closer: { node: opts.handoff.node, script: opts.handoff.script } } : {}),
      onServicePid: (child, pid) => this.main.reported(child, pid, child === this.child),
    });
    this.armed = new ArmedShim({ shims, busy: () => this.child !== null || this.proving });
    this.probe = new ReadinessProbe({
      url: opts.url,
      startupGraceMs: opts.startupGraceMs,
      healthIntervalMs: opts.healthIntervalMs,
      healthTimeoutMs: opts.healthTimeoutMs,
      livenessFailures: opts.livenessFailures,
      ...(opts.client ? { client: opts.client } : {}),
      ...(opts.user !== undefined ? { user: opts.user } : {}),
      now: opts.now,
      logger: opts.logger,
      status: () => this.st,
      update: (patch) => this.update(patch),
      current: (run) => run === this.run && this.child !== null,
      unhealthy: (reason) => this.emit('unhealthy', reason),
    });
    this.left = new SurvivorWatch({ logger: opts.logger, now: opts.now });
    this.service = opts.service
      ? new ServiceControl({ service: opts.service, home: opts.home, secrets: opts.secrets, logger: opts.logger, now: opts.now })
      : null;
    this.main = new ServiceMain({ logger: opts.logger, now: opts.now });
  }

  status(): JenkinsStatus {
    return { ...this.st };
  }

  /** Processes of the last Jenkins group alive after its SIGKILL (re-checked now), or null. */
  survivors(): GroupSurvivors | null {
    return this.left.current();
  }

  /** Spawn an armed shim ahead of time (./armed-shim.ts): a takeover then costs one write on a pipe. */
  arm(): void {
    this.armed.arm();
  }

  /** Drop the armed shim (shutdown, resign): it exits on EOF. */
  disarm(): void {
    this.armed.disarm();
  }

  /** Start Jenkins under the shim (the armed one if there is one). Only valid when stopped. */
  launch(o: LaunchOptions): void {
    if (this.child || this.proving) throw new Error(`cannot launch Jenkins while it is ${this.st.state}`);
    const run = ++this.run;
    const child = this.armed.take();
    this.child = child;
    this.stopReason = '';
    this.killAt = Infinity;
    this.main.reset();
    child.stdin?.write(goLine(o.leaseMs, o.epoch));
    this.handOff(child, o.epoch);
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
    this.probe.start(run);
  }

  /** A new ZooKeeper session: the running shim's closer must know it (its id and password changed). */
  refreshHandoff(): void {
    if (this.child && this.st.epoch !== null) this.handOff(this.child, this.st.epoch);
  }

  private handOff(child: ChildProcess, epoch: number): void {
    const payload = this.opts.service ? null : this.opts.handoff?.payload(epoch);
    const stdin = child.stdin;
    if (!payload || !stdin || stdin.destroyed || !stdin.writable) return;
    stdin.write(handoffLine(payload));
  }

  /** Extend the shim's lease to `ms` from now. */
  renewLease(ms: number): void {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) return;
    stdin.write(renewLine(ms));
  }

  /**
   * Stop Jenkins: SIGTERM to its process group, SIGKILL after `graceMs`. Calling again with a
   * shorter grace brings the SIGKILL forward. Resolves with the exit (null if nothing ran).
   */
  stop(graceMs: number, reason: string): Promise<JenkinsExit | null> {
    if (this.proving) return new Promise<JenkinsExit>((resolve) => this.exitWaiters.push(resolve));
    const child = this.child;
    if (!child || child.pid === undefined) return Promise.resolve(null);
    const pgid = child.pid;
    const p = new Promise<JenkinsExit>((resolve) => this.exitWaiters.push(resolve));
    if (this.st.state !== 'stopping') {
      this.stopReason = reason;
      this.update({ state: 'stopping' });
      this.log.info(`stopping Jenkins: ${reason}`, { event: 'jenkins.stopping', pid: pgid, graceMs, reason });
      // Service mode: SIGTERM makes the service shim run the stop command.
      if (graceMs <= 0) this.main.kill();
      if (graceMs <= 0) this.left.killed(pgid);
      signalGroup(pgid, graceMs <= 0 ? 'SIGKILL' : 'SIGTERM');
    }
    const at = this.opts.now() + graceMs;
    if (at < this.killAt) {
      this.killAt = at;
      if (this.killTimer) clearTimeout(this.killTimer);
      this.killTimer = setTimeout(
        () => {
          if (this.child !== child) return;
          this.log.warn('Jenkins did not stop in time; SIGKILL to its process group', { event: 'jenkins.kill', pid: pgid, graceMs });
          this.main.kill();
          this.left.killed(pgid);
          signalGroup(pgid, 'SIGKILL');
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
    return this.service ? this.service.running(timeoutMs) : null;
  }

  /**
   * Service mode: stop a service that runs although this node does not run Jenkins (e.g. the
   * unit is enabled at boot): the stop command bounded by `timeoutMs`, then SIGKILL its main pid.
   * Only while no Jenkins of ours runs here.
   */
  async stopStrayService(timeoutMs: number): Promise<void> {
    if (!this.service || this.child || this.proving) return;
    await this.service.stopStray(timeoutMs, () => this.child === null);
  }

  private onExit(run: number, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, why: string): void {
    if (run !== this.run || this.child !== child) return;
    this.child = null;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = null;
    this.probe.cancel();
    // Sweep anything Jenkins left in its group (build processes), then check the facts.
    const pgid = child.pid;
    // Service mode: a main pid that outlived its shim gets SIGKILL.
    const knownMain = this.main.shimExited();
    const unknownService = this.service !== null && !knownMain && pgid !== undefined;
    if (pgid !== undefined) {
      signalGroup(pgid, 'SIGKILL');
      // What outlives the SIGKILL is watched (and logged 50 ms later, off the takeover path).
      this.left.exited(pgid);
    }
    const expected = this.st.state === 'stopping';
    if (unknownService) {
      void this.proveServiceStopped(pgid, code, signal, expected);
      return;
    }
    this.reportExit(pgid, code, signal, why, expected);
  }

  /**
   * Service mode: the shim exited before it reported the service's main pid (e.g. a fence during
   * the start: the group kill took the shim and its stop command, the service runs outside the
   * group). Jenkins stays "stopping" until the service is proven stopped; each failed round is
   * reported, and the proof is tried again.
   */
  private async proveServiceStopped(pgid: number, code: number | null, signal: NodeJS.Signals | null, expected: boolean): Promise<void> {
    const service = this.service;
    if (!service) return;
    this.proving = true;
    if (this.st.state !== 'stopping') this.update({ state: 'stopping' });
    await this.main.proveStopped(service, pgid, code, signal, (reason) => this.update({ serviceProof: reason }));
    this.proving = false;
    if (this.st.serviceProof !== null) this.update({ serviceProof: null });
    this.reportExit(pgid, code, signal, '', expected);
  }

  private reportExit(pgid: number | undefined, code: number | null, signal: NodeJS.Signals | null, why: string, expected: boolean): void {
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
    const message = expected ? 'Jenkins stopped' : refused ? 'Jenkins not started: the shim could not take the flock' : 'Jenkins exited unexpectedly';
    this.log[expected ? 'info' : 'warn'](message, {
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
    this.armed.rearmSoon();
  }

  private update(patch: Partial<JenkinsStatus>): void {
    this.st = { ...this.st, ...patch };
    this.emit('change', this.status());
  }

  override on<E extends keyof SupervisorEvents>(event: E, listener: SupervisorEvents[E]): this {
    return super.on(event, listener);
  }
}
