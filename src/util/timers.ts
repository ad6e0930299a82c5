/** Small promise helpers shared by every module. */

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Wakes a waiting loop. A notify with nobody waiting is kept for the next wait, which then returns
 * at once: a change that arrives while the loop is busy (between its observation and its wait) is
 * not lost until the wait's timeout (a graceful handover once waited a whole 250 ms tick for it).
 */
export class Signal {
  private waiters: Array<() => void> = [];
  private pending = false;
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    this.pending = w.length === 0;
    for (const f of w) f();
  }
  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== fire);
        resolve();
      }, timeoutMs);
      const fire = (): void => {
        clearTimeout(t);
        resolve();
      };
      this.waiters.push(fire);
    });
  }
}
