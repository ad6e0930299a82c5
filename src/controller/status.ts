/**
 * The status snapshot the controller owns and the API/CLI read. Plain data, no behaviour.
 *
 * Roles:
 * - `leader`:    our znode is lowest in the current session and ZooKeeper answered recently
 *                enough to prove it; Jenkins runs (or is being started) here.
 * - `standby`:   connected and waiting behind a predecessor; ready to take over.
 * - `neutral`:   the connection to ZooKeeper is in doubt (disconnected, expired, or silent past
 *                the fencing deadline): this node neither runs Jenkins nor counts as a standby.
 * - `candidate`: connected and joining the election (no position yet).
 * - `stopped`:   shutting down, or resigned and cooling down outside the election.
 */
import type { ConnState } from '../coordination/types';
import type { ElectionRole } from '../election/election';
import type { JenkinsState } from '../jenkins/supervisor';

export type NodeRole = 'leader' | 'standby' | 'neutral' | 'candidate' | 'stopped';

export interface HistoryEntry {
  at: string;
  event: string;
  reason: string;
  epoch: number | null;
}

export interface StatusSnapshot {
  cluster: string;
  node: { id: string; host: string; role: NodeRole; sinceMs: number; apiUrl: string };
  election: { role: ElectionRole; znode: string | null; sequence: number | null; predecessor: string | null };
  jenkins: {
    state: JenkinsState;
    pid: number | null;
    ready: boolean;
    url: string;
    epoch: number | null;
    version: string | null;
    restarts: number;
    lastProbeError: string | null;
    lastExit: { code: number | null; signal: string | null; expected: boolean; reason: string } | null;
  };
  zookeeper: {
    state: ConnState;
    sessionId: string | null;
    sessionTimeoutMs: number;
    msSinceHeard: number | null;
    fenceAfterMs: number;
  };
  epoch: number | null;
  leaderChanges: number;
  /** The sentence of the last decision cycle. */
  decision: string;
  loopLagMs: number;
  history: HistoryEntry[];
}

/** What the API needs from the controller: read-only. */
export interface StatusSource {
  status(): StatusSnapshot;
  msSinceLastCycle(): number;
}
