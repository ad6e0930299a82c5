/**
 * Failover priority and never-lead nodes (election.priority, election.noFailover), decided by
 * the next in line BEFORE it takes the fencing epoch (stopped.ts), never by a running leader:
 *
 * - a noFailover node at the head of the line steps to the back when any member that may lead is
 *   in line; with none it holds the head without taking an epoch (and says so);
 * - any other node at the head steps to the back while a member that may lead has a strictly
 *   higher priority; the highest (first in line among equals) takes the epoch.
 *
 * Only the head of the line acts (each contender watches its predecessor: no herd), and it has no
 * epoch yet, so fencing and zero overlap are untouched. Bounded: a node that yielded is behind the
 * one it yielded to, which never yields back (its priority is higher); equal priorities never
 * move. Pure.
 */
import type { Decision, MemberPriority, Observed } from './types';
import { none } from './types';

/** The member the head of the line yields to, or null when it may take the epoch itself. */
export function yieldTarget(p: NonNullable<Observed['priority']>): MemberPriority | null {
  let best: MemberPriority | null = null;
  for (const m of p.others) {
    if (m.noFailover) continue;
    if (!p.noFailover && m.priority <= p.self) continue;
    if (best === null || m.priority > best.priority) best = m;
  }
  return best;
}

/** The decision of the head of the line before it takes an epoch, or null to take it. */
export function priorityCheck(o: Observed): Decision | null {
  const p = o.priority;
  if (!p) return null;
  const to = yieldTarget(p);
  if (p.noFailover) {
    if (!to) return none('noFailover: this node never leads; no other member is eligible');
    return {
      action: { kind: 'yield-lead', why: 'no-failover', to: to.id },
      reason: `noFailover: this node never leads; stepping to the back of the line so ${to.id} leads`,
    };
  }
  if (!to) return null;
  return {
    action: { kind: 'yield-lead', why: 'priority', to: to.id },
    reason: `lowest sequence, but ${to.id} has a higher priority (${to.priority} > ${p.self}); stepping to the back of the line before taking an epoch`,
  };
}
