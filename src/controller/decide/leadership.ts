/**
 * Pure facts about leadership in one observation: whether we lead in the current session,
 * whether that can be proven right now, the lease the watchdog shim may be given, and the words.
 */
import type { Observed } from './types';

/** Leader in the current session (our znode is lowest). */
export function isLeaderNow(o: Observed): boolean {
  return o.election.role === 'leader' && o.election.generation === o.zk.generation;
}

/** Leadership that can be proven right now. */
export function canProveLeadership(o: Observed): boolean {
  return (
    isLeaderNow(o) &&
    (o.zk.state === 'connected' || o.zk.state === 'disconnected') &&
    o.zk.msSinceHeard !== null &&
    o.zk.msSinceHeard < o.fenceAfterMs
  );
}

/**
 * How long Jenkins may run on what ZooKeeper last told us: the self-fencing deadline minus the
 * time since the last answered request (0 when nothing was heard). The launch and every lease
 * renewal of the watchdog shim use this one number.
 */
export function leaseMsOf(o: Observed): number {
  return o.fenceAfterMs - (o.zk.msSinceHeard ?? o.fenceAfterMs);
}

export function whyNotProvable(o: Observed): string {
  if (!isLeaderNow(o)) return `not the leader (election ${o.election.role}, zookeeper ${o.zk.state})`;
  if (o.zk.msSinceHeard === null) return `zookeeper ${o.zk.state}, nothing heard in this session`;
  return `no reply from ZooKeeper for ${Math.round(o.zk.msSinceHeard)} ms (fence after ${o.fenceAfterMs} ms; zookeeper ${o.zk.state})`;
}

/** `epoch N` of our term, `epoch -` without one. */
export function seqOf(o: Observed): string {
  return `epoch ${o.term?.epoch ?? '-'}`;
}
