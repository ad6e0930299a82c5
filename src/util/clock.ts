/**
 * Monotonic milliseconds from CLOCK_MONOTONIC (process.hrtime). Unlike performance.now(), the value
 * is comparable across processes on one host, so logs, the Jenkins stand-in's journal and the
 * benchmarks can order events between processes. Never jumps with wall-clock changes.
 */
export function monoNow(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: monoNow };
