/**
 * Keeps repeated warnings from flooding the log: per key, at most one pass per `intervalMs`;
 * the calls in between are counted and reported with the next pass.
 */
export class RateLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
    /** Most keys remembered; the oldest are forgotten beyond it (hostile input has many keys). */
    private readonly maxKeys = 1000,
  ) {}

  /** Whether to log now for `key`, and how many calls were suppressed since the last pass. */
  take(key: string): { pass: boolean; suppressed: number } {
    const t = this.now();
    const e = this.last.get(key);
    if (e && t - e.at < this.intervalMs) {
      e.suppressed += 1;
      return { pass: false, suppressed: e.suppressed };
    }
    const suppressed = e?.suppressed ?? 0;
    this.last.delete(key);
    this.last.set(key, { at: t, suppressed: 0 });
    if (this.last.size > this.maxKeys) {
      const oldest = this.last.keys().next().value;
      if (oldest !== undefined) this.last.delete(oldest);
    }
    return { pass: true, suppressed };
  }
}
