/**
 * One value per event-loop turn. The requests that arrive together (one poll of the loop hands
 * every connection's bytes to its parser in turn) share what the first of them built, and the
 * next turn builds afresh: `setImmediate` runs right after the poll phase, so nothing built here
 * outlives the turn that built it, and a client that sees an answer and asks again is always
 * answered from a new build.
 *
 * Why: GET /status builds the controller's snapshot (members, notes, settings, home) and
 * serializes it (~3 KB) for each request; under 10 connections most of the controller's CPU went
 * there (docs/benchmarks.md, "2026-12-07: status API throughput").
 */
export type PerTurn<T> = () => T;

/** Memoizes `build` until the end of the current loop turn; a build that throws caches nothing. */
export function perTurn<T>(build: () => T): PerTurn<T> {
  let cached: { value: T } | null = null;
  const forget = (): void => {
    cached = null;
  };
  return () => {
    if (cached === null) {
      cached = { value: build() };
      setImmediate(forget);
    }
    return cached.value;
  };
}
