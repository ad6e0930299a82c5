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

/** A promise with its resolve function exposed: wakes a waiting loop. */
export class Signal {
  private waiters: Array<() => void> = [];
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  wait(timeoutMs: number): Promise<void> {
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
