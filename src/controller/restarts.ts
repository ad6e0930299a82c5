/**
 * Crash bookkeeping for the leader's Jenkins: exponential backoff between restarts and the count
 * of failures inside a sliding window (more than maxRestarts -> resign). Pure; time is passed in.
 */
export interface RestartPolicy {
  backoffMs: number;
  backoffMaxMs: number;
  windowMs: number;
}

export class RestartTracker {
  private failures: number[] = [];
  private next = 0;
  private totalCount = 0;

  constructor(private readonly policy: RestartPolicy) {}

  recordFailure(now: number): void {
    this.prune(now);
    this.failures.push(now);
    this.totalCount += 1;
    const n = this.failures.length;
    this.next = now + Math.min(this.policy.backoffMaxMs, this.policy.backoffMs * 2 ** Math.min(n - 1, 30));
  }

  recentFailures(now: number): number {
    this.prune(now);
    return this.failures.length;
  }

  nextAttemptAt(): number {
    return this.next;
  }

  /** Failures since the process started (for status and metrics). */
  total(): number {
    return this.totalCount;
  }

  /** Forget the window (after resigning: the next term starts clean). */
  reset(): void {
    this.failures = [];
    this.next = 0;
  }

  private prune(now: number): void {
    this.failures = this.failures.filter((t) => now - t < this.policy.windowMs);
  }
}
