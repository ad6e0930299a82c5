/**
 * Eligibility in the decision (docs/api.md "Eligibility", docs/safety.md "Start-up order"). Pure.
 *
 * The observation carries the last verdict of this node's eligibility checks, `pending` while
 * configured checks have not answered yet, or null when none are configured (no objection).
 *
 * - ineligible, no term: out of the election (leave it, or stay out) so an eligible node leads;
 *   a leader holding a term is not made to leave (restarts and resigning handle a failing Jenkins).
 * - pending, leading without a term for this session: hold the launch, and take no epoch either,
 *   until the first answer (join first puts a node in the line before its first check has run):
 *   no epoch, no breadcrumb, no fencing of the previous active by a node that may not run Jenkins.
 */
import { seqOf } from './leadership';
import { held, type Decision, type Observed } from './types';

/** Why this node may not run Jenkins, by its last answer; null when eligible, pending or unchecked. */
export function ineligibleReason(o: Pick<Observed, 'eligibility'>): string | null {
  const e = o.eligibility;
  if (e === null || 'pending' in e || e.eligible) return null;
  return e.reason;
}

/** Configured checks that have not answered yet. */
export function eligibilityPending(o: Pick<Observed, 'eligibility'>): boolean {
  return o.eligibility !== null && 'pending' in o.eligibility;
}

/** Out of the election or leaving it because the last answer says no (no term held); null otherwise. */
export function ineligibleCheck(o: Observed): Decision | null {
  if (o.term) return null;
  const why = ineligibleReason(o);
  if (why === null) return null;
  if (!o.election.joined) return { action: { kind: 'none' }, reason: `not eligible to run Jenkins (${why}); staying out of the election` };
  return {
    action: { kind: 'leave-ineligible' },
    reason: `not eligible to run Jenkins (${why}); leaving the election so an eligible node takes over`,
  };
}

/**
 * The last step before a leader takes its epoch: while its configured eligibility checks have not
 * answered, it holds (gate `eligibility`) instead. Null when they answered or none are configured.
 */
export function eligibilityHold(o: Observed): Decision | null {
  if (!eligibilityPending(o)) return null;
  return held('eligibility', `leader with ${seqOf(o)}; not starting Jenkins: waiting for the first answer of this node's eligibility checks (no epoch is taken before it)`);
}
