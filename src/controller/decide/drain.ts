/**
 * Draining Jenkins (quiet-down, wait for builds) before a planned stop: when a drain is over,
 * whether it is still wanted, and drainThen(), the one sequence every planned stop goes through
 * (start the drain, wait for the builds or the timeout, then take the step it was for). Pure.
 */
import { none, type Decision, type DrainEnd, type DrainObserved, type DrainPurpose, type Observed } from './types';

/** Pure: whether a drain is over. Unknown build counts wait for the timeout. */
export function drainEnd(d: DrainObserved, timeoutMs: number): DrainEnd | null {
  if (d.running === 0) return 'finished';
  if (d.ageMs >= timeoutMs) return 'timeout';
  return null;
}

/** Whether the reason for a drain still holds (else it is cancelled: Jenkins leaves quiet-down). */
export function drainStillWanted(o: Observed, d: DrainObserved): boolean {
  switch (d.purpose) {
    case 'shutdown':
      return o.shuttingDown;
    case 'pause':
      return o.paused && o.pauseDrain;
    case 'switchover': {
      const so = o.switchover;
      return so !== null && so.id === d.switchoverId && so.from === o.self && !so.expired;
    }
  }
}

/** `2 builds running`, or that the count is not known yet. */
export function buildsText(d: DrainObserved): string {
  return d.running === null ? 'running builds not known yet' : `${d.running} build${d.running === 1 ? '' : 's'} running`;
}

export interface DrainPlan {
  purpose: DrainPurpose;
  /** Whether this stop drains at all (a drain timeout is configured, and for shutdown: asked for). */
  enabled: boolean;
  /** The reason when the drain starts. */
  starting: string;
  /** The reason while builds run (`builds`: e.g. `2 builds running`). */
  waiting: (builds: string) => string;
  /** The step the drain was for: after it ended (`end`, with the builds text), or without one (`end` null). */
  then: (end: DrainEnd | null, builds: string) => Decision;
}

/**
 * A planned stop: drain first when enabled and Jenkins runs (or a drain is under way), then the
 * plan's step. Without a drain the step comes at once.
 */
export function drainThen(o: Observed, plan: DrainPlan): Decision {
  const dr = o.drain;
  if (!plan.enabled || (o.jenkins.state !== 'running' && !dr)) return plan.then(null, '');
  if (!dr) return { action: { kind: 'start-drain', purpose: plan.purpose }, reason: plan.starting };
  const end = drainEnd(dr, o.drainTimeoutMs);
  if (!end) return none(plan.waiting(buildsText(dr)));
  return plan.then(end, buildsText(dr));
}
