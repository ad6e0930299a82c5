/**
 * The reads of the next epoch take (the floor, the epoch and breadcrumb znodes), started when the
 * predecessor watch wakes a standby, beside the election's own `getChildren`, so that a take right
 * after it needs only its transaction (docs/safety.md, "The graceful handover path", step 4).
 * They are only the inputs of the compare-and-set: stale ones make the transaction fail. Used
 * once, in the session they were read in, within PREFETCH_MAX_AGE_MS of the wake; otherwise
 * (or when a read failed) the take reads again.
 */
import type { EpochReads, EpochStore } from '../fencing/epoch';

/** How long after the wake its reads may serve a take. */
export const PREFETCH_MAX_AGE_MS = 1000;

export interface EpochPrefetchOptions {
  epochs: Pick<EpochStore, 'read'>;
  /** The coordinator's current session generation. */
  generation: () => number;
  /** Monotonic ms. */
  now: () => number;
}

export class EpochPrefetch {
  private pending: { generation: number; at: number; reads: Promise<EpochReads | null> } | null = null;

  constructor(private readonly o: EpochPrefetchOptions) {}

  /** The predecessor watch woke us: read what a take needs, now. */
  start(): void {
    const reads = this.o.epochs.read().catch(() => null); // a failed read: the take reads again
    this.pending = { generation: this.o.generation(), at: this.o.now(), reads };
  }

  /** The reads for a take in session `generation`, at most once; null: the take reads itself. */
  async take(generation: number): Promise<EpochReads | null> {
    const p = this.pending;
    this.pending = null;
    if (!p || p.generation !== generation || this.o.now() - p.at > PREFETCH_MAX_AGE_MS) return null;
    const reads = await p.reads;
    return this.o.now() - p.at > PREFETCH_MAX_AGE_MS ? null : reads;
  }
}
