/**
 * The "released" mark of the JENKINS_HOME lock at the end of a run of our Jenkins, written once:
 * after the exit, behind the lock keeper's heartbeat in flight (so no `held` can land after it),
 * and awaited by the leave instead of written a second time (docs/safety.md, "The graceful
 * handover path"). A launch waits for a pending mark, so a late one never lands on a new lock.
 */
import { errorMessage } from '../errors';
import type { HomeIo } from '../fencing/home-io';
import { releaseHomeLock } from '../fencing/home-lock';
import type { Logger } from '../logging/logger';

export interface LockReleaseOptions {
  home: string;
  nodeId: string;
  io: HomeIo;
  logger: Logger;
  /** Resolves when the heartbeat in flight has landed; null when none is in flight (LockKeeper.settled). */
  settled: () => Promise<void> | null;
}

export class LockRelease {
  /** The mark in flight or done: its epoch, and whether it landed (or the lock was not ours). */
  private mark: { epoch: number; landed: Promise<boolean> } | null = null;

  constructor(private readonly o: LockReleaseOptions) {}

  /** Our Jenkins of `epoch` is gone: mark the lock released (once the beat in flight landed). */
  markStopped(epoch: number): void {
    this.mark = { epoch, landed: this.write(epoch, 'could not mark the JENKINS_HOME lock released') };
  }

  /** A launch wrote our lock `held` again: a later leave must release it again. */
  heldAgain(): void {
    this.mark = null;
  }

  /** Wait for a pending mark (a launch must not race it). */
  async pending(): Promise<void> {
    await this.mark?.landed;
  }

  /**
   * The leave: the lock says released for `epoch` when this resolves, unless the write failed
   * (logged; the successor then waits for the storage lease). Reuses the mark made at the exit.
   */
  async ensureReleased(epoch: number): Promise<void> {
    const mark = this.mark;
    if (mark && mark.epoch === epoch && (await mark.landed)) return;
    await this.write(epoch, 'could not release the JENKINS_HOME lock');
  }

  private async write(epoch: number, what: string): Promise<boolean> {
    const { home, nodeId, io, logger } = this.o;
    try {
      // Only a beat in flight is awaited: with none, the read goes out now, within the exit's own
      // turn, not behind the loop's next turn (the shutdown decision queued by the same exit).
      const beat = this.o.settled();
      if (beat) await beat;
      // false: the lock is not ours (another epoch or node): nothing of ours to release.
      await releaseHomeLock(home, epoch, nodeId, { io });
      return true;
    } catch (err) {
      logger.warn(`${what}: ${errorMessage(err)}`, { event: 'lock.release_failed' });
      return false;
    }
  }
}
