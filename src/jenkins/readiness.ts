/**
 * The probe loop of one Jenkins run: while it starts, probe often until it answers (ready) or its
 * start-up grace runs out; while it runs, probe every healthIntervalMs and call it unhealthy after
 * livenessFailures failures in a row. Whether to restart is the controller's decision: this only
 * reports. It reads and patches the supervisor's status through the callbacks.
 */
import type { Logger } from '../logging/logger';
import type { JenkinsClient } from './client';
import { probeJenkins, type ProbeResult } from './health';
import type { JenkinsStatus } from './status';

export interface ReadinessOptions {
  url: string;
  /** A starting Jenkins that is not ready yet is no failure for this long. */
  startupGraceMs: number;
  healthIntervalMs: number;
  healthTimeoutMs: number;
  livenessFailures: number;
  /** Authenticated readiness (whoAmI) when the client has credentials. */
  client?: JenkinsClient;
  /** The user whoAmI must name. */
  user?: string;
  now: () => number;
  logger: Logger;
  /** The supervisor's status now. */
  status: () => JenkinsStatus;
  update: (patch: Partial<JenkinsStatus>) => void;
  /** Whether `run` is still the current run (a stopped or replaced Jenkins is not probed). */
  current: (run: number) => boolean;
  unhealthy: (reason: string) => void;
}

export class ReadinessProbe {
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;

  constructor(private readonly o: ReadinessOptions) {}

  /** A new run: probe it at once. */
  start(run: number): void {
    this.failures = 0;
    this.schedule(run, 0);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(run: number, inMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.probe(run), inMs);
  }

  private probing(run: number): boolean {
    const state = this.o.status().state;
    return this.o.current(run) && (state === 'starting' || state === 'running');
  }

  private async probe(run: number): Promise<void> {
    this.timer = null;
    const o = this.o;
    if (!this.probing(run)) return;
    const r: ProbeResult = await probeJenkins(o.url, o.healthTimeoutMs, o.client, o.user);
    if (!this.probing(run)) return;
    const now = o.now();
    const st = o.status();
    if (st.state === 'starting') {
      if (r.ok) {
        o.update({ state: 'running', ready: true, readyAt: now, version: r.version ?? null, lastProbeError: null });
        o.logger.info('Jenkins is ready', {
          event: 'jenkins.ready',
          pid: st.pid,
          version: r.version,
          startupMs: Math.round(now - (st.startedAt ?? now)),
        });
        this.schedule(run, o.healthIntervalMs);
        return;
      }
      if (r.error !== st.lastProbeError) o.update({ lastProbeError: r.error ?? null });
      if (now - (st.startedAt ?? now) > o.startupGraceMs) {
        o.logger.warn('Jenkins did not become ready within its start-up grace', {
          event: 'jenkins.start_timeout',
          startupGraceMs: o.startupGraceMs,
          lastError: r.error,
        });
        o.unhealthy(`not ready within the start-up grace of ${o.startupGraceMs} ms (${r.error ?? 'no answer'})`);
        return;
      }
      this.schedule(run, Math.min(250, o.healthIntervalMs));
      return;
    }
    // running: liveness
    if (r.ok) {
      if (!st.ready || this.failures > 0) {
        o.logger.info('Jenkins answers again', { event: 'jenkins.ready', pid: st.pid });
      }
      this.failures = 0;
      if (!st.ready || st.lastProbeError) o.update({ ready: true, lastProbeError: null });
    } else {
      this.failures += 1;
      if (st.ready) {
        o.logger.warn('Jenkins liveness probe failed', { event: 'jenkins.unready', pid: st.pid, error: r.error });
      }
      o.update({ ready: false, lastProbeError: r.error ?? null });
      if (this.failures >= o.livenessFailures) {
        o.unhealthy(`${this.failures} liveness probes failed (${r.error ?? 'no answer'})`);
        return;
      }
    }
    this.schedule(run, o.healthIntervalMs);
  }
}
