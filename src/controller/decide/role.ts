/**
 * The node's role as /status, the metrics and the hooks see it, from one observation. Pure.
 * (Roles are described in ../status.ts.)
 */
import type { NodeRole } from '../status';
import { ineligibleReason } from './eligibility';
import { canProveLeadership, isLeaderNow } from './leadership';
import type { Observed } from './types';

export function nodeRole(o: Observed): NodeRole {
  const outIneligible = !o.election.joined && ineligibleReason(o) !== null;
  if (o.shuttingDown || o.resignedUntil !== null || outIneligible) return 'stopped';
  // A noFailover node at the head of the line takes no epoch: it never leads (decide/priority.ts).
  if (isLeaderNow(o) && canProveLeadership(o)) return o.priority?.noFailover && !o.term ? 'standby' : 'leader';
  if (o.zk.state !== 'connected' || (o.zk.msSinceHeard !== null && o.zk.msSinceHeard >= o.fenceAfterMs)) return 'neutral';
  if (o.election.role === 'candidate') return 'standby';
  return 'joining';
}
