/**
 * Where a takeover's time goes, as this node sees it (pure). The moments are monotonic ms:
 *
 *   wokeAt    the predecessor watch fired (or, with no watch, the election reported us first)
 *   epochAt   the fencing epoch was bumped and our breadcrumb written (the term is ours)
 *   spawnedAt Jenkins was started (the JENKINS_HOME lock was written just before)
 *   readyAt   Jenkins answered its readiness probe
 *
 * decision = wokeAt -> epochAt, launch = epochAt -> spawnedAt, readiness = spawnedAt -> readyAt.
 * Detection (the old leader's session expiring) happens on the server before any of this and is
 * measured by the benchmarks, not here.
 */
export interface TakeoverMoments {
  wokeAt: number;
  epochAt: number;
  spawnedAt: number;
  readyAt: number;
}

export interface TakeoverPhases {
  decisionMs: number;
  launchMs: number;
  readinessMs: number;
}

const span = (from: number, to: number): number => Math.max(0, Math.round((to - from) * 1000) / 1000);

/** Phase durations in ms (3 decimals; never negative, even if a moment is out of order). */
export function takeoverPhases(m: TakeoverMoments): TakeoverPhases {
  return {
    decisionMs: span(m.wokeAt, m.epochAt),
    launchMs: span(m.epochAt, m.spawnedAt),
    readinessMs: span(m.spawnedAt, m.readyAt),
  };
}
