/**
 * Poll fn until it returns a truthy value (or a promise of one) and return that value.
 * Throws Error("timed out after Xms waiting for <what>") when timeoutMs passes first; if fn
 * threw on its last attempt, that error is appended to the message.
 */
export async function waitFor<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<T> {
  const intervalMs = opts.intervalMs ?? 20;
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const suffix = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
      throw new Error(`timed out after ${opts.timeoutMs}ms waiting for ${opts.what}${suffix}`);
    }
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
}
