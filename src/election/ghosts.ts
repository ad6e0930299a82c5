/**
 * Election znodes of ours that leave() could not delete (the delete timed out or the connection
 * was lost: whether it was applied is unknown). While their session lives they stay in the line
 * and can block the election for ever, so they are removed (by GUID) until they are gone or the
 * session that owns them is over, retried on every reconnect and every `retryDelayMs` while
 * connected.
 */
import { errorMessage } from '../errors';
import type { Coordinator } from '../coordination/types';
import type { Logger } from '../logging/logger';

export interface GhostSweeperOptions {
  coordinator: Coordinator;
  /** Delete every znode of ours with this GUID (none left is success). */
  remove: (guid: string) => Promise<void>;
  logger: Logger;
  retryDelayMs: number;
}

export class GhostSweeper {
  /** GUID -> session generation that owns its znode. */
  private readonly ghosts = new Map<string, number>();
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: GhostSweeperOptions) {}

  /** A znode of `guid` may still exist in session `generation`: remove it. */
  add(guid: string, generation: number): void {
    this.ghosts.set(guid, generation);
    this.sweep();
  }

  /** Ghosts left (for tests and status). */
  pending(): number {
    return this.ghosts.size;
  }

  /** Session `generation` expired or closed: its ephemeral znodes are gone with it. */
  sessionOver(generation: number): void {
    for (const [guid, gen] of [...this.ghosts]) if (gen <= generation) this.ghosts.delete(guid);
    if (this.ghosts.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** Try to remove every ghost now (one sweep at a time); called again on reconnect. */
  sweep(): void {
    if (this.ghosts.size === 0 || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.once().finally(() => {
      this.running = null;
      if (this.ghosts.size > 0 && this.o.coordinator.state === 'connected') {
        this.timer = setTimeout(() => this.sweep(), this.o.retryDelayMs);
        this.timer.unref();
      }
    });
  }

  private async once(): Promise<void> {
    const coord = this.o.coordinator;
    for (const [guid, gen] of [...this.ghosts]) {
      if (gen !== coord.generation) {
        this.ghosts.delete(guid); // that session is over, and its znodes with it
        continue;
      }
      if (coord.state !== 'connected') return; // the reconnect sweeps again
      try {
        await this.o.remove(guid);
        this.ghosts.delete(guid);
        this.o.logger.info('removed our election znode left by a failed leave', { event: 'election.leave_completed', guid });
      } catch (err) {
        this.o.logger.debug('could not remove our election znode yet; will retry', { event: 'election.leave_retry', guid, error: errorMessage(err) });
      }
    }
  }
}
