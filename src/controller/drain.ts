/**
 * One drain of the local Jenkins before a planned stop: POST /quietDown, then poll the running
 * builds until the controller's decision ends it (no build left, timeout, or cancelled). The
 * decision itself is pure (decide() sees `observed()`); this class only talks to Jenkins and
 * remembers what it heard. Every answer (or failure) emits 'change' so the loop re-decides.
 */
import { EventEmitter } from 'node:events';
import { errorCode, errorMessage } from '../errors';
import type { JenkinsClient, RunningBuild } from '../jenkins/client';
import type { Logger } from '../logging/logger';
import type { DrainObserved, DrainPurpose } from './decide/types';

export interface DrainState {
  purpose: DrainPurpose;
  switchoverId: string | null;
  /** Monotonic ms. */
  startedAt: number;
  /** ISO time. */
  since: string;
  /** Whether Jenkins accepted the quiet-down (null: not answered yet). */
  quietDown: boolean | null;
  /** Builds running at the last poll (null: no answer yet). */
  running: number | null;
  builds: RunningBuild[];
  lastError: string | null;
}

export interface DrainOptions {
  client: JenkinsClient;
  pollMs: number;
  logger: Logger;
  now: () => number;
  /** Wall clock for `since` (default Date.now). */
  wallNow?: () => number;
}

export class DrainTracker extends EventEmitter {
  private st: DrainState | null = null;
  private run = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: DrainOptions) {
    super();
  }

  state(): DrainState | null {
    return this.st ? { ...this.st, builds: [...this.st.builds] } : null;
  }

  observed(): DrainObserved | null {
    const d = this.st;
    if (!d) return null;
    return { purpose: d.purpose, switchoverId: d.switchoverId, ageMs: this.opts.now() - d.startedAt, running: d.running };
  }

  /** Put Jenkins into quiet-down and start polling its builds. */
  start(purpose: DrainPurpose, switchoverId: string | null): void {
    this.stopPolling();
    const run = ++this.run;
    this.st = {
      purpose,
      switchoverId,
      startedAt: this.opts.now(),
      since: new Date((this.opts.wallNow ?? Date.now)()).toISOString(),
      quietDown: null,
      running: null,
      builds: [],
      lastError: null,
    };
    void this.opts.client.quietDown().then(
      () => this.patch(run, { quietDown: true }),
      (err: unknown) => {
        // Keep waiting for the running builds anyway: the drain still shortens what a stop kills.
        this.opts.logger.warn(`quiet-down failed: ${errorMessage(err)}`, { event: 'drain.quiet_down_failed', code: errorCode(err) });
        this.patch(run, { quietDown: false, lastError: errorMessage(err) });
      },
    );
    void this.poll(run);
  }

  /** End the drain (Jenkins is being stopped): stop polling; returns what it last knew. */
  finish(): DrainState | null {
    const d = this.state();
    this.reset();
    return d;
  }

  /** Cancel the drain: Jenkins leaves quiet-down and keeps running. */
  async cancel(): Promise<DrainState | null> {
    const d = this.finish();
    await this.opts.client.cancelQuietDown();
    return d;
  }

  /** Forget the drain without talking to Jenkins (it exited). */
  reset(): void {
    this.run += 1;
    this.stopPolling();
    this.st = null;
  }

  private async poll(run: number): Promise<void> {
    this.timer = null;
    try {
      const r = await this.opts.client.runningBuilds();
      this.patch(run, { running: r.running === 0 && (r.busyExecutors ?? 0) > 0 ? r.busyExecutors : r.running, builds: r.builds, lastError: null });
    } catch (err) {
      if (run === this.run && this.st?.lastError !== errorMessage(err)) {
        this.opts.logger.warn(`cannot read Jenkins' running builds: ${errorMessage(err)}`, { event: 'drain.poll_failed', code: errorCode(err) });
      }
      this.patch(run, { lastError: errorMessage(err) });
    }
    if (run === this.run && this.st) this.timer = setTimeout(() => void this.poll(run), this.opts.pollMs);
  }

  private patch(run: number, p: Partial<DrainState>): void {
    if (run !== this.run || !this.st) return;
    this.st = { ...this.st, ...p };
    this.emit('change');
  }

  private stopPolling(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
