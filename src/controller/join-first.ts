/**
 * Start-up order (docs/benchmarks.md, start-up): the election's first answer before anything else
 * a controller starts. Its shim, eligibility checks, term and control loop cost tens of ms of CPU
 * on their first run, and none of them is needed to place our znode in line, nor can any of them
 * act before the election has placed us: so they wait for it, at most `ms`.
 */
import type { ElectionStatus } from '../election/types';

/** How long a controller waits for the election's first answer before starting the rest anyway. */
export const JOIN_FIRST_MS = 1000;

/** What joinedOrAfter needs of an election. */
export interface ElectionChanges {
  status(): Pick<ElectionStatus, 'role'>;
  on(event: 'change', listener: () => void): unknown;
  off(event: 'change', listener: () => void): unknown;
}

/**
 * Resolves when the election has left `idle`/`joining` (it holds a znode: candidate or leader)
 * or `ms` have passed, whichever comes first (a ZooKeeper that is slow or down at start-up).
 */
export function joinedOrAfter(election: ElectionChanges, ms: number): Promise<void> {
  const placed = (): boolean => {
    const role = election.status().role;
    return role === 'candidate' || role === 'leader';
  };
  if (placed()) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    election.on('change', onChange);
    function onChange(): void {
      if (placed()) done();
    }
    function done(): void {
      clearTimeout(t);
      election.off('change', onChange);
      resolve();
    }
  });
}
