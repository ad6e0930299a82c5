/**
 * The armed shim of the supervisor (./supervisor.ts): a watchdog shim (./shim.ts) spawned ahead of
 * time that waits for its go line, so that a takeover costs one write on a pipe instead of a ~5 ms
 * fork that blocks the event loop plus a bash start-up. A launch takes it (or spawns one when it
 * cannot take the go line); a shutdown or resign drops it (it exits on EOF); after an exit the next
 * one is armed a moment later, never inside the exit handler (off the handover path, docs/safety.md).
 */
import type { ChildProcess } from 'node:child_process';
import type { ShimSpawner } from './shim';

/** How long after an exit the next armed shim is spawned (off the handover path, docs/safety.md). */
export const REARM_DELAY_MS = 200;

export interface ArmedShimOptions {
  shims: ShimSpawner;
  /** No shim is armed while this is true (a Jenkins of ours runs, or is not proven stopped yet). */
  busy: () => boolean;
}

export class ArmedShim {
  private warm: ChildProcess | null = null;
  /** The next armed shim, spawned a moment after an exit (never inside the exit handler). */
  private rearmTimer: NodeJS.Timeout | null = null;
  private disarmed = false;

  constructor(private readonly o: ArmedShimOptions) {}

  /** Spawn an armed shim unless one is armed and alive, Jenkins runs or a disarm is in force. */
  arm(): void {
    if (this.rearmTimer) clearTimeout(this.rearmTimer);
    this.rearmTimer = null;
    if (this.o.busy() || this.disarmed) return;
    if (this.warm && this.warm.exitCode === null && this.warm.signalCode === null) return;
    this.warm = this.o.shims.spawn();
  }

  /** Drop the armed shim (shutdown, resign): it exits on EOF. */
  disarm(): void {
    this.disarmed = true;
    if (this.rearmTimer) clearTimeout(this.rearmTimer);
    this.rearmTimer = null;
    const w = this.warm;
    this.warm = null;
    w?.stdin?.end();
  }

  /** The shim of a launch: the armed one if it can take the go line, else a new one. Ends a disarm. */
  take(): ChildProcess {
    this.disarmed = false;
    let child = this.warm;
    this.warm = null;
    if (!child || child.exitCode !== null || child.signalCode !== null || !child.stdin?.writable) child = this.o.shims.spawn();
    return child;
  }

  /**
   * After an exit: arm again REARM_DELAY_MS later. Not now: a spawn forks this process with its
   * event loop stopped (~5-15 ms), and right after an exit the loop releases the lock and leaves
   * the election (the handover path). A shutdown disarms before the timer fires; a launch before it
   * spawns its shim itself.
   */
  rearmSoon(): void {
    if (this.rearmTimer) clearTimeout(this.rearmTimer);
    this.rearmTimer = setTimeout(() => this.arm(), REARM_DELAY_MS);
    this.rearmTimer.unref();
  }
}
