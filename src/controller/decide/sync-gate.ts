/**
 * The git-sync gate of the decision (sync.mode git), the last of the launch gates (gates.ts).
 * Pure.
 *
 * A leader holding a term launches Jenkins only once JENKINS_HOME holds the configuration commit
 * recorded in ZooKeeper (state `ready` for this term). While the restore runs it waits; when the
 * commit cannot be obtained it yields the leadership (leave, rejoin at the back after the
 * resign cool-down) so a standby that can obtain it takes over, unless sync.allowStale lets it
 * start from the newest commit it has.
 */
import type { Decision, Observed } from './types';

export function syncGate(o: Observed): Decision | null {
  const s = o.sync;
  if (!s || !o.term) return null;
  const epoch = o.term.epoch;
  switch (s.state) {
    case 'ready':
      return null;
    case 'needed':
      return {
        action: { kind: 'sync-restore', stale: false },
        reason: `epoch ${epoch} taken; restoring the configuration commit recorded in ZooKeeper before starting Jenkins`,
      };
    case 'running':
      return { action: { kind: 'none' }, reason: `epoch ${epoch} taken; waiting for the configuration restore (${s.reason})` };
    case 'superseded':
      // Never under sync.allowStale: the branch shows another term held this epoch. The next take
      // reads the fetched tip into its floor (sync/floor.ts) and so gets an epoch above it.
      return { action: { kind: 'sync-yield' }, reason: `not starting Jenkins under epoch ${epoch}: ${s.reason}` };
    case 'failed':
      if (s.allowStale) {
        return {
          action: { kind: 'sync-restore', stale: true },
          reason: `the recorded configuration cannot be restored (${s.reason}); sync.allowStale is set: starting from the newest commit this node has`,
        };
      }
      return {
        action: { kind: 'sync-yield' },
        reason: `the recorded configuration cannot be restored (${s.reason}); not starting Jenkins: yielding to a standby that can`,
      };
  }
}
